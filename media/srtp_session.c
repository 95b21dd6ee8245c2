/* srtp_session: one leg's SRTP/SRTCP contexts over libsrtp2. See media/srtp_session.h.
 *
 * Two libsrtp sessions per leg: outbound (ssrc_any_outbound, our key) and inbound
 * (ssrc_any_inbound, the peer's key). libsrtp makes a stream per SSRC the first time it sees
 * one (inbound: only after the packet authenticated); every later packet is processed without
 * allocation. Outbound allows repeated sequence numbers, because NACKed packets are sent again
 * with the same sequence number (and must carry the same payload).
 *
 * A session is used by its leg's worker only; libsrtp itself is initialised once per process. */
#define LOG_MODULE "srtp"
#include "media/srtp_session.h"

#include "base/log.h"
#include "media/srtp_gcm.h"
#include "base/mem.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <srtp2/srtp.h>
#ifdef RAPPORT_HAVE_NSS
#include <nss.h>
#endif

enum { SRTP_SESSION_WINDOW = 1024 };  /* replay window, in packets */

struct srtp_session {
	srtp_t in, out;
	enum srtp_profile_id profile;
	struct srtp_gcm_lines in_lines, out_lines;  /* their RTP ciphers (borrowed addresses) */
};

typedef void (srtp_session_policy_h)(srtp_crypto_policy_t *p);

static const struct srtp_session_profile {
	enum srtp_profile_id id;
	const char *name;                 /* as WebRTC stats spell srtpCipher */
	size_t key_salt_len;
	srtp_session_policy_h *policy;    /* the same for RTP and RTCP */
} srtp_session_profiles[] = {
	{SRTP_PROFILE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", SRTP_AES_GCM_128_KEY_LEN_WSALT,
	 srtp_crypto_policy_set_aes_gcm_128_16_auth},
	{SRTP_PROFILE_AES128_CM_SHA1_80, "AES_CM_128_HMAC_SHA1_80", SRTP_AES_ICM_128_KEY_LEN_WSALT,
	 srtp_crypto_policy_set_rtp_default /* = aes_cm_128_hmac_sha1_80, which is a macro */},
};

static pthread_once_t srtp_session_once = PTHREAD_ONCE_INIT;
static int srtp_session_init_err;

static int srtp_session_errno(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		return EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return EALREADY;
	case srtp_err_status_alloc_fail:
		return ENOMEM;
	default:
		return EPROTO;
	}
}

/* Debian's libsrtp2 does AES-GCM through NSS, and each of its GCM ciphers opens NSS with
 * NSS_InitContext(..., NSS_INIT_OPTIMIZESPACE). The first initialisation configures NSS's
 * softoken for the whole process, and "optimise space" gives it 32-bucket hash tables for
 * sessions and session objects. Every SRTP stream imports its own key (a session object),
 * and every PK11_Encrypt/PK11_Decrypt looks its key and session up in those tables: with a
 * few thousand streams (150 calls) the chains are about a hundred long, and walking them was
 * the largest single item of the relay's profile (20% of its samples at 150 av calls). So
 * NSS is opened here first, the same way but optimised for time (1024 buckets), and kept
 * open for the life of the process; libsrtp2's own contexts then join it. Harmless when
 * libsrtp2 uses OpenSSL instead. Since AES-GCM moved to media/srtp_gcm.c (OpenSSL), NSS
 * serves only AES_CM_128_HMAC_SHA1_80 legs and the fallback when srtp_gcm cannot install. */
static void srtp_session_nss_init(void)
{
#ifdef RAPPORT_HAVE_NSS
	static NSSInitContext *nss;
	nss = NSS_InitContext("", "", "", "", NULL, NSS_INIT_READONLY | NSS_INIT_NOCERTDB |
			      NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN);
	if (!nss)
		log_warn("NSS initialisation failed; libsrtp2 will initialise it itself");
#endif
}

static void srtp_session_init_once(void)
{
	srtp_session_nss_init();
	srtp_err_status_t st = srtp_init();
	srtp_session_init_err = srtp_session_errno(st);
	if (st != srtp_err_status_ok) {
		log_error("libsrtp2 initialisation failed (status %d)", (int)st);
		return;
	}
	if (srtp_gcm_install() != 0)
		log_warn("AES-GCM stays on libsrtp2's own implementation (slower)");
}

int srtp_session_global_init(void)
{
	if (pthread_once(&srtp_session_once, srtp_session_init_once) != 0)
		return EAGAIN;
	return srtp_session_init_err;
}

static const struct srtp_session_profile *srtp_session_profile_find(enum srtp_profile_id id)
{
	for (size_t i = 0; i < sizeof(srtp_session_profiles) / sizeof(srtp_session_profiles[0]); i++) {
		if (srtp_session_profiles[i].id == id)
			return &srtp_session_profiles[i];
	}
	return NULL;
}

const char *srtp_session_profile_name(enum srtp_profile_id p)
{
	const struct srtp_session_profile *sp = srtp_session_profile_find(p);
	return sp ? sp->name : (p == SRTP_PROFILE_NONE ? "NONE" : "unknown");
}

static int srtp_session_create(srtp_t *ctx, const struct srtp_session_profile *sp,
			       srtp_ssrc_type_t dir, const uint8_t *key, struct srtp_gcm_lines *lines)
{
	uint8_t k[sizeof(((struct srtp_keys *)0)->local)];
	srtp_policy_t pol;
	memset(&pol, 0, sizeof(pol));
	memcpy(k, key, sp->key_salt_len);  /* libsrtp takes a non-const key */
	sp->policy(&pol.rtp);
	sp->policy(&pol.rtcp);
	pol.ssrc.type = dir;
	pol.key = k;
	pol.window_size = SRTP_SESSION_WINDOW;
	pol.allow_repeat_tx = 1;
	srtp_gcm_capture_begin(lines);
	int err = srtp_session_errno(srtp_create(ctx, &pol));
	srtp_gcm_capture_end();
	explicit_bzero(k, sizeof(k));
	return err;
}

static void srtp_session_destroy(void *data)
{
	struct srtp_session *s = data;
	if (s->in)
		srtp_dealloc(s->in);
	if (s->out)
		srtp_dealloc(s->out);
}

int srtp_session_alloc(struct srtp_session **sp, const struct srtp_keys *keys)
{
	if (!sp || !keys)
		return EINVAL;
	const struct srtp_session_profile *p = srtp_session_profile_find(keys->profile);
	if (!p || keys->len != p->key_salt_len)
		return EINVAL;
	int err = srtp_session_global_init();
	if (err)
		return err;
	struct srtp_session *s = mem_alloc(sizeof(*s), srtp_session_destroy);
	if (!s)
		return ENOMEM;
	s->profile = p->id;
	err = srtp_session_create(&s->out, p, ssrc_any_outbound, keys->local,
					  &s->out_lines);
	if (!err)
		err = srtp_session_create(&s->in, p, ssrc_any_inbound, keys->remote,
					  &s->in_lines);
	if (err) {
		log_error("cannot create the %s SRTP contexts: %s", p->name, strerror(err));
		mem_deref(s);
		return err;
	}
	*sp = s;
	return 0;
}

typedef srtp_err_status_t (srtp_session_op_h)(srtp_t ctx, void *buf, int *len);

static int srtp_session_protect(srtp_t ctx, srtp_session_op_h *op, uint8_t *buf, size_t *len,
				size_t cap)
{
	if (!ctx || !buf || !len)
		return EINVAL;
	if (cap < *len || cap - *len < SRTP_SESSION_TRAILER)
		return ENOBUFS;
	if (*len > INT_MAX - SRTP_SESSION_TRAILER)
		return EMSGSIZE;
	int n = (int)*len;
	int err = srtp_session_errno(op(ctx, buf, &n));
	if (!err)
		*len = (size_t)n;
	return err;
}

static int srtp_session_unprotect(srtp_t ctx, srtp_session_op_h *op, uint8_t *buf, size_t *len)
{
	if (!ctx || !buf || !len)
		return EINVAL;
	if (*len > INT_MAX)
		return EMSGSIZE;
	int n = (int)*len;
	int err = srtp_session_errno(op(ctx, buf, &n));
	if (!err)
		*len = (size_t)n;
	return err;
}

int srtp_session_protect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap)
{
	return srtp_session_protect(s ? s->out : NULL, srtp_protect, buf, len, cap);
}

void srtp_session_prefetch_in(const struct srtp_session *s)
{
	if (!s)
		return;
	__builtin_prefetch(s->in);    /* a prefetch never faults; libsrtp2 reads this line first */
	srtp_gcm_prefetch(&s->in_lines);
}

void srtp_session_prefetch_out(const struct srtp_session *s)
{
	if (!s)
		return;
	__builtin_prefetch(s->out);
	srtp_gcm_prefetch(&s->out_lines);
}

int srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len)
{
	return srtp_session_unprotect(s ? s->in : NULL, srtp_unprotect, buf, len);
}

int srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap)
{
	return srtp_session_protect(s ? s->out : NULL, srtp_protect_rtcp, buf, len, cap);
}

int srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len)
{
	return srtp_session_unprotect(s ? s->in : NULL, srtp_unprotect_rtcp, buf, len);
}

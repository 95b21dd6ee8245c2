/* ice: ICE-lite for one leg (RFC 8445 §2.5, RFC 7675). See ice.h.
 *
 * A binding request is checked in this order, each step deciding what goes back:
 *   not a STUN binding request (indications, responses, garbage)   → drop
 *   FINGERPRINT missing or wrong                                   → drop
 *   USERNAME missing or not "<lufrag>:<rufrag>"                    → drop (not for this leg)
 *   MESSAGE-INTEGRITY missing                                      → 400, no integrity
 *   MESSAGE-INTEGRITY wrong for lpwd                               → 401, no integrity
 *   comprehension-required attributes we do not know               → 420, with integrity
 *   otherwise → success with XOR-MAPPED-ADDRESS = from, and from gains (or refreshes) consent.
 * Only a check that passed integrity can change state, so a forged packet cannot move media. */
#define LOG_MODULE "ice"
#include "media/ice.h"

#include "base/log.h"
#include "media/stun.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/rand.h>

static const char ice_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define ICE_GEN_UFRAG_LEN 8
#define ICE_GEN_PWD_LEN 24

int ice_gen_credentials(char ufrag[ICE_UFRAG_MAX + 1], char pwd[ICE_PWD_MAX + 1])
{
	uint8_t rnd[ICE_GEN_UFRAG_LEN + ICE_GEN_PWD_LEN];

	if (!ufrag || !pwd)
		return EINVAL;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return EIO;
	/* 64 characters: the low six bits of a random byte pick one uniformly */
	for (size_t i = 0; i < ICE_GEN_UFRAG_LEN; i++)
		ufrag[i] = ice_chars[rnd[i] & 63];
	ufrag[ICE_GEN_UFRAG_LEN] = '\0';
	for (size_t i = 0; i < ICE_GEN_PWD_LEN; i++)
		pwd[i] = ice_chars[rnd[ICE_GEN_UFRAG_LEN + i] & 63];
	pwd[ICE_GEN_PWD_LEN] = '\0';
	return 0;
}

static void ice_copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void ice_lite_init(struct ice_lite *ice, const char *lufrag, const char *lpwd, const char *rufrag)
{
	memset(ice, 0, sizeof(*ice));
	ice_copy(ice->lufrag, sizeof(ice->lufrag), lufrag);
	ice_copy(ice->lpwd, sizeof(ice->lpwd), lpwd);
	ice_copy(ice->rufrag, sizeof(ice->rufrag), rufrag);
	ice->selected = -1;
}

int ice_username_local(const uint8_t *pkt, size_t len, char out[ICE_UFRAG_MAX + 1])
{
	struct stun_msg m;
	size_t n = 0;

	if (stun_msg_decode(&m, pkt, len))
		return EBADMSG;
	if (!m.username)
		return ENOENT;
	while (n < m.username_len && m.username[n] != ':')
		n++;
	if (n == 0 || n == m.username_len || n > ICE_UFRAG_MAX)
		return EBADMSG;
	for (size_t i = 0; i < n; i++) {
		/* ICE ufrags are ice-chars only; anything else cannot name one of our legs */
		if (!memchr(ice_chars, m.username[i], sizeof(ice_chars) - 1))
			return EBADMSG;
	}
	memcpy(out, m.username, n);
	out[n] = '\0';
	return 0;
}

/* USERNAME is "<lufrag>:<rufrag>"; before the remote ufrag is known, any non-empty remote part */
static bool ice_username_ok(const struct ice_lite *ice, const struct stun_msg *m)
{
	size_t lu = strlen(ice->lufrag), ru = strlen(ice->rufrag);

	if (!m->username || !lu || m->username_len <= lu + 1 ||
	    memcmp(m->username, ice->lufrag, lu) != 0 || m->username[lu] != ':')
		return false;
	if (!ru)
		return true;
	return m->username_len == lu + 1 + ru && memcmp(m->username + lu + 1, ice->rufrag, ru) == 0;
}

static bool ice_addr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

static bool ice_fresh(const struct ice_pair *p, uint64_t now_us)
{
	/* a clock that never runs backwards makes the first test dead; it keeps the maths safe */
	return now_us < p->last_ok_us || now_us - p->last_ok_us < ICE_CONSENT_TIMEOUT_US;
}

static int ice_find(const struct ice_lite *ice, const struct sockaddr *addr)
{
	for (size_t i = 0; i < ice->npairs && i < ICE_MAX_PAIRS; i++) {
		if (ice_addr_eq((const struct sockaddr *)&ice->pairs[i].addr, addr))
			return (int)i;
	}
	return -1;
}

/* The slot for a new address: a free one, else the stalest that is not the selected one */
static int ice_slot(struct ice_lite *ice)
{
	int victim = -1;

	if (ice->npairs < ICE_MAX_PAIRS)
		return (int)ice->npairs++;
	for (int i = 0; i < ICE_MAX_PAIRS; i++) {
		if (i != ice->selected &&
		    (victim < 0 || ice->pairs[i].last_ok_us < ice->pairs[victim].last_ok_us))
			victim = i;
	}
	if (victim < 0) { /* only with a table of one: the selected address gives way */
		victim = 0;
		ice->selected = -1;
	}
	return victim;
}

/* from passed a check at now_us: record or refresh it, and select it when nominated or when
 * nothing usable is selected (a browser that nominates later simply moves the selection) */
static void ice_check_ok(struct ice_lite *ice, const struct sockaddr *from, uint64_t now_us,
			 bool nominated)
{
	int i = ice_find(ice, from);

	if (i < 0) {
		i = ice_slot(ice);
		struct ice_pair *p = &ice->pairs[i];
		memset(&p->addr, 0, sizeof(p->addr));
		memcpy(&p->addr, from, from->sa_family == AF_INET ? sizeof(struct sockaddr_in)
								  : sizeof(struct sockaddr_in6));
	}
	ice->pairs[i].last_ok_us = now_us;
	if (nominated || !ice_lite_dest(ice, now_us))
		ice->selected = i;
	ice->checks_ok++;
}

static enum ice_verdict ice_reply_error(struct ice_lite *ice, const struct stun_msg *m,
					int code, const char *reason, uint8_t *out, size_t cap,
					size_t *outlen)
{
	ice->checks_bad++;
	log_limited(LOG_DEBUG, "binding request rejected with %d %s", code, reason);
	if (code == 420)
		*outlen = stun_build_binding_error_unknown(
			out, cap, m->tid, m->unknown_required, m->n_unknown,
			(const uint8_t *)ice->lpwd, strlen(ice->lpwd));
	else
		*outlen = stun_build_binding_error(out, cap, m->tid, code, reason, NULL, 0);
	return *outlen ? ICE_REPLY_ERROR : ICE_DROP;
}

/* 0 when m is a binding request for this leg that is worth an answer, else a drop reason */
static const char *ice_screen(const struct ice_lite *ice, const struct stun_msg *m)
{
	if (m->type != STUN_BINDING_REQUEST)
		return "not a binding request";
	if (!m->fingerprint_off || !stun_msg_fingerprint_ok(m))
		return "missing or bad FINGERPRINT";
	if (!ice_username_ok(ice, m))
		return "USERNAME not for this leg";
	return NULL;
}

enum ice_verdict ice_lite_handle(struct ice_lite *ice, const uint8_t *pkt, size_t len,
				 const struct sockaddr *from, uint64_t now_us,
				 uint8_t *out, size_t cap, size_t *outlen)
{
	const uint8_t *pwd = (const uint8_t *)ice->lpwd;
	struct stun_msg m;
	const char *why;

	*outlen = 0;
	if (!from || (from->sa_family != AF_INET && from->sa_family != AF_INET6))
		return ICE_DROP;
	if (stun_msg_decode(&m, pkt, len)) {
		ice->checks_bad++;
		log_limited(LOG_DEBUG, "malformed STUN message of %zu bytes dropped", len);
		return ICE_DROP;
	}
	if (m.type == STUN_BINDING_INDICATION) /* keepalive: nothing to answer, nothing to learn */
		return ICE_DROP;
	why = ice_screen(ice, &m);
	if (why) {
		ice->checks_bad++;
		log_limited(LOG_DEBUG, "STUN message dropped: %s", why);
		return ICE_DROP;
	}
	if (!m.integrity_off)
		return ice_reply_error(ice, &m, 400, "Bad Request", out, cap, outlen);
	if (!stun_msg_integrity_ok(&m, pwd, strlen(ice->lpwd)))
		return ice_reply_error(ice, &m, 401, "Unauthorized", out, cap, outlen);
	if (m.n_unknown)
		return ice_reply_error(ice, &m, 420, "Unknown Attribute", out, cap, outlen);
	*outlen = stun_build_binding_success(out, cap, m.tid, from, pwd, strlen(ice->lpwd));
	if (!*outlen)
		return ICE_DROP;
	ice_check_ok(ice, from, now_us, m.use_candidate);
	return ICE_REPLY;
}

bool ice_lite_allowed(const struct ice_lite *ice, const struct sockaddr *from, uint64_t now_us)
{
	int i = from ? ice_find(ice, from) : -1;
	return i >= 0 && ice_fresh(&ice->pairs[i], now_us);
}

const struct sockaddr *ice_lite_dest(const struct ice_lite *ice, uint64_t now_us)
{
	int i = ice->selected;

	if (i < 0 || (size_t)i >= ice->npairs || !ice_fresh(&ice->pairs[i], now_us))
		return NULL;
	return (const struct sockaddr *)&ice->pairs[i].addr;
}

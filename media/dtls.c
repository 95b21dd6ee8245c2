/* dtls: DTLS-SRTP (RFC 5764) over OpenSSL memory BIOs. See media/dtls.h.
 *
 * The certificate owns the one SSL_CTX every leg's SSL is made from; it is configured once in
 * dtls_cert_create() and only read afterwards, so workers may call SSL_new() on it at once.
 * OpenSSL accepts any peer certificate; the leg checks the SHA-256 fingerprint from the SDP
 * itself once the handshake is done.
 *
 * Output: OpenSSL writes whole records into the write BIO (a memory BIO, so datagram
 * boundaries are lost). After every SSL call we split what is pending into records by their
 * 13-byte headers and pack consecutive records into datagrams of at most DTLS_MTU bytes;
 * OpenSSL already sizes each record to that MTU. Input: one datagram is written to the read
 * BIO, processed, and whatever OpenSSL left unread is discarded before the next one.
 *
 * States: any error before the handshake is done (an alert from the peer included) is
 * DTLS_FAILED with OpenSSL's reason, and so is a fingerprint mismatch or no common SRTP profile
 * (we then send close_notify). Once connected, close_notify or an alert from the peer is
 * DTLS_CLOSED. Records that do not parse are dropped silently, as DTLS wants.
 *
 * Retransmission: OpenSSL's timer, with our backoff (dtls_timer_cb); dtls_conn_deadline()
 * turns it into a time on the caller's monotonic clock. OpenSSL gives up after 12 timeouts.
 *
 * Not thread-safe per connection: one leg's dtls_conn is used by its worker only. The send
 * handler must not free the connection. */
#define LOG_MODULE "dtls"
#include "media/dtls.h"

#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/srtp.h>
#include <openssl/x509.h>

enum {
	DTLS_MTU = 1200,               /* largest datagram we send (fits any path with TURN) */
	DTLS_REC_HDR = 13,             /* type, version, epoch, sequence, length */
	DTLS_TIMER_FIRST_US = 400000,  /* first retransmission; a lost flight delays the call */
	DTLS_TIMER_MAX_US = 3200000,   /* backoff cap; OpenSSL gives up after 12 timeouts */
	DTLS_CERT_DAYS = 30,
};

#define DTLS_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define DTLS_GROUPS "X25519:P-256"
#define DTLS_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"
#define DTLS_EXPORTER_LABEL "EXTRACTOR-dtls_srtp"

struct dtls_cert {
	SSL_CTX *ctx;
	char fp_text[DTLS_FP_TEXT_LEN];
};

struct dtls_conn {
	SSL *ssl;
	BIO *rbio, *wbio;              /* owned by ssl */
	bool server;
	enum dtls_state state;
	uint8_t remote_fp[DTLS_FP_LEN];
	dtls_send_h *send;
	void *arg;
	struct srtp_keys keys;         /* valid once DTLS_CONNECTED */
	char err[192];
};

/* the SRTP profiles we negotiate: OpenSSL id -> ours, with RFC 5764 key and salt sizes */
static const struct dtls_profile {
	unsigned long ossl_id;
	enum srtp_profile_id id;
	size_t key_len, salt_len;
} dtls_profiles[] = {
	{SRTP_AEAD_AES_128_GCM, SRTP_PROFILE_AEAD_AES_128_GCM, 16, 12},
	{SRTP_AES128_CM_SHA1_80, SRTP_PROFILE_AES128_CM_SHA1_80, 16, 14},
};

static const char *const dtls_state_names[] = {
	[DTLS_HANDSHAKING] = "handshaking", [DTLS_CONNECTED] = "connected",
	[DTLS_FAILED] = "failed", [DTLS_CLOSED] = "closed",
};

static void dtls_fp_format(const uint8_t fp[DTLS_FP_LEN], char text[DTLS_FP_TEXT_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < DTLS_FP_LEN; i++) {
		text[3 * i] = hex[fp[i] >> 4];
		text[3 * i + 1] = hex[fp[i] & 0xf];
		text[3 * i + 2] = i + 1 < DTLS_FP_LEN ? ':' : '\0';
	}
}

static int dtls_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dtls_fp_parse(const char *text, uint8_t fp[DTLS_FP_LEN])
{
	if (!text || !fp || strlen(text) != DTLS_FP_TEXT_LEN - 1)
		return EINVAL;
	for (size_t i = 0; i < DTLS_FP_LEN; i++) {
		int hi = dtls_hexval(text[3 * i]), lo = dtls_hexval(text[3 * i + 1]);
		char sep = text[3 * i + 2];
		if (hi < 0 || lo < 0 || (i + 1 < DTLS_FP_LEN ? sep != ':' : sep != '\0'))
			return EINVAL;
		fp[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* ---- certificate and the shared SSL_CTX ---- */

static int dtls_cert_x509(EVP_PKEY *key, X509 **xp)
{
	uint64_t serial;
	int err = ENOMEM;
	X509 *x = X509_new();
	if (!x || RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		goto out;
	serial = (serial >> 2) | (1ULL << 62);  /* positive, 63 bits, never zero */
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400L) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400L * DTLS_CERT_DAYS) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"rapport", -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key) ||
	    !X509_sign(x, key, EVP_sha256()))
		goto out;
	*xp = x;
	x = NULL;
	err = 0;
out:
	X509_free(x);
	return err;
}

static int dtls_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;  /* self-signed by design: the fingerprint is checked after the handshake */
}

static SSL_CTX *dtls_ctx_new(X509 *x, EVP_PKEY *key)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dtls_verify_cb);
	if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_use_certificate(ctx, x) || !SSL_CTX_use_PrivateKey(ctx, key) ||
	    !SSL_CTX_check_private_key(ctx) || !SSL_CTX_set_cipher_list(ctx, DTLS_CIPHERS) ||
	    !SSL_CTX_set1_groups_list(ctx, DTLS_GROUPS) ||
	    SSL_CTX_set_tlsext_use_srtp(ctx, DTLS_SRTP_PROFILES) != 0 /* 0 is success */) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void dtls_cert_destroy(void *data)
{
	struct dtls_cert *c = data;
	SSL_CTX_free(c->ctx);
}

int dtls_cert_create(struct dtls_cert **cp)
{
	uint8_t fp[DTLS_FP_LEN];
	unsigned fp_len = 0;
	X509 *x = NULL;
	int err = ENOMEM;  /* what OpenSSL failing here comes down to */
	if (!cp)
		return EINVAL;
	struct dtls_cert *c = mem_alloc(sizeof(*c), dtls_cert_destroy);
	EVP_PKEY *key = EVP_EC_gen("P-256");
	if (!c || !key || dtls_cert_x509(key, &x) != 0)
		goto out;
	if (!X509_digest(x, EVP_sha256(), fp, &fp_len) || fp_len != DTLS_FP_LEN)
		goto out;
	dtls_fp_format(fp, c->fp_text);
	c->ctx = dtls_ctx_new(x, key);
	if (!c->ctx)
		goto out;
	*cp = c;
	c = NULL;
	err = 0;
out:
	if (err) {
		log_error("cannot create the DTLS certificate: %s",
			  ERR_reason_error_string(ERR_peek_last_error()));
		ERR_clear_error();
	}
	X509_free(x);
	EVP_PKEY_free(key);
	mem_deref(c);
	return err;
}

const char *dtls_cert_fingerprint(const struct dtls_cert *c)
{
	return c ? c->fp_text : "";
}

/* ---- one association ---- */

/* the one place state changes; a failure or close keeps the first reason given */
static void dtls_set_state(struct dtls_conn *d, enum dtls_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void dtls_set_state(struct dtls_conn *d, enum dtls_state st, const char *fmt, ...)
{
	if (d->state == st || d->state == DTLS_FAILED || d->state == DTLS_CLOSED)
		return;
	d->state = st;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->err, sizeof(d->err), fmt, ap);
		va_end(ap);
	}
	if (st == DTLS_FAILED)
		log_warn("%s: %s", dtls_state_names[st], d->err);
	else
		log_info("%s%s%s", dtls_state_names[st], fmt ? ": " : "", fmt ? d->err : "");
}

/* the reason OpenSSL gives for the last error on this thread; clears the error queue */
static const char *dtls_ssl_reason(char *buf, size_t size, int ssl_err)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	if (r)
		snprintf(buf, size, "%s", r);
	else if (e)
		ERR_error_string_n(e, buf, size);
	else
		snprintf(buf, size, "SSL error %d", ssl_err);
	ERR_clear_error();
	return buf;
}

/* a fatal alert the peer sent shows up as SSL_AD_REASON_OFFSET + the alert code */
static bool dtls_peer_alerted(void)
{
	unsigned long e = ERR_peek_last_error();
	return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET;
}

static size_t dtls_record_len(const uint8_t *p, size_t avail)
{
	if (avail < DTLS_REC_HDR)
		return avail;
	size_t len = DTLS_REC_HDR + ((size_t)p[11] << 8 | p[12]);
	return len <= avail ? len : avail;
}

/* hand what OpenSSL wrote to the wire, one send() per datagram of whole records */
static void dtls_flush(struct dtls_conn *d)
{
	char *data = NULL;
	long n = BIO_get_mem_data(d->wbio, &data);
	if (n <= 0 || !data)
		return;
	const uint8_t *p = (const uint8_t *)data;
	size_t total = (size_t)n, start = 0, off = 0;
	while (off < total) {
		size_t rec = dtls_record_len(p + off, total - off);
		if (off > start && off + rec - start > DTLS_MTU) {
			d->send(p + start, off - start, d->arg);
			start = off;
		}
		off += rec;
	}
	if (off > start)
		d->send(p + start, off - start, d->arg);
	(void)BIO_reset(d->wbio);
}

static int dtls_check_fingerprint(struct dtls_conn *d)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	char text[DTLS_FP_TEXT_LEN];
	X509 *peer = SSL_get1_peer_certificate(d->ssl);
	if (!peer) {
		dtls_set_state(d, DTLS_FAILED, "the peer sent no certificate");
		return EPROTO;
	}
	int ok = X509_digest(peer, EVP_sha256(), md, &md_len);
	X509_free(peer);
	if (!ok || md_len != DTLS_FP_LEN) {
		dtls_set_state(d, DTLS_FAILED, "cannot hash the peer certificate");
		return EPROTO;
	}
	if (CRYPTO_memcmp(md, d->remote_fp, DTLS_FP_LEN) != 0) {
		dtls_fp_format(md, text);
		dtls_set_state(d, DTLS_FAILED, "fingerprint mismatch: the peer certificate's "
			       "sha-256 fingerprint %s is not the one in its SDP", text);
		return EPROTO;
	}
	return 0;
}

static const struct dtls_profile *dtls_profile_find(unsigned long ossl_id)
{
	for (size_t i = 0; i < sizeof(dtls_profiles) / sizeof(dtls_profiles[0]); i++) {
		if (dtls_profiles[i].ossl_id == ossl_id)
			return &dtls_profiles[i];
	}
	return NULL;
}

/* RFC 5764 §4.2: client key | server key | client salt | server salt */
static int dtls_export_keys(struct dtls_conn *d)
{
	uint8_t m[2 * sizeof(d->keys.local)];
	const SRTP_PROTECTION_PROFILE *sp = SSL_get_selected_srtp_profile(d->ssl);
	const struct dtls_profile *p = sp ? dtls_profile_find(sp->id) : NULL;
	if (!p) {
		dtls_set_state(d, DTLS_FAILED, "no common SRTP profile (use_srtp)");
		return EPROTO;
	}
	size_t kl = p->key_len, sl = p->salt_len;
	if (SSL_export_keying_material(d->ssl, m, 2 * (kl + sl), DTLS_EXPORTER_LABEL,
				       strlen(DTLS_EXPORTER_LABEL), NULL, 0, 0) != 1) {
		ERR_clear_error();
		dtls_set_state(d, DTLS_FAILED, "cannot export the SRTP keying material");
		return EPROTO;
	}
	const uint8_t *ck = m, *sk = m + kl, *cs = m + 2 * kl, *ss = m + 2 * kl + sl;
	memcpy(d->keys.local, d->server ? sk : ck, kl);
	memcpy(d->keys.local + kl, d->server ? ss : cs, sl);
	memcpy(d->keys.remote, d->server ? ck : sk, kl);
	memcpy(d->keys.remote + kl, d->server ? cs : ss, sl);
	d->keys.profile = p->id;
	d->keys.len = kl + sl;
	OPENSSL_cleanse(m, sizeof(m));
	return 0;
}

static void dtls_handshake_done(struct dtls_conn *d)
{
	if (dtls_check_fingerprint(d) != 0 || dtls_export_keys(d) != 0) {
		(void)SSL_shutdown(d->ssl);  /* close_notify, so the peer gives up at once */
		ERR_clear_error();
		return;
	}
	const SRTP_PROTECTION_PROFILE *sp = SSL_get_selected_srtp_profile(d->ssl);
	dtls_set_state(d, DTLS_CONNECTED, "%s, %s, %s", SSL_get_version(d->ssl),
		       SSL_get_cipher_name(d->ssl), sp ? sp->name : "?");
	d->err[0] = '\0';
}

static void dtls_handshake_step(struct dtls_conn *d)
{
	char why[128];
	int r = SSL_do_handshake(d->ssl);
	if (r == 1) {
		dtls_handshake_done(d);
		return;
	}
	int e = SSL_get_error(d->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();  /* records OpenSSL dropped as invalid leave nothing behind */
		return;
	}
	dtls_set_state(d, DTLS_FAILED, "handshake failed: %s", dtls_ssl_reason(why, sizeof(why), e));
}

/* after the handshake: consume records (application data is not used by WebRTC media), let
 * OpenSSL answer a retransmitted final flight, and notice close_notify or alerts */
static void dtls_read_records(struct dtls_conn *d)
{
	uint8_t buf[2048];
	char why[128];
	for (int i = 0; i < 64; i++) {
		int r = SSL_read(d->ssl, buf, sizeof(buf));
		if (r > 0)
			continue;
		int e = SSL_get_error(d->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			ERR_clear_error();
			return;
		}
		if (e == SSL_ERROR_ZERO_RETURN) {
			dtls_set_state(d, DTLS_CLOSED, "the peer sent close_notify");
		} else if (dtls_peer_alerted()) {
			dtls_set_state(d, DTLS_CLOSED, "the peer sent an alert: %s",
				       dtls_ssl_reason(why, sizeof(why), e));
		} else {
			dtls_set_state(d, DTLS_FAILED, "%s", dtls_ssl_reason(why, sizeof(why), e));
		}
		ERR_clear_error();
		return;
	}
}

static unsigned int dtls_timer_cb(SSL *ssl, unsigned int prev_us)
{
	(void)ssl;
	if (prev_us == 0)
		return DTLS_TIMER_FIRST_US;
	return prev_us >= DTLS_TIMER_MAX_US / 2 ? DTLS_TIMER_MAX_US : 2 * prev_us;
}

static void dtls_conn_destroy(void *data)
{
	struct dtls_conn *d = data;
	SSL_free(d->ssl);
	OPENSSL_cleanse(&d->keys, sizeof(d->keys));
}

static int dtls_conn_setup(struct dtls_conn *d, SSL_CTX *ctx)
{
	d->ssl = SSL_new(ctx);
	if (!d->ssl)
		return ENOMEM;
	d->rbio = BIO_new(BIO_s_mem());
	d->wbio = BIO_new(BIO_s_mem());
	if (!d->rbio || !d->wbio) {
		BIO_free(d->rbio);
		BIO_free(d->wbio);
		return ENOMEM;
	}
	BIO_set_mem_eof_return(d->rbio, -1);  /* empty means "try again", not EOF */
	BIO_set_mem_eof_return(d->wbio, -1);
	SSL_set_bio(d->ssl, d->rbio, d->wbio);
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	if (!SSL_set_mtu(d->ssl, DTLS_MTU))
		return EINVAL;
	DTLS_set_timer_cb(d->ssl, dtls_timer_cb);
	if (d->server)
		SSL_set_accept_state(d->ssl);
	else
		SSL_set_connect_state(d->ssl);
	return 0;
}

int dtls_conn_alloc(struct dtls_conn **dp, const struct dtls_cert *cert, bool server,
		    const uint8_t remote_fp[DTLS_FP_LEN], dtls_send_h *send, void *arg)
{
	if (!dp || !cert || !remote_fp || !send)
		return EINVAL;
	struct dtls_conn *d = mem_alloc(sizeof(*d), dtls_conn_destroy);
	if (!d)
		return ENOMEM;
	d->server = server;
	d->state = DTLS_HANDSHAKING;
	memcpy(d->remote_fp, remote_fp, DTLS_FP_LEN);
	d->send = send;
	d->arg = arg;
	int err = dtls_conn_setup(d, cert->ctx);
	ERR_clear_error();
	if (err) {
		mem_deref(d);
		return err;
	}
	*dp = d;
	return 0;
}

/* 0 when the datagram was taken (garbage is dropped silently, as DTLS does), EPROTO when the
 * association failed on it, ENOTCONN once it is failed or closed */
int dtls_conn_recv(struct dtls_conn *d, const uint8_t *data, size_t len)
{
	if (!d || !data || len == 0 || len > INT_MAX)
		return EINVAL;
	if (d->state == DTLS_FAILED || d->state == DTLS_CLOSED)
		return ENOTCONN;
	ERR_clear_error();
	if (BIO_write(d->rbio, data, (int)len) != (int)len) {
		ERR_clear_error();
		return ENOMEM;
	}
	if (d->state == DTLS_HANDSHAKING)
		dtls_handshake_step(d);
	if (d->state == DTLS_CONNECTED)
		dtls_read_records(d);
	(void)BIO_reset(d->rbio);  /* never let one datagram's leftovers run into the next */
	dtls_flush(d);
	return d->state == DTLS_FAILED ? EPROTO : 0;
}

int dtls_conn_connect(struct dtls_conn *d)
{
	if (!d)
		return EINVAL;
	if (d->server)
		return EINVAL;  /* a server waits for the ClientHello */
	if (d->state != DTLS_HANDSHAKING)
		return EALREADY;
	ERR_clear_error();
	dtls_handshake_step(d);
	dtls_flush(d);
	return d->state == DTLS_FAILED ? EPROTO : 0;
}

uint64_t dtls_conn_deadline(struct dtls_conn *d, uint64_t now_us)
{
	struct timeval tv;
	if (!d || (d->state != DTLS_HANDSHAKING && d->state != DTLS_CONNECTED))
		return 0;
	if (DTLSv1_get_timeout(d->ssl, &tv) != 1)
		return 0;
	uint64_t t = now_us + (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	return t ? t : 1;
}

void dtls_conn_timeout(struct dtls_conn *d)
{
	char why[128];
	if (!d || (d->state != DTLS_HANDSHAKING && d->state != DTLS_CONNECTED))
		return;
	ERR_clear_error();
	if (DTLSv1_handle_timeout(d->ssl) < 0)  /* 0: not yet due; 1: retransmitted */
		dtls_set_state(d, DTLS_FAILED, "handshake timed out: %s",
			       dtls_ssl_reason(why, sizeof(why), SSL_ERROR_SSL));
	ERR_clear_error();
	dtls_flush(d);
}

enum dtls_state dtls_conn_state(const struct dtls_conn *d)
{
	return d ? d->state : DTLS_FAILED;
}

const char *dtls_conn_error(const struct dtls_conn *d)
{
	return d ? d->err : "";
}

int dtls_conn_keys(struct dtls_conn *d, struct srtp_keys *keys)
{
	if (!d || !keys)
		return EINVAL;
	if (d->state != DTLS_CONNECTED)
		return ENOTCONN;
	*keys = d->keys;
	return 0;
}

void dtls_conn_close(struct dtls_conn *d)
{
	if (!d || d->state == DTLS_FAILED || d->state == DTLS_CLOSED)
		return;
	ERR_clear_error();
	if (d->state == DTLS_CONNECTED)
		(void)SSL_shutdown(d->ssl);
	ERR_clear_error();
	dtls_set_state(d, DTLS_CLOSED, "closed by us");
	dtls_flush(d);
}

/* stun: STUN message codec (RFC 5389/8489) for ICE-lite. See stun.h.
 *
 * Decoding walks the attributes once through a table of known types; nothing is copied.
 * Encoding appends attributes to the caller's buffer, then MESSAGE-INTEGRITY and FINGERPRINT,
 * each computed with the header length fixed up to end at that attribute (RFC 5389 §15.4/15.5).
 *
 * HMAC-SHA1 goes through OpenSSL's EVP_MAC with two updates (the fixed-up header, then the rest),
 * so the message is never copied. OpenSSL allocates its context internally; STUN runs at the
 * rate of connectivity and consent checks (a few per second per leg), not per media packet. */
#include "media/stun.h"
#include "base/bytes.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define STUN_MI_LEN 20           /* HMAC-SHA1 */
#define STUN_FP_LEN 4
#define STUN_FP_XOR 0x5354554eu  /* "STUN" */
#define STUN_REASON_MAX 763      /* RFC 8489 §14.8 */
#define STUN_USERNAME_MAX 512    /* RFC 8489 §14.3: less than 513 bytes */

/* ---- CRC-32 (IEEE 802.3, reflected, as in zlib) with a 16-entry nibble table ---- */

static const uint32_t stun_crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

static uint32_t stun_crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ stun_crc_nibble[crc & 0xf];
		crc = (crc >> 4) ^ stun_crc_nibble[crc & 0xf];
	}
	return crc ^ 0xffffffffu;
}

/* ---- HMAC-SHA1 over a fixed-up header and the body that follows it ---- */

static bool stun_hmac(const uint8_t *key, size_t keylen, const uint8_t hdr[STUN_HDR_LEN],
		      const uint8_t *body, size_t bodylen, uint8_t mac[STUN_MI_LEN])
{
	static const uint8_t empty[1];
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = alg ? EVP_MAC_CTX_new(alg) : NULL;
	size_t outl = 0;
	bool ok = false;

	if (!ctx)
		goto out;
	if (!EVP_MAC_init(ctx, keylen ? key : empty, keylen, params) ||
	    !EVP_MAC_update(ctx, hdr, STUN_HDR_LEN) ||
	    (bodylen && !EVP_MAC_update(ctx, body, bodylen)) ||
	    !EVP_MAC_final(ctx, mac, &outl, STUN_MI_LEN))
		goto out;
	ok = outl == STUN_MI_LEN;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(alg);
	return ok;
}

/* ---- decoding ---- */

typedef int (stun_attr_dec_h)(struct stun_msg *m, const uint8_t *v, size_t len, size_t off);

static int stun_dec_username(struct stun_msg *m, const uint8_t *v, size_t len, size_t off)
{
	(void)off;
	m->username = v;
	m->username_len = len;
	return 0;
}

static int stun_dec_integrity(struct stun_msg *m, const uint8_t *v, size_t len, size_t off)
{
	(void)v, (void)len;
	m->integrity_off = off;
	return 0;
}

static int stun_dec_fingerprint(struct stun_msg *m, const uint8_t *v, size_t len, size_t off)
{
	(void)v, (void)len;
	m->fingerprint_off = off;
	return 0;
}

static int stun_dec_error_code(struct stun_msg *m, const uint8_t *v, size_t len, size_t off)
{
	(void)len, (void)off;
	unsigned cls = v[2] & 7u, num = v[3];
	if (cls < 3 || cls > 6 || num > 99)
		return EBADMSG;
	m->error_code = (int)(cls * 100 + num);
	return 0;
}

static int stun_dec_xor_mapped(struct stun_msg *m, const uint8_t *v, size_t len, size_t off)
{
	(void)off;
	uint16_t port = bytes_rd16(v + 2) ^ (uint16_t)(STUN_MAGIC >> 16);
	memset(&m->xor_mapped, 0, sizeof(m->xor_mapped));
	if (v[1] == 1 && len == 8) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&m->xor_mapped;
		uint32_t a = bytes_rd32(v + 4) ^ STUN_MAGIC;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(a);
	} else if (v[1] == 2 && len == 20) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&m->xor_mapped;
		const uint8_t *mask = m->buf + 4; /* magic cookie then transaction id */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		for (size_t i = 0; i < 16; i++)
			sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ mask[i];
	} else {
		return EBADMSG;
	}
	m->has_xor_mapped = true;
	return 0;
}

static int stun_dec_priority(struct stun_msg *m, const uint8_t *v, size_t len, size_t off)
{
	(void)len, (void)off;
	m->has_priority = true;
	m->priority = bytes_rd32(v);
	return 0;
}

static int stun_dec_use_candidate(struct stun_msg *m, const uint8_t *v, size_t len, size_t off)
{
	(void)v, (void)len, (void)off;
	m->use_candidate = true;
	return 0;
}

static int stun_dec_controlling(struct stun_msg *m, const uint8_t *v, size_t len, size_t off)
{
	(void)len, (void)off;
	m->has_controlling = true;
	m->tiebreaker = (uint64_t)bytes_rd32(v) << 32 | bytes_rd32(v + 4);
	return 0;
}

static int stun_dec_controlled(struct stun_msg *m, const uint8_t *v, size_t len, size_t off)
{
	(void)len, (void)off;
	m->has_controlled = true;
	m->tiebreaker = (uint64_t)bytes_rd32(v) << 32 | bytes_rd32(v + 4);
	return 0;
}

/* Known attributes with their allowed value lengths. A NULL handler means "understood and
 * ignored". Only the first occurrence of a type is processed (RFC 8489 §14). */
static const struct stun_attr_def {
	uint16_t type;
	uint16_t min, max;
	stun_attr_dec_h *dec;
} stun_attr_defs[] = {
	{STUN_ATTR_MAPPED_ADDRESS, 0, 0xffff, NULL},
	{STUN_ATTR_USERNAME, 0, STUN_USERNAME_MAX, stun_dec_username},
	{STUN_ATTR_MESSAGE_INTEGRITY, STUN_MI_LEN, STUN_MI_LEN, stun_dec_integrity},
	{STUN_ATTR_ERROR_CODE, 4, 4 + STUN_REASON_MAX, stun_dec_error_code},
	{STUN_ATTR_UNKNOWN_ATTRIBUTES, 0, 0xffff, NULL},
	{STUN_ATTR_XOR_MAPPED_ADDRESS, 8, 20, stun_dec_xor_mapped},
	{STUN_ATTR_PRIORITY, 4, 4, stun_dec_priority},
	{STUN_ATTR_USE_CANDIDATE, 0, 0, stun_dec_use_candidate},
	{STUN_ATTR_SOFTWARE, 0, 0xffff, NULL},
	{STUN_ATTR_FINGERPRINT, STUN_FP_LEN, STUN_FP_LEN, stun_dec_fingerprint},
	{STUN_ATTR_ICE_CONTROLLED, 8, 8, stun_dec_controlled},
	{STUN_ATTR_ICE_CONTROLLING, 8, 8, stun_dec_controlling},
};
#define STUN_NDEFS (sizeof(stun_attr_defs) / sizeof(stun_attr_defs[0]))

static int stun_dec_attr(struct stun_msg *m, uint16_t type, const uint8_t *v, size_t len,
			 size_t off, uint32_t *seen)
{
	for (size_t i = 0; i < STUN_NDEFS; i++) {
		const struct stun_attr_def *d = &stun_attr_defs[i];
		if (d->type != type)
			continue;
		if (len < d->min || len > d->max)
			return EBADMSG;
		if (*seen & (1u << i))
			return 0;
		*seen |= 1u << i;
		return d->dec ? d->dec(m, v, len, off) : 0;
	}
	if (type < 0x8000 && m->n_unknown < sizeof(m->unknown_required) / sizeof(uint16_t))
		m->unknown_required[m->n_unknown++] = type;
	return 0;
}

bool stun_is_stun(const uint8_t *buf, size_t len)
{
	return buf && len >= STUN_HDR_LEN && buf[0] < 4 && bytes_rd32(buf + 4) == STUN_MAGIC;
}

int stun_msg_decode(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	uint32_t seen = 0;
	int err = EBADMSG;

	memset(m, 0, sizeof(*m));
	if (!stun_is_stun(buf, len)) /* also: first two bits zero, magic cookie */
		goto out;
	size_t alen = bytes_rd16(buf + 2);
	if (alen % 4 || STUN_HDR_LEN + alen != len)
		goto out;
	m->buf = buf;
	m->len = len;
	m->type = bytes_rd16(buf);
	m->tid = buf + 8;
	for (size_t off = STUN_HDR_LEN; off < len;) {
		uint16_t type = bytes_rd16(buf + off), vlen = bytes_rd16(buf + off + 2);
		size_t padded = ((size_t)vlen + 3) & ~(size_t)3;
		if (padded > len - off - 4 || m->fingerprint_off ||
		    (m->integrity_off && type != STUN_ATTR_FINGERPRINT))
			goto out;
		err = stun_dec_attr(m, type, buf + off + 4, vlen, off, &seen);
		if (err)
			goto out;
		err = EBADMSG;
		off += 4 + padded;
	}
	err = 0;
out:
	if (err)
		memset(m, 0, sizeof(*m));
	return err;
}

bool stun_msg_integrity_ok(const struct stun_msg *m, const uint8_t *key, size_t keylen)
{
	uint8_t hdr[STUN_HDR_LEN], mac[STUN_MI_LEN];
	size_t off = m->integrity_off;

	if (!m->buf || !off || !key || !keylen || off + 4 + STUN_MI_LEN > m->len)
		return false;
	memcpy(hdr, m->buf, STUN_HDR_LEN);
	bytes_wr16(hdr + 2, (uint16_t)(off + 4 + STUN_MI_LEN - STUN_HDR_LEN));
	if (!stun_hmac(key, keylen, hdr, m->buf + STUN_HDR_LEN, off - STUN_HDR_LEN, mac))
		return false;
	return CRYPTO_memcmp(mac, m->buf + off + 4, STUN_MI_LEN) == 0;
}

bool stun_msg_fingerprint_ok(const struct stun_msg *m)
{
	size_t off = m->fingerprint_off;

	if (!m->buf || !off || off + 4 + STUN_FP_LEN != m->len)
		return false;
	return (stun_crc32(m->buf, off) ^ STUN_FP_XOR) == bytes_rd32(m->buf + off + 4);
}

/* ---- encoding ---- */

struct stun_enc {
	uint8_t *buf;
	size_t cap, pos;
	bool full;                /* something did not fit: the message is unusable */
};

static void stun_enc_start(struct stun_enc *e, uint8_t *out, size_t cap, uint16_t type,
			   const uint8_t tid[12])
{
	*e = (struct stun_enc){.buf = out, .cap = cap, .full = !out || !tid || cap < STUN_HDR_LEN};
	if (e->full)
		return;
	bytes_wr16(out, type);
	bytes_wr16(out + 2, 0);
	bytes_wr32(out + 4, STUN_MAGIC);
	memcpy(out + 8, tid, 12);
	e->pos = STUN_HDR_LEN;
}

/* Appends an attribute header and zeroed, padded room for len bytes; returns the value or NULL */
static uint8_t *stun_enc_attr(struct stun_enc *e, uint16_t type, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;

	if (e->full || len > 0xffff || padded + 4 > e->cap - e->pos ||
	    e->pos + 4 + padded - STUN_HDR_LEN > 0xffff) {
		e->full = true;
		return NULL;
	}
	uint8_t *p = e->buf + e->pos;
	bytes_wr16(p, type);
	bytes_wr16(p + 2, (uint16_t)len);
	memset(p + 4, 0, padded);
	e->pos += 4 + padded;
	return p + 4;
}

static void stun_enc_bytes(struct stun_enc *e, uint16_t type, const void *v, size_t len)
{
	uint8_t *p = stun_enc_attr(e, type, len);
	if (p && len)
		memcpy(p, v, len);
}

static void stun_enc_u32(struct stun_enc *e, uint16_t type, uint32_t v)
{
	uint8_t *p = stun_enc_attr(e, type, 4);
	if (p)
		bytes_wr32(p, v);
}

/* Sets the header length as if the message ended extra bytes after the current position */
static void stun_enc_setlen(struct stun_enc *e, size_t extra)
{
	bytes_wr16(e->buf + 2, (uint16_t)(e->pos + extra - STUN_HDR_LEN));
}

/* Appends MESSAGE-INTEGRITY (when key) and FINGERPRINT; returns the length or 0 */
static size_t stun_enc_finish(struct stun_enc *e, const uint8_t *key, size_t keylen)
{
	uint8_t mac[STUN_MI_LEN];

	if (key && !e->full) {
		stun_enc_setlen(e, 4 + STUN_MI_LEN);
		if (!stun_hmac(key, keylen, e->buf, e->buf + STUN_HDR_LEN,
			       e->pos - STUN_HDR_LEN, mac))
			return 0;
		stun_enc_bytes(e, STUN_ATTR_MESSAGE_INTEGRITY, mac, sizeof(mac));
	}
	if (e->full)
		return 0;
	stun_enc_setlen(e, 4 + STUN_FP_LEN);
	uint32_t crc = stun_crc32(e->buf, e->pos) ^ STUN_FP_XOR;
	stun_enc_u32(e, STUN_ATTR_FINGERPRINT, crc);
	return e->full ? 0 : e->pos;
}

static void stun_enc_xor_mapped(struct stun_enc *e, const struct sockaddr *sa)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;

	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		ip = (const uint8_t *)&sin->sin_addr;
		iplen = 4;
		port = ntohs(sin->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		/* a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d: answer in IPv4 */
		bool mapped = memcmp(sin6->sin6_addr.s6_addr, v4mapped, 12) == 0;
		ip = sin6->sin6_addr.s6_addr + (mapped ? 12 : 0);
		iplen = mapped ? 4 : 16;
		port = ntohs(sin6->sin6_port);
	} else {
		e->full = true;
		return;
	}
	uint8_t *v = stun_enc_attr(e, STUN_ATTR_XOR_MAPPED_ADDRESS, 4 + iplen);
	if (!v)
		return;
	v[1] = iplen == 4 ? 1 : 2;
	bytes_wr16(v + 2, port ^ (uint16_t)(STUN_MAGIC >> 16));
	for (size_t i = 0; i < iplen; i++) /* cookie then transaction id, both in the header */
		v[4 + i] = ip[i] ^ e->buf[4 + i];
}

size_t stun_build_binding_success(uint8_t *out, size_t cap, const uint8_t tid[12],
				  const struct sockaddr *mapped, const uint8_t *key, size_t keylen)
{
	struct stun_enc e;

	stun_enc_start(&e, out, cap, STUN_BINDING_SUCCESS, tid);
	stun_enc_xor_mapped(&e, mapped);
	return stun_enc_finish(&e, key, keylen);
}

static void stun_enc_error_code(struct stun_enc *e, int code, const char *reason)
{
	size_t rlen = reason ? strnlen(reason, STUN_REASON_MAX + 1) : 0;

	if (code < 300 || code > 699 || rlen > STUN_REASON_MAX) {
		e->full = true;
		return;
	}
	uint8_t *v = stun_enc_attr(e, STUN_ATTR_ERROR_CODE, 4 + rlen);
	if (!v)
		return;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	if (rlen)
		memcpy(v + 4, reason, rlen);
}

size_t stun_build_binding_error(uint8_t *out, size_t cap, const uint8_t tid[12], int code,
				const char *reason, const uint8_t *key, size_t keylen)
{
	struct stun_enc e;

	stun_enc_start(&e, out, cap, STUN_BINDING_ERROR, tid);
	stun_enc_error_code(&e, code, reason);
	return stun_enc_finish(&e, key, keylen);
}

size_t stun_build_binding_error_unknown(uint8_t *out, size_t cap, const uint8_t tid[12],
					const uint16_t *attrs, size_t n, const uint8_t *key,
					size_t keylen)
{
	struct stun_enc e;

	stun_enc_start(&e, out, cap, STUN_BINDING_ERROR, tid);
	stun_enc_error_code(&e, 420, "Unknown Attribute");
	uint8_t *v = (attrs || !n) && n <= 0x7fff ? stun_enc_attr(&e, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n) : NULL;
	if (!v)
		e.full = true;
	for (size_t i = 0; v && i < n; i++)
		bytes_wr16(v + 2 * i, attrs[i]);
	return stun_enc_finish(&e, key, keylen);
}

size_t stun_build_binding_request(uint8_t *out, size_t cap, const uint8_t tid[12],
				  const char *username, const uint8_t *key, size_t keylen,
				  uint32_t priority, uint64_t tiebreaker, bool use_candidate)
{
	struct stun_enc e;
	size_t ulen = username ? strnlen(username, STUN_USERNAME_MAX + 1) : 0;

	stun_enc_start(&e, out, cap, STUN_BINDING_REQUEST, tid);
	if (ulen > STUN_USERNAME_MAX)
		e.full = true;
	if (username)
		stun_enc_bytes(&e, STUN_ATTR_USERNAME, username, ulen);
	stun_enc_u32(&e, STUN_ATTR_PRIORITY, priority);
	uint8_t *v = stun_enc_attr(&e, STUN_ATTR_ICE_CONTROLLING, 8);
	if (v) {
		bytes_wr32(v, (uint32_t)(tiebreaker >> 32));
		bytes_wr32(v + 4, (uint32_t)tiebreaker);
	}
	if (use_candidate)
		stun_enc_attr(&e, STUN_ATTR_USE_CANDIDATE, 0);
	return stun_enc_finish(&e, key, keylen);
}

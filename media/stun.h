/* stun: STUN message codec (RFC 5389/8489) for ICE-lite: decode, check MESSAGE-INTEGRITY
 * (short-term credentials) and FINGERPRINT, and build binding responses.
 *
 * Decoding never copies: struct stun_msg points into the caller's buffer, which must outlive it.
 * All functions are pure (no allocation, no globals) and safe on any bytes. */
#ifndef MEDIA_STUN_H
#define MEDIA_STUN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HDR_LEN 20
#define STUN_MAGIC 0x2112A442u
enum stun_type {
	STUN_BINDING_REQUEST = 0x0001,
	STUN_BINDING_SUCCESS = 0x0101,
	STUN_BINDING_ERROR = 0x0111,
	STUN_BINDING_INDICATION = 0x0011,
};
enum stun_attr {
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_PRIORITY = 0x0024,
	STUN_ATTR_USE_CANDIDATE = 0x0025,
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,
	STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

struct stun_msg {
	const uint8_t *buf;       /* the whole message */
	size_t len;               /* header + attributes, as declared by the header */
	uint16_t type;
	const uint8_t *tid;       /* 12 bytes */
	const uint8_t *username;  /* not NUL-terminated; NULL if absent */
	size_t username_len;
	size_t integrity_off;     /* offset of the MESSAGE-INTEGRITY attribute header, 0 if absent */
	size_t fingerprint_off;   /* offset of the FINGERPRINT attribute header, 0 if absent */
	bool use_candidate;
	bool has_priority;
	uint32_t priority;
	bool has_controlling, has_controlled;
	uint64_t tiebreaker;
	uint16_t unknown_required[4]; /* comprehension-required attributes we do not know */
	size_t n_unknown;
	int error_code;           /* from ERROR-CODE, 0 if absent */
	bool has_xor_mapped;
	struct sockaddr_storage xor_mapped;
};

/* true when the first bytes look like STUN (RFC 7983: first byte 0..3 and magic cookie) */
bool stun_is_stun(const uint8_t *buf, size_t len);
/* 0, or EBADMSG for anything malformed (lengths, padding, attribute order after INTEGRITY) */
int stun_msg_decode(struct stun_msg *m, const uint8_t *buf, size_t len);
/* HMAC-SHA1 over the message up to MESSAGE-INTEGRITY with the length fixed up as RFC 5389 §15.4 */
bool stun_msg_integrity_ok(const struct stun_msg *m, const uint8_t *key, size_t keylen);
bool stun_msg_fingerprint_ok(const struct stun_msg *m);

/* Builders write into out (capacity cap) and return the length, or 0 if it does not fit. */
/* Binding success with XOR-MAPPED-ADDRESS(mapped), MESSAGE-INTEGRITY(key), FINGERPRINT */
size_t stun_build_binding_success(uint8_t *out, size_t cap, const uint8_t tid[12],
				  const struct sockaddr *mapped, const uint8_t *key, size_t keylen);
/* Binding error with ERROR-CODE(code, reason); MESSAGE-INTEGRITY when key != NULL; FINGERPRINT */
size_t stun_build_binding_error(uint8_t *out, size_t cap, const uint8_t tid[12], int code,
				const char *reason, const uint8_t *key, size_t keylen);
/* Binding error 420 (Unknown Attribute) with ERROR-CODE and UNKNOWN-ATTRIBUTES(attrs, n of them),
 * MESSAGE-INTEGRITY when key != NULL, FINGERPRINT (RFC 8489 §6.3.1.1 requires the list). */
size_t stun_build_binding_error_unknown(uint8_t *out, size_t cap, const uint8_t tid[12],
					const uint16_t *attrs, size_t n, const uint8_t *key,
					size_t keylen);
/* Binding request as an ICE controlling agent would send it (for tests and the load generator):
 * USERNAME, PRIORITY, ICE-CONTROLLING(tiebreaker), USE-CANDIDATE if asked, MI, FINGERPRINT */
size_t stun_build_binding_request(uint8_t *out, size_t cap, const uint8_t tid[12],
				  const char *username, const uint8_t *key, size_t keylen,
				  uint32_t priority, uint64_t tiebreaker, bool use_candidate);

#endif

/* token: signed, expiring session tokens (HMAC-SHA256 with a server secret).
 *
 * A token is base64url (no padding) of a 26-byte payload followed by its 32-byte HMAC:
 *   version (1) = 1 | kind (1) | subject id (8, big-endian) | expiry (8, ms since the Unix
 *   epoch, big-endian) | nonce (8, random, so two tokens for the same subject differ)
 * which makes every token exactly TOKEN_LEN characters.
 *
 * The secret lives in <data_dir>/secret.key: 32 random bytes, created with mode 0600 on first
 * start (written to a temporary file, fsynced, then linked into place, so a crash never leaves
 * a short key and two processes starting at once agree on one key). Replacing the file
 * invalidates every token issued before. */
#ifndef SIGNALING_TOKEN_H
#define SIGNALING_TOKEN_H
#include <stddef.h>
#include <stdint.h>

#define TOKEN_KEY_LEN 32
#define TOKEN_LEN 78            /* characters of every token */
#define TOKEN_STR_MAX (TOKEN_LEN + 1)
#define TOKEN_DIGEST_LEN 32

enum token_kind {
	TOKEN_ANY = 0,          /* only as the expected kind of token_verify(): accept any kind */
	TOKEN_CUSTOMER = 1,
	TOKEN_AGENT,
	TOKEN_INTERPRETER,
	TOKEN_SUPERVISOR,
	TOKEN_ADMIN,
};

enum token_status {
	TOKEN_OK = 0,
	TOKEN_MALFORMED,        /* wrong length, not canonical base64url, unknown version/kind */
	TOKEN_BAD_SIGNATURE,    /* the HMAC does not match: forged, tampered, or another key */
	TOKEN_WRONG_KIND,       /* valid, but not the kind the caller asked for */
	TOKEN_EXPIRED,          /* valid, but now >= its expiry */
};

struct token_key {
	uint8_t key[TOKEN_KEY_LEN];
};

struct token_claims {
	enum token_kind kind;
	int64_t subject;
	uint64_t expires_ms;
};

/* Loads <data_dir>/secret.key, creating it on first start. 0; ENOENT when data_dir does not
 * exist; EINVAL when the file is not exactly TOKEN_KEY_LEN bytes; errno of the failing call
 * otherwise. Logs the reason. Warns (but loads) when the file is readable by group/other. */
int token_key_load(struct token_key *k, const char *data_dir);
void token_key_set(struct token_key *k, const uint8_t key[TOKEN_KEY_LEN]);
void token_key_clear(struct token_key *k);   /* wipes the key from memory */

/* Writes a NUL-terminated token to out (outsz >= TOKEN_STR_MAX). 0, EINVAL for a bad kind,
 * ENOSPC, EIO when no random bytes are available. */
int token_issue(const struct token_key *k, enum token_kind kind, int64_t subject,
		uint64_t expires_ms, char *out, size_t outsz);

/* Checks a token against the key, the expected kind (TOKEN_ANY for any) and the wall-clock
 * time now_ms (ms since the Unix epoch). The signature is checked first, in constant time;
 * claims (may be NULL) are filled only when the status is TOKEN_OK. */
enum token_status token_verify(const struct token_key *k, const char *token, enum token_kind kind,
			       uint64_t now_ms, struct token_claims *claims);

const char *token_status_name(enum token_status s);   /* "ok", "malformed", "bad_signature"... */
const char *token_kind_name(enum token_kind kind);    /* "customer", ...; "?" when unknown */

/* SHA-256 of the token text: what the store keeps instead of the token itself. */
void token_digest(const char *token, uint8_t out[TOKEN_DIGEST_LEN]);

#endif

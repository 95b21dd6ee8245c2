/* b64: base64 (RFC 4648 §4) and base64url (§5) without padding, with a strict decoder.
 *
 * The decoder accepts only canonical text: no padding, no whitespace, no characters outside the
 * chosen alphabet, and unused trailing bits must be zero, so one byte string has exactly one
 * encoding. Used for password hash strings (standard alphabet) and session tokens (url). */
#ifndef SIGNALING_B64_H
#define SIGNALING_B64_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* characters needed to encode n bytes (without the terminating NUL) */
#define B64_ENCODED_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* Writes the encoding and a NUL; ENOSPC when outsz is too small. */
int b64_encode(const uint8_t *in, size_t n, bool url, char *out, size_t outsz);
/* Decodes len characters; *outlen gets the byte count. EINVAL for non-canonical text, ENOSPC
 * when the result would not fit in outsz bytes. */
int b64_decode(const char *in, size_t len, bool url, uint8_t *out, size_t outsz, size_t *outlen);

#endif

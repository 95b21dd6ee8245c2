/* password: scrypt password hashes in a self-describing string (OpenSSL 3.0).
 *
 *   $scrypt$ln=15,r=8,p=1$<base64 salt>$<base64 key>
 *
 * ln is log2(N). New hashes use N=2^15, r=8, p=1, a 16-byte random salt and a 32-byte key
 * (about 32 MiB and ~0.1 s per hash: call it off any latency-sensitive loop if possible).
 * Base64 is the standard alphabet without padding (as in the PHC string format). Verification
 * reads the parameters from the string, so they can be raised later without breaking old
 * hashes; it accepts only bounded parameters (ln 10..20, r 1..16, p 1..16, memory <= 256 MiB,
 * salt 8..64 bytes, key 16..64 bytes), so a bad string cannot make it allocate without bound. */
#ifndef SIGNALING_PASSWORD_H
#define SIGNALING_PASSWORD_H
#include <stddef.h>
#include <stdint.h>

#define PASSWORD_MIN_LEN 8       /* bytes; password_hash() refuses shorter */
#define PASSWORD_MAX_LEN 1024    /* bytes; longer is refused by hash, fails verify */
#define PASSWORD_HASH_MAX 160    /* buffer size that holds any string password_hash() writes */

/* Hashes a NUL-terminated password. 0; EINVAL when it is shorter than PASSWORD_MIN_LEN or
 * longer than PASSWORD_MAX_LEN; ENOSPC when outsz < PASSWORD_HASH_MAX; EIO when OpenSSL
 * fails (random bytes or scrypt). */
int password_hash(const char *password, char *out, size_t outsz);

/* 0 when password matches; EACCES when it does not; EINVAL when encoded is not a well-formed
 * hash string within the bounds above; EIO when OpenSSL fails. The key comparison is constant
 * time (CRYPTO_memcmp). */
int password_verify(const char *password, const char *encoded);

/* Raw scrypt (RFC 7914) through EVP_PKEY_derive. 0, EINVAL for parameters OpenSSL refuses,
 * EIO otherwise. Exposed for the known-answer test. */
int password_scrypt(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
		    uint64_t n, uint64_t r, uint64_t p, uint8_t *out, size_t outlen);

#endif

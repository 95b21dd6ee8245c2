#include "signaling/password.h"
#include "signaling/b64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

enum {
	PW_LN = 15, PW_R = 8, PW_P = 1, PW_SALT = 16, PW_KEY = 32,
	PW_LN_MIN = 10, PW_LN_MAX = 20, PW_RP_MAX = 16,
	PW_SALT_MIN = 8, PW_SALT_MAX = 64, PW_KEY_MIN = 16, PW_KEY_MAX = 64,
};
#define PW_MEM_MAX (256ull << 20)
#define PW_PREFIX "$scrypt$"

struct pw_parsed {
	unsigned ln, r, p;
	uint8_t salt[PW_SALT_MAX];
	size_t saltlen;
	uint8_t key[PW_KEY_MAX];
	size_t keylen;
};

int password_scrypt(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
		    uint64_t n, uint64_t r, uint64_t p, uint8_t *out, size_t outlen)
{
	/* OpenSSL needs 128*r*(N+2) bytes for V plus 128*r*p for B; leave it some slack */
	uint64_t maxmem = 128 * r * (n + 2) + 128 * r * p + (1u << 20);
	static const uint8_t empty[1];
	int err = EIO;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_SCRYPT, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_CTX_set1_pbe_pass(ctx, (const char *)(pwlen ? pw : empty), (int)pwlen) <= 0 ||
	    EVP_PKEY_CTX_set1_scrypt_salt(ctx, saltlen ? salt : empty, (int)saltlen) <= 0 ||
	    EVP_PKEY_CTX_set_scrypt_N(ctx, n) <= 0 || EVP_PKEY_CTX_set_scrypt_r(ctx, r) <= 0 ||
	    EVP_PKEY_CTX_set_scrypt_p(ctx, p) <= 0 ||
	    EVP_PKEY_CTX_set_scrypt_maxmem_bytes(ctx, maxmem) <= 0) {
		err = EINVAL;
		goto out;
	}
	size_t len = outlen;
	if (EVP_PKEY_derive(ctx, out, &len) <= 0 || len != outlen)
		goto out;
	err = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return err;
}

int password_hash(const char *password, char *out, size_t outsz)
{
	size_t pwlen = strnlen(password, PASSWORD_MAX_LEN + 1);
	uint8_t salt[PW_SALT], key[PW_KEY];
	char salt64[B64_ENCODED_LEN(PW_SALT) + 1], key64[B64_ENCODED_LEN(PW_KEY) + 1];
	int err;

	if (pwlen < PASSWORD_MIN_LEN || pwlen > PASSWORD_MAX_LEN)
		return EINVAL;
	if (outsz < PASSWORD_HASH_MAX)
		return ENOSPC;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return EIO;
	err = password_scrypt((const uint8_t *)password, pwlen, salt, sizeof(salt), 1ull << PW_LN,
			      PW_R, PW_P, key, sizeof(key));
	if (err)
		goto out;
	b64_encode(salt, sizeof(salt), false, salt64, sizeof(salt64));
	b64_encode(key, sizeof(key), false, key64, sizeof(key64));
	snprintf(out, outsz, PW_PREFIX "ln=%d,r=%d,p=%d$%s$%s", PW_LN, PW_R, PW_P, salt64, key64);
out:
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

/* one decimal number in [1, max] without sign or leading zeros; advances *s */
static bool pw_number(const char **s, unsigned max, unsigned *v)
{
	const char *p = *s;
	unsigned n = 0;
	if (*p < '1' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (unsigned)(*p++ - '0');
		if (n > max)
			return false;
	}
	*s = p;
	*v = n;
	return true;
}

static bool pw_field(const char **s, const char *name, unsigned max, unsigned *v)
{
	size_t n = strlen(name);
	if (strncmp(*s, name, n) != 0)
		return false;
	*s += n;
	return pw_number(s, max, v);
}

static bool pw_b64(const char **s, uint8_t *out, size_t outsz, size_t *outlen)
{
	const char *end = strchr(*s, '$');
	size_t len = end ? (size_t)(end - *s) : strlen(*s);
	if (b64_decode(*s, len, false, out, outsz, outlen))
		return false;
	*s += len;
	return true;
}

static int pw_parse(const char *enc, struct pw_parsed *h)
{
	const char *s = enc;
	if (strncmp(s, PW_PREFIX, strlen(PW_PREFIX)) != 0)
		return EINVAL;
	s += strlen(PW_PREFIX);
	if (!pw_field(&s, "ln=", PW_LN_MAX, &h->ln) || !pw_field(&s, ",r=", PW_RP_MAX, &h->r) ||
	    !pw_field(&s, ",p=", PW_RP_MAX, &h->p) || *s++ != '$')
		return EINVAL;
	if (!pw_b64(&s, h->salt, sizeof(h->salt), &h->saltlen) || *s++ != '$')
		return EINVAL;
	if (!pw_b64(&s, h->key, sizeof(h->key), &h->keylen) || *s != '\0')
		return EINVAL;
	if (h->ln < PW_LN_MIN || h->saltlen < PW_SALT_MIN || h->keylen < PW_KEY_MIN ||
	    128ull * h->r * (1ull << h->ln) > PW_MEM_MAX)
		return EINVAL;
	return 0;
}

int password_verify(const char *password, const char *encoded)
{
	struct pw_parsed h;
	uint8_t key[PW_KEY_MAX];
	size_t pwlen = strnlen(password, PASSWORD_MAX_LEN + 1);
	int err = pw_parse(encoded, &h);
	if (err)
		return err;
	if (pwlen > PASSWORD_MAX_LEN)
		return EACCES;
	err = password_scrypt((const uint8_t *)password, pwlen, h.salt, h.saltlen, 1ull << h.ln,
			      h.r, h.p, key, h.keylen);
	if (!err && CRYPTO_memcmp(key, h.key, h.keylen) != 0)
		err = EACCES;
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

/* scrypt password hashes: round trip, wrong passwords, malformed strings, and known answers
 * (RFC 7914 §12, OpenSSL's EVP_PBE_scrypt, a hash string made by Python's hashlib). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/clock.h"
#include "signaling/password.h"

/* RFC 7914 §12: scrypt(P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64) */
static const uint8_t rfc7914_nacl[64] = {
	0xfd, 0xba, 0xbe, 0x1c, 0x9d, 0x34, 0x72, 0x00, 0x78, 0x56, 0xe7, 0x19, 0x0d, 0x01, 0xe9, 0xfe,
	0x7c, 0x6a, 0xd7, 0xcb, 0xc8, 0x23, 0x78, 0x30, 0xe7, 0x73, 0x76, 0x63, 0x4b, 0x37, 0x31, 0x62,
	0x2e, 0xaf, 0x30, 0xd9, 0x2e, 0x22, 0xa3, 0x88, 0x6f, 0xf1, 0x09, 0x27, 0x9d, 0x98, 0x30, 0xda,
	0xc7, 0x27, 0xaf, 0xb9, 0x4a, 0x83, 0xee, 0x6d, 0x83, 0x60, 0xcb, 0xdf, 0xa2, 0xcc, 0x06, 0x40,
};

/* python3: hashlib.scrypt(b'Tr0ub4dor&3', salt=bytes(range(16)), n=2**15, r=8, p=1, dklen=32),
 * base64 without padding */
static const char python_hash[] =
	"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0";

static void test_scrypt_rfc7914_vector(void **state)
{
	(void)state;
	uint8_t ours[64], openssl[64];
	assert_int_equal(password_scrypt((const uint8_t *)"password", 8, (const uint8_t *)"NaCl", 4,
					 1024, 8, 16, ours, sizeof(ours)), 0);
	assert_memory_equal(ours, rfc7914_nacl, sizeof(ours));
	assert_int_equal(EVP_PBE_scrypt("password", 8, (const unsigned char *)"NaCl", 4, 1024, 8,
					16, 64 << 20, openssl, sizeof(openssl)), 1);
	assert_memory_equal(ours, openssl, sizeof(ours));
	/* N must be a power of two above 1 */
	assert_int_equal(password_scrypt((const uint8_t *)"password", 8, (const uint8_t *)"NaCl", 4,
					 1000, 8, 16, ours, sizeof(ours)), EINVAL);
}

static void test_known_hash_string(void **state)
{
	(void)state;
	assert_int_equal(password_verify("Tr0ub4dor&3", python_hash), 0);
	assert_int_equal(password_verify("Tr0ub4dor&4", python_hash), EACCES);
	assert_int_equal(password_verify("", python_hash), EACCES);
}

static void test_round_trip(void **state)
{
	(void)state;
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
	assert_int_equal(password_hash("correct horse battery", h1, sizeof(h1)), 0);
	assert_int_equal(password_hash("correct horse battery", h2, sizeof(h2)), 0);
	/* $scrypt$ln=15,r=8,p=1$ + 22 chars of salt + $ + 43 chars of key */
	assert_int_equal(strncmp(h1, "$scrypt$ln=15,r=8,p=1$", 22), 0);
	assert_int_equal(strlen(h1), 22 + 22 + 1 + 43);
	assert_string_not_equal(h1, h2);   /* random salt */
	assert_null(strstr(h1, "horse"));
	assert_int_equal(password_verify("correct horse battery", h1), 0);
	assert_int_equal(password_verify("correct horse battery", h2), 0);
	assert_int_equal(password_verify("correct horse batterx", h1), EACCES);
	assert_int_equal(password_verify("correct horse battery ", h1), EACCES);
}

static void test_hash_limits(void **state)
{
	(void)state;
	char h[PASSWORD_HASH_MAX], big[PASSWORD_MAX_LEN + 2];
	assert_int_equal(password_hash("1234567", h, sizeof(h)), EINVAL);
	assert_int_equal(password_hash("", h, sizeof(h)), EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(password_hash(big, h, sizeof(h)), EINVAL);
	assert_int_equal(password_verify(big, python_hash), EACCES);
	assert_int_equal(password_hash("12345678", h, 20), ENOSPC);
}

static void test_malformed_rejected_quickly(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "$", "$scrypt$", "scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2",
		"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw",                    /* no key */
		"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$",                   /* empty key */
		"$scrypt$ln=15,r=8$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=015,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=9,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=21,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=20,r=16,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=15,r=0,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=15,r=8,p=17$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=15,r=8,p=-1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODx$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=15,r=8,p=1$AAECAw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0",  /* salt 4 */
		"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1",         /* key 12 */
		"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0$",
		"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd-Pf37LhmZN4kK9VMLbsjSL0",
		"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6JW2ttgDL7OWuxD1AFSd+Pf37LhmZN4kK9VMLbsjSL0 ",
	};
	uint64_t start = clock_ms();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (password_verify("Tr0ub4dor&3", bad[i]) != EINVAL)
			fail_msg("accepted malformed hash #%zu: %s", i, bad[i]);
	}
	assert_true(clock_ms() - start < 50);   /* none of them ran scrypt */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrypt_rfc7914_vector),
		cmocka_unit_test(test_known_hash_string),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hash_limits),
		cmocka_unit_test(test_malformed_rejected_quickly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* base64 / base64url without padding: RFC 4648 §10 vectors and strict decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "signaling/b64.h"

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	/* RFC 4648 §10, with the padding removed */
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	for (size_t i = 0; i < 7; i++) {
		char out[16];
		uint8_t dec[16];
		size_t n;
		assert_int_equal(b64_encode((const uint8_t *)plain[i], strlen(plain[i]), false, out,
					    sizeof(out)), 0);
		assert_string_equal(out, enc[i]);
		assert_int_equal(strlen(out), B64_ENCODED_LEN(strlen(plain[i])));
		assert_int_equal(b64_decode(enc[i], strlen(enc[i]), true, dec, sizeof(dec), &n), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(dec, plain[i], n);
	}
}

static void test_alphabets(void **state)
{
	(void)state;
	static const uint8_t raw[] = { 0xfb, 0xff, 0xbf };
	char out[8];
	uint8_t dec[8];
	size_t n;
	assert_int_equal(b64_encode(raw, 3, false, out, sizeof(out)), 0);
	assert_string_equal(out, "+/+/");
	assert_int_equal(b64_encode(raw, 3, true, out, sizeof(out)), 0);
	assert_string_equal(out, "-_-_");
	assert_int_equal(b64_decode("-_-_", 4, false, dec, sizeof(dec), &n), EINVAL);
	assert_int_equal(b64_decode("+/+/", 4, true, dec, sizeof(dec), &n), EINVAL);
	assert_int_equal(b64_decode("+/+/", 4, false, dec, sizeof(dec), &n), 0);
	assert_memory_equal(dec, raw, 3);
}

static void test_strict_decoding(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Zg==", "Z", "Zm9vY", "Zh", "Zm9", "Zm 9v", "Zm9v\n", "Zm9v.",
	};
	uint8_t dec[16];
	size_t n;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(b64_decode(bad[i], strlen(bad[i]), false, dec, sizeof(dec), &n),
				 EINVAL);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, false, dec, 5, &n), ENOSPC);
	char out[4];
	assert_int_equal(b64_encode((const uint8_t *)"foo", 3, false, out, sizeof(out)), ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_alphabets),
		cmocka_unit_test(test_strict_decoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

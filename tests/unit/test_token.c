/* Signed expiring tokens: issue/verify, the documented byte layout checked with an
 * independent HMAC, tampering, expiry, kinds, and the secret key file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "signaling/b64.h"
#include "signaling/token.h"
#include "tmpdir.h"

#define NOW 1700000000000ull

static struct token_key test_key(uint8_t fill)
{
	uint8_t raw[TOKEN_KEY_LEN];
	struct token_key k;
	memset(raw, fill, sizeof(raw));
	token_key_set(&k, raw);
	return k;
}

static void test_issue_verify(void **state)
{
	(void)state;
	struct token_key k = test_key(7);
	struct token_claims c;
	char t1[TOKEN_STR_MAX], t2[TOKEN_STR_MAX];
	assert_int_equal(token_issue(&k, TOKEN_CUSTOMER, 42, NOW + 60000, t1, sizeof(t1)), 0);
	assert_int_equal(strlen(t1), TOKEN_LEN);
	assert_int_equal(strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789-_"), TOKEN_LEN);
	assert_int_equal(token_verify(&k, t1, TOKEN_CUSTOMER, NOW, &c), TOKEN_OK);
	assert_int_equal(c.kind, TOKEN_CUSTOMER);
	assert_int_equal(c.subject, 42);
	assert_int_equal(c.expires_ms, NOW + 60000);
	assert_int_equal(token_verify(&k, t1, TOKEN_ANY, NOW, NULL), TOKEN_OK);
	assert_int_equal(token_issue(&k, TOKEN_CUSTOMER, 42, NOW + 60000, t2, sizeof(t2)), 0);
	assert_string_not_equal(t1, t2);   /* the nonce */
	assert_int_equal(token_issue(&k, TOKEN_ANY, 42, NOW, t2, sizeof(t2)), EINVAL);
	assert_int_equal(token_issue(&k, TOKEN_AGENT, 42, NOW, t2, TOKEN_LEN), ENOSPC);
}

/* the layout of token.h, rebuilt here with OpenSSL's HMAC directly */
static void test_layout_matches_documentation(void **state)
{
	(void)state;
	struct token_key k = test_key(9);
	char tok[TOKEN_STR_MAX];
	uint8_t raw[64], mac[32];
	unsigned maclen;
	size_t n;
	assert_int_equal(token_issue(&k, TOKEN_INTERPRETER, 0x0102030405060708, 0x1112131415161718,
				     tok, sizeof(tok)), 0);
	assert_int_equal(b64_decode(tok, TOKEN_LEN, true, raw, sizeof(raw), &n), 0);
	assert_int_equal(n, 58);
	static const uint8_t head[18] = { 1, TOKEN_INTERPRETER, 1, 2, 3, 4, 5, 6, 7, 8,
					  0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
	assert_memory_equal(raw, head, sizeof(head));
	HMAC(EVP_sha256(), k.key, TOKEN_KEY_LEN, raw, 26, mac, &maclen);
	assert_memory_equal(raw + 26, mac, 32);

	/* a correctly signed token of an unknown version is malformed, not accepted */
	raw[0] = 2;
	HMAC(EVP_sha256(), k.key, TOKEN_KEY_LEN, raw, 26, raw + 26, &maclen);
	assert_int_equal(b64_encode(raw, 58, true, tok, sizeof(tok)), 0);
	assert_int_equal(token_verify(&k, tok, TOKEN_ANY, 0, NULL), TOKEN_MALFORMED);
}

static void test_tamper(void **state)
{
	(void)state;
	struct token_key k = test_key(7), other = test_key(8);
	char tok[TOKEN_STR_MAX];
	assert_int_equal(token_issue(&k, TOKEN_AGENT, 5, NOW + 1000, tok, sizeof(tok)), 0);
	for (int i = 0; i < TOKEN_LEN; i++) {
		char t[TOKEN_STR_MAX];
		memcpy(t, tok, sizeof(t));
		t[i] = t[i] == 'A' ? 'B' : 'A';
		enum token_status s = token_verify(&k, t, TOKEN_AGENT, NOW, NULL);
		/* the last character carries 4 unused bits: changing it may be non-canonical */
		if (s != TOKEN_BAD_SIGNATURE && !(i == TOKEN_LEN - 1 && s == TOKEN_MALFORMED))
			fail_msg("changed character %d: %s", i, token_status_name(s));
	}
	assert_int_equal(token_verify(&other, tok, TOKEN_AGENT, NOW, NULL), TOKEN_BAD_SIGNATURE);
}

static void test_expiry_and_kind(void **state)
{
	(void)state;
	struct token_key k = test_key(7);
	char tok[TOKEN_STR_MAX];
	assert_int_equal(token_issue(&k, TOKEN_CUSTOMER, 5, NOW, tok, sizeof(tok)), 0);
	assert_int_equal(token_verify(&k, tok, TOKEN_CUSTOMER, NOW - 1, NULL), TOKEN_OK);
	assert_int_equal(token_verify(&k, tok, TOKEN_CUSTOMER, NOW, NULL), TOKEN_EXPIRED);
	assert_int_equal(token_verify(&k, tok, TOKEN_CUSTOMER, NOW + 1, NULL), TOKEN_EXPIRED);
	assert_int_equal(token_verify(&k, tok, TOKEN_AGENT, NOW - 1, NULL), TOKEN_WRONG_KIND);
	assert_int_equal(token_verify(&k, tok, TOKEN_ADMIN, NOW - 1, NULL), TOKEN_WRONG_KIND);
	assert_string_equal(token_status_name(TOKEN_EXPIRED), "expired");
	assert_string_equal(token_status_name(TOKEN_BAD_SIGNATURE), "bad_signature");
	assert_string_equal(token_status_name(TOKEN_MALFORMED), "malformed");
	assert_string_equal(token_kind_name(TOKEN_SUPERVISOR), "supervisor");
}

static void test_malformed(void **state)
{
	(void)state;
	struct token_key k = test_key(7);
	char tok[TOKEN_STR_MAX], t[TOKEN_STR_MAX + 4];
	assert_int_equal(token_issue(&k, TOKEN_CUSTOMER, 5, NOW, tok, sizeof(tok)), 0);
	assert_int_equal(token_verify(&k, NULL, TOKEN_ANY, 0, NULL), TOKEN_MALFORMED);
	assert_int_equal(token_verify(&k, "", TOKEN_ANY, 0, NULL), TOKEN_MALFORMED);
	assert_int_equal(token_verify(&k, "x.y.z", TOKEN_ANY, 0, NULL), TOKEN_MALFORMED);
	snprintf(t, sizeof(t), "%.77s", tok);
	assert_int_equal(token_verify(&k, t, TOKEN_ANY, 0, NULL), TOKEN_MALFORMED);
	snprintf(t, sizeof(t), "%sA", tok);
	assert_int_equal(token_verify(&k, t, TOKEN_ANY, 0, NULL), TOKEN_MALFORMED);
	snprintf(t, sizeof(t), "%s", tok);
	t[10] = '+';
	assert_int_equal(token_verify(&k, t, TOKEN_ANY, 0, NULL), TOKEN_MALFORMED);
	t[10] = '=';
	assert_int_equal(token_verify(&k, t, TOKEN_ANY, 0, NULL), TOKEN_MALFORMED);
}

static void test_digest(void **state)
{
	(void)state;
	/* FIPS 180-2 appendix B.1: SHA-256("abc") */
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t d[TOKEN_DIGEST_LEN];
	token_digest("abc", d);
	assert_memory_equal(d, abc, sizeof(d));
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_key_file(void **state)
{
	(void)state;
	char dir[256], path[300], tok[TOKEN_STR_MAX];
	struct token_key k1, k2;
	struct stat sb;
	assert_non_null(tmpdir_make(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	assert_int_equal(token_key_load(&k1, dir), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, TOKEN_KEY_LEN);
	assert_int_equal(count_entries(dir), 1);    /* no temporary file left behind */
	assert_int_equal(token_key_load(&k2, dir), 0);
	assert_memory_equal(k1.key, k2.key, TOKEN_KEY_LEN);
	assert_int_equal(token_issue(&k1, TOKEN_AGENT, 3, NOW, tok, sizeof(tok)), 0);
	assert_int_equal(token_verify(&k2, tok, TOKEN_AGENT, NOW - 1, NULL), TOKEN_OK);
	token_key_clear(&k2);
	assert_int_equal(token_verify(&k2, tok, TOKEN_AGENT, NOW - 1, NULL), TOKEN_BAD_SIGNATURE);

	int fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	assert_int_equal(token_key_load(&k2, dir), EINVAL);
	assert_int_equal(token_key_load(&k2, "/nonexistent/rapport"), ENOENT);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_verify),
		cmocka_unit_test(test_layout_matches_documentation),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_expiry_and_kind),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_key_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

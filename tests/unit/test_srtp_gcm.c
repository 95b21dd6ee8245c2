/* srtp_gcm: rapport's OpenSSL AES-GCM for libsrtp2 against libsrtp2's own (NSS in Debian's
 * build), packet for packet. A session keeps the cipher implementation it was created with,
 * so one side is created before srtp_gcm_install() and the other after: SRTP and SRTCP of
 * every size from an empty payload to 1400 bytes, 8- and 16-byte tags, 128- and 256-bit keys,
 * both directions; then every single-bit change of a packet (header, payload, tag) fails to
 * authenticate and leaves libsrtp2 working. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include "media/srtp_gcm.h"
#include "media/srtp_session.h"

/* libsrtp2's own types: exported by libsrtp2.so, not declared by its headers */
extern const srtp_cipher_type_t srtp_aes_gcm_128, srtp_aes_gcm_256;

typedef void (test_policy_h)(srtp_crypto_policy_t *p);

struct test_suite {
	const char *name;
	test_policy_h *policy;
	size_t key_len;
	int tag_len;
};

static const struct test_suite test_suites[] = {
	{"AES-128-GCM/16", srtp_crypto_policy_set_aes_gcm_128_16_auth, SRTP_AES_GCM_128_KEY_LEN_WSALT, 16},
	{"AES-128-GCM/8", srtp_crypto_policy_set_aes_gcm_128_8_auth, SRTP_AES_GCM_128_KEY_LEN_WSALT, 8},
	{"AES-256-GCM/16", srtp_crypto_policy_set_aes_gcm_256_16_auth, SRTP_AES_GCM_256_KEY_LEN_WSALT, 16},
};

enum { TEST_NSUITES = sizeof(test_suites) / sizeof(test_suites[0]) };

/* [suite][0] created with libsrtp2's own GCM, [suite][1] with srtp_gcm; each a tx/rx pair */
static srtp_t test_tx[TEST_NSUITES][2], test_rx[TEST_NSUITES][2];

static void test_use_libsrtp_own(void)
{
	assert_int_equal(srtp_replace_cipher_type(&srtp_aes_gcm_128, SRTP_AES_GCM_128), srtp_err_status_ok);
	assert_int_equal(srtp_replace_cipher_type(&srtp_aes_gcm_256, SRTP_AES_GCM_256), srtp_err_status_ok);
}

static void test_create(srtp_t *s, const struct test_suite *su, srtp_ssrc_type_t dir, uint8_t *key)
{
	srtp_policy_t pol;
	memset(&pol, 0, sizeof(pol));
	su->policy(&pol.rtp);
	su->policy(&pol.rtcp);
	pol.ssrc.type = dir;
	pol.key = key;
	pol.window_size = 1024;
	pol.allow_repeat_tx = 1;
	assert_int_equal(srtp_create(s, &pol), srtp_err_status_ok);
}

static int test_setup(void **state)
{
	(void)state;
	if (srtp_session_global_init())  /* libsrtp2 and NSS as rapportd opens them */
		return -1;
	test_use_libsrtp_own();
	for (int impl = 0; impl < 2; impl++) {
		if (impl == 1 && srtp_gcm_install() != 0)
			return -1;
		for (int i = 0; i < TEST_NSUITES; i++) {
			uint8_t key[SRTP_AES_GCM_256_KEY_LEN_WSALT];
			for (size_t k = 0; k < sizeof(key); k++)
				key[k] = (uint8_t)(17 * k + 3 * (size_t)i + 1);
			test_create(&test_tx[i][impl], &test_suites[i], ssrc_any_outbound, key);
			test_create(&test_rx[i][impl], &test_suites[i], ssrc_any_inbound, key);
		}
	}
	return 0;
}

static int test_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < TEST_NSUITES; i++) {
		for (int impl = 0; impl < 2; impl++) {
			srtp_dealloc(test_tx[i][impl]);
			srtp_dealloc(test_rx[i][impl]);
		}
	}
	return 0;
}

static size_t test_rtp(uint8_t *p, size_t payload, uint16_t seq, uint32_t ssrc)
{
	p[0] = 0x80;
	p[1] = 111;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	memcpy(p + 4, "\x01\x02\x03\x04", 4);
	for (int i = 0; i < 4; i++)
		p[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	for (size_t i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + payload;
}

/* an RTCP receiver report with `extra` bytes of padding-free report blocks' worth of data */
static size_t test_rtcp(uint8_t *p, size_t extra, uint32_t ssrc)
{
	size_t words = (8 + extra) / 4 - 1;
	p[0] = 0x80;
	p[1] = 201;
	p[2] = (uint8_t)(words >> 8);
	p[3] = (uint8_t)words;
	for (int i = 0; i < 4; i++)
		p[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	for (size_t i = 0; i < extra; i++)
		p[8 + i] = (uint8_t)(i * 13 + 5);
	return 8 + extra;
}

/* every size, both ways between the two implementations, for each suite */
static void test_interop_rtp(void **state)
{
	(void)state;
	uint8_t buf[1600], want[1600];
	for (int i = 0; i < TEST_NSUITES; i++) {
		for (int from = 0; from < 2; from++) {
			uint16_t seq = (uint16_t)(1000 * from);
			uint32_t ssrc = 0x5000u + (uint32_t)(16 * i + from);
			for (size_t pl = 0; pl <= 1400; pl += pl < 40 ? 1 : 97, seq++) {
				size_t n = test_rtp(want, pl, seq, ssrc);
				memcpy(buf, want, n);
				int len = (int)n;
				assert_int_equal(srtp_protect(test_tx[i][from], buf, &len), srtp_err_status_ok);
				assert_int_equal((size_t)len, n + (size_t)test_suites[i].tag_len);
				assert_int_equal(srtp_unprotect(test_rx[i][!from], buf, &len), srtp_err_status_ok);
				assert_int_equal((size_t)len, n);
				assert_memory_equal(buf, want, n);
			}
		}
	}
}

static void test_interop_rtcp(void **state)
{
	(void)state;
	uint8_t buf[1600], want[1600];
	for (int i = 0; i < TEST_NSUITES; i++) {
		for (int from = 0; from < 2; from++) {
			uint32_t ssrc = 0x6000u + (uint32_t)(16 * i + from);
			for (size_t extra = 0; extra <= 1200; extra += extra < 48 ? 4 : 100) {
				size_t n = test_rtcp(want, extra, ssrc);
				memcpy(buf, want, n);
				int len = (int)n;
				assert_int_equal(srtp_protect_rtcp(test_tx[i][from], buf, &len), srtp_err_status_ok);
				assert_int_equal(srtp_unprotect_rtcp(test_rx[i][!from], buf, &len), srtp_err_status_ok);
				assert_int_equal((size_t)len, n);
				assert_memory_equal(buf, want, n);
			}
		}
	}
}

/* the same packet protected by both implementations is byte-identical */
static void test_same_bytes(void **state)
{
	(void)state;
	uint8_t a[1600], b[1600];
	for (int i = 0; i < TEST_NSUITES; i++) {
		size_t n = test_rtp(a, 300, 7, 0x7000u + (uint32_t)i);
		memcpy(b, a, n);
		int la = (int)n, lb = (int)n;
		assert_int_equal(srtp_protect(test_tx[i][0], a, &la), srtp_err_status_ok);
		assert_int_equal(srtp_protect(test_tx[i][1], b, &lb), srtp_err_status_ok);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, (size_t)la);
	}
}

/* each bit of header, payload and tag: auth_fail, and the next good packet still passes */
static void test_tamper(void **state)
{
	(void)state;
	uint8_t good[1600], buf[1600];
	for (int i = 0; i < TEST_NSUITES; i++) {
		uint16_t seq = 20000;
		uint32_t ssrc = 0x8000u + (uint32_t)i;
		size_t n = test_rtp(good, 40, seq, ssrc);
		int glen = (int)n;
		assert_int_equal(srtp_protect(test_tx[i][0], good, &glen), srtp_err_status_ok);
		for (int bit = 12 * 8; bit < glen * 8; bit += 3) {  /* SSRC, seq are lookup keys */
			memcpy(buf, good, (size_t)glen);
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int len = glen;
			assert_int_equal(srtp_unprotect(test_rx[i][1], buf, &len), srtp_err_status_auth_fail);
		}
		for (int bit = 0; bit < 2 * 8; bit++) {  /* V/P/X/CC/M/PT: in the AAD */
			if (bit / 8 == 0 && (bit % 8) >= 6)
				continue;  /* the version field: rejected before any crypto */
			memcpy(buf, good, (size_t)glen);
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int len = glen;
			assert_int_not_equal(srtp_unprotect(test_rx[i][1], buf, &len), srtp_err_status_ok);
		}
		int len = glen;
		memcpy(buf, good, (size_t)glen);
		assert_int_equal(srtp_unprotect(test_rx[i][1], buf, &len), srtp_err_status_ok);
		assert_int_equal((size_t)len, n);
		len = glen;  /* a packet too short for its tag */
		memcpy(buf, good, (size_t)glen);
		len = 12 + test_suites[i].tag_len - 1;
		assert_int_not_equal(srtp_unprotect(test_rx[i][1], buf, &len), srtp_err_status_ok);
	}
}

/* a cipher and its state are one block within one cache line (every call of a packet reads
 * both); bad tag lengths are refused; the known answers hold for the cipher as allocated */
static void test_cipher_block(void **state)
{
	static const int key_lens[] = {SRTP_AES_GCM_128_KEY_LEN_WSALT, SRTP_AES_GCM_256_KEY_LEN_WSALT};
	static const int tag_lens[] = {8, 16};
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		const srtp_cipher_type_t *t = srtp_gcm_type(key_lens[k]);
		srtp_cipher_t *c = NULL;
		assert_non_null(t);
		assert_int_equal(srtp_cipher_type_self_test(t), srtp_err_status_ok);
		assert_int_not_equal(srtp_cipher_type_alloc(t, &c, key_lens[k], 12), srtp_err_status_ok);
		for (size_t g = 0; g < 2; g++) {
			assert_int_equal(srtp_cipher_type_alloc(t, &c, key_lens[k], tag_lens[g]),
					 srtp_err_status_ok);
			uintptr_t a = (uintptr_t)c, b = (uintptr_t)c->state;
			assert_true(a % 64 == 0);
			assert_true(b > a && b - a < 64);   /* srtp_gcm.c asserts the rest fits */
			assert_int_equal(c->key_len, key_lens[k]);
			assert_int_equal(t->dealloc(c), srtp_err_status_ok);
		}
	}
	assert_null(srtp_gcm_type(16));
}

/* a capture records the first cipher allocated while it is open (srtp_create's RTP cipher),
 * nothing after it ends, nothing for libsrtp2's own AES-CM; prefetching the lines is harmless */
static void test_capture(void **state)
{
	const srtp_cipher_type_t *t = srtp_gcm_type(SRTP_AES_GCM_128_KEY_LEN_WSALT);
	struct srtp_gcm_lines lines, after;
	srtp_cipher_t *c1 = NULL, *c2 = NULL, *c3 = NULL;
	(void)state;
	srtp_gcm_capture_begin(&lines);
	assert_int_equal(srtp_cipher_type_alloc(t, &c1, SRTP_AES_GCM_128_KEY_LEN_WSALT, 16), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_type_alloc(t, &c2, SRTP_AES_GCM_128_KEY_LEN_WSALT, 16), srtp_err_status_ok);
	srtp_gcm_capture_end();
	assert_ptr_equal(lines.block, c1);
	assert_non_null(lines.evp_ctx);
	after = lines;
	assert_int_equal(srtp_cipher_type_alloc(t, &c3, SRTP_AES_GCM_128_KEY_LEN_WSALT, 16), srtp_err_status_ok);
	assert_memory_equal(&after, &lines, sizeof(lines));
	srtp_gcm_prefetch(&lines);
	assert_int_equal(t->dealloc(c1), srtp_err_status_ok);
	assert_int_equal(t->dealloc(c2), srtp_err_status_ok);
	assert_int_equal(t->dealloc(c3), srtp_err_status_ok);

	uint8_t key[SRTP_AES_GCM_256_KEY_LEN_WSALT] = {1, 2, 3};
	srtp_t s;
	srtp_gcm_capture_begin(&lines);
	test_create(&s, &test_suites[0], ssrc_any_outbound, key);
	srtp_gcm_capture_end();
	assert_non_null(lines.block);
	assert_non_null(lines.evp_ctx);
	srtp_gcm_prefetch(&lines);
	assert_int_equal(srtp_dealloc(s), srtp_err_status_ok);

	static const struct test_suite cm = {"AES-CM", srtp_crypto_policy_set_rtp_default,
					      SRTP_AES_ICM_128_KEY_LEN_WSALT, 10};
	srtp_gcm_capture_begin(&lines);
	test_create(&s, &cm, ssrc_any_inbound, key);
	srtp_gcm_capture_end();
	assert_null(lines.block);
	assert_null(lines.evp_ctx);
	srtp_gcm_prefetch(&lines);
	assert_int_equal(srtp_dealloc(s), srtp_err_status_ok);
}

static void test_install_twice(void **state)
{
	(void)state;
	assert_int_equal(srtp_gcm_install(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interop_rtp),
		cmocka_unit_test(test_interop_rtcp),
		cmocka_unit_test(test_same_bytes),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_cipher_block),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_install_twice),
	};
	return cmocka_run_group_tests(tests, test_setup, test_teardown);
}

/* test_stun: the STUN codec against RFC 5769's vectors, real Chromium requests, malformed input
 * and build → decode round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "media/stun.h"
#include "stun_vectors.h"

#define PWD ((const uint8_t *)RFC5769_PASSWORD)
#define PWDLEN (sizeof(RFC5769_PASSWORD) - 1)

static const uint8_t tid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static struct sockaddr_in sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

static struct sockaddr_in6 sin6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
	return a;
}

/* A fully valid message: decodes, integrity with key, fingerprint */
static bool all_ok(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen)
{
	struct stun_msg m;
	return stun_msg_decode(&m, buf, len) == 0 && stun_msg_integrity_ok(&m, key, keylen) &&
	       stun_msg_fingerprint_ok(&m);
}

static void test_rfc5769_request(void **state)
{
	(void)state;
	struct stun_msg m;
	assert_true(stun_is_stun(rfc5769_request, sizeof(rfc5769_request)));
	assert_int_equal(stun_msg_decode(&m, rfc5769_request, sizeof(rfc5769_request)), 0);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_int_equal(m.len, sizeof(rfc5769_request));
	assert_memory_equal(m.tid, tid, 12);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "evtj:h6vY", 9);
	assert_true(m.has_priority);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_true(m.has_controlled);
	assert_false(m.has_controlling);
	assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
	assert_false(m.use_candidate);
	assert_int_equal(m.n_unknown, 0);
	assert_int_equal(m.integrity_off, 76);
	assert_int_equal(m.fingerprint_off, 100);
	assert_true(stun_msg_integrity_ok(&m, PWD, PWDLEN));
	assert_true(stun_msg_fingerprint_ok(&m));
	assert_false(stun_msg_integrity_ok(&m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBT", PWDLEN));
	assert_false(stun_msg_integrity_ok(&m, PWD, 0));
}

static void test_rfc5769_response_v4(void **state)
{
	(void)state;
	struct stun_msg m;
	assert_int_equal(stun_msg_decode(&m, rfc5769_response_v4, sizeof(rfc5769_response_v4)), 0);
	assert_int_equal(m.type, STUN_BINDING_SUCCESS);
	assert_true(stun_msg_integrity_ok(&m, PWD, PWDLEN));
	assert_true(stun_msg_fingerprint_ok(&m));
	assert_true(m.has_xor_mapped);
	struct sockaddr_in want = sin4("192.0.2.1", 32853);
	const struct sockaddr_in *got = (const struct sockaddr_in *)&m.xor_mapped;
	assert_int_equal(got->sin_family, AF_INET);
	assert_int_equal(got->sin_port, want.sin_port);
	assert_int_equal(got->sin_addr.s_addr, want.sin_addr.s_addr);
}

static void test_rfc5769_response_v6(void **state)
{
	(void)state;
	struct stun_msg m;
	assert_int_equal(stun_msg_decode(&m, rfc5769_response_v6, sizeof(rfc5769_response_v6)), 0);
	assert_int_equal(m.type, STUN_BINDING_SUCCESS);
	assert_true(stun_msg_integrity_ok(&m, PWD, PWDLEN));
	assert_true(stun_msg_fingerprint_ok(&m));
	assert_true(m.has_xor_mapped);
	struct sockaddr_in6 want = sin6("2001:db8:1234:5678:11:2233:4455:6677", 32853);
	const struct sockaddr_in6 *got = (const struct sockaddr_in6 *)&m.xor_mapped;
	assert_int_equal(got->sin6_family, AF_INET6);
	assert_int_equal(got->sin6_port, want.sin6_port);
	assert_memory_equal(&got->sin6_addr, &want.sin6_addr, 16);
}

static void test_chromium_requests(void **state)
{
	(void)state;
	const uint8_t *key = (const uint8_t *)CHROMIUM_PASSWORD;
	size_t keylen = sizeof(CHROMIUM_PASSWORD) - 1;
	struct stun_msg m;

	assert_int_equal(stun_msg_decode(&m, chromium_request, sizeof(chromium_request)), 0);
	assert_true(stun_msg_integrity_ok(&m, key, keylen));
	assert_true(stun_msg_fingerprint_ok(&m));
	assert_memory_equal(m.username, "rapp:L8pU", 9);
	assert_true(m.has_controlling);
	assert_false(m.use_candidate);
	assert_int_equal(m.priority, 0x6e001eff);
	assert_int_equal(m.n_unknown, 0); /* GOOG-NETWORK-INFO is comprehension-optional */

	assert_int_equal(stun_msg_decode(&m, chromium_request_use, sizeof(chromium_request_use)), 0);
	assert_true(stun_msg_integrity_ok(&m, key, keylen));
	assert_true(stun_msg_fingerprint_ok(&m));
	assert_true(m.use_candidate);
}

/* Every single-bit flip anywhere in a vector, padding included (both checks cover the raw
 * bytes), breaks decoding, integrity or fingerprint */
static void flip_every_bit(const uint8_t *vec, size_t len, const uint8_t *key, size_t keylen)
{
	uint8_t buf[128];
	assert_true(len <= sizeof(buf));
	assert_true(all_ok(vec, len, key, keylen));
	for (size_t bit = 0; bit < len * 8; bit++) {
		memcpy(buf, vec, len);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(all_ok(buf, len, key, keylen));
	}
}

static void test_bit_flips(void **state)
{
	(void)state;
	struct stun_msg m;
	uint8_t buf[sizeof(rfc5769_request)];

	flip_every_bit(rfc5769_request, sizeof(rfc5769_request), PWD, PWDLEN);
	flip_every_bit(rfc5769_response_v4, sizeof(rfc5769_response_v4), PWD, PWDLEN);
	flip_every_bit(rfc5769_response_v6, sizeof(rfc5769_response_v6), PWD, PWDLEN);

	/* a flip in SOFTWARE: still well-formed, both checks fail */
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[30] ^= 0x01;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), 0);
	assert_false(stun_msg_integrity_ok(&m, PWD, PWDLEN));
	assert_false(stun_msg_fingerprint_ok(&m));
	/* a flip in the FINGERPRINT value: integrity (which does not cover it) still holds */
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[sizeof(buf) - 1] ^= 0x80;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), 0);
	assert_true(stun_msg_integrity_ok(&m, PWD, PWDLEN));
	assert_false(stun_msg_fingerprint_ok(&m));
}

static void test_truncated(void **state)
{
	(void)state;
	struct stun_msg m;
	for (size_t len = 0; len < sizeof(rfc5769_request); len++)
		assert_int_equal(stun_msg_decode(&m, rfc5769_request, len), EBADMSG);
	assert_int_equal(stun_msg_decode(&m, NULL, 0), EBADMSG);
	assert_false(stun_is_stun(rfc5769_request, STUN_HDR_LEN - 1));
}

static void test_oversized(void **state)
{
	(void)state;
	struct stun_msg m;
	uint8_t buf[sizeof(rfc5769_request) + 4] = {0};

	/* datagram longer than the header says */
	memcpy(buf, rfc5769_request, sizeof(rfc5769_request));
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), EBADMSG);
	/* header says more than there is */
	buf[3] += 4;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(rfc5769_request)), EBADMSG);
	/* an attribute longer than the message (USERNAME claims 0x0109 bytes) */
	memcpy(buf, rfc5769_request, sizeof(rfc5769_request));
	buf[62] = 0x01;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(rfc5769_request)), EBADMSG);
	/* an attribute whose padding runs past the end: last FINGERPRINT claims 5 bytes */
	memcpy(buf, rfc5769_request, sizeof(rfc5769_request));
	buf[103] = 5;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(rfc5769_request)), EBADMSG);
}

static void test_misaligned(void **state)
{
	(void)state;
	struct stun_msg m;
	uint8_t buf[sizeof(rfc5769_request)];

	/* message length not a multiple of 4 */
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[3] = 0x57;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf) - 1), EBADMSG);
	/* USERNAME claims 8 bytes: the next attribute header lands inside the padding */
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[63] = 8;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), EBADMSG);
	/* not STUN: magic cookie, leading bits */
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[4] ^= 1;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), EBADMSG);
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[0] |= 0x40;
	assert_false(stun_is_stun(buf, sizeof(buf)));
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), EBADMSG);
}

static void test_bad_attribute_lengths(void **state)
{
	(void)state;
	struct stun_msg m;
	uint8_t buf[sizeof(rfc5769_request)];

	/* PRIORITY of 8 bytes eats ICE-CONTROLLED's header: fixed-size attributes are checked */
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[43] = 8;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), EBADMSG);
	/* MESSAGE-INTEGRITY of 16 bytes (a truncated HMAC) */
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[79] = 16;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), EBADMSG);
}

static void test_attribute_order(void **state)
{
	(void)state;
	struct stun_msg m;
	uint8_t buf[sizeof(rfc5769_request) + 8];

	/* SOFTWARE after MESSAGE-INTEGRITY (in place of FINGERPRINT) */
	memcpy(buf, rfc5769_request, sizeof(rfc5769_request));
	buf[100] = 0x80;
	buf[101] = 0x22;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(rfc5769_request)), EBADMSG);
	/* anything after FINGERPRINT */
	memcpy(buf, rfc5769_request, sizeof(rfc5769_request));
	memcpy(buf + sizeof(rfc5769_request), "\x80\x22\x00\x04test", 8);
	buf[3] += 8;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), EBADMSG);
	/* a second FINGERPRINT after the first */
	memcpy(buf + sizeof(rfc5769_request), rfc5769_request + 100, 8);
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), EBADMSG);
}

static void test_unknown_attributes(void **state)
{
	(void)state;
	struct stun_msg m;
	uint8_t buf[sizeof(rfc5769_request)];

	/* SOFTWARE (0x8022) renamed 0x0033: comprehension-required and unknown */
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[20] = 0x00;
	buf[21] = 0x33;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), 0);
	assert_int_equal(m.n_unknown, 1);
	assert_int_equal(m.unknown_required[0], 0x0033);
	/* renamed 0xc033: comprehension-optional, ignored */
	buf[20] = 0xc0;
	assert_int_equal(stun_msg_decode(&m, buf, sizeof(buf)), 0);
	assert_int_equal(m.n_unknown, 0);
}

static void test_is_stun(void **state)
{
	(void)state;
	static const uint8_t rtp[20] = {0x80, 0x6f, 0x00, 0x01};
	static const uint8_t dtls[20] = {0x16, 0xfe, 0xfd};
	assert_true(stun_is_stun(rfc5769_response_v6, sizeof(rfc5769_response_v6)));
	assert_false(stun_is_stun(rtp, sizeof(rtp)));
	assert_false(stun_is_stun(dtls, sizeof(dtls)));
	assert_false(stun_is_stun(NULL, 20));
}

/* Our XOR-MAPPED-ADDRESS bytes equal RFC 5769's for the same address and transaction */
static void test_success_matches_rfc_xor(void **state)
{
	(void)state;
	uint8_t out[128];
	struct sockaddr_in a4 = sin4("192.0.2.1", 32853);
	struct sockaddr_in6 a6 = sin6("2001:db8:1234:5678:11:2233:4455:6677", 32853);

	size_t n = stun_build_binding_success(out, sizeof(out), tid, (struct sockaddr *)&a4, PWD,
					      PWDLEN);
	assert_int_equal(n, 20 + 12 + 24 + 8);
	assert_memory_equal(out + 20, rfc5769_response_v4 + 36, 12);
	assert_true(all_ok(out, n, PWD, PWDLEN));

	n = stun_build_binding_success(out, sizeof(out), tid, (struct sockaddr *)&a6, PWD, PWDLEN);
	assert_int_equal(n, 20 + 24 + 24 + 8);
	assert_memory_equal(out + 20, rfc5769_response_v6 + 36, 24);
	assert_true(all_ok(out, n, PWD, PWDLEN));
}

static void roundtrip_success(const struct sockaddr *sa, socklen_t salen, int want_family)
{
	uint8_t out[128];
	struct stun_msg m;
	size_t n = stun_build_binding_success(out, sizeof(out), tid, sa, PWD, PWDLEN);

	assert_true(n > 0);
	assert_int_equal(stun_msg_decode(&m, out, n), 0);
	assert_int_equal(m.type, STUN_BINDING_SUCCESS);
	assert_memory_equal(m.tid, tid, 12);
	assert_true(stun_msg_integrity_ok(&m, PWD, PWDLEN));
	assert_true(stun_msg_fingerprint_ok(&m));
	assert_true(m.has_xor_mapped);
	assert_int_equal(m.xor_mapped.ss_family, want_family);
	if (want_family == sa->sa_family)
		assert_memory_equal(&m.xor_mapped, sa, salen);
}

static void test_roundtrip_success(void **state)
{
	(void)state;
	struct sockaddr_in a4 = sin4("203.0.113.77", 61000);
	struct sockaddr_in6 a6 = sin6("2001:db8::1:2", 443);
	struct sockaddr_in6 mapped = sin6("::ffff:198.51.100.9", 5004);

	roundtrip_success((struct sockaddr *)&a4, sizeof(a4), AF_INET);
	roundtrip_success((struct sockaddr *)&a6, sizeof(a6), AF_INET6);
	/* a dual-stack socket's IPv4-mapped peer is answered in IPv4 */
	roundtrip_success((struct sockaddr *)&mapped, sizeof(mapped), AF_INET);
	uint8_t out[128];
	struct stun_msg m;
	size_t n = stun_build_binding_success(out, sizeof(out), tid, (struct sockaddr *)&mapped,
					      PWD, PWDLEN);
	assert_int_equal(stun_msg_decode(&m, out, n), 0);
	struct sockaddr_in want = sin4("198.51.100.9", 5004);
	assert_memory_equal(&m.xor_mapped, &want, sizeof(want));
	/* no address family we can encode */
	struct sockaddr unix_sa = {.sa_family = AF_UNIX};
	assert_int_equal(stun_build_binding_success(out, sizeof(out), tid, &unix_sa, PWD, PWDLEN), 0);
}

static void test_roundtrip_error(void **state)
{
	(void)state;
	uint8_t out[128];
	struct stun_msg m;
	size_t n = stun_build_binding_error(out, sizeof(out), tid, 401, "Unauthorized", NULL, 0);

	assert_true(n > 0);
	assert_int_equal(stun_msg_decode(&m, out, n), 0);
	assert_int_equal(m.type, STUN_BINDING_ERROR);
	assert_int_equal(m.error_code, 401);
	assert_int_equal(m.integrity_off, 0);
	assert_true(stun_msg_fingerprint_ok(&m));
	assert_false(stun_msg_integrity_ok(&m, PWD, PWDLEN));

	n = stun_build_binding_error(out, sizeof(out), tid, 487, "Role Conflict", PWD, PWDLEN);
	assert_true(all_ok(out, n, PWD, PWDLEN));
	assert_int_equal(stun_msg_decode(&m, out, n), 0);
	assert_int_equal(m.error_code, 487);

	assert_int_equal(stun_build_binding_error(out, sizeof(out), tid, 200, "OK", NULL, 0), 0);
	assert_int_equal(stun_build_binding_error(out, sizeof(out), tid, 700, "x", NULL, 0), 0);

	static const uint16_t unknown[2] = {0x0033, 0x7fff};
	n = stun_build_binding_error_unknown(out, sizeof(out), tid, unknown, 2, PWD, PWDLEN);
	assert_true(all_ok(out, n, PWD, PWDLEN));
	assert_int_equal(stun_msg_decode(&m, out, n), 0);
	assert_int_equal(m.error_code, 420);
	/* UNKNOWN-ATTRIBUTES follows ERROR-CODE ("Unknown Attribute": 4 + 17 → 24 bytes) */
	assert_memory_equal(out + 20 + 4 + 24, "\x00\x0a\x00\x04\x00\x33\x7f\xff", 8);
}

static void test_roundtrip_request(void **state)
{
	(void)state;
	uint8_t out[256];
	struct stun_msg m;
	size_t n = stun_build_binding_request(out, sizeof(out), tid, "evtj:h6vY", PWD, PWDLEN,
					      0x6e0001ff, 0x932ff9b151263b36ull, true);

	assert_true(all_ok(out, n, PWD, PWDLEN));
	assert_int_equal(stun_msg_decode(&m, out, n), 0);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "evtj:h6vY", 9);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_true(m.has_controlling);
	assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
	assert_true(m.use_candidate);
	assert_int_equal(m.n_unknown, 0);

	/* without a key: no MESSAGE-INTEGRITY, FINGERPRINT still there */
	n = stun_build_binding_request(out, sizeof(out), tid, "a:b", NULL, 0, 1, 2, false);
	assert_int_equal(stun_msg_decode(&m, out, n), 0);
	assert_int_equal(m.integrity_off, 0);
	assert_false(m.use_candidate);
	assert_true(stun_msg_fingerprint_ok(&m));
}

/* Every builder returns 0 for every too-small buffer and never writes past cap */
static void test_builders_respect_cap(void **state)
{
	(void)state;
	uint8_t out[256];
	struct sockaddr_in6 a6 = sin6("2001:db8::1", 9);
	size_t full[3] = {
		stun_build_binding_success(out, sizeof(out), tid, (struct sockaddr *)&a6, PWD, PWDLEN),
		stun_build_binding_error(out, sizeof(out), tid, 401, "Unauthorized", PWD, PWDLEN),
		stun_build_binding_request(out, sizeof(out), tid, "abc:def", PWD, PWDLEN, 1, 2, true),
	};
	for (size_t cap = 0; cap < full[2]; cap++) {
		memset(out, 0xaa, sizeof(out));
		size_t got[3] = {
			stun_build_binding_success(out, cap, tid, (struct sockaddr *)&a6, PWD, PWDLEN),
			stun_build_binding_error(out, cap, tid, 401, "Unauthorized", PWD, PWDLEN),
			stun_build_binding_request(out, cap, tid, "abc:def", PWD, PWDLEN, 1, 2, true),
		};
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(got[i], cap < full[i] ? 0 : full[i]);
		for (size_t i = cap; i < sizeof(out); i++)
			assert_int_equal(out[i], 0xaa);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5769_request),
		cmocka_unit_test(test_rfc5769_response_v4),
		cmocka_unit_test(test_rfc5769_response_v6),
		cmocka_unit_test(test_chromium_requests),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_misaligned),
		cmocka_unit_test(test_bad_attribute_lengths),
		cmocka_unit_test(test_attribute_order),
		cmocka_unit_test(test_unknown_attributes),
		cmocka_unit_test(test_is_stun),
		cmocka_unit_test(test_success_matches_rfc_xor),
		cmocka_unit_test(test_roundtrip_success),
		cmocka_unit_test(test_roundtrip_error),
		cmocka_unit_test(test_roundtrip_request),
		cmocka_unit_test(test_builders_respect_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_ice: ICE-lite checks, answers, nomination, consent freshness and the pair table, with
 * requests from stun_build_binding_request, RFC 5769 and a real Chromium. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "media/ice.h"
#include "media/stun.h"
#include "stun_vectors.h"

#define LUFRAG "Lx7q"
#define RUFRAG "r9+/"
#define LPWD "asd88fgpdd777uzjYhagZg12"
#define SEC 1000000ull

static const uint8_t tid[12] = {0x63, 0x68, 0x65, 0x63, 0x6b, 0x74, 0x69, 0x64, 0, 0, 0, 1};

static struct sockaddr_in addr4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

static struct sockaddr_in6 addr6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
	return a;
}

#define SA(a) ((const struct sockaddr *)&(a))

static size_t request(uint8_t *out, const char *user, const char *pwd, bool use_candidate)
{
	size_t n = stun_build_binding_request(out, 512, tid, user, (const uint8_t *)pwd,
					      pwd ? strlen(pwd) : 0, 0x6e001eff,
					      0x0123456789abcdefull, use_candidate);
	assert_true(n > 0);
	return n;
}

/* Sends one check, returns the verdict; the answer is decoded into *m (when there is one) */
static enum ice_verdict check(struct ice_lite *ice, const uint8_t *pkt, size_t len,
			      const struct sockaddr *from, uint64_t now, struct stun_msg *m,
			      uint8_t *out)
{
	size_t outlen = 12345;
	enum ice_verdict v = ice_lite_handle(ice, pkt, len, from, now, out, 512, &outlen);
	if (v == ICE_DROP) {
		assert_int_equal(outlen, 0);
		return v;
	}
	assert_int_equal(stun_msg_decode(m, out, outlen), 0);
	assert_memory_equal(m->tid, pkt + 8, 12);
	assert_true(stun_msg_fingerprint_ok(m));
	return v;
}

static enum ice_verdict check_simple(struct ice_lite *ice, const char *user, const char *pwd,
				     bool use_candidate, const struct sockaddr *from, uint64_t now)
{
	uint8_t pkt[512], out[512];
	struct stun_msg m;
	size_t n = request(pkt, user, pwd, use_candidate);
	return check(ice, pkt, n, from, now, &m, out);
}

static void setup_ice(struct ice_lite *ice)
{
	ice_lite_init(ice, LUFRAG, LPWD, RUFRAG);
}

static void test_valid_check(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in from = addr4("192.0.2.10", 50123);
	uint8_t pkt[512], out[512];
	struct stun_msg m;

	setup_ice(&ice);
	assert_int_equal(ice.selected, -1);
	assert_false(ice_lite_allowed(&ice, SA(from), 1 * SEC));
	size_t n = request(pkt, LUFRAG ":" RUFRAG, LPWD, false);
	assert_int_equal(check(&ice, pkt, n, SA(from), 1 * SEC, &m, out), ICE_REPLY);
	assert_int_equal(m.type, STUN_BINDING_SUCCESS);
	assert_true(stun_msg_integrity_ok(&m, (const uint8_t *)LPWD, strlen(LPWD)));
	assert_true(m.has_xor_mapped);
	assert_memory_equal(&m.xor_mapped, &from, sizeof(from));
	assert_true(ice_lite_allowed(&ice, SA(from), 1 * SEC));
	assert_int_equal(ice.checks_ok, 1);
	assert_int_equal(ice.checks_bad, 0);
	/* first valid check with nothing selected is where media goes, nomination or not */
	assert_int_equal(ice.selected, 0);
	assert_memory_equal(ice_lite_dest(&ice, 1 * SEC), &from, sizeof(from));
}

static void test_wrong_password(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in from = addr4("192.0.2.10", 50123);
	uint8_t pkt[512], out[512];
	struct stun_msg m;

	setup_ice(&ice);
	size_t n = request(pkt, LUFRAG ":" RUFRAG, "asd88fgpdd777uzjYhagZg13", true);
	assert_int_equal(check(&ice, pkt, n, SA(from), 1 * SEC, &m, out), ICE_REPLY_ERROR);
	assert_int_equal(m.type, STUN_BINDING_ERROR);
	assert_int_equal(m.error_code, 401);
	assert_int_equal(m.integrity_off, 0); /* we cannot sign for a peer that lacks our pwd */
	assert_false(ice_lite_allowed(&ice, SA(from), 1 * SEC));
	assert_null(ice_lite_dest(&ice, 1 * SEC));
	assert_int_equal(ice.checks_ok, 0);
	assert_int_equal(ice.checks_bad, 1);
	assert_int_equal(ice.npairs, 0);
}

static void test_wrong_username(void **state)
{
	(void)state;
	static const char *const users[] = {
		"Lx7r:" RUFRAG, LUFRAG ":r9+", LUFRAG ":" RUFRAG "x", LUFRAG RUFRAG,
		LUFRAG ":", ":" RUFRAG, "Lx7:q" RUFRAG,
	};
	struct ice_lite ice;
	struct sockaddr_in from = addr4("192.0.2.10", 50123);

	setup_ice(&ice);
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		/* the right password does not help a USERNAME that is not for this leg */
		assert_int_equal(check_simple(&ice, users[i], LPWD, true, SA(from), SEC), ICE_DROP);
		assert_false(ice_lite_allowed(&ice, SA(from), SEC));
	}
	/* no USERNAME at all */
	assert_int_equal(check_simple(&ice, NULL, LPWD, true, SA(from), SEC), ICE_DROP);
	assert_false(ice_lite_allowed(&ice, SA(from), SEC));
	assert_int_equal(ice.checks_bad, sizeof(users) / sizeof(users[0]) + 1);
}

static void test_remote_ufrag_unknown(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in from = addr4("192.0.2.10", 50123);

	/* before the remote description: the local part and the password decide */
	ice_lite_init(&ice, LUFRAG, LPWD, "");
	assert_int_equal(check_simple(&ice, LUFRAG ":", LPWD, false, SA(from), SEC), ICE_DROP);
	assert_int_equal(check_simple(&ice, LUFRAG ":anything", LPWD, false, SA(from), SEC),
			 ICE_REPLY);
	assert_true(ice_lite_allowed(&ice, SA(from), SEC));
}

static void test_use_candidate(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in a = addr4("192.0.2.10", 50123);
	struct sockaddr_in6 b = addr6("2001:db8::10", 50124);
	const char *user = LUFRAG ":" RUFRAG;

	setup_ice(&ice);
	assert_int_equal(check_simple(&ice, user, LPWD, false, SA(a), 1 * SEC), ICE_REPLY);
	assert_int_equal(check_simple(&ice, user, LPWD, true, SA(b), 2 * SEC), ICE_REPLY);
	assert_memory_equal(ice_lite_dest(&ice, 2 * SEC), &b, sizeof(b));
	/* a later plain check elsewhere does not steal the nomination */
	assert_int_equal(check_simple(&ice, user, LPWD, false, SA(a), 3 * SEC), ICE_REPLY);
	assert_memory_equal(ice_lite_dest(&ice, 3 * SEC), &b, sizeof(b));
	assert_true(ice_lite_allowed(&ice, SA(a), 3 * SEC));
	assert_true(ice_lite_allowed(&ice, SA(b), 3 * SEC));
	/* the browser nominates another pair */
	assert_int_equal(check_simple(&ice, user, LPWD, true, SA(a), 4 * SEC), ICE_REPLY);
	assert_memory_equal(ice_lite_dest(&ice, 4 * SEC), &a, sizeof(a));
	assert_int_equal(ice.npairs, 2);
}

static void test_consent_expiry(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in from = addr4("192.0.2.10", 50123);
	const char *user = LUFRAG ":" RUFRAG;
	uint64_t t0 = 100 * SEC;

	setup_ice(&ice);
	assert_int_equal(check_simple(&ice, user, LPWD, true, SA(from), t0), ICE_REPLY);
	assert_true(ice_lite_allowed(&ice, SA(from), t0 + ICE_CONSENT_TIMEOUT_US - 1));
	assert_non_null(ice_lite_dest(&ice, t0 + ICE_CONSENT_TIMEOUT_US - 1));
	assert_false(ice_lite_allowed(&ice, SA(from), t0 + ICE_CONSENT_TIMEOUT_US));
	assert_null(ice_lite_dest(&ice, t0 + ICE_CONSENT_TIMEOUT_US));
	/* a consent check (RFC 7675: every ~5 s) keeps it fresh */
	assert_int_equal(check_simple(&ice, user, LPWD, false, SA(from), t0 + 20 * SEC), ICE_REPLY);
	assert_true(ice_lite_allowed(&ice, SA(from), t0 + 49 * SEC));
	assert_non_null(ice_lite_dest(&ice, t0 + 49 * SEC));
	assert_false(ice_lite_allowed(&ice, SA(from), t0 + 50 * SEC));
	/* a failed check does not refresh */
	assert_int_equal(check_simple(&ice, user, "wrong-password-wrong-pw", false, SA(from),
				      t0 + 45 * SEC), ICE_REPLY_ERROR);
	assert_false(ice_lite_allowed(&ice, SA(from), t0 + 50 * SEC));
}

static void test_other_port_or_family(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in from = addr4("192.0.2.10", 50123);
	struct sockaddr_in port = addr4("192.0.2.10", 50124);
	struct sockaddr_in ip = addr4("192.0.2.11", 50123);
	struct sockaddr_in6 v6 = addr6("2001:db8::1", 50123);
	struct sockaddr_in6 v6port = addr6("2001:db8::1", 50124);

	setup_ice(&ice);
	assert_int_equal(check_simple(&ice, LUFRAG ":" RUFRAG, LPWD, true, SA(from), SEC), ICE_REPLY);
	assert_int_equal(check_simple(&ice, LUFRAG ":" RUFRAG, LPWD, true, SA(v6), SEC), ICE_REPLY);
	assert_true(ice_lite_allowed(&ice, SA(from), SEC));
	assert_true(ice_lite_allowed(&ice, SA(v6), SEC));
	assert_false(ice_lite_allowed(&ice, SA(port), SEC));
	assert_false(ice_lite_allowed(&ice, SA(ip), SEC));
	assert_false(ice_lite_allowed(&ice, SA(v6port), SEC));
	assert_false(ice_lite_allowed(&ice, NULL, SEC));
}

static void test_pairs_bounded(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in a[ICE_MAX_PAIRS + 3];
	const char *user = LUFRAG ":" RUFRAG;

	setup_ice(&ice);
	for (size_t i = 0; i < ICE_MAX_PAIRS + 3; i++) {
		a[i] = addr4("198.51.100.1", (uint16_t)(40000 + i));
		/* the first is nominated early and keeps consent with a check now and then */
		if (i > 0)
			assert_int_equal(check_simple(&ice, user, LPWD, false, SA(a[0]), i * SEC),
					 ICE_REPLY);
		assert_int_equal(check_simple(&ice, user, LPWD, i == 0, SA(a[i]), i * SEC),
				 ICE_REPLY);
		assert_true(ice.npairs <= ICE_MAX_PAIRS);
	}
	uint64_t now = (ICE_MAX_PAIRS + 3) * SEC;
	assert_int_equal(ice.npairs, ICE_MAX_PAIRS);
	/* the nominated address survived; the newest ones are in; the stalest went */
	assert_memory_equal(ice_lite_dest(&ice, now), &a[0], sizeof(a[0]));
	for (size_t i = 1; i < ICE_MAX_PAIRS + 3; i++)
		assert_int_equal(ice_lite_allowed(&ice, SA(a[i]), now), i >= 4);
}

static void test_username_local(void **state)
{
	(void)state;
	uint8_t pkt[512];
	char out[ICE_UFRAG_MAX + 1];
	char longu[ICE_UFRAG_MAX + 8];

	size_t n = request(pkt, LUFRAG ":" RUFRAG, LPWD, false);
	assert_int_equal(ice_username_local(pkt, n, out), 0);
	assert_string_equal(out, LUFRAG);
	assert_int_equal(ice_username_local(chromium_request, sizeof(chromium_request), out), 0);
	assert_string_equal(out, "rapp");
	assert_int_equal(ice_username_local(rfc5769_request, sizeof(rfc5769_request), out), 0);
	assert_string_equal(out, "evtj");

	n = request(pkt, NULL, LPWD, false);
	assert_int_equal(ice_username_local(pkt, n, out), ENOENT);
	n = request(pkt, "nocolon", LPWD, false);
	assert_int_equal(ice_username_local(pkt, n, out), EBADMSG);
	n = request(pkt, ":remote", LPWD, false);
	assert_int_equal(ice_username_local(pkt, n, out), EBADMSG);
	n = request(pkt, "bad-char:remote", LPWD, false);
	assert_int_equal(ice_username_local(pkt, n, out), EBADMSG);
	memset(longu, 'a', ICE_UFRAG_MAX + 1);
	strcpy(longu + ICE_UFRAG_MAX + 1, ":b");
	n = request(pkt, longu, LPWD, false);
	assert_int_equal(ice_username_local(pkt, n, out), EBADMSG);
	longu[ICE_UFRAG_MAX] = ':'; /* exactly ICE_UFRAG_MAX characters is fine */
	n = request(pkt, longu, LPWD, false);
	assert_int_equal(ice_username_local(pkt, n, out), 0);
	assert_int_equal(strlen(out), ICE_UFRAG_MAX);
	assert_int_equal(ice_username_local(pkt, n - 1, out), EBADMSG);
}

static void test_chromium(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in from = addr4("127.0.0.1", 52096);
	uint8_t out[512];
	struct stun_msg m;

	/* the first check, before nomination: answered, and media may go there */
	ice_lite_init(&ice, "rapp", CHROMIUM_PASSWORD, "L8pU");
	assert_int_equal(check(&ice, chromium_request, sizeof(chromium_request), SA(from), SEC, &m,
			       out), ICE_REPLY);
	assert_true(stun_msg_integrity_ok(&m, (const uint8_t *)CHROMIUM_PASSWORD,
					  strlen(CHROMIUM_PASSWORD)));
	assert_memory_equal(&m.xor_mapped, &from, sizeof(from));
	assert_true(ice_lite_allowed(&ice, SA(from), SEC));
	/* the same request for another session's ufrag is not for this leg */
	ice_lite_init(&ice, "rapp", CHROMIUM_PASSWORD, "ICZk");
	assert_int_equal(check(&ice, chromium_request, sizeof(chromium_request), SA(from), SEC, &m,
			       out), ICE_DROP);
	/* that session's nominating check */
	assert_int_equal(check(&ice, chromium_request_use, sizeof(chromium_request_use), SA(from),
			       SEC, &m, out), ICE_REPLY);
	assert_memory_equal(ice_lite_dest(&ice, SEC), &from, sizeof(from));
}

static void test_rfc5769_request(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in6 from = addr6("2001:db8:1234:5678:11:2233:4455:6677", 32853);
	uint8_t out[512];
	struct stun_msg m;

	ice_lite_init(&ice, "evtj", RFC5769_PASSWORD, "h6vY");
	assert_int_equal(check(&ice, rfc5769_request, sizeof(rfc5769_request), SA(from), SEC, &m,
			       out), ICE_REPLY);
	assert_memory_equal(&m.xor_mapped, &from, sizeof(from));
	/* the XOR-MAPPED-ADDRESS we send equals the RFC's sample response for that address */
	assert_memory_equal(out + 20, rfc5769_response_v6 + 36, 24);
}

static void test_missing_fingerprint_or_integrity(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in from = addr4("192.0.2.10", 50123);
	uint8_t pkt[512], out[512];
	struct stun_msg m;

	setup_ice(&ice);
	/* FINGERPRINT cut off: MESSAGE-INTEGRITY still verifies, but ICE requires FINGERPRINT */
	size_t n = request(pkt, LUFRAG ":" RUFRAG, LPWD, true);
	pkt[3] -= 8;
	assert_int_equal(check(&ice, pkt, n - 8, SA(from), SEC, &m, out), ICE_DROP);
	/* FINGERPRINT wrong */
	n = request(pkt, LUFRAG ":" RUFRAG, LPWD, true);
	pkt[n - 1] ^= 1;
	assert_int_equal(check(&ice, pkt, n, SA(from), SEC, &m, out), ICE_DROP);
	/* no MESSAGE-INTEGRITY: 400 */
	n = request(pkt, LUFRAG ":" RUFRAG, NULL, true);
	assert_int_equal(check(&ice, pkt, n, SA(from), SEC, &m, out), ICE_REPLY_ERROR);
	assert_int_equal(m.error_code, 400);
	assert_false(ice_lite_allowed(&ice, SA(from), SEC));
	assert_int_equal(ice.checks_bad, 3);
}

/* CRC-32 bit by bit, independent of stun.c's table */
static uint32_t crc32_bitwise(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* Appends MESSAGE-INTEGRITY(key) and FINGERPRINT to the first len bytes of pkt */
static size_t seal(uint8_t *pkt, size_t len, const char *key)
{
	unsigned maclen = 0;
	size_t body = len - 20;
	pkt[2] = (uint8_t)((body + 24) >> 8), pkt[3] = (uint8_t)(body + 24);
	memcpy(pkt + len, "\x00\x08\x00\x14", 4);
	HMAC(EVP_sha1(), key, (int)strlen(key), pkt, len, pkt + len + 4, &maclen);
	assert_int_equal(maclen, 20);
	len += 24;
	pkt[2] = (uint8_t)((len - 20 + 8) >> 8), pkt[3] = (uint8_t)(len - 20 + 8);
	uint32_t crc = crc32_bitwise(pkt, len) ^ 0x5354554eu;
	uint8_t fp[8] = {0x80, 0x28, 0, 4, crc >> 24, crc >> 16, crc >> 8, crc};
	memcpy(pkt + len, fp, 8);
	return len + 8;
}

static void test_unknown_attribute(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in from = addr4("192.0.2.10", 50123);
	uint8_t pkt[512], out[512];
	struct stun_msg m;

	setup_ice(&ice);
	/* an unsigned request, FINGERPRINT cut off, an unknown 0x7001 added, then signed */
	size_t n = request(pkt, LUFRAG ":" RUFRAG, NULL, true) - 8;
	memcpy(pkt + n, "\x70\x01\x00\x04\xde\xad\xbe\xef", 8);
	n = seal(pkt, n + 8, LPWD);
	assert_int_equal(check(&ice, pkt, n, SA(from), SEC, &m, out), ICE_REPLY_ERROR);
	assert_int_equal(m.error_code, 420);
	assert_true(stun_msg_integrity_ok(&m, (const uint8_t *)LPWD, strlen(LPWD)));
	assert_non_null(memmem(out, m.len, "\x00\x0a\x00\x02\x70\x01", 6));
	assert_false(ice_lite_allowed(&ice, SA(from), SEC));
	/* the same attribute as comprehension-optional (0xf001) is ignored */
	n = request(pkt, LUFRAG ":" RUFRAG, NULL, true) - 8;
	memcpy(pkt + n, "\xf0\x01\x00\x04\xde\xad\xbe\xef", 8);
	n = seal(pkt, n + 8, LPWD);
	assert_int_equal(check(&ice, pkt, n, SA(from), SEC, &m, out), ICE_REPLY);
	assert_true(ice_lite_allowed(&ice, SA(from), SEC));
}

static void test_not_requests(void **state)
{
	(void)state;
	struct ice_lite ice;
	struct sockaddr_in from = addr4("192.0.2.10", 50123);
	uint8_t pkt[512], out[512];
	struct stun_msg m;
	static const uint8_t indication[28] = {0x00, 0x11, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42,
					       1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					       0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0};

	setup_ice(&ice);
	/* a binding indication (keepalive): dropped silently, not counted as bad */
	assert_int_equal(check(&ice, indication, sizeof(indication), SA(from), SEC, &m, out),
			 ICE_DROP);
	assert_int_equal(ice.checks_bad, 0);
	/* a response: a lite agent sends no requests, so it is dropped */
	assert_int_equal(check(&ice, rfc5769_response_v4, sizeof(rfc5769_response_v4), SA(from),
			       SEC, &m, out), ICE_DROP);
	/* garbage, an empty packet, a source address of no known family */
	assert_int_equal(check(&ice, (const uint8_t *)"\x80\x60hello rtp packet....", 22,
			       SA(from), SEC, &m, out), ICE_DROP);
	assert_int_equal(check(&ice, pkt, 0, SA(from), SEC, &m, out), ICE_DROP);
	struct sockaddr unix_sa = {.sa_family = AF_UNIX};
	size_t n = request(pkt, LUFRAG ":" RUFRAG, LPWD, true);
	assert_int_equal(check(&ice, pkt, n, &unix_sa, SEC, &m, out), ICE_DROP);
	/* an answer that does not fit the caller's buffer is not sent and changes nothing */
	size_t outlen = 1;
	assert_int_equal(ice_lite_handle(&ice, pkt, n, SA(from), SEC, out, 40, &outlen), ICE_DROP);
	assert_int_equal(outlen, 0);
	assert_false(ice_lite_allowed(&ice, SA(from), SEC));
}

static void test_gen_credentials(void **state)
{
	(void)state;
	char u1[ICE_UFRAG_MAX + 1], p1[ICE_PWD_MAX + 1], u2[ICE_UFRAG_MAX + 1], p2[ICE_PWD_MAX + 1];
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	assert_int_equal(ice_gen_credentials(u1, p1), 0);
	assert_int_equal(ice_gen_credentials(u2, p2), 0);
	assert_int_equal(strlen(u1), 8);
	assert_int_equal(strlen(p1), 24); /* RFC 8839: ufrag >= 4, pwd >= 22 characters */
	assert_int_equal(strspn(u1, set), 8);
	assert_int_equal(strspn(p1, set), 24);
	assert_string_not_equal(u1, u2);
	assert_string_not_equal(p1, p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_check),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_wrong_username),
		cmocka_unit_test(test_remote_ufrag_unknown),
		cmocka_unit_test(test_use_candidate),
		cmocka_unit_test(test_consent_expiry),
		cmocka_unit_test(test_other_port_or_family),
		cmocka_unit_test(test_pairs_bounded),
		cmocka_unit_test(test_username_local),
		cmocka_unit_test(test_chromium),
		cmocka_unit_test(test_rfc5769_request),
		cmocka_unit_test(test_missing_fingerprint_or_integrity),
		cmocka_unit_test(test_unknown_attribute),
		cmocka_unit_test(test_not_requests),
		cmocka_unit_test(test_gen_credentials),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

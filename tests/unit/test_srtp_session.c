/* srtp_session: libsrtp's own reference packets (test/srtp_driver.c, srtp_validate and
 * srtp_validate_gcm) for both profiles, then sessions keyed by a real DTLS handshake protecting
 * for each other, with tampering, replay, retransmission and a too small buffer. Prints the
 * cost of protect + unprotect of a 1200-byte packet per profile. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/mem.h"
#include "media/dtls.h"
#include "media/srtp_session.h"

/* RTP: V=2, PT 15, seq 0x1234, ts 0xdecafbad, SSRC 0xcafebabe, 16 bytes 0xab */
static const uint8_t rtp_plain[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab,
};
/* RTCP: SR header, SSRC 0xcafebabe, 16 bytes 0xab */
static const uint8_t rtcp_plain[24] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};

/* AES_CM_128_HMAC_SHA1_80: master key || master salt, and the protected packets */
static const uint8_t cm_key[30] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
	0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t cm_srtp[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e, 0x55, 0xdc,
	0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
	0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
static const uint8_t cm_srtcp[38] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4, 0x87, 0xb9,
	0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e,
	0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
};

/* AEAD_AES_128_GCM: master key || master salt, and the protected packets */
static const uint8_t gcm_key[28] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};
static const uint8_t gcm_srtp[44] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
	0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
	0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
};
static const uint8_t gcm_srtcp[44] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a,
	0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3,
	0xb4, 0x46, 0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01,
};

struct vector {
	enum srtp_profile_id profile;
	const uint8_t *key;
	size_t key_len;
	const uint8_t *srtp, *srtcp;
	size_t srtp_len, srtcp_len;
};

static const struct vector vectors[] = {
	{SRTP_PROFILE_AES128_CM_SHA1_80, cm_key, sizeof(cm_key), cm_srtp, cm_srtcp,
	 sizeof(cm_srtp), sizeof(cm_srtcp)},
	{SRTP_PROFILE_AEAD_AES_128_GCM, gcm_key, sizeof(gcm_key), gcm_srtp, gcm_srtcp,
	 sizeof(gcm_srtp), sizeof(gcm_srtcp)},
};

/* local = key (what we protect with), remote = key (what we unprotect with) */
static struct srtp_session *session_with(const struct vector *v)
{
	struct srtp_keys k = {.profile = v->profile, .len = v->key_len};
	struct srtp_session *s = NULL;
	memcpy(k.local, v->key, v->key_len);
	memcpy(k.remote, v->key, v->key_len);
	assert_int_equal(srtp_session_alloc(&s, &k), 0);
	return s;
}

static void test_reference_packets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		struct srtp_session *tx = session_with(v), *rx = session_with(v);
		uint8_t buf[128];
		size_t len = sizeof(rtp_plain);
		memcpy(buf, rtp_plain, len);
		assert_int_equal(srtp_session_protect_rtp(tx, buf, &len, sizeof(buf)), 0);
		assert_int_equal(len, v->srtp_len);
		assert_memory_equal(buf, v->srtp, len);
		len = sizeof(rtcp_plain);
		memcpy(buf, rtcp_plain, len);
		assert_int_equal(srtp_session_protect_rtcp(tx, buf, &len, sizeof(buf)), 0);
		assert_int_equal(len, v->srtcp_len);
		assert_memory_equal(buf, v->srtcp, len);

		len = v->srtp_len;
		memcpy(buf, v->srtp, len);
		assert_int_equal(srtp_session_unprotect_rtp(rx, buf, &len), 0);
		assert_int_equal(len, sizeof(rtp_plain));
		assert_memory_equal(buf, rtp_plain, len);
		len = v->srtcp_len;
		memcpy(buf, v->srtcp, len);
		assert_int_equal(srtp_session_unprotect_rtcp(rx, buf, &len), 0);
		assert_int_equal(len, sizeof(rtcp_plain));
		assert_memory_equal(buf, rtcp_plain, len);
		mem_deref(tx);
		mem_deref(rx);
	}
}

/* ---- keys from a real handshake ---- */

struct hs_queue {
	uint8_t data[16][1500];
	size_t len[16];
	unsigned n;
};

static void hs_send(const uint8_t *data, size_t len, void *arg)
{
	struct hs_queue *q = arg;
	assert_true(q->n < 16 && len <= 1500);
	memcpy(q->data[q->n], data, len);
	q->len[q->n++] = len;
}

static unsigned hs_deliver(struct hs_queue *q, struct dtls_conn *to)
{
	unsigned n = q->n;
	for (unsigned i = 0; i < n; i++)
		(void)dtls_conn_recv(to, q->data[i], q->len[i]);
	q->n = 0;
	return n;
}

/* a server offering both profiles and a client offering both: AEAD_AES_128_GCM */
static void handshake_keys(struct srtp_keys *srv_keys, struct srtp_keys *cli_keys)
{
	static struct hs_queue qs, qc;
	struct dtls_cert *a = NULL, *b = NULL;
	struct dtls_conn *srv = NULL, *cli = NULL;
	uint8_t fa[DTLS_FP_LEN], fb[DTLS_FP_LEN];
	assert_int_equal(dtls_cert_create(&a), 0);
	assert_int_equal(dtls_cert_create(&b), 0);
	assert_int_equal(dtls_fp_parse(dtls_cert_fingerprint(a), fa), 0);
	assert_int_equal(dtls_fp_parse(dtls_cert_fingerprint(b), fb), 0);
	assert_int_equal(dtls_conn_alloc(&srv, a, true, fb, hs_send, &qs), 0);
	assert_int_equal(dtls_conn_alloc(&cli, b, false, fa, hs_send, &qc), 0);
	assert_int_equal(dtls_conn_connect(cli), 0);
	for (int i = 0; i < 10 && (hs_deliver(&qc, srv) + hs_deliver(&qs, cli)) > 0; i++)
		;
	assert_int_equal(dtls_conn_keys(srv, srv_keys), 0);
	assert_int_equal(dtls_conn_keys(cli, cli_keys), 0);
	mem_deref(srv);
	mem_deref(cli);
	mem_deref(a);
	mem_deref(b);
}

/* both ends of a leg from handshake keys, with the profile forced (key bytes reused) */
static void pair_for(enum srtp_profile_id profile, struct srtp_session **srv,
		     struct srtp_session **cli)
{
	struct srtp_keys ks, kc;
	handshake_keys(&ks, &kc);
	assert_int_equal(ks.profile, SRTP_PROFILE_AEAD_AES_128_GCM);
	if (profile == SRTP_PROFILE_AES128_CM_SHA1_80) {
		ks.profile = kc.profile = profile;
		ks.len = kc.len = 30;
	}
	assert_int_equal(srtp_session_alloc(srv, &ks), 0);
	assert_int_equal(srtp_session_alloc(cli, &kc), 0);
}

static size_t make_rtp(uint8_t *buf, size_t len, uint16_t seq, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = 96;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	memset(buf + 4, 0, 4);
	buf[4] = (uint8_t)(seq >> 4);
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	for (size_t i = 12; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seq);
	return len;
}

static void both_ways(struct srtp_session *a, struct srtp_session *b)
{
	uint8_t buf[1500], ref[1500];
	for (uint16_t seq = 1; seq <= 50; seq++) {
		size_t len = make_rtp(ref, 12 + seq * 23 % 1188, seq, 0x11223344u + seq % 3);
		memcpy(buf, ref, len);
		assert_int_equal(srtp_session_protect_rtp(a, buf, &len, sizeof(buf)), 0);
		assert_memory_not_equal(buf + 12, ref + 12, len - 12 > 8 ? 8 : len - 12);
		assert_int_equal(srtp_session_unprotect_rtp(b, buf, &len), 0);
		assert_memory_equal(buf, ref, len);

		len = make_rtp(ref, 12 + seq % 40, seq, 0x55667788u);
		memcpy(buf, ref, len);
		assert_int_equal(srtp_session_protect_rtp(b, buf, &len, sizeof(buf)), 0);
		assert_int_equal(srtp_session_unprotect_rtp(a, buf, &len), 0);
		assert_memory_equal(buf, ref, len);
	}
	for (int i = 0; i < 20; i++) {
		size_t len = sizeof(rtcp_plain);
		memcpy(buf, rtcp_plain, len);
		assert_int_equal(srtp_session_protect_rtcp(a, buf, &len, sizeof(buf)), 0);
		assert_int_equal(srtp_session_unprotect_rtcp(b, buf, &len), 0);
		assert_memory_equal(buf, rtcp_plain, sizeof(rtcp_plain));
		len = sizeof(rtcp_plain);
		memcpy(buf, rtcp_plain, len);
		assert_int_equal(srtp_session_protect_rtcp(b, buf, &len, sizeof(buf)), 0);
		assert_int_equal(srtp_session_unprotect_rtcp(a, buf, &len), 0);
	}
}

/* one session does not accept what it sent itself: the directions have their own keys */
static void own_packet_rejected(struct srtp_session *a)
{
	uint8_t buf[256];
	size_t len = make_rtp(buf, 100, 7, 0xabcdef01u);
	assert_int_equal(srtp_session_protect_rtp(a, buf, &len, sizeof(buf)), 0);
	assert_int_equal(srtp_session_unprotect_rtp(a, buf, &len), EBADMSG);
}

static void tamper_and_replay(struct srtp_session *tx, struct srtp_session *rx)
{
	uint8_t buf[256], copy[256];
	size_t len = make_rtp(buf, 200, 1000, 0x0badcafe), clen;
	assert_int_equal(srtp_session_protect_rtp(tx, buf, &len, sizeof(buf)), 0);
	memcpy(copy, buf, len);
	for (size_t pos = 2; pos < len; pos += 37) {  /* header, payload and tag bytes */
		clen = len;
		memcpy(buf, copy, len);
		buf[pos] ^= 0x01;
		assert_int_equal(srtp_session_unprotect_rtp(rx, buf, &clen), EBADMSG);
	}
	clen = len;
	memcpy(buf, copy, len);
	assert_int_equal(srtp_session_unprotect_rtp(rx, buf, &clen), 0);
	clen = len;
	memcpy(buf, copy, len);
	assert_int_equal(srtp_session_unprotect_rtp(rx, buf, &clen), EALREADY);

	len = sizeof(rtcp_plain);
	memcpy(buf, rtcp_plain, len);
	assert_int_equal(srtp_session_protect_rtcp(tx, buf, &len, sizeof(buf)), 0);
	memcpy(copy, buf, len);
	buf[10] ^= 0x80;
	clen = len;
	assert_int_equal(srtp_session_unprotect_rtcp(rx, buf, &clen), EBADMSG);
	memcpy(buf, copy, len);
	clen = len;
	assert_int_equal(srtp_session_unprotect_rtcp(rx, buf, &clen), 0);
	memcpy(buf, copy, len);
	clen = len;
	assert_int_equal(srtp_session_unprotect_rtcp(rx, buf, &clen), EALREADY);
}

/* a NACKed packet is protected again with the same sequence number: same bytes on the wire */
static void retransmission(struct srtp_session *tx, struct srtp_session *rx)
{
	uint8_t a[300], b[300];
	size_t la = make_rtp(a, 250, 2000, 0x0badcafe), lb;
	memcpy(b, a, la);
	lb = la;
	assert_int_equal(srtp_session_protect_rtp(tx, a, &la, sizeof(a)), 0);
	assert_int_equal(srtp_session_protect_rtp(tx, b, &lb, sizeof(b)), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_int_equal(srtp_session_unprotect_rtp(rx, a, &la), 0);
}

/* a packet no bigger than the buffer's room minus the trailer, in a heap buffer of exactly
 * that size, so AddressSanitizer sees any write past it */
static void capacity(struct srtp_session *tx)
{
	size_t cap = 160 + SRTP_SESSION_TRAILER;
	uint8_t *buf = malloc(cap), ref[160];
	assert_non_null(buf);
	size_t len = make_rtp(buf, 161, 3000, 0x01020304);
	memcpy(ref, buf, 160);
	assert_int_equal(srtp_session_protect_rtp(tx, buf, &len, cap), ENOBUFS);
	assert_int_equal(len, 161);
	assert_memory_equal(buf, ref, 160);
	len = 160;
	assert_int_equal(srtp_session_protect_rtp(tx, buf, &len, cap - 1), ENOBUFS);
	assert_int_equal(srtp_session_protect_rtp(tx, buf, &len, 100), ENOBUFS);
	assert_int_equal(srtp_session_protect_rtp(tx, buf, &len, cap), 0);
	assert_true(len > 160 && len <= cap);
	len = 24;
	memcpy(buf, rtcp_plain, len);
	assert_int_equal(srtp_session_protect_rtcp(tx, buf, &len, 24 + SRTP_SESSION_TRAILER - 1),
			 ENOBUFS);
	assert_int_equal(srtp_session_protect_rtcp(tx, buf, &len, 24 + SRTP_SESSION_TRAILER), 0);
	free(buf);
	/* and the same at the exact end of a buffer for RTCP */
	buf = malloc(24 + SRTP_SESSION_TRAILER);
	assert_non_null(buf);
	memcpy(buf, rtcp_plain, 24);
	len = 24;
	assert_int_equal(srtp_session_protect_rtcp(tx, buf, &len, 24 + SRTP_SESSION_TRAILER), 0);
	free(buf);
}

static void garbage(struct srtp_session *rx)
{
	uint8_t buf[300];
	uint32_t x = 12345;
	static const size_t lens[] = {1, 4, 11, 12, 13, 20, 27, 28, 40, 299};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (int round = 0; round < 20; round++) {
			for (size_t j = 0; j < lens[i]; j++) {
				x = x * 1103515245u + 12345u;
				buf[j] = (uint8_t)(x >> 16);
			}
			buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x80);
			size_t len = lens[i];
			assert_int_not_equal(srtp_session_unprotect_rtp(rx, buf, &len), 0);
			len = lens[i];
			assert_int_not_equal(srtp_session_unprotect_rtcp(rx, buf, &len), 0);
		}
	}
}

static void run_profile(enum srtp_profile_id profile)
{
	struct srtp_session *srv = NULL, *cli = NULL;
	pair_for(profile, &srv, &cli);
	srtp_session_prefetch_in(srv);       /* reads only the session: harmless at any time */
	srtp_session_prefetch_out(cli);
	both_ways(srv, cli);
	own_packet_rejected(srv);
	tamper_and_replay(srv, cli);
	tamper_and_replay(cli, srv);
	retransmission(srv, cli);
	capacity(srv);
	garbage(cli);
	mem_deref(srv);
	mem_deref(cli);
}

static void test_gcm(void **state)
{
	(void)state;
	run_profile(SRTP_PROFILE_AEAD_AES_128_GCM);
}

static void test_cm_sha1_80(void **state)
{
	(void)state;
	run_profile(SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct srtp_session *s = NULL;
	struct srtp_keys k = {.profile = SRTP_PROFILE_AEAD_AES_128_GCM, .len = 30};
	uint8_t buf[64] = {0x80};
	size_t len = 20;
	assert_int_equal(srtp_session_global_init(), 0);
	assert_int_equal(srtp_session_global_init(), 0);
	assert_int_equal(srtp_session_alloc(&s, &k), EINVAL);     /* GCM is 28 */
	k.profile = SRTP_PROFILE_NONE;
	k.len = 0;
	assert_int_equal(srtp_session_alloc(&s, &k), EINVAL);
	k.profile = (enum srtp_profile_id)8;
	k.len = 44;
	assert_int_equal(srtp_session_alloc(&s, &k), EINVAL);
	assert_int_equal(srtp_session_alloc(&s, NULL), EINVAL);
	assert_null(s);
	assert_int_equal(srtp_session_protect_rtp(NULL, buf, &len, sizeof(buf)), EINVAL);
	assert_int_equal(srtp_session_unprotect_rtcp(NULL, buf, &len), EINVAL);
	srtp_session_prefetch_in(NULL);
	srtp_session_prefetch_out(NULL);
	assert_string_equal(srtp_session_profile_name(SRTP_PROFILE_AEAD_AES_128_GCM),
			    "AEAD_AES_128_GCM");
	assert_string_equal(srtp_session_profile_name(SRTP_PROFILE_AES128_CM_SHA1_80),
			    "AES_CM_128_HMAC_SHA1_80");
	assert_string_equal(srtp_session_profile_name(SRTP_PROFILE_NONE), "NONE");
	assert_string_equal(srtp_session_profile_name((enum srtp_profile_id)99), "unknown");
}

/* printed, not asserted: the machine is shared and sanitizer builds are slow */
static void test_cost(void **state)
{
	(void)state;
	static const enum srtp_profile_id profiles[] = {SRTP_PROFILE_AEAD_AES_128_GCM,
							SRTP_PROFILE_AES128_CM_SHA1_80};
	enum { N = 20000 };
	for (size_t p = 0; p < 2; p++) {
		struct srtp_session *tx = NULL, *rx = NULL;
		uint8_t buf[1200 + SRTP_SESSION_TRAILER];
		pair_for(profiles[p], &tx, &rx);
		size_t len = make_rtp(buf, 1200, 0, 0x12345678);
		uint64_t t0 = clock_us();
		for (unsigned i = 0; i < N; i++) {
			buf[2] = (uint8_t)(i >> 8);  /* next sequence number; unprotect restored the rest */
			buf[3] = (uint8_t)i;
			assert_int_equal(srtp_session_protect_rtp(tx, buf, &len, sizeof(buf)), 0);
			assert_int_equal(srtp_session_unprotect_rtp(rx, buf, &len), 0);
		}
		uint64_t t1 = clock_us();
		printf("srtp cost: %-24s %.2f us per 1200-byte packet (protect + unprotect, %d)\n",
		       srtp_session_profile_name(profiles[p]), (double)(t1 - t0) / N, N);
		mem_deref(tx);
		mem_deref(rx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_packets),
		cmocka_unit_test(test_gcm),
		cmocka_unit_test(test_cm_sha1_80),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

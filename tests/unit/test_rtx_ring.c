/* rtx_ring: sizing, hits, misses, NACKs before the packet, back-off, wrap-around. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/mem.h"
#include "media/rtx_ring.h"

#define MS 1000u

static struct rtx_ring *mk(uint32_t n, uint32_t rtt_us)
{
	struct rtx_ring *r = NULL;
	assert_int_equal(rtx_ring_alloc(&r, n, 1500, rtt_us), 0);
	return r;
}

/* a packet whose bytes say which seq it is */
static bool put(struct rtx_ring *r, uint16_t seq, uint64_t now)
{
	uint8_t pkt[200];
	memset(pkt, (uint8_t)seq, sizeof(pkt));
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	return rtx_ring_put(r, seq, pkt, 100 + seq % 100, now);
}

static void assert_pkt(const uint8_t *data, size_t len, uint16_t seq)
{
	assert_int_equal(len, 100 + seq % 100);
	assert_int_equal(data[2] << 8 | data[3], seq);
	assert_int_equal(data[len - 1], (uint8_t)seq);
}

static struct rtx_ring_stats stats(const struct rtx_ring *r)
{
	struct rtx_ring_stats st;
	rtx_ring_stats(r, &st);
	return st;
}

static void test_size_and_config(void **state)
{
	(void)state;
	struct rtx_ring *r = NULL;
	assert_int_equal(rtx_ring_size(100 * MS, 50), RTX_RING_MIN);     /* audio: 25 packets */
	assert_int_equal(rtx_ring_size(100 * MS, 1000), 512);            /* video: 500 packets */
	assert_int_equal(rtx_ring_size(300 * MS, 2000), 4096);           /* 2600 packets */
	assert_int_equal(rtx_ring_size(2000000, 5000), RTX_RING_MAX);    /* bounded */
	assert_int_equal(rtx_ring_alloc(&r, 100, 1500, 0), EINVAL);      /* not a power of two */
	assert_int_equal(rtx_ring_alloc(&r, 32, 1500, 0), EINVAL);
	assert_int_equal(rtx_ring_alloc(&r, 64, 0, 0), EINVAL);
	assert_int_equal(rtx_ring_alloc(&r, 64, 70000, 0), EINVAL);
	assert_null(r);
}

static void test_hits_backoff_and_misses(void **state)
{
	(void)state;
	struct rtx_ring *r = mk(64, 40 * MS);
	const uint8_t *d;
	size_t len;
	for (uint16_t s = 1000; s < 1100; s++)
		assert_false(put(r, s, s * MS));
	/* the last 64 are here */
	for (uint16_t s = 1036; s < 1100; s++) {
		assert_int_equal(rtx_ring_get(r, s, 200 * MS, &d, &len), 0);
		assert_pkt(d, len, s);
	}
	/* the same seq again within RTT/2 is not resent; after it, it is */
	assert_int_equal(rtx_ring_get(r, 1050, 219 * MS, &d, &len), EALREADY);
	assert_int_equal(rtx_ring_get(r, 1050, 220 * MS, &d, &len), 0);
	assert_pkt(d, len, 1050);
	/* older than the ring: gone, and not remembered */
	assert_int_equal(rtx_ring_get(r, 1035, 220 * MS, &d, &len), ENOENT);
	assert_int_equal(rtx_ring_get(r, 1000, 220 * MS, &d, &len), ENOENT);
	assert_int_equal(rtx_ring_get(r, 30000, 220 * MS, &d, &len), ENOENT);
	/* a late store of a seq older than the ring does not overwrite a newer packet */
	assert_false(put(r, 1036 - 64, 230 * MS));
	assert_int_equal(rtx_ring_get(r, 1036, 300 * MS, &d, &len), 0);
	assert_pkt(d, len, 1036);
	struct rtx_ring_stats st = stats(r);
	assert_int_equal(st.stored, 100);
	assert_int_equal(st.hits, 66);
	assert_int_equal(st.backoffs, 1);
	assert_int_equal(st.misses, 3);
	assert_int_equal(st.pending, 0);
	/* with a tiny RTT the back-off floor still holds */
	rtx_ring_set_rtt(r, 1 * MS);
	assert_int_equal(rtx_ring_get(r, 1099, 400 * MS, &d, &len), 0);
	assert_int_equal(rtx_ring_get(r, 1099, 404 * MS, &d, &len), EALREADY);
	assert_int_equal(rtx_ring_get(r, 1099, 405 * MS, &d, &len), 0);
	mem_deref(r);
}

/* the browser NACKs a seq we forwarded around (upstream lost it too), and one not sent yet */
static void test_nack_before_packet(void **state)
{
	(void)state;
	struct rtx_ring *r = mk(64, 100 * MS);
	const uint8_t *d;
	size_t len;
	put(r, 10, 0);
	put(r, 11, 20 * MS);
	put(r, 13, 40 * MS);
	assert_int_equal(rtx_ring_get(r, 12, 50 * MS, &d, &len), EAGAIN);
	assert_int_equal(rtx_ring_get(r, 12, 60 * MS, &d, &len), EAGAIN);   /* once in the list */
	assert_int_equal(rtx_ring_get(r, 14, 60 * MS, &d, &len), EAGAIN);   /* not sent yet */
	assert_int_equal(stats(r).pending, 2);
	/* our upstream NACK brings 12 back: storing (and so sending) it answers the NACK */
	assert_true(put(r, 12, 150 * MS));
	assert_false(put(r, 12, 151 * MS));
	/* a repeated NACK right after is held back, as for a resend */
	assert_int_equal(rtx_ring_get(r, 12, 160 * MS, &d, &len), EALREADY);
	assert_int_equal(rtx_ring_get(r, 12, 200 * MS, &d, &len), 0);
	assert_pkt(d, len, 12);
	assert_true(put(r, 14, 210 * MS));
	/* a pending NACK expires after 2 × RTT */
	assert_int_equal(rtx_ring_get(r, 15, 300 * MS, &d, &len), EAGAIN);
	assert_false(put(r, 15, 501 * MS));
	struct rtx_ring_stats st = stats(r);
	assert_int_equal(st.pending_added, 3);
	assert_int_equal(st.pending_answered, 2);
	assert_int_equal(st.pending_expired, 1);
	assert_int_equal(st.pending, 0);
	mem_deref(r);
}

/* more pending NACKs than the list holds: the oldest makes room */
static void test_pending_full(void **state)
{
	(void)state;
	struct rtx_ring *r = mk(64, 100 * MS);
	const uint8_t *d;
	size_t len;
	put(r, 0, 0);
	put(r, 63, 0);
	for (uint16_t s = 1; s <= RTX_PENDING_MAX + 1; s++)
		assert_int_equal(rtx_ring_get(r, s, s * MS, &d, &len), EAGAIN);
	struct rtx_ring_stats st = stats(r);
	assert_int_equal(st.pending, RTX_PENDING_MAX);
	assert_int_equal(st.pending_expired, 1);
	assert_false(put(r, 1, 50 * MS));   /* the oldest, dropped */
	assert_true(put(r, 2, 50 * MS));
	assert_true(put(r, RTX_PENDING_MAX + 1, 50 * MS));
	mem_deref(r);
}

static void test_wrap_and_oversize(void **state)
{
	(void)state;
	struct rtx_ring *r = NULL;
	const uint8_t *d;
	size_t len;
	uint8_t big[2000] = {0};
	assert_int_equal(rtx_ring_alloc(&r, 128, 1200, 50 * MS), 0);
	rtx_ring_prefetch_index(r);               /* empty: nothing to read beyond the ring */
	rtx_ring_prefetch_arena(r);
	for (uint32_t i = 0; i < 100; i++) {
		put(r, (uint16_t)(65500 + i), i * MS);   /* 65500 .. 63 */
		rtx_ring_prefetch_index(r);
		rtx_ring_prefetch_arena(r);
	}
	for (uint32_t i = 0; i < 100; i++) {
		uint16_t s = (uint16_t)(65500 + i);
		assert_int_equal(rtx_ring_get(r, s, 500 * MS, &d, &len), 0);
		assert_pkt(d, len, s);
	}
	assert_int_equal(rtx_ring_get(r, 65499, 500 * MS, &d, &len), EAGAIN);  /* within a ring */
	assert_int_equal(rtx_ring_get(r, 65400, 500 * MS, &d, &len), ENOENT);
	assert_false(rtx_ring_put(r, 64, big, sizeof(big), 600 * MS));
	assert_int_equal(rtx_ring_get(r, 64, 600 * MS, &d, &len), EAGAIN);
	assert_int_equal(stats(r).stored, 100);
	mem_deref(r);
}

/* packets leave after the hold time, and the arena holds them at their real length */
static void test_hold_time_and_bytes(void **state)
{
	(void)state;
	struct rtx_ring *r = NULL;
	const uint8_t *d;
	size_t len;
	uint8_t pkt[1200];
	assert_int_equal(rtx_ring_alloc(&r, 512, 1600, 10 * MS), 0);
	/* 1 Mbit/s of video: 100 packets/s of 1200 bytes, for 10 s */
	for (uint32_t i = 0; i < 1000; i++) {
		memset(pkt, (uint8_t)i, sizeof(pkt));
		assert_false(rtx_ring_put(r, (uint16_t)i, pkt, i % 3 ? 1200 : 300, i * 10 * MS));
	}
	struct rtx_ring_stats st = stats(r);
	/* 0.5 s of it (about 45 kB) in whole 8 kB chunks, not 512 × 1600 bytes */
	assert_true(st.bytes <= 64 * 1024);
	assert_true(st.bytes >= 40 * 1024);
	assert_int_equal(st.evicted_early, 0);
	/* the last 0.5 s is here, at its length; what is older is gone, not remembered */
	assert_int_equal(rtx_ring_get(r, 998, 9995 * MS, &d, &len), 0);
	assert_int_equal(len, 1200);
	assert_int_equal(d[1199], (uint8_t)998);
	assert_int_equal(rtx_ring_get(r, 960, 9995 * MS, &d, &len), 0);
	assert_int_equal(len, 300);
	assert_int_equal(d[0], (uint8_t)960);
	assert_int_equal(rtx_ring_get(r, 900, 9995 * MS, &d, &len), ENOENT);
	assert_int_equal(rtx_ring_get(r, 600, 9995 * MS, &d, &len), ENOENT);
	assert_int_equal(stats(r).pending, 0);
	/* a longer RTT holds longer: 4 × 300 ms + 100 ms */
	rtx_ring_set_rtt(r, 300 * MS);
	for (uint32_t i = 1000; i < 1300; i++)
		rtx_ring_put(r, (uint16_t)i, pkt, 1200, i * 10 * MS);
	assert_int_equal(rtx_ring_get(r, 1300 - 120, 13000 * MS, &d, &len), 0);
	assert_int_equal(stats(r).evicted_early, 0);
	mem_deref(r);
}

/* more than the arena can hold within the hold time: the oldest go early, the newest stay */
static void test_arena_full(void **state)
{
	(void)state;
	struct rtx_ring *r = NULL;
	const uint8_t *d;
	size_t len;
	uint8_t pkt[1500] = {0};
	assert_int_equal(rtx_ring_alloc(&r, 64, 1500, 100 * MS), 0);
	for (uint32_t i = 0; i < 300; i++) {
		rtx_ring_prefetch_index(r);   /* the worker's prefetch: reads only, any state */
		rtx_ring_prefetch_arena(r);
		rtx_ring_put(r, (uint16_t)i, pkt, 1500, i * 100);   /* 300 packets in 30 ms */
	}
	struct rtx_ring_stats st = stats(r);
	assert_true(st.evicted_early > 0);
	assert_int_equal(rtx_ring_get(r, 299, 40 * MS, &d, &len), 0);
	assert_int_equal(rtx_ring_get(r, 250, 40 * MS, &d, &len), 0);
	assert_int_equal(rtx_ring_get(r, 200, 40 * MS, &d, &len), ENOENT);
	mem_deref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_and_config),
		cmocka_unit_test(test_hold_time_and_bytes),
		cmocka_unit_test(test_arena_full),
		cmocka_unit_test(test_hits_backoff_and_misses),
		cmocka_unit_test(test_nack_before_packet),
		cmocka_unit_test(test_pending_full),
		cmocka_unit_test(test_wrap_and_oversize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

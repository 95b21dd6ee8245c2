/* twcc: feedback built from synthetic arrivals (in order, lost, reordered, across feedbacks,
 * gaps too large for a delta, seq wrap, window jumps, small buffers), parsed back with the
 * parser; byte vectors written out by hand from the draft's chunk examples; a feedback
 * packet as libwebrtc sends it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/mem.h"
#include "media/rtcp.h"
#include "media/twcc.h"

#define MS 1000u
#define T0 5000000000ull            /* arrival clock start, µs (ref time 78125) */
#define SSRC_US 0x00000001u
#define SSRC_MEDIA 0x7c4e910du

/* what every seq went through: the truth and what feedback said about it */
struct ledger_entry {
	uint64_t us;
	bool arrived;
	unsigned reported_recv, reported_lost;
};

static struct ledger_entry ledger[65536];
static struct twcc_status sts[TWCC_STATUS_MAX];

static struct twcc *mk(void)
{
	struct twcc *t = NULL;
	assert_int_equal(twcc_alloc(&t), 0);
	memset(ledger, 0, sizeof(ledger));
	return t;
}

static void arrive(struct twcc *t, uint16_t seq, uint64_t us)
{
	struct ledger_entry *e = &ledger[seq];
	if (e->arrived)        /* the seq comes round again: its last arrival was reported */
		assert_int_equal(e->reported_recv, 1);
	*e = (struct ledger_entry){ .arrived = true, .us = us };
	twcc_on_packet(t, seq, us);
}

/* one built packet as a whole RTCP packet, then its FCI */
static void parse_pkt(const uint8_t *buf, size_t len, struct twcc_feedback *fb)
{
	struct rtcp_pkt p;
	size_t off = 0;
	assert_int_equal(len % 4, 0);
	assert_int_equal(rtcp_next(buf, len, &off, &p), 1);
	assert_int_equal(off, len);
	assert_int_equal(p.pt, RTCP_RTPFB);
	assert_int_equal(p.count, RTCP_FMT_TWCC);
	assert_int_equal(p.sender_ssrc, SSRC_US);
	assert_int_equal(p.media_ssrc, SSRC_MEDIA);
	assert_int_equal(twcc_feedback_parse(p.fci, p.fci_len, fb, sts, TWCC_STATUS_MAX), 0);
}

/* every status against the ledger: a received one arrived, within 125 µs of when */
static void apply(const struct twcc_feedback *fb)
{
	for (size_t i = 0; i < fb->status_count; i++) {
		struct ledger_entry *e = &ledger[sts[i].seq];
		assert_int_equal(sts[i].seq, (uint16_t)(fb->base_seq + i));
		if (!sts[i].received) {
			e->reported_lost++;
			continue;
		}
		assert_true(e->arrived);
		e->reported_recv++;
		int64_t err = sts[i].arrival_us - (int64_t)e->us;
		assert_true(err >= -125 && err <= 125);
		assert_int_equal(sts[i].symbol, sts[i].delta >= 0 && sts[i].delta <= 255 ?
				 TWCC_SYM_SMALL_DELTA : TWCC_SYM_LARGE_DELTA);
	}
}

/* build until nothing is pending; how many packets */
static size_t drain(struct twcc *t, uint64_t now, size_t cap, struct twcc_feedback *last)
{
	uint8_t buf[1500];
	struct twcc_feedback fb;
	size_t n = 0, len;
	assert_true(cap <= sizeof(buf));
	while ((len = twcc_feedback_build(t, buf, cap, SSRC_US, SSRC_MEDIA, now)) > 0) {
		assert_true(len <= cap);
		parse_pkt(buf, len, &fb);
		apply(&fb);
		if (last)
			*last = fb;
		n++;
		assert_true(n < 10000);
	}
	assert_false(twcc_feedback_due(t, now + 10 * TWCC_INTERVAL_US));
	return n;
}

/* every arrival in [lo, hi] reported received exactly once */
static void check_all(uint32_t lo, uint32_t hi)
{
	for (uint32_t s = lo; s <= hi; s++) {
		const struct ledger_entry *e = &ledger[s & 0xffff];
		assert_int_equal(e->reported_recv, e->arrived ? 1 : 0);
	}
}

static void test_in_order(void **state)
{
	(void)state;
	struct twcc *t = mk();
	struct twcc_feedback fb;
	uint64_t now = T0;
	for (uint16_t s = 1000; s < 1050; s++) {
		now += 4 * MS + (s % 3) * 700;          /* 4–5.4 ms apart, not on the 250 µs grid */
		arrive(t, s, now);
	}
	assert_int_equal(drain(t, now, 1200, &fb), 1);
	assert_int_equal(fb.base_seq, 1000);
	assert_int_equal(fb.status_count, 50);
	assert_int_equal(fb.received, 50);
	assert_int_equal(fb.fb_count, 0);
	assert_int_equal(fb.ref_time, (T0 + 4 * MS + 700) / 64000);
	for (size_t i = 0; i < 50; i++)
		assert_int_equal(sts[i].symbol, TWCC_SYM_SMALL_DELTA);
	check_all(1000, 1049);
	/* the next feedback continues where this one ended, counting on */
	arrive(t, 1050, now + 5 * MS);
	assert_int_equal(drain(t, now + 5 * MS, 1200, &fb), 1);
	assert_int_equal(fb.base_seq, 1050);
	assert_int_equal(fb.fb_count, 1);
	struct twcc_stats st;
	twcc_stats(t, &st);
	assert_int_equal(st.packets, 51);
	assert_int_equal(st.feedbacks, 2);
	mem_deref(t);
}

static void test_loss(void **state)
{
	(void)state;
	struct twcc *t = mk();
	struct twcc_feedback fb;
	uint64_t now = T0;
	for (uint16_t s = 0; s < 200; s++) {
		now += 3 * MS;
		if ((s % 7 == 3 && s != 199) || (s >= 40 && s < 60) || s == 198)
			continue;
		arrive(t, s, now);
	}
	assert_int_equal(drain(t, now, 1200, &fb), 1);
	assert_int_equal(fb.base_seq, 0);
	assert_int_equal(fb.status_count, 200);
	for (uint16_t s = 0; s < 200; s++)
		assert_int_equal(sts[s].received, ledger[s].arrived);
	check_all(0, 199);
	/* loss at the start of the next feedback is reported too */
	arrive(t, 205, now + 20 * MS);
	assert_int_equal(drain(t, now + 20 * MS, 1200, &fb), 1);
	assert_int_equal(fb.base_seq, 200);
	assert_int_equal(fb.status_count, 6);
	assert_int_equal(fb.received, 1);
	mem_deref(t);
}

static void test_reordered(void **state)
{
	(void)state;
	struct twcc *t = mk();
	struct twcc_feedback fb;
	uint64_t now = T0;
	/* pairs swapped: 1 0 3 2 5 4 ...; the second of each pair has a negative delta */
	for (uint16_t s = 0; s < 40; s++) {
		now += 2 * MS;
		arrive(t, (uint16_t)(s ^ 1), now);
	}
	twcc_on_packet(t, 7, now + MS);              /* a duplicate changes nothing */
	assert_int_equal(drain(t, now, 1200, &fb), 1);
	assert_int_equal(fb.status_count, 40);
	for (size_t i = 1; i < 40; i++)
		assert_int_equal(sts[i].symbol, i % 2 ? TWCC_SYM_LARGE_DELTA : TWCC_SYM_SMALL_DELTA);
	check_all(0, 39);
	struct twcc_stats st;
	twcc_stats(t, &st);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.late, 0);
	mem_deref(t);
}

/* a packet that comes after a feedback reported it missing: the next feedback goes back
 * to it, and what it overlaps that was reported received is now "not received" */
static void test_reordered_across_feedback(void **state)
{
	(void)state;
	struct twcc *t = mk();
	struct twcc_feedback fb;
	uint64_t now = T0;
	for (uint16_t s = 0; s < 10; s++)
		if (s != 5)
			arrive(t, s, now += 5 * MS);
	assert_int_equal(drain(t, now, 1200, &fb), 1);
	assert_int_equal(ledger[5].reported_lost, 1);
	arrive(t, 5, now += 5 * MS);
	arrive(t, 10, now += 5 * MS);
	assert_int_equal(drain(t, now, 1200, &fb), 1);
	assert_int_equal(fb.base_seq, 5);
	assert_int_equal(fb.status_count, 6);
	assert_true(sts[0].received);
	for (size_t i = 1; i < 5; i++)
		assert_false(sts[i].received);
	assert_true(sts[5].received);
	check_all(0, 10);
	struct twcc_stats st;
	twcc_stats(t, &st);
	assert_int_equal(st.late, 1);
	mem_deref(t);
}

/* a delta beyond ±8191.75 ms ends the packet; the next starts at that seq */
static void test_delta_too_large(void **state)
{
	(void)state;
	struct twcc *t = mk();
	struct twcc_feedback fb;
	uint64_t now = T0;
	arrive(t, 10, now);
	arrive(t, 11, now + 8191 * MS);              /* fits a large delta */
	arrive(t, 12, now + 16400 * MS);             /* 8209 ms after 11: does not */
	arrive(t, 13, now + 8000 * MS);              /* 8400 ms before 12: nor that */
	arrive(t, 14, now + 8001 * MS);
	uint8_t buf[1200];
	size_t len;
	size_t bases[4], counts[4], n = 0;
	while ((len = twcc_feedback_build(t, buf, sizeof(buf), SSRC_US, SSRC_MEDIA, now)) > 0) {
		parse_pkt(buf, len, &fb);
		apply(&fb);
		assert_true(n < 4);
		bases[n] = fb.base_seq;
		counts[n++] = fb.status_count;
	}
	assert_int_equal(n, 3);
	assert_int_equal(bases[0], 10);
	assert_int_equal(counts[0], 2);
	assert_int_equal(bases[1], 12);
	assert_int_equal(counts[1], 1);
	assert_int_equal(bases[2], 13);
	assert_int_equal(counts[2], 2);
	check_all(10, 14);
	mem_deref(t);
}

static void test_wrap(void **state)
{
	(void)state;
	struct twcc *t = mk();
	struct twcc_feedback fb;
	uint64_t now = T0;
	static const uint16_t order[] = { 65530, 65531, 65532, 65533, 65534, 0, 2, 1, 3, 4, 5 };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		arrive(t, order[i], now += 3 * MS);       /* 65535 lost */
	assert_int_equal(drain(t, now, 1200, &fb), 1);
	assert_int_equal(fb.base_seq, 65530);
	assert_int_equal(fb.status_count, 12);
	assert_int_equal(sts[5].seq, 65535);
	assert_false(sts[5].received);
	assert_int_equal(sts[6].seq, 0);
	assert_true(sts[6].received);
	check_all(65530, 65535);
	check_all(0, 5);
	/* and on past the wrap many times over, feedback by feedback */
	uint16_t s = 6;
	for (int round = 0; round < 400; round++) {
		for (int k = 0; k < 500; k++, s++)
			arrive(t, s, now += MS);
		drain(t, now, 1200, NULL);
	}
	check_all(0, 65535);
	mem_deref(t);
}

/* a jump of more than the window: unreported arrivals pushed out are dropped, the
 * feedback covers the window before the new seq; then a seq older than the window */
static void test_window_jump(void **state)
{
	(void)state;
	struct twcc *t = mk();
	struct twcc_feedback fb;
	uint64_t now = T0;
	for (uint16_t s = 0; s < 10; s++)
		twcc_on_packet(t, s, now += MS);
	twcc_on_packet(t, 5000, now += MS);
	memset(ledger, 0, sizeof(ledger));
	ledger[5000].arrived = true;
	ledger[5000].us = now;
	assert_int_equal(drain(t, now, 1200, &fb), 1);
	assert_int_equal(fb.base_seq, 5000 - TWCC_WINDOW + 1);
	assert_int_equal(fb.status_count, TWCC_WINDOW);
	assert_int_equal(fb.received, 1);
	twcc_on_packet(t, 5000 - TWCC_WINDOW, now += MS);   /* just outside the window */
	twcc_on_packet(t, 100, now += MS);
	assert_int_equal(twcc_feedback_build(t, (uint8_t[64]){0}, 64, 1, 2, now), 0);
	struct twcc_stats st;
	twcc_stats(t, &st);
	assert_int_equal(st.dropped, 10);
	assert_int_equal(st.too_old, 2);
	mem_deref(t);
}

/* small buffers: many packets, each within the cap, together everything exactly once */
static void test_small_buffer(void **state)
{
	(void)state;
	struct twcc *t = mk();
	uint64_t now = T0;
	uint32_t rng = 12345;
	for (uint16_t s = 0; s < 900; s++) {
		rng = rng * 1103515245u + 12345u;
		now += (rng >> 16) % (30 * MS);           /* small and large deltas mixed */
		if ((rng >> 8) % 5 == 0)
			continue;
		arrive(t, s, now);
	}
	assert_true(drain(t, now, TWCC_FB_MIN_CAP, NULL) > 30);
	check_all(0, 899);
	mem_deref(t);
}

static void test_due(void **state)
{
	(void)state;
	struct twcc *t = mk();
	uint64_t now = T0;
	assert_false(twcc_feedback_due(t, now));
	assert_int_equal(twcc_next_us(t), UINT64_MAX);
	twcc_on_packet(t, 1, now);
	assert_false(twcc_feedback_due(t, now + TWCC_INTERVAL_US - 1));
	assert_true(twcc_feedback_due(t, now + TWCC_INTERVAL_US));
	assert_int_equal(twcc_next_us(t), now + TWCC_INTERVAL_US);
	for (uint16_t s = 2; s <= TWCC_PENDING_MAX; s++) {
		assert_false(twcc_feedback_due(t, now + MS));
		twcc_on_packet(t, s, now + MS);
	}
	assert_true(twcc_feedback_due(t, now + MS));
	uint8_t buf[1200];
	assert_true(twcc_feedback_build(t, buf, sizeof(buf), 1, 2, now + MS) > 0);
	assert_false(twcc_feedback_due(t, now + MS));
	assert_int_equal(twcc_next_us(t), UINT64_MAX);
	assert_int_equal(twcc_feedback_build(t, buf, sizeof(buf), 1, 2, now + MS), 0);
	/* a buffer too small is refused without losing anything */
	twcc_on_packet(t, 200, now + 2 * MS);
	assert_int_equal(twcc_feedback_build(t, buf, TWCC_FB_MIN_CAP - 1, 1, 2, now), 0);
	assert_true(twcc_feedback_build(t, buf, TWCC_FB_MIN_CAP, 1, 2, now) > 0);
	/* heavy loss: due once the seqs to report span half the window */
	twcc_on_packet(t, 300, now + 3 * MS);
	assert_false(twcc_feedback_due(t, now + 3 * MS));
	twcc_on_packet(t, (uint16_t)(300 + TWCC_WINDOW / 2), now + 3 * MS);
	assert_true(twcc_feedback_due(t, now + 3 * MS));
	uint16_t seq = 0;
	assert_int_equal(twcc_ext_seq((const uint8_t[]){0xbe, 0xef}, 2, &seq), 0);
	assert_int_equal(seq, 0xbeef);
	assert_int_equal(twcc_ext_seq((const uint8_t[]){0xbe}, 1, &seq), EBADMSG);
	mem_deref(t);
}

/* Written out by hand from the draft's examples: §3.1.4 example 1, the 1-bit status vector
 * 1|0|0 1 1 1 1 1 0 0 0 1 1 1 0 0 (1 not received, 5 received, 3 not, 3 received, 2 not),
 * then §3.1.3 example 1, the run 0|00|0000011011101 (221 not received), then a run of one
 * received (small delta). Base seq 0x1234, ref time 1000 × 64 ms, the leg's second
 * feedback (count 1); deltas 1 ms then 2 ms; one octet of RFC 3550 padding. */
static const uint8_t draft_vector[] = {
	0xaf, 0xcd, 0x00, 0x08,          /* V=2 P=1 FMT=15, RTPFB, 9 words */
	0x00, 0x00, 0x00, 0x01,          /* sender SSRC */
	0x7c, 0x4e, 0x91, 0x0d,          /* media SSRC */
	0x12, 0x34, 0x00, 0xec,          /* base 0x1234, 236 statuses */
	0x00, 0x03, 0xe8, 0x01,          /* reference time 1000, feedback count 1 */
	0x9f, 0x1c,                      /* status vector, draft §3.1.4 example 1 */
	0x00, 0xdd,                      /* run length, draft §3.1.3 example 1 */
	0x20, 0x01,                      /* run of 1 "received, small delta" */
	0x04, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, /* 9 deltas */
	0x01,                            /* padding: 1 octet */
};

static void test_draft_vector(void **state)
{
	(void)state;
	struct twcc *t = mk();
	uint8_t buf[1200];
	uint64_t now = 1000ull * 64000 - 10 * MS;
	twcc_on_packet(t, 0x1233, now);
	assert_int_equal(twcc_feedback_build(t, buf, sizeof(buf), SSRC_US, SSRC_MEDIA, now), 24);
	now = 1000ull * 64000 + MS;
	static const uint16_t recv[] = { 1, 2, 3, 4, 5, 9, 10, 11, 235 };
	for (size_t i = 0; i < 9; i++, now += 2 * MS)
		arrive(t, (uint16_t)(0x1234 + recv[i]), now);
	size_t len = twcc_feedback_build(t, buf, sizeof(buf), SSRC_US, SSRC_MEDIA, now);
	assert_int_equal(len, sizeof(draft_vector));
	assert_memory_equal(buf, draft_vector, sizeof(draft_vector));

	struct twcc_feedback fb;
	parse_pkt(draft_vector, sizeof(draft_vector), &fb);
	assert_int_equal(fb.base_seq, 0x1234);
	assert_int_equal(fb.status_count, 236);
	assert_int_equal(fb.ref_time, 1000);
	assert_int_equal(fb.fb_count, 1);
	assert_int_equal(fb.received, 9);
	static const bool vec[14] = { 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0 };
	for (size_t i = 0; i < 236; i++)
		assert_int_equal(sts[i].received, i < 14 ? vec[i] : i == 235);
	assert_int_equal(sts[1].arrival_us, 1000ll * 64000 + 1000);
	assert_int_equal(sts[235].arrival_us, 1000ll * 64000 + 1000 + 8 * 2000);
	mem_deref(t);
}

/* a reordered pair: a negative delta needs the 2-bit vector 1|1|01 01 10 00 00 00 00 */
static const uint8_t reorder_vector[] = {
	0xaf, 0xcd, 0x00, 0x06,
	0x00, 0x00, 0x00, 0x01,
	0x7c, 0x4e, 0x91, 0x0d,
	0x00, 0x07, 0x00, 0x03,          /* base 7, 3 statuses */
	0x00, 0x00, 0x10, 0x00,          /* reference time 16 (1.024 s), count 0 */
	0xd6, 0x00,                      /* small, small, large */
	0x0c,                            /* 3 ms after the reference time */
	0x50,                            /* seq 8: 20 ms after seq 7 */
	0xff, 0xd8,                      /* seq 9: 10 ms before seq 8 (-40) */
	0x00, 0x02,                      /* padding: 2 octets */
};

static void test_reorder_vector(void **state)
{
	(void)state;
	struct twcc *t = mk();
	uint8_t buf[1200];
	uint64_t t7 = 16 * 64000 + 3 * MS;
	arrive(t, 7, t7);
	arrive(t, 9, t7 + 10 * MS);
	arrive(t, 8, t7 + 20 * MS);
	size_t len = twcc_feedback_build(t, buf, sizeof(buf), SSRC_US, SSRC_MEDIA, t7 + 20 * MS);
	assert_int_equal(len, sizeof(reorder_vector));
	assert_memory_equal(buf, reorder_vector, sizeof(reorder_vector));
	struct twcc_feedback fb;
	parse_pkt(reorder_vector, sizeof(reorder_vector), &fb);
	apply(&fb);
	assert_int_equal(sts[2].delta, -40);
	assert_int_equal(sts[2].symbol, TWCC_SYM_LARGE_DELTA);
	mem_deref(t);
}

/* A feedback packet as libwebrtc writes it (its receive-only RTCP SSRC 0xFA17FA17, RFC 3550
 * padding), from pion/rtcp's transport-cc tests ("example4"): 7 packets received. */
static const uint8_t libwebrtc_fb[] = {
	0xaf, 0xcd, 0x00, 0x07,
	0xfa, 0x17, 0xfa, 0x17,
	0x19, 0x3d, 0xd8, 0xbb,
	0x00, 0x04, 0x00, 0x07,
	0x10, 0x63, 0x6e, 0x01,
	0x20, 0x07, 0x4c, 0x24,
	0x24, 0x10, 0x0c, 0x0c,
	0x10, 0x00, 0x00, 0x03,
};

static void test_libwebrtc_vector(void **state)
{
	(void)state;
	struct rtcp_pkt p;
	struct twcc_feedback fb;
	size_t off = 0;
	assert_int_equal(rtcp_next(libwebrtc_fb, sizeof(libwebrtc_fb), &off, &p), 1);
	assert_int_equal(p.sender_ssrc, 0xfa17fa17u);
	assert_int_equal(p.media_ssrc, 0x193dd8bbu);
	assert_int_equal(twcc_feedback_parse(p.fci, p.fci_len, &fb, sts, TWCC_STATUS_MAX), 0);
	assert_int_equal(fb.base_seq, 4);
	assert_int_equal(fb.status_count, 7);
	assert_int_equal(fb.ref_time, 1074030);
	assert_int_equal(fb.fb_count, 1);
	assert_int_equal(fb.received, 7);
	static const int32_t ms4[] = { 76, 36, 36, 16, 12, 12, 16 };  /* 19, 9, 9, 4, 3, 3, 4 ms */
	int64_t at = 1074030ll * 64000;
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(sts[i].seq, 4 + i);
		assert_int_equal(sts[i].delta, ms4[i]);
		at += ms4[i] * 250;
		assert_int_equal(sts[i].arrival_us, at);
	}
	/* read with its padding octets (as by a parser that ignores the P bit): the same */
	assert_int_equal(twcc_feedback_parse(libwebrtc_fb + 12, sizeof(libwebrtc_fb) - 12, &fb,
					     sts, TWCC_STATUS_MAX), 0);
	assert_int_equal(fb.received, 7);
}

static int parse_fci(const uint8_t *fci, size_t len)
{
	struct twcc_feedback fb;
	return twcc_feedback_parse(fci, len, &fb, sts, TWCC_STATUS_MAX);
}

static void test_parse_errors(void **state)
{
	(void)state;
	struct twcc_feedback fb;
	/* the draft's 2-bit example (§3.1.4 example 2) uses symbol 11, reserved in -01 */
	static const uint8_t reserved[] = { 0, 1, 0, 7, 0, 0, 1, 0, 0xcd, 0x50, 1, 2, 3, 0 };
	assert_int_equal(parse_fci(reserved, sizeof(reserved)), EBADMSG);
	static const uint8_t run_reserved[] = { 0, 1, 0, 1, 0, 0, 1, 0, 0x60, 0x18, 0, 0 };
	assert_int_equal(parse_fci(run_reserved, sizeof(run_reserved)), EBADMSG);
	static const uint8_t run_zero[] = { 0, 1, 0, 1, 0, 0, 1, 0, 0x20, 0x00, 0x20, 0x01, 5, 0 };
	assert_int_equal(parse_fci(run_zero, sizeof(run_zero)), EBADMSG);
	static const uint8_t no_count[] = { 0, 1, 0, 0, 0, 0, 1, 0 };
	assert_int_equal(parse_fci(no_count, sizeof(no_count)), EBADMSG);
	static const uint8_t no_chunk[] = { 0, 1, 0, 2, 0, 0, 1, 0, 0x20, 0x01 };
	assert_int_equal(parse_fci(no_chunk, sizeof(no_chunk)), EBADMSG);
	static const uint8_t no_delta[] = { 0, 1, 0, 2, 0, 0, 1, 0, 0x20, 0x02, 5 };
	assert_int_equal(parse_fci(no_delta, sizeof(no_delta)), EBADMSG);
	static const uint8_t half_large[] = { 0, 1, 0, 1, 0, 0, 1, 0, 0x40, 0x01, 0xff };
	assert_int_equal(parse_fci(half_large, sizeof(half_large)), EBADMSG);
	static const uint8_t trailing[] = { 0, 1, 0, 1, 0, 0, 1, 0, 0x20, 0x01, 5, 0, 0, 0, 0 };
	assert_int_equal(parse_fci(trailing, sizeof(trailing)), EBADMSG);
	assert_int_equal(parse_fci(trailing, sizeof(trailing) - 1), 0);
	assert_int_equal(parse_fci(trailing, 7), EBADMSG);
	assert_int_equal(parse_fci(NULL, 0), EBADMSG);
	/* a run longer than the status count is cut at the count */
	static const uint8_t long_run[] = { 0, 1, 0, 3, 0, 0, 1, 0, 0x00, 0xdd };
	assert_int_equal(parse_fci(long_run, sizeof(long_run)), 0);
	/* more statuses than the caller has room for */
	assert_int_equal(twcc_feedback_parse(long_run, sizeof(long_run), &fb, sts, 2), E2BIG);
	assert_int_equal(fb.status_count, 3);
}

/* random loss, reordering, duplicates and feedback times: every arrival is reported
 * received exactly once, within 125 µs */
static void test_random_roundtrip(void **state)
{
	(void)state;
	struct twcc *t = mk();
	uint64_t now = T0;
	uint32_t rng = 99;
	uint16_t next = 60000, held[8];
	size_t nheld = 0;
	for (int i = 0; i < 20000; i++) {
		rng = rng * 1103515245u + 12345u;
		unsigned r = rng >> 8;
		now += r % 4000;
		if (r % 50 == 0 && nheld < 8) {
			held[nheld++] = next++;               /* comes later, reordered */
		} else if (nheld && (r % 37 == 0 || (uint16_t)(next - held[0]) > 500)) {
			arrive(t, held[0], now);              /* the oldest held first */
			memmove(held, held + 1, --nheld * sizeof(held[0]));
		} else if (r % 23 == 0) {
			next++;                               /* lost */
		} else {
			arrive(t, next++, now);
			if (r % 41 == 0)
				twcc_on_packet(t, (uint16_t)(next - 1), now + 100);
		}
		if (twcc_feedback_due(t, now))
			drain(t, now, 64 + r % 1200, NULL);
	}
	for (size_t i = 0; i < nheld; i++)
		arrive(t, held[i], now += MS);
	drain(t, now, 1200, NULL);
	struct twcc_stats st;
	twcc_stats(t, &st);
	assert_true(st.late > 100 && st.duplicates > 100);
	assert_int_equal(st.too_old + st.dropped, 0);
	check_all(0, 65535);
	mem_deref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_reordered_across_feedback),
		cmocka_unit_test(test_delta_too_large),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_window_jump),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_draft_vector),
		cmocka_unit_test(test_reorder_vector),
		cmocka_unit_test(test_libwebrtc_vector),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_random_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

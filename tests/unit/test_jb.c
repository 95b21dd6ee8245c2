/* jb: sequence tracking, NACK timing, RFC 3550 jitter, adaptive playout. */
#include <errno.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/mem.h"
#include "media/jb.h"

#define MS 1000u

static struct jb *mk(uint32_t rate, bool video, uint32_t slot_cap)
{
	struct jb_config cfg;
	jb_config_default(&cfg, rate, video);
	cfg.slot_cap = slot_cap;
	struct jb *jb = NULL;
	assert_int_equal(jb_alloc(&jb, &cfg), 0);
	return jb;
}

static enum jb_verdict put(struct jb *jb, uint16_t seq, uint32_t ts, uint64_t now, bool rtx)
{
	uint8_t pkt[64] = {0x80, 111};
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	struct jb_pkt p = {.seq = seq, .ts = ts, .rtx = rtx, .data = pkt, .len = sizeof(pkt)};
	return jb_put(jb, &p, now);
}

static struct jb_stats stats(const struct jb *jb)
{
	struct jb_stats st;
	jb_stats(jb, &st);
	return st;
}

static void test_config(void **state)
{
	(void)state;
	struct jb_config cfg;
	struct jb *jb = NULL;
	jb_config_default(&cfg, 48000, false);
	cfg.nslots = 500;   /* not a power of two */
	assert_int_equal(jb_alloc(&jb, &cfg), EINVAL);
	jb_config_default(&cfg, 0, false);
	assert_int_equal(jb_alloc(&jb, &cfg), EINVAL);
	jb_config_default(&cfg, 48000, false);
	cfg.delay_min_us = 300000;
	assert_int_equal(jb_alloc(&jb, &cfg), EINVAL);
	jb_config_default(&cfg, 48000, false);
	cfg.nslots = JB_MAX_SLOTS;
	cfg.slot_cap = 65535;   /* 2 GB of slots */
	assert_int_equal(jb_alloc(&jb, &cfg), EINVAL);
	assert_null(jb);
}

static void test_in_order_and_wrap(void **state)
{
	(void)state;
	struct jb *jb = mk(48000, false, 0);
	uint16_t seq = 65530;
	for (int i = 0; i < 12; i++, seq++)
		assert_int_equal(put(jb, seq, (uint32_t)i * 960, (uint64_t)i * 20 * MS, false),
				 JB_FORWARD);
	struct jb_stats st = stats(jb);
	assert_int_equal(st.received, 12);
	assert_int_equal(st.expected, 12);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.ext_max_seq, 65536 + 5);   /* one cycle, highest seq 5 */
	assert_int_equal(st.reordered, 0);
	/* a packet from before the wrap arriving now is old, not a jump */
	assert_int_equal(put(jb, 65534, 4 * 960, 300 * MS, false), JB_DROP_DUPLICATE);
	mem_deref(jb);
}

static void test_reorder_and_duplicates(void **state)
{
	(void)state;
	struct jb *jb = mk(48000, false, 0);
	uint16_t seqs[64];
	assert_int_equal(put(jb, 65534, 0, 0, false), JB_FORWARD);
	assert_int_equal(put(jb, 0, 1920, 40 * MS, false), JB_FORWARD_GAP);   /* 65535 missing */
	assert_int_equal(stats(jb).missing, 1);
	assert_int_equal(put(jb, 65535, 960, 45 * MS, false), JB_FORWARD_FILL);
	assert_int_equal(put(jb, 65535, 960, 46 * MS, false), JB_DROP_DUPLICATE);
	assert_int_equal(put(jb, 0, 1920, 47 * MS, true), JB_DROP_DUPLICATE);
	assert_int_equal(put(jb, 1, 2880, 60 * MS, false), JB_FORWARD);
	/* healed within the wait: nothing to NACK */
	assert_int_equal(jb_nack_due(jb, 100 * MS, seqs, 64), 0);
	struct jb_stats st = stats(jb);
	assert_int_equal(st.received, 4);
	assert_int_equal(st.expected, 4);
	assert_int_equal(st.reordered, 1);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(st.repaired, 0);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.missing, 0);
	assert_int_equal(st.nacks, 0);
	mem_deref(jb);
}

/* first NACK after the wait, then after RTT, 2 × RTT, give-up one 4 × RTT later */
static void test_nack_timing_and_give_up(void **state)
{
	(void)state;
	struct jb *jb = mk(90000, true, 0);
	uint16_t seqs[8];
	jb_set_rtt(jb, 50 * MS);
	put(jb, 100, 0, 0, false);
	assert_int_equal(put(jb, 103, 9000, 1 * MS, false), JB_FORWARD_GAP);  /* 101, 102 */
	assert_int_equal(jb_nack_next_us(jb), 11 * MS);
	assert_int_equal(jb_nack_due(jb, 10 * MS, seqs, 8), 0);
	assert_int_equal(jb_nack_due(jb, 11 * MS, seqs, 8), 2);
	assert_int_equal(seqs[0], 101);
	assert_int_equal(seqs[1], 102);
	assert_int_equal(jb_nack_next_us(jb), 61 * MS);
	assert_int_equal(jb_nack_due(jb, 60 * MS, seqs, 8), 0);
	/* max bounds what one call hands out; the rest stays due */
	assert_int_equal(jb_nack_due(jb, 61 * MS, seqs, 1), 1);
	assert_int_equal(seqs[0], 101);
	assert_int_equal(jb_nack_next_us(jb), 61 * MS);
	assert_int_equal(jb_nack_due(jb, 62 * MS, seqs, 8), 1);
	assert_int_equal(seqs[0], 102);
	/* 101 comes back as RTX: repaired, forwarded */
	assert_int_equal(put(jb, 101, 3000, 80 * MS, true), JB_FORWARD_FILL);
	assert_int_equal(jb_nack_due(jb, 161 * MS, seqs, 8), 0);
	assert_int_equal(jb_nack_next_us(jb), 162 * MS);   /* 102: third try at 62 + 2 × 50 */
	assert_int_equal(jb_nack_due(jb, 162 * MS, seqs, 8), 1);
	assert_int_equal(seqs[0], 102);
	assert_false(jb_keyframe_needed(jb));
	assert_int_equal(jb_nack_due(jb, 361 * MS, seqs, 8), 0);
	assert_false(jb_keyframe_needed(jb));
	assert_int_equal(stats(jb).missing, 1);
	assert_int_equal(jb_nack_due(jb, 362 * MS, seqs, 8), 0);  /* 162 + 4 × 50: given up */
	struct jb_stats st = stats(jb);
	assert_int_equal(st.missing, 0);
	assert_int_equal(st.lost_after_repair, 1);
	assert_int_equal(st.repaired, 1);
	assert_int_equal(st.lost_before_repair, 2);
	assert_int_equal(st.nacks, 5);
	assert_int_equal(jb_nack_next_us(jb), UINT64_MAX);
	assert_true(jb_keyframe_needed(jb));
	assert_false(jb_keyframe_needed(jb));    /* once */
	/* 102 after all: late, still forwarded */
	assert_int_equal(put(jb, 102, 6000, 400 * MS, true), JB_FORWARD_LATE);
	st = stats(jb);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.lost, 0);
	mem_deref(jb);
}

static void test_rtt_drives_renack(void **state)
{
	(void)state;
	struct jb *jb = mk(90000, true, 0);
	uint16_t seqs[8];
	put(jb, 1, 0, 0, false);
	put(jb, 3, 0, 0, false);
	assert_int_equal(jb_nack_due(jb, 10 * MS, seqs, 8), 1);
	assert_int_equal(jb_nack_next_us(jb), 110 * MS);      /* default RTT 100 ms */
	jb_set_rtt(jb, 300 * MS);
	assert_int_equal(jb_nack_due(jb, 110 * MS, seqs, 8), 1);
	assert_int_equal(jb_nack_next_us(jb), 710 * MS);      /* 110 + 2 × 300 */
	jb_set_rtt(jb, 1 * MS);                               /* floored at 5 ms */
	assert_int_equal(jb_nack_due(jb, 710 * MS, seqs, 8), 1);
	assert_int_equal(jb_nack_next_us(jb), 730 * MS);      /* 710 + 4 × 5 */
	mem_deref(jb);
}

static void test_repair_off_and_wide_gap(void **state)
{
	(void)state;
	struct jb_config cfg;
	jb_config_default(&cfg, 90000, true);
	cfg.nack_tries = 0;
	struct jb *jb = NULL;
	uint16_t seqs[8];
	assert_int_equal(jb_alloc(&jb, &cfg), 0);
	put(jb, 10, 0, 0, false);
	put(jb, 12, 0, 0, false);
	assert_int_equal(jb_nack_due(jb, 10 * MS, seqs, 8), 0);   /* given up, never NACKed */
	assert_int_equal(stats(jb).lost_after_repair, 1);
	assert_true(jb_keyframe_needed(jb));
	/* a gap wider than nack_max_gap (256) is given up at once */
	assert_int_equal(put(jb, 12 + 301, 0, 20 * MS, false), JB_FORWARD_GAP);
	struct jb_stats st = stats(jb);
	assert_int_equal(st.lost_after_repair, 301);
	assert_int_equal(st.missing, 0);
	assert_true(jb_keyframe_needed(jb));
	/* a gap wider than the window */
	assert_int_equal(put(jb, 313 + 1001, 0, 40 * MS, false), JB_FORWARD_GAP);
	st = stats(jb);
	assert_int_equal(st.lost_after_repair, 1301);
	assert_int_equal(st.lost, 1301);
	assert_int_equal(st.expected, 1305);
	mem_deref(jb);
}

static void test_jump_restart_and_old(void **state)
{
	(void)state;
	struct jb *jb = mk(48000, false, 0);
	for (uint16_t s = 100; s <= 110; s++)
		put(jb, s, 0, 0, false);
	/* one stray jump is not trusted; the stream goes on */
	assert_int_equal(put(jb, 30000, 0, 0, false), JB_DROP_BAD_SEQ);
	assert_int_equal(put(jb, 111, 0, 0, false), JB_FORWARD);
	/* a packet far behind (beyond the window) is treated like a jump too (RFC 3550 A.1) */
	assert_int_equal(put(jb, 110 - 600, 0, 0, false), JB_DROP_BAD_SEQ);
	/* two in a row: the sender restarted */
	assert_int_equal(put(jb, 40000, 0, 0, false), JB_DROP_BAD_SEQ);
	assert_int_equal(put(jb, 40001, 0, 0, false), JB_FORWARD_RESTART);
	assert_int_equal(put(jb, 40002, 0, 0, false), JB_FORWARD);
	assert_int_equal(put(jb, 111, 0, 0, false), JB_DROP_BAD_SEQ);
	struct jb_stats st = stats(jb);
	assert_int_equal(st.restarts, 1);
	assert_int_equal(st.bad_seq, 4);
	assert_int_equal(st.received, 12 + 2);
	assert_int_equal(st.expected, 12 + 2);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.ext_max_seq, 40002);
	/* behind the first packet of the epoch, within the window: late */
	assert_int_equal(put(jb, 39990, 0, 0, false), JB_FORWARD_LATE);
	mem_deref(jb);
}

/* RFC 3550 A.8 by hand, 48 kHz, 20 ms packets arriving at 0, 20, 45, 58, 80 ms:
 * arrival (ts units) 0 960 2160 2784 3840, ts 0 960 1920 2880 3840
 * transit 0 0 240 -96 0, |D| - 0 240 336 96
 * J×16 (integer form of J += (|D| - J)/16): 0, 240, 240+336-15 = 561, 561+96-35 = 622
 * J = 622 >> 4 = 38 (floating point: 15, 35.06, 38.87); 38 ts = 791 µs */
static void test_jitter_rfc3550(void **state)
{
	(void)state;
	struct jb *jb = mk(48000, false, 0);
	static const uint32_t arrive_ms[] = {0, 20, 45, 58, 80};
	for (uint16_t i = 0; i < 5; i++)
		put(jb, i, i * 960u, 1000000000ull + arrive_ms[i] * MS, false);
	struct jb_stats st = stats(jb);
	assert_int_equal(st.jitter_ts, 38);
	assert_int_equal(st.jitter_us, 791);
	/* a retransmission's transit includes an RTT: it does not count */
	put(jb, 6, 6 * 960, 1000000000ull + 120 * MS, false);
	put(jb, 5, 5 * 960, 1000000000ull + 300 * MS, true);
	assert_int_equal(stats(jb).jitter_ts, (622 + 0 - ((622 + 8) >> 4)) >> 4);
	mem_deref(jb);
}

/* --- playout --- */

static uint64_t rng_state;
static uint32_t rng(void)   /* xorshift64*, seeded per test */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

struct sim_pkt { uint64_t arrive_us; uint16_t seq; uint32_t ts; bool dropped; };

struct sim_out {
	uint64_t t_us[1024], due_us[1024];
	uint16_t seq[1024];
	enum jb_pop kind[1024];
	size_t n;
};

static int sim_cmp(const void *a, const void *b)
{
	const struct sim_pkt *x = a, *y = b;
	return x->arrive_us < y->arrive_us ? -1 : x->arrive_us > y->arrive_us;
}

/* packets every 20 ms from seq 65000 (wrapping), transit 50 ms + jitter_fn; run 1 ms ticks */
static void sim_run(struct jb *jb, struct sim_pkt *pk, size_t n, uint64_t end_us,
		    struct sim_out *out, uint32_t *target_at_s)
{
	qsort(pk, n, sizeof(*pk), sim_cmp);
	size_t next = 0;
	out->n = 0;
	for (uint64_t now = 0; now <= end_us; now += MS) {
		for (; next < n && pk[next].arrive_us <= now; next++)
			if (!pk[next].dropped)
				put(jb, pk[next].seq, pk[next].ts, pk[next].arrive_us, false);
		struct jb_frame f;
		enum jb_pop k;
		while ((k = jb_playout_pop(jb, now, &f)) != JB_POP_NONE) {
			assert_true(out->n < 1024);
			if (k == JB_POP_PACKET) {
				assert_int_equal(f.len, 64);
				assert_int_equal(f.data[2] << 8 | f.data[3], f.seq);
			}
			out->t_us[out->n] = now;
			out->due_us[out->n] = f.due_us;
			out->seq[out->n] = f.seq;
			out->kind[out->n++] = k;
		}
		if (target_at_s && now % 1000000 == 0)
			target_at_s[now / 1000000] = stats(jb).target_delay_us;
	}
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* 20 ms packets, ±30 ms uniform jitter, 2 % dropped: every seq comes out once, in order, the
 * dropped ones as lost markers; the due times keep a 20 ms pace; a packet is never released
 * after max(due, arrival); the target settles around the 60 ms transit spread */
static void pacing_run(uint64_t seed)
{
	static struct sim_pkt pk[500];
	static struct sim_out out;
	static bool dropped[500];
	static uint64_t arrive[500], iv[500];
	uint32_t target[12] = {0};
	struct jb *jb = mk(48000, false, 1200);
	rng_state = seed;
	size_t ndrop = 0;
	for (size_t i = 0; i < 500; i++) {
		int64_t jit = i ? (int64_t)(rng() % 60001) - 30000 : -30000;
		pk[i] = (struct sim_pkt){.arrive_us = (uint64_t)(100000 + i * 20000 + 50000 + jit),
					 .seq = (uint16_t)(65000 + i), .ts = (uint32_t)(12345 + i * 960),
					 .dropped = i > 0 && i < 499 && rng() % 50 == 0};
		dropped[i] = pk[i].dropped;
		arrive[i] = pk[i].arrive_us;
		ndrop += pk[i].dropped;
	}
	assert_true(ndrop >= 3);
	sim_run(jb, pk, 500, 11000000, &out, target);

	assert_int_equal(out.n, 500);
	size_t lost = 0, late = 0, niv = 0;
	for (size_t i = 0; i < out.n; i++) {
		assert_int_equal(out.seq[i], (uint16_t)(65000 + i));
		if (dropped[i])
			assert_int_equal(out.kind[i], JB_POP_LOST);
		lost += out.kind[i] == JB_POP_LOST;
		if (out.kind[i] == JB_POP_PACKET) {
			uint64_t at = out.due_us[i] > arrive[i] ? out.due_us[i] : arrive[i];
			assert_true(out.t_us[i] >= out.due_us[i] && out.t_us[i] < at + MS);
		}
		if (i == 0 || out.t_us[i - 1] < 3000000)
			continue;
		late += out.kind[i] == JB_POP_LOST && !dropped[i];
		/* slew limits: +10 % / -5 % of the 20 ms, one more step for a reordered packet */
		assert_true(out.due_us[i] - out.due_us[i - 1] >= 16 * MS);
		assert_true(out.due_us[i] - out.due_us[i - 1] <= 25 * MS);
		iv[niv++] = out.t_us[i] - out.t_us[i - 1];
	}
	qsort(iv, niv, sizeof(iv[0]), u64_cmp);
	struct jb_stats st = stats(jb);
	print_message("seed %lu: target %u µs, delay %u µs, jitter %u µs, lost markers %zu "
		      "(%zu dropped), late after 3 s %zu of %zu, release intervals p5 %lu p50 %lu "
		      "p95 %lu µs\n", (unsigned long)seed, st.target_delay_us, st.delay_us,
		      st.jitter_us, lost, ndrop, late, niv, (unsigned long)iv[niv / 20],
		      (unsigned long)iv[niv / 2], (unsigned long)iv[niv - niv / 20 - 1]);
	assert_true(iv[niv / 2] >= 19 * MS && iv[niv / 2] <= 21 * MS);
	assert_true(iv[niv / 20] >= 17 * MS && iv[niv - niv / 20 - 1] <= 23 * MS);
	/* expected target: mean + 2.5 × deviation of a 0..60 ms spread = 30 + 2.5 × 15 */
	for (int s = 3; s <= 10; s++)
		assert_true(target[s] >= 52000 && target[s] <= 80000);
	assert_true(st.delay_us >= 52000 && st.delay_us <= 90000);
	assert_true(late * 100 <= niv * 2);   /* under 2 % arrive after their time */
	assert_int_equal(st.lost_markers, lost);
	assert_int_equal(st.played, 500 - lost);
	assert_int_equal(st.depth, 0);
	mem_deref(jb);
}

static void test_playout_pacing_uniform_jitter(void **state)
{
	(void)state;
	static const uint64_t seeds[] = {0x5eed1234, 20001, 40001, 170001};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		pacing_run(seeds[i]);
}

/* jitter drops from ±30 ms to ±1 ms: the delay decays to the floor within a few seconds */
static void test_playout_delay_decays(void **state)
{
	(void)state;
	static struct sim_pkt pk[700];
	static struct sim_out out;
	uint32_t target[15] = {0};
	struct jb *jb = mk(48000, false, 1200);
	rng_state = 77;
	for (size_t i = 0; i < 700; i++) {
		uint32_t span = i < 250 ? 60001 : 2001;
		int64_t jit = (int64_t)(rng() % span) - (int64_t)(span / 2);
		pk[i] = (struct sim_pkt){.arrive_us = (uint64_t)(i * 20000 + 50000 + jit),
					 .seq = (uint16_t)i, .ts = (uint32_t)(i * 960)};
	}
	sim_run(jb, pk, 700, 14500000, &out, target);
	print_message("decay: target by second:");
	for (int s = 0; s < 15; s++)
		print_message(" %u", target[s] / 1000);
	print_message(" ms\n");
	assert_true(target[4] >= 50000);
	assert_true(target[11] <= 25000);
	assert_true(stats(jb).delay_us <= 25000);
	assert_int_equal(out.n, 700);
	mem_deref(jb);
}

/* the sender's clock jumps 10 s ahead, then the path gets 500 ms slower: playout resumes */
static void test_playout_stuck_recovery(void **state)
{
	(void)state;
	static struct sim_pkt pk[400];
	static struct sim_out out;
	struct jb *jb = mk(48000, false, 1200);
	for (size_t i = 0; i < 400; i++) {
		uint64_t t = i * 20000 + 30000 + (i >= 250 ? 500000 : 0);
		uint32_t ts = (uint32_t)(i * 960 + (i >= 100 ? 480000 : 0));
		pk[i] = (struct sim_pkt){.arrive_us = t, .seq = (uint16_t)i, .ts = ts};
	}
	sim_run(jb, pk, 400, 9000000, &out, NULL);
	struct jb_stats st = stats(jb);
	assert_int_equal(out.n, 400);
	assert_true(st.baseline_resets >= 2);
	/* after the clock jump: played about 20 ms after arrival, not 10 s later */
	for (size_t i = 0; i < out.n; i++) {
		if (out.seq[i] == 150)
			assert_true(out.t_us[i] <= 150 * 20000 + 30000 + 40000);
		if (out.seq[i] == 350)
			assert_true(out.t_us[i] <= 350 * 20000 + 530000 + 60000);
	}
	/* a later path is an underrun (played as they come until the reset), never a loss */
	assert_int_equal(st.lost_markers, 0);
	assert_int_equal(st.played, 400);
	mem_deref(jb);
}

/* a lost marker carries the next packet for Opus FEC; a silence restarts the baseline */
static void test_playout_fec_and_silence(void **state)
{
	(void)state;
	struct jb *jb = mk(48000, false, 1200);
	struct jb_frame f;
	put(jb, 1, 0, 0, false);
	put(jb, 3, 1920, 40 * MS, false);
	assert_int_equal(jb_playout_pop(jb, 19 * MS, &f), JB_POP_NONE);
	assert_int_equal(jb_playout_next_us(jb), 20 * MS);
	assert_int_equal(jb_playout_pop(jb, 20 * MS, &f), JB_POP_PACKET);
	assert_int_equal(f.seq, 1);
	assert_int_equal(jb_playout_next_us(jb), 40 * MS);   /* midway to seq 3 at 60 ms */
	assert_int_equal(jb_playout_pop(jb, 40 * MS, &f), JB_POP_LOST);
	assert_int_equal(f.seq, 2);
	assert_int_equal(f.ts, 960);
	assert_non_null(f.data);                             /* seq 3, for FEC */
	assert_int_equal(f.data[3], 3);
	assert_int_equal(jb_playout_pop(jb, 60 * MS, &f), JB_POP_PACKET);
	assert_int_equal(f.seq, 3);
	/* seq 2 after its marker: forwarded for pass-through, late for playout */
	assert_int_equal(put(jb, 2, 960, 61 * MS, false), JB_FORWARD_FILL);
	assert_int_equal(stats(jb).playout_late, 1);
	/* 3 s of silence (DTX), then the sender's timestamps went on 1 s less than time did */
	put(jb, 4, 2880 + 48000 * 2, 3060 * MS, false);
	assert_int_equal(stats(jb).baseline_resets, 1);
	assert_int_equal(jb_playout_pop(jb, 3079 * MS, &f), JB_POP_NONE);
	assert_int_equal(jb_playout_pop(jb, 3080 * MS, &f), JB_POP_PACKET);
	assert_int_equal(f.seq, 4);
	mem_deref(jb);
}

/* more packets than slots while nobody pops: oldest are discarded, the cursor moves on */
static void test_playout_overflow(void **state)
{
	(void)state;
	struct jb_config cfg;
	jb_config_default(&cfg, 48000, false);
	cfg.nslots = 16;
	cfg.nack_max_gap = 8;
	cfg.slot_cap = 100;
	struct jb *jb = NULL;
	struct jb_frame f;
	assert_int_equal(jb_alloc(&jb, &cfg), 0);
	for (uint16_t i = 0; i < 40; i++)
		put(jb, i, i * 960u, 0, false);
	struct jb_stats st = stats(jb);
	assert_int_equal(st.discarded, 24);
	assert_int_equal(st.depth, 16);
	assert_int_equal(jb_playout_pop(jb, 10000000, &f), JB_POP_PACKET);
	assert_int_equal(f.seq, 24);
	jb_reset(jb);
	assert_int_equal(stats(jb).depth, 0);
	assert_int_equal(jb_playout_pop(jb, 10000000, &f), JB_POP_NONE);
	assert_int_equal(put(jb, 7, 0, 0, false), JB_FORWARD);
	mem_deref(jb);
}

/* --- the first NACK wait follows the measured reordering --- */

/* a scripted uplink: one packet every 5 ms; every delay_every-th (from the 2nd) comes
 * delay_us late, every drop_every-th (from the 21st) never comes; the sender answers every
 * NACK with an RTX one RTT later. jb_nack_due() runs every millisecond. */
#define SIM_SPACING (5 * MS)
#define SIM_MAX 4096

struct nack_sim_ev {
	uint64_t at;
	uint16_t seq;
	bool rtx;
};

struct nack_sim {
	struct nack_sim_ev ev[SIM_MAX];
	size_t n, next;
	uint64_t first_nack_us[SIM_MAX];   /* by packet index */
	uint64_t max_first_nack_delay;     /* over the dropped packets, from their send time */
	unsigned drops;
};

static void nack_sim_push(struct nack_sim *sm, uint64_t at, uint16_t seq, bool rtx)
{
	assert_true(sm->n < SIM_MAX);
	size_t i = sm->n++;
	while (i > sm->next && sm->ev[i - 1].at > at) {
		sm->ev[i] = sm->ev[i - 1];
		i--;
	}
	sm->ev[i] = (struct nack_sim_ev){.at = at, .seq = seq, .rtx = rtx};
}

static bool nack_sim_dropped(unsigned i, unsigned drop_every)
{
	return drop_every && i % drop_every == 20 % drop_every;
}

static struct jb_stats nack_sim_run(struct jb *jb, struct nack_sim *sm, unsigned npkts,
			       unsigned delay_every, uint32_t delay_us, unsigned drop_every,
			       uint32_t rtt_us)
{
	const uint16_t seq0 = 1000;
	memset(sm, 0, sizeof(*sm));
	jb_set_rtt(jb, rtt_us);
	for (unsigned i = 0; i < npkts; i++) {
		if (nack_sim_dropped(i, drop_every)) {
			sm->drops++;
			continue;
		}
		uint64_t d = delay_every && i % delay_every == 1 ? delay_us : 0;
		nack_sim_push(sm, MS + i * SIM_SPACING + d, (uint16_t)(seq0 + i), false);
	}
	uint16_t seqs[64];
	for (uint64_t t = 0; t < npkts * SIM_SPACING + 1000 * MS; t += MS) {
		for (; sm->next < sm->n && sm->ev[sm->next].at <= t; sm->next++) {
			const struct nack_sim_ev *e = &sm->ev[sm->next];
			put(jb, e->seq, (uint32_t)(e->seq - seq0) * 450, t, e->rtx);
		}
		size_t n = jb_nack_due(jb, t, seqs, 64);
		for (size_t k = 0; k < n; k++) {
			unsigned i = (uint16_t)(seqs[k] - seq0);
			nack_sim_push(sm, t + rtt_us, seqs[k], true);
			if (sm->first_nack_us[i] || !nack_sim_dropped(i, drop_every))
				continue;
			sm->first_nack_us[i] = t;
			if (t - i * SIM_SPACING > sm->max_first_nack_delay)
				sm->max_first_nack_delay = t - i * SIM_SPACING;
		}
	}
	return stats(jb);
}

static struct jb *mk_wait(uint32_t wait_max_us)
{
	struct jb_config cfg;
	jb_config_default(&cfg, 90000, true);
	cfg.nack_wait_max_us = wait_max_us;
	struct jb *jb = NULL;
	assert_int_equal(jb_alloc(&jb, &cfg), 0);
	return jb;
}

/* a clean stream keeps the configured 10 ms: a real loss is NACKed 10 ms after its gap */
static void test_nack_wait_clean(void **state)
{
	(void)state;
	static struct nack_sim sm;
	struct jb *jb = mk(90000, true, 0);
	struct jb_stats st = nack_sim_run(jb, &sm, 1000, 0, 0, 50, 50 * MS);
	assert_int_equal(sm.drops, 20);
	assert_int_equal(st.nack_wait_us, 10 * MS);
	assert_int_equal(st.nacks, 20);               /* one NACK per real loss, no more */
	assert_int_equal(st.repaired, 20);
	assert_int_equal(st.lost_before_repair, 20);
	assert_int_equal(st.lost_after_repair, 0);
	assert_int_equal(st.late_after_nack, 0);
	/* gap seen when the next packet comes (5 + 1 ms after the loss's send time) + 10 ms */
	assert_true(sm.max_first_nack_delay <= 16 * MS);
	mem_deref(jb);
}

/* steady 40 ms reordering (every 4th packet): a fixed 10 ms wait NACKs every late packet; the
 * adaptive wait learns it within a packet or two and NACKs the real losses only, still
 * within 2 RTTs */
static void test_nack_wait_follows_reordering(void **state)
{
	(void)state;
	static struct nack_sim sm;
	struct jb *fixed = mk_wait(0);
	struct jb_stats f = nack_sim_run(fixed, &sm, 1000, 4, 40 * MS, 50, 50 * MS);
	assert_int_equal(f.nack_wait_us, 10 * MS);
	assert_true(f.late_after_nack >= 240);        /* ~250 late packets, all NACKed */
	assert_true(f.duplicates >= 240);             /* and each resent for nothing */
	assert_int_equal(f.lost_before_repair, 20);   /* late originals are no loss */
	assert_int_equal(f.repaired, 20);
	assert_int_equal(f.lost_after_repair, 0);

	struct jb *jb = mk(90000, true, 0);
	struct jb_stats a = nack_sim_run(jb, &sm, 1000, 4, 40 * MS, 50, 50 * MS);
	/* lateness 35 ms (the gap shows with the next packet, 5 ms after): bucket edge 36 ms */
	assert_int_equal(a.nack_wait_us, 36 * MS);
	assert_true(a.late_after_nack <= 2);
	assert_true(a.late_after_nack * 50 < f.late_after_nack);
	assert_true(a.nacks <= 22);
	assert_int_equal(a.repaired, 20);
	assert_int_equal(a.lost_before_repair, 20);
	assert_int_equal(a.lost_after_repair, 0);
	assert_int_equal(a.lost, 0);
	assert_true(a.reordered >= 240);
	assert_true(sm.max_first_nack_delay <= 2 * 50 * MS);
	mem_deref(fixed);
	mem_deref(jb);
}

/* the wait is at most 2 smoothed RTTs and nack_wait_max_us */
static void test_nack_wait_bounds(void **state)
{
	(void)state;
	static struct nack_sim sm;
	struct jb *jb = mk(90000, true, 0);
	struct jb_stats st = nack_sim_run(jb, &sm, 400, 4, 40 * MS, 50, 10 * MS);
	assert_int_equal(st.nack_wait_us, 20 * MS);   /* 2 × 10 ms */
	assert_int_equal(st.lost_after_repair, 0);
	/* the packet after the loss is a late one: the gap shows 11 ms after the loss's send */
	assert_true(sm.max_first_nack_delay <= 31 * MS);
	mem_deref(jb);

	jb = mk(90000, true, 0);
	st = nack_sim_run(jb, &sm, 400, 4, 300 * MS, 0, 200 * MS);
	assert_int_equal(st.nack_wait_us, 100 * MS);  /* nack_wait_max_us */
	mem_deref(jb);

	jb = mk(90000, true, 0);
	st = nack_sim_run(jb, &sm, 400, 4, 300 * MS, 0, 40 * MS);
	assert_int_equal(st.nack_wait_us, 80 * MS);
	/* the smoothed RTT moves 1/8 of the way to each new sample */
	jb_set_rtt(jb, 8 * MS);
	assert_int_equal(stats(jb).nack_wait_us, 2 * 36 * MS);
	mem_deref(jb);
}

/* once reordering stops, the evidence fades and the wait is back to 10 ms */
static void test_nack_wait_fades(void **state)
{
	(void)state;
	static struct nack_sim sm;
	uint16_t seqs[8];
	struct jb *jb = mk(90000, true, 0);
	struct jb_stats st = nack_sim_run(jb, &sm, 200, 4, 40 * MS, 0, 50 * MS);
	assert_int_equal(st.nack_wait_us, 36 * MS);
	uint64_t t = 2000 * MS;
	uint16_t seq = 1200;
	for (; t < 40000 * MS; t += 20 * MS)
		put(jb, seq++, 0, t, false);
	assert_int_equal(jb_nack_due(jb, t, seqs, 8), 0);
	put(jb, (uint16_t)(seq + 1), 0, t, false);     /* a gap: seq lost */
	assert_int_equal(stats(jb).nack_wait_us, 10 * MS);
	assert_int_equal(jb_nack_next_us(jb), t + 10 * MS);
	mem_deref(jb);
}

/* an original after its retransmission: counted once as an original, and as NACKed late */
static void test_original_after_rtx(void **state)
{
	(void)state;
	uint16_t seqs[8];
	struct jb *jb = mk(90000, true, 0);
	jb_set_rtt(jb, 20 * MS);
	put(jb, 1, 0, 0, false);
	put(jb, 3, 0, 5 * MS, false);
	assert_int_equal(jb_nack_due(jb, 15 * MS, seqs, 8), 1);
	assert_int_equal(put(jb, 2, 0, 35 * MS, true), JB_FORWARD_FILL);
	assert_int_equal(put(jb, 2, 0, 60 * MS, false), JB_DROP_DUPLICATE);
	assert_int_equal(put(jb, 2, 0, 61 * MS, false), JB_DROP_DUPLICATE);
	struct jb_stats st = stats(jb);
	assert_int_equal(st.repaired, 1);
	assert_int_equal(st.late_after_nack, 1);
	assert_int_equal(st.lost_before_repair, 0);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(st.nack_wait_us, 40 * MS);   /* 55 ms late, capped at 2 × 20 ms */
	mem_deref(jb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_in_order_and_wrap),
		cmocka_unit_test(test_reorder_and_duplicates),
		cmocka_unit_test(test_nack_timing_and_give_up),
		cmocka_unit_test(test_rtt_drives_renack),
		cmocka_unit_test(test_repair_off_and_wide_gap),
		cmocka_unit_test(test_jump_restart_and_old),
		cmocka_unit_test(test_jitter_rfc3550),
		cmocka_unit_test(test_playout_pacing_uniform_jitter),
		cmocka_unit_test(test_playout_delay_decays),
		cmocka_unit_test(test_playout_stuck_recovery),
		cmocka_unit_test(test_playout_fec_and_silence),
		cmocka_unit_test(test_playout_overflow),
		cmocka_unit_test(test_nack_wait_clean),
		cmocka_unit_test(test_nack_wait_follows_reordering),
		cmocka_unit_test(test_nack_wait_bounds),
		cmocka_unit_test(test_nack_wait_fades),
		cmocka_unit_test(test_original_after_rtx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

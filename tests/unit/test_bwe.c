/* bwe: a receiver's downlink estimate from its REMB and its receiver reports, within
 * [50 kbit/s, 2.5 Mbit/s], shared between senders, and the pacing of REMBs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/bwe.h"

#define MS 1000ull
#define S 1000000ull
#define LOSS(pct) ((uint8_t)((pct) * 256 / 100))

static void test_starts_unlimited(void **state)
{
	(void)state;
	struct bwe b;
	bwe_init(&b);
	assert_int_equal(bwe_target_bps(&b, 0), BWE_MAX_BPS);
	/* no loss: already at the ceiling, stays there */
	bwe_on_receiver_report(&b, 0, 0, 1 * S);
	bwe_on_receiver_report(&b, 0, 125000, 2 * S);
	assert_int_equal(bwe_target_bps(&b, 2 * S), BWE_MAX_BPS);
}

/* heavy loss cuts to 85 % of what we actually sent the receiver, not of the ceiling */
static void test_loss_decreases_from_sent_rate(void **state)
{
	(void)state;
	struct bwe b;
	bwe_init(&b);
	bwe_on_receiver_report(&b, 0, 0, 1 * S);
	bwe_on_receiver_report(&b, LOSS(20), 125000, 2 * S);      /* 1 Mbit/s sent */
	assert_int_equal(bwe_target_bps(&b, 2 * S), 850000);
	/* another report 100 ms later does not compound */
	bwe_on_receiver_report(&b, LOSS(20), 137500, 2 * S + 100 * MS);
	assert_int_equal(bwe_target_bps(&b, 2 * S + 100 * MS), 850000);
	/* 300 ms on, still losing: 85 % of min(estimate, rate sent) */
	bwe_on_receiver_report(&b, LOSS(20), 162500, 2 * S + 300 * MS);  /* 1 Mbit/s */
	assert_int_equal(bwe_target_bps(&b, 2 * S + 300 * MS), 722500);
	/* moderate loss (2–10 %) holds */
	bwe_on_receiver_report(&b, LOSS(5), 200000, 3 * S + 300 * MS);
	assert_int_equal(bwe_target_bps(&b, 3 * S + 300 * MS), 722500);
	/* exactly 10 % (26/256 is above it, 25/256 not) */
	bwe_on_receiver_report(&b, 25, 230000, 4 * S + 300 * MS);
	assert_int_equal(bwe_target_bps(&b, 4 * S + 300 * MS), 722500);
}

static void test_recovery_is_paced(void **state)
{
	(void)state;
	struct bwe b;
	bwe_init(&b);
	uint64_t bytes = 0, now = 1 * S;
	bwe_on_receiver_report(&b, 0, bytes, now);
	now += S;
	bytes += 62500;                                           /* 500 kbit/s */
	bwe_on_receiver_report(&b, LOSS(30), bytes, now);
	assert_int_equal(bwe_target_bps(&b, now), 425000);
	/* low loss: +5 % once a second, however many reports come */
	for (int i = 0; i < 10; i++) {
		now += 100 * MS;
		bwe_on_receiver_report(&b, LOSS(1), bytes += 6250, now);
	}
	assert_int_equal(bwe_target_bps(&b, now), 446250);
	now += S;
	bwe_on_receiver_report(&b, 0, bytes += 62500, now);
	assert_int_equal(bwe_target_bps(&b, now), 468562);
	/* and never past the ceiling */
	for (int i = 0; i < 100; i++) {
		now += S;
		bwe_on_receiver_report(&b, 0, bytes += 62500, now);
	}
	assert_int_equal(bwe_target_bps(&b, now), BWE_MAX_BPS);
}

static void test_floor(void **state)
{
	(void)state;
	struct bwe b;
	bwe_init(&b);
	uint64_t bytes = 0, now = 1 * S;
	for (int i = 0; i < 60; i++) {
		now += 400 * MS;
		bwe_on_receiver_report(&b, 255, bytes += 1000, now);
	}
	assert_int_equal(bwe_target_bps(&b, now), BWE_MIN_BPS);
	/* a counter that went back (a new leg's stats) restarts the measurement */
	bwe_on_receiver_report(&b, 255, 10, now + S);
	assert_int_equal(bwe_target_bps(&b, now + S), BWE_MIN_BPS);
}

static void test_remb(void **state)
{
	(void)state;
	struct bwe b;
	bwe_init(&b);
	bwe_on_receiver_remb(&b, 400000, 10 * S);
	assert_int_equal(bwe_target_bps(&b, 10 * S), 400000);
	assert_int_equal(bwe_target_bps(&b, 10 * S + BWE_REMB_TTL_US), 400000);
	/* stale: back to the loss-based estimate */
	assert_int_equal(bwe_target_bps(&b, 10 * S + BWE_REMB_TTL_US + 1), BWE_MAX_BPS);
	/* bounded both ways */
	bwe_on_receiver_remb(&b, 10000, 20 * S);
	assert_int_equal(bwe_target_bps(&b, 20 * S), BWE_MIN_BPS);
	bwe_on_receiver_remb(&b, 100000000, 21 * S);
	assert_int_equal(bwe_target_bps(&b, 21 * S), BWE_MAX_BPS);
	/* a REMB above what loss allows does not lift it */
	bwe_on_receiver_report(&b, 0, 0, 22 * S);
	bwe_on_receiver_report(&b, LOSS(50), 100000, 23 * S);     /* 800 kbit/s sent */
	bwe_on_receiver_remb(&b, 2000000, 23 * S);
	assert_int_equal(bwe_target_bps(&b, 23 * S), 680000);
}

static void test_share(void **state)
{
	(void)state;
	struct bwe b;
	bwe_init(&b);
	bwe_on_receiver_remb(&b, 1000000, S);
	assert_int_equal(bwe_share_bps(&b, 0, S), 1000000);
	assert_int_equal(bwe_share_bps(&b, 1, S), 1000000);
	assert_int_equal(bwe_share_bps(&b, 2, S), 500000);
	assert_int_equal(bwe_share_bps(&b, 40, S), BWE_MIN_BPS);
}

static void test_remb_pacing(void **state)
{
	(void)state;
	struct bwe_remb r = { 0 };
	assert_true(bwe_remb_due(&r, 1000000, 5 * S));
	assert_false(bwe_remb_due(&r, 1000000, 5 * S + 500 * MS));
	assert_false(bwe_remb_due(&r, 980000, 5 * S + 500 * MS));   /* −2 %: waits */
	assert_false(bwe_remb_due(&r, 2000000, 5 * S + 600 * MS));  /* a rise waits */
	assert_true(bwe_remb_due(&r, 970000, 5 * S + 600 * MS));    /* −3 %: at once */
	assert_false(bwe_remb_due(&r, 970000, 5 * S + 700 * MS));
	assert_true(bwe_remb_due(&r, 970000, 6 * S + 600 * MS));    /* once a second */
}

/* the downlink's loss is what we sent minus what the receiver received, over a window of at
 * least a second and 20 packets: the sender's uplink loss that the relay forwarded as gaps,
 * and reordering split by a report, are not the downlink's */
static void test_downlink_loss(void **state)
{
	(void)state;
	struct bwe_stream s = {0};
	assert_int_equal(bwe_downlink_loss(&s, 0, 1000, 500, 1 * S), -1);        /* opens */
	/* a report 40 ms on with a reordered packet missing: no verdict yet */
	assert_int_equal(bwe_downlink_loss(&s, 1, 1003, 502, 1 * S + 40 * MS), -1);
	/* a second on: 100 expected, 5 lost upstream (we sent 95), it received 95: 0 */
	assert_int_equal(bwe_downlink_loss(&s, 5, 1100, 595, 2 * S), 0);
	/* the next second: we sent 100, it received 80 (20 lost, cumulative 25): 20 % */
	assert_int_equal(bwe_downlink_loss(&s, 25, 1200, 695, 3 * S), 20 * 256 / 100);
	/* repairs of earlier gaps arrive: it received more than it expected in the window */
	assert_int_equal(bwe_downlink_loss(&s, 20, 1300, 800, 4 * S), 0);
	/* too few packets in a second: the window stays open */
	assert_int_equal(bwe_downlink_loss(&s, 20, 1310, 810, 5 * S), -1);
	/* a receiver whose highest seq went back (restart): a new window */
	assert_int_equal(bwe_downlink_loss(&s, 0, 10, 900, 6 * S), -1);
	assert_int_equal(bwe_downlink_loss(&s, 0, 110, 1000, 7 * S), 0);
}

/* a sender with 10-15 % uplink loss and reordering forwarded to a clean downlink, reported
 * every 40 ms as Chromium does: the receiver's fractions show that loss, and the target
 * stays where it is instead of sinking to the floor */
static void test_uplink_loss_does_not_sink(void **state)
{
	(void)state;
	struct bwe b, raw;
	struct bwe_stream s = {0};
	bwe_init(&b);
	bwe_init(&raw);
	uint64_t bytes = 0, raw_bytes = 0, now = 1 * S;
	uint32_t ext = 0, sent = 0;
	int32_t cum = 0;
	for (int i = 0; i < 1500; i++, now += 40 * MS) {
		/* 4 seqs a report; every 8th report one never reached us, every 5th one is late */
		unsigned gone = i % 8 == 0, late = i % 5 == 0;
		ext += 4;
		sent += 4 - gone - late;
		cum += (int32_t)(gone + late);
		uint8_t fl = (uint8_t)((gone + late) * 256 / 4);
		if (late) {                 /* the late one is sent and received after the report */
			sent++;
			cum--;
		}
		bytes += 2500;
		int down = bwe_downlink_loss(&s, cum, ext, sent, now);
		if (down >= 0)
			bwe_on_receiver_report(&b, (uint8_t)down, bytes, now);
		/* fed the reports as they are, the loss rule cuts it to the floor */
		raw_bytes += bwe_target_bps(&raw, now) / 8 / 25;   /* the sender follows the REMB */
		bwe_on_receiver_report(&raw, fl, raw_bytes, now);
	}
	assert_int_equal(bwe_target_bps(&b, now), BWE_MAX_BPS);
	assert_int_equal(bwe_target_bps(&raw, now), BWE_MIN_BPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starts_unlimited),
		cmocka_unit_test(test_downlink_loss),
		cmocka_unit_test(test_uplink_loss_does_not_sink),
		cmocka_unit_test(test_loss_decreases_from_sent_rate),
		cmocka_unit_test(test_recovery_is_paced),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_remb),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_remb_pacing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starts_unlimited),
		cmocka_unit_test(test_loss_decreases_from_sent_rate),
		cmocka_unit_test(test_recovery_is_paced),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_remb),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_remb_pacing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

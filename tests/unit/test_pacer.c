/* pacer: 20 ms ticks of a real loop on absolute deadlines (no drift), catch-up of small
 * lateness and skipping of large lateness. Timing is asserted loosely (the machine is shared);
 * the figures are printed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/loop.h"
#include "base/mem.h"
#include "media/pacer.h"

#define PERIOD 20000u
#define MAX_CALLS 200

struct run {
	struct loop *loop;
	struct pacer pacer;
	uint64_t at[MAX_CALLS];       /* clock_us() at each call */
	uint64_t tick[MAX_CALLS];
	uint32_t skipped[MAX_CALLS];
	unsigned n, stop_after;
	unsigned stall_call;          /* on this call the handler blocks the loop ... */
	uint64_t stall_us;            /* ... for this long */
};

static void busy_wait(uint64_t us)
{
	uint64_t end = clock_us() + us;
	while (clock_us() < end)
		;
}

static void on_tick(uint64_t tick, uint32_t skipped, void *arg)
{
	struct run *r = arg;
	r->at[r->n] = clock_us();
	r->tick[r->n] = tick;
	r->skipped[r->n] = skipped;
	if (++r->n == r->stop_after) {
		pacer_stop(&r->pacer);
		loop_stop(r->loop);
	} else if (r->n == r->stall_call) {
		busy_wait(r->stall_us);
	}
}

static void run(struct run *r)
{
	assert_int_equal(loop_alloc(&r->loop), 0);
	assert_int_equal(pacer_start(&r->pacer, r->loop, clock_us() + 5000, PERIOD, on_tick, r), 0);
	assert_int_equal(loop_run(r->loop), 0);
	assert_false(loop_timer_armed(&r->pacer.timer));
	mem_deref(r->loop);
}

static void test_no_drift(void **state)
{
	(void)state;
	static struct run r;
	memset(&r, 0, sizeof(r));
	r.stop_after = 101;       /* ticks 0..100: 100 intervals */
	run(&r);

	double total_ms = (double)(r.at[100] - r.at[0]) / 1000.0;
	double mean_ms = total_ms / 100.0, worst_late = 0;
	for (unsigned i = 0; i <= 100; i++) {
		assert_int_equal(r.tick[i], i);
		assert_int_equal(r.skipped[i], 0);
		double late = (double)(r.at[i] - pacer_deadline(&r.pacer, i)) / 1000.0;
		assert_true(late >= 0.0);    /* never early */
		if (late > worst_late)
			worst_late = late;
	}
	double end_late = (double)(r.at[100] - pacer_deadline(&r.pacer, 100)) / 1000.0;
	printf("# 100 ticks: mean interval %.3f ms, total %.3f ms, last tick %.3f ms after its "
	       "deadline, worst %.3f ms\n", mean_ms, total_ms, end_late, worst_late);
	assert_float_equal(mean_ms, 20.0, 0.5);
	assert_float_equal(total_ms, 2000.0, 2.0);
	assert_int_equal(r.pacer.skipped, 0);
	assert_int_equal(r.pacer.ticks, 101);
}

/* A handler that blocks the loop 55 ms (less than PACER_MAX_LATE_DEFAULT ticks) is caught up:
 * the two deadlines passed meanwhile run back to back, then the grid goes on. One that blocks 250 ms makes the
 * pacer skip ahead: one call, the skipped deadlines counted, no burst. */
static void test_late_loop(void **state)
{
	(void)state;
	static struct run r;
	memset(&r, 0, sizeof(r));
	r.stop_after = 30;
	r.stall_call = 5;            /* during tick 4 */
	r.stall_us = 55000;
	run(&r);
	for (unsigned i = 0; i < 30; i++)
		assert_int_equal(r.tick[i], i);      /* nothing skipped */
	printf("# 55 ms stall: tick 5 ran %.3f ms after tick 4, tick 6 %.3f ms after tick 5, "
	       "tick 7 %.3f ms after its deadline\n", (double)(r.at[5] - r.at[4]) / 1000.0,
	       (double)(r.at[6] - r.at[5]) / 1000.0,
	       (double)(r.at[7] - pacer_deadline(&r.pacer, 7)) / 1000.0);
	assert_true(r.at[5] - r.at[4] >= 55000);
	assert_true(r.at[6] - r.at[5] < 5000);      /* caught up at once */
	assert_true(r.at[7] >= pacer_deadline(&r.pacer, 7));
	assert_int_equal(r.pacer.skipped, 0);
	assert_true(r.at[29] - pacer_deadline(&r.pacer, 29) < 5000);    /* back on the grid */

	memset(&r, 0, sizeof(r));
	r.stop_after = 30;
	r.stall_call = 5;
	r.stall_us = 250000;
	run(&r);
	/* the call after the stall serves the latest deadline passed, once */
	uint64_t expect = (r.at[5] - r.pacer.start_us) / PERIOD;
	printf("# 250 ms stall: %u deadlines skipped, resumed at tick %llu %.3f ms after its "
	       "deadline, next call %.3f ms later\n", r.skipped[5], (unsigned long long)r.tick[5],
	       (double)(r.at[5] - pacer_deadline(&r.pacer, r.tick[5])) / 1000.0,
	       (double)(r.at[6] - r.at[5]) / 1000.0);
	assert_true(r.skipped[5] >= 10 && r.skipped[5] <= 14);
	assert_int_equal(r.tick[5], 5 + r.skipped[5]);
	assert_true(r.tick[5] == expect || r.tick[5] + 1 == expect);
	assert_int_equal(r.pacer.skipped, r.skipped[5]);
	for (unsigned i = 6; i < 30; i++) {
		assert_int_equal(r.skipped[i], 0);
		assert_int_equal(r.tick[i], r.tick[i - 1] + 1);
	}
	/* no burst: the next deadline is still ahead when the skip is served */
	assert_true(r.at[6] - r.at[5] > 1000 || r.tick[6] == expect);
	assert_true(r.at[29] - pacer_deadline(&r.pacer, r.tick[29]) < 5000);
}

static void test_args(void **state)
{
	(void)state;
	struct pacer p;
	struct loop *l;
	memset(&p, 0, sizeof(p));
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(pacer_start(&p, l, 0, 0, on_tick, NULL), EINVAL);
	assert_int_equal(pacer_start(&p, NULL, 0, PERIOD, on_tick, NULL), EINVAL);
	assert_int_equal(pacer_start(&p, l, 0, PERIOD, NULL, NULL), EINVAL);
	p.max_late = 7;
	assert_int_equal(pacer_start(&p, l, 0, PERIOD, on_tick, NULL), 0);
	assert_int_equal(p.max_late, 7);
	assert_true(loop_timer_armed(&p.timer));
	assert_int_equal(pacer_start(&p, l, 0, PERIOD, on_tick, NULL), 0);   /* restart */
	pacer_stop(&p);
	assert_false(loop_timer_armed(&p.timer));
	pacer_stop(&p);
	mem_deref(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_drift),
		cmocka_unit_test(test_late_loop),
		cmocka_unit_test(test_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

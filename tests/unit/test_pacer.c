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
#include <math.h>
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

/* lateness of call i in µs */
static uint64_t late_us(const struct run *r, unsigned i)
{
	return r->at[i] - pacer_deadline(&r->pacer, r->tick[i]);
}

/* the call in [from, to) that was least late: where the grid is, whatever the load */
static unsigned least_late(const struct run *r, unsigned from, unsigned to)
{
	unsigned best = from;
	for (unsigned i = from; i < to; i++)
		if (late_us(r, i) < late_us(r, best))
			best = i;
	return best;
}

/* 100 intervals. A call can be late when the shared machine is busy (and nothing is skipped
 * here, however late); a drift would make every later call late. */
static void test_no_drift(void **state)
{
	(void)state;
	static struct run r;
	memset(&r, 0, sizeof(r));
	r.stop_after = 101;
	r.pacer.max_late = 1000;
	run(&r);

	uint64_t worst = 0;
	for (unsigned i = 0; i <= 100; i++) {
		assert_int_equal(r.tick[i], i);
		assert_int_equal(r.skipped[i], 0);
		assert_true(r.at[i] >= pacer_deadline(&r.pacer, i));    /* never early */
		if (late_us(&r, i) > worst)
			worst = late_us(&r, i);
	}
	double total_ms = (double)(r.at[100] - r.at[0]) / 1000.0;
	unsigned i0 = least_late(&r, 0, 10), i1 = least_late(&r, 91, 101);
	double period_ms = (double)(r.at[i1] - r.at[i0]) / (i1 - i0) / 1000.0;
	double drift_ms = (double)late_us(&r, i1) / 1000.0;
	printf("# 100 ticks: mean interval %.3f ms, first to last %.3f ms (tick 0 %.3f ms late, "
	       "tick 100 %.3f ms late, worst %.3f ms); grid period %.4f ms, drift after 2 s %.3f ms\n",
	       total_ms / 100, total_ms, late_us(&r, 0) / 1000.0, late_us(&r, 100) / 1000.0,
	       worst / 1000.0, period_ms, drift_ms);
	assert_float_equal(total_ms / 100, 20.0, 0.5);
	assert_float_equal(period_ms, 20.0, 0.05);
	assert_true(drift_ms < 2.0);
	assert_true(late_us(&r, 0) > 1000 || late_us(&r, 100) > 1000 || fabs(total_ms - 2000) < 2);
	assert_int_equal(r.pacer.ticks, 101);
}

/* Every call after the first: one deadline on from the last, plus what it says it skipped. */
static void check_grid(const struct run *r)
{
	uint64_t skipped = r->skipped[0];
	for (unsigned i = 1; i < r->n; i++) {
		assert_int_equal(r->tick[i], r->tick[i - 1] + 1 + r->skipped[i]);
		assert_true(r->at[i] >= pacer_deadline(&r->pacer, r->tick[i]));   /* never early */
		skipped += r->skipped[i];
	}
	assert_int_equal(r->pacer.skipped, skipped);
}

/* A handler that blocks the loop 55 ms (less than max_late ticks) is caught up: the deadlines
 * passed meanwhile run back to back, then the grid goes on. One that blocks 250 ms makes the
 * pacer skip ahead: one call for the latest deadline passed, the skipped ones counted, no
 * burst. (max_late is 5 here, not the default 3, so a busy machine's extra lateness does not
 * turn the first case into a skip.) */
static void test_late_loop(void **state)
{
	(void)state;
	static struct run r;
	memset(&r, 0, sizeof(r));
	r.stop_after = 30;
	r.stall_call = 5;            /* during tick 4 */
	r.stall_us = 55000;
	r.pacer.max_late = 5;
	run(&r);
	check_grid(&r);
	printf("# 55 ms stall: tick 5 ran %.3f ms after tick 4, tick 6 %.3f ms after tick 5, "
	       "tick 7 %.3f ms after its deadline\n", (double)(r.at[5] - r.at[4]) / 1000.0,
	       (double)(r.at[6] - r.at[5]) / 1000.0, late_us(&r, 7) / 1000.0);
	for (unsigned i = 0; i < 30; i++)
		assert_int_equal(r.tick[i], i);      /* nothing skipped */
	assert_true(r.at[5] - r.at[4] >= 55000);
	assert_true(pacer_deadline(&r.pacer, 6) <= r.at[5]);
	assert_true(r.at[6] - r.at[5] < 5000);   /* caught up at once */

	memset(&r, 0, sizeof(r));
	r.stop_after = 30;
	r.stall_call = 5;
	r.stall_us = 250000;
	r.pacer.max_late = 5;
	run(&r);
	check_grid(&r);
	printf("# 250 ms stall: %u deadlines skipped, resumed at tick %llu %.3f ms after its "
	       "deadline, next call %.3f ms later\n", r.skipped[5], (unsigned long long)r.tick[5],
	       late_us(&r, 5) / 1000.0, (double)(r.at[6] - r.at[5]) / 1000.0);
	assert_true(r.skipped[5] >= 10);         /* 250 ms from tick 4: deadlines 5..15 passed */
	assert_true(late_us(&r, 5) < PERIOD);    /* the latest deadline passed, not an old one */
	assert_true(pacer_deadline(&r.pacer, r.tick[5] + 1) > r.at[5]);   /* so no burst follows */
	assert_true(r.pacer.skipped >= r.skipped[5]);
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

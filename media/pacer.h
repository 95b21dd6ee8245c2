/* pacer: a periodic tick (the mixer's 20 ms) on absolute monotonic deadlines.
 *
 * Tick n is due at start_us + n × period_us: every deadline is computed from the start, never as
 * "now + period", so lateness in one tick (a busy loop, a slow handler) does not push the
 * following ones back and there is no drift however long the call lasts. Late ticks are caught
 * up by running at once (a short burst) as long as the loop is less than max_late periods
 * behind; further behind, the pacer skips ahead to the latest deadline passed, counts the ticks
 * skipped and tells the handler, which should move its media clock on by that many frames
 * rather than burst them out (a receiver's jitter buffer absorbs a few frames at once, not
 * dozens).
 *
 * A struct pacer is embedded in its owner, like the loop_timer inside it: the owner calls
 * pacer_stop() before freeing it. Loop thread only; the handler may call pacer_stop(). */
#ifndef MEDIA_PACER_H
#define MEDIA_PACER_H
#include <stdint.h>

#include "base/loop.h"

#define PACER_MAX_LATE_DEFAULT 3   /* ticks: at most this many are run back to back */

/* tick: index of the deadline being served; skipped: ticks dropped just before it */
typedef void (pacer_h)(uint64_t tick, uint32_t skipped, void *arg);

struct pacer {
	struct loop *loop;
	struct loop_timer timer;
	uint64_t start_us;
	uint32_t period_us;
	uint32_t max_late;         /* PACER_MAX_LATE_DEFAULT unless changed before the first tick */
	uint64_t next;             /* index of the next deadline */
	pacer_h *h;
	void *arg;
	/* counters */
	uint64_t ticks;            /* handler calls */
	uint64_t skipped;          /* deadlines skipped */
	uint64_t late_max_us;      /* worst lateness of a served deadline */
};

/* First tick at start_us (0 = now), then every period_us; p is zeroed or stopped (a running
 * pacer is restarted). 0 or EINVAL. */
int pacer_start(struct pacer *p, struct loop *l, uint64_t start_us, uint32_t period_us,
		pacer_h *h, void *arg);
void pacer_stop(struct pacer *p);
static inline uint64_t pacer_deadline(const struct pacer *p, uint64_t tick)
{
	return p->start_us + tick * p->period_us;
}

#endif

#include "media/pacer.h"
#include "base/clock.h"

#include <errno.h>

static void pacer_fire(void *arg)
{
	struct pacer *p = arg;
	uint64_t now = clock_us();
	uint64_t due = pacer_deadline(p, p->next);
	uint32_t skipped = 0;

	if (now > due) {
		uint64_t behind = (now - due) / p->period_us;   /* later deadlines already passed */
		if (behind >= p->max_late) {
			skipped = behind > UINT32_MAX ? UINT32_MAX : (uint32_t)behind;
			p->next += skipped;
			p->skipped += skipped;
			due = pacer_deadline(p, p->next);
		}
		if (now - due > p->late_max_us)
			p->late_max_us = now - due;
	}
	uint64_t tick = p->next++;
	p->ticks++;
	/* armed before the handler runs, so the handler may stop the pacer */
	loop_timer_start(p->loop, &p->timer, pacer_deadline(p, p->next), pacer_fire, p);
	p->h(tick, skipped, p->arg);
}

int pacer_start(struct pacer *p, struct loop *l, uint64_t start_us, uint32_t period_us,
		pacer_h *h, void *arg)
{
	if (!p || !l || !h || period_us == 0)
		return EINVAL;
	if (p->loop)
		loop_timer_cancel(p->loop, &p->timer);   /* restarted */
	uint32_t max_late = p->max_late ? p->max_late : PACER_MAX_LATE_DEFAULT;
	*p = (struct pacer){
		.loop = l,
		.start_us = start_us ? start_us : clock_us(),
		.period_us = period_us,
		.max_late = max_late,
		.h = h,
		.arg = arg,
	};
	loop_timer_start(l, &p->timer, p->start_us, pacer_fire, p);
	return 0;
}

void pacer_stop(struct pacer *p)
{
	if (p && p->loop)
		loop_timer_cancel(p->loop, &p->timer);
}

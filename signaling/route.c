#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"

#include <stdlib.h>

/* The queue: calls waiting for an agent, oldest request first. A call that goes back (the
 * agent declined or did not answer) keeps its place by its first request time. */
void queue_add(struct call *c)
{
	struct sig *s = c->sig;
	if (c->in_queue)
		return;
	struct call *after = s->queue_tail;
	while (after && after->queued_ms > c->queued_ms)
		after = after->qprev;
	c->qprev = after;
	c->qnext = after ? after->qnext : s->queue_head;
	if (c->qnext)
		c->qnext->qprev = c;
	else
		s->queue_tail = c;
	if (after)
		after->qnext = c;
	else
		s->queue_head = c;
	c->in_queue = true;
}

void queue_remove(struct call *c)
{
	struct sig *s = c->sig;
	if (!c->in_queue)
		return;
	if (c->qprev)
		c->qprev->qnext = c->qnext;
	else
		s->queue_head = c->qnext;
	if (c->qnext)
		c->qnext->qprev = c->qprev;
	else
		s->queue_tail = c->qprev;
	c->qprev = c->qnext = NULL;
	c->in_queue = false;
	c->position_sent = 0;
}

/* 1-based place in the queue, 0 when not queued. */
unsigned queue_position(const struct call *c)
{
	if (!c->in_queue)
		return 0;
	unsigned pos = 1;
	for (const struct call *q = c->sig->queue_head; q && q != c; q = q->qnext)
		pos++;
	return pos;
}

static bool route_declined(const struct call *c, const struct agent *a)
{
	for (size_t i = 0; i < c->ndeclined; i++) {
		if (c->declined[i] == a)
			return true;
	}
	return false;
}

/* The agent for c: eligible, has not declined c, idle longest. */
static struct agent *route_pick(struct sig *s, const struct call *c)
{
	struct agent *best = NULL, *a;
	struct table_iter it = {0};
	while ((a = table_next(s->agents, &it, NULL))) {
		if (!agent_eligible(a) || route_declined(c, a))
			continue;
		if (!best || a->idle_since_ms < best->idle_since_ms)
			best = a;
	}
	return best;
}

/* Tell the customer of a waiting call its place. */
void queue_tell(struct call *c, unsigned pos)
{
	c->position_sent = pos;
	sess_send(c->customer, json_pack("{s:s, s:s, s:i}", "type", "queued", "call", c->id,
					 "position", pos));
}

/* Tell every waiting customer whose place changed where they are. */
static void queue_notify(struct sig *s)
{
	unsigned pos = 1;
	for (struct call *c = s->queue_head; c; c = c->qnext, pos++) {
		if (c->position_sent != pos)
			queue_tell(c, pos);
	}
}

/* Ring an agent for every waiting call that has one, in queue order. */
void route_dispatch(struct sig *s)
{
	if (s->stopping)
		return;
	uint64_t now = clock_ms();
	for (struct call *c = s->queue_head, *next; c; c = next) {
		next = c->qnext;
		struct agent *a = route_pick(s, c);
		if (a)
			call_ring(c, a, now);  /* takes c out of the queue */
	}
	queue_notify(s);
}

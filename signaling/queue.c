/* queue: the calls waiting for an agent, oldest request first, and what their customers are
 * told about it (position, estimated wait, agents who can take it), live.
 *
 * A call that goes back (declined, lapsed) keeps its place: the order is by the wall-clock
 * time of its first request (order_ms), which a restart keeps too (restore.c). */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"

#include <string.h>

/* a before b in the queue: first request first, the older contact on a tie */
static bool queue_before(const struct call *a, const struct call *b)
{
	return a->order_ms != b->order_ms ? a->order_ms < b->order_ms : a->order_id < b->order_id;
}

void queue_add(struct call *c)
{
	struct sig *s = c->sig;
	if (c->in_queue)
		return;
	struct call *after = s->queue_tail;
	while (after && queue_before(c, after))
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
	c->told.any = false;  /* back in the queue later: told afresh */
}

static bool queue_same_line(const struct call *a, const struct call *b)
{
	return strcmp(a->language, b->language) == 0 && strcmp(a->topic, b->topic) == 0;
}

/* 1-based place among the waiting calls for the same language and topic; 0 when not queued. */
unsigned queue_position(const struct call *c)
{
	if (!c->in_queue)
		return 0;
	unsigned pos = 1;
	for (const struct call *q = c->sig->queue_head; q && q != c; q = q->qnext)
		pos += queue_same_line(q, c);
	return pos;
}

/* Tell the customer of a waiting call where it stands, if that changed (or always: force). */
void queue_tell(struct call *c, bool force)
{
	unsigned agents = 0;
	struct call_told now = {
		.any = true, .position = queue_position(c),
		.wait_s = est_wait_s(c->sig, c, clock_ms(), &agents),
	};
	now.agents = agents;
	if (!force && c->told.any && c->told.position == now.position &&
	    c->told.wait_s == now.wait_s && c->told.agents == now.agents)
		return;
	c->told = now;
	json_t *m = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s}", "type", "queued", "call", c->id,
			      "position", now.position, "agents", now.agents, "language",
			      c->language, "topic", c->topic);
	if (m)
		json_object_set_new(m, "estimated_wait_s",
				    now.wait_s < 0 ? json_null() : json_integer(now.wait_s));
	sess_send(c->customer, m);
}

/* Every waiting customer whose position, wait or agent count changed hears it. */
void queue_notify(struct sig *s, bool force_all)
{
	if (s->stopping)
		return;
	for (struct call *c = s->queue_head; c; c = c->qnext)
		queue_tell(c, force_all);
}

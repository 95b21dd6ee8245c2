/* route: who gets rung.
 *
 * An agent can take a call when the call's language is among the agent's languages and its
 * topic among the agent's skills (an empty list takes everything). Waiting calls are served
 * oldest first; each goes to the matching, eligible agent idle longest, agents not yet tried
 * for it first (one who let it lapse may get it again when nobody else can), never one who
 * declined it. A returning customer's call is held for the agent who served it last while
 * that agent is signed in, not away, and return_window_ms has not passed (route_reserve). */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

bool route_match(const struct agent *a, const struct call *c)
{
	return agent_list_has(a->languages, c->language) && agent_list_has(a->skills, c->topic);
}

/* 0: never tried, 1: lapsed, 2: declined */
static int route_tried(const struct call *c, const struct agent *a)
{
	for (size_t i = 0; i < c->ntries; i++) {
		if (c->tries[i].agent == a)
			return c->tries[i].declined ? 2 : 1;
	}
	return 0;
}

/* The agent for c: eligible, matching, not declined; untried before lapsed; idle longest. */
static struct agent *route_pick(struct sig *s, struct call *c)
{
	if (c->reserved && !agent_counts(c->reserved))
		c->reserved = NULL;  /* the agent went away or signed out: anyone may take it */
	if (c->reserved)
		return agent_eligible(c->reserved) ? c->reserved : NULL;
	struct agent *best = NULL, *a;
	int best_tried = 2;
	struct table_iter it = {0};
	while ((a = table_next(s->agents, &it, NULL))) {
		int tried = route_tried(c, a);
		if (!agent_eligible(a) || tried == 2 || !route_match(a, c))
			continue;
		if (!best || tried < best_tried ||
		    (tried == best_tried && a->idle_since_ms < best->idle_since_ms)) {
			best = a;
			best_tried = tried;
		}
	}
	return best;
}

/* Ring an agent for every waiting call that has one, in queue order; tell the rest. */
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
	queue_notify(s, false);
}

/* The ring of c at a stopped without an answer: remember it, and drop a reservation for a. */
void route_lapsed(struct call *c, struct agent *a, bool declined)
{
	if (c->reserved == a)
		c->reserved = NULL;
	for (size_t i = 0; i < c->ntries; i++) {
		if (c->tries[i].agent == a) {
			c->tries[i].declined |= declined;
			return;
		}
	}
	struct call_try *t = realloc(c->tries, (c->ntries + 1) * sizeof(*t));
	if (!t)
		return;  /* without memory the agent may be rung again: no worse than that */
	c->tries = t;
	t[c->ntries++] = (struct call_try){a, declined};
}

struct route_prev {
	int64_t agent_id;
};

static int route_prev_h(const struct store_contact *k, void *arg)
{
	struct route_prev *p = arg;
	if (!k->answered_ms || !k->agent_id)
		return 0;
	p->agent_id = k->agent_id;
	return -1;  /* the newest answered one is enough: stop */
}

/* A returning customer: hold c for the agent who answered its last answered contact. */
void route_reserve(struct call *c)
{
	struct sig *s = c->sig;
	struct route_prev prev = {0};
	int err = store_contact_list_earlier(s->store, c->customer_id, c->contact_id, 10,
					     route_prev_h, &prev);
	if (err && err != -1) {
		log_warn("call %s: earlier contacts not read: %s", c->id, store_errmsg(s->store));
		return;
	}
	struct agent *a = agent_by_account(s, prev.agent_id);
	if (!a || !agent_counts(a) || !route_match(a, c))
		return;
	c->reserved = a;
	c->reserve_until_ms = clock_ms() + s->cfg.return_window_ms;
	log_info("call %s: returning customer, held for agent %s", c->id, a->username);
}

/* estimate: measured handle times and the estimated wait of a queued call
 * (docs/protocol.md, "Position and estimated wait").
 *
 * AHT is the mean of the last SIG_AHT_SAMPLES handle times (answer to Finish of the wrap-up,
 * or to the call's end when no wrap-up was finished), seeded at start from the store's recent
 * answered contacts (talk time), and default_handle_ms before any data.
 *
 * The wait of call c: the agents who can take it (signed in, not away, matching, not having
 * declined it; a held call: only the agent it is held for) each get a time they are expected
 * to be free (now when idle and available, else max(AHT - time since their call was rung or
 * answered, AHT/10)). Every waiting call ahead of c that one of them can take goes to the one
 * free soonest among those, whose time then grows by AHT. c's wait is the earliest time left,
 * rounded up to 10 s. */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/log.h"

#include <string.h>

#define EST_AGENTS_MAX 256   /* agents looked at per estimate */
#define EST_ROUND_S 10

void est_init(struct est *e, uint64_t default_ms)
{
	memset(e, 0, sizeof(*e));
	e->default_ms = default_ms;
}

void est_add(struct est *e, uint64_t handle_ms)
{
	if (e->n == SIG_AHT_SAMPLES)
		e->sum -= e->samples[e->next];
	else
		e->n++;
	e->samples[e->next] = handle_ms;
	e->sum += handle_ms;
	e->next = (e->next + 1) % SIG_AHT_SAMPLES;
}

uint64_t est_aht_ms(const struct est *e)
{
	return e->n ? e->sum / e->n : e->default_ms;
}

struct est_seed {
	uint64_t talk[SIG_AHT_SAMPLES];
	size_t n;
};

static int est_seed_h(const struct store_contact *c, void *arg)
{
	struct est_seed *sd = arg;
	if (c->ended_ms > c->answered_ms && sd->n < SIG_AHT_SAMPLES)
		sd->talk[sd->n++] = c->ended_ms - c->answered_ms;
	return 0;
}

void est_seed(struct sig *s)
{
	struct est_seed sd = {.n = 0};
	if (store_contact_list_handled(s->store, SIG_AHT_SAMPLES, est_seed_h, &sd)) {
		log_warn("handle times not read: %s", store_errmsg(s->store));
		return;
	}
	while (sd.n)  /* oldest first, so the ring ends with the newest */
		est_add(&s->est, sd.talk[--sd.n]);
	log_info("average handle time %llu s (%zu measured)",
		 (unsigned long long)(est_aht_ms(&s->est) / 1000), s->est.n);
}

static bool est_declined(const struct call *c, const struct agent *a)
{
	for (size_t i = 0; i < c->ntries; i++) {
		if (c->tries[i].agent == a && c->tries[i].declined)
			return true;
	}
	return false;
}

/* When agent a is expected to be free, in ms from now. */
static uint64_t est_free_in(const struct agent *a, uint64_t aht, uint64_t now_ms)
{
	if (a->status == AGENT_AVAILABLE && !a->call)
		return 0;
	uint64_t spent = now_ms > a->busy_since_ms ? now_ms - a->busy_since_ms : 0;
	uint64_t left = spent < aht ? aht - spent : 0;
	return left > aht / 10 ? left : aht / 10;
}

static size_t est_agents(struct sig *s, const struct call *c, struct agent **v, uint64_t *free_in,
			 uint64_t aht, uint64_t now_ms)
{
	size_t n = 0;
	struct table_iter it = {0};
	struct agent *a;
	while (n < EST_AGENTS_MAX && (a = table_next(s->agents, &it, NULL))) {
		if (!agent_counts(a) || !route_match(a, c) || est_declined(c, a) ||
		    (c->reserved && a != c->reserved))
			continue;
		v[n] = a;
		free_in[n++] = est_free_in(a, aht, now_ms);
	}
	return n;
}

/* the agent of v[0..n) that can take q and is free soonest; n when none can */
static size_t est_soonest(struct agent *const *v, const uint64_t *free_in, size_t n,
			  const struct call *q)
{
	size_t best = n;
	for (size_t i = 0; i < n; i++) {
		if ((!q || (route_match(v[i], q) && !est_declined(q, v[i]))) &&
		    (best == n || free_in[i] < free_in[best]))
			best = i;
	}
	return best;
}

int64_t est_wait_s(struct sig *s, const struct call *c, uint64_t now_ms, unsigned *agents)
{
	struct agent *v[EST_AGENTS_MAX];
	uint64_t free_in[EST_AGENTS_MAX];
	uint64_t aht = est_aht_ms(&s->est);
	size_t n = est_agents(s, c, v, free_in, aht, now_ms);
	*agents = (unsigned)n;
	if (!n)
		return -1;
	for (const struct call *q = s->queue_head; q && q != c; q = q->qnext) {
		size_t i = est_soonest(v, free_in, n, q);
		if (i < n)
			free_in[i] += aht;
	}
	uint64_t ms = free_in[est_soonest(v, free_in, n, NULL)];
	uint64_t secs = (ms + 999) / 1000;
	return (int64_t)((secs + EST_ROUND_S - 1) / EST_ROUND_S * EST_ROUND_S);
}

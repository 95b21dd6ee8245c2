/* callview: the admin view of calls (sig.h, sig_calls_view): what each call is, who is in it
 * and which media legs it has, as plain structs for the gateway's /api/calls. Read-only. */
#include "signaling/internal.h"

#include <errno.h>
#include <stdlib.h>

static const struct agent *callview_interpreter(const struct call *c)
{
	return c->ip.state != INTERP_NONE ? c->ip.agent : NULL;
}

static bool callview_present(const struct call *c, enum call_party p)
{
	const struct agent *ip = callview_interpreter(c);
	switch (p) {
	case CALL_CUSTOMER: return c->customer && c->customer->conn;
	case CALL_AGENT: return c->agent && c->agent->sess;
	case CALL_INTERP: return c->ip.state == INTERP_JOINED && ip && ip->sess;
	default: return false;
	}
}

static void callview_fill(const struct call *c, uint64_t now_wall_ms, struct sig_call_view *v)
{
	const struct agent *ip = callview_interpreter(c);
	*v = (struct sig_call_view){
		.id = c->id, .state = call_state_name(c->state), .customer = c->name,
		.language = c->language, .topic = c->topic,
		.agent = c->agent ? c->agent->username : "", .interpreter = ip ? ip->username : "",
		.age_ms = now_wall_ms > c->order_ms ? now_wall_ms - c->order_ms : 0,
		.has_media = c->has_media, .media_id = c->media_id,
	};
	for (int p = 0; p < CALL_PARTIES && v->nlegs < SIG_VIEW_LEGS; p++) {
		if (!c->side[p].has_leg)
			continue;
		v->legs[v->nlegs++] = (struct sig_leg_view){
			.party = call_party_name((enum call_party)p), .leg_id = c->side[p].leg_id,
			.present = callview_present(c, (enum call_party)p),
		};
	}
}

/* oldest first; calls asked for in the same millisecond by their number ("c12" after "c9") */
static int callview_cmp(const void *a, const void *b)
{
	const struct call *x = *(const struct call *const *)a, *y = *(const struct call *const *)b;
	if (x->order_ms != y->order_ms)
		return x->order_ms < y->order_ms ? -1 : 1;
	unsigned long nx = strtoul(x->id + 1, NULL, 10), ny = strtoul(y->id + 1, NULL, 10);
	return nx < ny ? -1 : nx > ny;
}

int sig_calls_view(struct sig *s, uint64_t now_wall_ms, sig_call_view_h *h, void *arg)
{
	size_t n = table_count(s->calls), i = 0;
	if (!n)
		return 0;
	const struct call **all = malloc(n * sizeof(*all));
	if (!all)
		return ENOMEM;
	struct table_iter it = {0};
	const struct call *c;
	while (i < n && (c = table_next(s->calls, &it, NULL)))
		all[i++] = c;
	qsort(all, i, sizeof(*all), callview_cmp);
	for (size_t k = 0; k < i; k++) {
		struct sig_call_view v;
		callview_fill(all[k], now_wall_ms, &v);
		h(&v, arg);
	}
	free(all);
	return 0;
}

int sig_call_view(struct sig *s, const char *id, uint64_t now_wall_ms, sig_call_view_h *h,
		  void *arg)
{
	const struct call *c = call_find(s, id);
	if (!c)
		return ENOENT;
	struct sig_call_view v;
	callview_fill(c, now_wall_ms, &v);
	h(&v, arg);
	return 0;
}

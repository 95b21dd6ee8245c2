/* restore: what a restart leaves of customers' contacts.
 *
 * Live state (queue, calls, presence) is in memory only, records are in the store. At start
 * every contact the last run left open is closed with outcome "interrupted" (ended_ms = this
 * run's start). When a customer comes back with its token and its session is loaded from the
 * store, its most recent contact says what happened to it, if it was interrupted no longer
 * than resume_ms ago:
 *  - it was waiting (never answered): it is queued again as a new call, keeping its place
 *    (ordered by the first request time);
 *  - it was in a call: the customer hears call_ended with reason "interrupted" (and may send
 *    a survey for it). */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#include <stdio.h>
#include <string.h>

void restore_close_open(struct sig *s)
{
	unsigned n = 0;
	if (store_contact_close_open(s->store, s->started_wall_ms, "interrupted", &n))
		log_error("cannot close the contacts left open: %s", store_errmsg(s->store));
	else if (n)
		log_info("%u contact%s left open by the last run closed as interrupted", n,
			 n == 1 ? "" : "s");
}

struct restore_last {
	bool any, interrupted;
	int64_t id;
	uint64_t queued_ms, answered_ms, ended_ms;
	char language[SIG_CODE_MAX + 1], topic[SIG_CODE_MAX + 1];
};

static int restore_last_h(const struct store_contact *c, void *arg)
{
	struct restore_last *l = arg;
	l->any = true;
	l->interrupted = c->outcome && strcmp(c->outcome, "interrupted") == 0;
	l->id = c->id;
	l->queued_ms = c->queued_ms;
	l->answered_ms = c->answered_ms;
	l->ended_ms = c->ended_ms;
	snprintf(l->language, sizeof(l->language), "%s", c->language ? c->language : "");
	snprintf(l->topic, sizeof(l->topic), "%s", c->topic ? c->topic : "");
	return 0;
}

static const char *restore_code(const struct catalog *cat, const char *code)
{
	return catalog_find(cat, code) ? code : cat->v[0].code;  /* no longer offered: default */
}

void restore_customer(struct sess *se)
{
	struct sig *s = se->sig;
	struct restore_last last = {0};
	if (store_contact_list_earlier(s->store, se->store_id, 0, 1, restore_last_h, &last)) {
		log_warn("session %s: cannot read its contacts: %s", se->id, store_errmsg(s->store));
		return;
	}
	uint64_t now = clock_wall_ms();
	if (!last.any || !last.interrupted || last.ended_ms + s->cfg.resume_ms < now)
		return;
	if (last.answered_ms) {
		snprintf(se->interrupted, sizeof(se->interrupted), "c%lld", (long long)last.id);
		return;
	}
	struct call *c;
	int err = call_create(s, se, restore_code(&s->languages, last.language),
			      restore_code(&s->topics, last.topic), last.queued_ms, last.id, &c);
	if (err)
		log_warn("session %s: could not queue its interrupted call again", se->id);
	else
		log_info("session %s: call %s queued again in the place of c%lld", se->id, c->id,
			 (long long)last.id);
}

void restore_tell(struct sess *se)
{
	if (!se->interrupted[0])
		return;
	sess_send(se, json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", "call_ended", "call",
				se->interrupted, "reason", "interrupted", "by", "server", "survey",
				true));
	se->interrupted[0] = '\0';
}

/* wrapup: after an answered call, the agent's wrap-up (outcome, notes, Finish) and the
 * customer's survey (rating 1-5, comment), both stored on the contact. */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#include <stdio.h>
#include <string.h>

/* c (answered) ended: its agent wraps it up, and takes no call until Finish. */
void wrapup_begin(struct agent *a, const struct call *c)
{
	struct agent_wrap *w = &a->wrap;
	snprintf(w->call, sizeof(w->call), "%s", c->id);
	w->contact_id = c->contact_id;
	w->customer_id = c->customer_id;
	snprintf(w->sess_id, sizeof(w->sess_id), "%s", c->customer ? c->customer->id : "");
	w->answered_ms = c->answered_ms;
	agent_set_status(a, AGENT_WRAP_UP, NULL);
	agent_tell_status(a, NULL, NULL);
}

void wrapup_msg(struct sig_conn *c, const struct proto_msg *msg)
{
	struct sig *s = c->sig;
	struct agent *a = c->sess->agent;
	const char *call = proto_str(msg, "call");
	if (a->status != AGENT_WRAP_UP || strcmp(a->wrap.call, call) != 0) {
		bool live = a->call && strcmp(a->call->id, call) == 0;
		sig_error(c, msg, live ? PROTO_E_BAD_STATE : PROTO_E_UNKNOWN_CALL,
			  live ? "call %s is not over" : "no call \"%s\" to wrap up", call);
		return;
	}
	struct store_contact k = {.id = a->wrap.contact_id, .outcome = proto_str(msg, "outcome"),
				  .notes = proto_str(msg, "notes")};
	if (store_contact_update(s->store, &k)) {
		log_error("call %s: wrap-up not stored: %s", call, store_errmsg(s->store));
		sig_error(c, msg, PROTO_E_NOT_STORED, "the wrap-up was not stored: %s",
			  store_errmsg(s->store));
		return;
	}
	uint64_t now = clock_ms();
	if (a->wrap.answered_ms && now > a->wrap.answered_ms)
		est_add(&s->est, now - a->wrap.answered_ms);
	log_info("call %s: wrapped up by %s (%s)", call, a->username, k.outcome);
	sig_reply(c, msg, json_pack("{s:s, s:s}", "type", "wrapped_up", "call", call));
	memset(&a->wrap, 0, sizeof(a->wrap));
	agent_set_status(a, AGENT_AVAILABLE, NULL);
	agent_tell_status(a, NULL, NULL);
	route_dispatch(s);
}

struct survey_find {
	bool found;
	int64_t id;
	uint64_t ended_ms;
	int rating;
};

static int survey_find_h(const struct store_contact *k, void *arg)
{
	struct survey_find *f = arg;
	if (!k->answered_ms)
		return 0;
	*f = (struct survey_find){true, k->id, k->ended_ms, k->survey_rating};
	return -1;  /* the most recent answered contact: stop */
}

/* The session's most recent answered call, if it ended and has no survey yet. */
bool survey_pending(struct sess *se, char *call, size_t len)
{
	struct survey_find f = {0};
	int err = store_contact_list_earlier(se->sig->store, se->store_id, 0, 0, survey_find_h, &f);
	if ((err && err != -1) || !f.found || !f.ended_ms || f.rating)
		return false;
	snprintf(call, len, "c%lld", (long long)f.id);
	return true;
}

void survey_msg(struct sig_conn *c, const struct proto_msg *msg)
{
	struct sig *s = c->sig;
	struct sess *se = c->sess;
	const char *call = proto_str(msg, "call");
	struct survey_find f = {0};
	char want[PROTO_CALL_ID_MAX + 1] = "";
	int err = store_contact_list_earlier(s->store, se->store_id, 0, 0, survey_find_h, &f);
	if (err && err != -1) {
		sig_error(c, msg, PROTO_E_INTERNAL, "the calls could not be read");
		return;
	}
	if (f.found)
		snprintf(want, sizeof(want), "c%lld", (long long)f.id);
	if (!f.found || strcmp(want, call) != 0) {
		sig_error(c, msg, PROTO_E_UNKNOWN_CALL, "no answered call \"%s\" to rate", call);
		return;
	}
	if (!f.ended_ms || f.rating) {
		sig_error(c, msg, PROTO_E_BAD_STATE, f.rating ? "call %s was rated already" :
			  "call %s is not over", call);
		return;
	}
	struct store_contact k = {.id = f.id, .survey_rating = (int)proto_int(msg, "rating"),
				  .survey_comment = proto_str(msg, "comment")};
	if (store_contact_update(s->store, &k)) {
		log_error("call %s: survey not stored: %s", call, store_errmsg(s->store));
		sig_error(c, msg, PROTO_E_NOT_STORED, "the survey was not stored");
		return;
	}
	log_info("call %s: rated %d by the customer", call, k.survey_rating);
	sig_reply(c, msg, json_pack("{s:s, s:s}", "type", "survey_saved", "call", call));
}

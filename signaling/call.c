#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "media/media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const call_state_names[CALL_STATE_COUNT] = {
	[CALL_QUEUED] = "queued", [CALL_RINGING] = "ringing", [CALL_ACTIVE] = "active",
	[CALL_ENDED] = "ended",
};

/* The moves a call can make; everything else is a bug and refused. */
static const bool call_moves[CALL_STATE_COUNT][CALL_STATE_COUNT] = {
	[CALL_QUEUED] = {[CALL_RINGING] = true, [CALL_ENDED] = true},
	[CALL_RINGING] = {[CALL_QUEUED] = true, [CALL_ACTIVE] = true, [CALL_ENDED] = true},
	[CALL_ACTIVE] = {[CALL_ENDED] = true},
};

const char *call_state_name(enum call_state st)
{
	return (unsigned)st < CALL_STATE_COUNT ? call_state_names[st] : "?";
}

/* The one transition function: checks the move and keeps the queue and ring timer in step. */
static int call_transition(struct call *c, enum call_state to)
{
	enum call_state from = c->state;
	if (!call_moves[from][to]) {
		log_error("call %s: refused move %s -> %s", c->id, call_state_name(from),
			  call_state_name(to));
		return EPROTO;
	}
	c->state = to;
	if (from == CALL_QUEUED)
		queue_remove(c);
	if (from == CALL_RINGING)
		c->ring_deadline_ms = 0;
	if (to == CALL_QUEUED)
		queue_add(c);
	log_debug("call %s: %s -> %s", c->id, call_state_name(from), call_state_name(to));
	return 0;
}

static void call_destroy(void *data)
{
	struct call *c = data;
	free(c->tries);
}

/* A new call of customer, queued (the caller runs route_dispatch()); its contact record is
 * created first and names it ("c" + contact id, so ids stay unique across restarts). order_ms
 * is the wall-clock time of the first request: now, or an interrupted call's (restore.c), and
 * order_id that request's contact id (0: this call's own), which orders requests made in the
 * same millisecond. */
int call_create(struct sig *s, struct sess *customer, const char *language, const char *topic,
		uint64_t order_ms, int64_t order_id, struct call **cp)
{
	struct call *c = mem_alloc(sizeof(*c), call_destroy);
	if (!c)
		return ENOMEM;
	c->sig = s;
	snprintf(c->name, sizeof(c->name), "%s", customer->name[0] ? customer->name : "Customer");
	snprintf(c->language, sizeof(c->language), "%s", language);
	snprintf(c->topic, sizeof(c->topic), "%s", topic);
	c->customer_id = customer->store_id;
	c->state = CALL_QUEUED;
	uint64_t now = clock_wall_ms();
	c->order_ms = order_ms ? order_ms : now;
	int err = record_contact_create(c, now);
	if (!err) {
		snprintf(c->id, sizeof(c->id), "c%lld", (long long)c->contact_id);
		err = table_add(s->calls, c->id, c);
		c->order_id = order_id ? order_id : c->contact_id;
	}
	if (err) {
		mem_deref(c);
		return err;
	}
	c->customer = customer;
	customer->call = c;
	queue_add(c);
	route_reserve(c);
	*cp = c;
	return 0;
}

struct call *call_find(struct sig *s, const char *id)
{
	return table_find(s->calls, id);
}

static bool call_present(const struct call *c, enum call_party p)
{
	if (p == CALL_CUSTOMER)
		return c->customer && c->customer->conn;
	return c->agent && c->agent->sess;
}

void call_send(struct call *c, enum call_party p, json_t *msg)
{
	if (p == CALL_CUSTOMER)
		sess_send(c->customer, msg);
	else if (p == CALL_AGENT && c->agent)
		agent_send(c->agent, msg);
	else if (p == CALL_INTERP && c->ip.state == INTERP_JOINED && c->ip.agent)
		agent_send(c->ip.agent, msg);
	else
		json_decref(msg);
}

json_t *call_started_json(const struct call *c, enum call_party p, bool resumed)
{
	enum call_party other = p == CALL_CUSTOMER ? CALL_AGENT : CALL_CUSTOMER;
	const char *name = other == CALL_CUSTOMER ? c->name : c->agent->username;
	json_t *m = json_pack("{s:s, s:s, s:{s:s, s:s, s:b}, s:b}", "type", "call_started", "call",
			      c->id, "peer", "role", call_party_name(other), "name", name,
			      "connected", call_present(c, other), "resumed", resumed);
	if (m && p == CALL_AGENT) {
		json_object_set_new(m, "language", json_string(c->language));
		json_object_set_new(m, "topic", json_string(c->topic));
	}
	return m;
}

void call_ring(struct call *c, struct agent *a, uint64_t now_ms)
{
	if (call_transition(c, CALL_RINGING))
		return;
	c->agent = a;
	a->call = c;
	a->busy_since_ms = now_ms;
	c->ring_deadline_ms = now_ms + c->sig->cfg.ring_timeout_ms;
	log_info("call %s: ringing agent %s", c->id, a->username);
	record_offer(c);
	agent_send(a, call_ring_json(c));
	sess_send(c->customer, json_pack("{s:s, s:s}", "type", "ringing", "call", c->id));
}

/* The ring stops without an answer: the call goes back to its place in the queue. The caller
 * runs route_dispatch() once it has done what else it must. */
void call_unring(struct call *c, const char *reason)
{
	struct agent *a = c->agent;
	bool declined = strcmp(reason, "declined") == 0;
	if (call_transition(c, CALL_QUEUED))
		return;
	record_offer_result(c, declined ? STORE_OFFER_DECLINED : STORE_OFFER_TIMEOUT);
	route_lapsed(c, a, declined);
	c->agent = NULL;
	a->call = NULL;
	log_info("call %s: ring at %s stopped (%s)", c->id, a->username, reason);
	agent_send(a, json_pack("{s:s, s:s, s:s}", "type", "ring_cancelled", "call", c->id,
				"reason", reason));
}

/* The agent answered: the media relay gets a call and both sides are told to negotiate. */
int call_start(struct call *c, char *err, size_t errlen)
{
	int e = media_call_create(c->sig->media, &c->media_id);
	if (e) {
		snprintf(err, errlen, "the media relay could not create the call: %s", strerror(e));
		return e;
	}
	c->has_media = true;
	if ((e = call_transition(c, CALL_ACTIVE)))
		return e;
	struct agent *a = c->agent;
	c->answered_ms = clock_ms();
	a->lapses = 0;
	agent_set_status(a, AGENT_BUSY, NULL);
	record_offer_result(c, STORE_OFFER_ACCEPTED);
	record_answered(c);
	log_info("call %s: agent %s answered (media call %u)", c->id, a->username, c->media_id);
	sess_send(c->customer, call_started_json(c, CALL_CUSTOMER, false));
	return 0;
}

void call_drop_leg(struct call *c, enum call_party p)
{
	struct call_side *sd = &c->side[p];
	if (!sd->has_leg)
		return;
	int err = c->has_media ? media_leg_destroy(c->sig->media, sd->leg_id) : 0;
	if (err)
		log_warn("call %s: media leg %u: %s", c->id, sd->leg_id, strerror(err));
	sd->has_leg = false;
}

static void call_release_media(struct call *c)
{
	if (!c->has_media)
		return;
	int err = media_call_destroy(c->sig->media, c->media_id);
	if (err)
		log_warn("call %s: media call %u: %s", c->id, c->media_id, strerror(err));
	c->has_media = false;
	for (int p = 0; p < CALL_PARTIES; p++)
		c->side[p].has_leg = false;
}

/* The contact's outcome by why the call ended and whether it was answered. */
static const struct {
	const char *reason, *answered, *waiting;
} call_outcomes[] = {
	{"hangup", "completed", "abandoned"},
	{"disconnected", "disconnected", "abandoned"},
	{"media_error", "failed", "failed"},
	{"shutdown", "interrupted", "interrupted"},
};

static const char *call_outcome(const char *reason, bool answered)
{
	for (size_t i = 0; i < sizeof(call_outcomes) / sizeof(call_outcomes[0]); i++) {
		if (strcmp(call_outcomes[i].reason, reason) == 0)
			return answered ? call_outcomes[i].answered : call_outcomes[i].waiting;
	}
	return "failed";
}

static void call_end_agent(struct call *c, enum call_state from, const char *reason,
			   const char *by)
{
	struct agent *a = c->agent;
	if (from == CALL_RINGING) {  /* the customer gave up, or e.g. media_error, shutdown */
		record_offer_result(c, STORE_OFFER_TIMEOUT);
		agent_send(a, json_pack("{s:s, s:s, s:s}", "type", "ring_cancelled", "call", c->id,
					"reason", strcmp(by, "customer") == 0 ? "cancelled" : reason));
	} else {
		agent_send(a, json_pack("{s:s, s:s, s:s, s:s}", "type", "call_ended", "call",
					c->id, "reason", reason, "by", by));
	}
	a->call = NULL;
	if (from == CALL_ACTIVE)
		wrapup_begin(a, c);  /* status wrap_up until Finish */
	else
		a->idle_since_ms = clock_ms();
}

/* End c in whatever state it is: record it, tell both sides, free the media, unlink, drop. */
void call_end(struct call *c, const char *reason, const char *by)
{
	struct sig *s = c->sig;
	enum call_state from = c->state;
	if (from == CALL_ENDED || call_transition(c, CALL_ENDED))
		return;
	interp_end(c, reason, by);
	call_release_media(c);
	record_ended(c, call_outcome(reason, from == CALL_ACTIVE));
	log_info("call %s: ended (%s by %s)", c->id, reason, by);
	sess_send(c->customer, json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", "call_ended", "call",
					 c->id, "reason", reason, "by", by, "survey",
					 from == CALL_ACTIVE));
	if (c->agent)
		call_end_agent(c, from, reason, by);
	if (c->customer)
		c->customer->call = NULL;
	c->customer = NULL;
	c->agent = NULL;
	mem_deref(table_remove(s->calls, c->id));
	route_dispatch(s);
}

/* Tell the other party that p's connection went or came back. */
static void call_peer_state(struct call *c, enum call_party p, const char *state)
{
	enum call_party other = p == CALL_CUSTOMER ? CALL_AGENT : CALL_CUSTOMER;
	call_send(c, other, json_pack("{s:s, s:s, s:s}", "type", "peer_state", "call", c->id,
				      "state", state));
}

/* A party's connection went. A ring at an agent who left stops; otherwise the call waits
 * call_grace_ms for the party to come back (its media leg is gone with its page). */
void call_party_left(struct call *c, enum call_party p, uint64_t now_ms)
{
	if (p == CALL_AGENT && c->state == CALL_RINGING) {
		call_unring(c, "agent_left");
		route_dispatch(c->sig);
		return;
	}
	call_drop_leg(c, p);
	c->side[p].gone_deadline_ms = now_ms + c->sig->cfg.call_grace_ms;
	if (c->state == CALL_ACTIVE)
		call_peer_state(c, p, "disconnected");
}

/* A party is back (resumed session or new sign-in): tell it where the call stands. */
void call_party_back(struct call *c, enum call_party p)
{
	c->side[p].gone_deadline_ms = 0;
	switch (c->state) {
	case CALL_QUEUED:
		queue_tell(c, true);
		break;
	case CALL_RINGING:
		call_send(c, p, json_pack("{s:s, s:s}", "type", "ringing", "call", c->id));
		break;
	case CALL_ACTIVE:
		call_send(c, p, call_started_json(c, p, true));
		if (c->ip.state != INTERP_NONE)  /* its page receives the third party again */
			call_send(c, p, participants_json(c, p));
		call_peer_state(c, p, "connected");
		if (p == CALL_AGENT)
			chat_send_history(NULL, c->agent, c->id, c->customer_id);
		break;
	default:
		break;
	}
}

enum call_due { CALL_DUE_NO_ANSWER, CALL_DUE_CUSTOMER_GONE, CALL_DUE_AGENT_GONE,
		CALL_DUE_RESERVATION };

static void call_run_due(struct call *c, enum call_due due)
{
	if (due == CALL_DUE_NO_ANSWER) {
		struct agent *a = c->agent;
		call_unring(c, "no_answer");
		agent_no_answer(a);
		route_dispatch(c->sig);  /* rings the next agent, or tells the customer its place */
		return;
	}
	if (due == CALL_DUE_RESERVATION) {
		log_info("call %s: no longer held for agent %s", c->id, c->reserved->username);
		c->reserved = NULL;
		route_dispatch(c->sig);
		return;
	}
	call_end(c, "disconnected", due == CALL_DUE_CUSTOMER_GONE ? "customer" : "agent");
}

static bool call_due(const struct call *c, uint64_t now_ms, enum call_due *due)
{
	if (c->state == CALL_RINGING && c->ring_deadline_ms && c->ring_deadline_ms <= now_ms) {
		*due = CALL_DUE_NO_ANSWER;
		return true;
	}
	if (c->state == CALL_QUEUED && c->reserved && c->reserve_until_ms <= now_ms) {
		*due = CALL_DUE_RESERVATION;
		return true;
	}
	for (int p = 0; p < CALL_PARTIES; p++) {
		uint64_t t = c->side[p].gone_deadline_ms;
		if (t && t <= now_ms) {
			*due = p == CALL_CUSTOMER ? CALL_DUE_CUSTOMER_GONE : CALL_DUE_AGENT_GONE;
			return true;
		}
	}
	return false;
}

/* Ring timeouts and grace periods. Collect first (acting changes the table), then act. */
void call_tick(struct sig *s, uint64_t now_ms)
{
	struct { struct call *c; enum call_due due; } todo[32];
	size_t n = 0;
	struct table_iter it = {0};
	struct call *c;
	while (n < sizeof(todo) / sizeof(todo[0]) && (c = table_next(s->calls, &it, NULL))) {
		if (call_due(c, now_ms, &todo[n].due))
			todo[n++].c = mem_ref(c);
	}
	for (size_t i = 0; i < n; i++) {
		c = todo[i].c;
		enum call_due due;
		if (c->state != CALL_ENDED && call_due(c, now_ms, &due))
			call_run_due(c, due);
		mem_deref(c);
	}
}

static struct call *call_find_media(struct sig *s, uint32_t media_id)
{
	struct table_iter it = {0};
	struct call *c;
	while ((c = table_next(s->calls, &it, NULL))) {
		if (c->has_media && c->media_id == media_id)
			return c;
	}
	return NULL;
}

/* A leg connected or failed: the party whose leg it is hears of it. Old legs are ignored. */
void call_media_event(struct sig *s, const struct media_event *ev)
{
	struct call *c = call_find_media(s, ev->call_id);
	for (int p = 0; c && p < CALL_PARTIES; p++) {
		if (!c->side[p].has_leg || c->side[p].leg_id != ev->leg_id)
			continue;
		bool up = ev->type == MEDIA_EV_LEG_CONNECTED;
		json_t *m = json_pack("{s:s, s:s, s:s}", "type", "media_state", "call", c->id,
				      "state", up ? "connected" : "failed");
		if (m && !up)
			json_object_set_new(m, "reason", json_string(ev->text));
		log_info("call %s: %s leg %u %s%s%s", c->id, call_party_name((enum call_party)p), ev->leg_id,
			 up ? "connected" : "failed", up ? "" : ": ", up ? "" : ev->text);
		call_send(c, (enum call_party)p, m);
		return;
	}
	log_debug("media event for unknown leg %u of media call %u", ev->leg_id, ev->call_id);
}

/* interp: an interpreter joins a running call (docs/protocol.md, "Interpreters").
 *
 * The agent invites one for a language; the interpreters who are available and have both the
 * language and the agent's language (the pair) are rung one at a time, longest idle first,
 * each for ring_timeout_ms, never twice for one invite. The one who accepts joins the call:
 * its page offers a media leg of the same media call, the customer's and agent's pages add
 * receive-only transceivers and offer again (media_leg_update), and everyone is told who is
 * on the call ("participants"). The agent removes the interpreter, or the interpreter hangs
 * up: its leg goes and the call goes on 1:1. The mode (consecutive/simultaneous) is the
 * agent's; it reaches the relay once all three legs are there. Records: interpreter_legs. */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "media/media.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool interp_eligible(const struct agent *a)
{
	return a->interpreter && a->sess && a->sess->conn && a->status == AGENT_AVAILABLE && !a->call;
}

/* the interpreter has every language of the call's pair */
static bool interp_match(const struct agent *a, const struct call *c)
{
	char pair[sizeof(c->ip.pair)];
	snprintf(pair, sizeof(pair), "%s", c->ip.pair);
	char *save = NULL;
	for (char *l = strtok_r(pair, ",", &save); l; l = strtok_r(NULL, ",", &save)) {
		if (!agent_list_has(a->languages, l))
			return false;
	}
	return true;
}

static bool interp_tried(const struct call *c, const struct agent *a)
{
	for (size_t i = 0; i < c->ip.ntried; i++) {
		if (c->ip.tried[i] == a)
			return true;
	}
	return false;
}

static struct agent *interp_pick(struct call *c)
{
	struct agent *best = NULL, *a;
	struct table_iter it = {0};
	while ((a = table_next(c->sig->agents, &it, NULL))) {
		if (!interp_eligible(a) || interp_tried(c, a) || !interp_match(a, c))
			continue;
		if (!best || a->idle_since_ms < best->idle_since_ms)
			best = a;
	}
	return best;
}

/* the language asked for, and the agent's (its first other language, else the centre's) */
static void interp_pair(struct call *c, const char *lang)
{
	struct sig *s = c->sig;
	char other[SIG_CODE_MAX + 1] = "";
	const char *al = c->agent ? c->agent->languages : "";
	size_t len;
	for (const char *p = al; *p && !*other; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		if (len && len <= SIG_CODE_MAX && (strncmp(p, lang, len) || strlen(lang) != len))
			snprintf(other, sizeof(other), "%.*s", (int)len, p);
	}
	for (size_t i = 0; i < s->languages.n && !*other && !*al; i++) {
		if (strcmp(s->languages.v[i].code, lang))
			snprintf(other, sizeof(other), "%s", s->languages.v[i].code);
	}
	snprintf(c->ip.language, sizeof(c->ip.language), "%s", lang);
	snprintf(c->ip.pair, sizeof(c->ip.pair), "%s%s%s", lang, *other ? "," : "", other);
}

static json_t *interp_ring_json(struct call *c)
{
	struct sig *s = c->sig;
	const struct catalog_item *lang = catalog_find(&s->languages, c->ip.language);
	const struct catalog_item *topic = catalog_find(&s->topics, c->topic);
	bool more;
	json_t *chat = chat_history_json(s, c->customer_id, 0, &more);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I}", "type", "ring",
			 "kind", "interpreter", "call", c->id, "name", c->name, "agent",
			 c->agent->username, "language", c->ip.language, "language_name",
			 lang ? lang->name : c->ip.language, "languages", c->ip.pair, "topic_name",
			 topic ? topic->name : c->topic, "chat", chat ? chat : json_array(),
			 "timeout_s", (json_int_t)(s->cfg.ring_timeout_ms / 1000));
}

/* Ring the next interpreter for c; false when nobody is left. */
static bool interp_ring_next(struct call *c, uint64_t now_ms)
{
	struct agent *a = interp_pick(c);
	if (!a) {
		c->ip.state = INTERP_NONE;
		return false;
	}
	c->ip.state = INTERP_RINGING;
	c->ip.agent = a;
	c->ip.ring_deadline_ms = now_ms + c->sig->cfg.ring_timeout_ms;
	if (c->ip.ntried < INTERP_TRIES_MAX)
		c->ip.tried[c->ip.ntried++] = a;
	a->call = c;
	log_info("call %s: ringing interpreter %s (%s)", c->id, a->username, c->ip.pair);
	agent_send(a, interp_ring_json(c));
	return true;
}

static void interp_unring(struct call *c, const char *reason)
{
	struct agent *a = c->ip.agent;
	c->ip.state = INTERP_NONE;
	c->ip.agent = NULL;
	if (!a)
		return;
	a->call = NULL;
	log_info("call %s: ring at interpreter %s stopped (%s)", c->id, a->username, reason);
	agent_send(a, json_pack("{s:s, s:s, s:s}", "type", "ring_cancelled", "call", c->id,
				"reason", reason));
}

/* The ring stopped without an accept: the next one, or tell the agent nobody came. */
static void interp_next_or_fail(struct call *c, const char *reason)
{
	if (!interp_ring_next(c, clock_ms()) && c->agent)
		agent_send(c->agent, json_pack("{s:s, s:s, s:s, s:s}", "type", "invite_failed",
					       "call", c->id, "language", c->ip.language,
					       "reason", reason));
	participants_tell(c, CALL_AGENT, NULL);
}

/* the agent's active call named by msg, or an error sent */
static struct call *interp_agent_call(struct sig_conn *c, const struct proto_msg *msg)
{
	struct call *call = call_find(c->sig, proto_str(msg, "call"));
	struct agent *a = c->sess->agent;
	if (!call || call->agent != a) {
		sig_error(c, msg, PROTO_E_UNKNOWN_CALL, "no call \"%s\" of yours", proto_str(msg, "call"));
		return NULL;
	}
	if (call->state != CALL_ACTIVE) {
		sig_error(c, msg, PROTO_E_BAD_STATE, "call %s is %s, not active", call->id,
			  call_state_name(call->state));
		return NULL;
	}
	return call;
}

void interp_invite_msg(struct sig_conn *c, const struct proto_msg *msg)
{
	struct call *call = interp_agent_call(c, msg);
	if (!call)
		return;
	const char *lang = proto_str(msg, "language");
	if (call->ip.state != INTERP_NONE) {
		sig_error(c, msg, PROTO_E_BAD_STATE, "an interpreter is %s",
			  call->ip.state == INTERP_RINGING ? "being rung" : "on the call");
		return;
	}
	if (!catalog_find(&c->sig->languages, lang)) {
		sig_error(c, msg, PROTO_E_BAD_FIELD, "\"%s\" is not a language offered here", lang);
		return;
	}
	interp_pair(call, lang);
	call->ip.ntried = 0;
	if (!interp_ring_next(call, clock_ms())) {
		sig_error(c, msg, PROTO_E_NO_INTERPRETER, "no interpreter for %s is available",
			  call->ip.pair);
		return;
	}
	participants_tell(call, CALL_AGENT, msg);
}

/* the call ringing at (or interpreted by) the interpreter of connection c */
static struct call *interp_own_call(struct sig_conn *c, const struct proto_msg *msg,
				    enum interp_state want)
{
	struct call *call = call_find(c->sig, proto_str(msg, "call"));
	struct agent *a = c->sess->agent;
	if (!call || call->ip.agent != a || call->ip.state == INTERP_NONE) {
		sig_error(c, msg, PROTO_E_UNKNOWN_CALL, "no call \"%s\" of yours", proto_str(msg, "call"));
		return NULL;
	}
	if (call->ip.state != want) {
		sig_error(c, msg, PROTO_E_BAD_STATE, "call %s is not ringing here", call->id);
		return NULL;
	}
	return call;
}

static void interp_record_join(struct call *c)
{
	struct store *st = c->sig->store;
	struct store_interp_leg l = {.contact_id = c->contact_id,
				     .interpreter_id = c->ip.agent->account_id,
				     .languages = c->ip.pair, .joined_ms = clock_wall_ms()};
	if (store_interp_join(st, &l, c->ip.mode, &c->ip.record_id)) {
		log_error("call %s: interpreter leg not stored: %s", c->id, store_errmsg(st));
		c->ip.record_id = 0;
	}
}

void interp_accept(struct sig_conn *c, const struct proto_msg *msg)
{
	struct call *call = interp_own_call(c, msg, INTERP_RINGING);
	if (!call)
		return;
	struct agent *a = call->ip.agent;
	call->ip.state = INTERP_JOINED;
	call->ip.mode = STORE_INTERP_CONSECUTIVE;
	a->lapses = 0;
	agent_set_status(a, AGENT_BUSY, NULL);
	interp_record_join(call);
	log_info("call %s: interpreter %s joins (%s)", call->id, a->username, call->ip.pair);
	sig_reply(c, msg, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "type", "call_started",
				    "call", call->id, "role", "interpreter", "languages",
				    call->ip.pair, "agent", call->agent->username, "customer",
				    call->name, "resumed", 0));
	agent_tell_status(a, NULL, NULL);
	participants_tell(call, CALL_INTERP, NULL);
}

void interp_decline(struct sig_conn *c, const struct proto_msg *msg)
{
	struct call *call = interp_own_call(c, msg, INTERP_RINGING);
	if (!call)
		return;
	call->ip.agent->lapses = 0;
	interp_unring(call, "declined");
	interp_next_or_fail(call, "declined");
}

/* Take the interpreter off c (ringing or joined) without telling the others. */
static void interp_drop(struct call *c, const char *reason, const char *by)
{
	struct agent *a = c->ip.agent;
	if (c->ip.state == INTERP_RINGING) {
		interp_unring(c, reason);
		return;
	}
	if (c->ip.state != INTERP_JOINED)
		return;
	call_drop_leg(c, CALL_INTERP);  /* the relay goes back to consecutive by itself */
	c->side[CALL_INTERP].gone_deadline_ms = 0;
	if (c->ip.record_id && store_interp_leave(c->sig->store, c->ip.record_id, clock_wall_ms()))
		log_error("call %s: interpreter leave not stored: %s", c->id,
			  store_errmsg(c->sig->store));
	c->ip = (struct call_interp){.state = INTERP_NONE, .mode = STORE_INTERP_CONSECUTIVE};
	a->call = NULL;
	log_info("call %s: interpreter %s left (%s by %s)", c->id, a->username, reason, by);
	agent_send(a, json_pack("{s:s, s:s, s:s, s:s}", "type", "call_ended", "call", c->id,
				"reason", reason, "by", by));
	agent_set_status(a, AGENT_AVAILABLE, NULL);
	agent_tell_status(a, NULL, NULL);
}

void interp_leave(struct call *c, const char *reason, const char *by)
{
	interp_drop(c, reason, by);
	participants_tell(c, CALL_AGENT, NULL);
}

void interp_end(struct call *c, const char *reason, const char *by)
{
	interp_drop(c, c->ip.state == INTERP_RINGING ? "cancelled" : reason, by);
}

void interp_remove_msg(struct sig_conn *c, const struct proto_msg *msg)
{
	struct call *call = interp_agent_call(c, msg);
	if (!call)
		return;
	if (call->ip.state == INTERP_NONE) {
		sig_error(c, msg, PROTO_E_BAD_STATE, "no interpreter is invited to call %s", call->id);
		return;
	}
	interp_drop(call, call->ip.state == INTERP_RINGING ? "cancelled" : "removed", "agent");
	participants_tell(call, CALL_AGENT, msg);
}

/* The interpreter's session ended: a ring moves on, a joined interpreter leaves. */
void interp_gone(struct agent *a)
{
	struct call *c = a->call;
	if (!c || c->ip.agent != a)
		return;
	if (c->ip.state == INTERP_RINGING) {
		interp_unring(c, "interpreter_left");
		interp_next_or_fail(c, "no_answer");
	} else {
		interp_leave(c, "disconnected", "interpreter");
	}
}

/* The agent's mode reaches the relay once customer, agent and interpreter all have legs. */
void interp_apply_mode(struct call *c)
{
	if (!c->has_media)
		return;
	bool simul = c->ip.state == INTERP_JOINED && c->ip.mode == STORE_INTERP_SIMULTANEOUS;
	bool legs = c->side[CALL_CUSTOMER].has_leg && c->side[CALL_AGENT].has_leg &&
		    c->side[CALL_INTERP].has_leg;
	if (!simul || !legs)
		return;  /* consecutive is the relay's default, and where it goes when a leg goes */
	int err = media_call_set_mode(c->sig->media, c->media_id, simul ? MEDIA_MODE_SIMULTANEOUS :
				      MEDIA_MODE_CONSECUTIVE, c->side[CALL_CUSTOMER].leg_id,
				      c->side[CALL_AGENT].leg_id, c->side[CALL_INTERP].leg_id);
	if (err)
		log_warn("call %s: mode %s not set: %s", c->id, simul ? "simultaneous" : "consecutive",
			 strerror(err));
}

void interp_mode_msg(struct sig_conn *c, const struct proto_msg *msg)
{
	struct call *call = interp_agent_call(c, msg);
	if (!call)
		return;
	enum store_interp_mode mode;
	if (call->ip.state != INTERP_JOINED || store_interp_mode_parse(proto_str(msg, "mode"), &mode)) {
		sig_error(c, msg, PROTO_E_BAD_STATE, "no interpreter is on call %s", call->id);
		return;
	}
	if (mode != call->ip.mode) {
		call->ip.mode = mode;
		if (call->ip.record_id &&
		    store_interp_mode(c->sig->store, call->ip.record_id, mode, clock_wall_ms()))
			log_error("call %s: mode change not stored: %s", call->id,
				  store_errmsg(c->sig->store));
		log_info("call %s: mode %s", call->id, store_interp_mode_name(mode));
		if (mode == STORE_INTERP_SIMULTANEOUS)
			interp_apply_mode(call);
		else if (call->has_media)
			media_call_set_mode(c->sig->media, call->media_id, MEDIA_MODE_CONSECUTIVE, 0, 0, 0);
	}
	participants_tell(call, CALL_AGENT, msg);
}

/* Rings at interpreters that lapsed: collect first (acting may change the table). */
void interp_tick(struct sig *s, uint64_t now_ms)
{
	struct call *todo[32];
	size_t n = 0;
	struct table_iter it = {0};
	struct call *c;
	while (n < sizeof(todo) / sizeof(todo[0]) && (c = table_next(s->calls, &it, NULL))) {
		if (c->ip.state == INTERP_RINGING && c->ip.ring_deadline_ms <= now_ms)
			todo[n++] = mem_ref(c);
	}
	for (size_t i = 0; i < n; i++) {
		c = todo[i];
		if (c->state == CALL_ACTIVE && c->ip.state == INTERP_RINGING &&
		    c->ip.ring_deadline_ms <= now_ms) {
			struct agent *a = c->ip.agent;
			interp_unring(c, "no_answer");
			agent_no_answer(a);
			interp_next_or_fail(c, "no_answer");
		}
		mem_deref(c);
	}
}

#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/log.h"
#include "base/mem.h"
#include "media/media.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The call named by the message, if the speaker is one of its parties (no one learns of
 * calls that are not theirs: a stranger's call is unknown_call too). */
static struct call *callmsg_call(struct sig_conn *c, const struct proto_msg *msg,
				 enum call_party *p)
{
	struct call *call = call_find(c->sig, proto_str(msg, "call"));
	struct sess *se = c->sess;
	if (call && se->kind == SESS_CUSTOMER && call->customer == se) {
		*p = CALL_CUSTOMER;
		return call;
	}
	if (call && se->kind == SESS_AGENT && se->agent && call->ip.state == INTERP_JOINED &&
	    call->ip.agent == se->agent) {
		*p = CALL_INTERP;
		return call;
	}
	if (call && se->kind == SESS_AGENT && se->agent && call->agent == se->agent) {
		*p = CALL_AGENT;
		return call;
	}
	sig_error(c, msg, PROTO_E_UNKNOWN_CALL, "no call \"%s\" of yours", proto_str(msg, "call"));
	return NULL;
}

static bool callmsg_in_state(struct sig_conn *c, const struct proto_msg *msg,
			     const struct call *call, enum call_state want)
{
	if (call->state == want)
		return true;
	sig_error(c, msg, PROTO_E_BAD_STATE, "call %s is %s, not %s", call->id,
		  call_state_name(call->state), call_state_name(want));
	return false;
}

/* A language or topic the page chose: one offered, or the first when it chose none. */
static const char *callmsg_pick(struct sig_conn *c, const struct proto_msg *msg,
				const struct catalog *cat, const char *field)
{
	const char *v = proto_str(msg, field);
	if (!v)
		return cat->v[0].code;
	if (catalog_find(cat, v))
		return v;
	sig_error(c, msg, PROTO_E_BAD_FIELD, "\"%s\" is not a %s offered here", v, field);
	return NULL;
}

void callmsg_request(struct sig_conn *c, const struct proto_msg *msg)
{
	struct sig *s = c->sig;
	struct sess *se = c->sess;
	if (se->call) {
		sig_error(c, msg, PROTO_E_ALREADY_IN_CALL, "call %s is %s", se->call->id,
			  call_state_name(se->call->state));
		return;
	}
	const char *lang = callmsg_pick(c, msg, &s->languages, "language");
	const char *topic = lang ? callmsg_pick(c, msg, &s->topics, "topic") : NULL;
	if (!topic)
		return;
	sess_set_name(se, proto_str(msg, "name"));
	struct call *call;
	if (call_create(s, se, lang, topic, 0, 0, &call)) {
		sig_error(c, msg, PROTO_E_NOT_STORED, "the request could not be recorded; try again");
		return;
	}
	log_info("%s: call %s (%s, %s) requested by session %s", c->peer, call->id, lang, topic,
		 se->id);
	route_dispatch(s);  /* rings an agent (ringing) or tells the place (queued) */
}

void callmsg_accept(struct sig_conn *c, const struct proto_msg *msg)
{
	if (c->role == PROTO_ROLE_INTERP) {
		interp_accept(c, msg);
		return;
	}
	enum call_party p;
	struct call *call = callmsg_call(c, msg, &p);
	if (!call || !callmsg_in_state(c, msg, call, CALL_RINGING))
		return;
	char err[160];
	if (call_start(call, err, sizeof(err))) {
		log_error("call %s: %s", call->id, err);
		sig_error(c, msg, PROTO_E_MEDIA_ERROR, "%s", err);
		call_end(call, "media_error", "server");
		return;
	}
	sig_reply(c, msg, call_started_json(call, CALL_AGENT, false));
	agent_tell_status(call->agent, NULL, NULL);
}

void callmsg_decline(struct sig_conn *c, const struct proto_msg *msg)
{
	if (c->role == PROTO_ROLE_INTERP) {
		interp_decline(c, msg);
		return;
	}
	enum call_party p;
	struct call *call = callmsg_call(c, msg, &p);
	if (!call || !callmsg_in_state(c, msg, call, CALL_RINGING))
		return;
	call->agent->lapses = 0;
	call_unring(call, "declined");  /* never offered to this agent again */
	route_dispatch(c->sig);
}

/* A new offer of a party that has a leg: the same page renegotiating (transceivers added or
 * stopped for the parties on the call) keeps its leg; a new page (a reload: new ICE
 * credentials and fingerprint, which the relay refuses as an update) replaces it. */
static int callmsg_negotiate(struct call *call, enum call_party p, const char *sdp,
			     char **answer, char *err, size_t errlen)
{
	struct media *m = call->sig->media;
	struct call_side *sd = &call->side[p];
	if (sd->has_leg) {
		int e = media_leg_update(m, sd->leg_id, sdp, answer, err, errlen);
		if (e != EPROTO)
			return e;
		*err = '\0';
		call_drop_leg(call, p);
	}
	uint32_t leg;
	int e = media_leg_create(m, call->media_id, sdp, answer, &leg, err, errlen);
	if (!e) {
		sd->leg_id = leg;
		sd->has_leg = true;
	}
	return e;
}

void callmsg_offer(struct sig_conn *c, const struct proto_msg *msg)
{
	enum call_party p;
	struct call *call = callmsg_call(c, msg, &p);
	if (!call || !callmsg_in_state(c, msg, call, CALL_ACTIVE))
		return;
	char *answer = NULL, err[160] = "";
	int e = callmsg_negotiate(call, p, proto_str(msg, "sdp"), &answer, err, sizeof(err));
	if (e) {
		log_warn("call %s: %s offer refused: %s", call->id, call_party_name(p),
			 *err ? err : strerror(e));
		sig_error(c, msg, PROTO_E_MEDIA_ERROR, "%s", *err ? err : strerror(e));
		return;
	}
	interp_apply_mode(call);
	sig_reply(c, msg, json_pack("{s:s, s:s, s:s, s:o}", "type", "answer", "call", call->id,
				    "sdp", answer, "streams", participants_streams(call, p)));
	mem_deref(answer);
	if (call->ip.state == INTERP_JOINED)
		participants_tell_others(call, p);  /* their streams may carry this leg now */
}

void callmsg_hangup(struct sig_conn *c, const struct proto_msg *msg)
{
	enum call_party p;
	struct call *call = callmsg_call(c, msg, &p);
	if (!call)
		return;
	if (p == CALL_INTERP) {
		interp_leave(call, "left", "interpreter");
		return;
	}
	if (p == CALL_AGENT && call->state == CALL_RINGING) {
		sig_error(c, msg, PROTO_E_BAD_STATE, "call %s is ringing: decline it", call->id);
		return;
	}
	call_end(call, "hangup", p == CALL_CUSTOMER ? "customer" : "agent");
}

/* participants: who is on a call (customer, agent, interpreter), whether an interpreter is
 * being invited, the interpreter mode, and which outbound stream (mid) of a party's media leg
 * carries whom, as the relay decided (media_leg_slots). Sent as "participants" whenever any of
 * it changes, and as "streams" with each answer, so pages put each track in the right place. */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/log.h"
#include "media/media.h"

static const char *const call_party_names[CALL_PARTIES] = {
	[CALL_CUSTOMER] = "customer", [CALL_AGENT] = "agent", [CALL_INTERP] = "interpreter",
};

const char *call_party_name(enum call_party p)
{
	return (unsigned)p < CALL_PARTIES ? call_party_names[p] : "?";
}

static bool participants_on(const struct call *c, enum call_party p)
{
	switch (p) {
	case CALL_CUSTOMER: return c->customer != NULL;
	case CALL_AGENT: return c->agent != NULL;
	case CALL_INTERP: return c->ip.state == INTERP_JOINED && c->ip.agent;
	default: return false;
	}
}

static const char *participants_who(const struct call *c, enum call_party p)
{
	if (p == CALL_CUSTOMER)
		return c->name;
	return p == CALL_AGENT ? c->agent->username : c->ip.agent->username;
}

static json_t *participants_list(struct call *c)
{
	json_t *arr = json_array();
	for (int p = 0; arr && p < CALL_PARTIES; p++) {
		if (!participants_on(c, (enum call_party)p))
			continue;
		json_t *o = json_pack("{s:s, s:s}", "role", call_party_names[p], "name",
				      participants_who(c, (enum call_party)p));
		if (o && p == CALL_INTERP)
			json_object_set_new(o, "languages", json_string(c->ip.pair));
		json_array_append_new(arr, o);
	}
	return arr;
}

static const char *participants_of_leg(const struct call *c, uint32_t leg)
{
	for (int p = 0; leg && p < CALL_PARTIES; p++) {
		if (c->side[p].has_leg && c->side[p].leg_id == leg)
			return call_party_names[p];
	}
	return NULL;
}

/* [{"mid":"0","kind":"audio","party":"agent","mixed":false,"spent":false},...] for the leg
 * of `to`; [] without one. spent: a further m-line whose party left, which carries nobody until
 * the page offers again (media_leg_update gives it a new SSRC). */
json_t *participants_streams(struct call *c, enum call_party to)
{
	json_t *arr = json_array();
	struct media_slot slots[MEDIA_MAX_SLOTS];
	size_t n = 0;
	if (!arr || !c->has_media || !c->side[to].has_leg ||
	    media_leg_slots(c->sig->media, c->side[to].leg_id, slots, MEDIA_MAX_SLOTS, &n))
		return arr;
	for (size_t i = 0; i < n && i < MEDIA_MAX_SLOTS; i++) {
		const char *who = participants_of_leg(c, slots[i].src_leg);
		json_t *o = json_pack("{s:s, s:s, s:b, s:b}", "mid", slots[i].mid, "kind",
				      slots[i].video ? "video" : "audio", "mixed", slots[i].mixed,
				      "spent", slots[i].spent);
		if (o)
			json_object_set_new(o, "party", who ? json_string(who) : json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *participants_json(struct call *c, enum call_party to)
{
	json_t *m = json_pack("{s:s, s:s, s:o, s:s, s:o}", "type", "participants", "call", c->id,
			      "participants", participants_list(c), "mode",
			      store_interp_mode_name(c->ip.mode), "streams",
			      participants_streams(c, to));
	if (m && c->ip.state == INTERP_RINGING && c->ip.agent) {
		json_t *inv = json_pack("{s:s, s:s, s:s}", "language", c->ip.language, "state",
					"ringing", "interpreter", c->ip.agent->username);
		json_object_set_new(m, "invite", inv);
	}
	return m;
}

static void participants_send(struct call *c, enum call_party from, const struct proto_msg *req,
			      bool skip_from)
{
	for (int p = 0; p < CALL_PARTIES; p++) {
		if (!participants_on(c, (enum call_party)p) || (skip_from && p == (int)from))
			continue;
		json_t *m = participants_json(c, (enum call_party)p);
		if (m && req && req->id && p == (int)from)
			json_object_set(m, "re", req->id);
		call_send(c, (enum call_party)p, m);
	}
}

void participants_tell(struct call *c, enum call_party from, const struct proto_msg *req)
{
	participants_send(c, from, req, false);
}

void participants_tell_others(struct call *c, enum call_party from)
{
	participants_send(c, from, NULL, true);
}

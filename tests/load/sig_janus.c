/* sig_janus: the load generator's calls through Janus 1.1.2, over its JSON API on one
 * WebSocket ("janus-protocol"): one Janus session for every call.
 *
 * 1:1 (audio, av): the VideoCall plugin, two handles per call. Attach both handles, register
 * "lg<call>a" and "lg<call>b", the caller sends "call" with our offer, Janus offers to the
 * callee ("incomingcall"), the callee "accept"s with our answer, and the caller gets Janus's
 * answer ("accepted").
 *
 * Interpreter: what a Janus integrator builds for "three parties, see everyone, hear a mix":
 * a VideoRoom for the video and an AudioBridge for the mixed audio, one room of each per call.
 * Each party has three PeerConnections (Janus has one per plugin handle and direction): a
 * VideoRoom publisher (sends its video), a VideoRoom subscriber (one PeerConnection receiving
 * the two other parties' videos: Janus 1.x multistream) and an AudioBridge participant (sends
 * its audio, receives the mix of the two others). Unlike rapportd's simultaneous mode the
 * AudioBridge mixes everyone at the same level (no ducking) and each party has 3 legs, not 1.
 * Order: rooms created, every party publishes and joins the AudioBridge (we offer, Janus
 * answers), the publishers connect (Janus has a feed only once its publisher's PeerConnection
 * is up), then every party subscribes to the two others (Janus offers, we answer).
 *
 * Our SDP carries our candidate and a=end-of-candidates, so no trickle is needed. */
#include "tests/load/lg.h"
#include "tests/load/sigws.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JAN_TIMEOUT_MS 10000
#define JAN_SDP_CAP 16384

struct jan_leg {
	uint64_t handle;
	char user[32];
	char *remote_sdp;            /* offer (callee) or answer (caller) from Janus */
	bool got_sdp, hungup, webrtcup;
};

struct jan_call {
	struct jan_leg leg[LG_MAX_LEGS];
};

/* the interpreter scenario's legs: per party a publisher, a subscriber, an AudioBridge leg */
#define JAN_PUB(p) (3 * (p))
#define JAN_SUB(p) (3 * (p) + 1)
#define JAN_AB(p) (3 * (p) + 2)
#define JAN_FEED_TRIES 40            /* subscribing before Janus has the feed: 50 ms apart */

struct jan_map_slot {
	uint64_t handle;
	struct jan_leg *leg;
};

struct jan {
	struct sigws *ws;
	uint64_t session, next_tx;
	/* the request being waited for */
	char want_tx[24];
	bool got_reply;
	json_t *reply;
	/* handle -> leg, open addressing */
	struct jan_map_slot *map;
	size_t map_cap;
	unsigned ticks;
};

static struct jan_leg **jan_map_find(struct jan *j, uint64_t handle, bool insert)
{
	size_t i = (size_t)(handle * 0x9E3779B97F4A7C15ull) & (j->map_cap - 1);
	for (size_t n = 0; n < j->map_cap; n++, i = (i + 1) & (j->map_cap - 1)) {
		if (j->map[i].handle == handle)
			return &j->map[i].leg;
		if (!j->map[i].handle) {
			if (!insert)
				return NULL;
			j->map[i].handle = handle;
			return &j->map[i].leg;
		}
	}
	return NULL;
}

/* plugin events that concern a leg, whoever asked */
static void jan_on_event(struct jan *j, json_t *msg)
{
	uint64_t sender = (uint64_t)json_integer_value(json_object_get(msg, "sender"));
	struct jan_leg **lp = jan_map_find(j, sender, false), *l = lp ? *lp : NULL;
	const char *type = json_string_value(json_object_get(msg, "janus"));
	if (!l || !type)
		return;
	if (!strcmp(type, "webrtcup")) {
		l->webrtcup = true;
	} else if (!strcmp(type, "hangup")) {
		l->hungup = true;
	} else if (!strcmp(type, "event")) {
		json_t *res = json_object_get(json_object_get(json_object_get(msg, "plugindata"), "data"),
					      "result");
		const char *ev = json_string_value(json_object_get(res, "event"));
		const char *sdp = json_string_value(json_object_get(json_object_get(msg, "jsep"), "sdp"));
		if (sdp) {   /* VideoCall incomingcall/accepted; VideoRoom, AudioBridge replies */
			free(l->remote_sdp);
			l->remote_sdp = strdup(sdp);
			l->got_sdp = l->remote_sdp != NULL;
		} else if (ev && !strcmp(ev, "hangup")) {
			l->hungup = true;
		}
	}
}

static void jan_on_msg(struct sigws *s, json_t *msg, void *arg)
{
	struct jan *j = arg;
	(void)s;
	const char *type = json_string_value(json_object_get(msg, "janus"));
	const char *tx = json_string_value(json_object_get(msg, "transaction"));
	if (type && tx && *j->want_tx && !strcmp(tx, j->want_tx) && strcmp(type, "ack")) {
		json_decref(j->reply);
		j->reply = json_incref(msg);
		j->got_reply = true;
	}
	jan_on_event(j, msg);
}

/* send req (stolen) with a fresh transaction and wait for its reply (not the ack):
 * 0 with *reply (json_decref it), or an error with the reason in err */
static int jan_request(struct jan *j, json_t *req, json_t **reply, char *err, size_t errlen)
{
	snprintf(j->want_tx, sizeof(j->want_tx), "t%llu", (unsigned long long)++j->next_tx);
	json_object_set_new(req, "transaction", json_string(j->want_tx));
	if (j->session)
		json_object_set_new(req, "session_id", json_integer((json_int_t)j->session));
	j->got_reply = false;
	int e = sigws_send(j->ws, req);
	if (!e)
		e = sigws_wait(j->ws, &j->got_reply, JAN_TIMEOUT_MS);
	*j->want_tx = '\0';
	if (e) {
		snprintf(err, errlen, "janus: no reply (%s)", strerror(e));
		return e;
	}
	const char *type = json_string_value(json_object_get(j->reply, "janus"));
	json_t *perr = json_object_get(json_object_get(json_object_get(j->reply, "plugindata"),
						       "data"), "error");
	if (!type || !strcmp(type, "error") || perr) {
		json_t *r = json_object_get(json_object_get(j->reply, "error"), "reason");
		snprintf(err, errlen, "janus: %s", json_string_value(perr ? perr : r) ?
			 json_string_value(perr ? perr : r) : "error");
		return EPROTO;
	}
	*reply = j->reply;
	j->reply = NULL;
	return 0;
}

static int jan_open(struct lg *lg, void **state)
{
	struct jan *j = calloc(1, sizeof(*j));
	if (!j)
		return ENOMEM;
	j->map_cap = 64;
	while (j->map_cap < (size_t)lg->o.calls * 2 * LG_MAX_LEGS)
		j->map_cap *= 2;
	j->map = calloc(j->map_cap, sizeof(*j->map));
	char err[160];
	json_t *reply = NULL;
	int e = j->map ? sigws_open(&j->ws, lg, "/", "janus-protocol", jan_on_msg, j) : ENOMEM;
	if (!e)
		e = jan_request(j, json_pack("{s:s}", "janus", "create"), &reply, err, sizeof(err));
	if (e) {
		fprintf(stderr, "loadgen: janus at %s:%u: %s\n", lg->o.host, lg->o.port,
			e == EPROTO ? err : strerror(e));
		sigws_free(j->ws);
		free(j->map);
		free(j);
		return e;
	}
	j->session = (uint64_t)json_integer_value(json_object_get(json_object_get(reply, "data"), "id"));
	json_decref(reply);
	*state = j;
	return 0;
}

static int jan_attach(struct jan *j, struct jan_leg *l, const char *plugin, char *err,
		      size_t errlen)
{
	json_t *reply = NULL;
	int e = jan_request(j, json_pack("{s:s, s:s}", "janus", "attach", "plugin", plugin), &reply,
			    err, errlen);
	if (e)
		return e;
	l->handle = (uint64_t)json_integer_value(json_object_get(json_object_get(reply, "data"), "id"));
	json_decref(reply);
	struct jan_leg **slot = jan_map_find(j, l->handle, true);
	if (!slot) {
		snprintf(err, errlen, "janus: too many handles");
		return ENOSPC;
	}
	*slot = l;
	return 0;
}

/* a plugin request on leg l's handle, with an optional JSEP (type, sdp); its reply (the
 * plugin's event or synchronous answer) into *reply if wanted (json_decref it). A JSEP in the
 * reply lands in l->remote_sdp (l->got_sdp) */
static int jan_message_reply(struct jan *j, struct jan_leg *l, json_t *body, const char *jtype,
			     const char *sdp, json_t **replyp, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s, s:I, s:o}", "janus", "message", "handle_id",
				(json_int_t)l->handle, "body", body);
	if (req && jtype)
		json_object_set_new(req, "jsep", json_pack("{s:s, s:s}", "type", jtype, "sdp", sdp));
	json_t *reply = NULL;
	l->got_sdp = false;
	int e = req ? jan_request(j, req, &reply, err, errlen) : ENOMEM;
	if (replyp)
		*replyp = reply;
	else
		json_decref(reply);
	return e;
}

static int jan_message(struct jan *j, struct jan_leg *l, json_t *body, const char *jtype,
		       const char *sdp, char *err, size_t errlen)
{
	return jan_message_reply(j, l, body, jtype, sdp, NULL, err, errlen);
}

static int jan_wait_sdp(struct jan *j, struct jan_leg *l, const char *what, char *err,
			size_t errlen)
{
	int e = sigws_wait(j->ws, &l->got_sdp, JAN_TIMEOUT_MS);
	if (e)
		snprintf(err, errlen, "janus: no %s for %s (%s)", what, l->user, strerror(e));
	return e;
}

/* --- the interpreter scenario: VideoRoom + AudioBridge --- */

static unsigned jan_plan(const struct lg *lg, struct lg_leg_plan plan[LG_MAX_LEGS])
{
	if (lg->o.scenario != LG_SC_INTERPRETER)
		return lg_default_plan(lg, plan);
	for (unsigned p = 0; p < LG_PARTIES; p++) {
		plan[JAN_PUB(p)] = (struct lg_leg_plan){.party = (enum lg_party)p,
			.send = {false, true}, .offer = {false, true}};
		plan[JAN_SUB(p)] = (struct lg_leg_plan){.party = (enum lg_party)p};  /* answers */
		plan[JAN_AB(p)] = (struct lg_leg_plan){.party = (enum lg_party)p,
			.send = {true, false}, .offer = {true, false}};
	}
	return 3 * LG_PARTIES;
}

static json_t *jan_data(json_t *reply)
{
	return json_object_get(json_object_get(reply, "plugindata"), "data");
}

/* our offer on leg l with a request (publish, configure): Janus's answer into the peer */
static int jan_offer(struct jan *j, struct jan_leg *l, struct peer *p, json_t *body, char *sdp,
		     char *err, size_t errlen)
{
	int e = peer_offer(p, sdp, JAN_SDP_CAP);
	if (e) {
		json_decref(body);
		return e;
	}
	if (!(e = jan_message(j, l, body, "offer", sdp, err, errlen)) &&
	    !(e = jan_wait_sdp(j, l, "answer", err, errlen)) && (e = peer_answer(p, l->remote_sdp)))
		snprintf(err, errlen, "janus: its answer to %s was refused", l->user);
	return e;
}

/* one room of each plugin for the call, created on the first party's handles */
static int jan_rooms(struct jan *j, struct jan_call *jc, uint64_t room, char *err, size_t el)
{
	int e = jan_message(j, &jc->leg[JAN_PUB(0)], json_pack("{s:s, s:I, s:i, s:s, s:b}",
		"request", "create", "room", (json_int_t)room, "publishers", LG_PARTIES,
		"videocodec", "vp8", "is_private", 1), NULL, NULL, err, el);
	if (!e)   /* 48 kHz like rapportd's mixer (the AudioBridge default is 16 kHz) */
		e = jan_message(j, &jc->leg[JAN_AB(0)], json_pack("{s:s, s:I, s:i, s:b}",
			"request", "create", "room", (json_int_t)room, "sampling_rate", 48000,
			"is_private", 1), NULL, NULL, err, el);
	return e;
}

/* party p publishes its video and joins the AudioBridge; its publisher id into *feed */
static int jan_party_join(struct jan *j, struct lg_call *c, struct jan_call *jc, unsigned p,
			  uint64_t room, uint64_t *feed, char *sdp)
{
	char *err = c->error;
	size_t el = sizeof(c->error);
	struct jan_leg *pub = &jc->leg[JAN_PUB(p)], *ab = &jc->leg[JAN_AB(p)];
	json_t *reply = NULL;
	int e = jan_message_reply(j, pub, json_pack("{s:s, s:s, s:I, s:s}", "request", "join",
		"ptype", "publisher", "room", (json_int_t)room, "display", pub->user), NULL, NULL,
		&reply, err, el);
	if (!e) {
		*feed = (uint64_t)json_integer_value(json_object_get(jan_data(reply), "id"));
		json_decref(reply);
		e = jan_offer(j, pub, c->leg[JAN_PUB(p)].p, json_pack("{s:s}", "request", "publish"),
			      sdp, err, el);
	}
	if (!e)
		e = jan_message(j, ab, json_pack("{s:s, s:I, s:s, s:b}", "request", "join", "room",
			(json_int_t)room, "display", ab->user, "muted", 0), NULL, NULL, err, el);
	if (!e)
		e = jan_offer(j, ab, c->leg[JAN_AB(p)].p, json_pack("{s:s, s:b}", "request",
			"configure", "muted", 0), sdp, err, el);
	return e;
}

/* party p subscribes to the two others' feeds: Janus offers, we answer and start */
static int jan_party_subscribe(struct lg *lg, struct jan *j, struct lg_call *c,
			       struct jan_call *jc, unsigned p, uint64_t room,
			       const uint64_t *feed, char *sdp)
{
	char *err = c->error;
	size_t el = sizeof(c->error);
	struct jan_leg *sub = &jc->leg[JAN_SUB(p)];
	int e = EAGAIN;
	for (unsigned t = 0; e && t < JAN_FEED_TRIES; t++) {
		json_t *streams = json_array();
		for (unsigned q = 0; q < LG_PARTIES; q++)
			if (q != p)
				json_array_append_new(streams, json_pack("{s:I}", "feed",
									 (json_int_t)feed[q]));
		e = jan_message(j, sub, json_pack("{s:s, s:s, s:I, s:o}", "request", "join", "ptype",
			"subscriber", "room", (json_int_t)room, "streams", streams), NULL, NULL, err,
			el);
		if (e == EPROTO)   /* most likely "no such feed" yet: its publisher is not up */
			lg_pump(lg, 50);
		else if (e)
			return e;
	}
	if (!e)
		e = jan_wait_sdp(j, sub, "subscriber offer", err, el);
	if (!e && (e = peer_accept_offer(c->leg[JAN_SUB(p)].p, sub->remote_sdp, sdp, JAN_SDP_CAP)))
		snprintf(err, el, "janus: its subscriber offer was refused");
	if (!e)
		e = jan_message(j, sub, json_pack("{s:s}", "request", "start"), "answer", sdp, err, el);
	return e;
}

static int jan_interp_setup(struct lg *lg, struct jan *j, struct lg_call *c,
			    struct jan_call *jc, char *sdp)
{
	static const char *const plugin[3] = {"janus.plugin.videoroom", "janus.plugin.videoroom",
					      "janus.plugin.audiobridge"};
	char *err = c->error;
	size_t el = sizeof(c->error);
	uint64_t room = (uint64_t)(getpid() % 100000) * 100000u + c->idx + 1, feed[LG_PARTIES];
	unsigned pubs = 0;
	int e = c->nlegs == 3 * LG_PARTIES ? 0 : ENOTSUP;
	for (unsigned i = 0; !e && i < c->nlegs; i++) {
		snprintf(jc->leg[i].user, sizeof(jc->leg[i].user), "lg%u-%u-%d", c->idx, i,
			 (int)getpid());
		e = jan_attach(j, &jc->leg[i], plugin[i % 3], err, el);
	}
	if (!e)
		e = jan_rooms(j, jc, room, err, el);
	for (unsigned p = 0; !e && p < LG_PARTIES; p++) {
		e = jan_party_join(j, c, jc, p, room, &feed[p], sdp);
		pubs |= 1u << JAN_PUB(p);
	}
	if (!e && (e = lg_legs_connect(lg, c, pubs, JAN_TIMEOUT_MS)))
		snprintf(err, el, "janus: the publishers did not connect (%s)", strerror(e));
	for (unsigned p = 0; !e && p < LG_PARTIES; p++)
		e = jan_party_subscribe(lg, j, c, jc, p, room, feed, sdp);
	return e;
}

static int jan_call_setup(struct lg *lg, void *state, struct lg_call *c)
{
	struct jan *j = state;
	struct jan_call *jc = calloc(1, sizeof(*jc));
	char *sdp = malloc(JAN_SDP_CAP), *err = c->error;
	size_t el = sizeof(c->error);
	int e = jc && sdp ? 0 : ENOMEM;
	c->sig = jc;
	if (!e && lg->o.scenario == LG_SC_INTERPRETER) {
		e = jan_interp_setup(lg, j, c, jc, sdp);
		free(sdp);
		return e;
	}
	if (c->nlegs != 2)
		e = ENOTSUP;
	for (int i = 0; i < 2 && !e; i++) {
		struct jan_leg *l = &jc->leg[i];
		snprintf(l->user, sizeof(l->user), "lg%u%c-%d", c->idx, 'a' + i, (int)getpid());
		if (!(e = jan_attach(j, l, "janus.plugin.videocall", err, el)))
			e = jan_message(j, l, json_pack("{s:s, s:s}", "request", "register", "username",
							l->user), NULL, NULL, err, el);
	}
	struct peer *caller = c->leg[0].p, *callee = c->leg[1].p;
	if (!e && !(e = peer_offer(caller, sdp, JAN_SDP_CAP)))
		e = jan_message(j, &jc->leg[0], json_pack("{s:s, s:s}", "request", "call", "username",
							  jc->leg[1].user), "offer", sdp, err, el);
	if (!e && !(e = jan_wait_sdp(j, &jc->leg[1], "incomingcall", err, el)) &&
	    (e = peer_accept_offer(callee, jc->leg[1].remote_sdp, sdp, JAN_SDP_CAP)))
		snprintf(err, el, "janus: its offer to the callee was refused");
	if (!e)
		e = jan_message(j, &jc->leg[1], json_pack("{s:s}", "request", "accept"), "answer", sdp,
				err, el);
	if (!e && !(e = jan_wait_sdp(j, &jc->leg[0], "answer", err, el)) &&
	    (e = peer_answer(caller, jc->leg[0].remote_sdp)))
		snprintf(err, el, "janus: its answer to the caller was refused");
	(void)lg;
	free(sdp);
	return e;
}

static void jan_call_teardown(struct lg *lg, void *state, struct lg_call *c)
{
	struct jan *j = state;
	struct jan_call *jc = c->sig;
	(void)lg;
	if (!jc)
		return;
	for (unsigned i = 0; i < LG_MAX_LEGS; i++) {
		struct jan_leg *l = &jc->leg[i];
		struct jan_leg **slot = l->handle ? jan_map_find(j, l->handle, false) : NULL;
		if (slot)
			*slot = NULL;   /* the handle stays in the map, pointing nowhere */
		if (l->handle && !sigws_dead(j->ws)) {
			json_t *req = json_pack("{s:s, s:I, s:I, s:s}", "janus", "detach", "session_id",
						(json_int_t)j->session, "handle_id", (json_int_t)l->handle,
						"transaction", "bye");
			sigws_send(j->ws, req);
		}
		free(l->remote_sdp);
	}
	free(jc);
	c->sig = NULL;
}

static void jan_tick(struct lg *lg, void *state)
{
	struct jan *j = state;
	(void)lg;
	if (++j->ticks % 20 == 0 && !sigws_dead(j->ws))  /* every ~20 s; the session lives 120 s */
		sigws_send(j->ws, json_pack("{s:s, s:I, s:s}", "janus", "keepalive", "session_id",
					    (json_int_t)j->session, "transaction", "ka"));
}

static void jan_close(struct lg *lg, void *state)
{
	struct jan *j = state;
	(void)lg;
	if (!sigws_dead(j->ws))
		sigws_send(j->ws, json_pack("{s:s, s:I, s:s}", "janus", "destroy", "session_id",
					    (json_int_t)j->session, "transaction", "end"));
	lg_pump(lg, 50);
	json_decref(j->reply);
	sigws_free(j->ws);
	free(j->map);
	free(j);
}

const struct lg_backend lg_backend_janus = {
	.name = "janus",
	.open = jan_open,
	.call_setup = jan_call_setup,
	.tick = jan_tick,
	.call_teardown = jan_call_teardown,
	.close = jan_close,
	.plan = jan_plan,
};

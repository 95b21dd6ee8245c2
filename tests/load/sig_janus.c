/* sig_janus: the load generator's calls through Janus 1.1.2's VideoCall plugin, over its JSON
 * API on one WebSocket ("janus-protocol"): one Janus session, two handles per call.
 *
 * Per call: attach both handles, register "lg<call>a" and "lg<call>b", the caller sends "call"
 * with our offer, Janus offers to the callee ("incomingcall"), the callee "accept"s with our
 * answer, and the caller gets Janus's answer ("accepted"). Our SDP carries our candidate and
 * a=end-of-candidates, so no trickle is needed. */
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
	struct jan_leg leg[2];
};

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
		if (ev && sdp && (!strcmp(ev, "incomingcall") || !strcmp(ev, "accepted"))) {
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
	while (j->map_cap < (size_t)lg->o.calls * 8)
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

static int jan_attach(struct jan *j, struct jan_leg *l, char *err, size_t errlen)
{
	json_t *reply = NULL;
	int e = jan_request(j, json_pack("{s:s, s:s}", "janus", "attach", "plugin",
					 "janus.plugin.videocall"), &reply, err, errlen);
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

/* a VideoCall request on leg l's handle, with an optional JSEP (type, sdp) */
static int jan_message(struct jan *j, struct jan_leg *l, json_t *body, const char *jtype,
		       const char *sdp, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s, s:I, s:o}", "janus", "message", "handle_id",
				(json_int_t)l->handle, "body", body);
	if (req && jtype)
		json_object_set_new(req, "jsep", json_pack("{s:s, s:s}", "type", jtype, "sdp", sdp));
	json_t *reply = NULL;
	int e = req ? jan_request(j, req, &reply, err, errlen) : ENOMEM;
	json_decref(reply);
	return e;
}

static int jan_wait_sdp(struct jan *j, struct jan_leg *l, const char *what, char *err,
			size_t errlen)
{
	int e = sigws_wait(j->ws, &l->got_sdp, JAN_TIMEOUT_MS);
	if (e)
		snprintf(err, errlen, "janus: no %s for %s (%s)", what, l->user, strerror(e));
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
	if (c->nlegs != 2)
		e = ENOTSUP;
	for (int i = 0; i < 2 && !e; i++) {
		struct jan_leg *l = &jc->leg[i];
		snprintf(l->user, sizeof(l->user), "lg%u%c-%d", c->idx, 'a' + i, (int)getpid());
		if (!(e = jan_attach(j, l, err, el)))
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
	for (int i = 0; i < 2; i++) {
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
};

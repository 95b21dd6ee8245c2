/* sig_rapport: the load generator's calls through rapportd's signalling (docs/protocol.md,
 * version 1): per call one customer and one agent connection on ws://HOST:PORT/ws, and one
 * interpreter connection in the interpreter scenario.
 *
 * Per call i: the agent says hello and logs in as --agent-user with i (e.g. "agent%u" ->
 * agent0, agent1, ...; a pattern without %u names one account for every call), the customer
 * says hello and call_request (in --language); the agent gets ring, accepts, both get
 * call_started, and both send their offer and take rapportd's answer. Leg 0 is the customer,
 * leg 1 the agent.
 *
 * Interpreter scenario, then, as the pages do (docs/protocol.md, "Interpreters"): the 1:1 legs
 * connect (ICE, DTLS); the interpreter --interp-user with i (password --agent-pass) signs in;
 * the agent sends invite_interpreter for the customer's language; the interpreter gets the ring
 * (calls are set up one after another, so it is the only one available), accepts and offers
 * (leg 2: sendrecv audio and video plus one receive-only audio and one receive-only video); the
 * customer and the agent re-offer on their running legs with one receive-only audio and video
 * more; the agent sets the mode to simultaneous and waits for participants saying so.
 * Teardown: the customer hangs up and every connection closes.
 *
 * Kept in one small file on purpose: the protocol may still change. */
#include "tests/load/lg.h"
#include "base/clock.h"
#include "tests/load/sigws.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAP_PATH "/ws"
#define RAP_PROTO "rapport.v1"
#define RAP_TIMEOUT_MS 10000
#define RAP_SDP_CAP 16384

/* one WebSocket of a call and what arrived on it */
struct rap_conn {
	struct sigws *ws;
	bool news;                   /* any message since the last look */
	bool welcome, logged_in, ring, started, answered, ended;
	bool simultaneous;           /* a participants message said mode simultaneous */
	char call[40];
	char *answer;
	char error[120];
};

struct rap_call {
	struct rap_conn side[LG_PARTIES];   /* customer, agent, interpreter */
};

static void rap_take_str(json_t *msg, const char *key, char *buf, size_t cap)
{
	const char *v = json_string_value(json_object_get(msg, key));
	if (v)
		snprintf(buf, cap, "%s", v);
}

static void rap_on_msg(struct sigws *s, json_t *msg, void *arg)
{
	struct rap_conn *c = arg;
	const char *type = json_string_value(json_object_get(msg, "type"));
	(void)s;
	c->news = true;
	if (!type)
		return;
	if (!strcmp(type, "welcome")) {
		c->welcome = true;
	} else if (!strcmp(type, "logged_in")) {
		c->logged_in = true;
	} else if (!strcmp(type, "ring")) {
		c->ring = true;
		rap_take_str(msg, "call", c->call, sizeof(c->call));
	} else if (!strcmp(type, "call_started")) {
		c->started = true;
		rap_take_str(msg, "call", c->call, sizeof(c->call));
	} else if (!strcmp(type, "answer")) {
		const char *sdp = json_string_value(json_object_get(msg, "sdp"));
		free(c->answer);
		c->answer = sdp ? strdup(sdp) : NULL;
		c->answered = c->answer != NULL;
	} else if (!strcmp(type, "participants")) {
		const char *mode = json_string_value(json_object_get(msg, "mode"));
		c->simultaneous = mode && !strcmp(mode, "simultaneous");
	} else if (!strcmp(type, "call_ended")) {
		c->ended = true;
	} else if (!strcmp(type, "error") && !*c->error) {
		snprintf(c->error, sizeof(c->error), "%s: %s",
			 json_string_value(json_object_get(msg, "code")) ?: "error",
			 json_string_value(json_object_get(msg, "message")) ?: "");
	}
}

/* run the loop until *flag, an error message, or the timeout */
static int rap_wait(struct rap_conn *c, const bool *flag, const char *what, char *err,
		    size_t errlen)
{
	uint64_t end = clock_ms() + RAP_TIMEOUT_MS;
	while (!*flag && !*c->error && !sigws_dead(c->ws) && clock_ms() < end) {
		c->news = false;
		sigws_wait(c->ws, &c->news, (int)(end - clock_ms()));
	}
	if (*flag)
		return 0;
	snprintf(err, errlen, "rapportd: no %s: %s", what,
		 *c->error ? c->error : sigws_dead(c->ws) ? "connection closed" : "timed out");
	return *c->error ? EPROTO : ETIMEDOUT;
}

static int rap_send(struct rap_conn *c, json_t *msg, char *err, size_t errlen)
{
	int e = msg ? sigws_send(c->ws, msg) : ENOMEM;
	if (e)
		snprintf(err, errlen, "rapportd: send: %s", strerror(e));
	return e;
}

static int rap_hello(struct lg *lg, struct rap_conn *c, const char *role, char *err,
		     size_t errlen)
{
	int e = sigws_open(&c->ws, lg, RAP_PATH, RAP_PROTO, rap_on_msg, c);
	if (e) {
		snprintf(err, errlen, "rapportd at %s:%u: %s", lg->o.host, lg->o.port, strerror(e));
		return e;
	}
	if (!(e = rap_send(c, json_pack("{s:s, s:i, s:s}", "type", "hello", "version", 1, "role",
					role), err, errlen)))
		e = rap_wait(c, &c->welcome, "welcome", err, errlen);
	return e;
}

/* sign in as fmt with the call's index (a pattern without %u: one account for every call) */
static int rap_login(struct lg *lg, struct rap_conn *c, const char *fmt, unsigned idx,
		     char *err, size_t errlen)
{
	char user[128];
	if (strstr(fmt, "%u"))
		snprintf(user, sizeof(user), fmt, idx);
	else
		snprintf(user, sizeof(user), "%s", fmt);
	int e = rap_send(c, json_pack("{s:s, s:s, s:s}", "type", "login", "username", user,
				      "password", lg->o.agent_pass), err, errlen);
	return e ? e : rap_wait(c, &c->logged_in, "logged_in", err, errlen);
}

/* our offer on one side, rapportd's answer into the peer */
static int rap_negotiate(struct rap_conn *c, struct peer *p, char *sdp, char *err,
			 size_t errlen)
{
	int e = peer_offer(p, sdp, RAP_SDP_CAP);
	c->answered = false;
	if (!e)
		e = rap_send(c, json_pack("{s:s, s:s, s:s}", "type", "offer", "call", c->call, "sdp",
					  sdp), err, errlen);
	if (!e)
		e = rap_wait(c, &c->answered, "answer", err, errlen);
	if (!e && (e = peer_answer(p, c->answer)))
		snprintf(err, errlen, "rapportd: its answer was refused");
	return e;
}

/* customer and agent until both have their answer (the 1:1 call) */
static int rap_call_1to1(struct lg *lg, struct lg_call *c, struct rap_call *rc, char *sdp)
{
	struct rap_conn *cust = &rc->side[LG_CUSTOMER], *agent = &rc->side[LG_AGENT];
	char *err = c->error, name[32];
	size_t el = sizeof(c->error);
	int e = rap_hello(lg, agent, "agent", err, el);
	if (!e)
		e = rap_login(lg, agent, lg->o.agent_user, c->idx, err, el);
	if (!e)
		e = rap_hello(lg, cust, "customer", err, el);
	snprintf(name, sizeof(name), "loadgen %u", c->idx);
	json_t *req = json_pack("{s:s, s:s}", "type", "call_request", "name", name);
	if (req && lg->o.language)
		json_object_set_new(req, "language", json_string(lg->o.language));
	if (!e && !(e = rap_send(cust, req, err, el)))
		e = rap_wait(agent, &agent->ring, "ring", err, el);
	else if (e)
		json_decref(req);
	if (!e && !(e = rap_send(agent, json_pack("{s:s, s:s}", "type", "accept", "call",
						  agent->call), err, el)) &&
	    !(e = rap_wait(agent, &agent->started, "call_started", err, el)))
		e = rap_wait(cust, &cust->started, "call_started", err, el);
	if (!e)
		e = rap_negotiate(cust, c->leg[LG_CUSTOMER].p, sdp, err, el);
	if (!e)
		e = rap_negotiate(agent, c->leg[LG_AGENT].p, sdp, err, el);
	return e;
}

/* the running 1:1 call gets its interpreter, in simultaneous mode */
static int rap_call_interpreter(struct lg *lg, struct lg_call *c, struct rap_call *rc, char *sdp)
{
	struct rap_conn *agent = &rc->side[LG_AGENT], *in = &rc->side[LG_INTERPRETER];
	char *err = c->error;
	size_t el = sizeof(c->error);
	int e = lg_legs_connect(lg, c, 1u << LG_CUSTOMER | 1u << LG_AGENT, RAP_TIMEOUT_MS);
	if (e)
		snprintf(err, el, "rapportd: the 1:1 legs did not connect (%s)", strerror(e));
	if (!e && !(e = rap_hello(lg, in, "interpreter", err, el)))
		e = rap_login(lg, in, lg->o.interp_user, c->idx, err, el);
	if (!e && !(e = rap_send(agent, json_pack("{s:s, s:s, s:s}", "type", "invite_interpreter",
						  "call", agent->call, "language",
						  lg->o.language ? lg->o.language : "es"), err, el)))
		e = rap_wait(in, &in->ring, "interpreter ring", err, el);
	if (!e && !(e = rap_send(in, json_pack("{s:s, s:s}", "type", "accept", "call", in->call),
				 err, el)))
		e = rap_wait(in, &in->started, "call_started (interpreter)", err, el);
	if (!e)
		e = rap_negotiate(in, c->leg[LG_INTERPRETER].p, sdp, err, el);
	for (int i = LG_CUSTOMER; !e && i <= LG_AGENT; i++) {
		peer_set_recvonly(c->leg[i].p, 1, 1);   /* the page adds a transceiver per kind */
		e = rap_negotiate(&rc->side[i], c->leg[i].p, sdp, err, el);
	}
	if (!e)
		e = rap_send(agent, json_pack("{s:s, s:s, s:s}", "type", "set_mode", "call",
					      agent->call, "mode", "simultaneous"), err, el);
	if (!e)
		e = rap_wait(agent, &agent->simultaneous, "participants in simultaneous mode", err,
			     el);
	return e;
}

static int rap_call_setup(struct lg *lg, void *state, struct lg_call *c)
{
	struct rap_call *rc = calloc(1, sizeof(*rc));
	char *sdp = malloc(RAP_SDP_CAP);
	int e = rc && sdp ? 0 : ENOMEM;
	(void)state;
	c->sig = rc;
	if (!e && c->nlegs != (lg->o.scenario == LG_SC_INTERPRETER ? 3u : 2u))
		e = ENOTSUP;
	if (!e)
		e = rap_call_1to1(lg, c, rc, sdp);
	if (!e && lg->o.scenario == LG_SC_INTERPRETER)
		e = rap_call_interpreter(lg, c, rc, sdp);
	if (e && rc && rc->side[LG_INTERPRETER].ws) {   /* free for another call's invite */
		sigws_free(rc->side[LG_INTERPRETER].ws);
		rc->side[LG_INTERPRETER].ws = NULL;
	}
	free(sdp);
	return e;
}

static void rap_call_teardown(struct lg *lg, void *state, struct lg_call *c)
{
	struct rap_call *rc = c->sig;
	(void)lg;
	(void)state;
	if (!rc)
		return;
	if (rc->side[0].ws && *rc->side[0].call && !sigws_dead(rc->side[0].ws))
		sigws_send(rc->side[0].ws, json_pack("{s:s, s:s}", "type", "hangup", "call",
						     rc->side[0].call));
	for (int i = 0; i < LG_PARTIES; i++) {
		sigws_free(rc->side[i].ws);
		free(rc->side[i].answer);
	}
	free(rc);
	c->sig = NULL;
}

static int rap_open(struct lg *lg, void **state)
{
	if (!lg->o.port) {
		fprintf(stderr, "loadgen: rapport needs --port (rapportd's http_port)\n");
		return EINVAL;
	}
	*state = lg;   /* nothing shared between calls */
	return 0;
}

const struct lg_backend lg_backend_rapport = {
	.name = "rapport",
	.open = rap_open,
	.call_setup = rap_call_setup,
	.call_teardown = rap_call_teardown,
};

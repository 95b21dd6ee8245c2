/* The signalling core end to end through its transport interface: customers and agents as
 * the pages drive them (hello, sign-in, queue, ring, accept/decline, offer, hang-up, resume,
 * grace periods), with the real media relay on 127.0.0.1 behind it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/clock.h"
#include "base/mem.h"
#include "media/media.h"
#include "signaling/sig.h"

#define PASSWORD "correct horse"
#define MAXMSG 64

/* One client connection: what the transport was asked to send and whether it was closed. */
struct client {
	struct sig_conn *sc;
	char *out[MAXMSG];
	size_t nout, next;
	bool closed;
	int close_code;
};

struct fixture {
	struct media *media;
	struct sig *sig;
	struct client c[6];
};

static int t_send(void *conn, const char *text, size_t len)
{
	struct client *c = conn;
	assert_true(c->nout < MAXMSG);
	c->out[c->nout] = malloc(len + 1);
	memcpy(c->out[c->nout], text, len);
	c->out[c->nout++][len] = '\0';
	return 0;
}

static void t_close(void *conn, int code, const char *reason)
{
	struct client *c = conn;
	(void)reason;
	c->closed = true;
	c->close_code = code;
}

static const struct sig_transport transport = {t_send, t_close};

static void notify(void *arg) { (void)arg; }

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct media_config mc = {
		.bind_ip = "127.0.0.1", .public_ip = "127.0.0.1", .port_min = 41000,
		.port_max = 41100, .workers = 1, 
	};
	assert_int_equal(media_start(&f->media, &mc, notify, NULL), 0);
	struct sig_config sc = {.agent_username = "agent", .agent_password = PASSWORD};
	assert_int_equal(sig_alloc(&f->sig, &sc, f->media, &transport), 0);
	*state = f;
	return 0;
}

static void client_clear(struct client *c)
{
	for (size_t i = 0; i < c->nout; i++)
		free(c->out[i]);
	memset(c, 0, sizeof(*c));
}

static void client_close(struct client *c)
{
	sig_conn_closed(c->sc);
	c->sc = NULL;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < 6; i++) {
		if (f->c[i].sc)
			client_close(&f->c[i]);
		client_clear(&f->c[i]);
	}
	mem_deref(f->sig);
	media_stop(f->media);
	free(f);
	return 0;
}

static void client_open(struct fixture *f, struct client *c)
{
	client_clear(c);
	assert_int_equal(sig_conn_open(f->sig, c, "test", &c->sc), 0);
}

__attribute__((format(printf, 2, 3)))
static void say(struct client *c, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sig_conn_recv(c->sc, buf, strlen(buf));
}

/* The next message sent to c, which must be of this type (the caller json_decref's it). */
static json_t *expect(struct client *c, const char *type)
{
	if (c->next >= c->nout)
		fail_msg("expected %s, nothing was sent", type);
	json_error_t jerr;
	json_t *m = json_loads(c->out[c->next], 0, &jerr);
	assert_non_null(m);
	const char *t = json_string_value(json_object_get(m, "type"));
	if (!t || strcmp(t, type) != 0)
		fail_msg("expected %s, got %s", type, c->out[c->next]);
	c->next++;
	return m;
}

static void expect_drop(struct client *c, const char *type)
{
	json_decref(expect(c, type));
}

static void expect_error(struct client *c, const char *code)
{
	json_t *m = expect(c, "error");
	const char *got = json_string_value(json_object_get(m, "code"));
	if (strcmp(got, code) != 0)
		fail_msg("expected error %s, got %s", code, got);
	json_decref(m);
}

static void expect_nothing(struct client *c)
{
	if (c->next < c->nout)
		fail_msg("unexpected message: %s", c->out[c->next]);
}

static const char *str(json_t *m, const char *k)
{
	return json_string_value(json_object_get(m, k));
}

/* hello as a customer; returns the token (static buffer per call site is enough here). */
static void customer_hello(struct client *c, char *token, size_t tlen)
{
	say(c, "{\"type\":\"hello\",\"version\":1,\"role\":\"customer\"}");
	json_t *w = expect(c, "welcome");
	assert_string_equal(str(w, "role"), "customer");
	assert_false(json_is_true(json_object_get(w, "resumed")));
	if (token)
		snprintf(token, tlen, "%s", str(w, "token"));
	json_decref(w);
}

static void agent_sign_in(struct client *c)
{
	say(c, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	expect_drop(c, "welcome");
	say(c, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\",\"id\":1}");
	json_t *m = expect(c, "logged_in");
	assert_string_equal(str(m, "status"), "available");
	assert_int_equal(json_integer_value(json_object_get(m, "re")), 1);
	json_decref(m);
}

/* customer asks, the agent is rung; returns the call id in call */
static void request_and_ring(struct client *cust, struct client *agent, const char *name,
			     char *call, size_t clen)
{
	say(cust, "{\"type\":\"call_request\",\"name\":\"%s\"}", name);
	json_t *r = expect(agent, "ring");
	assert_string_equal(str(r, "name"), name);
	snprintf(call, clen, "%s", str(r, "call"));
	json_decref(r);
	json_t *g = expect(cust, "ringing");
	assert_string_equal(str(g, "call"), call);
	json_decref(g);
}

static void accept_call(struct client *cust, struct client *agent, const char *call)
{
	say(agent, "{\"type\":\"accept\",\"call\":\"%s\"}", call);
	json_t *a = expect(agent, "call_started");
	assert_string_equal(str(a, "call"), call);
	assert_string_equal(str(json_object_get(a, "peer"), "role"), "customer");
	json_decref(a);
	json_t *c = expect(cust, "call_started");
	assert_string_equal(str(json_object_get(c, "peer"), "role"), "agent");
	assert_string_equal(str(json_object_get(c, "peer"), "name"), "agent");
	assert_false(json_is_true(json_object_get(c, "resumed")));
	json_decref(c);
}

static void test_customer_hello_token(void **state)
{
	struct fixture *f = *state;
	struct client *c = &f->c[0];
	client_open(f, c);
	char token[64];
	customer_hello(c, token, sizeof(token));
	assert_int_equal(strlen(token), 43);  /* 256 bits, base64url without padding */
	assert_int_equal(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
}

static void test_version_and_order(void **state)
{
	struct fixture *f = *state;
	struct client *c = &f->c[0];
	client_open(f, c);
	say(c, "{\"type\":\"call_request\",\"name\":\"Ann\"}");
	expect_error(c, "hello_required");
	say(c, "{\"type\":\"hello\",\"version\":2,\"role\":\"customer\",\"id\":\"v\"}");
	json_t *e = expect(c, "error");
	assert_string_equal(str(e, "code"), "unsupported_version");
	assert_string_equal(str(e, "re"), "v");
	json_decref(e);
	customer_hello(c, NULL, 0);  /* the connection stayed usable */
	say(c, "{\"type\":\"ping\",\"id\":5}");
	expect_drop(c, "pong");
	assert_false(c->closed);
}

static void test_agent_sign_in(void **state)
{
	struct fixture *f = *state;
	struct client *a = &f->c[0];
	client_open(f, a);
	say(a, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	json_t *w = expect(a, "welcome");
	assert_null(json_object_get(w, "token"));
	json_decref(w);
	say(a, "{\"type\":\"set_status\",\"status\":\"available\"}");
	expect_error(a, "login_required");
	say(a, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"wrong\"}");
	expect_error(a, "bad_credentials");
	say(a, "{\"type\":\"login\",\"username\":\"Agent\",\"password\":\"" PASSWORD "\"}");
	expect_error(a, "bad_credentials");
	say(a, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\"}");
	expect_drop(a, "logged_in");
	say(a, "{\"type\":\"set_status\",\"status\":\"away\",\"id\":3}");
	json_t *s = expect(a, "status");
	assert_string_equal(str(s, "status"), "away");
	json_decref(s);
	say(a, "{\"type\":\"call_request\",\"name\":\"x\"}");
	expect_error(a, "not_allowed");
}

static void test_failed_sign_ins_close(void **state)
{
	struct fixture *f = *state;
	struct client *a = &f->c[0];
	client_open(f, a);
	say(a, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	expect_drop(a, "welcome");
	for (int i = 0; i < 5; i++) {
		assert_false(a->closed);
		say(a, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"guess%d\"}", i);
		expect_error(a, "bad_credentials");
	}
	assert_true(a->closed);
	assert_int_equal(a->close_code, SIG_CLOSE_POLICY);
}

static void test_call_and_customer_hangup(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(agent);
	customer_hello(cust, NULL, 0);
	char call[32];
	request_and_ring(cust, agent, "Ann Example", call, sizeof(call));
	accept_call(cust, agent, call);
	say(cust, "{\"type\":\"call_request\",\"name\":\"again\"}");
	expect_error(cust, "already_in_call");
	say(cust, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	json_t *e = expect(cust, "call_ended");
	assert_string_equal(str(e, "reason"), "hangup");
	assert_string_equal(str(e, "by"), "customer");
	json_decref(e);
	e = expect(agent, "call_ended");
	assert_string_equal(str(e, "call"), call);
	assert_string_equal(str(e, "by"), "customer");
	json_decref(e);
	say(agent, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	expect_error(agent, "unknown_call");
	/* the agent is free again: the next customer rings at once */
	struct client *cust2 = &f->c[2];
	client_open(f, cust2);
	customer_hello(cust2, NULL, 0);
	request_and_ring(cust2, agent, "Bo", call, sizeof(call));
}

static void test_agent_hangup_and_strangers(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *other = &f->c[2];
	client_open(f, cust);
	client_open(f, agent);
	client_open(f, other);
	agent_sign_in(agent);
	customer_hello(cust, NULL, 0);
	customer_hello(other, NULL, 0);
	char call[32];
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	say(agent, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	expect_error(agent, "bad_state");  /* a ringing call is declined, not hung up */
	say(agent, "{\"type\":\"offer\",\"call\":\"%s\",\"sdp\":\"v=0\"}", call);
	expect_error(agent, "bad_state");
	accept_call(cust, agent, call);
	say(other, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	expect_error(other, "unknown_call");  /* not theirs: it does not exist for them */
	say(agent, "{\"type\":\"accept\",\"call\":\"%s\"}", call);
	expect_error(agent, "bad_state");
	say(agent, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	json_t *e = expect(cust, "call_ended");
	assert_string_equal(str(e, "by"), "agent");
	json_decref(e);
	expect_drop(agent, "call_ended");
}

static unsigned queued_position(struct client *c)
{
	json_t *q = expect(c, "queued");
	unsigned pos = (unsigned)json_integer_value(json_object_get(q, "position"));
	json_decref(q);
	return pos;
}

static void test_queue_then_agent(void **state)
{
	struct fixture *f = *state;
	struct client *c1 = &f->c[0], *c2 = &f->c[1], *agent = &f->c[2];
	client_open(f, c1);
	client_open(f, c2);
	client_open(f, agent);
	customer_hello(c1, NULL, 0);
	customer_hello(c2, NULL, 0);
	say(c1, "{\"type\":\"call_request\",\"name\":\"First\"}");
	assert_int_equal(queued_position(c1), 1);
	say(c2, "{\"type\":\"call_request\",\"name\":\"Second\"}");
	json_t *q2 = expect(c2, "queued");
	assert_int_equal(json_integer_value(json_object_get(q2, "position")), 2);
	char call2[32];
	snprintf(call2, sizeof(call2), "%s", str(q2, "call"));
	json_decref(q2);
	/* an agent signs in: the oldest request rings, the second moves up */
	agent_sign_in(agent);
	json_t *r = expect(agent, "ring");
	assert_string_equal(str(r, "name"), "First");
	json_decref(r);
	expect_drop(c1, "ringing");
	assert_int_equal(queued_position(c2), 1);
	/* the second gives up while waiting */
	say(c2, "{\"type\":\"hangup\",\"call\":\"%s\"}", call2);
	json_t *e = expect(c2, "call_ended");
	assert_string_equal(str(e, "reason"), "hangup");
	json_decref(e);
	expect_nothing(agent);
}

static void test_decline_requeues(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(agent);
	customer_hello(cust, NULL, 0);
	char call[32];
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	say(agent, "{\"type\":\"decline\",\"call\":\"%s\"}", call);
	json_t *rc = expect(agent, "ring_cancelled");
	assert_string_equal(str(rc, "reason"), "declined");
	json_decref(rc);
	assert_int_equal(queued_position(cust), 1);
	expect_nothing(agent);  /* not rung again for the call it declined */
	/* the customer gives up while queued: nothing reaches the agent */
	say(cust, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	expect_drop(cust, "call_ended");
	expect_nothing(agent);
}

static void test_customer_cancels_ring(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(agent);
	customer_hello(cust, NULL, 0);
	char call[32];
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	say(cust, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	expect_drop(cust, "call_ended");
	json_t *rc = expect(agent, "ring_cancelled");
	assert_string_equal(str(rc, "reason"), "cancelled");
	json_decref(rc);
}

static void test_no_answer_sets_away(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(agent);
	customer_hello(cust, NULL, 0);
	char call[32];
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	sig_tick(f->sig, clock_ms() + 1000);
	expect_nothing(agent);
	sig_tick(f->sig, clock_ms() + SIG_RING_TIMEOUT_MS + 1000);
	json_t *rc = expect(agent, "ring_cancelled");
	assert_string_equal(str(rc, "reason"), "no_answer");
	json_decref(rc);
	json_t *st = expect(agent, "status");
	assert_string_equal(str(st, "status"), "away");
	assert_string_equal(str(st, "reason"), "no_answer");
	json_decref(st);
	assert_int_equal(queued_position(cust), 1);
	/* back to available: the waiting customer rings again */
	say(agent, "{\"type\":\"set_status\",\"status\":\"available\"}");
	expect_drop(agent, "status");
	expect_drop(agent, "ring");
}

static void test_resume_in_call(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *again = &f->c[2];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(agent);
	char token[64], call[32];
	customer_hello(cust, token, sizeof(token));
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call);
	client_close(cust);  /* the page reloads */
	json_t *p = expect(agent, "peer_state");
	assert_string_equal(str(p, "state"), "disconnected");
	json_decref(p);
	client_open(f, again);
	say(again, "{\"type\":\"hello\",\"version\":1,\"role\":\"customer\",\"token\":\"%s\"}", token);
	json_t *w = expect(again, "welcome");
	assert_true(json_is_true(json_object_get(w, "resumed")));
	assert_string_equal(str(w, "token"), token);
	assert_string_equal(str(w, "call"), call);
	json_decref(w);
	json_t *s = expect(again, "call_started");
	assert_string_equal(str(s, "call"), call);
	assert_true(json_is_true(json_object_get(s, "resumed")));
	json_decref(s);
	p = expect(agent, "peer_state");
	assert_string_equal(str(p, "state"), "connected");
	json_decref(p);
	/* past the grace period nothing happens: the customer is back */
	sig_tick(f->sig, clock_ms() + SIG_CALL_GRACE_MS + 1000);
	expect_nothing(agent);
	say(again, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	expect_drop(again, "call_ended");
}

static void test_grace_expires(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(agent);
	char call[32], token[64];
	customer_hello(cust, token, sizeof(token));
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call);
	client_close(cust);
	expect_drop(agent, "peer_state");
	sig_tick(f->sig, clock_ms() + SIG_CALL_GRACE_MS - 5000);
	expect_nothing(agent);
	sig_tick(f->sig, clock_ms() + SIG_CALL_GRACE_MS + 1000);
	json_t *e = expect(agent, "call_ended");
	assert_string_equal(str(e, "reason"), "disconnected");
	assert_string_equal(str(e, "by"), "customer");
	json_decref(e);
	/* the customer comes back too late: same session, no call (the page learns it ended) */
	struct client *again = &f->c[2];
	client_open(f, again);
	say(again, "{\"type\":\"hello\",\"version\":1,\"role\":\"customer\",\"token\":\"%s\"}", token);
	json_t *w = expect(again, "welcome");
	assert_true(json_is_true(json_object_get(w, "resumed")));
	assert_null(json_object_get(w, "call"));
	json_decref(w);
	expect_nothing(again);
}

static void test_agent_reload_resumes(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *agent2 = &f->c[2];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(agent);
	char call[32];
	customer_hello(cust, NULL, 0);
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call);
	client_close(agent);
	expect_drop(cust, "peer_state");
	client_open(f, agent2);
	say(agent2, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	expect_drop(agent2, "welcome");
	say(agent2, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\"}");
	json_t *l = expect(agent2, "logged_in");
	assert_string_equal(str(l, "call"), call);
	json_decref(l);
	json_t *s = expect(agent2, "call_started");
	assert_string_equal(str(s, "call"), call);
	assert_true(json_is_true(json_object_get(s, "resumed")));
	assert_string_equal(str(json_object_get(s, "peer"), "name"), "Ann");
	json_decref(s);
	json_t *p = expect(cust, "peer_state");
	assert_string_equal(str(p, "state"), "connected");
	json_decref(p);
}

static void test_second_sign_in_replaces(void **state)
{
	struct fixture *f = *state;
	struct client *a1 = &f->c[0], *a2 = &f->c[1];
	client_open(f, a1);
	client_open(f, a2);
	agent_sign_in(a1);
	agent_sign_in(a2);
	expect_error(a1, "session_replaced");
	assert_true(a1->closed);
	assert_int_equal(a1->close_code, SIG_CLOSE_REPLACED);
	assert_false(a2->closed);
}

static void test_session_expires(void **state)
{
	struct fixture *f = *state;
	struct client *c = &f->c[0], *again = &f->c[1];
	client_open(f, c);
	char token[64];
	customer_hello(c, token, sizeof(token));
	client_close(c);
	sig_tick(f->sig, clock_ms() + SIG_RESUME_MS + 1000);
	client_open(f, again);
	say(again, "{\"type\":\"hello\",\"version\":1,\"role\":\"customer\",\"token\":\"%s\"}", token);
	json_t *w = expect(again, "welcome");
	assert_false(json_is_true(json_object_get(w, "resumed")));
	assert_string_not_equal(str(w, "token"), token);
	json_decref(w);
}

static void test_queued_customer_leaves(void **state)
{
	struct fixture *f = *state;
	struct client *c1 = &f->c[0], *c2 = &f->c[1];
	client_open(f, c1);
	client_open(f, c2);
	customer_hello(c1, NULL, 0);
	customer_hello(c2, NULL, 0);
	say(c1, "{\"type\":\"call_request\",\"name\":\"First\"}");
	assert_int_equal(queued_position(c1), 1);
	say(c2, "{\"type\":\"call_request\",\"name\":\"Second\"}");
	assert_int_equal(queued_position(c2), 2);
	client_close(c1);  /* keeps its place through the grace period... */
	sig_tick(f->sig, clock_ms() + 1000);
	expect_nothing(c2);
	sig_tick(f->sig, clock_ms() + SIG_CALL_GRACE_MS + 1000);  /* ...then gives it up */
	assert_int_equal(queued_position(c2), 1);
}

static void test_offer_refused_keeps_connection(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(agent);
	char call[32];
	customer_hello(cust, NULL, 0);
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call);
	say(cust, "{\"type\":\"offer\",\"call\":\"%s\",\"sdp\":\"not an offer\",\"id\":\"o1\"}", call);
	json_t *e = expect(cust, "error");
	assert_string_equal(str(e, "code"), "media_error");
	assert_string_equal(str(e, "re"), "o1");
	assert_true(json_string_length(json_object_get(e, "message")) > 0);
	json_decref(e);
	assert_false(cust->closed);
	say(cust, "{\"type\":\"ping\"}");
	expect_drop(cust, "pong");
}

/* A real Chromium offer gets an answer, and the relay's events reach the leg's owner. */
static void test_offer_answer(void **state)
{
	struct fixture *f = *state;
	char path[1024];
	const char *src = getenv("RAPPORT_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/tests/unit/data/chromium156-offer.sdp", src ? src : ".");
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		print_message("no %s: skipped\n", path);
		skip();
	}
	char sdp[16384];
	size_t n = fread(sdp, 1, sizeof(sdp) - 1, fp);
	fclose(fp);
	sdp[n] = '\0';
	struct client *cust = &f->c[0], *agent = &f->c[1];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(agent);
	char call[32];
	customer_hello(cust, NULL, 0);
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call);
	json_t *offer = json_pack("{s:s, s:s, s:s, s:i}", "type", "offer", "call", call, "sdp", sdp,
				  "id", 4);
	char *text = json_dumps(offer, JSON_COMPACT);
	sig_conn_recv(cust->sc, text, strlen(text));
	free(text);
	json_decref(offer);
	json_t *a = expect(cust, "answer");
	assert_int_equal(json_integer_value(json_object_get(a, "re")), 4);
	assert_non_null(strstr(str(a, "sdp"), "a=fingerprint:"));
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_customer_hello_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_sign_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_sign_ins_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_and_customer_hangup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_hangup_and_strangers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_then_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decline_requeues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customer_cancels_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_answer_sets_away, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_in_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grace_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_reload_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_sign_in_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued_customer_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offer_refused_keeps_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offer_answer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

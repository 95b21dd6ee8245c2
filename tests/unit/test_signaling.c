/* The signalling core end to end through its transport interface: customers and agents as
 * the pages drive them (hello, sign-in against store accounts, queue, ring, accept/decline,
 * offer, hang-up, resume, grace periods), with the real media relay on 127.0.0.1 behind it
 * and a real store in a temporary directory (tests/unit/sigtest.h). */
#include "sigtest.h"

/* each test signs in the agent "agent" (any language, any topic) */
static int setup(void **state)
{
	sigtest_setup(state);
	make_account(*state, "agent", "agent", "", "");
	return 0;
}

#define teardown sigtest_teardown

static void agent_sign_in(struct fixture *f, struct client *c)
{
	agent_sign_in_as(f, c, "agent", NULL, 0);
}

static void test_customer_hello_token(void **state)
{
	struct fixture *f = *state;
	struct client *c = &f->c[0];
	client_open(f, c);
	say(c, "{\"type\":\"hello\",\"version\":1,\"role\":\"customer\"}");
	json_t *w = expect(c, "welcome");
	const char *token = str(w, "token");
	assert_int_equal(strlen(token), TOKEN_LEN);  /* signed, expiring (signaling/token.h) */
	assert_int_equal(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
			 TOKEN_LEN);
	assert_string_equal(str(w, "name"), "");
	json_t *langs = json_object_get(w, "languages"), *topics = json_object_get(w, "topics");
	assert_int_equal(json_array_size(langs), 2);
	assert_string_equal(str(json_array_get(langs, 1), "code"), "es");
	assert_string_equal(str(json_array_get(langs, 1), "name"), "Español");
	assert_int_equal(json_array_size(topics), 2);
	assert_string_equal(str(json_array_get(topics, 0), "code"), "general");
	/* the session is in the store, by the token's hash only */
	uint8_t hash[TOKEN_DIGEST_LEN];
	token_digest(token, hash);
	struct store_customer *rec = NULL;
	assert_int_equal(store_customer_find(f->store, hash, &rec), 0);
	mem_deref(rec);
	json_decref(w);
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
	/* the offered languages (to invite an interpreter by name), not the topics */
	json_t *langs = json_object_get(w, "languages");
	assert_int_equal(json_array_size(langs), 2);
	assert_string_equal(str(json_array_get(langs, 1), "name"), "Español");
	assert_null(json_object_get(w, "topics"));
	json_decref(w);
	say(a, "{\"type\":\"set_status\",\"status\":\"available\"}");
	expect_error(a, "login_required");
	say(a, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"wrong\",\"id\":7}");
	say(a, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"x\",\"id\":8}");
	json_t *e = expect(a, "error");  /* at once: the first is still being checked */
	assert_string_equal(str(e, "code"), "bad_state");
	assert_int_equal(num(e, "re"), 8);
	json_decref(e);
	say(a, "{\"type\":\"set_status\",\"status\":\"available\"}");
	expect_error(a, "login_required");  /* not signed in while the check runs */
	wait_msg(f, a);
	e = expect(a, "error");
	assert_string_equal(str(e, "code"), "bad_credentials");
	assert_int_equal(num(e, "re"), 7);
	json_decref(e);
	say(a, "{\"type\":\"login\",\"username\":\"nobody\",\"password\":\"" PASSWORD "\"}");
	wait_msg(f, a);
	expect_error(a, "bad_credentials");
	say(a, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\"}");
	wait_msg(f, a);
	json_t *l = expect(a, "logged_in");
	assert_string_equal(str(l, "status"), "available");
	assert_int_equal(json_array_size(json_object_get(l, "languages")), 0);
	assert_true(num(l, "expires") > (json_int_t)clock_wall_ms());
	json_decref(l);
	assert_true(atomic_load(&sigtest_wakes) > 0);  /* the worker woke the loop each time */
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
		wait_msg(f, a);
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
	agent_sign_in(f, agent);
	customer_hello(cust, NULL, 0);
	char call[32];
	request_and_ring(cust, agent, "Ann Example", call, sizeof(call));
	accept_call(cust, agent, call, "agent");
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
	json_t *st = expect(agent, "status");
	assert_string_equal(str(st, "status"), "wrap_up");
	json_decref(st);
	say(agent, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	expect_error(agent, "unknown_call");
	/* in wrap-up the agent is not rung: the next customer waits until Finish */
	struct client *cust2 = &f->c[2];
	client_open(f, cust2);
	customer_hello(cust2, NULL, 0);
	say(cust2, "{\"type\":\"call_request\",\"name\":\"Bo\"}");
	assert_int_equal(queued_position(cust2), 1);
	expect_nothing(agent);
	say(agent, "{\"type\":\"wrap_up\",\"call\":\"%s\",\"outcome\":\"resolved\"}", call);
	expect_drop(agent, "wrapped_up");
	expect_drop(agent, "status");
	json_t *r = expect(agent, "ring");
	assert_string_equal(str(r, "name"), "Bo");
	json_decref(r);
	expect_drop(cust2, "ringing");
}

static void test_agent_hangup_and_strangers(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *other = &f->c[2];
	client_open(f, cust);
	client_open(f, agent);
	client_open(f, other);
	agent_sign_in(f, agent);
	customer_hello(cust, NULL, 0);
	customer_hello(other, NULL, 0);
	char call[32];
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	say(agent, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	expect_error(agent, "bad_state");  /* a ringing call is declined, not hung up */
	say(agent, "{\"type\":\"offer\",\"call\":\"%s\",\"sdp\":\"v=0\"}", call);
	expect_error(agent, "bad_state");
	accept_call(cust, agent, call, "agent");
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
	agent_sign_in(f, agent);
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
	agent_sign_in(f, agent);
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
	agent_sign_in(f, agent);
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
	agent_sign_in(f, agent);
	customer_hello(cust, NULL, 0);
	char call[32];
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	sig_tick(f->sig, clock_ms() + 1000);
	expect_nothing(agent);
	sig_tick(f->sig, clock_ms() + SIG_RING_TIMEOUT_MS + 1000);
	json_t *rc = expect(agent, "ring_cancelled");
	assert_string_equal(str(rc, "reason"), "no_answer");
	json_decref(rc);
	/* one lapse: still available, and as the only agent it is rung again */
	json_t *r = expect(agent, "ring");
	assert_string_equal(str(r, "call"), call);
	json_decref(r);
	expect_drop(cust, "ringing");
	sig_tick(f->sig, clock_ms() + SIG_RING_TIMEOUT_MS + 1000);
	rc = expect(agent, "ring_cancelled");
	assert_string_equal(str(rc, "reason"), "no_answer");
	json_decref(rc);
	json_t *st = expect(agent, "status");  /* two in a row: away */
	assert_string_equal(str(st, "status"), "away");
	assert_string_equal(str(st, "reason"), "no_answer");
	json_decref(st);
	json_t *q = expect(cust, "queued");    /* kept waiting, and told nobody can take it now */
	assert_int_equal(num(q, "position"), 1);
	assert_int_equal(num(q, "agents"), 0);
	assert_true(json_is_null(json_object_get(q, "estimated_wait_s")));
	json_decref(q);
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
	agent_sign_in(f, agent);
	char token[TOKEN_STR_MAX], call[32];
	customer_hello(cust, token, sizeof(token));
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call, "agent");
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
	assert_string_equal(str(w, "name"), "Ann");
	json_decref(w);
	expect_drop(again, "chat_history");
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
	agent_sign_in(f, agent);
	char call[32], token[TOKEN_STR_MAX];
	customer_hello(cust, token, sizeof(token));
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call, "agent");
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
	expect_drop(again, "chat_history");
	expect_nothing(again);
}

static void test_agent_reload_resumes(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *agent2 = &f->c[2];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in(f, agent);
	char call[32];
	customer_hello(cust, NULL, 0);
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call, "agent");
	client_close(agent);
	expect_drop(cust, "peer_state");
	client_open(f, agent2);
	say(agent2, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	expect_drop(agent2, "welcome");
	say(agent2, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\"}");
	wait_msg(f, agent2);
	json_t *l = expect(agent2, "logged_in");
	assert_string_equal(str(l, "call"), call);
	assert_string_equal(str(l, "status"), "busy");
	json_decref(l);
	json_t *s = expect(agent2, "call_started");
	assert_string_equal(str(s, "call"), call);
	assert_true(json_is_true(json_object_get(s, "resumed")));
	assert_string_equal(str(json_object_get(s, "peer"), "name"), "Ann");
	assert_string_equal(str(s, "language"), "en");
	json_decref(s);
	json_t *h = expect(agent2, "chat_history");
	assert_string_equal(str(h, "call"), call);
	json_decref(h);
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
	agent_sign_in(f, a1);
	agent_sign_in(f, a2);
	expect_error(a1, "session_replaced");
	assert_true(a1->closed);
	assert_int_equal(a1->close_code, SIG_CLOSE_REPLACED);
	assert_false(a2->closed);
}

/* A session that left memory comes back from the store with its token (name and chat);
 * a forged or garbled token starts a new session. */
static void test_session_from_store(void **state)
{
	struct fixture *f = *state;
	struct client *c = &f->c[0], *again = &f->c[1];
	client_open(f, c);
	char token[TOKEN_STR_MAX];
	customer_hello(c, token, sizeof(token));
	say(c, "{\"type\":\"chat\",\"text\":\"hi\",\"name\":\"Ann\"}");
	expect_drop(c, "chat");
	client_close(c);
	sig_tick(f->sig, clock_ms() + SIG_RESUME_MS + 1000);
	client_open(f, again);
	json_t *w = customer_resume(again, token);
	assert_true(json_is_true(json_object_get(w, "resumed")));
	assert_string_equal(str(w, "token"), token);
	assert_string_equal(str(w, "name"), "Ann");
	json_decref(w);
	json_t *h = expect(again, "chat_history");
	assert_int_equal(json_array_size(json_object_get(h, "messages")), 1);
	json_decref(h);
	client_close(again);
	token[10] = token[10] == 'A' ? 'B' : 'A';  /* the signature no longer matches */
	client_open(f, again);
	w = customer_resume(again, token);
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
	agent_sign_in(f, agent);
	char call[32];
	customer_hello(cust, NULL, 0);
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call, "agent");
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
	agent_sign_in(f, agent);
	char call[32];
	customer_hello(cust, NULL, 0);
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call, "agent");
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
		cmocka_unit_test_setup_teardown(test_session_from_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued_customer_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offer_refused_keeps_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offer_answer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The call-centre flow through the transport interface: chat before, during and after a call
 * (stored before it is acknowledged), the ring's details, wrap-up and survey on the contact
 * record, and what a restart leaves (tests/unit/sigtest.h). */
#include "sigtest.h"

#include <sqlite3.h>

static int setup(void **state)
{
	sigtest_setup(state);
	make_account(*state, "agent", "agent", "", "");
	return 0;
}

#define teardown sigtest_teardown

struct chats {
	unsigned n;
	char text[16][64];
	enum store_party from[16];
};

static int chat_h(const struct store_chat *m, void *arg)
{
	struct chats *c = arg;
	if (c->n < 16) {
		snprintf(c->text[c->n], sizeof(c->text[0]), "%s", m->text);
		c->from[c->n] = m->sender_role;
	}
	c->n++;
	return 0;
}

static int64_t customer_id_of(struct fixture *f, const char *call)
{
	struct store_contact *k = NULL;
	assert_int_equal(store_contact_get(f->store, contact_of(call), &k), 0);
	int64_t id = k->session_id;
	mem_deref(k);
	return id;
}

/* chat: acknowledged with the stored id; the sender's copy carries "re" */
static json_t *chat_ack(struct client *c, const char *id)
{
	json_t *m = expect(c, "chat");
	assert_string_equal(str(m, "re"), id);
	assert_true(num(json_object_get(m, "message"), "id") > 0);
	return m;
}

static void test_chat_through_the_call(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in_as(f, agent, "agent", NULL, 0);
	customer_hello(cust, NULL, 0);
	/* before the call: stored and acknowledged, nobody else hears it yet */
	say(cust, "{\"type\":\"chat\",\"id\":\"m1\",\"text\":\"Hello, my card was declined\",\"name\":\"Ada\"}");
	json_t *m = chat_ack(cust, "m1");
	json_t *body = json_object_get(m, "message");
	assert_string_equal(str(body, "from"), "customer");
	assert_string_equal(str(body, "name"), "Ada");
	assert_null(json_object_get(m, "call"));
	json_decref(m);
	expect_nothing(agent);
	/* the ring carries the chat so far */
	say(cust, "{\"type\":\"call_request\",\"name\":\"Ada Customer\",\"topic\":\"billing\"}");
	json_t *r = expect(agent, "ring");
	char call[32];
	snprintf(call, sizeof(call), "%s", str(r, "call"));
	assert_string_equal(str(r, "topic"), "billing");
	assert_string_equal(str(r, "topic_name"), "Billing");
	assert_string_equal(str(r, "language_name"), "English");
	assert_int_equal(num(r, "timeout_s"), SIG_RING_TIMEOUT_MS / 1000);
	assert_false(json_is_true(json_object_get(r, "returning")));
	json_t *chat = json_object_get(r, "chat");
	assert_int_equal(json_array_size(chat), 1);
	assert_string_equal(str(json_array_get(chat, 0), "text"), "Hello, my card was declined");
	assert_int_equal(json_array_size(json_object_get(r, "earlier")), 0);
	json_decref(r);
	expect_drop(cust, "ringing");
	/* while it rings, the chat reaches the agent both ways */
	say(cust, "{\"type\":\"chat\",\"id\":\"m2\",\"text\":\"Are you there?\"}");
	json_decref(chat_ack(cust, "m2"));
	m = expect(agent, "chat");
	assert_string_equal(str(m, "call"), call);
	assert_string_equal(str(json_object_get(m, "message"), "name"), "Ada Customer");
	json_decref(m);
	say(agent, "{\"type\":\"chat\",\"id\":3,\"call\":\"%s\",\"text\":\"One moment\"}", call);
	m = expect(agent, "chat");
	assert_int_equal(num(m, "re"), 3);
	assert_string_equal(str(m, "call"), call);
	json_decref(m);
	m = expect(cust, "chat");
	assert_string_equal(str(json_object_get(m, "message"), "from"), "agent");
	assert_string_equal(str(json_object_get(m, "message"), "name"), "agent");
	json_decref(m);
	accept_call(cust, agent, call, "agent");
	hang_up(cust, agent, call);
	/* in wrap-up they can still write to each other */
	say(cust, "{\"type\":\"chat\",\"id\":\"m4\",\"text\":\"Thanks!\"}");
	json_decref(chat_ack(cust, "m4"));
	expect_drop(agent, "chat");
	wrap_up(agent, call, "resolved", "Card unblocked.");
	say(agent, "{\"type\":\"chat\",\"call\":\"%s\",\"text\":\"late\"}", call);
	expect_error(agent, "unknown_call");  /* after Finish the chat is no longer the agent's */
	say(cust, "{\"type\":\"chat\",\"text\":\"anyone?\"}");
	expect_drop(cust, "chat");
	expect_nothing(agent);
	/* the transcript is in the store, in order */
	struct chats ch = {0};
	assert_int_equal(store_chat_list(f->store, customer_id_of(f, call), 0, 0, chat_h, &ch), 0);
	assert_int_equal(ch.n, 5);
	assert_string_equal(ch.text[0], "Hello, my card was declined");
	assert_string_equal(ch.text[2], "One moment");
	assert_int_equal(ch.from[2], STORE_PARTY_AGENT);
	assert_string_equal(ch.text[4], "anyone?");
	/* and the customer can read it back */
	say(cust, "{\"type\":\"chat_history\",\"id\":9}");
	json_t *h = expect(cust, "chat_history");
	assert_int_equal(json_array_size(json_object_get(h, "messages")), 5);
	assert_false(json_is_true(json_object_get(h, "more")));
	json_int_t third = num(json_array_get(json_object_get(h, "messages"), 2), "id");
	json_decref(h);
	say(cust, "{\"type\":\"chat_history\",\"before\":%lld}", (long long)third);
	h = expect(cust, "chat_history");
	assert_int_equal(json_array_size(json_object_get(h, "messages")), 2);
	json_decref(h);
}

/* Wrap-up and survey land on the contact record with its times, agent and outcome. */
static void test_wrap_up_and_survey_recorded(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in_as(f, agent, "agent", NULL, 0);
	customer_hello(cust, NULL, 0);
	char call[32];
	uint64_t t0 = clock_wall_ms();
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	say(cust, "{\"type\":\"survey\",\"call\":\"%s\",\"rating\":5}", call);
	expect_error(cust, "unknown_call");  /* not answered yet: nothing to rate */
	accept_call(cust, agent, call, "agent");
	say(cust, "{\"type\":\"survey\",\"call\":\"%s\",\"rating\":5}", call);
	expect_error(cust, "bad_state");     /* not over yet */
	say(agent, "{\"type\":\"set_status\",\"status\":\"away\"}");
	expect_error(agent, "bad_state");
	say(agent, "{\"type\":\"wrap_up\",\"call\":\"%s\",\"outcome\":\"resolved\"}", call);
	expect_error(agent, "bad_state");    /* still in the call */
	hang_up(cust, agent, call);
	say(agent, "{\"type\":\"set_status\",\"status\":\"available\"}");
	expect_error(agent, "bad_state");    /* Finish first */
	say(agent, "{\"type\":\"wrap_up\",\"call\":\"%s\",\"outcome\":\"great\"}", call);
	expect_error(agent, "bad_field");
	say(agent, "{\"type\":\"wrap_up\",\"call\":\"c999\",\"outcome\":\"resolved\"}");
	expect_error(agent, "unknown_call");
	wrap_up(agent, call, "follow_up", "Call back Monday.");
	say(cust, "{\"type\":\"survey\",\"call\":\"%s\",\"rating\":6}", call);
	expect_error(cust, "bad_field");
	say(cust, "{\"type\":\"survey\",\"id\":2,\"call\":\"%s\",\"rating\":4,\"comment\":\"Kind.\"}", call);
	json_t *s = expect(cust, "survey_saved");
	assert_string_equal(str(s, "call"), call);
	json_decref(s);
	say(cust, "{\"type\":\"survey\",\"call\":\"%s\",\"rating\":1}", call);
	expect_error(cust, "bad_state");     /* once */
	struct store_contact *k = NULL;
	assert_int_equal(store_contact_get(f->store, contact_of(call), &k), 0);
	assert_true(k->queued_ms >= t0 && k->offered_ms >= k->queued_ms);
	assert_true(k->answered_ms >= k->offered_ms && k->ended_ms >= k->answered_ms);
	assert_string_equal(k->agent_username, "agent");
	assert_string_equal(k->outcome, "follow_up");
	assert_string_equal(k->notes, "Call back Monday.");
	assert_int_equal(k->survey_rating, 4);
	assert_string_equal(k->survey_comment, "Kind.");
	assert_string_equal(k->language, "en");
	assert_string_equal(k->topic, "general");
	mem_deref(k);
}

/* The next contact of the same customer rings with the earlier one, held for its agent. */
static void test_returning_customer(void **state)
{
	struct fixture *f = *state;
	mem_deref(f->sig);  /* again, with a window for returning customers */
	f->cfg.return_window_ms = 60000;
	sigtest_start(f);
	make_account(f, "other", "agent", "", "");
	struct client *cust = &f->c[0], *agent = &f->c[1], *c2 = &f->c[2], *other = &f->c[3];
	for (int i = 0; i < 4; i++)
		client_open(f, &f->c[i]);
	agent_sign_in_as(f, agent, "agent", NULL, 0);
	customer_hello(cust, NULL, 0);
	customer_hello(c2, NULL, 0);
	char call[32], call2[32];
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call, "agent");
	hang_up(cust, agent, call);
	wrap_up(agent, call, "resolved", "PIN reset");
	request_and_ring(c2, agent, "Bo", call2, sizeof(call2));  /* the agent gets busy */
	accept_call(c2, agent, call2, "agent");
	agent_sign_in_as(f, other, "other", NULL, 0);
	/* Ann comes back: held for "agent", though "other" is free */
	say(cust, "{\"type\":\"call_request\",\"name\":\"Ann\"}");
	json_t *q = expect(cust, "queued");
	assert_int_equal(num(q, "agents"), 1);
	char call3[32];
	snprintf(call3, sizeof(call3), "%s", str(q, "call"));
	json_decref(q);
	expect_nothing(other);
	/* the agent is free within the window: Ann rings there, as a returning customer */
	hang_up(c2, agent, call2);
	wrap_up(agent, call2, "resolved", "");
	json_t *r = expect(agent, "ring");
	assert_string_equal(str(r, "call"), call3);
	assert_true(json_is_true(json_object_get(r, "returning")));
	json_t *earlier = json_object_get(r, "earlier");
	assert_int_equal(json_array_size(earlier), 1);
	json_t *e0 = json_array_get(earlier, 0);
	assert_string_equal(str(e0, "call"), call);
	assert_string_equal(str(e0, "agent"), "agent");
	assert_string_equal(str(e0, "outcome"), "resolved");
	assert_string_equal(str(e0, "notes"), "PIN reset");
	assert_true(num(e0, "answered") > 0 && num(e0, "ended") >= num(e0, "answered"));
	json_decref(r);
	/* declined: the hold ends and the other agent gets it */
	say(agent, "{\"type\":\"decline\",\"call\":\"%s\"}", call3);
	expect_drop(agent, "ring_cancelled");
	r = expect(other, "ring");
	assert_false(json_is_true(json_object_get(r, "returning")));
	json_decref(r);
}

/* The hold lasts return_window_ms; then anyone may take the call. */
static void test_returning_window_ends(void **state)
{
	struct fixture *f = *state;
	mem_deref(f->sig);
	f->cfg.return_window_ms = 60000;
	sigtest_start(f);
	make_account(f, "other", "agent", "", "");
	struct client *cust = &f->c[0], *agent = &f->c[1], *c2 = &f->c[2], *other = &f->c[3];
	for (int i = 0; i < 4; i++)
		client_open(f, &f->c[i]);
	agent_sign_in_as(f, agent, "agent", NULL, 0);
	customer_hello(cust, NULL, 0);
	customer_hello(c2, NULL, 0);
	char call[32], call2[32];
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	accept_call(cust, agent, call, "agent");
	hang_up(cust, agent, call);
	wrap_up(agent, call, "resolved", "");
	request_and_ring(c2, agent, "Bo", call2, sizeof(call2));
	accept_call(c2, agent, call2, "agent");
	agent_sign_in_as(f, other, "other", NULL, 0);
	say(cust, "{\"type\":\"call_request\",\"name\":\"Ann\"}");
	expect_drop(cust, "queued");
	sig_tick(f->sig, clock_ms() + 30000);
	expect_nothing(other);
	sig_tick(f->sig, clock_ms() + 61000);
	json_t *r = expect(other, "ring");
	assert_string_equal(str(r, "name"), "Ann");
	json_decref(r);
}

/* A restart (a second sig on the same data directory, as after kill -9): open contacts are
 * closed as interrupted; a customer who was waiting is queued again in its place, one who
 * was in a call hears it was interrupted; chat and records are all there. */
static void test_restart_brings_customers_back(void **state)
{
	struct fixture *f = *state;
	struct client *c1 = &f->c[0], *agent = &f->c[1], *c2 = &f->c[2], *c3 = &f->c[3];
	for (int i = 0; i < 4; i++)
		client_open(f, &f->c[i]);
	agent_sign_in_as(f, agent, "agent", NULL, 0);
	char t1[TOKEN_STR_MAX], t2[TOKEN_STR_MAX], t3[TOKEN_STR_MAX], call1[32];
	customer_hello(c1, t1, sizeof(t1));
	customer_hello(c2, t2, sizeof(t2));
	customer_hello(c3, t3, sizeof(t3));
	say(c1, "{\"type\":\"chat\",\"id\":1,\"text\":\"in the call soon\"}");
	expect_drop(c1, "chat");
	request_and_ring(c1, agent, "One", call1, sizeof(call1));
	accept_call(c1, agent, call1, "agent");
	say(c2, "{\"type\":\"call_request\",\"name\":\"Two\",\"language\":\"es\"}");
	json_t *q = expect(c2, "queued");
	char call2[32];
	snprintf(call2, sizeof(call2), "%s", str(q, "call"));
	json_decref(q);
	say(c3, "{\"type\":\"call_request\",\"name\":\"Three\",\"language\":\"es\"}");
	expect_drop(c3, "queued");
	/* the "crash": a new sig takes over the data directory; the old one is never told */
	struct sig *old = f->sig;
	sigtest_start(f);
	struct store_contact *k = NULL;
	assert_int_equal(store_contact_get(f->store, contact_of(call1), &k), 0);
	assert_string_equal(k->outcome, "interrupted");
	assert_true(k->answered_ms && k->ended_ms >= k->answered_ms);
	mem_deref(k);
	struct client *n1 = &f->c[4], *n2 = &f->c[5], *n3 = &f->c[6];
	client_open(f, n1);
	client_open(f, n2);
	client_open(f, n3);
	/* Three comes back first, Two later: Two is still ahead */
	json_t *w = customer_resume(n3, t3);
	assert_true(json_is_true(json_object_get(w, "resumed")));
	assert_non_null(str(w, "call"));
	json_decref(w);
	expect_drop(n3, "chat_history");
	json_t *q3 = expect(n3, "queued");
	assert_int_equal(num(q3, "position"), 1);
	json_decref(q3);
	w = customer_resume(n2, t2);
	assert_string_not_equal(str(w, "call"), call2);  /* a new call, in the old place */
	json_decref(w);
	expect_drop(n2, "chat_history");
	assert_int_equal(queued_position(n2), 1);
	assert_int_equal(queued_position(n3), 2);
	/* One was in the call: back with its chat, told the call was interrupted */
	w = customer_resume(n1, t1);
	assert_null(json_object_get(w, "call"));
	json_decref(w);
	json_t *h = expect(n1, "chat_history");
	assert_int_equal(json_array_size(json_object_get(h, "messages")), 1);
	json_decref(h);
	json_t *e = expect(n1, "call_ended");
	assert_string_equal(str(e, "call"), call1);
	assert_string_equal(str(e, "reason"), "interrupted");
	assert_true(json_is_true(json_object_get(e, "survey")));
	json_decref(e);
	say(n1, "{\"type\":\"survey\",\"call\":\"%s\",\"rating\":3}", call1);
	expect_drop(n1, "survey_saved");
	/* the old process goes, with its connections (its late writes change nothing here) */
	for (int i = 0; i < 4; i++)
		client_close(&f->c[i]);
	mem_deref(old);
}

/* A chat the store cannot take (locked past the busy timeout) is refused, not acknowledged. */
static void test_chat_not_stored(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0];
	client_open(f, cust);
	customer_hello(cust, NULL, 0);
	char path[300];
	snprintf(path, sizeof(path), "%s/rapport.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	say(cust, "{\"type\":\"chat\",\"id\":\"x\",\"text\":\"lost?\"}");
	json_t *e = expect(cust, "error");
	assert_string_equal(str(e, "code"), "not_stored");
	assert_string_equal(str(e, "re"), "x");
	json_decref(e);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	say(cust, "{\"type\":\"chat\",\"id\":\"y\",\"text\":\"again\"}");
	json_decref(chat_ack(cust, "y"));
}

/* More than 20 chat messages in 10 s from one session are refused. */
static void test_chat_rate_limited(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0];
	client_open(f, cust);
	customer_hello(cust, NULL, 0);
	for (int i = 0; i < 20; i++) {
		say(cust, "{\"type\":\"chat\",\"text\":\"n%d\"}", i);
		expect_drop(cust, "chat");
	}
	say(cust, "{\"type\":\"chat\",\"text\":\"one too many\"}");
	expect_error(cust, "rate_limited");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chat_through_the_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_up_and_survey_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_returning_customer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_returning_window_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_brings_customers_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat_not_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat_rate_limited, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

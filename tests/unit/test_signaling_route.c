/* Queue and routing through the transport interface, with store accounts that have languages:
 * matching, longest idle first, decline and ring timeout moving on without losing the place,
 * two lapses setting an agent away, a returning customer held for its last agent, and
 * estimated waits from measured handle times (tests/unit/sigtest.h). */
#include "sigtest.h"

#define setup sigtest_setup
#define teardown sigtest_teardown

static void ask(struct client *c, const char *name, const char *lang)
{
	say(c, "{\"type\":\"call_request\",\"name\":\"%s\",\"language\":\"%s\"}", name, lang);
}

static json_t *expect_queued(struct client *c, unsigned pos, unsigned agents, json_int_t wait)
{
	json_t *q = expect(c, "queued");
	if (num(q, "position") != pos || num(q, "agents") != agents)
		fail_msg("queued: position %lld agents %lld, want %u and %u", (long long)num(q, "position"),
			 (long long)num(q, "agents"), pos, agents);
	json_t *w = json_object_get(q, "estimated_wait_s");
	if (wait < 0 ? !json_is_null(w) : json_integer_value(w) != wait)
		fail_msg("queued: estimated_wait_s %s, want %lld", json_dumps(w, JSON_ENCODE_ANY),
			 (long long)wait);
	return q;
}

static void ring_of(struct client *agent, struct client *cust, const char *name, char *call)
{
	json_t *r = expect(agent, "ring");
	assert_string_equal(str(r, "name"), name);
	if (call)
		snprintf(call, 32, "%s", str(r, "call"));
	json_decref(r);
	expect_drop(cust, "ringing");
}

/* The ring at agent lapses (sig_tick past the timeout); away: the agent's status must follow */
static void lapse(struct fixture *f, struct client *agent, const char *away)
{
	sig_tick(f->sig, clock_ms() + SIG_RING_TIMEOUT_MS + 1000);
	json_t *rc = expect(agent, "ring_cancelled");
	assert_string_equal(str(rc, "reason"), "no_answer");
	json_decref(rc);
	if (away) {
		json_t *st = expect(agent, "status");
		assert_string_equal(str(st, "status"), away);
		assert_string_equal(str(st, "reason"), "no_answer");
		json_decref(st);
	}
	expect_nothing(agent);
}

struct offers {
	unsigned n[STORE_OFFER_RESULT_COUNT];
};

static int count_offer(const struct store_offer *o, void *arg)
{
	((struct offers *)arg)->n[o->result]++;
	return 0;
}

static void set_status(struct client *agent, const char *st)
{
	say(agent, "{\"type\":\"set_status\",\"status\":\"%s\"}", st);
	json_t *s = expect(agent, "status");
	assert_string_equal(str(s, "status"), st);
	json_decref(s);
}

/* The case: three customers, two agents with different languages. Each customer is
 * offered only to an agent who speaks its language; positions and waits fall as calls are
 * answered and finished. */
static void test_three_customers_two_agents(void **state)
{
	struct fixture *f = *state;
	make_account(f, "ana", "agent", "en", "");
	make_account(f, "eva", "agent", "es", "");
	struct client *ana = &f->c[0], *eva = &f->c[1], *c1 = &f->c[2], *c2 = &f->c[3], *c3 = &f->c[4];
	for (int i = 0; i < 5; i++)
		client_open(f, &f->c[i]);
	agent_sign_in_as(f, ana, "ana", NULL, 0);
	agent_sign_in_as(f, eva, "eva", NULL, 0);
	set_status(ana, "away");
	customer_hello(c1, NULL, 0);
	customer_hello(c2, NULL, 0);
	customer_hello(c3, NULL, 0);

	ask(c1, "Una", "en");          /* the English agent is away: nobody can take it */
	json_decref(expect_queued(c1, 1, 0, -1));
	ask(c2, "Dos", "es");          /* rings the Spanish agent at once */
	char call2[32], call1[32], call3[32];
	ring_of(eva, c2, "Dos", call2);
	ask(c3, "Tres", "en");         /* second in the English line */
	json_decref(expect_queued(c3, 2, 0, -1));
	expect_nothing(eva);           /* never offered an English call */

	set_status(ana, "available");  /* the oldest English call rings; the next moves up */
	ring_of(ana, c1, "Una", call1);
	json_decref(expect_queued(c3, 1, 1, 100));  /* ana is busy with Una: one handle time */
	accept_call(c1, ana, call1, "ana");
	accept_call(c2, eva, call2, "eva");
	expect_nothing(c3);            /* nothing changed for it */
	expect_nothing(eva);

	hang_up(c1, ana, call1);
	wrap_up(ana, call1, "resolved", "done");  /* a handle time of ~0 s is measured */
	ring_of(ana, c3, "Tres", call3);
	expect_nothing(eva);
}

/* A decline puts the call back in its place and moves it to the next agent; the decliner is
 * never offered it again. */
static void test_decline_keeps_place(void **state)
{
	struct fixture *f = *state;
	make_account(f, "a1", "agent", "", "");
	make_account(f, "a2", "agent", "", "");
	struct client *a1 = &f->c[0], *a2 = &f->c[1], *c1 = &f->c[2], *c2 = &f->c[3];
	for (int i = 0; i < 4; i++)
		client_open(f, &f->c[i]);
	customer_hello(c1, NULL, 0);
	customer_hello(c2, NULL, 0);
	ask(c1, "First", "en");
	json_decref(expect_queued(c1, 1, 0, -1));
	ask(c2, "Second", "en");
	json_decref(expect_queued(c2, 2, 0, -1));
	agent_sign_in_as(f, a1, "a1", NULL, 0);
	char call1[32];
	ring_of(a1, c1, "First", call1);
	json_decref(expect_queued(c2, 1, 1, 100));
	say(a1, "{\"type\":\"decline\",\"call\":\"%s\"}", call1);
	json_t *rc = expect(a1, "ring_cancelled");
	assert_string_equal(str(rc, "reason"), "declined");
	json_decref(rc);
	ring_of(a1, c2, "Second", NULL);  /* a1 is free and never gets First again */
	json_decref(expect_queued(c1, 1, 0, -1));  /* First keeps the head of the line */
	agent_sign_in_as(f, a2, "a2", NULL, 0);
	ring_of(a2, c1, "First", NULL);
	expect_nothing(a1);
}

/* A lapsed ring moves the call to an agent not tried yet; two lapses in a row set an agent
 * away; the customer keeps its place throughout. */
static void test_timeout_moves_on(void **state)
{
	struct fixture *f = *state;
	make_account(f, "a1", "agent", "", "");
	make_account(f, "a2", "agent", "", "");
	struct client *a1 = &f->c[0], *a2 = &f->c[1], *c1 = &f->c[2];
	for (int i = 0; i < 3; i++)
		client_open(f, &f->c[i]);
	agent_sign_in_as(f, a1, "a1", NULL, 0);
	agent_sign_in_as(f, a2, "a2", NULL, 0);
	customer_hello(c1, NULL, 0);
	char call[32];
	ask(c1, "Ann", "en");
	ring_of(a1, c1, "Ann", call);  /* a1 has been idle longest */
	lapse(f, a1, NULL);
	ring_of(a2, c1, "Ann", NULL);  /* not tried yet: first */
	lapse(f, a2, NULL);
	ring_of(a1, c1, "Ann", NULL);  /* both tried: the one idle longest again */
	lapse(f, a1, "away");          /* a1's second lapse in a row */
	ring_of(a2, c1, "Ann", NULL);
	accept_call(c1, a2, call, "a2");
	/* the offers are on the contact record: three timeouts, then accepted */
	struct offers o = {0};
	assert_int_equal(store_offer_list(f->store, contact_of(call), count_offer, &o), 0);
	assert_int_equal(o.n[STORE_OFFER_TIMEOUT], 3);
	assert_int_equal(o.n[STORE_OFFER_ACCEPTED], 1);
	assert_int_equal(o.n[STORE_OFFER_PENDING], 0);
}

/* Among available agents the one idle longest is rung first. */
static void test_longest_idle_first(void **state)
{
	struct fixture *f = *state;
	make_account(f, "a1", "agent", "", "");
	make_account(f, "a2", "agent", "", "");
	make_account(f, "a3", "agent", "", "");
	struct client *a[3] = {&f->c[0], &f->c[1], &f->c[2]}, *c[3] = {&f->c[3], &f->c[4], &f->c[5]};
	for (int i = 0; i < 6; i++)
		client_open(f, &f->c[i]);
	agent_sign_in_as(f, a[0], "a1", NULL, 0);
	agent_sign_in_as(f, a[1], "a2", NULL, 0);
	agent_sign_in_as(f, a[2], "a3", NULL, 0);
	usleep(2000);
	set_status(a[0], "away");      /* a1 comes back: now the one idle shortest */
	set_status(a[0], "available");
	const char *names[3] = {"One", "Two", "Three"};
	for (int i = 0; i < 3; i++) {
		customer_hello(c[i], NULL, 0);
		ask(c[i], names[i], "en");
	}
	ring_of(a[1], c[0], "One", NULL);
	ring_of(a[2], c[1], "Two", NULL);
	ring_of(a[0], c[2], "Three", NULL);
}

/* A customer whose language no signed-in agent speaks waits, and is told so, until one
 * signs in; a language or topic that is not offered is refused. */
static void test_no_agent_for_language(void **state)
{
	struct fixture *f = *state;
	make_account(f, "ana", "agent", "en", "billing");
	make_account(f, "eva", "agent", "es", "");
	struct client *ana = &f->c[0], *eva = &f->c[1], *c1 = &f->c[2];
	for (int i = 0; i < 3; i++)
		client_open(f, &f->c[i]);
	agent_sign_in_as(f, ana, "ana", NULL, 0);
	customer_hello(c1, NULL, 0);
	say(c1, "{\"type\":\"call_request\",\"name\":\"Ana\",\"language\":\"fr\",\"id\":1}");
	expect_error(c1, "bad_field");
	say(c1, "{\"type\":\"call_request\",\"name\":\"Ana\",\"topic\":\"cars\"}");
	expect_error(c1, "bad_field");
	/* ana has the language but not the skill for "general" */
	say(c1, "{\"type\":\"call_request\",\"name\":\"Ana\",\"language\":\"es\"}");
	json_t *q = expect_queued(c1, 1, 0, -1);
	assert_string_equal(str(q, "language"), "es");
	assert_string_equal(str(q, "topic"), "general");
	json_decref(q);
	expect_nothing(ana);
	sig_tick(f->sig, clock_ms() + 5000);  /* time passes: nothing changes, nothing is sent */
	expect_nothing(c1);
	agent_sign_in_as(f, eva, "eva", NULL, 0);
	ring_of(eva, c1, "Ana", NULL);
}

/* Handle times measured before (in the store) make the estimate: AHT 60 s here, with one
 * interrupted contact left out. Waits fall as agents come. */
static void test_wait_from_measured_handle_times(void **state)
{
	struct fixture *f = *state;
	struct store_customer sc = {.created_ms = 1000};
	memset(sc.token_hash, 7, sizeof(sc.token_hash));
	int64_t session;
	assert_int_equal(store_customer_create(f->store, &sc, &session), 0);
	const uint64_t talk[] = {30000, 60000, 90000, 1000000};
	for (int i = 0; i < 4; i++) {
		struct store_contact k = {.session_id = session, .queued_ms = 1000, .answered_ms = 2000,
					  .ended_ms = 2000 + talk[i],
					  .outcome = i == 3 ? "interrupted" : "resolved"};
		int64_t id;
		assert_int_equal(store_contact_create(f->store, &k, &id), 0);
	}
	sigtest_start(f);
	make_account(f, "a1", "agent", "", "");
	make_account(f, "a2", "agent", "", "");
	struct client *a1 = &f->c[0], *a2 = &f->c[1], *c1 = &f->c[2], *c2 = &f->c[3], *c3 = &f->c[4];
	for (int i = 0; i < 5; i++)
		client_open(f, &f->c[i]);
	agent_sign_in_as(f, a1, "a1", NULL, 0);
	customer_hello(c1, NULL, 0);
	customer_hello(c2, NULL, 0);
	customer_hello(c3, NULL, 0);
	char call1[32];
	ask(c1, "One", "en");
	ring_of(a1, c1, "One", call1);
	ask(c2, "Two", "en");
	json_decref(expect_queued(c2, 1, 1, 60));   /* a1 is free in about one AHT */
	ask(c3, "Three", "en");
	json_decref(expect_queued(c3, 2, 1, 120));  /* then Two's AHT */
	agent_sign_in_as(f, a2, "a2", NULL, 0);       /* a second agent: Two rings there */
	ring_of(a2, c2, "Two", NULL);
	json_decref(expect_queued(c3, 1, 2, 60));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_three_customers_two_agents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decline_keeps_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_moves_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_idle_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_agent_for_language, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_from_measured_handle_times, sigtest_setup_only,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

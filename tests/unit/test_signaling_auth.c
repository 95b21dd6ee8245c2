/* Authorisation through the transport interface: a customer's token reaches its own session
 * and nothing else (no other customer's chat or call, no agent action); an agent acts only
 * once signed in, and only on its own calls; agent tokens are signed, expire and die with
 * the account. Every refusal gets its error code and the connection stays usable
 * (tests/unit/sigtest.h). */
#include "sigtest.h"

static int setup(void **state)
{
	sigtest_setup(state);
	make_account(*state, "agent", "agent", "", "");
	make_account(*state, "ana", "agent", "", "");
	return 0;
}

#define teardown sigtest_teardown

enum speaker { NOBODY, STRANGER, ANON_AGENT, OTHER_AGENT };

/* %1$s in a message is the victim's call. */
static const struct refusal {
	enum speaker who;
	const char *msg;
	const char *code;
} refusals[] = {
	{NOBODY, "{\"type\":\"chat\",\"text\":\"hi\"}", "hello_required"},
	{NOBODY, "{\"type\":\"hangup\",\"call\":\"%1$s\"}", "hello_required"},
	/* another customer */
	{STRANGER, "{\"type\":\"hangup\",\"call\":\"%1$s\"}", "unknown_call"},
	{STRANGER, "{\"type\":\"offer\",\"call\":\"%1$s\",\"sdp\":\"v=0\"}", "unknown_call"},
	{STRANGER, "{\"type\":\"chat_history\",\"call\":\"%1$s\"}", "unknown_call"},
	{STRANGER, "{\"type\":\"survey\",\"call\":\"%1$s\",\"rating\":1}", "unknown_call"},
	{STRANGER, "{\"type\":\"chat\",\"call\":\"%1$s\",\"text\":\"into your call\"}", NULL},
	{STRANGER, "{\"type\":\"accept\",\"call\":\"%1$s\"}", "not_allowed"},
	{STRANGER, "{\"type\":\"decline\",\"call\":\"%1$s\"}", "not_allowed"},
	{STRANGER, "{\"type\":\"wrap_up\",\"call\":\"%1$s\",\"outcome\":\"resolved\"}", "not_allowed"},
	{STRANGER, "{\"type\":\"set_status\",\"status\":\"available\"}", "not_allowed"},
	{STRANGER, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\"}", "not_allowed"},
	{STRANGER, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}", "not_allowed"},
	/* an agent who has not signed in */
	{ANON_AGENT, "{\"type\":\"chat\",\"call\":\"%1$s\",\"text\":\"hi\"}", "login_required"},
	{ANON_AGENT, "{\"type\":\"chat_history\",\"call\":\"%1$s\"}", "login_required"},
	{ANON_AGENT, "{\"type\":\"accept\",\"call\":\"%1$s\"}", "login_required"},
	{ANON_AGENT, "{\"type\":\"hangup\",\"call\":\"%1$s\"}", "login_required"},
	{ANON_AGENT, "{\"type\":\"offer\",\"call\":\"%1$s\",\"sdp\":\"v=0\"}", "login_required"},
	{ANON_AGENT, "{\"type\":\"wrap_up\",\"call\":\"%1$s\",\"outcome\":\"resolved\"}", "login_required"},
	{ANON_AGENT, "{\"type\":\"set_status\",\"status\":\"available\"}", "login_required"},
	{ANON_AGENT, "{\"type\":\"call_request\",\"name\":\"x\"}", "login_required"},
	/* a signed-in agent, but not this call's */
	{OTHER_AGENT, "{\"type\":\"hangup\",\"call\":\"%1$s\"}", "unknown_call"},
	{OTHER_AGENT, "{\"type\":\"offer\",\"call\":\"%1$s\",\"sdp\":\"v=0\"}", "unknown_call"},
	{OTHER_AGENT, "{\"type\":\"accept\",\"call\":\"%1$s\"}", "unknown_call"},
	{OTHER_AGENT, "{\"type\":\"decline\",\"call\":\"%1$s\"}", "unknown_call"},
	{OTHER_AGENT, "{\"type\":\"chat\",\"call\":\"%1$s\",\"text\":\"hi\"}", "unknown_call"},
	{OTHER_AGENT, "{\"type\":\"chat_history\",\"call\":\"%1$s\"}", "unknown_call"},
	{OTHER_AGENT, "{\"type\":\"wrap_up\",\"call\":\"%1$s\",\"outcome\":\"resolved\"}", "unknown_call"},
	{OTHER_AGENT, "{\"type\":\"chat\",\"text\":\"to whom?\"}", "missing_field"},
	{OTHER_AGENT, "{\"type\":\"chat_history\"}", "missing_field"},
	{OTHER_AGENT, "{\"type\":\"call_request\",\"name\":\"x\"}", "not_allowed"},
	{OTHER_AGENT, "{\"type\":\"survey\",\"call\":\"%1$s\",\"rating\":5}", "not_allowed"},
};

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	struct client *victim = &f->c[0], *agent = &f->c[1];
	struct client *who[] = {[NOBODY] = &f->c[2], [STRANGER] = &f->c[3], [ANON_AGENT] = &f->c[4],
				[OTHER_AGENT] = &f->c[5]};
	for (int i = 0; i < 6; i++)
		client_open(f, &f->c[i]);
	agent_sign_in_as(f, agent, "agent", NULL, 0);
	customer_hello(victim, NULL, 0);
	say(victim, "{\"type\":\"chat\",\"text\":\"my secret\"}");
	expect_drop(victim, "chat");
	char call[32];
	request_and_ring(victim, agent, "Victim", call, sizeof(call));
	accept_call(victim, agent, call, "agent");
	customer_hello(who[STRANGER], NULL, 0);
	say(who[ANON_AGENT], "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	expect_drop(who[ANON_AGENT], "welcome");
	agent_sign_in_as(f, who[OTHER_AGENT], "ana", NULL, 0);
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *r = &refusals[i];
		struct client *c = who[r->who];
		char text[512];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(text, sizeof(text), r->msg, call);
#pragma GCC diagnostic pop
		sig_conn_recv(c->sc, text, strlen(text));
		if (!r->code) {  /* a customer's "call" in chat is ignored: the chat is its own */
			json_t *m = expect(c, "chat");
			assert_null(json_object_get(m, "call"));
			json_decref(m);
		} else {
			json_t *e = expect(c, "error");
			if (strcmp(str(e, "code"), r->code) != 0)
				fail_msg("%s: got %s, want %s", text, str(e, "code"), r->code);
			assert_null(strstr(str(e, "message"), "Victim"));
			json_decref(e);
		}
		expect_nothing(c);
		assert_false(c->closed);
	}
	/* nothing reached the call's parties, and the call is still theirs */
	expect_nothing(victim);
	expect_nothing(agent);
	say(victim, "{\"type\":\"chat_history\"}");
	json_t *h = expect(victim, "chat_history");
	assert_int_equal(json_array_size(json_object_get(h, "messages")), 1);
	json_decref(h);
	hang_up(victim, agent, call);
}

/* Agent tokens: good ones sign in without the password; forged, expired, customer ones and
 * those of a removed account do not. Customer tokens never make an agent. */
static void test_agent_tokens(void **state)
{
	struct fixture *f = *state;
	struct client *a = &f->c[0], *b = &f->c[1], *cust = &f->c[2];
	client_open(f, a);
	client_open(f, cust);
	char token[TOKEN_STR_MAX], ctoken[TOKEN_STR_MAX];
	agent_sign_in_as(f, a, "ana", token, sizeof(token));
	customer_hello(cust, ctoken, sizeof(ctoken));
	client_close(a);
	/* the reload: hello with the token is a sign-in */
	client_open(f, b);
	say(b, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\",\"token\":\"%s\",\"id\":2}", token);
	expect_drop(b, "welcome");
	json_t *l = expect(b, "logged_in");
	assert_string_equal(str(l, "username"), "ana");
	assert_int_equal(num(l, "re"), 2);
	json_decref(l);
	client_close(b);
	struct token_key key;
	assert_int_equal(token_key_load(&key, f->dir), 0);
	struct store_account *acc = NULL;
	assert_int_equal(store_account_get(f->store, "ana", &acc), 0);
	char expired[TOKEN_STR_MAX], forged[TOKEN_STR_MAX];
	assert_int_equal(token_issue(&key, TOKEN_AGENT, acc->id, clock_wall_ms() - 1000, expired,
				     sizeof(expired)), 0);
	struct token_key other = {{1, 2, 3}};
	assert_int_equal(token_issue(&other, TOKEN_AGENT, acc->id, clock_wall_ms() + 60000, forged,
				     sizeof(forged)), 0);
	mem_deref(acc);
	token_key_clear(&key);
	const char *bad[] = {expired, forged, ctoken, "not-a-token"};
	for (size_t i = 0; i < 4; i++) {
		client_open(f, b);
		say(b, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\",\"token\":\"%s\"}", bad[i]);
		expect_drop(b, "welcome");
		expect_error(b, "bad_token");
		say(b, "{\"type\":\"set_status\",\"status\":\"away\"}");
		expect_error(b, "login_required");
		client_close(b);
	}
	/* an agent token does not resume a customer session either */
	client_open(f, b);
	json_t *w = customer_resume(b, token);
	assert_false(json_is_true(json_object_get(w, "resumed")));
	json_decref(w);
	client_close(b);
	/* the account goes: its token stops working at once */
	assert_int_equal(store_account_remove(f->store, "ana", clock_wall_ms()), 0);
	client_open(f, b);
	say(b, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\",\"token\":\"%s\"}", token);
	expect_drop(b, "welcome");
	expect_error(b, "bad_token");
	say(b, "{\"type\":\"login\",\"username\":\"ana\",\"password\":\"" PASSWORD "\"}");
	wait_msg(f, b);
	expect_error(b, "bad_credentials");
}

/* Only agent accounts sign in to the agent console. */
static void test_other_roles_refused(void **state)
{
	struct fixture *f = *state;
	make_account(f, "ivan", "interpreter", "en,es", "");
	struct client *a = &f->c[0];
	client_open(f, a);
	say(a, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	expect_drop(a, "welcome");
	say(a, "{\"type\":\"login\",\"username\":\"ivan\",\"password\":\"" PASSWORD "\"}");
	wait_msg(f, a);
	expect_error(a, "bad_credentials");
	assert_int_equal(store_account_set_disabled(f->store, "agent", true), 0);
	say(a, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\"}");
	wait_msg(f, a);
	expect_error(a, "bad_credentials");
}

/* A connection that goes while its password is checked: the answer is dropped quietly. */
static void test_close_during_check(void **state)
{
	struct fixture *f = *state;
	struct client *a = &f->c[0], *b = &f->c[1];
	client_open(f, a);
	say(a, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	expect_drop(a, "welcome");
	say(a, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\"}");
	client_close(a);
	client_open(f, b);
	agent_sign_in_as(f, b, "ana", NULL, 0);  /* the worker's answers come in order */
	expect_nothing(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_roles_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_during_check, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

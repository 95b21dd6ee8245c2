/* Interpreters through the transport interface (tests/unit/sigtest.h): sign-in as
 * interpreter, invite by language (longest idle first, decline and lapse move on, nobody
 * left), accept, the join renegotiated with real Chromium offers (the relay's stream table
 * names the interpreter on the customer's further m-lines; simultaneous mode mixes the
 * customer's primary audio), removal and leaving back to 1:1, and the interpreter leg record. */
#include "sigtest.h"

static int setup(void **state)
{
	sigtest_setup_only(state);
	struct fixture *f = *state;
	f->cfg.ring_timeout_ms = 5000;
	sigtest_start(f);
	make_account(f, "agent", "agent", "", "");
	make_account(f, "ines", "interpreter", "es,en", "");
	make_account(f, "juan", "interpreter", "en,es", "");
	make_account(f, "fran", "interpreter", "fr,en", "");
	return 0;
}

#define teardown sigtest_teardown

static char *load_sdp(const char *name)
{
	char path[1024];
	const char *src = getenv("RAPPORT_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", src ? src : ".", name);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	char *sdp = calloc(1, 16384);
	size_t n = fread(sdp, 1, 16383, fp);
	fclose(fp);
	sdp[n] = '\0';
	return sdp;
}

/* offer the SDP in file name; the answer is returned */
static json_t *offer(struct client *c, const char *call, const char *name)
{
	char *sdp = load_sdp(name);
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "offer", "call", call, "sdp", sdp);
	char *text = json_dumps(o, JSON_COMPACT);
	sig_conn_recv(c->sc, text, strlen(text));
	free(text);
	json_decref(o);
	free(sdp);
	return expect(c, "answer");
}

static void interp_sign_in(struct fixture *f, struct client *c, const char *user)
{
	say(c, "{\"type\":\"hello\",\"version\":1,\"role\":\"interpreter\"}");
	json_t *w = expect(c, "welcome");
	assert_string_equal(str(w, "role"), "interpreter");
	json_decref(w);
	say(c, "{\"type\":\"login\",\"username\":\"%s\",\"password\":\"" PASSWORD "\"}", user);
	wait_msg(f, c);
	json_t *m = expect(c, "logged_in");
	assert_string_equal(str(m, "status"), "available");
	json_decref(m);
}

/* a Spanish-speaking customer in an active call with the agent */
static void es_call(struct fixture *f, struct client *cust, struct client *agent, char *call,
		    size_t len)
{
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in_as(f, agent, "agent", NULL, 0);
	customer_hello(cust, NULL, 0);
	say(cust, "{\"type\":\"chat\",\"text\":\"Hola, necesito ayuda\",\"name\":\"Ana\"}");
	expect_drop(cust, "chat");
	say(cust, "{\"type\":\"call_request\",\"name\":\"Ana\",\"language\":\"es\"}");
	json_t *r = expect(agent, "ring");
	snprintf(call, len, "%s", str(r, "call"));
	json_decref(r);
	expect_drop(cust, "ringing");
	accept_call(cust, agent, call, "agent");
}

/* the last message of this type sent to c; everything before it is skipped */
static json_t *expect_last(struct client *c, const char *type)
{
	json_t *m = expect_skip(c, type), *n;
	while (c->next < c->nout && strstr(c->out[c->next], type)) {
		n = expect_skip(c, type);
		json_decref(m);
		m = n;
	}
	return m;
}

static size_t nparticipants(json_t *m)
{
	return json_array_size(json_object_get(m, "participants"));
}

/* the party the stream with this mid carries, per the message's "streams" */
static const char *party_of(json_t *m, const char *mid)
{
	json_t *s = json_object_get(m, "streams"), *o;
	size_t i;
	json_array_foreach(s, i, o) {
		if (strcmp(str(o, "mid"), mid) == 0)
			return str(o, "party") ? str(o, "party") : "(none)";
	}
	return "(no such mid)";
}

/* a boolean field (mixed, spent) of the stream with this mid */
static bool flag_of(json_t *m, const char *mid, const char *flag)
{
	json_t *s = json_object_get(m, "streams"), *o;
	size_t i;
	json_array_foreach(s, i, o) {
		if (strcmp(str(o, "mid"), mid) == 0) {
			assert_true(json_is_boolean(json_object_get(o, flag)));
			return json_is_true(json_object_get(o, flag));
		}
	}
	return false;
}

static bool mixed_of(json_t *m, const char *mid)
{
	return flag_of(m, mid, "mixed");
}

struct legs {
	unsigned n;
	char languages[32], modes[256];
	uint64_t joined, left;
};

static int legs_h(const struct store_interp_leg *l, void *arg)
{
	struct legs *g = arg;
	g->n++;
	snprintf(g->languages, sizeof(g->languages), "%s", l->languages);
	snprintf(g->modes, sizeof(g->modes), "%s", l->modes ? l->modes : "");
	g->joined = l->joined_ms;
	g->left = l->left_ms;
	return 0;
}

static void test_invite_join_modes_remove(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *ines = &f->c[2], *juan = &f->c[3];
	char call[32];
	es_call(f, cust, agent, call, sizeof(call));
	json_decref(offer(cust, call, "chromium156-multi-offer.sdp"));
	json_decref(offer(agent, call, "chromium156-offer.sdp"));
	client_open(f, ines);
	client_open(f, juan);
	interp_sign_in(f, ines, "ines");   /* idle longer than juan */
	usleep(2000);
	interp_sign_in(f, juan, "juan");
	expect_nothing(ines);              /* interpreters are never rung for customers */
	say(agent, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"es\",\"id\":7}", call);
	json_t *r = expect(ines, "ring");
	assert_string_equal(str(r, "kind"), "interpreter");
	assert_string_equal(str(r, "call"), call);
	assert_string_equal(str(r, "languages"), "es,en");
	assert_string_equal(str(r, "language_name"), "Español");
	assert_string_equal(str(r, "agent"), "agent");
	assert_string_equal(str(r, "name"), "Ana");
	assert_string_equal(str(json_array_get(json_object_get(r, "chat"), 0), "text"),
			    "Hola, necesito ayuda");
	json_decref(r);
	json_t *p = expect(agent, "participants");
	assert_int_equal(num(p, "re"), 7);
	assert_string_equal(str(json_object_get(p, "invite"), "state"), "ringing");
	assert_int_equal(nparticipants(p), 2);
	json_decref(p);
	p = expect(cust, "participants");
	assert_string_equal(str(json_object_get(p, "invite"), "interpreter"), "ines");
	json_decref(p);
	/* one invite at a time */
	say(agent, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"es\"}", call);
	expect_error(agent, "bad_state");
	/* ines declines: juan is rung */
	say(ines, "{\"type\":\"decline\",\"call\":\"%s\"}", call);
	json_t *rc = expect(ines, "ring_cancelled");
	assert_string_equal(str(rc, "reason"), "declined");
	json_decref(rc);
	expect_drop(juan, "ring");
	expect_drop(agent, "participants");
	expect_drop(cust, "participants");
	/* ines cannot take it any more */
	say(ines, "{\"type\":\"accept\",\"call\":\"%s\"}", call);
	expect_error(ines, "unknown_call");
	say(juan, "{\"type\":\"accept\",\"call\":\"%s\",\"id\":\"a\"}", call);
	json_t *s = expect(juan, "call_started");
	assert_string_equal(str(s, "role"), "interpreter");
	assert_string_equal(str(s, "re"), "a");
	json_decref(s);
	json_t *st = expect(juan, "status");
	assert_string_equal(str(st, "status"), "busy");
	json_decref(st);
	p = expect(cust, "participants");
	assert_int_equal(nparticipants(p), 3);
	assert_string_equal(str(json_array_get(json_object_get(p, "participants"), 2), "role"),
			    "interpreter");
	assert_string_equal(str(json_array_get(json_object_get(p, "participants"), 2), "name"), "juan");
	assert_null(json_object_get(p, "invite"));
	json_decref(p);
	expect_drop(agent, "participants");
	expect_drop(juan, "participants");
	/* the customer's page adds receive-only transceivers and offers again: same leg */
	json_t *a = offer(cust, call, "chromium156-multi-reoffer.sdp");
	assert_string_equal(party_of(a, "0"), "agent");
	assert_string_equal(party_of(a, "1"), "agent");
	json_decref(a);
	expect_drop(agent, "participants");
	expect_drop(juan, "participants");
	/* the interpreter's leg: the customer's further m-lines carry it */
	a = offer(juan, call, "chromium156-offer-h264.sdp");
	assert_string_equal(party_of(a, "0"), "customer");  /* the first other party to join */
	json_decref(a);
	p = expect(cust, "participants");
	assert_string_equal(party_of(p, "2"), "interpreter");
	assert_string_equal(party_of(p, "3"), "interpreter");
	assert_string_equal(party_of(p, "0"), "agent");
	assert_false(flag_of(p, "3", "spent"));
	json_decref(p);
	expect_drop(agent, "participants");
	/* simultaneous: the customer's primary audio becomes the mix */
	say(agent, "{\"type\":\"set_mode\",\"call\":\"%s\",\"mode\":\"simultaneous\",\"id\":8}", call);
	p = expect(agent, "participants");
	assert_int_equal(num(p, "re"), 8);
	assert_string_equal(str(p, "mode"), "simultaneous");
	json_decref(p);
	p = expect(cust, "participants");
	assert_string_equal(str(p, "mode"), "simultaneous");
	assert_true(mixed_of(p, "0"));
	json_decref(p);
	expect_drop(juan, "participants");
	say(cust, "{\"type\":\"set_mode\",\"call\":\"%s\",\"mode\":\"consecutive\"}", call);
	expect_error(cust, "not_allowed");
	/* the agent removes the interpreter: 1:1 again, the customer's leg stays */
	say(agent, "{\"type\":\"remove_interpreter\",\"call\":\"%s\"}", call);
	json_t *e = expect(juan, "call_ended");
	assert_string_equal(str(e, "reason"), "removed");
	assert_string_equal(str(e, "by"), "agent");
	json_decref(e);
	st = expect(juan, "status");
	assert_string_equal(str(st, "status"), "available");
	json_decref(st);
	p = expect(cust, "participants");
	assert_int_equal(nparticipants(p), 2);
	assert_string_equal(str(p, "mode"), "consecutive");
	assert_false(mixed_of(p, "0"));
	/* the further m-lines that carried the interpreter carry nobody, for good: spent (the
	 * page offers again before they can carry anyone); the primary ones never are */
	assert_string_equal(party_of(p, "3"), "(none)");
	assert_true(flag_of(p, "3", "spent"));
	assert_false(flag_of(p, "0", "spent"));
	json_decref(p);
	a = offer(cust, call, "chromium156-multi-stop.sdp");  /* renegotiated, not replaced */
	assert_string_equal(party_of(a, "0"), "agent");
	json_decref(a);
	/* the record: who, languages, joined, left, modes */
	struct legs g = {0};
	assert_int_equal(store_interp_list(f->store, contact_of(call), legs_h, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.languages, "es,en");
	assert_true(g.joined > 0 && g.left >= g.joined);
	assert_non_null(strstr(g.modes, "consecutive"));
	assert_non_null(strstr(g.modes, "simultaneous"));
}

/* Nobody matching: no_interpreter; a lapsed ring moves on, then the invite fails. */
static void test_no_interpreter_and_lapse(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *fran = &f->c[2], *ines = &f->c[3];
	char call[32];
	es_call(f, cust, agent, call, sizeof(call));
	client_open(f, fran);
	interp_sign_in(f, fran, "fran");   /* French only */
	say(agent, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"es\"}", call);
	expect_error(agent, "no_interpreter");
	say(agent, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"xx\"}", call);
	expect_error(agent, "bad_field");
	say(agent, "{\"type\":\"set_mode\",\"call\":\"%s\",\"mode\":\"simultaneous\"}", call);
	expect_error(agent, "bad_state");
	client_open(f, ines);
	interp_sign_in(f, ines, "ines");
	say(ines, "{\"type\":\"set_status\",\"status\":\"away\"}");
	expect_drop(ines, "status");
	say(agent, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"es\"}", call);
	expect_error(agent, "no_interpreter");  /* away is not rung */
	say(ines, "{\"type\":\"set_status\",\"status\":\"available\"}");
	expect_drop(ines, "status");
	say(agent, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"es\"}", call);
	expect_drop(ines, "ring");
	expect_drop(agent, "participants");
	expect_drop(cust, "participants");
	sig_tick(f->sig, clock_ms() + 6000);
	json_t *rc = expect(ines, "ring_cancelled");
	assert_string_equal(str(rc, "reason"), "no_answer");
	json_decref(rc);
	json_t *m = expect(agent, "invite_failed");
	assert_string_equal(str(m, "reason"), "no_answer");
	json_decref(m);
	m = expect(agent, "participants");
	assert_null(json_object_get(m, "invite"));
	json_decref(m);
	/* an interpreter speaks none of the agent's messages, an agent account is no interpreter */
	say(ines, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"es\"}", call);
	expect_error(ines, "not_allowed");
	struct client *x = &f->c[4];
	client_open(f, x);
	say(x, "{\"type\":\"hello\",\"version\":1,\"role\":\"interpreter\"}");
	expect_drop(x, "welcome");
	say(x, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\"}");
	wait_msg(f, x);
	expect_error(x, "bad_credentials");
}

/* The interpreter hangs up: the others go on; the call ending ends the interpreter's part. */
static void test_interpreter_leaves_and_call_ends(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *ines = &f->c[2];
	char call[32];
	es_call(f, cust, agent, call, sizeof(call));
	client_open(f, ines);
	interp_sign_in(f, ines, "ines");
	for (int round = 0; round < 2; round++) {
		say(agent, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"es\"}", call);
		expect_drop(ines, "ring");
		say(ines, "{\"type\":\"accept\",\"call\":\"%s\"}", call);
		expect_drop(ines, "call_started");
		expect_drop(ines, "status");
		expect_drop(ines, "participants");
		json_t *p = expect_last(cust, "participants");
		assert_int_equal(nparticipants(p), 3);
		json_decref(p);
		cust->next = cust->nout;
		agent->next = agent->nout;
		if (round == 0) {
			say(ines, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
			json_t *e = expect(ines, "call_ended");
			assert_string_equal(str(e, "reason"), "left");
			json_decref(e);
			expect_drop(ines, "status");
			p = expect(agent, "participants");
			assert_int_equal(nparticipants(p), 2);
			json_decref(p);
			expect_drop(cust, "participants");
		}
	}
	hang_up(cust, agent, call);
	json_t *e = expect(ines, "call_ended");
	assert_string_equal(str(e, "reason"), "hangup");
	json_decref(e);
	json_t *st = expect(ines, "status");
	assert_string_equal(str(st, "status"), "available");
	json_decref(st);
	struct legs g = {0};
	assert_int_equal(store_interp_list(f->store, contact_of(call), legs_h, &g), 0);
	assert_int_equal(g.n, 2);
	assert_true(g.left > 0);
	/* her next call rings with this one among the earlier contacts, interpreters named */
	wrap_up(agent, call, "resolved", "");
	say(cust, "{\"type\":\"call_request\",\"name\":\"Ana\",\"language\":\"es\"}");
	json_t *r = expect(agent, "ring");
	json_t *k = json_array_get(json_object_get(r, "earlier"), 0);
	assert_string_equal(str(k, "call"), call);
	json_t *ips = json_object_get(k, "interpreters");
	assert_int_equal(json_array_size(ips), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(str(json_array_get(ips, i), "name"), "ines");
		assert_string_equal(str(json_array_get(ips, i), "languages"), "es,en");
	}
	json_decref(r);
}

/* A contact without an interpreter rings as before: no "interpreters" in its earlier entry. */
static void test_earlier_without_interpreter(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	char call[32];
	es_call(f, cust, agent, call, sizeof(call));
	hang_up(cust, agent, call);
	wrap_up(agent, call, "resolved", "");
	say(cust, "{\"type\":\"call_request\",\"name\":\"Ana\",\"language\":\"es\"}");
	json_t *r = expect(agent, "ring");
	json_t *k = json_array_get(json_object_get(r, "earlier"), 0);
	assert_string_equal(str(k, "call"), call);
	assert_null(json_object_get(k, "interpreters"));
	json_decref(r);
}

/* A customer who comes back (reload) while an interpreter is on the call is told who is on it
 * after call_started, so its page receives the third party again; so is one being rung. */
static void test_resume_with_interpreter(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *ines = &f->c[2], *again = &f->c[3];
	char token[TOKEN_STR_MAX], call[32];
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in_as(f, agent, "agent", NULL, 0);
	customer_hello(cust, token, sizeof(token));
	say(cust, "{\"type\":\"call_request\",\"name\":\"Ana\",\"language\":\"es\"}");
	json_t *r = expect(agent, "ring");
	snprintf(call, sizeof(call), "%s", str(r, "call"));
	json_decref(r);
	expect_drop(cust, "ringing");
	accept_call(cust, agent, call, "agent");
	client_open(f, ines);
	interp_sign_in(f, ines, "ines");
	say(agent, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"es\"}", call);
	expect_drop(ines, "ring");
	client_close(cust);  /* the page reloads while the interpreter is rung */
	client_open(f, again);
	json_t *w = customer_resume(again, token);
	assert_true(json_is_true(json_object_get(w, "resumed")));
	json_decref(w);
	json_t *c = expect_skip(again, "call_started");  /* after chat_history */
	assert_true(json_is_true(json_object_get(c, "resumed")));
	json_decref(c);
	json_t *p = expect(again, "participants");
	assert_int_equal(nparticipants(p), 2);
	assert_string_equal(str(json_object_get(p, "invite"), "interpreter"), "ines");
	json_decref(p);
	say(ines, "{\"type\":\"accept\",\"call\":\"%s\"}", call);
	expect_drop(ines, "call_started");
	client_close(again);  /* and again, with the interpreter on the call */
	client_clear(again);
	client_open(f, again);
	json_decref(customer_resume(again, token));
	json_decref(expect_skip(again, "call_started"));
	p = expect(again, "participants");
	assert_int_equal(nparticipants(p), 3);
	assert_null(json_object_get(p, "invite"));
	assert_int_equal(json_array_size(json_object_get(p, "streams")), 0);  /* no leg yet */
	json_decref(p);
}

/* A party that comes back on a new leg (a new page) is not put on the further streams that
 * carried its old leg: they are spent (participants says so) until the page that has them
 * offers again; then they carry it, with new SSRCs. */
static void test_spent_streams_reoffer(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1], *ines = &f->c[2];
	char call[32];
	es_call(f, cust, agent, call, sizeof(call));
	json_decref(offer(cust, call, "chromium156-multi-offer.sdp"));
	json_decref(offer(agent, call, "chromium156-offer.sdp"));
	client_open(f, ines);
	interp_sign_in(f, ines, "ines");
	say(agent, "{\"type\":\"invite_interpreter\",\"call\":\"%s\",\"language\":\"es\"}", call);
	expect_drop(ines, "ring");
	say(ines, "{\"type\":\"accept\",\"call\":\"%s\"}", call);
	expect_drop(ines, "call_started");
	cust->next = cust->nout;  /* participants: the invite, the join */
	json_decref(offer(cust, call, "chromium156-multi-reoffer.sdp"));
	ines->next = ines->nout;  /* status, participants */
	json_decref(offer(ines, call, "chromium156-offer-h264.sdp"));
	json_t *p = expect_last(cust, "participants");
	assert_string_equal(party_of(p, "2"), "interpreter");
	assert_string_equal(party_of(p, "3"), "interpreter");
	json_decref(p);
	/* the interpreter's page is replaced (new ICE credentials): a new leg */
	json_t *a = offer(ines, call, "chromium156-offer-dc2v.sdp");
	assert_string_equal(party_of(a, "0"), "customer");
	json_decref(a);
	p = expect_last(cust, "participants");
	assert_string_equal(party_of(p, "2"), "(none)");  /* video 2 and audio 3: spent */
	assert_true(flag_of(p, "2", "spent"));
	assert_string_equal(party_of(p, "3"), "(none)");
	assert_true(flag_of(p, "3", "spent"));
	assert_string_equal(party_of(p, "4"), "interpreter");  /* a free video m-line: at once */
	assert_false(flag_of(p, "4", "spent"));
	json_decref(p);
	/* the customer's page offers again: the spent streams are fresh, audio 3 carries the new
	 * leg's audio (the only audio m-line left), video stays on 4 (assignments never move) */
	cust->next = cust->nout;
	a = offer(cust, call, "chromium156-multi-reoffer.sdp");
	assert_string_equal(party_of(a, "0"), "agent");
	assert_string_equal(party_of(a, "3"), "interpreter");
	assert_string_equal(party_of(a, "4"), "interpreter");
	assert_string_equal(party_of(a, "2"), "(none)");
	assert_false(flag_of(a, "2", "spent"));
	assert_false(flag_of(a, "3", "spent"));
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_invite_join_modes_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_interpreter_and_lapse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interpreter_leaves_and_call_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_earlier_without_interpreter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_with_interpreter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spent_streams_reoffer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

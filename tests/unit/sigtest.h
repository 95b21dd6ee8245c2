/* sigtest: a harness for the signalling core through its transport interface, shared by the
 * tests/unit/test_signaling*.c programs (header only: each test program is one .c file).
 *
 * A fixture is a real sig on a temporary data directory (real SQLite, real token key, real
 * password worker thread) in front of the real media relay on 127.0.0.1. Clients are fake
 * connections that record what sig sends them; expect() takes the next message and checks
 * its type. Sign-ins are answered by the worker thread, so wait_msg() polls sig_poll(). */
#ifndef TESTS_UNIT_SIGTEST_H
#define TESTS_UNIT_SIGTEST_H
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/clock.h"
#include "base/mem.h"
#include "media/media.h"
#include "signaling/sig.h"
#include "signaling/store.h"
#include "signaling/token.h"
#include "tmpdir.h"

#define PASSWORD "correct horse"
#define MAXMSG 256
#define NCLIENTS 8

struct client {
	struct sig_conn *sc;
	char *out[MAXMSG];
	size_t nout, next;
	bool closed;
	int close_code;
};

struct fixture {
	char dir[256];
	struct media *media;
	struct sig *sig;
	struct sig_config cfg;
	struct store *store;           /* the test's own connection, to make accounts and check */
	struct client c[NCLIENTS];
};

static atomic_int sigtest_wakes;

static inline int t_send(void *conn, const char *text, size_t len)
{
	struct client *c = conn;
	assert_true(c->nout < MAXMSG);
	c->out[c->nout] = malloc(len + 1);
	memcpy(c->out[c->nout], text, len);
	c->out[c->nout++][len] = '\0';
	return 0;
}

static inline void t_close(void *conn, int code, const char *reason)
{
	struct client *c = conn;
	(void)reason;
	c->closed = true;
	c->close_code = code;
}

static const struct sig_transport sigtest_transport = {t_send, t_close};

static inline void sigtest_wake(void *arg)
{
	(void)arg;
	atomic_fetch_add(&sigtest_wakes, 1);
}

static inline void sigtest_notify(void *arg)
{
	(void)arg;
}

/* The configuration every test starts from; a setup may change it before sigtest_start(). */
static inline void sigtest_config(struct fixture *f)
{
	f->cfg = (struct sig_config){
		.data_dir = f->dir, .languages = "en:English,es:Español",
		.topics = "general:General question,billing:Billing",
		.wake = sigtest_wake, .wake_arg = NULL,
		.default_handle_ms = 100000,
	};
}

static inline void sigtest_start(struct fixture *f)
{
	assert_int_equal(sig_alloc(&f->sig, &f->cfg, f->media, &sigtest_transport), 0);
}

static inline int sigtest_setup_only(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(tmpdir_make(f->dir, sizeof(f->dir)));
	struct media_config mc = {
		.bind_ip = "127.0.0.1", .public_ip = "127.0.0.1", .port_min = 41000,
		.port_max = 41100, .workers = 1,
	};
	assert_int_equal(media_start(&f->media, &mc, sigtest_notify, NULL), 0);
	assert_int_equal(store_sqlite_open(&f->store, f->dir), 0);
	sigtest_config(f);
	*state = f;
	return 0;
}

static inline int sigtest_setup(void **state)
{
	sigtest_setup_only(state);
	sigtest_start(*state);
	return 0;
}

static inline void client_clear(struct client *c)
{
	for (size_t i = 0; i < c->nout; i++)
		free(c->out[i]);
	memset(c, 0, sizeof(*c));
}

static inline void client_close(struct client *c)
{
	sig_conn_closed(c->sc);
	c->sc = NULL;
}

static inline void sigtest_close_all(struct fixture *f)
{
	for (size_t i = 0; i < NCLIENTS; i++) {
		if (f->c[i].sc)
			client_close(&f->c[i]);
		client_clear(&f->c[i]);
	}
}

static inline int sigtest_teardown(void **state)
{
	struct fixture *f = *state;
	sigtest_close_all(f);
	mem_deref(f->sig);
	mem_deref(f->store);
	media_stop(f->media);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* A staff account in the store (scrypt: ~0.1 s). */
static inline int64_t make_account(struct fixture *f, const char *user, const char *role,
			    const char *languages, const char *skills)
{
	struct store_account a = {.username = user, .languages = languages, .skills = skills,
				  .created_ms = clock_wall_ms()};
	assert_int_equal(store_role_parse(role, &a.role), 0);
	int64_t id = 0;
	if (store_account_create(f->store, &a, PASSWORD, &id))
		fail_msg("account %s: %s", user, store_errmsg(f->store));
	return id;
}

static inline void client_open(struct fixture *f, struct client *c)
{
	client_clear(c);
	assert_int_equal(sig_conn_open(f->sig, c, "test", &c->sc), 0);
}

__attribute__((format(printf, 2, 3)))
static inline void say(struct client *c, const char *fmt, ...)
{
	char buf[16384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sig_conn_recv(c->sc, buf, strlen(buf));
}

/* Poll sig (password answers) until c has an unread message, at most 10 s. */
static inline void wait_msg(struct fixture *f, struct client *c)
{
	for (int i = 0; i < 2000 && c->next >= c->nout; i++) {
		sig_poll(f->sig);
		if (c->next >= c->nout)
			usleep(5000);
	}
}

/* The next message sent to c, which must be of this type (the caller json_decref's it). */
static inline json_t *expect(struct client *c, const char *type)
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

static inline void expect_drop(struct client *c, const char *type)
{
	json_decref(expect(c, type));
}

static inline void expect_error(struct client *c, const char *code)
{
	json_t *m = expect(c, "error");
	const char *got = json_string_value(json_object_get(m, "code"));
	if (strcmp(got, code) != 0)
		fail_msg("expected error %s, got %s (%s)", code, got,
			 json_string_value(json_object_get(m, "message")));
	json_decref(m);
}

static inline void expect_nothing(struct client *c)
{
	if (c->next < c->nout)
		fail_msg("unexpected message: %s", c->out[c->next]);
}

/* Skip messages until one of this type (fails when there is none). */
static inline json_t *expect_skip(struct client *c, const char *type)
{
	while (c->next < c->nout) {
		if (strstr(c->out[c->next], type) && strncmp(c->out[c->next], "{\"type\":\"", 9) == 0) {
			json_t *m = json_loads(c->out[c->next], 0, NULL);
			if (m && strcmp(json_string_value(json_object_get(m, "type")), type) == 0) {
				c->next++;
				return m;
			}
			json_decref(m);
		}
		c->next++;
	}
	fail_msg("no %s among the messages", type);
	return NULL;
}

static inline const char *str(json_t *m, const char *k)
{
	return json_string_value(json_object_get(m, k));
}

static inline json_int_t num(json_t *m, const char *k)
{
	return json_integer_value(json_object_get(m, k));
}

/* hello as a new customer; the token goes to token (may be NULL). */
static inline void customer_hello(struct client *c, char *token, size_t tlen)
{
	say(c, "{\"type\":\"hello\",\"version\":1,\"role\":\"customer\"}");
	json_t *w = expect(c, "welcome");
	assert_string_equal(str(w, "role"), "customer");
	assert_false(json_is_true(json_object_get(w, "resumed")));
	if (token)
		snprintf(token, tlen, "%s", str(w, "token"));
	json_decref(w);
}

/* hello with a customer token; the welcome is returned (resumed or not). */
static inline json_t *customer_resume(struct client *c, const char *token)
{
	say(c, "{\"type\":\"hello\",\"version\":1,\"role\":\"customer\",\"token\":\"%s\"}", token);
	return expect(c, "welcome");
}

/* hello as agent and sign in as user; the agent token goes to token (may be NULL). */
static inline void agent_sign_in_as(struct fixture *f, struct client *c, const char *user, char *token,
			     size_t tlen)
{
	say(c, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	expect_drop(c, "welcome");
	say(c, "{\"type\":\"login\",\"username\":\"%s\",\"password\":\"" PASSWORD "\",\"id\":1}", user);
	wait_msg(f, c);
	json_t *m = expect(c, "logged_in");
	assert_string_equal(str(m, "username"), user);
	assert_int_equal(num(m, "re"), 1);
	assert_int_equal(strlen(str(m, "token")), TOKEN_LEN);
	if (token)
		snprintf(token, tlen, "%s", str(m, "token"));
	json_decref(m);
}

/* customer asks (en, general), the agent is rung; the call id goes to call */
static inline void request_and_ring(struct client *cust, struct client *agent, const char *name,
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

static inline void accept_call(struct client *cust, struct client *agent, const char *call,
			const char *agent_name)
{
	say(agent, "{\"type\":\"accept\",\"call\":\"%s\"}", call);
	json_t *a = expect(agent, "call_started");
	assert_string_equal(str(a, "call"), call);
	assert_string_equal(str(json_object_get(a, "peer"), "role"), "customer");
	json_decref(a);
	json_t *st = expect(agent, "status");
	assert_string_equal(str(st, "status"), "busy");
	assert_string_equal(str(st, "call"), call);
	json_decref(st);
	json_t *c = expect(cust, "call_started");
	assert_string_equal(str(json_object_get(c, "peer"), "role"), "agent");
	assert_string_equal(str(json_object_get(c, "peer"), "name"), agent_name);
	assert_false(json_is_true(json_object_get(c, "resumed")));
	json_decref(c);
}

/* the customer hangs up an active call; both hear it, the agent goes to wrap-up */
static inline void hang_up(struct client *cust, struct client *agent, const char *call)
{
	say(cust, "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	json_t *e = expect(cust, "call_ended");
	assert_string_equal(str(e, "reason"), "hangup");
	assert_true(json_is_true(json_object_get(e, "survey")));
	json_decref(e);
	expect_drop(agent, "call_ended");
	json_t *st = expect(agent, "status");
	assert_string_equal(str(st, "status"), "wrap_up");
	assert_string_equal(str(st, "call"), call);
	json_decref(st);
}

static inline void wrap_up(struct client *agent, const char *call, const char *outcome, const char *notes)
{
	say(agent, "{\"type\":\"wrap_up\",\"call\":\"%s\",\"outcome\":\"%s\",\"notes\":\"%s\",\"id\":\"w\"}",
	    call, outcome, notes);
	json_t *w = expect(agent, "wrapped_up");
	assert_string_equal(str(w, "re"), "w");
	json_decref(w);
	json_t *st = expect(agent, "status");
	assert_string_equal(str(st, "status"), "available");
	json_decref(st);
}

static inline unsigned queued_position(struct client *c)
{
	json_t *q = expect(c, "queued");
	unsigned pos = (unsigned)num(q, "position");
	json_decref(q);
	return pos;
}

static inline int64_t contact_of(const char *call)
{
	return strtoll(call + 1, NULL, 10);
}

#endif

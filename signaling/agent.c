/* agent: agents' sign-in (password through the auth worker, or an agent token), sign-out,
 * and the agent objects. Agents are store accounts with role "agent"; an agent object is made
 * at the first sign-in of its account in this run and lives until sig ends (keyed "a<id>" by
 * account id, so a username reused by a new account is another agent). */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define AGENT_MAX_LOGIN_FAILURES 5  /* per connection, then it is closed */

static void agent_destroy(void *data)
{
	struct agent *a = data;
	mem_deref(a->username);
}

static void agent_key(int64_t account_id, char *out, size_t outlen)
{
	snprintf(out, outlen, "a%lld", (long long)account_id);
}

struct agent *agent_by_account(struct sig *s, int64_t account_id)
{
	char key[32];
	agent_key(account_id, key, sizeof(key));
	return account_id > 0 ? table_find(s->agents, key) : NULL;
}

/* The agent object of an account, made on first use; its lists follow the account. */
static struct agent *agent_get(struct sig *s, const struct store_account *acc)
{
	struct agent *a = agent_by_account(s, acc->id);
	if (!a) {
		char key[32];
		agent_key(acc->id, key, sizeof(key));
		a = mem_alloc(sizeof(*a), agent_destroy);
		if (!a)
			return NULL;
		a->sig = s;
		a->account_id = acc->id;
		a->status = AGENT_AWAY;
		a->username = mem_strdup(acc->username);
		if (!a->username || table_add(s->agents, key, a)) {
			mem_deref(a);
			return NULL;
		}
	}
	a->interpreter = acc->role == STORE_ROLE_INTERPRETER;
	snprintf(a->languages, sizeof(a->languages), "%s", acc->languages ? acc->languages : "");
	snprintf(a->skills, sizeof(a->skills), "%s", acc->skills ? acc->skills : "");
	return a;
}

/* Whether a comma-separated list has item; an empty list has every item. */
bool agent_list_has(const char *list, const char *item)
{
	if (!list || !*list)
		return true;
	size_t n = strlen(item);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, item, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

static json_t *agent_list_json(const char *list)
{
	json_t *arr = json_array();
	for (const char *p = list; arr && *p;) {
		size_t len = strcspn(p, ",");
		if (len)
			json_array_append_new(arr, json_stringn(p, len));
		p += len;
		if (*p == ',')
			p++;
	}
	return arr;
}

static json_t *agent_logged_in_json(struct agent *a)
{
	struct sig *s = a->sig;
	char token[TOKEN_STR_MAX] = "";
	uint64_t expires = clock_wall_ms() + s->cfg.agent_token_ttl_ms;
	if (token_issue(&s->key, TOKEN_AGENT, a->account_id, expires, token, sizeof(token)))
		log_error("agent %s: no token could be issued", a->username);
	json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "type", "logged_in",
			      "username", a->username, "status", agent_status_name(a->status),
			      "token", token, "expires", (json_int_t)expires, "languages",
			      agent_list_json(a->languages), "skills", agent_list_json(a->skills));
	const char *call = a->call ? a->call->id : a->status == AGENT_WRAP_UP ? a->wrap.call : NULL;
	if (m && call)
		json_object_set_new(m, "call", json_string(call));
	return m;
}

/* The account checked out: this connection is the agent from now on. */
static void agent_signed_in(struct sig_conn *c, json_t *id, const struct store_account *acc)
{
	struct sig *s = c->sig;
	struct sess *se = c->sess;
	struct agent *a = agent_get(s, acc);
	if (!a) {
		sig_error_id(c, id, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	if (a->sess) {  /* signed in elsewhere: that connection ends, this one takes over */
		struct sess *old = a->sess;
		sess_release_conn(old);
		agent_detach(a);
		sess_destroy(old);
	}
	se->agent = a;
	a->sess = se;
	c->role = a->interpreter ? PROTO_ROLE_INTERP : PROTO_ROLE_AGENT;
	if (a->call && a->call->state == CALL_ACTIVE)
		agent_set_status(a, AGENT_BUSY, NULL);
	else if (a->status == AGENT_AWAY || a->status == AGENT_AVAILABLE)
		agent_set_status(a, AGENT_AVAILABLE, NULL);
	log_info("%s: %s %s signed in (session %s, %s)", c->peer, a->interpreter ? "interpreter" : "agent", a->username, se->id,
		 agent_status_name(a->status));
	json_t *m = agent_logged_in_json(a);
	if (m && id)
		json_object_set(m, "re", id);
	sig_send(c, m);
	if (a->call)
		call_party_back(a->call, CALL_AGENT);
	else if (a->status == AGENT_WRAP_UP)
		agent_tell_status(a, NULL, NULL);
	route_dispatch(s);
}

static void agent_login_failed(struct sig_conn *c, json_t *id, const char *why)
{
	c->login_failures++;
	log_warn("%s: failed sign-in (%u): %s", c->peer, c->login_failures, why);
	sig_error_id(c, id, PROTO_E_BAD_CREDENTIALS, NULL);
	if (c->login_failures >= AGENT_MAX_LOGIN_FAILURES)
		sig_kick(c, SIG_CLOSE_POLICY, "too many failed sign-ins");
}

void agent_login(struct sig_conn *c, const struct proto_msg *msg)
{
	if (c->login) {
		sig_error(c, msg, PROTO_E_BAD_STATE, "a sign-in is being checked");
		return;
	}
	int err = auth_submit(c->sig->auth, c, proto_str(msg, "username"), proto_str(msg, "password"));
	if (err) {
		sig_error(c, msg, PROTO_E_INTERNAL, err == EBUSY ? "too many sign-ins at once; try again" :
			  "out of memory");
		return;
	}
	json_decref(c->login_id);
	c->login_id = msg->id ? json_incref(msg->id) : NULL;
}

/* sig_poll(): the worker checked a password. */
void agent_login_done(const struct auth_result *r, void *arg)
{
	struct sig_conn *c = r->conn;
	(void)arg;
	if (!c)
		return;  /* the connection went meanwhile */
	json_t *id = c->login_id;
	c->login_id = NULL;
	if (!c->sess || c->role != PROTO_ROLE_AGENT_ANON)
		;  /* replaced or signed in another way meanwhile: nothing to say */
	else if (r->err == EACCES || r->err == EPERM)
		agent_login_failed(c, id, r->err == EPERM ? "account disabled" : "wrong username or password");
	else if (r->err)
		sig_error_id(c, id, PROTO_E_INTERNAL, "the password could not be checked");
	else if (r->account->role != (c->sess->interp ? STORE_ROLE_INTERPRETER : STORE_ROLE_AGENT))
		agent_login_failed(c, id, c->sess->interp ? "not an interpreter account" :
				   "not an agent account");
	else
		agent_signed_in(c, id, r->account);
	json_decref(id);
}

/* hello with an agent token: signed in at once, if the token and its account are good. */
void agent_token_login(struct sig_conn *c, const struct proto_msg *msg, const char *token)
{
	struct sig *s = c->sig;
	struct token_claims cl;
	enum token_status ts = token_verify(&s->key, token, TOKEN_AGENT, clock_wall_ms(), &cl);
	struct store_account *acc = NULL;
	if (ts != TOKEN_OK) {
		sig_error(c, msg, PROTO_E_BAD_TOKEN, "the token is %s: sign in", token_status_name(ts));
		return;
	}
	int err = store_account_get_id(s->store, cl.subject, &acc);
	enum store_role want = c->sess->interp ? STORE_ROLE_INTERPRETER : STORE_ROLE_AGENT;
	if (err || acc->role != want || acc->disabled)
		sig_error(c, msg, err && err != ENOENT ? PROTO_E_INTERNAL : PROTO_E_BAD_TOKEN,
			  err && err != ENOENT ? "the account could not be read" :
			  "the account of this token is gone or disabled: sign in");
	else
		agent_signed_in(c, msg->id, acc);
	mem_deref(acc);
}

/* The agent's session ends (disconnect or another sign-in). A call ringing here goes back to
 * the queue; an active call waits for the agent through the grace period; a wrap-up waits. */
void agent_detach(struct agent *a)
{
	struct sess *se = a->sess;
	if (!se)
		return;
	se->agent = NULL;
	a->sess = NULL;
	log_info("%s %s signed out", a->interpreter ? "interpreter" : "agent", a->username);
	if (a->interpreter)
		interp_gone(a);
	else if (a->call)
		call_party_left(a->call, CALL_AGENT, clock_ms());
	queue_notify(a->sig, false);  /* one agent fewer for waiting customers */
}

void agent_send(struct agent *a, json_t *msg)
{
	sess_send(a->sess, msg);
}

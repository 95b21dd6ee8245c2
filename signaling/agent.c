#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#define AGENT_MAX_LOGIN_FAILURES 5  /* per connection, then it is closed */

static const char *const agent_status_names[] = {
	[AGENT_AVAILABLE] = "available", [AGENT_AWAY] = "away",
};

const char *agent_status_name(enum agent_status st)
{
	return agent_status_names[st];
}

static void agent_destroy(void *data)
{
	struct agent *a = data;
	mem_deref(a->username);
}

/* An agent account. Until accounts are stored, the only one is the demo agent of the config. */
int agent_add(struct sig *s, const char *username)
{
	struct agent *a = mem_alloc(sizeof(*a), agent_destroy);
	if (!a)
		return ENOMEM;
	a->sig = s;
	a->status = AGENT_AWAY;
	a->username = mem_strdup(username);
	int err = a->username ? table_add(s->agents, a->username, a) : ENOMEM;
	if (err)
		mem_deref(a);
	return err;
}

/* Compare digests, not strings, so the time taken says nothing about either value. */
static bool agent_secret_eq(const char *given, const char *expected)
{
	unsigned char dg[SHA256_DIGEST_LENGTH], de[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)given, strlen(given), dg);
	SHA256((const unsigned char *)expected, strlen(expected), de);
	return CRYPTO_memcmp(dg, de, sizeof(dg)) == 0;
}

static struct agent *agent_check(struct sig *s, const char *user, const char *pass)
{
	bool user_ok = agent_secret_eq(user, s->cfg.agent_username);
	bool pass_ok = agent_secret_eq(pass, s->cfg.agent_password);
	if (!user_ok || !pass_ok || !*s->cfg.agent_password)
		return NULL;
	return table_find(s->agents, user);
}

static json_t *agent_status_json(const struct agent *a, const char *reason)
{
	json_t *m = json_pack("{s:s, s:s}", "type", "status", "status", agent_status_name(a->status));
	if (m && reason)
		json_object_set_new(m, "reason", json_string(reason));
	return m;
}

static void agent_login_failed(struct sig_conn *c, const struct proto_msg *msg)
{
	c->login_failures++;
	log_warn("%s: failed sign-in (%u)", c->peer, c->login_failures);
	sig_error(c, msg, PROTO_E_BAD_CREDENTIALS, NULL);
	if (c->login_failures >= AGENT_MAX_LOGIN_FAILURES)
		sig_kick(c, SIG_CLOSE_POLICY, "too many failed sign-ins");
}

void agent_login(struct sig_conn *c, const struct proto_msg *msg)
{
	struct agent *a = agent_check(c->sig, proto_str(msg, "username"), proto_str(msg, "password"));
	if (!a) {
		agent_login_failed(c, msg);
		return;
	}
	struct sess *se = c->sess;
	if (a->sess) {  /* signed in elsewhere: that connection ends, this one takes over */
		struct sess *old = a->sess;
		sess_release_conn(old);
		agent_detach(a);
		sess_destroy(old);
	}
	se->agent = a;
	a->sess = se;
	c->role = PROTO_ROLE_AGENT;
	a->status = AGENT_AVAILABLE;
	a->idle_since_ms = clock_ms();
	log_info("%s: agent %s signed in (session %s)", c->peer, a->username, se->id);
	json_t *m = json_pack("{s:s, s:s, s:s}", "type", "logged_in", "username", a->username,
			      "status", agent_status_name(a->status));
	if (m && a->call)
		json_object_set_new(m, "call", json_string(a->call->id));
	sig_reply(c, msg, m);
	if (a->call)
		call_party_back(a->call, CALL_AGENT);
	route_dispatch(c->sig);
}

void agent_set_status(struct agent *a, enum agent_status st, const char *reason)
{
	if (st == AGENT_AVAILABLE && a->status != AGENT_AVAILABLE)
		a->idle_since_ms = clock_ms();
	a->status = st;
	log_info("agent %s: %s%s%s", a->username, agent_status_name(st), reason ? " - " : "",
		 reason ? reason : "");
}

void agent_set_status_msg(struct sig_conn *c, const struct proto_msg *msg)
{
	struct agent *a = c->sess->agent;
	bool available = strcmp(proto_str(msg, "status"), "available") == 0;
	agent_set_status(a, available ? AGENT_AVAILABLE : AGENT_AWAY, NULL);
	sig_reply(c, msg, agent_status_json(a, NULL));
	route_dispatch(c->sig);
}

/* The agent's session ends (disconnect or another sign-in). A call ringing here goes back to
 * the queue; an active call waits for the agent through the grace period. */
void agent_detach(struct agent *a)
{
	struct sess *se = a->sess;
	if (!se)
		return;
	se->agent = NULL;
	a->sess = NULL;
	log_info("agent %s signed out", a->username);
	if (a->call)
		call_party_left(a->call, CALL_AGENT, clock_ms());
}

bool agent_eligible(const struct agent *a)
{
	return a->sess && a->sess->conn && a->status == AGENT_AVAILABLE && !a->call;
}

void agent_send(struct agent *a, json_t *msg)
{
	sess_send(a->sess, msg);
}

/* The agent did not answer a ring: away until they say otherwise (RONA). */
void agent_no_answer(struct agent *a)
{
	agent_set_status(a, AGENT_AWAY, "no_answer");
	agent_send(a, agent_status_json(a, "no_answer"));
}

#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static int sess_random(void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom((char *)buf + got, len - got, 0);
		if (n < 0 && errno != EINTR)
			return errno;
		if (n > 0)
			got += (size_t)n;
	}
	return 0;
}

/* base64url without padding (RFC 4648 §5): 32 bytes → 43 characters. */
static void sess_base64url(const unsigned char *in, size_t len, char *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*out++ = abc[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		*out++ = abc[(acc << (6 - bits)) & 63];
	*out = '\0';
}

int sess_create(struct sig *s, enum sess_kind kind, struct sess **sp)
{
	struct sess *se = mem_alloc(sizeof(*se), NULL);
	if (!se)
		return ENOMEM;
	se->sig = s;
	se->kind = kind;
	unsigned char rnd[8 + 32];
	int err = sess_random(rnd, sizeof(rnd));
	if (err)
		goto out;
	snprintf(se->id, sizeof(se->id), "s%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (kind == SESS_CUSTOMER)
		sess_base64url(rnd + 8, 32, se->token);
	err = table_add(s->sessions, se->id, se);
	if (err)
		goto out;
	if (se->token[0] && (err = table_add(s->tokens, se->token, se))) {
		table_remove(s->sessions, se->id);
		goto out;
	}
	*sp = se;
out:
	if (err)
		mem_deref(se);
	return err;
}

/* Remove se from the tables and drop the table's reference. The caller unlinked the call,
 * agent and connection first. */
void sess_destroy(struct sess *se)
{
	struct sig *s = se->sig;
	if (se->token[0])
		table_remove(s->tokens, se->token);
	mem_deref(table_remove(s->sessions, se->id));
}

void sess_send(struct sess *se, json_t *msg)
{
	if (se && se->conn)
		sig_send(se->conn, msg);
	else
		json_decref(msg);
}

/* The session goes on elsewhere: its connection is told, unlinked and closed. */
void sess_release_conn(struct sess *se)
{
	struct sig_conn *old = se->conn;
	if (!old)
		return;
	sig_error(old, NULL, PROTO_E_SESSION_REPLACED, NULL);
	old->sess = NULL;
	se->conn = NULL;
	sig_kick(old, SIG_CLOSE_REPLACED, "session replaced");
}

/* Bind a connection to se; a connection it had before is told and closed. */
static void sess_attach(struct sess *se, struct sig_conn *c)
{
	if (se->conn != c)
		sess_release_conn(se);
	se->conn = c;
	se->detached_ms = 0;
	c->sess = se;
}

/* The connection of se is gone. Agents' sessions end now (the agent account keeps any call
 * through its grace period); customers' sessions wait resume_ms for the same token. */
void sess_detach(struct sess *se, uint64_t now_ms)
{
	se->conn = NULL;
	if (se->kind == SESS_AGENT) {
		if (se->agent)
			agent_detach(se->agent);
		sess_destroy(se);
		return;
	}
	se->detached_ms = now_ms ? now_ms : 1;
	log_info("session %s detached%s", se->id, se->call ? ", call waits for it" : "");
	if (se->call)
		call_party_left(se->call, CALL_CUSTOMER, now_ms);
}

static struct sess *sess_resume(struct sig *s, const char *token)
{
	struct sess *se = token ? table_find(s->tokens, token) : NULL;
	return se && se->kind == SESS_CUSTOMER ? se : NULL;
}

static void sess_welcome(struct sig_conn *c, const struct proto_msg *msg, struct sess *se,
			 bool resumed)
{
	json_t *w = json_pack("{s:s, s:i, s:s, s:s, s:b}", "type", "welcome", "version",
			      PROTO_VERSION, "session", se->id, "role",
			      se->kind == SESS_CUSTOMER ? "customer" : "agent", "resumed", resumed);
	if (w && se->token[0])
		json_object_set_new(w, "token", json_string(se->token));
	if (w && se->call)
		json_object_set_new(w, "call", json_string(se->call->id));
	sig_reply(c, msg, w);
}

void sess_hello(struct sig_conn *c, const struct proto_msg *msg)
{
	struct sig *s = c->sig;
	if (proto_int(msg, "version") != PROTO_VERSION) {
		sig_error(c, msg, PROTO_E_UNSUPPORTED_VERSION, "this server speaks version %d",
			  PROTO_VERSION);
		return;
	}
	bool customer = strcmp(proto_str(msg, "role"), "customer") == 0;
	struct sess *se = customer ? sess_resume(s, proto_str(msg, "token")) : NULL;
	bool resumed = se != NULL;
	if (!se && sess_create(s, customer ? SESS_CUSTOMER : SESS_AGENT, &se)) {
		sig_error(c, msg, PROTO_E_INTERNAL, "could not create a session");
		return;
	}
	sess_attach(se, c);
	c->role = customer ? PROTO_ROLE_CUSTOMER : PROTO_ROLE_AGENT_ANON;
	log_info("%s: %s session %s%s", c->peer, customer ? "customer" : "agent", se->id,
		 resumed ? " resumed" : "");
	sess_welcome(c, msg, se, resumed);
	if (resumed && se->call)
		call_party_back(se->call, CALL_CUSTOMER);
}

/* Customer sessions detached for longer than resume_ms end (with their call, if any). */
void sess_tick(struct sig *s, uint64_t now_ms)
{
	struct sess *expired[32];
	size_t n = 0;
	struct table_iter it = {0};
	struct sess *se;
	while (n < sizeof(expired) / sizeof(expired[0]) && (se = table_next(s->sessions, &it, NULL))) {
		if (se->kind == SESS_CUSTOMER && !se->conn && se->detached_ms &&
		    now_ms >= se->detached_ms + s->cfg.resume_ms)
			expired[n++] = se;
	}
	for (size_t i = 0; i < n; i++) {
		se = expired[i];
		log_info("session %s expired", se->id);
		if (se->call)
			call_end(se->call, "disconnected", "customer");
		sess_destroy(se);
	}
}

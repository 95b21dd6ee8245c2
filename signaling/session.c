/* session: sessions, customer tokens, hello and resume.
 *
 * A customer session is named by a signed, expiring token (signaling/token.h): kind customer,
 * subject a random 63-bit number that is also the in-memory session id ("s" + 16 hex). The
 * store keeps the session (customer_sessions, found by the token's SHA-256) with its name and
 * chat, so a token brings its session back after a reload (from memory) and after a restart
 * or a long absence (from the store). The token grants that one session and nothing else. */
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

static void sess_id_of(uint64_t subject, char *out, size_t outlen)
{
	snprintf(out, outlen, "s%016llx", (unsigned long long)subject);
}

static int sess_add(struct sig *s, enum sess_kind kind, const char *id, struct sess **sp)
{
	struct sess *se = mem_alloc(sizeof(*se), NULL);
	if (!se)
		return ENOMEM;
	se->sig = s;
	se->kind = kind;
	snprintf(se->id, sizeof(se->id), "%s", id);
	int err = table_add(s->sessions, se->id, se);
	if (err)
		mem_deref(se);
	else
		*sp = se;
	return err;
}

/* A new session. Customers get a token and a store record. */
int sess_create(struct sig *s, enum sess_kind kind, struct sess **sp)
{
	uint64_t subject;
	char id[24];
	int err = sess_random(&subject, sizeof(subject));
	if (err)
		return err;
	subject = (subject >> 1) | 1;  /* positive, never 0 */
	sess_id_of(subject, id, sizeof(id));
	struct sess *se;
	if ((err = sess_add(s, kind, id, &se)))
		return err;
	if (kind == SESS_AGENT) {
		*sp = se;
		return 0;
	}
	uint64_t now = clock_wall_ms();
	err = token_issue(&s->key, TOKEN_CUSTOMER, (int64_t)subject,
			  now + s->cfg.customer_token_ttl_ms, se->token, sizeof(se->token));
	struct store_customer rec = {.created_ms = now, .last_seen_ms = now};
	token_digest(se->token, rec.token_hash);
	if (!err && (err = store_customer_create(s->store, &rec, &se->store_id)))
		log_error("cannot store a customer session: %s", store_errmsg(s->store));
	if (err)
		sess_destroy(se);
	else
		*sp = se;
	return err;
}

/* Remove se from the table and drop the table's reference. The caller unlinked the call,
 * agent and connection first. */
void sess_destroy(struct sess *se)
{
	mem_deref(table_remove(se->sig->sessions, se->id));
}

struct sess *sess_find(struct sig *s, const char *id)
{
	return id && *id ? table_find(s->sessions, id) : NULL;
}

void sess_set_name(struct sess *se, const char *name)
{
	if (!name || strcmp(se->name, name) == 0)
		return;
	snprintf(se->name, sizeof(se->name), "%s", name);
	struct store_customer upd = {.id = se->store_id, .name = se->name};
	if (store_customer_update(se->sig->store, &upd))
		log_warn("session %s: name not stored: %s", se->id, store_errmsg(se->sig->store));
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

/* The connection of se is gone. Agents' sessions end now (the agent keeps any call through
 * its grace period); customers' sessions stay in memory resume_ms for the same token. */
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

/* The session a customer token names: in memory, or back from the store; NULL for a token
 * that is expired, forged, of another kind, or of no stored session. *loaded: from the store. */
static struct sess *sess_resume(struct sig *s, const char *token, bool *loaded)
{
	struct token_claims cl;
	*loaded = false;
	if (!token || token_verify(&s->key, token, TOKEN_CUSTOMER, clock_wall_ms(), &cl) != TOKEN_OK)
		return NULL;
	char id[24];
	sess_id_of((uint64_t)cl.subject, id, sizeof(id));
	struct sess *se = sess_find(s, id);
	if (se)
		return se->kind == SESS_CUSTOMER && strcmp(se->token, token) == 0 ? se : NULL;
	uint8_t hash[TOKEN_DIGEST_LEN];
	token_digest(token, hash);
	struct store_customer *rec = NULL;
	if (store_customer_find(s->store, hash, &rec))
		return NULL;  /* unknown (or the store failed): a new session */
	int err = sess_add(s, SESS_CUSTOMER, id, &se);
	if (!err) {
		se->store_id = rec->id;
		snprintf(se->name, sizeof(se->name), "%s", rec->name);
		snprintf(se->token, sizeof(se->token), "%s", token);
		*loaded = true;
	}
	mem_deref(rec);
	return err ? NULL : se;
}

static void sess_welcome(struct sig_conn *c, const struct proto_msg *msg, struct sess *se,
			 bool resumed)
{
	struct sig *s = c->sig;
	bool customer = se->kind == SESS_CUSTOMER;
	json_t *w = json_pack("{s:s, s:i, s:s, s:s, s:b}", "type", "welcome", "version",
			      PROTO_VERSION, "session", se->id, "role",
			      customer ? "customer" : se->interp ? "interpreter" : "agent", "resumed",
			      resumed);
	if (w)  /* staff too: the names for an invite's language select and a ring's pair */
		json_object_set_new(w, "languages", catalog_json(&s->languages));
	if (w && customer) {
		json_object_set_new(w, "token", json_string(se->token));
		json_object_set_new(w, "name", json_string(se->name));
		json_object_set_new(w, "topics", catalog_json(&s->topics));
	}
	if (w && se->call)
		json_object_set_new(w, "call", json_string(se->call->id));
	char survey[PROTO_CALL_ID_MAX + 1];
	if (w && customer && resumed && !se->call && survey_pending(se, survey, sizeof(survey)))
		json_object_set_new(w, "survey_call", json_string(survey));
	sig_reply(c, msg, w);
}

static void sess_customer_hello(struct sig_conn *c, const struct proto_msg *msg)
{
	struct sig *s = c->sig;
	bool loaded;
	struct sess *se = sess_resume(s, proto_str(msg, "token"), &loaded);
	bool resumed = se != NULL;
	if (!se && sess_create(s, SESS_CUSTOMER, &se)) {
		sig_error(c, msg, PROTO_E_INTERNAL, "could not create a session");
		return;
	}
	sess_attach(se, c);
	c->role = PROTO_ROLE_CUSTOMER;
	log_info("%s: customer session %s%s", c->peer, se->id,
		 loaded ? " back from the store" : resumed ? " resumed" : "");
	if (loaded)
		restore_customer(se);  /* may queue it again: welcome names the call */
	sess_welcome(c, msg, se, resumed);
	if (!resumed)
		return;
	if (store_customer_touch(s->store, se->store_id, clock_wall_ms()))
		log_warn("session %s: last seen not stored: %s", se->id, store_errmsg(s->store));
	chat_send_history(se, NULL, NULL, se->store_id);
	if (se->call && loaded)
		route_dispatch(s);     /* rings an agent or tells the customer its place */
	else if (se->call)
		call_party_back(se->call, CALL_CUSTOMER);
	else
		restore_tell(se);
}

static void sess_agent_hello(struct sig_conn *c, const struct proto_msg *msg)
{
	struct sess *se;
	if (sess_create(c->sig, SESS_AGENT, &se)) {
		sig_error(c, msg, PROTO_E_INTERNAL, "could not create a session");
		return;
	}
	se->interp = strcmp(proto_str(msg, "role"), "interpreter") == 0;
	sess_attach(se, c);
	c->role = PROTO_ROLE_AGENT_ANON;
	log_info("%s: agent session %s", c->peer, se->id);
	sess_welcome(c, msg, se, false);
	const char *token = proto_str(msg, "token");
	if (token)
		agent_token_login(c, msg, token);
}

void sess_hello(struct sig_conn *c, const struct proto_msg *msg)
{
	if (proto_int(msg, "version") != PROTO_VERSION) {
		sig_error(c, msg, PROTO_E_UNSUPPORTED_VERSION, "this server speaks version %d",
			  PROTO_VERSION);
		return;
	}
	if (strcmp(proto_str(msg, "role"), "customer") == 0)
		sess_customer_hello(c, msg);
	else
		sess_agent_hello(c, msg);
}

/* Customer sessions detached for longer than resume_ms leave memory (with their call, if
 * any); their record stays, so the token still brings them back from the store. */
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
		log_info("session %s leaves memory", se->id);
		if (se->call)
			call_end(se->call, "disconnected", "customer");
		sess_destroy(se);
	}
}

/* chat: the customer's chat, agent replies, and transcripts.
 *
 * The chat belongs to the customer session (store: chat_messages by customer_sessions.id).
 * A message is stored first and only then acknowledged to its sender (the sender gets the
 * stored message back with "re") and delivered to the other party: the agent the customer's
 * call rings at or is with, or who wraps it up; the customer. */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static json_t *chat_message_json(const struct store_chat *m)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)m->id, "from",
			 store_party_name(m->sender_role), "name", m->sender_name ? m->sender_name : "",
			 "text", m->text, "time", (json_int_t)m->time_ms);
}

struct chat_collect {
	json_t *ring[SIG_HISTORY_MAX];  /* the newest SIG_HISTORY_MAX, circular */
	size_t n, next;
	int64_t before;
	bool more;
};

static int chat_collect_h(const struct store_chat *m, void *arg)
{
	struct chat_collect *cc = arg;
	if (cc->before && m->id >= cc->before)
		return -1;  /* the rest is newer than asked for */
	if (cc->n == SIG_HISTORY_MAX) {
		json_decref(cc->ring[cc->next]);
		cc->more = true;
	} else {
		cc->n++;
	}
	cc->ring[cc->next] = chat_message_json(m);
	cc->next = (cc->next + 1) % SIG_HISTORY_MAX;
	return 0;
}

/* The newest SIG_HISTORY_MAX messages of a session (with id < before when before > 0), oldest
 * first; *more when older ones exist. NULL when the store could not be read. */
json_t *chat_history_json(struct sig *s, int64_t customer_id, int64_t before, bool *more)
{
	struct chat_collect *cc = calloc(1, sizeof(*cc));
	if (!cc)
		return NULL;
	cc->before = before;
	int err = store_chat_list(s->store, customer_id, 0, 0, chat_collect_h, cc);
	json_t *arr = err && err != -1 ? NULL : json_array();
	if (!arr && err)
		log_error("chat of customer %lld not read: %s", (long long)customer_id,
			  store_errmsg(s->store));
	size_t first = cc->n == SIG_HISTORY_MAX ? cc->next : 0;
	for (size_t i = 0; i < cc->n; i++) {
		json_t *m = cc->ring[(first + i) % SIG_HISTORY_MAX];
		if (arr && m)
			json_array_append(arr, m);
		json_decref(m);
	}
	*more = cc->more;
	free(cc);
	return arr;
}

static json_t *chat_history_msg_json(struct sig *s, const char *call, int64_t customer_id,
				     int64_t before)
{
	bool more = false;
	json_t *arr = chat_history_json(s, customer_id, before, &more);
	if (!arr)
		return NULL;
	json_t *m = json_pack("{s:s, s:o, s:b}", "type", "chat_history", "messages", arr, "more", more);
	if (m && call)
		json_object_set_new(m, "call", json_string(call));
	return m;
}

/* After a resume: the customer (or the agent back in call `call`) gets the transcript. */
void chat_send_history(struct sess *to_customer, struct agent *to_agent, const char *call,
		       int64_t customer_id)
{
	struct sig *s = to_customer ? to_customer->sig : to_agent->sig;
	json_t *m = chat_history_msg_json(s, to_agent ? call : NULL, customer_id, 0);
	if (to_customer)
		sess_send(to_customer, m);
	else
		agent_send(to_agent, m);
}

/* The agent who reads a customer's chat now, and the call it belongs to; NULL if none. */
static struct agent *chat_agent_of(struct sess *se, const char **call)
{
	if (se->call && se->call->agent) {
		*call = se->call->id;
		return se->call->agent;
	}
	struct table_iter it = {0};
	struct agent *a;
	while ((a = table_next(se->sig->agents, &it, NULL))) {
		if (a->status == AGENT_WRAP_UP && a->wrap.customer_id == se->store_id) {
			*call = a->wrap.call;
			return a;
		}
	}
	return NULL;
}

/* The customer an agent may write to as `call`: its call ringing or active here, or the one
 * it wraps up. 0 and *customer_id (and *se when the session is in memory), or ENOENT. */
static int chat_customer_of(struct agent *a, const char *call, int64_t *customer_id,
			    struct sess **se)
{
	if (a->call && strcmp(a->call->id, call) == 0) {
		*customer_id = a->call->customer_id;
		*se = a->call->customer;
		return 0;
	}
	if (a->status == AGENT_WRAP_UP && strcmp(a->wrap.call, call) == 0) {
		*customer_id = a->wrap.customer_id;
		*se = sess_find(a->sig, a->wrap.sess_id);
		if (*se && (*se)->store_id != *customer_id)
			*se = NULL;
		return 0;
	}
	return ENOENT;
}

static bool chat_rate_ok(struct sess *se)
{
	uint64_t now = clock_ms();
	if (!se->chat_window_ms || now >= se->chat_window_ms + SIG_CHAT_WINDOW_MS) {
		se->chat_window_ms = now;
		se->chat_count = 0;
	}
	return ++se->chat_count <= SIG_CHAT_BURST;
}

/* Store the message; 0 and *out (the message as JSON), or the error was sent to c. */
static int chat_store(struct sig_conn *c, const struct proto_msg *msg, struct store_chat *m,
		      json_t **out)
{
	struct sig *s = c->sig;
	m->text = proto_str(msg, "text");
	m->time_ms = clock_wall_ms();
	if (store_chat_append(s->store, m, &m->id)) {
		log_error("%s: chat message not stored: %s", c->peer, store_errmsg(s->store));
		sig_error(c, msg, PROTO_E_NOT_STORED, "the message was not stored: %s",
			  store_errmsg(s->store));
		return EIO;
	}
	*out = chat_message_json(m);
	return *out ? 0 : ENOMEM;
}

static json_t *chat_wrap(json_t *message, const char *call)
{
	json_t *m = json_pack("{s:s, s:O}", "type", "chat", "message", message);
	if (m && call)
		json_object_set_new(m, "call", json_string(call));
	return m;
}

static void chat_from_customer(struct sig_conn *c, const struct proto_msg *msg)
{
	struct sess *se = c->sess;
	sess_set_name(se, proto_str(msg, "name"));
	struct store_chat m = {.session_id = se->store_id, .sender_role = STORE_PARTY_CUSTOMER,
			       .sender_name = se->name};
	json_t *stored;
	if (chat_store(c, msg, &m, &stored))
		return;
	sig_reply(c, msg, chat_wrap(stored, NULL));
	const char *call = NULL;
	struct agent *a = chat_agent_of(se, &call);
	if (a)
		agent_send(a, chat_wrap(stored, call));
	json_decref(stored);
}

static void chat_from_agent(struct sig_conn *c, const struct proto_msg *msg)
{
	struct agent *a = c->sess->agent;
	const char *call = proto_str(msg, "call");
	int64_t customer_id;
	struct sess *to;
	if (!call) {
		sig_error(c, msg, PROTO_E_MISSING_FIELD, "an agent's chat needs \"call\"");
		return;
	}
	if (chat_customer_of(a, call, &customer_id, &to)) {
		sig_error(c, msg, PROTO_E_UNKNOWN_CALL, "no call \"%s\" of yours", call);
		return;
	}
	struct store_chat m = {.session_id = customer_id, .sender_role = STORE_PARTY_AGENT,
			       .sender_name = a->username};
	json_t *stored;
	if (chat_store(c, msg, &m, &stored))
		return;
	sig_reply(c, msg, chat_wrap(stored, call));
	sess_send(to, chat_wrap(stored, NULL));
	json_decref(stored);
}

void chat_msg(struct sig_conn *c, const struct proto_msg *msg)
{
	if (!chat_rate_ok(c->sess)) {
		sig_error(c, msg, PROTO_E_RATE_LIMITED, "more than %d messages in %d s", SIG_CHAT_BURST,
			  SIG_CHAT_WINDOW_MS / 1000);
		return;
	}
	if (c->sess->kind == SESS_CUSTOMER)
		chat_from_customer(c, msg);
	else
		chat_from_agent(c, msg);
}

/* A customer naming a call: it must be one of its own contacts. */
static bool chat_own_call(struct sess *se, const char *call)
{
	char *end;
	if (call[0] != 'c')
		return false;
	long long id = strtoll(call + 1, &end, 10);
	struct store_contact *k = NULL;
	if (*end || id <= 0 || store_contact_get(se->sig->store, id, &k))
		return false;
	bool own = k->session_id == se->store_id;
	mem_deref(k);
	return own;
}

void chat_history_msg(struct sig_conn *c, const struct proto_msg *msg)
{
	struct sess *se = c->sess;
	const char *call = proto_str(msg, "call");
	int64_t customer_id = se->store_id;
	struct sess *to;
	bool ok = se->kind == SESS_CUSTOMER ? !call || chat_own_call(se, call) :
		  call && !chat_customer_of(se->agent, call, &customer_id, &to);
	if (!ok) {
		if (call)
			sig_error(c, msg, PROTO_E_UNKNOWN_CALL, "no call \"%s\" of yours", call);
		else
			sig_error(c, msg, PROTO_E_MISSING_FIELD, "an agent's chat_history needs \"call\"");
		return;
	}
	json_t *m = chat_history_msg_json(c->sig, se->kind == SESS_AGENT ? call : NULL, customer_id,
					  proto_int(msg, "before"));
	if (!m)
		sig_error(c, msg, PROTO_E_INTERNAL, "the chat could not be read");
	else
		sig_reply(c, msg, m);
}

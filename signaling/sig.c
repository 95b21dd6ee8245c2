#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "media/media.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sig_ping(struct sig_conn *c, const struct proto_msg *msg)
{
	sig_reply(c, msg, json_pack("{s:s}", "type", "pong"));
}

/* The dispatch table: one handler per client message (the specs live in protocol.c). */
static sig_handler_h *const sig_handlers[PROTO_MSG_COUNT] = {
	[PROTO_HELLO] = sess_hello,
	[PROTO_LOGIN] = agent_login,
	[PROTO_SET_STATUS] = agent_set_status_msg,
	[PROTO_CALL_REQUEST] = callmsg_request,
	[PROTO_ACCEPT] = callmsg_accept,
	[PROTO_DECLINE] = callmsg_decline,
	[PROTO_OFFER] = callmsg_offer,
	[PROTO_HANGUP] = callmsg_hangup,
	[PROTO_CHAT] = chat_msg,
	[PROTO_CHAT_HISTORY] = chat_history_msg,
	[PROTO_WRAP_UP] = wrapup_msg,
	[PROTO_SURVEY] = survey_msg,
	[PROTO_INVITE_INTERPRETER] = interp_invite_msg,
	[PROTO_REMOVE_INTERPRETER] = interp_remove_msg,
	[PROTO_SET_MODE] = interp_mode_msg,
	[PROTO_PING] = sig_ping,
};

static void sig_destroy(void *data)
{
	struct sig *s = data;
	struct call *c;
	struct sess *se;
	struct agent *a;
	s->stopping = true;
	s->auth = mem_deref(s->auth);  /* joins the worker: no answer arrives after this */
	/* Each step takes its object out of its table, so "the first one" moves on. */
	while (s->calls && (c = table_first(s->calls)))
		call_end(c, "shutdown", "server");  /* media included */
	while (s->sessions && (se = table_first(s->sessions))) {
		if (se->conn)
			se->conn->sess = NULL;
		if (se->agent)
			agent_detach(se->agent);
		sess_destroy(se);
	}
	struct table_iter it = {0};
	const char *key;
	while (s->agents && (a = table_next(s->agents, &it, &key))) {
		mem_deref(table_remove(s->agents, key));
		it = (struct table_iter){0};  /* the table changed: start again */
	}
	mem_deref(s->calls);
	mem_deref(s->sessions);
	mem_deref(s->agents);
	mem_deref(s->store);
	token_key_clear(&s->key);
	mem_deref(s->data_dir);
	mem_deref(s->languages_spec);
	mem_deref(s->topics_spec);
}

#define SIG_DEFAULT(field, value) do { if (!s->cfg.field) s->cfg.field = (value); } while (0)

static int sig_configure(struct sig *s, const struct sig_config *cfg)
{
	char err[160];
	s->cfg = *cfg;
	SIG_DEFAULT(resume_ms, SIG_RESUME_MS);
	SIG_DEFAULT(call_grace_ms, SIG_CALL_GRACE_MS);
	SIG_DEFAULT(ring_timeout_ms, SIG_RING_TIMEOUT_MS);
	SIG_DEFAULT(return_window_ms, SIG_RETURN_WINDOW_MS);
	SIG_DEFAULT(default_handle_ms, SIG_DEFAULT_HANDLE_MS);
	SIG_DEFAULT(customer_token_ttl_ms, SIG_CUSTOMER_TOKEN_TTL_MS);
	SIG_DEFAULT(agent_token_ttl_ms, SIG_AGENT_TOKEN_TTL_MS);
	s->data_dir = mem_strdup(cfg->data_dir ? cfg->data_dir : "");
	s->languages_spec = mem_strdup(cfg->languages ? cfg->languages : SIG_LANGUAGES);
	s->topics_spec = mem_strdup(cfg->topics ? cfg->topics : SIG_TOPICS);
	if (!s->data_dir || !s->languages_spec || !s->topics_spec)
		return ENOMEM;
	s->cfg.data_dir = s->data_dir;
	s->cfg.languages = s->languages_spec;
	s->cfg.topics = s->topics_spec;
	if (!*s->data_dir) {
		log_error("no data directory");
		return EINVAL;
	}
	if (catalog_parse(&s->languages, s->languages_spec, err, sizeof(err)) ||
	    catalog_parse(&s->topics, s->topics_spec, err, sizeof(err))) {
		log_error("languages/topics: %s", err);
		return EINVAL;
	}
	est_init(&s->est, s->cfg.default_handle_ms);
	return 0;
}

int sig_alloc(struct sig **sp, const struct sig_config *cfg, struct media *media,
	      const struct sig_transport *tp)
{
	for (size_t i = 0; i < PROTO_MSG_COUNT; i++) {
		if (!sig_handlers[i] || !proto_spec_get((enum proto_msg_id)i))
			return EINVAL;  /* a message without a handler or spec: a build mistake */
	}
	struct sig *s = mem_alloc(sizeof(*s), sig_destroy);
	if (!s)
		return ENOMEM;
	s->media = media;
	s->tp = *tp;
	s->started_wall_ms = clock_wall_ms();
	int err = sig_configure(s, cfg);
	if (err)
		goto out;
	if ((err = table_alloc(&s->sessions, 256)) || (err = table_alloc(&s->agents, 64)) ||
	    (err = table_alloc(&s->calls, 128)))
		goto out;
	if ((err = store_sqlite_open(&s->store, s->data_dir)) ||
	    (err = token_key_load(&s->key, s->data_dir)))
		goto out;
	restore_close_open(s);
	est_seed(s);
	err = auth_start(&s->auth, s->data_dir, s->cfg.wake, s->cfg.wake_arg);
	if (err)
		log_error("cannot start the password checker: %s", strerror(err));
out:
	if (err)
		mem_deref(s);
	else
		*sp = s;
	return err;
}

int sig_conn_open(struct sig *s, void *conn, const char *peer, struct sig_conn **scp)
{
	struct sig_conn *c = mem_alloc(sizeof(*c), NULL);
	if (!c)
		return ENOMEM;
	c->sig = s;
	c->tconn = conn;
	c->role = PROTO_ROLE_NONE;
	snprintf(c->peer, sizeof(c->peer), "%s", peer ? peer : "?");
	*scp = c;
	return 0;
}

void sig_conn_recv(struct sig_conn *c, const char *data, size_t len)
{
	if (c->closing)
		return;
	struct proto_msg msg;
	struct proto_error perr;
	if (proto_decode(data, len, c->role, &msg, &perr)) {
		log_debug("%s: %s: %s", c->peer, proto_code_name(perr.code), perr.message);
		sig_send(c, proto_error_json(perr.code, perr.message, perr.id));
		proto_error_clear(&perr);
		return;
	}
	log_debug("%s: %s", c->peer, msg.spec->type);
	sig_handlers[msg.spec->id](c, &msg);
	proto_msg_clear(&msg);
}

void sig_conn_closed(struct sig_conn *c)
{
	if (!c)
		return;
	auth_forget(c);
	json_decref(c->login_id);
	c->login_id = NULL;
	if (c->sess)
		sess_detach(c->sess, clock_ms());
	mem_deref(c);
}

void sig_send(struct sig_conn *c, json_t *msg)
{
	if (!msg) {
		log_error("out of memory building a message for %s", c->peer);
		return;
	}
	size_t len;
	char *text = c->closing ? NULL : proto_encode(msg, &len);
	if (text && c->sig->tp.send(c->tconn, text, len))
		log_warn("%s: could not queue a message", c->peer);
	free(text);
	json_decref(msg);
}

void sig_reply(struct sig_conn *c, const struct proto_msg *req, json_t *msg)
{
	if (msg && req && req->id)
		json_object_set(msg, "re", req->id);
	sig_send(c, msg);
}

void sig_error(struct sig_conn *c, const struct proto_msg *req, enum proto_code code,
	       const char *fmt, ...)
{
	char text[256] = "";
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	sig_send(c, proto_error_json(code, text, req ? req->id : NULL));
}

void sig_error_id(struct sig_conn *c, json_t *id, enum proto_code code, const char *fmt, ...)
{
	char text[256] = "";
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	sig_send(c, proto_error_json(code, text, id));
}

/* Ask the transport to close c; c stays allocated until the gateway reports it closed. */
void sig_kick(struct sig_conn *c, int code, const char *reason)
{
	if (c->closing)
		return;
	c->closing = true;
	c->sig->tp.close(c->tconn, code, reason);
}

void sig_media_event(const struct media_event *ev, void *arg)
{
	call_media_event(arg, ev);
}

void sig_poll(struct sig *s)
{
	auth_poll(s->auth, agent_login_done, s);
}

void sig_tick(struct sig *s, uint64_t now_ms)
{
	sig_poll(s);
	call_tick(s, now_ms);
	interp_tick(s, now_ms);
	sess_tick(s, now_ms);
	queue_notify(s, false);  /* waits change as time passes */
}

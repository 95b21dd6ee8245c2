/* sig: the call-centre brain behind /ws (sessions, chat, agents, queue, routing, calls,
 * wrap-up, survey, records). The one header gateway/ includes from signaling/ (with
 * user_cli.h). No libwebsockets here: the gateway gives a transport (send a text message,
 * close a connection) and feeds received messages in.
 *
 * Threads: everything here runs on one thread (the gateway's lws thread), including
 * sig_media_event(), which the gateway calls from media_poll() on that thread, and
 * sig_poll(). The one exception is inside: password checks (scrypt, ~0.1 s each) run on a
 * worker thread of sig's own with its own store connection; when one is done the worker calls
 * cfg.wake (from its thread) and the gateway then calls sig_poll() on the sig thread.
 *
 * Records: sig opens <data_dir>/rapport.db (signaling/store.h) and <data_dir>/secret.key
 * (signaling/token.h). At sig_alloc() every contact left open by an earlier run is closed
 * with outcome "interrupted".
 *
 * Ownership (docs/ownership.md, signalling part):
 * - struct sig owns its tables: sessions (by id), agents (by username), calls (by id). Each
 *   table holds the one mem reference of its values; everything else points weakly and the
 *   pointers are cleared when the object leaves its table.
 * - A struct sig_conn belongs to the gateway connection it was opened for: sig_conn_open()
 *   creates it, sig_conn_closed() frees it. It points weakly at its session and back.
 * - Calls hold only media ids; the media relay owns the media side. */
#ifndef SIGNALING_SIG_H
#define SIGNALING_SIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct media;
struct media_event;
struct sig;
struct sig_conn;

struct sig_transport {
	/* Queue one text message on connection conn (the gateway copies it). 0 or errno. */
	int (*send)(void *conn, const char *text, size_t len);
	/* Close conn once what is queued is written: WebSocket close code and reason. */
	void (*close)(void *conn, int code, const char *reason);
};

struct sig_config {
	const char *data_dir;          /* required: the store and the token key live here */
	const char *languages;         /* offered languages, "en:English,es:Español" (catalog) */
	const char *topics;            /* offered topics, "general:General question,..." */
	void (*wake)(void *arg);       /* any thread: call sig_poll() soon (may be NULL: poll) */
	void *wake_arg;
	uint32_t resume_ms;            /* a detached customer session stays in memory (600 s) */
	uint32_t call_grace_ms;        /* a call waits for a party that left (30 s) */
	uint32_t ring_timeout_ms;      /* a ring lapses (20 s) */
	uint32_t return_window_ms;     /* a returning customer waits for its last agent (60 s) */
	uint32_t default_handle_ms;    /* handle time assumed before any was measured (300 s) */
	uint64_t customer_token_ttl_ms;/* customer tokens expire (24 h) */
	uint64_t agent_token_ttl_ms;   /* agent tokens expire (12 h) */
};

#define SIG_RESUME_MS 600000u
#define SIG_CALL_GRACE_MS 30000u
#define SIG_RING_TIMEOUT_MS 20000u
#define SIG_RETURN_WINDOW_MS 60000u
#define SIG_DEFAULT_HANDLE_MS 300000u
#define SIG_CUSTOMER_TOKEN_TTL_MS (24ull * 3600 * 1000)
#define SIG_AGENT_TOKEN_TTL_MS (12ull * 3600 * 1000)
#define SIG_LANGUAGES "en:English"
#define SIG_TOPICS "general:General question"

/* WebSocket close codes sig asks for. */
#define SIG_CLOSE_REPLACED 4001        /* the session went on on another connection */
#define SIG_CLOSE_POLICY 1008          /* e.g. too many failed sign-ins */

int sig_alloc(struct sig **sp, const struct sig_config *cfg, struct media *media,
	      const struct sig_transport *tp);  /* mem object; mem_deref() ends every call */

/* A new WebSocket connection; peer names it in logs (e.g. "127.0.0.1:51234"). */
int sig_conn_open(struct sig *s, void *conn, const char *peer, struct sig_conn **scp);
/* One complete text message received on the connection. */
void sig_conn_recv(struct sig_conn *sc, const char *data, size_t len);
/* The connection is gone (whoever closed it); frees sc. */
void sig_conn_closed(struct sig_conn *sc);

/* A media relay event (matches media_event_h; arg is the struct sig). */
void sig_media_event(const struct media_event *ev, void *arg);

/* On the sig thread after cfg.wake was called: finishes the sign-ins whose password check is
 * done. Cheap when there is nothing to do. */
void sig_poll(struct sig *s);

/* Whether spec is a valid `languages`/`topics` list; 0 or EINVAL with the reason in err. */
int sig_catalog_check(const char *spec, char *err, size_t errlen);

/* Timers: call at least once a second with clock_ms(); runs ring timeouts, grace periods,
 * return-to-agent windows, session expiry due at or before now_ms, and live queue updates. */
void sig_tick(struct sig *s, uint64_t now_ms);

/* The admin view of calls (the gateway's /api/calls), on the signalling thread. The strings
 * point into sig's own objects: use them in the callback, do not keep them. */
#define SIG_VIEW_LEGS 4

struct sig_leg_view {
	const char *party;             /* "customer", "agent", "interpreter" */
	uint32_t leg_id;               /* the media relay's leg */
	bool present;                  /* the party's connection is up */
};

struct sig_call_view {
	const char *id;
	const char *state;             /* "queued", "ringing", "active" */
	const char *customer;          /* the name the customer gave */
	const char *language, *topic;  /* what the customer asked for (catalog codes) */
	const char *agent;             /* the agent's username; "" while queued */
	const char *interpreter;       /* the interpreter rung or in the call; "" if none */
	uint64_t age_ms;               /* since the customer first asked */
	bool has_media;
	uint32_t media_id;             /* the media relay's call, when has_media */
	size_t nlegs;                  /* legs the relay has now, at most SIG_VIEW_LEGS */
	struct sig_leg_view legs[SIG_VIEW_LEGS];
};

typedef void (sig_call_view_h)(const struct sig_call_view *v, void *arg);

/* h for every call, oldest first: 0 or ENOMEM. h must not change sig. now_wall_ms is
 * clock_wall_ms() (calls keep the wall-clock time of the first request). */
int sig_calls_view(struct sig *s, uint64_t now_wall_ms, sig_call_view_h *h, void *arg);
/* h for the call named id: 0, or ENOENT. */
int sig_call_view(struct sig *s, const char *id, uint64_t now_wall_ms, sig_call_view_h *h,
		  void *arg);

#endif

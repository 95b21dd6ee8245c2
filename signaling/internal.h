/* internal: what the files of signaling/ share. Not for gateway/ (it uses signaling/sig.h).
 *
 * One concept per file: sig.c (connections, dispatch table, sending, start and stop),
 * session.c (sessions, customer tokens, hello and resume), restore.c (what a restart left of a
 * customer's contact), agent.c (sign-in, agent tokens), status.c (agent status and its one
 * transition function), auth.c (password checks on a worker thread), catalog.c (languages and
 * topics offered), chat.c (chat messages and history), queue.c (the waiting calls, positions,
 * live updates), route.c (who gets rung), estimate.c (handle times and wait estimates),
 * call.c (call objects and their state machine), callmsg.c (the call messages), wrapup.c
 * (wrap-up and survey), record.c (contact records in the store), interp.c (interpreter
 * invites, rings, joining and leaving a call, modes), participants.c (who is on a call, and
 * which stream of a leg carries whom). */
#ifndef SIGNALING_INTERNAL_H
#define SIGNALING_INTERNAL_H
#include "signaling/protocol.h"
#include "signaling/sig.h"
#include "signaling/store.h"
#include "signaling/table.h"
#include "signaling/token.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define SIG_CATALOG_MAX 32
#define SIG_CODE_MAX 35               /* a language or topic code (a store language tag) */
#define SIG_LABEL_MAX 64
#define SIG_AHT_SAMPLES 50            /* handle times the average is taken over */
#define SIG_HISTORY_MAX 200           /* chat messages in one ring or chat_history */
#define SIG_EARLIER_MAX 5             /* earlier contacts in a ring */
#define SIG_CHAT_BURST 20             /* chat messages per session ... */
#define SIG_CHAT_WINDOW_MS 10000      /* ... in this window */

struct auth;
struct auth_req;
struct mqueue;

struct catalog_item {
	char code[SIG_CODE_MAX + 1];
	char name[SIG_LABEL_MAX + 1];
};

struct catalog {
	size_t n;
	struct catalog_item v[SIG_CATALOG_MAX];
};

/* handle times, for wait estimates (estimate.c) */
struct est {
	uint64_t samples[SIG_AHT_SAMPLES];   /* ms, a ring */
	size_t n, next;
	uint64_t sum;
	uint64_t default_ms;
};

struct sig {
	struct sig_config cfg;         /* strings point at the copies below */
	char *data_dir, *languages_spec, *topics_spec;
	struct catalog languages, topics;
	struct media *media;
	struct sig_transport tp;
	struct store *store;           /* this thread's connection; owns */
	struct token_key key;
	struct auth *auth;             /* password checks off this thread; owns */
	struct table *sessions;        /* id → struct sess; owns */
	struct table *agents;          /* username → struct agent; owns; never removed before the end */
	struct table *calls;           /* id → struct call; owns */
	struct call *queue_head, *queue_tail; /* waiting calls, oldest request first; no reference */
	struct est est;
	uint64_t started_wall_ms;
	bool stopping;                 /* sig_destroy runs: no new rings, no live updates */
};

struct sig_conn {
	struct sig *sig;
	void *tconn;                   /* the transport's handle */
	struct sess *sess;             /* weak; NULL before hello or once replaced */
	unsigned role;                 /* one enum proto_role bit */
	unsigned login_failures;
	struct auth_req *login;        /* weak: a sign-in being checked (auth.c clears it) */
	json_t *login_id;              /* the id of that login message (owned) */
	bool closing;                  /* sig asked the transport to close it */
	char peer[64];
};

enum sess_kind { SESS_CUSTOMER, SESS_AGENT };

struct sess {
	struct sig *sig;
	enum sess_kind kind;
	char id[24];
	char token[TOKEN_STR_MAX];     /* customers: the signed session token; agents: "" */
	int64_t store_id;              /* customers: customer_sessions.id */
	char name[PROTO_NAME_MAX + 1]; /* customers: the name last given */
	struct sig_conn *conn;         /* weak; NULL while detached */
	struct agent *agent;           /* agents, once signed in (weak) */
	struct call *call;             /* customers: the present call (weak) */
	uint64_t detached_ms;          /* when the connection went; 0 while attached */
	uint64_t chat_window_ms;       /* rate limit: start of the window ... */
	unsigned chat_count;           /* ... and messages in it */
	char interrupted[PROTO_CALL_ID_MAX + 1]; /* a call a restart cut: to tell after welcome */
	bool interp;                   /* staff: said hello as interpreter */
};

enum agent_status { AGENT_AVAILABLE, AGENT_AWAY, AGENT_BUSY, AGENT_WRAP_UP, AGENT_STATUS_COUNT };

/* The call an agent is wrapping up: the call object is gone, these name what is left. */
struct agent_wrap {
	char call[PROTO_CALL_ID_MAX + 1];
	int64_t contact_id;
	int64_t customer_id;           /* customer_sessions.id */
	char sess_id[24];              /* the customer's session, if it is still in memory */
	uint64_t answered_ms;          /* monotonic: handle time runs until Finish */
};

struct agent {
	struct sig *sig;
	char *username;
	int64_t account_id;
	bool interpreter;              /* an interpreter account (never rung for customers) */
	char languages[STORE_LIST_MAX + 1];  /* from the account at the last sign-in; "" = any */
	char skills[STORE_LIST_MAX + 1];
	enum agent_status status;
	struct sess *sess;             /* weak; NULL when not signed in */
	struct call *call;             /* weak; the call ringing or active at this agent (for an
					* interpreter: the call it is rung for or interprets in) */
	uint64_t idle_since_ms;        /* routing picks the agent idle longest */
	uint64_t busy_since_ms;        /* ring or answer of the present call (estimates) */
	unsigned lapses;               /* rings in a row that lapsed */
	struct agent_wrap wrap;        /* valid while AGENT_WRAP_UP */
};

enum call_state { CALL_QUEUED, CALL_RINGING, CALL_ACTIVE, CALL_ENDED, CALL_STATE_COUNT };
enum call_party { CALL_CUSTOMER, CALL_AGENT, CALL_INTERP, CALL_PARTIES };

struct call_side {
	uint32_t leg_id;
	bool has_leg;
	uint64_t gone_deadline_ms;     /* the party left: the call ends then; 0 = present */
};

/* An agent this call was offered to and did not take. */
struct call_try {
	struct agent *agent;           /* weak (agents live as long as struct sig) */
	bool declined;                 /* declined: never again; else lapsed: others first */
};

/* What the customer was last told by `queued`, so only changes are sent. */
struct call_told {
	bool any;
	unsigned position, agents;
	int64_t wait_s;                /* -1: null */
};

#define INTERP_TRIES_MAX 32

enum interp_state { INTERP_NONE, INTERP_RINGING, INTERP_JOINED };

/* The interpreter of a call (interp.c): invited, ringing one interpreter, or on the call. */
struct call_interp {
	enum interp_state state;
	struct agent *agent;           /* weak: the interpreter rung or on the call */
	char language[SIG_CODE_MAX + 1];          /* what the agent asked for */
	char pair[2 * SIG_CODE_MAX + 2];          /* "es,en": the language and the agent's */
	uint64_t ring_deadline_ms;     /* monotonic, while ringing */
	struct agent *tried[INTERP_TRIES_MAX];    /* rung for this invite (weak) */
	size_t ntried;
	enum store_interp_mode mode;
	int64_t record_id;             /* interpreter_legs.id while joined; 0 = not stored */
};

struct call {
	struct sig *sig;
	char id[PROTO_CALL_ID_MAX + 1];/* "c" + the contact id */
	enum call_state state;
	char name[PROTO_NAME_MAX + 1]; /* the customer's name as given */
	char language[SIG_CODE_MAX + 1], topic[SIG_CODE_MAX + 1];
	struct sess *customer;         /* weak */
	struct agent *agent;           /* weak; while ringing or active */
	int64_t contact_id, customer_id, offer_id;
	uint32_t media_id;
	bool has_media;
	struct call_side side[CALL_PARTIES];
	uint64_t order_ms;             /* wall clock of the first request: the queue order */
	int64_t order_id;              /* ties in order_ms: the first request's contact id */
	uint64_t ring_deadline_ms, answered_ms;  /* monotonic */
	struct agent *reserved;        /* a returning customer waits for this agent ... */
	uint64_t reserve_until_ms;     /* ... until then (monotonic) */
	struct call_told told;
	struct call_try *tries;        /* malloc'd */
	size_t ntries;
	struct call *qprev, *qnext;    /* queue links while CALL_QUEUED */
	bool in_queue;
	struct call_interp ip;
};

typedef void (sig_handler_h)(struct sig_conn *c, const struct proto_msg *msg);

/* sig.c: sending. Each takes over the reference of msg. */
void sig_send(struct sig_conn *c, json_t *msg);
void sig_reply(struct sig_conn *c, const struct proto_msg *req, json_t *msg);
void sig_error(struct sig_conn *c, const struct proto_msg *req, enum proto_code code,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void sig_error_id(struct sig_conn *c, json_t *id, enum proto_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void sig_kick(struct sig_conn *c, int code, const char *reason);
void sig_ping(struct sig_conn *c, const struct proto_msg *msg);

/* session.c */
void sess_hello(struct sig_conn *c, const struct proto_msg *msg);
int sess_create(struct sig *s, enum sess_kind kind, struct sess **sp);
void sess_destroy(struct sess *se);
void sess_detach(struct sess *se, uint64_t now_ms);
void sess_release_conn(struct sess *se);
void sess_send(struct sess *se, json_t *msg);
void sess_tick(struct sig *s, uint64_t now_ms);
struct sess *sess_find(struct sig *s, const char *id);
void sess_set_name(struct sess *se, const char *name);

/* restore.c */
void restore_close_open(struct sig *s);
void restore_customer(struct sess *se);
void restore_tell(struct sess *se);

/* auth.c */
struct auth_result {
	int err;                       /* 0, EACCES (unknown user or wrong password), EPERM, ... */
	struct store_account *account; /* on success (mem copy; borrowed by the handler) */
	struct sig_conn *conn;         /* the connection that asked (NULL: it went) */
};
typedef void (auth_done_h)(const struct auth_result *r, void *arg);
int auth_start(struct auth **ap, const char *data_dir, void (*wake)(void *), void *wake_arg);
int auth_submit(struct auth *a, struct sig_conn *c, const char *user, const char *pass);
void auth_forget(struct sig_conn *c);          /* the connection goes: drop its answer */
void auth_poll(struct auth *a, auth_done_h *h, void *arg);

/* agent.c */
void agent_login(struct sig_conn *c, const struct proto_msg *msg);
void agent_login_done(const struct auth_result *r, void *arg);
void agent_token_login(struct sig_conn *c, const struct proto_msg *msg, const char *token);
void agent_detach(struct agent *a);
void agent_send(struct agent *a, json_t *msg);
struct agent *agent_by_account(struct sig *s, int64_t account_id);
bool agent_list_has(const char *list, const char *item);  /* "" has every item */

/* status.c */
const char *agent_status_name(enum agent_status st);
int agent_set_status(struct agent *a, enum agent_status st, const char *reason);
void agent_tell_status(struct agent *a, const struct proto_msg *req, const char *reason);
void agent_set_status_msg(struct sig_conn *c, const struct proto_msg *msg);
void agent_no_answer(struct agent *a);
bool agent_eligible(const struct agent *a);
bool agent_counts(const struct agent *a);     /* signed in and not away: can take calls */

/* catalog.c */
int catalog_parse(struct catalog *cat, const char *spec, char *err, size_t errlen);
const struct catalog_item *catalog_find(const struct catalog *cat, const char *code);
json_t *catalog_json(const struct catalog *cat);

/* chat.c */
void chat_msg(struct sig_conn *c, const struct proto_msg *msg);
void chat_history_msg(struct sig_conn *c, const struct proto_msg *msg);
json_t *chat_history_json(struct sig *s, int64_t customer_id, int64_t before, bool *more);
void chat_send_history(struct sess *to_customer, struct agent *to_agent, const char *call,
		       int64_t customer_id);

/* queue.c */
void queue_add(struct call *c);
void queue_remove(struct call *c);
unsigned queue_position(const struct call *c);
void queue_notify(struct sig *s, bool force_all);
void queue_tell(struct call *c, bool force);

/* route.c */
bool route_match(const struct agent *a, const struct call *c);
void route_dispatch(struct sig *s);
void route_reserve(struct call *c);            /* a returning customer's previous agent */
void route_lapsed(struct call *c, struct agent *a, bool declined);

/* estimate.c */
void est_init(struct est *e, uint64_t default_ms);
void est_add(struct est *e, uint64_t handle_ms);
uint64_t est_aht_ms(const struct est *e);
void est_seed(struct sig *s);                  /* from the store's recent contacts */
/* the call's estimated wait in seconds (-1: no agent can take it), agents who can */
int64_t est_wait_s(struct sig *s, const struct call *c, uint64_t now_ms, unsigned *agents);

/* record.c: the contact record of a call in the store. Failures are logged. */
int record_contact_create(struct call *c, uint64_t queued_wall_ms);
void record_offer(struct call *c);
void record_offer_result(struct call *c, enum store_offer_result r);
void record_answered(struct call *c);
void record_ended(struct call *c, const char *outcome);

/* call.c */
int call_create(struct sig *s, struct sess *customer, const char *language, const char *topic,
		uint64_t order_ms, int64_t order_id, struct call **cp);
struct call *call_find(struct sig *s, const char *id);
void call_ring(struct call *c, struct agent *a, uint64_t now_ms);
void call_unring(struct call *c, const char *reason);
int call_start(struct call *c, char *err, size_t errlen);
void call_end(struct call *c, const char *reason, const char *by);
void call_party_left(struct call *c, enum call_party p, uint64_t now_ms);
void call_party_back(struct call *c, enum call_party p);
void call_tick(struct sig *s, uint64_t now_ms);
void call_media_event(struct sig *s, const struct media_event *ev);
void call_drop_leg(struct call *c, enum call_party p);
void call_send(struct call *c, enum call_party p, json_t *msg);
const char *call_state_name(enum call_state st);
json_t *call_started_json(const struct call *c, enum call_party p, bool resumed);
json_t *call_ring_json(struct call *c);

/* callmsg.c: the call messages of the dispatch table */
void callmsg_request(struct sig_conn *c, const struct proto_msg *msg);
void callmsg_accept(struct sig_conn *c, const struct proto_msg *msg);
void callmsg_decline(struct sig_conn *c, const struct proto_msg *msg);
void callmsg_offer(struct sig_conn *c, const struct proto_msg *msg);
void callmsg_hangup(struct sig_conn *c, const struct proto_msg *msg);

/* interp.c */
void interp_invite_msg(struct sig_conn *c, const struct proto_msg *msg);
void interp_remove_msg(struct sig_conn *c, const struct proto_msg *msg);
void interp_mode_msg(struct sig_conn *c, const struct proto_msg *msg);
void interp_accept(struct sig_conn *c, const struct proto_msg *msg);
void interp_decline(struct sig_conn *c, const struct proto_msg *msg);
void interp_leave(struct call *c, const char *reason, const char *by);
void interp_end(struct call *c, const char *reason, const char *by);  /* the call ends */
void interp_gone(struct agent *a);             /* the interpreter's session ended */
void interp_apply_mode(struct call *c);        /* after a leg came or changed */
void interp_tick(struct sig *s, uint64_t now_ms);
bool interp_eligible(const struct agent *a);

/* participants.c */
json_t *participants_json(struct call *c, enum call_party to);
json_t *participants_streams(struct call *c, enum call_party to);
/* to every party on the call; the one who asked (from) gets re = req's id (req may be NULL) */
void participants_tell(struct call *c, enum call_party from, const struct proto_msg *req);
void participants_tell_others(struct call *c, enum call_party from);
const char *call_party_name(enum call_party p);

/* wrapup.c */
void wrapup_msg(struct sig_conn *c, const struct proto_msg *msg);
void survey_msg(struct sig_conn *c, const struct proto_msg *msg);
void wrapup_begin(struct agent *a, const struct call *c);
bool survey_pending(struct sess *se, char *call, size_t len);

#endif

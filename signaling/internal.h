/* internal: what the files of signaling/ share. Not for gateway/ (it uses signaling/sig.h).
 *
 * One concept per file: sig.c (connections, dispatch table, sending), session.c (sessions,
 * tokens, hello and resume), agent.c (accounts, sign-in, status), route.c (the queue and who
 * gets rung), call.c (call objects and their state machine), callmsg.c (the call messages). */
#ifndef SIGNALING_INTERNAL_H
#define SIGNALING_INTERNAL_H
#include "signaling/protocol.h"
#include "signaling/sig.h"
#include "signaling/table.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct sig {
	struct sig_config cfg;         /* strings point at the copies below */
	char *agent_username, *agent_password;
	struct media *media;
	struct sig_transport tp;
	struct table *sessions;        /* id → struct sess; owns */
	struct table *tokens;          /* token → struct sess; index, no reference */
	struct table *agents;          /* username → struct agent; owns */
	struct table *calls;           /* id → struct call; owns */
	struct call *queue_head, *queue_tail; /* waiting calls, oldest first; no reference */
	uint32_t next_call;
	bool stopping;                 /* sig_destroy runs: no new rings */
};

struct sig_conn {
	struct sig *sig;
	void *tconn;                   /* the transport's handle */
	struct sess *sess;             /* weak; NULL before hello or once replaced */
	unsigned role;                 /* one enum proto_role bit */
	unsigned login_failures;
	bool closing;                  /* sig asked the transport to close it */
	char peer[64];
};

enum sess_kind { SESS_CUSTOMER, SESS_AGENT };

struct sess {
	struct sig *sig;
	enum sess_kind kind;
	char id[24];
	char token[48];                /* customers: 256 random bits, base64url; agents: "" */
	struct sig_conn *conn;         /* weak; NULL while detached */
	struct agent *agent;           /* agents, once signed in (weak) */
	struct call *call;             /* customers: the present call (weak) */
	uint64_t detached_ms;          /* when the connection went; 0 while attached */
};

enum agent_status { AGENT_AVAILABLE, AGENT_AWAY };

struct agent {
	struct sig *sig;
	char *username;
	enum agent_status status;
	struct sess *sess;             /* weak; NULL when not signed in */
	struct call *call;             /* weak; the call ringing or active at this agent */
	uint64_t idle_since_ms;        /* routing picks the agent idle longest */
};

enum call_state { CALL_QUEUED, CALL_RINGING, CALL_ACTIVE, CALL_ENDED, CALL_STATE_COUNT };
enum call_party { CALL_CUSTOMER, CALL_AGENT, CALL_PARTIES };

struct call_side {
	uint32_t leg_id;
	bool has_leg;
	uint64_t gone_deadline_ms;     /* the party left: the call ends then; 0 = present */
};

struct call {
	struct sig *sig;
	char id[PROTO_CALL_ID_MAX + 1];
	enum call_state state;
	char name[PROTO_NAME_MAX + 1]; /* the customer's name as given */
	struct sess *customer;         /* weak */
	struct agent *agent;           /* weak; while ringing or active */
	uint32_t media_id;
	bool has_media;
	struct call_side side[CALL_PARTIES];
	uint64_t queued_ms, ring_deadline_ms;
	unsigned position_sent;        /* last queue position told to the customer */
	struct agent **declined;       /* agents that declined this call (malloc'd array) */
	size_t ndeclined;
	struct call *qprev, *qnext;    /* queue links while CALL_QUEUED */
	bool in_queue;
};

typedef void (sig_handler_h)(struct sig_conn *c, const struct proto_msg *msg);

/* sig.c: sending. Each takes over the reference of msg. */
void sig_send(struct sig_conn *c, json_t *msg);
void sig_reply(struct sig_conn *c, const struct proto_msg *req, json_t *msg);
void sig_error(struct sig_conn *c, const struct proto_msg *req, enum proto_code code,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void sig_kick(struct sig_conn *c, int code, const char *reason);

/* session.c */
void sess_hello(struct sig_conn *c, const struct proto_msg *msg);
int sess_create(struct sig *s, enum sess_kind kind, struct sess **sp);
void sess_destroy(struct sess *se);
void sess_detach(struct sess *se, uint64_t now_ms);
void sess_release_conn(struct sess *se);
void sess_send(struct sess *se, json_t *msg);
void sess_tick(struct sig *s, uint64_t now_ms);

/* agent.c */
int agent_add(struct sig *s, const char *username);
void agent_login(struct sig_conn *c, const struct proto_msg *msg);
void agent_set_status_msg(struct sig_conn *c, const struct proto_msg *msg);
void agent_set_status(struct agent *a, enum agent_status st, const char *reason);
void agent_no_answer(struct agent *a);
void agent_detach(struct agent *a);
bool agent_eligible(const struct agent *a);
void agent_send(struct agent *a, json_t *msg);
const char *agent_status_name(enum agent_status st);

/* route.c */
void queue_add(struct call *c);
void queue_remove(struct call *c);
unsigned queue_position(const struct call *c);
void queue_tell(struct call *c, unsigned pos);
void route_dispatch(struct sig *s);

/* call.c */
int call_create(struct sig *s, struct sess *customer, const char *name, struct call **cp);
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

/* callmsg.c: the call messages of the dispatch table */
void callmsg_request(struct sig_conn *c, const struct proto_msg *msg);
void callmsg_accept(struct sig_conn *c, const struct proto_msg *msg);
void callmsg_decline(struct sig_conn *c, const struct proto_msg *msg);
void callmsg_offer(struct sig_conn *c, const struct proto_msg *msg);
void callmsg_hangup(struct sig_conn *c, const struct proto_msg *msg);

#endif

/* store: the one interface for durable records (docs/records.md).
 *
 * Records: staff accounts, customer sessions, chat messages, contacts (one per "See an agent"),
 * offers of a contact to agents, interpreter legs, and the audit log. SQLite is the default
 * backend (store_sqlite_open); PostgreSQL can implement struct store_ops later.
 *
 * Durability: a function that writes returns 0 only after its transaction has committed to
 * stable storage, so an acknowledged record survives kill -9 and power loss. Each write is its
 * own transaction and costs one fsync: call them from the signalling thread, not per packet.
 *
 * Threads: a store handle is one database connection with its prepared statements; use it
 * from one thread at a time. Several processes (rapportd, `rapportd user ...`) may open the
 * same data directory at once.
 *
 * Ownership: store_sqlite_open() returns a handle owned by the caller; mem_deref() closes it.
 * The *_get() functions return a mem_alloc'ed copy (strings inside the same block) that the
 * caller releases with mem_deref(). The *_list() functions call a handler once per record;
 * the record and its strings are valid only during that call. A handler returning non-zero
 * stops the listing, and the list function returns that value. A handler must not call the
 * store on the same handle (collect what it needs, act after the list returns).
 *
 * Errors are errno values, and store_errmsg() says what went wrong in words:
 *   EINVAL    a field is empty, badly formed (charset, enum, rating) or not valid UTF-8
 *   EMSGSIZE  a text is longer than its limit (STORE_*_MAX, in bytes)
 *   EEXIST    unique key taken (username, token hash)
 *   ENOENT    no such record, or a reference to a record that does not exist
 *   EACCES    store_account_verify(): unknown user or wrong password (not told apart)
 *   EPERM     store_account_verify(): right password, but the account is disabled
 *   EBUSY     the database stayed locked by another process past the busy timeout
 *   ENOTSUP   the database was written by a newer rapportd (schema version too high)
 *   EIO, ENOSPC, EROFS, ENOMEM  the database itself failed
 *
 * Times are wall-clock milliseconds since the Unix epoch (clock_wall_ms()), passed in by the
 * caller; 0 means "not yet / unset". Ids are positive; 0 means "none". */
#ifndef SIGNALING_STORE_H
#define SIGNALING_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* text limits in bytes (UTF-8), checked before anything is written */
#define STORE_USERNAME_MAX 64      /* [a-z0-9._-], at least 1 */
#define STORE_LIST_MAX 256         /* languages, skills: comma-separated items [A-Za-z0-9._-] */
#define STORE_NAME_MAX 128         /* customer or sender display name */
#define STORE_LANGUAGE_MAX 35      /* one language tag (BCP 47 length), same charset as items */
#define STORE_TOPIC_MAX 256
#define STORE_CHAT_MAX 4000
#define STORE_OUTCOME_MAX 32       /* a token [a-z0-9_], e.g. "resolved", "abandoned" */
#define STORE_NOTES_MAX 8000
#define STORE_COMMENT_MAX 2000     /* survey comment */
#define STORE_ACTOR_MAX 128
#define STORE_ACTION_MAX 64        /* a token [a-z0-9._-], e.g. "account.create" */
#define STORE_DETAIL_MAX 4000
#define STORE_TOKEN_HASH_LEN 32    /* SHA-256 of a session token (token_digest()) */
#define STORE_ERRMSG_MAX 256

enum store_role { STORE_ROLE_AGENT, STORE_ROLE_INTERPRETER, STORE_ROLE_SUPERVISOR,
		  STORE_ROLE_ADMIN, STORE_ROLE_COUNT };
enum store_party { STORE_PARTY_CUSTOMER, STORE_PARTY_AGENT, STORE_PARTY_INTERPRETER,
		   STORE_PARTY_SUPERVISOR, STORE_PARTY_SYSTEM, STORE_PARTY_COUNT };
enum store_offer_result { STORE_OFFER_PENDING, STORE_OFFER_ACCEPTED, STORE_OFFER_DECLINED,
			  STORE_OFFER_TIMEOUT, STORE_OFFER_RESULT_COUNT };
enum store_interp_mode { STORE_INTERP_CONSECUTIVE, STORE_INTERP_SIMULTANEOUS,
			 STORE_INTERP_MODE_COUNT };

struct store_account {
	int64_t id;
	const char *username;
	enum store_role role;
	const char *languages;     /* "en,es"; "" for none */
	const char *skills;        /* "billing,cards"; "" for none */
	uint64_t created_ms;
	bool disabled;             /* cannot log in; kept in lists */
};

struct store_customer {
	int64_t id;
	uint8_t token_hash[STORE_TOKEN_HASH_LEN];  /* never the raw token */
	const char *name, *language, *topic;       /* "" when not given */
	uint64_t created_ms, last_seen_ms;
};

struct store_chat {
	int64_t id, session_id;
	enum store_party sender_role;
	const char *sender_name;
	const char *text;          /* 1..STORE_CHAT_MAX bytes */
	uint64_t time_ms;
};

/* One customer request for an agent, from queueing to survey. As input to
 * store_contact_update(), zero/NULL fields are left as they are. */
struct store_contact {
	int64_t id, session_id;
	const char *topic, *language;
	uint64_t queued_ms, offered_ms, answered_ms, ended_ms;
	int64_t agent_id;
	const char *agent_username; /* read only: filled on reads when agent_id is set */
	const char *outcome, *notes;
	int survey_rating;          /* 1..5, 0 = none */
	const char *survey_comment;
};

struct store_offer {
	int64_t id, contact_id, agent_id;
	uint64_t offered_ms;
	enum store_offer_result result;
	uint64_t resolved_ms;
};

struct store_interp_leg {
	int64_t id, contact_id, interpreter_id;
	const char *languages;     /* the pair interpreted, e.g. "en,es" */
	uint64_t joined_ms, left_ms;
	const char *modes;         /* read only: JSON [{"at":ms,"mode":"consecutive"},...] */
	const char *interpreter_username; /* read only */
};

struct store_audit {
	int64_t id;
	uint64_t time_ms;
	const char *actor, *action, *detail;
};

typedef int (store_account_h)(const struct store_account *a, void *arg);
typedef int (store_customer_h)(const struct store_customer *c, void *arg);
typedef int (store_chat_h)(const struct store_chat *m, void *arg);
typedef int (store_contact_h)(const struct store_contact *c, void *arg);
typedef int (store_offer_h)(const struct store_offer *o, void *arg);
typedef int (store_interp_h)(const struct store_interp_leg *l, void *arg);
typedef int (store_audit_h)(const struct store_audit *e, void *arg);
/* account plus its password hash: only between a backend and store.c */
typedef int (store_auth_h)(const struct store_account *a, const char *pwhash, void *arg);

/* ---- for backends: what a database must implement (inputs are already validated) ---- */
struct store;
struct store_ops {
	const char *name;
	int (*account_create)(struct store *st, const struct store_account *a, const char *pwhash,
			      int64_t *idp);
	int (*account_get)(struct store *st, const char *username, int64_t id, store_auth_h *h,
			   void *arg);  /* by username when not NULL, else by id; only live ones */
	int (*account_list)(struct store *st, store_account_h *h, void *arg);
	int (*account_remove)(struct store *st, const char *username, uint64_t now_ms);
	int (*account_set_disabled)(struct store *st, const char *username, bool disabled);
	int (*customer_create)(struct store *st, const struct store_customer *c, int64_t *idp);
	int (*customer_find)(struct store *st, const uint8_t *token_hash, int64_t id,
			     store_customer_h *h, void *arg);  /* by hash when not NULL, else id */
	int (*customer_touch)(struct store *st, int64_t id, uint64_t now_ms);
	int (*customer_update)(struct store *st, const struct store_customer *c); /* NULL: keep */
	int (*chat_append)(struct store *st, const struct store_chat *m, int64_t *idp);
	int (*chat_list)(struct store *st, int64_t session_id, int64_t after_id, unsigned max,
			 store_chat_h *h, void *arg);
	int (*contact_create)(struct store *st, const struct store_contact *c, int64_t *idp);
	int (*contact_update)(struct store *st, const struct store_contact *c);
	int (*contact_get)(struct store *st, int64_t id, store_contact_h *h, void *arg);
	int (*contact_list)(struct store *st, int64_t session_id, int64_t before_id, unsigned max,
			    store_contact_h *h, void *arg);
	int (*contact_close_open)(struct store *st, uint64_t ended_ms, const char *outcome,
				  unsigned *countp);
	int (*contact_list_handled)(struct store *st, unsigned max, store_contact_h *h, void *arg);
	int (*offer_add)(struct store *st, const struct store_offer *o, int64_t *idp);
	int (*offer_result)(struct store *st, int64_t offer_id, enum store_offer_result r,
			    uint64_t at_ms);
	int (*offer_list)(struct store *st, int64_t contact_id, store_offer_h *h, void *arg);
	int (*interp_join)(struct store *st, const struct store_interp_leg *l,
			   enum store_interp_mode mode, int64_t *idp);
	int (*interp_mode)(struct store *st, int64_t leg_id, enum store_interp_mode mode,
			   uint64_t at_ms);
	int (*interp_leave)(struct store *st, int64_t leg_id, uint64_t at_ms);
	int (*interp_list)(struct store *st, int64_t contact_id, store_interp_h *h, void *arg);
	int (*audit_write)(struct store *st, const struct store_audit *e, int64_t *idp);
	int (*audit_list)(struct store *st, int64_t after_id, unsigned max, store_audit_h *h,
			  void *arg);
};

/* A backend's handle starts with this; it is mem_alloc'ed with the backend's destructor. */
struct store {
	const struct store_ops *ops;
	char errmsg[STORE_ERRMSG_MAX];
};
/* sets st->errmsg (printf-style) and returns err */
int store_fail(struct store *st, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- opening ---- */

/* Opens (creating if needed) <data_dir>/rapport.db, mode 0600, WAL, synchronous=FULL, a busy
 * timeout, foreign keys on, and brings the schema up to date. ENOENT when data_dir does not
 * exist. On failure *stp is NULL and the reason is logged. */
int store_sqlite_open(struct store **stp, const char *data_dir);
const char *store_errmsg(const struct store *st);  /* words for the last error */

/* ---- names and checks (shared by every backend, the CLI and the signalling layer) ---- */
const char *store_role_name(enum store_role role);          /* "agent", ... */
int store_role_parse(const char *name, enum store_role *role);  /* 0 or EINVAL */
const char *store_party_name(enum store_party party);
int store_party_parse(const char *name, enum store_party *party);
const char *store_offer_result_name(enum store_offer_result r);  /* "pending" for PENDING */
int store_offer_result_parse(const char *name, enum store_offer_result *r);
const char *store_interp_mode_name(enum store_interp_mode mode);
int store_interp_mode_parse(const char *name, enum store_interp_mode *mode);
/* 0, or EINVAL/EMSGSIZE with a message in buf */
int store_username_check(const char *username, char *buf, size_t bufsz);
int store_list_check(const char *what, const char *list, char *buf, size_t bufsz);

/* ---- accounts (staff: agents, interpreters, supervisors, admins) ---- */

/* Hashes password (password_hash(): takes ~0.1 s) and creates the account; created_ms and
 * disabled are taken from a. EEXIST when the username is taken. */
int store_account_create(struct store *st, const struct store_account *a, const char *password,
			 int64_t *idp);
int store_account_get(struct store *st, const char *username, struct store_account **ap);
int store_account_get_id(struct store *st, int64_t id, struct store_account **ap);
int store_account_list(struct store *st, store_account_h *h, void *arg);  /* by username */
/* Removes the account: it leaves lists and cannot log in, its username is free again, but its
 * row (and its password hash, blanked) stays so earlier contacts still name their agent. */
int store_account_remove(struct store *st, const char *username, uint64_t now_ms);
int store_account_set_disabled(struct store *st, const char *username, bool disabled);
/* Login check. 0 and *ap (may be NULL) when username and password match a live, enabled
 * account; EACCES for an unknown user or a wrong password, taking the same time for both;
 * EPERM when the account is disabled. Takes ~0.1 s (scrypt). */
int store_account_verify(struct store *st, const char *username, const char *password,
			 struct store_account **ap);

/* ---- customer sessions (anonymous visitors; found again by their token's hash) ---- */
int store_customer_create(struct store *st, const struct store_customer *c, int64_t *idp);
int store_customer_find(struct store *st, const uint8_t token_hash[STORE_TOKEN_HASH_LEN],
			struct store_customer **cp);
int store_customer_get(struct store *st, int64_t id, struct store_customer **cp);
int store_customer_touch(struct store *st, int64_t id, uint64_t now_ms);  /* last_seen */
/* sets the non-NULL name, language and topic of c on customer c->id */
int store_customer_update(struct store *st, const struct store_customer *c);

/* ---- chat transcripts ---- */
/* *idp is set, and 0 returned, only once the message is committed to disk. */
int store_chat_append(struct store *st, const struct store_chat *m, int64_t *idp);
/* messages of a session with id > after_id, oldest first, at most max (0 = no limit) */
int store_chat_list(struct store *st, int64_t session_id, int64_t after_id, unsigned max,
		    store_chat_h *h, void *arg);

/* ---- contacts ---- */
/* needs session_id and queued_ms; any other field given is stored too */
int store_contact_create(struct store *st, const struct store_contact *c, int64_t *idp);
/* sets the non-zero/non-NULL fields of c on contact c->id (session_id and queued_ms are fixed) */
int store_contact_update(struct store *st, const struct store_contact *c);
int store_contact_get(struct store *st, int64_t id, struct store_contact **cp);
/* "Earlier contacts": the session's contacts with id < before_id (0 = all), newest first, at
 * most max (0 = no limit). */
int store_contact_list_earlier(struct store *st, int64_t session_id, int64_t before_id,
			       unsigned max, store_contact_h *h, void *arg);
/* Start-up: every contact without ended_ms gets ended_ms and outcome (e.g. "interrupted"), in
 * one transaction; *countp (may be NULL) says how many. */
int store_contact_close_open(struct store *st, uint64_t ended_ms, const char *outcome,
			     unsigned *countp);
/* The most recent contacts that were answered and ended (not "interrupted"), newest first, at
 * most max (0 = no limit): what handle-time estimates start from. */
int store_contact_list_handled(struct store *st, unsigned max, store_contact_h *h, void *arg);

/* ---- offers of a contact to agents ---- */
/* Records an offer (result pending); also sets the contact's offered_ms if it has none yet. */
int store_offer_add(struct store *st, int64_t contact_id, int64_t agent_id, uint64_t offered_ms,
		    int64_t *idp);
/* Sets the result of a pending offer; EINVAL for PENDING, ENOENT when no such pending offer. */
int store_offer_result(struct store *st, int64_t offer_id, enum store_offer_result r,
		       uint64_t at_ms);
int store_offer_list(struct store *st, int64_t contact_id, store_offer_h *h, void *arg);

/* ---- interpreter legs ---- */
/* needs contact_id, interpreter_id, languages, joined_ms; records the starting mode */
int store_interp_join(struct store *st, const struct store_interp_leg *l,
		      enum store_interp_mode mode, int64_t *idp);
int store_interp_mode(struct store *st, int64_t leg_id, enum store_interp_mode mode,
		      uint64_t at_ms);  /* appends {"at":at_ms,"mode":...} to the leg's modes */
int store_interp_leave(struct store *st, int64_t leg_id, uint64_t at_ms);
int store_interp_list(struct store *st, int64_t contact_id, store_interp_h *h, void *arg);

/* ---- audit log ---- */
/* actor: who ("cli", "admin:ana"); action: a token ("account.create"); detail: free text */
int store_audit(struct store *st, uint64_t time_ms, const char *actor, const char *action,
		const char *detail);
/* entries with id > after_id, oldest first, at most max (0 = no limit) */
int store_audit_list(struct store *st, int64_t after_id, unsigned max, store_audit_h *h,
		     void *arg);

#endif

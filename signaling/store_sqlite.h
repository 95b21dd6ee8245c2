/* store_sqlite: internals shared by store_sqlite.c (connection, schema, statements) and
 * store_sqlite_ops.c (the record functions). Not for use outside the store. */
#ifndef SIGNALING_STORE_SQLITE_H
#define SIGNALING_STORE_SQLITE_H
#include "signaling/store.h"
#include "signaling/store_priv.h"

#include <sqlite3.h>

enum sq_id {
	SQ_BEGIN, SQ_COMMIT,
	SQ_ACC_INSERT, SQ_ACC_BY_NAME, SQ_ACC_BY_ID, SQ_ACC_LIST, SQ_ACC_REMOVE, SQ_ACC_DISABLE,
	SQ_CUST_INSERT, SQ_CUST_BY_HASH, SQ_CUST_BY_ID, SQ_CUST_TOUCH, SQ_CUST_UPDATE,
	SQ_CHAT_INSERT, SQ_CHAT_LIST,
	SQ_CONTACT_INSERT, SQ_CONTACT_UPDATE, SQ_CONTACT_BY_ID, SQ_CONTACT_LIST,
	SQ_CONTACT_CLOSE_OPEN, SQ_CONTACT_HANDLED,
	SQ_OFFER_INSERT, SQ_OFFER_FIRST, SQ_OFFER_RESULT, SQ_OFFER_LIST,
	SQ_LEG_INSERT, SQ_LEG_MODE, SQ_LEG_LEAVE, SQ_LEG_LIST,
	SQ_AUDIT_INSERT, SQ_AUDIT_LIST,
	SQ_COUNT
};

struct store_sqlite {
	struct store base;                 /* first: a struct store * is a struct store_sqlite * */
	sqlite3 *db;
	sqlite3_stmt *stmt[SQ_COUNT];      /* prepared once per connection */
	char path[];                       /* <data_dir>/rapport.db */
};
#define SQ(st) ((struct store_sqlite *)(st))

/* the caller's handler for the rows of one statement, and how many rows it saw */
struct sq_cb {
	union {
		store_account_h *account;
		store_auth_h *auth;
		store_customer_h *customer;
		store_chat_h *chat;
		store_contact_h *contact;
		store_offer_h *offer;
		store_interp_h *interp;
		store_audit_h *audit;
	} h;
	void *arg;
	unsigned rows;
};
typedef int (sq_row_h)(sqlite3_stmt *q, const struct sq_cb *cb);

extern const struct store_ops store_sqlite_ops;

/* SQLite result code -> errno, with the message in st->errmsg (and the log when it is the
 * database's fault rather than the caller's) */
int sq_fail(struct store_sqlite *s, int rc);
/* Steps q to the end (bind_rc: the first failure while binding, or SQLITE_OK), calling row
 * for each row, then resets q and clears its bindings. 0, the row handler's non-zero value,
 * or an errno from sq_fail(). */
int sq_run(struct store_sqlite *s, sqlite3_stmt *q, int bind_rc, sq_row_h *row,
	   struct sq_cb *cb);
int sq_simple(struct store_sqlite *s, enum sq_id id);   /* BEGIN, COMMIT */
int sq_changed(struct store_sqlite *s, int err);        /* ENOENT when nothing was changed */

#endif

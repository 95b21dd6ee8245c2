/* store_sqlite_ops: the record functions of the SQLite backend (struct store_ops). Inputs are
 * already checked by store.c; here they are bound to prepared statements (store_sqlite.c). */
#include "signaling/store_sqlite.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* ---- binding: each helper keeps the first failure in *rc and then does nothing ---- */

static void bind_text(sqlite3_stmt *q, int *rc, int i, const char *v)
{
	if (*rc == SQLITE_OK)
		*rc = v ? sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(q, i);
}

static void bind_int(sqlite3_stmt *q, int *rc, int i, int64_t v)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_int64(q, i, v);
}

static void bind_opt(sqlite3_stmt *q, int *rc, int i, int64_t v)   /* 0 -> NULL */
{
	if (*rc == SQLITE_OK)
		*rc = v ? sqlite3_bind_int64(q, i, v) : sqlite3_bind_null(q, i);
}

static void bind_blob(sqlite3_stmt *q, int *rc, int i, const uint8_t *v, int len)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_blob(q, i, v, len, SQLITE_STATIC);
}

static void bind_limit(sqlite3_stmt *q, int *rc, int i, unsigned max)  /* 0 -> no limit */
{
	bind_int(q, rc, i, max ? (int64_t)max : -1);
}

static int sq_insert(struct store_sqlite *s, sqlite3_stmt *q, int rc, int64_t *idp)
{
	/* autocommit: SQLITE_DONE means committed (and synced, synchronous=FULL) */
	int err = sq_run(s, q, rc, NULL, NULL);
	if (!err && idp)
		*idp = sqlite3_last_insert_rowid(s->db);
	return err;
}

static int sq_query(struct store_sqlite *s, sqlite3_stmt *q, int rc, sq_row_h *row,
		    struct sq_cb *cb, bool one)
{
	int err = sq_run(s, q, rc, row, cb);
	return !err && one && cb->rows == 0 ? ENOENT : err;
}

/* ---- reading columns ---- */

static const char *col_str(sqlite3_stmt *q, int i)
{
	const char *t = (const char *)sqlite3_column_text(q, i);
	return t ? t : "";
}

static const char *col_opt(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? NULL : col_str(q, i);
}

static int64_t col_int(sqlite3_stmt *q, int i)
{
	return sqlite3_column_int64(q, i);   /* NULL reads as 0 */
}

/* ---- accounts ---- */

static int account_fill(sqlite3_stmt *q, struct store_account *a)
{
	*a = (struct store_account){
		.id = col_int(q, 0), .username = col_str(q, 1), .languages = col_str(q, 3),
		.skills = col_str(q, 4), .created_ms = (uint64_t)col_int(q, 5),
		.disabled = col_int(q, 6) != 0,
	};
	return store_role_parse(col_str(q, 2), &a->role) ? EIO : 0;
}

static int account_row(sqlite3_stmt *q, const struct sq_cb *cb)
{
	struct store_account a;
	int err = account_fill(q, &a);
	return err ? err : cb->h.account(&a, cb->arg);
}

static int auth_row(sqlite3_stmt *q, const struct sq_cb *cb)
{
	struct store_account a;
	int err = account_fill(q, &a);
	return err ? err : cb->h.auth(&a, col_str(q, 7), cb->arg);
}

static int sq_account_create(struct store *st, const struct store_account *a, const char *pwhash,
			     int64_t *idp)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_ACC_INSERT];
	int rc = SQLITE_OK;
	bind_text(q, &rc, 1, a->username);
	bind_text(q, &rc, 2, store_role_name(a->role));
	bind_text(q, &rc, 3, pwhash);
	bind_text(q, &rc, 4, a->languages ? a->languages : "");
	bind_text(q, &rc, 5, a->skills ? a->skills : "");
	bind_int(q, &rc, 6, (int64_t)a->created_ms);
	bind_int(q, &rc, 7, a->disabled);
	return sq_insert(SQ(st), q, rc, idp);
}

static int sq_account_get(struct store *st, const char *username, int64_t id, store_auth_h *h,
			  void *arg)
{
	struct sq_cb cb = { .h.auth = h, .arg = arg };
	sqlite3_stmt *q = SQ(st)->stmt[username ? SQ_ACC_BY_NAME : SQ_ACC_BY_ID];
	int rc = SQLITE_OK;
	if (username)
		bind_text(q, &rc, 1, username);
	else
		bind_int(q, &rc, 1, id);
	return sq_query(SQ(st), q, rc, auth_row, &cb, true);
}

static int sq_account_list(struct store *st, store_account_h *h, void *arg)
{
	struct sq_cb cb = { .h.account = h, .arg = arg };
	return sq_query(SQ(st), SQ(st)->stmt[SQ_ACC_LIST], SQLITE_OK, account_row, &cb, false);
}

static int sq_account_remove(struct store *st, const char *username, uint64_t now_ms)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_ACC_REMOVE];
	int rc = SQLITE_OK;
	bind_text(q, &rc, 1, username);
	bind_int(q, &rc, 2, (int64_t)now_ms);
	return sq_changed(SQ(st), sq_run(SQ(st), q, rc, NULL, NULL));
}

static int sq_account_set_disabled(struct store *st, const char *username, bool disabled)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_ACC_DISABLE];
	int rc = SQLITE_OK;
	bind_text(q, &rc, 1, username);
	bind_int(q, &rc, 2, disabled);
	return sq_changed(SQ(st), sq_run(SQ(st), q, rc, NULL, NULL));
}

/* ---- customer sessions ---- */

static int customer_row(sqlite3_stmt *q, const struct sq_cb *cb)
{
	struct store_customer c = {
		.id = col_int(q, 0), .name = col_str(q, 2), .language = col_str(q, 3),
		.topic = col_str(q, 4), .created_ms = (uint64_t)col_int(q, 5),
		.last_seen_ms = (uint64_t)col_int(q, 6),
	};
	if (sqlite3_column_bytes(q, 1) != STORE_TOKEN_HASH_LEN)
		return EIO;
	memcpy(c.token_hash, sqlite3_column_blob(q, 1), STORE_TOKEN_HASH_LEN);
	return cb->h.customer(&c, cb->arg);
}

static int sq_customer_create(struct store *st, const struct store_customer *c, int64_t *idp)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CUST_INSERT];
	int rc = SQLITE_OK;
	bind_blob(q, &rc, 1, c->token_hash, STORE_TOKEN_HASH_LEN);
	bind_text(q, &rc, 2, c->name ? c->name : "");
	bind_text(q, &rc, 3, c->language ? c->language : "");
	bind_text(q, &rc, 4, c->topic ? c->topic : "");
	bind_int(q, &rc, 5, (int64_t)c->created_ms);
	bind_int(q, &rc, 6, (int64_t)(c->last_seen_ms ? c->last_seen_ms : c->created_ms));
	return sq_insert(SQ(st), q, rc, idp);
}

static int sq_customer_find(struct store *st, const uint8_t *token_hash, int64_t id,
			    store_customer_h *h, void *arg)
{
	struct sq_cb cb = { .h.customer = h, .arg = arg };
	sqlite3_stmt *q = SQ(st)->stmt[token_hash ? SQ_CUST_BY_HASH : SQ_CUST_BY_ID];
	int rc = SQLITE_OK;
	if (token_hash)
		bind_blob(q, &rc, 1, token_hash, STORE_TOKEN_HASH_LEN);
	else
		bind_int(q, &rc, 1, id);
	return sq_query(SQ(st), q, rc, customer_row, &cb, true);
}

static int sq_customer_touch(struct store *st, int64_t id, uint64_t now_ms)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CUST_TOUCH];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, id);
	bind_int(q, &rc, 2, (int64_t)now_ms);
	return sq_changed(SQ(st), sq_run(SQ(st), q, rc, NULL, NULL));
}

static int sq_customer_update(struct store *st, const struct store_customer *c)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CUST_UPDATE];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, c->id);
	bind_text(q, &rc, 2, c->name);
	bind_text(q, &rc, 3, c->language);
	bind_text(q, &rc, 4, c->topic);
	return sq_changed(SQ(st), sq_run(SQ(st), q, rc, NULL, NULL));
}

/* ---- chat ---- */

static int chat_row(sqlite3_stmt *q, const struct sq_cb *cb)
{
	struct store_chat m = {
		.id = col_int(q, 0), .session_id = col_int(q, 1), .sender_name = col_str(q, 3),
		.text = col_str(q, 4), .time_ms = (uint64_t)col_int(q, 5),
	};
	if (store_party_parse(col_str(q, 2), &m.sender_role))
		return EIO;
	return cb->h.chat(&m, cb->arg);
}

static int sq_chat_append(struct store *st, const struct store_chat *m, int64_t *idp)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CHAT_INSERT];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, m->session_id);
	bind_text(q, &rc, 2, store_party_name(m->sender_role));
	bind_text(q, &rc, 3, m->sender_name ? m->sender_name : "");
	bind_text(q, &rc, 4, m->text);
	bind_int(q, &rc, 5, (int64_t)m->time_ms);
	return sq_insert(SQ(st), q, rc, idp);
}

static int sq_chat_list(struct store *st, int64_t session_id, int64_t after_id, unsigned max,
			store_chat_h *h, void *arg)
{
	struct sq_cb cb = { .h.chat = h, .arg = arg };
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CHAT_LIST];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, session_id);
	bind_int(q, &rc, 2, after_id);
	bind_limit(q, &rc, 3, max);
	return sq_query(SQ(st), q, rc, chat_row, &cb, false);
}

/* ---- contacts ---- */

static int contact_row(sqlite3_stmt *q, const struct sq_cb *cb)
{
	struct store_contact c = {
		.id = col_int(q, 0), .session_id = col_int(q, 1), .topic = col_str(q, 2),
		.language = col_str(q, 3), .queued_ms = (uint64_t)col_int(q, 4),
		.offered_ms = (uint64_t)col_int(q, 5), .answered_ms = (uint64_t)col_int(q, 6),
		.ended_ms = (uint64_t)col_int(q, 7), .agent_id = col_int(q, 8),
		.agent_username = col_opt(q, 9), .outcome = col_opt(q, 10),
		.notes = col_opt(q, 11), .survey_rating = (int)col_int(q, 12),
		.survey_comment = col_opt(q, 13),
	};
	return cb->h.contact(&c, cb->arg);
}

/* INSERT and UPDATE share the parameter numbers ?1..?12 */
static int contact_bind(sqlite3_stmt *q, const struct store_contact *c, int64_t first)
{
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, first);
	bind_text(q, &rc, 2, c->topic);
	bind_text(q, &rc, 3, c->language);
	bind_int(q, &rc, 4, (int64_t)c->queued_ms);
	bind_opt(q, &rc, 5, (int64_t)c->offered_ms);
	bind_opt(q, &rc, 6, (int64_t)c->answered_ms);
	bind_opt(q, &rc, 7, (int64_t)c->ended_ms);
	bind_opt(q, &rc, 8, c->agent_id);
	bind_text(q, &rc, 9, c->outcome);
	bind_text(q, &rc, 10, c->notes);
	bind_opt(q, &rc, 11, c->survey_rating);
	bind_text(q, &rc, 12, c->survey_comment);
	return rc;
}

static int sq_contact_create(struct store *st, const struct store_contact *c, int64_t *idp)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CONTACT_INSERT];
	return sq_insert(SQ(st), q, contact_bind(q, c, c->session_id), idp);
}

static int sq_contact_update(struct store *st, const struct store_contact *c)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CONTACT_UPDATE];
	return sq_changed(SQ(st), sq_run(SQ(st), q, contact_bind(q, c, c->id), NULL, NULL));
}

static int sq_contact_get(struct store *st, int64_t id, store_contact_h *h, void *arg)
{
	struct sq_cb cb = { .h.contact = h, .arg = arg };
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CONTACT_BY_ID];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, id);
	return sq_query(SQ(st), q, rc, contact_row, &cb, true);
}

static int sq_contact_list(struct store *st, int64_t session_id, int64_t before_id, unsigned max,
			   store_contact_h *h, void *arg)
{
	struct sq_cb cb = { .h.contact = h, .arg = arg };
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CONTACT_LIST];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, session_id);
	bind_int(q, &rc, 2, before_id > 0 ? before_id : INT64_MAX);
	bind_limit(q, &rc, 3, max);
	return sq_query(SQ(st), q, rc, contact_row, &cb, false);
}

/* one UPDATE statement: atomic, committed when it returns (autocommit) */
static int sq_contact_close_open(struct store *st, uint64_t ended_ms, const char *outcome,
				 unsigned *countp)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CONTACT_CLOSE_OPEN];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, (int64_t)ended_ms);
	bind_text(q, &rc, 2, outcome);
	int err = sq_run(SQ(st), q, rc, NULL, NULL);
	if (!err && countp)
		*countp = (unsigned)sqlite3_changes(SQ(st)->db);
	return err;
}

static int sq_contact_list_handled(struct store *st, unsigned max, store_contact_h *h, void *arg)
{
	struct sq_cb cb = { .h.contact = h, .arg = arg };
	sqlite3_stmt *q = SQ(st)->stmt[SQ_CONTACT_HANDLED];
	int rc = SQLITE_OK;
	bind_limit(q, &rc, 1, max);
	return sq_query(SQ(st), q, rc, contact_row, &cb, false);
}

/* ---- offers ---- */

static int offer_row(sqlite3_stmt *q, const struct sq_cb *cb)
{
	struct store_offer o = {
		.id = col_int(q, 0), .contact_id = col_int(q, 1), .agent_id = col_int(q, 2),
		.offered_ms = (uint64_t)col_int(q, 3), .resolved_ms = (uint64_t)col_int(q, 5),
	};
	const char *r = col_opt(q, 4);
	if (r && store_offer_result_parse(r, &o.result))
		return EIO;
	return cb->h.offer(&o, cb->arg);
}

/* the offer and the contact's first offered_ms in one transaction */
static int sq_offer_add(struct store *st, const struct store_offer *o, int64_t *idp)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = s->stmt[SQ_OFFER_INSERT], *f = s->stmt[SQ_OFFER_FIRST];
	int rc = SQLITE_OK, err = sq_simple(s, SQ_BEGIN);
	if (err)
		return err;
	bind_int(q, &rc, 1, o->contact_id);
	bind_int(q, &rc, 2, o->agent_id);
	bind_int(q, &rc, 3, (int64_t)o->offered_ms);
	err = sq_insert(s, q, rc, idp);
	if (!err) {
		bind_int(f, &rc, 1, o->contact_id);
		bind_int(f, &rc, 2, (int64_t)o->offered_ms);
		err = sq_run(s, f, rc, NULL, NULL);
	}
	if (!err)
		err = sq_simple(s, SQ_COMMIT);
	if (err)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);  /* keeps err's message */
	return err;
}

static int sq_offer_result(struct store *st, int64_t offer_id, enum store_offer_result r,
			   uint64_t at_ms)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_OFFER_RESULT];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, offer_id);
	bind_text(q, &rc, 2, store_offer_result_name(r));
	bind_int(q, &rc, 3, (int64_t)at_ms);
	return sq_changed(SQ(st), sq_run(SQ(st), q, rc, NULL, NULL));
}

static int sq_offer_list(struct store *st, int64_t contact_id, store_offer_h *h, void *arg)
{
	struct sq_cb cb = { .h.offer = h, .arg = arg };
	sqlite3_stmt *q = SQ(st)->stmt[SQ_OFFER_LIST];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, contact_id);
	return sq_query(SQ(st), q, rc, offer_row, &cb, false);
}

/* ---- interpreter legs ---- */

static int interp_row(sqlite3_stmt *q, const struct sq_cb *cb)
{
	struct store_interp_leg l = {
		.id = col_int(q, 0), .contact_id = col_int(q, 1), .interpreter_id = col_int(q, 2),
		.languages = col_str(q, 3), .joined_ms = (uint64_t)col_int(q, 4),
		.left_ms = (uint64_t)col_int(q, 5), .modes = col_str(q, 6),
		.interpreter_username = col_str(q, 7),
	};
	return cb->h.interp(&l, cb->arg);
}

static int sq_interp_join(struct store *st, const struct store_interp_leg *l,
			  enum store_interp_mode mode, int64_t *idp)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_LEG_INSERT];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, l->contact_id);
	bind_int(q, &rc, 2, l->interpreter_id);
	bind_text(q, &rc, 3, l->languages);
	bind_int(q, &rc, 4, (int64_t)l->joined_ms);
	bind_text(q, &rc, 5, store_interp_mode_name(mode));
	return sq_insert(SQ(st), q, rc, idp);
}

static int sq_interp_mode(struct store *st, int64_t leg_id, enum store_interp_mode mode,
			  uint64_t at_ms)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_LEG_MODE];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, leg_id);
	bind_int(q, &rc, 2, (int64_t)at_ms);
	bind_text(q, &rc, 3, store_interp_mode_name(mode));
	return sq_changed(SQ(st), sq_run(SQ(st), q, rc, NULL, NULL));
}

static int sq_interp_leave(struct store *st, int64_t leg_id, uint64_t at_ms)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_LEG_LEAVE];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, leg_id);
	bind_int(q, &rc, 2, (int64_t)at_ms);
	return sq_changed(SQ(st), sq_run(SQ(st), q, rc, NULL, NULL));
}

static int sq_interp_list(struct store *st, int64_t contact_id, store_interp_h *h, void *arg)
{
	struct sq_cb cb = { .h.interp = h, .arg = arg };
	sqlite3_stmt *q = SQ(st)->stmt[SQ_LEG_LIST];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, contact_id);
	return sq_query(SQ(st), q, rc, interp_row, &cb, false);
}

/* ---- audit log ---- */

static int audit_row(sqlite3_stmt *q, const struct sq_cb *cb)
{
	struct store_audit e = {
		.id = col_int(q, 0), .time_ms = (uint64_t)col_int(q, 1), .actor = col_str(q, 2),
		.action = col_str(q, 3), .detail = col_str(q, 4),
	};
	return cb->h.audit(&e, cb->arg);
}

static int sq_audit_write(struct store *st, const struct store_audit *e, int64_t *idp)
{
	sqlite3_stmt *q = SQ(st)->stmt[SQ_AUDIT_INSERT];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, (int64_t)e->time_ms);
	bind_text(q, &rc, 2, e->actor);
	bind_text(q, &rc, 3, e->action);
	bind_text(q, &rc, 4, e->detail);
	return sq_insert(SQ(st), q, rc, idp);
}

static int sq_audit_list(struct store *st, int64_t after_id, unsigned max, store_audit_h *h,
			 void *arg)
{
	struct sq_cb cb = { .h.audit = h, .arg = arg };
	sqlite3_stmt *q = SQ(st)->stmt[SQ_AUDIT_LIST];
	int rc = SQLITE_OK;
	bind_int(q, &rc, 1, after_id);
	bind_limit(q, &rc, 2, max);
	return sq_query(SQ(st), q, rc, audit_row, &cb, false);
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.account_create = sq_account_create,
	.account_get = sq_account_get,
	.account_list = sq_account_list,
	.account_remove = sq_account_remove,
	.account_set_disabled = sq_account_set_disabled,
	.customer_create = sq_customer_create,
	.customer_find = sq_customer_find,
	.customer_touch = sq_customer_touch,
	.customer_update = sq_customer_update,
	.chat_append = sq_chat_append,
	.chat_list = sq_chat_list,
	.contact_create = sq_contact_create,
	.contact_update = sq_contact_update,
	.contact_get = sq_contact_get,
	.contact_list = sq_contact_list,
	.contact_close_open = sq_contact_close_open,
	.contact_list_handled = sq_contact_list_handled,
	.offer_add = sq_offer_add,
	.offer_result = sq_offer_result,
	.offer_list = sq_offer_list,
	.interp_join = sq_interp_join,
	.interp_mode = sq_interp_mode,
	.interp_leave = sq_interp_leave,
	.interp_list = sq_interp_list,
	.audit_write = sq_audit_write,
	.audit_list = sq_audit_list,
};

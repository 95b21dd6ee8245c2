/* store_contact: the public functions for contacts, offers, interpreter legs and the audit
 * log (checks, then st->ops; see store.c for accounts, customers and chat). */
#include "signaling/store.h"
#include "signaling/store_priv.h"
#include "base/mem.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#define STR_FIELD(type, field) offsetof(struct type, field)
static const size_t contact_strs[] = {
	STR_FIELD(store_contact, topic), STR_FIELD(store_contact, language),
	STR_FIELD(store_contact, agent_username), STR_FIELD(store_contact, outcome),
	STR_FIELD(store_contact, notes), STR_FIELD(store_contact, survey_comment),
};

/* ---- contacts ---- */

static int store_contact_check(struct store *st, const struct store_contact *c)
{
	int err = store_text_check(st, "topic", c->topic, STORE_TOPIC_MAX, false);
	if (!err)
		err = store_language_check(st, "contact language", c->language);
	if (!err && c->agent_id < 0)
		err = store_fail(st, EINVAL, "agent id is not valid");
	if (!err && c->outcome)
		err = store_word_check(st, "outcome", c->outcome, STORE_OUTCOME_MAX, "_");
	if (!err)
		err = store_text_check(st, "wrap-up notes", c->notes, STORE_NOTES_MAX, false);
	if (!err && (c->survey_rating < 0 || c->survey_rating > 5))
		err = store_fail(st, EINVAL, "survey rating must be 1 to 5");
	if (!err)
		err = store_text_check(st, "survey comment", c->survey_comment, STORE_COMMENT_MAX,
				       false);
	return err;
}

/* a reference to a missing record (ENOENT) in words */
static int store_contact_ref_fail(struct store *st, int err, const struct store_contact *c,
				  bool create)
{
	char what[64];
	if (err != ENOENT)
		return err;
	if (create)
		snprintf(what, sizeof(what), "no customer session %lld", (long long)c->session_id);
	else
		snprintf(what, sizeof(what), "no contact %lld", (long long)c->id);
	if (c->agent_id)
		return store_fail(st, err, "%s or no account %lld", what, (long long)c->agent_id);
	return store_fail(st, err, "%s", what);
}

int store_contact_create(struct store *st, const struct store_contact *c, int64_t *idp)
{
	int err = store_id_check(st, "session id", c->session_id);
	if (!err && !c->queued_ms)
		err = store_fail(st, EINVAL, "queued time is missing");
	if (!err)
		err = store_contact_check(st, c);
	if (err)
		return err;
	return store_contact_ref_fail(st, st->ops->contact_create(st, c, idp), c, true);
}

int store_contact_update(struct store *st, const struct store_contact *c)
{
	int err = store_id_check(st, "contact id", c->id);
	if (!err)
		err = store_contact_check(st, c);
	if (err)
		return err;
	return store_contact_ref_fail(st, st->ops->contact_update(st, c), c, false);
}

static int store_copy_contact(const struct store_contact *c, void *arg)
{
	return store_copy_h(c, arg);
}

int store_contact_get(struct store *st, int64_t id, struct store_contact **cp)
{
	struct store_copy c = STORE_COPY(store_contact, contact_strs);
	int err = store_id_check(st, "contact id", id);
	if (!err)
		err = st->ops->contact_get(st, id, store_copy_contact, &c);
	if (err == ENOENT)
		store_fail(st, err, "no contact %lld", (long long)id);
	*cp = err ? mem_deref(c.copy) : c.copy;
	return err;
}

int store_contact_list_earlier(struct store *st, int64_t session_id, int64_t before_id,
			       unsigned max, store_contact_h *h, void *arg)
{
	return st->ops->contact_list(st, session_id, before_id, max, h, arg);
}

int store_contact_close_open(struct store *st, uint64_t ended_ms, const char *outcome,
			     unsigned *countp)
{
	int err = ended_ms ? 0 : store_fail(st, EINVAL, "end time is missing");
	if (!err)
		err = store_word_check(st, "outcome", outcome, STORE_OUTCOME_MAX, "_");
	if (err)
		return err;
	return st->ops->contact_close_open(st, ended_ms, outcome, countp);
}

int store_contact_list_handled(struct store *st, unsigned max, store_contact_h *h, void *arg)
{
	return st->ops->contact_list_handled(st, max, h, arg);
}

/* ---- offers ---- */

int store_offer_add(struct store *st, int64_t contact_id, int64_t agent_id, uint64_t offered_ms,
		    int64_t *idp)
{
	struct store_offer o = { .contact_id = contact_id, .agent_id = agent_id,
				 .offered_ms = offered_ms };
	int err = store_id_check(st, "contact id", contact_id);
	if (!err)
		err = store_id_check(st, "agent id", agent_id);
	if (!err && !offered_ms)
		err = store_fail(st, EINVAL, "offer time is missing");
	if (err)
		return err;
	err = st->ops->offer_add(st, &o, idp);
	if (err == ENOENT)
		store_fail(st, err, "no contact %lld or no account %lld", (long long)contact_id,
			   (long long)agent_id);
	return err;
}

int store_offer_result(struct store *st, int64_t offer_id, enum store_offer_result r,
		       uint64_t at_ms)
{
	int err = store_id_check(st, "offer id", offer_id);
	if (!err && (r == STORE_OFFER_PENDING || (unsigned)r >= STORE_OFFER_RESULT_COUNT))
		err = store_fail(st, EINVAL, "offer result must be accepted, declined or timeout");
	if (err)
		return err;
	err = st->ops->offer_result(st, offer_id, r, at_ms);
	if (err == ENOENT)
		store_fail(st, err, "no pending offer %lld", (long long)offer_id);
	return err;
}

int store_offer_list(struct store *st, int64_t contact_id, store_offer_h *h, void *arg)
{
	return st->ops->offer_list(st, contact_id, h, arg);
}

/* ---- interpreter legs ---- */

int store_interp_join(struct store *st, const struct store_interp_leg *l,
		      enum store_interp_mode mode, int64_t *idp)
{
	int err = store_id_check(st, "contact id", l->contact_id);
	if (!err)
		err = store_id_check(st, "interpreter id", l->interpreter_id);
	if (!err && !l->joined_ms)
		err = store_fail(st, EINVAL, "join time is missing");
	if (!err && (!l->languages || !*l->languages))
		err = store_fail(st, EINVAL, "interpreted languages are missing");
	if (!err)
		err = store_list_check("interpreted languages", l->languages, st->errmsg,
				       sizeof(st->errmsg));
	if (!err && (unsigned)mode >= STORE_INTERP_MODE_COUNT)
		err = store_fail(st, EINVAL, "interpreter mode is not valid");
	if (err)
		return err;
	err = st->ops->interp_join(st, l, mode, idp);
	if (err == ENOENT)
		store_fail(st, err, "no contact %lld or no account %lld",
			   (long long)l->contact_id, (long long)l->interpreter_id);
	return err;
}

int store_interp_mode(struct store *st, int64_t leg_id, enum store_interp_mode mode,
		      uint64_t at_ms)
{
	int err = store_id_check(st, "interpreter leg id", leg_id);
	if (!err && (unsigned)mode >= STORE_INTERP_MODE_COUNT)
		err = store_fail(st, EINVAL, "interpreter mode is not valid");
	if (!err)
		err = st->ops->interp_mode(st, leg_id, mode, at_ms);
	if (err == ENOENT)
		store_fail(st, err, "no interpreter leg %lld", (long long)leg_id);
	return err;
}

int store_interp_leave(struct store *st, int64_t leg_id, uint64_t at_ms)
{
	int err = store_id_check(st, "interpreter leg id", leg_id);
	if (!err)
		err = st->ops->interp_leave(st, leg_id, at_ms);
	if (err == ENOENT)
		store_fail(st, err, "no interpreter leg %lld", (long long)leg_id);
	return err;
}

int store_interp_list(struct store *st, int64_t contact_id, store_interp_h *h, void *arg)
{
	return st->ops->interp_list(st, contact_id, h, arg);
}

/* ---- audit log ---- */

int store_audit(struct store *st, uint64_t time_ms, const char *actor, const char *action,
		const char *detail)
{
	struct store_audit e = { .time_ms = time_ms, .actor = actor, .action = action,
				 .detail = detail ? detail : "" };
	int64_t id;
	int err = store_text_check(st, "audit actor", actor, STORE_ACTOR_MAX, true);
	if (!err)
		err = store_word_check(st, "audit action", action, STORE_ACTION_MAX, "._-");
	if (!err)
		err = store_text_check(st, "audit detail", detail, STORE_DETAIL_MAX, false);
	if (err)
		return err;
	return st->ops->audit_write(st, &e, &id);
}

int store_audit_list(struct store *st, int64_t after_id, unsigned max, store_audit_h *h,
		     void *arg)
{
	return st->ops->audit_list(st, after_id, max, h, arg);
}

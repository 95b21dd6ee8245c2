/* record: a call's contact record in the store (docs/records.md), written as the call moves:
 * created when queued, an offer per ring with its result, answered (time and agent), ended
 * (time and the system's outcome). Wrap-up and survey are in wrapup.c. Each write is committed
 * before the call moves on, so what the parties were told is on disk first. A failed write is
 * logged and the call goes on: the live call matters more than its record. */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"

int record_contact_create(struct call *c, uint64_t queued_wall_ms)
{
	struct store *st = c->sig->store;
	struct store_contact k = {
		.session_id = c->customer_id, .topic = c->topic, .language = c->language,
		.queued_ms = queued_wall_ms,
	};
	int err = store_contact_create(st, &k, &c->contact_id);
	if (err)
		log_error("contact not stored: %s", store_errmsg(st));
	return err;
}

void record_offer(struct call *c)
{
	struct store *st = c->sig->store;
	c->offer_id = 0;
	if (store_offer_add(st, c->contact_id, c->agent->account_id, clock_wall_ms(), &c->offer_id))
		log_error("call %s: offer not stored: %s", c->id, store_errmsg(st));
}

void record_offer_result(struct call *c, enum store_offer_result r)
{
	struct store *st = c->sig->store;
	if (c->offer_id && store_offer_result(st, c->offer_id, r, clock_wall_ms()))
		log_error("call %s: offer result not stored: %s", c->id, store_errmsg(st));
	c->offer_id = 0;
}

void record_answered(struct call *c)
{
	struct store *st = c->sig->store;
	struct store_contact k = {
		.id = c->contact_id, .answered_ms = clock_wall_ms(), .agent_id = c->agent->account_id,
	};
	if (store_contact_update(st, &k))
		log_error("call %s: answer not stored: %s", c->id, store_errmsg(st));
}

void record_ended(struct call *c, const char *outcome)
{
	struct store *st = c->sig->store;
	struct store_contact k = {.id = c->contact_id, .ended_ms = clock_wall_ms(), .outcome = outcome};
	if (store_contact_update(st, &k))
		log_error("call %s: end not stored: %s", c->id, store_errmsg(st));
}

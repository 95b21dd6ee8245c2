/* ring: what an agent sees when a call rings: who (name), for what (language, topic), what
 * the customer has written so far (the chat) and what happened before (earlier contacts,
 * newest first, with agent, interpreters, outcome, notes and survey), and how long it will
 * ring. */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/log.h"

#include <stdio.h>

static void ring_set_time(json_t *o, const char *key, uint64_t ms)
{
	if (ms)
		json_object_set_new(o, key, json_integer((json_int_t)ms));
}

static void ring_set_str(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

/* the earlier contacts as listed, and their ids (to add their interpreters once the list is
 * read: one statement at a time) */
struct ring_earlier {
	json_t *arr;
	int64_t ids[SIG_EARLIER_MAX];
	size_t n;
};

static int ring_earlier_h(const struct store_contact *k, void *arg)
{
	struct ring_earlier *e = arg;
	json_t *arr = e->arr;
	if (e->n >= SIG_EARLIER_MAX)
		return 0;
	char call[PROTO_CALL_ID_MAX + 1];
	snprintf(call, sizeof(call), "c%lld", (long long)k->id);
	json_t *o = json_pack("{s:s}", "call", call);
	if (!o)
		return 0;
	ring_set_time(o, "queued", k->queued_ms);
	ring_set_time(o, "answered", k->answered_ms);
	ring_set_time(o, "ended", k->ended_ms);
	ring_set_str(o, "agent", k->agent_username);
	ring_set_str(o, "outcome", k->outcome);
	ring_set_str(o, "notes", k->notes);
	if (k->survey_rating)
		json_object_set_new(o, "rating", json_integer(k->survey_rating));
	ring_set_str(o, "comment", k->survey_comment);
	json_array_append_new(arr, o);
	e->ids[e->n++] = k->id;
	return 0;
}

/* {"name":"ines","languages":"es,en"} for each interpreter leg of the contact */
static int ring_interp_h(const struct store_interp_leg *l, void *arg)
{
	json_t *list = arg;
	json_t *o = json_pack("{s:s, s:s}", "name", l->interpreter_username ?
			      l->interpreter_username : "an interpreter", "languages",
			      l->languages ? l->languages : "");
	if (o)
		json_array_append_new(list, o);
	return 0;
}

/* each earlier contact that had an interpreter gets "interpreters" */
static void ring_earlier_interp(struct call *c, struct ring_earlier *e)
{
	struct store *st = c->sig->store;
	for (size_t i = 0; i < e->n; i++) {
		json_t *list = json_array();
		if (list && store_interp_list(st, e->ids[i], ring_interp_h, list))
			log_warn("call %s: interpreters of contact %lld not read: %s", c->id,
				 (long long)e->ids[i], store_errmsg(st));
		if (json_array_size(list))
			json_object_set(json_array_get(e->arr, i), "interpreters", list);
		json_decref(list);
	}
}

static json_t *ring_earlier(struct call *c)
{
	struct store *st = c->sig->store;
	struct ring_earlier e = {.arr = json_array()};
	if (!e.arr)
		return NULL;
	if (store_contact_list_earlier(st, c->customer_id, c->contact_id, SIG_EARLIER_MAX,
				       ring_earlier_h, &e))
		log_warn("call %s: earlier contacts not read: %s", c->id, store_errmsg(st));
	ring_earlier_interp(c, &e);
	return e.arr;
}

json_t *call_ring_json(struct call *c)
{
	struct sig *s = c->sig;
	const struct catalog_item *lang = catalog_find(&s->languages, c->language);
	const struct catalog_item *topic = catalog_find(&s->topics, c->topic);
	bool more;
	json_t *chat = chat_history_json(s, c->customer_id, 0, &more);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:I}", "type", "ring",
			 "call", c->id, "name", c->name, "language", c->language, "topic",
			 c->topic, "language_name", lang ? lang->name : c->language, "topic_name",
			 topic ? topic->name : c->topic, "chat", chat ? chat : json_array(),
			 "earlier", ring_earlier(c), "returning", c->agent && c->reserved == c->agent,
			 "timeout_s", (json_int_t)(s->cfg.ring_timeout_ms / 1000));
}

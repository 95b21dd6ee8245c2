/* ring: what an agent sees when a call rings: who (name), for what (language, topic), what
 * the customer has written so far (the chat) and what happened before (earlier contacts,
 * newest first, with agent, outcome, notes and survey), and how long it will ring. */
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

static int ring_earlier_h(const struct store_contact *k, void *arg)
{
	json_t *arr = arg;
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
	return 0;
}

static json_t *ring_earlier(struct call *c)
{
	struct store *st = c->sig->store;
	json_t *arr = json_array();
	if (arr && store_contact_list_earlier(st, c->customer_id, c->contact_id, SIG_EARLIER_MAX,
					      ring_earlier_h, arr))
		log_warn("call %s: earlier contacts not read: %s", c->id, store_errmsg(st));
	return arr;
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

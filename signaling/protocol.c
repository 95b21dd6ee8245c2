#include "signaling/protocol.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define REQ true
#define OPT false
#define R_CUST PROTO_ROLE_CUSTOMER
#define R_AGENT PROTO_ROLE_AGENT
#define R_INTERP PROTO_ROLE_INTERP
#define CALL_FIELD {"call", PROTO_J_STRING, REQ, 1, PROTO_CALL_ID_MAX, true, NULL}

static const char *const proto_hello_roles[] = {"customer", "agent", "interpreter", NULL};
static const char *const proto_statuses[] = {"available", "away", NULL};
static const char *const proto_modes[] = {"consecutive", "simultaneous", NULL};
/* what an agent may choose as a wrap-up outcome (the system's own: docs/records.md) */
static const char *const proto_outcomes[] = {"resolved", "follow_up", "not_resolved", "escalated",
					     "other", NULL};

/* The whole client vocabulary. Order follows enum proto_msg_id (checked in proto_spec_get). */
static const struct proto_spec proto_specs[PROTO_MSG_COUNT] = {
	{PROTO_HELLO, "hello", PROTO_ROLE_NONE, {
		{"version", PROTO_J_INTEGER, REQ, 0, 0, false, NULL},
		{"role", PROTO_J_STRING, REQ, 0, 0, false, proto_hello_roles},
		{"token", PROTO_J_STRING, OPT, 1, PROTO_TOKEN_MAX, true, NULL}}},
	{PROTO_LOGIN, "login", PROTO_ROLE_AGENT_ANON, {
		{"username", PROTO_J_STRING, REQ, 1, PROTO_CRED_MAX, true, NULL},
		{"password", PROTO_J_STRING, REQ, 0, PROTO_CRED_MAX, false, NULL}}},
	{PROTO_SET_STATUS, "set_status", R_AGENT | R_INTERP, {
		{"status", PROTO_J_STRING, REQ, 0, 0, false, proto_statuses}}},
	{PROTO_CALL_REQUEST, "call_request", R_CUST, {
		{"name", PROTO_J_STRING, REQ, 1, PROTO_NAME_MAX, true, NULL},
		{"language", PROTO_J_STRING, OPT, 1, PROTO_CODE_MAX, true, NULL},
		{"topic", PROTO_J_STRING, OPT, 1, PROTO_CODE_MAX, true, NULL}}},
	{PROTO_ACCEPT, "accept", R_AGENT | R_INTERP, {CALL_FIELD}},
	{PROTO_DECLINE, "decline", R_AGENT | R_INTERP, {CALL_FIELD}},
	{PROTO_OFFER, "offer", R_CUST | R_AGENT | R_INTERP, {
		CALL_FIELD,
		{"sdp", PROTO_J_STRING, REQ, 1, 0, false, NULL}}},
	{PROTO_HANGUP, "hangup", R_CUST | R_AGENT | R_INTERP, {CALL_FIELD}},
	{PROTO_CHAT, "chat", R_CUST | R_AGENT, {
		{"text", PROTO_J_STRING, REQ, 1, PROTO_CHAT_MAX, false, NULL},
		{"call", PROTO_J_STRING, OPT, 1, PROTO_CALL_ID_MAX, true, NULL},
		{"name", PROTO_J_STRING, OPT, 1, PROTO_NAME_MAX, true, NULL}}},
	{PROTO_CHAT_HISTORY, "chat_history", R_CUST | R_AGENT, {
		{"call", PROTO_J_STRING, OPT, 1, PROTO_CALL_ID_MAX, true, NULL},
		{"before", PROTO_J_INTEGER, OPT, 1, INT32_MAX, false, NULL}}},
	{PROTO_WRAP_UP, "wrap_up", R_AGENT, {
		CALL_FIELD,
		{"outcome", PROTO_J_STRING, REQ, 0, 0, false, proto_outcomes},
		{"notes", PROTO_J_STRING, OPT, 0, PROTO_NOTES_MAX, false, NULL}}},
	{PROTO_SURVEY, "survey", R_CUST, {
		CALL_FIELD,
		{"rating", PROTO_J_INTEGER, REQ, 1, 5, false, NULL},
		{"comment", PROTO_J_STRING, OPT, 0, PROTO_COMMENT_MAX, false, NULL}}},
	{PROTO_INVITE_INTERPRETER, "invite_interpreter", R_AGENT, {
		CALL_FIELD,
		{"language", PROTO_J_STRING, REQ, 1, PROTO_CODE_MAX, true, NULL}}},
	{PROTO_REMOVE_INTERPRETER, "remove_interpreter", R_AGENT, {CALL_FIELD}},
	{PROTO_SET_MODE, "set_mode", R_AGENT, {
		CALL_FIELD,
		{"mode", PROTO_J_STRING, REQ, 0, 0, false, proto_modes}}},
	{PROTO_PING, "ping", PROTO_ROLE_ANY, {{NULL, 0, 0, 0, 0, false, NULL}}},
};

static const struct {
	const char *name;
	const char *message;  /* default text when the caller gives none */
} proto_codes[PROTO_CODE_COUNT] = {
	[PROTO_OK] = {"ok", "ok"},
	[PROTO_E_BAD_JSON] = {"bad_json", "the message is not valid JSON"},
	[PROTO_E_BAD_MESSAGE] = {"bad_message", "a message is a JSON object with a string \"type\""},
	[PROTO_E_UNKNOWN_TYPE] = {"unknown_type", "unknown message type"},
	[PROTO_E_MISSING_FIELD] = {"missing_field", "a required field is missing"},
	[PROTO_E_BAD_FIELD] = {"bad_field", "a field has the wrong type or value"},
	[PROTO_E_HELLO_REQUIRED] = {"hello_required", "the first message must be hello"},
	[PROTO_E_LOGIN_REQUIRED] = {"login_required", "sign in first"},
	[PROTO_E_NOT_ALLOWED] = {"not_allowed", "not allowed for this role"},
	[PROTO_E_UNSUPPORTED_VERSION] = {"unsupported_version", "unsupported protocol version"},
	[PROTO_E_BAD_CREDENTIALS] = {"bad_credentials", "wrong username or password"},
	[PROTO_E_BAD_TOKEN] = {"bad_token", "the token is not valid: sign in"},
	[PROTO_E_ALREADY_IN_CALL] = {"already_in_call", "there is a call already"},
	[PROTO_E_UNKNOWN_CALL] = {"unknown_call", "no such call"},
	[PROTO_E_BAD_STATE] = {"bad_state", "not possible in the call's present state"},
	[PROTO_E_MEDIA_ERROR] = {"media_error", "the media relay refused"},
	[PROTO_E_NOT_STORED] = {"not_stored", "it could not be stored; nothing was changed"},
	[PROTO_E_RATE_LIMITED] = {"rate_limited", "too many messages; wait a moment"},
	[PROTO_E_SESSION_REPLACED] = {"session_replaced", "the session continues on another connection"},
	[PROTO_E_INTERNAL] = {"internal", "server error"},
	[PROTO_E_NO_INTERPRETER] = {"no_interpreter", "no interpreter for this language is available"},
};

static const char *const proto_jtype_names[] = {
	[PROTO_J_STRING] = "a string", [PROTO_J_INTEGER] = "an integer",
	[PROTO_J_BOOLEAN] = "a boolean",
};

const struct proto_spec *proto_spec_get(enum proto_msg_id id)
{
	if ((unsigned)id >= PROTO_MSG_COUNT || proto_specs[id].id != id)
		return NULL;
	return &proto_specs[id];
}

const struct proto_spec *proto_spec_find(const char *type)
{
	for (size_t i = 0; i < PROTO_MSG_COUNT; i++) {
		if (strcmp(proto_specs[i].type, type) == 0)
			return &proto_specs[i];
	}
	return NULL;
}

const char *proto_code_name(enum proto_code code)
{
	return (unsigned)code < PROTO_CODE_COUNT ? proto_codes[code].name : "internal";
}

__attribute__((format(printf, 3, 4)))
static int proto_fail(struct proto_error *err, enum proto_code code, const char *fmt, ...)
{
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return EINVAL;
}

static bool proto_is_text(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

static bool proto_type_ok(const json_t *v, enum proto_jtype type)
{
	switch (type) {
	case PROTO_J_STRING: return json_is_string(v);
	case PROTO_J_INTEGER: return json_is_integer(v);
	case PROTO_J_BOOLEAN: return json_is_boolean(v);
	}
	return false;
}

static bool proto_oneof(const char *s, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(s, *list) == 0)
			return true;
	}
	return false;
}

static int proto_check_string(const struct proto_field *f, const json_t *v, struct proto_error *err)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len < f->min_len)
		return proto_fail(err, PROTO_E_BAD_FIELD, "\"%s\" must not be empty", f->name);
	if (f->max_len && len > f->max_len)
		return proto_fail(err, PROTO_E_BAD_FIELD, "\"%s\" is longer than %zu bytes",
				  f->name, f->max_len);
	if (f->text && !proto_is_text(s))
		return proto_fail(err, PROTO_E_BAD_FIELD, "\"%s\" contains control characters",
				  f->name);
	if (f->oneof && !proto_oneof(s, f->oneof))
		return proto_fail(err, PROTO_E_BAD_FIELD, "\"%s\" has an unknown value", f->name);
	return 0;
}

static int proto_check_fields(const struct proto_spec *spec, const json_t *root,
			      struct proto_error *err)
{
	for (const struct proto_field *f = spec->fields; f < spec->fields + PROTO_MAX_FIELDS && f->name; f++) {
		const json_t *v = json_object_get(root, f->name);
		if (!v || json_is_null(v)) {
			if (f->required)
				return proto_fail(err, PROTO_E_MISSING_FIELD, "%s needs \"%s\"",
						  spec->type, f->name);
			continue;
		}
		if (!proto_type_ok(v, f->type))
			return proto_fail(err, PROTO_E_BAD_FIELD, "\"%s\" must be %s", f->name,
					  proto_jtype_names[f->type]);
		if (f->type == PROTO_J_STRING && proto_check_string(f, v, err))
			return EINVAL;
		if (f->type == PROTO_J_INTEGER && f->max_len &&
		    (json_integer_value(v) < (json_int_t)f->min_len ||
		     json_integer_value(v) > (json_int_t)f->max_len))
			return proto_fail(err, PROTO_E_BAD_FIELD, "\"%s\" must be %zu to %zu", f->name,
					  f->min_len, f->max_len);
	}
	return 0;
}

static int proto_check_role(const struct proto_spec *spec, unsigned role, struct proto_error *err)
{
	if (spec->roles & role)
		return 0;
	if (role == PROTO_ROLE_NONE)
		return proto_fail(err, PROTO_E_HELLO_REQUIRED, "send hello before %s", spec->type);
	if (role == PROTO_ROLE_AGENT_ANON)
		return proto_fail(err, PROTO_E_LOGIN_REQUIRED, "sign in before %s", spec->type);
	return proto_fail(err, PROTO_E_NOT_ALLOWED, "%s is not allowed %s", spec->type,
			  spec->id == PROTO_HELLO ? "twice" : "for this role");
}

/* "id" is optional; when present it is a short string or an integer, echoed back as "re". */
static int proto_check_id(const json_t *id, struct proto_error *err)
{
	if (json_is_integer(id))
		return 0;
	if (json_is_string(id) && json_string_length(id) <= PROTO_ID_MAX)
		return 0;
	return proto_fail(err, PROTO_E_BAD_FIELD, "\"id\" must be an integer or a string of at most %d bytes",
			  PROTO_ID_MAX);
}

static int proto_validate(json_t *root, unsigned role, struct proto_msg *msg, struct proto_error *err)
{
	json_t *id = json_object_get(root, "id");
	if (id && !json_is_null(id)) {
		if (proto_check_id(id, err))
			return EINVAL;
		err->id = json_incref(id);
		msg->id = id;
	}
	const char *type = json_string_value(json_object_get(root, "type"));
	if (!type)
		return proto_fail(err, PROTO_E_BAD_MESSAGE, "a message needs a string \"type\"");
	const struct proto_spec *spec = proto_spec_find(type);
	if (!spec)
		return proto_fail(err, PROTO_E_UNKNOWN_TYPE, "unknown message type \"%.40s\"", type);
	if (proto_check_role(spec, role, err) || proto_check_fields(spec, root, err))
		return EINVAL;
	msg->spec = spec;
	return 0;
}

int proto_decode(const char *data, size_t len, unsigned role, struct proto_msg *msg,
		 struct proto_error *err)
{
	memset(msg, 0, sizeof(*msg));
	memset(err, 0, sizeof(*err));
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root)
		return proto_fail(err, PROTO_E_BAD_JSON, "invalid JSON at byte %d: %s", jerr.position,
				  jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return proto_fail(err, PROTO_E_BAD_MESSAGE, "a message is a JSON object");
	}
	if (proto_validate(root, role, msg, err)) {
		json_decref(root);
		memset(msg, 0, sizeof(*msg));
		return EINVAL;
	}
	json_decref(err->id);
	err->id = NULL;
	msg->root = root;
	return 0;
}

void proto_msg_clear(struct proto_msg *msg)
{
	json_decref(msg->root);
	memset(msg, 0, sizeof(*msg));
}

void proto_error_clear(struct proto_error *err)
{
	json_decref(err->id);
	err->id = NULL;
}

const char *proto_str(const struct proto_msg *msg, const char *field)
{
	return json_string_value(json_object_get(msg->root, field));
}

json_int_t proto_int(const struct proto_msg *msg, const char *field)
{
	return json_integer_value(json_object_get(msg->root, field));
}

json_t *proto_error_json(enum proto_code code, const char *message, json_t *id)
{
	if ((unsigned)code >= PROTO_CODE_COUNT)
		code = PROTO_E_INTERNAL;
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "error", "code", proto_codes[code].name,
			      "message", message && *message ? message : proto_codes[code].message);
	if (o && id)
		json_object_set(o, "re", id);
	return o;
}

char *proto_encode(const json_t *msg, size_t *len)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	if (s && len)
		*len = strlen(s);
	return s;
}

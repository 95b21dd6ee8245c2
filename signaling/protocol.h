/* protocol: the JSON signalling codec (docs/protocol.md is the contract).
 *
 * Every client message is a JSON object with a string "type", an optional "id" (string or
 * integer, echoed as "re" in the reply) and the fields its type needs. proto_decode() parses
 * and validates a message against one declarative table (type, fields with JSON types and
 * limits, roles allowed) and reports the first problem as an error code the client can act
 * on. Fields not in the table are ignored, so newer clients can send more.
 *
 * Depends only on jansson and base: it is fuzzed on its own (tests/fuzz/fuzz_protocol.c). */
#ifndef SIGNALING_PROTOCOL_H
#define SIGNALING_PROTOCOL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PROTO_VERSION 1
#define PROTO_MAX_FIELDS 4
#define PROTO_ID_MAX 64       /* bytes of a string "id" */
#define PROTO_NAME_MAX 64     /* bytes of a customer's name */
#define PROTO_TOKEN_MAX 128   /* session tokens are 78 characters (signaling/token.h) */
#define PROTO_CALL_ID_MAX 32
#define PROTO_CRED_MAX 256    /* username and password */
#define PROTO_CHAT_MAX 4000   /* bytes of a chat message (STORE_CHAT_MAX) */
#define PROTO_NOTES_MAX 8000  /* wrap-up notes (STORE_NOTES_MAX) */
#define PROTO_COMMENT_MAX 2000 /* survey comment (STORE_COMMENT_MAX) */
#define PROTO_CODE_MAX 35     /* a language or topic code */

/* Client message types; the index of the handler in the dispatcher's table. */
enum proto_msg_id {
	PROTO_HELLO,
	PROTO_LOGIN,
	PROTO_SET_STATUS,
	PROTO_CALL_REQUEST,
	PROTO_ACCEPT,
	PROTO_DECLINE,
	PROTO_OFFER,
	PROTO_HANGUP,
	PROTO_CHAT,
	PROTO_CHAT_HISTORY,
	PROTO_WRAP_UP,
	PROTO_SURVEY,
	PROTO_INVITE_INTERPRETER,
	PROTO_REMOVE_INTERPRETER,
	PROTO_SET_MODE,
	PROTO_PING,
	PROTO_MSG_COUNT
};

/* Who is speaking on a connection; a message lists the roles it is allowed for. */
enum proto_role {
	PROTO_ROLE_NONE = 1 << 0,       /* before hello */
	PROTO_ROLE_CUSTOMER = 1 << 1,
	PROTO_ROLE_AGENT_ANON = 1 << 2, /* hello as agent, not signed in yet */
	PROTO_ROLE_AGENT = 1 << 3,      /* signed-in agent */
	PROTO_ROLE_INTERP = 1 << 4,     /* signed-in interpreter (before: AGENT_ANON) */
};
#define PROTO_ROLE_ANY (PROTO_ROLE_NONE | PROTO_ROLE_CUSTOMER | PROTO_ROLE_AGENT_ANON | \
			PROTO_ROLE_AGENT | PROTO_ROLE_INTERP)

/* Error codes sent to clients as {"type":"error","code":...}. */
enum proto_code {
	PROTO_OK = 0,
	PROTO_E_BAD_JSON,
	PROTO_E_BAD_MESSAGE,
	PROTO_E_UNKNOWN_TYPE,
	PROTO_E_MISSING_FIELD,
	PROTO_E_BAD_FIELD,
	PROTO_E_HELLO_REQUIRED,
	PROTO_E_LOGIN_REQUIRED,
	PROTO_E_NOT_ALLOWED,
	PROTO_E_UNSUPPORTED_VERSION,
	PROTO_E_BAD_CREDENTIALS,
	PROTO_E_BAD_TOKEN,
	PROTO_E_ALREADY_IN_CALL,
	PROTO_E_UNKNOWN_CALL,
	PROTO_E_BAD_STATE,
	PROTO_E_MEDIA_ERROR,
	PROTO_E_NOT_STORED,
	PROTO_E_RATE_LIMITED,
	PROTO_E_SESSION_REPLACED,
	PROTO_E_INTERNAL,
	PROTO_E_NO_INTERPRETER,
	PROTO_CODE_COUNT
};

enum proto_jtype { PROTO_J_STRING, PROTO_J_INTEGER, PROTO_J_BOOLEAN };

struct proto_field {
	const char *name;              /* NULL ends the list */
	enum proto_jtype type;
	bool required;
	size_t min_len, max_len;       /* strings: bytes of UTF-8; max 0 = no limit of its own;
					* integers: the range min..max when max is not 0 */
	bool text;                     /* strings: no control characters (shown to people) */
	const char *const *oneof;      /* strings: NULL-terminated list of allowed values */
};

struct proto_spec {
	enum proto_msg_id id;
	const char *type;
	unsigned roles;                /* enum proto_role bits */
	struct proto_field fields[PROTO_MAX_FIELDS];
};

/* A decoded, validated message. root is owned (json_decref via proto_msg_clear). */
struct proto_msg {
	const struct proto_spec *spec;
	json_t *root;
	json_t *id;                    /* borrowed from root; NULL when the client gave none */
};

struct proto_error {
	enum proto_code code;
	char message[160];
	json_t *id;                    /* the client's "id" if it could be read (owned), else NULL */
};

/* Decode one message from a connection whose speaker has `role` (one enum proto_role bit).
 * 0 and *msg filled, or EINVAL and *err filled (proto_error_clear it). */
int proto_decode(const char *data, size_t len, unsigned role, struct proto_msg *msg,
		 struct proto_error *err);
void proto_msg_clear(struct proto_msg *msg);
void proto_error_clear(struct proto_error *err);

const struct proto_spec *proto_spec_find(const char *type);
const struct proto_spec *proto_spec_get(enum proto_msg_id id);
const char *proto_code_name(enum proto_code code);

/* Field access on a validated message (the field was checked by its spec). */
const char *proto_str(const struct proto_msg *msg, const char *field); /* NULL if absent */
json_int_t proto_int(const struct proto_msg *msg, const char *field);

/* {"type":"error","code":..,"message":..,"re":id}; id may be NULL. New reference or NULL. */
json_t *proto_error_json(enum proto_code code, const char *message, json_t *id);

/* Compact JSON text of a message: a malloc'd string (free() it) or NULL. */
char *proto_encode(const json_t *msg, size_t *len);

#endif

// fuzz-sources: signaling/protocol.c
/* The signalling codec on arbitrary bytes from a WebSocket, as every role. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "signaling/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned roles[] = {PROTO_ROLE_NONE, PROTO_ROLE_CUSTOMER, PROTO_ROLE_AGENT_ANON,
					 PROTO_ROLE_AGENT, PROTO_ROLE_INTERP};
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		struct proto_msg msg;
		struct proto_error err;
		if (proto_decode((const char *)data, size, roles[i], &msg, &err) == 0) {
			/* what the handlers read: every field of the spec */
			for (const struct proto_field *f = msg.spec->fields;
			     f < msg.spec->fields + PROTO_MAX_FIELDS && f->name; f++) {
				if (f->type == PROTO_J_STRING)
					(void)proto_str(&msg, f->name);
				else
					(void)proto_int(&msg, f->name);
			}
			proto_msg_clear(&msg);
			continue;
		}
		json_t *e = proto_error_json(err.code, err.message, err.id);
		char *text = e ? proto_encode(e, NULL) : NULL;
		free(text);
		json_decref(e);
		proto_error_clear(&err);
	}
	return 0;
}

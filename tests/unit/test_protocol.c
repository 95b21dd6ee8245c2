/* The signalling codec: every client message decoded against the declarative table, and every
 * way a message can be wrong mapped to its error code (docs/protocol.md). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "signaling/protocol.h"

#define R_NONE PROTO_ROLE_NONE
#define R_CUST PROTO_ROLE_CUSTOMER
#define R_ANON PROTO_ROLE_AGENT_ANON
#define R_AGENT PROTO_ROLE_AGENT

/* An offer message as web/lib/rapport.mjs sends it: the SDP travels as one JSON string with
 * CRLF line ends (abbreviated here to a session part and one m-line in Chromium's style; the
 * codec only checks it is a non-empty string, the media relay parses it). */
static const char chrome_offer_msg[] =
	"{\"type\":\"offer\",\"id\":12,\"call\":\"c1\",\"sdp\":\"v=0\\r\\n"
	"o=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n"
	"a=group:BUNDLE 0\\r\\na=extmap-allow-mixed\\r\\na=msid-semantic: WMS\\r\\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\\r\\nc=IN IP4 0.0.0.0\\r\\n"
	"a=candidate:1840965416 1 udp 2113937151 127.0.0.1 51470 typ host generation 0\\r\\n"
	"a=ice-ufrag:8hhY\\r\\na=ice-pwd:asd88fgpdd777uzjYhagZg\\r\\n"
	"a=fingerprint:sha-256 D1:2C:BE:AD:C4:F6:64:5C:25:16:11:9C:AF:E7:0F:73:79:36:4E:9C:1E:15:"
	"54:39:0C:06:8B:ED:96:86:00:39\\r\\na=setup:actpass\\r\\na=mid:0\\r\\n"
	"a=sendrecv\\r\\na=rtcp-mux\\r\\na=rtpmap:111 opus/48000/2\\r\\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\\r\\n\"}";

static int decode(const char *text, unsigned role, struct proto_msg *msg, struct proto_error *err)
{
	return proto_decode(text, strlen(text), role, msg, err);
}

static void test_hello_customer(void **state)
{
	(void)state;
	struct proto_msg msg;
	struct proto_error err;
	assert_int_equal(decode("{\"type\":\"hello\",\"version\":1,\"role\":\"customer\","
				"\"token\":\"qgsqvhDjj53Emg6H-8dFY9mEIKjsAKNDszR-eoUmyQI\",\"id\":\"h1\"}",
				R_NONE, &msg, &err), 0);
	assert_int_equal(msg.spec->id, PROTO_HELLO);
	assert_int_equal(proto_int(&msg, "version"), 1);
	assert_string_equal(proto_str(&msg, "role"), "customer");
	assert_string_equal(proto_str(&msg, "token"), "qgsqvhDjj53Emg6H-8dFY9mEIKjsAKNDszR-eoUmyQI");
	assert_string_equal(json_string_value(msg.id), "h1");
	proto_msg_clear(&msg);
	assert_null(msg.root);
}

static void test_offer_with_real_sdp(void **state)
{
	(void)state;
	struct proto_msg msg;
	struct proto_error err;
	assert_int_equal(decode(chrome_offer_msg, R_CUST, &msg, &err), 0);
	assert_int_equal(msg.spec->id, PROTO_OFFER);
	assert_string_equal(proto_str(&msg, "call"), "c1");
	assert_non_null(strstr(proto_str(&msg, "sdp"), "a=setup:actpass\r\n"));
	assert_int_equal(json_integer_value(msg.id), 12);
	proto_msg_clear(&msg);
	/* the agent side sends the same message */
	assert_int_equal(decode(chrome_offer_msg, R_AGENT, &msg, &err), 0);
	proto_msg_clear(&msg);
}

static void test_every_message_valid(void **state)
{
	(void)state;
	static const struct { const char *text; unsigned role; enum proto_msg_id id; } ok[] = {
		{"{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}", R_NONE, PROTO_HELLO},
		{"{\"type\":\"login\",\"username\":\"agent\",\"password\":\"\"}", R_ANON, PROTO_LOGIN},
		{"{\"type\":\"set_status\",\"status\":\"away\"}", R_AGENT, PROTO_SET_STATUS},
		{"{\"type\":\"call_request\",\"name\":\"Zoë Ünal\"}", R_CUST, PROTO_CALL_REQUEST},
		{"{\"type\":\"accept\",\"call\":\"c7\"}", R_AGENT, PROTO_ACCEPT},
		{"{\"type\":\"decline\",\"call\":\"c7\"}", R_AGENT, PROTO_DECLINE},
		{"{\"type\":\"hangup\",\"call\":\"c7\"}", R_CUST, PROTO_HANGUP},
		{"{\"type\":\"hangup\",\"call\":\"c7\"}", R_AGENT, PROTO_HANGUP},
		{"{\"type\":\"call_request\",\"name\":\"Ann\",\"language\":\"pt-BR\",\"topic\":\"billing\"}",
		 R_CUST, PROTO_CALL_REQUEST},
		{"{\"type\":\"chat\",\"text\":\"line one\\nline two\",\"name\":\"Ann\"}", R_CUST, PROTO_CHAT},
		{"{\"type\":\"chat\",\"text\":\"hi\",\"call\":\"c7\"}", R_AGENT, PROTO_CHAT},
		{"{\"type\":\"chat_history\"}", R_CUST, PROTO_CHAT_HISTORY},
		{"{\"type\":\"chat_history\",\"call\":\"c7\",\"before\":12}", R_AGENT, PROTO_CHAT_HISTORY},
		{"{\"type\":\"wrap_up\",\"call\":\"c7\",\"outcome\":\"follow_up\",\"notes\":\"a\\nb\"}", R_AGENT,
		 PROTO_WRAP_UP},
		{"{\"type\":\"survey\",\"call\":\"c7\",\"rating\":1}", R_CUST, PROTO_SURVEY},
		{"{\"type\":\"survey\",\"call\":\"c7\",\"rating\":5,\"comment\":\"\"}", R_CUST, PROTO_SURVEY},
		{"{\"type\":\"hello\",\"version\":1,\"role\":\"agent\",\"token\":"
		 "\"AQIAAAAAAAAAAQAAAZX1qg5Tq6hX3x1cRxFQm2wY7Vv0v3z2VJp8m1Vb0mVg0hYk8dB3Xw3lJH2Qx5g\"}", R_NONE, PROTO_HELLO},
		{"{\"type\":\"ping\"}", R_NONE, PROTO_PING},
		{"{\"type\":\"ping\"}", R_ANON, PROTO_PING},
		/* unknown fields are ignored; a null optional field is absent */
		{"{\"type\":\"ping\",\"future\":[1,2,{}]}", R_CUST, PROTO_PING},
		{"{\"type\":\"hello\",\"version\":1,\"role\":\"customer\",\"token\":null}", R_NONE, PROTO_HELLO},
		{"  {\"type\":\"ping\"}\n", R_AGENT, PROTO_PING},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct proto_msg msg;
		struct proto_error err;
		int rc = decode(ok[i].text, ok[i].role, &msg, &err);
		if (rc)
			fail_msg("%s: %s %s", ok[i].text, proto_code_name(err.code), err.message);
		assert_int_equal(msg.spec->id, ok[i].id);
		proto_msg_clear(&msg);
	}
}

static const struct bad_case {
	const char *text;
	unsigned role;
	enum proto_code code;
	const char *in_message;   /* a word the message must name */
} bad_cases[] = {
	{"nonsense", R_NONE, PROTO_E_BAD_JSON, "JSON"},
	{"{\"type\":\"ping\"", R_NONE, PROTO_E_BAD_JSON, "JSON"},
	{"{\"type\":\"ping\"} trailing", R_NONE, PROTO_E_BAD_JSON, "JSON"},
	{"{\"type\":\"ping\",\"type\":\"ping\"}", R_NONE, PROTO_E_BAD_JSON, "duplicate"},
	{"{\"type\":\"call_request\",\"name\":\"a\\u0000b\"}", R_CUST, PROTO_E_BAD_JSON, "JSON"},
	{"{\"type\":\"call_request\",\"name\":\"\xc3\x28\"}", R_CUST, PROTO_E_BAD_JSON, "JSON"},
	{"", R_NONE, PROTO_E_BAD_JSON, "JSON"},
	{"[\"ping\"]", R_NONE, PROTO_E_BAD_MESSAGE, "object"},
	{"\"ping\"", R_NONE, PROTO_E_BAD_MESSAGE, "object"},
	{"{}", R_NONE, PROTO_E_BAD_MESSAGE, "type"},
	{"{\"type\":7}", R_NONE, PROTO_E_BAD_MESSAGE, "type"},
	{"{\"type\":\"dance\"}", R_CUST, PROTO_E_UNKNOWN_TYPE, "dance"},
	{"{\"type\":\"hello\",\"role\":\"customer\"}", R_NONE, PROTO_E_MISSING_FIELD, "version"},
	{"{\"type\":\"hello\",\"version\":1}", R_NONE, PROTO_E_MISSING_FIELD, "role"},
	{"{\"type\":\"hello\",\"version\":1,\"role\":null}", R_NONE, PROTO_E_MISSING_FIELD, "role"},
	{"{\"type\":\"hello\",\"version\":\"1\",\"role\":\"agent\"}", R_NONE, PROTO_E_BAD_FIELD, "version"},
	{"{\"type\":\"hello\",\"version\":1.0,\"role\":\"agent\"}", R_NONE, PROTO_E_BAD_FIELD, "integer"},
	{"{\"type\":\"hello\",\"version\":1,\"role\":\"boss\"}", R_NONE, PROTO_E_BAD_FIELD, "role"},
	{"{\"type\":\"hello\",\"version\":1,\"role\":\"customer\",\"token\":\"\"}", R_NONE, PROTO_E_BAD_FIELD, "token"},
	{"{\"type\":\"call_request\",\"name\":\"\"}", R_CUST, PROTO_E_BAD_FIELD, "empty"},
	{"{\"type\":\"call_request\",\"name\":\"line\\nbreak\"}", R_CUST, PROTO_E_BAD_FIELD, "control"},
	{"{\"type\":\"call_request\",\"name\":\"12345678901234567890123456789012345678901234567890123456789012345\"}",
	 R_CUST, PROTO_E_BAD_FIELD, "64"},
	{"{\"type\":\"call_request\",\"name\":[\"x\"]}", R_CUST, PROTO_E_BAD_FIELD, "string"},
	{"{\"type\":\"set_status\",\"status\":\"busy\"}", R_AGENT, PROTO_E_BAD_FIELD, "status"},
	{"{\"type\":\"offer\",\"call\":\"c1\",\"sdp\":\"\"}", R_CUST, PROTO_E_BAD_FIELD, "sdp"},
	{"{\"type\":\"ping\",\"id\":{\"a\":1}}", R_CUST, PROTO_E_BAD_FIELD, "id"},
	{"{\"type\":\"ping\",\"id\":true}", R_CUST, PROTO_E_BAD_FIELD, "id"},
	{"{\"type\":\"login\",\"username\":\"a\",\"password\":\"b\"}", R_NONE, PROTO_E_HELLO_REQUIRED, "hello"},
	{"{\"type\":\"call_request\",\"name\":\"Ann\"}", R_NONE, PROTO_E_HELLO_REQUIRED, "hello"},
	{"{\"type\":\"set_status\",\"status\":\"away\"}", R_ANON, PROTO_E_LOGIN_REQUIRED, "sign in"},
	{"{\"type\":\"accept\",\"call\":\"c1\"}", R_ANON, PROTO_E_LOGIN_REQUIRED, "sign in"},
	{"{\"type\":\"call_request\",\"name\":\"Ann\"}", R_AGENT, PROTO_E_NOT_ALLOWED, "role"},
	{"{\"type\":\"accept\",\"call\":\"c1\"}", R_CUST, PROTO_E_NOT_ALLOWED, "role"},
	{"{\"type\":\"login\",\"username\":\"a\",\"password\":\"b\"}", R_CUST, PROTO_E_NOT_ALLOWED, "role"},
	{"{\"type\":\"login\",\"username\":\"a\",\"password\":\"b\"}", R_AGENT, PROTO_E_NOT_ALLOWED, "role"},
	{"{\"type\":\"hello\",\"version\":1,\"role\":\"customer\"}", R_CUST, PROTO_E_NOT_ALLOWED, "twice"},
	{"{\"type\":\"survey\",\"call\":\"c1\",\"rating\":0}", R_CUST, PROTO_E_BAD_FIELD, "1 to 5"},
	{"{\"type\":\"survey\",\"call\":\"c1\",\"rating\":6}", R_CUST, PROTO_E_BAD_FIELD, "rating"},
	{"{\"type\":\"survey\",\"call\":\"c1\",\"rating\":4.5}", R_CUST, PROTO_E_BAD_FIELD, "integer"},
	{"{\"type\":\"survey\",\"call\":\"c1\"}", R_CUST, PROTO_E_MISSING_FIELD, "rating"},
	{"{\"type\":\"survey\",\"call\":\"c1\",\"rating\":3}", R_AGENT, PROTO_E_NOT_ALLOWED, "role"},
	{"{\"type\":\"wrap_up\",\"call\":\"c1\",\"outcome\":\"great\"}", R_AGENT, PROTO_E_BAD_FIELD, "outcome"},
	{"{\"type\":\"wrap_up\",\"call\":\"c1\"}", R_AGENT, PROTO_E_MISSING_FIELD, "outcome"},
	{"{\"type\":\"wrap_up\",\"call\":\"c1\",\"outcome\":\"resolved\"}", R_CUST, PROTO_E_NOT_ALLOWED, "role"},
	{"{\"type\":\"chat\",\"text\":\"\"}", R_CUST, PROTO_E_BAD_FIELD, "empty"},
	{"{\"type\":\"chat\"}", R_CUST, PROTO_E_MISSING_FIELD, "text"},
	{"{\"type\":\"chat\",\"text\":\"x\",\"name\":\"a\\tb\"}", R_CUST, PROTO_E_BAD_FIELD, "control"},
	{"{\"type\":\"chat\",\"text\":\"x\"}", R_ANON, PROTO_E_LOGIN_REQUIRED, "sign in"},
	{"{\"type\":\"chat_history\",\"before\":0}", R_CUST, PROTO_E_BAD_FIELD, "before"},
	{"{\"type\":\"call_request\",\"name\":\"A\",\"topic\":\"\"}", R_CUST, PROTO_E_BAD_FIELD, "topic"},
};

static void test_bad_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct proto_msg msg;
		struct proto_error err;
		if (decode(b->text, b->role, &msg, &err) != EINVAL)
			fail_msg("accepted: %s", b->text);
		if (err.code != b->code)
			fail_msg("%s: got %s (%s), want %s", b->text, proto_code_name(err.code),
				 err.message, proto_code_name(b->code));
		if (!strstr(err.message, b->in_message))
			fail_msg("%s: message \"%s\" does not name \"%s\"", b->text, err.message,
				 b->in_message);
		assert_null(msg.root);
		proto_error_clear(&err);
	}
}

/* The client's id comes back as "re" even when the message is refused, whatever its type. */
static void test_error_echoes_id(void **state)
{
	(void)state;
	struct proto_msg msg;
	struct proto_error err;
	assert_int_equal(decode("{\"type\":\"dance\",\"id\":\"req-9\"}", R_CUST, &msg, &err), EINVAL);
	json_t *e = proto_error_json(err.code, err.message, err.id);
	assert_string_equal(json_string_value(json_object_get(e, "type")), "error");
	assert_string_equal(json_string_value(json_object_get(e, "code")), "unknown_type");
	assert_string_equal(json_string_value(json_object_get(e, "re")), "req-9");
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "dance"));
	size_t len;
	char *text = proto_encode(e, &len);
	assert_int_equal(len, strlen(text));
	assert_null(strchr(text, '\n'));
	free(text);
	json_decref(e);
	proto_error_clear(&err);

	assert_int_equal(decode("{\"type\":\"login\",\"id\":41}", R_ANON, &msg, &err), EINVAL);
	assert_int_equal(err.code, PROTO_E_MISSING_FIELD);
	assert_int_equal(json_integer_value(err.id), 41);
	proto_error_clear(&err);

	/* no id, or one that could not be read: no "re" */
	assert_int_equal(decode("{\"type\":\"ping\",\"id\":[1]}", R_CUST, &msg, &err), EINVAL);
	e = proto_error_json(err.code, err.message, err.id);
	assert_null(json_object_get(e, "re"));
	json_decref(e);
	proto_error_clear(&err);
}

static void test_error_default_text(void **state)
{
	(void)state;
	json_t *e = proto_error_json(PROTO_E_BAD_CREDENTIALS, NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(e, "code")), "bad_credentials");
	assert_true(json_string_length(json_object_get(e, "message")) > 0);
	json_decref(e);
	for (int c = PROTO_E_BAD_JSON; c < PROTO_CODE_COUNT; c++) {
		const char *name = proto_code_name((enum proto_code)c);
		assert_non_null(name);
		assert_string_not_equal(name, "ok");
	}
	assert_string_equal(proto_code_name(PROTO_E_MEDIA_ERROR), "media_error");
	assert_string_equal(proto_code_name(PROTO_E_UNSUPPORTED_VERSION), "unsupported_version");
}

static void test_table_complete(void **state)
{
	(void)state;
	for (int i = 0; i < PROTO_MSG_COUNT; i++) {
		const struct proto_spec *s = proto_spec_get((enum proto_msg_id)i);
		assert_non_null(s);
		assert_ptr_equal(proto_spec_find(s->type), s);
		assert_true(s->roles != 0);
	}
	assert_null(proto_spec_get(PROTO_MSG_COUNT));
	assert_null(proto_spec_find("welcome"));  /* server messages are not client messages */
}

/* Deep nesting, huge numbers and long strings end in an error, never a crash. */
static void test_hostile_input(void **state)
{
	(void)state;
	size_t depth = 100000;
	char *deep = malloc(2 * depth + 1);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	deep[2 * depth] = '\0';
	struct proto_msg msg;
	struct proto_error err;
	assert_int_equal(decode(deep, R_NONE, &msg, &err), EINVAL);
	assert_int_equal(err.code, PROTO_E_BAD_JSON);
	free(deep);
	assert_int_equal(decode("{\"type\":\"hello\",\"version\":99999999999999999999999,\"role\":\"agent\"}",
				R_NONE, &msg, &err), EINVAL);
	assert_int_equal(err.code, PROTO_E_BAD_JSON);
	/* bytes after a NUL are still part of the message jansson sees */
	static const char nul[] = "{\"type\":\"ping\"}\0junk";
	assert_int_equal(proto_decode(nul, sizeof(nul) - 1, R_NONE, &msg, &err), EINVAL);
	assert_int_equal(err.code, PROTO_E_BAD_JSON);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_customer),
		cmocka_unit_test(test_offer_with_real_sdp),
		cmocka_unit_test(test_every_message_valid),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_error_echoes_id),
		cmocka_unit_test(test_error_default_text),
		cmocka_unit_test(test_table_complete),
		cmocka_unit_test(test_hostile_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// fuzz-sources: signaling/token.c signaling/b64.c
/* fuzz_token: arbitrary text through token_verify() (tokens arrive from browsers) and the
 * strict base64/base64url decoders under it. The key matches the seed corpus (32 bytes of
 * 0x42), so mutated seeds reach the signature, kind and expiry checks; a token that verifies
 * must carry a known kind and re-verify identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/b64.h"
#include "signaling/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t raw[TOKEN_KEY_LEN] = {
		0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
		0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
		0x42, 0x42, 0x42, 0x42,
	};
	struct token_key k;
	struct token_claims c;
	uint8_t out[512];
	size_t n;
	char text[513];

	if (size > 512)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	token_key_set(&k, raw);
	b64_decode(text, size, false, out, sizeof(out), &n);
	b64_decode(text, size, true, out, sizeof(out), &n);
	for (int kind = TOKEN_ANY; kind <= TOKEN_ADMIN; kind++) {
		enum token_status s = token_verify(&k, text, (enum token_kind)kind, 0, &c);
		if (s == TOKEN_OK && (c.kind < TOKEN_CUSTOMER || c.kind > TOKEN_ADMIN ||
				      (kind != TOKEN_ANY && (int)c.kind != kind)))
			abort();
		if (s == TOKEN_OK && token_verify(&k, text, c.kind, 0, NULL) != TOKEN_OK)
			abort();
	}
	return 0;
}

// fuzz-sources: media/stun.c media/ice.c
/* fuzz_stun: arbitrary bytes through the STUN decoder, both checks, ICE-lite and the leg lookup.
 * The ICE credentials match the seed corpus (RFC 5769's request, Chromium captures), so mutated
 * seeds reach the integrity, 420 and success paths, and answers are decoded back. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "media/ice.h"
#include "media/stun.h"

static void fuzz_answer(const uint8_t *out, size_t outlen, const char *pwd)
{
	struct stun_msg m;

	if (stun_msg_decode(&m, out, outlen) || !stun_msg_fingerprint_ok(&m))
		abort(); /* everything we send must be well-formed */
	if (m.integrity_off && !stun_msg_integrity_ok(&m, (const uint8_t *)pwd, strlen(pwd)))
		abort();
}

static void fuzz_ice(const uint8_t *data, size_t size, const char *lufrag, const char *pwd,
		     const char *rufrag)
{
	struct ice_lite ice;
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(5000),
				   .sin_addr.s_addr = htonl(0x7f000001)};
	uint8_t out[1500];
	size_t outlen;

	ice_lite_init(&ice, lufrag, pwd, rufrag);
	enum ice_verdict v = ice_lite_handle(&ice, data, size, (struct sockaddr *)&from, 1000000,
					     out, sizeof(out), &outlen);
	if (v != ICE_DROP)
		fuzz_answer(out, outlen, pwd);
	if (v == ICE_REPLY && (!ice_lite_allowed(&ice, (struct sockaddr *)&from, 1000000) ||
			       !ice_lite_dest(&ice, 1000000)))
		abort();
	if (v != ICE_REPLY && ice.npairs)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	char ufrag[ICE_UFRAG_MAX + 1];

	log_set_level(LOG_ERROR);
	if (stun_msg_decode(&m, data, size) == 0) {
		(void)stun_msg_integrity_ok(&m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBt", 22);
		(void)stun_msg_fingerprint_ok(&m);
		if (m.tid != data + 8 || m.len != size || m.n_unknown > 4)
			abort();
	}
	if (ice_username_local(data, size, ufrag) == 0 && strlen(ufrag) > ICE_UFRAG_MAX)
		abort();
	fuzz_ice(data, size, "evtj", "VOkJxbRl1RmTxUk/WvJxBt", "h6vY");
	fuzz_ice(data, size, "rapp", "rapportpassword0123456789", "L8pU");
	fuzz_ice(data, size, "rapp", "rapportpassword0123456789", "");
	return 0;
}

// fuzz-sources: media/sdp.c media/negotiate.c
/* fuzz_sdp: sdp_parse on arbitrary bytes, then negotiate_answer on whatever parsed, with fixed
 * local parameters (fresh SSRCs and a known mid, so further multi-party m-lines are taken too).
 * Anything that negotiates must give an answer that parses again with the same number of
 * m-lines; any failure must come with a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/negotiate.h"

static const struct neg_ssrc fuzz_fresh[2 * NEG_MAX_EXTRA] = {
	{ "", 11, 21 }, { "", 12, 22 }, { "", 13, 23 }, { "", 14, 0 },
	{ "", 15, 25 }, { "", 16, 26 }, { "", 17, 0 }, { "", 18, 28 },
};
static const struct neg_ssrc fuzz_known[] = { { "2", 31, 41 }, { "3", 32, 0 } };

static const struct neg_local fuzz_local = {
	.ufrag = "rPpt", .pwd = "Wm4vK9qzX2cLr7TfYb3HsNdE",
	.fingerprint = "F6:E2:0D:58:13:3E:C4:F4:DA:D0:B8:4E:73:A3:2A:2F:"
		       "5B:8D:C5:C5:F5:5B:59:71:59:00:2F:13:E1:9D:C1:3B",
	.ip = "127.0.0.1", .port = 40000,
	.audio_ssrc = 1111111111, .video_ssrc = 2222222222, .video_rtx_ssrc = 3333333333,
	.cname = "rapport", .stream_id = "rapport-stream", .session_id = 1,
	.known = fuzz_known, .nknown = 2, .fresh = fuzz_fresh, .nfresh = 2 * NEG_MAX_EXTRA,
};

static struct sdp_session fuzz_offer, fuzz_back;
static struct neg_result fuzz_res;
static char fuzz_answer[32768], fuzz_err[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rc = sdp_parse(&fuzz_offer, (const char *)data, size, fuzz_err, sizeof(fuzz_err));

	if (rc) {
		if (!fuzz_err[0])
			abort();
		return 0;
	}
	rc = negotiate_answer(&fuzz_offer, &fuzz_local, &fuzz_res, fuzz_answer,
			      sizeof(fuzz_answer), fuzz_err, sizeof(fuzz_err));
	if (rc) {
		if (!fuzz_err[0] || fuzz_answer[0])
			abort();
		return 0;
	}
	if (sdp_parse(&fuzz_back, fuzz_answer, strlen(fuzz_answer), fuzz_err, sizeof(fuzz_err)) ||
	    fuzz_back.nmedia != fuzz_offer.nmedia || !(fuzz_res.audio.active || fuzz_res.video.active) ||
	    fuzz_res.nextra > 2 * NEG_MAX_EXTRA)
		abort();
	return 0;
}

// fuzz-sources: media/rtp.c
/* RTP: parse any bytes, walk every extension ID, rewrite and strip in place, and check that
 * what the parser reports stays inside the packet and survives the rewrites. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtp.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void fuzz_rtp_exts(const struct rtp_hdr *h, const uint8_t *buf, size_t len)
{
	const uint8_t *d;
	size_t n;
	unsigned id;

	for (id = 0; id < 256; id++) {
		if (rtp_ext_find(h, buf, (uint8_t)id, &d, &n) != 0)
			continue;
		FUZZ_CHECK(h->extension && id != 0);
		FUZZ_CHECK(d >= buf + h->ext_off && d + n <= buf + h->ext_off + h->ext_len);
		FUZZ_CHECK(d + n <= buf + len);
	}
}

/* rewrite the fixed header, strip the extension, and parse again */
static void fuzz_rtp_rewrite(const struct rtp_hdr *h, uint8_t *buf, size_t len)
{
	struct rtp_hdr h2;
	size_t nlen;

	rtp_set_pt(buf, (uint8_t)(h->seq ^ 0x55));
	rtp_set_seq(buf, (uint16_t)(h->seq + 1));
	rtp_set_ts(buf, h->ts + 960);
	rtp_set_ssrc(buf, ~h->ssrc);
	FUZZ_CHECK(rtp_parse(&h2, buf, len) == 0);
	FUZZ_CHECK(h2.pt == ((h->seq ^ 0x55) & 0x7f) && h2.marker == h->marker);
	FUZZ_CHECK(h2.seq == (uint16_t)(h->seq + 1) && h2.ssrc == ~h->ssrc);
	FUZZ_CHECK(h2.payload_off == h->payload_off && h2.payload_len == h->payload_len);

	nlen = rtp_strip_ext(buf, len, &h2);
	FUZZ_CHECK(nlen <= len);
	FUZZ_CHECK(rtp_parse(&h2, buf, nlen) == 0);
	FUZZ_CHECK(!h2.extension && h2.cc == h->cc && h2.payload_len == h->payload_len);
	FUZZ_CHECK(h2.payload_off == RTP_HDR_LEN + 4u * h->cc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_hdr h;
	uint8_t *copy, hdr[RTP_HDR_LEN];

	(void)rtp_is_rtp_or_rtcp(data, size);
	(void)rtp_is_rtcp(data, size);
	if (rtp_parse(&h, data, size) != 0)
		return 0;
	FUZZ_CHECK(h.version == 2 && h.payload_off <= size && h.payload_len <= size - h.payload_off);
	FUZZ_CHECK(!h.extension || h.ext_off + h.ext_len <= h.payload_off);
	fuzz_rtp_exts(&h, data, size);

	/* an exact-size heap copy, so any write or read past len is caught */
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fuzz_rtp_rewrite(&h, copy, size);
	free(copy);

	FUZZ_CHECK(rtp_write_hdr(hdr, sizeof(hdr), h.pt, h.marker, h.seq, h.ts, h.ssrc) == RTP_HDR_LEN);
	FUZZ_CHECK(memcmp(hdr + 1, data + 1, RTP_HDR_LEN - 1) == 0);
	return 0;
}

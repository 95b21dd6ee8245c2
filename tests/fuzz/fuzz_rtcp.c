// fuzz-sources: media/rtcp.c
/* RTCP: walk any bytes as a compound packet and call every getter on what comes out; then
 * feed the same bytes to the NACK, REMB and SDES builders and check they parse back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define FUZZ_MAX_SEQS 64

struct fuzz_seqs { uint16_t s[FUZZ_MAX_SEQS * 17]; size_t n; };

static void fuzz_rtcp_collect(uint16_t seq, void *arg)
{
	struct fuzz_seqs *c = arg;

	FUZZ_CHECK(c->n < sizeof(c->s) / sizeof(c->s[0]));
	c->s[c->n++] = seq;
}

static void fuzz_rtcp_count(uint16_t seq, void *arg)
{
	(void)seq;
	(*(size_t *)arg)++;
}

static void fuzz_rtcp_getters(const struct rtcp_pkt *p)
{
	struct rtcp_report_block b;
	uint32_t ssrcs[4], ssrc;
	uint64_t bps;
	size_t i, n = 4, count = 0;
	uint8_t seq;

	for (i = 0; i <= p->nblocks; i++)
		FUZZ_CHECK((rtcp_report_block_get(p, i, &b) == 0) == (i < p->nblocks));
	rtcp_nack_foreach(p, fuzz_rtcp_count, &count);
	FUZZ_CHECK(count <= p->fci_len / 4 * 17);
	if (rtcp_remb_parse(p, &bps, ssrcs, &n) == 0)
		FUZZ_CHECK(n <= 4);
	(void)rtcp_fir_parse(p, &ssrc, &seq);
}

static void fuzz_rtcp_walk(const uint8_t *buf, size_t len)
{
	struct rtcp_pkt p;
	size_t off = 0, prev;
	int r;

	for (;;) {
		prev = off;
		r = rtcp_next(buf, len, &off, &p);
		if (r <= 0) {
			FUZZ_CHECK(off == prev && (r == 0) == (off >= len));
			break;
		}
		FUZZ_CHECK(p.buf == buf + prev && p.len >= 4 && p.len % 4 == 0 && off == prev + p.len);
		FUZZ_CHECK(off <= len);
		FUZZ_CHECK(!p.fci || (p.fci >= p.buf + 12 && p.fci + p.fci_len <= p.buf + p.len));
		fuzz_rtcp_getters(&p);
	}
}

/* every sequence number in, every one out, nothing else */
static void fuzz_rtcp_nack(const uint8_t *data, size_t size)
{
	uint16_t seqs[FUZZ_MAX_SEQS];
	uint8_t out[12 + 4 * FUZZ_MAX_SEQS];
	struct fuzz_seqs got = { .n = 0 };
	struct rtcp_pkt p;
	size_t n = size / 2 < FUZZ_MAX_SEQS ? size / 2 : FUZZ_MAX_SEQS, i, j, len, off = 0;
	bool found;

	for (i = 0; i < n; i++)
		seqs[i] = (uint16_t)(data[2 * i] << 8 | data[2 * i + 1]);
	len = rtcp_build_nack(out, sizeof(out), 1, 2, seqs, n);
	FUZZ_CHECK((len == 0) == (n == 0));
	if (!len)
		return;
	FUZZ_CHECK(rtcp_next(out, len, &off, &p) == 1 && off == len);
	rtcp_nack_foreach(&p, fuzz_rtcp_collect, &got);
	for (i = 0; i < got.n; i++) {
		for (found = false, j = 0; j < n && !found; j++)
			found = seqs[j] == got.s[i];
		FUZZ_CHECK(found);
	}
	for (j = 0; j < n; j++) {
		for (found = false, i = 0; i < got.n && !found; i++)
			found = seqs[j] == got.s[i];
		FUZZ_CHECK(found);
	}
}

static void fuzz_rtcp_build(const uint8_t *data, size_t size)
{
	uint8_t out[300];
	char cname[256];
	struct rtcp_pkt p;
	uint64_t bps = 0, got;
	size_t i, len, off = 0, n = size < 255 ? size : 255;

	for (i = 0; i < 8 && i < size; i++)
		bps = bps << 8 | data[i];
	len = rtcp_build_remb(out, sizeof(out), 1, bps, NULL, 0);
	FUZZ_CHECK(len == 20 && rtcp_next(out, len, &off, &p) == 1);
	FUZZ_CHECK(rtcp_remb_parse(&p, &got, NULL, NULL) == 0);
	FUZZ_CHECK(got <= bps && bps - got <= (bps >> 17));

	for (i = 0; i < n; i++)
		cname[i] = data[i] ? (char)data[i] : 'x';
	cname[n] = '\0';
	off = 0;
	len = rtcp_build_sdes_cname(out, sizeof(out), 3, cname);
	FUZZ_CHECK(len && len % 4 == 0 && rtcp_next(out, len, &off, &p) == 1 && off == len);
	FUZZ_CHECK(p.sender_ssrc == 3 && out[10 + n] == 0);
	fuzz_rtcp_nack(data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_rtcp_walk(data, size);
	fuzz_rtcp_build(data, size);
	return 0;
}

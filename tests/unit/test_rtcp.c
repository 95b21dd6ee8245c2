/* RTCP compound parsing and the builders, checked against each other and against
 * packets laid out as Chromium sends them (RFC 3550 §6.4, §6.5; RFC 4585; RFC 5104; REMB). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/rtcp.h"

/* A receive-only Chromium peer's compound: RR with one report block, then SDES with its
 * 16-character CNAME (two null octets end the item list and pad to the word). */
static const uint8_t chrome_rr_sdes[] = {
	0x81, 0xc9, 0x00, 0x07,                         /* RR, RC=1, 8 words */
	0x00, 0x00, 0x00, 0x01,                         /* sender SSRC 1 */
	0x7c, 0x4e, 0x91, 0x0d,                         /* reportee */
	0x0a, 0x00, 0x00, 0x03,                         /* fraction 10/256, 3 lost */
	0x00, 0x01, 0x1a, 0x2f,                         /* cycles 1, highest 0x1a2f */
	0x00, 0x00, 0x00, 0x3c,                         /* jitter 60 */
	0x3a, 0x40, 0x5e, 0x8c,                         /* LSR */
	0x00, 0x01, 0x80, 0x00,                         /* DLSR 1.5 s */
	0x81, 0xca, 0x00, 0x06,                         /* SDES, SC=1, 7 words */
	0x00, 0x00, 0x00, 0x01,
	0x01, 0x10, 'r', 'X', '6', 'h', '/', 'Q', 'y', 'v', 'f', 'K', '0', 'Z', 'j', '+', 'e', 'F',
	0x00, 0x00,
};

/* A sending and receiving Chromium peer: SR with one report block, then SDES. */
static const uint8_t chrome_sr_sdes[] = {
	0x81, 0xc8, 0x00, 0x0c,                         /* SR, RC=1, 13 words */
	0x7c, 0x4e, 0x91, 0x0d,                         /* sender SSRC */
	0xe9, 0x3c, 0x7f, 0x00, 0x40, 0x00, 0x00, 0x00, /* NTP 3913056000.25 */
	0x5e, 0x8c, 0x3a, 0x40,                         /* RTP timestamp */
	0x00, 0x00, 0x01, 0xf4,                         /* 500 packets */
	0x00, 0x00, 0x9c, 0x40,                         /* 40000 octets */
	0x0b, 0xad, 0xf0, 0x0d,                         /* reportee */
	0x00, 0xff, 0xff, 0xfe,                         /* fraction 0, -2 lost (duplicates) */
	0x00, 0x00, 0xff, 0xf0,
	0x00, 0x00, 0x00, 0x05,
	0x00, 0x00, 0x00, 0x00,                         /* no SR from it yet */
	0x00, 0x00, 0x00, 0x00,
	0x81, 0xca, 0x00, 0x06,
	0x7c, 0x4e, 0x91, 0x0d,
	0x01, 0x10, 'A', 'c', '3', '8', 'H', 'p', 'v', 'q', 'L', 'm', '2', 'w', 'N', 'x', 'T', 'o',
	0x00, 0x00,
};

static void test_chrome_rr_sdes(void **state)
{
	struct rtcp_pkt p;
	struct rtcp_report_block b;
	size_t off = 0;
	(void)state;

	assert_int_equal(rtcp_next(chrome_rr_sdes, sizeof(chrome_rr_sdes), &off, &p), 1);
	assert_int_equal(p.pt, RTCP_RR);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.len, 32);
	assert_ptr_equal(p.buf, chrome_rr_sdes);
	assert_int_equal(p.sender_ssrc, 1);
	assert_int_equal(p.nblocks, 1);
	assert_int_equal(rtcp_report_block_get(&p, 0, &b), 0);
	assert_int_equal(b.ssrc, 0x7c4e910du);
	assert_int_equal(b.fraction_lost, 10);
	assert_int_equal(b.cumulative_lost, 3);
	assert_int_equal(b.ext_highest_seq, 0x11a2fu);
	assert_int_equal(b.jitter, 60);
	assert_int_equal(b.lsr, 0x3a405e8cu);
	assert_int_equal(b.dlsr, 0x18000u);
	assert_int_equal(rtcp_report_block_get(&p, 1, &b), ENOENT);

	assert_int_equal(rtcp_next(chrome_rr_sdes, sizeof(chrome_rr_sdes), &off, &p), 1);
	assert_int_equal(p.pt, RTCP_SDES);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.len, 28);
	assert_int_equal(p.sender_ssrc, 1);
	assert_memory_equal(p.buf + 10, "rX6h/QyvfK0Zj+eF", 16);
	assert_int_equal(rtcp_report_block_get(&p, 0, &b), EINVAL);
	assert_int_equal(rtcp_next(chrome_rr_sdes, sizeof(chrome_rr_sdes), &off, &p), 0);
	assert_int_equal(off, sizeof(chrome_rr_sdes));
}

static void test_chrome_sr_sdes(void **state)
{
	struct rtcp_pkt p;
	struct rtcp_report_block b;
	size_t off = 0;
	(void)state;

	assert_int_equal(rtcp_next(chrome_sr_sdes, sizeof(chrome_sr_sdes), &off, &p), 1);
	assert_int_equal(p.pt, RTCP_SR);
	assert_int_equal(p.len, 52);
	assert_int_equal(p.sender_ssrc, 0x7c4e910du);
	assert_int_equal(p.ntp, rtcp_ntp_from_unix_us(1704067200250000ull));
	assert_int_equal(p.rtp_ts, 0x5e8c3a40u);
	assert_int_equal(p.packet_count, 500);
	assert_int_equal(p.octet_count, 40000);
	assert_int_equal(p.nblocks, 1);
	assert_int_equal(rtcp_report_block_get(&p, 0, &b), 0);
	assert_int_equal(b.ssrc, 0x0badf00du);
	assert_int_equal(b.cumulative_lost, -2);
	assert_int_equal(b.ext_highest_seq, 0xfff0u);
	assert_int_equal(b.jitter, 5);
	assert_int_equal(b.lsr, 0);
	assert_int_equal(rtcp_next(chrome_sr_sdes, sizeof(chrome_sr_sdes), &off, &p), 1);
	assert_int_equal(p.pt, RTCP_SDES);
	assert_int_equal(p.sender_ssrc, 0x7c4e910du);
	assert_int_equal(rtcp_next(chrome_sr_sdes, sizeof(chrome_sr_sdes), &off, &p), 0);
}

static void test_ntp(void **state)
{
	(void)state;
	assert_int_equal(rtcp_ntp_from_unix_us(0), (uint64_t)2208988800u << 32);
	/* 2024-01-01T00:00:00.25Z is NTP second 3913056000, a quarter of 2^32 */
	assert_int_equal(rtcp_ntp_from_unix_us(1704067200250000ull),
			 (uint64_t)3913056000u << 32 | 0x40000000u);
	assert_int_equal(rtcp_ntp_from_unix_us(1500000) & 0xffffffffu, 0x80000000u);
	assert_int_equal(rtcp_ntp_from_unix_us(999999) & 0xffffffffu, 0xffffef39u);
}

/* one packet built into b (len n), parsed back as the only packet */
static void parse_one(const uint8_t *b, size_t n, struct rtcp_pkt *p)
{
	size_t off = 0;

	assert_true(n > 0 && n % 4 == 0);
	assert_int_equal(b[2] << 8 | b[3], n / 4 - 1);
	assert_int_equal(rtcp_next(b, n, &off, p), 1);
	assert_int_equal(off, n);
	assert_int_equal(p->len, n);
	assert_int_equal(rtcp_next(b, n, &off, p), 0);
	off = 0;
	assert_int_equal(rtcp_next(b, n, &off, p), 1);
}

static void assert_rb_equal(const struct rtcp_report_block *a, const struct rtcp_report_block *b)
{
	assert_int_equal(a->ssrc, b->ssrc);
	assert_int_equal(a->fraction_lost, b->fraction_lost);
	assert_int_equal(a->cumulative_lost, b->cumulative_lost);
	assert_int_equal(a->ext_highest_seq, b->ext_highest_seq);
	assert_int_equal(a->jitter, b->jitter);
	assert_int_equal(a->lsr, b->lsr);
	assert_int_equal(a->dlsr, b->dlsr);
}

static void test_build_sr_rr(void **state)
{
	const struct rtcp_report_block rb[2] = {
		{ 0x11111111, 25, -5, 0x10005, 77, 0xabcd0000u, 0x00020000 },
		{ 0x22222222, 255, 0x7fffff, 3, 0, 0, 0 },
	};
	struct rtcp_report_block big = { 1, 0, 50000000, 0, 0, 0, 0 }, got;
	uint8_t b[1024];
	struct rtcp_pkt p;
	size_t n, i;
	uint64_t ntp = rtcp_ntp_from_unix_us(1704067200250000ull);
	(void)state;

	n = rtcp_build_sr(b, sizeof(b), 0xfeedface, ntp, 0x12345678, 9, 9000, rb, 2);
	assert_int_equal(n, 28 + 48);
	assert_int_equal(b[0], 0x82);
	parse_one(b, n, &p);
	assert_int_equal(p.pt, RTCP_SR);
	assert_int_equal(p.sender_ssrc, 0xfeedface);
	assert_int_equal(p.ntp, ntp);
	assert_int_equal(p.rtp_ts, 0x12345678);
	assert_int_equal(p.packet_count, 9);
	assert_int_equal(p.octet_count, 9000);
	assert_int_equal(p.nblocks, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(rtcp_report_block_get(&p, i, &got), 0);
		assert_rb_equal(&got, &rb[i]);
	}
	assert_int_equal(rtcp_build_sr(b, n - 1, 1, ntp, 0, 0, 0, rb, 2), 0);
	assert_int_equal(rtcp_build_sr(b, 28, 1, ntp, 0, 0, 0, NULL, 0), 28);

	n = rtcp_build_rr(b, sizeof(b), 0xfeedface, rb, 2);
	assert_int_equal(n, 8 + 48);
	parse_one(b, n, &p);
	assert_int_equal(p.pt, RTCP_RR);
	assert_int_equal(p.count, 2);
	assert_int_equal(rtcp_report_block_get(&p, 1, &got), 0);
	assert_rb_equal(&got, &rb[1]);
	assert_int_equal(rtcp_build_rr(b, 7, 1, NULL, 0), 0);
	assert_int_equal(rtcp_build_rr(b, 8, 1, NULL, 0), 8);
	parse_one(b, 8, &p);
	assert_int_equal(p.nblocks, 0);

	/* the cumulative loss saturates to 24 bits, both ways */
	n = rtcp_build_rr(b, sizeof(b), 1, &big, 1);
	parse_one(b, n, &p);
	assert_int_equal(rtcp_report_block_get(&p, 0, &got), 0);
	assert_int_equal(got.cumulative_lost, 0x7fffff);
	big.cumulative_lost = -50000000;
	n = rtcp_build_rr(b, sizeof(b), 1, &big, 1);
	parse_one(b, n, &p);
	assert_int_equal(rtcp_report_block_get(&p, 0, &got), 0);
	assert_int_equal(got.cumulative_lost, -0x800000);
	assert_memory_equal(b + 13, "\x80\x00\x00", 3);
}

static void test_build_rr_31_blocks(void **state)
{
	struct rtcp_report_block rb[32], got;
	uint8_t b[8 + 32 * 24];
	struct rtcp_pkt p;
	size_t n, i;
	(void)state;

	memset(rb, 0, sizeof(rb));
	for (i = 0; i < 32; i++) {
		rb[i].ssrc = (uint32_t)(0x1000 + i);
		rb[i].cumulative_lost = -(int32_t)i;
	}
	assert_int_equal(rtcp_build_rr(b, sizeof(b), 1, rb, 32), 0);   /* RC is 5 bits */
	assert_int_equal(rtcp_build_sr(b, sizeof(b), 1, 0, 0, 0, 0, rb, 32), 0);
	n = rtcp_build_rr(b, sizeof(b), 1, rb, 31);
	assert_int_equal(n, 8 + 31 * 24);
	parse_one(b, n, &p);
	assert_int_equal(p.count, 31);
	assert_int_equal(rtcp_report_block_get(&p, 30, &got), 0);
	assert_int_equal(got.ssrc, 0x1000 + 30);
	assert_int_equal(got.cumulative_lost, -30);
	assert_int_equal(rtcp_report_block_get(&p, 31, &got), ENOENT);
}

static void test_build_sdes_bye(void **state)
{
	static const uint8_t want[] = {
		0x81, 0xca, 0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x01, 0x10,
		'r', 'X', '6', 'h', '/', 'Q', 'y', 'v', 'f', 'K', '0', 'Z', 'j', '+', 'e', 'F',
		0x00, 0x00,
	};
	uint8_t b[300];
	struct rtcp_pkt p;
	size_t n, len;
	char name[257];
	(void)state;

	n = rtcp_build_sdes_cname(b, sizeof(b), 1, "rX6h/QyvfK0Zj+eF");
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(rtcp_build_sdes_cname(b, n - 1, 1, "rX6h/QyvfK0Zj+eF"), 0);
	/* always at least one null octet after the item, and whole words */
	memset(name, 'c', sizeof(name));
	for (len = 0; len <= 255; len++) {
		name[len] = '\0';
		memset(b, 0xee, sizeof(b));
		n = rtcp_build_sdes_cname(b, sizeof(b), 0xabc, name);
		assert_int_equal(n, 4 + ((4 + 2 + len + 1 + 3) & ~(size_t)3));
		assert_int_equal(b[9], len);
		assert_int_equal(b[10 + len], 0);
		assert_int_equal(b[n - 1], 0);
		parse_one(b, n, &p);
		assert_int_equal(p.pt, RTCP_SDES);
		assert_int_equal(p.sender_ssrc, 0xabc);
		name[len] = 'c';
	}
	name[256] = '\0';
	assert_int_equal(rtcp_build_sdes_cname(b, sizeof(b), 1, name), 0);
	assert_int_equal(rtcp_build_sdes_cname(b, sizeof(b), 1, NULL), 0);

	n = rtcp_build_bye(b, sizeof(b), 0xdeadbeef);
	assert_int_equal(n, 8);
	assert_memory_equal(b, "\x81\xcb\x00\x01\xde\xad\xbe\xef", 8);
	parse_one(b, n, &p);
	assert_int_equal(p.pt, RTCP_BYE);
	assert_int_equal(p.sender_ssrc, 0xdeadbeef);
	assert_int_equal(rtcp_build_bye(b, 7, 1), 0);
}

static void test_build_pli_fir(void **state)
{
	uint8_t b[64];
	struct rtcp_pkt p;
	uint32_t ssrc = 0;
	uint8_t seq = 0;
	size_t n;
	(void)state;

	n = rtcp_build_pli(b, sizeof(b), 1, 0x7c4e910d);
	assert_int_equal(n, 12);
	assert_memory_equal(b, "\x81\xce\x00\x02\x00\x00\x00\x01\x7c\x4e\x91\x0d", 12);
	parse_one(b, n, &p);
	assert_int_equal(p.pt, RTCP_PSFB);
	assert_int_equal(p.count, RTCP_FMT_PLI);
	assert_int_equal(p.sender_ssrc, 1);
	assert_int_equal(p.media_ssrc, 0x7c4e910du);
	assert_int_equal(p.fci_len, 0);
	assert_int_equal(rtcp_fir_parse(&p, &ssrc, &seq), EBADMSG);
	assert_int_equal(rtcp_build_pli(b, 11, 1, 2), 0);

	n = rtcp_build_fir(b, sizeof(b), 1, 0x7c4e910d, 42);
	assert_int_equal(n, 20);
	assert_memory_equal(b, "\x84\xce\x00\x04\x00\x00\x00\x01\x00\x00\x00\x00"
			    "\x7c\x4e\x91\x0d\x2a\x00\x00\x00", 20);
	parse_one(b, n, &p);
	assert_int_equal(p.count, RTCP_FMT_FIR);
	assert_int_equal(p.media_ssrc, 0);          /* RFC 5104: unused in the header */
	assert_int_equal(rtcp_fir_parse(&p, &ssrc, &seq), 0);
	assert_int_equal(ssrc, 0x7c4e910du);
	assert_int_equal(seq, 42);
	assert_int_equal(rtcp_build_fir(b, 19, 1, 2, 3), 0);
	/* a FIR header with a truncated FCI */
	b[3] = 3;
	parse_one(b, 16, &p);
	assert_int_equal(rtcp_fir_parse(&p, &ssrc, &seq), EBADMSG);
}

struct seqs { uint16_t s[64]; size_t n; };

static void collect(uint16_t seq, void *arg)
{
	struct seqs *c = arg;

	if (c->n < 64)
		c->s[c->n] = seq;
	c->n++;
}

static void test_nack_wrap(void **state)
{
	static const uint16_t lost[] = { 65534, 65535, 0, 1, 17, 40 };
	uint8_t b[64];
	struct rtcp_pkt p;
	struct seqs got = { .n = 0 };
	size_t n;
	(void)state;

	n = rtcp_build_nack(b, sizeof(b), 1, 0x7c4e910d, lost, 6);
	assert_int_equal(n, 12 + 3 * 4);
	assert_memory_equal(b, "\x81\xcd\x00\x05", 4);
	assert_memory_equal(b + 12, "\xff\xfe\x00\x07" "\x00\x11\x00\x00" "\x00\x28\x00\x00", 12);
	parse_one(b, n, &p);
	assert_int_equal(p.pt, RTCP_RTPFB);
	assert_int_equal(p.count, RTCP_FMT_NACK);
	assert_int_equal(p.media_ssrc, 0x7c4e910du);
	assert_int_equal(p.fci_len, 12);
	rtcp_nack_foreach(&p, collect, &got);
	assert_int_equal(got.n, 6);
	assert_memory_equal(got.s, lost, sizeof(lost));
	assert_int_equal(rtcp_build_nack(b, n - 1, 1, 2, lost, 6), 0);
	assert_int_equal(rtcp_build_nack(b, sizeof(b), 1, 2, lost, 0), 0);
}

static void test_nack_bits(void **state)
{
	/* 16 after the PID is the last bit; 17 after starts a new pair; duplicates fold */
	static const uint16_t lost[] = { 100, 100, 101, 116, 117, 117, 200 };
	static const uint16_t want[] = { 100, 101, 116, 117, 200 };
	uint8_t b[64];
	struct rtcp_pkt p;
	struct seqs got = { .n = 0 };
	size_t n;
	(void)state;

	n = rtcp_build_nack(b, sizeof(b), 1, 2, lost, 7);
	assert_int_equal(n, 12 + 3 * 4);
	assert_memory_equal(b + 12, "\x00\x64\x80\x01" "\x00\x75\x00\x00" "\x00\xc8\x00\x00", 12);
	parse_one(b, n, &p);
	rtcp_nack_foreach(&p, collect, &got);
	assert_int_equal(got.n, 5);
	assert_memory_equal(got.s, want, sizeof(want));

	/* a PLI is not a NACK */
	got.n = 0;
	n = rtcp_build_pli(b, sizeof(b), 1, 2);
	parse_one(b, n, &p);
	rtcp_nack_foreach(&p, collect, &got);
	assert_int_equal(got.n, 0);
}

static void remb_round_trip(uint64_t bps, unsigned want_exp)
{
	static const uint32_t ssrcs[] = { 0x7c4e910d, 0x0badf00d };
	uint8_t b[64];
	struct rtcp_pkt p;
	uint64_t got = 0;
	uint32_t out[4] = { 0 };
	size_t n, nout = 4;

	n = rtcp_build_remb(b, sizeof(b), 1, bps, ssrcs, 2);
	assert_int_equal(n, 28);
	assert_memory_equal(b, "\x8f\xce\x00\x06\x00\x00\x00\x01\x00\x00\x00\x00REMB\x02", 17);
	assert_int_equal(b[17] >> 2, want_exp);
	parse_one(b, n, &p);
	assert_int_equal(rtcp_remb_parse(&p, &got, out, &nout), 0);
	/* rounded down, by less than one step of the mantissa */
	assert_true(got <= bps);
	assert_true(bps - got < ((uint64_t)1 << want_exp));
	assert_int_equal(nout, 2);
	assert_memory_equal(out, ssrcs, sizeof(ssrcs));
}

static void test_remb(void **state)
{
	uint8_t b[64];
	struct rtcp_pkt p;
	uint64_t bps = 0;
	uint32_t out[1];
	size_t n, nout;
	(void)state;

	remb_round_trip(0, 0);
	remb_round_trip(1, 0);
	remb_round_trip(0x3ffff, 0);
	remb_round_trip(0x40000, 1);
	remb_round_trip(1500000, 3);
	remb_round_trip(2000001, 3);
	remb_round_trip(UINT64_MAX, 46);

	/* 1.5 Mbps is exact: mantissa 187500, exponent 3 */
	n = rtcp_build_remb(b, sizeof(b), 1, 1500000, NULL, 0);
	assert_int_equal(n, 20);
	assert_memory_equal(b + 16, "\x00\x0e\xdc\x6c", 4);
	parse_one(b, n, &p);
	nout = 1;
	assert_int_equal(rtcp_remb_parse(&p, &bps, out, &nout), 0);
	assert_int_equal(bps, 1500000);
	assert_int_equal(nout, 0);

	/* fewer slots than SSRCs: only what fits */
	n = rtcp_build_remb(b, sizeof(b), 1, 1000, (const uint32_t[]){ 5, 6, 7 }, 3);
	parse_one(b, n, &p);
	nout = 1;
	assert_int_equal(rtcp_remb_parse(&p, &bps, out, &nout), 0);
	assert_int_equal(nout, 1);
	assert_int_equal(out[0], 5);
	assert_int_equal(rtcp_remb_parse(&p, &bps, NULL, NULL), 0);

	/* Num SSRC larger than the FCI, an exponent past 64 bits, another AFB */
	b[16] = 4;
	assert_int_equal(rtcp_remb_parse(&p, &bps, out, &nout), EBADMSG);
	b[16] = 3;
	b[17] = 0xff;
	assert_int_equal(rtcp_remb_parse(&p, &bps, out, &nout), EBADMSG);
	b[17] = 0x00;
	b[12] = 'X';
	assert_int_equal(rtcp_remb_parse(&p, &bps, out, &nout), EBADMSG);
	assert_int_equal(rtcp_build_remb(b, 31, 1, 1, (const uint32_t[]){ 5, 6, 7 }, 3), 0);
	n = rtcp_build_pli(b, sizeof(b), 1, 2);
	parse_one(b, n, &p);
	assert_int_equal(rtcp_remb_parse(&p, &bps, out, &nout), EBADMSG);
}

/* a good RR, then a packet whose length runs past the buffer: the first is returned,
 * then -EBADMSG, and the offset does not move */
static void test_malformed_lengths(void **state)
{
	uint8_t b[sizeof(chrome_rr_sdes)];
	struct rtcp_pkt p;
	size_t off = 0;
	(void)state;

	memcpy(b, chrome_rr_sdes, sizeof(b));
	b[35] = 0x07;
	assert_int_equal(rtcp_next(b, sizeof(b), &off, &p), 1);
	assert_int_equal(off, 32);
	assert_int_equal(rtcp_next(b, sizeof(b), &off, &p), -EBADMSG);
	assert_int_equal(off, 32);
	assert_null(p.buf);

	/* a compound cut anywhere but at a packet boundary */
	for (size_t len = 1; len < sizeof(chrome_rr_sdes); len++) {
		int r;

		off = 0;
		while ((r = rtcp_next(chrome_rr_sdes, len, &off, &p)) == 1)
			;
		assert_int_equal(r, len == 32 ? 0 : -EBADMSG);
	}

	memcpy(b, chrome_rr_sdes, sizeof(b));
	b[0] = 0x41;                                    /* version 1 */
	off = 0;
	assert_int_equal(rtcp_next(b, sizeof(b), &off, &p), -EBADMSG);
	assert_int_equal(off, 0);
}

static void test_zero_and_oversized(void **state)
{
	uint8_t b[64] = { 0 };
	struct rtcp_pkt p;
	size_t off = 0;
	(void)state;

	assert_int_equal(rtcp_next(b, 0, &off, &p), 0);
	assert_int_equal(rtcp_next(NULL, 0, &off, &p), 0);
	off = 0;
	/* length 0 (header only): an RR needs its SSRC, an unknown type may be empty */
	memcpy(b, "\x80\xc9\x00\x00", 4);
	assert_int_equal(rtcp_next(b, 4, &off, &p), -EBADMSG);
	memcpy(b, "\x80\xcf\x00\x00", 4);
	assert_int_equal(rtcp_next(b, 4, &off, &p), 1);
	assert_int_equal(p.pt, 207);
	assert_int_equal(p.len, 4);
	/* RC=31 with room for one block */
	off = 0;
	memcpy(b, chrome_rr_sdes, 32);
	b[0] = 0x9f;
	assert_int_equal(rtcp_next(b, 32, &off, &p), -EBADMSG);
	/* SR with RC=1 and no block */
	off = 0;
	memcpy(b, chrome_sr_sdes, 28);
	b[3] = 0x06;
	assert_int_equal(rtcp_next(b, 28, &off, &p), -EBADMSG);
	b[0] = 0x80;
	assert_int_equal(rtcp_next(b, 28, &off, &p), 1);
	assert_int_equal(p.nblocks, 0);
	/* SDES and BYE with a count but no SSRC; APP without its name */
	off = 0;
	assert_int_equal(rtcp_next((const uint8_t *)"\x81\xca\x00\x00", 4, &off, &p), -EBADMSG);
	assert_int_equal(rtcp_next((const uint8_t *)"\x81\xcb\x00\x00", 4, &off, &p), -EBADMSG);
	assert_int_equal(rtcp_next((const uint8_t *)"\x80\xcb\x00\x00", 4, &off, &p), 1);
	off = 0;
	assert_int_equal(rtcp_next((const uint8_t *)"\x80\xcc\x00\x01\x00\x00\x00\x01", 8, &off, &p),
			 -EBADMSG);
	/* feedback without its media SSRC */
	assert_int_equal(rtcp_next((const uint8_t *)"\x81\xce\x00\x01\x00\x00\x00\x01", 8, &off, &p),
			 -EBADMSG);
	/* 1..3 stray bytes after a good packet */
	memcpy(b, "\x80\xc9\x00\x01\x00\x00\x00\x01\x80\xc9\x00", 11);
	off = 0;
	assert_int_equal(rtcp_next(b, 11, &off, &p), 1);
	assert_int_equal(rtcp_next(b, 11, &off, &p), -EBADMSG);
}

/* the padding bit: the last octet counts what to ignore, and the fields stop before it */
static void test_padding(void **state)
{
	uint8_t b[32];
	struct rtcp_pkt p;
	struct seqs got = { .n = 0 };
	size_t n, off = 0;
	(void)state;

	n = rtcp_build_nack(b, sizeof(b), 1, 2, (const uint16_t[]){ 9 }, 1);
	memcpy(b + n, "\x00\x00\x00\x04", 4);
	b[0] |= 0x20;
	b[3] += 1;
	assert_int_equal(rtcp_next(b, n + 4, &off, &p), 1);
	assert_int_equal(p.len, n + 4);
	assert_int_equal(p.fci_len, 4);
	rtcp_nack_foreach(&p, collect, &got);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.s[0], 9);
	off = 0;
	b[n + 3] = 0;
	assert_int_equal(rtcp_next(b, n + 4, &off, &p), -EBADMSG);
	b[n + 3] = 13;                                  /* eats into the FCI */
	assert_int_equal(rtcp_next(b, n + 4, &off, &p), -EBADMSG);
	b[n + 3] = 17;                                  /* more than the body */
	assert_int_equal(rtcp_next(b, n + 4, &off, &p), -EBADMSG);
	assert_int_equal(rtcp_next((const uint8_t *)"\xa0\xcf\x00\x00", 4, &off, &p), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chrome_rr_sdes),
		cmocka_unit_test(test_chrome_sr_sdes),
		cmocka_unit_test(test_ntp),
		cmocka_unit_test(test_build_sr_rr),
		cmocka_unit_test(test_build_rr_31_blocks),
		cmocka_unit_test(test_build_sdes_bye),
		cmocka_unit_test(test_build_pli_fir),
		cmocka_unit_test(test_nack_wrap),
		cmocka_unit_test(test_nack_bits),
		cmocka_unit_test(test_remb),
		cmocka_unit_test(test_malformed_lengths),
		cmocka_unit_test(test_zero_and_oversized),
		cmocka_unit_test(test_padding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

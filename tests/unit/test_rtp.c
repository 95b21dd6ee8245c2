/* RTP header parsing, RFC 8285 header extensions, rewriting and demultiplexing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/rtp.h"

/* Opus as Chromium sends it with its default audio extmap (1 ssrc-audio-level,
 * 2 abs-send-time, 3 transport-wide-cc, 4 sdes:mid) in the first packets of a call, before
 * the mid has been acknowledged: PT 111, one-byte extension block of 3 words. */
static const uint8_t chrome_opus[] = {
	0x90, 0x6f, 0x1a, 0x2b,             /* V=2 X=1 CC=0, M=0 PT=111, seq 6699 */
	0x5e, 0x8c, 0x3a, 0x40,             /* timestamp */
	0x7c, 0x4e, 0x91, 0x0d,             /* SSRC */
	0xbe, 0xde, 0x00, 0x03,             /* one-byte profile, 3 words */
	0x10, 0xaa,                         /* id 1, 1 byte: audio level V=1 level 42 */
	0x22, 0x3c, 0x1a, 0x9f,             /* id 2, 3 bytes: abs-send-time */
	0x31, 0x00, 0x2c,                   /* id 3, 2 bytes: transport-wide seq 44 */
	0x40, 0x30,                         /* id 4, 1 byte: mid "0" */
	0x00,                               /* padding to the word */
	0x78, 0x0b, 0xe4, 0xc1, 0x36, 0xec, 0xc5, 0x80, /* Opus: TOC 0x78 (hybrid FB 20 ms) */
	0x1f, 0x87, 0x4d, 0x06, 0x29, 0x5b, 0x31, 0xa7,
};
#define OPUS_HDR_END 28

/* two CSRCs (a mixer's output), marker set, no extension */
static const uint8_t with_csrcs[] = {
	0x82, 0x88, 0x00, 0x05, 0x00, 0x00, 0x03, 0x20, 0x11, 0x22, 0x33, 0x44,
	0xaa, 0xaa, 0xaa, 0x01, 0xbb, 0xbb, 0xbb, 0x02,
	0xd5, 0xd5, 0xd5, 0xd5,
};

/* two-byte form (0x1000, as Chromium switches to for the 33-byte dependency descriptor):
 * id 2 len 3, id 4 len 2, a padding byte, id 9 len 0, id 13 len 17 */
static const uint8_t two_byte[] = {
	0x90, 0x2d, 0x61, 0xc5, 0x95, 0x0a, 0x0f, 0xee, 0x8d, 0x38, 0x14, 0xe5,
	0x10, 0x00, 0x00, 0x08,             /* 8 words = 32 bytes */
	0x02, 0x03, 0x03, 0xf7, 0xae,
	0x04, 0x02, 0x00, 0x02,
	0x00,
	0x09, 0x00,
	0x0d, 0x11, 0xc0, 0x00, 0x01, 0x80, 0x03, 0x18, 0x7a, 0xaa, 0xf1,
	0x30, 0xa0, 0xa0, 0x14, 0xd1, 0x41, 0x38, 0x23,
	0x00,                               /* padding to the word */
	0x10, 0x02, 0x00, 0x9d,             /* VP8 payload descriptor and data */
};

static void test_parse_chrome_opus(void **state)
{
	struct rtp_hdr h;
	(void)state;

	assert_int_equal(rtp_parse(&h, chrome_opus, sizeof(chrome_opus)), 0);
	assert_int_equal(h.version, 2);
	assert_int_equal(h.pt, 111);
	assert_false(h.marker);
	assert_false(h.padding);
	assert_true(h.extension);
	assert_int_equal(h.cc, 0);
	assert_int_equal(h.seq, 6699);
	assert_int_equal(h.ts, 0x5e8c3a40u);
	assert_int_equal(h.ssrc, 0x7c4e910du);
	assert_int_equal(h.ext_profile, 0xBEDE);
	assert_int_equal(h.ext_off, 16);
	assert_int_equal(h.ext_len, 12);
	assert_int_equal(h.payload_off, OPUS_HDR_END);
	assert_int_equal(h.payload_len, 16);
	assert_int_equal(chrome_opus[h.payload_off], 0x78);
}

static void test_ext_find_one_byte(void **state)
{
	struct rtp_hdr h;
	const uint8_t *d;
	size_t n;
	(void)state;

	assert_int_equal(rtp_parse(&h, chrome_opus, sizeof(chrome_opus)), 0);
	assert_int_equal(rtp_ext_find(&h, chrome_opus, 1, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d[0], 0xaa);
	assert_int_equal(rtp_ext_find(&h, chrome_opus, 2, &d, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "\x3c\x1a\x9f", 3);
	assert_int_equal(rtp_ext_find(&h, chrome_opus, 3, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(d[0] << 8 | d[1], 44);
	assert_int_equal(rtp_ext_find(&h, chrome_opus, 4, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(d, "0", 1);
	assert_int_equal(rtp_ext_find(&h, chrome_opus, 5, &d, &n), ENOENT);
	assert_int_equal(rtp_ext_find(&h, chrome_opus, 0, &d, &n), ENOENT);
	assert_int_equal(rtp_ext_find(&h, chrome_opus, 15, &d, &n), ENOENT);
}

/* id 15 ends processing (RFC 8285 §4.2); 0x0N with N > 0 is not padding and stops too;
 * an element running past the block is not returned */
static void test_ext_find_stops(void **state)
{
	uint8_t p[] = {
		0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
		0xbe, 0xde, 0x00, 0x02,
		0x00, 0x10, 0xaa, 0xf0, 0x22, 0x01, 0x02, 0x03,
	};
	struct rtp_hdr h;
	const uint8_t *d;
	size_t n;
	(void)state;

	assert_int_equal(rtp_parse(&h, p, sizeof(p)), 0);
	assert_int_equal(rtp_ext_find(&h, p, 1, &d, &n), 0);   /* after a padding byte */
	assert_int_equal(d[0], 0xaa);
	assert_int_equal(rtp_ext_find(&h, p, 2, &d, &n), ENOENT);
	p[19] = 0x05;                                          /* id 0, length 6 */
	assert_int_equal(rtp_ext_find(&h, p, 2, &d, &n), ENOENT);
	p[19] = 0x00;                                          /* padding: id 2 is reached */
	assert_int_equal(rtp_ext_find(&h, p, 2, &d, &n), 0);
	assert_int_equal(n, 3);
	p[20] = 0x23;                                          /* 4 bytes: past the block */
	assert_int_equal(rtp_ext_find(&h, p, 2, &d, &n), ENOENT);
	p[12] = 0xab;                                          /* a profile RFC 8285 lacks */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), 0);
	assert_int_equal(h.ext_profile, 0xabde);
	assert_int_equal(rtp_ext_find(&h, p, 1, &d, &n), ENOENT);
}

/* 0x01 is ID 0 with two bytes of data: not padding, not an element either; the walk ends
 * there (as libwebrtc's does) rather than guess where the next element starts */
static void test_ext_find_id0_with_length(void **state)
{
	static const uint8_t p[] = {
		0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
		0xbe, 0xde, 0x00, 0x03,
		0x00, 0x10, 0xaa, 0x01, 0xee, 0xee, 0x22, 0x01, 0x02, 0x03, 0x00, 0x00,
	};
	struct rtp_hdr h;
	const uint8_t *d;
	size_t n;
	(void)state;

	assert_int_equal(rtp_parse(&h, p, sizeof(p)), 0);
	assert_int_equal(rtp_ext_find(&h, p, 1, &d, &n), 0);
	assert_int_equal(rtp_ext_find(&h, p, 2, &d, &n), ENOENT);
}

static void test_ext_find_two_byte(void **state)
{
	struct rtp_hdr h;
	const uint8_t *d;
	size_t n;
	(void)state;

	assert_int_equal(rtp_parse(&h, two_byte, sizeof(two_byte)), 0);
	assert_int_equal(h.ext_profile, 0x1000);
	assert_int_equal(h.ext_len, 32);
	assert_int_equal(h.payload_off, 48);
	assert_int_equal(h.payload_len, 4);
	assert_int_equal(rtp_ext_find(&h, two_byte, 2, &d, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "\x03\xf7\xae", 3);
	assert_int_equal(rtp_ext_find(&h, two_byte, 4, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rtp_ext_find(&h, two_byte, 9, &d, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(rtp_ext_find(&h, two_byte, 13, &d, &n), 0);
	assert_int_equal(n, 17);
	assert_int_equal(d[0], 0xc0);
	assert_int_equal(d[16], 0x23);
	assert_int_equal(rtp_ext_find(&h, two_byte, 1, &d, &n), ENOENT);
	assert_int_equal(rtp_ext_find(&h, two_byte, 200, &d, &n), ENOENT);
}

static void test_parse_csrcs(void **state)
{
	struct rtp_hdr h;
	const uint8_t *d;
	size_t n;
	(void)state;

	assert_int_equal(rtp_parse(&h, with_csrcs, sizeof(with_csrcs)), 0);
	assert_int_equal(h.cc, 2);
	assert_true(h.marker);
	assert_int_equal(h.pt, 8);
	assert_int_equal(h.seq, 5);
	assert_int_equal(h.ts, 800);
	assert_int_equal(h.ssrc, 0x11223344u);
	assert_false(h.extension);
	assert_int_equal(h.payload_off, 20);
	assert_int_equal(h.payload_len, 4);
	assert_int_equal(rtp_ext_find(&h, with_csrcs, 1, &d, &n), ENOENT);
	/* CSRC list longer than the packet */
	assert_int_equal(rtp_parse(&h, with_csrcs, 19), EBADMSG);
}

static void test_parse_padding(void **state)
{
	uint8_t p[] = {
		0xa0, 0x60, 0, 7, 0, 0, 0, 9, 0, 0, 0, 1,
		0xde, 0xad, 0xbf, 0x00, 0x00, 0x00, 0x04,
	};
	struct rtp_hdr h;
	(void)state;

	assert_int_equal(rtp_parse(&h, p, sizeof(p)), 0);
	assert_true(h.padding);
	assert_int_equal(h.payload_off, 12);
	assert_int_equal(h.payload_len, 3);
	p[18] = 7;                  /* all of it padding, as in Chromium's bandwidth probes */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), 0);
	assert_int_equal(h.payload_len, 0);
	p[18] = 8;                  /* more than there is */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[18] = 0;                  /* the count includes itself: 0 is impossible */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	/* padding bit with no byte after the header */
	assert_int_equal(rtp_parse(&h, p, RTP_HDR_LEN), EBADMSG);
}

static void test_parse_bad(void **state)
{
	uint8_t p[sizeof(chrome_opus)];
	struct rtp_hdr h;
	size_t len;
	(void)state;

	for (len = 0; len < sizeof(chrome_opus); len++) {
		int want = len < OPUS_HDR_END ? EBADMSG : 0;
		assert_int_equal(rtp_parse(&h, chrome_opus, len), want);
		if (want)
			assert_int_equal(h.payload_len, 0);
	}
	memcpy(p, chrome_opus, sizeof(p));
	p[0] = 0x10;                            /* version 0 */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[0] = 0x50;                            /* version 1 */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[0] = 0xd0;                            /* version 3 */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[0] = 0x9f;                            /* 15 CSRCs: 72 bytes of header */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[0] = 0x90;
	p[14] = 0xff;                           /* extension of 65283 words */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[14] = 0x00;
	p[15] = 0x0a;                           /* 40 bytes, 28 remain */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[15] = 0x07;                           /* exactly to the end: empty payload */
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), 0);
	assert_int_equal(h.payload_len, 0);
	assert_int_equal(h.payload_off, sizeof(p));
	assert_int_equal(rtp_parse(&h, NULL, 0), EBADMSG);
}

static void test_setters(void **state)
{
	uint8_t p[sizeof(with_csrcs)];
	struct rtp_hdr h;
	(void)state;

	memcpy(p, with_csrcs, sizeof(p));
	rtp_set_pt(p, 111);
	rtp_set_seq(p, 0xfffe);
	rtp_set_ts(p, 0xdeadbeef);
	rtp_set_ssrc(p, 0x01020304);
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), 0);
	assert_int_equal(h.pt, 111);
	assert_true(h.marker);                  /* the marker survives a PT rewrite */
	assert_int_equal(h.cc, 2);
	assert_int_equal(h.seq, 0xfffe);
	assert_int_equal(h.ts, 0xdeadbeefu);
	assert_int_equal(h.ssrc, 0x01020304u);
	assert_memory_equal(p + 2, "\xff\xfe\xde\xad\xbe\xef\x01\x02\x03\x04", 10);
	assert_memory_equal(p + 12, with_csrcs + 12, sizeof(p) - 12);
	rtp_set_pt(p, 0xff);                    /* only 7 bits are a PT */
	assert_int_equal(p[1], 0xff);
	p[1] = 0x00;
	rtp_set_pt(p, 0x80 | 9);
	assert_int_equal(p[1], 9);
}

static void test_strip_ext(void **state)
{
	uint8_t p[sizeof(chrome_opus)];
	struct rtp_hdr h, h2;
	size_t len;
	(void)state;

	memcpy(p, chrome_opus, sizeof(p));
	assert_int_equal(rtp_parse(&h, p, sizeof(p)), 0);
	len = rtp_strip_ext(p, sizeof(p), &h);
	assert_int_equal(len, sizeof(p) - 16);
	assert_int_equal(rtp_parse(&h2, p, len), 0);
	assert_false(h2.extension);
	assert_int_equal(h2.payload_off, RTP_HDR_LEN);
	assert_int_equal(h2.payload_len, h.payload_len);
	assert_memory_equal(p + 1, chrome_opus + 1, RTP_HDR_LEN - 1);
	assert_memory_equal(p + h2.payload_off, chrome_opus + h.payload_off, h.payload_len);
	/* nothing to strip: unchanged */
	assert_int_equal(rtp_strip_ext(p, len, &h2), len);
}

/* CSRCs stay, padding stays and still counts */
static void test_strip_ext_csrc_padding(void **state)
{
	uint8_t p[] = {
		0xb1, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
		0x0c, 0x0c, 0x0c, 0x0c,                 /* CSRC */
		0xbe, 0xde, 0x00, 0x01, 0x10, 0x7f, 0x00, 0x00,
		0x01, 0x02, 0x03, 0x00, 0x02,           /* payload, 2 bytes of padding */
	};
	struct rtp_hdr h;
	size_t len;
	(void)state;

	assert_int_equal(rtp_parse(&h, p, sizeof(p)), 0);
	assert_int_equal(h.payload_len, 3);
	len = rtp_strip_ext(p, sizeof(p), &h);
	assert_int_equal(len, sizeof(p) - 8);
	assert_int_equal(rtp_parse(&h, p, len), 0);
	assert_false(h.extension);
	assert_true(h.padding);
	assert_int_equal(h.cc, 1);
	assert_int_equal(h.payload_off, 16);
	assert_int_equal(h.payload_len, 3);
	assert_memory_equal(p + 12, "\x0c\x0c\x0c\x0c\x01\x02\x03\x00\x02", 9);
}

static void test_write_hdr(void **state)
{
	uint8_t b[RTP_HDR_LEN + 2] = { 0 };
	struct rtp_hdr h;
	(void)state;

	assert_int_equal(rtp_write_hdr(b, RTP_HDR_LEN - 1, 96, true, 1, 2, 3), 0);
	assert_int_equal(rtp_write_hdr(b, sizeof(b), 96, true, 65535, 0xfffffff0u, 0xcafe), RTP_HDR_LEN);
	assert_int_equal(rtp_parse(&h, b, sizeof(b)), 0);
	assert_int_equal(h.pt, 96);
	assert_true(h.marker);
	assert_int_equal(h.seq, 65535);
	assert_int_equal(h.ts, 0xfffffff0u);
	assert_int_equal(h.ssrc, 0xcafe);
	assert_int_equal(h.payload_len, 2);
	assert_memory_equal(b, "\x80\xe0\xff\xff\xff\xff\xff\xf0\x00\x00\xca\xfe", RTP_HDR_LEN);
}

/* RFC 7983 first-byte ranges, RFC 5761 second byte */
static void test_demux(void **state)
{
	static const uint8_t stun[] = { 0x00, 0x01, 0x00, 0x50, 0x21, 0x12, 0xa4, 0x42 };
	static const uint8_t dtls[] = { 0x16, 0xfe, 0xfd, 0x00, 0x00 };     /* handshake */
	static const uint8_t turn_ch[] = { 0x40, 0x00, 0x00, 0x10 };
	static const uint8_t sr[] = { 0x80, 0xc8, 0x00, 0x06 };
	static const uint8_t rr[] = { 0x81, 0xc9, 0x00, 0x07 };
	static const uint8_t pli[] = { 0x81, 0xce, 0x00, 0x02 };
	static const uint8_t xr[] = { 0x80, 0xcf, 0x00, 0x02 };
	static const uint8_t vp8_marker[] = { 0x90, 0xe0, 0x00, 0x01 };   /* PT 96, M=1 */
	static const uint8_t pt127_marker[] = { 0x80, 0xff, 0x00, 0x01 };
	static const uint8_t byte191[] = { 0xbf, 0xc8 };
	static const uint8_t byte192[] = { 0xc0, 0xc8 };
	(void)state;

	assert_false(rtp_is_rtp_or_rtcp(stun, sizeof(stun)));
	assert_false(rtp_is_rtp_or_rtcp(dtls, sizeof(dtls)));
	assert_false(rtp_is_rtp_or_rtcp(turn_ch, sizeof(turn_ch)));
	assert_true(rtp_is_rtp_or_rtcp(chrome_opus, sizeof(chrome_opus)));
	assert_true(rtp_is_rtp_or_rtcp(sr, sizeof(sr)));
	assert_true(rtp_is_rtp_or_rtcp(byte191, sizeof(byte191)));
	assert_false(rtp_is_rtp_or_rtcp(byte192, sizeof(byte192)));
	assert_false(rtp_is_rtp_or_rtcp(sr, 0));

	assert_true(rtp_is_rtcp(sr, sizeof(sr)));
	assert_true(rtp_is_rtcp(rr, sizeof(rr)));
	assert_true(rtp_is_rtcp(pli, sizeof(pli)));
	assert_true(rtp_is_rtcp(xr, sizeof(xr)));
	assert_false(rtp_is_rtcp(chrome_opus, sizeof(chrome_opus)));
	assert_false(rtp_is_rtcp(vp8_marker, sizeof(vp8_marker)));
	assert_false(rtp_is_rtcp(pt127_marker, sizeof(pt127_marker)));
	assert_false(rtp_is_rtcp(stun, sizeof(stun)));
	assert_false(rtp_is_rtcp(byte192, sizeof(byte192)));
	assert_false(rtp_is_rtcp(sr, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_chrome_opus),
		cmocka_unit_test(test_ext_find_one_byte),
		cmocka_unit_test(test_ext_find_stops),
		cmocka_unit_test(test_ext_find_id0_with_length),
		cmocka_unit_test(test_ext_find_two_byte),
		cmocka_unit_test(test_parse_csrcs),
		cmocka_unit_test(test_parse_padding),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_setters),
		cmocka_unit_test(test_strip_ext),
		cmocka_unit_test(test_strip_ext_csrc_padding),
		cmocka_unit_test(test_write_hdr),
		cmocka_unit_test(test_demux),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* rtcp: RTCP compound packet parsing and building (RFC 3550 §6, RFC 4585 §6, RFC 5104
 * §4.3.1, draft-alvestrand-rmcat-remb-03 §2.2).
 *
 * Parsing never reads outside [buf, buf + len) and never allocates; a parsed struct
 * rtcp_pkt points into the caller's buffer. p->len is the whole packet as it sits in the
 * compound (header and any padding included); the type-specific fields (report blocks,
 * fci/fci_len) are checked against and cover the packet without its padding. */
#include "media/rtcp.h"
#include "base/bytes.h"

#include <errno.h>
#include <string.h>

#define RTCP_HDR_LEN     4
#define RTCP_RB_LEN      24
#define RTCP_SR_INFO_LEN 20
#define RTCP_FB_LEN      12     /* header, sender SSRC, media SSRC */
#define RTCP_MAX_COUNT   31
#define RTCP_MAX_WORDS   0xffffu
#define RTCP_SDES_CNAME  1
#define RTCP_REMB_MANT_MAX 0x3ffffu  /* 18-bit mantissa */
#define RTCP_NTP_UNIX_OFFSET 2208988800u /* seconds from 1900 to 1970 */

/* ---- parsing ---------------------------------------------------------------------- */

/* The body (after the 4-byte header, padding removed) of each type: what must be there. */
static int rtcp_parse_body(struct rtcp_pkt *p, const uint8_t *body, size_t n)
{
	size_t need = 0;

	switch (p->pt) {
	case RTCP_SR:
		need = 4 + RTCP_SR_INFO_LEN + (size_t)p->count * RTCP_RB_LEN;
		break;
	case RTCP_RR:
		need = 4 + (size_t)p->count * RTCP_RB_LEN;
		break;
	case RTCP_SDES:
	case RTCP_BYE:
		need = p->count ? 4 : 0;   /* at least the first SSRC/CSRC (RFC 3550 §6.5, §6.6) */
		break;
	case RTCP_APP:
		need = 8;                  /* SSRC and name */
		break;
	case RTCP_RTPFB:
	case RTCP_PSFB:
		need = 8;
		break;
	default:
		break;                     /* XR and others: passed through, not looked into */
	}
	if (n < need)
		return -EBADMSG;
	if (n >= 4)
		p->sender_ssrc = bytes_rd32(body);
	if (p->pt == RTCP_SR) {
		p->ntp = (uint64_t)bytes_rd32(body + 4) << 32 | bytes_rd32(body + 8);
		p->rtp_ts = bytes_rd32(body + 12);
		p->packet_count = bytes_rd32(body + 16);
		p->octet_count = bytes_rd32(body + 20);
	}
	if (p->pt == RTCP_SR || p->pt == RTCP_RR)
		p->nblocks = p->count;
	if (p->pt == RTCP_RTPFB || p->pt == RTCP_PSFB) {
		p->media_ssrc = bytes_rd32(body + 4);
		p->fci = body + 8;
		p->fci_len = n - 8;
	}
	return 0;
}

int rtcp_next(const uint8_t *buf, size_t len, size_t *off, struct rtcp_pkt *p)
{
	const uint8_t *h;
	size_t o = *off, plen, body, pad = 0;
	int err;

	memset(p, 0, sizeof(*p));
	if (!buf || o >= len)
		return 0;
	h = buf + o;
	if (len - o < RTCP_HDR_LEN || h[0] >> 6 != 2)
		return -EBADMSG;
	plen = ((size_t)bytes_rd16(h + 2) + 1) * 4;
	if (plen > len - o)
		return -EBADMSG;
	body = plen - RTCP_HDR_LEN;
	if (h[0] & 0x20) {
		/* RFC 3550 §6.4.1: the last octet counts the padding, itself included */
		pad = body ? h[plen - 1] : 0;
		if (pad < 1 || pad > body)
			return -EBADMSG;
	}
	p->pt = h[1];
	p->count = h[0] & 0x1f;
	p->buf = h;
	p->len = plen;
	err = rtcp_parse_body(p, h + RTCP_HDR_LEN, body - pad);
	if (err) {
		memset(p, 0, sizeof(*p));
		return err;
	}
	*off = o + plen;
	return 1;
}

static int32_t rtcp_s24(const uint8_t *b)
{
	uint32_t v = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];

	return (int32_t)v - ((v & 0x800000u) ? 0x1000000 : 0);
}

int rtcp_report_block_get(const struct rtcp_pkt *p, size_t i, struct rtcp_report_block *b)
{
	size_t start;
	const uint8_t *r;

	if (p->pt == RTCP_SR)
		start = RTCP_HDR_LEN + 4 + RTCP_SR_INFO_LEN;
	else if (p->pt == RTCP_RR)
		start = RTCP_HDR_LEN + 4;
	else
		return EINVAL;
	if (!p->buf || i >= p->nblocks || p->len < start || (p->len - start) / RTCP_RB_LEN <= i)
		return ENOENT;
	r = p->buf + start + i * RTCP_RB_LEN;
	b->ssrc = bytes_rd32(r);
	b->fraction_lost = r[4];
	b->cumulative_lost = rtcp_s24(r + 5);
	b->ext_highest_seq = bytes_rd32(r + 8);
	b->jitter = bytes_rd32(r + 12);
	b->lsr = bytes_rd32(r + 16);
	b->dlsr = bytes_rd32(r + 20);
	return 0;
}

void rtcp_nack_foreach(const struct rtcp_pkt *p, void (*h)(uint16_t seq, void *arg), void *arg)
{
	size_t i;
	uint16_t pid, blp;
	unsigned bit;

	if (p->pt != RTCP_RTPFB || p->count != RTCP_FMT_NACK || !p->fci)
		return;
	for (i = 0; i + 4 <= p->fci_len; i += 4) {
		pid = bytes_rd16(p->fci + i);
		blp = bytes_rd16(p->fci + i + 2);
		h(pid, arg);
		for (bit = 0; bit < 16; bit++)
			if (blp & (1u << bit))
				h((uint16_t)(pid + bit + 1), arg);
	}
}

/* On entry *nssrcs is the capacity of ssrcs (ssrcs may be NULL when it is 0); on return it
 * is the number stored: min(capacity, the packet's Num SSRC). */
int rtcp_remb_parse(const struct rtcp_pkt *p, uint64_t *bps, uint32_t *ssrcs, size_t *nssrcs)
{
	const uint8_t *f = p->fci;
	size_t n, i, cap = nssrcs ? *nssrcs : 0;
	unsigned exp;
	uint64_t mant;

	if (nssrcs)
		*nssrcs = 0;
	if (p->pt != RTCP_PSFB || p->count != RTCP_FMT_AFB || !f || p->fci_len < 8 ||
	    memcmp(f, "REMB", 4) != 0)
		return EBADMSG;
	n = f[4];
	if (p->fci_len - 8 < n * 4)
		return EBADMSG;
	exp = f[5] >> 2;
	mant = (uint64_t)(f[5] & 0x03) << 16 | (uint64_t)f[6] << 8 | f[7];
	if (exp > 0 && (mant >> (64 - exp)) != 0)
		return EBADMSG;   /* does not fit 64 bits */
	if (bps)
		*bps = mant << exp;
	for (i = 0; i < n && i < cap && ssrcs; i++)
		ssrcs[i] = bytes_rd32(f + 8 + 4 * i);
	if (nssrcs)
		*nssrcs = i;
	return 0;
}

int rtcp_fir_parse(const struct rtcp_pkt *p, uint32_t *ssrc, uint8_t *seq)
{
	if (p->pt != RTCP_PSFB || p->count != RTCP_FMT_FIR || !p->fci || p->fci_len < 8)
		return EBADMSG;
	if (ssrc)
		*ssrc = bytes_rd32(p->fci);
	if (seq)
		*seq = p->fci[4];
	return 0;
}

/* ---- building --------------------------------------------------------------------- */

/* header for a packet of plen bytes (a multiple of 4) */
static void rtcp_wr_hdr(uint8_t *buf, uint8_t count, uint8_t pt, size_t plen)
{
	buf[0] = (uint8_t)(0x80 | (count & 0x1f));
	buf[1] = pt;
	bytes_wr16(buf + 2, (uint16_t)(plen / 4 - 1));
}

/* RFC 3550 §6.4.1: the cumulative number lost saturates at the 24-bit signed range */
static void rtcp_wr_rb(uint8_t *r, const struct rtcp_report_block *b)
{
	int32_t lost = b->cumulative_lost;
	uint32_t l24;

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	l24 = (uint32_t)lost & 0xffffffu;
	bytes_wr32(r, b->ssrc);
	r[4] = b->fraction_lost;
	r[5] = (uint8_t)(l24 >> 16);
	r[6] = (uint8_t)(l24 >> 8);
	r[7] = (uint8_t)l24;
	bytes_wr32(r + 8, b->ext_highest_seq);
	bytes_wr32(r + 12, b->jitter);
	bytes_wr32(r + 16, b->lsr);
	bytes_wr32(r + 20, b->dlsr);
}

static size_t rtcp_wr_rbs(uint8_t *buf, const struct rtcp_report_block *rb, size_t nrb)
{
	size_t i;

	for (i = 0; i < nrb; i++)
		rtcp_wr_rb(buf + i * RTCP_RB_LEN, &rb[i]);
	return nrb * RTCP_RB_LEN;
}

size_t rtcp_build_sr(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
		     uint32_t packets, uint32_t octets, const struct rtcp_report_block *rb, size_t nrb)
{
	size_t plen = RTCP_HDR_LEN + 4 + RTCP_SR_INFO_LEN + nrb * RTCP_RB_LEN;

	if (nrb > RTCP_MAX_COUNT || (nrb && !rb) || cap < plen)
		return 0;
	rtcp_wr_hdr(buf, (uint8_t)nrb, RTCP_SR, plen);
	bytes_wr32(buf + 4, ssrc);
	bytes_wr32(buf + 8, (uint32_t)(ntp >> 32));
	bytes_wr32(buf + 12, (uint32_t)ntp);
	bytes_wr32(buf + 16, rtp_ts);
	bytes_wr32(buf + 20, packets);
	bytes_wr32(buf + 24, octets);
	rtcp_wr_rbs(buf + 28, rb, nrb);
	return plen;
}

size_t rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
		     const struct rtcp_report_block *rb, size_t nrb)
{
	size_t plen = RTCP_HDR_LEN + 4 + nrb * RTCP_RB_LEN;

	if (nrb > RTCP_MAX_COUNT || (nrb && !rb) || cap < plen)
		return 0;
	rtcp_wr_hdr(buf, (uint8_t)nrb, RTCP_RR, plen);
	bytes_wr32(buf + 4, ssrc);
	rtcp_wr_rbs(buf + 8, rb, nrb);
	return plen;
}

/* one chunk: SSRC, CNAME item, then at least one null octet up to the next 32-bit
 * boundary, which ends the item list (RFC 3550 §6.5) */
size_t rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname)
{
	size_t n = cname ? strlen(cname) : 0, chunk, plen;

	if (!cname || n > 255)
		return 0;
	chunk = (4 + 2 + n + 1 + 3) & ~(size_t)3;
	plen = RTCP_HDR_LEN + chunk;
	if (cap < plen)
		return 0;
	rtcp_wr_hdr(buf, 1, RTCP_SDES, plen);
	bytes_wr32(buf + 4, ssrc);
	buf[8] = RTCP_SDES_CNAME;
	buf[9] = (uint8_t)n;
	memcpy(buf + 10, cname, n);
	memset(buf + 10 + n, 0, plen - 10 - n);
	return plen;
}

size_t rtcp_build_bye(uint8_t *buf, size_t cap, uint32_t ssrc)
{
	if (cap < 8)
		return 0;
	rtcp_wr_hdr(buf, 1, RTCP_BYE, 8);
	bytes_wr32(buf + 4, ssrc);
	return 8;
}

static size_t rtcp_wr_fb(uint8_t *buf, size_t cap, uint8_t pt, uint8_t fmt, size_t fci_len,
			 uint32_t sender_ssrc, uint32_t media_ssrc)
{
	size_t plen = RTCP_FB_LEN + fci_len;

	if (cap < plen || plen / 4 - 1 > RTCP_MAX_WORDS)
		return 0;
	rtcp_wr_hdr(buf, fmt, pt, plen);
	bytes_wr32(buf + 4, sender_ssrc);
	bytes_wr32(buf + 8, media_ssrc);
	return plen;
}

size_t rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
	return rtcp_wr_fb(buf, cap, RTCP_PSFB, RTCP_FMT_PLI, 0, sender_ssrc, media_ssrc);
}

/* RFC 5104 §4.3.1.2: the header's media SSRC is unused (0); the target goes in the FCI */
size_t rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq)
{
	size_t plen = rtcp_wr_fb(buf, cap, RTCP_PSFB, RTCP_FMT_FIR, 8, sender_ssrc, 0);

	if (!plen)
		return 0;
	bytes_wr32(buf + 12, media_ssrc);
	buf[16] = seq;
	buf[17] = buf[18] = buf[19] = 0;
	return plen;
}

/* Pack seqs into PID/BLP pairs, written at fci when it is not NULL; returns the number of
 * pairs. A seq within 16 after the current PID (modulo 2^16) joins its bitmask, anything
 * else starts a new pair, so a list sorted in RTP order (wrapping 65535 → 0) packs tightly
 * and any other order is still reported correctly. */
static size_t rtcp_nack_pack(uint8_t *fci, const uint16_t *seqs, size_t nseqs)
{
	size_t i, npairs = 0;
	uint16_t pid = 0, blp = 0, d;

	for (i = 0; i < nseqs; i++) {
		d = (uint16_t)(seqs[i] - pid - 1);
		if (npairs && seqs[i] == pid)
			continue;
		if (npairs && d < 16) {
			blp |= (uint16_t)(1u << d);
			continue;
		}
		if (npairs && fci) {
			bytes_wr16(fci + (npairs - 1) * 4, pid);
			bytes_wr16(fci + (npairs - 1) * 4 + 2, blp);
		}
		pid = seqs[i];
		blp = 0;
		npairs++;
	}
	if (npairs && fci) {
		bytes_wr16(fci + (npairs - 1) * 4, pid);
		bytes_wr16(fci + (npairs - 1) * 4 + 2, blp);
	}
	return npairs;
}

size_t rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
		       const uint16_t *seqs, size_t nseqs)
{
	size_t npairs, plen;

	if (!seqs || nseqs == 0)
		return 0;   /* a NACK carries at least one FCI entry (RFC 4585 §6.2.1) */
	npairs = rtcp_nack_pack(NULL, seqs, nseqs);
	plen = rtcp_wr_fb(buf, cap, RTCP_RTPFB, RTCP_FMT_NACK, npairs * 4, sender_ssrc, media_ssrc);
	if (!plen)
		return 0;
	rtcp_nack_pack(buf + RTCP_FB_LEN, seqs, nseqs);
	return plen;
}

/* the bitrate as 6-bit exponent and 18-bit mantissa, rounded down */
size_t rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint64_t bps,
		       const uint32_t *ssrcs, size_t nssrcs)
{
	size_t plen, i;
	unsigned exp = 0;

	if (nssrcs > 255 || (nssrcs && !ssrcs))
		return 0;
	plen = rtcp_wr_fb(buf, cap, RTCP_PSFB, RTCP_FMT_AFB, 8 + 4 * nssrcs, sender_ssrc, 0);
	if (!plen)
		return 0;
	while (bps > RTCP_REMB_MANT_MAX) {
		bps >>= 1;
		exp++;
	}
	memcpy(buf + 12, "REMB", 4);
	buf[16] = (uint8_t)nssrcs;
	buf[17] = (uint8_t)(exp << 2 | bps >> 16);
	buf[18] = (uint8_t)(bps >> 8);
	buf[19] = (uint8_t)bps;
	for (i = 0; i < nssrcs; i++)
		bytes_wr32(buf + 20 + 4 * i, ssrcs[i]);
	return plen;
}

uint64_t rtcp_ntp_from_unix_us(uint64_t us)
{
	uint64_t sec = us / 1000000u + RTCP_NTP_UNIX_OFFSET;
	uint64_t frac = ((us % 1000000u) << 32) / 1000000u;

	return sec << 32 | frac;
}

/* rtcp: RTCP compound packet parsing and building (RFC 3550 SR/RR/SDES/BYE, RFC 4585
 * generic NACK and PLI, RFC 5104 FIR, REMB draft-alvestrand-rmcat-remb).
 * Pure functions, no allocation; parsed records point into the caller's buffer. */
#ifndef MEDIA_RTCP_H
#define MEDIA_RTCP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rtcp_pt { RTCP_SR = 200, RTCP_RR = 201, RTCP_SDES = 202, RTCP_BYE = 203, RTCP_APP = 204,
	       RTCP_RTPFB = 205, RTCP_PSFB = 206 };
enum rtcp_fmt { RTCP_FMT_NACK = 1, RTCP_FMT_TWCC = 15,          /* RTPFB */
		RTCP_FMT_PLI = 1, RTCP_FMT_FIR = 4, RTCP_FMT_AFB = 15 }; /* PSFB (AFB: REMB) */

struct rtcp_report_block {
	uint32_t ssrc;
	uint8_t fraction_lost;
	int32_t cumulative_lost;   /* 24-bit signed */
	uint32_t ext_highest_seq, jitter, lsr, dlsr;
};

struct rtcp_pkt {
	uint8_t pt, count;         /* count = RC/SC/FMT field */
	const uint8_t *buf;        /* this packet within the compound */
	size_t len;                /* bytes, header included */
	uint32_t sender_ssrc;
	/* SR */
	uint64_t ntp;
	uint32_t rtp_ts, packet_count, octet_count;
	/* SR/RR report blocks (at most 31); use rtcp_report_block_get() */
	size_t nblocks;
	/* RTPFB/PSFB */
	uint32_t media_ssrc;
	const uint8_t *fci;
	size_t fci_len;
};

/* Iterate a compound packet: *off starts at 0; returns 1 with *p filled, 0 at the end,
 * or -EBADMSG for a malformed packet (iteration stops). */
int rtcp_next(const uint8_t *buf, size_t len, size_t *off, struct rtcp_pkt *p);
int rtcp_report_block_get(const struct rtcp_pkt *p, size_t i, struct rtcp_report_block *b);
/* generic NACK FCI: calls h(seq) for every lost sequence number (PID + BLP) */
void rtcp_nack_foreach(const struct rtcp_pkt *p, void (*h)(uint16_t seq, void *arg), void *arg);
/* REMB: bitrate and SSRCs; 0 or EBADMSG */
int rtcp_remb_parse(const struct rtcp_pkt *p, uint64_t *bps, uint32_t *ssrcs, size_t *nssrcs);
/* FIR: the first FCI entry's SSRC and sequence number; 0 or EBADMSG */
int rtcp_fir_parse(const struct rtcp_pkt *p, uint32_t *ssrc, uint8_t *seq);

/* Builders append one RTCP packet at buf (capacity cap) and return its length, 0 if no room. */
size_t rtcp_build_sr(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
		     uint32_t packets, uint32_t octets, const struct rtcp_report_block *rb, size_t nrb);
size_t rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
		     const struct rtcp_report_block *rb, size_t nrb);
size_t rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname);
size_t rtcp_build_bye(uint8_t *buf, size_t cap, uint32_t ssrc);
size_t rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
size_t rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq);
/* NACK for the given sequence numbers (packed into PID/BLP pairs) */
size_t rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
		       const uint16_t *seqs, size_t nseqs);
size_t rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint64_t bps,
		       const uint32_t *ssrcs, size_t nssrcs);
/* NTP timestamp (64-bit fixed point) from wall-clock microseconds since the Unix epoch */
uint64_t rtcp_ntp_from_unix_us(uint64_t us);

#endif

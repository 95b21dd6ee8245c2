/* rtp: RTP header parsing and in-place rewriting (RFC 3550, RFC 8285 header extensions),
 * and RTP/RTCP demultiplexing on one port (RFC 5761). Pure functions, no allocation. */
#ifndef MEDIA_RTP_H
#define MEDIA_RTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_LEN 12

struct rtp_hdr {
	uint8_t version, pt, cc;
	bool marker, padding, extension;
	uint16_t seq;
	uint32_t ts, ssrc;
	uint16_t ext_profile;      /* 0xBEDE one-byte, 0x100x two-byte */
	size_t ext_off, ext_len;   /* extension data (after its 4-byte header) offset and length */
	size_t payload_off, payload_len; /* after header, CSRCs and extension; padding removed */
};

/* true for RTP/RTCP by first byte (RFC 7983: 128..191) */
bool rtp_is_rtp_or_rtcp(const uint8_t *buf, size_t len);
/* true for RTCP among those (RFC 5761 §4: second byte 192..223) */
bool rtp_is_rtcp(const uint8_t *buf, size_t len);
/* 0 or EBADMSG */
int rtp_parse(struct rtp_hdr *h, const uint8_t *buf, size_t len);
/* find header extension element id; 0 and *data, *len set, or ENOENT */
int rtp_ext_find(const struct rtp_hdr *h, const uint8_t *buf, uint8_t id,
		 const uint8_t **data, size_t *len);
/* in-place rewrites of a parsed packet */
void rtp_set_pt(uint8_t *buf, uint8_t pt);
void rtp_set_seq(uint8_t *buf, uint16_t seq);
void rtp_set_ts(uint8_t *buf, uint32_t ts);
void rtp_set_ssrc(uint8_t *buf, uint32_t ssrc);
/* remove the header extension block in place; returns the new length */
size_t rtp_strip_ext(uint8_t *buf, size_t len, const struct rtp_hdr *h);
/* write a 12-byte header; returns RTP_HDR_LEN or 0 if cap is too small */
size_t rtp_write_hdr(uint8_t *buf, size_t cap, uint8_t pt, bool marker, uint16_t seq,
		     uint32_t ts, uint32_t ssrc);

#endif

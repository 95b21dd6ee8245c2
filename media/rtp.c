/* rtp: RTP header parsing and in-place rewriting (RFC 3550 §5.1), header extensions
 * (RFC 8285 one-byte and two-byte forms), and demultiplexing (RFC 7983, RFC 5761 §4).
 *
 * Every function here runs per packet: no allocation, no logging, and no read outside
 * [buf, buf + len) whatever the bytes are. */
#include "media/rtp.h"
#include "base/bytes.h"

#include <errno.h>
#include <string.h>

#define RTP_EXT_ONE_BYTE  0xBEDEu
#define RTP_EXT_TWO_BYTE  0x1000u   /* 0x100X: the low 4 bits are "appbits" (RFC 8285 §4.3) */
#define RTP_EXT_HDR_LEN   4

bool rtp_is_rtp_or_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 1 && buf[0] >= 128 && buf[0] <= 191;
}

bool rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	/* RFC 5761 §4: RTCP packet types 192..223 share the second octet with RTP payload
	 * types 64..95 with the marker set, which is why those PTs are not used for RTP. */
	return rtp_is_rtp_or_rtcp(buf, len) && len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

/* the extension block at *off: its profile and data; advances *off past it */
static int rtp_parse_ext(struct rtp_hdr *h, const uint8_t *buf, size_t len, size_t *off)
{
	size_t words;

	if (len - *off < RTP_EXT_HDR_LEN)
		return EBADMSG;
	h->ext_profile = bytes_rd16(buf + *off);
	words = bytes_rd16(buf + *off + 2);
	h->ext_off = *off + RTP_EXT_HDR_LEN;
	h->ext_len = words * 4;
	if (len - h->ext_off < h->ext_len)
		return EBADMSG;
	*off = h->ext_off + h->ext_len;
	return 0;
}

int rtp_parse(struct rtp_hdr *h, const uint8_t *buf, size_t len)
{
	size_t off, pad;
	int err = EBADMSG;

	memset(h, 0, sizeof(*h));
	if (!buf || len < RTP_HDR_LEN || buf[0] >> 6 != 2)
		goto out;
	h->version = 2;
	h->padding = buf[0] & 0x20;
	h->extension = buf[0] & 0x10;
	h->cc = buf[0] & 0x0f;
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	h->seq = bytes_rd16(buf + 2);
	h->ts = bytes_rd32(buf + 4);
	h->ssrc = bytes_rd32(buf + 8);

	off = RTP_HDR_LEN + 4u * h->cc;
	if (off > len)
		goto out;
	if (h->extension && rtp_parse_ext(h, buf, len, &off))
		goto out;
	h->payload_off = off;
	h->payload_len = len - off;
	if (h->padding) {
		/* RFC 3550 §5.1: the last octet counts the padding, itself included */
		pad = h->payload_len ? buf[len - 1] : 0;
		if (pad < 1 || pad > h->payload_len)
			goto out;
		h->payload_len -= pad;
	}
	err = 0;
out:
	if (err)
		memset(h, 0, sizeof(*h));
	return err;
}

/* One element at ext[*pos] of a block of n bytes. Returns 1 with *id, *data_off, *dlen
 * set and *pos advanced, 0 for padding (*pos advanced), -1 at the end of the usable
 * block (a truncated element, ID 15, or an ID 0 with a length: libwebrtc stops there too). */
static int rtp_ext_elem(bool two_byte, const uint8_t *ext, size_t n, size_t *pos,
			uint8_t *id, size_t *data_off, size_t *dlen)
{
	size_t p = *pos, hl = two_byte ? 2 : 1;

	if (ext[p] == 0) {
		*pos = p + 1;
		return 0;
	}
	if (two_byte) {
		if (n - p < 2)
			return -1;
		*id = ext[p];
		*dlen = ext[p + 1];
	} else {
		*id = ext[p] >> 4;
		*dlen = (size_t)(ext[p] & 0x0f) + 1;
		if (*id == 0 || *id == 15)   /* RFC 8285 §4.2: 15 ends processing */
			return -1;
	}
	if (n - p - hl < *dlen)
		return -1;
	*data_off = p + hl;
	*pos = p + hl + *dlen;
	return 1;
}

int rtp_ext_find(const struct rtp_hdr *h, const uint8_t *buf, uint8_t id,
		 const uint8_t **data, size_t *len)
{
	const uint8_t *ext;
	bool two_byte;
	size_t pos = 0, doff = 0, dlen = 0;
	uint8_t eid = 0;
	int r;

	if (!h->extension || !buf || id == 0)
		return ENOENT;
	if (h->ext_profile == RTP_EXT_ONE_BYTE)
		two_byte = false;
	else if ((h->ext_profile & 0xfff0u) == RTP_EXT_TWO_BYTE)
		two_byte = true;
	else
		return ENOENT;   /* a profile RFC 8285 does not describe */
	if (!two_byte && id > 14)
		return ENOENT;

	ext = buf + h->ext_off;
	while (pos < h->ext_len) {
		r = rtp_ext_elem(two_byte, ext, h->ext_len, &pos, &eid, &doff, &dlen);
		if (r < 0)
			break;
		if (r > 0 && eid == id) {
			*data = ext + doff;
			*len = dlen;
			return 0;
		}
	}
	return ENOENT;
}

void rtp_set_pt(uint8_t *buf, uint8_t pt) { buf[1] = (uint8_t)((buf[1] & 0x80) | (pt & 0x7f)); }
void rtp_set_seq(uint8_t *buf, uint16_t seq) { bytes_wr16(buf + 2, seq); }
void rtp_set_ts(uint8_t *buf, uint32_t ts) { bytes_wr32(buf + 4, ts); }
void rtp_set_ssrc(uint8_t *buf, uint32_t ssrc) { bytes_wr32(buf + 8, ssrc); }

size_t rtp_strip_ext(uint8_t *buf, size_t len, const struct rtp_hdr *h)
{
	size_t start, end;

	/* h must describe this very packet; anything else leaves it untouched */
	if (!h->extension || h->ext_off < RTP_HDR_LEN + RTP_EXT_HDR_LEN ||
	    h->ext_off > len || len - h->ext_off < h->ext_len)
		return len;
	start = h->ext_off - RTP_EXT_HDR_LEN;
	end = h->ext_off + h->ext_len;
	memmove(buf + start, buf + end, len - end);
	buf[0] &= (uint8_t)~0x10;
	return len - (end - start);
}

size_t rtp_write_hdr(uint8_t *buf, size_t cap, uint8_t pt, bool marker, uint16_t seq,
		     uint32_t ts, uint32_t ssrc)
{
	if (cap < RTP_HDR_LEN)
		return 0;
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	bytes_wr16(buf + 2, seq);
	bytes_wr32(buf + 4, ts);
	bytes_wr32(buf + 8, ssrc);
	return RTP_HDR_LEN;
}

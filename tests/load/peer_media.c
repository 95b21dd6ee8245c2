/* peer_media: what the scripted peer sends and receives once DTLS is up: RTP with a send-time
 * trailer, the video retransmission history and RTX, NACK and PLI/FIR handling, and its own
 * RTCP reports (SR + report blocks + SDES), about once a second like a browser. */
#include "tests/load/peer_priv.h"
#include "base/bytes.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/srtp_session.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define PEER_NACK_MAX 64
static const uint8_t peer_pad_magic[3] = {'R', 'L', 'G'};

uint64_t peer_realtime_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int peer_protect_send(struct peer *p, uint8_t *buf, size_t n, bool rtcp)
{
	int e = rtcp ? srtp_session_protect_rtcp(p->srtp, buf, &n, PEER_BUF)
		     : srtp_session_protect_rtp(p->srtp, buf, &n, PEER_BUF);
	if (e) {
		p->st.tx_errors++;
		return e;
	}
	return peer_tx_queued(p) ? peer_tx_queue(p, buf, n) : peer_send_raw(p, buf, n);
}

/* header, [original sequence number for RTX], payload, [12-byte padding with stamp_us] */
static size_t peer_build(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
			 uint32_t ssrc, const uint16_t *osn, const uint8_t *payload, size_t len,
			 uint64_t stamp_us)
{
	size_t n = rtp_write_hdr(buf, PEER_BUF, pt, marker, seq, ts, ssrc);
	if (osn) {
		buf[n++] = (uint8_t)(*osn >> 8);
		buf[n++] = (uint8_t)*osn;
	}
	memcpy(buf + n, payload, len);
	n += len;
	if (stamp_us) {
		buf[0] |= 0x20;
		for (int i = 7; i >= 0; i--)
			buf[n++] = (uint8_t)(stamp_us >> (8 * i));
		memcpy(buf + n, peer_pad_magic, sizeof(peer_pad_magic));
		n += sizeof(peer_pad_magic);
		buf[n++] = PEER_PAD_LEN;
	}
	return n;
}

static int peer_send(struct peer *p, enum peer_kind kind, const uint8_t *payload, size_t len,
		     uint32_t ts, bool marker, uint64_t stamp_us)
{
	uint8_t buf[PEER_BUF];
	if (!p->srtp || len + RTP_HDR_LEN + PEER_PAD_LEN + SRTP_SESSION_TRAILER + 2 > sizeof(buf))
		return EINVAL;
	uint16_t seq = p->seq[kind]++;
	size_t n = peer_build(buf, p->pt[kind], marker, seq, ts, p->ssrc[kind], NULL, payload, len,
			      stamp_us);
	if (stamp_us && kind == PEER_VIDEO)
		p->hist[seq & (PEER_HIST - 1)] = (struct peer_hist){
			.payload = payload, .len = (uint16_t)len, .seq = seq, .ts = ts,
			.stamp_us = stamp_us, .marker = marker, .used = true};
	p->last_ts[kind] = ts;
	p->st.tx_packets[kind]++;
	p->st.tx_bytes[kind] += n;
	return peer_protect_send(p, buf, n, false);
}

void peer_skip_seq(struct peer *p, enum peer_kind kind, uint16_t n)
{
	p->seq[kind] = (uint16_t)(p->seq[kind] + n);
}

int peer_send_rtcp(struct peer *p, const uint8_t *rtcp, size_t len)
{
	uint8_t buf[PEER_BUF];
	if (!p->srtp || len + SRTP_SESSION_TRAILER > sizeof(buf))
		return EINVAL;
	memcpy(buf, rtcp, len);
	return peer_protect_send(p, buf, len, true);
}

int peer_send_rtp(struct peer *p, enum peer_kind kind, const uint8_t *payload, size_t len,
		  uint32_t ts, bool marker)
{
	return peer_send(p, kind, payload, len, ts, marker, 0);
}

int peer_send_media(struct peer *p, enum peer_kind kind, const uint8_t *payload, size_t len,
		    uint32_t ts, bool marker)
{
	return peer_send(p, kind, payload, len, ts, marker, peer_realtime_us());
}

bool peer_take_keyframe_request(struct peer *p)
{
	bool w = p->keyframe_wanted;
	p->keyframe_wanted = false;
	return w;
}

/* a NACKed video packet again: over RTX when negotiated, with its original send time */
static void peer_retransmit(uint16_t seq, void *arg)
{
	struct peer *p = arg;
	const struct peer_hist *h = &p->hist[seq & (PEER_HIST - 1)];
	uint8_t buf[PEER_BUF];
	p->st.nack_seqs_rx++;
	if (!h->used || h->seq != seq) {
		p->st.rtx_miss++;
		return;
	}
	size_t n = p->rtx_pt ?
		peer_build(buf, p->rtx_pt, h->marker, p->rtx_seq++, h->ts, p->rtx_ssrc, &seq,
			   h->payload, h->len, h->stamp_us) :
		peer_build(buf, p->pt[PEER_VIDEO], h->marker, seq, h->ts, p->ssrc[PEER_VIDEO], NULL,
			   h->payload, h->len, h->stamp_us);
	p->st.rtx_tx++;
	peer_protect_send(p, buf, n, false);
}

static void peer_on_rtcp(struct peer *p, const uint8_t *buf, size_t len)
{
	struct rtcp_pkt r;
	size_t off = 0;
	p->st.rtcp_rx++;
	while (rtcp_next(buf, len, &off, &r) == 1) {
		if (r.pt == RTCP_PSFB && r.count == RTCP_FMT_PLI) {
			p->st.pli_rx++;
			p->keyframe_wanted = true;
		} else if (r.pt == RTCP_PSFB && r.count == RTCP_FMT_FIR) {
			p->st.fir_rx++;
			p->keyframe_wanted = true;
		} else if (r.pt == RTCP_RTPFB && r.count == RTCP_FMT_NACK) {
			p->st.nack_rx++;
			if (r.media_ssrc == p->ssrc[PEER_VIDEO])
				rtcp_nack_foreach(&r, peer_retransmit, p);
		}
	}
}

/* the counters test_relay.c reads (kept as they were) */
static void peer_count_legacy(struct peer *p, int k, const struct rtp_hdr *h, size_t len)
{
	struct peer_stream_stats *s = &p->st.rx[k];
	if (s->started && s->ssrc == h->ssrc) {
		uint16_t gap = (uint16_t)(h->seq - s->last_seq);
		if (gap > 1 && gap < 0x8000)
			s->lost_gaps += gap - 1u;
		if (gap && gap < 0x8000)
			s->last_seq = h->seq;
	} else {
		s->started = true;
		s->ssrc = h->ssrc;
		s->last_seq = h->seq;
	}
	s->packets++;
	s->bytes += len;
}

static uint64_t peer_stamp(const uint8_t *buf, size_t len, const struct rtp_hdr *h)
{
	if (!h->padding || len < PEER_PAD_LEN || buf[len - 1] != PEER_PAD_LEN ||
	    memcmp(buf + len - 4, peer_pad_magic, sizeof(peer_pad_magic)))
		return 0;
	uint64_t v = 0;
	for (size_t i = len - PEER_PAD_LEN; i < len - 4; i++)
		v = v << 8 | buf[i];
	return v;
}

static void peer_nack_gap(struct peer *p, const struct rxstats *rx, uint32_t media_ssrc)
{
	uint16_t first, n, seqs[PEER_NACK_MAX];
	rxstats_last_gap(rx, &first, &n);
	if (!n)
		return;
	for (uint16_t i = 0; i < n && i < PEER_NACK_MAX; i++)
		seqs[i] = (uint16_t)(first + i);
	uint8_t buf[PEER_BUF];
	size_t len = rtcp_build_nack(buf, sizeof(buf) - SRTP_SESSION_TRAILER, p->ssrc[PEER_VIDEO],
				     media_ssrc, seqs, n);
	if (len && peer_protect_send(p, buf, len, true) == 0)
		p->st.nack_tx++;
}

/* the stream of kind k with this SSRC; a new SSRC gets the next slot (joining an open window) */
struct rxstats *peer_rx_find(struct peer *p, enum peer_kind k, uint32_t ssrc, bool create)
{
	static const uint32_t clock[PEER_NKINDS] = {48000, 90000};
	for (unsigned i = 0; i < p->nrx[k]; i++)
		if (p->rx[k][i].ssrc == ssrc && p->rx[k][i].started)
			return &p->rx[k][i];
	if (!create)
		return NULL;
	/* a slot nobody has received on yet (tests may open a window on slot 0 beforehand) */
	for (unsigned i = 0; i < p->nrx[k]; i++)
		if (!p->rx[k][i].started)
			return &p->rx[k][i];
	if (p->nrx[k] == PEER_MAX_RX) {
		p->st.rx_streams_overflow++;
		return NULL;
	}
	struct rxstats *s = &p->rx[k][p->nrx[k]++];
	s->clock_hz = clock[k];
	s->frame_ts = k == PEER_AUDIO ? clock[k] / 50 : 0;   /* 20 ms Opus, ours and the mixes */
	if (p->win_open)
		rxstats_window_open(s, p->win_hist[k]);
	return s;
}

/* the media SSRC an RTX SSRC repairs: the remote's FID pairs, else the only video stream */
static bool peer_rtx_media_ssrc(const struct peer *p, uint32_t rtx_ssrc, uint32_t *media)
{
	for (unsigned i = 0; i < p->nfid; i++)
		if (p->fid[i].rtx == rtx_ssrc) {
			*media = p->fid[i].media;
			return true;
		}
	if (p->nrx[PEER_VIDEO] != 1)
		return false;
	*media = p->rx[PEER_VIDEO][0].ssrc;
	return true;
}

static void peer_on_rtp(struct peer *p, const uint8_t *buf, size_t len, uint64_t arrival_us)
{
	struct rtp_hdr h;
	if (rtp_parse(&h, buf, len))
		return;
	int k = h.pt == p->pt[PEER_AUDIO] ? PEER_AUDIO : h.pt == p->pt[PEER_VIDEO] ? PEER_VIDEO : -1;
	uint16_t seq = h.seq;
	uint32_t ssrc = h.ssrc;
	if (k < 0 && p->rtx_pt && h.pt == p->rtx_pt && h.payload_len >= 2) {
		const uint8_t *osn = buf + h.payload_off;
		k = PEER_VIDEO;
		seq = (uint16_t)(osn[0] << 8 | osn[1]);
		p->st.rtx_rx++;
		if (!peer_rtx_media_ssrc(p, h.ssrc, &ssrc)) {
			p->st.rtx_unmapped++;
			return;
		}
	} else if (k >= 0) {
		peer_count_legacy(p, k, &h, len);
	} else {
		p->st.rx_unknown_pt++;
		return;
	}
	struct rxstats *rx = peer_rx_find(p, k, ssrc, ssrc == h.ssrc);
	if (!rx)
		return;
	bool first = rxstats_packet(rx, ssrc, seq, h.ts, (uint32_t)len, peer_stamp(buf, len, &h),
				    arrival_us);
	if (first && p->auto_nack && k == PEER_VIDEO && ssrc == h.ssrc)
		peer_nack_gap(p, rx, h.ssrc);
}

/* An SRTP packet left protected (peer_set_rx_sample): its RTP header is in the clear, so
 * sequence number, SSRC and payload type count towards loss, order and NACKs as for any
 * packet; its send-time trailer, inside the encrypted payload, is not read. false: unprotect
 * it (the sampled n-th, RTX, whose original seq is encrypted, an unknown type). */
static bool peer_on_rtp_clear(struct peer *p, const uint8_t *buf, size_t len,
			      uint64_t arrival_us)
{
	if (len < RTP_HDR_LEN + 16 || buf[0] >> 6 != 2)
		return false;
	struct rtp_hdr h = {.version = 2, .padding = buf[0] & 0x20, .marker = buf[1] & 0x80,
			    .pt = buf[1] & 0x7f, .seq = bytes_rd16(buf + 2), .ts = bytes_rd32(buf + 4),
			    .ssrc = bytes_rd32(buf + 8)};
	int k = h.pt == p->pt[PEER_AUDIO] ? PEER_AUDIO : h.pt == p->pt[PEER_VIDEO] ? PEER_VIDEO : -1;
	if (k < 0)
		return false;
	/* every n-th packet of each stream: one count per kind would always pick the same one of
	 * two streams whose packets alternate (the interpreter's two forwarded audio streams) */
	struct rxstats *rx = peer_rx_find(p, k, h.ssrc, true);
	if (!rx || ++rx->sample_nth % p->rx_sample == 0)
		return false;
	size_t plain = len - (p->profile == SRTP_PROFILE_AEAD_AES_128_GCM ? 16 : 10);
	peer_count_legacy(p, k, &h, plain);
	p->st.rx_clear++;
	bool first = rxstats_packet(rx, h.ssrc, h.seq, h.ts, (uint32_t)plain, RXSTATS_UNREAD,
				    arrival_us);
	if (first && p->auto_nack && k == PEER_VIDEO)
		peer_nack_gap(p, rx, h.ssrc);
	return true;
}

void peer_on_media(struct peer *p, uint8_t *buf, size_t len, uint64_t arrival_us)
{
	if (!p->srtp)
		return;
	bool rtcp = rtp_is_rtcp(buf, len);
	if (!rtcp && p->rx_sample > 1 && !p->rx_h && peer_on_rtp_clear(p, buf, len, arrival_us))
		return;
	int e = rtcp ? srtp_session_unprotect_rtcp(p->srtp, buf, &len)
		     : srtp_session_unprotect_rtp(p->srtp, buf, &len);
	if (e) {
		p->st.unprotect_fail++;
		return;
	}
	struct rtp_hdr h;
	if (p->rx_h && (rtcp || rtp_parse(&h, buf, len) == 0))
		p->rx_h(rtcp ? NULL : &h, buf, len, p->rx_arg);
	if (rtcp)
		peer_on_rtcp(p, buf, len);
	else
		peer_on_rtp(p, buf, len, arrival_us);
}

void peer_set_rx_handler(struct peer *p, peer_rx_h *h, void *arg)
{
	p->rx_h = h;
	p->rx_arg = arg;
}

#define PEER_MAX_RB 31                 /* report blocks in one SR/RR (5-bit count) */

static size_t peer_report_blocks(const struct peer *p, struct rtcp_report_block *rb)
{
	size_t n = 0;
	for (int k = 0; k < PEER_NKINDS; k++) {
		for (unsigned i = 0; i < p->nrx[k] && n < PEER_MAX_RB; i++) {
			const struct rxstats *s = &p->rx[k][i];
			if (!s->started)
				continue;
			rb[n++] = (struct rtcp_report_block){
				.ssrc = s->ssrc,
				.ext_highest_seq = (uint32_t)(s->ext_max - 65536u),
				.jitter = (uint32_t)(s->jitter_us * s->clock_hz / 1e6),
			};
		}
	}
	return n;
}

void peer_rtcp_report(struct peer *p)
{
	uint8_t buf[PEER_BUF];
	struct rtcp_report_block rb[PEER_MAX_RB];
	size_t nrb = peer_report_blocks(p, rb), len = 0, cap = sizeof(buf) - SRTP_SESSION_TRAILER;
	uint64_t ntp = rtcp_ntp_from_unix_us(peer_realtime_us());
	bool first = true;
	for (int k = 0; k < PEER_NKINDS; k++) {
		if (!p->st.tx_packets[k])
			continue;
		len += rtcp_build_sr(buf + len, cap - len, p->ssrc[k], ntp, p->last_ts[k],
				     (uint32_t)p->st.tx_packets[k], (uint32_t)p->st.tx_bytes[k],
				     first ? rb : NULL, first ? nrb : 0);
		first = false;
	}
	if (first)
		len += rtcp_build_rr(buf, cap, p->ssrc[PEER_AUDIO], rb, nrb);
	len += rtcp_build_sdes_cname(buf + len, cap - len, p->ssrc[PEER_AUDIO], "peer");
	if (len && peer_protect_send(p, buf, len, true) == 0)
		p->st.rtcp_tx++;
}

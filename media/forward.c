/* forward: a leg's inbound RTP to every other leg of its call, rewritten onto the receiving
 * leg's own outbound stream (SSRC, sequence number, timestamp, payload type; header
 * extensions dropped, since each browser numbers them itself).
 *
 * Per packet: one copy into the worker's transmit slot per receiver, protect in place,
 * batched send. No allocation, no lock. */
#include "media/mcall.h"
#include "media/leg.h"
#include "media/rtp.h"
#include "media/rtx_ring.h"
#include "media/rtcp.h"
#include "media/worker.h"

#include <string.h>

#define FORWARD_PLI_INTERVAL_US 300000u

static bool leg_sends(const struct neg_stream *ns)
{
	return ns->active && (ns->dir == SDP_DIR_SENDRECV || ns->dir == SDP_DIR_SENDONLY);
}

static const struct neg_stream *leg_neg(const struct leg *l, enum leg_kind k)
{
	return k == LEG_AUDIO ? &l->p.neg.audio : &l->p.neg.video;
}

/* map a new source onto the outbound stream so that sequence numbers and timestamps run on */
static void stream_out_remap(struct stream_out *o, struct leg *src, const struct stream_in *in,
			     const struct rtp_hdr *h, uint32_t clock, uint64_t now_us)
{
	if (o->mapped) {
		uint32_t gap = (uint32_t)((now_us - o->last_us) * clock / 1000000u);
		o->seq_delta = (uint16_t)(o->last_seq + 1 - h->seq);
		o->ts_delta = o->last_ts + (gap ? gap : 1) - h->ts;
	} else {
		o->seq_delta = 0;
		o->ts_delta = 0;
		o->last_seq = (uint16_t)(h->seq - 1);
	}
	o->src_ssrc = h->ssrc;
	o->src_epoch = in->epoch;
	o->src_leg = src;
	o->mapped = true;
}

static void forward_one(struct leg *dst, struct leg *src, enum leg_kind k,
			const struct rtp_hdr *h, const uint8_t *payload, size_t plen)
{
	const struct neg_stream *ns = leg_neg(dst, k);
	const struct sockaddr *dest = leg_dest(dst);
	const struct stream_in *in = &src->in[k];
	if (!dst->connected || !dest || !leg_sends(ns))
		return;
	struct stream_out *o = &dst->out[k];
	uint64_t now = dst->w->now_us;
	if (!o->mapped || o->src_leg != src || o->src_ssrc != h->ssrc || o->src_epoch != in->epoch)
		stream_out_remap(o, src, in, h, ns->clock, now);
	uint16_t seq = (uint16_t)(h->seq + o->seq_delta);
	uint32_t ts = h->ts + o->ts_delta;
	if (RTP_HDR_LEN + plen + 64 > WORKER_PKT_CAP)
		return;
	uint8_t *slot = worker_tx_slot(dst->w);
	rtp_write_hdr(slot, WORKER_PKT_CAP, ns->pt, h->marker, seq, ts, o->ssrc);
	if (h->padding)
		slot[0] |= 0x20;
	memcpy(slot + RTP_HDR_LEN, payload, plen);
	if ((int16_t)(seq - o->last_seq) > 0) {
		o->last_seq = seq;
		o->last_ts = ts;
		o->last_us = now;
	}
	o->packets++;
	o->octets += (uint32_t)plen;
	if (o->ring)
		rtx_ring_put(o->ring, seq, slot, RTP_HDR_LEN + plen, now);
	leg_send_rtp_slot(dst, slot, RTP_HDR_LEN + plen);
}

void forward_rtp(struct leg *src, enum leg_kind kind, const struct rtp_hdr *h,
		 const uint8_t *payload, size_t plen)
{
	for (struct leg *dst = src->call->legs; dst; dst = dst->cnext)
		if (dst != src)
			forward_one(dst, src, kind, h, payload, plen);
}

/* resend one packet of l's outbound stream: as RTX when l negotiated it, else as it was */
void forward_retransmit(struct leg *l, enum leg_kind kind, uint16_t seq)
{
	struct stream_out *o = &l->out[kind];
	const struct neg_stream *ns = leg_neg(l, kind);
	const uint8_t *pkt;
	size_t len;
	if (!o->ring || rtx_ring_get(o->ring, seq, l->w->now_us, &pkt, &len))
		return;               /* too old, resent just now, or not here yet (remembered) */
	uint8_t *slot = worker_tx_slot(l->w);
	if (ns->rtx_pt && l->p.out_rtx_ssrc) {
		uint32_t ts = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];
		rtp_write_hdr(slot, WORKER_PKT_CAP, ns->rtx_pt, pkt[1] & 0x80, o->rtx_seq++, ts,
			      l->p.out_rtx_ssrc);
		slot[RTP_HDR_LEN] = (uint8_t)(seq >> 8);
		slot[RTP_HDR_LEN + 1] = (uint8_t)seq;
		memcpy(slot + RTP_HDR_LEN + 2, pkt + RTP_HDR_LEN, len - RTP_HDR_LEN);
		len += 2;
	} else {
		memcpy(slot, pkt, len);
	}
	l->st.retransmits_tx++;
	leg_send_rtp_slot(l, slot, len);
}

static struct leg *forward_source_of(struct leg *l, enum leg_kind kind)
{
	if (l->out[kind].src_leg)
		return l->out[kind].src_leg;
	for (struct leg *o = l->call->legs; o; o = o->cnext)
		if (o != l && o->in[kind].ssrc)
			return o;
	return NULL;
}

void leg_send_pli(struct leg *l, enum leg_kind kind)
{
	uint64_t now = l->w->now_us;
	if (!l->connected || !l->in[kind].ssrc)
		return;
	if (l->last_pli_sent_us[kind] && now - l->last_pli_sent_us[kind] < FORWARD_PLI_INTERVAL_US)
		return;
	l->last_pli_sent_us[kind] = now;
	uint8_t pkt[64];
	size_t n = rtcp_build_pli(pkt, sizeof(pkt), l->out[LEG_VIDEO].ssrc, l->in[kind].ssrc);
	if (n) {
		l->st.plis_tx++;
		leg_send_rtcp(l, pkt, n);
	}
}

void forward_request_keyframe(struct leg *l, enum leg_kind kind)
{
	struct leg *src = forward_source_of(l, kind);
	if (src)
		leg_send_pli(src, kind);
}

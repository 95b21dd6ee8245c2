/* forward: a leg's inbound RTP to every other leg of its call, rewritten onto the receiving
 * leg's outbound stream that carries it (its route: the primary m-line for the first other
 * party, a further m-line for each later one; media.c assigns them) with that stream's SSRC,
 * sequence number, timestamp and payload type; header extensions dropped, since each browser
 * numbers them itself. A stream that changes party, or returns from the mix, runs on with its
 * own sequence numbers and timestamps (audio gets the marker bit there).
 *
 * Per packet: one copy into the worker's transmit slot per receiver, protect in place,
 * batched send. No allocation, no lock. */
#include "base/bytes.h"
#include "media/mcall.h"
#include "media/leg.h"
#include "media/rtp.h"
#include "media/rtx_ring.h"
#include "media/rtcp.h"
#include "media/worker.h"

#include <string.h>

#define FORWARD_PLI_INTERVAL_US 300000u

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

/* one packet onto dst's outbound stream i */
static void forward_one(struct leg *dst, unsigned i, struct leg *src, const struct rtp_hdr *h,
			const uint8_t *payload, size_t plen)
{
	const struct neg_stream *ns = leg_out_neg(dst, i);
	const struct sockaddr *dest = leg_dest(dst);
	struct stream_out *o = &dst->out[i];
	const struct stream_in *in = &src->in[o->kind];
	if (!dst->connected || !dest || !leg_neg_sends(ns) || o->mixed)
		return;
	uint64_t now = dst->w->now_us;
	bool marker = h->marker;
	if (!o->mapped || o->src_leg != src || o->src_ssrc != h->ssrc || o->src_epoch != in->epoch) {
		stream_out_remap(o, src, in, h, ns->clock, now);
		o->restart = o->kind == LEG_AUDIO;   /* a new talk spurt for the receiver */
	}
	if (o->restart) {
		marker = true;
		o->restart = false;
	}
	uint16_t seq = (uint16_t)(h->seq + o->seq_delta);
	uint32_t ts = h->ts + o->ts_delta;
	if (RTP_HDR_LEN + plen + 64 > WORKER_PKT_CAP)
		return;
	uint8_t *slot = worker_tx_slot(dst->w);
	rtp_write_hdr(slot, WORKER_PKT_CAP, ns->pt, marker, seq, ts, o->ssrc);
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

/* to every other leg, on the outbound stream of that kind that carries src (media.c's routes);
 * a leg that gets the call's mix (customer, agent) gets no forwarded audio; the interpreter,
 * a source of the mix only, keeps getting both parties forwarded */
void forward_rtp(struct leg *src, enum leg_kind kind, const struct rtp_hdr *h,
		 const uint8_t *payload, size_t plen)
{
	for (struct leg *dst = src->call->legs; dst; dst = dst->cnext) {
		if (dst == src || (kind == LEG_AUDIO && dst->out[LEG_AUDIO].mixed))
			continue;
		for (unsigned i = 0; i < dst->nout; i++)
			if (dst->out[i].route == src && dst->out[i].kind == kind)
				forward_one(dst, i, src, h, payload, plen);
	}
}

void forward_own(struct leg *l, unsigned i, bool marker, uint16_t seq, uint32_t ts,
		 const uint8_t *payload, size_t plen)
{
	const struct neg_stream *ns = leg_out_neg(l, i);
	struct stream_out *o = &l->out[i];
	if (!l->connected || !leg_dest(l) || !leg_neg_sends(ns) || RTP_HDR_LEN + plen + 64 > WORKER_PKT_CAP)
		return;
	uint8_t *slot = worker_tx_slot(l->w);
	rtp_write_hdr(slot, WORKER_PKT_CAP, ns->pt, marker, seq, ts, o->ssrc);
	memcpy(slot + RTP_HDR_LEN, payload, plen);
	o->packets++;
	o->octets += (uint32_t)plen;
	leg_send_rtp_slot(l, slot, RTP_HDR_LEN + plen);
}

/* resend one packet of l's outbound stream i: as RTX when l negotiated it, else as it was */
void forward_retransmit(struct leg *l, unsigned i, uint16_t seq)
{
	struct stream_out *o = &l->out[i];
	const struct neg_stream *ns = leg_out_neg(l, i);
	const uint8_t *pkt;
	size_t len;
	if (!o->ring || rtx_ring_get(o->ring, seq, l->w->now_us, &pkt, &len))
		return;               /* too old, resent just now, or not here yet (remembered) */
	uint8_t *slot = worker_tx_slot(l->w);
	if (ns->rtx_pt && o->rtx_ssrc) {
		uint32_t ts = bytes_rd32(pkt + 4);
		rtp_write_hdr(slot, WORKER_PKT_CAP, ns->rtx_pt, pkt[1] & 0x80, o->rtx_seq++, ts,
			      o->rtx_ssrc);
		bytes_wr16(slot + RTP_HDR_LEN, seq);
		memcpy(slot + RTP_HDR_LEN + 2, pkt + RTP_HDR_LEN, len - RTP_HDR_LEN);
		len += 2;
	} else {
		memcpy(slot, pkt, len);
	}
	l->st.retransmits_tx++;
	leg_send_rtp_slot(l, slot, len);
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

void forward_request_keyframe(struct leg *l, unsigned i)
{
	struct leg *src = i < l->nout ? l->out[i].route : NULL;
	if (src && l->out[i].kind == LEG_VIDEO)
		leg_send_pli(src, LEG_VIDEO);
}

void forward_request_keyframes(struct leg *l)
{
	for (unsigned i = 0; i < l->nout; i++)
		forward_request_keyframe(l, i);
}

/* leg_rtcp: RTCP is terminated per leg. What a browser reports about our streams feeds our
 * own decisions (RTT, keyframe and retransmission requests relayed to the sender); the
 * browser gets our own SR/RR/SDES about once a second. */
#define LOG_MODULE "rtcp"
#include "base/clock.h"
#include "base/log.h"
#include "media/cmix.h"
#include "media/mcall.h"
#include "media/jb.h"
#include "media/leg.h"
#include "media/relay.h"
#include "media/rtx_ring.h"
#include "media/rtcp.h"
#include "media/srtp_session.h"
#include "media/twcc.h"
#include "media/worker.h"

#include <string.h>

#define LEG_RTCP_INTERVAL_US 1000000u
#define LEG_NACK_MAX 64

/* the outbound stream with this SSRC, or -1 */
static int leg_out_index(const struct leg *l, uint32_t ssrc)
{
	for (unsigned i = 0; i < l->nout; i++)
		if (l->out[i].ssrc == ssrc)
			return (int)i;
	return -1;
}

static int leg_in_kind(const struct leg *l, uint32_t ssrc)
{
	for (int k = 0; k < LEG_NKINDS; k++)
		if (ssrc && l->in[k].ssrc == ssrc)
			return k;
	return -1;
}

static uint32_t leg_ntp_mid(uint64_t now_us)
{
	(void)now_us;
	return (uint32_t)(rtcp_ntp_from_unix_us(clock_wall_ms() * 1000u) >> 16);
}

/* the RTT to this browser paces NACKs to it and how long sent packets are kept for it */
static void leg_rtt_update(struct leg *l, uint32_t rtt_us)
{
	for (int k = 0; k < LEG_NKINDS; k++)
		if (l->in[k].jb)
			jb_set_rtt(l->in[k].jb, rtt_us);
	for (unsigned i = 0; i < l->nout; i++)
		if (l->out[i].ring)
			rtx_ring_set_rtt(l->out[i].ring, rtt_us);
}

static void leg_on_sr(struct leg *l, const struct rtcp_pkt *p)
{
	int k = leg_in_kind(l, p->sender_ssrc);
	if (k < 0)
		return;
	l->in[k].last_sr_mid = (uint32_t)(p->ntp >> 16);
	l->in[k].last_sr_recv_us = l->w->now_us;
}

static void leg_on_report_blocks(struct leg *l, const struct rtcp_pkt *p)
{
	struct rtcp_report_block b;
	int lost = -1;
	for (size_t i = 0; i < p->nblocks && rtcp_report_block_get(p, i, &b) == 0; i++) {
		int o = leg_out_index(l, b.ssrc);
		if (o < 0)
			continue;
		if (o == LEG_AUDIO && l->out[LEG_AUDIO].mixed)
			cmix_set_loss(l->call->mix, l, b.fraction_lost * 100 / 256);
		int down = bwe_downlink_loss(&l->out[o].bwe, b.cumulative_lost, b.ext_highest_seq,
					     l->out[o].packets, l->w->now_us);
		if (down > lost)
			lost = down;
		if (!b.lsr)
			continue;
		uint32_t rtt = leg_ntp_mid(l->w->now_us) - b.lsr - b.dlsr; /* 1/65536 s */
		if (rtt >= 65536u * 10u)
			continue;
		l->st.rtt_us = (uint32_t)((uint64_t)rtt * 1000000u >> 16);
		leg_rtt_update(l, l->st.rtt_us);
	}
	if (lost >= 0)   /* the worst of our streams to it over a window: its downlink */
		bwe_on_receiver_report(&l->bwe, (uint8_t)lost, l->st.tx_bytes, l->w->now_us);
}

struct leg_nack_ctx { struct leg *l; unsigned out; };

static void leg_nack_answer(uint16_t seq, void *arg)
{
	struct leg_nack_ctx *c = arg;
	forward_retransmit(c->l, c->out, seq);
}

/* a receiver lost some of our outbound packets: resend them from the ring. With repair off
 * the NACK is only counted, so the receiver sees what the network did. */
static void leg_on_nack(struct leg *l, const struct rtcp_pkt *p)
{
	int o = leg_out_index(l, p->media_ssrc);
	l->st.nacks_rx++;
	if (l->w->media->repair && o >= 0 && l->out[o].kind == LEG_VIDEO) {
		struct leg_nack_ctx c = {l, (unsigned)o};
		rtcp_nack_foreach(p, leg_nack_answer, &c);
	}
}

/* the relay's own NACKs for what l's uplink lost, and PLI when a loss is given up */
void leg_rtcp_nack_due(struct leg *l, uint64_t now_us)
{
	struct stream_in *in = &l->in[LEG_VIDEO];
	if (!in->jb || !in->ssrc)
		return;
	if (jb_keyframe_needed(in->jb))
		leg_send_pli(l, LEG_VIDEO);
	uint64_t due = jb_nack_next_us(in->jb);
	if (!due || due > now_us)
		return;
	uint16_t seqs[LEG_NACK_MAX];
	size_t n = jb_nack_due(in->jb, now_us, seqs, LEG_NACK_MAX);
	uint8_t pkt[LEG_NACK_MAX * 4 + 16];
	size_t len = n ? rtcp_build_nack(pkt, sizeof(pkt), l->out[LEG_VIDEO].ssrc, in->ssrc,
					 seqs, n) : 0;
	if (len) {
		l->st.nacks_tx++;
		leg_send_rtcp(l, pkt, len);
	}
}

static void leg_on_keyframe_request(struct leg *l, const struct rtcp_pkt *p)
{
	uint32_t ssrc = p->media_ssrc;
	uint8_t seq;
	if (p->count == RTCP_FMT_FIR && rtcp_fir_parse(p, &ssrc, &seq))
		return;
	l->st.plis_rx++;
	int o = leg_out_index(l, ssrc);
	if (o >= 0)
		forward_request_keyframe(l, (unsigned)o);
}

void leg_rtcp_handle(struct leg *l, const uint8_t *buf, size_t len)
{
	struct rtcp_pkt p;
	size_t off = 0;
	while (rtcp_next(buf, len, &off, &p) == 1) {
		if (p.pt == RTCP_SR) {
			leg_on_sr(l, &p);
			leg_on_report_blocks(l, &p);
		} else if (p.pt == RTCP_RR) {
			leg_on_report_blocks(l, &p);
		} else if (p.pt == RTCP_RTPFB && p.count == RTCP_FMT_NACK) {
			leg_on_nack(l, &p);
		} else if (p.pt == RTCP_PSFB &&
			   (p.count == RTCP_FMT_PLI || p.count == RTCP_FMT_FIR)) {
			leg_on_keyframe_request(l, &p);
		}
	}
}

void leg_recv_rtcp(struct leg *l, uint8_t *buf, size_t len)
{
	if (!l->srtp)
		return;
	if (srtp_session_unprotect_rtcp(l->srtp, buf, &len)) {
		l->st.rx_dropped++;
		log_limited(LOG_DEBUG, "leg %u: SRTCP unprotect failed", l->id);
		return;
	}
	leg_rtcp_handle(l, buf, len);
}

/* --- our reports --- */

static size_t leg_report_blocks(struct leg *l, struct rtcp_report_block *rb, uint64_t now_us)
{
	size_t n = 0;
	for (int k = 0; k < LEG_NKINDS; k++) {
		struct stream_in *s = &l->in[k];
		struct jb_stats js;
		if (!s->ssrc || !s->jb)
			continue;
		jb_stats(s->jb, &js);
		uint64_t exp_int = js.expected - s->expected_prior;
		int64_t lost_int = (int64_t)exp_int - (int64_t)(js.received - s->received_prior);
		s->expected_prior = js.expected;
		s->received_prior = js.received;
		uint32_t dlsr = s->last_sr_recv_us ?
			(uint32_t)((now_us - s->last_sr_recv_us) * 65536u / 1000000u) : 0;
		rb[n++] = (struct rtcp_report_block){
			.ssrc = s->ssrc,
			.fraction_lost = exp_int && lost_int > 0 ? (uint8_t)((lost_int << 8) / (int64_t)exp_int) : 0,
			.cumulative_lost = js.lost > 0x7fffff ? 0x7fffff : (int32_t)js.lost,
			.ext_highest_seq = js.ext_max_seq,
			.jitter = js.jitter_ts,
			.lsr = s->last_sr_mid,
			.dlsr = s->last_sr_mid ? dlsr : 0,
		};
	}
	return n;
}

static size_t leg_report_sr(struct leg *l, unsigned i, uint8_t *buf, size_t cap,
			    const struct rtcp_report_block *rb, size_t nrb, uint64_t now_us)
{
	struct stream_out *o = &l->out[i];
	const struct neg_stream *ns = leg_out_neg(l, i);
	uint32_t ts = o->last_ts + (uint32_t)((now_us - o->last_us) * ns->clock / 1000000u);
	uint64_t ntp = rtcp_ntp_from_unix_us(clock_wall_ms() * 1000u);
	return rtcp_build_sr(buf, cap, o->ssrc, ntp, ts, o->packets, o->octets, rb, nrb);
}

static void leg_update_bitrates(struct leg *l, uint64_t now_us)
{
	for (int k = 0; k < LEG_NKINDS; k++) {
		struct stream_in *s = &l->in[k];
		if (s->rate_at_us && now_us > s->rate_at_us)
			s->bitrate_bps = (uint32_t)((s->bytes - s->bytes_prior) * 8u * 1000000u /
						    (now_us - s->rate_at_us));
		s->bytes_prior = s->bytes;
		s->rate_at_us = now_us;
	}
}

void leg_rtcp_report(struct leg *l, uint64_t now_us)
{
	leg_update_bitrates(l, now_us);
	uint8_t buf[1024];
	struct rtcp_report_block rb[LEG_NKINDS];
	size_t nrb = leg_report_blocks(l, rb, now_us), len = 0;
	bool first = true;
	for (unsigned i = 0; i < l->nout; i++) {
		if (!l->out[i].packets || (!l->out[i].route && !l->out[i].mixed && i >= LEG_NKINDS))
			continue;   /* a further stream whose party left is done (BYE sent) */
		len += leg_report_sr(l, i, buf + len, sizeof(buf) - len, first ? rb : NULL,
				     first ? nrb : 0, now_us);
		first = false;
	}
	if (first)
		len += rtcp_build_rr(buf, sizeof(buf), l->out[LEG_AUDIO].ssrc, rb, nrb);
	len += rtcp_build_sdes_cname(buf + len, sizeof(buf) - len, l->out[LEG_AUDIO].ssrc,
				     l->p.cname);
	leg_send_rtcp(l, buf, len);
	l->next_rtcp_us = now_us + LEG_RTCP_INTERVAL_US;
}

/* --- bandwidth --- */

void leg_twcc_send(struct leg *l, uint64_t now_us)
{
	uint8_t buf[1200];
	size_t n;
	/* libwebrtc takes transport feedback whose media SSRC is one it sends */
	uint32_t media = l->in[LEG_VIDEO].ssrc ? l->in[LEG_VIDEO].ssrc : l->in[LEG_AUDIO].ssrc;
	if (!media)
		media = l->p.neg.video.remote_ssrc ? l->p.neg.video.remote_ssrc
						   : l->p.neg.audio.remote_ssrc;
	while ((n = twcc_feedback_build(l->twcc, buf, sizeof(buf), l->out[LEG_AUDIO].ssrc, media,
					now_us)) > 0)
		leg_send_rtcp(l, buf, n);
}

static bool leg_sends_media(const struct leg *l)
{
	return l->connected && (l->in[LEG_AUDIO].ssrc || l->in[LEG_VIDEO].ssrc);
}

/* the smallest share any other leg of the call can take of what l sends */
static uint64_t leg_remb_bps(const struct leg *l, uint64_t now_us)
{
	uint64_t bps = BWE_MAX_BPS;
	for (const struct leg *r = l->call->legs; r; r = r->cnext) {
		if (r == l || !r->connected)
			continue;
		unsigned nsenders = 0;
		for (const struct leg *s = l->call->legs; s; s = s->cnext)
			nsenders += s != r && leg_sends_media(s);
		uint64_t share = bwe_share_bps(&r->bwe, nsenders, now_us);
		if (share < bps)
			bps = share;
	}
	return bps;
}

void leg_remb_send(struct leg *l, uint64_t now_us)
{
	if (!leg_sends_media(l))
		return;
	uint64_t bps = leg_remb_bps(l, now_us);
	if (!bwe_remb_due(&l->remb, bps, now_us))
		return;
	uint32_t ssrcs[LEG_NKINDS];
	size_t n = 0;
	for (int k = 0; k < LEG_NKINDS; k++)
		if (l->in[k].ssrc)
			ssrcs[n++] = l->in[k].ssrc;
	uint8_t buf[64];
	size_t len = rtcp_build_remb(buf, sizeof(buf), l->out[LEG_AUDIO].ssrc, bps, ssrcs, n);
	if (len)
		leg_send_rtcp(l, buf, len);
}

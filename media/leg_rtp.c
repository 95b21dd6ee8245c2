/* leg_rtp: a leg's RTP receive path (unprotect, classify, count) and its protected send. */
#define LOG_MODULE "leg"
#include "base/bytes.h"
#include "base/log.h"
#include "media/cmix.h"
#include "media/leg.h"
#include "media/mcall.h"
#include "media/jb.h"
#include "media/rtp.h"
#include "media/srtp_session.h"
#include "media/twcc.h"
#include "media/worker.h"

#include <string.h>

static bool leg_receives(const struct neg_stream *ns)
{
	return ns->active && (ns->dir == SDP_DIR_SENDRECV || ns->dir == SDP_DIR_RECVONLY);
}

/* which of our streams a payload type belongs to; -1 when none */
static int leg_kind_of(const struct leg *l, uint8_t pt, bool *is_rtx)
{
	const struct neg_result *n = &l->p.neg;
	*is_rtx = false;
	if (n->audio.active && pt == n->audio.pt)
		return LEG_AUDIO;
	if (n->video.active && pt == n->video.pt)
		return LEG_VIDEO;
	if (n->video.active && n->video.rtx_pt && pt == n->video.rtx_pt) {
		*is_rtx = true;
		return LEG_VIDEO;
	}
	return -1;
}

/* a new SSRC on a stream (first packet, or a replaced track): start counting afresh */
static void stream_in_source(struct stream_in *in, uint32_t ssrc)
{
	if (in->ssrc)
		jb_reset(in->jb);
	in->ssrc = ssrc;
	in->epoch++;
}

/* the transport-wide seq of every packet that carries one, whatever becomes of it below
 * (RTX and padding-only probes included; forwarding drops header extensions). BUNDLE: the
 * id is the same on every m-line. */
static void leg_twcc_record(struct leg *l, const struct rtp_hdr *h, const uint8_t *buf)
{
	const struct neg_result *n = &l->p.neg;
	uint8_t id = n->video.ext_twcc ? n->video.ext_twcc : n->audio.ext_twcc;
	const uint8_t *ext;
	size_t elen;
	uint16_t tseq;
	if (!l->twcc || !id || rtp_ext_find(h, buf, id, &ext, &elen) ||
	    twcc_ext_seq(ext, elen, &tseq))
		return;
	twcc_on_packet(l->twcc, tseq, l->w->now_us);
	if (l->connected && twcc_feedback_due(l->twcc, l->w->now_us))
		leg_twcc_send(l, l->w->now_us);
}

void leg_recv_rtp(struct leg *l, uint8_t *buf, size_t len)
{
	if (!l->srtp)
		return;                     /* media before the handshake finished */
	if (srtp_session_unprotect_rtp(l->srtp, buf, &len)) {
		l->st.rx_dropped++;
		log_limited(LOG_DEBUG, "leg %u: SRTP unprotect failed", l->id);
		return;
	}
	struct rtp_hdr h;
	bool is_rtx;
	int kind;
	if (rtp_parse(&h, buf, len)) {
		l->st.rx_dropped++;
		log_limited(LOG_DEBUG, "leg %u: malformed RTP packet", l->id);
		return;
	}
	leg_twcc_record(l, &h, buf);
	if ((kind = leg_kind_of(l, h.pt, &is_rtx)) < 0 ||
	    !leg_receives(kind == LEG_AUDIO ? &l->p.neg.audio : &l->p.neg.video)) {
		l->st.rx_dropped++;
		log_limited(LOG_DEBUG, "leg %u: RTP packet with unexpected payload type", l->id);
		return;
	}
	l->st.rx_packets++;
	l->st.rx_bytes += len;
	struct stream_in *in = &l->in[kind];
	in->bytes += len;
	const uint8_t *payload = buf + h.payload_off;
	size_t plen = len - h.payload_off;  /* payload and any padding, as sent */
	if (is_rtx) {
		/* RFC 4588: the original sequence number leads the payload; padding-only RTX
		 * packets are bandwidth probes and go no further */
		if (h.payload_len < 2 || !in->ssrc)
			return;
		in->rtx_ssrc = h.ssrc;
		h.seq = bytes_rd16(payload);
		h.ssrc = in->ssrc;
		payload += 2;
		plen -= 2;
	} else if (in->ssrc != h.ssrc) {
		stream_in_source(in, h.ssrc);
	}
	struct jb_pkt jp = {.seq = h.seq, .ts = h.ts, .marker = h.marker, .rtx = is_rtx,
			    .data = buf, .len = len};
	enum jb_verdict v = jb_put(in->jb, &jp, l->w->now_us);
	if (!jb_verdict_forward(v))
		return;                     /* duplicate, or a jump not trusted yet */
	if (v == JB_FORWARD_RESTART)
		in->epoch++;
	if (kind == LEG_AUDIO && l->mix_idx >= 0)
		cmix_put(l->call->mix, l, &jp, in->epoch);
	forward_rtp(l, (enum leg_kind)kind, &h, payload, plen);
}

void leg_send_rtp_slot(struct leg *l, uint8_t *slot, size_t len)
{
	const struct sockaddr *dest = leg_dest(l);
	if (!dest || !l->srtp)
		return;
	if (srtp_session_protect_rtp(l->srtp, slot, &len, WORKER_PKT_CAP)) {
		log_limited(LOG_WARN, "leg %u: SRTP protect failed", l->id);
		return;
	}
	l->st.tx_packets++;
	l->st.tx_bytes += len;
	worker_tx_commit(l->w, len, dest);
}

void leg_send_rtcp(struct leg *l, const uint8_t *buf, size_t len)
{
	const struct sockaddr *dest = leg_dest(l);
	if (!dest || !l->srtp || len + SRTP_SESSION_TRAILER > WORKER_PKT_CAP)
		return;
	uint8_t *slot = worker_tx_slot(l->w);
	memcpy(slot, buf, len);
	if (srtp_session_protect_rtcp(l->srtp, slot, &len, WORKER_PKT_CAP)) {
		log_limited(LOG_WARN, "leg %u: SRTCP protect failed", l->id);
		return;
	}
	worker_tx_commit(l->w, len, dest);
}

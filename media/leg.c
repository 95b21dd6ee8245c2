#define LOG_MODULE "leg"
#include "media/leg.h"
#include "base/log.h"
#include "base/mem.h"
#include "media/mcall.h"
#include "media/dtls.h"
#include "media/jb.h"
#include "media/relay.h"
#include "media/rtp.h"
#include "media/srtp_session.h"
#include "media/twcc.h"
#include "media/worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEG_CONNECT_TIMEOUT_US (30u * 1000000u) /* ICE + DTLS must be done by then */

static void leg_dtls_send(const uint8_t *data, size_t len, void *arg)
{
	struct leg *l = arg;
	const struct sockaddr *dest = leg_dest(l);
	if (!dest && l->has_peer)
		dest = (const struct sockaddr *)&l->peer;
	if (dest)
		worker_send(l->w, data, len, dest);
}

static void leg_fail(struct leg *l, const char *why)
{
	if (l->failed)
		return;
	l->failed = true;
	l->connected = false;
	l->st.connected = false;
	log_info("leg %u of call %u failed: %s", l->id, l->call->id, why);
	relay_emit(l->w->media, MEDIA_EV_LEG_FAILED, l->call->id, l->id, why);
}

int leg_create(struct leg **lp, struct worker *w, struct mcall *call, uint32_t id,
	       const struct leg_params *p)
{
	struct leg *l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->w = w;
	l->call = call;
	l->id = id;
	l->p = *p;
	l->created_us = w->now_us;
	l->mix_idx = -1;
	ice_lite_init(&l->ice, p->lufrag, p->lpwd, p->neg.rufrag);
	int err = leg_streams_alloc(l);
	if (!err)
		err = dtls_conn_alloc(&l->dtls, w->media->cert, true, p->neg.rfp, leg_dtls_send, l);
	if (err) {
		leg_streams_free(l);
		free(l);
		return err;
	}
	l->wnext = w->legs;
	w->legs = l;
	mcall_leg_add(call, l);
	*lp = l;
	return 0;
}

void leg_destroy(struct leg *l)
{
	struct worker *w = l->w;
	if (l->connected)
		dtls_conn_close(l->dtls);
	loop_timer_cancel(w->loop, &l->dtls_timer);
	addrmap_del_val(&w->addrs, l);
	mcall_leg_remove(l->call, l);
	for (struct leg **pp = &w->legs; *pp; pp = &(*pp)->wnext) {
		if (*pp == l) {
			*pp = l->wnext;
			break;
		}
	}
	mem_deref(l->srtp);
	mem_deref(l->dtls);
	leg_streams_free(l);
	free(l);
}

const struct sockaddr *leg_dest(const struct leg *l)
{
	return ice_lite_dest(&l->ice, l->w->now_us);
}

/* --- ICE --- */

void leg_recv_stun(struct leg *l, const uint8_t *buf, size_t len, const struct sockaddr *from)
{
	uint8_t out[512];
	size_t outlen = 0;
	enum ice_verdict v = ice_lite_handle(&l->ice, buf, len, from, l->w->now_us, out,
					     sizeof(out), &outlen);
	if (v == ICE_DROP)
		return;
	if (outlen)
		worker_send(l->w, out, outlen, from);
	if (v == ICE_REPLY && addrmap_get(&l->w->addrs, from) != l)
		addrmap_put(&l->w->addrs, from, l);
}

/* --- DTLS --- */

static void leg_on_dtls_timer(void *arg)
{
	struct leg *l = arg;
	dtls_conn_timeout(l->dtls);
	leg_recv_dtls(l, NULL, 0, NULL);
}

static void leg_dtls_connected(struct leg *l)
{
	struct srtp_keys keys;
	int err = dtls_conn_keys(l->dtls, &keys);
	if (!err)
		err = srtp_session_alloc(&l->srtp, &keys);
	if (err) {
		leg_fail(l, "SRTP keys could not be set up");
		return;
	}
	snprintf(l->st.srtp_profile, sizeof(l->st.srtp_profile), "%s",
		 srtp_session_profile_name(keys.profile));
	l->connected = true;
	l->st.connected = true;
	log_info("leg %u of call %u connected (%s)", l->id, l->call->id, l->st.srtp_profile);
	relay_emit(l->w->media, MEDIA_EV_LEG_CONNECTED, l->call->id, l->id, l->st.srtp_profile);
	/* the new receiver needs a keyframe from whoever it will see */
	forward_request_keyframes(l);
}

void leg_recv_dtls(struct leg *l, const uint8_t *buf, size_t len, const struct sockaddr *from)
{
	if (buf) {
		if (!l->has_peer) {
			memcpy(&l->peer, from, from->sa_family == AF_INET6 ?
			       sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
			l->has_peer = true;
		}
		dtls_conn_recv(l->dtls, buf, len);
	}
	enum dtls_state s = dtls_conn_state(l->dtls);
	if (s == DTLS_CONNECTED && !l->connected && !l->failed)
		leg_dtls_connected(l);
	else if (s == DTLS_FAILED)
		leg_fail(l, dtls_conn_error(l->dtls));
	else if (s == DTLS_CLOSED && l->connected)
		leg_fail(l, "the browser closed the DTLS association");
	uint64_t due = s == DTLS_HANDSHAKING ? dtls_conn_deadline(l->dtls, l->w->now_us) : 0;
	if (due)
		loop_timer_start(l->w->loop, &l->dtls_timer, due, leg_on_dtls_timer, l);
	else
		loop_timer_cancel(l->w->loop, &l->dtls_timer);
}

/* --- housekeeping --- */

void leg_tick(struct leg *l, uint64_t now_us)
{
	if (l->failed)
		return;
	if (!l->connected && now_us - l->created_us > LEG_CONNECT_TIMEOUT_US) {
		leg_fail(l, l->has_peer ? "DTLS handshake did not complete"
					: "no valid ICE check from the browser");
		return;
	}
	if (l->connected && !leg_dest(l)) {
		leg_fail(l, "ICE consent expired (no checks from the browser for 30 s)");
		return;
	}
	if (!l->connected)
		return;
	leg_rtcp_nack_due(l, now_us);
	if (now_us >= l->next_rtcp_us)
		leg_rtcp_report(l, now_us);
	if (l->twcc && twcc_feedback_due(l->twcc, now_us))
		leg_twcc_send(l, now_us);
	leg_remb_send(l, now_us);
}

static void leg_stream_stats(struct stream_in *in, struct media_stream_stats *out,
			     uint64_t now_us)
{
	struct jb_stats js;
	if (!in->jb)
		return;
	jb_stats(in->jb, &js);
	*out = (struct media_stream_stats){
		.packets = js.received, .lost_before_repair = js.lost_before_repair,
		.lost_after_repair = js.lost_after_repair, .repaired = js.repaired,
		.nacks_sent = js.nacks, .reordered = js.reordered, .duplicates = js.duplicates,
		.late = js.late, .jitter_us = js.jitter_us, .missing = js.missing,
		.late_after_nack = js.late_after_nack, .nack_wait_us = js.nack_wait_us,
		.bitrate_bps = in->bitrate_bps, .bytes = in->bytes,
	};
	(void)now_us;
}

void leg_stats_snapshot(struct leg *l, struct media_leg_stats *out)
{
	*out = l->st;
	out->jitter_us = 0;
	for (int k = 0; k < LEG_NKINDS; k++) {
		leg_stream_stats(&l->in[k], &out->in[k], l->w->now_us);
		if (out->in[k].jitter_us > out->jitter_us)
			out->jitter_us = out->in[k].jitter_us;
		out->rx_lost += out->in[k].lost_after_repair;
	}
}

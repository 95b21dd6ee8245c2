/* leg: one browser's RTCPeerConnection as the relay sees it: ICE-lite state, the DTLS
 * association, the SRTP session, and its inbound and outbound RTP streams (BUNDLE, rtcp-mux:
 * everything on one 5-tuple).
 *
 * Ownership: a leg belongs to its call (call->legs) and is listed by its worker (w->legs);
 * the worker's addrmap borrows it. leg_destroy() unlinks it from all three and frees it. */
#ifndef MEDIA_LEG_H
#define MEDIA_LEG_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/loop.h"
#include "media/bwe.h"
#include "media/ice.h"
#include "media/media.h"
#include "media/negotiate.h"

struct worker;
struct mcall;
struct dtls_conn;
struct srtp_session;
struct jb;
struct rtx_ring;
struct rtp_hdr;

enum leg_kind { LEG_AUDIO, LEG_VIDEO, LEG_NKINDS };

/* outbound streams: out[LEG_AUDIO] and out[LEG_VIDEO] are the primary m-lines, out[2 + j] the
 * further m-line neg.extra[j] (one more party each) */
#define LEG_MAX_OUT (LEG_NKINDS * (1 + NEG_MAX_EXTRA))

/* what the controlling thread negotiated for a new leg, or a renegotiated one */
struct leg_params {
	char lufrag[ICE_UFRAG_MAX + 1], lpwd[ICE_PWD_MAX + 1];
	struct neg_result neg;
	uint32_t out_ssrc[LEG_NKINDS], out_rtx_ssrc;   /* primary (also RTCP sender SSRCs) */
	char cname[32];
};

/* an RTP stream the browser sends us */
struct stream_in {
	uint32_t ssrc;               /* learned from the first packet, 0 before */
	uint32_t rtx_ssrc;
	uint32_t epoch;              /* bumped when the source restarts: receivers remap */
	struct jb *jb;               /* sequence tracking, jitter, loss and NACK list */
	uint64_t expected_prior, received_prior; /* at the last report, for fraction lost */
	uint64_t last_sr_recv_us;    /* when its last SR arrived */
	uint32_t last_sr_mid;        /* middle 32 bits of that SR's NTP time (for LSR) */
	uint64_t bytes, bytes_prior, rate_at_us; /* for the bitrate figure */
	uint32_t bitrate_bps;
};

/* an RTP stream we send the browser (what another leg sent us, rewritten, or the call's mix) */
struct stream_out {
	uint8_t kind;                /* enum leg_kind */
	uint32_t ssrc;               /* ours, announced in the answer */
	uint32_t rtx_ssrc;           /* ours for RFC 4588 retransmissions, 0 = none */
	struct leg *route;           /* the party it carries (media.c assigns), NULL = none */
	bool mixed;                  /* carries the call's mix (cmix.c), not forwarded audio */
	bool restart;                /* the next packet starts anew: marker bit (audio) */
	uint32_t src_ssrc;           /* the inbound SSRC currently mapped onto it */
	uint32_t src_epoch;          /* and its epoch */
	bool mapped;
	uint16_t seq_delta;          /* out = in + delta (mod 2^16) */
	uint32_t ts_delta;
	uint16_t last_seq;
	uint32_t last_ts;
	uint64_t last_us;            /* when the last packet was sent */
	uint32_t packets, octets;    /* for SR */
	struct leg *src_leg;         /* where PLI/NACK for this stream go */
	struct rtx_ring *ring;       /* sent packets (plain), to answer NACKs; video only */
	uint16_t rtx_seq;            /* sequence of our RTX stream (RFC 4588) */
	struct bwe_stream bwe;       /* the receiver's downlink loss window (bwe.h) */
};

struct leg {
	struct leg *wnext;           /* worker's list */
	struct leg *cnext;           /* call's list */
	struct worker *w;
	struct mcall *call;
	uint32_t id;
	struct leg_params p;
	struct ice_lite ice;
	struct dtls_conn *dtls;
	struct srtp_session *srtp;
	struct sockaddr_storage peer;  /* where DTLS came from / media goes before nomination */
	bool has_peer;
	bool connected, failed;
	struct loop_timer dtls_timer;
	uint64_t created_us, next_rtcp_us, last_pli_sent_us[LEG_NKINDS];
	struct stream_in in[LEG_NKINDS];
	struct stream_out out[LEG_MAX_OUT];
	unsigned nout;               /* LEG_NKINDS + p.neg.nextra */
	int mix_idx;                 /* source index in the call's mix (0, 1: also its output), -1 = none */
	struct media_leg_stats st;
	struct twcc *twcc;           /* transport-cc feedback we owe the browser; NULL if not
				      * negotiated */
	struct bwe bwe;              /* what this leg's downlink takes (it as a receiver) */
	struct bwe_remb remb;        /* pacing of the REMBs we send it (it as a sender) */
};

int leg_create(struct leg **lp, struct worker *w, struct mcall *call, uint32_t id,
	       const struct leg_params *p);
void leg_destroy(struct leg *l);
/* renegotiated (same ICE, DTLS and SRTP): the new stream table replaces the old at once;
 * outbound streams whose SSRC is kept keep their state. 0 or ENOMEM (the old table stays). */
int leg_update(struct leg *l, const struct leg_params *p);
/* the m-line of outbound stream i (i < l->nout) */
const struct neg_stream *leg_out_neg(const struct leg *l, unsigned i);
/* whether our direction on it sends */
bool leg_neg_sends(const struct neg_stream *ns);
/* the parties each outbound stream carries (ids, 0 = none; media.c's table) */
void leg_set_routes(struct leg *l, const uint32_t src_ids[LEG_MAX_OUT]);
/* the party on outbound stream i left: clear it; a further stream says BYE (its SSRC is done) */
void leg_out_stop(struct leg *l, unsigned i);

/* the stream table (leg_streams.c): jitter buffers and outbound streams from l->p */
int leg_streams_alloc(struct leg *l);
void leg_streams_free(struct leg *l);

/* Prefetching a received batch (leg_prefetch.c): the worker runs wave 0 for every sending leg
 * of the batch, then wave 1 for all of them, and so on up to LEG_PREFETCH_WAVES, before it
 * handles any packet. Each wave reads only pointers that the waves before it started loading,
 * so the cache misses of one wave overlap instead of coming one after another: wave by wave
 * the sender (address check, SRTP unprotect, jitter buffers) and the legs of its call that
 * its packets are forwarded to (forwarding state, address, SRTP protect, retransmission
 * rings). Reads a leg's state, never writes it. */
enum { LEG_PREFETCH_WAVES = 6 };
void leg_prefetch_wave(const struct leg *l, unsigned wave);

/* packet handlers, called by the worker for datagrams from this leg's checked address */
void leg_recv_stun(struct leg *l, const uint8_t *buf, size_t len, const struct sockaddr *from);
void leg_recv_dtls(struct leg *l, const uint8_t *buf, size_t len, const struct sockaddr *from);
void leg_recv_rtp(struct leg *l, uint8_t *buf, size_t len);
void leg_recv_rtcp(struct leg *l, uint8_t *buf, size_t len);
/* once per worker tick: RTCP reports, consent, timeouts */
void leg_tick(struct leg *l, uint64_t now_us);
/* the leg's counters for the admin view */
void leg_stats_snapshot(struct leg *l, struct media_leg_stats *out);

/* where media to this leg goes now (nominated, consent-fresh address), or NULL */
const struct sockaddr *leg_dest(const struct leg *l);
/* protect buf (len bytes, capacity WORKER_PKT_CAP) as RTP or RTCP and queue it */
void leg_send_rtp_slot(struct leg *l, uint8_t *slot, size_t len);
void leg_send_rtcp(struct leg *l, const uint8_t *buf, size_t len);
/* forwarding (forward.c): one inbound RTP packet of src (header already parsed; for RTX
 * the original seq and SSRC, and the payload after the OSN) to every other leg of its call */
void forward_rtp(struct leg *src, enum leg_kind kind, const struct rtp_hdr *h,
		 const uint8_t *payload, size_t plen);
/* ask the party l receives on outbound stream i for a keyframe (throttled) */
void forward_request_keyframe(struct leg *l, unsigned i);
/* the same for every video stream l receives */
void forward_request_keyframes(struct leg *l);
/* ask l itself for a keyframe of what it sends on kind (throttled) */
void leg_send_pli(struct leg *l, enum leg_kind kind);
/* answer a receiver's NACK for our outbound stream i from its retransmission ring */
void forward_retransmit(struct leg *l, unsigned i, uint16_t seq);
/* queue one RTP packet of ours on outbound stream i (the mix): header written here */
void forward_own(struct leg *l, unsigned i, bool marker, uint16_t seq, uint32_t ts,
		 const uint8_t *payload, size_t plen);
/* rtcp (leg_rtcp.c) */
void leg_rtcp_handle(struct leg *l, const uint8_t *buf, size_t len);
void leg_rtcp_report(struct leg *l, uint64_t now_us);
/* NACKs for what l's own uplink lost (the relay asks the browser directly) */
void leg_rtcp_nack_due(struct leg *l, uint64_t now_us);
/* transport-cc feedback for what is pending */
void leg_twcc_send(struct leg *l, uint64_t now_us);
/* a REMB to l, limited by what the legs receiving from it take (paced) */
void leg_remb_send(struct leg *l, uint64_t now_us);

#endif

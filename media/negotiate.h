/* negotiate: answer a browser's offer on behalf of the relay (JSEP answerer, ICE-lite,
 * a=setup:passive, BUNDLE on the first m-line, rtcp-mux required).
 *
 * Policy: audio Opus; video VP8, else H.264 (packetization-mode=1) when VP8 is absent;
 * rtx accepted for the chosen video codec; feedback we answer: nack, nack pli, ccm fir,
 * transport-cc; header extensions kept: mid, abs-send-time, transport-wide-cc.
 * The first audio and the first video m-line with a codec we take are the leg's primary
 * streams (both directions). Multi-party: up to NEG_MAX_EXTRA further audio and as many further
 * video m-lines are accepted as receive-only "extra" streams (we send, the browser receives one
 * more party on each) when the browser offers them recvonly or sendrecv (answered sendonly) or
 * inactive (answered inactive), with the codec the primary of their kind chose, and when the
 * caller has an SSRC for them (neg_local.known by mid, else the next of neg_local.fresh). All
 * other m-lines, a sendonly further m-line (a second camera) and data channels are rejected
 * (port 0) in the answer, as JSEP allows. */
#ifndef MEDIA_NEGOTIATE_H
#define MEDIA_NEGOTIATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"
#include "media/ice.h"
#include "media/sdp.h"

#define NEG_MAX_EXTRA 4                /* further m-lines accepted per kind */

/* our SSRCs for a further m-line (rtx_ssrc used for video with rtx) */
struct neg_ssrc {
	char mid[32];                  /* known: the m-line it was answered for; fresh: unused */
	uint32_t ssrc, rtx_ssrc;
};

struct neg_local {
	const char *ufrag, *pwd;       /* our ICE credentials for this leg */
	const char *fingerprint;       /* our certificate, "AB:CD:..." SHA-256 */
	const char *ip;                /* candidate address (public_ip) */
	uint16_t port;                 /* the worker's UDP port */
	uint32_t audio_ssrc, video_ssrc, video_rtx_ssrc; /* what we send to this leg */
	const char *cname, *stream_id; /* a=ssrc cname and a=msid stream id */
	uint64_t session_id;           /* o= line */
	uint32_t session_version;      /* o= line; 0 = 2 (renegotiation: higher each time) */
	/* further m-lines: one whose mid is in known keeps that SSRC (renegotiation); others take
	 * the next entry of fresh, in m-line order; none left: rejected. Both may be NULL/0. */
	const struct neg_ssrc *known;
	size_t nknown;
	const struct neg_ssrc *fresh;
	size_t nfresh;
};

struct neg_stream {
	bool active;                   /* false: no such m-line, or rejected */
	enum sdp_kind kind;            /* SDP_KIND_AUDIO or SDP_KIND_VIDEO */
	char mid[32];
	enum sdp_dir dir;              /* our direction in the answer */
	uint8_t pt;                    /* the chosen codec's payload type (the browser's number) */
	uint8_t rtx_pt;                /* 0 when no rtx */
	uint32_t clock;
	char codec[16];                /* "opus", "VP8", "H264" */
	char fmtp[256];
	unsigned fb;                   /* feedback both sides use (enum sdp_fb bits) */
	uint32_t remote_ssrc, remote_rtx_ssrc; /* from a=ssrc / FID, 0 if not signalled */
	uint8_t ext_mid, ext_abs_send_time, ext_twcc; /* negotiated ids, 0 = not used */
	uint32_t ssrc, rtx_ssrc;       /* ours on this m-line (rtx_ssrc 0 without rtx) */
	int fresh;                     /* extra: index into neg_local.fresh it took, -1 known */
};

struct neg_result {
	char rufrag[ICE_UFRAG_MAX + 1], rpwd[ICE_PWD_MAX + 1];
	uint8_t rfp[DTLS_FP_LEN];      /* the browser's certificate fingerprint (SHA-256) */
	struct neg_stream audio, video;           /* primary */
	struct neg_stream extra[2 * NEG_MAX_EXTRA]; /* further m-lines accepted, in m-line order */
	unsigned nextra;
};

/* Build the answer text into answer (capacity cap). 0, or EINVAL/EPROTO with reason in err
 * (no ICE credentials, no sha-256 fingerprint, setup not actpass/active, no rtcp-mux,
 * no usable audio or video codec, ...). */
int negotiate_answer(const struct sdp_session *offer, const struct neg_local *local,
		     struct neg_result *res, char *answer, size_t cap, char *err, size_t errlen);

#endif

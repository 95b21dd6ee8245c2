/* negotiate: answer a browser's offer on behalf of the relay (JSEP answerer, ICE-lite,
 * a=setup:passive, BUNDLE on the first m-line, rtcp-mux required).
 *
 * Policy: audio Opus; video VP8, else H.264 (packetization-mode=1) when VP8 is absent;
 * rtx accepted for the chosen video codec; feedback we answer: nack, nack pli, ccm fir,
 * transport-cc; header extensions kept: mid, abs-send-time, transport-wide-cc.
 * Only the first audio and the first video m-line carry media; further m-lines and data
 * channels are rejected (port 0) in the answer, as JSEP allows. */
#ifndef MEDIA_NEGOTIATE_H
#define MEDIA_NEGOTIATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"
#include "media/ice.h"
#include "media/sdp.h"

struct neg_local {
	const char *ufrag, *pwd;       /* our ICE credentials for this leg */
	const char *fingerprint;       /* our certificate, "AB:CD:..." SHA-256 */
	const char *ip;                /* candidate address (public_ip) */
	uint16_t port;                 /* the worker's UDP port */
	uint32_t audio_ssrc, video_ssrc, video_rtx_ssrc; /* what we send to this leg */
	const char *cname, *stream_id; /* a=ssrc cname and a=msid stream id */
	uint64_t session_id;           /* o= line */
};

struct neg_stream {
	bool active;                   /* false: no such m-line, or rejected */
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
};

struct neg_result {
	char rufrag[ICE_UFRAG_MAX + 1], rpwd[ICE_PWD_MAX + 1];
	uint8_t rfp[DTLS_FP_LEN];      /* the browser's certificate fingerprint (SHA-256) */
	struct neg_stream audio, video;
};

/* Build the answer text into answer (capacity cap). 0, or EINVAL/EPROTO with reason in err
 * (no ICE credentials, no sha-256 fingerprint, setup not actpass/active, no rtcp-mux,
 * no usable audio or video codec, ...). */
int negotiate_answer(const struct sdp_session *offer, const struct neg_local *local,
		     struct neg_result *res, char *answer, size_t cap, char *err, size_t errlen);

#endif

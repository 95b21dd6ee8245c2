/* sdp: parse a browser's SDP offer (RFC 8866, JSEP RFC 8829, BUNDLE RFC 9143) into a
 * fixed-size struct. Pure, no allocation; every field bounded; bad input gets a clear error. */
#ifndef MEDIA_SDP_H
#define MEDIA_SDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_MEDIA 16     /* two sendrecv + 2 x 4 receive-only (multi-party) + data, with room */
#define SDP_MAX_CODECS 64      /* a receive-only Chromium 156 video m-line lists 34 */
#define SDP_MAX_EXTS 16
#define SDP_MAX_SSRCS 8
#define SDP_MAX_LEN 65536

enum sdp_kind { SDP_KIND_AUDIO, SDP_KIND_VIDEO, SDP_KIND_APPLICATION, SDP_KIND_OTHER };
enum sdp_dir { SDP_DIR_SENDRECV, SDP_DIR_SENDONLY, SDP_DIR_RECVONLY, SDP_DIR_INACTIVE };
enum sdp_setup { SDP_SETUP_NONE, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE };
enum sdp_fb { SDP_FB_NACK = 1 << 0, SDP_FB_PLI = 1 << 1, SDP_FB_FIR = 1 << 2,
	      SDP_FB_REMB = 1 << 3, SDP_FB_TWCC = 1 << 4 };

struct sdp_codec {
	uint8_t pt;
	char name[16];            /* as written: "opus", "VP8", "H264", "rtx", "red", ... */
	uint32_t clock;
	uint8_t channels;
	char fmtp[256];           /* the a=fmtp parameters, "" if none */
	uint8_t apt;              /* for rtx: the associated payload type (from fmtp apt=) */
	bool has_apt;
	unsigned fb;              /* enum sdp_fb bits from a=rtcp-fb */
};

struct sdp_ext {
	uint8_t id;
	char uri[128];
};

struct sdp_ssrc {
	uint32_t ssrc;
	char cname[64];
};

struct sdp_media {
	enum sdp_kind kind;
	char kind_name[16];       /* "audio", "video", "application", ... */
	uint16_t port;            /* 0 = rejected/disabled m-line */
	char proto[32];           /* "UDP/TLS/RTP/SAVPF" */
	char mid[32];
	enum sdp_dir dir;
	bool rtcp_mux, rtcp_rsize;
	struct sdp_codec codecs[SDP_MAX_CODECS];  /* in m-line preference order */
	size_t ncodecs;
	struct sdp_ext exts[SDP_MAX_EXTS];
	size_t nexts;
	struct sdp_ssrc ssrcs[SDP_MAX_SSRCS];
	size_t nssrcs;
	uint32_t fid_primary, fid_rtx;  /* a=ssrc-group:FID, 0 if none */
	char msid[128];
	/* media-level transport attributes (JSEP puts them here) */
	char ice_ufrag[64], ice_pwd[256];
	char fp_alg[16], fingerprint[160];
	enum sdp_setup setup;
};

struct sdp_session {
	char ice_ufrag[64], ice_pwd[256];         /* session-level, if given there */
	char fp_alg[16], fingerprint[160];
	enum sdp_setup setup;
	bool ice_lite;
	char bundle[SDP_MAX_MEDIA][32];           /* a=group:BUNDLE mids */
	size_t nbundle;
	struct sdp_media media[SDP_MAX_MEDIA];
	size_t nmedia;
};

/* 0, or EINVAL/E2BIG/EPROTO with a human-readable reason in err */
int sdp_parse(struct sdp_session *s, const char *text, size_t len, char *err, size_t errlen);
/* the codec with pt in m, or NULL */
const struct sdp_codec *sdp_media_codec(const struct sdp_media *m, uint8_t pt);
/* the extension id for uri in m, or 0 */
uint8_t sdp_media_ext_id(const struct sdp_media *m, const char *uri);
/* the value of key (case-insensitive) in fmtp parameters "a=1;b=2" into out: 0, ENOENT, E2BIG */
int sdp_fmtp_param(const char *fmtp, const char *key, char *out, size_t outlen);

#endif

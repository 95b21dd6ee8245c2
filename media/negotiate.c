/* negotiate: build the relay's JSEP answer to a parsed offer (see negotiate.h for the policy).
 *
 * Three steps: pick what each offered m-line becomes (neg_plan), check the transport the
 * bundle will use (neg_transport), then write the answer with the same m-lines in the same
 * order. Codecs, feedback, header extensions and directions come from the tables below. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "media/negotiate.h"

#define NEG_FB_POLICY (SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_TWCC)
#define NEG_EXT_ID_MAX 14   /* one-byte header extensions: we do not offer extmap-allow-mixed */

/* what one offered m-line becomes */
struct neg_pick {
	int codec;   /* index into the m-line's codecs, -1: rejected */
	int rtx;     /* index of the rtx codec for it, -1: none */
	int rule;    /* index into neg_rules */
	bool extra;  /* a further m-line of its kind (receive-only for the browser) */
	int fresh;   /* extra: index into local->fresh, -1: kept from local->known */
	uint32_t ssrc, rtx_ssrc;
};

#define NEG_NO_PICK ((struct neg_pick){ .codec = -1, .rtx = -1, .rule = -1, .fresh = -1 })

static bool neg_h264_ok(const struct sdp_codec *c)
{
	char pm[8];

	return !sdp_fmtp_param(c->fmtp, "packetization-mode", pm, sizeof(pm)) && !strcmp(pm, "1");
}

/* codecs we take, in order of preference per kind */
static const struct neg_rule {
	enum sdp_kind kind;
	const char *name;
	uint32_t clock;
	bool (*ok)(const struct sdp_codec *c);
} neg_rules[] = {
	{ SDP_KIND_AUDIO, "opus", 48000, NULL },
	{ SDP_KIND_VIDEO, "VP8", 90000, NULL },
	{ SDP_KIND_VIDEO, "H264", 90000, neg_h264_ok },
};

/* feedback we answer, in the order written */
static const struct { unsigned bit; const char *text; } neg_fbs[] = {
	{ SDP_FB_TWCC, "transport-cc" }, { SDP_FB_FIR, "ccm fir" }, { SDP_FB_NACK, "nack" },
	{ SDP_FB_PLI, "nack pli" },
};

/* header extensions we keep */
static const struct { const char *uri; size_t off; } neg_exts[] = {
	{ "urn:ietf:params:rtp-hdrext:sdes:mid", offsetof(struct neg_stream, ext_mid) },
	{ "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
	  offsetof(struct neg_stream, ext_abs_send_time) },
	{ "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
	  offsetof(struct neg_stream, ext_twcc) },
};

/* the offer's direction -> ours */
static const enum sdp_dir neg_dir_answer[] = {
	[SDP_DIR_SENDRECV] = SDP_DIR_SENDRECV, [SDP_DIR_SENDONLY] = SDP_DIR_RECVONLY,
	[SDP_DIR_RECVONLY] = SDP_DIR_SENDONLY, [SDP_DIR_INACTIVE] = SDP_DIR_INACTIVE,
};
static const char *const neg_dir_name[] = {
	[SDP_DIR_SENDRECV] = "sendrecv", [SDP_DIR_SENDONLY] = "sendonly",
	[SDP_DIR_RECVONLY] = "recvonly", [SDP_DIR_INACTIVE] = "inactive",
};

static const char *const neg_protos[] = { "UDP/TLS/RTP/SAVPF", "RTP/SAVPF" };

#define NEG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

__attribute__((format(printf, 4, 5)))
static int neg_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---- the plan ---- */

/* "AB:CD:..." (either case) into 32 bytes */
static int neg_fp_parse(const char *text, uint8_t fp[DTLS_FP_LEN])
{
	if (strlen(text) != DTLS_FP_TEXT_LEN - 1)
		return EINVAL;
	for (size_t i = 0; i < DTLS_FP_LEN; i++) {
		const char *h = text + 3 * i;
		unsigned v = 0;

		for (size_t k = 0; k < 2; k++) {
			char c = h[k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				v |= (unsigned)((c | 0x20) - 'a' + 10);
			else
				return EINVAL;
		}
		if (i + 1 < DTLS_FP_LEN && h[2] != ':')
			return EINVAL;
		fp[i] = (uint8_t)v;
	}
	return 0;
}

static bool neg_in_bundle(const struct sdp_session *o, const char *mid)
{
	for (size_t i = 0; i < o->nbundle; i++)
		if (!strcmp(o->bundle[i], mid))
			return true;
	return false;
}

/* an m-line we could carry: enabled, DTLS-SRTP, with a mid, on the offered bundle */
static bool neg_usable(const struct sdp_session *o, const struct sdp_media *m)
{
	bool proto = false;

	for (size_t i = 0; i < NEG_COUNT(neg_protos); i++)
		proto |= !strcasecmp(m->proto, neg_protos[i]);
	return proto && m->port && m->mid[0] && (!o->nbundle || neg_in_bundle(o, m->mid));
}

/* the first codec by our preference (only_rule >= 0: that rule only) and its rtx */
static struct neg_pick neg_choose(const struct sdp_media *m, int only_rule)
{
	struct neg_pick pk = NEG_NO_PICK;

	for (size_t r = 0; r < NEG_COUNT(neg_rules) && pk.codec < 0; r++) {
		const struct neg_rule *rule = &neg_rules[r];

		if (only_rule >= 0 && (int)r != only_rule)
			continue;

		for (size_t i = 0; rule->kind == m->kind && i < m->ncodecs; i++) {
			const struct sdp_codec *c = &m->codecs[i];

			if (strcasecmp(c->name, rule->name) || c->clock != rule->clock ||
			    (rule->ok && !rule->ok(c)))
				continue;
			pk.codec = (int)i, pk.rule = (int)r;
			break;
		}
	}
	for (size_t i = 0; pk.codec >= 0 && m->kind == SDP_KIND_VIDEO && i < m->ncodecs; i++) {
		const struct sdp_codec *c = &m->codecs[i];

		if (!strcasecmp(c->name, "rtx") && c->has_apt && c->apt == m->codecs[pk.codec].pt) {
			pk.rtx = (int)i;
			break;
		}
	}
	return pk;
}

/* our SSRCs for a further m-line: kept by mid, else the next fresh ones; false: none left */
static bool neg_extra_ssrc(const struct neg_local *l, const struct sdp_media *m, size_t *next_fresh,
			   struct neg_pick *pk)
{
	for (size_t k = 0; l->known && k < l->nknown; k++) {
		if (!strcmp(l->known[k].mid, m->mid)) {
			pk->ssrc = l->known[k].ssrc;
			pk->rtx_ssrc = l->known[k].rtx_ssrc;
			return pk->ssrc != 0;
		}
	}
	if (!l->fresh || *next_fresh >= l->nfresh || !l->fresh[*next_fresh].ssrc)
		return false;
	pk->fresh = (int)*next_fresh;
	pk->ssrc = l->fresh[*next_fresh].ssrc;
	pk->rtx_ssrc = l->fresh[(*next_fresh)++].rtx_ssrc;
	return true;
}

/* a further m-line of a kind whose primary took rule: receive-only for the browser (a
 * sendonly one would be a second camera), the same codec, room, rtcp-mux and an SSRC */
static struct neg_pick neg_extra(const struct sdp_media *m, const struct neg_local *l, int rule,
				 unsigned *count, size_t *next_fresh)
{
	struct neg_pick pk = NEG_NO_PICK;

	if (m->dir == SDP_DIR_SENDONLY || *count >= NEG_MAX_EXTRA || !m->rtcp_mux)
		return pk;
	pk = neg_choose(m, rule);
	if (pk.codec < 0 || !neg_extra_ssrc(l, m, next_fresh, &pk))
		return NEG_NO_PICK;
	if (pk.rtx >= 0 && !pk.rtx_ssrc)
		pk.rtx = -1;             /* no rtx SSRC for it: answer without rtx */
	pk.extra = true;
	(*count)++;
	return pk;
}

/* the first usable audio and video m-lines with a codec we take, then further ones of the
 * same kinds (see negotiate.h); all others rejected */
static int neg_plan(const struct sdp_session *o, const struct neg_local *l,
		    struct neg_pick *picks, int *tag, char *err, size_t errlen)
{
	int rule[2] = { -1, -1 };        /* the primary's codec rule per kind, -1: none yet */
	unsigned count[2] = { 0, 0 };
	size_t next_fresh = 0;

	*tag = -1;
	for (size_t i = 0; i < o->nmedia; i++) {
		const struct sdp_media *m = &o->media[i];
		int k = m->kind == SDP_KIND_AUDIO ? 0 : m->kind == SDP_KIND_VIDEO ? 1 : -1;

		picks[i] = NEG_NO_PICK;
		if (k < 0 || !neg_usable(o, m))
			continue;
		if (rule[k] >= 0) {
			picks[i] = neg_extra(m, l, rule[k], &count[k], &next_fresh);
			continue;
		}
		picks[i] = neg_choose(m, -1);
		if (picks[i].codec < 0)
			continue;
		if (!m->rtcp_mux)
			return neg_fail(err, errlen, EPROTO, "m-line %zu (mid %s) has no a=rtcp-mux",
					i + 1, m->mid);
		rule[k] = picks[i].rule;
	}
	if (rule[0] < 0 && rule[1] < 0)
		return neg_fail(err, errlen, EPROTO,
				"no usable m-line: need audio with Opus or video with VP8/H264 "
				"(packetization-mode=1) over UDP/TLS/RTP/SAVPF");
	/* the bundle's transport is that of the first accepted mid in the offered group */
	for (size_t b = 0; b < o->nbundle && *tag < 0; b++)
		for (size_t i = 0; i < o->nmedia; i++)
			if (picks[i].codec >= 0 && !strcmp(o->media[i].mid, o->bundle[b]))
				*tag = (int)i;
	for (size_t i = 0; i < o->nmedia && *tag < 0; i++)
		if (picks[i].codec >= 0)
			*tag = (int)i;
	return 0;
}

/* ICE credentials, fingerprint and DTLS role of the bundle transport (media level first) */
static int neg_transport(const struct sdp_session *o, const struct sdp_media *m,
			 struct neg_result *res, char *err, size_t errlen)
{
	const char *ufrag = m->ice_ufrag[0] ? m->ice_ufrag : o->ice_ufrag;
	const char *pwd = m->ice_pwd[0] ? m->ice_pwd : o->ice_pwd;
	const char *alg = m->fp_alg[0] ? m->fp_alg : o->fp_alg;
	const char *fp = m->fp_alg[0] ? m->fingerprint : o->fingerprint;
	enum sdp_setup setup = m->setup != SDP_SETUP_NONE ? m->setup : o->setup;

	if (!ufrag[0] || !pwd[0])
		return neg_fail(err, errlen, EPROTO, "offer has no a=ice-ufrag/a=ice-pwd");
	if (strlen(ufrag) > ICE_UFRAG_MAX || strlen(pwd) > ICE_PWD_MAX)
		return neg_fail(err, errlen, EPROTO, "a=ice-ufrag longer than %d or a=ice-pwd "
				"longer than %d characters", ICE_UFRAG_MAX, ICE_PWD_MAX);
	if (!alg[0])
		return neg_fail(err, errlen, EPROTO, "offer has no a=fingerprint");
	if (strcasecmp(alg, "sha-256"))
		return neg_fail(err, errlen, EPROTO, "fingerprint must be sha-256, not %s", alg);
	if (neg_fp_parse(fp, res->rfp))
		return neg_fail(err, errlen, EPROTO, "a=fingerprint is not 32 hex bytes");
	/* no a=setup means active (RFC 4145 §4) */
	if (setup == SDP_SETUP_PASSIVE)
		return neg_fail(err, errlen, EPROTO,
				"a=setup:passive offered; we are passive, need actpass or active");
	strcpy(res->rufrag, ufrag);
	strcpy(res->rpwd, pwd);
	return 0;
}

static void neg_fill(const struct sdp_media *m, struct neg_pick pk, const struct neg_local *l,
		     struct neg_stream *st)
{
	const struct sdp_codec *c = &m->codecs[pk.codec];
	bool video = m->kind == SDP_KIND_VIDEO;

	st->active = true;
	st->kind = m->kind;
	memcpy(st->mid, m->mid, sizeof(st->mid));
	if (pk.extra) {
		st->dir = m->dir == SDP_DIR_INACTIVE ? SDP_DIR_INACTIVE : SDP_DIR_SENDONLY;
		st->ssrc = pk.ssrc;
		st->rtx_ssrc = pk.rtx >= 0 ? pk.rtx_ssrc : 0;
	} else {
		st->dir = neg_dir_answer[m->dir];
		st->ssrc = video ? l->video_ssrc : l->audio_ssrc;
		st->rtx_ssrc = video && pk.rtx >= 0 ? l->video_rtx_ssrc : 0;
	}
	st->fresh = pk.fresh;
	st->pt = c->pt;
	st->rtx_pt = pk.rtx >= 0 ? m->codecs[pk.rtx].pt : 0;
	st->clock = c->clock;
	strcpy(st->codec, neg_rules[pk.rule].name);
	memcpy(st->fmtp, c->fmtp, sizeof(st->fmtp));
	st->fb = c->fb & NEG_FB_POLICY;
	if (m->fid_primary) {
		st->remote_ssrc = m->fid_primary;
		st->remote_rtx_ssrc = st->rtx_pt ? m->fid_rtx : 0;
	} else if (m->nssrcs) {
		st->remote_ssrc = m->ssrcs[0].ssrc;
	}
	for (size_t i = 0; i < NEG_COUNT(neg_exts); i++) {
		uint8_t id = sdp_media_ext_id(m, neg_exts[i].uri);

		*((uint8_t *)st + neg_exts[i].off) = id <= NEG_EXT_ID_MAX ? id : 0;
	}
}

/* ---- writing ---- */

struct neg_buf {
	char *p;
	size_t cap, len;
	bool full;
};

/* append one line and its CRLF */
__attribute__((format(printf, 2, 3)))
static void neg_put(struct neg_buf *b, const char *fmt, ...)
{
	size_t room = b->cap - b->len;
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= room) {
		b->full = true;
		b->p[b->len] = '\0';
		return;
	}
	memcpy(b->p + b->len + (size_t)n, "\r\n", 3);
	b->len += (size_t)n + 2;
}

static void neg_put_codec(struct neg_buf *b, const struct sdp_codec *c, unsigned fb)
{
	if (c->channels > 1)
		neg_put(b, "a=rtpmap:%u %s/%" PRIu32 "/%u", c->pt, c->name, c->clock, c->channels);
	else
		neg_put(b, "a=rtpmap:%u %s/%" PRIu32, c->pt, c->name, c->clock);
	for (size_t i = 0; i < NEG_COUNT(neg_fbs); i++)
		if (fb & neg_fbs[i].bit)
			neg_put(b, "a=rtcp-fb:%u %s", c->pt, neg_fbs[i].text);
	if (c->fmtp[0])
		neg_put(b, "a=fmtp:%u %s", c->pt, c->fmtp);
}

/* the ssrcs we send, when our direction sends */
static void neg_put_sender(struct neg_buf *b, const struct neg_local *l,
			   const struct neg_stream *st)
{
	uint32_t ssrc = st->ssrc;
	uint32_t rtx = st->rtx_pt ? st->rtx_ssrc : 0;

	if (rtx && ssrc)
		neg_put(b, "a=ssrc-group:FID %" PRIu32 " %" PRIu32, ssrc, rtx);
	if (ssrc)
		neg_put(b, "a=ssrc:%" PRIu32 " cname:%s", ssrc, l->cname);
	if (rtx && ssrc)
		neg_put(b, "a=ssrc:%" PRIu32 " cname:%s", rtx, l->cname);
}

static void neg_put_media(struct neg_buf *b, const struct neg_local *l,
			  const struct sdp_media *m, struct neg_pick pk, const struct neg_stream *st)
{
	const char *ipv = strchr(l->ip, ':') ? "IP6" : "IP4";
	bool sends = st->dir == SDP_DIR_SENDRECV || st->dir == SDP_DIR_SENDONLY;

	if (pk.rtx >= 0)
		neg_put(b, "m=%s %u %s %u %u", m->kind_name, l->port, m->proto, st->pt, st->rtx_pt);
	else
		neg_put(b, "m=%s %u %s %u", m->kind_name, l->port, m->proto, st->pt);
	neg_put(b, "c=IN %s %s", ipv, l->ip);
	neg_put(b, "a=rtcp:%u IN %s %s", l->port, ipv, l->ip);
	neg_put(b, "a=ice-ufrag:%s", l->ufrag);
	neg_put(b, "a=ice-pwd:%s", l->pwd);
	neg_put(b, "a=fingerprint:sha-256 %s", l->fingerprint);
	neg_put(b, "a=setup:passive");
	neg_put(b, "a=mid:%s", m->mid);
	for (size_t i = 0; i < m->nexts; i++)
		for (size_t k = 0; k < NEG_COUNT(neg_exts); k++)
			if (m->exts[i].id <= NEG_EXT_ID_MAX && !strcmp(m->exts[i].uri, neg_exts[k].uri))
				neg_put(b, "a=extmap:%u %s", m->exts[i].id, m->exts[i].uri);
	neg_put(b, "a=%s", neg_dir_name[st->dir]);
	if (sends && !pk.extra)
		neg_put(b, "a=msid:%s %s-%s", l->stream_id, l->stream_id, m->kind_name);
	else if (sends)   /* one stream per further m-line: the page tells parties apart by mid */
		neg_put(b, "a=msid:%s-%s %s-%s-%s", l->stream_id, m->mid, l->stream_id, m->mid,
			m->kind_name);
	neg_put(b, "a=rtcp-mux");
	if (m->rtcp_rsize)
		neg_put(b, "a=rtcp-rsize");
	neg_put_codec(b, &m->codecs[pk.codec], st->fb);
	if (pk.rtx >= 0)
		neg_put_codec(b, &m->codecs[pk.rtx], 0);
	if (sends)
		neg_put_sender(b, l, st);
	neg_put(b, "a=candidate:1 1 udp 2130706431 %s %u typ host", l->ip, l->port);
	neg_put(b, "a=end-of-candidates");
}

/* port 0, the offer's first format, and the mid so the browser can match it */
static void neg_put_rejected(struct neg_buf *b, const struct sdp_media *m)
{
	size_t plen = strlen(m->proto);

	if (m->ncodecs)
		neg_put(b, "m=%s 0 %s %u", m->kind_name, m->proto, m->codecs[0].pt);
	else if (plen >= 10 && !strcasecmp(m->proto + plen - 10, "/DTLS/SCTP"))
		neg_put(b, "m=%s 0 %s webrtc-datachannel", m->kind_name, m->proto);
	else
		neg_put(b, "m=%s 0 %s 0", m->kind_name, m->proto);
	if (m->mid[0])
		neg_put(b, "a=mid:%s", m->mid);
}

static void neg_put_session(struct neg_buf *b, const struct sdp_session *o,
			    const struct neg_local *l, const struct neg_pick *picks)
{
	char group[sizeof("a=group:BUNDLE") + SDP_MAX_MEDIA * sizeof(o->bundle[0])];
	size_t n = 0;

	neg_put(b, "v=0");
	neg_put(b, "o=- %" PRIu64 " %" PRIu32 " IN IP4 127.0.0.1", l->session_id,
		l->session_version ? l->session_version : 2);
	neg_put(b, "s=-");
	neg_put(b, "t=0 0");
	n = (size_t)snprintf(group, sizeof(group), "a=group:BUNDLE");
	for (size_t k = 0; k < o->nbundle; k++) {
		for (size_t i = 0; i < o->nmedia && n < sizeof(group); i++) {
			if (picks[i].codec >= 0 && !strcmp(o->media[i].mid, o->bundle[k])) {
				n += (size_t)snprintf(group + n, sizeof(group) - n, " %s",
						      o->bundle[k]);
				break;
			}
		}
	}
	if (o->nbundle)
		neg_put(b, "%s", group);
	neg_put(b, "a=ice-lite");
	neg_put(b, "a=msid-semantic: WMS %s", l->stream_id);
}

/* our own parameters end up in the answer verbatim: one printable token each */
static bool neg_token_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return n && n <= max;
}

static int neg_local_check(const struct neg_local *l, char *err, size_t errlen)
{
	if (!neg_token_ok(l->ufrag, ICE_UFRAG_MAX) || !neg_token_ok(l->pwd, ICE_PWD_MAX) ||
	    !neg_token_ok(l->fingerprint, DTLS_FP_TEXT_LEN) || !neg_token_ok(l->ip, 64) ||
	    !neg_token_ok(l->cname, 64) || !neg_token_ok(l->stream_id, 64) || !l->port)
		return neg_fail(err, errlen, EINVAL, "bad local parameters");
	return 0;
}

int negotiate_answer(const struct sdp_session *offer, const struct neg_local *local,
		     struct neg_result *res, char *answer, size_t cap, char *err, size_t errlen)
{
	struct neg_pick picks[SDP_MAX_MEDIA];
	struct neg_buf b = { answer, cap, 0, false };
	int tag, rc;

	if (err && errlen)
		err[0] = '\0';
	if (!offer || !local || !res || !answer || offer->nmedia > SDP_MAX_MEDIA)
		return neg_fail(err, errlen, EINVAL, "bad arguments");
	if (!cap)
		return neg_fail(err, errlen, E2BIG, "answer does not fit in 0 bytes");
	answer[0] = '\0';
	memset(res, 0, sizeof(*res));
	if ((rc = neg_local_check(local, err, errlen)) ||
	    (rc = neg_plan(offer, local, picks, &tag, err, errlen)) ||
	    (rc = neg_transport(offer, &offer->media[tag], res, err, errlen)))
		goto out;
	neg_put_session(&b, offer, local, picks);
	for (size_t i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *m = &offer->media[i];
		struct neg_stream *st = picks[i].extra ? &res->extra[res->nextra] :
					m->kind == SDP_KIND_AUDIO ? &res->audio : &res->video;

		if (picks[i].codec < 0) {
			neg_put_rejected(&b, m);
			continue;
		}
		if (picks[i].extra)
			res->nextra++;   /* at most 2 × NEG_MAX_EXTRA: neg_extra counts per kind */
		neg_fill(m, picks[i], local, st);
		neg_put_media(&b, local, m, picks[i], st);
	}
	if (b.full)
		rc = neg_fail(err, errlen, E2BIG, "answer does not fit in %zu bytes", cap);
out:
	if (rc) {
		answer[0] = '\0';
		memset(res, 0, sizeof(*res));
	}
	return rc;
}

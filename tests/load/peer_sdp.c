/* peer_sdp: the scripted peer's offer and answer, and what it takes from the remote's SDP
 * (ICE credentials, fingerprint, DTLS role, first IPv4 UDP candidate, payload types). */
#include "tests/load/peer_priv.h"
#include "media/sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sdpbuf {
	char *buf;
	size_t cap, len;
	bool overflow;
	bool ssrc_used[PEER_NKINDS];   /* our SSRC of that kind is on an m-line already */
};

__attribute__((format(printf, 2, 3)))
static void sb_add(struct sdpbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->overflow = true;
	else
		b->len += (size_t)n;
}

/* the transport lines every m-line carries (BUNDLE: the same ones) */
static void sb_transport(struct sdpbuf *b, const struct peer *p, const char *setup,
			 const char *mid)
{
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &p->local.sin_addr, ip, sizeof(ip));
	sb_add(b, "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
		  "a=candidate:1 1 udp 2130706431 %s %u typ host\r\na=end-of-candidates\r\n"
		  "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 %s\r\na=setup:%s\r\n"
		  "a=mid:%s\r\na=rtcp-mux\r\n",
	       ip, ntohs(p->local.sin_port), p->lufrag, p->lpwd, dtls_cert_fingerprint(p->cert),
	       setup, mid);
}

/* whether an m-line with this direction carries our SSRC: the first one of its kind that sends */
static bool sb_sends(struct sdpbuf *b, enum peer_kind k, const char *dir)
{
	if (b->ssrc_used[k] || (strcmp(dir, "sendrecv") && strcmp(dir, "sendonly")))
		return false;
	b->ssrc_used[k] = true;
	return true;
}

static void sb_audio(struct sdpbuf *b, const struct peer *p, const char *setup,
		     const char *mid, const char *dir)
{
	uint8_t pt = p->pt[PEER_AUDIO];
	sb_add(b, "m=audio 9 UDP/TLS/RTP/SAVPF %u\r\n", pt);
	sb_transport(b, p, setup, mid);
	sb_add(b, "a=%s\r\na=rtpmap:%u opus/48000/2\r\na=fmtp:%u minptime=10;useinbandfec=1\r\n",
	       dir, pt, pt);
	if (sb_sends(b, PEER_AUDIO, dir))
		sb_add(b, "a=msid:peer a0\r\na=ssrc:%u cname:peer\r\na=ssrc:%u msid:peer a0\r\n",
		       p->ssrc[PEER_AUDIO], p->ssrc[PEER_AUDIO]);
}

static void sb_video(struct sdpbuf *b, const struct peer *p, const char *setup,
		     const char *mid, const char *dir)
{
	uint8_t pt = p->pt[PEER_VIDEO], rtx = p->rtx_pt;
	if (rtx)
		sb_add(b, "m=video 9 UDP/TLS/RTP/SAVPF %u %u\r\n", pt, rtx);
	else
		sb_add(b, "m=video 9 UDP/TLS/RTP/SAVPF %u\r\n", pt);
	sb_transport(b, p, setup, mid);
	sb_add(b, "a=%s\r\na=rtcp-rsize\r\na=rtpmap:%u VP8/90000\r\n"
		  "a=rtcp-fb:%u nack\r\na=rtcp-fb:%u nack pli\r\na=rtcp-fb:%u ccm fir\r\n",
	       dir, pt, pt, pt, pt);
	if (rtx)
		sb_add(b, "a=rtpmap:%u rtx/90000\r\na=fmtp:%u apt=%u\r\n", rtx, rtx, pt);
	if (!sb_sends(b, PEER_VIDEO, dir))
		return;
	sb_add(b, "a=msid:peer v0\r\n");
	if (rtx)
		sb_add(b, "a=ssrc-group:FID %u %u\r\na=ssrc:%u cname:peer\r\na=ssrc:%u cname:peer\r\n",
		       p->ssrc[PEER_VIDEO], p->rtx_ssrc, p->ssrc[PEER_VIDEO], p->rtx_ssrc);
	else
		sb_add(b, "a=ssrc:%u cname:peer\r\n", p->ssrc[PEER_VIDEO]);
}

static void sb_session(struct sdpbuf *b, const char *mids)
{
	sb_add(b, "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		  "a=group:BUNDLE %s\r\na=msid-semantic: WMS peer\r\n", mids);
}

/* m-lines of our offer in order: first audio and video (sendrecv), then the receive-only
 * ones, audio and video alternating; kinds[i] is PEER_AUDIO or PEER_VIDEO */
static unsigned peer_offer_plan(const struct peer *p, enum peer_kind *kinds, bool *recvonly)
{
	unsigned n = 0, ea = p->extra[PEER_AUDIO], ev = p->extra[PEER_VIDEO];
	if (p->offer_audio)
		kinds[n] = PEER_AUDIO, recvonly[n++] = false;
	if (p->offer_video)
		kinds[n] = PEER_VIDEO, recvonly[n++] = false;
	for (unsigned i = 0; i < ea || i < ev; i++) {
		if (i < ea)
			kinds[n] = PEER_AUDIO, recvonly[n++] = true;
		if (i < ev)
			kinds[n] = PEER_VIDEO, recvonly[n++] = true;
	}
	return n;
}

int peer_offer(struct peer *p, char *buf, size_t cap)
{
	struct sdpbuf b = {buf, cap, 0, false, {false, false}};
	enum peer_kind kinds[2 + 2 * PEER_MAX_EXTRA];
	bool recvonly[2 + 2 * PEER_MAX_EXTRA];
	char mids[64] = "", mid[8];
	unsigned n = peer_offer_plan(p, kinds, recvonly);
	if (!p->offer_audio && !p->offer_video)
		return EINVAL;
	for (unsigned i = 0; i < n; i++)
		snprintf(mids + strlen(mids), sizeof(mids) - strlen(mids), "%s%u", i ? " " : "", i);
	sb_session(&b, mids);
	for (unsigned i = 0; i < n; i++) {
		const char *dir = recvonly[i] ? "recvonly" : "sendrecv";
		snprintf(mid, sizeof(mid), "%u", i);
		if (kinds[i] == PEER_AUDIO)
			sb_audio(&b, p, "actpass", mid, dir);
		else
			sb_video(&b, p, "actpass", mid, dir);
	}
	p->controlling = true;
	return b.overflow ? E2BIG : 0;
}

/* "a=candidate:F C udp PRIO IP PORT typ ...": the first IPv4 UDP one */
static int peer_find_candidate(struct peer *p, const char *sdp)
{
	for (const char *c = strstr(sdp, "a=candidate:"); c; c = strstr(c + 1, "a=candidate:")) {
		char proto[8], ip[64];
		unsigned port;
		struct sockaddr_in sa = {.sin_family = AF_INET};
		if (sscanf(c, "a=candidate:%*s %*s %7s %*s %63s %u", proto, ip, &port) != 3 ||
		    strcasecmp(proto, "udp") || port > 65535 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
			continue;
		sa.sin_port = htons((uint16_t)port);
		p->remote = sa;
		p->has_remote = true;
		return 0;
	}
	return EPROTO;
}

static const struct sdp_codec *peer_codec(const struct sdp_media *m, const char *name,
					  uint8_t apt)
{
	for (size_t i = 0; i < m->ncodecs; i++) {
		const struct sdp_codec *c = &m->codecs[i];
		if (!strcasecmp(c->name, name) && (!apt || (c->has_apt && c->apt == apt)))
			return c;
	}
	return NULL;
}

/* credentials, fingerprint and payload types from the remote's SDP */
static int peer_take_remote(struct peer *p, const struct sdp_session *s, enum sdp_setup *setup)
{
	const struct sdp_media *m0 = s->nmedia ? &s->media[0] : NULL;
	const char *ufrag = m0 && *m0->ice_ufrag ? m0->ice_ufrag : s->ice_ufrag;
	const char *pwd = m0 && *m0->ice_pwd ? m0->ice_pwd : s->ice_pwd;
	const char *fp = m0 && *m0->fingerprint ? m0->fingerprint : s->fingerprint;
	*setup = m0 && m0->setup != SDP_SETUP_NONE ? m0->setup : s->setup;
	if (p->dtls && (strcmp(p->rufrag, ufrag) || strcmp(p->rpwd, pwd)))
		return EPROTO;   /* a renegotiation keeps ICE: an ICE restart is not ours to do */
	snprintf(p->rufrag, sizeof(p->rufrag), "%s", ufrag);
	snprintf(p->rpwd, sizeof(p->rpwd), "%s", pwd);
	p->has_kind[PEER_AUDIO] = p->has_kind[PEER_VIDEO] = false;
	p->nfid = 0;
	for (size_t i = 0; i < s->nmedia; i++) {
		const struct sdp_media *m = &s->media[i];
		const struct sdp_codec *c;
		if (!m->port)
			continue;
		if (m->fid_rtx && p->nfid < PEER_MAX_FID) {
			p->fid[p->nfid].rtx = m->fid_rtx;
			p->fid[p->nfid++].media = m->fid_primary;
		}
		if (m->kind == SDP_KIND_AUDIO && (c = peer_codec(m, "opus", 0))) {
			p->pt[PEER_AUDIO] = c->pt;
			p->has_kind[PEER_AUDIO] = true;
		} else if (m->kind == SDP_KIND_VIDEO && (c = peer_codec(m, "VP8", 0))) {
			p->pt[PEER_VIDEO] = c->pt;
			p->has_kind[PEER_VIDEO] = true;
			const struct sdp_codec *r = peer_codec(m, "rtx", c->pt);
			p->rtx_pt = r ? r->pt : 0;
		}
	}
	uint8_t rfp[DTLS_FP_LEN];
	int e = dtls_fp_parse(fp, rfp);
	if (!e && p->dtls && memcmp(rfp, p->rfp, sizeof(rfp)))
		return EPROTO;   /* a new DTLS certificate: not the same association */
	if (!e)
		memcpy(p->rfp, rfp, sizeof(rfp));
	return e;
}

static int peer_parse(const char *text, struct sdp_session **sp)
{
	char err[160];
	struct sdp_session *s = malloc(sizeof(*s));
	int e = s ? sdp_parse(s, text, strlen(text), err, sizeof(err)) : ENOMEM;
	if (e) {
		fprintf(stderr, "peer: remote SDP refused: %s\n", s ? err : "no memory");
		free(s);
		return e;
	}
	*sp = s;
	return 0;
}

int peer_answer(struct peer *p, const char *text)
{
	struct sdp_session *s;
	enum sdp_setup setup;
	int e = peer_parse(text, &s);
	if (e)
		return e;
	bool reneg = p->dtls != NULL;
	if ((e = peer_take_remote(p, s, &setup)))
		goto out;
	if (reneg) {   /* the same ICE, DTLS and SRTP go on; only the m-lines changed */
		p->st.renegotiations++;
		goto out;
	}
	if ((e = peer_find_candidate(p, text)))
		goto out;
	p->dtls_server = setup == SDP_SETUP_ACTIVE;
	e = peer_dtls_setup(p);
out:
	free(s);
	return e;
}

static const char *peer_answer_dir(enum sdp_dir offered)
{
	static const char *const dirs[] = {
		[SDP_DIR_SENDRECV] = "sendrecv", [SDP_DIR_SENDONLY] = "recvonly",
		[SDP_DIR_RECVONLY] = "sendonly", [SDP_DIR_INACTIVE] = "inactive",
	};
	return (unsigned)offered < 4 ? dirs[offered] : "inactive";
}

static void peer_answer_mlines(struct peer *p, const struct sdp_session *s, struct sdpbuf *b,
			       const char *setup)
{
	for (size_t i = 0; i < s->nmedia; i++) {
		const struct sdp_media *m = &s->media[i];
		const char *dir = peer_answer_dir(m->dir);
		if (m->port && m->kind == SDP_KIND_AUDIO && p->has_kind[PEER_AUDIO]) {
			sb_audio(b, p, setup, m->mid, dir);
		} else if (m->port && m->kind == SDP_KIND_VIDEO && p->has_kind[PEER_VIDEO]) {
			sb_video(b, p, setup, m->mid, dir);
		} else {
			const char *fmt = m->kind == SDP_KIND_APPLICATION ? "webrtc-datachannel" : "0";
			sb_add(b, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\na=inactive\r\n",
			       m->kind_name, m->proto, fmt, m->mid);
		}
	}
}

int peer_accept_offer(struct peer *p, const char *offer, char *buf, size_t cap)
{
	struct sdp_session *s;
	enum sdp_setup setup;
	int e = peer_parse(offer, &s);
	if (e)
		return e;
	if ((e = peer_take_remote(p, s, &setup)))
		goto out;
	peer_find_candidate(p, offer);  /* optional: the remote's first check tells us too */
	char mids[128] = "";
	for (size_t i = 0; i < s->nmedia; i++) {
		const struct sdp_media *m = &s->media[i];
		bool ok = m->port && ((m->kind == SDP_KIND_AUDIO && p->has_kind[PEER_AUDIO]) ||
				      (m->kind == SDP_KIND_VIDEO && p->has_kind[PEER_VIDEO]));
		if (ok && strlen(mids) + strlen(m->mid) + 2 < sizeof(mids))
			snprintf(mids + strlen(mids), sizeof(mids) - strlen(mids), "%s%s",
				 *mids ? " " : "", m->mid);
	}
	/* like a browser: DTLS client (a=setup:active) unless the offerer insists on being it */
	p->dtls_server = setup == SDP_SETUP_ACTIVE;
	p->controlling = false;
	struct sdpbuf b = {buf, cap, 0, false, {false, false}};
	sb_session(&b, mids);
	peer_answer_mlines(p, s, &b, p->dtls_server ? "passive" : "active");
	e = b.overflow ? E2BIG : peer_dtls_setup(p);
out:
	free(s);
	return e;
}

/* sdp: parse a browser's SDP offer into struct sdp_session (see sdp.h).
 *
 * One pass over the lines (CRLF or LF, the last one may lack its end). Each line is copied into
 * a bounded buffer and split in place; attributes are dispatched through sdp_attrs[]. Every
 * field is bounded: what does not fit is E2BIG, what is malformed is EINVAL, and the reason
 * names the line. Attributes we do not use are ignored. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "media/sdp.h"

#define SDP_LINE_MAX 2048

struct sdp_parser {
	struct sdp_session *s;
	struct sdp_media *m;     /* current media section, NULL at session level */
	enum sdp_dir sess_dir;   /* session-level direction, the default of every m-line */
	unsigned line;
	bool seen_v;
	char *err;
	size_t errlen;
};

struct sdp_attr {
	const char *name;
	int (*h)(struct sdp_parser *p, char *val, int arg);
	int arg;
	bool media_only;         /* ignored at session level */
};

__attribute__((format(printf, 3, 4)))
static int sdp_fail(struct sdp_parser *p, int code, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!p->err || !p->errlen)
		return code;
	if (p->line)
		n = snprintf(p->err, p->errlen, "line %u: ", p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return code;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

static int sdp_copy(struct sdp_parser *p, char *dst, size_t cap, const char *src, const char *what)
{
	size_t n = strlen(src);

	if (n >= cap)
		return sdp_fail(p, E2BIG, "%s longer than %zu bytes", what, cap - 1);
	memcpy(dst, src, n + 1);
	return 0;
}

/* next space-separated token of *sp, NUL-terminated in place; NULL at the end */
static char *sdp_tok(char **sp)
{
	char *s = *sp, *t;

	while (*s == ' ')
		s++;
	if (!*s)
		return NULL;
	t = s;
	while (*s && *s != ' ')
		s++;
	if (*s)
		*s++ = '\0';
	*sp = s;
	return t;
}

/* strict decimal: 1..10 digits, nothing else, value <= max */
static bool sdp_u32(const char *t, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!t || !*t || strlen(t) > 10)
		return false;
	for (i = 0; t[i]; i++) {
		if (t[i] < '0' || t[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

int sdp_fmtp_param(const char *fmtp, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *s = fmtp;

	while (s && *s) {
		const char *end = strchr(s, ';'), *v;
		size_t n;

		if (!end)
			end = s + strlen(s);
		while (*s == ' ')
			s++;
		v = s + klen;
		if (v < end && !strncasecmp(s, key, klen) && *v == '=') {
			v++;
			n = (size_t)(end - v);
			while (n && v[n - 1] == ' ')
				n--;
			if (n >= outlen)
				return E2BIG;
			memcpy(out, v, n);
			out[n] = '\0';
			return 0;
		}
		s = *end ? end + 1 : end;
	}
	return ENOENT;
}

const struct sdp_codec *sdp_media_codec(const struct sdp_media *m, uint8_t pt)
{
	for (size_t i = 0; m && i < m->ncodecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

uint8_t sdp_media_ext_id(const struct sdp_media *m, const char *uri)
{
	for (size_t i = 0; m && uri && i < m->nexts; i++)
		if (!strcmp(m->exts[i].uri, uri))
			return m->exts[i].id;
	return 0;
}

/* The codec a payload-type token names: 0 with *cp NULL when the m-line does not list it (or is
 * not RTP), EINVAL when the token is not a payload type. */
static int sdp_pt_codec(struct sdp_parser *p, const char *tok, const char *attr,
			struct sdp_codec **cp)
{
	uint32_t pt;

	*cp = NULL;
	if (!p->m->ncodecs)
		return 0;
	if (!sdp_u32(tok, 127, &pt))
		return sdp_fail(p, EINVAL, "a=%s: bad payload type '%.32s'", attr, tok ? tok : "");
	*cp = (struct sdp_codec *)sdp_media_codec(p->m, (uint8_t)pt);
	return 0;
}

/* ---- m= line ---- */

static const struct { const char *name; enum sdp_kind kind; } sdp_kinds[] = {
	{ "audio", SDP_KIND_AUDIO }, { "video", SDP_KIND_VIDEO },
	{ "application", SDP_KIND_APPLICATION },
};

static int sdp_m_formats(struct sdp_parser *p, struct sdp_media *m, char *rest)
{
	bool rtp = strstr(m->proto, "RTP/") != NULL;
	size_t nfmt = 0;
	uint32_t pt;
	char *t;

	while ((t = sdp_tok(&rest))) {
		nfmt++;
		if (!rtp)
			continue;
		if (!sdp_u32(t, 127, &pt))
			return sdp_fail(p, EINVAL, "m= line: bad payload type '%.32s'", t);
		if (sdp_media_codec(m, (uint8_t)pt))
			return sdp_fail(p, EINVAL, "m= line lists payload type %u twice", pt);
		if (m->ncodecs == SDP_MAX_CODECS)
			return sdp_fail(p, E2BIG, "m= line has more than %d payload types",
					SDP_MAX_CODECS);
		m->codecs[m->ncodecs].pt = (uint8_t)pt;
		m->codecs[m->ncodecs].channels = m->kind == SDP_KIND_AUDIO;
		m->ncodecs++;
	}
	if (!nfmt)
		return sdp_fail(p, EINVAL, "m= line has no %s", rtp ? "payload types" : "formats");
	return 0;
}

static int sdp_m_line(struct sdp_parser *p, char *v)
{
	struct sdp_session *s = p->s;
	struct sdp_media *m;
	char *kind = sdp_tok(&v), *port = sdp_tok(&v), *proto = sdp_tok(&v), *slash;
	uint32_t n;
	int err;

	if (s->nmedia == SDP_MAX_MEDIA)
		return sdp_fail(p, E2BIG, "more than %d m= lines", SDP_MAX_MEDIA);
	if (!proto)
		return sdp_fail(p, EINVAL, "m= line needs <media> <port> <proto> <formats>");
	m = &s->media[s->nmedia];
	memset(m, 0, sizeof(*m));
	m->kind = SDP_KIND_OTHER;
	for (size_t i = 0; i < sizeof(sdp_kinds) / sizeof(sdp_kinds[0]); i++)
		if (!strcmp(kind, sdp_kinds[i].name))
			m->kind = sdp_kinds[i].kind;
	if ((err = sdp_copy(p, m->kind_name, sizeof(m->kind_name), kind, "m= media type")))
		return err;
	if ((slash = strchr(port, '/')))
		*slash = '\0';  /* <port>/<number of ports>: only the port matters */
	if (!sdp_u32(port, 65535, &n))
		return sdp_fail(p, EINVAL, "m= line: bad port '%.32s'", port);
	m->port = (uint16_t)n;
	if ((err = sdp_copy(p, m->proto, sizeof(m->proto), proto, "m= protocol")))
		return err;
	if ((err = sdp_m_formats(p, m, v)))
		return err;
	m->dir = p->sess_dir;
	s->nmedia++;
	p->m = m;
	return 0;
}

/* ---- attribute handlers ---- */

static int sdp_a_group(struct sdp_parser *p, char *v, int arg)
{
	struct sdp_session *s = p->s;
	char *sem = sdp_tok(&v), *mid;
	int err;

	(void)arg;
	if (!sem || strcmp(sem, "BUNDLE") || s->nbundle)
		return 0;  /* other groups, and BUNDLE groups after the first, are not used */
	while ((mid = sdp_tok(&v))) {
		if (s->nbundle == SDP_MAX_MEDIA)
			return sdp_fail(p, E2BIG, "a=group:BUNDLE has more than %d mids",
					SDP_MAX_MEDIA);
		if ((err = sdp_copy(p, s->bundle[s->nbundle], sizeof(s->bundle[0]), mid, "mid")))
			return err;
		s->nbundle++;
	}
	return 0;
}

static int sdp_a_ice(struct sdp_parser *p, char *v, int pwd)
{
	if (pwd)
		return sdp_copy(p, p->m ? p->m->ice_pwd : p->s->ice_pwd, sizeof(p->s->ice_pwd), v,
				"a=ice-pwd");
	return sdp_copy(p, p->m ? p->m->ice_ufrag : p->s->ice_ufrag, sizeof(p->s->ice_ufrag), v,
			"a=ice-ufrag");
}

static int sdp_a_fingerprint(struct sdp_parser *p, char *v, int arg)
{
	char *alg_dst = p->m ? p->m->fp_alg : p->s->fp_alg;
	char *fp_dst = p->m ? p->m->fingerprint : p->s->fingerprint;
	char *alg = sdp_tok(&v), *fp = sdp_tok(&v);
	bool sha256;
	int err;

	(void)arg;
	if (!fp)
		return sdp_fail(p, EINVAL, "a=fingerprint needs <hash> <fingerprint>");
	if (!strcasecmp(alg_dst, "sha-256"))
		return 0;  /* several fingerprints: keep the sha-256 one, the only one we use */
	sha256 = !strcasecmp(alg, "sha-256");
	if ((err = sdp_copy(p, alg_dst, sizeof(p->s->fp_alg), alg, "a=fingerprint hash name")))
		return err;
	if (!sha256 && strlen(fp) >= sizeof(p->s->fingerprint)) {
		fp_dst[0] = '\0';  /* e.g. sha-512: unusable anyway, negotiation says so */
		return 0;
	}
	return sdp_copy(p, fp_dst, sizeof(p->s->fingerprint), fp, "a=fingerprint");
}

static const struct { const char *name; enum sdp_setup setup; } sdp_setups[] = {
	{ "actpass", SDP_SETUP_ACTPASS }, { "active", SDP_SETUP_ACTIVE },
	{ "passive", SDP_SETUP_PASSIVE },
};

static int sdp_a_setup(struct sdp_parser *p, char *v, int arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(sdp_setups) / sizeof(sdp_setups[0]); i++) {
		if (!strcmp(v, sdp_setups[i].name)) {
			*(p->m ? &p->m->setup : &p->s->setup) = sdp_setups[i].setup;
			return 0;
		}
	}
	return sdp_fail(p, EINVAL, "unknown a=setup value '%.32s'", v);
}

static int sdp_a_mid_msid(struct sdp_parser *p, char *v, int msid)
{
	if (msid)
		return sdp_copy(p, p->m->msid, sizeof(p->m->msid), v, "a=msid");
	return sdp_copy(p, p->m->mid, sizeof(p->m->mid), v, "a=mid");
}

static int sdp_a_dir(struct sdp_parser *p, char *v, int dir)
{
	(void)v;
	*(p->m ? &p->m->dir : &p->sess_dir) = (enum sdp_dir)dir;
	return 0;
}

enum sdp_flag { SDP_FLAG_ICE_LITE, SDP_FLAG_RTCP_MUX, SDP_FLAG_RTCP_RSIZE };

static int sdp_a_flag(struct sdp_parser *p, char *v, int flag)
{
	(void)v;
	*(flag == SDP_FLAG_ICE_LITE ? &p->s->ice_lite :
	  flag == SDP_FLAG_RTCP_MUX ? &p->m->rtcp_mux : &p->m->rtcp_rsize) = true;
	return 0;
}

/* a=rtpmap:<pt> <name>/<clock>[/<channels>] */
static int sdp_a_rtpmap(struct sdp_parser *p, char *v, int arg)
{
	struct sdp_codec *c;
	char *pt = sdp_tok(&v), *enc = sdp_tok(&v), *name, *clock, *ch;
	uint32_t n;
	int err;

	(void)arg;
	if ((err = sdp_pt_codec(p, pt, "rtpmap", &c)) || !c)
		return err;  /* a payload type the m= line does not list is ignored */
	name = enc ? strsep(&enc, "/") : NULL;
	clock = enc ? strsep(&enc, "/") : NULL;
	ch = enc;
	if (!name || !*name || !sdp_u32(clock, UINT32_MAX, &c->clock))
		return sdp_fail(p, EINVAL, "a=rtpmap needs <pt> <name>/<clock>[/<channels>]");
	if (ch) {
		if (!sdp_u32(ch, 255, &n) || !n)
			return sdp_fail(p, EINVAL, "a=rtpmap: bad channel count '%.32s'", ch);
		c->channels = (uint8_t)n;
	}
	return sdp_copy(p, c->name, sizeof(c->name), name, "a=rtpmap codec name");
}

/* a=fmtp:<pt> <parameters>; apt= gives an rtx codec its associated payload type */
static int sdp_a_fmtp(struct sdp_parser *p, char *v, int arg)
{
	struct sdp_codec *c;
	char *pt = sdp_tok(&v), apt[8];
	uint32_t n;
	int err;

	(void)arg;
	if ((err = sdp_pt_codec(p, pt, "fmtp", &c)) || !c)
		return err;
	while (*v == ' ')
		v++;
	if ((err = sdp_copy(p, c->fmtp, sizeof(c->fmtp), v, "a=fmtp parameters")))
		return err;
	err = sdp_fmtp_param(c->fmtp, "apt", apt, sizeof(apt));
	if (err == ENOENT)
		return 0;
	if (err || !sdp_u32(apt, 127, &n))
		return sdp_fail(p, EINVAL, "a=fmtp: bad apt value");
	c->apt = (uint8_t)n;
	c->has_apt = true;
	return 0;
}

static const struct { const char *type, *sub; unsigned bit; } sdp_fbs[] = {
	{ "nack", NULL, SDP_FB_NACK }, { "nack", "pli", SDP_FB_PLI },
	{ "ccm", "fir", SDP_FB_FIR }, { "goog-remb", NULL, SDP_FB_REMB },
	{ "transport-cc", NULL, SDP_FB_TWCC },
};

static unsigned sdp_fb_bit(const char *type, const char *sub)
{
	for (size_t i = 0; i < sizeof(sdp_fbs) / sizeof(sdp_fbs[0]); i++) {
		if (strcmp(type, sdp_fbs[i].type))
			continue;
		if (sub ? sdp_fbs[i].sub && !strcmp(sub, sdp_fbs[i].sub) : !sdp_fbs[i].sub)
			return sdp_fbs[i].bit;
	}
	return 0;
}

/* a=rtcp-fb:<pt>|* <type> [<subtype>] */
static int sdp_a_rtcp_fb(struct sdp_parser *p, char *v, int arg)
{
	struct sdp_codec *c = NULL;
	char *pt = sdp_tok(&v), *type = sdp_tok(&v), *sub = sdp_tok(&v);
	unsigned bit;
	int err;

	(void)arg;
	if (!type)
		return sdp_fail(p, EINVAL, "a=rtcp-fb needs <pt> <type>");
	if (strcmp(pt, "*") && ((err = sdp_pt_codec(p, pt, "rtcp-fb", &c)) || !c))
		return err;
	if (!(bit = sdp_fb_bit(type, sub)))
		return 0;  /* feedback we do not know */
	for (size_t i = 0; i < p->m->ncodecs; i++)
		if (!c || c == &p->m->codecs[i])
			p->m->codecs[i].fb |= bit;
	return 0;
}

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] */
static int sdp_a_extmap(struct sdp_parser *p, char *v, int arg)
{
	struct sdp_media *m = p->m;
	char *id = sdp_tok(&v), *uri = sdp_tok(&v), *slash;
	uint32_t n;

	(void)arg;
	if (!uri)
		return sdp_fail(p, EINVAL, "a=extmap needs <id> <uri>");
	if ((slash = strchr(id, '/')))
		*slash = '\0';
	if (!sdp_u32(id, 255, &n) || !n)
		return sdp_fail(p, EINVAL, "a=extmap: bad id '%.32s'", id);
	if (m->nexts == SDP_MAX_EXTS)
		return sdp_fail(p, E2BIG, "more than %d a=extmap lines", SDP_MAX_EXTS);
	m->exts[m->nexts].id = (uint8_t)n;
	m->nexts++;
	return sdp_copy(p, m->exts[m->nexts - 1].uri, sizeof(m->exts[0].uri), uri, "a=extmap uri");
}

/* a=ssrc:<ssrc> <attribute>[:<value>]; only cname is kept */
static int sdp_a_ssrc(struct sdp_parser *p, char *v, int arg)
{
	struct sdp_media *m = p->m;
	char *id = sdp_tok(&v), *attr = sdp_tok(&v);
	struct sdp_ssrc *e = NULL;
	uint32_t ssrc;

	(void)arg;
	if (!sdp_u32(id, UINT32_MAX, &ssrc) || !attr)
		return sdp_fail(p, EINVAL, "a=ssrc needs <ssrc> <attribute>");
	for (size_t i = 0; i < m->nssrcs && !e; i++)
		if (m->ssrcs[i].ssrc == ssrc)
			e = &m->ssrcs[i];
	if (!e) {
		if (m->nssrcs == SDP_MAX_SSRCS)
			return sdp_fail(p, E2BIG, "more than %d ssrcs in one m-line", SDP_MAX_SSRCS);
		e = &m->ssrcs[m->nssrcs++];
		e->ssrc = ssrc;
	}
	if (strncmp(attr, "cname:", 6))
		return 0;
	return sdp_copy(p, e->cname, sizeof(e->cname), attr + 6, "a=ssrc cname");
}

/* a=ssrc-group:FID <primary> <rtx>; other semantics (SIM, ...) are ignored */
static int sdp_a_ssrc_group(struct sdp_parser *p, char *v, int arg)
{
	char *sem = sdp_tok(&v), *a = sdp_tok(&v), *b = sdp_tok(&v);
	uint32_t x, y;

	(void)arg;
	if (!sem || strcmp(sem, "FID") || p->m->fid_primary)
		return 0;
	if (!sdp_u32(a, UINT32_MAX, &x) || !sdp_u32(b, UINT32_MAX, &y) || !x || !y)
		return sdp_fail(p, EINVAL, "a=ssrc-group:FID needs two ssrcs");
	p->m->fid_primary = x;
	p->m->fid_rtx = y;
	return 0;
}

static const struct sdp_attr sdp_attrs[] = {
	{ "group", sdp_a_group, 0, false },
	{ "ice-ufrag", sdp_a_ice, 0, false },
	{ "ice-pwd", sdp_a_ice, 1, false },
	{ "ice-lite", sdp_a_flag, SDP_FLAG_ICE_LITE, false },
	{ "fingerprint", sdp_a_fingerprint, 0, false },
	{ "setup", sdp_a_setup, 0, false },
	{ "mid", sdp_a_mid_msid, 0, true },
	{ "sendrecv", sdp_a_dir, SDP_DIR_SENDRECV, false },
	{ "sendonly", sdp_a_dir, SDP_DIR_SENDONLY, false },
	{ "recvonly", sdp_a_dir, SDP_DIR_RECVONLY, false },
	{ "inactive", sdp_a_dir, SDP_DIR_INACTIVE, false },
	{ "rtcp-mux", sdp_a_flag, SDP_FLAG_RTCP_MUX, true },
	{ "rtcp-rsize", sdp_a_flag, SDP_FLAG_RTCP_RSIZE, true },
	{ "rtpmap", sdp_a_rtpmap, 0, true },
	{ "fmtp", sdp_a_fmtp, 0, true },
	{ "rtcp-fb", sdp_a_rtcp_fb, 0, true },
	{ "extmap", sdp_a_extmap, 0, true },
	{ "ssrc", sdp_a_ssrc, 0, true },
	{ "ssrc-group", sdp_a_ssrc_group, 0, true },
	{ "msid", sdp_a_mid_msid, 1, true },
};

static int sdp_a_line(struct sdp_parser *p, char *v)
{
	char *name = strsep(&v, ":");

	for (size_t i = 0; i < sizeof(sdp_attrs) / sizeof(sdp_attrs[0]); i++) {
		const struct sdp_attr *a = &sdp_attrs[i];

		if (strcmp(name, a->name))
			continue;
		if (a->media_only && !p->m)
			return 0;
		return a->h(p, v ? v : (char *)"", a->arg);
	}
	return 0;  /* an attribute we do not use */
}

/* ---- lines ---- */

static int sdp_line(struct sdp_parser *p, char *l, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
			return sdp_fail(p, EINVAL, "control character 0x%02x at column %zu",
					(unsigned char)l[i], i + 1);
	if (len < 2 || l[1] != '=' || l[0] < 'a' || l[0] > 'z')
		return sdp_fail(p, EINVAL, "not a <type>=<value> line");
	if (!p->seen_v) {
		if (strcmp(l, "v=0"))
			return sdp_fail(p, EINVAL, "SDP must start with v=0");
		p->seen_v = true;
		return 0;
	}
	switch (l[0]) {
	case 'v':
		return sdp_fail(p, EINVAL, "second v= line");
	case 'm':
		return sdp_m_line(p, l + 2);
	case 'a':
		return sdp_a_line(p, l + 2);
	default:
		return 0;  /* o= s= t= c= b= ...: nothing we need */
	}
}

static const struct { uint8_t pt; const char *name; uint32_t clock; } sdp_static_pts[] = {
	{ 0, "PCMU", 8000 }, { 3, "GSM", 8000 }, { 4, "G723", 8000 }, { 8, "PCMA", 8000 },
	{ 9, "G722", 8000 }, { 13, "CN", 8000 }, { 18, "G729", 8000 }, { 26, "JPEG", 90000 },
	{ 31, "H261", 90000 }, { 34, "H263", 90000 },
};

/* RFC 3551 static payload types listed without a=rtpmap get their names */
static void sdp_static_names(struct sdp_session *s)
{
	for (size_t i = 0; i < s->nmedia; i++) {
		for (size_t j = 0; j < s->media[i].ncodecs; j++) {
			struct sdp_codec *c = &s->media[i].codecs[j];

			for (size_t k = 0; !c->name[0] && k < sizeof(sdp_static_pts) /
			     sizeof(sdp_static_pts[0]); k++) {
				if (sdp_static_pts[k].pt != c->pt)
					continue;
				strcpy(c->name, sdp_static_pts[k].name);
				c->clock = sdp_static_pts[k].clock;
			}
		}
	}
}

int sdp_parse(struct sdp_session *s, const char *text, size_t len, char *err, size_t errlen)
{
	struct sdp_parser p = { .s = s, .err = err, .errlen = errlen };
	char buf[SDP_LINE_MAX];
	size_t pos = 0;
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!s || (!text && len))
		return sdp_fail(&p, EINVAL, "no SDP");
	memset(s, 0, sizeof(*s));
	if (len > SDP_MAX_LEN)
		return sdp_fail(&p, E2BIG, "SDP is %zu bytes, limit %d", len, SDP_MAX_LEN);
	while (pos < len && !rc) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;

		pos += n + (nl != NULL);
		p.line++;
		if (n && l[n - 1] == '\r')
			n--;
		if (!n)
			continue;  /* blank lines (e.g. a trailing one) are skipped */
		if (n >= sizeof(buf))
			return sdp_fail(&p, E2BIG, "line longer than %zu bytes", sizeof(buf) - 1);
		memcpy(buf, l, n);
		buf[n] = '\0';
		rc = sdp_line(&p, buf, n);
	}
	if (!rc && !p.seen_v)
		return sdp_fail(&p, EINVAL, "empty SDP, no v=0 line");
	if (!rc)
		sdp_static_names(s);
	return rc;
}

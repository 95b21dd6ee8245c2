/* test_negotiate: the relay's answer to real Chromium 156 offers, line by line, re-parsed, and
 * the rejection and error cases of the policy in negotiate.h.
 *
 * `test_negotiate --answer OFFER_FILE` prints the answer to an offer file (with the local
 * parameters below) instead of running the tests: capture-offer.mjs uses it to check that the
 * real browser accepts our answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/negotiate.h"

#define LOCAL_FP "F6:E2:0D:58:13:3E:C4:F4:DA:D0:B8:4E:73:A3:2A:2F:" \
		 "5B:8D:C5:C5:F5:5B:59:71:59:00:2F:13:E1:9D:C1:3B"

static const struct neg_local local = {
	.ufrag = "rPpt", .pwd = "Wm4vK9qzX2cLr7TfYb3HsNdE",
	.fingerprint = LOCAL_FP,
	.ip = "127.0.0.1", .port = 40000,
	.audio_ssrc = 1111111111, .video_ssrc = 2222222222, .video_rtx_ssrc = 3333333333,
	.cname = "rapport", .stream_id = "rapport-stream",
	.session_id = 7234567890123456789u,
};

/* the same, ready for further m-lines: fresh SSRCs for them, and an o= version */
static const struct neg_ssrc fresh[2 * NEG_MAX_EXTRA] = {
	{ "", 101, 201 }, { "", 102, 202 }, { "", 103, 203 }, { "", 104, 204 },
	{ "", 105, 205 }, { "", 106, 206 }, { "", 107, 207 }, { "", 108, 208 },
};

static struct neg_local local_multi(uint32_t version)
{
	struct neg_local l = local;

	l.fresh = fresh;
	l.nfresh = sizeof(fresh) / sizeof(fresh[0]);
	l.session_version = version;
	return l;
}

static struct sdp_session offer, back;
static struct neg_result res;
static char answer[16384], err[256];

static char *load_path(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*lenp = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* tests/unit/data/<name>, NUL-terminated (malloc'd) */
static char *load(const char *name)
{
	const char *dir = getenv("RAPPORT_SOURCE_DIR");
	char path[1024];
	size_t len;
	char *text;

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", dir ? dir : ".", name);
	text = load_path(path, &len);
	if (!text)
		fail_msg("cannot read %s", path);
	return text;
}

/* text with every occurrence of from replaced by to (malloc'd) */
static char *replace(const char *text, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	char *out = malloc(strlen(text) * (tl > fl ? tl / (fl ? fl : 1) + 2 : 1) + 1);
	const char *s = text, *hit;

	assert_non_null(out);
	while ((hit = strstr(s, from))) {
		memcpy(out + n, s, (size_t)(hit - s));
		n += (size_t)(hit - s);
		memcpy(out + n, to, tl);
		n += tl;
		s = hit + fl;
	}
	strcpy(out + n, s);
	return out;
}

/* text with the first from after anchor replaced by to (malloc'd) */
static char *replace_after(const char *text, const char *anchor, const char *from, const char *to)
{
	const char *a = strstr(text, anchor), *hit = a ? strstr(a, from) : NULL;
	char *out = malloc(strlen(text) + strlen(to) + 1);

	assert_non_null(hit);
	assert_non_null(out);
	memcpy(out, text, (size_t)(hit - text));
	strcpy(out + (hit - text), to);
	strcat(out, hit + strlen(from));
	return out;
}

/* text without the lines that start with prefix (malloc'd) */
static char *drop_lines(const char *text, const char *prefix)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	const char *s = text;

	assert_non_null(out);
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);

		if (strncmp(s, prefix, strlen(prefix))) {
			memcpy(o, s, n);
			o += n;
		}
		s += n;
	}
	*o = '\0';
	return out;
}

static int negotiate_text(const char *text)
{
	if (sdp_parse(&offer, text, strlen(text), err, sizeof(err)))
		fail_msg("offer does not parse: %s", err);
	return negotiate_answer(&offer, &local, &res, answer, sizeof(answer), err, sizeof(err));
}

static int negotiate_file(const char *name)
{
	char *text = load(name);
	int rc = negotiate_text(text);

	free(text);
	return rc;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (!strncmp(s, line, n) && s[n] == '\r' && s[n + 1] == '\n')
			return true;
	return false;
}

/* every line of text ends in CRLF and equals want[i], and there are exactly nwant lines */
static void assert_lines(const char *text, const char *const *want, size_t nwant)
{
	const char *s = text;
	size_t i = 0;

	for (; *s; i++) {
		const char *crlf = strstr(s, "\r\n");
		size_t n;

		if (!crlf)
			fail_msg("line %zu has no CRLF: '%s'", i + 1, s);
		n = (size_t)(crlf - s);
		if (i >= nwant)
			fail_msg("extra line %zu: '%.*s'", i + 1, (int)n, s);
		if (strlen(want[i]) != n || strncmp(s, want[i], n))
			fail_msg("line %zu: got '%.*s', want '%s'", i + 1, (int)n, s, want[i]);
		s = crlf + 2;
	}
	if (i != nwant)
		fail_msg("answer has %zu lines, want %zu (next: '%s')", i, nwant, want[i]);
}

#define TRANSPORT_LINES \
	"c=IN IP4 127.0.0.1", "a=rtcp:40000 IN IP4 127.0.0.1", "a=ice-ufrag:rPpt", \
	"a=ice-pwd:Wm4vK9qzX2cLr7TfYb3HsNdE", "a=fingerprint:sha-256 " LOCAL_FP, "a=setup:passive"
#define CANDIDATE_LINES \
	"a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", "a=end-of-candidates"
#define EXT_ABS "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define EXT_TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"

static const char *const chromium_answer[] = {
	"v=0",
	"o=- 7234567890123456789 2 IN IP4 127.0.0.1",
	"s=-",
	"t=0 0",
	"a=group:BUNDLE 0 1",
	"a=ice-lite",
	"a=msid-semantic: WMS rapport-stream",
	"m=audio 40000 UDP/TLS/RTP/SAVPF 111",
	TRANSPORT_LINES,
	"a=mid:0",
	"a=extmap:2 " EXT_ABS,
	"a=extmap:3 " EXT_TWCC,
	"a=extmap:4 " EXT_MID,
	"a=sendrecv",
	"a=msid:rapport-stream rapport-stream-audio",
	"a=rtcp-mux",
	"a=rtcp-rsize",
	"a=rtpmap:111 opus/48000/2",
	"a=rtcp-fb:111 transport-cc",
	"a=fmtp:111 minptime=10;useinbandfec=1",
	"a=ssrc:1111111111 cname:rapport",
	CANDIDATE_LINES,
	"m=video 40000 UDP/TLS/RTP/SAVPF 96 97",
	TRANSPORT_LINES,
	"a=mid:1",
	"a=extmap:2 " EXT_ABS,
	"a=extmap:3 " EXT_TWCC,
	"a=extmap:4 " EXT_MID,
	"a=sendrecv",
	"a=msid:rapport-stream rapport-stream-video",
	"a=rtcp-mux",
	"a=rtcp-rsize",
	"a=rtpmap:96 VP8/90000",
	"a=rtcp-fb:96 transport-cc",
	"a=rtcp-fb:96 ccm fir",
	"a=rtcp-fb:96 nack",
	"a=rtcp-fb:96 nack pli",
	"a=rtpmap:97 rtx/90000",
	"a=fmtp:97 apt=96",
	"a=ssrc-group:FID 2222222222 3333333333",
	"a=ssrc:2222222222 cname:rapport",
	"a=ssrc:3333333333 cname:rapport",
	CANDIDATE_LINES,
};

static void test_chromium_answer(void **state)
{
	static const uint8_t rfp[DTLS_FP_LEN] = {
		0xB2, 0xB5, 0xD1, 0xD1, 0xA1, 0x0E, 0x65, 0x33, 0x13, 0xC0, 0xA5, 0xB2, 0xA8, 0xEA,
		0xDC, 0xEC, 0xD1, 0xE6, 0x65, 0x3C, 0xC6, 0x45, 0xF8, 0xB7, 0x4E, 0xF4, 0x35, 0x87,
		0xCC, 0x32, 0x76, 0xF8 };

	(void)state;
	assert_int_equal(negotiate_file("chromium156-offer.sdp"), 0);
	assert_string_equal(err, "");
	assert_lines(answer, chromium_answer, sizeof(chromium_answer) / sizeof(chromium_answer[0]));

	assert_string_equal(res.rufrag, "Hjwz");
	assert_string_equal(res.rpwd, "6ofohyagZGaryUIiRfI4y5mn");
	assert_memory_equal(res.rfp, rfp, sizeof(rfp));
	assert_true(res.audio.active);
	assert_string_equal(res.audio.mid, "0");
	assert_int_equal(res.audio.dir, SDP_DIR_SENDRECV);
	assert_int_equal(res.audio.pt, 111);
	assert_int_equal(res.audio.rtx_pt, 0);
	assert_int_equal(res.audio.clock, 48000);
	assert_string_equal(res.audio.codec, "opus");
	assert_string_equal(res.audio.fmtp, "minptime=10;useinbandfec=1");
	assert_int_equal(res.audio.fb, SDP_FB_TWCC);
	assert_int_equal(res.audio.remote_ssrc, 540342476u);
	assert_int_equal(res.audio.remote_rtx_ssrc, 0);
	assert_int_equal(res.audio.ext_abs_send_time, 2);
	assert_int_equal(res.audio.ext_twcc, 3);
	assert_int_equal(res.audio.ext_mid, 4);
	assert_true(res.video.active);
	assert_string_equal(res.video.mid, "1");
	assert_int_equal(res.video.dir, SDP_DIR_SENDRECV);
	assert_int_equal(res.video.pt, 96);
	assert_int_equal(res.video.rtx_pt, 97);
	assert_int_equal(res.video.clock, 90000);
	assert_string_equal(res.video.codec, "VP8");
	assert_string_equal(res.video.fmtp, "");
	/* goog-remb offered but not in the policy */
	assert_int_equal(res.video.fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_TWCC);
	assert_int_equal(res.video.remote_ssrc, 3900860353u);
	assert_int_equal(res.video.remote_rtx_ssrc, 451295847u);
	assert_int_equal(res.video.ext_abs_send_time, 2);
	assert_int_equal(res.video.ext_twcc, 3);
	assert_int_equal(res.video.ext_mid, 4);
}

/* our answer parses with our own parser and mirrors the offer */
static void test_answer_reparses(void **state)
{
	static const char *const files[] = { "chromium156-offer.sdp", "chromium156-offer-dc2v.sdp",
					     "chromium156-offer-h264.sdp",
					     "chromium156-offer-recvonly.sdp" };

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		assert_int_equal(negotiate_file(files[f]), 0);
		assert_int_equal(sdp_parse(&back, answer, strlen(answer), err, sizeof(err)), 0);
		assert_int_equal(back.nmedia, offer.nmedia);
		assert_true(back.ice_lite);
		assert_int_equal(back.nbundle, 2);
		assert_string_equal(back.bundle[0], "0");
		assert_string_equal(back.bundle[1], "1");
		for (size_t i = 0; i < offer.nmedia; i++) {
			const struct sdp_media *o = &offer.media[i], *a = &back.media[i];
			const struct neg_stream *st = o->kind == SDP_KIND_AUDIO ? &res.audio :
						      &res.video;
			bool on = i < 2;

			assert_string_equal(a->kind_name, o->kind_name);
			assert_string_equal(a->proto, o->proto);
			assert_string_equal(a->mid, o->mid);
			assert_int_equal(a->port, on ? local.port : 0);
			if (!on)
				continue;
			assert_string_equal(a->ice_ufrag, local.ufrag);
			assert_string_equal(a->ice_pwd, local.pwd);
			assert_string_equal(a->fingerprint, local.fingerprint);
			assert_int_equal(a->setup, SDP_SETUP_PASSIVE);
			assert_true(a->rtcp_mux);
			assert_int_equal(a->dir, st->dir);
			assert_int_equal(a->codecs[0].pt, st->pt);
			assert_int_equal(a->ncodecs, st->rtx_pt ? 2 : 1);
			assert_string_equal(a->codecs[0].name, sdp_media_codec(o, st->pt)->name);
			assert_string_equal(a->codecs[0].fmtp, st->fmtp);
			assert_int_equal(a->codecs[0].fb, st->fb);
			if (st->rtx_pt) {
				assert_int_equal(a->codecs[1].pt, st->rtx_pt);
				assert_int_equal(a->codecs[1].apt, st->pt);
			}
			assert_int_equal(sdp_media_ext_id(a, EXT_TWCC), st->ext_twcc);
			assert_int_equal(a->nexts, 3);
		}
	}
}

static void test_directions(void **state)
{
	static const struct {
		const char *offer, *answer;
		enum sdp_dir dir;
		bool sends;
	} dirs[] = {
		{ "a=sendrecv", "a=sendrecv", SDP_DIR_SENDRECV, true },
		{ "a=sendonly", "a=recvonly", SDP_DIR_RECVONLY, false },
		{ "a=recvonly", "a=sendonly", SDP_DIR_SENDONLY, true },
		{ "a=inactive", "a=inactive", SDP_DIR_INACTIVE, false },
	};
	char *text = load("chromium156-offer.sdp");

	(void)state;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *t = replace(text, "a=sendrecv", dirs[i].offer);

		assert_int_equal(negotiate_text(t), 0);
		assert_true(has_line(answer, dirs[i].answer));
		assert_int_equal(res.audio.dir, dirs[i].dir);
		assert_int_equal(res.video.dir, dirs[i].dir);
		assert_true(res.audio.active && res.video.active);
		assert_int_equal(has_line(answer, "a=msid:rapport-stream rapport-stream-audio"),
				 dirs[i].sends);
		assert_int_equal(has_line(answer, "a=ssrc:1111111111 cname:rapport"), dirs[i].sends);
		assert_int_equal(has_line(answer, "a=ssrc-group:FID 2222222222 3333333333"),
				 dirs[i].sends);
		assert_int_equal(has_line(answer, "a=ssrc:3333333333 cname:rapport"), dirs[i].sends);
		free(t);
	}
	free(text);
}

/* a receive-only page (real offer): we send, and say what */
static void test_recvonly_page(void **state)
{
	(void)state;
	assert_int_equal(negotiate_file("chromium156-offer-recvonly.sdp"), 0);
	assert_int_equal(res.audio.dir, SDP_DIR_SENDONLY);
	assert_int_equal(res.video.dir, SDP_DIR_SENDONLY);
	assert_int_equal(res.audio.remote_ssrc, 0);
	assert_int_equal(res.video.remote_ssrc, 0);
	assert_int_equal(res.video.remote_rtx_ssrc, 0);
	assert_int_equal(res.video.pt, 96);
	assert_int_equal(res.video.rtx_pt, 97);
	assert_true(has_line(answer, "a=sendonly"));
	assert_false(has_line(answer, "a=sendrecv"));
	assert_true(has_line(answer, "a=msid:rapport-stream rapport-stream-audio"));
	assert_true(has_line(answer, "a=msid:rapport-stream rapport-stream-video"));
	assert_true(has_line(answer, "a=ssrc:1111111111 cname:rapport"));
	assert_true(has_line(answer, "a=ssrc-group:FID 2222222222 3333333333"));
}

/* a second video and a data channel are rejected with port 0 and their mid */
static void test_reject_extra_lines(void **state)
{
	(void)state;
	assert_int_equal(negotiate_file("chromium156-offer-dc2v.sdp"), 0);
	assert_true(has_line(answer, "a=group:BUNDLE 0 1"));
	assert_true(strstr(answer, "\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\n"
			   "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:3\r\n") &&
		    strstr(answer, "a=mid:3\r\n")[9] == '\0');
	assert_string_equal(res.video.mid, "1");
	assert_int_equal(res.video.pt, 96);
}

static void test_reject_audio_without_opus(void **state)
{
	char *text = load("chromium156-offer.sdp"), *t = replace(text, "opus/48000", "speex/48000");

	(void)state;
	/* real: Chromium with audio limited to PCMU/PCMA; the BUNDLE tag moves to the video */
	assert_int_equal(negotiate_file("chromium156-offer-noopus.sdp"), 0);
	assert_false(res.audio.active);
	assert_true(res.video.active);
	assert_true(strstr(answer, "a=msid-semantic: WMS rapport-stream\r\n"
			   "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\nm=video 40000 ") != NULL);
	assert_true(has_line(answer, "a=group:BUNDLE 1"));
	assert_int_equal(res.video.pt, 96);
	assert_int_equal(negotiate_text(t), 0);
	assert_false(res.audio.active);
	assert_true(res.video.active);
	assert_true(has_line(answer, "m=audio 0 UDP/TLS/RTP/SAVPF 111"));
	assert_true(has_line(answer, "a=group:BUNDLE 1"));
	assert_true(has_line(answer, "m=video 40000 UDP/TLS/RTP/SAVPF 96 97"));
	free(t);
	/* nothing usable at all */
	t = replace(text, "VP8/90000", "XV8/90000");
	free(text);
	text = replace(t, "H264/90000", "H265/90000");
	free(t);
	t = replace(text, "opus/48000", "speex/48000");
	assert_int_equal(negotiate_text(t), EPROTO);
	assert_non_null(strstr(err, "no usable m-line"));
	assert_string_equal(answer, "");
	assert_false(res.video.active);
	free(t);
	free(text);
}

/* odd but parseable: both accepted m-lines share one long mid, listed eight times */
static void test_duplicate_mids(void **state)
{
	static const char mid[] = "0123456789012345678901234567890";
	char *text = load("chromium156-offer.sdp"), *t, *u, group[300];

	(void)state;
	snprintf(group, sizeof(group), "a=group:BUNDLE %s %s %s %s %s %s %s %s", mid, mid, mid, mid,
		 mid, mid, mid, mid);
	t = replace(text, "a=group:BUNDLE 0 1", group);
	u = replace(t, "a=mid:1", "a=mid:0");
	free(t);
	t = replace(u, "a=mid:0", "a=mid:0123456789012345678901234567890");
	assert_int_equal(negotiate_text(t), 0);
	assert_true(res.audio.active && res.video.active);
	assert_non_null(strstr(answer, "a=group:BUNDLE 0123456789012345678901234567890 "));
	free(u);
	free(t);
	free(text);
}

/* an offer whose audio m-line is disabled (port 0) keeps it disabled */
static void test_reject_port0(void **state)
{
	char *text = load("chromium156-offer.sdp");
	char *t = replace(text, "m=audio 9 ", "m=audio 0 ");

	(void)state;
	assert_int_equal(negotiate_text(t), 0);
	assert_false(res.audio.active);
	assert_true(has_line(answer, "m=audio 0 UDP/TLS/RTP/SAVPF 111"));
	assert_true(has_line(answer, "a=group:BUNDLE 1"));
	free(t);
	free(text);
}

static void test_h264_only(void **state)
{
	char *text = load("chromium156-offer-h264.sdp"), *t;

	(void)state;
	assert_int_equal(negotiate_file("chromium156-offer-h264.sdp"), 0);
	assert_string_equal(res.video.codec, "H264");
	assert_int_equal(res.video.pt, 102);
	assert_int_equal(res.video.rtx_pt, 103);
	assert_string_equal(res.video.fmtp,
			    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
	assert_true(has_line(answer, "m=video 40000 UDP/TLS/RTP/SAVPF 102 103"));
	assert_true(has_line(answer, "a=rtpmap:102 H264/90000"));
	assert_true(has_line(answer, "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
			     "profile-level-id=42001f"));
	assert_true(has_line(answer, "a=fmtp:103 apt=102"));
	/* packetization-mode=1 wins even when a mode 0 entry comes first */
	t = replace(text, "m=video 9 UDP/TLS/RTP/SAVPF 102 103 104 107",
		    "m=video 9 UDP/TLS/RTP/SAVPF 104 107 102 103");
	assert_int_equal(negotiate_text(t), 0);
	assert_int_equal(res.video.pt, 102);
	free(t);
	/* only packetization-mode=0: video rejected, audio still answered */
	t = replace(text, "packetization-mode=1", "packetization-mode=0");
	assert_int_equal(negotiate_text(t), 0);
	assert_false(res.video.active);
	assert_true(res.audio.active);
	assert_true(has_line(answer, "m=video 0 UDP/TLS/RTP/SAVPF 102"));
	free(t);
	free(text);
	/* VP8 wins over H264 wherever it is listed */
	text = load("chromium156-offer.sdp");
	t = replace(text, "SAVPF 96 97 102 103", "SAVPF 102 103 96 97");
	assert_int_equal(negotiate_text(t), 0);
	assert_string_equal(res.video.codec, "VP8");
	assert_int_equal(res.video.pt, 96);
	free(t);
	free(text);
}

/* Firefox style (hand-written after Firefox's layout): fingerprint and ICE credentials at
 * session level, codecs in its order, fmtp before rtpmap */
static const char firefox_offer[] =
	"v=0\r\n"
	"o=mozilla...THIS_IS_SDPARTA-128.0 5077853232954428347 0 IN IP4 0.0.0.0\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=fingerprint:sha-256 2C:A5:5E:A8:F2:15:5C:66:3D:E4:27:4F:0E:92:31:AB:"
	"95:E2:0A:0F:14:5C:CC:7A:06:9C:C2:83:0B:D3:43:3F\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"a=ice-options:trickle\r\n"
	"a=ice-ufrag:8e5c4b1d\r\n"
	"a=ice-pwd:0cbb4b3a9f5bb8a0b2c0a7f9d8e1c6a5\r\n"
	"a=msid-semantic:WMS *\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=sendrecv\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n"
	"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=mid:0\r\n"
	"a=msid:{a0e8b7c2-8ad0-4f5e-9d33-7a1d4d0c7f61} {5d0c2f5e-1f1e-4a5e-b8e3-2c9f0d1e7a44}\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:109 opus/48000/2\r\n"
	"a=rtpmap:9 G722/8000/1\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000/1\r\n"
	"a=setup:actpass\r\n"
	"a=ssrc:2675486123 cname:{b7e3a9f1-33c4-4d0a-9a8e-1f6e2d3c4b5a}\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125 126 127 97 98\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=sendrecv\r\n"
	"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=extmap:4 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
	"a=extmap:5 urn:ietf:params:rtp-hdrext:toffset\r\n"
	"a=extmap:6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
	"a=extmap:7 " EXT_TWCC "\r\n"
	"a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1\r\n"
	"a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1\r\n"
	"a=fmtp:120 max-fs=12288;max-fr=60\r\n"
	"a=fmtp:124 apt=120\r\n"
	"a=fmtp:121 max-fs=12288;max-fr=60\r\n"
	"a=fmtp:125 apt=121\r\n"
	"a=fmtp:127 apt=126\r\n"
	"a=fmtp:98 apt=97\r\n"
	"a=mid:1\r\n"
	"a=msid:{a0e8b7c2-8ad0-4f5e-9d33-7a1d4d0c7f61} {0f4f1a3b-7c62-4c77-a2a1-5f3b9c1d2e8f}\r\n"
	"a=rtcp-fb:120 nack\r\n"
	"a=rtcp-fb:120 nack pli\r\n"
	"a=rtcp-fb:120 ccm fir\r\n"
	"a=rtcp-fb:120 goog-remb\r\n"
	"a=rtcp-fb:120 transport-cc\r\n"
	"a=rtcp-fb:126 nack\r\n"
	"a=rtcp-fb:126 nack pli\r\n"
	"a=rtcp-mux\r\n"
	"a=rtcp-rsize\r\n"
	"a=rtpmap:120 VP8/90000\r\n"
	"a=rtpmap:124 rtx/90000\r\n"
	"a=rtpmap:121 VP9/90000\r\n"
	"a=rtpmap:125 rtx/90000\r\n"
	"a=rtpmap:126 H264/90000\r\n"
	"a=rtpmap:127 rtx/90000\r\n"
	"a=rtpmap:97 H264/90000\r\n"
	"a=rtpmap:98 rtx/90000\r\n"
	"a=setup:actpass\r\n"
	"a=ssrc:1838204113 cname:{b7e3a9f1-33c4-4d0a-9a8e-1f6e2d3c4b5a}\r\n"
	"a=ssrc:3326459043 cname:{b7e3a9f1-33c4-4d0a-9a8e-1f6e2d3c4b5a}\r\n"
	"a=ssrc-group:FID 1838204113 3326459043\r\n";

static void test_firefox_session_level(void **state)
{
	static const uint8_t rfp[4] = { 0x2C, 0xA5, 0x5E, 0xA8 };

	(void)state;
	assert_int_equal(negotiate_text(firefox_offer), 0);
	assert_string_equal(res.rufrag, "8e5c4b1d");
	assert_string_equal(res.rpwd, "0cbb4b3a9f5bb8a0b2c0a7f9d8e1c6a5");
	assert_memory_equal(res.rfp, rfp, sizeof(rfp));
	assert_int_equal(res.rfp[31], 0x3F);
	assert_int_equal(res.audio.pt, 109);
	assert_string_equal(res.audio.fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
	assert_int_equal(res.audio.fb, 0);
	assert_int_equal(res.audio.ext_mid, 3);
	assert_int_equal(res.audio.ext_abs_send_time, 0);
	assert_int_equal(res.audio.remote_ssrc, 2675486123u);
	assert_int_equal(res.video.pt, 120);
	assert_int_equal(res.video.rtx_pt, 124);
	assert_int_equal(res.video.fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_TWCC);
	assert_int_equal(res.video.ext_mid, 3);
	assert_int_equal(res.video.ext_abs_send_time, 4);
	assert_int_equal(res.video.ext_twcc, 7);
	assert_int_equal(res.video.remote_ssrc, 1838204113u);
	assert_int_equal(res.video.remote_rtx_ssrc, 3326459043u);
	assert_true(has_line(answer, "m=audio 40000 UDP/TLS/RTP/SAVPF 109"));
	assert_true(has_line(answer, "a=rtpmap:109 opus/48000/2"));
	assert_true(has_line(answer, "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1"));
	assert_false(has_line(answer, "a=rtcp-fb:109 transport-cc"));
	assert_true(has_line(answer, "m=video 40000 UDP/TLS/RTP/SAVPF 120 124"));
	assert_true(has_line(answer, "a=extmap:7 " EXT_TWCC));
	assert_false(has_line(answer, "a=extmap:5 urn:ietf:params:rtp-hdrext:toffset"));
	/* the audio m-line has no rtcp-rsize, the video one has */
	assert_true(strstr(answer, "a=rtcp-rsize\r\n") > strstr(answer, "m=video"));
}

static const struct err_case {
	const char *from, *to;   /* edit of the real offer; to == NULL drops lines from */
	int code;
	const char *reason;
} err_cases[] = {
	{ "a=ice-ufrag:", NULL, EPROTO, "no a=ice-ufrag/a=ice-pwd" },
	{ "a=ice-pwd:", NULL, EPROTO, "no a=ice-ufrag/a=ice-pwd" },
	{ "a=ice-ufrag:Hjwz", "a=ice-ufrag:Hjwz01234567890123456789012345678", EPROTO,
	  "a=ice-ufrag longer than 32" },
	{ "a=ice-pwd:6ofohyagZGaryUIiRfI4y5mn",
	  "a=ice-pwd:6ofohyagZGaryUIiRfI4y5mn012345678901234567890123456789012345678901", EPROTO,
	  "a=ice-pwd longer than 64" },
	{ "a=fingerprint:", NULL, EPROTO, "no a=fingerprint" },
	{ "sha-256 B2:B5", "sha-1 B2:B5", EPROTO, "fingerprint must be sha-256" },
	{ ":76:F8", ":76", EPROTO, "a=fingerprint is not 32 hex bytes" },
	{ "B2:B5:D1", "B2:B5:X1", EPROTO, "a=fingerprint is not 32 hex bytes" },
	{ "a=setup:actpass", "a=setup:passive", EPROTO, "a=setup:passive offered" },
	{ "a=rtcp-mux", NULL, EPROTO, "m-line 1 (mid 0) has no a=rtcp-mux" },
	{ "m=audio 9 UDP/TLS/RTP/SAVPF", "m=audio 9 RTP/AVP", 0, "" },
	{ "a=setup:actpass", "a=setup:active", 0, "" },
	{ "a=setup:actpass", NULL, 0, "" },
};

static void test_errors(void **state)
{
	char *text = load("chromium156-offer.sdp");

	(void)state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		char *t = c->to ? replace(text, c->from, c->to) : drop_lines(text, c->from);
		int rc = negotiate_text(t);

		if (rc != c->code || !strstr(err, c->reason))
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, rc, err, c->code,
				 c->reason);
		if (rc)
			assert_string_equal(answer, "");
		free(t);
	}
	free(text);
}

/* the RTP/AVP audio line of the edit above is rejected, video carries on */
static void test_plain_rtp_rejected(void **state)
{
	char *text = load("chromium156-offer.sdp");
	char *t = replace(text, "m=audio 9 UDP/TLS/RTP/SAVPF", "m=audio 9 RTP/AVP");

	(void)state;
	assert_int_equal(negotiate_text(t), 0);
	assert_false(res.audio.active);
	assert_true(has_line(answer, "m=audio 0 RTP/AVP 111"));
	free(t);
	free(text);
}

static void test_buffer_and_args(void **state)
{
	struct neg_local bad = local;
	size_t need;

	(void)state;
	assert_int_equal(negotiate_file("chromium156-offer.sdp"), 0);
	need = strlen(answer) + 1;
	assert_int_equal(negotiate_answer(&offer, &local, &res, answer, need, err, sizeof(err)), 0);
	assert_int_equal(negotiate_answer(&offer, &local, &res, answer, need - 1, err,
					  sizeof(err)), E2BIG);
	assert_non_null(strstr(err, "answer does not fit"));
	assert_string_equal(answer, "");
	assert_false(res.audio.active);
	assert_int_equal(negotiate_answer(&offer, &local, &res, answer, 100, err, sizeof(err)),
			 E2BIG);
	assert_int_equal(negotiate_answer(&offer, &local, &res, answer, 1, err, sizeof(err)),
			 E2BIG);
	assert_int_equal(negotiate_answer(&offer, &local, &res, answer, 0, err, sizeof(err)),
			 E2BIG);
	assert_int_equal(negotiate_answer(NULL, &local, &res, answer, sizeof(answer), err,
					  sizeof(err)), EINVAL);
	bad.cname = "two words";
	assert_int_equal(negotiate_answer(&offer, &bad, &res, answer, sizeof(answer), err,
					  sizeof(err)), EINVAL);
	bad = local;
	bad.ufrag = NULL;
	assert_int_equal(negotiate_answer(&offer, &bad, &res, answer, sizeof(answer), err,
					  sizeof(err)), EINVAL);
	bad = local;
	bad.stream_id = "inject\r\na=bad";
	assert_int_equal(negotiate_answer(&offer, &bad, &res, answer, sizeof(answer), err,
					  sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "bad local parameters"));
}


/* --- multi-party: further receive-only m-lines (capture-reoffer.mjs) --- */

/* a real re-offer: a second party's video and audio, a third party's video, all recvonly */
static void test_multi_reoffer(void **state)
{
	struct neg_local l = local_multi(3);
	char *text = load("chromium156-multi-reoffer.sdp");

	(void)state;
	assert_int_equal(sdp_parse(&offer, text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(negotiate_answer(&offer, &l, &res, answer, sizeof(answer), err,
					  sizeof(err)), 0);
	assert_true(has_line(answer, "o=- 7234567890123456789 3 IN IP4 127.0.0.1"));
	assert_true(has_line(answer, "a=group:BUNDLE 0 1 2 3 4"));
	/* the primaries as in 1:1 */
	assert_string_equal(res.audio.mid, "0");
	assert_int_equal(res.audio.ssrc, 1111111111u);
	assert_int_equal(res.video.ssrc, 2222222222u);
	assert_int_equal(res.video.rtx_ssrc, 3333333333u);
	assert_int_equal(res.audio.dir, SDP_DIR_SENDRECV);
	/* the further ones: fresh SSRCs in m-line order, sendonly, one msid stream each */
	assert_int_equal(res.nextra, 3);
	static const struct { const char *mid; enum sdp_kind kind; uint32_t ssrc, rtx; } want[] = {
		{ "2", SDP_KIND_VIDEO, 101, 201 }, { "3", SDP_KIND_AUDIO, 102, 0 },
		{ "4", SDP_KIND_VIDEO, 103, 203 },
	};
	for (unsigned i = 0; i < 3; i++) {
		const struct neg_stream *x = &res.extra[i];

		assert_true(x->active);
		assert_string_equal(x->mid, want[i].mid);
		assert_int_equal(x->kind, want[i].kind);
		assert_int_equal(x->ssrc, want[i].ssrc);
		assert_int_equal(x->rtx_ssrc, want[i].rtx);
		assert_int_equal(x->fresh, (int)i);
		assert_int_equal(x->dir, SDP_DIR_SENDONLY);
		assert_int_equal(x->pt, want[i].kind == SDP_KIND_VIDEO ? 96 : 111);
		assert_int_equal(x->rtx_pt, want[i].kind == SDP_KIND_VIDEO ? 97 : 0);
		assert_string_equal(x->codec, want[i].kind == SDP_KIND_VIDEO ? "VP8" : "opus");
	}
	assert_true(has_line(answer, "a=msid:rapport-stream-2 rapport-stream-2-video"));
	assert_true(has_line(answer, "a=msid:rapport-stream-3 rapport-stream-3-audio"));
	assert_true(has_line(answer, "a=ssrc-group:FID 101 201"));
	assert_true(has_line(answer, "a=ssrc:102 cname:rapport"));
	assert_true(has_line(answer, "a=ssrc-group:FID 103 203"));
	assert_true(has_line(answer, "a=msid:rapport-stream rapport-stream-video"));
	/* it parses back with every m-line on the bundle port */
	assert_int_equal(sdp_parse(&back, answer, strlen(answer), err, sizeof(err)), 0);
	assert_int_equal(back.nmedia, 5);
	for (size_t i = 0; i < back.nmedia; i++)
		assert_int_equal(back.media[i].port, local.port);
	assert_int_equal(back.media[3].dir, SDP_DIR_SENDONLY);
	free(text);
}

/* renegotiation: known mids keep their SSRCs, a stopped transceiver (port 0) is rejected */
static void test_multi_known_and_stopped(void **state)
{
	static const struct neg_ssrc known[] = { { "3", 7003, 0 }, { "2", 7002, 8002 } };
	struct neg_local l = local_multi(4);
	char *text = load("chromium156-multi-stop.sdp");

	(void)state;
	l.known = known;
	l.nknown = 2;
	assert_int_equal(sdp_parse(&offer, text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(negotiate_answer(&offer, &l, &res, answer, sizeof(answer), err,
					  sizeof(err)), 0);
	assert_int_equal(res.nextra, 2);
	assert_int_equal(res.extra[0].ssrc, 7002);
	assert_int_equal(res.extra[0].rtx_ssrc, 8002);
	assert_int_equal(res.extra[0].fresh, -1);
	assert_int_equal(res.extra[1].ssrc, 7003);
	assert_true(has_line(answer, "a=ssrc-group:FID 7002 8002"));
	assert_true(has_line(answer, "m=video 0 UDP/TLS/RTP/SAVPF 96"));
	assert_true(has_line(answer, "a=group:BUNDLE 0 1 2 3"));
	assert_false(strstr(answer, "a=ssrc:101 "));
	/* a known video without an rtx SSRC is answered without rtx */
	static const struct neg_ssrc norr[] = { { "2", 7002, 0 } };
	l.known = norr;
	l.nknown = 1;
	assert_int_equal(negotiate_answer(&offer, &l, &res, answer, sizeof(answer), err,
					  sizeof(err)), 0);
	assert_int_equal(res.extra[0].rtx_pt, 0);
	assert_int_equal(res.extra[0].rtx_ssrc, 0);
	assert_true(strstr(answer, "a=mid:2\r\n") != NULL);
	assert_true(has_line(answer, "a=ssrc:7002 cname:rapport"));
	free(text);
}

/* the re-offer with the third party's video m-line copied under mids 5..9 (six further videos) */
static char *multi_many_videos(void)
{
	char *text = load("chromium156-multi-reoffer.sdp");
	const char *m4 = strstr(text, "a=mid:4");
	const char *start = m4;
	size_t head, seclen;
	char *out;

	assert_non_null(m4);
	while (start > text && strncmp(start, "\nm=video", 8))
		start--;
	start++;
	head = strlen(text);
	seclen = head - (size_t)(start - text);
	out = malloc(head + 5 * seclen + 64);
	assert_non_null(out);
	strcpy(out, text);
	for (int k = 5; k <= 9; k++) {
		char mid[16], *sec = strndup(start, seclen), *r;

		snprintf(mid, sizeof(mid), "a=mid:%d", k);
		r = replace(sec, "a=mid:4", mid);
		strcat(out, r);
		free(r);
		free(sec);
	}
	free(text);
	text = replace(out, "a=group:BUNDLE 0 1 2 3 4", "a=group:BUNDLE 0 1 2 3 4 5 6 7 8 9");
	free(out);
	return text;
}

/* at most NEG_MAX_EXTRA further m-lines per kind; a sendonly one, a data channel, one without
 * the primary's codec or without an SSRC for it are rejected; inactive stays inactive */
static void test_multi_limits(void **state)
{
	struct neg_local l = local_multi(3);
	char *text = multi_many_videos(), *t;

	(void)state;
	if (sdp_parse(&offer, text, strlen(text), err, sizeof(err)))
		fail_msg("offer does not parse: %s", err);
	assert_int_equal(offer.nmedia, 10);
	assert_int_equal(negotiate_answer(&offer, &l, &res, answer, sizeof(answer), err,
					  sizeof(err)), 0);
	/* videos 2, 4, 5, 6 and audio 3; videos 7..9 over the limit */
	assert_int_equal(res.nextra, 5);
	assert_string_equal(res.extra[4].mid, "6");
	assert_true(has_line(answer, "a=group:BUNDLE 0 1 2 3 4 5 6"));
	assert_true(strstr(answer, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:7\r\n") != NULL);
	assert_true(strstr(answer, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:9\r\n") != NULL);
	/* only two fresh SSRCs: the third further m-line is rejected */
	l.nfresh = 2;
	assert_int_equal(negotiate_answer(&offer, &l, &res, answer, sizeof(answer), err,
					  sizeof(err)), 0);
	assert_int_equal(res.nextra, 2);
	assert_true(strstr(answer, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:4\r\n") != NULL);
	/* no fresh SSRCs at all: 1:1 as before */
	assert_int_equal(negotiate_text(text), 0);
	assert_int_equal(res.nextra, 0);
	assert_true(has_line(answer, "a=group:BUNDLE 0 1"));
	free(text);

	/* inactive stays inactive (no SSRC lines) */
	text = load("chromium156-multi-reoffer.sdp");
	t = replace_after(text, "a=mid:3\r\n", "a=recvonly", "a=inactive");
	l = local_multi(3);
	assert_int_equal(sdp_parse(&offer, t, strlen(t), err, sizeof(err)), 0);
	assert_int_equal(offer.media[3].dir, SDP_DIR_INACTIVE);
	assert_int_equal(negotiate_answer(&offer, &l, &res, answer, sizeof(answer), err,
					  sizeof(err)), 0);
	assert_int_equal(res.extra[1].dir, SDP_DIR_INACTIVE);
	assert_false(strstr(answer, "a=ssrc:102 "));
	free(t);
	/* a further video without the primary's VP8 is rejected */
	t = replace_after(text, "a=mid:4\r\n", "VP8/90000", "XP8/90000");
	assert_int_equal(sdp_parse(&offer, t, strlen(t), err, sizeof(err)), 0);
	assert_int_equal(negotiate_answer(&offer, &l, &res, answer, sizeof(answer), err,
					  sizeof(err)), 0);
	assert_int_equal(res.nextra, 2);
	assert_true(strstr(answer, "a=mid:4\r\n") && !has_line(answer, "a=group:BUNDLE 0 1 2 3 4"));
	free(t);
	t = replace(text, "VP8/90000", "XP8/90000");   /* everywhere: the primary takes H.264 */
	assert_int_equal(sdp_parse(&offer, t, strlen(t), err, sizeof(err)), 0);
	assert_int_equal(negotiate_answer(&offer, &l, &res, answer, sizeof(answer), err,
					  sizeof(err)), 0);
	assert_string_equal(res.video.codec, "H264");
	assert_string_equal(res.extra[0].codec, "H264");
	free(t);
	free(text);
	/* a sendonly second camera and a data channel: still rejected */
	text = load("chromium156-offer-dc2v.sdp");
	assert_int_equal(sdp_parse(&offer, text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(negotiate_answer(&offer, &l, &res, answer, sizeof(answer), err,
					  sizeof(err)), 0);
	assert_int_equal(res.nextra, 0);
	assert_true(has_line(answer, "a=group:BUNDLE 0 1"));
	assert_true(has_line(answer, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel"));
	free(text);
}

/* print the answer to the offer in path; 0 on success */
static int print_answer(const char *path, const struct neg_local *l)
{
	size_t len;
	char *text = load_path(path, &len);
	int rc;

	if (!text) {
		fprintf(stderr, "cannot read %s\n", path);
		return 1;
	}
	rc = sdp_parse(&offer, text, len, err, sizeof(err));
	if (!rc)
		rc = negotiate_answer(&offer, l, &res, answer, sizeof(answer), err, sizeof(err));
	free(text);
	if (rc) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 1;
	}
	fputs(answer, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chromium_answer),
		cmocka_unit_test(test_answer_reparses),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_recvonly_page),
		cmocka_unit_test(test_reject_extra_lines),
		cmocka_unit_test(test_reject_audio_without_opus),
		cmocka_unit_test(test_reject_port0),
		cmocka_unit_test(test_duplicate_mids),
		cmocka_unit_test(test_h264_only),
		cmocka_unit_test(test_firefox_session_level),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_plain_rtp_rejected),
		cmocka_unit_test(test_buffer_and_args),
		cmocka_unit_test(test_multi_reoffer),
		cmocka_unit_test(test_multi_known_and_stopped),
		cmocka_unit_test(test_multi_limits),
	};

	if (argc == 3 && !strcmp(argv[1], "--answer"))
		return print_answer(argv[2], &local);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "--answer-multi")) {
		/* VERSION [SKIP]: the o= version, and how many fresh SSRCs to pass over (so that
		 * already answered m-lines get new ones, as after their party left) */
		struct neg_local l = local_multi((uint32_t)strtoul(argv[3], NULL, 10));
		size_t skip = argc == 5 ? strtoul(argv[4], NULL, 10) : 0;

		l.fresh += skip < l.nfresh ? skip : l.nfresh;
		l.nfresh -= skip < l.nfresh ? skip : l.nfresh;
		return print_answer(argv[2], &l);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

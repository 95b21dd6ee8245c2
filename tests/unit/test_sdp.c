/* test_sdp: sdp_parse on real Chromium 156 offers (tests/unit/data, captured with
 * capture-offer.mjs) and on malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp.h"

static struct sdp_session sess, sess2;
static char err[256];

/* the file tests/unit/data/<name>, NUL-terminated (malloc'd) */
static char *load(const char *name, size_t *lenp)
{
	const char *dir = getenv("RAPPORT_SOURCE_DIR");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", dir ? dir : ".", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (lenp)
		*lenp = (size_t)n;
	return buf;
}

static int parse(struct sdp_session *s, const char *text)
{
	return sdp_parse(s, text, strlen(text), err, sizeof(err));
}

static void test_chromium_offer(void **state)
{
	char *text = load("chromium156-offer.sdp", NULL);
	const struct sdp_media *a = &sess.media[0], *v = &sess.media[1];
	const struct sdp_codec *c;

	(void)state;
	assert_int_equal(parse(&sess, text), 0);
	assert_string_equal(err, "");
	assert_int_equal(sess.nbundle, 2);
	assert_string_equal(sess.bundle[0], "0");
	assert_string_equal(sess.bundle[1], "1");
	assert_false(sess.ice_lite);
	assert_string_equal(sess.ice_ufrag, "");   /* Chromium puts transport at media level */
	assert_int_equal(sess.nmedia, 2);

	assert_int_equal(a->kind, SDP_KIND_AUDIO);
	assert_string_equal(a->kind_name, "audio");
	assert_int_equal(a->port, 9);
	assert_string_equal(a->proto, "UDP/TLS/RTP/SAVPF");
	assert_string_equal(a->mid, "0");
	assert_string_equal(a->ice_ufrag, "Hjwz");
	assert_string_equal(a->ice_pwd, "6ofohyagZGaryUIiRfI4y5mn");
	assert_string_equal(a->fp_alg, "sha-256");
	assert_string_equal(a->fingerprint, "B2:B5:D1:D1:A1:0E:65:33:13:C0:A5:B2:A8:EA:DC:EC:"
			    "D1:E6:65:3C:C6:45:F8:B7:4E:F4:35:87:CC:32:76:F8");
	assert_int_equal(a->setup, SDP_SETUP_ACTPASS);
	assert_int_equal(a->dir, SDP_DIR_SENDRECV);
	assert_true(a->rtcp_mux);
	assert_true(a->rtcp_rsize);
	assert_int_equal(a->ncodecs, 8);
	assert_int_equal(a->codecs[0].pt, 111);
	assert_string_equal(a->codecs[0].name, "opus");
	assert_int_equal(a->codecs[0].clock, 48000);
	assert_int_equal(a->codecs[0].channels, 2);
	assert_string_equal(a->codecs[0].fmtp, "minptime=10;useinbandfec=1");
	assert_int_equal(a->codecs[0].fb, SDP_FB_TWCC);
	assert_false(a->codecs[0].has_apt);
	c = sdp_media_codec(a, 63);
	assert_non_null(c);
	assert_string_equal(c->name, "red");
	assert_string_equal(c->fmtp, "111/111");
	c = sdp_media_codec(a, 0);
	assert_string_equal(c->name, "PCMU");
	assert_int_equal(c->clock, 8000);
	assert_int_equal(c->channels, 1);
	assert_string_equal(a->codecs[7].name, "telephone-event");
	assert_int_equal(a->codecs[7].pt, 126);
	assert_int_equal(a->nexts, 4);
	assert_int_equal(sdp_media_ext_id(a, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"), 1);
	assert_int_equal(sdp_media_ext_id(a, "urn:ietf:params:rtp-hdrext:sdes:mid"), 4);
	assert_int_equal(sdp_media_ext_id(a, "urn:3gpp:video-orientation"), 0);
	assert_int_equal(a->nssrcs, 1);
	assert_int_equal(a->ssrcs[0].ssrc, 540342476u);
	assert_string_equal(a->ssrcs[0].cname, "CzQOrByn57VooEF4");
	assert_int_equal(a->fid_primary, 0);
	assert_string_equal(a->msid, "b6a5d392-6511-447e-9b56-b3a221d48331 "
			    "cbb0e18a-bdad-44af-a236-ebb4fbdb985c");

	assert_int_equal(v->kind, SDP_KIND_VIDEO);
	assert_string_equal(v->mid, "1");
	assert_int_equal(v->ncodecs, 23);
	assert_int_equal(v->codecs[0].pt, 96);
	assert_string_equal(v->codecs[0].name, "VP8");
	assert_int_equal(v->codecs[0].clock, 90000);
	assert_int_equal(v->codecs[0].channels, 0);
	assert_int_equal(v->codecs[0].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB |
			 SDP_FB_TWCC);
	assert_string_equal(v->codecs[0].fmtp, "");
	assert_int_equal(v->codecs[1].pt, 97);
	assert_string_equal(v->codecs[1].name, "rtx");
	assert_true(v->codecs[1].has_apt);
	assert_int_equal(v->codecs[1].apt, 96);
	assert_int_equal(v->codecs[1].fb, 0);
	c = sdp_media_codec(v, 108);
	assert_string_equal(c->name, "H264");
	assert_string_equal(c->fmtp,
			    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
	assert_string_equal(v->codecs[22].name, "ulpfec");
	assert_int_equal(v->nexts, 11);
	assert_int_equal(v->exts[0].id, 14);
	assert_string_equal(v->exts[0].uri, "urn:ietf:params:rtp-hdrext:toffset");
	assert_int_equal(sdp_media_ext_id(v, "http://www.webrtc.org/experiments/rtp-hdrext/"
					  "abs-send-time"), 2);
	assert_int_equal(sdp_media_ext_id(v, "http://www.ietf.org/id/"
					  "draft-holmer-rmcat-transport-wide-cc-extensions-01"), 3);
	assert_int_equal(v->fid_primary, 3900860353u);
	assert_int_equal(v->fid_rtx, 451295847u);
	assert_int_equal(v->nssrcs, 2);
	assert_int_equal(v->ssrcs[0].ssrc, 3900860353u);
	assert_int_equal(v->ssrcs[1].ssrc, 451295847u);
	assert_string_equal(v->ssrcs[1].cname, "CzQOrByn57VooEF4");
	assert_string_equal(v->ice_ufrag, "Hjwz");
	assert_int_equal(v->setup, SDP_SETUP_ACTPASS);
	free(text);
}

/* LF-only line ends, and a last line without its line end, parse the same */
static void test_line_ends(void **state)
{
	char *text = load("chromium156-offer.sdp", NULL), *lf = malloc(strlen(text) + 1);
	size_t n = 0;

	(void)state;
	assert_int_equal(parse(&sess, text), 0);
	for (const char *s = text; *s; s++)
		if (*s != '\r')
			lf[n++] = *s;
	lf[n] = '\0';
	assert_int_equal(parse(&sess2, lf), 0);
	assert_memory_equal(&sess, &sess2, sizeof(sess));
	assert_int_equal(sdp_parse(&sess2, text, strlen(text) - 2, err, sizeof(err)), 0);
	assert_memory_equal(&sess, &sess2, sizeof(sess));
	assert_int_equal(sdp_parse(&sess2, lf, n - 1, err, sizeof(err)), 0);
	assert_memory_equal(&sess, &sess2, sizeof(sess));
	free(lf);
	free(text);
}

/* audio, two videos (the second sendonly) and a data channel */
static void test_chromium_offer_dc2v(void **state)
{
	char *text = load("chromium156-offer-dc2v.sdp", NULL);
	const struct sdp_media *d = &sess.media[3];

	(void)state;
	assert_int_equal(parse(&sess, text), 0);
	assert_int_equal(sess.nmedia, 4);
	assert_int_equal(sess.nbundle, 4);
	assert_int_equal(sess.media[0].kind, SDP_KIND_AUDIO);
	assert_int_equal(sess.media[1].kind, SDP_KIND_VIDEO);
	assert_int_equal(sess.media[2].kind, SDP_KIND_VIDEO);
	assert_int_equal(sess.media[2].dir, SDP_DIR_SENDONLY);
	assert_string_equal(sess.media[2].mid, "2");
	assert_int_equal(sess.media[2].ncodecs, 23);
	assert_int_equal(d->kind, SDP_KIND_APPLICATION);
	assert_string_equal(d->kind_name, "application");
	assert_string_equal(d->proto, "UDP/DTLS/SCTP");
	assert_int_equal(d->ncodecs, 0);
	assert_string_equal(d->mid, "3");
	assert_string_equal(d->ice_ufrag, sess.media[0].ice_ufrag);
	assert_false(d->rtcp_mux);
	free(text);
}

static void test_h264_offer(void **state)
{
	char *text = load("chromium156-offer-h264.sdp", NULL);
	const struct sdp_media *v = &sess.media[1];

	(void)state;
	assert_int_equal(parse(&sess, text), 0);
	assert_int_equal(v->ncodecs, 12);
	assert_string_equal(v->codecs[0].name, "H264");
	assert_int_equal(v->codecs[0].pt, 102);
	assert_null(sdp_media_codec(v, 96));
	assert_int_equal(sdp_media_codec(v, 103)->apt, 102);
	free(text);
}

/* a receive-only page: Chromium lists every codec it can decode, 34 in the video m-line */
static void test_recvonly_offer(void **state)
{
	char *text = load("chromium156-offer-recvonly.sdp", NULL);
	const struct sdp_media *v = &sess.media[1];

	(void)state;
	assert_int_equal(parse(&sess, text), 0);
	assert_int_equal(sess.media[0].dir, SDP_DIR_RECVONLY);
	assert_int_equal(sess.media[0].nssrcs, 0);
	assert_int_equal(v->dir, SDP_DIR_RECVONLY);
	assert_int_equal(v->ncodecs, 34);
	assert_string_equal(v->codecs[0].name, "VP8");
	assert_int_equal(v->nssrcs, 0);
	assert_int_equal(v->fid_primary, 0);
	assert_string_equal(v->msid, "");
	free(text);
}

#define HDR "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

static const struct bad_case {
	const char *sdp;
	int code;
	const char *reason;
} bad_cases[] = {
	{ "", EINVAL, "no v=0" },
	{ "\r\n\r\n", EINVAL, "no v=0" },
	{ "o=- 1 2 IN IP4 127.0.0.1\r\nv=0\r\n", EINVAL, "line 1: SDP must start with v=0" },
	{ "v=1\r\n", EINVAL, "line 1: SDP must start with v=0" },
	{ HDR "v=0\r\n", EINVAL, "line 5: second v= line" },
	{ HDR "this is not sdp\r\n", EINVAL, "line 5: not a <type>=<value> line" },
	{ HDR "=x\r\n", EINVAL, "line 5: not a <type>=<value> line" },
	{ HDR "a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF\r\n", EINVAL,
	  "line 6: m= line has no payload types" },
	{ HDR "m=application 9 UDP/DTLS/SCTP \r\n", EINVAL, "line 5: m= line has no formats" },
	{ HDR "m=audio 9\r\n", EINVAL, "line 5: m= line needs <media> <port> <proto>" },
	{ HDR "m=audio 70000 RTP/AVP 0\r\n", EINVAL, "line 5: m= line: bad port '70000'" },
	{ HDR "m=audio -1 RTP/AVP 0\r\n", EINVAL, "line 5: m= line: bad port" },
	{ HDR "m=audio 9 RTP/AVP 0 opus\r\n", EINVAL, "line 5: m= line: bad payload type 'opus'" },
	{ HDR "m=audio 9 RTP/AVP 128\r\n", EINVAL, "line 5: m= line: bad payload type '128'" },
	{ HDR "m=audio 9 RTP/AVP 0 8 0\r\n", EINVAL, "line 5: m= line lists payload type 0 twice" },
	{ HDR "m=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus\r\n", EINVAL,
	  "line 6: a=rtpmap needs <pt> <name>/<clock>" },
	{ HDR "m=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus/x\r\n", EINVAL, "line 6: a=rtpmap needs" },
	{ HDR "m=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus/48000/0\r\n", EINVAL,
	  "line 6: a=rtpmap: bad channel count '0'" },
	{ HDR "m=audio 9 RTP/AVP 111\r\na=rtpmap:abc opus/48000\r\n", EINVAL,
	  "line 6: a=rtpmap: bad payload type 'abc'" },
	{ HDR "m=video 9 RTP/AVP 97\r\na=fmtp:97 apt=300\r\n", EINVAL, "line 6: a=fmtp: bad apt" },
	{ HDR "m=video 9 RTP/AVP 97\r\na=rtcp-fb:97\r\n", EINVAL, "line 6: a=rtcp-fb needs" },
	{ HDR "m=video 9 RTP/AVP 97\r\na=extmap:0 urn:x\r\n", EINVAL, "line 6: a=extmap: bad id" },
	{ HDR "m=video 9 RTP/AVP 97\r\na=extmap:1\r\n", EINVAL, "line 6: a=extmap needs" },
	{ HDR "m=video 9 RTP/AVP 97\r\na=ssrc:x cname:y\r\n", EINVAL, "line 6: a=ssrc needs" },
	{ HDR "m=video 9 RTP/AVP 97\r\na=ssrc-group:FID 1\r\n", EINVAL,
	  "line 6: a=ssrc-group:FID needs two ssrcs" },
	{ HDR "a=setup:holdconn\r\n", EINVAL, "line 5: unknown a=setup value 'holdconn'" },
	{ HDR "a=fingerprint:sha-256\r\n", EINVAL, "line 5: a=fingerprint needs" },
	{ HDR "a=ice-ufrag:\x01\x02garbage\r\n", EINVAL,
	  "line 5: control character 0x01 at column 13" },
	{ HDR "a=tool:x\0y\r\n", EINVAL, "line 5: control character 0x00" },
	{ HDR "a=ice-ufrag:ab\rcd\r\n", EINVAL, "line 5: control character 0x0d" },
	{ HDR "a=ice-ufrag:0123456789012345678901234567890123456789012345678901234567890123\r\n",
	  E2BIG, "line 5: a=ice-ufrag longer than 63 bytes" },
	{ HDR "m=audio 9 RTP/AVP 0\r\na=mid:0123456789012345678901234567890123\r\n", E2BIG,
	  "line 6: a=mid longer than 31 bytes" },
	{ HDR "m=audio 9 RTP/AVP 96\r\na=rtpmap:96 averyveryverylongname/8000\r\n", E2BIG,
	  "line 6: a=rtpmap codec name longer than 15 bytes" },
	{ HDR "a=group:BUNDLE 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\r\n", E2BIG,
	  "line 5: a=group:BUNDLE has more than 16 mids" },
	{ HDR "m=audiovisualstuff 9 RTP/AVP 0\r\n", E2BIG,
	  "line 5: m= media type longer than 15 bytes" },
};

/* every case fails with its code, and the reason names the line (one case embeds a NUL) */
static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		size_t len = strlen(b->sdp);
		int rc;

		if (strstr(b->sdp, "a=tool:x"))
			len += 1 + strlen(b->sdp + len + 1);
		rc = sdp_parse(&sess, b->sdp, len, err, sizeof(err));
		if (rc != b->code || !strstr(err, b->reason))
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, rc, err, b->code,
				 b->reason);
	}
}

static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

static char big[SDP_MAX_LEN + 4096];

static void expect(int code, const char *reason)
{
	int rc = parse(&sess, big);

	if (rc != code || !strstr(err, reason))
		fail_msg("got %d '%s', want %d '%s'", rc, err, code, reason);
}

static void test_limits(void **state)
{
	char reason[64];

	(void)state;
	/* oversized */
	strcpy(big, HDR);
	while (strlen(big) <= SDP_MAX_LEN)
		append(big, sizeof(big), "a=x-filler:0123456789012345678901234567890123456789\r\n");
	expect(E2BIG, "limit 65536");
	/* too many m-lines: the seventeenth is refused, on its line */
	strcpy(big, HDR);
	for (int i = 0; i < SDP_MAX_MEDIA + 1; i++)
		append(big, sizeof(big), "m=audio 9 RTP/AVP 0\r\n");
	expect(E2BIG, "line 21: more than 16 m= lines");
	/* too many payload types */
	strcpy(big, HDR "m=video 9 UDP/TLS/RTP/SAVPF");
	for (int i = 0; i < SDP_MAX_CODECS + 1; i++)
		append(big, sizeof(big), " %d", 127 - i);
	append(big, sizeof(big), "\r\n");
	snprintf(reason, sizeof(reason), "line 5: m= line has more than %d payload types",
		 SDP_MAX_CODECS);
	expect(E2BIG, reason);
	/* too many header extensions and ssrcs */
	strcpy(big, HDR "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
	for (int i = 1; i <= SDP_MAX_EXTS + 1; i++)
		append(big, sizeof(big), "a=extmap:%d urn:x-%d\r\n", i, i);
	expect(E2BIG, "line 22: more than 16 a=extmap lines");
	strcpy(big, HDR "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
	for (int i = 1; i <= SDP_MAX_SSRCS + 1; i++)
		append(big, sizeof(big), "a=ssrc:%d cname:x\r\na=ssrc:%d msid:a b\r\n", i, i);
	expect(E2BIG, "line 22: more than 8 ssrcs in one m-line");
	/* an over-long line */
	strcpy(big, HDR "a=x-long:");
	for (int i = 0; i < 300; i++)
		append(big, sizeof(big), "0123456789");
	expect(E2BIG, "line 5: line longer than 2047 bytes");
}

/* random bytes and truncations of a real offer never crash and always explain a failure */
static void test_garbage(void **state)
{
	char *text = load("chromium156-offer.sdp", NULL);
	size_t len = strlen(text);
	uint32_t x = 12345;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		size_t n = (size_t)i % sizeof(big);

		for (size_t k = 0; k < n; k++) {
			x = x * 1103515245u + 12345u;
			big[k] = (char)(x >> 16);
		}
		if (i % 2)
			memcpy(big, "v=0\r\n", 5 < n ? 5 : n);
		if (sdp_parse(&sess, big, n, err, sizeof(err)))
			assert_true(err[0] != '\0');
	}
	for (size_t n = 0; n < len; n += 7)
		if (sdp_parse(&sess, text, n, err, sizeof(err)))
			assert_true(err[0] != '\0');
	free(text);
}

static void test_static_and_unlisted(void **state)
{
	const struct sdp_media *m = &sess.media[0];

	(void)state;
	assert_int_equal(parse(&sess, HDR "m=audio 9 RTP/AVP 0 8 96 18\r\n"
			       "a=rtpmap:100 opus/48000/2\r\n"
			       "a=fmtp:100 useinbandfec=1\r\n"
			       "a=rtcp-fb:100 nack\r\n"
			       "a=rtpmap:18 G729/8000\r\n"), 0);
	assert_int_equal(m->ncodecs, 4);
	assert_string_equal(m->codecs[0].name, "PCMU");
	assert_int_equal(m->codecs[0].clock, 8000);
	assert_string_equal(m->codecs[1].name, "PCMA");
	assert_string_equal(m->codecs[2].name, "");   /* dynamic, no rtpmap: kept nameless */
	assert_int_equal(m->codecs[2].pt, 96);
	assert_string_equal(m->codecs[3].name, "G729");
	assert_null(sdp_media_codec(m, 100));
	for (size_t i = 0; i < m->ncodecs; i++)
		assert_int_equal(m->codecs[i].fb, 0);
}

static void test_feedback(void **state)
{
	const struct sdp_media *m = &sess.media[0];

	(void)state;
	assert_int_equal(parse(&sess, HDR "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\n"
			       "a=rtcp-fb:* nack\r\n"
			       "a=rtpmap:96 VP8/90000\r\n"
			       "a=rtcp-fb:96 nack pli\r\n"
			       "a=rtcp-fb:96 ccm fir\r\n"
			       "a=rtcp-fb:96 goog-lntf\r\n"
			       "a=rtcp-fb:96 nack rpsi\r\n"
			       "a=rtcp-fb:98 goog-remb\r\n"
			       "a=rtcp-fb:98 transport-cc\r\n"
			       "a=rtcp-fb:99 transport-cc\r\n"
			       "a=rtcp-fb:* ccm tmmbr\r\n"), 0);
	assert_int_equal(m->codecs[0].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR);
	assert_int_equal(m->codecs[1].fb, SDP_FB_NACK);
	assert_int_equal(m->codecs[2].fb, SDP_FB_NACK | SDP_FB_REMB | SDP_FB_TWCC);
}

/* Firefox style: transport at session level; session direction is the m-lines' default */
static void test_session_level(void **state)
{
	(void)state;
	assert_int_equal(parse(&sess, HDR "a=ice-ufrag:sessufrag\r\n"
			       "a=ice-pwd:sessionpassword0123456789\r\n"
			       "a=fingerprint:sha-512 " /* too long to keep, and not the one used */
			       "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:"
			       "66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:"
			       "CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
			       "a=fingerprint:sha-256 AA:BB\r\n"
			       "a=fingerprint:sha-1 CC:DD\r\n"
			       "a=setup:active\r\n"
			       "a=ice-lite\r\n"
			       "a=sendonly\r\n"
			       "a=mid:ignored-here\r\n"
			       "a=rtpmap:0 PCMU/8000\r\n"
			       "m=audio 9 RTP/AVP 0\r\n"
			       "m=video 9 RTP/AVP 96\r\n"
			       "a=inactive\r\n"
			       "a=x-unknown:whatever\r\n"), 0);
	assert_string_equal(sess.ice_ufrag, "sessufrag");
	assert_string_equal(sess.ice_pwd, "sessionpassword0123456789");
	assert_string_equal(sess.fp_alg, "sha-256");
	assert_string_equal(sess.fingerprint, "AA:BB");
	assert_int_equal(sess.setup, SDP_SETUP_ACTIVE);
	assert_true(sess.ice_lite);
	assert_int_equal(sess.media[0].dir, SDP_DIR_SENDONLY);
	assert_int_equal(sess.media[1].dir, SDP_DIR_INACTIVE);
	assert_string_equal(sess.media[0].mid, "");
	assert_string_equal(sess.media[0].ice_ufrag, "");
	assert_int_equal(sess.media[0].setup, SDP_SETUP_NONE);
	assert_string_equal(sess.media[0].codecs[0].name, "PCMU");
}

static void test_fmtp_param(void **state)
{
	char v[16];

	(void)state;
	assert_int_equal(sdp_fmtp_param("level-asymmetry-allowed=1;packetization-mode=1;"
					"profile-level-id=42e01f", "profile-level-id", v,
					sizeof(v)), 0);
	assert_string_equal(v, "42e01f");
	assert_int_equal(sdp_fmtp_param("minptime=10; useinbandfec=1 ", "UseInbandFec", v,
					sizeof(v)), 0);
	assert_string_equal(v, "1");
	assert_int_equal(sdp_fmtp_param("apt=96", "apt", v, sizeof(v)), 0);
	assert_string_equal(v, "96");
	assert_int_equal(sdp_fmtp_param("aptx=96", "apt", v, sizeof(v)), ENOENT);
	assert_int_equal(sdp_fmtp_param("111/111", "apt", v, sizeof(v)), ENOENT);
	assert_int_equal(sdp_fmtp_param("", "apt", v, sizeof(v)), ENOENT);
	assert_int_equal(sdp_fmtp_param("apt=0123456789abcdef", "apt", v, sizeof(v)), E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chromium_offer),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_chromium_offer_dc2v),
		cmocka_unit_test(test_h264_offer),
		cmocka_unit_test(test_recvonly_offer),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_static_and_unlisted),
		cmocka_unit_test(test_feedback),
		cmocka_unit_test(test_session_level),
		cmocka_unit_test(test_fmtp_param),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_interp: multi-party legs and the interpreter modes end to end over real loopback
 * sockets: scripted WebRTC peers (tests/load/peer.c: ICE, DTLS client, SRTP) as customer, agent
 * and interpreter in one call through the relay (issue 5).
 *
 * Every live peer sends, every 20 ms, one Opus frame of its own tone (libopus; customer 440 Hz,
 * agent 660 Hz, interpreter 880 Hz, amplitude TONE_AMP) and one "video" packet whose first
 * byte names it. What a peer receives is tracked per SSRC (sequence gaps, timestamps, arrival
 * gaps, RTCP BYE) and audio is decoded (libopus) and measured with a Goertzel filter, in dB
 * relative to the tone as sent. Which SSRC carries whom comes from media_leg_slots(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/mem.h"
#include "media/dtls.h"
#include "media/media.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "tests/load/peer.h"

#include <errno.h>
#include <math.h>
#include <opus/opus.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CUST, AGENT, INTERP, INTERP2, NPARTIES };
static const double tone_hz[NPARTIES] = {440.0, 660.0, 880.0, 880.0};
static const char tag[NPARTIES] = {'C', 'A', 'I', 'J'};

#define TONE_AMP 0.2
#define RATE 48000
#define FRAME 960
#define PCM_CAP (4 * RATE)       /* decoded audio kept per stream */
#define MAX_RX 16
#define PT_OPUS 111
#define PT_VP8 96

struct rx_stream {
	uint32_t ssrc;
	uint8_t pt;
	bool started, bye;
	uint16_t last_seq;
	uint32_t last_ts;
	uint64_t packets, seq_gaps, seq_back, ts_back, markers;
	uint64_t last_us, max_gap_us;
	char tag;                    /* video: whose packet came last */
	OpusDecoder *dec;
	int16_t *pcm;
	size_t npcm;
};

struct party {
	struct peer *p;
	uint32_t leg;
	bool live;                   /* sends and is polled by the scene */
	OpusEncoder *enc;
	uint64_t phase;              /* tone samples sent */
	uint32_t ats, vts;
	struct rx_stream rx[MAX_RX];
	unsigned nrx;
	unsigned idx;
	uint64_t tx_at_join[NPARTIES][2];  /* what each other party had sent when this one joined */
	unsigned lose_every;         /* skip an audio sequence number every n frames (lost) */
};

struct scene {
	struct media *m;
	struct dtls_cert *cert;
	uint32_t call;
	struct party pa[NPARTIES];
	uint64_t next_us, cycles;
	int connected, failed;
};

/* --- receiving --- */

static struct rx_stream *rx_find(struct party *pa, uint32_t ssrc)
{
	for (unsigned i = 0; i < pa->nrx; i++)
		if (pa->rx[i].ssrc == ssrc)
			return &pa->rx[i];
	return NULL;
}

static void rx_bye(struct party *pa, const uint8_t *pkt, size_t len)
{
	struct rtcp_pkt r;
	size_t off = 0;
	struct rx_stream *s;
	while (rtcp_next(pkt, len, &off, &r) == 1)
		if (r.pt == RTCP_BYE && (s = rx_find(pa, r.sender_ssrc)))
			s->bye = true;
}

static void rx_audio(struct rx_stream *s, const uint8_t *payload, size_t len)
{
	int16_t buf[5760];
	if (!s->dec) {
		int err;
		s->dec = opus_decoder_create(RATE, 1, &err);
		s->pcm = calloc(PCM_CAP, sizeof(int16_t));
		assert_non_null(s->dec);
		assert_non_null(s->pcm);
	}
	int n = opus_decode(s->dec, payload, (opus_int32)len, buf, 5760, 0);
	if (n <= 0)
		return;
	if (s->npcm + (size_t)n > PCM_CAP) {            /* keep the newest */
		size_t drop = s->npcm + (size_t)n - PCM_CAP;
		memmove(s->pcm, s->pcm + drop, (s->npcm - drop) * sizeof(int16_t));
		s->npcm -= drop;
	}
	memcpy(s->pcm + s->npcm, buf, (size_t)n * sizeof(int16_t));
	s->npcm += (size_t)n;
}

static void rx_track(struct rx_stream *s, const struct rtp_hdr *h, uint64_t now)
{
	if (s->started) {
		int16_t d = (int16_t)(h->seq - s->last_seq);
		if (d <= 0) {
			s->seq_back++;
			return;
		}
		s->seq_gaps += (uint64_t)(d - 1);
		if ((int32_t)(h->ts - s->last_ts) < 0)
			s->ts_back++;
		if (now - s->last_us > s->max_gap_us)
			s->max_gap_us = now - s->last_us;
	}
	s->started = true;
	s->last_seq = h->seq;
	s->last_ts = h->ts;
	s->last_us = now;
}

static void on_rx(const struct rtp_hdr *h, const uint8_t *pkt, size_t len, void *arg)
{
	struct party *pa = arg;
	if (!h) {
		rx_bye(pa, pkt, len);
		return;
	}
	if (h->pt != PT_OPUS && h->pt != PT_VP8)
		return;                 /* rtx */
	struct rx_stream *s = rx_find(pa, h->ssrc);
	if (!s) {
		assert_true(pa->nrx < MAX_RX);
		s = &pa->rx[pa->nrx++];
		s->ssrc = h->ssrc;
		s->pt = h->pt;
	}
	rx_track(s, h, clock_us());
	s->packets++;
	s->markers += h->marker;
	if (h->pt == PT_VP8 && h->payload_len)
		s->tag = (char)pkt[h->payload_off];
	else if (h->pt == PT_OPUS)
		rx_audio(s, pkt + h->payload_off, h->payload_len);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The tone at f in the last n samples of s (at least half a second), in dB relative to
 * TONE_AMP: the median over 100 ms blocks (a whole number of periods of every tone here) of a
 * Goertzel filter's amplitude, so a glitch of a loaded machine (a skipped tick, a concealed
 * frame) in one block does not move the figure. */
#define BLOCK (RATE / 10)
static double tone_db(const struct rx_stream *s, double f, size_t n)
{
	double amp[PCM_CAP / BLOCK];
	assert_non_null(s);
	if (n > s->npcm)
		n = s->npcm;
	size_t nb = n / BLOCK;
	if (nb < 5)
		fail_msg("only %zu ms of audio to measure", s->npcm * 1000 / RATE);
	n = nb * BLOCK;
	double coeff = 2.0 * cos(2.0 * M_PI * f / RATE);
	for (size_t b = 0; b < nb; b++) {
		const int16_t *x = s->pcm + s->npcm - n + b * BLOCK;
		double s1 = 0, s2 = 0;
		for (size_t k = 0; k < BLOCK; k++) {
			double s0 = x[k] / 32768.0 + coeff * s1 - s2;
			s2 = s1;
			s1 = s0;
		}
		double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
		amp[b] = 2.0 * sqrt(power > 0 ? power : 0) / (double)BLOCK;
	}
	qsort(amp, nb, sizeof(amp[0]), cmp_double);
	return 20.0 * log10(amp[nb / 2] / TONE_AMP + 1e-9);
}

/* --- sending and pacing --- */

static void party_send(struct party *pa)
{
	int16_t pcm[FRAME];
	uint8_t opus[400], video[300];
	for (int k = 0; k < FRAME; k++, pa->phase++)
		pcm[k] = (int16_t)lrint(TONE_AMP * 32767.0 *
					sin(2.0 * M_PI * tone_hz[pa->idx] * (double)pa->phase / RATE));
	int n = opus_encode(pa->enc, pcm, FRAME, opus, sizeof(opus));
	assert_true(n > 0);
	if (pa->lose_every && pa->phase / FRAME % pa->lose_every == 0) {
		peer_skip_seq(pa->p, PEER_AUDIO, 1);    /* as if one frame were lost */
		pa->ats += FRAME;
	}
	assert_int_equal(peer_send_rtp(pa->p, PEER_AUDIO, opus, (size_t)n, pa->ats, false), 0);
	pa->ats += FRAME;
	memset(video, tag[pa->idx], sizeof(video));
	assert_int_equal(peer_send_rtp(pa->p, PEER_VIDEO, video, sizeof(video), pa->vts, true), 0);
	pa->vts += 1800;
}

static void on_event(const struct media_event *ev, void *arg)
{
	struct scene *sc = arg;
	if (ev->type == MEDIA_EV_LEG_CONNECTED)
		sc->connected++;
	else
		sc->failed++;
}

typedef bool (scene_done_h)(struct scene *sc, void *arg);

/* Every live party sends every 20 ms (absolute deadlines) and receives all the time: for ms,
 * or, with done, until done() says so (ms is then the limit: waiting for what must happen,
 * not for a time, keeps the tests right on a loaded machine). */
static bool scene_run(struct scene *sc, int ms, scene_done_h *done, void *arg)
{
	uint64_t end = clock_us() + (uint64_t)ms * 1000u;
	while (clock_us() < end) {
		if (done && done(sc, arg))
			return true;
		uint64_t now = clock_us();
		if (now >= sc->next_us) {
			for (int i = 0; i < NPARTIES; i++) {
				if (!sc->pa[i].live)
					continue;
				party_send(&sc->pa[i]);
				if (sc->cycles % 25 == 0)
					peer_keepalive(sc->pa[i].p);
			}
			sc->cycles++;
			sc->next_us = now > sc->next_us + 100000 ? now + 20000 : sc->next_us + 20000;
		}
		for (int i = 0; i < NPARTIES; i++)
			if (sc->pa[i].live)
				peer_poll(sc->pa[i].p, 0);
		media_poll(sc->m, on_event, sc);
		usleep(500);
	}
	return !done || done(sc, arg);
}

#define WAIT_MS 15000

/* --- offers and legs --- */

/* our offer with further receive-only m-lines: 'v' video, 'a' audio (mids 2, 3, ...) */
static void offer_with(struct party *pa, const char *extras, char *buf, size_t cap)
{
	char base[4096], tr[512], group[64] = "a=group:BUNDLE 0 1";
	assert_int_equal(peer_offer(pa->p, base, sizeof(base)), 0);
	const char *u = strstr(base, "a=ice-ufrag:"), *e = strstr(base, "a=setup:actpass\r\n");
	snprintf(tr, sizeof(tr), "%.*s", (int)(e + 17 - u), u);
	char *g = strstr(base, "a=group:BUNDLE 0 1\r\n");
	size_t len = (size_t)snprintf(buf, cap, "%.*s", (int)(g - base), base);
	size_t glen = strlen(group);
	for (size_t k = 0; extras[k]; k++)
		glen += (size_t)snprintf(group + glen, sizeof(group) - glen, " %zu", k + 2);
	len += (size_t)snprintf(buf + len, cap - len, "%s%s", group, g + 18);
	for (size_t k = 0; extras[k]; k++) {
		bool v = extras[k] == 'v';
		len += (size_t)snprintf(buf + len, cap - len,
			"m=%s 9 UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
			"%sa=mid:%zu\r\na=recvonly\r\na=rtcp-mux\r\n%s", v ? "video" : "audio",
			v ? "96 97" : "111", tr, k + 2,
			v ? "a=rtcp-rsize\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
			    "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n"
			    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
			  : "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n");
		assert_true(len < cap);
	}
}

struct conn_job {
	struct peer *p;
	int rc;
	atomic_bool done;
};

static bool job_done(struct scene *sc, void *arg)
{
	struct conn_job *j = arg;
	(void)sc;
	return atomic_load(&j->done);
}

static void *conn_main(void *arg)
{
	struct conn_job *j = arg;
	j->rc = peer_connect(j->p, 5000);
	atomic_store(&j->done, true);
	return NULL;
}

/* party i joins the call with these further m-lines; the others keep talking meanwhile */
static void party_join(struct scene *sc, int i, const char *extras)
{
	struct party *pa = &sc->pa[i];
	char offer[16384], err[200] = "", *answer = NULL;
	offer_with(pa, extras, offer, sizeof(offer));
	if (media_leg_create(sc->m, sc->call, offer, &answer, &pa->leg, err, sizeof(err)))
		fail_msg("media_leg_create: %s", err);
	assert_int_equal(peer_answer(pa->p, answer), 0);
	mem_deref(answer);
	struct conn_job job = {.p = pa->p};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, conn_main, &job), 0);
	scene_run(sc, WAIT_MS, job_done, &job);
	pthread_join(t, NULL);
	assert_int_equal(job.rc, 0);
	for (int s = 0; s < NPARTIES; s++)
		for (int k = 0; k < 2 && sc->pa[s].live; k++)
			pa->tx_at_join[s][k] = peer_stats(sc->pa[s].p)->tx_packets[k];
	pa->live = true;
}

/* party i re-offers with these further m-lines (same ICE, DTLS); the answer into ans */
static int party_update(struct scene *sc, int i, const char *extras, char *ans, size_t cap)
{
	char offer[16384], err[200] = "", *answer = NULL;
	offer_with(&sc->pa[i], extras, offer, sizeof(offer));
	int e = media_leg_update(sc->m, sc->pa[i].leg, offer, &answer, err, sizeof(err));
	if (e)
		fail_msg("media_leg_update: %s", err);
	if (ans)
		snprintf(ans, cap, "%s", answer);
	mem_deref(answer);
	return e;
}

static void party_leave(struct scene *sc, int i)
{
	sc->pa[i].live = false;
	assert_int_equal(media_leg_destroy(sc->m, sc->pa[i].leg), 0);
}

/* the SSRC on which leg rcv receives leg src (video or audio), 0 when none */
static uint32_t slot_ssrc(struct scene *sc, uint32_t rcv, uint32_t src, bool video)
{
	struct media_slot sl[MEDIA_MAX_SLOTS];
	size_t n;
	assert_int_equal(media_leg_slots(sc->m, rcv, sl, MEDIA_MAX_SLOTS, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (sl[i].video == video && sl[i].src_leg == src)
			return sl[i].ssrc;
	return 0;
}

/* what party r receives on its primary audio or video m-line */
static struct rx_stream *rx_primary(struct scene *sc, int r, bool video)
{
	struct media_slot sl[MEDIA_MAX_SLOTS];
	size_t n;
	assert_int_equal(media_leg_slots(sc->m, sc->pa[r].leg, sl, MEDIA_MAX_SLOTS, &n), 0);
	assert_true(n >= 2 && sl[video].primary && sl[video].video == video);
	return rx_find(&sc->pa[r], sl[video].ssrc);
}

/* what party r receives from party s on that kind */
static struct rx_stream *rx_of(struct scene *sc, int r, int s, bool video)
{
	uint32_t ssrc = slot_ssrc(sc, sc->pa[r].leg, sc->pa[s].leg, video);
	if (!ssrc)
		fail_msg("%c receives no %s slot from %c", tag[r], video ? "video" : "audio", tag[s]);
	return rx_find(&sc->pa[r], ssrc);
}

static void pcm_reset(struct scene *sc)
{
	for (int i = 0; i < NPARTIES; i++)
		for (unsigned k = 0; k < sc->pa[i].nrx; k++)
			sc->pa[i].rx[k].npcm = 0;
}

/* --- fixture --- */

static int scene_setup(void **state, float duck_db)
{
	struct scene *sc = calloc(1, sizeof(*sc));
	struct media_config cfg = {.bind_ip = "127.0.0.1", .public_ip = "127.0.0.1",
				   .port_min = 46000, .port_max = 46999, .workers = 2,
				   .duck_db = duck_db};
	assert_int_equal(media_start(&sc->m, &cfg, NULL, NULL), 0);
	assert_int_equal(dtls_cert_create(&sc->cert), 0);
	assert_int_equal(media_call_create(sc->m, &sc->call), 0);
	for (int i = 0; i < NPARTIES; i++) {
		struct party *pa = &sc->pa[i];
		int err;
		pa->idx = (unsigned)i;
		assert_int_equal(peer_alloc(&pa->p, sc->cert, "127.0.0.1"), 0);
		peer_set_rx_handler(pa->p, on_rx, pa);
		pa->enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_AUDIO, &err);
		assert_non_null(pa->enc);
		opus_encoder_ctl(pa->enc, OPUS_SET_BITRATE(64000));
		opus_encoder_ctl(pa->enc, OPUS_SET_INBAND_FEC(1));    /* as browsers do */
		opus_encoder_ctl(pa->enc, OPUS_SET_PACKET_LOSS_PERC(10));
	}
	sc->next_us = clock_us();
	*state = sc;
	return 0;
}

static int setup(void **state)
{
	return scene_setup(state, 0.0f);       /* MEDIA_DUCK_DB_DEFAULT */
}

/* rapportd.conf's duck_db reaches media_config (gateway/main.c) */
static int setup_duck20(void **state)
{
	return scene_setup(state, -20.0f);
}

static int teardown(void **state)
{
	struct scene *sc = *state;
	media_call_destroy(sc->m, sc->call);
	media_stop(sc->m);
	for (int i = 0; i < NPARTIES; i++) {
		struct party *pa = &sc->pa[i];
		peer_free(pa->p);
		opus_encoder_destroy(pa->enc);
		for (unsigned k = 0; k < pa->nrx; k++) {
			if (pa->rx[k].dec)
				opus_decoder_destroy(pa->rx[k].dec);
			free(pa->rx[k].pcm);
		}
	}
	mem_deref(sc->cert);
	free(sc);
	return 0;
}

/* --- (a) joining and leaving with video --- */

/* r receives s's video on the stream media_leg_slots() names, and it is s's */
static bool sees(struct scene *sc, int r, int s)
{
	uint32_t ssrc = slot_ssrc(sc, sc->pa[r].leg, sc->pa[s].leg, true);
	struct rx_stream *v = ssrc ? rx_find(&sc->pa[r], ssrc) : NULL;
	return v && v->packets >= 10 && v->tag == tag[s];
}

static bool sees_h(struct scene *sc, void *arg)
{
	const int *rs = arg;
	return sees(sc, rs[0], rs[1]);
}

static void wait_sees(struct scene *sc, int r, int s)
{
	int rs[2] = {r, s};
	if (!scene_run(sc, WAIT_MS, sees_h, rs))
		fail_msg("%c does not see %c", tag[r], tag[s]);
}

/* everything s sent since r joined has reached r (or WAIT_MS passed) */
static bool all_arrived(struct scene *sc, void *arg)
{
	const int *rs = arg;
	for (int k = 0; k < 2; k++) {
		uint32_t ssrc = slot_ssrc(sc, sc->pa[rs[0]].leg, sc->pa[rs[1]].leg, k == PEER_VIDEO);
		struct rx_stream *st = rx_find(&sc->pa[rs[0]], ssrc);
		uint64_t sent = peer_stats(sc->pa[rs[1]].p)->tx_packets[k] -
				sc->pa[rs[0]].tx_at_join[rs[1]][k];
		if (!st || st->packets + 2 < sent)
			return false;
	}
	return true;
}

/* the first two never stop hearing and seeing each other: every packet s sent reached r, in
 * order, on the same stream (forwarding maps sequence numbers one to one, so no gap means
 * nothing was lost or held back; the longest pause is printed, it depends on the machine) */
static void assert_unbroken(struct scene *sc, int r, int s)
{
	int rs[2] = {r, s};
	bool all = scene_run(sc, WAIT_MS, all_arrived, rs);
	for (int video = 0; video <= 1; video++) {
		struct rx_stream *st = rx_of(sc, r, s, video);
		int k = video ? PEER_VIDEO : PEER_AUDIO;
		uint64_t sent = peer_stats(sc->pa[s].p)->tx_packets[k] - sc->pa[r].tx_at_join[s][k];
		printf("%c from %c %s: %llu of %llu packets, %llu seq gaps, longest pause %llu ms\n",
		       tag[r], tag[s], video ? "video" : "audio", (unsigned long long)st->packets,
		       (unsigned long long)sent, (unsigned long long)st->seq_gaps,
		       (unsigned long long)st->max_gap_us / 1000);
		assert_int_equal(st->seq_gaps, 0);
		assert_int_equal(st->seq_back, 0);
		assert_int_equal(st->ts_back, 0);
	}
	assert_true(all);
}

static bool got_bye(struct scene *sc, void *arg)
{
	(void)sc;
	return ((struct rx_stream *)arg)->bye;
}

static void test_join_and_leave(void **state)
{
	struct scene *sc = *state;
	char ans[32768];
	party_join(sc, CUST, "");
	party_join(sc, AGENT, "");
	wait_sees(sc, CUST, AGENT);
	wait_sees(sc, AGENT, CUST);
	/* customer and agent make room for one more party; nothing on it yet */
	party_update(sc, CUST, "va", ans, sizeof(ans));
	assert_non_null(strstr(ans, "a=group:BUNDLE 0 1 2 3"));
	assert_non_null(strstr(ans, " 3 IN IP4"));           /* o= version 3 */
	party_update(sc, AGENT, "va", NULL, 0);
	scene_run(sc, 300, NULL, NULL);
	/* the interpreter joins: primary = customer (first joined), further = agent */
	party_join(sc, INTERP, "va");
	for (int r = CUST; r <= INTERP; r++)
		for (int s = CUST; s <= INTERP; s++)
			if (r != s)
				wait_sees(sc, r, s);
	struct media_slot sl[MEDIA_MAX_SLOTS];
	size_t n;
	assert_int_equal(media_leg_slots(sc->m, sc->pa[INTERP].leg, sl, MEDIA_MAX_SLOTS, &n), 0);
	assert_int_equal(n, 4);
	assert_true(sl[1].primary && sl[1].video && sl[1].src_leg == sc->pa[CUST].leg);
	assert_true(!sl[2].primary && sl[2].video && sl[2].src_leg == sc->pa[AGENT].leg);
	assert_string_equal(sl[2].mid, "2");
	/* the interpreter leaves: the customer's further video says BYE and stops */
	struct rx_stream *cx = rx_of(sc, CUST, INTERP, true);
	party_leave(sc, INTERP);
	assert_true(scene_run(sc, WAIT_MS, got_bye, cx));
	uint64_t after = cx->packets;
	scene_run(sc, 300, NULL, NULL);
	assert_int_equal(cx->packets, after);
	assert_unbroken(sc, CUST, AGENT);
	assert_unbroken(sc, AGENT, CUST);

	/* a second interpreter: the customer's further m-lines are spent (that SSRC carried
	 * the first one) until the customer renegotiates, which gives them new SSRCs */
	uint32_t old = cx->ssrc;
	party_join(sc, INTERP2, "va");
	wait_sees(sc, INTERP2, CUST);
	wait_sees(sc, INTERP2, AGENT);
	assert_int_equal(slot_ssrc(sc, sc->pa[CUST].leg, sc->pa[INTERP2].leg, true), 0);
	assert_int_equal(media_leg_slots(sc->m, sc->pa[CUST].leg, sl, MEDIA_MAX_SLOTS, &n), 0);
	assert_true(sl[2].spent && sl[2].src_leg == 0);
	party_update(sc, CUST, "va", ans, sizeof(ans));
	wait_sees(sc, CUST, INTERP2);
	assert_int_not_equal(rx_of(sc, CUST, INTERP2, true)->ssrc, old);
	assert_unbroken(sc, CUST, AGENT);
	assert_unbroken(sc, AGENT, CUST);
	assert_int_equal(sc->failed, 0);
}

/* an ICE restart in a re-offer is refused; the leg carries on as it was */
static void test_update_refuses_ice_restart(void **state)
{
	struct scene *sc = *state;
	char offer[16384], err[200] = "", *answer = NULL;
	party_join(sc, CUST, "");
	party_join(sc, AGENT, "");
	offer_with(&sc->pa[CUST], "v", offer, sizeof(offer));
	const char *ufrag = peer_ufrag(sc->pa[CUST].p);
	char *u;
	while ((u = strstr(offer, ufrag)))
		memcpy(u, "ZZZZ", 4);
	assert_int_equal(media_leg_update(sc->m, sc->pa[CUST].leg, offer, &answer, err,
					  sizeof(err)), EPROTO);
	assert_null(answer);
	assert_non_null(strstr(err, "ICE restart"));
	assert_int_equal(media_leg_update(sc->m, 999999, offer, &answer, err, sizeof(err)), ENOENT);
	wait_sees(sc, CUST, AGENT);
	assert_unbroken(sc, AGENT, CUST);
}

/* --- (b), (c), (d): the interpreter modes --- */

static void join_three(struct scene *sc, const char *extras)
{
	party_join(sc, CUST, extras);
	party_join(sc, AGENT, extras);
	party_join(sc, INTERP, extras);
}

/* the tone of party t on r's stream s, printed */
static double level(int r, struct rx_stream *s, int t, const char *what)
{
	double db = tone_db(s, tone_hz[t], RATE);
	printf("%c hears %c (%.0f Hz) on %s: %+.1f dB\n", tag[r], tag[t], tone_hz[t], what, db);
	return db;
}

/* streams to measure: r's stream from s (s < 0: r's primary audio, the mix) */
struct listen {
	int n, r[6], s[6];
};

static bool enough_audio(struct scene *sc, void *arg)
{
	const struct listen *l = arg;
	for (int i = 0; i < l->n; i++) {
		struct rx_stream *st = l->s[i] < 0 ? rx_primary(sc, l->r[i], false) :
			rx_find(&sc->pa[l->r[i]],
				slot_ssrc(sc, sc->pa[l->r[i]].leg, sc->pa[l->s[i]].leg, false));
		if (!st || st->npcm < RATE + RATE / 2)
			return false;
	}
	return true;
}

/* fresh audio: 1.5 s of each stream in l from now on */
static void collect(struct scene *sc, const struct listen *l)
{
	pcm_reset(sc);
	if (!scene_run(sc, WAIT_MS, enough_audio, (void *)l))
		fail_msg("not enough audio arrived in %d ms", WAIT_MS);
}

/* simultaneous: the customer's and agent's mixes, the interpreter's two forwarded streams */
static const struct listen every_mix = {4, {CUST, AGENT, INTERP, INTERP}, {-1, -1, CUST, AGENT}};
static const struct listen every_pair = {6, {CUST, CUST, AGENT, AGENT, INTERP, INTERP},
					 {AGENT, INTERP, CUST, INTERP, CUST, AGENT}};
static const struct listen cust_pair = {2, {CUST, CUST}, {AGENT, INTERP}};
static const struct listen cust_agent = {1, {CUST}, {AGENT}};

static void assert_near(double got, double want, double tol)
{
	if (fabs(got - want) > tol)
		fail_msg("level %.1f dB, want %.1f +- %.1f dB", got, want, tol);
}

/* customer and agent without further audio (the mix needs none), the interpreter with it (it
 * hears the second party forwarded there), as the pages offer */
static void join_three_sim(struct scene *sc)
{
	party_join(sc, CUST, "v");
	party_join(sc, AGENT, "v");
	party_join(sc, INTERP, "va");
}

/* which of leg r's audio streams media_leg_slots() calls mixed: bit k for slot k */
static unsigned mixed_slots(struct scene *sc, int r)
{
	struct media_slot sl[MEDIA_MAX_SLOTS];
	size_t n;
	unsigned bits = 0;
	assert_int_equal(media_leg_slots(sc->m, sc->pa[r].leg, sl, MEDIA_MAX_SLOTS, &n), 0);
	for (size_t k = 0; k < n; k++)
		if (sl[k].mixed)
			bits |= 1u << k;
	return bits;
}

static void test_simultaneous(void **state)
{
	struct scene *sc = *state;
	join_three_sim(sc);
	assert_int_equal(media_call_set_mode(sc->m, sc->call, MEDIA_MODE_SIMULTANEOUS,
					     sc->pa[CUST].leg, sc->pa[AGENT].leg,
					     sc->pa[INTERP].leg), 0);
	scene_run(sc, 1000, NULL, NULL);       /* the playout buffers and the ducking settle */
	collect(sc, &every_mix);
	struct media_call_stats st;
	assert_int_equal(media_call_stats(sc->m, sc->call, &st), 0);
	assert_int_equal(st.mode, MEDIA_MODE_SIMULTANEOUS);
	assert_true(st.duck_db == -14.0f);
	assert_true(st.ticks >= 50);
	for (int j = 0; j < 3; j++) {
		printf("mix source %c: %llu played, %llu lost markers, %llu discarded, delay %u ms, "
		       "%llu underruns\n", tag[j], (unsigned long long)st.src[j].played,
		       (unsigned long long)st.src[j].lost_markers,
		       (unsigned long long)st.src[j].discarded, st.src[j].delay_us / 1000,
		       (unsigned long long)st.src[j].underrun);
		assert_int_equal(st.src[j].leg_id, sc->pa[j].leg);
		assert_true(st.src[j].frames >= st.ticks / 2);
	}
	/* per tick, so that ticks a loaded machine skipped do not flatter the figure */
	double per_tick = (double)st.mix_cpu_us / (double)(st.ticks ? st.ticks : 1);
	printf("BENCH simultaneous call mix: %.0f us CPU per 20 ms tick = %.2f%% of a core "
	       "(3 decodes, %.1f encodes per tick; %llu ticks, %llu skipped, worst lateness %llu us)\n",
	       per_tick, per_tick / 200.0, (double)st.encodes / (double)(st.ticks ? st.ticks : 1),
	       (unsigned long long)st.ticks, (unsigned long long)st.ticks_skipped,
	       (unsigned long long)st.tick_late_max_us);
	assert_true(st.encodes <= 2 * st.ticks);       /* two mixes: none for the interpreter */
	const int heard[2][2] = {{INTERP, AGENT}, {INTERP, CUST}};
	for (int r = CUST; r <= AGENT; r++) {
		struct rx_stream *s = rx_primary(sc, r, false);
		assert_non_null(s);
		unsigned audio = 0;
		for (unsigned k = 0; k < sc->pa[r].nrx; k++)
			audio += sc->pa[r].rx[k].pt == PT_OPUS;
		assert_int_equal(audio, 1);                 /* one mixed stream, nothing forwarded */
		assert_int_equal(mixed_slots(sc, r), 1u);    /* slot 0: primary audio */
		assert_near(level(r, s, heard[r][0], "the mix"), 0.0, 3.0);
		assert_near(level(r, s, heard[r][1], "the mix"), -14.0, 3.0);
		assert_true(level(r, s, r, "the mix") < -30.0);   /* not its own voice */
	}
	/* the interpreter: the customer and the agent forwarded on its two audio m-lines, each at
	 * full level and alone, nothing of its own voice; no stream of its leg is the mix */
	assert_int_equal(mixed_slots(sc, INTERP), 0);
	unsigned audio = 0;
	for (unsigned k = 0; k < sc->pa[INTERP].nrx; k++)
		audio += sc->pa[INTERP].rx[k].pt == PT_OPUS;
	assert_int_equal(audio, 2);
	for (int s = CUST; s <= AGENT; s++) {
		struct rx_stream *f = rx_of(sc, INTERP, s, false);
		const int other = s == CUST ? AGENT : CUST;
		assert_near(level(INTERP, f, s, "its forwarded stream"), 0.0, 3.0);
		assert_true(level(INTERP, f, other, "its forwarded stream") < -30.0);
		assert_true(level(INTERP, f, INTERP, "its forwarded stream") < -30.0);
	}
	assert_true(rx_of(sc, INTERP, CUST, false) == rx_primary(sc, INTERP, false));
	/* the agent's uplink loses one frame in ten: its playout buffer marks each lost, with
	 * the next packet (already there), whose in-band FEC rebuilds it */
	struct media_call_stats st2;
	sc->pa[AGENT].lose_every = 10;
	scene_run(sc, 1500, NULL, NULL);
	assert_int_equal(media_call_stats(sc->m, sc->call, &st2), 0);
	uint64_t lost = st2.src[AGENT].lost_markers - st.src[AGENT].lost_markers;
	uint64_t fec = st2.src[AGENT].fec - st.src[AGENT].fec;
	printf("agent's uplink losses: %llu lost markers, %llu rebuilt from FEC, %llu by PLC\n",
	       (unsigned long long)lost, (unsigned long long)fec,
	       (unsigned long long)(st2.src[AGENT].plc - st.src[AGENT].plc));
	assert_true(lost >= 3);
	assert_true(fec >= lost / 2);
	assert_int_equal(st2.src[CUST].lost_markers, st.src[CUST].lost_markers);
}

/* The duck level as configured (media_config.duck_db, rapportd.conf's duck_db) and as changed
 * during a call (media_call_set_duck) is what the customer and the agent hear: the ducked tone
 * that far under the interpreter's, which stays at full level, in a fresh 1.5 s of the mix. */
static void assert_ducked(struct scene *sc, float duck_db)
{
	struct media_call_stats st;
	assert_int_equal(media_call_stats(sc->m, sc->call, &st), 0);
	assert_true(st.duck_db == duck_db);
	collect(sc, &every_mix);
	char what[32];
	snprintf(what, sizeof(what), "the mix at %.0f dB", (double)duck_db);
	const int ducked[2] = {AGENT, CUST};
	for (int r = CUST; r <= AGENT; r++) {
		struct rx_stream *s = rx_primary(sc, r, false);
		double key = level(r, s, INTERP, what), under = level(r, s, ducked[r], what);
		assert_near(key, 0.0, 1.5);
		assert_near(under - key, (double)duck_db, 2.0);   /* Opus: -0.1 at -8, -0.9 at -20 */
		printf("%c: ducked %+.2f dB relative (configured %+.1f)\n", tag[r], under - key,
		       (double)duck_db);
	}
	/* the interpreter: both parties forwarded, unducked whatever the duck level */
	assert_near(level(INTERP, rx_of(sc, INTERP, CUST, false), CUST, "the forwarded stream"),
		    0.0, 1.5);
	assert_near(level(INTERP, rx_of(sc, INTERP, AGENT, false), AGENT, "the forwarded stream"),
		    0.0, 1.5);
}

static void test_duck_level(void **state)
{
	struct scene *sc = *state;
	join_three_sim(sc);
	assert_int_equal(media_call_set_mode(sc->m, sc->call, MEDIA_MODE_SIMULTANEOUS,
					     sc->pa[CUST].leg, sc->pa[AGENT].leg,
					     sc->pa[INTERP].leg), 0);
	scene_run(sc, 1000, NULL, NULL);
	assert_ducked(sc, -20.0f);
	assert_int_equal(media_call_set_duck(sc->m, sc->call, -8.0f), 0);
	scene_run(sc, 600, NULL, NULL);        /* a release of 12 dB: 400 ms * 12/8 at most */
	assert_ducked(sc, -8.0f);
	assert_int_equal(media_call_set_duck(sc->m, sc->call, 3.0f), EINVAL);
	assert_int_equal(media_call_set_duck(sc->m, sc->call + 1000, -8.0f), ENOENT);
}

static void test_consecutive(void **state)
{
	struct scene *sc = *state;
	join_three(sc, "va");
	scene_run(sc, 500, NULL, NULL);
	collect(sc, &every_pair);
	for (int r = CUST; r <= INTERP; r++) {
		for (int s = CUST; s <= INTERP; s++) {
			if (r == s)
				continue;
			struct rx_stream *st = rx_of(sc, r, s, false);
			assert_non_null(st);
			char what[32];
			snprintf(what, sizeof(what), "its stream from %c", tag[s]);
			assert_near(level(r, st, s, what), 0.0, 3.0);
			for (int o = CUST; o <= INTERP; o++)
				if (o != s)
					assert_true(tone_db(st, tone_hz[o], RATE) < -30.0);
		}
	}
	struct media_call_stats st;
	assert_int_equal(media_call_stats(sc->m, sc->call, &st), 0);
	assert_int_equal(st.mode, MEDIA_MODE_CONSECUTIVE);
	assert_int_equal(st.legs, 3);
}

static void set_mode(struct scene *sc, enum media_mode mode)
{
	assert_int_equal(media_call_set_mode(sc->m, sc->call, mode, sc->pa[CUST].leg,
					     sc->pa[AGENT].leg, sc->pa[INTERP].leg), 0);
}

static void test_mode_switch(void **state)
{
	struct scene *sc = *state;
	join_three(sc, "va");
	scene_run(sc, 600, NULL, NULL);
	for (int k = 0; k < 4; k++) {
		uint64_t before[3], cycles = sc->cycles;
		for (int r = CUST; r <= INTERP; r++)
			before[r] = rx_primary(sc, r, false)->packets;
		set_mode(sc, k % 2 ? MEDIA_MODE_CONSECUTIVE : MEDIA_MODE_SIMULTANEOUS);
		scene_run(sc, 700, NULL, NULL);
		/* the primary audio went on in this phase (mixed or forwarded) */
		for (int r = CUST; r <= INTERP; r++)
			assert_true(rx_primary(sc, r, false)->packets - before[r] >=
				    (sc->cycles - cycles) / 4);
	}
	/* every audio stream runs on without a sequence gap or a step back in time */
	for (int r = CUST; r <= INTERP; r++) {
		for (int s = CUST; s <= INTERP; s++) {
			if (r == s)
				continue;
			struct rx_stream *st = rx_of(sc, r, s, false);
			printf("%c audio from %c: %llu packets, %llu markers, %llu seq gaps, "
			       "longest pause %llu ms\n", tag[r], tag[s],
			       (unsigned long long)st->packets, (unsigned long long)st->markers,
			       (unsigned long long)st->seq_gaps,
			       (unsigned long long)st->max_gap_us / 1000);
			assert_int_equal(st->seq_gaps, 0);
			assert_int_equal(st->seq_back, 0);
			assert_int_equal(st->ts_back, 0);
		}
		/* the customer's and agent's primary audio carried the mix twice: a marker on each
		 * switch; the interpreter's was forwarded throughout, the switches did not touch it */
		struct rx_stream *p = rx_primary(sc, r, false);
		printf("%c primary audio: %llu markers\n", tag[r], (unsigned long long)p->markers);
		if (r == INTERP)
			assert_true(p->markers <= 1);
		else
			assert_true(p->markers >= 5);
	}
	/* ends consecutive: everyone hears everyone again at full level */
	collect(sc, &cust_pair);
	assert_near(tone_db(rx_of(sc, CUST, AGENT, false), tone_hz[AGENT], RATE), 0.0, 3.0);
	assert_near(tone_db(rx_of(sc, CUST, INTERP, false), tone_hz[INTERP], RATE), 0.0, 3.0);
	assert_true(tone_db(rx_of(sc, CUST, AGENT, false), tone_hz[INTERP], RATE) < -30.0);
	/* the interpreter leaving in simultaneous mode returns the call to consecutive */
	set_mode(sc, MEDIA_MODE_SIMULTANEOUS);
	scene_run(sc, 300, NULL, NULL);
	party_leave(sc, INTERP);
	scene_run(sc, 300, NULL, NULL);
	struct media_call_stats st;
	assert_int_equal(media_call_stats(sc->m, sc->call, &st), 0);
	assert_int_equal(st.mode, MEDIA_MODE_CONSECUTIVE);
	assert_int_equal(st.legs, 2);
	collect(sc, &cust_agent);
	assert_near(tone_db(rx_of(sc, CUST, AGENT, false), tone_hz[AGENT], RATE), 0.0, 3.0);
	assert_int_equal(media_call_set_mode(sc->m, sc->call, MEDIA_MODE_SIMULTANEOUS,
					     sc->pa[CUST].leg, sc->pa[AGENT].leg,
					     sc->pa[INTERP].leg), ENOENT);
	assert_int_equal(media_call_set_mode(sc->m, sc->call, MEDIA_MODE_SIMULTANEOUS,
					     sc->pa[CUST].leg, sc->pa[AGENT].leg,
					     sc->pa[AGENT].leg), EINVAL);
}

/* --- test_interp --relay: the relay for a script (chromium-multiparty.mjs) ---
 *
 * One JSON request per line on stdin, one JSON reply per line on stdout:
 *   {"op":"call"}                                  -> {"call":ID}
 *   {"op":"leg","call":ID,"offer":SDP}             -> {"leg":ID,"answer":SDP}
 *   {"op":"update","leg":ID,"offer":SDP}           -> {"answer":SDP}
 *   {"op":"destroy","leg":ID}                      -> {}
 *   {"op":"mode","call":ID,"mode":"simultaneous"|"consecutive","legs":[C,A,I]} -> {}
 *   {"op":"slots","leg":ID}                        -> {"slots":[{"mid","video","src","ssrc"}]}
 * and {"error":TEXT} for what fails. */
#include <jansson.h>

static json_t *relay_leg(struct media *m, json_t *req, bool update)
{
	const char *offer = json_string_value(json_object_get(req, "offer"));
	char err[200] = "", *answer = NULL;
	uint32_t leg = (uint32_t)json_integer_value(json_object_get(req, "leg"));
	uint32_t call = (uint32_t)json_integer_value(json_object_get(req, "call"));
	int e = !offer ? EINVAL : update ? media_leg_update(m, leg, offer, &answer, err, sizeof(err))
				: media_leg_create(m, call, offer, &answer, &leg, err, sizeof(err));
	if (e)
		return json_pack("{s:s}", "error", err[0] ? err : strerror(e));
	json_t *r = json_pack("{s:i, s:s}", "leg", (json_int_t)leg, "answer", answer);
	mem_deref(answer);
	return r;
}

static json_t *relay_slots(struct media *m, uint32_t leg)
{
	struct media_slot sl[MEDIA_MAX_SLOTS];
	size_t n;
	if (media_leg_slots(m, leg, sl, MEDIA_MAX_SLOTS, &n))
		return json_pack("{s:s}", "error", "no such leg");
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:b, s:i, s:I, s:b}", "mid", sl[i].mid,
						   "video", sl[i].video, "src", (json_int_t)sl[i].src_leg,
						   "ssrc", (json_int_t)sl[i].ssrc, "spent", sl[i].spent));
	return json_pack("{s:o}", "slots", a);
}

static json_t *relay_request(struct media *m, json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	uint32_t call = (uint32_t)json_integer_value(json_object_get(req, "call"));
	uint32_t leg = (uint32_t)json_integer_value(json_object_get(req, "leg"));
	json_t *legs = json_object_get(req, "legs");
	if (!op)
		return json_pack("{s:s}", "error", "no op");
	if (!strcmp(op, "call"))
		return media_call_create(m, &call) ? json_pack("{s:s}", "error", "call") :
		       json_pack("{s:i}", "call", (json_int_t)call);
	if (!strcmp(op, "leg") || !strcmp(op, "update"))
		return relay_leg(m, req, !strcmp(op, "update"));
	if (!strcmp(op, "destroy"))
		return media_leg_destroy(m, leg) ? json_pack("{s:s}", "error", "destroy") : json_object();
	if (!strcmp(op, "slots"))
		return relay_slots(m, leg);
	if (!strcmp(op, "mode")) {
		const char *mode = json_string_value(json_object_get(req, "mode"));
		bool sim = mode && !strcmp(mode, "simultaneous");
		int e = media_call_set_mode(m, call, sim ? MEDIA_MODE_SIMULTANEOUS :
					    MEDIA_MODE_CONSECUTIVE,
					    (uint32_t)json_integer_value(json_array_get(legs, 0)),
					    (uint32_t)json_integer_value(json_array_get(legs, 1)),
					    (uint32_t)json_integer_value(json_array_get(legs, 2)));
		return e ? json_pack("{s:s}", "error", strerror(e)) : json_object();
	}
	return json_pack("{s:s}", "error", "unknown op");
}

static int relay_serve(void)
{
	struct media *m;
	struct media_config cfg = {.bind_ip = "127.0.0.1", .public_ip = "127.0.0.1",
				   .port_min = 45000, .port_max = 45999, .workers = 2};
	static char line[1 << 20];
	if (media_start(&m, &cfg, NULL, NULL))
		return 1;
	while (fgets(line, sizeof(line), stdin)) {
		json_error_t jerr;
		json_t *req = json_loads(line, 0, &jerr);
		json_t *rep = req ? relay_request(m, req) : json_pack("{s:s}", "error", jerr.text);
		char *out = json_dumps(rep, JSON_COMPACT);
		printf("%s\n", out ? out : "{}");
		fflush(stdout);
		free(out);
		json_decref(rep);
		json_decref(req);
	}
	media_stop(m);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_and_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_refuses_ice_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duck_level, setup_duck20, teardown),
		cmocka_unit_test_setup_teardown(test_consecutive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_switch, setup, teardown),
	};
	if (argc == 2 && !strcmp(argv[1], "--relay"))
		return relay_serve();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

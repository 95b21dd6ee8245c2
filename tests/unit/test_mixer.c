/* mixer: simultaneous-interpretation mixes of real Opus streams (sine tones encoded by libopus).
 *
 * Each source is a tone of its own frequency (500, 800, 1250 Hz: whole cycles in a 20 ms frame,
 * so Goertzel filters over whole frames separate them exactly). A reference decoder per source
 * decodes the same packets the mixer gets (libopus decoding is deterministic), so a source's
 * contribution to a mix is measured against exactly what it was at 0 dB. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <opus/opus.h>

#include "base/mem.h"
#include "media/mixer.h"

#define FRAME MIXER_FRAME
#define TWO_PI 6.283185307179586
#define MAX_TICKS 300
#define CUSTOMER 0
#define AGENT 1
#define INTERP 2

struct tone {
	OpusEncoder *enc;
	OpusDecoder *ref;                 /* decodes what the mixer decodes */
	double hz, amp, ph;
	int16_t pcm[MAX_TICKS * FRAME];   /* reference decode, silence where not fed */
};

static struct tone tones[MIXER_MAX_SRC];
static int16_t outpcm[MIXER_MAX_OUT][MAX_TICKS * FRAME];

static void tone_init(struct tone *t, double hz, double amp, int app, int bitrate)
{
	int err;
	memset(t, 0, sizeof(*t));
	t->enc = opus_encoder_create(48000, 1, app, &err);
	assert_non_null(t->enc);
	opus_encoder_ctl(t->enc, OPUS_SET_BITRATE(bitrate));
	opus_encoder_ctl(t->enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(t->enc, OPUS_SET_PACKET_LOSS_PERC(20));
	t->ref = opus_decoder_create(48000, 1, &err);
	assert_non_null(t->ref);
	t->hz = hz;
	t->amp = amp;
}

static void tone_free(struct tone *t)
{
	opus_encoder_destroy(t->enc);
	opus_decoder_destroy(t->ref);
}

/* encode the next n samples of the tone */
static int tone_packet(struct tone *t, uint8_t *pkt, int n)
{
	int16_t pcm[5760];
	for (int k = 0; k < n; k++) {
		pcm[k] = (int16_t)lrint(t->amp * sin(t->ph));
		t->ph += TWO_PI * t->hz / 48000.0;
	}
	int len = opus_encode(t->enc, pcm, n, pkt, 1500);
	assert_true(len > 0);
	return len;
}

/* the tone's next 20 ms packet, given to the mixer and decoded for reference at tick */
static void tone_feed(struct tone *t, struct mixer *mx, unsigned src, int tick)
{
	uint8_t pkt[1500];
	int len = tone_packet(t, pkt, FRAME);
	assert_int_equal(mixer_put(mx, src, pkt, (size_t)len), 0);
	assert_int_equal(opus_decode(t->ref, pkt, len, t->pcm + tick * FRAME, FRAME, 0), FRAME);
}

/* amplitude of hz in n samples (n a whole number of its cycles) */
static double goertzel(const int16_t *x, size_t n, double hz)
{
	double c = 2.0 * cos(TWO_PI * hz / 48000.0), s1 = 0, s2 = 0;
	for (size_t k = 0; k < n; k++) {
		double s = x[k] + c * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	double p = s1 * s1 + s2 * s2 - c * s1 * s2;
	return 2.0 * sqrt(p > 0 ? p : 0) / (double)n;
}

/* level of a tone in a mix relative to its source at 0 dB, ticks [from, to) */
static double rel_db(const int16_t *mix, const struct tone *t, int from, int to)
{
	size_t off = (size_t)from * FRAME, n = (size_t)(to - from) * FRAME;
	return 20.0 * log10(goertzel(mix + off, n, t->hz) / goertzel(t->pcm + off, n, t->hz));
}

static struct mixer *mixer_new(unsigned nsrc, unsigned nout)
{
	struct mixer_config cfg;
	struct mixer *mx = NULL;
	mixer_config_default(&cfg, nsrc);
	cfg.nout = nout;
	assert_int_equal(mixer_alloc(&mx, &cfg), 0);
	return mx;
}

static void tick(struct mixer *mx, int t, unsigned nout)
{
	const uint8_t *out[MIXER_MAX_OUT];
	size_t lens[MIXER_MAX_OUT];
	assert_int_equal(mixer_tick(mx, out, lens), 0);
	for (unsigned i = 0; i < nout; i++) {
		assert_non_null(out[i]);
		assert_true(lens[i] > 0 && lens[i] <= MIXER_MAX_PAYLOAD);
		memcpy(outpcm[i] + t * FRAME, mixer_pcm(mx, i), FRAME * sizeof(int16_t));
	}
}

static void interp_tones(void)
{
	tone_init(&tones[CUSTOMER], 500, 8000, OPUS_APPLICATION_AUDIO, 64000);
	tone_init(&tones[AGENT], 800, 8000, OPUS_APPLICATION_AUDIO, 64000);
	tone_init(&tones[INTERP], 1250, 8000, OPUS_APPLICATION_AUDIO, 64000);
}

/* Customer and agent talk throughout; the interpreter from tick 50. Listeners' decoders check
 * the levels end to end, after the mix went through the Opus encoder. */
static void test_levels(void **state)
{
	(void)state;
	struct mixer *mx = mixer_new(3, 3);
	OpusDecoder *listener[3];
	static int16_t heard[3][MAX_TICKS * FRAME];
	int err;

	interp_tones();
	assert_int_equal(mixer_set_interpretation(mx, CUSTOMER, AGENT, INTERP), 0);
	for (unsigned i = 0; i < 3; i++)
		listener[i] = opus_decoder_create(48000, 1, &err);
	for (int t = 0; t < 100; t++) {
		const uint8_t *out[MIXER_MAX_OUT];
		size_t lens[MIXER_MAX_OUT];
		tone_feed(&tones[CUSTOMER], mx, CUSTOMER, t);
		tone_feed(&tones[AGENT], mx, AGENT, t);
		if (t >= 50)
			tone_feed(&tones[INTERP], mx, INTERP, t);
		assert_int_equal(mixer_tick(mx, out, lens), 0);
		for (unsigned i = 0; i < 3; i++) {
			memcpy(outpcm[i] + t * FRAME, mixer_pcm(mx, i), sizeof(int16_t) * FRAME);
			assert_int_equal(opus_decode(listener[i], out[i], (opus_int32)lens[i],
						     heard[i] + t * FRAME, FRAME, 0), FRAME);
		}
	}
	/* before the interpreter: the original at 0 dB */
	assert_float_equal(rel_db(outpcm[CUSTOMER], &tones[AGENT], 20, 50), 0.0, 0.05);
	assert_float_equal(rel_db(outpcm[AGENT], &tones[CUSTOMER], 20, 50), 0.0, 0.05);
	/* settled under the interpreter: the original at -14 dB, the interpreter at 0 dB */
	double cust_agent = rel_db(outpcm[CUSTOMER], &tones[AGENT], 60, 100);
	double cust_interp = rel_db(outpcm[CUSTOMER], &tones[INTERP], 60, 100);
	double agent_cust = rel_db(outpcm[AGENT], &tones[CUSTOMER], 60, 100);
	double agent_interp = rel_db(outpcm[AGENT], &tones[INTERP], 60, 100);
	assert_float_equal(cust_agent, -14.0, 1.0);
	assert_float_equal(cust_interp, 0.0, 1.0);
	assert_float_equal(agent_cust, -14.0, 1.0);
	assert_float_equal(agent_interp, 0.0, 1.0);
	/* the interpreter hears both at full level and not itself */
	assert_float_equal(rel_db(outpcm[INTERP], &tones[CUSTOMER], 60, 100), 0.0, 0.05);
	assert_float_equal(rel_db(outpcm[INTERP], &tones[AGENT], 60, 100), 0.0, 0.05);
	assert_true(rel_db(outpcm[INTERP], &tones[INTERP], 60, 100) < -60.0);
	/* the same after Opus at 32 kbit/s: the ducked tone relative to its own unducked level */
	double e2e_duck = 20 * log10(goertzel(heard[CUSTOMER] + 60 * FRAME, 40 * FRAME, 800) /
				     goertzel(heard[CUSTOMER] + 10 * FRAME, 40 * FRAME, 800));
	double e2e_key = 20 * log10(goertzel(heard[CUSTOMER] + 60 * FRAME, 40 * FRAME, 1250) /
				    goertzel(tones[INTERP].pcm + 60 * FRAME, 40 * FRAME, 1250));
	assert_float_equal(e2e_duck, -14.0, 1.0);
	assert_float_equal(e2e_key, 0.0, 1.0);
	printf("# customer hears agent %.2f dB, interpreter %.2f dB; agent hears customer %.2f dB, "
	       "interpreter %.2f dB; after Opus: ducked %.2f dB, key %.2f dB\n",
	       cust_agent, cust_interp, agent_cust, agent_interp, e2e_duck, e2e_key);
	for (unsigned i = 0; i < 3; i++) {
		opus_decoder_destroy(listener[i]);
		tone_free(&tones[i]);
	}
	mem_deref(mx);
}

/* per-tick level of the agent's tone in the customer's mix, in dB re its own level */
static double tick_db(int t)
{
	return rel_db(outpcm[CUSTOMER], &tones[AGENT], t, t + 1);
}

/* Interpreter 1 s, pause 300 ms, 1 s, pause 2 s: the agent stays ducked through the short
 * pause (no burst of the original) and comes back gradually after the long one. */
static void test_pause_no_burst(void **state)
{
	(void)state;
	struct mixer *mx = mixer_new(3, 3);
	const int on1 = 10, off1 = 60, on2 = 75, off2 = 125, end = 250;

	interp_tones();
	assert_int_equal(mixer_set_interpretation(mx, CUSTOMER, AGENT, INTERP), 0);
	for (int t = 0; t < end; t++) {
		tone_feed(&tones[CUSTOMER], mx, CUSTOMER, t);
		tone_feed(&tones[AGENT], mx, AGENT, t);
		if ((t >= on1 && t < off1) || (t >= on2 && t < off2))
			tone_feed(&tones[INTERP], mx, INTERP, t);
		tick(mx, t, 3);
	}
	assert_float_equal(tick_db(on1 - 1), 0.0, 0.05);
	for (int t = on1 + 3; t < off2 + 30; t++)     /* through the 300 ms pause and the hold */
		assert_float_equal(tick_db(t), -14.0, 0.05);
	double prev = tick_db(off2 + 29), worst = 0;
	int back = -1;
	for (int t = off2 + 30; t < end; t++) {
		double db = tick_db(t);
		assert_true(db >= prev - 0.01);     /* monotonic */
		if (db - prev > worst)
			worst = db - prev;
		if (back < 0 && db > -0.05)
			back = t;
		prev = db;
	}
	assert_true(worst <= 1.0);
	assert_true(back > 0 && (back - off2) * 20 >= 950 && (back - off2) * 20 <= 1050);
	printf("# after the interpreter stops: ducked for 600 ms, then up by at most %.2f dB per "
	       "20 ms, at 0 dB %d ms after; 300 ms pause: held at -14 dB\n", worst,
	       (back - off2) * 20);
	for (unsigned i = 0; i < 3; i++)
		tone_free(&tones[i]);
	mem_deref(mx);
}

/* Two full-scale tones in phase sum to twice full scale: the mix clips, it never wraps. */
static void test_saturation(void **state)
{
	(void)state;
	struct mixer *mx = mixer_new(2, 3);   /* output 2 listens to both */
	int clipped = 0;

	tone_init(&tones[0], 1000, 32767, OPUS_APPLICATION_AUDIO, 128000);
	tone_init(&tones[1], 1000, 32767, OPUS_APPLICATION_AUDIO, 128000);
	for (int t = 0; t < 25; t++) {
		tone_feed(&tones[0], mx, 0, t);
		tone_feed(&tones[1], mx, 1, t);
		tick(mx, t, 3);
	}
	for (size_t k = 0; k < 25 * FRAME; k++) {
		int32_t sum = tones[0].pcm[k] + tones[1].pcm[k];
		int32_t want = sum > INT16_MAX ? INT16_MAX : sum < INT16_MIN ? INT16_MIN : sum;
		assert_int_equal(outpcm[2][k], want);
		assert_int_equal(outpcm[0][k], tones[1].pcm[k]);   /* output 0 hears source 1 only */
		clipped += sum != want;
	}
	printf("# %d of %d samples clipped, none wrapped\n", clipped, 25 * FRAME);
	assert_true(clipped > 25 * FRAME / 3);
	tone_free(&tones[0]);
	tone_free(&tones[1]);
	mem_deref(mx);
}

static double rms_dbfs(const int16_t *x, size_t n)
{
	double s = 0;
	for (size_t k = 0; k < n; k++)
		s += (double)x[k] * x[k];
	return 10 * log10(s / (double)n / (32768.0 * 32768.0) + 1e-20);
}

static double err_energy(const int16_t *a, const int16_t *b, size_t n)
{
	double s = 0;
	for (size_t k = 0; k < n; k++)
		s += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
	return s;
}

/* A voiced, speech-like signal: 20 harmonics of a gliding 140 Hz pitch, syllables at 5 Hz.
 * (SILK codes in-band FEC only for frames its own VAD takes for speech, so not for a steady
 * tone.) */
static void voice(int16_t *pcm, size_t n, long *smp, double ph[21])
{
	for (size_t k = 0; k < n; k++, (*smp)++) {
		double t = (double)*smp / 48000.0, s = 0;
		double f0 = 140 + 20 * sin(TWO_PI * 0.7 * t);
		double env = 0.25 + 0.75 * pow(sin(TWO_PI * 2.5 * t), 2);
		for (int h = 1; h <= 20; h++) {
			ph[h] += TWO_PI * f0 * h / 48000.0;
			if (f0 * h < 4000)
				s += sin(ph[h]) / h;
		}
		pcm[k] = (int16_t)lrint(6000 * env * s);
	}
}

static bool pcm_equal(const int16_t *a, const int16_t *b)
{
	return !memcmp(a, b, FRAME * sizeof(int16_t));
}

/* Lost frames are concealed: PLC, or the next packet's in-band FEC when the caller has it.
 * Output 1 hears source 0 at unity, so its mix must equal, sample for sample, what a
 * reference decoder does with the same losses. */
static void test_loss(void **state)
{
	(void)state;
	enum { N = 90 };
	struct mixer *mx = mixer_new(2, 2);
	struct mixer_stats st;
	static uint8_t pkt[N][1500];
	static int16_t orig[N][FRAME];
	int len[N], err, fec_tick = -1;
	long smp = 0;
	double ph[21] = {0}, normal = -120;
	int16_t ref_pcm[FRAME], try_pcm[FRAME], clean_pcm[FRAME];
	static const uint8_t bad[] = {0x03, 0x00};   /* code 3 with zero frames (RFC 6716 §3.2.5) */
	OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	OpusDecoder *ref = opus_decoder_create(48000, 1, &err), *clean = opus_decoder_create(48000, 1, &err);
	size_t dsz = (size_t)opus_decoder_get_size(1);
	OpusDecoder *fec_try = malloc(dsz), *plc_try = malloc(dsz);

	opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(20));
	for (int t = 0; t < N; t++) {
		voice(orig[t], FRAME, &smp, ph);
		len[t] = opus_encode(enc, orig[t], FRAME, pkt[t], 1500);
	}
	for (int t = 0; t < N - 1; t++) {
		assert_int_equal(opus_decode(clean, pkt[t], len[t], clean_pcm, FRAME, 0), FRAME);
		/* the first frame from 50 on whose loss the next packet's FEC repairs better than PLC */
		memcpy(fec_try, ref, dsz);   /* libopus states are position-independent */
		memcpy(plc_try, ref, dsz);
		assert_int_equal(opus_decode(fec_try, pkt[t + 1], len[t + 1], try_pcm, FRAME, 1), FRAME);
		assert_int_equal(opus_decode(plc_try, NULL, 0, ref_pcm, FRAME, 0), FRAME);
		if (t >= 40 && t < 43) {
			assert_int_equal(mixer_put_missing(mx, 0), 0);
			memcpy(ref, plc_try, dsz);
		} else if (t >= 50 && fec_tick < 0 && !pcm_equal(try_pcm, ref_pcm)) {
			assert_int_equal(mixer_put_fec(mx, 0, pkt[t + 1], (size_t)len[t + 1]), 0);
			memcpy(ref, fec_try, dsz);
			printf("# frame %d lost: error energy vs. a lossless decode, FEC %.3g, PLC %.3g\n",
			       t, err_energy(try_pcm, clean_pcm, FRAME), err_energy(ref_pcm, clean_pcm, FRAME));
			assert_true(err_energy(try_pcm, clean_pcm, FRAME) < err_energy(ref_pcm, clean_pcm, FRAME));
			memcpy(ref_pcm, try_pcm, sizeof(ref_pcm));
			fec_tick = t;
		} else if (t == 80) {
			assert_int_equal(mixer_put(mx, 0, bad, sizeof(bad)), 0);
			memcpy(ref, plc_try, dsz);
		} else {
			assert_int_equal(mixer_put(mx, 0, pkt[t], (size_t)len[t]), 0);
			assert_int_equal(opus_decode(ref, pkt[t], len[t], ref_pcm, FRAME, 0), FRAME);
		}
		tick(mx, t, 2);
		assert_true(pcm_equal(outpcm[1] + t * FRAME, ref_pcm));
		if (t == 39)
			normal = rms_dbfs(ref_pcm, FRAME);
		if (t >= 40 && t < 43)   /* concealment goes on with the voice, fading */
			assert_true(rms_dbfs(ref_pcm, FRAME) > normal - 15.0);
	}
	assert_true(fec_tick >= 50);
	mixer_get_stats(mx, &st);
	assert_int_equal(st.src[0].plc, 4);          /* 3 lost + the bad payload */
	assert_int_equal(st.src[0].fec, 1);
	assert_int_equal(st.src[0].bad, 1);
	assert_int_equal(st.src[0].frames, N - 1 - 3 - 1 - 1);
	assert_int_equal(st.src[0].underrun, 0);
	/* the source that was never fed is silence, and its listener hears nothing */
	assert_int_equal(st.src[1].frames + st.src[1].plc, 0);
	assert_true(rms_dbfs(outpcm[0], (N - 1) * FRAME) < -100.0);
	free(fec_try);
	free(plc_try);
	opus_decoder_destroy(ref);
	opus_decoder_destroy(clean);
	opus_encoder_destroy(enc);
	mem_deref(mx);
}

/* 10 ms and 60 ms packets, stereo packets, and a caller that puts more than the FIFO holds. */
static void test_packet_durations(void **state)
{
	(void)state;
	struct mixer *mx = mixer_new(2, 2);
	struct mixer_stats st;
	uint8_t pkt[1500];
	int n, err;

	tone_init(&tones[0], 500, 8000, OPUS_APPLICATION_AUDIO, 64000);
	for (int t = 0; t < 30; t++) {
		if (t < 10) {                 /* two 10 ms packets per tick */
			for (int h = 0; h < 2; h++) {
				n = tone_packet(&tones[0], pkt, FRAME / 2);
				assert_int_equal(mixer_put(mx, 0, pkt, (size_t)n), 0);
			}
		} else if (t % 3 == 1) {      /* one 60 ms packet every third tick */
			n = tone_packet(&tones[0], pkt, 3 * FRAME);
			assert_int_equal(mixer_put(mx, 0, pkt, (size_t)n), 0);
		}
		tick(mx, t, 2);
		assert_true(rms_dbfs(outpcm[1] + t * FRAME, FRAME) > -20.0);
	}
	mixer_get_stats(mx, &st);
	assert_int_equal(st.src[0].underrun, 0);
	/* a 60 ms loss is concealed for 60 ms */
	assert_int_equal(mixer_put_missing(mx, 0), 0);
	for (int t = 30; t < 33; t++)
		tick(mx, t, 2);
	mixer_get_stats(mx, &st);
	assert_int_equal(st.src[0].underrun, 0);
	tick(mx, 33, 2);   /* the last 20 ms of the 60 ms packet still in the FIFO */

	/* the FIFO holds 120 ms: six 20 ms packets, the seventh is refused */
	for (int k = 0; k < 6; k++) {
		n = tone_packet(&tones[0], pkt, FRAME);
		assert_int_equal(mixer_put(mx, 0, pkt, (size_t)n), 0);
	}
	n = tone_packet(&tones[0], pkt, FRAME);
	assert_int_equal(mixer_put(mx, 0, pkt, (size_t)n), ENOSPC);
	assert_int_equal(mixer_put_missing(mx, 0), ENOSPC);
	mixer_get_stats(mx, &st);
	assert_int_equal(st.src[0].overflow, 2);
	for (int t = 0; t < 6; t++)
		tick(mx, t, 2);

	/* a browser sending stereo: the mono decoder downmixes */
	OpusEncoder *st_enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_AUDIO, &err);
	int16_t stereo[2 * FRAME];
	for (int k = 0; k < FRAME; k++)
		stereo[2 * k] = stereo[2 * k + 1] = (int16_t)lrint(8000 * sin(TWO_PI * 500 * k / 48000.0));
	for (int t = 0; t < 5; t++) {
		n = opus_encode(st_enc, stereo, FRAME, pkt, sizeof(pkt));
		assert_int_equal(mixer_put(mx, 0, pkt, (size_t)n), 0);
		tick(mx, t, 2);
	}
	assert_true(rms_dbfs(outpcm[1] + 4 * FRAME, FRAME) > -20.0);
	opus_encoder_destroy(st_enc);
	/* bad arguments */
	assert_int_equal(mixer_put(mx, 2, pkt, (size_t)n), EINVAL);
	assert_int_equal(mixer_put(mx, 0, NULL, 10), EINVAL);
	assert_int_equal(mixer_put_fec(mx, 0, NULL, 10), EINVAL);
	assert_int_equal(mixer_put_missing(mx, 7), EINVAL);
	tone_free(&tones[0]);
	mem_deref(mx);
}

/* Outputs whose rules are equal share one mix and one encode per tick. */
static void test_distinct_mixes(void **state)
{
	(void)state;
	struct mixer *mx = mixer_new(3, 5);   /* customer, agent, interpreter + 2 listen-only */
	struct mixer_stats st;
	const uint8_t *out[MIXER_MAX_OUT];
	size_t lens[MIXER_MAX_OUT];
	OpusDecoder *rec;
	int16_t pcm[FRAME];
	int err;

	interp_tones();
	rec = opus_decoder_create(48000, 1, &err);
	assert_int_equal(mixer_set_interpretation(mx, CUSTOMER, AGENT, INTERP), 0);
	mixer_get_stats(mx, &st);
	assert_int_equal(st.groups, 4);
	for (int t = 0; t < 150; t++) {
		for (unsigned j = 0; j < 3; j++)
			tone_feed(&tones[j], mx, j, t);
		if (t == 50) {          /* the recorder (4) now hears the customer only: splits */
			struct mixer_rule r = {.key = -1, .gain = {1.0f}};
			assert_int_equal(mixer_set_rule(mx, 4, &r), 0);
		} else if (t == 100) {  /* and back: merges */
			struct mixer_rule r = {.key = -1, .gain = {1.0f, 1.0f, 1.0f}};
			assert_int_equal(mixer_set_rule(mx, 4, &r), 0);
		}
		assert_int_equal(mixer_tick(mx, out, lens), 0);
		assert_int_equal(opus_decode(rec, out[4], (opus_int32)lens[4], pcm, FRAME, 0), FRAME);
		if (t >= 50 && t < 100) {
			assert_true(out[4] != out[3]);
			if (t > 51)   /* the agent's tone is gone from the recorder's stream */
				assert_true(goertzel(pcm, FRAME, 800) < goertzel(pcm, FRAME, 500) / 100);
		} else {
			assert_ptr_equal(out[4], out[3]);
			assert_int_equal(lens[4], lens[3]);
		}
		for (unsigned i = 0; i < 3; i++)
			assert_true(out[i] != out[3] && (i == 0 || out[i] != out[i - 1]));
	}
	mixer_get_stats(mx, &st);
	assert_int_equal(st.groups, 4);
	assert_int_equal(st.encodes, 100 * 4 + 50 * 5);
	printf("# 5 outputs, 4 distinct mixes: %llu encodes in 150 ticks (50 ticks with 5)\n",
	       (unsigned long long)st.encodes);

	/* conference of two with two listen-only outputs: 3 distinct mixes */
	struct mixer *mx2 = mixer_new(2, 4);
	mixer_get_stats(mx2, &st);
	assert_int_equal(st.groups, 3);
	assert_int_equal(mixer_tick(mx2, out, lens), 0);
	assert_ptr_equal(out[2], out[3]);
	mixer_get_stats(mx2, &st);
	assert_int_equal(st.encodes, 3);
	mem_deref(mx2);
	opus_decoder_destroy(rec);
	for (unsigned i = 0; i < 3; i++)
		tone_free(&tones[i]);
	mem_deref(mx);
}

/* Simultaneous mode with the interpreter as a source only (nout 2, cmix.c's configuration): the
 * customer's and agent's mixes are those of the three-output mixer, byte for byte, with two
 * encodes per tick instead of three. */
static void test_interp_source_only(void **state)
{
	(void)state;
	struct mixer *full = mixer_new(3, 3), *two = mixer_new(3, 2);
	struct mixer_stats st;

	interp_tones();
	assert_int_equal(mixer_set_interpretation(two, CUSTOMER, AGENT, INTERP), 0);
	assert_int_equal(mixer_set_interpretation(full, CUSTOMER, AGENT, INTERP), 0);
	assert_int_equal(mixer_set_interpretation(two, CUSTOMER, INTERP, AGENT), EINVAL);
	assert_int_equal(mixer_set_interpretation(two, INTERP, AGENT, CUSTOMER), EINVAL);
	mixer_get_stats(two, &st);
	assert_int_equal(st.groups, 2);
	for (int t = 0; t < 100; t++) {
		const uint8_t *o3[MIXER_MAX_OUT], *o2[MIXER_MAX_OUT];
		size_t l3[MIXER_MAX_OUT], l2[MIXER_MAX_OUT];
		for (unsigned j = 0; j < 3; j++) {
			uint8_t pkt[1500];
			int len;
			if (j == INTERP && t < 50)
				continue;
			len = tone_packet(&tones[j], pkt, FRAME);
			assert_int_equal(mixer_put(full, j, pkt, (size_t)len), 0);
			assert_int_equal(mixer_put(two, j, pkt, (size_t)len), 0);
		}
		assert_int_equal(mixer_tick(full, o3, l3), 0);
		assert_int_equal(mixer_tick(two, o2, l2), 0);
		for (unsigned i = 0; i < 2; i++) {
			assert_true(l2[i] > 0);
			assert_int_equal(l2[i], l3[i]);
			assert_memory_equal(o2[i], o3[i], l2[i]);
			assert_memory_equal(mixer_pcm(two, i), mixer_pcm(full, i),
					    FRAME * sizeof(int16_t));
		}
		assert_true(o2[0] != o2[1]);
	}
	assert_null(mixer_pcm(two, INTERP));
	mixer_get_stats(two, &st);
	assert_int_equal(st.ticks, 100);
	assert_int_equal(st.encodes, 200);
	assert_int_equal(st.src[INTERP].frames, 50);
	mixer_get_stats(full, &st);
	assert_int_equal(st.encodes, 300);
	printf("# interpreter as a source only: the same two mixes, 200 encodes in 100 ticks "
	       "(300 with its own mix)\n");
	for (unsigned i = 0; i < 3; i++)
		tone_free(&tones[i]);
	mem_deref(two);
	mem_deref(full);
}

static void test_rules(void **state)
{
	(void)state;
	struct mixer *mx = mixer_new(3, 4);
	struct mixer_rule r = {.key = -1, .gain = {0, 1.0f, 1.0f}};
	struct mixer_config cfg;
	struct mixer *bad = NULL;

	assert_int_equal(mixer_set_rule(mx, 0, &r), 0);
	r.gain[0] = 1.0f;                               /* its own voice */
	assert_int_equal(mixer_set_rule(mx, 0, &r), EINVAL);
	assert_int_equal(mixer_set_rule(mx, 3, &r), 0);  /* listen-only may hear everyone */
	r.gain[0] = NAN;
	assert_int_equal(mixer_set_rule(mx, 3, &r), EINVAL);
	r.gain[0] = 5.0f;
	assert_int_equal(mixer_set_rule(mx, 3, &r), EINVAL);
	r = (struct mixer_rule){.key = 1, .ducked = 1u << 1, .gain = {0, 1, 1}};  /* key ducks itself */
	assert_int_equal(mixer_set_rule(mx, 0, &r), EINVAL);
	r = (struct mixer_rule){.key = -1, .ducked = 1u << 1, .gain = {0, 1, 1}};
	assert_int_equal(mixer_set_rule(mx, 0, &r), EINVAL);
	r = (struct mixer_rule){.key = 3, .ducked = 1u << 1, .gain = {0, 1, 1}};  /* no source 3 */
	assert_int_equal(mixer_set_rule(mx, 0, &r), EINVAL);
	r = (struct mixer_rule){.key = -1, .gain = {0, 0, 0, 1}};
	assert_int_equal(mixer_set_rule(mx, 0, &r), EINVAL);
	assert_int_equal(mixer_set_rule(mx, 4, &r), EINVAL);
	assert_int_equal(mixer_set_interpretation(mx, 0, 0, 2), EINVAL);
	assert_int_equal(mixer_set_interpretation(mx, 0, 1, 3), EINVAL);
	assert_int_equal(mixer_set_loss(mx, 0, 101), EINVAL);
	assert_int_equal(mixer_set_loss(mx, 1, 20), 0);
	assert_int_equal(mixer_set_interpretation(mx, 2, 0, 1), 0);
	assert_int_equal(mixer_get_rule(mx, 2, &r), 0);
	assert_int_equal(r.key, 1);
	assert_int_equal(r.ducked, 1u << 0);
	assert_true(r.gain[0] == 1.0f && r.gain[1] == 1.0f && r.gain[2] == 0.0f);
	mem_deref(mx);

	mixer_config_default(&cfg, 5);
	assert_int_equal(mixer_alloc(&bad, &cfg), EINVAL);
	mixer_config_default(&cfg, 3);
	cfg.duck.sample_rate = 16000;
	assert_int_equal(mixer_alloc(&bad, &cfg), EINVAL);
	mixer_config_default(&cfg, 3);
	cfg.nout = 0;
	assert_int_equal(mixer_alloc(&bad, &cfg), EINVAL);
	assert_null(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_pause_no_burst),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_packet_durations),
		cmocka_unit_test(test_distinct_mixes),
		cmocka_unit_test(test_interp_source_only),
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

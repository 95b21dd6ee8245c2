/* bench_mixer: CPU cost of one call's simultaneous-interpretation mix (media/mixer.h).
 *
 * Three speech-like sources (customer, agent, interpreter; harmonic voices with syllables and
 * the interpreter talking in phrases, so the ducking envelope works), encoded beforehand as a
 * browser sends them (Opus VoIP 32 kbit/s, in-band FEC), are fed to a mixer in simultaneous
 * mode for N seconds of audio as fast as possible, in two configurations measured in the same
 * run (interleaved rounds):
 * - two outputs (cmix.c's: the interpreter is a source only and hears the customer and the
 *   agent forwarded, unmixed): decode 3, mix 2, encode 2 per tick;
 * - three outputs (before: the interpreter got a mix of its own): decode 3, mix 3, encode 3.
 * The figure is CPU time per 20 ms tick as a share of one core, once without loss and once with
 * random loss concealed by FEC (next packet present) or PLC.
 *
 * usage: bench_mixer [-s seconds] [-c complexity] [-l loss%] [-r rounds] */
#include <errno.h>
#include <math.h>
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "media/mixer.h"

#define NSRC 3
#define TWO_PI 6.283185307179586

struct voice {
	double f0, rate, ph[21];
	long smp;
	OpusEncoder *enc;
};

struct stream {
	uint8_t (*pkt)[400];
	int *len;
	bool *lost;
};

static void voice_pcm(struct voice *v, int16_t *pcm, bool talking)
{
	for (int k = 0; k < MIXER_FRAME; k++, v->smp++) {
		double t = (double)v->smp / MIXER_RATE, s = 0;
		double f0 = v->f0 * (1 + 0.12 * sin(TWO_PI * 0.7 * t));
		double env = 0.2 + 0.8 * pow(sin(TWO_PI * v->rate * t), 2);
		for (int h = 1; h <= 20; h++) {
			v->ph[h] += TWO_PI * f0 * h / MIXER_RATE;
			if (f0 * h < 5000)
				s += sin(v->ph[h]) / h;
		}
		pcm[k] = talking ? (int16_t)lrint(6000 * env * s) : 0;
	}
}

/* encode `ticks` frames of source j; the interpreter talks 3 s, pauses 0.8 s */
static int stream_make(struct stream *st, int j, int ticks, int loss)
{
	static const double f0[NSRC] = {140, 110, 190}, rate[NSRC] = {2.5, 2.1, 2.8};
	struct voice v = {.f0 = f0[j], .rate = rate[j]};
	int16_t pcm[MIXER_FRAME];
	int err;

	st->pkt = calloc((size_t)ticks, sizeof(*st->pkt));
	st->len = calloc((size_t)ticks, sizeof(*st->len));
	st->lost = calloc((size_t)ticks, sizeof(*st->lost));
	v.enc = opus_encoder_create(MIXER_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!st->pkt || !st->len || !st->lost || !v.enc)
		return ENOMEM;
	opus_encoder_ctl(v.enc, OPUS_SET_BITRATE(32000));
	opus_encoder_ctl(v.enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(v.enc, OPUS_SET_PACKET_LOSS_PERC(10));
	for (int t = 0; t < ticks; t++) {
		voice_pcm(&v, pcm, j != 2 || t % 190 < 150);
		st->len[t] = opus_encode(v.enc, pcm, MIXER_FRAME, st->pkt[t], sizeof(st->pkt[t]));
		st->lost[t] = loss > 0 && rand() % 100 < loss;
		if (st->len[t] < 0)
			return EIO;
	}
	opus_encoder_destroy(v.enc);
	return 0;
}

static void stream_free(struct stream *st)
{
	free(st->pkt);
	free(st->len);
	free(st->lost);
}

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void feed(struct mixer *mx, const struct stream *st, int j, int t, int ticks)
{
	if (!st->lost[t])
		mixer_put(mx, (unsigned)j, st->pkt[t], (size_t)st->len[t]);
	else if (t + 1 < ticks && !st->lost[t + 1])
		mixer_put_fec(mx, (unsigned)j, st->pkt[t + 1], (size_t)st->len[t + 1]);
	else
		mixer_put_missing(mx, (unsigned)j);
}

/* µs of CPU per tick for the whole mix, and bytes sent per output */
static int run(const struct stream *st, int ticks, int complexity, unsigned nout, double *us,
	       double *kbps)
{
	struct mixer_config cfg;
	struct mixer *mx = NULL;
	const uint8_t *out[MIXER_MAX_OUT];
	size_t lens[MIXER_MAX_OUT], bytes = 0;

	mixer_config_default(&cfg, NSRC);
	cfg.complexity = complexity;
	cfg.nout = nout;
	int err = mixer_alloc(&mx, &cfg);
	if (!err)
		err = mixer_set_interpretation(mx, 0, 1, 2);
	if (err) {
		mem_deref(mx);
		return err;
	}
	double t0 = cpu_us();
	for (int t = 0; t < ticks; t++) {
		for (int j = 0; j < NSRC; j++)
			feed(mx, &st[j], j, t, ticks);
		if (mixer_tick(mx, out, lens))
			err = EIO;
		for (unsigned i = 0; i < nout; i++)
			bytes += lens[i];
	}
	*us = (cpu_us() - t0) / ticks;
	*kbps = (double)bytes * 8 / nout / (ticks * 0.02) / 1000;
	mem_deref(mx);
	return err;
}

/* decoding alone, for the breakdown */
static double run_decode(const struct stream *st, int ticks)
{
	OpusDecoder *dec[NSRC];
	int16_t pcm[MIXER_FRAME];
	int err;
	for (int j = 0; j < NSRC; j++)
		dec[j] = opus_decoder_create(MIXER_RATE, 1, &err);
	double t0 = cpu_us();
	for (int t = 0; t < ticks; t++)
		for (int j = 0; j < NSRC; j++)
			if (opus_decode(dec[j], st[j].pkt[t], st[j].len[t], pcm, MIXER_FRAME, 0) < 0)
				abort();
	double us = (cpu_us() - t0) / ticks;
	for (int j = 0; j < NSRC; j++)
		opus_decoder_destroy(dec[j]);
	return us;
}

static int bench(int secs, int complexity, int loss, int rounds)
{
	int ticks = secs * 50;
	struct stream clean[NSRC] = {0}, lossy[NSRC] = {0};
	/* [0]: two outputs (now), [1]: three outputs (before) */
	static const unsigned nouts[2] = {2, 3};
	double us, kbps[2] = {0}, best[2] = {1e9, 1e9}, best_loss[2] = {1e9, 1e9}, dec = 1e9;
	int err = 0;

	srand(1);
	for (int j = 0; j < NSRC && !err; j++)
		err = stream_make(&clean[j], j, ticks, 0);
	for (int j = 0; j < NSRC && !err; j++)
		err = stream_make(&lossy[j], j, ticks, loss);
	for (int r = 0; r < rounds && !err; r++) {       /* best of: the machine is shared */
		for (int c = 0; c < 2 && !err; c++) {
			err = run(clean, ticks, complexity, nouts[c], &us, &kbps[c]);
			best[c] = us < best[c] ? us : best[c];
			double k;
			err = err ? err : run(lossy, ticks, complexity, nouts[c], &us, &k);
			best_loss[c] = us < best_loss[c] ? us : best_loss[c];
		}
		us = run_decode(clean, ticks);
		dec = us < dec ? us : dec;
	}
	if (!err) {
		printf("bench_mixer: 3-party simultaneous mix, %d s of audio (%d ticks), encoder "
		       "complexity %d, best of %d\n", secs, ticks, complexity, rounds);
		for (int c = 0; c < 2; c++) {
			printf("%s\n", c == 0 ? " 2 outputs (customer, agent; the interpreter hears "
			       "them forwarded):" : " 3 outputs (the interpreter mixed too, before):");
			printf("  no loss:  %7.1f us CPU per 20 ms tick = %.2f%% of one core "
			       "(~%.0f calls per core), %.1f kbit/s per output\n",
			       best[c], best[c] / 200.0, 20000.0 / best[c], kbps[c]);
			printf("  %d%% loss: %7.1f us CPU per 20 ms tick = %.2f%% of one core "
			       "(FEC/PLC)\n", loss, best_loss[c], best_loss[c] / 200.0);
			printf("  of which decoding 3 sources ~%.1f us, mixing and %u encodes ~%.1f us\n",
			       dec, nouts[c], best[c] - dec);
		}
		printf(" 2 outputs cost %.0f%% of 3 (no loss), %.0f%% (%d%% loss)\n",
		       100.0 * best[0] / best[1], 100.0 * best_loss[0] / best_loss[1], loss);
	}
	for (int j = 0; j < NSRC; j++) {
		stream_free(&clean[j]);
		stream_free(&lossy[j]);
	}
	return err;
}

int main(int argc, char **argv)
{
	int secs = 60, complexity = -1, loss = 5, rounds = 3, c;
	while ((c = getopt(argc, argv, "s:c:l:r:")) != -1) {
		switch (c) {
		case 's': secs = atoi(optarg); break;
		case 'c': complexity = atoi(optarg); break;
		case 'l': loss = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-s seconds] [-c complexity] [-l loss%%] [-r rounds]\n",
				argv[0]);
			return 2;
		}
	}
	if (complexity < 0) {
		struct mixer_config cfg;
		mixer_config_default(&cfg, NSRC);
		complexity = cfg.complexity;
	}
	if (secs < 1 || secs > 3600 || complexity > 10 || loss < 0 || loss > 100 || rounds < 1) {
		fprintf(stderr, "%s: bad arguments\n", argv[0]);
		return 2;
	}
	int err = bench(secs, complexity, loss, rounds);
	if (err)
		fprintf(stderr, "bench_mixer: %s\n", strerror(err));
	return err ? 1 : 0;
}

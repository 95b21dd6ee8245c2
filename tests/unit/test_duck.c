/* duck: voice activity with hysteresis, the hold/attack/release envelope of simultaneous
 * interpretation and the per-sample gain ramp, on synthetic PCM (sine tones at known dBFS). */
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

#include "media/duck.h"

#define FRAME 960   /* 20 ms at 48 kHz */
#define TWO_PI 6.283185307179586

static struct duck_config cfg;

static int setup(void **state)
{
	(void)state;
	duck_config_default(&cfg);
	return 0;
}

/* one frame of a sine whose RMS is `dbfs` (0 dBFS = full-scale square, so a full-scale sine
 * is -3 dBFS), phase carried in *ph */
static void sine(int16_t *pcm, size_t n, double hz, double dbfs, double *ph)
{
	double amp = 32768.0 * sqrt(2.0) * pow(10.0, dbfs / 20.0);
	for (size_t k = 0; k < n; k++) {
		pcm[k] = (int16_t)lrint(amp * sin(*ph));
		*ph += TWO_PI * hz / 48000.0;
	}
}

static float q16_db(int32_t g)
{
	return 20.0f * log10f((float)g / DUCK_Q16_ONE);
}

static void test_config(void **state)
{
	(void)state;
	struct duck_config c = cfg;
	assert_int_equal(duck_config_check(&c), 0);
	assert_true(c.duck_db == -14.0f && c.attack_ms == 50 && c.hold_ms == 600 &&
		    c.release_ms == 400 && c.sample_rate == 48000);
	c.duck_db = 3.0f;
	assert_int_equal(duck_config_check(&c), EINVAL);
	c = cfg;
	c.duck_db = NAN;
	assert_int_equal(duck_config_check(&c), EINVAL);
	c = cfg;
	c.attack_ms = 0;
	assert_int_equal(duck_config_check(&c), EINVAL);
	c = cfg;
	c.vad_off_dbfs = c.vad_on_dbfs + 1.0f;   /* hysteresis the wrong way round */
	assert_int_equal(duck_config_check(&c), EINVAL);
	c = cfg;
	c.sample_rate = 0;
	assert_int_equal(duck_config_check(&c), EINVAL);
}

static void test_vad_hysteresis(void **state)
{
	(void)state;
	struct duck_vad v;
	int16_t pcm[FRAME];
	double ph = 0;

	duck_vad_init(&v, &cfg);
	assert_false(v.active);
	/* between the thresholds from inactive: stays inactive */
	sine(pcm, FRAME, 300, -46.0, &ph);
	assert_false(duck_vad_update(&v, pcm, FRAME));
	assert_float_equal(v.level_dbfs, -46.0f, 0.1f);
	/* speech level: active */
	sine(pcm, FRAME, 300, -25.0, &ph);
	assert_true(duck_vad_update(&v, pcm, FRAME));
	assert_float_equal(v.level_dbfs, -25.0f, 0.1f);
	/* between the thresholds from active: stays active (a soft syllable is not a pause) */
	sine(pcm, FRAME, 300, -46.0, &ph);
	assert_true(duck_vad_update(&v, pcm, FRAME));
	/* below the off threshold: inactive */
	sine(pcm, FRAME, 300, -55.0, &ph);
	assert_false(duck_vad_update(&v, pcm, FRAME));
	assert_true(duck_vad_update(&v, (sine(pcm, FRAME, 300, -41.0, &ph), pcm), FRAME));
	/* no audio at all is silence */
	assert_false(duck_vad_update(&v, NULL, FRAME));
	assert_float_equal(v.level_dbfs, -120.0f, 0.01f);
	/* a full-scale square wave is 0 dBFS and does not overflow the energy sum */
	for (size_t k = 0; k < FRAME; k++)
		pcm[k] = (k / 48) % 2 ? INT16_MIN : INT16_MAX;
	assert_true(duck_vad_update(&v, pcm, FRAME));
	assert_float_equal(v.level_dbfs, 0.0f, 0.01f);
}

static void test_attack(void **state)
{
	(void)state;
	struct duck_env e;
	duck_env_init(&e, &cfg);
	assert_true(duck_env_idle(&e));

	/* 50 ms for the full 14 dB: 5.6 dB per 20 ms frame, reached within the third frame */
	duck_env_update(&e, true, FRAME);
	assert_int_equal(e.g0, DUCK_Q16_ONE);
	assert_float_equal(q16_db(e.g1), -5.6f, 0.01f);
	duck_env_update(&e, true, FRAME);
	assert_float_equal(q16_db(e.g1), -11.2f, 0.01f);
	duck_env_update(&e, true, FRAME);
	assert_float_equal(q16_db(e.g1), -14.0f, 0.01f);
	for (int i = 0; i < 50; i++) {
		duck_env_update(&e, true, FRAME);
		assert_float_equal(q16_db(e.g0), -14.0f, 0.01f);
		assert_float_equal(q16_db(e.g1), -14.0f, 0.01f);
	}
	/* configurable depth */
	struct duck_config c = cfg;
	c.duck_db = -20.0f;
	duck_env_init(&e, &c);
	for (int i = 0; i < 5; i++)
		duck_env_update(&e, true, FRAME);
	assert_float_equal(q16_db(e.g1), -20.0f, 0.01f);
}

/* runs the key active for `on` frames, then silent for `off` frames; returns the gain in dB at
 * the end of every frame in db[] */
static void run_pattern(struct duck_env *e, int on, int off, float *db)
{
	for (int i = 0; i < on; i++)
		duck_env_update(e, true, FRAME);
	for (int i = 0; i < off; i++) {
		duck_env_update(e, false, FRAME);
		db[i] = q16_db(e->g1);
	}
}

static void test_short_pause_no_burst(void **state)
{
	(void)state;
	struct duck_env e;
	float db[100];

	duck_env_init(&e, &cfg);
	/* 1 s of interpreter, a 300 ms pause between phrases, then the next phrase */
	run_pattern(&e, 50, 15, db);
	for (int i = 0; i < 15; i++)
		assert_float_equal(db[i], -14.0f, 0.01f);
	duck_env_update(&e, true, FRAME);
	assert_float_equal(q16_db(e.g0), -14.0f, 0.01f);
	assert_float_equal(q16_db(e.g1), -14.0f, 0.01f);
	/* a pause just inside the hold (580 ms) does not release either */
	run_pattern(&e, 10, 29, db);
	for (int i = 0; i < 29; i++)
		assert_float_equal(db[i], -14.0f, 0.01f);
}

static void test_long_pause_gradual_release(void **state)
{
	(void)state;
	struct duck_env e;
	float db[100];

	duck_env_init(&e, &cfg);
	run_pattern(&e, 50, 100, db);   /* a 2 s pause */
	/* held for 600 ms (30 frames) */
	for (int i = 0; i < 30; i++)
		assert_float_equal(db[i], -14.0f, 0.01f);
	/* then 14 dB over 400 ms: 0.7 dB per frame, monotonic, back to 0 dB after 20 frames */
	for (int i = 30; i < 50; i++) {
		assert_true(db[i] > db[i - 1]);
		assert_true(db[i] - db[i - 1] <= 0.7f + 0.01f);
	}
	assert_float_equal(db[38], -14.0f + 0.7f * 9, 0.02f);
	assert_float_equal(db[49], 0.0f, 0.001f);
	for (int i = 49; i < 100; i++)
		assert_int_equal(duck_q16(powf(10.0f, db[i] / 20.0f)), DUCK_Q16_ONE);
	assert_true(duck_env_idle(&e));
	printf("# release: held %d ms, then 0.7 dB per 20 ms frame, 0 dB at %d ms after the key\n",
	       30 * 20, 50 * 20);

	/* the key coming back during the release ducks again from where the gain is */
	duck_env_init(&e, &cfg);
	run_pattern(&e, 50, 40, db);           /* 10 frames into the release: -7 dB */
	assert_float_equal(db[39], -7.0f, 0.02f);
	duck_env_update(&e, true, FRAME);
	assert_float_equal(q16_db(e.g0), -7.0f, 0.02f);
	assert_float_equal(q16_db(e.g1), -12.6f, 0.02f);
}

static void test_ramp_add(void **state)
{
	(void)state;
	int16_t in[FRAME];
	int32_t acc[FRAME];

	for (size_t k = 0; k < FRAME; k++)
		in[k] = (int16_t)(k % 2 ? -30000 : 30000);
	/* unity adds exactly, on top of what is there */
	for (size_t k = 0; k < FRAME; k++)
		acc[k] = 5;
	duck_ramp_add(acc, in, FRAME, DUCK_Q16_ONE, DUCK_Q16_ONE);
	for (size_t k = 0; k < FRAME; k++)
		assert_int_equal(acc[k], in[k] + 5);
	/* a constant gain rounds symmetrically for both signs */
	memset(acc, 0, sizeof(acc));
	duck_ramp_add(acc, in, FRAME, DUCK_Q16_ONE / 4, DUCK_Q16_ONE / 4);
	assert_int_equal(acc[0], 7500);
	assert_int_equal(acc[1], -7500);
	/* zero gain adds nothing */
	memset(acc, 0, sizeof(acc));
	duck_ramp_add(acc, in, FRAME, 0, 0);
	for (size_t k = 0; k < FRAME; k++)
		assert_int_equal(acc[k], 0);
	/* a ramp starts at g0 and ends one step short of g1 (the next frame starts at g1) */
	memset(acc, 0, sizeof(acc));
	duck_ramp_add(acc, in, FRAME, DUCK_Q16_ONE, 0);
	assert_int_equal(acc[0], 30000);
	assert_true(abs(acc[FRAME - 1]) <= 32 && abs(acc[FRAME - 1]) >= 30);
	assert_int_equal(acc[FRAME / 2], 15000);
	/* +12 dB is the top and does not overflow */
	memset(acc, 0, sizeof(acc));
	duck_ramp_add(acc, in, 2, DUCK_GAIN_MAX, DUCK_GAIN_MAX);
	assert_int_equal(acc[0], 120000);
	assert_int_equal(acc[1], -120000);
	assert_int_equal(duck_q16(100.0f), DUCK_GAIN_MAX);
	assert_int_equal(duck_q16(-1.0f), 0);
	assert_int_equal(duck_q16(NAN), 0);
}

/* The gain applied to a full-scale DC input through attack, hold, release and a re-attack in
 * the middle of the release: the largest change between adjacent samples. A hard switch would
 * step by 26,000; the envelope moves by at most ~16 (-66 dBFS), so no click, no zipper. */
static void test_smoothness(void **state)
{
	(void)state;
	static const bool pattern[] = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0, 0, 0, 0, 1, 1, 1, 0, 0, 0};
	const size_t nf = sizeof(pattern) / sizeof(pattern[0]);
	struct duck_env e;
	int16_t dc[FRAME];
	int32_t acc[FRAME];
	int32_t prev = INT16_MAX, worst = 0;
	struct duck_config c = cfg;

	c.hold_ms = 100;   /* short hold so the release and a re-attack fall inside the run */
	duck_env_init(&e, &c);
	for (size_t k = 0; k < FRAME; k++)
		dc[k] = INT16_MAX;
	for (int rep = 0; rep < 40; rep++) {
		for (size_t f = 0; f < nf; f++) {
			duck_env_update(&e, pattern[f], FRAME);
			memset(acc, 0, sizeof(acc));
			duck_ramp_add(acc, dc, FRAME, e.g0, e.g1);
			for (size_t k = 0; k < FRAME; k++) {
				int32_t step = abs(acc[k] - prev);
				if (step > worst)
					worst = step;
				prev = acc[k];
			}
		}
	}
	printf("# largest step between adjacent samples of a full-scale DC under the envelope: "
	       "%d (%.1f dBFS)\n", worst, 20 * log10(worst / 32768.0));
	assert_true(worst > 0);
	assert_true(worst <= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_config, setup),
		cmocka_unit_test_setup(test_vad_hysteresis, setup),
		cmocka_unit_test_setup(test_attack, setup),
		cmocka_unit_test_setup(test_short_pause_no_burst, setup),
		cmocka_unit_test_setup(test_long_pause_gradual_release, setup),
		cmocka_unit_test_setup(test_ramp_add, setup),
		cmocka_unit_test_setup(test_smoothness, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

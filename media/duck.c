#include "media/duck.h"

#include <errno.h>
#include <math.h>

#define DUCK_FULL_SCALE 32768.0f

void duck_config_default(struct duck_config *cfg)
{
	*cfg = (struct duck_config){
		.sample_rate = 48000,
		.duck_db = -14.0f,
		.attack_ms = 50,
		.hold_ms = 600,
		.release_ms = 400,
		.vad_on_dbfs = -42.0f,
		.vad_off_dbfs = -50.0f,
	};
}

int duck_config_check(const struct duck_config *cfg)
{
	if (cfg->sample_rate < 8000 || cfg->sample_rate > 192000)
		return EINVAL;
	if (!(cfg->duck_db >= -60.0f && cfg->duck_db <= 0.0f))   /* also rejects NaN */
		return EINVAL;
	if (cfg->attack_ms < 1 || cfg->attack_ms > 10000 || cfg->release_ms < 1 ||
	    cfg->release_ms > 10000 || cfg->hold_ms > 60000)
		return EINVAL;
	if (!(cfg->vad_on_dbfs <= 0.0f && cfg->vad_off_dbfs >= -120.0f &&
	      cfg->vad_off_dbfs <= cfg->vad_on_dbfs))
		return EINVAL;
	return 0;
}

float duck_db_to_lin(float db)
{
	return powf(10.0f, db / 20.0f);
}

int32_t duck_q16(float lin)
{
	if (!(lin > 0.0f))
		return 0;
	if (lin >= (float)DUCK_GAIN_MAX / DUCK_Q16_ONE)
		return DUCK_GAIN_MAX;
	return (int32_t)lrintf(lin * DUCK_Q16_ONE);
}

/* --- voice activity --- */

static float duck_dbfs_to_ms(float dbfs)
{
	return powf(10.0f, dbfs / 10.0f);
}

void duck_vad_init(struct duck_vad *v, const struct duck_config *cfg)
{
	*v = (struct duck_vad){
		.on_ms = duck_dbfs_to_ms(cfg->vad_on_dbfs),
		.off_ms = duck_dbfs_to_ms(cfg->vad_off_dbfs),
		.level_dbfs = -120.0f,
	};
}

bool duck_vad_update(struct duck_vad *v, const int16_t *pcm, size_t n)
{
	int64_t sum = 0;
	for (size_t k = 0; pcm && k < n; k++)
		sum += (int32_t)pcm[k] * pcm[k];
	float ms = n && pcm ? (float)sum / ((float)n * DUCK_FULL_SCALE * DUCK_FULL_SCALE) : 0.0f;

	v->level_dbfs = ms > 1e-12f ? 10.0f * log10f(ms) : -120.0f;
	if (ms > v->on_ms)
		v->active = true;
	else if (ms < v->off_ms)
		v->active = false;
	return v->active;
}

/* --- gain envelope --- */

void duck_env_init(struct duck_env *e, const struct duck_config *cfg)
{
	float per_ms = (float)cfg->sample_rate / 1000.0f;
	float swing = -cfg->duck_db;

	*e = (struct duck_env){
		.duck_db = cfg->duck_db,
		.attack_db_per_sample = swing / ((float)cfg->attack_ms * per_ms),
		.release_db_per_sample = swing / ((float)cfg->release_ms * per_ms),
		.hold_samples = (uint32_t)((uint64_t)cfg->hold_ms * cfg->sample_rate / 1000u),
		.gain_db = 0.0f,
		.g0 = DUCK_Q16_ONE,
		.g1 = DUCK_Q16_ONE,
	};
}

void duck_env_update(struct duck_env *e, bool key_active, size_t n)
{
	bool ducking;

	if (key_active) {
		e->hold_left = e->hold_samples;
		ducking = true;
	} else {
		ducking = e->hold_left > 0;
		e->hold_left = e->hold_left > n ? e->hold_left - (uint32_t)n : 0;
	}

	float g = e->gain_db;
	if (ducking) {
		g -= e->attack_db_per_sample * (float)n;
		if (g < e->duck_db)
			g = e->duck_db;
	} else {
		g += e->release_db_per_sample * (float)n;
		if (g > 0.0f)
			g = 0.0f;
	}
	e->gain_db = g;
	e->g0 = e->g1;
	e->g1 = g >= 0.0f ? DUCK_Q16_ONE : duck_q16(duck_db_to_lin(g));
}

/* --- applying a gain ramp --- */

static int32_t duck_mul_q16(int16_t x, int32_t g)
{
	/* arithmetic right shift of the signed product: round half up */
	return (int32_t)(((int64_t)x * g + (DUCK_Q16_ONE / 2)) >> 16);
}

void duck_ramp_add(int32_t *acc, const int16_t *in, size_t n, int32_t g0, int32_t g1)
{
	if (g0 == g1) {
		if (g0 == DUCK_Q16_ONE) {
			for (size_t k = 0; k < n; k++)
				acc[k] += in[k];
		} else if (g0 != 0) {
			for (size_t k = 0; k < n; k++)
				acc[k] += duck_mul_q16(in[k], g0);
		}
		return;
	}
	/* the gain in Q32 steps by (g1 - g0) / n per sample; its Q16 part multiplies */
	int64_t g = (int64_t)g0 * DUCK_Q16_ONE;
	int64_t step = (int64_t)(g1 - g0) * DUCK_Q16_ONE / (int64_t)n;
	for (size_t k = 0; k < n; k++) {
		acc[k] += duck_mul_q16(in[k], (int32_t)(g / DUCK_Q16_ONE));
		g += step;
	}
}

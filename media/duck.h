/* duck: the ducking gain envelope of simultaneous interpretation (DESIGN §4).
 *
 * In an output mix, a "ducked" source (the original speaker) plays under a "key" source (the
 * interpreter): while the key talks, the ducked source's gain ramps down to duck_db; when the
 * key falls silent the gain is held for hold_ms (pauses between an interpreter's phrases do not
 * bring the original back up, which is what Zoom's language channels do: a loud burst of the
 * original in every pause), then released smoothly to 0 dB over release_ms.
 *
 * Two parts, so one key's detector can drive several outputs' envelopes:
 * - duck_vad: voice activity of one source from its decoded PCM (not from the RTP audio-level
 *   extension, which a sender may omit): the RMS of each frame in dBFS (0 dBFS = a full-scale
 *   square wave; a full-scale sine is -3 dBFS) against two thresholds (hysteresis): active
 *   above vad_on_dbfs, inactive below vad_off_dbfs, unchanged between. Browsers capture with
 *   WebRTC's noise suppression and AGC, so speech sits around -30..-10 dBFS and the residual
 *   noise well below -55 dBFS; the defaults sit between.
 * - duck_env: the gain of one output's ducked sources. Target = duck_db while the key is active
 *   or within hold_ms of its last active frame, else 0 dB. The gain moves toward the target on
 *   a straight line in dB: a full swing takes attack_ms down and release_ms up, so a hand-over
 *   is a fader move, never a step. The envelope is evaluated at frame boundaries; inside a frame
 *   duck_ramp_add() interpolates linearly per sample, so there is no zipper noise or click.
 *
 * Gains are Q16 fixed point (DUCK_Q16_ONE = 0 dB). Pure state, no clock reads, no allocation;
 * the structs are embedded in their owner. */
#ifndef MEDIA_DUCK_H
#define MEDIA_DUCK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DUCK_Q16_ONE 65536
#define DUCK_GAIN_MAX (4 * DUCK_Q16_ONE)  /* +12 dB: the largest gain duck_ramp_add() takes */

struct duck_config {
	uint32_t sample_rate;   /* Hz; 48000 */
	float duck_db;          /* gain of a ducked source under an active key; -14 (-60..0) */
	uint32_t attack_ms;     /* 0 dB -> duck_db; 50 */
	uint32_t hold_ms;       /* kept ducked after the key's last active frame; 600 */
	uint32_t release_ms;    /* duck_db -> 0 dB; 400 */
	float vad_on_dbfs;      /* key turns active above this frame RMS; -42 */
	float vad_off_dbfs;     /* key turns inactive below this; -50 (<= vad_on_dbfs) */
};

struct duck_vad {
	float on_ms, off_ms;    /* thresholds as mean squares (full scale = 1.0) */
	float level_dbfs;       /* RMS of the last frame */
	bool active;
};

struct duck_env {
	float duck_db;
	float attack_db_per_sample, release_db_per_sample;
	uint32_t hold_samples;
	uint32_t hold_left;     /* samples of hold still to run */
	float gain_db;          /* at the end of the last frame */
	int32_t g0, g1;         /* Q16 gain at the start and end of the last frame */
};

void duck_config_default(struct duck_config *cfg);
/* 0 or EINVAL for values out of range */
int duck_config_check(const struct duck_config *cfg);

/* inactive; cfg must pass duck_config_check() */
void duck_vad_init(struct duck_vad *v, const struct duck_config *cfg);
/* one frame of the source (NULL or n = 0: silence); returns whether it is active now */
bool duck_vad_update(struct duck_vad *v, const int16_t *pcm, size_t n);

/* at 0 dB, not holding; cfg must pass duck_config_check() */
void duck_env_init(struct duck_env *e, const struct duck_config *cfg);
/* advance one frame of n samples with the key's activity in that frame; sets e->g0, e->g1 */
void duck_env_update(struct duck_env *e, bool key_active, size_t n);
static inline bool duck_env_idle(const struct duck_env *e)
{
	return e->g0 == DUCK_Q16_ONE && e->g1 == DUCK_Q16_ONE;
}

/* acc[k] += in[k] * g(k) for k < n, g(k) = g0 + (g1 - g0) * k / n in Q16, rounded;
 * g0, g1 in 0..DUCK_GAIN_MAX */
void duck_ramp_add(int32_t *acc, const int16_t *in, size_t n, int32_t g0, int32_t g1);
/* Q16 gain of a linear factor, clamped to 0..DUCK_GAIN_MAX */
int32_t duck_q16(float lin);
float duck_db_to_lin(float db);

#endif

/* mixer: the server-side Opus mix of one call in simultaneous interpretation (DESIGN §4).
 *
 * Sources (legs that talk: customer, agent, interpreter, ...) are fed every 20 ms tick from
 * their playout jitter buffers; outputs (legs that listen) each get one Opus payload per tick:
 *
 *   output i = saturate16( sum over j of gain(i, j) * duck(i, j) * source j )
 *
 * where gain(i, j) is the output's rule (linear, 0 = not heard) and duck(i, j) is the output's
 * ducking envelope (media/duck.h) for the sources the rule ducks under its key, else 1. Output
 * i < nsrc is source i's own leg and never hears source i (its own voice); outputs nsrc.. are
 * listen-only (a recorder, a supervisor). nout may be smaller than nsrc: sources nout.. are then
 * talk-only (their legs hear the others some other way, e.g. forwarded, and cost no mix and no
 * encode). At creation every output hears every other source at 0 dB;
 * mixer_set_interpretation() sets DESIGN §4's simultaneous rules.
 *
 * Per tick and source the caller gives one of:
 * - mixer_put(): the Opus payload that is due (decoded at once),
 * - mixer_put_missing(): the frame is lost (Opus PLC, 20 ms),
 * - mixer_put_fec(): the frame is lost but the next packet is already here: its in-band FEC
 *   (LBRR) rebuilds the lost frame (libopus falls back to PLC when it carries none); the caller
 *   still puts the next packet itself on the next tick,
 * - nothing: the source is silent this tick (not started, left, or in a DTX pause).
 * Decoded PCM goes through a per-source FIFO, so packets of 10..120 ms work too (a 60 ms packet
 * is put once and plays for three ticks; two 10 ms packets are put in one tick). Decoders are
 * mono: libopus downmixes stereo packets.
 *
 * Distinct mixes: outputs whose rules are equal once normalised (own voice removed, ducking
 * only of sources heard) get the same audio at every tick, so they form one group with one
 * envelope, one mix and one encode; every member gets the same payload (the same pointer).
 * Groups change only in mixer_set_rule(); an output that leaves a group takes a copy of the
 * group's envelope and encoder state (libopus states are position-independent), so its
 * listener's decoder hears no discontinuity.
 *
 * Encoders: Opus VoIP, 48 kHz mono, 20 ms, ~32 kbit/s VBR, in-band FEC on (effective when the
 * expected loss, mixer_set_loss(), is > 0: feed it from the listener's RTCP receiver reports),
 * DTX off. Everything is allocated by mixer_alloc(); mixer_put*() and mixer_tick() neither
 * allocate nor lock. One thread (the call's media worker). */
#ifndef MEDIA_MIXER_H
#define MEDIA_MIXER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/duck.h"

#define MIXER_MAX_SRC 4
#define MIXER_MAX_OUT (MIXER_MAX_SRC + 2)
#define MIXER_RATE 48000
#define MIXER_FRAME 960                 /* samples per 20 ms tick */
#define MIXER_FIFO (6 * MIXER_FRAME)    /* decoded samples a source may hold: 120 ms */
#define MIXER_MAX_PAYLOAD 1275          /* largest Opus packet (RFC 6716 §3.2.1) */
#define MIXER_GAIN_MAX 4.0f             /* +12 dB */

struct mixer;

struct mixer_config {
	unsigned nsrc;             /* talking legs, 1..MIXER_MAX_SRC */
	unsigned nout;             /* listening outputs, 1..MIXER_MAX_OUT (usually nsrc; fewer:
				    * sources nout.. have no output) */
	uint32_t bitrate;          /* encoder bit/s; 32000 */
	int complexity;            /* encoder complexity 0..10; 5 */
	int loss_perc;             /* expected loss until mixer_set_loss(), for FEC; 5 */
	struct duck_config duck;   /* duck_config_default(); sample_rate must be MIXER_RATE */
};

/* what one output hears */
struct mixer_rule {
	float gain[MIXER_MAX_SRC];   /* linear, 0..MIXER_GAIN_MAX; 0 = not heard */
	int key;                     /* source whose voice ducks the others, -1 = no ducking */
	uint32_t ducked;             /* bit j: source j is ducked under key */
};

struct mixer_src_stats {
	uint64_t frames;       /* payloads decoded */
	uint64_t plc;          /* frames concealed (mixer_put_missing) */
	uint64_t fec;          /* frames concealed with the next packet's FEC (mixer_put_fec) */
	uint64_t bad;          /* payloads libopus rejected (concealed instead) */
	uint64_t overflow;     /* puts dropped: the FIFO already held MIXER_FIFO samples */
	uint64_t underrun;     /* ticks that found part of a frame only (the rest is silence) */
	bool active;           /* voice activity at the last tick */
	float level_dbfs;      /* RMS at the last tick */
};

struct mixer_stats {
	uint64_t ticks;
	uint64_t encodes;      /* opus_encode calls: one per distinct mix per tick */
	uint64_t encode_errors;
	unsigned groups;       /* distinct mixes now */
	struct mixer_src_stats src[MIXER_MAX_SRC];
};

void mixer_config_default(struct mixer_config *cfg, unsigned nsrc);
/* 0, EINVAL for a bad config, ENOMEM, or EIO when libopus refuses; a mem object */
int mixer_alloc(struct mixer **mxp, const struct mixer_config *cfg);

/* rules: 0, or EINVAL (index, gain out of range, own voice heard, key ducking itself) */
int mixer_set_rule(struct mixer *mx, unsigned out, const struct mixer_rule *r);
int mixer_get_rule(const struct mixer *mx, unsigned out, struct mixer_rule *r);
/* DESIGN §4 simultaneous mode: the customer hears the interpreter and the agent ducked under
 * the interpreter, the agent the interpreter and the customer ducked under the interpreter, the
 * interpreter (when interp < nout) both at full level; listen-only outputs hear all three at
 * full level. customer and agent must be outputs; interp need not be (interp >= nout: the
 * interpreter is a source only, and the mixer makes two distinct mixes, not three). */
int mixer_set_interpretation(struct mixer *mx, unsigned customer, unsigned agent, unsigned interp);
/* everyone hears everyone else at 0 dB, no ducking (the state after mixer_alloc) */
int mixer_set_conference(struct mixer *mx);
/* expected packet loss toward output out, 0..100 (tunes the encoder's in-band FEC) */
int mixer_set_loss(struct mixer *mx, unsigned out, int loss_perc);

/* per tick and source: 0, EINVAL (bad index or arguments), ENOSPC (FIFO full, dropped);
 * a payload libopus rejects is concealed and counted (returns 0) */
int mixer_put(struct mixer *mx, unsigned src, const uint8_t *payload, size_t len);
int mixer_put_missing(struct mixer *mx, unsigned src);
int mixer_put_fec(struct mixer *mx, unsigned src, const uint8_t *next, size_t next_len);

/* decoded samples source src holds for the next ticks (a feeder keeps it at one frame or more) */
size_t mixer_src_buffered(const struct mixer *mx, unsigned src);

/* Mix and encode one 20 ms tick. out[i], lens[i] for i < nout: output i's Opus payload, valid
 * until the next mixer_tick(); outputs of one group share a pointer. Returns 0, or EIO if an
 * encode failed (that output's len is 0; others are still produced). */
int mixer_tick(struct mixer *mx, const uint8_t *out[], size_t lens[]);

/* the PCM of output out's last mix (MIXER_FRAME samples), for recordings and tests */
const int16_t *mixer_pcm(const struct mixer *mx, unsigned out);
/* the Q16 gain applied to source src in output out during the last tick, at its start and end */
void mixer_gain(const struct mixer *mx, unsigned out, unsigned src, int32_t *g0, int32_t *g1);
void mixer_get_stats(const struct mixer *mx, struct mixer_stats *st);

#endif

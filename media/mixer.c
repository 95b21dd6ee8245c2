/* mixer: decode, duck, mix with saturation, encode once per distinct mix (see mixer.h).
 *
 * Per tick: every source hands one frame from its FIFO to its voice-activity detector; every
 * group leader (the lowest output index of a group of equal rules) advances its envelope from
 * its key's activity, sums its heard sources into int32 with per-sample gain ramps, saturates to
 * int16 and encodes; every member of the group gets the leader's payload. */
#include "media/mixer.h"
#include "base/mem.h"

#define LOG_MODULE "mixer"
#include "base/log.h"

#include <errno.h>
#include <math.h>
#include <opus/opus.h>
#include <string.h>

struct mixer_src {
	OpusDecoder *dec;
	int16_t fifo[MIXER_FIFO];    /* decoded, not yet played; oldest first */
	size_t nfifo;
	int plc_samples;             /* duration of the last decoded packet: what a loss hides */
	int16_t frame[MIXER_FRAME];  /* this tick's samples */
	bool present;                /* frame holds something this tick (else silence) */
	struct duck_vad vad;
	struct mixer_src_stats st;
};

struct mixer_out {
	struct mixer_rule rule;         /* as set */
	int32_t gq[MIXER_MAX_SRC];      /* normalised: Q16 gains, own voice removed */
	int key;                        /* normalised: -1 when nothing heard is ducked */
	uint32_t ducked;                /* normalised: only sources heard, never the key */
	int loss_perc;
	unsigned leader;                /* lowest output index with an equal normalised rule */
	/* used on leaders only */
	OpusEncoder *enc;
	struct duck_env env;
	int32_t g0[MIXER_MAX_SRC], g1[MIXER_MAX_SRC];
	int16_t pcm[MIXER_FRAME];
	uint8_t payload[MIXER_MAX_PAYLOAD];
	size_t len;
};

struct mixer {
	struct mixer_config cfg;
	size_t enc_size;
	struct mixer_src src[MIXER_MAX_SRC];
	struct mixer_out out[MIXER_MAX_OUT];
	int32_t acc[MIXER_FRAME];
	uint64_t ticks, encodes, encode_errors;
};

void mixer_config_default(struct mixer_config *cfg, unsigned nsrc)
{
	*cfg = (struct mixer_config){
		.nsrc = nsrc,
		.nout = nsrc,
		.bitrate = 32000,
		.complexity = 5,
		.loss_perc = 5,
	};
	duck_config_default(&cfg->duck);
}

static int mixer_config_check(const struct mixer_config *cfg)
{
	if (cfg->nsrc < 1 || cfg->nsrc > MIXER_MAX_SRC || cfg->nout < 1 || cfg->nout > MIXER_MAX_OUT)
		return EINVAL;
	if (cfg->bitrate < 6000 || cfg->bitrate > 510000 || cfg->complexity < 0 ||
	    cfg->complexity > 10 || cfg->loss_perc < 0 || cfg->loss_perc > 100)
		return EINVAL;
	if (cfg->duck.sample_rate != MIXER_RATE)
		return EINVAL;
	return duck_config_check(&cfg->duck);
}

static void mixer_destroy(void *data)
{
	struct mixer *mx = data;
	for (unsigned j = 0; j < MIXER_MAX_SRC; j++)
		if (mx->src[j].dec)
			opus_decoder_destroy(mx->src[j].dec);
	for (unsigned i = 0; i < MIXER_MAX_OUT; i++)
		if (mx->out[i].enc)
			opus_encoder_destroy(mx->out[i].enc);
}

static int mixer_encoder_new(OpusEncoder **encp, const struct mixer_config *cfg)
{
	int err;
	OpusEncoder *enc = opus_encoder_create(MIXER_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!enc)
		return err == OPUS_ALLOC_FAIL ? ENOMEM : EIO;
	if (opus_encoder_ctl(enc, OPUS_SET_BITRATE((opus_int32)cfg->bitrate)) != OPUS_OK ||
	    opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(cfg->complexity)) != OPUS_OK ||
	    opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1)) != OPUS_OK ||
	    opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(cfg->loss_perc)) != OPUS_OK ||
	    opus_encoder_ctl(enc, OPUS_SET_DTX(0)) != OPUS_OK ||
	    opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK ||
	    opus_encoder_ctl(enc, OPUS_SET_EXPERT_FRAME_DURATION(OPUS_FRAMESIZE_20_MS)) != OPUS_OK) {
		opus_encoder_destroy(enc);
		return EIO;
	}
	*encp = enc;
	return 0;
}

static int mixer_codecs_new(struct mixer *mx)
{
	int err = 0;
	for (unsigned j = 0; j < mx->cfg.nsrc; j++) {
		int oerr;
		struct mixer_src *s = &mx->src[j];
		s->dec = opus_decoder_create(MIXER_RATE, 1, &oerr);
		if (!s->dec)
			return oerr == OPUS_ALLOC_FAIL ? ENOMEM : EIO;
		s->plc_samples = MIXER_FRAME;
		duck_vad_init(&s->vad, &mx->cfg.duck);
	}
	for (unsigned i = 0; i < mx->cfg.nout; i++) {
		struct mixer_out *o = &mx->out[i];
		err = mixer_encoder_new(&o->enc, &mx->cfg);
		if (err)
			return err;
		o->loss_perc = mx->cfg.loss_perc;
		duck_env_init(&o->env, &mx->cfg.duck);
	}
	mx->enc_size = (size_t)opus_encoder_get_size(1);
	return 0;
}

int mixer_alloc(struct mixer **mxp, const struct mixer_config *cfg)
{
	struct mixer *mx = NULL;
	int err;

	if (!mxp || !cfg)
		return EINVAL;
	err = mixer_config_check(cfg);
	if (err)
		return err;
	mx = mem_alloc(sizeof(*mx), mixer_destroy);
	if (!mx)
		return ENOMEM;
	mx->cfg = *cfg;
	err = mixer_codecs_new(mx);
	if (err)
		goto out;
	err = mixer_set_conference(mx);
out:
	if (err)
		mem_deref(mx);
	else
		*mxp = mx;
	return err;
}

/* --- rules and groups --- */

static int mixer_rule_check(const struct mixer *mx, unsigned out, const struct mixer_rule *r)
{
	unsigned nsrc = mx->cfg.nsrc;

	if (out >= mx->cfg.nout || !r)
		return EINVAL;
	for (unsigned j = 0; j < MIXER_MAX_SRC; j++) {
		if (!(r->gain[j] >= 0.0f && r->gain[j] <= MIXER_GAIN_MAX))   /* NaN too */
			return EINVAL;
		if (r->gain[j] > 0.0f && (j >= nsrc || j == out))
			return EINVAL;   /* no such source, or its own voice */
	}
	if (r->key < -1 || r->key >= (int)nsrc || (r->ducked >> nsrc) != 0)
		return EINVAL;
	if (r->key < 0 ? r->ducked != 0 : (r->ducked & (1u << r->key)) != 0)
		return EINVAL;
	return 0;
}

static void mixer_normalise(struct mixer_out *o, unsigned nsrc)
{
	uint32_t heard = 0;
	for (unsigned j = 0; j < MIXER_MAX_SRC; j++) {
		o->gq[j] = j < nsrc ? duck_q16(o->rule.gain[j]) : 0;
		if (o->gq[j])
			heard |= 1u << j;
	}
	o->ducked = o->rule.ducked & heard;
	o->key = o->ducked ? o->rule.key : -1;
}

static bool mixer_same_mix(const struct mixer_out *a, const struct mixer_out *b)
{
	return a->key == b->key && a->ducked == b->ducked && !memcmp(a->gq, b->gq, sizeof(a->gq));
}

/* the expected loss of a group's stream is its worst listener's */
static void mixer_apply_loss(struct mixer *mx)
{
	for (unsigned i = 0; i < mx->cfg.nout; i++) {
		int worst = 0;
		if (mx->out[i].leader != i)
			continue;
		for (unsigned k = i; k < mx->cfg.nout; k++)
			if (mx->out[k].leader == i && mx->out[k].loss_perc > worst)
				worst = mx->out[k].loss_perc;
		opus_encoder_ctl(mx->out[i].enc, OPUS_SET_PACKET_LOSS_PERC(worst));
	}
}

static void mixer_regroup(struct mixer *mx)
{
	unsigned old[MIXER_MAX_OUT];

	for (unsigned i = 0; i < mx->cfg.nout; i++)
		old[i] = mx->out[i].leader;
	for (unsigned i = 0; i < mx->cfg.nout; i++) {
		struct mixer_out *o = &mx->out[i];
		o->leader = i;
		for (unsigned k = 0; k < i; k++) {
			if (mixer_same_mix(&mx->out[k], o)) {
				o->leader = mx->out[k].leader;
				break;
			}
		}
	}
	/* a follower that becomes a leader carries on from the stream its listener heard */
	for (unsigned i = 0; i < mx->cfg.nout; i++) {
		struct mixer_out *o = &mx->out[i], *prev = &mx->out[old[i]];
		if (o->leader != i || old[i] == i)
			continue;
		memcpy(o->enc, prev->enc, mx->enc_size);
		o->env = prev->env;
		memcpy(o->g0, prev->g0, sizeof(o->g0));
		memcpy(o->g1, prev->g1, sizeof(o->g1));
		memcpy(o->pcm, prev->pcm, sizeof(o->pcm));
	}
	mixer_apply_loss(mx);
}

int mixer_set_rule(struct mixer *mx, unsigned out, const struct mixer_rule *r)
{
	if (!mx)
		return EINVAL;
	int err = mixer_rule_check(mx, out, r);
	if (err)
		return err;
	mx->out[out].rule = *r;
	mixer_normalise(&mx->out[out], mx->cfg.nsrc);
	mixer_regroup(mx);
	return 0;
}

int mixer_get_rule(const struct mixer *mx, unsigned out, struct mixer_rule *r)
{
	if (!mx || !r || out >= mx->cfg.nout)
		return EINVAL;
	*r = mx->out[out].rule;
	return 0;
}

int mixer_set_conference(struct mixer *mx)
{
	if (!mx)
		return EINVAL;
	for (unsigned i = 0; i < mx->cfg.nout; i++) {
		struct mixer_out *o = &mx->out[i];
		o->rule = (struct mixer_rule){.key = -1};
		for (unsigned j = 0; j < mx->cfg.nsrc; j++)
			o->rule.gain[j] = j == i ? 0.0f : 1.0f;
		mixer_normalise(o, mx->cfg.nsrc);
	}
	mixer_regroup(mx);
	return 0;
}

int mixer_set_interpretation(struct mixer *mx, unsigned customer, unsigned agent, unsigned interp)
{
	if (!mx)
		return EINVAL;
	unsigned n = mx->cfg.nsrc;
	if (customer >= n || agent >= n || interp >= n || customer == agent ||
	    customer == interp || agent == interp || customer >= mx->cfg.nout ||
	    agent >= mx->cfg.nout)
		return EINVAL;
	for (unsigned i = 0; i < mx->cfg.nout; i++) {
		struct mixer_out *o = &mx->out[i];
		o->rule = (struct mixer_rule){.key = -1};
		if (i == customer || i == agent) {
			unsigned other = i == customer ? agent : customer;
			o->rule.gain[interp] = 1.0f;
			o->rule.gain[other] = 1.0f;
			o->rule.key = (int)interp;
			o->rule.ducked = 1u << other;
		} else {
			o->rule.gain[customer] = 1.0f;
			o->rule.gain[agent] = 1.0f;
			o->rule.gain[interp] = i == interp ? 0.0f : 1.0f;
		}
		mixer_normalise(o, n);
	}
	mixer_regroup(mx);
	return 0;
}

int mixer_set_loss(struct mixer *mx, unsigned out, int loss_perc)
{
	if (!mx || out >= mx->cfg.nout || loss_perc < 0 || loss_perc > 100)
		return EINVAL;
	mx->out[out].loss_perc = loss_perc;
	mixer_apply_loss(mx);
	return 0;
}

/* --- sources --- */

static struct mixer_src *mixer_src(struct mixer *mx, unsigned src)
{
	return mx && src < mx->cfg.nsrc ? &mx->src[src] : NULL;
}

/* conceal one lost packet into the FIFO: from next's FEC when given, else PLC */
static int mixer_conceal(struct mixer_src *s, const uint8_t *next, size_t next_len)
{
	int room = (int)(MIXER_FIFO - s->nfifo);
	int n = s->plc_samples < room ? s->plc_samples : room;
	int got = -1;

	if (n < MIXER_FRAME / 8) {     /* not even 2.5 ms of room */
		s->st.overflow++;
		return ENOSPC;
	}
	n -= n % (MIXER_FRAME / 8);    /* libopus conceals in 2.5 ms steps */
	if (next && next_len)
		got = opus_decode(s->dec, next, (opus_int32)next_len, s->fifo + s->nfifo, n, 1);
	if (got > 0) {
		s->st.fec++;
	} else {
		got = opus_decode(s->dec, NULL, 0, s->fifo + s->nfifo, n, 0);
		if (got < 0)
			got = 0;
		s->st.plc++;
	}
	s->nfifo += (size_t)got;
	return 0;
}

int mixer_put(struct mixer *mx, unsigned src, const uint8_t *payload, size_t len)
{
	struct mixer_src *s = mixer_src(mx, src);
	if (!s || (!payload && len) || len > INT32_MAX)
		return EINVAL;
	int ns = payload && len ? opus_packet_get_nb_samples(payload, (opus_int32)len, MIXER_RATE)
				: OPUS_INVALID_PACKET;
	if (ns > (int)(MIXER_FIFO - s->nfifo)) {
		s->st.overflow++;
		return ENOSPC;
	}
	int got = ns > 0 ? opus_decode(s->dec, payload, (opus_int32)len, s->fifo + s->nfifo,
				       (int)(MIXER_FIFO - s->nfifo), 0) : OPUS_INVALID_PACKET;
	if (got <= 0) {
		s->st.bad++;
		log_limited(LOG_WARN, "source %u: undecodable Opus payload of %zu bytes (%d), concealed",
			    src, len, got);
		return mixer_conceal(s, NULL, 0);
	}
	s->nfifo += (size_t)got;
	s->plc_samples = got;
	s->st.frames++;
	return 0;
}

int mixer_put_missing(struct mixer *mx, unsigned src)
{
	struct mixer_src *s = mixer_src(mx, src);
	return s ? mixer_conceal(s, NULL, 0) : EINVAL;
}

int mixer_put_fec(struct mixer *mx, unsigned src, const uint8_t *next, size_t next_len)
{
	struct mixer_src *s = mixer_src(mx, src);
	if (!s || (!next && next_len) || next_len > INT32_MAX)
		return EINVAL;
	return mixer_conceal(s, next, next_len);
}

size_t mixer_src_buffered(const struct mixer *mx, unsigned src)
{
	return mx && src < mx->cfg.nsrc ? mx->src[src].nfifo : 0;
}

/* move this tick's frame out of the FIFO and update the source's voice activity */
static void mixer_src_take(struct mixer_src *s)
{
	size_t n = s->nfifo < MIXER_FRAME ? s->nfifo : MIXER_FRAME;

	s->present = n > 0;
	if (s->present) {
		memcpy(s->frame, s->fifo, n * sizeof(int16_t));
		if (n < MIXER_FRAME) {
			memset(s->frame + n, 0, (MIXER_FRAME - n) * sizeof(int16_t));
			s->st.underrun++;
		}
		s->nfifo -= n;
		memmove(s->fifo, s->fifo + n, s->nfifo * sizeof(int16_t));
	}
	s->st.active = duck_vad_update(&s->vad, s->present ? s->frame : NULL, MIXER_FRAME);
	s->st.level_dbfs = s->vad.level_dbfs;
}

/* --- mixing --- */

static void mixer_saturate(const int32_t *acc, int16_t *pcm, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int32_t v = acc[k];
		pcm[k] = (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
	}
}

static void mixer_mix_group(struct mixer *mx, struct mixer_out *o)
{
	if (o->key >= 0)
		duck_env_update(&o->env, mx->src[o->key].vad.active, MIXER_FRAME);
	memset(mx->acc, 0, sizeof(mx->acc));
	for (unsigned j = 0; j < mx->cfg.nsrc; j++) {
		int32_t g0 = o->gq[j], g1 = o->gq[j];
		if (o->ducked & (1u << j)) {
			g0 = (int32_t)(((int64_t)g0 * o->env.g0 + DUCK_Q16_ONE / 2) / DUCK_Q16_ONE);
			g1 = (int32_t)(((int64_t)g1 * o->env.g1 + DUCK_Q16_ONE / 2) / DUCK_Q16_ONE);
		}
		o->g0[j] = g0;
		o->g1[j] = g1;
		if ((g0 || g1) && mx->src[j].present)
			duck_ramp_add(mx->acc, mx->src[j].frame, MIXER_FRAME, g0, g1);
	}
	mixer_saturate(mx->acc, o->pcm, MIXER_FRAME);
}

static int mixer_encode(struct mixer *mx, struct mixer_out *o)
{
	int n = opus_encode(o->enc, o->pcm, MIXER_FRAME, o->payload, MIXER_MAX_PAYLOAD);
	mx->encodes++;
	if (n < 0) {
		mx->encode_errors++;
		log_limited(LOG_ERROR, "opus_encode failed: %s", opus_strerror(n));
		o->len = 0;
		return EIO;
	}
	o->len = (size_t)n;
	return 0;
}

int mixer_tick(struct mixer *mx, const uint8_t *out[], size_t lens[])
{
	int err = 0;

	if (!mx || !out || !lens)
		return EINVAL;
	for (unsigned j = 0; j < mx->cfg.nsrc; j++)
		mixer_src_take(&mx->src[j]);
	for (unsigned i = 0; i < mx->cfg.nout; i++) {
		struct mixer_out *o = &mx->out[i];
		if (o->leader != i)
			continue;
		mixer_mix_group(mx, o);
		if (mixer_encode(mx, o))
			err = EIO;
	}
	for (unsigned i = 0; i < mx->cfg.nout; i++) {
		const struct mixer_out *l = &mx->out[mx->out[i].leader];
		out[i] = l->payload;
		lens[i] = l->len;
	}
	mx->ticks++;
	return err;
}

/* --- views --- */

const int16_t *mixer_pcm(const struct mixer *mx, unsigned out)
{
	if (!mx || out >= mx->cfg.nout)
		return NULL;
	return mx->out[mx->out[out].leader].pcm;
}

void mixer_gain(const struct mixer *mx, unsigned out, unsigned src, int32_t *g0, int32_t *g1)
{
	*g0 = *g1 = 0;
	if (!mx || out >= mx->cfg.nout || src >= mx->cfg.nsrc)
		return;
	const struct mixer_out *l = &mx->out[mx->out[out].leader];
	*g0 = l->g0[src];
	*g1 = l->g1[src];
}

void mixer_get_stats(const struct mixer *mx, struct mixer_stats *st)
{
	*st = (struct mixer_stats){0};
	if (!mx)
		return;
	st->ticks = mx->ticks;
	st->encodes = mx->encodes;
	st->encode_errors = mx->encode_errors;
	for (unsigned i = 0; i < mx->cfg.nout; i++)
		st->groups += mx->out[i].leader == i;
	for (unsigned j = 0; j < mx->cfg.nsrc; j++)
		st->src[j] = mx->src[j].st;
}

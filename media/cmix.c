/* cmix: the call's mix in simultaneous interpretation (see cmix.h).
 *
 * Per 20 ms tick: each source's playout buffer hands the mixer what is due by the end of the
 * coming period (keeping one frame of decoded audio ahead, so a due time that lands just after
 * a tick does not leave the tick empty); the mixer mixes and encodes once per distinct mix;
 * the customer's and agent's legs get their payloads on their primary audio streams,
 * timestamped from the tick's deadline. The interpreter's leg is a source only: its audio
 * streams stay forwarded (forward.c), untouched by cmix. */
#define LOG_MODULE "cmix"
#include "media/cmix.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "media/jb.h"
#include "media/leg.h"
#include "media/mcall.h"
#include "media/mixer.h"
#include "media/pacer.h"
#include "media/rtp.h"
#include "media/worker.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

struct cmix {
	struct mcall *call;
	struct leg *legs[CMIX_NSRC];     /* borrowed: customer, agent, interpreter */
	struct jb *jb[CMIX_NSRC];        /* playout buffers */
	uint32_t epoch[CMIX_NSRC];       /* of the inbound stream each buffer follows */
	struct mixer *mx;
	float duck_db;
	struct pacer pacer;
	uint64_t started_us, cpu_ns;
	uint64_t stale[CMIX_NSRC];       /* frames dropped as too late to play */
};

static uint64_t cmix_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- feeding the mixer --- */

static void cmix_put_frame(struct cmix *x, unsigned j, enum jb_pop kind, const struct jb_frame *f)
{
	struct rtp_hdr h;
	bool have = f->data && rtp_parse(&h, f->data, f->len) == 0;
	if (kind == JB_POP_PACKET && have)
		mixer_put(x->mx, j, f->data + h.payload_off, h.payload_len);
	else if (kind == JB_POP_LOST && have)
		mixer_put_fec(x->mx, j, f->data + h.payload_off, h.payload_len);
	else
		mixer_put_missing(x->mx, j);
}

/* what is due by the end of the coming period; when that leaves less than a frame, what is
 * due by the end of the one after (a due time just past the tick). What was due long ago (the
 * worker was held up and the pacer skipped ticks) is dropped, so the mix does not lag behind
 * for good. */
static void cmix_feed(struct cmix *x, unsigned j, uint64_t now_us)
{
	struct jb_frame f;
	for (unsigned pass = 1; pass <= 2; pass++) {
		uint64_t horizon = now_us + pass * CMIX_PERIOD_US;
		while (mixer_src_buffered(x->mx, j) < 2 * MIXER_FRAME) {
			enum jb_pop kind = jb_playout_pop(x->jb[j], horizon, &f);
			if (kind == JB_POP_NONE)
				break;
			if (f.due_us + CMIX_STALE_US < now_us)
				x->stale[j]++;
			else
				cmix_put_frame(x, j, kind, &f);
		}
		if (mixer_src_buffered(x->mx, j) >= MIXER_FRAME)
			return;
	}
}

/* --- sending --- */

/* output i's payload on its leg's primary audio stream, stamped with the tick's deadline */
static void cmix_send(struct cmix *x, unsigned i, const uint8_t *payload, size_t len,
		      uint64_t deadline_us)
{
	struct leg *l = x->legs[i];
	struct stream_out *o = &l->out[LEG_AUDIO];
	uint32_t clock = leg_out_neg(l, LEG_AUDIO)->clock;
	if (!len || !clock)
		return;
	bool start = o->restart || !o->mapped;
	uint64_t gap_us = o->mapped && deadline_us > o->last_us ? deadline_us - o->last_us : 0;
	uint32_t gap = (uint32_t)(gap_us * clock / 1000000u);
	uint32_t ts = o->last_ts + (gap ? gap : 1);
	uint16_t seq = (uint16_t)(o->last_seq + 1);
	forward_own(l, LEG_AUDIO, start, seq, ts, payload, len);
	o->last_seq = seq;
	o->last_ts = ts;
	o->last_us = deadline_us;
	o->mapped = true;
	o->restart = false;
}

static void cmix_on_tick(uint64_t tick, uint32_t skipped, void *arg)
{
	struct cmix *x = arg;
	struct worker *w = x->call->w;
	uint64_t cpu0 = cmix_cpu_ns();
	const uint8_t *out[CMIX_NOUT];
	size_t lens[CMIX_NOUT];
	(void)skipped;   /* the deadline carries the skip into the timestamps */
	w->now_us = clock_us();
	for (unsigned j = 0; j < CMIX_NSRC; j++)
		cmix_feed(x, j, w->now_us);
	mixer_tick(x->mx, out, lens);
	uint64_t deadline = pacer_deadline(&x->pacer, tick);
	for (unsigned i = 0; i < CMIX_NOUT; i++)
		cmix_send(x, i, out[i], lens[i], deadline);
	worker_tx_flush(w);
	x->cpu_ns += cmix_cpu_ns() - cpu0;
}

/* --- life cycle --- */

static int cmix_alloc_parts(struct cmix *x, float duck_db)
{
	struct mixer_config mc;
	mixer_config_default(&mc, CMIX_NSRC);
	mc.nout = CMIX_NOUT;       /* the interpreter is a source only */
	mc.duck.duck_db = duck_db;
	mc.bitrate = CMIX_BITRATE;
	int err = mixer_alloc(&x->mx, &mc);
	if (!err)
		err = mixer_set_interpretation(x->mx, 0, 1, 2);
	for (unsigned j = 0; j < CMIX_NSRC && !err; j++) {
		struct jb_config jc;
		jb_config_default(&jc, 48000, false);
		jc.nslots = CMIX_JB_SLOTS;
		jc.slot_cap = CMIX_SLOT_CAP;
		jc.nack_tries = 0;
		jc.nack_max_gap = CMIX_JB_SLOTS / 2;
		err = jb_alloc(&x->jb[j], &jc);
	}
	return err;
}

static void cmix_free(struct cmix *x)
{
	for (unsigned j = 0; j < CMIX_NSRC; j++)
		mem_deref(x->jb[j]);
	mem_deref(x->mx);
	free(x);
}

int cmix_create(struct cmix **xp, struct mcall *c, struct leg *const legs[CMIX_NSRC],
		float duck_db)
{
	if (!(duck_db >= -60.0f && duck_db <= 0.0f))
		return EINVAL;
	struct cmix *x = calloc(1, sizeof(*x));
	if (!x)
		return ENOMEM;
	x->call = c;
	x->duck_db = duck_db;
	int err = cmix_alloc_parts(x, duck_db);
	if (!err)
		err = pacer_start(&x->pacer, c->w->loop, 0, CMIX_PERIOD_US, cmix_on_tick, x);
	if (err) {
		cmix_free(x);
		return err;
	}
	for (unsigned j = 0; j < CMIX_NSRC; j++) {
		struct stream_out *o = &legs[j]->out[LEG_AUDIO];
		x->legs[j] = legs[j];
		x->epoch[j] = legs[j]->in[LEG_AUDIO].epoch;
		legs[j]->mix_idx = (int)j;
		if (j >= CMIX_NOUT)
			continue;     /* the interpreter: its forwarded audio runs on undisturbed */
		o->mixed = true;
		o->restart = true;
		o->src_leg = NULL;
	}
	x->started_us = clock_us();
	c->mix = x;
	*xp = x;
	log_info("call %u: simultaneous interpretation, legs %u %u %u, duck %.1f dB", c->id,
		 legs[0]->id, legs[1]->id, legs[2]->id, (double)duck_db);
	return 0;
}

void cmix_destroy(struct cmix *x)
{
	if (!x)
		return;
	pacer_stop(&x->pacer);
	for (unsigned j = 0; j < CMIX_NSRC; j++) {
		struct leg *l = x->legs[j];
		l->mix_idx = -1;
		if (j >= CMIX_NOUT)
			continue;     /* the interpreter's audio was forwarded all along */
		l->out[LEG_AUDIO].mixed = false;
		/* forwarding maps each party afresh: sequence numbers run on from before the mix
		 * on every audio stream (further ones paused meanwhile), with the marker bit */
		for (unsigned i = 0; i < l->nout; i++) {
			if (l->out[i].kind != LEG_AUDIO)
				continue;
			l->out[i].restart = true;
			l->out[i].src_leg = NULL;
		}
	}
	if (x->call->mix == x)
		x->call->mix = NULL;
	log_info("call %u: simultaneous interpretation ends", x->call->id);
	cmix_free(x);
}

bool cmix_same(const struct cmix *x, struct leg *const legs[CMIX_NSRC], float duck_db)
{
	for (unsigned j = 0; j < CMIX_NSRC; j++)
		if (x->legs[j] != legs[j])
			return false;
	return x->duck_db == duck_db;
}

/* --- packet path and views --- */

void cmix_put(struct cmix *x, struct leg *l, const struct jb_pkt *p, uint32_t epoch)
{
	int j = l->mix_idx;
	if (j < 0 || j >= CMIX_NSRC || x->legs[j] != l)
		return;
	if (x->epoch[j] != epoch) {
		jb_reset(x->jb[j]);     /* a new source on the stream: its buffer starts afresh */
		x->epoch[j] = epoch;
	}
	jb_put(x->jb[j], p, l->w->now_us);
}

void cmix_set_loss(struct cmix *x, struct leg *l, int loss_perc)
{
	if (x && l->mix_idx >= 0 && l->mix_idx < CMIX_NOUT && x->legs[l->mix_idx] == l)
		mixer_set_loss(x->mx, (unsigned)l->mix_idx, loss_perc);
}

void cmix_stats(const struct cmix *x, struct media_call_stats *st)
{
	struct mixer_stats ms;
	mixer_get_stats(x->mx, &ms);
	st->mode = MEDIA_MODE_SIMULTANEOUS;
	st->duck_db = x->duck_db;
	st->ticks = x->pacer.ticks;
	st->ticks_skipped = x->pacer.skipped;
	st->tick_late_max_us = x->pacer.late_max_us;
	st->encodes = ms.encodes;
	st->mix_cpu_us = x->cpu_ns / 1000u;
	st->mix_wall_us = clock_us() - x->started_us;
	for (unsigned j = 0; j < CMIX_NSRC; j++) {
		struct jb_stats js;
		jb_stats(x->jb[j], &js);
		st->src[j] = (struct media_mix_src_stats){
			.leg_id = x->legs[j]->id, .played = js.played, .lost_markers = js.lost_markers,
			.playout_late = js.playout_late, .discarded = js.discarded + x->stale[j],
			.delay_us = js.delay_us, .frames = ms.src[j].frames, .plc = ms.src[j].plc,
			.fec = ms.src[j].fec, .underrun = ms.src[j].underrun,
			.active = ms.src[j].active, .level_dbfs = ms.src[j].level_dbfs,
		};
	}
}

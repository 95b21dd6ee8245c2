/* jb: jitter buffer of one inbound RTP stream. See jb.h for the model. */
#include "media/jb.h"
#include "base/mem.h"
#include "media/reorder.h"

#include <errno.h>
#include <string.h>

#define JB_SEQ_MOD 65536
#define JB_NO_BAD_SEQ (JB_SEQ_MOD + 1)
#define JB_RTT_MIN_US 5000
#define JB_SRTT_SHIFT 3           /* smoothed RTT: 1/8 of each new sample */
#define JB_NACK_WAIT_RTT_MULT 2   /* the adaptive first wait is at most 2 smoothed RTTs */
#define JB_BASE_WINDOW_US 2000000
#define JB_STORE_MAX (64u << 20)   /* bytes of playout storage one buffer may reserve */

enum jb_slot_state { JB_S_EMPTY, JB_S_MISSING, JB_S_HAVE, JB_S_LOST };

struct jb_slot {
	int64_t ext;          /* the extended seq this slot describes (valid unless EMPTY) */
	uint64_t nack_us;     /* MISSING: next NACK, or give-up once the tries are used */
	uint64_t miss_us;     /* when the seq was first seen missing; 0 = never missing */
	int64_t due_us;       /* stored for playout: when to play */
	uint32_t ts;
	uint16_t len;         /* bytes stored for playout, 0 = nothing to play */
	uint8_t state, tries;
	bool marker;
	bool orig;            /* HAVE: the original came (not only its retransmission) */
};

struct jb {
	struct jb_config cfg;
	uint32_t mask;
	struct jb_slot *slots;
	uint8_t *store;

	/* sequence (RFC 3550 A.1) */
	bool started;
	uint16_t max_seq;
	uint32_t bad_seq;
	int64_t ext_max, ext_base;
	uint64_t expected_prior;   /* expected of the epochs before the last restart */

	/* jitter (RFC 3550 A.8) */
	uint64_t t0_us, transit_us;  /* first arrival; arrival of the last transit */
	bool have_transit;
	uint32_t transit;
	uint64_t jitter16;         /* jitter × 16, timestamp units */

	/* NACK */
	uint32_t missing;
	int64_t nack_lo;           /* no MISSING slot below this */
	uint64_t nack_next_us;
	bool keyframe;
	struct reorder late;       /* how late reordered originals come: the first NACK wait */
	uint32_t srtt_us;          /* smoothed RTT, bounds that wait */
	bool have_rtt;
	uint64_t originals;        /* unique seqs whose original came */

	/* playout */
	uint32_t ts_ref;           /* RTP ts of the newest packet, and its extension */
	int64_t ts_ref_ext;
	bool have_base;
	int64_t base_cur, base_prev; /* min transit of this and the previous window */
	uint64_t base_win_us, last_arrival_us;
	int64_t rel_mean, rel_dev;   /* of transit − baseline, µs */
	int64_t offset_us;           /* applied: baseline + delay */
	int64_t last_ts_us;          /* media time of the newest packet (for the slew) */
	uint32_t stuck_n;
	int64_t stuck_min, stuck_mean, stuck_dev; /* estimates from before the stuck run */
	uint32_t target_us;
	bool play_started;
	int64_t play_ext;            /* next seq to play */
	int64_t last_due_us;
	uint32_t last_ts;

	struct jb_stats st;
};

static struct jb_slot *jb_slot(const struct jb *jb, int64_t ext)
{
	return &jb->slots[(uint64_t)ext & jb->mask];
}

static uint8_t *jb_data(const struct jb *jb, const struct jb_slot *s)
{
	return jb->store + (size_t)(s - jb->slots) * jb->cfg.slot_cap;
}

void jb_config_default(struct jb_config *cfg, uint32_t clock_rate, bool video)
{
	*cfg = (struct jb_config){
		.clock_rate = clock_rate, .video = video, .nslots = 512, .slot_cap = 0,
		.nack_wait_us = 10000, .nack_wait_max_us = 100000, .nack_tries = 3,
		.nack_max_gap = 256, .rtt_us = 100000,
		.delay_min_us = 20000, .delay_max_us = 200000,
	};
}

static bool jb_config_ok(const struct jb_config *c)
{
	if (c->clock_rate < 1000 || c->clock_rate > 1000000)
		return false;
	if (c->nslots < 16 || c->nslots > JB_MAX_SLOTS || (c->nslots & (c->nslots - 1)))
		return false;
	if (c->slot_cap > UINT16_MAX || (uint64_t)c->slot_cap * c->nslots > JB_STORE_MAX)
		return false;
	if (c->nack_tries > 16 || c->nack_max_gap >= c->nslots || c->nack_wait_max_us > 10000000)
		return false;
	return c->delay_min_us <= c->delay_max_us && c->delay_max_us <= 10000000;
}

/* --- the ring and its window --- */

static void jb_give_up(struct jb *jb, struct jb_slot *s)
{
	s->state = JB_S_LOST;
	jb->missing--;
	jb->st.lost_after_repair++;
	if (jb->cfg.video)
		jb->keyframe = true;
}

/* the slot is about to describe a newer seq: settle what it held */
static void jb_retire(struct jb *jb, struct jb_slot *s)
{
	if (s->state == JB_S_MISSING)
		jb_give_up(jb, s);
	if (jb->play_started && s->state != JB_S_EMPTY && s->ext >= jb->play_ext) {
		if (s->state == JB_S_HAVE && s->len) {
			jb->st.discarded++;
			jb->st.depth--;
		}
		jb->play_ext = s->ext + 1;
	}
	s->state = JB_S_EMPTY;
	s->len = 0;
	s->tries = 0;
	s->miss_us = 0;
	s->orig = false;
}

/* settle the whole window, oldest first (so the playout cursor moves forward only) */
static void jb_retire_all(struct jb *jb)
{
	if (!jb->started)
		return;
	for (int64_t e = jb->ext_max - jb->cfg.nslots + 1; e <= jb->ext_max; e++)
		jb_retire(jb, jb_slot(jb, e));
}

static void jb_clear(struct jb *jb)
{
	jb_retire_all(jb);
	for (uint32_t i = 0; i < jb->cfg.nslots; i++)
		jb->slots[i] = (struct jb_slot){.ext = -1};
	jb->missing = 0;
	jb->nack_next_us = UINT64_MAX;
	jb->started = jb->have_transit = jb->have_base = jb->play_started = false;
	jb->bad_seq = JB_NO_BAD_SEQ;
	jb->stuck_n = 0;
}

void jb_reset(struct jb *jb)
{
	if (jb->started)
		jb->expected_prior += (uint64_t)(jb->ext_max - jb->ext_base + 1);
	jb_clear(jb);
}

int jb_alloc(struct jb **jbp, const struct jb_config *cfg)
{
	if (!jbp || !cfg || !jb_config_ok(cfg))
		return EINVAL;
	size_t slots = sizeof(struct jb_slot) * cfg->nslots;
	struct jb *jb = mem_alloc(sizeof(*jb) + slots + (size_t)cfg->slot_cap * cfg->nslots, NULL);
	if (!jb)
		return ENOMEM;
	jb->cfg = *cfg;
	jb->mask = cfg->nslots - 1;
	jb->slots = (struct jb_slot *)(jb + 1);
	jb->store = (uint8_t *)jb->slots + slots;
	jb->target_us = cfg->delay_min_us;
	jb->srtt_us = cfg->rtt_us;
	reorder_init(&jb->late, 0);
	jb_clear(jb);
	*jbp = jb;
	return 0;
}

void jb_set_rtt(struct jb *jb, uint32_t rtt_us)
{
	jb->cfg.rtt_us = rtt_us;
	if (!jb->have_rtt)
		jb->srtt_us = rtt_us;
	else
		jb->srtt_us = (uint32_t)((int64_t)jb->srtt_us +
					 (((int64_t)rtt_us - jb->srtt_us) >> JB_SRTT_SHIFT));
	jb->have_rtt = true;
}

/* --- the first NACK wait --- */

/* late (the lateness percentile) bounded by the configured floor and the RTT-based cap */
static uint32_t jb_nack_wait_of(const struct jb *jb, uint32_t late)
{
	uint32_t floor = jb->cfg.nack_wait_us;
	uint64_t cap = (uint64_t)jb->srtt_us * JB_NACK_WAIT_RTT_MULT;
	if (cap > jb->cfg.nack_wait_max_us)
		cap = jb->cfg.nack_wait_max_us;
	if (late > cap)
		late = (uint32_t)cap;
	return late > floor ? late : floor;
}

/* how long a gap seen now waits for its first NACK */
static uint32_t jb_nack_wait(struct jb *jb, uint64_t now_us)
{
	return jb_nack_wait_of(jb, reorder_wait_us(&jb->late, now_us));
}

/* an original for a seq once seen missing: learn how late it came; count it when the relay
 * had NACKed it already (reordering taken for loss) and when it follows its retransmission */
static void jb_late_original(struct jb *jb, struct jb_slot *s, const struct jb_pkt *p,
			     uint64_t now_us)
{
	if (p->rtx || !s->miss_us || (s->state == JB_S_HAVE && s->orig))
		return;
	reorder_add(&jb->late, now_us - s->miss_us, now_us);
	if (s->tries)
		jb->st.late_after_nack++;
	if (s->state == JB_S_HAVE) {
		s->orig = true;
		jb->originals++;
	}
}

/* move the window's top to ext (> ext_max); the seqs skipped become MISSING or LOST */
static void jb_advance(struct jb *jb, int64_t ext, uint64_t now_us)
{
	int64_t from = jb->ext_max + 1, gap = ext - from;
	bool nack = gap <= (int64_t)jb->cfg.nack_max_gap;
	uint32_t wait = gap > 0 ? jb_nack_wait(jb, now_us) : 0;
	if (!jb->missing)
		jb->nack_next_us = UINT64_MAX;   /* what it held was for seqs filled since */
	if (ext - from >= (int64_t)jb->cfg.nslots) {
		jb_retire_all(jb);
		int64_t first = ext - jb->cfg.nslots + 1;
		jb->st.lost_after_repair += (uint64_t)(first - from);
		if (jb->play_started && jb->play_ext < first)
			jb->play_ext = first;
		from = first;
	}
	for (int64_t e = from; e <= ext; e++) {
		struct jb_slot *s = jb_slot(jb, e);
		jb_retire(jb, s);
		s->ext = e;
		if (e == ext)
			break;
		s->state = JB_S_MISSING;
		s->nack_us = now_us + wait;
		s->miss_us = now_us ? now_us : 1;
		if (!jb->missing++ || e < jb->nack_lo)
			jb->nack_lo = e;
		if (!nack)
			jb_give_up(jb, s);
	}
	if (nack && gap > 0 && now_us + wait < jb->nack_next_us)
		jb->nack_next_us = now_us + wait;
	if (gap > 0 && !nack && jb->cfg.video)
		jb->keyframe = true;
	jb->ext_max = ext;
}

/* --- interarrival jitter, RFC 3550 A.8 --- */

static void jb_jitter_update(struct jb *jb, uint32_t ts, uint64_t now_us)
{
	uint64_t rel = now_us > jb->t0_us ? now_us - jb->t0_us : 0;
	uint32_t arrival = (uint32_t)(rel * jb->cfg.clock_rate / 1000000u);
	uint32_t transit = arrival - ts;
	int64_t d = (int32_t)(transit - jb->transit);
	if (d < 0)
		d = -d;
	/* a step over a second, or across a silence, is a clock jump or a DTX pause: restart */
	if (jb->have_transit && now_us - jb->transit_us <= JB_SILENCE_US
	    && d <= (int64_t)jb->cfg.clock_rate)
		jb->jitter16 += (uint64_t)d - ((jb->jitter16 + 8) >> 4);
	jb->transit = transit;
	jb->transit_us = now_us;
	jb->have_transit = true;
}

static uint32_t jb_jitter_us(const struct jb *jb)
{
	return (uint32_t)(((jb->jitter16 >> 4) * 1000000u) / jb->cfg.clock_rate);
}

/* --- playout: baseline, target delay, due times --- */

static int64_t jb_ts_us(const struct jb *jb, uint32_t ts)
{
	int64_t ext = jb->ts_ref_ext + (int32_t)(ts - jb->ts_ref);
	return ext * 1000000 / (int64_t)jb->cfg.clock_rate;
}

static int64_t jb_base(const struct jb *jb)
{
	return jb->base_cur < jb->base_prev ? jb->base_cur : jb->base_prev;
}

static void jb_base_reset(struct jb *jb, int64_t transit, uint64_t now_us)
{
	if (jb->have_base)
		jb->st.baseline_resets++;
	jb->have_base = true;
	jb->base_cur = jb->base_prev = transit;
	jb->base_win_us = now_us;
	jb->offset_us = transit + jb->target_us;
	jb->stuck_n = 0;
}

static void jb_target_compute(struct jb *jb)
{
	int64_t t = (int64_t)JB_JITTER_MULT * jb_jitter_us(jb);
	int64_t spread = jb->rel_mean + jb->rel_dev * JB_SPREAD_K10 / 10;
	if (spread > t)
		t = spread;
	if (t < jb->cfg.delay_min_us)
		t = jb->cfg.delay_min_us;
	if (t > jb->cfg.delay_max_us)
		t = jb->cfg.delay_max_us;
	jb->target_us = (uint32_t)t;
}

static void jb_target_update(struct jb *jb, int64_t rel)
{
	jb->rel_mean += (rel - jb->rel_mean) / 32;
	int64_t dev = rel > jb->rel_mean ? rel - jb->rel_mean : jb->rel_mean - rel;
	jb->rel_dev += (dev - jb->rel_dev) / 32;
	jb_target_compute(jb);
}

/* true when the estimate is stuck and the baseline must restart from transit */
static bool jb_base_stuck(struct jb *jb, int64_t transit, uint64_t now_us)
{
	if (!jb->have_base || now_us - jb->last_arrival_us > JB_SILENCE_US)
		return true;
	int64_t rel = transit - jb_base(jb), max = jb->cfg.delay_max_us;
	if (rel < -max)
		return true;
	if (rel <= max) {
		jb->stuck_n = 0;
		return false;
	}
	if (!jb->stuck_n++) {
		jb->stuck_mean = jb->rel_mean;
		jb->stuck_dev = jb->rel_dev;
	}
	if (jb->stuck_n == 1 || transit < jb->stuck_min)
		jb->stuck_min = transit;
	if (jb->stuck_n < JB_STUCK_N)
		return false;
	/* what the run taught was measured against the baseline now dropped */
	jb->rel_mean = jb->stuck_mean;
	jb->rel_dev = jb->stuck_dev;
	jb_target_compute(jb);
	return true;
}

/* move the applied offset toward baseline + target, limited by the media time that passed */
static void jb_slew(struct jb *jb, int64_t ts_us)
{
	int64_t adv = ts_us - jb->last_ts_us;
	if (adv <= 0)
		return;
	jb->last_ts_us = ts_us;
	int64_t want = jb_base(jb) + jb->target_us, hyst = jb->target_us / 8;
	int64_t up = adv * JB_SLEW_UP_PCT / 100, down = adv * JB_SLEW_DOWN_PCT / 100;
	if (want > jb->offset_us)
		jb->offset_us += want - jb->offset_us < up ? want - jb->offset_us : up;
	else if (jb->offset_us - want > hyst)
		jb->offset_us -= jb->offset_us - want - hyst < down ? jb->offset_us - want - hyst : down;
}

/* a new original packet's transit feeds the baseline and the target delay */
static void jb_delay_update(struct jb *jb, int64_t ts_us, uint64_t now_us, bool newest)
{
	int64_t transit = (int64_t)now_us - ts_us;
	if (jb_base_stuck(jb, transit, now_us)) {
		jb_base_reset(jb, jb->stuck_n >= JB_STUCK_N ? jb->stuck_min : transit, now_us);
		jb->last_ts_us = ts_us;
	} else if (now_us - jb->base_win_us >= JB_BASE_WINDOW_US) {
		jb->base_prev = jb->base_cur;
		jb->base_cur = transit;
		jb->base_win_us = now_us;
	} else if (transit < jb->base_cur) {
		jb->base_cur = transit;
	}
	jb->last_arrival_us = now_us;
	int64_t rel = transit - jb_base(jb);
	jb_target_update(jb, rel > 0 ? rel : 0);
	if (newest)
		jb_slew(jb, ts_us);
}

/* the offset a filled-in packet plays with: that of the next stored packet, so a reordered
 * packet keeps its place in the pacing of its neighbours */
static int64_t jb_fill_offset(const struct jb *jb, int64_t ext)
{
	for (int64_t e = ext + 1; e <= jb->ext_max; e++) {
		const struct jb_slot *n = jb_slot(jb, e);
		if (n->ext == e && n->state == JB_S_HAVE && n->len)
			return n->due_us - jb_ts_us(jb, n->ts);
	}
	return jb->offset_us;
}

static void jb_play_put(struct jb *jb, struct jb_slot *s, const struct jb_pkt *p,
			uint64_t now_us, bool newest)
{
	int64_t ts_us = jb_ts_us(jb, p->ts);
	if (!p->rtx)
		jb_delay_update(jb, ts_us, now_us, newest);
	if (jb->play_started && s->ext < jb->play_ext) {
		jb->st.playout_late++;
		return;
	}
	if (!p->data || p->len > jb->cfg.slot_cap || !p->len) {
		jb->st.discarded++;
		return;
	}
	memcpy(jb_data(jb, s), p->data, p->len);
	s->len = (uint16_t)p->len;
	s->ts = p->ts;
	s->marker = p->marker;
	s->due_us = ts_us + (newest ? jb->offset_us : jb_fill_offset(jb, s->ext));
	jb->st.depth++;
	if (!jb->play_started) {
		jb->play_started = true;
		jb->play_ext = s->ext;
		jb->last_due_us = s->due_us;
		jb->last_ts = s->ts;
	}
}

/* --- jb_put --- */

/* a packet whose slot is s (state already settled by the caller) is taken */
static void jb_accept(struct jb *jb, struct jb_slot *s, const struct jb_pkt *p,
		      uint64_t now_us, bool newest)
{
	s->state = JB_S_HAVE;
	s->orig = !p->rtx;
	jb->st.received++;
	if (!p->rtx) {
		jb->originals++;
		jb_jitter_update(jb, p->ts, now_us);
	}
	if (!jb->cfg.slot_cap)
		return;
	jb_play_put(jb, s, p, now_us, newest);
	if (newest) {
		jb->ts_ref_ext += (int32_t)(p->ts - jb->ts_ref);
		jb->ts_ref = p->ts;
	}
}

static enum jb_verdict jb_start(struct jb *jb, const struct jb_pkt *p, uint64_t now_us)
{
	jb->started = true;
	jb->max_seq = p->seq;
	jb->ext_base = jb->ext_max = p->seq;
	jb->nack_lo = p->seq;
	jb->t0_us = now_us;
	jb->ts_ref = p->ts;
	jb->ts_ref_ext = 0;
	jb->last_ts_us = 0;
	struct jb_slot *s = jb_slot(jb, p->seq);
	s->ext = p->seq;
	jb_accept(jb, s, p, now_us, true);
	return JB_FORWARD;
}

static enum jb_verdict jb_put_ahead(struct jb *jb, const struct jb_pkt *p, uint64_t now_us,
				    uint16_t udelta)
{
	int64_t ext = jb->ext_max + udelta;
	jb_advance(jb, ext, now_us);
	jb->max_seq = p->seq;
	if (p->rtx)
		jb->st.repaired++;
	jb_accept(jb, jb_slot(jb, ext), p, now_us, true);
	return udelta > 1 ? JB_FORWARD_GAP : JB_FORWARD;
}

static enum jb_verdict jb_put_behind(struct jb *jb, const struct jb_pkt *p, uint64_t now_us,
				     uint16_t back)
{
	int64_t ext = jb->ext_max - back;
	struct jb_slot *s = jb_slot(jb, ext);
	if (ext < jb->ext_base || ext <= jb->ext_max - (int64_t)jb->cfg.nslots
	    || s->ext != ext || s->state == JB_S_EMPTY) {
		jb->st.late++;
		return JB_FORWARD_LATE;
	}
	jb_late_original(jb, s, p, now_us);
	if (s->state == JB_S_HAVE) {
		jb->st.duplicates++;
		return JB_DROP_DUPLICATE;
	}
	enum jb_verdict v = JB_FORWARD_FILL;
	if (s->state == JB_S_LOST) {
		jb->st.late++;
		v = JB_FORWARD_LATE;
	} else {
		jb->missing--;
		if (p->rtx)
			jb->st.repaired++;
		else
			jb->st.reordered++;
	}
	jb_accept(jb, s, p, now_us, false);
	return v;
}

enum jb_verdict jb_put(struct jb *jb, const struct jb_pkt *p, uint64_t now_us)
{
	if (!jb->started)
		return jb_start(jb, p, now_us);
	uint16_t udelta = (uint16_t)(p->seq - jb->max_seq);
	uint32_t misorder = jb->cfg.nslots > JB_MAX_MISORDER ? jb->cfg.nslots : JB_MAX_MISORDER;
	if (udelta == 0) {
		jb->st.duplicates++;
		return JB_DROP_DUPLICATE;
	}
	if (udelta < JB_MAX_DROPOUT)
		return jb_put_ahead(jb, p, now_us, udelta);
	if (udelta < JB_SEQ_MOD - misorder) {
		if (p->seq != jb->bad_seq) {
			jb->bad_seq = (uint16_t)(p->seq + 1);
			jb->st.bad_seq++;
			return JB_DROP_BAD_SEQ;
		}
		jb_reset(jb);
		jb->st.restarts++;
		jb_start(jb, p, now_us);
		return JB_FORWARD_RESTART;
	}
	return jb_put_behind(jb, p, now_us, (uint16_t)(JB_SEQ_MOD - udelta));
}

/* --- NACK --- */

static uint64_t jb_nack_interval(const struct jb *jb, unsigned tries)
{
	uint64_t rtt = jb->cfg.rtt_us > JB_RTT_MIN_US ? jb->cfg.rtt_us : JB_RTT_MIN_US;
	return rtt << (tries > 1 ? (tries > 5 ? 4 : tries - 1) : 0);
}

size_t jb_nack_due(struct jb *jb, uint64_t now_us, uint16_t *seqs, size_t max)
{
	if (!jb->missing || now_us < jb->nack_next_us)
		return 0;
	size_t n = 0;
	uint64_t next = UINT64_MAX;
	int64_t lo = jb->ext_max - jb->cfg.nslots + 1, first = jb->ext_max;
	for (int64_t e = jb->nack_lo > lo ? jb->nack_lo : lo; e < jb->ext_max; e++) {
		struct jb_slot *s = jb_slot(jb, e);
		if (s->state != JB_S_MISSING || s->ext != e)
			continue;
		if (s->nack_us <= now_us && s->tries >= jb->cfg.nack_tries) {
			jb_give_up(jb, s);
			continue;
		}
		if (e < first)
			first = e;
		if (s->nack_us <= now_us) {
			if (n == max) {
				next = now_us;
				break;
			}
			seqs[n++] = (uint16_t)e;
			s->tries++;
			jb->st.nacks++;
			s->nack_us = now_us + jb_nack_interval(jb, s->tries);
		}
		if (s->nack_us < next)
			next = s->nack_us;
	}
	jb->nack_lo = first;
	jb->nack_next_us = jb->missing ? next : UINT64_MAX;
	return n;
}

uint64_t jb_nack_next_us(const struct jb *jb)
{
	return jb->missing ? jb->nack_next_us : UINT64_MAX;
}

bool jb_keyframe_needed(struct jb *jb)
{
	bool k = jb->keyframe;
	jb->keyframe = false;
	return k;
}

/* --- playout output --- */

/* what the cursor would yield: the slot itself, or a lost marker interpolated toward the next
 * stored packet; false when nothing can be said yet */
static bool jb_play_peek(const struct jb *jb, struct jb_frame *f, enum jb_pop *kind)
{
	if (!jb->cfg.slot_cap || !jb->play_started || jb->play_ext > jb->ext_max)
		return false;
	struct jb_slot *s = jb_slot(jb, jb->play_ext);
	if (s->ext == jb->play_ext && s->state == JB_S_HAVE && s->len) {
		*f = (struct jb_frame){.seq = (uint16_t)s->ext, .ts = s->ts, .marker = s->marker,
				       .data = jb_data(jb, s), .len = s->len, .due_us = (uint64_t)s->due_us};
		*kind = JB_POP_PACKET;
		return true;
	}
	for (int64_t e = jb->play_ext + 1; e <= jb->ext_max; e++) {
		struct jb_slot *n = jb_slot(jb, e);
		if (n->ext != e || n->state != JB_S_HAVE || !n->len)
			continue;
		int64_t k = e - jb->play_ext + 1;
		int64_t due = jb->last_due_us + (n->due_us - jb->last_due_us) / k;
		uint32_t ts = jb->last_ts + (uint32_t)((int32_t)(n->ts - jb->last_ts) / k);
		*f = (struct jb_frame){.seq = (uint16_t)jb->play_ext, .ts = ts,
				       .due_us = due > 0 ? (uint64_t)due : 0};
		if (k == 2) {
			f->data = jb_data(jb, n);
			f->len = n->len;
		}
		*kind = JB_POP_LOST;
		return true;
	}
	return false;
}

enum jb_pop jb_playout_pop(struct jb *jb, uint64_t now_us, struct jb_frame *f)
{
	enum jb_pop kind;
	if (!jb_play_peek(jb, f, &kind) || f->due_us > now_us)
		return JB_POP_NONE;
	jb->play_ext++;
	jb->last_due_us = (int64_t)f->due_us;
	jb->last_ts = f->ts;
	if (kind == JB_POP_PACKET) {
		jb->st.played++;
		jb->st.depth--;
	} else {
		jb->st.lost_markers++;
	}
	return kind;
}

uint64_t jb_playout_next_us(const struct jb *jb)
{
	struct jb_frame f;
	enum jb_pop kind;
	if (!jb_play_peek(jb, &f, &kind))
		return UINT64_MAX;
	return f.due_us;
}

void jb_stats(const struct jb *jb, struct jb_stats *st)
{
	*st = jb->st;
	st->expected = jb->expected_prior;
	if (jb->started)
		st->expected += (uint64_t)(jb->ext_max - jb->ext_base + 1);
	st->lost = st->expected > st->received ? st->expected - st->received : 0;
	st->lost_before_repair = st->expected > jb->originals ? st->expected - jb->originals : 0;
	st->nack_wait_us = jb_nack_wait_of(jb, jb->late.wait_us);
	st->missing = jb->missing;
	st->ext_max_seq = jb->started ? (uint32_t)jb->ext_max : 0;
	st->jitter_ts = (uint32_t)(jb->jitter16 >> 4);
	st->jitter_us = jb_jitter_us(jb);
	st->target_delay_us = jb->target_us;
	int64_t d = jb->have_base ? jb->offset_us - jb_base(jb) : 0;
	st->delay_us = d > 0 ? (uint32_t)d : 0;
}

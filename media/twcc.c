/* twcc: transport-wide congestion control feedback, recorder, builder and parser.
 * See twcc.h for the model. */
#include "media/twcc.h"
#include "base/bytes.h"
#include "base/mem.h"

#include <errno.h>
#include <string.h>

#define TWCC_MASK (TWCC_WINDOW - 1)
#define TWCC_HDR_LEN 20            /* RTPFB header (12) + base, count, ref time, fb count */
#define TWCC_FCI_HDR_LEN 8
#define TWCC_PT_RTPFB 205
#define TWCC_FMT 15
#define TWCC_RUN_MAX 0x1fff        /* 13-bit run length */
#define TWCC_VEC1_N 14             /* symbols in a 1-bit status vector */
#define TWCC_VEC2_N 7              /* ... in a 2-bit one */
#define TWCC_SYM_SPLIT 3           /* delta too large: the feedback ends before it */

enum twcc_slot_state { TWCC_S_EMPTY, TWCC_S_RECEIVED, TWCC_S_REPORTED };

struct twcc {
	bool started;
	int64_t max_ext;           /* highest extended seq received */
	int64_t fb_base;           /* first seq the next feedback covers */
	uint32_t pending;          /* slots RECEIVED (arrived, not reported) */
	uint64_t last_fb_us;
	uint8_t fb_count;
	int64_t arrival[TWCC_WINDOW];
	uint8_t state[TWCC_WINDOW];
	uint8_t deltas[2 * TWCC_WINDOW]; /* scratch while building */
	struct twcc_stats st;
};

/* the chunk encoder: symbols wait here until they fill (or end) a chunk */
struct twcc_enc {
	uint8_t sym[TWCC_VEC1_N];
	unsigned n;                /* symbols waiting (a run may exceed TWCC_VEC1_N) */
	bool same, large;          /* all equal; one is a large delta */
	uint8_t *out;              /* where chunks go */
	size_t nchunks;
};

static size_t twcc_slot(int64_t ext) { return (size_t)((uint64_t)ext & TWCC_MASK); }

/* ---- recorder ------------------------------------------------------------------------ */

int twcc_alloc(struct twcc **tp)
{
	struct twcc *t = mem_alloc(sizeof(*t), NULL);
	if (!t)
		return ENOMEM;
	*tp = t;
	return 0;
}

void twcc_reset(struct twcc *t)
{
	t->started = false;
	t->pending = 0;
	memset(t->state, TWCC_S_EMPTY, sizeof(t->state));
}

int twcc_ext_seq(const uint8_t *data, size_t len, uint16_t *seq)
{
	if (!data || len < 2)
		return EBADMSG;
	*seq = bytes_rd16(data);
	return 0;
}

/* move the window's top to ext: the slots it enters are emptied, and what they held (the
 * seqs a window behind) is gone; unreported arrivals among them are dropped. A jump of a
 * window or more visits every slot once. */
static void twcc_advance(struct twcc *t, int64_t ext)
{
	int64_t from = t->max_ext + 1;
	if (ext - from >= (int64_t)TWCC_WINDOW)
		from = ext - TWCC_WINDOW + 1;
	for (int64_t e = from; e <= ext; e++) {
		size_t s = twcc_slot(e);
		if (t->state[s] == TWCC_S_RECEIVED) {
			t->st.dropped++;
			t->pending--;
		}
		t->state[s] = TWCC_S_EMPTY;
	}
	t->max_ext = ext;
	if (t->fb_base < ext - (int64_t)TWCC_WINDOW + 1)
		t->fb_base = ext - TWCC_WINDOW + 1;
}

void twcc_on_packet(struct twcc *t, uint16_t seq, uint64_t now_us)
{
	int64_t ext;
	if (!t->started) {
		t->started = true;
		t->max_ext = t->fb_base = ext = seq;
		t->last_fb_us = now_us;
	} else {
		ext = t->max_ext + (int16_t)(uint16_t)(seq - (uint16_t)t->max_ext);
		if (ext > t->max_ext) {
			twcc_advance(t, ext);
		} else if (ext <= t->max_ext - (int64_t)TWCC_WINDOW) {
			t->st.too_old++;
			return;
		}
	}
	size_t s = twcc_slot(ext);
	if (t->state[s] != TWCC_S_EMPTY) {
		t->st.duplicates++;
		return;
	}
	t->state[s] = TWCC_S_RECEIVED;
	t->arrival[s] = (int64_t)now_us;
	t->pending++;
	t->st.packets++;
	if (ext < t->fb_base) {
		t->fb_base = ext;
		if (t->st.feedbacks)
			t->st.late++;          /* feedback already went past its seq */
	}
}

bool twcc_feedback_due(const struct twcc *t, uint64_t now_us)
{
	if (!t->pending)
		return false;
	return t->pending >= TWCC_PENDING_MAX || now_us >= t->last_fb_us + TWCC_INTERVAL_US ||
	       t->max_ext - t->fb_base >= (int64_t)TWCC_WINDOW / 2;
}

uint64_t twcc_next_us(const struct twcc *t)
{
	return t->pending ? t->last_fb_us + TWCC_INTERVAL_US : UINT64_MAX;
}

void twcc_stats(const struct twcc *t, struct twcc_stats *st)
{
	*st = t->st;
}

/* ---- chunk encoder ------------------------------------------------------------------- */

static void twcc_enc_put(struct twcc_enc *c, uint16_t chunk)
{
	bytes_wr16(c->out + 2 * c->nchunks++, chunk);
}

static void twcc_enc_recount(struct twcc_enc *c)
{
	c->same = true;
	c->large = false;
	for (unsigned i = 0; i < c->n; i++) {
		c->same = c->same && c->sym[i] == c->sym[0];
		c->large = c->large || c->sym[i] == TWCC_SYM_LARGE_DELTA;
	}
}

/* A run; a full 1-bit vector; else a 2-bit vector of the first 7 symbols, the rest staying.
 * Mid-packet every vector is full (the parser takes 14 or 7 statuses from it); only the
 * last chunk (final) may be partial, since the status count ends it. */
static void twcc_enc_emit(struct twcc_enc *c, bool final)
{
	uint16_t chunk;
	unsigned take;
	if (c->same) {
		twcc_enc_put(c, (uint16_t)(c->sym[0] << 13 | c->n));
		c->n = 0;
		return;
	}
	if (!c->large && (c->n == TWCC_VEC1_N || (final && c->n > TWCC_VEC2_N))) {
		chunk = 0x8000;
		for (unsigned i = 0; i < c->n; i++)
			chunk |= (uint16_t)((c->sym[i] ? 1u : 0u) << (TWCC_VEC1_N - 1 - i));
		twcc_enc_put(c, chunk);
		c->n = 0;
		return;
	}
	take = c->n < TWCC_VEC2_N ? c->n : TWCC_VEC2_N;
	chunk = 0xc000;
	for (unsigned i = 0; i < take; i++)
		chunk |= (uint16_t)(c->sym[i] << (2 * (TWCC_VEC2_N - 1 - i)));
	twcc_enc_put(c, chunk);
	memmove(c->sym, c->sym + take, c->n - take);
	c->n -= take;
	twcc_enc_recount(c);
}

static bool twcc_enc_fits(const struct twcc_enc *c, uint8_t sym)
{
	if (c->n < TWCC_VEC2_N)
		return true;                          /* any 7 fit a 2-bit vector */
	if (c->n < TWCC_VEC1_N && !c->large && sym != TWCC_SYM_LARGE_DELTA)
		return true;                          /* a 1-bit vector */
	return c->same && sym == c->sym[0] && c->n < TWCC_RUN_MAX;
}

static void twcc_enc_add(struct twcc_enc *c, uint8_t sym)
{
	while (!twcc_enc_fits(c, sym))
		twcc_enc_emit(c, false);
	if (c->n < TWCC_VEC1_N)
		c->sym[c->n] = sym;
	c->same = c->n == 0 || (c->same && sym == c->sym[0]);
	c->large = (c->n && c->large) || sym == TWCC_SYM_LARGE_DELTA;
	c->n++;
}

static void twcc_enc_flush(struct twcc_enc *c)
{
	while (c->n)
		twcc_enc_emit(c, true);
}

/* ---- builder ------------------------------------------------------------------------- */

/* nearest multiple of 250 µs, halves away from zero */
static int64_t twcc_ticks(int64_t us)
{
	return us >= 0 ? (us + TWCC_DELTA_US / 2) / TWCC_DELTA_US
		       : -((-us + TWCC_DELTA_US / 2) / TWCC_DELTA_US);
}

struct twcc_build {
	struct twcc_enc enc;
	int64_t ref;               /* reference time, 64 ms units; -1 before the first arrival */
	int64_t cursor_us;         /* ref time plus the deltas written so far */
	size_t ndelta;             /* delta bytes in t->deltas */
	uint32_t nrecv;
};

/* the symbol (and delta) for slot e, or TWCC_SYM_SPLIT */
static uint8_t twcc_build_symbol(const struct twcc *t, struct twcc_build *b, int64_t e,
				 int64_t *ticks)
{
	size_t s = twcc_slot(e);
	if (t->state[s] != TWCC_S_RECEIVED)
		return TWCC_SYM_NOT_RECEIVED;     /* never came, or reported before (§3.1.1) */
	if (b->ref < 0) {
		b->ref = t->arrival[s] / TWCC_REF_US;
		b->cursor_us = b->ref * TWCC_REF_US;
	}
	*ticks = twcc_ticks(t->arrival[s] - b->cursor_us);
	if (*ticks >= 0 && *ticks <= 0xff)
		return TWCC_SYM_SMALL_DELTA;
	if (*ticks >= INT16_MIN && *ticks <= INT16_MAX)
		return TWCC_SYM_LARGE_DELTA;
	return TWCC_SYM_SPLIT;
}

/* add statuses from t->fb_base while they fit cap; returns the seq after the last one */
static int64_t twcc_build_statuses(struct twcc *t, struct twcc_build *b, size_t cap)
{
	int64_t e;
	for (e = t->fb_base; e <= t->max_ext; e++) {
		int64_t ticks = 0;
		uint8_t sym = twcc_build_symbol(t, b, e, &ticks);
		if (sym == TWCC_SYM_SPLIT)
			break;
		/* header, chunks so far and up to three more (two emitted by this add, one for
		 * what waits), the deltas with this one, padding */
		size_t need = TWCC_HDR_LEN + 2 * (b->enc.nchunks + 3) + b->ndelta + 2 + 3;
		if (need > cap || e - t->fb_base >= (int64_t)TWCC_STATUS_MAX)
			break;
		twcc_enc_add(&b->enc, sym);
		if (sym == TWCC_SYM_NOT_RECEIVED)
			continue;
		if (sym == TWCC_SYM_SMALL_DELTA) {
			t->deltas[b->ndelta++] = (uint8_t)ticks;
		} else {
			bytes_wr16(t->deltas + b->ndelta, (uint16_t)(int16_t)ticks);
			b->ndelta += 2;
		}
		b->cursor_us += ticks * TWCC_DELTA_US;
		b->nrecv++;
	}
	return e;
}

static size_t twcc_build_finish(struct twcc *t, struct twcc_build *b, uint8_t *buf,
				int64_t end, uint32_t sender_ssrc, uint32_t media_ssrc)
{
	size_t len = TWCC_HDR_LEN + 2 * b->enc.nchunks;
	memcpy(buf + len, t->deltas, b->ndelta);
	len += b->ndelta;
	size_t pad = (4 - len % 4) % 4;
	memset(buf + len, 0, pad);
	if (pad)
		buf[len + pad - 1] = (uint8_t)pad;
	len += pad;
	buf[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | TWCC_FMT);
	buf[1] = TWCC_PT_RTPFB;
	bytes_wr16(buf + 2, (uint16_t)(len / 4 - 1));
	for (int i = 0; i < 4; i++) {
		buf[4 + i] = (uint8_t)(sender_ssrc >> (24 - 8 * i));
		buf[8 + i] = (uint8_t)(media_ssrc >> (24 - 8 * i));
	}
	bytes_wr16(buf + 12, (uint16_t)t->fb_base);
	bytes_wr16(buf + 14, (uint16_t)(end - t->fb_base));
	buf[16] = (uint8_t)(b->ref >> 16);
	buf[17] = (uint8_t)(b->ref >> 8);
	buf[18] = (uint8_t)b->ref;
	buf[19] = t->fb_count++;
	return len;
}

size_t twcc_feedback_build(struct twcc *t, uint8_t *buf, size_t cap, uint32_t sender_ssrc,
			   uint32_t media_ssrc, uint64_t now_us)
{
	if (!t->pending) {
		if (t->started)
			t->fb_base = t->max_ext + 1;   /* only reported seqs left */
		return 0;
	}
	if (!buf || cap < TWCC_FB_MIN_CAP)
		return 0;
	struct twcc_build b = { .enc = { .out = buf + TWCC_HDR_LEN }, .ref = -1 };
	int64_t end = twcc_build_statuses(t, &b, cap);
	twcc_enc_flush(&b.enc);
	/* every unreported arrival lies in [fb_base, max_ext] and the first one always fits
	 * (a run of not-received before it is one chunk), so nrecv > 0 here */
	size_t len = twcc_build_finish(t, &b, buf, end, sender_ssrc, media_ssrc);
	for (int64_t e = t->fb_base; e < end; e++) {
		size_t s = twcc_slot(e);
		if (t->state[s] == TWCC_S_RECEIVED)
			t->state[s] = TWCC_S_REPORTED;
	}
	t->pending -= b.nrecv;
	t->fb_base = end;
	t->last_fb_us = now_us;
	t->st.feedbacks++;
	return len;
}

/* ---- parser -------------------------------------------------------------------------- */

/* the statuses of one chunk into st[i ..), at most count − i; how many, or -EBADMSG */
static int twcc_chunk_decode(uint16_t chunk, struct twcc_status *st, size_t i, size_t count)
{
	size_t n = 0, left = count - i;
	if (!(chunk & 0x8000)) {
		uint8_t sym = (uint8_t)(chunk >> 13 & 3);
		size_t run = chunk & TWCC_RUN_MAX;
		if (sym == 3 || run == 0)
			return -EBADMSG;
		for (; n < run && n < left; n++)
			st[i + n].symbol = sym;
		return (int)n;
	}
	if (!(chunk & 0x4000)) {
		for (; n < TWCC_VEC1_N && n < left; n++)
			st[i + n].symbol = (uint8_t)(chunk >> (TWCC_VEC1_N - 1 - n) & 1);
		return (int)n;
	}
	for (; n < TWCC_VEC2_N && n < left; n++) {
		st[i + n].symbol = (uint8_t)(chunk >> (2 * (TWCC_VEC2_N - 1 - n)) & 3);
		if (st[i + n].symbol == 3)
			return -EBADMSG;
	}
	return (int)n;
}

/* the deltas after the chunks, from pos; the offset after the last, or -EBADMSG */
static long twcc_deltas_decode(const uint8_t *fci, size_t len, size_t pos,
			       struct twcc_feedback *fb, struct twcc_status *st)
{
	int64_t t_us = (int64_t)fb->ref_time * TWCC_REF_US;
	for (size_t i = 0; i < fb->status_count; i++) {
		st[i].seq = (uint16_t)(fb->base_seq + i);
		st[i].received = st[i].symbol != TWCC_SYM_NOT_RECEIVED;
		st[i].delta = 0;
		st[i].arrival_us = 0;
		if (!st[i].received)
			continue;
		if (st[i].symbol == TWCC_SYM_SMALL_DELTA) {
			if (pos + 1 > len)
				return -EBADMSG;
			st[i].delta = fci[pos++];
		} else {
			if (pos + 2 > len)
				return -EBADMSG;
			st[i].delta = (int16_t)bytes_rd16(fci + pos);
			pos += 2;
		}
		t_us += (int64_t)st[i].delta * TWCC_DELTA_US;
		st[i].arrival_us = t_us;
		fb->received++;
	}
	return (long)pos;
}

int twcc_feedback_parse(const uint8_t *fci, size_t len, struct twcc_feedback *fb,
			struct twcc_status *st, size_t cap)
{
	memset(fb, 0, sizeof(*fb));
	if (!fci || len < TWCC_FCI_HDR_LEN)
		return EBADMSG;
	fb->base_seq = bytes_rd16(fci);
	fb->status_count = bytes_rd16(fci + 2);
	fb->ref_time = (uint32_t)fci[4] << 16 | (uint32_t)fci[5] << 8 | fci[6];
	fb->fb_count = fci[7];
	if (fb->status_count == 0)
		return EBADMSG;
	if (fb->status_count > cap || !st)
		return E2BIG;
	size_t pos = TWCC_FCI_HDR_LEN, i = 0;
	while (i < fb->status_count) {
		if (pos + 2 > len)
			return EBADMSG;
		int n = twcc_chunk_decode(bytes_rd16(fci + pos), st, i, fb->status_count);
		if (n < 0)
			return EBADMSG;
		pos += 2;
		i += (size_t)n;
	}
	long end = twcc_deltas_decode(fci, len, pos, fb, st);
	if (end < 0 || len - (size_t)end > 3)
		return EBADMSG;
	return 0;
}

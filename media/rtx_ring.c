/* rtx_ring: recently sent packets of one outbound stream, for NACK answers. See rtx_ring.h.
 *
 * Layout: an index of npkts slots by seq (16 bytes each) and a byte arena of RTX_CHUNK-sized
 * chunks holding the packets at their real length, each behind an 8-byte record header. The
 * chunks in use form a FIFO (oldest first); a put fills the newest chunk, takes the
 * lowest-numbered free chunk when it is full, and first frees the oldest chunks whose newest
 * packet is older than the hold time. The arena is reserved (mmap) for npkts × pkt_cap but
 * only the chunks ever used are touched, so what a ring costs follows bitrate × hold time. */
#include "media/rtx_ring.h"
#include "base/mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define RTX_PENDING_TTL_MIN_US 100000
#define RTX_CHUNK 8192u
#define RTX_NONE UINT32_MAX

struct rtx_slot {
	uint64_t resent_us;     /* last resend (or send answering a NACK), 0 = never */
	uint32_t off;           /* the record's offset in the arena */
	uint32_t gen;           /* its chunk's generation when stored (stale once freed) */
	uint16_t seq, len;      /* len 0: empty */
};

struct rtx_rec {             /* in the arena, before the packet; 8-byte aligned */
	uint16_t seq, len;
	uint32_t pad;
};

struct rtx_chunk {
	uint64_t newest_us;     /* when its last packet was stored */
	uint32_t used;          /* bytes filled */
	uint32_t next;          /* the next younger chunk in use, RTX_NONE */
	uint32_t gen;           /* bumped when freed: index slots into it go stale */
	uint16_t max_seq;       /* the newest seq stored in it */
	bool has_seq;
};

struct rtx_pending {
	uint64_t since_us;
	uint16_t seq;
};

struct rtx_ring {
	uint32_t npkts, mask, pkt_cap, rtt_us;
	uint64_t hold_us;
	bool have_newest, have_gone;
	uint16_t newest, gone;   /* newest seq stored; newest seq dropped from the arena */
	struct rtx_slot *slots;
	uint8_t *arena;
	size_t arena_len;
	uint32_t nchunks, oldest, cur;   /* chunk FIFO: oldest .. cur (being filled) */
	struct rtx_chunk *chunks;
	uint64_t *free_map;              /* bit set: chunk free */
	struct rtx_pending pending[RTX_PENDING_MAX];
	uint32_t npending;
	struct rtx_ring_stats st;
};

uint32_t rtx_ring_size(uint32_t rtt_us, uint32_t pkts_per_s)
{
	uint64_t want = ((uint64_t)rtt_us * 4 + 100000) * pkts_per_s / 1000000;
	uint32_t n = RTX_RING_MIN;
	while (n < want && n < RTX_RING_MAX)
		n <<= 1;
	return n;
}

static void rtx_ring_destroy(void *arg)
{
	struct rtx_ring *r = arg;
	if (r->arena)
		munmap(r->arena, r->arena_len);
}

int rtx_ring_alloc(struct rtx_ring **rp, uint32_t npkts, uint32_t pkt_cap, uint32_t rtt_us)
{
	if (!rp || npkts < RTX_RING_MIN || npkts > RTX_RING_MAX || (npkts & (npkts - 1))
	    || !pkt_cap || pkt_cap > UINT16_MAX || pkt_cap + sizeof(struct rtx_rec) > RTX_CHUNK)
		return EINVAL;
	uint64_t bytes = (uint64_t)npkts * (pkt_cap + sizeof(struct rtx_rec) + 8);
	uint32_t nchunks = (uint32_t)((bytes + RTX_CHUNK - 1) / RTX_CHUNK) + 1;
	uint32_t nwords = (nchunks + 63) / 64;
	size_t slots = sizeof(struct rtx_slot) * npkts, chunks = sizeof(struct rtx_chunk) * nchunks;
	struct rtx_ring *r = mem_alloc(sizeof(*r) + slots + chunks + nwords * sizeof(uint64_t),
				       rtx_ring_destroy);
	if (!r)
		return ENOMEM;
	r->arena_len = (size_t)nchunks * RTX_CHUNK;
	void *a = mmap(NULL, r->arena_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a == MAP_FAILED) {
		mem_deref(r);
		return ENOMEM;
	}
	r->arena = a;
	r->npkts = npkts;
	r->mask = npkts - 1;
	r->pkt_cap = pkt_cap;
	r->slots = (struct rtx_slot *)(r + 1);
	r->chunks = (struct rtx_chunk *)(r->slots + npkts);
	r->free_map = (uint64_t *)(r->chunks + nchunks);
	r->nchunks = nchunks;
	r->oldest = r->cur = RTX_NONE;
	for (uint32_t i = 0; i < nchunks; i++)
		r->free_map[i / 64] |= 1ull << (i % 64);
	rtx_ring_set_rtt(r, rtt_us);
	*rp = r;
	return 0;
}

void rtx_ring_set_rtt(struct rtx_ring *r, uint32_t rtt_us)
{
	r->rtt_us = rtt_us;
	r->hold_us = (uint64_t)rtt_us * 4 + 100000;
	if (r->hold_us < RTX_HOLD_MIN_US)
		r->hold_us = RTX_HOLD_MIN_US;
}

/* --- the arena --- */

/* drop the oldest chunk: its packets leave the index (their slots go stale by generation, so
 * the cold records are not read again) */
static void rtx_chunk_free(struct rtx_ring *r)
{
	uint32_t c = r->oldest;
	struct rtx_chunk *ch = &r->chunks[c];
	ch->gen++;
	if (ch->has_seq && (!r->have_gone || (int16_t)(ch->max_seq - r->gone) > 0)) {
		r->gone = ch->max_seq;
		r->have_gone = true;
	}
	r->oldest = ch->next;
	if (r->oldest == RTX_NONE)
		r->cur = RTX_NONE;
	r->free_map[c / 64] |= 1ull << (c % 64);
}

static uint32_t rtx_chunk_take(struct rtx_ring *r, uint64_t now_us)
{
	uint32_t c = RTX_NONE;
	for (uint32_t w = 0; w * 64 < r->nchunks && c == RTX_NONE; w++)
		if (r->free_map[w])
			c = w * 64 + (uint32_t)__builtin_ctzll(r->free_map[w]);
	if (c == RTX_NONE) {         /* all in use: the oldest goes before its time */
		r->st.evicted_early++;
		c = r->oldest;
		rtx_chunk_free(r);
	}
	r->free_map[c / 64] &= ~(1ull << (c % 64));
	r->chunks[c] = (struct rtx_chunk){.newest_us = now_us, .next = RTX_NONE,
					  .gen = r->chunks[c].gen};
	if (r->cur != RTX_NONE)
		r->chunks[r->cur].next = c;
	else
		r->oldest = c;
	r->cur = c;
	return c;
}

/* room for seq's record of need bytes: expired chunks freed, a fresh chunk when the current
 * is full */
static uint8_t *rtx_arena_room(struct rtx_ring *r, uint16_t seq, uint32_t need, uint64_t now_us,
			       uint32_t *off, uint32_t *gen)
{
	while (r->oldest != RTX_NONE && r->oldest != r->cur &&
	       now_us - r->chunks[r->oldest].newest_us > r->hold_us)
		rtx_chunk_free(r);
	uint32_t c = r->cur;
	if (c == RTX_NONE || r->chunks[c].used + need > RTX_CHUNK)
		c = rtx_chunk_take(r, now_us);
	struct rtx_chunk *ch = &r->chunks[c];
	*off = c * RTX_CHUNK + ch->used;
	*gen = ch->gen;
	ch->used += need;
	ch->newest_us = now_us;
	if (!ch->has_seq || (int16_t)(seq - ch->max_seq) > 0)
		ch->max_seq = seq;
	ch->has_seq = true;
	return r->arena + *off;
}

void rtx_ring_prefetch_index(const struct rtx_ring *r)
{
	if (r->cur != RTX_NONE)
		__builtin_prefetch(&r->chunks[r->cur]);
	if (r->oldest != RTX_NONE)
		__builtin_prefetch(&r->chunks[r->oldest]);   /* rtx_arena_room's expiry check */
	__builtin_prefetch(&r->slots[(uint16_t)(r->newest + 1u) & r->mask]);
}

void rtx_ring_prefetch_arena(const struct rtx_ring *r)
{
	if (r->cur == RTX_NONE)
		return;
	const uint8_t *p = r->arena + (size_t)r->cur * RTX_CHUNK + r->chunks[r->cur].used;
	__builtin_prefetch(p, 1);
	__builtin_prefetch(p + 64, 1);   /* the hardware prefetcher follows the rest of the copy */
}

/* --- NACKs that came before their packet --- */

static void rtx_pending_expire(struct rtx_ring *r, uint64_t now_us)
{
	uint64_t ttl = (uint64_t)r->rtt_us * 2;
	if (ttl < RTX_PENDING_TTL_MIN_US)
		ttl = RTX_PENDING_TTL_MIN_US;
	for (uint32_t i = 0; i < r->npending;) {
		if (now_us - r->pending[i].since_us > ttl) {
			r->pending[i] = r->pending[--r->npending];
			r->st.pending_expired++;
		} else {
			i++;
		}
	}
}

static int rtx_pending_find(const struct rtx_ring *r, uint16_t seq)
{
	for (uint32_t i = 0; i < r->npending; i++)
		if (r->pending[i].seq == seq)
			return (int)i;
	return -1;
}

static void rtx_pending_add(struct rtx_ring *r, uint16_t seq, uint64_t now_us)
{
	if (rtx_pending_find(r, seq) >= 0)
		return;
	uint32_t i = r->npending;
	if (i == RTX_PENDING_MAX) {   /* full: the oldest makes room */
		i = 0;
		for (uint32_t j = 1; j < r->npending; j++)
			if (r->pending[j].since_us < r->pending[i].since_us)
				i = j;
		r->st.pending_expired++;
	} else {
		r->npending++;
	}
	r->pending[i] = (struct rtx_pending){.since_us = now_us, .seq = seq};
	r->st.pending_added++;
}

/* --- store and look up --- */

static bool rtx_slot_live(const struct rtx_ring *r, const struct rtx_slot *s)
{
	return s->len && r->chunks[s->off / RTX_CHUNK].gen == s->gen;
}

bool rtx_ring_put(struct rtx_ring *r, uint16_t seq, const uint8_t *data, size_t len,
		  uint64_t now_us)
{
	if (!data || !len || len > r->pkt_cap)
		return false;
	if (r->have_newest && (int16_t)(r->newest - seq) >= (int32_t)r->npkts)
		return false;   /* older than the whole ring: its slot holds a newer packet */
	if (!r->have_newest || (int16_t)(seq - r->newest) > 0) {
		r->newest = seq;
		r->have_newest = true;
	}
	uint32_t off, gen;
	uint32_t need = (uint32_t)(sizeof(struct rtx_rec) + len + 7u) & ~7u;
	uint8_t *p = rtx_arena_room(r, seq, need, now_us, &off, &gen);
	*(struct rtx_rec *)p = (struct rtx_rec){.seq = seq, .len = (uint16_t)len};
	memcpy(p + sizeof(struct rtx_rec), data, len);
	struct rtx_slot *s = &r->slots[seq & r->mask];
	uint64_t resent = rtx_slot_live(r, s) && s->seq == seq ? s->resent_us : 0;  /* again */
	*s = (struct rtx_slot){.resent_us = resent, .off = off, .gen = gen, .seq = seq,
			       .len = (uint16_t)len};
	r->st.stored++;
	if (!r->npending)
		return false;
	rtx_pending_expire(r, now_us);
	int i = rtx_pending_find(r, seq);
	if (i < 0)
		return false;
	r->pending[i] = r->pending[--r->npending];
	r->st.pending_answered++;
	s->resent_us = now_us;
	return true;
}

int rtx_ring_get(struct rtx_ring *r, uint16_t seq, uint64_t now_us, const uint8_t **data,
		 size_t *len)
{
	struct rtx_slot *s = &r->slots[seq & r->mask];
	int32_t d = (int16_t)(seq - r->newest);
	if (rtx_slot_live(r, s) && s->seq == seq && -d < (int32_t)r->npkts) {
		uint64_t backoff = r->rtt_us / 2;
		if (backoff < RTX_BACKOFF_MIN_US)
			backoff = RTX_BACKOFF_MIN_US;
		if (s->resent_us && now_us - s->resent_us < backoff) {
			r->st.backoffs++;
			return EALREADY;
		}
		s->resent_us = now_us ? now_us : 1;
		*data = r->arena + s->off + sizeof(struct rtx_rec);
		*len = s->len;
		r->st.hits++;
		return 0;
	}
	/* not here: plausible while within one ring of the newest and younger than what the
	 * arena dropped (a gap we forwarded around, or not sent yet), too old otherwise */
	if (r->have_newest && (d > (int32_t)r->npkts || -d >= (int32_t)r->npkts ||
			       (r->have_gone && d < 0 && (int16_t)(seq - r->gone) <= 0))) {
		r->st.misses++;
		return ENOENT;
	}
	rtx_pending_expire(r, now_us);
	rtx_pending_add(r, seq, now_us);
	return EAGAIN;
}

void rtx_ring_stats(const struct rtx_ring *r, struct rtx_ring_stats *st)
{
	*st = r->st;
	st->npkts = r->npkts;
	st->pending = r->npending;
	st->chunks = 0;
	for (uint32_t c = r->oldest; c != RTX_NONE; c = r->chunks[c].next)
		st->chunks++;
	st->bytes = (uint64_t)st->chunks * RTX_CHUNK;
}

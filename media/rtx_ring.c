/* rtx_ring: recently sent packets of one outbound stream, for NACK answers. See rtx_ring.h. */
#include "media/rtx_ring.h"
#include "base/mem.h"

#include <errno.h>
#include <string.h>

#define RTX_PENDING_TTL_MIN_US 100000

struct rtx_slot {
	uint64_t resent_us;     /* last resend (or send answering a NACK), 0 = never */
	uint16_t seq, len;
	bool valid;
};

struct rtx_pending {
	uint64_t since_us;
	uint16_t seq;
};

struct rtx_ring {
	uint32_t npkts, mask, pkt_cap, rtt_us;
	bool have_newest;
	uint16_t newest;
	struct rtx_slot *slots;
	uint8_t *store;
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

int rtx_ring_alloc(struct rtx_ring **rp, uint32_t npkts, uint32_t pkt_cap, uint32_t rtt_us)
{
	if (!rp || npkts < RTX_RING_MIN || npkts > RTX_RING_MAX || (npkts & (npkts - 1))
	    || !pkt_cap || pkt_cap > UINT16_MAX)
		return EINVAL;
	size_t slots = sizeof(struct rtx_slot) * npkts;
	struct rtx_ring *r = mem_alloc(sizeof(*r) + slots + (size_t)npkts * pkt_cap, NULL);
	if (!r)
		return ENOMEM;
	r->npkts = npkts;
	r->mask = npkts - 1;
	r->pkt_cap = pkt_cap;
	r->rtt_us = rtt_us;
	r->slots = (struct rtx_slot *)(r + 1);
	r->store = (uint8_t *)r->slots + slots;
	*rp = r;
	return 0;
}

void rtx_ring_set_rtt(struct rtx_ring *r, uint32_t rtt_us)
{
	r->rtt_us = rtt_us;
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
	struct rtx_slot *s = &r->slots[seq & r->mask];
	memcpy(r->store + (size_t)(seq & r->mask) * r->pkt_cap, data, len);
	uint64_t resent = s->valid && s->seq == seq ? s->resent_us : 0;  /* same packet again */
	*s = (struct rtx_slot){.resent_us = resent, .seq = seq, .len = (uint16_t)len, .valid = true};
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
	if (s->valid && s->seq == seq && -d < (int32_t)r->npkts) {
		uint64_t backoff = r->rtt_us / 2;
		if (backoff < RTX_BACKOFF_MIN_US)
			backoff = RTX_BACKOFF_MIN_US;
		if (s->resent_us && now_us - s->resent_us < backoff) {
			r->st.backoffs++;
			return EALREADY;
		}
		s->resent_us = now_us ? now_us : 1;
		*data = r->store + (size_t)(seq & r->mask) * r->pkt_cap;
		*len = s->len;
		r->st.hits++;
		return 0;
	}
	/* not here: plausible while within one ring of the newest (a gap we forwarded around,
	 * or not sent yet), too old otherwise */
	if (r->have_newest && (d > (int32_t)r->npkts || -d >= (int32_t)r->npkts)) {
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
}

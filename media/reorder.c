/* reorder: a decaying histogram of reordered packets' lateness. See reorder.h. */
#include "media/reorder.h"

#include <string.h>

#define REORDER_ONE 4096u                 /* one sample's weight */
#define REORDER_MIN_WEIGHT (REORDER_ONE / 2)

static void reorder_halve(struct reorder *r, unsigned shift)
{
	r->total = 0;
	for (unsigned i = 0; i < REORDER_BUCKETS; i++) {
		r->w[i] = shift < 32 ? r->w[i] >> shift : 0;
		r->total += r->w[i];
	}
}

/* the smallest bucket edge below which REORDER_PCT % of the weight lies */
static void reorder_update(struct reorder *r)
{
	if (r->total < REORDER_MIN_WEIGHT) {
		r->wait_us = 0;
		return;
	}
	uint64_t want = ((uint64_t)r->total * REORDER_PCT + 99) / 100, sum = 0;
	unsigned i = 0;
	for (; i < REORDER_BUCKETS - 1; i++) {
		sum += r->w[i];
		if (sum >= want)
			break;
	}
	r->wait_us = (i + 1) * REORDER_BUCKET_US;
}

/* time forgetting, applied lazily: whole half-lives since the last one */
static void reorder_decay(struct reorder *r, uint64_t now_us)
{
	if (now_us < r->decay_us + REORDER_HALF_LIFE_US)
		return;
	uint64_t n = (now_us - r->decay_us) / REORDER_HALF_LIFE_US;
	r->decay_us += n * REORDER_HALF_LIFE_US;
	reorder_halve(r, n < 32 ? (unsigned)n : 32);
	reorder_update(r);
}

void reorder_init(struct reorder *r, uint64_t now_us)
{
	memset(r, 0, sizeof(*r));
	r->decay_us = now_us;
}

void reorder_add(struct reorder *r, uint64_t late_us, uint64_t now_us)
{
	reorder_decay(r, now_us);
	uint64_t b = late_us / REORDER_BUCKET_US;
	r->w[b < REORDER_BUCKETS ? b : REORDER_BUCKETS - 1] += REORDER_ONE;
	r->total += REORDER_ONE;
	if (r->total > REORDER_WINDOW * REORDER_ONE)
		reorder_halve(r, 1);
	reorder_update(r);
}

uint32_t reorder_wait_us(struct reorder *r, uint64_t now_us)
{
	reorder_decay(r, now_us);
	return r->wait_us;
}

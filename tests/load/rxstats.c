#include "tests/load/rxstats.h"

#include <string.h>

#define RXSTATS_GAP_MAX 64         /* gaps reported for NACK are capped */

static inline bool seen_test(const struct rxstats *s, uint64_t ext)
{
	uint64_t i = ext & (RXSTATS_SEEN - 1);
	return s->seen[i / 64] >> (i % 64) & 1;
}

static inline void seen_set(struct rxstats *s, uint64_t ext, bool on)
{
	uint64_t i = ext & (RXSTATS_SEEN - 1), bit = 1ull << (i % 64);
	s->seen[i / 64] = on ? s->seen[i / 64] | bit : s->seen[i / 64] & ~bit;
}

static void rxstats_restart(struct rxstats *s, uint32_t ssrc, uint16_t seq, uint32_t rtp_ts)
{
	if (s->started)
		s->restarts++;
	s->started = true;
	s->ssrc = ssrc;
	s->ext_max = 65536u + seq - 1u;   /* as if seq - 1 had arrived: seq is the next one */
	memset(s->seen, 0, sizeof(s->seen));
	s->has_transit = false;
	s->has_rtp_ts = false;
	if (s->win_open && !s->win_closed) {
		s->win_s0 = s->ext_max;
		s->win_ts0 = s->ts_at_max = rtp_ts - s->frame_ts;
	}
}

/* move the highest sequence number to ext, forgetting what falls out of the window */
static void rxstats_advance(struct rxstats *s, uint64_t ext)
{
	uint64_t d = ext - s->ext_max;
	if (d >= RXSTATS_SEEN) {
		memset(s->seen, 0, sizeof(s->seen));
	} else {
		for (uint64_t e = s->ext_max + 1; e <= ext; e++)
			seen_set(s, e, false);
	}
	if (d > 1) {
		s->gap_first = (uint16_t)(s->ext_max + 1);
		s->gap_n = (uint16_t)(d - 1 > RXSTATS_GAP_MAX ? RXSTATS_GAP_MAX : d - 1);
	}
	s->ext_max = ext;
}

static void rxstats_delay(struct rxstats *s, uint64_t stamp_us, uint64_t arrival_us)
{
	int64_t transit = (int64_t)(arrival_us - stamp_us);
	if (s->has_transit) {
		int64_t d = transit - s->last_transit_us;
		s->jitter_us += ((double)(d < 0 ? -d : d) - s->jitter_us) / 16.0;
	}
	s->last_transit_us = transit;
	s->has_transit = true;
	if (!s->hist || transit < 0)
		return;
	uint64_t us = (uint64_t)transit;
	s->delay_sum_us += us;
	s->delay_n++;
	if (us > s->delay_max_us)
		s->delay_max_us = us;
	rxhist_add(s->hist, us);
}

/* RFC 3550 A.8 for a packet without a send time: D from arrival times and RTP timestamps */
static void rxstats_rtp_jitter(struct rxstats *s, uint32_t rtp_ts, uint64_t arrival_us)
{
	if (s->has_rtp_ts) {
		double d = (double)(int64_t)(arrival_us - s->last_arrival_us) -
			   (double)(int32_t)(rtp_ts - s->last_rtp_ts) * 1e6 / s->clock_hz;
		s->jitter_us += ((d < 0 ? -d : d) - s->jitter_us) / 16.0;
	}
	s->last_rtp_ts = rtp_ts;
	s->last_arrival_us = arrival_us;
	s->has_rtp_ts = true;
}

bool rxstats_packet(struct rxstats *s, uint32_t ssrc, uint16_t seq, uint32_t rtp_ts,
		    uint32_t bytes, uint64_t stamp_us, uint64_t arrival_us)
{
	if (!s->started || s->ssrc != ssrc)
		rxstats_restart(s, ssrc, seq, rtp_ts);
	s->packets++;
	s->bytes += bytes;
	s->gap_n = 0;
	int16_t delta = (int16_t)(seq - (uint16_t)s->ext_max);
	uint64_t ext = s->ext_max + (uint64_t)(int64_t)delta;
	if (delta > 0) {
		rxstats_advance(s, ext);
		s->ts_at_max = rtp_ts;
	} else if (s->ext_max - ext >= RXSTATS_SEEN) {
		s->late++;
		return false;
	}
	if (seen_test(s, ext)) {
		s->dups++;
		return false;
	}
	seen_set(s, ext, true);
	if (s->win_open && ext > s->win_s0 && (!s->win_closed || ext <= s->win_s1))
		s->win_received++;
	if (stamp_us == RXSTATS_UNREAD) {
		if (!s->stamped && s->clock_hz)
			rxstats_rtp_jitter(s, rtp_ts, arrival_us);
	} else if (stamp_us) {
		s->stamped++;
		rxstats_delay(s, stamp_us, arrival_us);
	} else if (s->clock_hz) {
		rxstats_rtp_jitter(s, rtp_ts, arrival_us);
	}
	return true;
}

void rxstats_last_gap(const struct rxstats *s, uint16_t *first, uint16_t *n)
{
	*first = s->gap_first;
	*n = s->gap_n;
}

void rxstats_window_open(struct rxstats *s, struct rxhist *hist)
{
	s->win_open = true;
	s->win_closed = false;
	s->win_s0 = s->ext_max;
	s->win_ts0 = s->ts_at_max;
	s->win_received = 0;
	s->hist = hist;
	s->delay_sum_us = s->delay_n = s->delay_max_us = 0;
}

void rxstats_window_close(struct rxstats *s)
{
	if (!s->win_open || s->win_closed)
		return;
	s->win_closed = true;
	s->win_s1 = s->ext_max;
	s->win_ts1 = s->ts_at_max;
	s->hist = NULL;
}

uint64_t rxstats_expected(const struct rxstats *s)
{
	return s->win_closed && s->win_s1 > s->win_s0 ? s->win_s1 - s->win_s0 : 0;
}

uint64_t rxstats_lost(const struct rxstats *s)
{
	uint64_t exp = rxstats_expected(s);
	return exp > s->win_received ? exp - s->win_received : 0;
}

uint64_t rxstats_ts_expected(const struct rxstats *s)
{
	if (!s->frame_ts || !rxstats_expected(s))
		return 0;
	int32_t span = (int32_t)(s->win_ts1 - s->win_ts0);
	return span > 0 ? ((uint64_t)span + s->frame_ts / 2) / s->frame_ts : 0;
}

uint64_t rxstats_ts_lost(const struct rxstats *s)
{
	uint64_t exp = rxstats_ts_expected(s);
	return exp > s->win_received ? exp - s->win_received : 0;
}

void rxhist_add(struct rxhist *h, uint64_t us)
{
	size_t i = us < RXHIST_FINE ? (size_t)us : RXHIST_FINE + (size_t)((us - RXHIST_FINE) / 100);
	if (i >= RXHIST_BUCKETS)
		i = RXHIST_BUCKETS - 1;
	h->bucket[i]++;
	h->n++;
	h->sum_us += us;
	if (us > h->max_us)
		h->max_us = us;
}

void rxhist_merge(struct rxhist *into, const struct rxhist *from)
{
	for (size_t i = 0; i < RXHIST_BUCKETS; i++)
		into->bucket[i] += from->bucket[i];
	into->n += from->n;
	into->sum_us += from->sum_us;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

uint64_t rxhist_quantile(const struct rxhist *h, double q)
{
	if (!h->n)
		return 0;
	uint64_t want = (uint64_t)(q * (double)h->n), acc = 0;
	if (want >= h->n)
		want = h->n - 1;
	for (size_t i = 0; i < RXHIST_BUCKETS; i++) {
		acc += h->bucket[i];
		if (acc > want)
			return i < RXHIST_FINE ? i : RXHIST_FINE + (i - RXHIST_FINE) * 100 + 50;
	}
	return h->max_us;
}

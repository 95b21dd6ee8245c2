/* bwe: a receiving leg's downlink estimate from its RTCP (REMB, RR loss). See bwe.h. */
#include "media/bwe.h"

#include <string.h>

static uint64_t bwe_clamp(uint64_t bps)
{
	return bps < BWE_MIN_BPS ? BWE_MIN_BPS : bps > BWE_MAX_BPS ? BWE_MAX_BPS : bps;
}

/* a time stamp that is never 0 (0 means "never") */
static uint64_t bwe_stamp(uint64_t now_us) { return now_us ? now_us : 1; }

void bwe_init(struct bwe *b)
{
	memset(b, 0, sizeof(*b));
	b->loss_bps = BWE_MAX_BPS;
}

/* the rate we sent since the interval began, once it is long enough to mean something */
static void bwe_measure_rate(struct bwe *b, uint64_t tx_bytes, uint64_t now_us)
{
	if (!b->have_rr || tx_bytes < b->rr_tx_bytes) {
		b->have_rr = true;            /* first report, or the counter went back */
		b->rr_us = now_us;
		b->rr_tx_bytes = tx_bytes;
		return;
	}
	if (now_us < b->rr_us + BWE_RATE_MIN_US)
		return;
	uint64_t dt = now_us - b->rr_us;
	b->rate_bps = (tx_bytes - b->rr_tx_bytes) * 8u * 1000000u / dt;
	b->rr_us = now_us;
	b->rr_tx_bytes = tx_bytes;
}

void bwe_on_receiver_report(struct bwe *b, uint8_t fraction_lost, uint64_t tx_bytes,
			    uint64_t now_us)
{
	bwe_measure_rate(b, tx_bytes, now_us);
	if (fraction_lost > BWE_LOSS_HIGH) {
		if (b->decrease_us && now_us - b->decrease_us < BWE_DECREASE_GAP_US)
			return;
		uint64_t base = b->loss_bps;
		if (b->rate_bps && b->rate_bps < base)
			base = b->rate_bps;
		b->loss_bps = bwe_clamp(base * (100u - BWE_DECREASE_PCT) / 100u);
		b->decrease_us = bwe_stamp(now_us);
	} else if (fraction_lost < BWE_LOSS_LOW) {
		if (b->increase_us && now_us - b->increase_us < BWE_INCREASE_GAP_US)
			return;
		b->loss_bps = bwe_clamp(b->loss_bps * (100u + BWE_INCREASE_PCT) / 100u);
		b->increase_us = bwe_stamp(now_us);
	}
}

static void bwe_stream_start(struct bwe_stream *s, int32_t cum_lost, uint32_t ext_highest,
			     uint32_t packets_sent, uint64_t now_us)
{
	*s = (struct bwe_stream){.ext_highest = ext_highest, .cum_lost = cum_lost,
				 .packets = packets_sent, .since_us = now_us, .have = true};
}

int bwe_downlink_loss(struct bwe_stream *s, int32_t cum_lost, uint32_t ext_highest,
		      uint32_t packets_sent, uint64_t now_us)
{
	uint32_t expected = ext_highest - s->ext_highest;
	if (!s->have || expected >= 0x8000u || now_us < s->since_us) {
		bwe_stream_start(s, cum_lost, ext_highest, packets_sent, now_us);
		return -1;                /* first report, or the receiver restarted */
	}
	if (now_us - s->since_us < BWE_LOSS_WINDOW_US || expected < BWE_LOSS_WINDOW_PKTS)
		return -1;
	int64_t received = (int64_t)expected - ((int64_t)cum_lost - s->cum_lost);
	int64_t lost = (int64_t)(uint32_t)(packets_sent - s->packets) - received;
	bwe_stream_start(s, cum_lost, ext_highest, packets_sent, now_us);
	if (lost <= 0)
		return 0;
	if (lost > (int64_t)expected)
		lost = expected;
	int64_t f = lost * 256 / expected;
	return f > 255 ? 255 : (int)f;
}

void bwe_on_receiver_remb(struct bwe *b, uint64_t bps, uint64_t now_us)
{
	b->remb_bps = bps;
	b->remb_us = bwe_stamp(now_us);
}

uint64_t bwe_target_bps(const struct bwe *b, uint64_t now_us)
{
	uint64_t t = b->loss_bps;
	if (b->remb_us && now_us - b->remb_us <= BWE_REMB_TTL_US && b->remb_bps < t)
		t = b->remb_bps;
	return bwe_clamp(t);
}

uint64_t bwe_share_bps(const struct bwe *b, unsigned nsenders, uint64_t now_us)
{
	uint64_t t = bwe_target_bps(b, now_us);
	return bwe_clamp(nsenders > 1 ? t / nsenders : t);
}

bool bwe_remb_due(struct bwe_remb *r, uint64_t bps, uint64_t now_us)
{
	bool due = !r->sent_us || now_us - r->sent_us >= BWE_REMB_INTERVAL_US ||
		   bps * 100u <= r->sent_bps * (100u - BWE_REMB_DROP_PCT);
	if (due) {
		r->sent_bps = bps;
		r->sent_us = bwe_stamp(now_us);
	}
	return due;
}

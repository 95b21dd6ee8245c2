/* rxstats: what a receiver measures on one RTP stream: packets, duplicates, loss by sequence
 * number over a measured window, one-way delay from the sender's timestamp, and RFC 3550
 * interarrival jitter computed on those one-way delays (the sender's clock is ours: same host).
 * A packet without a send timestamp (audio a relay mixed and encoded itself: the senders'
 * stamps do not survive a mix) has no delay; its jitter is RFC 3550's, from its RTP timestamp
 * and arrival time, at the stream's clock_hz.
 *
 * Loss: at rxstats_window_open() the stream remembers its highest extended sequence number s0;
 * at rxstats_window_close() the highest one s1. Every first arrival of a sequence number in
 * (s0, s1] counts, also when it arrives after the close (a late retransmission), so
 * lost = (s1 - s0) - received_in_window. Duplicates are told apart with a bitmap of the last
 * RXSTATS_SEEN sequence numbers. Pure computation; no allocation, no clock of its own. */
#ifndef TESTS_LOAD_RXSTATS_H
#define TESTS_LOAD_RXSTATS_H
#include <stdbool.h>
#include <stdint.h>

#define RXSTATS_SEEN 2048          /* dedupe window, packets (power of two) */
#define RXHIST_FINE 2048           /* 1 us buckets below 2.048 ms */
#define RXHIST_COARSE 2048         /* then 100 us buckets up to ~207 ms */
#define RXHIST_BUCKETS (RXHIST_FINE + RXHIST_COARSE)

/* a delay histogram, shared by many streams */
struct rxhist {
	uint64_t n, sum_us, max_us;
	uint32_t bucket[RXHIST_BUCKETS];
};

struct rxstats {
	uint32_t ssrc;
	bool started;
	uint64_t ext_max;              /* highest extended sequence number seen */
	uint64_t packets, bytes, dups, late; /* late: older than the dedupe window */
	uint64_t stamped;              /* packets that carried a send timestamp */
	uint32_t clock_hz;             /* RTP clock, for the jitter of unstamped packets (0: none) */
	uint32_t frame_ts;             /* RTP ticks per frame of a paced stream (a relay's mix:
					* 20 ms), 0: not paced. Frames a mix skipped (its timestamps
					* jump, its sequence numbers do not) count as lost by ts */
	uint32_t ts_at_max;            /* RTP timestamp of the highest sequence number */
	uint32_t win_ts0, win_ts1;
	uint64_t restarts;             /* SSRC changes */
	uint16_t gap_first, gap_n;     /* the gap the last packet revealed */
	/* the measured window */
	bool win_open, win_closed;
	uint64_t win_s0, win_s1, win_received;
	/* delay and jitter of first arrivals */
	double jitter_us;
	int64_t last_transit_us;
	bool has_transit;
	uint32_t last_rtp_ts;          /* unstamped packets: RFC 3550 jitter from RTP timestamps */
	uint64_t last_arrival_us;
	bool has_rtp_ts;
	uint64_t delay_sum_us, delay_n, delay_max_us;
	struct rxhist *hist;           /* borrowed; NULL = do not record */
	uint64_t seen[RXSTATS_SEEN / 64];
	uint32_t sample_nth;           /* the receiver's count for peer_set_rx_sample (peer_media.c) */
};

/* One packet with sequence number seq and RTP timestamp rtp_ts of SSRC ssrc. stamp_us: the
 * sender's timestamp (0 if the packet had none); arrival_us: when it arrived (same clock).
 * Returns true for the first arrival of that sequence number, false for a duplicate or a
 * packet too old to tell. A new SSRC restarts the sequence space (the window then counts from
 * the new stream on). */
bool rxstats_packet(struct rxstats *s, uint32_t ssrc, uint16_t seq, uint32_t rtp_ts,
		    uint32_t bytes, uint64_t stamp_us, uint64_t arrival_us);
/* stamp_us for a packet whose payload was not decrypted (peer_set_rx_sample): it counts for
 * loss and order; jitter only on a stream that never carried a send time (a relay's mix), so
 * that a stamped stream's jitter stays on one estimator */
#define RXSTATS_UNREAD UINT64_MAX
/* sequence numbers of the gap the last call revealed, if any: [first, first + n) */
void rxstats_last_gap(const struct rxstats *s, uint16_t *first, uint16_t *n);
void rxstats_window_open(struct rxstats *s, struct rxhist *hist);
void rxstats_window_close(struct rxstats *s);
/* expected and lost in the window (after the close; 0 before) */
uint64_t rxstats_expected(const struct rxstats *s);
uint64_t rxstats_lost(const struct rxstats *s);
/* paced streams (frame_ts): frames the window's RTP timestamps span, and how many of them did
 * not arrive (skipped by the sender, or lost); 0 otherwise */
uint64_t rxstats_ts_expected(const struct rxstats *s);
uint64_t rxstats_ts_lost(const struct rxstats *s);

void rxhist_add(struct rxhist *h, uint64_t us);
void rxhist_merge(struct rxhist *into, const struct rxhist *from);
/* the q-quantile (0..1) in microseconds; 0 for an empty histogram */
uint64_t rxhist_quantile(const struct rxhist *h, double q);

#endif

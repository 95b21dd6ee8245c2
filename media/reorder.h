/* reorder: how late the reordered packets of one stream come (DESIGN §3, media/jb.c).
 *
 * A packet "comes late" when a later sequence number arrived first: its lateness is the time
 * from that first sign of the gap to its own arrival. jb uses a high percentile of the recent
 * latenesses as its first NACK wait, so a jittery uplink stops NACKing what is only late and
 * a clean one keeps the configured short wait.
 *
 * A decaying histogram of REORDER_BUCKETS buckets of REORDER_BUCKET_US (later samples go in
 * the last bucket). Two kinds of forgetting: by count (when the weight passes
 * REORDER_WINDOW samples all buckets halve, so the shape follows the last 32-64 late
 * packets) and by time (all buckets halve every REORDER_HALF_LIFE_US, so once reordering
 * stops the evidence fades and reorder_wait_us() returns 0 after some 20-30 s). Held by value
 * in its owner (no allocation), used from one thread, no clock reads.
 */
#ifndef MEDIA_REORDER_H
#define MEDIA_REORDER_H
#include <stdint.h>

#define REORDER_BUCKETS 64
#define REORDER_BUCKET_US 4000u            /* 0-256 ms */
#define REORDER_HALF_LIFE_US 4000000u
#define REORDER_WINDOW 64                  /* samples before the count halving */
#define REORDER_PCT 95

struct reorder {
	uint32_t w[REORDER_BUCKETS];  /* weights; one sample is REORDER_ONE */
	uint32_t total;
	uint64_t decay_us;            /* time of the last time halving */
	uint32_t wait_us;             /* the percentile, cached; 0 without evidence */
};

void reorder_init(struct reorder *r, uint64_t now_us);
/* one packet came late_us after its gap was first seen */
void reorder_add(struct reorder *r, uint64_t late_us, uint64_t now_us);
/* the REORDER_PCT percentile of recent latenesses (a bucket's upper edge), 0 when reordering
 * has not been seen recently */
uint32_t reorder_wait_us(struct reorder *r, uint64_t now_us);

#endif

/* rtx_ring: the packets recently sent on one outbound RTP stream, kept to answer the
 * receiver's NACKs (RFC 4585) with retransmissions (DESIGN §3).
 *
 * One ring per outbound stream, used from the worker thread only: no locks, no clock reads,
 * no allocation after rtx_ring_alloc(). Packets are indexed by their outbound seq (npkts
 * slots; size it with rtx_ring_size() from RTT × packet rate) and stored at their real length
 * in a byte arena that keeps them for a hold time, max(4 × RTT + 100 ms, RTX_HOLD_MIN_US)
 * (Janus's min_nack_queue is 500 ms too): memory follows bitrate × hold time, about 70 kB
 * for 1 Mbit/s of video, not npkts × pkt_cap (which is only reserved, never touched). The
 * caller chooses what to store: the protected SRTP packet (resent as it is, in-band: the
 * receiver never saw that index, so SRTP replay protection lets it through, and nothing is
 * protected twice) or the plain RTP packet (to wrap as RFC 4588 RTX and protect anew).
 *
 * A NACK can arrive before the packet: when the stream we forward had a gap, the browser
 * NACKs the missing outbound seq while our own NACK upstream is still out. Such a NACK is
 * remembered (up to RTX_PENDING_MAX, for max(2 × RTT, 100 ms)); rtx_ring_put() reports it,
 * and sending the stored packet (which the caller does anyway) answers it.
 *
 * Back-off: one seq is resent at most once per RTT/2 (at least RTX_BACKOFF_MIN_US), so a
 * receiver's repeated NACKs do not multiply the traffic. */
#ifndef MEDIA_RTX_RING_H
#define MEDIA_RTX_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTX_RING_MIN 64
#define RTX_RING_MAX 8192
#define RTX_PENDING_MAX 32
#define RTX_BACKOFF_MIN_US 5000
#define RTX_HOLD_MIN_US 500000

struct rtx_ring;

struct rtx_ring_stats {
	uint64_t stored, hits, misses, backoffs;
	uint64_t pending_added, pending_answered, pending_expired;
	uint64_t evicted_early;  /* arena full: packets dropped before their hold time */
	uint64_t bytes;          /* arena in use (whole chunks) */
	uint32_t npkts, pending, chunks;
};

/* packets to keep for a stream at pkts_per_s with this RTT: 4 × RTT + 100 ms of history,
 * rounded up to a power of two within [RTX_RING_MIN, RTX_RING_MAX] */
uint32_t rtx_ring_size(uint32_t rtt_us, uint32_t pkts_per_s);
/* npkts: power of two within the bounds; pkt_cap: the longest packet (≤ 8184 bytes).
 * 0, EINVAL or ENOMEM; the ring is a mem object (mem_deref frees it) */
int rtx_ring_alloc(struct rtx_ring **rp, uint32_t npkts, uint32_t pkt_cap, uint32_t rtt_us);
void rtx_ring_set_rtt(struct rtx_ring *r, uint32_t rtt_us);

/* keep a sent packet; true when a NACK for seq was waiting (sending it answers that NACK).
 * A packet longer than pkt_cap, or older than the whole ring, is not kept (false). Packets
 * older than the hold time leave the arena here (now_us is the only clock it sees). */
bool rtx_ring_put(struct rtx_ring *r, uint16_t seq, const uint8_t *data, size_t len,
		  uint64_t now_us);
/* a NACKed seq: 0 with *data and *len (valid until the next rtx_ring_put) to resend now;
 * EALREADY when it was resent less than RTT/2 ago; EAGAIN when it is not here yet and the
 * NACK is remembered for rtx_ring_put(); ENOENT when it is too old to have */
int rtx_ring_get(struct rtx_ring *r, uint16_t seq, uint64_t now_us, const uint8_t **data,
		 size_t *len);
void rtx_ring_stats(const struct rtx_ring *r, struct rtx_ring_stats *st);
/* start loading what the next rtx_ring_put() reads and writes, in two steps a while apart
 * (each reads what the one before it loads): the ring's chunk index and the next seq's slot
 * (reads r), then where in the arena the next packet goes (reads the chunk). Read only. */
void rtx_ring_prefetch_index(const struct rtx_ring *r);
void rtx_ring_prefetch_arena(const struct rtx_ring *r);

#endif

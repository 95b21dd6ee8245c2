/* twcc: transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01), the receiver's side, so a browser's Google congestion control works when
 * it sends to the relay.
 *
 * Recorder, one per leg, worker thread only, no allocation after twcc_alloc(), no clock
 * reads: twcc_on_packet() takes the 16-bit transport-wide sequence number from the RTP
 * header extension (one-byte element, L=1, big-endian) and the arrival time, unwraps it to
 * 64 bits and keeps the arrival in a ring of TWCC_WINDOW slots indexed by extended seq.
 * twcc_feedback_build() turns what is pending into RTCP transport-cc feedback (RTPFB,
 * FMT 15), one packet per call, until it returns 0:
 *   - range: from the first seq not yet reported up to the highest seq received; seqs in it
 *     that never came are "not received" (loss shows at once, reordering heals later);
 *   - a packet that comes after its seq was already reported (reordered across a feedback)
 *     moves the next feedback's base back to it, and what that window overlaps and was
 *     already reported as received is now reported "not received" (draft §3.1.1 note);
 *     a packet older than the window is counted too_old and never reported;
 *   - deltas: 250 µs units from the previous received packet of the same feedback (the
 *     first from reference time × 64 ms), 1 byte when 0..255, else 2 bytes signed; a delta
 *     beyond ±8191.75 ms ends the feedback packet, the next one starts at that seq with its
 *     own reference time. Rounding is to the nearest 250 µs against the running sum of
 *     what was written, so a reconstructed arrival is never more than 125 µs off;
 *   - chunks: run-length where a symbol repeats, else status vectors, 1-bit when only
 *     "not received"/"small delta" occur, 2-bit otherwise (greedy, as libwebrtc packs);
 *   - padding to 32 bits the RFC 3550 way (P bit, last octet = count), as libwebrtc sends it;
 *   - a sequence jump beyond the window drops the unreported arrivals it pushes out
 *     (counted) and reports at most the last TWCC_WINDOW seqs before it as not received.
 * Feedback is due every TWCC_INTERVAL_US while arrivals are pending, or as soon as
 * TWCC_PENDING_MAX are, or the seqs to report span half the window (heavy loss), so that
 * nothing is pushed out unreported when the caller builds whenever it is due.
 *
 * Parser (tests, the load generator): twcc_feedback_parse() reads the FCI of a transport-cc
 * packet (what follows the 12-byte RTPFB header, RFC 3550 padding already removed, e.g.
 * rtcp_pkt.fci) into one status per seq. It never reads outside [fci, fci + len) and
 * accepts up to 3 octets of zero padding after the deltas. Symbol 11 (reserved in -01)
 * is an error. */
#ifndef MEDIA_TWCC_H
#define MEDIA_TWCC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TWCC_WINDOW 1024u           /* seqs remembered: power of two */
#define TWCC_INTERVAL_US 100000u    /* feedback period while arrivals are pending */
#define TWCC_PENDING_MAX 100u       /* ... or sooner, once this many are */
#define TWCC_DELTA_US 250           /* receive delta unit */
#define TWCC_REF_US 64000           /* reference time unit */
#define TWCC_FB_MIN_CAP 32u         /* smallest buffer twcc_feedback_build() uses */
#define TWCC_STATUS_MAX 65535u      /* statuses one feedback packet can carry */

struct twcc;

struct twcc_stats {
	uint64_t packets;        /* arrivals recorded */
	uint64_t duplicates;     /* a seq that had already arrived */
	uint64_t late;           /* came after feedback had gone past its seq */
	uint64_t too_old;        /* more than TWCC_WINDOW behind the newest: not reported */
	uint64_t dropped;        /* pushed out of the window unreported by a seq jump */
	uint64_t feedbacks;      /* feedback packets built */
};

/* 0 or ENOMEM; a mem object (mem_deref frees it) */
int twcc_alloc(struct twcc **tp);
/* forget every arrival (counters and the feedback packet count are kept) */
void twcc_reset(struct twcc *t);
/* the seq from the header extension element's data; 0, or EBADMSG when len < 2 */
int twcc_ext_seq(const uint8_t *data, size_t len, uint16_t *seq);
void twcc_on_packet(struct twcc *t, uint16_t seq, uint64_t now_us);
/* true when feedback should be built now */
bool twcc_feedback_due(const struct twcc *t, uint64_t now_us);
/* when feedback is due next, UINT64_MAX with nothing pending */
uint64_t twcc_next_us(const struct twcc *t);
/* One feedback packet at buf (capacity cap >= TWCC_FB_MIN_CAP) for what is pending; its
 * length, or 0 when nothing is pending (or cap is too small). Call until it returns 0. */
size_t twcc_feedback_build(struct twcc *t, uint8_t *buf, size_t cap, uint32_t sender_ssrc,
			   uint32_t media_ssrc, uint64_t now_us);
void twcc_stats(const struct twcc *t, struct twcc_stats *st);

/* packet status symbols (draft §3.1.1) */
enum twcc_symbol { TWCC_SYM_NOT_RECEIVED = 0, TWCC_SYM_SMALL_DELTA = 1,
		   TWCC_SYM_LARGE_DELTA = 2 };

struct twcc_feedback {
	uint16_t base_seq, status_count;
	uint32_t ref_time;       /* 24 bits as sent, 64 ms units (the sender differences it
				  * modulo 2^24) */
	uint8_t fb_count;
	size_t received;         /* statuses with a delta */
};

struct twcc_status {
	uint16_t seq;
	uint8_t symbol;          /* enum twcc_symbol */
	bool received;
	int32_t delta;           /* 250 µs units from the previous received (first: ref time) */
	int64_t arrival_us;      /* ref_time × 64 ms + the deltas up to this one; 0 if lost */
};

/* 0 with fb and st[0 .. fb->status_count) filled; EBADMSG for a malformed FCI; E2BIG when
 * status_count > cap (fb is filled). cap = TWCC_STATUS_MAX takes any packet. */
int twcc_feedback_parse(const uint8_t *fci, size_t len, struct twcc_feedback *fb,
			struct twcc_status *st, size_t cap);

#endif

/* jb: the jitter buffer of one inbound RTP stream (DESIGN §3).
 *
 * One jb per inbound stream, owned by its leg, used from the worker thread only: no locks, no
 * clock reads (every call takes now_us from the worker's clock), no allocation after
 * jb_alloc(). It keeps a ring of nslots slots indexed by extended sequence number; the ring is
 * the window of sequence numbers the buffer knows about (dups, gaps, playout).
 *
 * Counting (RFC 3550 A.1, A.8): extended sequence numbers with wrap at 65535; a jump of more
 * than JB_MAX_DROPOUT ahead or more than max(JB_MAX_MISORDER, nslots) behind is held as
 * "bad" and becomes a restart only when the next packet follows it (the packet after the
 * jump is dropped, as in A.1). No probation: SRTP has already authenticated the source.
 * `received` counts unique packets (RFC 3550 counts duplicates too), so `lost` never goes
 * negative. Interarrival jitter per A.8 in the stream's clock, skipping retransmissions
 * (their transit includes an RTT), the first packet after a (re)start, and a transit step of
 * more than a second or across a silence of more than JB_SILENCE_US (a clock jump or a DTX
 * pause is not jitter, and would inflate the playout target for seconds).
 *
 * Pass-through (browsers, which run their own jitter buffers): jb_put() gives a verdict on
 * the packet just received and never holds anything back: an in-order packet, a packet after
 * a gap, a packet filling a gap, even a late one is forwarded at once, from the caller's own
 * receive buffer (pass-through never copies). Only duplicates and untrusted jumps are
 * dropped. The seqs skipped by a gap go on the NACK list: jb_nack_due() hands them out after
 * the first wait (reordering usually heals first), again after max(RTT, 5 ms) doubled per
 * try, at most cfg.nack_tries times; one interval after the last try the seq is given up
 * (lost after repair) and, for video, jb_keyframe_needed() turns true (the worker sends a
 * throttled PLI). A gap wider than cfg.nack_max_gap is given up at once (keyframe needed).
 * The first wait follows the stream's reordering (media/reorder.h): the 95th percentile of
 * how long the recent reordered originals came after their gap was seen, at least
 * cfg.nack_wait_us, at most 2 × the smoothed RTT and cfg.nack_wait_max_us (0: always
 * cfg.nack_wait_us). A clean stream keeps the short floor; on a jittery uplink the relay stops
 * NACKing packets that are only late, and a real loss is NACKed at most ~2 RTTs after its gap.
 *
 * Originals and repairs: `repaired` counts seqs filled by a retransmission on the RTX stream
 * (RFC 4588); an original that comes after its seq was NACKed is `late_after_nack` (with or
 * after its retransmission), not a repair, and counts as an original: `lost_before_repair` is
 * the seqs whose original never came. (A sender without RTX resends on the primary SSRC,
 * where a resend and a late original look alike; those count as late_after_nack.)
 *
 * Playout (mixer, recordings): only when cfg.slot_cap > 0. jb_put() then copies the payload
 * into the slot (one memcpy into storage reserved at jb_alloc(); the worker's receive batch is
 * reused at once, so what must wait has to be copied once, and only streams with a playout
 * consumer pay for it). jb_playout_pop() yields packets in sequence order when
 *   due = ts_us + offset,   offset = baseline + delay
 * has come, where ts_us is the packet's RTP timestamp in µs, baseline is the smallest transit
 * (arrival − ts_us) of the last 2–4 s (the fastest packet), and delay moves toward
 *   target = clamp(max(JB_JITTER_MULT × jitter, mean + 2.5 × mean deviation of
 *                      (transit − baseline)), cfg.delay_min_us, cfg.delay_max_us)
 * (both averaged over ~32 packets). The second term is the measured spread of arrival delays:
 * it covers the whole spread of uniform jitter and ~4.5 σ of Gaussian jitter, and reordering
 * (a late packet is just a packet with a larger transit) and one-sided spikes show in it too;
 * it is steadier than the jitter term, which reacts faster when jitter sets in. delay rises by at
 * most JB_SLEW_UP_PCT and falls by at most JB_SLEW_DOWN_PCT of the media time that passes
 * (falling only once it is more than target/8 above the target), so playout intervals stay
 * close to the packet interval; a reordered packet plays with its successor's offset. A seq that never came yields a
 * JB_POP_LOST marker at its interpolated due time (with the next packet, if already here, for
 * Opus in-band FEC). Stuck estimates: after a silence longer than JB_SILENCE_US, after a
 * transit jump beyond delay_max_us either way, or after JB_STUCK_N packets in a row arriving
 * beyond delay_max_us, the baseline restarts from the current packet. A packet that comes
 * after its seq was played (or marked lost) is counted playout_late and not played.
 */
#ifndef MEDIA_JB_H
#define MEDIA_JB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_MAX_DROPOUT 3000     /* RFC 3550 A.1 */
#define JB_MAX_MISORDER 100     /* RFC 3550 A.1; the ring extends it to nslots */
#define JB_MAX_SLOTS 32768
#define JB_JITTER_MULT 2
#define JB_SPREAD_K10 25       /* 2.5 */
#define JB_SLEW_UP_PCT 10
#define JB_SLEW_DOWN_PCT 5
#define JB_SILENCE_US 1000000u
#define JB_STUCK_N 8

struct jb;

struct jb_config {
	uint32_t clock_rate;     /* RTP clock in Hz: 48000 for Opus, 90000 for video */
	bool video;              /* losses given up raise jb_keyframe_needed() */
	uint32_t nslots;         /* power of two, 16..JB_MAX_SLOTS: seq window (and playout slots) */
	uint32_t slot_cap;       /* bytes per playout slot; 0 = pass-through only (no copies) */
	uint32_t nack_wait_us;   /* first NACK at least this long after a gap; 10 ms */
	uint32_t nack_wait_max_us; /* ... and at most this long when reordering asks; 100 ms */
	uint32_t nack_tries;     /* NACKs per seq before giving up; 3; 0 = never NACK */
	uint32_t nack_max_gap;   /* wider gaps are given up at once; nslots / 2 */
	uint32_t rtt_us;         /* until jb_set_rtt(); 100 ms */
	uint32_t delay_min_us;   /* playout delay floor; 20 ms */
	uint32_t delay_max_us;   /* playout delay cap; 200 ms */
};

/* what to do with the packet just given to jb_put() */
enum jb_verdict {
	JB_FORWARD,           /* next in order */
	JB_FORWARD_GAP,       /* ahead of a gap; the skipped seqs are on the NACK list */
	JB_FORWARD_FILL,      /* fills a gap (reordered or repaired) */
	JB_FORWARD_LATE,      /* its seq was given up or is older than the window */
	JB_FORWARD_RESTART,   /* the sender restarted its sequence: rebase outbound seq/ts */
	JB_DROP_DUPLICATE,
	JB_DROP_BAD_SEQ,      /* a jump not trusted yet (RFC 3550 A.1 bad_seq) */
};
static inline bool jb_verdict_forward(enum jb_verdict v) { return v <= JB_FORWARD_RESTART; }

/* one received packet, as parsed; data/len are copied only when playout is on */
struct jb_pkt {
	uint16_t seq;            /* for an RTX packet (RFC 4588): the original seq (OSN) */
	uint32_t ts;
	bool marker;
	bool rtx;                /* came as a retransmission (RTX stream) */
	const uint8_t *data;     /* the whole RTP packet, for playout */
	size_t len;
};

enum jb_pop { JB_POP_NONE, JB_POP_PACKET, JB_POP_LOST };

/* one playout item; data stays valid until the next jb_put() or jb_playout_pop() */
struct jb_frame {
	uint16_t seq;
	uint32_t ts;             /* interpolated for a lost marker */
	bool marker;
	const uint8_t *data;     /* JB_POP_PACKET: the packet; JB_POP_LOST: the next packet when */
	size_t len;              /* it is already here (Opus FEC), else NULL/0 */
	uint64_t due_us;
};

struct jb_stats {
	uint64_t received;           /* unique packets, originals and repairs */
	uint64_t expected;           /* summed over restarts */
	uint64_t lost;               /* expected − received (RFC 3550 cumulative loss) */
	uint64_t lost_before_repair; /* expected − seqs whose original came (late ones too) */
	uint64_t lost_after_repair;  /* seqs given up (NACK tries used, window passed, gap too wide) */
	uint64_t repaired;           /* seqs filled by a retransmission (RTX) */
	uint64_t late_after_nack;    /* originals that came after their seq was NACKed */
	uint64_t nacks;              /* seqs handed out by jb_nack_due(), tries included */
	uint64_t reordered, duplicates, late, bad_seq, restarts;
	uint32_t missing;            /* seqs on the NACK list now */
	uint32_t ext_max_seq;        /* extended highest seq (RR report block) */
	uint32_t jitter_ts;          /* RFC 3550 A.8, timestamp units (RR report block) */
	uint32_t jitter_us;
	uint32_t nack_wait_us;       /* the first NACK wait a gap seen now would get */
	/* playout */
	uint64_t played, lost_markers, playout_late, discarded, baseline_resets;
	uint32_t depth;              /* packets waiting to be played */
	uint32_t delay_us, target_delay_us;
};

/* defaults for a stream: 512 slots, pass-through only (set slot_cap for playout) */
void jb_config_default(struct jb_config *cfg, uint32_t clock_rate, bool video);
/* 0, EINVAL for a bad config, ENOMEM; the jb is a mem object (mem_deref frees it) */
int jb_alloc(struct jb **jbp, const struct jb_config *cfg);
/* forget the stream (new SSRC); counters are kept */
void jb_reset(struct jb *jb);

enum jb_verdict jb_put(struct jb *jb, const struct jb_pkt *p, uint64_t now_us);
/* up to max seqs to NACK now (oldest first); gives up what has used its tries */
size_t jb_nack_due(struct jb *jb, uint64_t now_us, uint16_t *seqs, size_t max);
/* when jb_nack_due() next has work, UINT64_MAX when none */
uint64_t jb_nack_next_us(const struct jb *jb);
/* true once after a video loss was given up (the worker throttles its PLIs) */
bool jb_keyframe_needed(struct jb *jb);
void jb_set_rtt(struct jb *jb, uint32_t rtt_us);

/* the next playout item due at now_us, or JB_POP_NONE */
enum jb_pop jb_playout_pop(struct jb *jb, uint64_t now_us, struct jb_frame *f);
/* when the next playout item is due, UINT64_MAX when not known yet */
uint64_t jb_playout_next_us(const struct jb *jb);

void jb_stats(const struct jb *jb, struct jb_stats *st);

#endif

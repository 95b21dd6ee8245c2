/* bwe: how much one receiving leg can take, so that what we tell each sender (REMB) never
 * asks for more than its receivers' downlinks carry.
 *
 * One struct bwe per receiving leg, embedded in it, worker thread only, no allocation, no
 * clock reads. It estimates the receiver's downlink from what the receiver tells us:
 *   - REMB from the receiver (when it sends one: goog-remb negotiated), fresh for
 *     BWE_REMB_TTL_US: the target is at most that;
 *   - its RTCP receiver reports: the loss of what we sent it over a window of a second or
 *     more (bwe_downlink_loss, below), and the rate we sent it over the same interval (from
 *     the leg's cumulative tx byte count):
 *       loss > 10 %  → estimate = 85 % of min(estimate, rate sent), at most once per
 *                      BWE_DECREASE_GAP_US (a burst of reports does not compound);
 *       loss < 2 %   → estimate + 5 %, at most once per BWE_INCREASE_GAP_US;
 *       in between   → held.
 * The estimate starts at BWE_MAX_BPS (no limit until the receiver shows trouble) and the
 * target always lies in [BWE_MIN_BPS, BWE_MAX_BPS].
 *
 * The loss a receiver reports counts what never reached the relay too: a relay forwards a
 * sender's uplink loss as sequence gaps (audio is not repaired; video until its repair
 * comes), and forwards reordered packets out of order, which a report taken between the two
 * counts as lost. And Chromium reports every 25-60 ms while it receives video, a few packets
 * each, so one late packet is a 30-60 % fraction_lost. Fed to the loss rule, those cut the
 * REMB to 85 % of the rate sent, again and again, and a sender with 5 % uplink loss or
 * 0-60 ms uplink jitter sank to 83 kbit/s (docs/performance.md). So the loss fed in is the
 * downlink's only, over a window: bwe_downlink_loss() takes, per outbound stream, what we
 * sent minus what the receiver received (the growth of its extended highest seq minus the
 * growth of its cumulative loss) over at least BWE_LOSS_WINDOW_US and
 * BWE_LOSS_WINDOW_PKTS expected packets, as a fraction of what it expected.
 *
 * A sender's REMB is the smallest bwe_share_bps() over the legs that receive it; a receiver's
 * downlink is shared evenly between the senders it receives (a simple, honest split).
 * struct bwe_remb paces those REMBs: at once on a drop of 3 % or more, else once a second. */
#ifndef MEDIA_BWE_H
#define MEDIA_BWE_H
#include <stdbool.h>
#include <stdint.h>

#define BWE_MIN_BPS 50000u
#define BWE_MAX_BPS 2500000u
#define BWE_LOSS_HIGH 26u             /* fraction_lost/256 above 10 % */
#define BWE_LOSS_LOW 5u               /* ... below 2 % */
#define BWE_DECREASE_PCT 15u
#define BWE_INCREASE_PCT 5u
#define BWE_DECREASE_GAP_US 300000u
#define BWE_INCREASE_GAP_US 1000000u
#define BWE_RATE_MIN_US 200000u       /* shortest interval the sent rate is measured over */
#define BWE_REMB_TTL_US 5000000u
#define BWE_LOSS_WINDOW_US 1000000u   /* downlink loss is judged over this at least */
#define BWE_LOSS_WINDOW_PKTS 20u      /* ... and this many expected packets */
#define BWE_REMB_INTERVAL_US 1000000u
#define BWE_REMB_DROP_PCT 3u

/* fields are private to bwe.c */
struct bwe {
	uint64_t loss_bps;            /* loss-based estimate */
	uint64_t remb_bps, remb_us;   /* the receiver's last REMB and when (0: none) */
	uint64_t decrease_us, increase_us;
	uint64_t rr_us, rr_tx_bytes;  /* at the start of the rate interval */
	uint64_t rate_bps;            /* what we sent it, measured between reports; 0 unknown */
	bool have_rr;
};

/* one outbound stream's account at the start of its loss window (bwe_downlink_loss) */
struct bwe_stream {
	uint32_t ext_highest;         /* the receiver's extended highest seq received */
	int32_t cum_lost;             /* its cumulative loss */
	uint32_t packets;             /* what we had sent on the stream by then */
	uint64_t since_us;
	bool have;
};

struct bwe_remb {
	uint64_t sent_bps, sent_us;   /* the last REMB sent (sent_us 0: none yet) */
};

void bwe_init(struct bwe *b);
/* a report block about what we send this receiver: fraction_lost (RR, /256) and our
 * cumulative RTP bytes sent to it (media_leg_stats tx_bytes) */
void bwe_on_receiver_report(struct bwe *b, uint8_t fraction_lost, uint64_t tx_bytes,
			    uint64_t now_us);
/* a report block about one of our streams (cumulative loss and extended highest seq as
 * reported; packets_sent: our cumulative count of RTP packets sent on it): the loss (/256)
 * the receiver's downlink caused over the window this report closes, or -1 while the window
 * is open (or restarts) */
int bwe_downlink_loss(struct bwe_stream *s, int32_t cum_lost, uint32_t ext_highest,
		      uint32_t packets_sent, uint64_t now_us);
/* the receiver's own estimate of its downlink (REMB it sent us) */
void bwe_on_receiver_remb(struct bwe *b, uint64_t bps, uint64_t now_us);
/* what the receiver can take, in [BWE_MIN_BPS, BWE_MAX_BPS] */
uint64_t bwe_target_bps(const struct bwe *b, uint64_t now_us);
/* what one of its nsenders senders may send it (target / nsenders, at least BWE_MIN_BPS) */
uint64_t bwe_share_bps(const struct bwe *b, unsigned nsenders, uint64_t now_us);

/* true when a REMB of bps should go to the sender now; records it as sent */
bool bwe_remb_due(struct bwe_remb *r, uint64_t bps, uint64_t now_us);

#endif

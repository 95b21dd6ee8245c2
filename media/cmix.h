/* cmix: the call's mix in simultaneous interpretation (DESIGN §4), on the call's worker.
 *
 * Three legs (customer, agent, interpreter) are the mixer's sources (index 0, 1, 2); the
 * customer and the agent are also its outputs (0, 1). The interpreter gets no mix: it goes on
 * receiving the customer and the agent forwarded, unmixed, on its two audio m-lines exactly as
 * in consecutive mode (no re-encode, no mix delay; its streams are not touched when the mix
 * starts or ends), so each tick makes two encodes, not three. What each of the three sends on
 * its primary audio goes, besides the usual pass-through
 * jitter buffer, into a playout jitter buffer of its own (jb with slot_cap: the packet is copied
 * once); a pacer on absolute 20 ms deadlines feeds the mixer from those buffers (a packet that
 * is due: mixer_put; a lost marker: mixer_put_fec with the next packet when it is here, else
 * mixer_put_missing), mixes with mixer_set_interpretation()'s rules and sends each leg its own
 * mix on its primary audio stream: one Opus stream whose sequence numbers and timestamps run on
 * from what the stream carried before (marker bit on the first packet), and back again when the
 * mix ends. While the customer's or agent's leg gets the mix it gets no forwarded audio (its
 * further audio m-line pauses); video is forwarded as always.
 *
 * Ownership: the mcall owns its cmix (call->mix) and destroys it when the mode changes, when one
 * of the three legs leaves, or with the call; the cmix owns its mixer and playout buffers, and
 * borrows the legs (each leg's mix_idx says it is in the mix). Worker thread only; allocation in
 * cmix_create() (a worker command), none per packet or per tick. */
#ifndef MEDIA_CMIX_H
#define MEDIA_CMIX_H
#include <stdbool.h>
#include <stdint.h>

#include "media/media.h"

#define CMIX_NSRC 3
#define CMIX_NOUT 2             /* customer and agent: the interpreter's audio is forwarded */
#define CMIX_PERIOD_US 20000u
#define CMIX_JB_SLOTS 64        /* 1.28 s of 20 ms packets */
#define CMIX_SLOT_CAP 1500      /* bytes per stored packet: a whole RTP packet */
#define CMIX_STALE_US 60000u    /* a frame due longer ago than this is dropped, not played */
/* The mix carries two voices at once, one ducked under the other: at the mixer's 32 kbit/s
 * default Opus dims the ducked one by a further 2.5 dB (measured on test tones); at 48 kbit/s
 * levels stay within 0.5 dB. */
#define CMIX_BITRATE 48000

struct cmix;
struct mcall;
struct leg;
struct jb_pkt;

/* legs: customer, agent, interpreter (distinct, of call c). 0, EINVAL (duck_db out of
 * -60..0), ENOMEM or EIO (libopus). Starts the pacer; c->mix is x from then on. */
int cmix_create(struct cmix **xp, struct mcall *c, struct leg *const legs[CMIX_NSRC],
		float duck_db);
/* stops the pacer, hands the legs' audio back to forwarding, c->mix = NULL, frees x */
void cmix_destroy(struct cmix *x);
/* the mix for these legs and duck level already runs */
bool cmix_same(const struct cmix *x, struct leg *const legs[CMIX_NSRC], float duck_db);

/* packet path: an audio packet l sent (epoch: its inbound stream's, a new one resets the buffer) */
void cmix_put(struct cmix *x, struct leg *l, const struct jb_pkt *p, uint32_t epoch);
/* what l's receiver reports as lost of its mix, 0..100 (the encoder's in-band FEC follows it);
 * ignored for the interpreter's leg, which gets no mix */
void cmix_set_loss(struct cmix *x, struct leg *l, int loss_perc);
void cmix_stats(const struct cmix *x, struct media_call_stats *st);

#endif

/* media: the WebRTC media relay (ICE-lite, DTLS-SRTP, RTP/RTCP forwarding) as a library.
 * The only header signaling/ and gateway/ include from media/. Knows nothing of call centres.
 *
 * Threads: media_start() starts one worker thread per core, each with its own epoll loop and
 * UDP port. Every function here is called from one controlling thread (the signalling thread);
 * they queue commands to the workers and return at once. Workers report back through events:
 * they push to a queue and call notify(narg) (from a worker thread), and the controlling thread
 * then calls media_poll() to receive them.
 *
 * Ownership: a worker owns its calls and their legs; the caller holds only ids. Destroying a
 * call destroys its legs. Ids are never reused during a process's life. */
#ifndef MEDIA_MEDIA_H
#define MEDIA_MEDIA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct media;

struct media_config {
	const char *bind_ip;       /* UDP sockets bind here (e.g. "0.0.0.0", "127.0.0.1") */
	const char *public_ip;     /* the address put in candidates */
	uint16_t port_min, port_max; /* worker i binds the first free port from port_min upwards */
	unsigned workers;          /* 0 = one per online core */
	bool no_repair;            /* true switches loss repair (NACK, retransmission) off */
	uint16_t advertised_port;  /* 0: candidates carry each worker's own port; else this port
				    * (a UDP proxy or port forward in front; one worker only) */
	float duck_db;             /* simultaneous interpretation: level of the ducked original
				    * under the interpreter, -60..0 dB; 0 = MEDIA_DUCK_DB_DEFAULT */
	unsigned batch_us;         /* 0: a worker wakes for every datagram that finds it asleep;
				    * else at most once per batch_us (≤ MEDIA_BATCH_US_MAX): what
				    * arrives meanwhile waits, up to batch_us, and goes in one batch */
};

#define MEDIA_BATCH_US_MAX 2000u

#define MEDIA_DUCK_DB_DEFAULT (-14.0f)
#define MEDIA_MAX_EXTRA 4          /* further audio, and further video, m-lines of one leg */
#define MEDIA_MAX_SLOTS (2 + 2 * MEDIA_MAX_EXTRA)

/* Interpreter modes of a call (DESIGN §4). */
enum media_mode {
	MEDIA_MODE_CONSECUTIVE,    /* everyone hears everyone: audio forwarded, not mixed */
	MEDIA_MODE_SIMULTANEOUS,   /* customer and agent each get one mixed stream; the
				    * interpreter gets both forwarded, unmixed */
};

enum media_event_type {
	MEDIA_EV_LEG_CONNECTED,    /* ICE check passed and DTLS handshake done: media flows */
	MEDIA_EV_LEG_FAILED,       /* DTLS failed, or consent lost; text says why */
};

struct media_event {
	enum media_event_type type;
	uint32_t call_id, leg_id;
	char text[128];
};

/* one inbound stream of a leg, as the relay's jitter buffer sees it */
struct media_stream_stats {
	uint64_t packets, bytes;
	uint64_t lost_before_repair, lost_after_repair, repaired;
	uint64_t nacks_sent, reordered, duplicates, late;
	uint64_t late_after_nack;           /* originals that came after the relay NACKed them */
	uint32_t jitter_us, bitrate_bps, missing;
	uint32_t nack_wait_us;              /* the first NACK wait now (follows reordering) */
};

struct media_leg_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_lost, rx_dropped;       /* lost by sequence gaps; dropped as invalid */
	uint32_t jitter_us;
	uint32_t rtt_us;
	uint64_t nacks_rx, nacks_tx, plis_rx, plis_tx;
	char srtp_profile[24];
	bool connected;
	struct media_stream_stats in[2];    /* [0] audio, [1] video */
	uint64_t retransmits_tx;            /* NACKed packets resent from the ring */
};

/* one stream the relay sends a leg (an m-line of its answer) and whom it carries */
struct media_slot {
	char mid[32];
	bool video;
	bool primary;              /* the leg's first audio / video m-line */
	bool sends;                /* the answer sends on it (sendrecv/sendonly) */
	uint32_t ssrc;             /* ours, as in the answer */
	uint32_t src_leg;          /* the party it carries now, 0 = none */
	bool mixed;                /* the customer's or agent's primary audio in simultaneous
				    * mode: the call's mix (never the interpreter's) */
	bool spent;                /* a further m-line whose party left: carries no one else
				    * until media_leg_update() gives it a new SSRC */
};

/* one source of the call's mix */
struct media_mix_src_stats {
	uint32_t leg_id;
	uint64_t played, lost_markers, playout_late;            /* its playout buffer */
	uint64_t discarded;        /* not played: too big to store, or due too long ago */
	uint32_t delay_us;         /* playout delay now */
	uint64_t frames, plc, fec, underrun;                    /* its decoder in the mixer */
	bool active;               /* voice activity at the last tick */
	float level_dbfs;
};

struct media_call_stats {
	enum media_mode mode;
	unsigned legs;
	float duck_db;
	/* simultaneous mode, since it was last switched on (zero otherwise) */
	uint64_t ticks, ticks_skipped, encodes;
	uint64_t tick_late_max_us;
	uint64_t mix_cpu_us;       /* worker thread CPU time in the mix (decode, mix, encode, send) */
	uint64_t mix_wall_us;      /* time since the mix started */
	struct media_mix_src_stats src[3];  /* customer, agent, interpreter */
};

typedef void (media_notify_h)(void *arg);
typedef void (media_event_h)(const struct media_event *ev, void *arg);

int media_start(struct media **mp, const struct media_config *cfg, media_notify_h *notify,
		void *narg);
void media_stop(struct media *m);   /* stops and joins every worker, frees everything */
size_t media_poll(struct media *m, media_event_h *h, void *arg);

/* The certificate fingerprint rapportd puts in every answer ("sha-256 AB:CD:..."). */
const char *media_fingerprint(const struct media *m);
unsigned media_worker_count(const struct media *m);

int media_call_create(struct media *m, uint32_t *call_id);
int media_call_destroy(struct media *m, uint32_t call_id);

/* Negotiate a new leg of call_id from the browser's SDP offer. On success *answer is a mem
 * string (mem_deref it) and *leg_id names the leg. On failure an errno-style code and a reason
 * for the user in err.
 *
 * Who sees whom (the call's forwarding table): every leg receives each other leg of its call
 * on one of its outbound streams per kind. The first other party (in join order) goes on the
 * primary m-lines (the first audio and video m-line, as in 1:1); each later one on the next
 * free further m-line of that kind: the browser adds one receive-only transceiver per kind for
 * each further party it should receive (up to MEDIA_MAX_EXTRA per kind; no further audio is
 * needed for simultaneous mode) and offers them, here or later in media_leg_update(). A party
 * that has no free stream of a kind in a leg is not sent to it on that kind until one appears.
 * An assignment never moves while both legs stay, so a join or a leave does not interrupt what
 * the others exchange. When a party leaves, each further stream that carried it stops (RTCP
 * BYE) and is spent: its SSRC never carries anyone else; it is reused only with a new SSRC, which
 * the next media_leg_update() gives it (or the browser stops that transceiver and adds a new
 * one). The primary streams are reused with their SSRC, as a 1:1 call always did, so a replaced
 * party continues on them (sequence numbers and timestamps run on; a keyframe is requested).
 * media_leg_slots() tells which stream (mid) carries whom. */
int media_leg_create(struct media *m, uint32_t call_id, const char *offer, char **answer,
		     uint32_t *leg_id, char *err, size_t errlen);
/* Renegotiate a leg from the browser's new offer (after it added or stopped transceivers):
 * the same ICE credentials, DTLS association and SRTP session; m-lines already answered keep
 * their SSRCs (matched by mid; a spent one gets a new SSRC), new ones get new SSRCs, and the
 * worker swaps in the new stream table at once, without a gap in what flows. The primary
 * m-lines must keep their mids (JSEP keeps m-line order). An ICE restart (a new ice-ufrag or
 * ice-pwd) or a new DTLS fingerprint is refused (EPROTO, with the reason in err): create a new
 * leg for that. On success *answer as in media_leg_create(). */
int media_leg_update(struct media *m, uint32_t leg_id, const char *offer, char **answer,
		     char *err, size_t errlen);
int media_leg_destroy(struct media *m, uint32_t leg_id);
/* The leg's outbound streams (up to cap of them, in m-line order of its answer) and whom each
 * carries now, as decided on this thread; *n is the number of streams. 0 or ENOENT. */
int media_leg_slots(struct media *m, uint32_t leg_id, struct media_slot *slots, size_t cap,
		    size_t *n);

/* Interpreter mode of a call. MEDIA_MODE_CONSECUTIVE: forwarding as above (the leg arguments are
 * ignored). MEDIA_MODE_SIMULTANEOUS: the audio of customer_leg, agent_leg and interp_leg (three
 * distinct legs of the call) goes through playout jitter buffers into one mixer; customer_leg
 * and agent_leg stop receiving forwarded audio and each receives one mixed Opus stream on its
 * primary audio m-line (which continues its sequence numbers and timestamps across every
 * switch; marker bit on the first packet after one): the customer hears the interpreter at full
 * level and the agent ducked under the interpreter's voice, the agent the interpreter and the
 * customer ducked. interp_leg hears both at full level, forwarded unmixed on its two audio
 * m-lines as in consecutive mode (not mixed, not re-encoded; the switch does not touch those
 * streams: it needs its further audio m-line to hear the second party). Other legs of the call (if any) keep receiving forwarded
 * audio. Video is forwarded in both modes. Switch back and forth at will; setting the mode it
 * already has changes nothing (or applies a new duck level). When one of the three legs is
 * destroyed the call returns to consecutive. 0, ENOENT (no such call or leg), EINVAL. */
int media_call_set_mode(struct media *m, uint32_t call_id, enum media_mode mode,
			uint32_t customer_leg, uint32_t agent_leg, uint32_t interp_leg);
/* The duck level of one call, -60..0 dB (default: media_config.duck_db); applies at once when
 * the call is in simultaneous mode. 0, ENOENT, EINVAL. */
int media_call_set_duck(struct media *m, uint32_t call_id, float duck_db);
/* A snapshot of the call's mode and mix (synchronous, like media_leg_stats). 0 or ENOENT. */
int media_call_stats(struct media *m, uint32_t call_id, struct media_call_stats *st);
/* A snapshot of a leg's counters (copied under the worker's stats lock, not the packet path). */
int media_leg_stats(struct media *m, uint32_t leg_id, struct media_leg_stats *st);

#endif

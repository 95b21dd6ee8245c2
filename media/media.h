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
	uint32_t jitter_us, bitrate_bps, missing;
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
 * string (mem_deref it) and *leg_id names the leg; the leg forwards to and from every other
 * leg of its call. On failure an errno-style code and a reason for the user in err. */
int media_leg_create(struct media *m, uint32_t call_id, const char *offer, char **answer,
		     uint32_t *leg_id, char *err, size_t errlen);
int media_leg_destroy(struct media *m, uint32_t leg_id);
/* A snapshot of a leg's counters (copied under the worker's stats lock, not the packet path). */
int media_leg_stats(struct media *m, uint32_t leg_id, struct media_leg_stats *st);

#endif

/* worker: one media thread with its own epoll loop and UDP port. It owns the calls and legs
 * placed on it; nothing else touches them. The controlling thread talks to it only through
 * worker_cmd messages on its queue.
 *
 * Packet path: recvmmsg a batch (UDP GRO runs split back into datagrams) → demultiplex by first byte (RFC 7983) → leg by source
 * address (addrmap), or by STUN USERNAME for an address not seen yet → leg handlers, which
 * queue outgoing datagrams in the worker's transmit batch → one sendmmsg per batch, runs of
 * datagrams to one destination going as one UDP GSO send. */
#ifndef MEDIA_WORKER_H
#define MEDIA_WORKER_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/loop.h"
#include "base/udp_gso.h"
#include "media/addrmap.h"
#include "media/leg.h"

#define WORKER_RX_BATCH 32
#define WORKER_TX_BATCH 64
#define WORKER_PKT_CAP 1600   /* MTU-sized packet + SRTP trailer + headroom */
#define WORKER_PKT_MAX (WORKER_PKT_CAP - 64) /* largest datagram taken: room for a trailer */
#define WORKER_RX_CAP 65536   /* one received message: a UDP GRO run of datagrams */

struct media;
struct mcall;

union worker_gro_cmsg {          /* room for one UDP_GRO control message */
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

enum worker_cmd_type { WCMD_CALL_CREATE, WCMD_CALL_DESTROY, WCMD_LEG_CREATE, WCMD_LEG_DESTROY,
		       WCMD_LEG_STATS, WCMD_LEG_UPDATE, WCMD_LEG_ROUTES, WCMD_CALL_MODE,
		       WCMD_CALL_STATS };

/* a command from the controlling thread (mem object; the worker derefs it) */
struct worker_cmd {
	enum worker_cmd_type type;
	uint32_t call_id, leg_id;
	struct leg_params params;            /* WCMD_LEG_CREATE, WCMD_LEG_UPDATE */
	uint32_t routes[LEG_MAX_OUT];        /* WCMD_LEG_ROUTES: party per outbound stream */
	enum media_mode mode;                /* WCMD_CALL_MODE */
	uint32_t mix_legs[3];                /* customer, agent, interpreter */
	float duck_db;
	struct worker_sync *sync;            /* WCMD_*_STATS: the caller waits on it */
	struct media_leg_stats *stats_out;
	struct media_call_stats *call_stats_out;
};

struct worker_sync {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	bool done;
	int err;
};

struct worker_counters {
	uint64_t rx_datagrams, tx_datagrams, tx_errors;
	uint64_t tx_gso_datagrams;  /* of tx_datagrams, sent in UDP GSO groups */
	uint64_t rx_gro_datagrams;  /* of rx_datagrams, received in UDP GRO runs */
	uint64_t rx_oversize;       /* datagrams longer than WORKER_PKT_MAX, dropped */
	uint64_t rx_unknown_addr;   /* DTLS/RTP from an address that passed no check */
	uint64_t rx_unknown_ufrag;  /* STUN for no leg here */
	uint64_t rx_unclassified;   /* first byte outside every RFC 7983 range */
};

struct worker {
	struct media *media;
	unsigned idx;
	pthread_t thread;
	bool running;
	struct loop *loop;
	struct mqueue *cmdq;
	int fd;
	uint16_t port;
	struct addrmap addrs;        /* checked peer address → leg */
	struct leg *legs;            /* every leg on this worker (list via leg->wnext) */
	struct mcall *calls;          /* every call on this worker (list via call->next) */
	struct loop_timer tick;
	uint64_t now_us;             /* refreshed once per received batch and per timer */
	struct worker_counters cnt;

	/* the receive batch (media/worker_rx.c): a message may hold a UDP GRO run */
	struct mmsghdr rx_msg[WORKER_RX_BATCH];
	struct iovec rx_iov[WORKER_RX_BATCH];
	struct sockaddr_storage rx_addr[WORKER_RX_BATCH];
	union worker_gro_cmsg rx_cmsg[WORKER_RX_BATCH];
	uint8_t rx_buf[WORKER_RX_BATCH][WORKER_RX_CAP];
	uint8_t rx_seg[WORKER_PKT_CAP];  /* one datagram of a run, with room after it */

	struct mmsghdr tx_msg[WORKER_TX_BATCH];
	struct iovec tx_iov[WORKER_TX_BATCH];
	struct sockaddr_storage tx_addr[WORKER_TX_BATCH];
	uint8_t tx_buf[WORKER_TX_BATCH][WORKER_PKT_CAP];
	unsigned ntx;
	/* the batch as flushed: runs to one destination as one UDP GSO send (media/worker_tx.c) */
	struct mmsghdr tx_grp_msg[WORKER_TX_BATCH];
	union udp_gso_cmsg tx_grp_cmsg[WORKER_TX_BATCH];
	uint8_t tx_grp_first[WORKER_TX_BATCH], tx_grp_n[WORKER_TX_BATCH];
	bool tx_gso_off;             /* the kernel or the route refused GSO: plain sends */
};

int worker_start(struct worker **wp, struct media *m, unsigned idx);
void worker_stop(struct worker *w);                 /* joins the thread, frees everything */
int worker_post(struct worker *w, struct worker_cmd *cmd); /* takes over cmd */

/* Receive batch (media/worker_rx.c), from w->fd: worker_rx_init once, worker_rx_gro once
 * w->fd is open (asks the kernel for UDP GRO; 0, or an errno and datagrams come one by one),
 * then worker_rx_batch() reads up to WORKER_RX_BATCH messages (their count,
 * 0 when none, or -1) and worker_rx_each() hands every datagram in them to h, one at a time,
 * with WORKER_PKT_CAP - len bytes of room after it; h must be done with the bytes when it
 * returns. */
typedef void (worker_rx_h)(struct worker *w, uint8_t *buf, size_t len, const struct sockaddr *from);
void worker_rx_init(struct worker *w);
int worker_rx_gro(struct worker *w);
int worker_rx_batch(struct worker *w);
void worker_rx_each(struct worker *w, int n, worker_rx_h *h);

/* Transmit batch (media/worker_tx.c), sent from w->fd: worker_tx_init once, then the next
 * free slot's buffer (WORKER_PKT_CAP bytes), flushing first if the batch is full; commit it
 * with its length and destination. */
void worker_tx_init(struct worker *w);
uint8_t *worker_tx_slot(struct worker *w);
void worker_tx_commit(struct worker *w, size_t len, const struct sockaddr *dest);
void worker_tx_flush(struct worker *w);
/* copy and queue one datagram (handshakes, STUN, RTCP: not the forwarding path) */
void worker_send(struct worker *w, const uint8_t *data, size_t len, const struct sockaddr *dest);

struct leg *worker_leg_by_ufrag(struct worker *w, const char *ufrag);
struct mcall *worker_call_find(struct worker *w, uint32_t call_id);

#endif

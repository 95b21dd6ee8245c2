/* peer_tx: the send batch of the scripted peer: what one peer sends between peer_tx_begin()
 * and peer_tx_flush() (a video frame's packets) leaves in one system call.
 *
 * A frame's packets are all of one size but the last (frames.c splits a frame evenly, and
 * every packet gets the same header, trailer and tag), which is the shape UDP GSO
 * (UDP_SEGMENT) takes: the kernel builds one datagram, routes and queues it once, and cuts it
 * into the same datagrams a sendmmsg would have sent, each with its own UDP header, before it
 * reaches the receiving socket. The relay under test receives exactly what it received before
 * (the same datagrams, in the same order, from the same address); the generator pays the IP
 * path once per frame instead of once per packet. When the kernel or the route cannot segment,
 * the batch goes out with sendmmsg as before.
 *
 * Off by default (peer_tx_set_gso): browsers send datagram by datagram, and rapportd asks
 * for UDP GRO, so over loopback a GSO send would reach it whole, which a NIC gives only for
 * packets that happen to arrive back to back (see docs/performance.md, "What a leg does").
 *
 * Peers on a shared socket (peer_sock.c) queue in their socket's queue: what the legs of
 * one socket send between peer_tx_begin() and peer_tx_flush() leaves in sendmmsg calls of up
 * to 64 messages, each with its leg's source address, whichever order the legs come in (the
 * load generator's schedule interleaves the sockets). Peers on their own socket share one
 * queue, which holds one peer at a time. GSO is for a batch of one peer on its own socket.
 *
 * Ownership: the own-socket queue and the list of open queues are the thread's (peers are
 * single-threaded), a shared socket's queue is the socket's; a queue borrows the peers queued
 * in it until the flush and copies the packets into its own buffers. */
#include "tests/load/peer_priv.h"
#include "base/udp_gso.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define PEER_GSO_MAX 60000            /* bytes in one GSO send (the kernel's limit is 64 KiB) */
#define PEER_TX_OPEN 64               /* queues open at once (shared sockets, one own) */

/* the queue of peers on their own socket; shared sockets have their own (peer_sock_txq) */
static _Thread_local struct peer_txq peer_txq_own = {.fd = -1};
/* the queues open since the last flush */
static _Thread_local struct {
	struct peer_txq *q[PEER_TX_OPEN];
	unsigned n;
} peer_tx_open;

/* off until turned on; off again for good once the kernel refused a GSO send */
static _Thread_local bool peer_gso_off = true;

void peer_tx_set_gso(bool on) { peer_gso_off = !on; }

static struct peer_txq *peer_txq_of(const struct peer *p)
{
	return p->sock ? peer_sock_txq(p->sock) : &peer_txq_own;
}

bool peer_tx_queued(const struct peer *p)
{
	const struct peer_txq *q = peer_txq_of(p);
	return q->fd >= 0 && q->fd == p->fd;
}

/* one peer on its own socket, all packets of the batch one size but the last */
static bool peer_tx_gso_fits(const struct peer_txq *q)
{
	size_t seg = q->iov[0].iov_len, total = 0;
	if (peer_gso_off || q->n < 2 || q->mixed || q->p->sock)
		return false;
	for (unsigned i = 0; i < q->n; i++) {
		size_t len = q->iov[i].iov_len;
		if (len > seg || (len < seg && i + 1 < q->n))
			return false;
		total += len;
	}
	return total <= PEER_GSO_MAX;
}

/* 0: sent; EAGAIN: not sent (socket buffer full); else GSO does not work here */
static int peer_tx_gso(struct peer_txq *q)
{
	union udp_gso_cmsg ctl;
	struct peer *p = q->p;
	struct msghdr mh = {.msg_name = &p->remote, .msg_namelen = sizeof(p->remote),
			    .msg_iov = q->iov, .msg_iovlen = q->n};
	udp_gso_set(&mh, &ctl, (uint16_t)q->iov[0].iov_len);
	if (sendmsg(p->fd, &mh, MSG_DONTWAIT) >= 0)
		return 0;
	return errno == EWOULDBLOCK || errno == ENOBUFS ? EAGAIN : errno;
}

static void peer_tx_fail(struct peer_txq *q, unsigned from)
{
	for (unsigned i = from; i < q->n; i++)
		q->owner[i]->st.tx_errors++;
}

static void peer_tx_mmsg(struct peer_txq *q)
{
	for (unsigned off = 0; off < q->n;) {
		int n = sendmmsg(q->fd, q->mm + off, q->n - off, MSG_DONTWAIT);
		if (n <= 0) {
			peer_tx_fail(q, off);
			break;
		}
		off += (unsigned)n;
	}
}

/* send what q holds; it stays open */
static void peer_tx_send(struct peer_txq *q)
{
	if (q->n) {
		bool gso = peer_tx_gso_fits(q);
		int e = gso ? peer_tx_gso(q) : 0;
		if (e == EAGAIN) {
			peer_tx_fail(q, 0);
		} else if (!gso || e) {
			if (gso && udp_gso_refused(e))
				peer_gso_off = true;   /* sendmmsg from now on */
			peer_tx_mmsg(q);
		}
	}
	q->n = 0;
}

static void peer_tx_close(struct peer_txq *q)
{
	peer_tx_send(q);
	q->fd = -1;
	q->p = NULL;
}

void peer_tx_flush(void)
{
	for (unsigned i = 0; i < peer_tx_open.n; i++)
		peer_tx_close(peer_tx_open.q[i]);
	peer_tx_open.n = 0;
}

void peer_tx_begin(struct peer *p)
{
	struct peer_txq *q = peer_txq_of(p);
	if (q->fd >= 0 && q->fd == p->fd) {
		q->mixed |= q->p != p;
		return;
	}
	if (q->fd >= 0 || peer_tx_open.n == PEER_TX_OPEN)
		peer_tx_flush();         /* the own queue for another peer, or too many open */
	if (p->fd < 0)
		return;
	q->fd = p->fd;
	q->p = p;
	q->mixed = false;
	peer_tx_open.q[peer_tx_open.n++] = q;
}

int peer_tx_queue(struct peer *p, const uint8_t *buf, size_t n)
{
	struct peer_txq *q = peer_txq_of(p);
	if (q->n == PEER_TX_BATCH)
		peer_tx_send(q);
	q->mixed |= q->p != p;
	unsigned i = q->n++;
	memcpy(q->buf[i], buf, n);
	q->owner[i] = p;
	q->iov[i] = (struct iovec){q->buf[i], n};
	q->mm[i].msg_hdr = (struct msghdr){.msg_name = &p->remote, .msg_namelen = sizeof(p->remote),
					   .msg_iov = &q->iov[i], .msg_iovlen = 1};
	if (p->sock)
		peer_sock_set_src(p, &q->mm[i].msg_hdr, &q->ctl[i]);
	return 0;
}

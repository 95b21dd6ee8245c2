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
 * Peers on one shared socket (peer_sock.c) share the batch: a batch is per socket, so what
 * several legs of that socket send between peer_tx_begin() and peer_tx_flush() leaves in one
 * sendmmsg, each message with its leg's source address. GSO is for a batch of one peer on its
 * own socket only.
 *
 * Ownership: one batch per thread (peers are single-threaded); it borrows the peers queued in
 * it until the flush and copies the packets into its own buffers. */
#include "tests/load/peer_priv.h"
#include "base/udp_gso.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define PEER_TX_BATCH 64
#define PEER_GSO_MAX 60000            /* bytes in one GSO send (the kernel's limit is 64 KiB) */

static _Thread_local struct {
	int fd;                       /* the batch's socket; -1: no batch open */
	struct peer *p;               /* the peer it was begun on */
	bool mixed;                   /* other peers (of a shared socket) queued in it too */
	unsigned n;
	struct mmsghdr mm[PEER_TX_BATCH];
	struct iovec iov[PEER_TX_BATCH];
	struct peer *owner[PEER_TX_BATCH];
	union peer_sock_cmsg ctl[PEER_TX_BATCH];
	uint8_t buf[PEER_TX_BATCH][PEER_BUF];
} peer_txb = {.fd = -1};

/* off until turned on; off again for good once the kernel refused a GSO send */
static _Thread_local bool peer_gso_off = true;

void peer_tx_set_gso(bool on) { peer_gso_off = !on; }

bool peer_tx_queued(const struct peer *p) { return peer_txb.fd >= 0 && peer_txb.fd == p->fd; }

void peer_tx_begin(struct peer *p)
{
	if (peer_tx_queued(p)) {
		peer_txb.mixed |= peer_txb.p != p;
		return;
	}
	peer_tx_flush();
	peer_txb.fd = p->fd;
	peer_txb.p = p;
	peer_txb.mixed = false;
}

/* one peer on its own socket, all packets of the batch one size but the last */
static bool peer_tx_gso_fits(void)
{
	size_t seg = peer_txb.iov[0].iov_len, total = 0;
	if (peer_gso_off || peer_txb.n < 2 || peer_txb.mixed || peer_txb.p->sock)
		return false;
	for (unsigned i = 0; i < peer_txb.n; i++) {
		size_t len = peer_txb.iov[i].iov_len;
		if (len > seg || (len < seg && i + 1 < peer_txb.n))
			return false;
		total += len;
	}
	return total <= PEER_GSO_MAX;
}

/* 0: sent; EAGAIN: not sent (socket buffer full); else GSO does not work here */
static int peer_tx_gso(struct peer *p)
{
	union udp_gso_cmsg ctl;
	struct msghdr mh = {.msg_name = &p->remote, .msg_namelen = sizeof(p->remote),
			    .msg_iov = peer_txb.iov, .msg_iovlen = peer_txb.n};
	udp_gso_set(&mh, &ctl, (uint16_t)peer_txb.iov[0].iov_len);
	if (sendmsg(p->fd, &mh, MSG_DONTWAIT) >= 0)
		return 0;
	return errno == EWOULDBLOCK || errno == ENOBUFS ? EAGAIN : errno;
}

static void peer_tx_fail(unsigned from)
{
	for (unsigned i = from; i < peer_txb.n; i++)
		peer_txb.owner[i]->st.tx_errors++;
}

static void peer_tx_mmsg(void)
{
	for (unsigned off = 0; off < peer_txb.n;) {
		int n = sendmmsg(peer_txb.fd, peer_txb.mm + off, peer_txb.n - off, MSG_DONTWAIT);
		if (n <= 0) {
			peer_tx_fail(off);
			break;
		}
		off += (unsigned)n;
	}
}

void peer_tx_flush(void)
{
	if (peer_txb.fd >= 0 && peer_txb.n) {
		bool gso = peer_tx_gso_fits();
		int e = gso ? peer_tx_gso(peer_txb.p) : 0;
		if (e == EAGAIN) {
			peer_tx_fail(0);
		} else if (!gso || e) {
			if (gso && udp_gso_refused(e))
				peer_gso_off = true;   /* sendmmsg from now on */
			peer_tx_mmsg();
		}
	}
	peer_txb.n = 0;
	peer_txb.fd = -1;
	peer_txb.p = NULL;
}

int peer_tx_queue(struct peer *p, const uint8_t *buf, size_t n)
{
	if (peer_txb.n == PEER_TX_BATCH) {
		struct peer *first = peer_txb.p;
		peer_tx_flush();
		peer_tx_begin(first);
		peer_txb.mixed = first != p;
	}
	unsigned i = peer_txb.n++;
	memcpy(peer_txb.buf[i], buf, n);
	peer_txb.owner[i] = p;
	peer_txb.iov[i] = (struct iovec){peer_txb.buf[i], n};
	peer_txb.mm[i].msg_hdr = (struct msghdr){.msg_name = &p->remote,
		.msg_namelen = sizeof(p->remote), .msg_iov = &peer_txb.iov[i], .msg_iovlen = 1};
	if (p->sock)
		peer_sock_set_src(p, &peer_txb.mm[i].msg_hdr, &peer_txb.ctl[i]);
	return 0;
}

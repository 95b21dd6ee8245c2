/* peer_sock: one UDP socket shared by many scripted peers, so that one recvmmsg or sendmmsg
 * serves many legs.
 *
 * Each peer on the socket still has a 5-tuple of its own, as a browser's RTCPeerConnection
 * does: the socket is bound to the wildcard address and one port, and the peer in slot k uses
 * the local address base + k (base is e.g. 127.0.0.1; all of 127/8 is the loopback's). A send
 * names its source address in an IP_PKTINFO control message; a receive learns the address it
 * was sent to from IP_PKTINFO and hands the datagram to the peer in that slot. The relay sees
 * one host candidate per leg, 127.0.0.(1+k):port, and sends each leg's media there.
 *
 * Only for addresses of the local machine's loopback (base in 127/8): a slot's address is not
 * configured anywhere, the loopback answers for all of 127/8.
 *
 * Ownership: the socket's owner (the load generator) frees it after every peer on it; a peer
 * borrows it and clears its slot in peer_free. Slots are never reused. */
#include "tests/load/peer_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PEER_SOCK_BATCH 64
#define PEER_SOCK_RCVBUF (16 << 20)   /* many legs' worth of arrivals between two reads */

struct peer_sock {
	int fd;
	uint16_t port;                /* network order */
	uint32_t base;                /* host order: the address of slot 0 */
	unsigned cap, n;              /* slots, slots handed out */
	uint64_t rx_stray;            /* datagrams for no peer (a freed one, a foreign address) */
	struct peer_txq txq;          /* what its peers send (peer_tx.c) */
	struct peer *slot[];
};

#define PEER_SOCK_CTL (CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(struct in_pktinfo)))

/* the receive batch, shared by every shared socket of the thread */
static _Thread_local struct {
	bool ready;
	struct mmsghdr mm[PEER_SOCK_BATCH];
	struct iovec iov[PEER_SOCK_BATCH];
	struct sockaddr_in from[PEER_SOCK_BATCH];
	char ctl[PEER_SOCK_BATCH][PEER_SOCK_CTL];
	uint8_t buf[PEER_SOCK_BATCH][PEER_BUF];
} peer_sock_rx;

static int peer_sock_open(struct peer_sock *s)
{
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		return errno;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
	socklen_t alen = sizeof(a);
	if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s->fd, (struct sockaddr *)&a, &alen))
		return errno;
	s->port = a.sin_port;
	int sz = PEER_SOCK_RCVBUF, one = 1, df = IP_PMTUDISC_PROBE;
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))   /* not root */
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	setsockopt(s->fd, IPPROTO_IP, IP_MTU_DISCOVER, &df, sizeof(df));   /* DF, like a browser */
	return setsockopt(s->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ? errno : 0;
}

int peer_sock_alloc(struct peer_sock **sp, const char *base_ip, unsigned slots)
{
	struct in_addr base;
	if (inet_pton(AF_INET, base_ip, &base) != 1 || ntohl(base.s_addr) >> 24 != 127 || !slots ||
	    (uint64_t)(ntohl(base.s_addr) & 0xffffffu) + slots > 0xffffffu)
		return EINVAL;
	struct peer_sock *s = calloc(1, sizeof(*s) + slots * sizeof(s->slot[0]));
	if (!s)
		return ENOMEM;
	s->base = ntohl(base.s_addr);
	s->cap = slots;
	s->txq.fd = -1;
	int e = peer_sock_open(s);
	if (e) {
		peer_sock_free(s);
		return e;
	}
	*sp = s;
	return 0;
}

void peer_sock_free(struct peer_sock *s)
{
	if (!s)
		return;
	peer_tx_flush();                 /* its queue may be open */
	for (unsigned i = 0; i < s->n; i++)
		if (s->slot[i]) {            /* a peer that outlives it: no longer reachable */
			s->slot[i]->sock = NULL;
			s->slot[i]->fd = -1;
		}
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int peer_sock_fd(const struct peer_sock *s) { return s->fd; }
struct peer_txq *peer_sock_txq(struct peer_sock *s) { return &s->txq; }
bool peer_sock_full(const struct peer_sock *s) { return s->n == s->cap; }
uint64_t peer_sock_stray(const struct peer_sock *s) { return s->rx_stray; }

/* the next slot for p: its local address and port; ENOSPC when all are taken */
int peer_sock_attach(struct peer_sock *s, struct peer *p)
{
	if (s->n == s->cap)
		return ENOSPC;
	p->sock = s;
	p->sock_slot = s->n;
	p->fd = s->fd;
	p->local = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = s->port,
					.sin_addr.s_addr = htonl(s->base + s->n)};
	s->slot[s->n++] = p;
	return 0;
}

void peer_sock_detach(struct peer *p)
{
	if (p->sock)
		p->sock->slot[p->sock_slot] = NULL;
	p->sock = NULL;
	p->fd = -1;
}

/* p's source address on mh (one message of a sendmsg or sendmmsg) */
void peer_sock_set_src(const struct peer *p, struct msghdr *mh, union peer_sock_cmsg *ctl)
{
	memset(ctl, 0, sizeof(*ctl));
	mh->msg_control = ctl->buf;
	mh->msg_controllen = sizeof(ctl->buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi = {.ipi_spec_dst = p->local.sin_addr};
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

static void peer_sock_rx_reset(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		peer_sock_rx.iov[i] = (struct iovec){peer_sock_rx.buf[i], PEER_BUF};
		peer_sock_rx.mm[i].msg_hdr = (struct msghdr){.msg_name = &peer_sock_rx.from[i],
			.msg_namelen = sizeof(peer_sock_rx.from[i]), .msg_iov = &peer_sock_rx.iov[i],
			.msg_iovlen = 1, .msg_control = peer_sock_rx.ctl[i],
			.msg_controllen = sizeof(peer_sock_rx.ctl[i])};
	}
}

/* the peer a datagram was sent to (IP_PKTINFO), NULL: none; its kernel receive time */
static struct peer *peer_sock_rx_meta(struct peer_sock *s, struct msghdr *mh, uint64_t *t_us)
{
	struct peer *p = NULL;
	*t_us = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			*t_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			uint32_t k = ntohl(pi.ipi_addr.s_addr) - s->base;
			p = k < s->n ? s->slot[k] : NULL;
		}
	}
	if (!*t_us)
		*t_us = peer_realtime_us();
	return p;
}

void peer_sock_recv(struct peer_sock *s)
{
	if (!peer_sock_rx.ready) {
		peer_sock_rx_reset(PEER_SOCK_BATCH);
		peer_sock_rx.ready = true;
	}
	for (;;) {
		int n = recvmmsg(s->fd, peer_sock_rx.mm, PEER_SOCK_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			uint64_t t_us;
			struct peer *p = peer_sock_rx_meta(s, &peer_sock_rx.mm[i].msg_hdr, &t_us);
			if (p)
				peer_on_datagram(p, peer_sock_rx.buf[i], peer_sock_rx.mm[i].msg_len,
						 &peer_sock_rx.from[i], t_us);
			else
				s->rx_stray++;
		}
		peer_sock_rx_reset((unsigned)n);   /* the kernel shortened namelen and controllen */
		if (n < PEER_SOCK_BATCH)
			return;
	}
}

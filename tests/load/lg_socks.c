/* lg_socks: the legs' shared UDP sockets (peer_sock.c). Legs are put on sockets in the order
 * they are made, --legs-per-socket to a socket (default 256), each socket in the epoll set
 * once, edge-triggered: one wake-up and one recvmmsg of up to 64 datagrams serve many legs
 * instead of a wake-up and a recvmmsg per leg (about one datagram each at 166 packets/s per
 * leg and a 250 µs grid). With --legs-per-socket 1, or a --bind address outside 127/8, every
 * leg has its own socket as before.
 *
 * Ownership: struct lg owns the sockets (lg->socks); legs' peers borrow them, so lg_socks_free
 * runs after every peer is freed. */
#include "tests/load/lg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

struct lg_sock {
	struct lg_io io;                 /* first: the epoll handler gets it */
	struct peer_sock *s;
};

static void lg_sock_on_io(struct lg_io *io, uint32_t events)
{
	(void)events;
	peer_sock_recv(((struct lg_sock *)io)->s);
}

bool lg_socks_shared(const struct lg *lg)
{
	struct in_addr a;
	return lg->o.legs_per_sock > 1 && inet_pton(AF_INET, lg->o.bind_ip, &a) == 1 &&
	       ntohl(a.s_addr) >> 24 == 127;
}

/* a socket with a free slot: the last one, or a new one */
static int lg_socks_current(struct lg *lg, struct peer_sock **out)
{
	if (lg->nsocks && !peer_sock_full(lg->socks[lg->nsocks - 1]->s)) {
		*out = lg->socks[lg->nsocks - 1]->s;
		return 0;
	}
	if (lg->nsocks == lg->sockcap) {
		unsigned cap = lg->sockcap ? lg->sockcap * 2 : 16;
		struct lg_sock **v = realloc(lg->socks, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		lg->socks = v;
		lg->sockcap = cap;
	}
	struct lg_sock *ls = calloc(1, sizeof(*ls));
	if (!ls)
		return ENOMEM;
	ls->io.h = lg_sock_on_io;
	int e = peer_sock_alloc(&ls->s, lg->o.bind_ip, lg->o.legs_per_sock);
	if (!e && (e = lg_io_add_edge(lg, peer_sock_fd(ls->s), &ls->io)))
		peer_sock_free(ls->s);
	if (e) {
		free(ls);
		return e;
	}
	lg->socks[lg->nsocks++] = ls;
	*out = ls->s;
	return 0;
}

int lg_socks_peer(struct lg *lg, struct peer **pp)
{
	struct peer_sock *s;
	int e = lg_socks_current(lg, &s);
	return e ? e : peer_alloc_shared(pp, lg->cert, s);
}

uint64_t lg_socks_stray(const struct lg *lg)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < lg->nsocks; i++)
		n += peer_sock_stray(lg->socks[i]->s);
	return n;
}

void lg_socks_free(struct lg *lg)
{
	for (unsigned i = 0; i < lg->nsocks; i++) {
		lg_io_del(lg, peer_sock_fd(lg->socks[i]->s));
		peer_sock_free(lg->socks[i]->s);
		free(lg->socks[i]);
	}
	free(lg->socks);
	lg->socks = NULL;
	lg->nsocks = lg->sockcap = 0;
}

/* rapport-impair: a userspace UDP impairment proxy (this kernel has no netem).
 *
 * It listens on one UDP address and relays to a target: datagrams from the client (the last
 * address that sent to the listening socket; one client at a time) go "up" to the target from
 * a socket of the proxy's own, and the target's replies come "down" to that client. Each
 * direction drops (random and Gilbert–Elliott bursts), delays (fixed + uniform or normal
 * jitter), reorders (extra delay for a share of packets), duplicates and rate-limits on its
 * own, from its own seeded PRNG: the same seed and the same packets give the same decisions.
 * One thread: epoll and timerfd through base/loop, a delay queue as a heap on send time.
 * See tests/load/README.md. */
#include "base/clock.h"
#include "base/loop.h"
#include "base/mem.h"
#include "tests/load/impair.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define IMP_PKT_CAP 2048
#define IMP_RX_BURST 64
#define IMP_SOCKBUF (4 << 20)

struct imp_dir_cnt {
	uint64_t rx, tx, lost_random, lost_burst, dup, reordered, queue_drop, oversize, send_err;
};

struct imp_dir {
	const char *name;
	struct imp_dir_cfg cfg;
	struct imp_dir_cnt cnt;
	uint64_t rng[4];               /* xoshiro256** */
	bool ge_bad;
	uint64_t link_free_us;
};

struct imp_pkt {
	uint64_t send_us, order;
	uint16_t len;
	uint8_t dir;
	uint8_t data[IMP_PKT_CAP];
};

struct imp {
	struct loop *loop;
	int lfd, tfd, sfd;
	struct sockaddr_storage client;
	socklen_t client_len;
	struct imp_dir dirs[IMP_NDIRS];
	struct imp_pkt *pool;
	uint32_t *free_list, nfree;
	uint32_t *heap, nheap, cap;    /* indices into pool, min-heap on (send_us, order) */
	uint64_t order;
	struct loop_timer send_timer, stats_timer;
	uint64_t stats_every_us;
	int exit_code;
};

/* --- PRNG: xoshiro256**, seeded with splitmix64 --- */

static uint64_t imp_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t imp_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static double imp_rand(struct imp_dir *d)   /* uniform in [0, 1) */
{
	uint64_t *s = d->rng;
	uint64_t r = imp_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = imp_rotl(s[3], 45);
	return (double)(r >> 11) * 0x1.0p-53;
}

static void imp_seed(struct imp_dir *d, uint64_t seed, uint64_t dir)
{
	uint64_t x = seed ^ (dir * 0x5851f42d4c957f2dull);
	for (int i = 0; i < 4; i++)
		d->rng[i] = imp_splitmix(&x);
}

/* --- the delay queue --- */

static bool imp_before(const struct imp *m, uint32_t a, uint32_t b)
{
	const struct imp_pkt *x = &m->pool[a], *y = &m->pool[b];
	return x->send_us < y->send_us || (x->send_us == y->send_us && x->order < y->order);
}

static void imp_heap_swap(struct imp *m, uint32_t i, uint32_t j)
{
	uint32_t t = m->heap[i];
	m->heap[i] = m->heap[j];
	m->heap[j] = t;
}

static void imp_heap_push(struct imp *m, uint32_t idx)
{
	uint32_t i = m->nheap++;
	m->heap[i] = idx;
	while (i && imp_before(m, m->heap[i], m->heap[(i - 1) / 2])) {
		imp_heap_swap(m, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static uint32_t imp_heap_pop(struct imp *m)
{
	uint32_t top = m->heap[0], i = 0;
	m->heap[0] = m->heap[--m->nheap];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= m->nheap)
			break;
		if (c + 1 < m->nheap && imp_before(m, m->heap[c + 1], m->heap[c]))
			c++;
		if (!imp_before(m, m->heap[c], m->heap[i]))
			break;
		imp_heap_swap(m, i, c);
		i = c;
	}
	return top;
}

/* --- sending --- */

static void imp_send(struct imp *m, struct imp_pkt *p)
{
	struct imp_dir *d = &m->dirs[p->dir];
	ssize_t n;
	if (p->dir == IMP_UP)
		n = send(m->tfd, p->data, p->len, 0);
	else if (m->client_len)
		n = sendto(m->lfd, p->data, p->len, 0, (struct sockaddr *)&m->client, m->client_len);
	else
		n = -1;
	if (n == (ssize_t)p->len)
		d->cnt.tx++;
	else
		d->cnt.send_err++;
}

static void imp_on_send_timer(void *arg);

/* send what is due and arm the timer for the next */
static void imp_flush(struct imp *m)
{
	uint64_t now = clock_us();
	while (m->nheap && m->pool[m->heap[0]].send_us <= now) {
		uint32_t idx = imp_heap_pop(m);
		imp_send(m, &m->pool[idx]);
		m->free_list[m->nfree++] = idx;
	}
	if (m->nheap)
		loop_timer_start(m->loop, &m->send_timer, m->pool[m->heap[0]].send_us,
				 imp_on_send_timer, m);
	else
		loop_timer_cancel(m->loop, &m->send_timer);
}

static void imp_on_send_timer(void *arg) { imp_flush(arg); }

/* --- impairment decisions: a fixed number of draws per packet, so equal seeds and equal
 * traffic give equal decisions whatever each one turns out to be --- */

enum imp_verdict { IMP_PASS, IMP_LOST_RANDOM, IMP_LOST_BURST };

static enum imp_verdict imp_loss(struct imp_dir *d)
{
	const struct imp_dir_cfg *c = &d->cfg;
	double u_loss = imp_rand(d), u_state = imp_rand(d), u_ge = imp_rand(d);
	bool burst = false;
	if (c->ge) {
		burst = u_ge * 100 < (d->ge_bad ? c->ge_h : c->ge_k);
		if (u_state * 100 < (d->ge_bad ? c->ge_r : c->ge_p))
			d->ge_bad = !d->ge_bad;
	}
	if (burst)
		return IMP_LOST_BURST;
	return u_loss * 100 < c->loss ? IMP_LOST_RANDOM : IMP_PASS;
}

static double imp_jitter_ms(struct imp_dir *d)
{
	double u1 = imp_rand(d), u2 = imp_rand(d);
	if (!d->cfg.jitter_ms)
		return 0;
	if (!d->cfg.normal)
		return (2 * u1 - 1) * d->cfg.jitter_ms;
	double z = sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);   /* Box–Muller */
	return z * d->cfg.jitter_ms;
}

/* queue one copy due at base_us + delay + jitter (+ reorder extra) */
static void imp_enqueue(struct imp *m, enum imp_dir_id dir, const uint8_t *buf, size_t len,
			uint64_t base_us, bool reorder)
{
	struct imp_dir *d = &m->dirs[dir];
	double ms = d->cfg.delay_ms + imp_jitter_ms(d) + (reorder ? d->cfg.reorder_ms : 0);
	if (!m->nfree) {
		d->cnt.queue_drop++;
		return;
	}
	uint32_t idx = m->free_list[--m->nfree];
	struct imp_pkt *p = &m->pool[idx];
	p->send_us = base_us + (ms > 0 ? (uint64_t)(ms * 1000) : 0);
	p->order = m->order++;
	p->dir = (uint8_t)dir;
	p->len = (uint16_t)len;
	memcpy(p->data, buf, len);
	imp_heap_push(m, idx);
}

/* rate limit: when the packet leaves the link, or 0 when the queue is over its limit */
static uint64_t imp_link(struct imp_dir *d, size_t len, uint64_t now)
{
	if (!d->cfg.rate_kbit)
		return now;
	uint64_t start = d->link_free_us > now ? d->link_free_us : now;
	if ((double)(start - now) > d->cfg.queue_ms * 1000)
		return 0;
	d->link_free_us = start + (uint64_t)((double)len * 8 * 1000 / d->cfg.rate_kbit);
	return d->link_free_us;
}

static void imp_packet(struct imp *m, enum imp_dir_id dir, const uint8_t *buf, size_t len)
{
	struct imp_dir *d = &m->dirs[dir];
	uint64_t now = clock_us();
	enum imp_verdict v = imp_loss(d);
	double u_dup = imp_rand(d), u_reorder = imp_rand(d);
	bool dup = u_dup * 100 < d->cfg.dup, reorder = u_reorder * 100 < d->cfg.reorder;
	d->cnt.rx++;
	if (v != IMP_PASS) {
		imp_jitter_ms(d);   /* keep the draws per packet fixed */
		imp_jitter_ms(d);
		if (v == IMP_LOST_BURST)
			d->cnt.lost_burst++;
		else
			d->cnt.lost_random++;
		return;
	}
	uint64_t base = imp_link(d, len, now);
	if (!base) {
		imp_jitter_ms(d);
		imp_jitter_ms(d);
		d->cnt.queue_drop++;
		return;
	}
	d->cnt.reordered += reorder;
	imp_enqueue(m, dir, buf, len, base, reorder);
	if (dup) {
		d->cnt.dup++;
		imp_enqueue(m, dir, buf, len, base, false);
	} else {
		imp_jitter_ms(d);
	}
}

/* --- sockets --- */

static void imp_recv(struct imp *m, int fd, enum imp_dir_id dir)
{
	static uint8_t buf[IMP_PKT_CAP];
	for (int i = 0; i < IMP_RX_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (n < 0)
			break;
		if (dir == IMP_UP) {
			memcpy(&m->client, &from, flen);
			m->client_len = flen;
		}
		if (n > IMP_PKT_CAP) {
			m->dirs[dir].cnt.rx++;
			m->dirs[dir].cnt.oversize++;
			continue;
		}
		imp_packet(m, dir, buf, (size_t)n);
	}
	imp_flush(m);
}

static void imp_on_client(int fd, uint32_t ev, void *arg) { (void)ev; imp_recv(arg, fd, IMP_UP); }
static void imp_on_target(int fd, uint32_t ev, void *arg) { (void)ev; imp_recv(arg, fd, IMP_DOWN); }

static void imp_print_stats(const struct imp *m)
{
	for (int i = 0; i < IMP_NDIRS; i++) {
		const struct imp_dir_cnt *c = &m->dirs[i].cnt;
		printf("impair %s rx=%lu tx=%lu lost_random=%lu lost_burst=%lu dup=%lu reordered=%lu "
		       "queue_drop=%lu oversize=%lu send_err=%lu\n", m->dirs[i].name,
		       (unsigned long)c->rx, (unsigned long)c->tx, (unsigned long)c->lost_random,
		       (unsigned long)c->lost_burst, (unsigned long)c->dup,
		       (unsigned long)c->reordered, (unsigned long)c->queue_drop,
		       (unsigned long)c->oversize, (unsigned long)c->send_err);
	}
	fflush(stdout);
}

static void imp_on_stats_timer(void *arg)
{
	struct imp *m = arg;
	imp_print_stats(m);
	loop_timer_start(m->loop, &m->stats_timer, clock_us() + m->stats_every_us,
			 imp_on_stats_timer, m);
}

static void imp_on_signal(int fd, uint32_t ev, void *arg)
{
	struct imp *m = arg;
	struct signalfd_siginfo si;
	(void)ev;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	imp_print_stats(m);
	if (si.ssi_signo != SIGUSR1)
		loop_stop(m->loop);
}

static int imp_socket(const struct sockaddr_storage *bind_to, socklen_t blen,
		      const struct sockaddr_storage *connect_to, socklen_t clen)
{
	int fd = socket(bind_to ? bind_to->ss_family : connect_to->ss_family,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int sz = IMP_SOCKBUF;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if ((bind_to && bind(fd, (const struct sockaddr *)bind_to, blen) < 0)
	    || (connect_to && connect(fd, (const struct sockaddr *)connect_to, clen) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void imp_print_addr(const char *what, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	printf("impair %s %s:%u\n", what, host, port);
}

static int imp_setup(struct imp *m, const struct imp_opts *o)
{
	sigset_t mask;
	m->lfd = imp_socket(&o->listen, o->listen_len, NULL, 0);
	m->tfd = imp_socket(NULL, 0, &o->target, o->target_len);
	if (m->lfd < 0 || m->tfd < 0) {
		fprintf(stderr, "rapport-impair: socket: %s\n", strerror(errno));
		return errno;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	m->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	m->pool = calloc(o->queue_max, sizeof(*m->pool));
	m->free_list = calloc(o->queue_max, sizeof(uint32_t));
	m->heap = calloc(o->queue_max, sizeof(uint32_t));
	if (m->sfd < 0 || !m->pool || !m->free_list || !m->heap || loop_alloc(&m->loop))
		return ENOMEM;
	for (uint32_t i = 0; i < o->queue_max; i++)
		m->free_list[m->nfree++] = o->queue_max - 1 - i;
	m->cap = o->queue_max;
	loop_fd_add(m->loop, m->lfd, EPOLLIN, imp_on_client, m);
	loop_fd_add(m->loop, m->tfd, EPOLLIN, imp_on_target, m);
	loop_fd_add(m->loop, m->sfd, EPOLLIN, imp_on_signal, m);
	return 0;
}

int main(int argc, char **argv)
{
	static struct imp m = {.lfd = -1, .tfd = -1, .sfd = -1};
	struct imp_opts o;
	int err = imp_opts_parse(&o, argc, argv);
	if (err)
		return err == -1 ? 0 : 2;
	m.dirs[IMP_UP] = (struct imp_dir){.name = "up", .cfg = o.dir[IMP_UP]};
	m.dirs[IMP_DOWN] = (struct imp_dir){.name = "down", .cfg = o.dir[IMP_DOWN]};
	imp_seed(&m.dirs[IMP_UP], o.seed, 1);
	imp_seed(&m.dirs[IMP_DOWN], o.seed, 2);
	if (imp_setup(&m, &o))
		return 1;
	imp_print_addr("listening", m.lfd);
	imp_print_addr("relaying-from", m.tfd);
	fflush(stdout);
	if (o.stats_every_s) {
		m.stats_every_us = (uint64_t)o.stats_every_s * 1000000u;
		loop_timer_start(m.loop, &m.stats_timer, clock_us() + m.stats_every_us,
				 imp_on_stats_timer, &m);
	}
	loop_run(m.loop);
	loop_timer_cancel(m.loop, &m.send_timer);
	loop_timer_cancel(m.loop, &m.stats_timer);
	mem_deref(m.loop);
	close(m.lfd);
	close(m.tfd);
	close(m.sfd);
	free(m.pool);
	free(m.free_list);
	free(m.heap);
	return 0;
}

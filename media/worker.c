#define LOG_MODULE "worker"
#include "media/worker.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/mqueue.h"
#include "media/cmix.h"
#include "media/mcall.h"
#include "media/ice.h"
#include "media/relay.h"
#include "media/rtp.h"
#include "media/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define WORKER_TICK_US 20000u        /* housekeeping: DTLS, RTCP, consent */
#define WORKER_SOCKBUF (4 << 20)

/* --- lookups --- */

struct leg *worker_leg_by_ufrag(struct worker *w, const char *ufrag)
{
	for (struct leg *l = w->legs; l; l = l->wnext)
		if (strcmp(l->p.lufrag, ufrag) == 0)
			return l;
	return NULL;
}

struct mcall *worker_call_find(struct worker *w, uint32_t call_id)
{
	for (struct mcall *c = w->calls; c; c = c->next)
		if (c->id == call_id)
			return c;
	return NULL;
}

/* --- receive path --- */

static void worker_on_stun(struct worker *w, const uint8_t *buf, size_t len,
			   const struct sockaddr *from)
{
	struct leg *l = addrmap_get(&w->addrs, from);
	if (!l) {
		char ufrag[ICE_UFRAG_MAX + 1];
		if (ice_username_local(buf, len, ufrag) == 0)
			l = worker_leg_by_ufrag(w, ufrag);
	}
	if (!l) {
		w->cnt.rx_unknown_ufrag++;
		return;
	}
	leg_recv_stun(l, buf, len, from);
}

static struct leg *worker_checked_leg(struct worker *w, const struct sockaddr *from)
{
	struct leg *l = addrmap_get(&w->addrs, from);
	if (!l || !ice_lite_allowed(&l->ice, from, w->now_us)) {
		w->cnt.rx_unknown_addr++;
		log_limited(LOG_DEBUG, "dropping media from an address that passed no check");
		return NULL;
	}
	return l;
}

/* what a datagram is, by its first byte (RFC 7983 §7) */
enum worker_kind { WORKER_STUN, WORKER_DTLS, WORKER_RTP, WORKER_OTHER };

static enum worker_kind worker_kind(const uint8_t *buf, size_t len)
{
	uint8_t b = len ? buf[0] : 0xff;
	return b <= 3 ? WORKER_STUN : b >= 20 && b <= 63 ? WORKER_DTLS :
	       b >= 128 && b <= 191 ? WORKER_RTP : WORKER_OTHER;
}

static void worker_dispatch(struct worker *w, uint8_t *buf, size_t len,
			    const struct sockaddr *from)
{
	struct leg *l;
	switch (worker_kind(buf, len)) {
	case WORKER_STUN:
		worker_on_stun(w, buf, len, from);
		break;
	case WORKER_DTLS:
		if ((l = worker_checked_leg(w, from)))
			leg_recv_dtls(l, buf, len, from);
		break;
	case WORKER_RTP:
		if (!(l = worker_checked_leg(w, from)))
			break;
		if (rtp_is_rtcp(buf, len))
			leg_recv_rtcp(l, buf, len);
		else
			leg_recv_rtp(l, buf, len);
		break;
	default:
		w->cnt.rx_unclassified++;
	}
}

/* Every packet finds its leg's state cold (400 legs apart from the last one): look all the
 * batch's senders up first and load their state and their receivers' in waves
 * (leg_prefetch_wave), so that the cache misses of the batch overlap instead of coming one
 * after another as each packet is handled. A sender with several packets in a row is
 * prefetched once. */
static void worker_prefetch(struct worker *w, int n)
{
	const struct leg *src[WORKER_RX_BATCH];
	int m = 0;
	for (int i = 0; i < n; i++) {
		const struct leg *l;
		if (worker_kind(w->rx_buf[i], w->rx_msg[i].msg_len) == WORKER_RTP &&
		    (l = addrmap_get(&w->addrs, (const struct sockaddr *)&w->rx_addr[i])) &&
		    (m == 0 || src[m - 1] != l))
			src[m++] = l;
	}
	for (unsigned wave = 0; wave < LEG_PREFETCH_WAVES; wave++)
		for (int j = 0; j < m; j++)
			leg_prefetch_wave(src[j], wave);
}

/* media_batch_us: stay asleep until batch_us after this wake-up began, so that the next
 * wake-up finds whatever arrived meanwhile; commands and timers wait as long */
static void worker_batch_wait(const struct worker *w, uint64_t woke_us)
{
	uint64_t until = woke_us + w->media->batch_us;
	struct timespec ts = {.tv_sec = (time_t)(until / 1000000u),
			      .tv_nsec = (long)(until % 1000000u) * 1000};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void worker_on_readable(int fd, uint32_t events, void *arg)
{
	struct worker *w = arg;
	uint64_t woke_us = w->media->batch_us ? clock_us() : 0;
	(void)fd;
	(void)events;
	for (;;) {
		int n = worker_rx_batch(w);
		if (n <= 0)
			break;
		w->now_us = clock_us();
		worker_prefetch(w, n);
		worker_rx_each(w, n, worker_dispatch);
		worker_tx_flush(w);
		if (n < WORKER_RX_BATCH)
			break;
	}
	if (w->media->batch_us)
		worker_batch_wait(w, woke_us);
}

static void worker_on_tick(void *arg)
{
	struct worker *w = arg;
	w->now_us = clock_us();
	for (struct leg *l = w->legs, *next; l; l = next) {
		next = l->wnext;
		leg_tick(l, w->now_us);
	}
	worker_tx_flush(w);
	loop_timer_start(w->loop, &w->tick, w->now_us + WORKER_TICK_US, worker_on_tick, w);
}

/* --- commands from the controlling thread --- */

static void worker_sync_done(struct worker_sync *s, int err)
{
	pthread_mutex_lock(&s->mtx);
	s->done = true;
	s->err = err;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mtx);
}

static struct leg *worker_leg_find(struct worker *w, uint32_t leg_id)
{
	for (struct leg *l = w->legs; l; l = l->wnext)
		if (l->id == leg_id)
			return l;
	return NULL;
}

static void wcmd_call_create(struct worker *w, struct worker_cmd *c)
{
	struct mcall *call;
	if (mcall_create(&call, w, c->call_id))
		log_error("call %u: out of memory", c->call_id);
}

static void wcmd_call_destroy(struct worker *w, struct worker_cmd *c)
{
	struct mcall *call = worker_call_find(w, c->call_id);
	if (call)
		mcall_destroy(call);
}

static void wcmd_leg_create(struct worker *w, struct worker_cmd *c)
{
	struct mcall *call = worker_call_find(w, c->call_id);
	struct leg *l;
	int err = call ? leg_create(&l, w, call, c->leg_id, &c->params) : ENOENT;
	if (err)
		relay_emit(w->media, MEDIA_EV_LEG_FAILED, c->call_id, c->leg_id,
			   call ? "could not create the leg" : "no such call");
}

static void wcmd_leg_destroy(struct worker *w, struct worker_cmd *c)
{
	struct leg *l = worker_leg_find(w, c->leg_id);
	if (l)
		leg_destroy(l);
}

static void wcmd_leg_stats(struct worker *w, struct worker_cmd *c)
{
	struct leg *l = worker_leg_find(w, c->leg_id);
	if (l)
		leg_stats_snapshot(l, c->stats_out);
	worker_sync_done(c->sync, l ? 0 : ENOENT);
}

static void wcmd_leg_update(struct worker *w, struct worker_cmd *c)
{
	struct leg *l = worker_leg_find(w, c->leg_id);
	if (l && leg_update(l, &c->params))
		relay_emit(w->media, MEDIA_EV_LEG_FAILED, c->call_id, c->leg_id,
			   "renegotiation could not be applied (out of memory)");
}

static void wcmd_leg_routes(struct worker *w, struct worker_cmd *c)
{
	struct leg *l = worker_leg_find(w, c->leg_id);
	if (l)
		leg_set_routes(l, c->routes);
}

static void wcmd_call_mode(struct worker *w, struct worker_cmd *c)
{
	struct mcall *call = worker_call_find(w, c->call_id);
	struct leg *legs[CMIX_NSRC] = {0};
	if (!call)
		return;
	bool sim = c->mode == MEDIA_MODE_SIMULTANEOUS;
	for (unsigned j = 0; sim && j < CMIX_NSRC; j++)
		if (!(legs[j] = mcall_leg_find(call, c->mix_legs[j])))
			sim = false;    /* a leg left meanwhile: the controlling thread knows */
	if (sim && call->mix && cmix_same(call->mix, legs, c->duck_db))
		return;
	cmix_destroy(call->mix);
	struct cmix *x;
	int err = sim ? cmix_create(&x, call, legs, c->duck_db) : 0;
	if (err)
		log_error("call %u: simultaneous mode not started: %s", call->id, strerror(err));
}

static void wcmd_call_stats(struct worker *w, struct worker_cmd *c)
{
	struct mcall *call = worker_call_find(w, c->call_id);
	if (call) {
		*c->call_stats_out = (struct media_call_stats){.mode = MEDIA_MODE_CONSECUTIVE,
							       .duck_db = c->duck_db};
		if (call->mix)
			cmix_stats(call->mix, c->call_stats_out);
		c->call_stats_out->legs = call->nlegs;
	}
	worker_sync_done(c->sync, call ? 0 : ENOENT);
}

typedef void (wcmd_h)(struct worker *w, struct worker_cmd *c);
static wcmd_h *const worker_cmd_table[] = {
	[WCMD_CALL_CREATE] = wcmd_call_create,
	[WCMD_CALL_DESTROY] = wcmd_call_destroy,
	[WCMD_LEG_CREATE] = wcmd_leg_create,
	[WCMD_LEG_DESTROY] = wcmd_leg_destroy,
	[WCMD_LEG_STATS] = wcmd_leg_stats,
	[WCMD_LEG_UPDATE] = wcmd_leg_update,
	[WCMD_LEG_ROUTES] = wcmd_leg_routes,
	[WCMD_CALL_MODE] = wcmd_call_mode,
	[WCMD_CALL_STATS] = wcmd_call_stats,
};

static void worker_on_cmd(void *msg, void *arg)
{
	struct worker *w = arg;
	struct worker_cmd *c = msg;
	w->now_us = clock_us();
	worker_cmd_table[c->type](w, c);
	worker_tx_flush(w);
	mem_deref(c);
}

int worker_post(struct worker *w, struct worker_cmd *cmd)
{
	return mqueue_push(w->cmdq, cmd);
}

/* --- life cycle --- */

/* Don't fragment (as browsers send media): an IPv4 datagram with DF gets IP ID 0 instead of
 * the kernel's hashed per-destination ID (__ip_select_ident, 1-3% of a sender's profile).
 * PROBE ignores learnt path MTUs; a media packet stays under 1300 bytes anyway. */
static void worker_set_df(int fd, int family)
{
	int v = IP_PMTUDISC_PROBE;
	if (family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
}

static int worker_bind(struct worker *w, const char *ip, uint16_t lo, uint16_t hi)
{
	struct sockaddr_storage ss = {0};
	socklen_t alen;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		alen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		alen = sizeof(*s6);
	} else {
		log_error("media bind address '%s' is not an IP address", ip);
		return EINVAL;
	}
	w->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->fd < 0)
		return errno;
	int sz = WORKER_SOCKBUF;
	setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(w->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	worker_set_df(w->fd, ss.ss_family);
	for (uint32_t port = lo; port <= hi; port++) {
		if (ss.ss_family == AF_INET)
			s4->sin_port = htons((uint16_t)port);
		else
			s6->sin6_port = htons((uint16_t)port);
		if (bind(w->fd, (struct sockaddr *)&ss, alen) == 0) {
			w->port = (uint16_t)port;
			return 0;
		}
	}
	log_error("no free UDP port in %u-%u on %s", lo, hi, ip);
	return EADDRINUSE;
}

static void worker_init_msgs(struct worker *w)
{
	worker_rx_init(w);
	worker_tx_init(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[16];
	snprintf(name, sizeof(name), "media-%u", w->idx);
	pthread_setname_np(pthread_self(), name);
	loop_run(w->loop);
	return NULL;
}

static void worker_free(struct worker *w)
{
	while (w->calls)
		mcall_destroy(w->calls);
	if (w->loop)
		loop_timer_cancel(w->loop, &w->tick);
	mem_deref(w->cmdq);          /* drops queued commands, unregisters its eventfd */
	if (w->fd >= 0) {
		if (w->loop)
			loop_fd_del(w->loop, w->fd);
		close(w->fd);
	}
	mem_deref(w->loop);
	addrmap_free(&w->addrs);
	free(w);
}

int worker_start(struct worker **wp, struct media *m, unsigned idx)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->media = m;
	w->idx = idx;
	w->fd = -1;
	worker_init_msgs(w);
	int err = addrmap_init(&w->addrs, 256);
	if (!err) err = loop_alloc(&w->loop);
	if (!err) err = mqueue_alloc_loop(&w->cmdq, w->loop, worker_on_cmd, w);
	if (!err) err = worker_bind(w, m->bind_ip, m->port_min, m->port_max);
	if (!err)
		worker_rx_gro(w);
	if (!err) err = loop_fd_add(w->loop, w->fd, EPOLLIN, worker_on_readable, w);
	if (err)
		goto out;
	loop_timer_start(w->loop, &w->tick, clock_us() + WORKER_TICK_US, worker_on_tick, w);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	if (err)
		goto out;
	w->running = true;
	*wp = w;
	return 0;
out:
	worker_free(w);
	return err;
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	if (w->running) {
		loop_stop(w->loop);
		pthread_join(w->thread, NULL);
	}
	worker_free(w);
}

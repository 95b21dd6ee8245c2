/* lg_loop: the load generator's one event loop: epoll over every socket, the send schedule
 * (a min-heap of due audio packets and video frames), and the legs' timers. */
#include "tests/load/lg.h"
#include "base/clock.h"
#include "tests/load/frames.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define LG_TICK_US 10000u            /* legs' timers (ICE, DTLS, RTCP) */
#define LG_BE_TICK_US 1000000u       /* the signalling backend's keepalives */
#define LG_AUDIO_US 20000u
#define LG_KEY_MIN_US 200000u        /* at most 5 keyframes a second on request */
#define LG_EPOLL_BATCH 256

int lg_io_add(struct lg *lg, int fd, struct lg_io *io)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = io};
	return epoll_ctl(lg->epfd, EPOLL_CTL_ADD, fd, &ev) ? errno : 0;
}

/* Edge-triggered: epoll reports the fd once per arrival instead of polling every readable fd
 * again on the next epoll_wait (a sock_poll per leg per wake-up, a tenth of the epoll cost at
 * 400 calls). Its handler must read until the queue is empty, as peer_recv does. */
int lg_io_add_edge(struct lg *lg, int fd, struct lg_io *io)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = io};
	return epoll_ctl(lg->epfd, EPOLL_CTL_ADD, fd, &ev) ? errno : 0;
}

void lg_io_del(struct lg *lg, int fd)
{
	epoll_ctl(lg->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* --- the schedule --- */

static void heap_down(struct lg *lg, size_t i)
{
	struct lg_sched_ev *h = lg->heap;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < lg->nheap && h[l].due_us < h[m].due_us)
			m = l;
		if (r < lg->nheap && h[r].due_us < h[m].due_us)
			m = r;
		if (m == i)
			return;
		struct lg_sched_ev t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int heap_push(struct lg *lg, struct lg_sched_ev ev)
{
	if (lg->nheap == lg->heapcap) {
		size_t cap = lg->heapcap ? lg->heapcap * 2 : 256;
		struct lg_sched_ev *h = realloc(lg->heap, cap * sizeof(*h));
		if (!h)
			return ENOMEM;
		lg->heap = h;
		lg->heapcap = cap;
	}
	size_t i = lg->nheap++;
	lg->heap[i] = ev;
	while (i && lg->heap[(i - 1) / 2].due_us > lg->heap[i].due_us) {
		struct lg_sched_ev t = lg->heap[i];
		lg->heap[i] = lg->heap[(i - 1) / 2];
		lg->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return 0;
}

static uint32_t lg_rand(struct lg *lg)
{
	lg->rng = lg->rng * 1664525u + 1013904223u;
	return lg->rng >> 8;
}

static uint64_t lg_due(const struct lg *lg, const struct lg_leg *l, enum peer_kind k)
{
	if (k == PEER_AUDIO)
		return l->t0_us[k] + l->audio_n * LG_AUDIO_US;
	return l->t0_us[k] + l->video_n * 1000000u / lg->fr->fps;
}

int lg_leg_start_sending(struct lg *lg, struct lg_leg *l)
{
	uint64_t now = clock_us();
	bool video = l->send[PEER_VIDEO] && lg->o.scenario != LG_SC_AUDIO && lg->fr->nvideo;
	int e = 0;
	l->sending = l->send[PEER_AUDIO] || video;
	if (l->send[PEER_AUDIO]) {
		l->t0_us[PEER_AUDIO] = now + lg_rand(lg) % LG_AUDIO_US;
		e = heap_push(lg, (struct lg_sched_ev){lg_due(lg, l, PEER_AUDIO), l, PEER_AUDIO});
	}
	if (!e && video) {
		l->t0_us[PEER_VIDEO] = now + lg_rand(lg) % (1000000u / lg->fr->fps);
		e = heap_push(lg, (struct lg_sched_ev){lg_due(lg, l, PEER_VIDEO), l, PEER_VIDEO});
	}
	return e;
}

void lg_stop_sending(struct lg *lg)
{
	for (size_t i = 0; i < lg->nheap; i++)
		lg->heap[i].leg->sending = false;
	lg->nheap = 0;
	lg_grid_timer_stop(lg);
}

static void lg_send_audio(struct lg *lg, struct lg_leg *l)
{
	const struct frames_pkt *a = &lg->fr->audio[l->aframe];
	l->aframe = (l->aframe + 1) % lg->fr->naudio;
	peer_send_media(l->p, PEER_AUDIO, a->data, a->len, l->ats, false);
	l->ats += 960;
}

/* one video frame; a keyframe request sends the loop back to its keyframe */
static void lg_send_video(struct lg *lg, struct lg_leg *l, uint64_t now)
{
	if (now - l->last_key_us >= LG_KEY_MIN_US && peer_take_keyframe_request(l->p)) {
		l->vframe = 0;
		l->last_key_us = now;
		l->keyframes++;
	}
	const struct frames_video *v = &lg->fr->video[l->vframe];
	l->vframe = (l->vframe + 1) % lg->fr->nvideo;
	for (unsigned i = 0; i < v->npkts; i++)
		peer_send_media(l->p, PEER_VIDEO, v->pkts[i].data, v->pkts[i].len, l->vts,
				i + 1 == v->npkts);
	if (lg->o.gso)
		peer_tx_flush();         /* one GSO send per frame */
	l->vts += 90000u / lg->fr->fps;
}

static void lg_run_due(struct lg *lg, uint64_t now)
{
	while (lg->nheap && lg->heap[0].due_us <= now) {
		struct lg_sched_ev *ev = &lg->heap[0];
		struct lg_leg *l = ev->leg;
		if (lg->measuring) {
			uint64_t late = now - ev->due_us;
			lg->late_n++;
			lg->late_sum_us += late;
			if (late > lg->late_max_us)
				lg->late_max_us = late;
		}
		peer_tx_begin(l->p);     /* legs of one shared socket: one sendmmsg for them all */
		if (ev->kind == PEER_AUDIO) {
			lg_send_audio(lg, l);
			l->audio_n++;
		} else {
			lg_send_video(lg, l, now);
			l->video_n++;
		}
		ev->due_us = lg_due(lg, l, ev->kind);
		heap_down(lg, 0);
	}
	peer_tx_flush();
}

static void lg_run_ticks(struct lg *lg, uint64_t now)
{
	if (now >= lg->next_tick_us) {
		for (unsigned c = 0; c < lg->ncalls; c++)
			for (unsigned i = 0; i < lg->calls[c].nlegs; i++)
				if (lg->calls[c].leg[i].p)
					peer_tick(lg->calls[c].leg[i].p, now);
		lg->next_tick_us = now + LG_TICK_US;
	}
	if (now >= lg->next_be_tick_us) {
		lg->next_be_tick_us = now + LG_BE_TICK_US;
		if (lg->be->tick && lg->bstate)   /* not while the backend is still opening */
			lg->be->tick(lg, lg->bstate);
	}
}

static void lg_dispatch(struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		struct lg_io *io = evs[i].data.ptr;
		io->h(io, evs[i].events);
	}
}

/* The grid's clock: a periodic timerfd on the grid's multiples, armed once while the schedule
 * runs. Waiting for the next step is a read; the kernel re-arms the timer in its interrupt
 * instead of the loop programming an hrtimer before every sleep (clock_nanosleep was ~9 % of
 * the generator at 400 av calls, in a VM mostly that programming). A step missed while busy
 * makes the read return at once; the loop then finds nothing due and waits again. */
static int lg_grid_timer(struct lg *lg)
{
	if (lg->grid_fd >= 0)
		return 0;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0)
		return errno;
	uint64_t g = lg->o.send_grid_us, first = (clock_us() / g + 1) * g;
	struct itimerspec its = {
		.it_interval = {(time_t)(g / 1000000u), (long)(g % 1000000u) * 1000},
		.it_value = {(time_t)(first / 1000000u), (long)(first % 1000000u) * 1000}};
	if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL)) {
		int e = errno;
		close(fd);
		return e;
	}
	lg->grid_fd = fd;
	return 0;
}

void lg_grid_timer_stop(struct lg *lg)
{
	if (lg->grid_fd >= 0)
		close(lg->grid_fd);
	lg->grid_fd = -1;
}

/* sleep to until_us, the next grid step, on the grid's timer; false: sleep some other way */
static bool lg_grid_wait(struct lg *lg, uint64_t now, uint64_t until_us)
{
	uint64_t expirations;
	if (until_us <= now || until_us - now > lg->o.send_grid_us || lg_grid_timer(lg))
		return false;
	return read(lg->grid_fd, &expirations, sizeof(expirations)) == sizeof(expirations);
}

/* While the schedule runs on a grid (lg_opts.send_grid_us), the loop sleeps to the next grid
 * step without listening, then takes every socket that became readable meanwhile: it wakes
 * once a step, not for every batch the relay sends. Arrival times are the kernel's receive
 * timestamps, so reading up to one step later changes no figure; NACKs go out up to one step
 * later, and a step's traffic fits the sockets' buffers many times over. */
static void lg_pump_grid(struct lg *lg, uint64_t now, uint64_t until_us)
{
	if (!lg_grid_wait(lg, now, until_us)) {
		struct timespec ts = {.tv_sec = (time_t)(until_us / 1000000u),
				      .tv_nsec = (long)(until_us % 1000000u) * 1000};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	struct epoll_event evs[LG_EPOLL_BATCH];
	int n;
	do {
		n = epoll_wait(lg->epfd, evs, LG_EPOLL_BATCH, 0);
		lg_dispatch(evs, n);
	} while (n == LG_EPOLL_BATCH);
}

void lg_pump(struct lg *lg, int max_ms)
{
	uint64_t now = clock_us(), next = lg->next_tick_us;
	if (lg->nheap && lg->heap[0].due_us < next)
		next = lg->heap[0].due_us;
	unsigned grid = lg->o.send_grid_us;
	if (grid)
		next = (next + grid - 1) / grid * grid;
	uint64_t wait_us = next <= now ? 0 : next - now;
	if (wait_us > (uint64_t)max_ms * 1000u)
		wait_us = (uint64_t)max_ms * 1000u;
	if (grid && lg->nheap) {
		lg_pump_grid(lg, now, now + wait_us);
	} else {
		struct timespec ts = {.tv_sec = (time_t)(wait_us / 1000000u),
				      .tv_nsec = (long)(wait_us % 1000000u) * 1000};
		struct epoll_event evs[LG_EPOLL_BATCH];
		lg_dispatch(evs, epoll_pwait2(lg->epfd, evs, LG_EPOLL_BATCH, &ts, NULL));
	}
	now = clock_us();
	lg_run_due(lg, now);
	lg_run_ticks(lg, now);
}

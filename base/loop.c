#include "base/loop.h"
#include "base/clock.h"
#include "base/mem.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define LOOP_MAX_FDS 1024
#define LOOP_EVENTS 64

struct loop_fd {
	loop_fd_h *h;
	void *arg;
};

struct loop {
	int epfd, timerfd, stopfd;
	atomic_bool stop;
	struct loop_fd fds[LOOP_MAX_FDS];
	struct loop_timer **heap; /* binary min-heap on deadline_us, 1-based */
	size_t nheap, capheap;
	uint64_t armed_us;        /* deadline the timerfd is set to, 0 = none */
};

static void loop_destroy(void *data)
{
	struct loop *l = data;
	if (l->epfd >= 0) close(l->epfd);
	if (l->timerfd >= 0) close(l->timerfd);
	if (l->stopfd >= 0) close(l->stopfd);
	free(l->heap);
}

int loop_alloc(struct loop **lp)
{
	struct loop *l = mem_alloc(sizeof(*l), loop_destroy);
	if (!l)
		return ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->epfd < 0 || l->timerfd < 0 || l->stopfd < 0) {
		int err = errno;
		mem_deref(l);
		return err;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = -1};
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->timerfd, &ev);
	ev.data.fd = -2;
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev);
	*lp = l;
	return 0;
}

int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_h *h, void *arg)
{
	if (fd < 0 || fd >= LOOP_MAX_FDS)
		return EBADF;
	struct epoll_event ev = {.events = events, .data.fd = fd};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return errno;
	l->fds[fd] = (struct loop_fd){h, arg};
	return 0;
}

int loop_fd_del(struct loop *l, int fd)
{
	if (fd < 0 || fd >= LOOP_MAX_FDS)
		return EBADF;
	l->fds[fd] = (struct loop_fd){0};
	return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? errno : 0;
}

/* --- timer heap --- */

static void heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->heap_idx = i;
}

static void heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	while (i > 1 && l->heap[i / 2]->deadline_us > t->deadline_us) {
		heap_set(l, i, l->heap[i / 2]);
		i /= 2;
	}
	heap_set(l, i, t);
}

static void heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	for (;;) {
		size_t c = i * 2;
		if (c > l->nheap)
			break;
		if (c + 1 <= l->nheap && l->heap[c + 1]->deadline_us < l->heap[c]->deadline_us)
			c++;
		if (l->heap[c]->deadline_us >= t->deadline_us)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void loop_rearm(struct loop *l)
{
	uint64_t next = l->nheap ? l->heap[1]->deadline_us : 0;
	if (next == l->armed_us)
		return;
	l->armed_us = next;
	struct itimerspec its = {0};
	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000000u);
		its.it_value.tv_nsec = (long)(next % 1000000u) * 1000;
	}
	timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (!t->heap_idx)
		return;
	size_t i = t->heap_idx;
	struct loop_timer *last = l->heap[l->nheap--];
	t->heap_idx = 0;
	if (last != t) {
		heap_set(l, i, last);
		heap_up(l, i);
		heap_down(l, last->heap_idx);
	}
	loop_rearm(l);
}

void loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t deadline_us,
		      loop_timer_h *h, void *arg)
{
	loop_timer_cancel(l, t);
	if (l->nheap + 2 > l->capheap) {
		size_t cap = l->capheap ? l->capheap * 2 : 64;
		struct loop_timer **n = realloc(l->heap, cap * sizeof(*n));
		if (!n)
			abort(); /* a timer that silently never fires is worse than a crash report */
		l->heap = n;
		l->capheap = cap;
	}
	t->deadline_us = deadline_us ? deadline_us : 1;
	t->h = h;
	t->arg = arg;
	heap_set(l, ++l->nheap, t);
	heap_up(l, l->nheap);
	loop_rearm(l);
}

static void loop_run_timers(struct loop *l)
{
	uint64_t buf;
	if (read(l->timerfd, &buf, sizeof(buf)) < 0 && errno != EAGAIN)
		return;
	uint64_t now = clock_us();
	while (l->nheap && l->heap[1]->deadline_us <= now) {
		struct loop_timer *t = l->heap[1];
		loop_timer_cancel(l, t);
		t->h(t->arg);
	}
	l->armed_us = 0;
	loop_rearm(l);
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[LOOP_EVENTS];
	while (!atomic_load(&l->stop)) {
		int n = epoll_wait(l->epfd, evs, LOOP_EVENTS, -1);
		if (n < 0 && errno != EINTR)
			return errno;
		for (int i = 0; i < n && !atomic_load(&l->stop); i++) {
			int fd = evs[i].data.fd;
			if (fd == -1)
				loop_run_timers(l);
			else if (fd >= 0 && l->fds[fd].h)
				l->fds[fd].h(fd, evs[i].events, l->fds[fd].arg);
		}
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	atomic_store(&l->stop, true);
	uint64_t one = 1;
	ssize_t r = write(l->stopfd, &one, sizeof(one));
	(void)r;
}

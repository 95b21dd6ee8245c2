#include "base/mqueue.h"
#include "base/loop.h"
#include "base/mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct mqueue_item {
	struct mqueue_item *next;
	void *msg;
};

struct mqueue {
	pthread_mutex_t mtx;
	struct mqueue_item *head, **tail;
	int efd;                  /* eventfd when bound to a loop, else -1 */
	struct loop *loop;
	mqueue_h *h;
	void *arg;
	mqueue_notify_h *nh;
	void *narg;
};

static void mqueue_destroy(void *data)
{
	struct mqueue *q = data;
	if (q->loop && q->efd >= 0)
		loop_fd_del(q->loop, q->efd);
	if (q->efd >= 0)
		close(q->efd);
	for (struct mqueue_item *it = q->head, *next; it; it = next) {
		next = it->next;
		mem_deref(it->msg);
		free(it);
	}
	pthread_mutex_destroy(&q->mtx);
}

static struct mqueue *mqueue_new(void)
{
	struct mqueue *q = mem_alloc(sizeof(*q), mqueue_destroy);
	if (!q)
		return NULL;
	pthread_mutex_init(&q->mtx, NULL);
	q->tail = &q->head;
	q->efd = -1;
	return q;
}

static void mqueue_on_event(int fd, uint32_t events, void *arg)
{
	struct mqueue *q = arg;
	uint64_t v;
	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	mqueue_drain(q, q->h, q->arg);
}

int mqueue_alloc_loop(struct mqueue **qp, struct loop *loop, mqueue_h *h, void *arg)
{
	struct mqueue *q = mqueue_new();
	if (!q)
		return ENOMEM;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->h = h;
	q->arg = arg;
	int err = q->efd < 0 ? errno : loop_fd_add(loop, q->efd, 0x001 /* EPOLLIN */, mqueue_on_event, q);
	if (err) {
		mem_deref(q);
		return err;
	}
	q->loop = loop;
	*qp = q;
	return 0;
}

int mqueue_alloc_notify(struct mqueue **qp, mqueue_notify_h *nh, void *narg)
{
	struct mqueue *q = mqueue_new();
	if (!q)
		return ENOMEM;
	q->nh = nh;
	q->narg = narg;
	*qp = q;
	return 0;
}

int mqueue_push(struct mqueue *q, void *msg)
{
	struct mqueue_item *it = malloc(sizeof(*it));
	if (!it) {
		mem_deref(msg);
		return ENOMEM;
	}
	it->next = NULL;
	it->msg = msg;
	pthread_mutex_lock(&q->mtx);
	bool was_empty = q->head == NULL;
	*q->tail = it;
	q->tail = &it->next;
	pthread_mutex_unlock(&q->mtx);
	/* Only the push that makes the queue non-empty wakes the consumer: it has not drained
	 * since, and its drain takes everything queued until then, this message included. */
	if (!was_empty)
		return 0;
	if (q->efd >= 0) {
		uint64_t one = 1;
		ssize_t r = write(q->efd, &one, sizeof(one));
		(void)r;
	} else if (q->nh) {
		q->nh(q->narg);
	}
	return 0;
}

size_t mqueue_drain(struct mqueue *q, mqueue_h *h, void *arg)
{
	pthread_mutex_lock(&q->mtx);
	struct mqueue_item *it = q->head;
	q->head = NULL;
	q->tail = &q->head;
	pthread_mutex_unlock(&q->mtx);
	size_t n = 0;
	while (it) {
		struct mqueue_item *next = it->next;
		h(it->msg, arg);
		free(it);
		it = next;
		n++;
	}
	return n;
}

/* mqueue: a cross-thread message queue (many producers, one consumer).
 *
 * Messages are mem objects; mqueue_push() takes over the caller's reference, the handler
 * receives it and must mem_deref() it. A queue bound to a loop wakes it through an eventfd;
 * an unbound queue calls a notify function instead (e.g. lws_cancel_service) and its owner
 * calls mqueue_drain() from its own thread. Not for the per-packet path.
 *
 * A wake-up is sent only when a push finds the queue empty: the consumer must drain the whole
 * queue after each wake-up (mqueue_drain() does), and a burst of N messages costs one. */
#ifndef BASE_MQUEUE_H
#define BASE_MQUEUE_H
#include <stddef.h>

struct loop;
struct mqueue;
typedef void (mqueue_h)(void *msg, void *arg);
typedef void (mqueue_notify_h)(void *arg);

int mqueue_alloc_loop(struct mqueue **qp, struct loop *loop, mqueue_h *h, void *arg);
int mqueue_alloc_notify(struct mqueue **qp, mqueue_notify_h *nh, void *narg);
int mqueue_push(struct mqueue *q, void *msg);            /* any thread */
size_t mqueue_drain(struct mqueue *q, mqueue_h *h, void *arg); /* consumer thread */

#endif

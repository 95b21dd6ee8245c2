/* loop: an epoll event loop with timers on absolute monotonic deadlines (timerfd).
 *
 * One loop per thread. Every function except loop_stop() must be called from the loop's own
 * thread. Timers are embedded in their owner (struct loop_timer); the loop holds no reference,
 * so an owner cancels its timers in its destructor. */
#ifndef BASE_LOOP_H
#define BASE_LOOP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
typedef void (loop_fd_h)(int fd, uint32_t events, void *arg);
typedef void (loop_timer_h)(void *arg);

struct loop_timer {
	uint64_t deadline_us;
	loop_timer_h *h;
	void *arg;
	size_t heap_idx; /* 0 = not armed, else 1-based position in the loop's heap */
};

int loop_alloc(struct loop **lp);     /* mem object; mem_deref() frees it */
int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_h *h, void *arg);
int loop_fd_del(struct loop *l, int fd);
void loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t deadline_us,
		      loop_timer_h *h, void *arg);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t) { return t->heap_idx != 0; }
int loop_run(struct loop *l);         /* runs until loop_stop(); returns 0 */
void loop_stop(struct loop *l);       /* any thread */

#endif

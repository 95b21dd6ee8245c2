/* mqueue: a burst of pushes costs one wake-up of the consumer, and coalescing loses nothing
 * when producers race a consumer that drains on every wake-up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/mem.h"
#include "base/mqueue.h"

static atomic_uint test_notified;

static void test_count_notify(void *arg)
{
	(void)arg;
	atomic_fetch_add(&test_notified, 1);
}

static void test_count_msg(void *msg, void *arg)
{
	(*(unsigned *)arg)++;
	mem_deref(msg);
}

static void *test_msg(void)
{
	void *m = mem_alloc(8, NULL);
	assert_non_null(m);
	return m;
}

static void test_burst_wakes_once(void **state)
{
	(void)state;
	struct mqueue *q;
	atomic_store(&test_notified, 0);
	assert_int_equal(mqueue_alloc_notify(&q, test_count_notify, NULL), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(mqueue_push(q, test_msg()), 0);
	assert_int_equal(atomic_load(&test_notified), 1);
	unsigned got = 0;
	assert_int_equal(mqueue_drain(q, test_count_msg, &got), 100);
	assert_int_equal(got, 100);
	/* a drain with nothing queued, then a new message: it wakes again */
	assert_int_equal(mqueue_drain(q, test_count_msg, &got), 0);
	assert_int_equal(mqueue_push(q, test_msg()), 0);
	assert_int_equal(atomic_load(&test_notified), 2);
	mem_deref(q);  /* frees the message still queued */
}

/* A consumer thread that sleeps until notified, then drains, against producers pushing
 * without pause: every message arrives, with fewer wake-ups than messages. */
struct test_race {
	struct mqueue *q;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	unsigned pending;  /* notifies not yet acted on */
	bool done;
	unsigned received, wakes;
};

#define TEST_PRODUCERS 4
#define TEST_PER_PRODUCER 20000

static void test_race_notify(void *arg)
{
	struct test_race *r = arg;
	pthread_mutex_lock(&r->mtx);
	r->pending++;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
}

static void *test_race_consumer(void *arg)
{
	struct test_race *r = arg;
	pthread_mutex_lock(&r->mtx);
	for (;;) {
		while (!r->pending && !r->done)
			pthread_cond_wait(&r->cond, &r->mtx);
		if (!r->pending && r->done)
			break;
		r->pending = 0;
		r->wakes++;
		pthread_mutex_unlock(&r->mtx);
		mqueue_drain(r->q, test_count_msg, &r->received);
		pthread_mutex_lock(&r->mtx);
	}
	pthread_mutex_unlock(&r->mtx);
	return NULL;
}

static void *test_race_producer(void *arg)
{
	struct test_race *r = arg;
	for (int i = 0; i < TEST_PER_PRODUCER; i++)
		mqueue_push(r->q, test_msg());
	return NULL;
}

static void test_race_loses_nothing(void **state)
{
	(void)state;
	struct test_race r = {.mtx = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	assert_int_equal(mqueue_alloc_notify(&r.q, test_race_notify, &r), 0);
	pthread_t cons, prod[TEST_PRODUCERS];
	assert_int_equal(pthread_create(&cons, NULL, test_race_consumer, &r), 0);
	for (int i = 0; i < TEST_PRODUCERS; i++)
		assert_int_equal(pthread_create(&prod[i], NULL, test_race_producer, &r), 0);
	for (int i = 0; i < TEST_PRODUCERS; i++)
		pthread_join(prod[i], NULL);
	/* no drain-everything-at-the-end here: only wake-ups may bring the last messages in */
	pthread_mutex_lock(&r.mtx);
	r.done = true;
	pthread_cond_signal(&r.cond);
	pthread_mutex_unlock(&r.mtx);
	pthread_join(cons, NULL);
	assert_int_equal(r.received, TEST_PRODUCERS * TEST_PER_PRODUCER);
	assert_true(r.wakes <= r.received);
	print_message("%u messages, %u wake-ups\n", r.received, r.wakes);
	mem_deref(r.q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_wakes_once),
		cmocka_unit_test(test_race_loses_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

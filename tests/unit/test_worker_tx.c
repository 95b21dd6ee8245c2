/* worker_tx: the worker's transmit batch on real UDP sockets over loopback. Runs of datagrams
 * to one destination go as UDP GSO sends and still arrive as the same datagrams, in order;
 * runs end where GSO's rule (same size, the last may be shorter), the destination or the
 * kernel's 64 segments say (IPv4 and IPv6); a socket on which the kernel refuses GSO (SO_NO_CHECK: EINVAL)
 * gets every datagram through, plain, and stays plain. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "media/worker.h"

enum { TEST_NDEST = 2, TEST_MAX = 256 };

struct test_env {
	struct worker *w;
	int rx[TEST_NDEST];
	struct sockaddr_storage addr[TEST_NDEST];
	/* what was queued to each destination, in order: sizes and sequence numbers */
	size_t want_len[TEST_NDEST][TEST_MAX];
	uint32_t want_seq[TEST_NDEST][TEST_MAX];
	unsigned nwant[TEST_NDEST];
	uint32_t seq;
};

/* a UDP socket on the loopback address of `family`, or -1 when this host has none */
static int test_udp(int family, struct sockaddr_storage *bound)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_storage a = {.ss_family = (sa_family_t)family};
	socklen_t alen = sizeof(struct sockaddr_in);
	if (family == AF_INET) {
		((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
		alen = sizeof(struct sockaddr_in6);
	}
	if (bind(fd, (struct sockaddr *)&a, alen) != 0) {
		close(fd);
		return -1;
	}
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bound) {
		socklen_t l = sizeof(*bound);
		assert_int_equal(getsockname(fd, (struct sockaddr *)bound, &l), 0);
	}
	return fd;
}

static int test_setup_family(void **state, int family)
{
	struct test_env *e = calloc(1, sizeof(*e));
	if (!e || !(e->w = calloc(1, sizeof(*e->w))))
		return -1;
	e->w->fd = test_udp(family, NULL);
	for (int d = 0; d < TEST_NDEST; d++)
		e->rx[d] = test_udp(family, &e->addr[d]);
	worker_tx_init(e->w);
	*state = e;
	return 0;
}

static int test_setup(void **state)
{
	return test_setup_family(state, AF_INET);
}

static int test_setup6(void **state)
{
	return test_setup_family(state, AF_INET6);
}

/* IPv6 tests skip on a host without ::1 */
static void test_need_sockets(const struct test_env *e)
{
	if (e->w->fd < 0 || e->rx[0] < 0 || e->rx[1] < 0)
		skip();
}

static int test_teardown(void **state)
{
	struct test_env *e = *state;
	if (e->w->fd >= 0)
		close(e->w->fd);
	for (int d = 0; d < TEST_NDEST; d++)
		if (e->rx[d] >= 0)
			close(e->rx[d]);
	free(e->w);
	free(e);
	return 0;
}

/* queue one datagram of `len` bytes to destination d: sequence number, then a pattern */
static void test_queue(struct test_env *e, int d, size_t len)
{
	uint8_t *p = worker_tx_slot(e->w);
	uint32_t seq = e->seq++;
	memcpy(p, &seq, sizeof(seq));
	for (size_t i = sizeof(seq); i < len; i++)
		p[i] = (uint8_t)(seq + i);
	worker_tx_commit(e->w, len, (const struct sockaddr *)&e->addr[d]);
	e->want_len[d][e->nwant[d]] = len;
	e->want_seq[d][e->nwant[d]++] = seq;
}

/* everything queued arrived at its destination as the same datagrams, in order */
static void test_receive_all(struct test_env *e)
{
	uint8_t buf[2048];
	for (int d = 0; d < TEST_NDEST; d++) {
		for (unsigned k = 0; k < e->nwant[d]; k++) {
			struct pollfd pfd = {.fd = e->rx[d], .events = POLLIN};
			assert_int_equal(poll(&pfd, 1, 2000), 1);
			ssize_t n = recv(e->rx[d], buf, sizeof(buf), 0);
			assert_int_equal(n, (ssize_t)e->want_len[d][k]);
			uint32_t seq;
			memcpy(&seq, buf, sizeof(seq));
			assert_int_equal(seq, e->want_seq[d][k]);
			for (size_t i = sizeof(seq); i < (size_t)n; i++)
				assert_int_equal(buf[i], (uint8_t)(seq + i));
		}
		assert_int_equal(recv(e->rx[d], buf, sizeof(buf), MSG_DONTWAIT), -1);
		e->nwant[d] = 0;
	}
}

static void test_runs(void **state)
{
	struct test_env *e = *state;
	test_need_sockets(e);
	struct worker_counters before = e->w->cnt;
	for (int i = 0; i < 5; i++)       /* a frame: 5 full packets and a short last one */
		test_queue(e, 0, 1200);
	test_queue(e, 0, 700);
	test_queue(e, 0, 700);            /* after a shorter one: a new run */
	for (int i = 0; i < 3; i++)       /* another destination */
		test_queue(e, 1, 1000);
	test_queue(e, 1, 1100);           /* longer than the run's first: a new run */
	test_queue(e, 0, 1200);           /* the first destination again: a run of one */
	test_queue(e, 1, 300);
	test_queue(e, 1, 300);
	worker_tx_flush(e->w);
	test_receive_all(e);
	uint64_t sent = e->w->cnt.tx_datagrams - before.tx_datagrams;
	assert_int_equal(sent, 14);
	assert_int_equal(e->w->cnt.tx_errors, before.tx_errors);
	/* runs of 6 + 3 + 2 went as GSO; 700, 1100 and 1200 alone */
	assert_int_equal(e->w->cnt.tx_gso_datagrams - before.tx_gso_datagrams, 11);
}

/* more than a batch to one destination: flushes on the way, runs capped at 64 segments */
static void test_long_run(void **state)
{
	struct test_env *e = *state;
	test_need_sockets(e);
	struct worker_counters before = e->w->cnt;
	for (int i = 0; i < 150; i++)
		test_queue(e, i % 7 == 6 ? 1 : 0, 200);
	for (int i = 0; i < 100; i++)
		test_queue(e, 1, 64);
	worker_tx_flush(e->w);
	test_receive_all(e);
	assert_int_equal(e->w->cnt.tx_datagrams - before.tx_datagrams, 250);
	assert_int_equal(e->w->cnt.tx_errors, before.tx_errors);
	assert_true(e->w->cnt.tx_gso_datagrams - before.tx_gso_datagrams > 150);
}

/* SO_NO_CHECK makes the kernel refuse UDP GSO (EINVAL): every datagram still arrives */
static void test_refused(void **state)
{
	struct test_env *e = *state;
	int one = 1;
	assert_int_equal(setsockopt(e->w->fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)), 0);
	struct worker_counters before = e->w->cnt;
	for (int i = 0; i < 4; i++)
		test_queue(e, 0, 500);
	test_queue(e, 1, 800);
	worker_tx_flush(e->w);
	test_receive_all(e);
	assert_true(e->w->tx_gso_off);
	assert_int_equal(e->w->cnt.tx_datagrams - before.tx_datagrams, 5);
	assert_int_equal(e->w->cnt.tx_gso_datagrams, before.tx_gso_datagrams);
	for (int i = 0; i < 4; i++)       /* and plain from now on */
		test_queue(e, 0, 500);
	worker_tx_flush(e->w);
	test_receive_all(e);
	assert_int_equal(e->w->cnt.tx_gso_datagrams, before.tx_gso_datagrams);
	assert_int_equal(e->w->cnt.tx_errors, before.tx_errors);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_runs, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_long_run, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_refused, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_runs, test_setup6, test_teardown),
		cmocka_unit_test_setup_teardown(test_long_run, test_setup6, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* worker_rx: the worker's receive batch on real UDP sockets over loopback, with UDP GRO. A GSO
 * send from a peer arrives as one message and is handed over as the same datagrams, in order,
 * with room after each; plain datagrams come through as before; datagrams longer than
 * WORKER_PKT_MAX are counted and dropped, alone or inside a run. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
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

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

enum { TEST_MAX = 64 };

struct test_got {
	size_t len;
	uint16_t port;         /* the sender's */
	uint8_t first, last;   /* its first and last bytes */
};

static struct test_got test_got[TEST_MAX];
static unsigned test_ngot;

static int test_udp(struct sockaddr_in *bound)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(*bound);
	assert_int_equal(getsockname(fd, (struct sockaddr *)bound, &l), 0);
	return fd;
}

/* n datagrams of `seg` bytes (the last `last` bytes) as one GSO send; byte i of datagram k
 * is tag + k */
static void test_gso_send(int fd, const struct sockaddr_in *to, unsigned n, size_t seg,
			  size_t last, uint8_t tag)
{
	static uint8_t buf[65536];
	size_t total = (n - 1) * seg + last;
	for (unsigned k = 0; k < n; k++)
		memset(buf + k * seg, tag + (int)k, k + 1 < n ? seg : last);
	struct iovec iov = {.iov_base = buf, .iov_len = total};
	union {
		char b[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cm;
	struct msghdr m = {.msg_name = (void *)to, .msg_namelen = sizeof(*to), .msg_iov = &iov,
			   .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof(cm.b)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	uint16_t s = (uint16_t)seg;
	memcpy(CMSG_DATA(c), &s, sizeof(s));
	assert_int_equal(sendmsg(fd, &m, 0), (ssize_t)total);
}

static void test_plain_send(int fd, const struct sockaddr_in *to, size_t len, uint8_t tag)
{
	uint8_t buf[2048];
	memset(buf, tag, len);
	assert_int_equal(sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)),
			 (ssize_t)len);
}

static void test_collect(struct worker *w, uint8_t *buf, size_t len, const struct sockaddr *from)
{
	assert_true(test_ngot < TEST_MAX);
	assert_true(len <= WORKER_PKT_MAX);
	memset(buf + len, 0xee, WORKER_PKT_CAP - len);  /* the room after it is writable */
	(void)w;
	struct test_got *g = &test_got[test_ngot++];
	g->len = len;
	g->port = ntohs(((const struct sockaddr_in *)from)->sin_port);
	g->first = buf[0];
	g->last = buf[len - 1];
}

/* read until `want` datagrams came (or 2 s) */
static void test_read(struct worker *w, unsigned want)
{
	test_ngot = 0;
	for (int tries = 0; test_ngot < want && tries < 20; tries++) {
		struct pollfd p = {.fd = w->fd, .events = POLLIN};
		if (poll(&p, 1, 100) != 1)
			continue;
		int n = worker_rx_batch(w);
		if (n > 0)
			worker_rx_each(w, n, test_collect);
	}
}

static void test_expect(unsigned i, size_t len, uint16_t port, uint8_t byte)
{
	assert_int_equal(test_got[i].len, len);
	assert_int_equal(test_got[i].port, port);
	assert_int_equal(test_got[i].first, byte);
	assert_int_equal(test_got[i].last, byte);
}

static void test_gro_runs(void **state)
{
	(void)state;
	struct worker *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	struct sockaddr_in me, a_addr, b_addr;
	w->fd = test_udp(&me);
	worker_rx_init(w);
	assert_int_equal(worker_rx_gro(w), 0);
	int a = test_udp(&a_addr), b = test_udp(&b_addr);
	uint16_t pa = ntohs(a_addr.sin_port), pb = ntohs(b_addr.sin_port);

	test_gso_send(a, &me, 5, 1000, 500, 10);     /* a frame: 4 × 1000 + 500 */
	test_plain_send(b, &me, 300, 90);
	test_gso_send(b, &me, 3, 1200, 1200, 20);
	test_plain_send(a, &me, 1560, 77);           /* too long: dropped */
	test_gso_send(a, &me, 2, 1550, 1550, 30);    /* a run of too long ones: dropped */
	test_plain_send(a, &me, 40, 99);
	test_read(w, 10);

	assert_int_equal(test_ngot, 10);
	unsigned i = 0;
	for (unsigned k = 0; k < 5; k++)
		test_expect(i++, k < 4 ? 1000 : 500, pa, (uint8_t)(10 + k));
	test_expect(i++, 300, pb, 90);
	for (unsigned k = 0; k < 3; k++)
		test_expect(i++, 1200, pb, (uint8_t)(20 + k));
	test_expect(i++, 40, pa, 99);
	assert_int_equal(w->cnt.rx_datagrams, 13);
	assert_int_equal(w->cnt.rx_oversize, 3);
	assert_true(w->cnt.rx_gro_datagrams >= 8);  /* the runs came whole */

	close(a);
	close(b);
	close(w->fd);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gro_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

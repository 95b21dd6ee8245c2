/* The load generator's scripted peer (tests/load/peer.h) against itself, no relay between:
 * one offers, the other answers (ICE controlled, DTLS client), and what the benchmark relies
 * on works end to end: send-time stamps, loss counted over a window, a lost video packet
 * NACKed by the receiver and resent over RTX from the sender's history, PLI reported. The same
 * again with both peers on one shared socket (peer_sock.c: 127.0.0.1 and 127.0.0.2, one port),
 * as the load generator runs its legs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/mem.h"
#include "media/dtls.h"
#include "media/rtcp.h"
#include "media/srtp_session.h"
#include "tests/load/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct pair {
	struct dtls_cert *cert;
	struct peer *a, *b;       /* a offers, b answers */
	struct peer_sock *sock;   /* shared by a and b, or NULL: a socket each */
};

static int setup_peers(void **state, bool shared)
{
	struct pair *f = calloc(1, sizeof(*f));
	char offer[8192], answer[8192];
	assert_int_equal(srtp_session_global_init(), 0);
	assert_int_equal(dtls_cert_create(&f->cert), 0);
	if (shared) {
		assert_int_equal(peer_sock_alloc(&f->sock, "127.0.0.1", 2), 0);
		assert_int_equal(peer_alloc_shared(&f->a, f->cert, f->sock), 0);
		assert_int_equal(peer_alloc_shared(&f->b, f->cert, f->sock), 0);
		assert_true(peer_sock_full(f->sock));
		struct peer *c;
		assert_int_equal(peer_alloc_shared(&c, f->cert, f->sock), ENOSPC);
	} else {
		assert_int_equal(peer_alloc(&f->a, f->cert, "127.0.0.1"), 0);
		assert_int_equal(peer_alloc(&f->b, f->cert, "127.0.0.1"), 0);
	}
	assert_int_equal(peer_offer(f->a, offer, sizeof(offer)), 0);
	assert_int_equal(peer_accept_offer(f->b, offer, answer, sizeof(answer)), 0);
	assert_non_null(strstr(answer, "a=setup:active"));
	assert_int_equal(peer_answer(f->a, answer), 0);
	assert_int_equal(peer_start(f->a), 0);
	assert_int_equal(peer_start(f->b), 0);
	uint64_t end = clock_ms() + 5000;
	while ((!peer_connected(f->a) || !peer_connected(f->b)) && clock_ms() < end) {
		peer_poll(f->a, 5);
		peer_poll(f->b, 5);
	}
	assert_true(peer_connected(f->a) && peer_connected(f->b));
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_peers(state, false); }
static int setup_shared(void **state) { return setup_peers(state, true); }

static int teardown(void **state)
{
	struct pair *f = *state;
	peer_free(f->a);
	peer_free(f->b);
	peer_sock_free(f->sock);
	mem_deref(f->cert);
	free(f);
	return 0;
}

static void pump(struct pair *f, int ms)
{
	uint64_t end = clock_ms() + (uint64_t)ms;
	do {
		peer_poll(f->a, 1);
		peer_poll(f->b, 1);
	} while (clock_ms() < end);
}

static void test_connects_with_gcm(void **state)
{
	struct pair *f = *state;
	assert_string_equal(peer_srtp_profile(f->a), "AEAD_AES_128_GCM");
	assert_string_equal(peer_srtp_profile(f->b), "AEAD_AES_128_GCM");
}

static void test_stamps_and_window(void **state)
{
	struct pair *f = *state;
	static const uint8_t opus[80] = {0x78};
	struct rxhist *h = calloc(1, sizeof(*h));
	struct rxstats *rx = peer_rxstats(f->b, PEER_AUDIO);
	peer_send_media(f->a, PEER_AUDIO, opus, sizeof(opus), 0, false);
	pump(f, 20);
	rxstats_window_open(rx, h);
	for (int i = 1; i <= 50; i++)
		peer_send_media(f->a, PEER_AUDIO, opus, sizeof(opus), (uint32_t)i * 960, false);
	pump(f, 50);
	rxstats_window_close(rx);
	assert_int_equal(rxstats_expected(rx), 50);
	assert_int_equal(rxstats_lost(rx), 0);
	assert_int_equal(rx->stamped, 51);
	assert_int_equal(h->n, 50);
	assert_true(rxhist_quantile(h, 0.5) < 100000);   /* microseconds on loopback */
	free(h);
}

/* a video packet lost on the way: b NACKs the gap, a resends it over RTX from its history */
static void test_nack_rtx_repairs_loss(void **state)
{
	struct pair *f = *state;
	static uint8_t vp8[1000];   /* borrowed by the history: must outlive the peer */
	memset(vp8, 0x42, sizeof(vp8));
	peer_set_auto_nack(f->b, true);
	struct rxstats *rx = peer_rxstats(f->b, PEER_VIDEO);
	peer_send_media(f->a, PEER_VIDEO, vp8, sizeof(vp8), 0, true);
	pump(f, 20);
	rxstats_window_open(rx, NULL);
	for (int i = 1; i <= 10; i++) {
		peer_send_media(f->a, PEER_VIDEO, vp8, sizeof(vp8), (uint32_t)i * 3000, true);
		if (i == 5) {   /* the network eats packet 5 */
			uint8_t junk[2048];
			uint64_t end = clock_ms() + 500;
			while (recv(peer_fd(f->b), junk, sizeof(junk), MSG_DONTWAIT) <= 0 && clock_ms() < end)
				;
		} else {
			pump(f, 2);
		}
	}
	pump(f, 100);
	rxstats_window_close(rx);
	assert_true(peer_stats(f->b)->nack_tx >= 1);
	assert_true(peer_stats(f->a)->nack_rx >= 1);
	assert_int_equal(peer_stats(f->a)->rtx_tx, 1);
	assert_int_equal(peer_stats(f->b)->rtx_rx, 1);
	assert_int_equal(rxstats_expected(rx), 10);
	assert_int_equal(rxstats_lost(rx), 0);
}

static void test_pli_is_reported(void **state)
{
	struct pair *f = *state;
	static const uint8_t vp8[100] = {0x10};
	peer_send_media(f->a, PEER_VIDEO, vp8, sizeof(vp8), 0, true);
	pump(f, 20);
	assert_false(peer_take_keyframe_request(f->a));
	uint8_t pli[64];
	size_t n = rtcp_build_pli(pli, sizeof(pli), 1, peer_rxstats(f->b, PEER_VIDEO)->ssrc);
	assert_int_equal(peer_send_rtcp(f->b, pli, n), 0);
	pump(f, 50);
	assert_int_equal(peer_stats(f->a)->pli_rx, 1);
	assert_true(peer_take_keyframe_request(f->a));
	assert_false(peer_take_keyframe_request(f->a));
}

/* audio without send stamps (a relay's own mix): loss by sequence number cannot see frames the
 * mixer skipped (its sequence numbers run on, its timestamps jump); the timestamp count can */
static void test_skipped_frames_count_by_timestamp(void **state)
{
	struct pair *f = *state;
	static const uint8_t opus[80] = {0x78};
	uint32_t ts = 0;
	peer_send_rtp(f->a, PEER_AUDIO, opus, sizeof(opus), ts, false);
	pump(f, 20);
	peer_window_open(f->b, NULL);
	for (int i = 1; i <= 50; i++) {
		ts += i == 20 ? 3 * 960 : 960;   /* two 20 ms frames skipped before the 20th */
		peer_send_rtp(f->a, PEER_AUDIO, opus, sizeof(opus), ts, false);
		pump(f, 1);
	}
	pump(f, 50);
	peer_window_close(f->b);
	assert_int_equal(peer_rx_count(f->b, PEER_AUDIO), 1);
	struct rxstats *rx = peer_rx_stream(f->b, PEER_AUDIO, 0);
	assert_int_equal(rx->stamped, 0);
	assert_int_equal(rxstats_expected(rx), 50);
	assert_int_equal(rxstats_lost(rx), 0);
	assert_int_equal(rxstats_ts_expected(rx), 52);
	assert_int_equal(rxstats_ts_lost(rx), 2);
	assert_true(rx->jitter_us > 0);   /* RFC 3550 from RTP timestamps and arrival times */
}

/* one batch over both peers of a shared socket: each packet reaches the other peer, from its
 * sender's own address; a datagram to a slot nobody has is counted, not delivered */
static void test_shared_batch_and_stray(void **state)
{
	struct pair *f = *state;
	static const uint8_t opus[80] = {0x78};
	assert_int_equal(peer_fd(f->a), peer_fd(f->b));
	assert_int_equal(peer_port(f->a), peer_port(f->b));
	peer_tx_begin(f->a);
	peer_tx_begin(f->b);
	for (int i = 0; i < 100; i++) {   /* more than a batch: it is flushed on the way */
		peer_send_media(f->a, PEER_AUDIO, opus, sizeof(opus), (uint32_t)i * 960, false);
		peer_send_media(f->b, PEER_AUDIO, opus, sizeof(opus), (uint32_t)i * 960, false);
	}
	peer_tx_flush();
	pump(f, 50);
	assert_int_equal(peer_stats(f->a)->tx_errors + peer_stats(f->b)->tx_errors, 0);
	assert_int_equal(peer_stats(f->a)->rx[PEER_AUDIO].packets, 100);
	assert_int_equal(peer_stats(f->b)->rx[PEER_AUDIO].packets, 100);
	assert_int_equal(peer_sock_stray(f->sock), 0);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(peer_port(f->a)),
				 .sin_addr.s_addr = htonl(0x7f000003)};   /* 127.0.0.3: no slot */
	assert_true(sendto(fd, opus, sizeof(opus), 0, (struct sockaddr *)&to, sizeof(to)) > 0);
	close(fd);
	pump(f, 20);
	assert_int_equal(peer_sock_stray(f->sock), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connects_with_gcm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stamps_and_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nack_rtx_repairs_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pli_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skipped_frames_count_by_timestamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connects_with_gcm, setup_shared, teardown),
		cmocka_unit_test_setup_teardown(test_stamps_and_window, setup_shared, teardown),
		cmocka_unit_test_setup_teardown(test_pli_is_reported, setup_shared, teardown),
		cmocka_unit_test_setup_teardown(test_skipped_frames_count_by_timestamp, setup_shared,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_batch_and_stray, setup_shared, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The media relay end to end over real loopback sockets: two scripted WebRTC peers
 * (tests/load/peer.c: ICE, DTLS client, SRTP) call each other through the relay. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/mem.h"
#include "media/dtls.h"
#include "media/media.h"
#include "media/stun.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "tests/load/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct fixture {
	struct media *m;
	struct dtls_cert *cert;
	uint32_t call;
	struct peer *a, *b;
	uint32_t leg_a, leg_b;
	char answer_a[16384], answer_b[16384];
	int connected_events, failed_events;
};

static void on_notify(void *arg) { (void)arg; }

static void on_event(const struct media_event *ev, void *arg)
{
	struct fixture *f = arg;
	if (ev->type == MEDIA_EV_LEG_CONNECTED)
		f->connected_events++;
	else
		f->failed_events++;
}

static void add_leg(struct fixture *f, struct peer *p, uint32_t *leg, char *answer_copy)
{
	char offer[4096], err[160] = "";
	char *answer = NULL;
	assert_int_equal(peer_offer(p, offer, sizeof(offer)), 0);
	int e = media_leg_create(f->m, f->call, offer, &answer, leg, err, sizeof(err));
	if (e)
		fail_msg("media_leg_create: %s", err);
	snprintf(answer_copy, 16384, "%s", answer);
	assert_int_equal(peer_answer(p, answer), 0);
	mem_deref(answer);
}

static unsigned setup_batch_us;    /* media_config.batch_us of the next setup */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct media_config cfg = {.bind_ip = "127.0.0.1", .public_ip = "127.0.0.1",
				   .port_min = 47000, .port_max = 47999, .workers = 2,
				   .batch_us = setup_batch_us};
	assert_int_equal(media_start(&f->m, &cfg, on_notify, NULL), 0);
	assert_int_equal(dtls_cert_create(&f->cert), 0);
	assert_int_equal(media_call_create(f->m, &f->call), 0);
	assert_int_equal(peer_alloc(&f->a, f->cert, "127.0.0.1"), 0);
	assert_int_equal(peer_alloc(&f->b, f->cert, "127.0.0.1"), 0);
	add_leg(f, f->a, &f->leg_a, f->answer_a);
	add_leg(f, f->b, &f->leg_b, f->answer_b);
	*state = f;
	return 0;
}

static int setup_batched(void **state)
{
	setup_batch_us = 1000;
	int r = setup(state);
	setup_batch_us = 0;
	return r;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	media_call_destroy(f->m, f->call);
	media_stop(f->m);
	peer_free(f->a);
	peer_free(f->b);
	mem_deref(f->cert);
	free(f);
	return 0;
}

static void connect_both(struct fixture *f)
{
	assert_int_equal(peer_connect(f->a, 5000), 0);
	assert_int_equal(peer_connect(f->b, 5000), 0);
	uint64_t end = clock_ms() + 3000;
	while (f->connected_events < 2 && clock_ms() < end) {
		usleep(10000);
		media_poll(f->m, on_event, f);
	}
	assert_int_equal(f->connected_events, 2);
}

/* send n packets of each kind from one peer, pumping both */
static void send_burst(struct peer *from, struct peer *to, int n)
{
	uint8_t payload[1000];
	memset(payload, 0xab, sizeof(payload));
	for (int i = 0; i < n; i++) {
		assert_int_equal(peer_send_rtp(from, PEER_AUDIO, payload, 100, (uint32_t)i * 960, false), 0);
		assert_int_equal(peer_send_rtp(from, PEER_VIDEO, payload, sizeof(payload), (uint32_t)i * 3000, true), 0);
		if (i % 10 == 9) {
			peer_poll(to, 5);
			peer_poll(from, 0);
		}
	}
	peer_poll(to, 200);
}

static uint32_t answer_ssrc(const char *answer, const char *mline)
{
	const char *m = strstr(answer, mline);
	const char *s = m ? strstr(m, "a=ssrc:") : NULL;
	return s ? (uint32_t)strtoul(s + 7, NULL, 10) : 0;
}

static void test_call_forwards_both_ways(void **state)
{
	struct fixture *f = *state;
	connect_both(f);
	assert_string_equal(peer_srtp_profile(f->a), "AEAD_AES_128_GCM");
	assert_string_equal(peer_srtp_profile(f->b), "AEAD_AES_128_GCM");
	send_burst(f->a, f->b, 200);
	send_burst(f->b, f->a, 200);
	const struct peer_stats *sb = peer_stats(f->b), *sa = peer_stats(f->a);
	printf("b received audio %llu video %llu; a received audio %llu video %llu\n",
	       (unsigned long long)sb->rx[PEER_AUDIO].packets, (unsigned long long)sb->rx[PEER_VIDEO].packets,
	       (unsigned long long)sa->rx[PEER_AUDIO].packets, (unsigned long long)sa->rx[PEER_VIDEO].packets);
	assert_true(sb->rx[PEER_AUDIO].packets >= 198 && sb->rx[PEER_VIDEO].packets >= 198);
	assert_true(sa->rx[PEER_AUDIO].packets >= 198 && sa->rx[PEER_VIDEO].packets >= 198);
	assert_int_equal(sb->rx[PEER_AUDIO].lost_gaps, 0);
	assert_int_equal(sb->unprotect_fail, 0);
	/* each receiver sees the SSRCs its own answer announced, not the sender's */
	assert_int_equal(sb->rx[PEER_AUDIO].ssrc, answer_ssrc(f->answer_b, "m=audio"));
	assert_int_equal(sb->rx[PEER_VIDEO].ssrc, answer_ssrc(f->answer_b, "m=video"));
	assert_int_equal(sa->rx[PEER_VIDEO].ssrc, answer_ssrc(f->answer_a, "m=video"));

	struct media_leg_stats st;
	assert_int_equal(media_leg_stats(f->m, f->leg_a, &st), 0);
	assert_true(st.connected);
	assert_true(st.rx_packets >= 400);
	assert_true(st.tx_packets >= 396);
	assert_string_equal(st.srtp_profile, "AEAD_AES_128_GCM");
}

/* media_batch_us: wake-ups at most once a millisecond change what arrives and how (only when) */
static void test_batched_wakeups_forward_everything(void **state)
{
	struct fixture *f = *state;
	connect_both(f);
	send_burst(f->a, f->b, 200);
	send_burst(f->b, f->a, 200);
	const struct peer_stats *sb = peer_stats(f->b), *sa = peer_stats(f->a);
	assert_true(sb->rx[PEER_AUDIO].packets >= 198 && sb->rx[PEER_VIDEO].packets >= 198);
	assert_true(sa->rx[PEER_AUDIO].packets >= 198 && sa->rx[PEER_VIDEO].packets >= 198);
	assert_int_equal(sb->rx[PEER_AUDIO].lost_gaps, 0);
	assert_int_equal(sb->rx[PEER_VIDEO].lost_gaps, 0);
	assert_int_equal(sa->unprotect_fail, 0);
}

static void test_batch_beyond_limit_refused(void **state)
{
	struct media *m = NULL;
	struct media_config cfg = {.bind_ip = "127.0.0.1", .public_ip = "127.0.0.1",
				   .port_min = 47000, .port_max = 47999, .workers = 1,
				   .batch_us = MEDIA_BATCH_US_MAX + 1};
	(void)state;
	assert_int_equal(media_start(&m, &cfg, on_notify, NULL), EINVAL);
	assert_null(m);
}

static void test_rtcp_reports_arrive(void **state)
{
	struct fixture *f = *state;
	connect_both(f);
	send_burst(f->a, f->b, 50);
	uint64_t end = clock_ms() + 2500;
	while (clock_ms() < end) {
		peer_poll(f->b, 100);
		peer_poll(f->a, 0);
	}
	assert_true(peer_stats(f->b)->rtcp_rx >= 1);
}

/* a datagram sender that never passed an ICE check */
static int raw_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	return fd;
}

static struct sockaddr_in relay_addr(const char *answer)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const char *c = strstr(answer, "a=candidate:");
	unsigned port = 0;
	sscanf(c, "a=candidate:%*s %*s %*s %*s %*s %u", &port);
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	return sa;
}

static void test_unchecked_address_reaches_no_leg(void **state)
{
	struct fixture *f = *state;
	connect_both(f);
	struct sockaddr_in relay = relay_addr(f->answer_a);
	int fd = raw_socket();
	uint8_t pkt[200] = {0};
	rtp_write_hdr(pkt, sizeof(pkt), 111, false, 1, 1, 0x11223344);
	for (int i = 0; i < 100; i++)
		sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&relay, sizeof(relay));
	pkt[0] = 22; /* a DTLS-looking record too */
	sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&relay, sizeof(relay));
	peer_poll(f->b, 300);
	peer_poll(f->a, 0);
	assert_int_equal(peer_stats(f->b)->rx[PEER_AUDIO].packets, 0);
	assert_int_equal(peer_stats(f->a)->rx[PEER_AUDIO].packets, 0);
	/* the relay still works for the legitimate peers afterwards */
	send_burst(f->a, f->b, 20);
	assert_true(peer_stats(f->b)->rx[PEER_AUDIO].packets >= 19);
	close(fd);
}

static void test_wrong_password_gets_401_and_no_access(void **state)
{
	struct fixture *f = *state;
	connect_both(f);
	struct sockaddr_in relay = relay_addr(f->answer_a);
	/* A's full username, but a wrong key */
	const char *u = strstr(f->answer_a, "a=ice-ufrag:") + 12;
	char user[128];
	snprintf(user, sizeof(user), "%.*s:%s", (int)strcspn(u, "\r\n"), u, peer_ufrag(f->a));
	uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, req[512], resp[512];
	size_t n = stun_build_binding_request(req, sizeof(req), tid, user, (const uint8_t *)"wrongpassword",
					      13, 1, 2, true);
	int fd = raw_socket();
	sendto(fd, req, n, 0, (struct sockaddr *)&relay, sizeof(relay));
	struct timeval tv = {.tv_sec = 1};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t r = recv(fd, resp, sizeof(resp), 0);
	assert_true(r > 0);
	struct stun_msg m;
	assert_int_equal(stun_msg_decode(&m, resp, (size_t)r), 0);
	assert_int_equal(m.type, STUN_BINDING_ERROR);
	assert_int_equal(m.error_code, 401);
	/* and RTP from that address is still refused */
	uint8_t pkt[100] = {0};
	rtp_write_hdr(pkt, sizeof(pkt), 111, false, 1, 1, 0x55667788);
	for (int i = 0; i < 50; i++)
		sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&relay, sizeof(relay));
	peer_poll(f->b, 300);
	assert_int_equal(peer_stats(f->b)->rx[PEER_AUDIO].packets, 0);
	close(fd);
}

/* loss on A's uplink is NACKed by the relay itself; a NACK from B is answered from the ring */
static void test_loss_repair(void **state)
{
	struct fixture *f = *state;
	uint8_t payload[600];
	memset(payload, 0x5a, sizeof(payload));
	connect_both(f);
	for (int i = 0; i < 40; i++) {
		if (i == 20)
			peer_skip_seq(f->a, PEER_VIDEO, 2);    /* two packets "lost" upstream */
		/* timestamps past 2^31, as browsers' random ones often are (the RTX rewrite once
		 * shifted a byte >= 0x80 into an int's sign bit) */
		uint32_t ts = 0xb6000000u + (uint32_t)i * 3000;
		assert_int_equal(peer_send_rtp(f->a, PEER_VIDEO, payload, sizeof(payload), ts, true), 0);
		peer_poll(f->b, 2);
	}
	uint64_t end = clock_ms() + 500;
	while (clock_ms() < end && peer_stats(f->a)->nack_rx == 0) {
		peer_poll(f->a, 20);
		peer_poll(f->b, 0);
	}
	assert_true(peer_stats(f->a)->nack_rx >= 1);

	/* B asks again for a packet it already has: the relay resends it as RTX */
	const struct peer_stream_stats *v = &peer_stats(f->b)->rx[PEER_VIDEO];
	assert_true(v->packets >= 38);
	uint16_t seq = (uint16_t)(v->last_seq - 3);
	uint8_t nack[64];
	size_t n = rtcp_build_nack(nack, sizeof(nack), 0x0b0b0b0b, v->ssrc, &seq, 1);
	assert_int_equal(peer_send_rtcp(f->b, nack, n), 0);
	end = clock_ms() + 500;
	while (clock_ms() < end && peer_stats(f->b)->rtx_rx == 0)
		peer_poll(f->b, 20);
	assert_int_equal(peer_stats(f->b)->rtx_rx, 1);

	struct media_leg_stats st;
	assert_int_equal(media_leg_stats(f->m, f->leg_a, &st), 0);
	assert_true(st.in[1].lost_before_repair >= 2);
	assert_true(st.in[1].nacks_sent >= 1);
	assert_int_equal(media_leg_stats(f->m, f->leg_b, &st), 0);
	assert_int_equal(st.retransmits_tx, 1);
}

static void test_bad_offer_is_refused_with_reason(void **state)
{
	struct fixture *f = *state;
	char err[160] = "", *answer = NULL;
	uint32_t leg;
	int e = media_leg_create(f->m, f->call, "v=0\r\nthis is not sdp\r\n", &answer, &leg, err, sizeof(err));
	assert_int_not_equal(e, 0);
	assert_null(answer);
	assert_true(strlen(err) > 0);
	e = media_leg_create(f->m, 999999, "v=0\r\n", &answer, &leg, err, sizeof(err));
	assert_int_equal(e, ENOENT);
}

/* A third party joins a running call, as in the interpreter scenario of the load generator:
 * it offers one receive-only audio and video m-line more, and the two others re-offer on
 * their running peers with one more of each (peer_set_recvonly). The re-offers' answers are
 * taken as renegotiations (same ICE, DTLS and SRTP: no new handshake), and afterwards each of
 * the first two receives both others, one stream per SSRC, with nothing lost. An answer with
 * other ICE credentials is refused: that would be a new association. */
static void send_round(struct peer *from, uint32_t i)
{
	static const uint8_t payload[600] = {0x5a};
	assert_int_equal(peer_send_media(from, PEER_AUDIO, payload, 80, i * 960, false), 0);
	assert_int_equal(peer_send_media(from, PEER_VIDEO, payload, sizeof(payload), i * 3000, true), 0);
}

static void reoffer(struct fixture *f, struct peer *p, uint32_t leg)
{
	char offer[8192], err[160] = "", *answer = NULL;
	peer_set_recvonly(p, 1, 1);
	assert_int_equal(peer_offer(p, offer, sizeof(offer)), 0);
	assert_non_null(strstr(offer, "a=mid:3\r\na=rtcp-mux\r\na=recvonly"));
	if (media_leg_update(f->m, leg, offer, &answer, err, sizeof(err)))
		fail_msg("media_leg_update: %s", err);
	/* the same answer with other ICE credentials is not this association */
	char bad[16384];
	snprintf(bad, sizeof(bad), "%s", answer);
	char *u = strstr(bad, "a=ice-ufrag:");
	assert_non_null(u);
	u[12] = u[12] == 'x' ? 'y' : 'x';
	assert_int_equal(peer_answer(p, bad), EPROTO);
	assert_int_equal(peer_answer(p, answer), 0);
	mem_deref(answer);
	assert_int_equal(peer_stats(p)->renegotiations, 1);
	assert_true(peer_connected(p));
}

static void test_third_party_renegotiation(void **state)
{
	struct fixture *f = *state;
	struct peer *c;
	uint32_t leg_c;
	static char answer_c[16384];
	connect_both(f);
	for (uint32_t i = 0; i < 20; i++) {
		send_round(f->a, i);
		send_round(f->b, i);
		peer_poll(f->a, 2);
		peer_poll(f->b, 2);
	}
	assert_int_equal(peer_alloc(&c, f->cert, "127.0.0.1"), 0);
	peer_set_recvonly(c, 1, 1);
	add_leg(f, c, &leg_c, answer_c);
	assert_int_equal(peer_connect(c, 5000), 0);
	reoffer(f, f->a, f->leg_a);
	reoffer(f, f->b, f->leg_b);
	peer_poll(f->a, 50);
	peer_poll(f->b, 50);
	peer_window_open(f->a, NULL);
	for (uint32_t i = 20; i < 70; i++) {
		send_round(f->b, i);
		send_round(c, i);
		peer_poll(f->a, 2);
		peer_poll(c, 0);
	}
	peer_poll(f->a, 200);
	peer_window_close(f->a);
	/* a receives b on its first m-lines (as before) and c on the new ones, by SSRC */
	for (int k = 0; k < PEER_NKINDS; k++) {
		assert_int_equal(peer_rx_count(f->a, k), 2);
		for (unsigned i = 0; i < 2; i++) {
			struct rxstats *rx = peer_rx_stream(f->a, k, i);
			assert_int_equal(rxstats_expected(rx), 50);
			assert_int_equal(rxstats_lost(rx), 0);
			assert_int_equal(rx->restarts, 0);
		}
		assert_int_not_equal(peer_rx_stream(f->a, k, 0)->ssrc, peer_rx_stream(f->a, k, 1)->ssrc);
	}
	assert_int_equal(peer_stats(f->a)->unprotect_fail, 0);
	media_leg_destroy(f->m, leg_c);
	peer_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_call_forwards_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batched_wakeups_forward_everything, setup_batched,
						teardown),
		cmocka_unit_test(test_batch_beyond_limit_refused),
		cmocka_unit_test_setup_teardown(test_rtcp_reports_arrive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchecked_address_reaches_no_leg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password_gets_401_and_no_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loss_repair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_offer_is_refused_with_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_third_party_renegotiation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

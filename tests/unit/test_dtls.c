/* DTLS-SRTP handshakes in memory: two dtls_conn wired back to back through queues, and a raw
 * OpenSSL client for what our own client never does (offering other SRTP profiles, sending no
 * certificate). Checks the keys against RFC 5764 §4.2 computed independently on the raw client.
 *
 * RAPPORT_DTLS_CAPTURE=DIR writes the first ClientHello datagrams seen here to DIR (that is
 * how tests/fuzz/corpus/dtls/ was seeded). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/clock.h"
#include "base/mem.h"
#include "media/dtls.h"

#define QMAX 64
#define DGRAM_MAX 2048

/* the datagrams one side has sent and the other not yet received */
struct queue {
	uint8_t data[QMAX][DGRAM_MAX];
	size_t len[QMAX];
	unsigned head, tail;
	unsigned sent;       /* datagrams handed to send(), dropped ones included */
	unsigned drop;       /* drop this many of the next datagrams */
};

struct peer {
	struct dtls_conn *c;
	struct queue out;
};

static struct dtls_cert *cert_a, *cert_b;

static void capture(const char *name, const uint8_t *data, size_t len)
{
	const char *dir = getenv("RAPPORT_DTLS_CAPTURE");
	char path[512];
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

/* every datagram is at most 1200 bytes and made of whole DTLS records */
static void check_datagram(const uint8_t *p, size_t len)
{
	assert_true(len > 0 && len <= 1200);
	size_t off = 0;
	while (off < len) {
		assert_true(len - off >= 13);
		assert_true(p[off] >= 20 && p[off] <= 23);          /* content type */
		assert_true(p[off + 1] == 0xfe);                    /* DTLS version */
		off += 13 + ((size_t)p[off + 11] << 8 | p[off + 12]);
	}
	assert_int_equal(off, len);
}

static void queue_send(const uint8_t *data, size_t len, void *arg)
{
	struct queue *q = arg;
	check_datagram(data, len);
	q->sent++;
	if (q->drop) {
		q->drop--;
		return;
	}
	assert_true(q->tail - q->head < QMAX);
	memcpy(q->data[q->tail % QMAX], data, len);
	q->len[q->tail % QMAX] = len;
	q->tail++;
}

static bool queue_empty(const struct queue *q) { return q->head == q->tail; }
static void queue_clear(struct queue *q) { q->head = q->tail; }

/* deliver one datagram from q to c; false when q is empty */
static bool deliver_one(struct queue *q, struct dtls_conn *c)
{
	if (queue_empty(q))
		return false;
	unsigned i = q->head++ % QMAX;
	(void)dtls_conn_recv(c, q->data[i], q->len[i]);
	return true;
}

static void pump(struct peer *a, struct peer *b)
{
	for (int round = 0; round < 100; round++) {
		bool moved = false;
		while (deliver_one(&a->out, b->c))
			moved = true;
		while (deliver_one(&b->out, a->c))
			moved = true;
		if (!moved)
			return;
	}
	fail_msg("the handshake does not settle");
}

static void fp_of(const struct dtls_cert *c, uint8_t fp[DTLS_FP_LEN])
{
	assert_int_equal(dtls_fp_parse(dtls_cert_fingerprint(c), fp), 0);
}

/* server with cert A, client with cert B, each expecting the other's fingerprint */
static void pair_alloc(struct peer *srv, struct peer *cli)
{
	uint8_t fa[DTLS_FP_LEN], fb[DTLS_FP_LEN];
	fp_of(cert_a, fa);
	fp_of(cert_b, fb);
	memset(srv, 0, sizeof(*srv));
	memset(cli, 0, sizeof(*cli));
	assert_int_equal(dtls_conn_alloc(&srv->c, cert_a, true, fb, queue_send, &srv->out), 0);
	assert_int_equal(dtls_conn_alloc(&cli->c, cert_b, false, fa, queue_send, &cli->out), 0);
}

static void pair_free(struct peer *srv, struct peer *cli)
{
	srv->c = mem_deref(srv->c);
	cli->c = mem_deref(cli->c);
}

static void assert_mirrored(struct dtls_conn *srv, struct dtls_conn *cli,
			    enum srtp_profile_id profile, size_t len)
{
	struct srtp_keys ks, kc;
	assert_int_equal(dtls_conn_keys(srv, &ks), 0);
	assert_int_equal(dtls_conn_keys(cli, &kc), 0);
	assert_int_equal(ks.profile, profile);
	assert_int_equal(kc.profile, profile);
	assert_int_equal(ks.len, len);
	assert_int_equal(kc.len, len);
	assert_memory_equal(ks.local, kc.remote, len);
	assert_memory_equal(ks.remote, kc.local, len);
	assert_memory_not_equal(ks.local, ks.remote, len);
}

static void test_handshake(void **state)
{
	(void)state;
	struct peer srv, cli;
	struct srtp_keys k;
	pair_alloc(&srv, &cli);
	assert_int_equal(dtls_conn_keys(srv.c, &k), ENOTCONN);
	assert_int_equal(dtls_conn_connect(srv.c), EINVAL);      /* servers wait */
	assert_int_equal(dtls_conn_connect(cli.c), 0);
	assert_int_equal(cli.out.sent, 1);                        /* the ClientHello */
	capture("clienthello-rapport", cli.out.data[0], cli.out.len[0]);
	assert_true(dtls_conn_deadline(cli.c, 1000) > 1000);
	pump(&srv, &cli);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_CONNECTED);
	assert_int_equal(dtls_conn_state(cli.c), DTLS_CONNECTED);
	assert_string_equal(dtls_conn_error(srv.c), "");
	assert_mirrored(srv.c, cli.c, SRTP_PROFILE_AEAD_AES_128_GCM, 28);
	assert_int_equal(dtls_conn_connect(cli.c), EALREADY);

	/* close_notify ends the association on both sides */
	dtls_conn_close(srv.c);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_CLOSED);
	pump(&srv, &cli);
	assert_int_equal(dtls_conn_state(cli.c), DTLS_CLOSED);
	assert_non_null(strstr(dtls_conn_error(cli.c), "close_notify"));
	assert_int_equal(dtls_conn_keys(cli.c, &k), ENOTCONN);
	uint8_t junk[20] = {23, 0xfe, 0xfd};
	assert_int_equal(dtls_conn_recv(cli.c, junk, sizeof(junk)), ENOTCONN);
	pair_free(&srv, &cli);
}

static void test_wrong_fingerprint_client(void **state)
{
	(void)state;
	struct peer srv, cli;
	uint8_t bad[DTLS_FP_LEN];
	pair_alloc(&srv, &cli);
	cli.c = mem_deref(cli.c);
	fp_of(cert_a, bad);
	bad[31] ^= 1;
	assert_int_equal(dtls_conn_alloc(&cli.c, cert_b, false, bad, queue_send, &cli.out), 0);
	assert_int_equal(dtls_conn_connect(cli.c), 0);
	pump(&srv, &cli);
	assert_int_equal(dtls_conn_state(cli.c), DTLS_FAILED);
	assert_non_null(strstr(dtls_conn_error(cli.c), "fingerprint"));
	/* the client said close_notify, so the server does not wait for SRTP that never comes */
	assert_int_equal(dtls_conn_state(srv.c), DTLS_CLOSED);
	assert_int_equal(dtls_conn_deadline(cli.c, 5), 0);
	pair_free(&srv, &cli);
}

static void test_wrong_fingerprint_server(void **state)
{
	(void)state;
	struct peer srv, cli;
	uint8_t fa[DTLS_FP_LEN];
	pair_alloc(&srv, &cli);
	srv.c = mem_deref(srv.c);
	fp_of(cert_a, fa);  /* expects its own fingerprint from the client: wrong */
	assert_int_equal(dtls_conn_alloc(&srv.c, cert_a, true, fa, queue_send, &srv.out), 0);
	assert_int_equal(dtls_conn_connect(cli.c), 0);
	pump(&srv, &cli);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_FAILED);
	assert_non_null(strstr(dtls_conn_error(srv.c), "fingerprint mismatch"));
	assert_non_null(strstr(dtls_conn_error(srv.c), dtls_cert_fingerprint(cert_b)));
	/* the client finished, then read the server's close_notify from the same datagram */
	assert_int_equal(dtls_conn_state(cli.c), DTLS_CLOSED);
	pair_free(&srv, &cli);
}

/* wait for c's retransmission deadline and fire it */
static void fire_timer(struct dtls_conn *c)
{
	uint64_t now = clock_us(), due = dtls_conn_deadline(c, now);
	assert_true(due > now);
	assert_true(due - now <= 1000000);  /* the first retransmission comes quickly */
	struct timespec ts = {0, (long)(due - now) * 1000 + 2000000};
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec = 1;
		ts.tv_nsec -= 1000000000;
	}
	nanosleep(&ts, NULL);
	dtls_conn_timeout(c);
}

static void test_retransmit_first_flight(void **state)
{
	(void)state;
	struct peer srv, cli;
	pair_alloc(&srv, &cli);
	cli.out.drop = 1;
	assert_int_equal(dtls_conn_connect(cli.c), 0);
	assert_true(queue_empty(&cli.out));
	dtls_conn_timeout(cli.c);             /* too early: nothing happens */
	assert_int_equal(cli.out.sent, 1);
	fire_timer(cli.c);
	assert_int_equal(cli.out.sent, 2);    /* the ClientHello again */
	pump(&srv, &cli);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_CONNECTED);
	assert_int_equal(dtls_conn_state(cli.c), DTLS_CONNECTED);
	assert_mirrored(srv.c, cli.c, SRTP_PROFILE_AEAD_AES_128_GCM, 28);
	pair_free(&srv, &cli);
}

/* the server's last flight is lost: the client resends its flight to the server, which is
 * already connected and must answer it with its last flight again */
static void test_retransmit_last_flight(void **state)
{
	(void)state;
	struct peer srv, cli;
	pair_alloc(&srv, &cli);
	assert_int_equal(dtls_conn_connect(cli.c), 0);
	while (deliver_one(&cli.out, srv.c))  /* ClientHello */
		;
	while (deliver_one(&srv.out, cli.c))  /* ServerHello ... ServerHelloDone */
		;
	while (deliver_one(&cli.out, srv.c))  /* Certificate ... Finished */
		;
	assert_int_equal(dtls_conn_state(srv.c), DTLS_CONNECTED);
	assert_false(queue_empty(&srv.out));
	queue_clear(&srv.out);                /* ChangeCipherSpec + Finished, lost */
	assert_int_equal(dtls_conn_state(cli.c), DTLS_HANDSHAKING);
	unsigned srv_sent = srv.out.sent;
	fire_timer(cli.c);
	pump(&srv, &cli);
	assert_true(srv.out.sent > srv_sent);
	assert_int_equal(dtls_conn_state(cli.c), DTLS_CONNECTED);
	assert_mirrored(srv.c, cli.c, SRTP_PROFILE_AEAD_AES_128_GCM, 28);
	pair_free(&srv, &cli);
}

static uint32_t rnd_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* ---- a ClientHello offering DTLS 1.3 the way Chromium 156 does (modelled on what
 * shared/TESTING.md reports of its ClientHello, not a byte capture) ---- */

struct wr {
	uint8_t *p;
	size_t n;
};

static void wr_u8(struct wr *w, unsigned v) { w->p[w->n++] = (uint8_t)v; }
static void wr_u16(struct wr *w, unsigned v) { wr_u8(w, v >> 8); wr_u8(w, v); }
static void wr_u24(struct wr *w, size_t v) { wr_u8(w, (unsigned)(v >> 16)); wr_u16(w, v & 0xffff); }
static void wr_u16_at(uint8_t *p, size_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void wr_list16(struct wr *w, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		wr_u16(w, v[i]);
}

/* legacy_version DTLS 1.2, supported_versions DTLS 1.3 and 1.2, a key_share, TLS 1.3 suites
 * first, and use_srtp AES_CM_128_HMAC_SHA1_80, AEAD_AES_256_GCM, AEAD_AES_128_GCM */
static size_t chromium_hello(uint8_t *buf)
{
	static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
					  0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a,
					  0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
	static const uint16_t groups[] = {0x11ec, 0x001d, 0x0017, 0x0018};
	static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501,
					   0x0806, 0x0601};
	struct wr w = {buf, 0};
	wr_u8(&w, 22); wr_u16(&w, 0xfeff); wr_u16(&w, 0); wr_u24(&w, 0); wr_u24(&w, 0);
	size_t rec_len = w.n; wr_u16(&w, 0);
	wr_u8(&w, 1); wr_u24(&w, 0); wr_u16(&w, 0); wr_u24(&w, 0); wr_u24(&w, 0);
	size_t body = w.n;
	wr_u16(&w, 0xfefd);
	for (int i = 0; i < 32; i++)
		wr_u8(&w, (unsigned)(i * 29 + 3));         /* random */
	wr_u8(&w, 0);                                   /* session id */
	wr_u8(&w, 0);                                   /* cookie */
	wr_u16(&w, sizeof(suites)); wr_list16(&w, suites, sizeof(suites) / 2);
	wr_u8(&w, 1); wr_u8(&w, 0);                     /* compression: null */
	size_t ext_len = w.n; wr_u16(&w, 0);
	wr_u16(&w, 0x0017); wr_u16(&w, 0);              /* extended_master_secret */
	wr_u16(&w, 0xff01); wr_u16(&w, 1); wr_u8(&w, 0);  /* renegotiation_info */
	wr_u16(&w, 0x000a); wr_u16(&w, 2 + sizeof(groups)); wr_u16(&w, sizeof(groups));
	wr_list16(&w, groups, sizeof(groups) / 2);
	wr_u16(&w, 0x000b); wr_u16(&w, 2); wr_u8(&w, 1); wr_u8(&w, 0);  /* ec_point_formats */
	wr_u16(&w, 0x000d); wr_u16(&w, 2 + sizeof(sigalgs)); wr_u16(&w, sizeof(sigalgs));
	wr_list16(&w, sigalgs, sizeof(sigalgs) / 2);
	wr_u16(&w, 0x000e); wr_u16(&w, 9); wr_u16(&w, 6);            /* use_srtp */
	wr_u16(&w, 0x0001); wr_u16(&w, 0x0008); wr_u16(&w, 0x0007); wr_u8(&w, 0);
	wr_u16(&w, 0x002b); wr_u16(&w, 5); wr_u8(&w, 4);             /* supported_versions */
	wr_u16(&w, 0xfefc); wr_u16(&w, 0xfefd);
	wr_u16(&w, 0x0033); wr_u16(&w, 2 + 4 + 32); wr_u16(&w, 4 + 32);  /* key_share */
	wr_u16(&w, 0x001d); wr_u16(&w, 32);
	for (int i = 0; i < 32; i++)
		wr_u8(&w, (unsigned)(i * 7 + 1));
	wr_u16_at(buf + ext_len, w.n - ext_len - 2);
	size_t blen = w.n - body;
	buf[body - 11] = (uint8_t)(blen >> 16); wr_u16_at(buf + body - 10, blen);  /* length */
	buf[body - 3] = (uint8_t)(blen >> 16); wr_u16_at(buf + body - 2, blen);    /* fragment */
	wr_u16_at(buf + rec_len, w.n - rec_len - 2);
	return w.n;
}

/* OpenSSL 3.0 has no DTLS 1.3: it answers DTLS 1.2, and picks AEAD_AES_128_GCM by its own
 * order although the client listed AES_CM_128_HMAC_SHA1_80 first */
static void test_dtls13_client_hello(void **state)
{
	(void)state;
	struct peer srv, cli;
	uint8_t hello[512];
	size_t len = chromium_hello(hello);
	capture("clienthello-chromium-dtls13", hello, len);
	pair_alloc(&srv, &cli);
	assert_int_equal(dtls_conn_recv(srv.c, hello, len), 0);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_HANDSHAKING);
	assert_false(queue_empty(&srv.out));
	const uint8_t *p = srv.out.data[srv.out.head % QMAX];
	size_t n = srv.out.len[srv.out.head % QMAX];
	assert_true(n > 13 + 12 + 38);
	assert_int_equal(p[0], 22);                   /* handshake record */
	assert_int_equal(p[13], 2);                   /* ServerHello */
	assert_int_equal(p[25] << 8 | p[26], 0xfefd); /* DTLS 1.2 */
	size_t off = 25 + 2 + 32;
	off += 1 + p[off];                            /* session id */
	off += 2 + 1;                                 /* cipher suite, compression */
	size_t end = off + 2 + ((size_t)p[off] << 8 | p[off + 1]);
	bool srtp = false;
	for (off += 2; off + 4 <= end && off + 4 <= n;) {
		unsigned type = p[off] << 8 | p[off + 1], elen = p[off + 2] << 8 | p[off + 3];
		if (type == 0x000e) {
			assert_int_equal(elen, 5);
			assert_int_equal(p[off + 6] << 8 | p[off + 7], 0x0007);
			srtp = true;
		}
		assert_int_not_equal(type, 0x002b);   /* no supported_versions: not 1.3 */
		off += 4 + elen;
	}
	assert_true(srtp);
	pair_free(&srv, &cli);
}

static void fill_random(uint8_t *buf, size_t len, uint32_t *seed)
{
	for (size_t j = 0; j < len; j++)
		buf[j] = (uint8_t)rnd_next(seed);
}

/* noise that the RFC 7983 demultiplexer would pass to DTLS (first byte 20..63) is dropped
 * the way DTLS drops bad records: the server still answers a real client afterwards */
static void test_garbage_ignored(void **state)
{
	(void)state;
	struct peer srv, cli;
	uint8_t buf[1500];
	uint32_t seed = 0x2545f491;
	pair_alloc(&srv, &cli);
	assert_int_equal(dtls_conn_recv(srv.c, NULL, 10), EINVAL);
	assert_int_equal(dtls_conn_recv(srv.c, buf, 0), EINVAL);
	for (int i = 0; i < 2000; i++) {
		size_t len = 1 + rnd_next(&seed) % sizeof(buf);
		fill_random(buf, len, &seed);
		buf[0] = (uint8_t)(20 + buf[0] % 44);
		if (len > 1 && buf[1] == 0xfe)
			buf[1] = 0;  /* not a DTLS version: dropped unread */
		assert_int_equal(dtls_conn_recv(srv.c, buf, len), 0);
		assert_int_equal(dtls_conn_state(srv.c), DTLS_HANDSHAKING);
	}
	assert_true(queue_empty(&srv.out));
	assert_int_equal(dtls_conn_connect(cli.c), 0);
	pump(&srv, &cli);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_CONNECTED);
	assert_mirrored(srv.c, cli.c, SRTP_PROFILE_AEAD_AES_128_GCM, 28);
	pair_free(&srv, &cli);
}

/* records that look like a DTLS 1.2 handshake but hold random bytes: never connected, and
 * a broken handshake message fails the association with OpenSSL's reason */
static void test_garbage_handshake(void **state)
{
	(void)state;
	uint8_t buf[1500], fp[DTLS_FP_LEN] = {0};
	uint32_t seed = 0x9e3779b9;
	unsigned failed = 0;
	struct queue q = {0};
	for (int i = 0; i < 300; i++) {
		struct dtls_conn *c = NULL;
		assert_int_equal(dtls_conn_alloc(&c, cert_a, true, fp, queue_send, &q), 0);
		for (int k = 0; k < 8 && dtls_conn_state(c) == DTLS_HANDSHAKING; k++) {
			size_t len = 13 + rnd_next(&seed) % 400;
			fill_random(buf, len, &seed);
			buf[0] = 22;
			buf[1] = 0xfe;
			buf[2] = 0xfd;
			memset(buf + 3, 0, 8);      /* epoch 0, sequence 0 */
			buf[11] = (uint8_t)((len - 13) >> 8);
			buf[12] = (uint8_t)(len - 13);
			buf[13] = 1;                 /* ClientHello */
			(void)dtls_conn_recv(c, buf, len);
			assert_int_not_equal(dtls_conn_state(c), DTLS_CONNECTED);
		}
		if (dtls_conn_state(c) == DTLS_FAILED) {
			failed++;
			assert_non_null(strstr(dtls_conn_error(c), "handshake failed: "));
		}
		queue_clear(&q);
		mem_deref(c);
	}
	assert_true(failed > 0);
}

static void test_fingerprint_text(void **state)
{
	(void)state;
	uint8_t fp[DTLS_FP_LEN], fp2[DTLS_FP_LEN];
	char lower[DTLS_FP_TEXT_LEN], bad[DTLS_FP_TEXT_LEN + 4];
	const char *t = dtls_cert_fingerprint(cert_a);
	assert_int_equal(strlen(t), DTLS_FP_TEXT_LEN - 1);
	for (size_t i = 0; i < strlen(t); i++) {
		if (i % 3 == 2)
			assert_int_equal(t[i], ':');
		else
			assert_non_null(strchr("0123456789ABCDEF", t[i]));
	}
	assert_string_not_equal(t, dtls_cert_fingerprint(cert_b));
	assert_int_equal(dtls_fp_parse(t, fp), 0);
	for (size_t i = 0; i < sizeof(lower); i++)
		lower[i] = (char)(t[i] >= 'A' && t[i] <= 'F' ? t[i] + 32 : t[i]);
	assert_int_equal(dtls_fp_parse(lower, fp2), 0);
	assert_memory_equal(fp, fp2, DTLS_FP_LEN);
	/* the text is the bytes, in order */
	char hex[4];
	snprintf(hex, sizeof(hex), "%02X:", fp[0]);
	assert_memory_equal(t, hex, 3);
	snprintf(hex, sizeof(hex), "%02X", fp[31]);
	assert_string_equal(t + 93, hex);

	assert_int_equal(dtls_fp_parse(NULL, fp), EINVAL);
	assert_int_equal(dtls_fp_parse("", fp), EINVAL);
	assert_int_equal(dtls_fp_parse(t + 3, fp), EINVAL);           /* 31 bytes */
	snprintf(bad, sizeof(bad), "%s:AB", t);
	assert_int_equal(dtls_fp_parse(bad, fp), EINVAL);             /* 33 bytes */
	snprintf(bad, sizeof(bad), "%s:", t);
	assert_int_equal(dtls_fp_parse(bad, fp), EINVAL);             /* trailing colon */
	memcpy(bad, t, DTLS_FP_TEXT_LEN);
	bad[5] = '-';
	assert_int_equal(dtls_fp_parse(bad, fp), EINVAL);
	memcpy(bad, t, DTLS_FP_TEXT_LEN);
	bad[0] = 'G';
	assert_int_equal(dtls_fp_parse(bad, fp), EINVAL);
	memcpy(bad, t, DTLS_FP_TEXT_LEN);
	bad[1] = ' ';
	assert_int_equal(dtls_fp_parse(bad, fp), EINVAL);
}

/* ---- a raw OpenSSL DTLS client ---- */

struct raw {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;
	X509 *cert;
	uint8_t fp[DTLS_FP_LEN];
};

static int raw_verify(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return 1;
}

static X509 *raw_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();
	assert_non_null(x);
	X509_NAME *n = X509_get_subject_name(x);
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 7));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					       (const unsigned char *)"raw", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, n));
	assert_true(X509_set_pubkey(x, key));
	assert_true(X509_sign(x, key, EVP_sha256()));
	return x;
}

static void raw_init(struct raw *r, const char *profiles, bool with_cert)
{
	unsigned n = 0;
	memset(r, 0, sizeof(*r));
	r->ctx = SSL_CTX_new(DTLS_client_method());
	assert_non_null(r->ctx);
	assert_int_equal(SSL_CTX_set_tlsext_use_srtp(r->ctx, profiles), 0);
	SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, raw_verify);
	if (with_cert) {
		EVP_PKEY *key = EVP_EC_gen("P-256");
		assert_non_null(key);
		r->cert = raw_cert(key);
		assert_true(SSL_CTX_use_certificate(r->ctx, r->cert));
		assert_true(SSL_CTX_use_PrivateKey(r->ctx, key));
		EVP_PKEY_free(key);
		assert_true(X509_digest(r->cert, EVP_sha256(), r->fp, &n));
	}
	r->ssl = SSL_new(r->ctx);
	r->rbio = BIO_new(BIO_s_mem());
	r->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(r->rbio, -1);
	BIO_set_mem_eof_return(r->wbio, -1);
	SSL_set_bio(r->ssl, r->rbio, r->wbio);
	SSL_set_options(r->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(r->ssl, 1200);
	SSL_set_connect_state(r->ssl);
}

static void raw_free(struct raw *r)
{
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	X509_free(r->cert);
}

/* move everything the raw client wrote to the server, as one datagram */
static bool raw_to(struct raw *r, struct dtls_conn *srv)
{
	char *p;
	long n = BIO_get_mem_data(r->wbio, &p);
	if (n <= 0)
		return false;
	(void)dtls_conn_recv(srv, (const uint8_t *)p, (size_t)n);
	(void)BIO_reset(r->wbio);
	return true;
}

static void raw_handshake(struct raw *r, struct peer *srv)
{
	for (int i = 0; i < 20; i++) {
		(void)SSL_do_handshake(r->ssl);
		bool moved = raw_to(r, srv->c);
		while (!queue_empty(&srv->out)) {
			unsigned k = srv->out.head++ % QMAX;
			BIO_write(r->rbio, srv->out.data[k], (int)srv->out.len[k]);
			(void)SSL_do_handshake(r->ssl);
			moved = true;
		}
		if (!moved)
			break;
	}
	ERR_clear_error();
}

static void raw_server(struct peer *srv, const uint8_t *client_fp)
{
	memset(srv, 0, sizeof(*srv));
	assert_int_equal(dtls_conn_alloc(&srv->c, cert_a, true, client_fp, queue_send,
					 &srv->out), 0);
}

/* a client that offers only AES128_CM_SHA1_80 gets it; the keys follow RFC 5764 §4.2 */
static void test_raw_client_cm_sha1_80(void **state)
{
	(void)state;
	struct raw r;
	struct peer srv;
	struct srtp_keys k;
	uint8_t m[60];
	raw_init(&r, "SRTP_AES128_CM_SHA1_80", true);
	raw_server(&srv, r.fp);
	raw_handshake(&r, &srv);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_CONNECTED);
	assert_int_equal(SSL_is_init_finished(r.ssl), 1);
	assert_int_equal(SSL_version(r.ssl), DTLS1_2_VERSION);
	assert_int_equal(SSL_get_selected_srtp_profile(r.ssl)->id, SRTP_AES128_CM_SHA1_80);
	assert_int_equal(dtls_conn_keys(srv.c, &k), 0);
	assert_int_equal(k.profile, SRTP_PROFILE_AES128_CM_SHA1_80);
	assert_int_equal(k.len, 30);
	assert_int_equal(SSL_export_keying_material(r.ssl, m, sizeof(m), "EXTRACTOR-dtls_srtp",
						    19, NULL, 0, 0), 1);
	/* client key 0..15, server key 16..31, client salt 32..45, server salt 46..59 */
	assert_memory_equal(k.local, m + 16, 16);
	assert_memory_equal(k.local + 16, m + 46, 14);
	assert_memory_equal(k.remote, m, 16);
	assert_memory_equal(k.remote + 16, m + 32, 14);
	raw_free(&r);
	mem_deref(srv.c);
}

/* our certificate as a peer sees it: ECDSA P-256, CN rapport, SHA-256, 30 days, the
 * fingerprint we publish */
static void test_certificate(void **state)
{
	(void)state;
	struct raw r;
	struct peer srv;
	uint8_t md[DTLS_FP_LEN], fp[DTLS_FP_LEN];
	unsigned n = 0;
	char cn[32];
	int days = 0, secs = 0;
	raw_init(&r, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", true);
	raw_server(&srv, r.fp);
	(void)SSL_do_handshake(r.ssl);
	char *p;
	long len = BIO_get_mem_data(r.wbio, &p);
	capture("clienthello-openssl", (const uint8_t *)p, (size_t)len);
	raw_handshake(&r, &srv);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_CONNECTED);
	assert_int_equal(SSL_get_selected_srtp_profile(r.ssl)->id, SRTP_AEAD_AES_128_GCM);

	X509 *x = SSL_get1_peer_certificate(r.ssl);
	assert_non_null(x);
	assert_true(X509_digest(x, EVP_sha256(), md, &n));
	fp_of(cert_a, fp);
	assert_memory_equal(md, fp, DTLS_FP_LEN);
	EVP_PKEY *key = X509_get0_pubkey(x);
	assert_true(EVP_PKEY_is_a(key, "EC"));
	assert_true(EVP_PKEY_get_utf8_string_param(key, "group", cn, sizeof(cn), NULL));
	assert_string_equal(cn, "prime256v1");
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
					      sizeof(cn)) > 0);
	assert_string_equal(cn, "rapport");
	assert_false(ASN1_INTEGER_get(X509_get0_serialNumber(x)) == 0);
	assert_true(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notBefore(x)));
	assert_true(days == -1 || (days == 0 && secs <= -86000));
	assert_true(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)));
	assert_true(days == 30 || (days == 29 && secs > 86000));
	X509_free(x);
	raw_free(&r);
	mem_deref(srv.c);
}

static void test_raw_client_no_common_profile(void **state)
{
	(void)state;
	struct raw r;
	struct peer srv;
	raw_init(&r, "SRTP_AEAD_AES_256_GCM", true);
	raw_server(&srv, r.fp);
	raw_handshake(&r, &srv);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_FAILED);
	assert_non_null(strstr(dtls_conn_error(srv.c), "SRTP"));
	raw_free(&r);
	mem_deref(srv.c);
}

static void test_raw_client_without_certificate(void **state)
{
	(void)state;
	struct raw r;
	struct peer srv;
	uint8_t fp[DTLS_FP_LEN] = {0};
	raw_init(&r, "SRTP_AEAD_AES_128_GCM", false);
	raw_server(&srv, fp);
	raw_handshake(&r, &srv);
	assert_int_equal(dtls_conn_state(srv.c), DTLS_FAILED);
	assert_non_null(strstr(dtls_conn_error(srv.c), "certificate"));
	raw_free(&r);
	mem_deref(srv.c);
}

/* ---- one certificate shared by workers: handshakes on two threads at once ---- */

struct tq {
	uint8_t d[16][1500];
	size_t l[16];
	unsigned n;
	bool overflow;
};

static void tq_send(const uint8_t *data, size_t len, void *arg)
{
	struct tq *q = arg;
	if (q->n >= 16 || len > sizeof(q->d[0])) {
		q->overflow = true;
		return;
	}
	memcpy(q->d[q->n], data, len);
	q->l[q->n++] = len;
}

static unsigned tq_deliver(struct tq *q, struct dtls_conn *to)
{
	unsigned n = q->n;
	for (unsigned i = 0; i < n; i++)
		(void)dtls_conn_recv(to, q->d[i], q->l[i]);
	q->n = 0;
	return n;
}

/* no cmocka asserts off the main thread: count the good handshakes instead */
static void *thread_handshakes(void *arg)
{
	unsigned *good = arg;
	uint8_t fa[DTLS_FP_LEN], fb[DTLS_FP_LEN];
	struct tq *qs = calloc(1, sizeof(*qs)), *qc = calloc(1, sizeof(*qc));
	if (!qs || !qc || dtls_fp_parse(dtls_cert_fingerprint(cert_a), fa) ||
	    dtls_fp_parse(dtls_cert_fingerprint(cert_b), fb))
		goto out;
	for (int i = 0; i < 10; i++) {
		struct dtls_conn *s = NULL, *c = NULL;
		struct srtp_keys ks, kc;
		if (dtls_conn_alloc(&s, cert_a, true, fb, tq_send, qs) == 0 &&
		    dtls_conn_alloc(&c, cert_b, false, fa, tq_send, qc) == 0 &&
		    dtls_conn_connect(c) == 0) {
			for (int r = 0; r < 10 && tq_deliver(qc, s) + tq_deliver(qs, c) > 0; r++)
				;
			if (dtls_conn_keys(s, &ks) == 0 && dtls_conn_keys(c, &kc) == 0 &&
			    memcmp(ks.local, kc.remote, ks.len) == 0 && !qs->overflow &&
			    !qc->overflow)
				(*good)++;
		}
		mem_deref(s);
		mem_deref(c);
	}
out:
	free(qs);
	free(qc);
	return NULL;
}

static void test_shared_certificate_threads(void **state)
{
	(void)state;
	pthread_t t[2];
	unsigned good[2] = {0, 0};
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_handshakes, &good[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(good[0], 10);
	assert_int_equal(good[1], 10);
}

static int setup(void **state)
{
	(void)state;
	if (dtls_cert_create(&cert_a) || dtls_cert_create(&cert_b))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cert_a = mem_deref(cert_a);
	cert_b = mem_deref(cert_b);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_wrong_fingerprint_client),
		cmocka_unit_test(test_wrong_fingerprint_server),
		cmocka_unit_test(test_retransmit_first_flight),
		cmocka_unit_test(test_retransmit_last_flight),
		cmocka_unit_test(test_dtls13_client_hello),
		cmocka_unit_test(test_garbage_ignored),
		cmocka_unit_test(test_garbage_handshake),
		cmocka_unit_test(test_fingerprint_text),
		cmocka_unit_test(test_raw_client_cm_sha1_80),
		cmocka_unit_test(test_certificate),
		cmocka_unit_test(test_raw_client_no_common_profile),
		cmocka_unit_test(test_raw_client_without_certificate),
		cmocka_unit_test(test_shared_certificate_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

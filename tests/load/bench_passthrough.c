/* bench_passthrough: the delay the relay's pass-through path adds per packet (DESIGN §3: an
 * in-order packet is forwarded at once), at light and at heavy load. A benchmark, not a test:
 * it prints figures and asserts nothing about speed.
 *
 * In one process: the relay (media_start, on 127.0.0.1) and pairs of scripted peers
 * (tests/load/peer.h: ICE, DTLS, SRTP), one pair per call, each peer sending Opus-sized audio
 * (50 packets/s) and VP8-sized video (30 frames/s, each frame a burst of MTU-sized packets)
 * to the other through the relay. The bench thread stamps each packet's send time just before
 * SRTP-protecting and sending it; the receiving peer's kernel stamps its arrival
 * (SO_TIMESTAMPNS, the moment the datagram reaches the receiver's socket, so the bench's own
 * scheduling does not count). The packet is named by its RTP sequence number and checked
 * against its timestamp, both in the clear in SRTP: the relay maps a new source onto the
 * receiver's stream with offsets of 0, so what it sends carries the sender's seq and ts.
 *
 * The same schedule is first sent directly from the sender's socket to the receiver's (the
 * baseline: SRTP protection with a local session, the send system call, one loopback
 * delivery), then through the relay. The relay's added delay is relay − direct, percentile by
 * percentile. Also printed: packets forwarded and the relay's CPU per packet (the process's
 * CPU time less the bench thread's).
 *
 *   bench_passthrough [--calls N] [--seconds S] [--workers W] [--video-kbps K]
 *
 * Light load is one call; heavy load is N calls (100) at the same rates. Each phase runs S
 * seconds (8), the first second being warm-up. W relay workers (1: on two cores, one for the
 * relay and one for the bench). Exit status 0 when packets arrived both ways in every phase. */
#include "base/log.h"
#include "base/mem.h"
#include "media/dtls.h"
#include "media/media.h"
#include "media/rtp.h"
#include "media/srtp_session.h"
#include "tests/load/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BENCH_HIST 4096u          /* send records kept per stream (a power of two) */
#define BENCH_AUDIO_US 20000u
#define BENCH_AUDIO_BYTES 80      /* ~32 kbit/s Opus */
#define BENCH_VIDEO_US 33333u
#define BENCH_VIDEO_MTU 1100      /* payload bytes per video packet */
#define BENCH_WARMUP_US 1000000u
#define BENCH_KEEPALIVE_US 5000000u
#define BENCH_RX_BATCH 32
#define BENCH_PT_OPUS 111
#define BENCH_PT_VP8 96

struct bench_opts {
	unsigned calls, seconds, workers, video_kbps;
};

struct bench_end;

/* one stream: what one peer sends of one kind, and what its partner receives of it */
struct bench_stream {
	struct bench_end *tx, *rx;
	enum peer_kind kind;
	struct srtp_session *direct;   /* protects the baseline's packets */
	uint32_t ssrc_direct;
	uint64_t next_us;              /* when the next packet (video: frame) is due */
	uint32_t n;                    /* packets sent in this phase */
	uint32_t ts;
	uint64_t sent_ns[BENCH_HIST];  /* CLOCK_REALTIME, by n % BENCH_HIST */
	uint32_t sent_ts[BENCH_HIST];
	bool mapped;                   /* the receiver has seen this phase's first packet */
	uint16_t seq0;
	uint64_t received, unmatched;
};

struct bench_end {
	struct peer *p;
	int fd;
	struct sockaddr_in addr;
	struct bench_stream *in[2];    /* what it receives, by kind */
};

struct bench_samples {
	uint32_t *ns;
	size_t n, cap;
};

struct bench {
	struct bench_opts o;
	struct media *m;
	struct dtls_cert *cert;
	int ep;
	struct bench_end *ends;        /* 2 per call */
	struct bench_stream *streams;  /* 4 per call */
	size_t nends, nstreams;
	bool relay;                    /* this phase goes through the relay */
	uint64_t phase_start_us, last_keepalive_us;
	struct bench_samples s;
	uint8_t payload[BENCH_VIDEO_MTU];
	unsigned connected_events;
};

static uint64_t bench_mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t bench_wall_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t bench_cpu_ns(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/* --- set-up --- */

static void bench_notify(void *arg) { (void)arg; }

static void bench_on_event(const struct media_event *ev, void *arg)
{
	struct bench *b = arg;
	if (ev->type == MEDIA_EV_LEG_CONNECTED)
		b->connected_events++;
	else
		fprintf(stderr, "bench: leg %u failed: %s\n", ev->leg_id, ev->text);
}

static int bench_end_open(struct bench *b, struct bench_end *e, uint32_t call)
{
	char offer[4096], err[160] = "";
	char *answer = NULL;
	uint32_t leg;
	int one = 1, r = peer_alloc(&e->p, b->cert, "127.0.0.1");
	if (r || (r = peer_offer(e->p, offer, sizeof(offer))))
		return r;
	if ((r = media_leg_create(b->m, call, offer, &answer, &leg, err, sizeof(err)))) {
		fprintf(stderr, "bench: media_leg_create: %s\n", err);
		return r;
	}
	r = peer_answer(e->p, answer);
	mem_deref(answer);
	e->fd = peer_fd(e->p);
	e->addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(peer_port(e->p))};
	inet_pton(AF_INET, "127.0.0.1", &e->addr.sin_addr);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = e};
	if (r || setsockopt(e->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    epoll_ctl(b->ep, EPOLL_CTL_ADD, e->fd, &ev))
		return r ? r : errno;
	return 0;
}

static int bench_stream_init(struct bench_stream *s, struct bench_end *tx, struct bench_end *rx,
			     enum peer_kind kind)
{
	struct srtp_keys keys = {.profile = SRTP_PROFILE_AEAD_AES_128_GCM, .len = 28};
	RAND_bytes(keys.local, sizeof(keys.local));
	RAND_bytes(keys.remote, sizeof(keys.remote));
	RAND_bytes((unsigned char *)&s->ssrc_direct, sizeof(s->ssrc_direct));
	s->tx = tx;
	s->rx = rx;
	s->kind = kind;
	rx->in[kind] = s;
	return srtp_session_alloc(&s->direct, &keys);
}

/* consent checks from the first nends peers, so the relay keeps their legs (30 s) */
static void bench_keepalive(struct bench *b, size_t nends, uint64_t now)
{
	if (now - b->last_keepalive_us < BENCH_KEEPALIVE_US)
		return;
	b->last_keepalive_us = now;
	for (size_t i = 0; i < nends; i++)
		peer_keepalive(b->ends[i].p);
	media_poll(b->m, bench_on_event, b);
}

/* calls × (two peers, four streams), every leg connected */
static int bench_setup(struct bench *b)
{
	struct media_config mc = {.bind_ip = "127.0.0.1", .public_ip = "127.0.0.1",
				  .port_min = 45000, .port_max = 45999, .workers = b->o.workers};
	int r = media_start(&b->m, &mc, bench_notify, NULL);
	if (r || (r = dtls_cert_create(&b->cert)))
		return r;
	b->nends = 2 * (size_t)b->o.calls;
	b->nstreams = 4 * (size_t)b->o.calls;
	b->ends = calloc(b->nends, sizeof(*b->ends));
	b->streams = calloc(b->nstreams, sizeof(*b->streams));
	if (!b->ends || !b->streams || (b->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return ENOMEM;
	for (unsigned c = 0; c < b->o.calls; c++) {
		struct bench_end *e = &b->ends[2 * c];
		uint32_t call;
		if ((r = media_call_create(b->m, &call)) || (r = bench_end_open(b, &e[0], call)) ||
		    (r = bench_end_open(b, &e[1], call)) || (r = peer_connect(e[0].p, 5000)) ||
		    (r = peer_connect(e[1].p, 5000)))
			return r;
		for (int k = 0; k < 2; k++) {
			struct bench_stream *s = &b->streams[4 * c + 2 * k];
			if ((r = bench_stream_init(&s[0], &e[0], &e[1], (enum peer_kind)k)) ||
			    (r = bench_stream_init(&s[1], &e[1], &e[0], (enum peer_kind)k)))
				return r;
		}
		bench_keepalive(b, 2 * (size_t)c, bench_mono_us());  /* set-up is slow on a busy machine */
		media_poll(b->m, bench_on_event, b);
	}
	for (int i = 0; i < 300 && b->connected_events < b->nends; i++) {
		usleep(10000);
		media_poll(b->m, bench_on_event, b);
	}
	return b->connected_events == b->nends ? 0 : ETIMEDOUT;
}

static void bench_teardown(struct bench *b)
{
	for (size_t i = 0; b->streams && i < b->nstreams; i++)
		mem_deref(b->streams[i].direct);
	for (size_t i = 0; b->ends && i < b->nends; i++)
		peer_free(b->ends[i].p);
	free(b->streams);
	free(b->ends);
	free(b->s.ns);
	if (b->ep > 0)
		close(b->ep);
	if (b->m)
		media_stop(b->m);
	mem_deref(b->cert);
}

/* --- sending --- */

static void bench_send_direct(struct bench *b, struct bench_stream *s, size_t len, bool marker)
{
	uint8_t buf[BENCH_VIDEO_MTU + RTP_HDR_LEN + SRTP_SESSION_TRAILER];
	uint8_t pt = s->kind == PEER_AUDIO ? BENCH_PT_OPUS : BENCH_PT_VP8;
	rtp_write_hdr(buf, sizeof(buf), pt, marker, (uint16_t)s->n, s->ts, s->ssrc_direct);
	memcpy(buf + RTP_HDR_LEN, b->payload, len);
	size_t n = RTP_HDR_LEN + len;
	if (srtp_session_protect_rtp(s->direct, buf, &n, sizeof(buf)) == 0)
		sendto(s->tx->fd, buf, n, 0, (struct sockaddr *)&s->rx->addr, sizeof(s->rx->addr));
}

static void bench_send_one(struct bench *b, struct bench_stream *s, size_t len, bool marker)
{
	uint32_t slot = s->n % BENCH_HIST;
	s->sent_ts[slot] = s->ts;
	s->sent_ns[slot] = bench_wall_ns();
	if (b->relay)
		peer_send_rtp(s->tx->p, s->kind, b->payload, len, s->ts, marker);
	else
		bench_send_direct(b, s, len, marker);
	s->n++;
}

/* one audio packet, or one video frame as a burst of packets */
static void bench_send_due(struct bench *b, struct bench_stream *s)
{
	if (s->kind == PEER_AUDIO) {
		bench_send_one(b, s, BENCH_AUDIO_BYTES, false);
		s->ts += 960;
		s->next_us += BENCH_AUDIO_US;
		return;
	}
	size_t left = (size_t)b->o.video_kbps * 1000u / 8u / 30u;
	while (left) {
		size_t len = left > BENCH_VIDEO_MTU ? BENCH_VIDEO_MTU : left;
		left -= len;
		bench_send_one(b, s, len, left == 0);
	}
	s->ts += 3000;
	s->next_us += BENCH_VIDEO_US;
}

/* --- receiving --- */

static void bench_sample(struct bench *b, uint32_t ns)
{
	struct bench_samples *s = &b->s;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 65536;
		uint32_t *p = realloc(s->ns, cap * sizeof(*p));
		if (!p)
			return;
		s->ns = p;
		s->cap = cap;
	}
	s->ns[s->n++] = ns;
}

static void bench_on_packet(struct bench *b, struct bench_end *e, const uint8_t *buf, size_t len,
			    uint64_t rx_ns, uint64_t now_us)
{
	if (len < RTP_HDR_LEN || !rtp_is_rtp_or_rtcp(buf, len) || rtp_is_rtcp(buf, len))
		return;                /* STUN, DTLS, the relay's RTCP */
	uint8_t pt = buf[1] & 0x7f;
	int k = pt == BENCH_PT_OPUS ? PEER_AUDIO : pt == BENCH_PT_VP8 ? PEER_VIDEO : -1;
	struct bench_stream *s = k < 0 ? NULL : e->in[k];
	if (!s)
		return;
	uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
	uint32_t ts = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
	if (!s->mapped) {
		s->mapped = true;
		s->seq0 = seq;
	}
	uint32_t idx = (uint16_t)(seq - s->seq0);
	if (idx >= s->n || s->n - idx > BENCH_HIST || s->sent_ts[idx % BENCH_HIST] != ts) {
		s->unmatched++;
		return;
	}
	s->received++;
	uint64_t sent = s->sent_ns[idx % BENCH_HIST];
	if (now_us - b->phase_start_us >= BENCH_WARMUP_US && rx_ns >= sent)
		bench_sample(b, rx_ns - sent > UINT32_MAX ? UINT32_MAX : (uint32_t)(rx_ns - sent));
}

static uint64_t bench_rx_stamp(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec t;
			memcpy(&t, CMSG_DATA(c), sizeof(t));
			return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
		}
	}
	return bench_wall_ns();
}

static void bench_drain(struct bench *b, struct bench_end *e, uint64_t now_us)
{
	static uint8_t bufs[BENCH_RX_BATCH][1600];
	static char ctl[BENCH_RX_BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct mmsghdr msgs[BENCH_RX_BATCH];
	struct iovec iov[BENCH_RX_BATCH];
	for (;;) {
		for (int i = 0; i < BENCH_RX_BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
			msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1,
				  .msg_control = ctl[i], .msg_controllen = sizeof(ctl[i])}};
		}
		int n = recvmmsg(e->fd, msgs, BENCH_RX_BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++)
			bench_on_packet(b, e, bufs[i], msgs[i].msg_len, bench_rx_stamp(&msgs[i].msg_hdr), now_us);
		if (n < BENCH_RX_BATCH)
			return;
	}
}

/* --- a phase --- */

static void bench_phase_reset(struct bench *b, size_t nstreams, bool relay, uint64_t now)
{
	b->relay = relay;
	b->phase_start_us = now;
	b->s.n = 0;
	for (size_t i = 0; i < nstreams; i++) {
		struct bench_stream *s = &b->streams[i];
		uint32_t period = s->kind == PEER_AUDIO ? BENCH_AUDIO_US : BENCH_VIDEO_US, r;
		RAND_bytes((unsigned char *)&r, sizeof(r));
		s->next_us = now + r % period;   /* calls do not all send at once */
		s->n = 0;
		s->mapped = false;
		s->received = s->unmatched = 0;
	}
}

static void bench_wait(struct bench *b, uint64_t until_us, uint64_t now)
{
	struct epoll_event ev[64];
	uint64_t wait = until_us > now ? until_us - now : 0;
	struct timespec to = {.tv_sec = (time_t)(wait / 1000000u), .tv_nsec = (long)(wait % 1000000u) * 1000};
	int n = epoll_pwait2(b->ep, ev, 64, &to, NULL);
	now = bench_mono_us();
	for (int i = 0; i < n; i++)
		bench_drain(b, ev[i].data.ptr, now);
}

/* send the schedule of the first ncalls calls for the phase's seconds, receiving meanwhile */
static void bench_run_phase(struct bench *b, unsigned ncalls, bool relay)
{
	size_t ns = 4 * (size_t)ncalls;
	uint64_t now = bench_mono_us(), end = now + (uint64_t)b->o.seconds * 1000000u;
	bench_phase_reset(b, ns, relay, now);
	while ((now = bench_mono_us()) < end) {
		uint64_t next = end;
		for (size_t i = 0; i < ns; i++) {
			struct bench_stream *s = &b->streams[i];
			while (s->next_us <= now)
				bench_send_due(b, s);
			if (s->next_us < next)
				next = s->next_us;
		}
		bench_keepalive(b, b->nends, now);
		bench_wait(b, next, now);
	}
	uint64_t settle = bench_mono_us() + 200000u;   /* what is still on its way */
	while ((now = bench_mono_us()) < settle)
		bench_wait(b, settle, now);
}

/* --- figures --- */

#define BENCH_NQ 5
static const double bench_q[BENCH_NQ] = {0.50, 0.90, 0.99, 0.999, 1.0};

struct bench_result {
	double pps;                    /* packets sent per second */
	size_t samples;
	uint64_t sent, received, unmatched;
	double q_us[BENCH_NQ];
	double relay_cpu_pct, relay_cpu_us_per_pkt;
};

static int bench_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void bench_collect(struct bench *b, unsigned ncalls, struct bench_result *r)
{
	*r = (struct bench_result){.samples = b->s.n};
	for (size_t i = 0; i < 4 * (size_t)ncalls; i++) {
		r->sent += b->streams[i].n;
		r->received += b->streams[i].received;
		r->unmatched += b->streams[i].unmatched;
	}
	r->pps = (double)r->sent / b->o.seconds;
	qsort(b->s.ns, b->s.n, sizeof(uint32_t), bench_cmp_u32);
	for (int q = 0; q < BENCH_NQ && b->s.n; q++) {
		size_t i = (size_t)(bench_q[q] * (double)(b->s.n - 1) + 0.5);
		r->q_us[q] = b->s.ns[i] / 1000.0;
	}
}

static void bench_print_row(const char *load, const char *path, const struct bench_result *r)
{
	printf("%-10s %-7s %8.0f %9zu", load, path, r->pps, r->samples);
	for (int q = 0; q < BENCH_NQ; q++)
		printf(" %8.1f", r->q_us[q]);
	printf(" %7llu %7.1f%%", (unsigned long long)(r->sent - r->received), r->relay_cpu_pct);
	if (strcmp(path, "relay") == 0)
		printf(" %7.2f", r->relay_cpu_us_per_pkt);
	printf("\n");
}

static void bench_print_added(const char *load, const struct bench_result *d,
			      const struct bench_result *r)
{
	printf("%-10s %-7s %8s %9s", load, "added", "", "");
	for (int q = 0; q < BENCH_NQ - 1; q++)   /* not max: the maxima are single events */
		printf(" %8.1f", r->q_us[q] - d->q_us[q]);
	printf("\n");
}

/* the direct baseline, then the relay, for the first ncalls calls */
static int bench_load(struct bench *b, unsigned ncalls, const char *load)
{
	struct bench_result res[2];
	for (int relay = 0; relay < 2; relay++) {
		uint64_t cpu0 = bench_cpu_ns(RUSAGE_SELF) - bench_cpu_ns(RUSAGE_THREAD);
		bench_run_phase(b, ncalls, relay);
		uint64_t cpu = bench_cpu_ns(RUSAGE_SELF) - bench_cpu_ns(RUSAGE_THREAD) - cpu0;
		bench_collect(b, ncalls, &res[relay]);
		double secs = b->o.seconds + 0.2;
		res[relay].relay_cpu_pct = cpu / 1e7 / secs;
		res[relay].relay_cpu_us_per_pkt = res[relay].received ?
			cpu / 1e3 / (double)res[relay].received : 0;
		bench_print_row(load, relay ? "relay" : "direct", &res[relay]);
		fflush(stdout);
	}
	bench_print_added(load, &res[0], &res[1]);
	for (int i = 0; i < 2; i++) {
		if (res[i].unmatched)
			printf("  (%s: %llu packets did not match what was sent)\n", i ? "relay" : "direct",
			       (unsigned long long)res[i].unmatched);
		if (!res[i].samples)
			return EIO;
	}
	return 0;
}

/* the machine is shared: say how busy it was, for the figures' sake */
static void bench_print_load(const char *when)
{
	char line[128] = "?";
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			snprintf(line, sizeof(line), "?\n");
		fclose(f);
	}
	printf("load average %s: %s", when, line);
}

static void bench_usage(FILE *f)
{
	fprintf(f, "usage: bench_passthrough [--calls N] [--seconds S] [--workers W] [--video-kbps K]\n"
		"  the delay the relay adds per packet: 1 call, then N calls (100), each phase S s (8)\n"
		"  direct (no relay) and through the relay; W relay workers (1); K kbit/s video (600)\n");
}

static int bench_parse(struct bench_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"calls", required_argument, NULL, 'c'}, {"seconds", required_argument, NULL, 's'},
		{"workers", required_argument, NULL, 'w'}, {"video-kbps", required_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
	};
	*o = (struct bench_opts){.calls = 100, .seconds = 8, .workers = 1, .video_kbps = 600};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;
		if (c == 'c' && v >= 1 && v <= 1000)
			o->calls = (unsigned)v;
		else if (c == 's' && v >= 2 && v <= 600)
			o->seconds = (unsigned)v;
		else if (c == 'w' && v >= 1 && v <= 64)
			o->workers = (unsigned)v;
		else if (c == 'v' && v >= 50 && v <= 8000)
			o->video_kbps = (unsigned)v;
		else
			return c == 'h' ? 1 : -1;
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct bench b;
	int r = bench_parse(&b.o, argc, argv);
	if (r) {
		bench_usage(r > 0 ? stdout : stderr);
		return r > 0 ? 0 : 2;
	}
	log_set_level(LOG_WARN);
	RAND_bytes(b.payload, sizeof(b.payload));
	uint64_t t0 = bench_mono_us();
	if ((r = bench_setup(&b))) {
		fprintf(stderr, "bench: set-up of %u calls failed: %s\n", b.o.calls, strerror(r));
		bench_teardown(&b);
		return 1;
	}
	size_t frame = (size_t)b.o.video_kbps * 1000u / 8u / 30u;
	bench_print_load("at the start");
	printf("%u calls set up (ICE, DTLS) in %.1f s\n", b.o.calls, (bench_mono_us() - t0) / 1e6);
	printf("bench_passthrough: relay with %u worker(s) on %ld cores; %u s per phase (1 s warm-up)\n"
	       "per peer: audio 50 pkt/s x %d B, video 30 frames/s x %zu B (%zu packets of <= %d B)\n"
	       "delays in us, from the send call to the receiving socket (kernel timestamp)\n\n"
	       "%-10s %-7s %8s %9s %8s %8s %8s %8s %8s %7s %8s %7s\n",
	       b.o.workers, sysconf(_SC_NPROCESSORS_ONLN), b.o.seconds, BENCH_AUDIO_BYTES, frame,
	       (frame + BENCH_VIDEO_MTU - 1) / BENCH_VIDEO_MTU, BENCH_VIDEO_MTU, "load", "path",
	       "pkt/s", "samples", "p50", "p90", "p99", "p99.9", "max", "lost", "relayCPU", "us/pkt");
	char heavy[32];
	snprintf(heavy, sizeof(heavy), "%u calls", b.o.calls);
	r = bench_load(&b, 1, "1 call");
	if (!r && b.o.calls > 1)
		r = bench_load(&b, b.o.calls, heavy);
	printf("\n");
	bench_print_load("at the end");
	bench_teardown(&b);
	return r ? 1 : 0;
}

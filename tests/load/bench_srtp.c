/* bench_srtp: CPU cost of SRTP with AEAD_AES_128_GCM per packet, libsrtp2's own AES-GCM
 * (Debian builds it on NSS) against media/srtp_gcm.c's (OpenSSL), in the same run.
 *
 * A relay protects and unprotects with thousands of contexts in turn, so besides one context
 * the benchmark spreads the packets over --contexts sessions (one per leg; their keys, expanded
 * key schedules and replay windows no longer stay in the caches). Each round measures both
 * implementations in turn; the figure is the median round. Prints figures, asserts nothing.
 *
 * usage: bench_srtp [--packets N] [--size BYTES] [--contexts "1 1000"] [--rounds R]
 *                   [--only nss|openssl]   (one implementation, e.g. under perf) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include "media/srtp_gcm.h"
#include "media/srtp_session.h"

/* libsrtp2's own AES-128-GCM type: exported by libsrtp2.so, not declared by its headers */
extern const srtp_cipher_type_t srtp_aes_gcm_128;

enum { BENCH_MAX_CTX = 20000, BENCH_MAX_ROUNDS = 31, BENCH_HDR = 12 };

struct bench_opts {
	long packets;
	int size;
	int rounds;
	int ctx_counts[8];
	int nctx_counts;
	int only;                         /* -1 both, 0 NSS, 1 OpenSSL */
};

struct bench_side {
	srtp_t *tx, *rx;
	int n;
	uint16_t *seq;
};

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_create(srtp_t *s, srtp_ssrc_type_t dir, uint8_t *key)
{
	srtp_policy_t pol;
	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	pol.ssrc.type = dir;
	pol.key = key;
	pol.window_size = 1024;
	pol.allow_repeat_tx = 1;
	return srtp_create(s, &pol) == srtp_err_status_ok ? 0 : -1;
}

/* n sender/receiver pairs, each with its own random key */
static int bench_side_open(struct bench_side *b, int n)
{
	b->n = n;
	b->tx = calloc((size_t)n, sizeof(*b->tx));
	b->rx = calloc((size_t)n, sizeof(*b->rx));
	b->seq = calloc((size_t)n, sizeof(*b->seq));
	if (!b->tx || !b->rx || !b->seq)
		return -1;
	for (int i = 0; i < n; i++) {
		uint8_t key[SRTP_AES_GCM_128_KEY_LEN_WSALT];
		for (size_t k = 0; k < sizeof(key); k++)
			key[k] = (uint8_t)rand();
		if (bench_create(&b->tx[i], ssrc_any_outbound, key) ||
		    bench_create(&b->rx[i], ssrc_any_inbound, key))
			return -1;
	}
	return 0;
}

static void bench_side_close(struct bench_side *b)
{
	for (int i = 0; i < b->n; i++) {
		if (b->tx && b->tx[i])
			srtp_dealloc(b->tx[i]);
		if (b->rx && b->rx[i])
			srtp_dealloc(b->rx[i]);
	}
	free(b->tx);
	free(b->rx);
	free(b->seq);
	memset(b, 0, sizeof(*b));
}

static void bench_packet(uint8_t *p, int size, uint16_t seq, uint32_t ssrc)
{
	memset(p, 0xab, (size_t)size);
	p[0] = 0x80;
	p[1] = 96;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	memset(p + 4, 0, 4);
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
}

/* CPU seconds for `packets` protects and, separately, unprotects over the b->n pairs */
static int bench_run(struct bench_side *b, const struct bench_opts *o, double *t_prot,
		     double *t_unprot)
{
	static uint8_t buf[64][2048];
	int len[64];
	*t_prot = *t_unprot = 0;
	for (long done = 0; done < o->packets; done += 64) {
		int ctx0 = (int)((done / 64) % b->n);
		double t0 = bench_now();
		for (int i = 0; i < 64; i++) {
			int c = (ctx0 + i) % b->n;
			bench_packet(buf[i], o->size, b->seq[c]++, 0x1000u + (uint32_t)c);
			len[i] = o->size;
			if (srtp_protect(b->tx[c], buf[i], &len[i]) != srtp_err_status_ok)
				return -1;
		}
		double t1 = bench_now();
		for (int i = 0; i < 64; i++) {
			int c = (ctx0 + i) % b->n;
			if (srtp_unprotect(b->rx[c], buf[i], &len[i]) != srtp_err_status_ok ||
			    len[i] != o->size)
				return -1;
		}
		*t_prot += t1 - t0;
		*t_unprot += bench_now() - t1;
	}
	return 0;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int bench_use(int openssl)
{
	if (openssl)
		return srtp_gcm_install();
	return srtp_replace_cipher_type(&srtp_aes_gcm_128, SRTP_AES_GCM_128) ==
	       srtp_err_status_ok ? 0 : EPROTO;
}

/* one row: n contexts, both implementations, median of the rounds */
static int bench_row(const struct bench_opts *o, int n)
{
	static const char *names[2] = {"libsrtp2's own (NSS)", "srtp_gcm (OpenSSL)"};
	double prot[2][BENCH_MAX_ROUNDS], unprot[2][BENCH_MAX_ROUNDS];
	for (int r = 0; r < o->rounds; r++) {
		for (int impl = 0; impl < 2; impl++) {
			struct bench_side b = {0};
			if (o->only >= 0 && impl != o->only) {
				prot[impl][r] = unprot[impl][r] = 0;
				continue;
			}
			if (bench_use(impl) || bench_side_open(&b, n) ||
			    bench_run(&b, o, &prot[impl][r], &unprot[impl][r])) {
				fprintf(stderr, "bench_srtp: %s failed with %d contexts\n", names[impl], n);
				bench_side_close(&b);
				return -1;
			}
			bench_side_close(&b);
		}
	}
	double us[2][2];
	for (int impl = 0; impl < 2; impl++) {
		qsort(prot[impl], (size_t)o->rounds, sizeof(double), bench_cmp);
		qsort(unprot[impl], (size_t)o->rounds, sizeof(double), bench_cmp);
		us[impl][0] = prot[impl][o->rounds / 2] * 1e6 / (double)o->packets;
		us[impl][1] = unprot[impl][o->rounds / 2] * 1e6 / (double)o->packets;
		if (o->only >= 0 && impl != o->only)
			continue;
		printf("bench_srtp: %5d contexts  %-22s protect %5.2f us  unprotect %5.2f us  "
		       "both %5.2f us per %d-byte packet\n", n, names[impl], us[impl][0],
		       us[impl][1], us[impl][0] + us[impl][1], o->size);
	}
	if (o->only < 0)
		printf("bench_srtp: %5d contexts  ratio OpenSSL/NSS %.2f\n", n,
		       (us[1][0] + us[1][1]) / (us[0][0] + us[0][1]));
	return 0;
}

static int bench_opts_parse(struct bench_opts *o, int argc, char **argv)
{
	const char *counts = "1 1000";
	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--packets") && v)
			o->packets = atol(v);
		else if (!strcmp(argv[i], "--size") && v)
			o->size = atoi(v);
		else if (!strcmp(argv[i], "--rounds") && v)
			o->rounds = atoi(v);
		else if (!strcmp(argv[i], "--contexts") && v)
			counts = v;
		else if (!strcmp(argv[i], "--only") && v && (!strcmp(v, "nss") || !strcmp(v, "openssl")))
			o->only = !strcmp(v, "openssl");
		else
			return -1;
	}
	for (char *end; *counts && o->nctx_counts < 8; counts = end) {
		long n = strtol(counts, &end, 10);
		if (end == counts || n < 1 || n > BENCH_MAX_CTX)
			return -1;
		o->ctx_counts[o->nctx_counts++] = (int)n;
		while (*end == ' ')
			end++;
	}
	return o->packets >= 64 && o->size >= BENCH_HDR && o->size <= 1400 && o->rounds >= 1 &&
	       o->rounds <= BENCH_MAX_ROUNDS && o->nctx_counts ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {.packets = 200000, .size = 1200, .rounds = 5, .only = -1};
	if (bench_opts_parse(&o, argc, argv)) {
		fprintf(stderr, "usage: bench_srtp [--packets N>=64] [--size 12..1400] "
				"[--contexts \"1 1000\"] [--rounds 1..31] [--only nss|openssl]\n");
		return 2;
	}
	if (srtp_session_global_init()) {  /* NSS opened as rapportd opens it */
		fprintf(stderr, "bench_srtp: libsrtp2 initialisation failed\n");
		return 1;
	}
	for (int i = 0; i < o.nctx_counts; i++) {
		if (bench_row(&o, o.ctx_counts[i]))
			return 1;
	}
	return 0;
}

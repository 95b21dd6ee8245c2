/* rapport-impair: command-line options, from tables (one row per impairment). */
#include "tests/load/impair.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (imp_parse_h)(struct imp_dir_cfg *c, size_t off, const char *arg);

struct imp_dopt {
	const char *name, *arg, *help;
	imp_parse_h *parse;
	size_t off;
};

static const char *const imp_prefixes[] = {"", "up-", "down-"};   /* both, up, down */
#define IMP_NPREFIX 3

static int imp_num(const char *s, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v) || v < 0 || v > max)
		return EINVAL;
	*out = v;
	return 0;
}

static int imp_parse_pct(struct imp_dir_cfg *c, size_t off, const char *arg)
{
	return imp_num(arg, 100, (double *)((char *)c + off));
}

static int imp_parse_num(struct imp_dir_cfg *c, size_t off, const char *arg)
{
	return imp_num(arg, 1e9, (double *)((char *)c + off));
}

/* up to n comma-separated percentages; the first `need` are required */
static int imp_pct_list(const char *arg, double *v, int n, int need)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", arg);
	int i = 0;
	for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (i == n || imp_num(t, 1e9, &v[i]))
			return EINVAL;
		i++;
	}
	return i >= need ? 0 : EINVAL;
}

static int imp_parse_ge(struct imp_dir_cfg *c, size_t off, const char *arg)
{
	double v[4] = {0, 0, 100, 0};
	(void)off;
	if (imp_pct_list(arg, v, 4, 2) || v[0] > 100 || v[1] > 100 || v[2] > 100 || v[3] > 100)
		return EINVAL;
	c->ge = true;
	c->ge_p = v[0];
	c->ge_r = v[1];
	c->ge_h = v[2];
	c->ge_k = v[3];
	return 0;
}

static int imp_parse_reorder(struct imp_dir_cfg *c, size_t off, const char *arg)
{
	double v[2] = {0, c->reorder_ms};
	(void)off;
	if (imp_pct_list(arg, v, 2, 1) || v[0] > 100)
		return EINVAL;
	c->reorder = v[0];
	c->reorder_ms = v[1];
	return 0;
}

static int imp_parse_dist(struct imp_dir_cfg *c, size_t off, const char *arg)
{
	(void)off;
	if (strcmp(arg, "uniform") && strcmp(arg, "normal"))
		return EINVAL;
	c->normal = !strcmp(arg, "normal");
	return 0;
}

static const struct imp_dopt imp_dopts[] = {
	{"loss", "PCT", "drop PCT % of the packets at random", imp_parse_pct,
	 offsetof(struct imp_dir_cfg, loss)},
	{"ge", "P,R[,H[,K]]", "Gilbert-Elliott bursts: P % good->bad, R % bad->good,\n"
	 "                                 H % lost in bad (100), K % lost in good (0)",
	 imp_parse_ge, 0},
	{"delay", "MS", "fixed delay", imp_parse_num, offsetof(struct imp_dir_cfg, delay_ms)},
	{"jitter", "MS", "jitter: uniform in [-MS, +MS], or normal with sigma MS", imp_parse_num,
	 offsetof(struct imp_dir_cfg, jitter_ms)},
	{"jitter-dist", "uniform|normal", "jitter distribution (uniform)", imp_parse_dist, 0},
	{"reorder", "PCT[,MS]", "give PCT % of the packets MS (20) extra delay", imp_parse_reorder,
	 0},
	{"dup", "PCT", "send PCT % of the packets twice", imp_parse_pct,
	 offsetof(struct imp_dir_cfg, dup)},
	{"rate", "KBIT", "rate limit in kbit/s (none)", imp_parse_num,
	 offsetof(struct imp_dir_cfg, rate_kbit)},
	{"queue", "MS", "queue limit behind the rate limit (100)", imp_parse_num,
	 offsetof(struct imp_dir_cfg, queue_ms)},
};
#define IMP_NDOPTS (sizeof(imp_dopts) / sizeof(imp_dopts[0]))

enum { IMP_O_LISTEN = 1, IMP_O_TARGET, IMP_O_SEED, IMP_O_STATS, IMP_O_QMAX, IMP_O_HELP,
       IMP_O_DIR = 256 };

static void imp_usage(FILE *f)
{
	fprintf(f, "usage: rapport-impair --listen [IP:]PORT --target IP:PORT [options]\n"
		"  relays UDP from clients of the listening address to the target and the\n"
		"  target's replies back to the last client, impaired per direction\n\n"
		"  --seed N            PRNG seed (1): equal seeds, equal decisions\n"
		"  --stats-every S     print the counters every S seconds (SIGINT, SIGTERM and\n"
		"                      SIGUSR1 print them too)\n"
		"  --queue-max N       packets held in the delay queue at once (8192)\n\n"
		"  impairments, for both directions, or one with the prefix up- (client to\n"
		"  target) or down- (target to client), e.g. --up-loss 5 --down-delay 40:\n");
	for (size_t i = 0; i < IMP_NDOPTS; i++)
		fprintf(f, "  --%-12s %-15s %s\n", imp_dopts[i].name, imp_dopts[i].arg,
			imp_dopts[i].help);
}

static int imp_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64] = "127.0.0.1";
	const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
	if (colon) {
		size_t hl = (size_t)(colon - s);
		const char *h = s;
		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (hl == 0 || hl >= sizeof(host))
			return EINVAL;
		memcpy(host, h, hl);
		host[hl] = '\0';
	}
	char *end;
	unsigned long p = strtoul(port, &end, 10);
	if (!*port || *end || p > 65535)
		return EINVAL;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		*len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*a6);
	} else {
		return EINVAL;
	}
	return 0;
}

static int imp_global(struct imp_opts *o, int id, const char *arg)
{
	double v;
	switch (id) {
	case IMP_O_LISTEN: return imp_addr(arg, &o->listen, &o->listen_len);
	case IMP_O_TARGET: return imp_addr(arg, &o->target, &o->target_len);
	case IMP_O_SEED: o->seed = strtoull(arg, NULL, 0); return 0;
	case IMP_O_STATS:
		if (imp_num(arg, 86400, &v))
			return EINVAL;
		o->stats_every_s = (unsigned)v;
		return 0;
	case IMP_O_QMAX:
		if (imp_num(arg, 1 << 20, &v) || v < 16)
			return EINVAL;
		o->queue_max = (uint32_t)v;
		return 0;
	}
	return EINVAL;
}

static int imp_dir_opt(struct imp_opts *o, int val, const char *arg)
{
	const struct imp_dopt *d = &imp_dopts[(val - IMP_O_DIR) / IMP_NPREFIX];
	int prefix = (val - IMP_O_DIR) % IMP_NPREFIX;
	for (int dir = 0; dir < IMP_NDIRS; dir++)
		if ((prefix == 0 || prefix == dir + 1) && d->parse(&o->dir[dir], d->off, arg))
			return EINVAL;
	return 0;
}

int imp_opts_parse(struct imp_opts *o, int argc, char **argv)
{
	static char names[IMP_NDOPTS * IMP_NPREFIX][32];
	static struct option longopts[IMP_NDOPTS * IMP_NPREFIX + 8] = {
		{"listen", required_argument, NULL, IMP_O_LISTEN},
		{"target", required_argument, NULL, IMP_O_TARGET},
		{"seed", required_argument, NULL, IMP_O_SEED},
		{"stats-every", required_argument, NULL, IMP_O_STATS},
		{"queue-max", required_argument, NULL, IMP_O_QMAX},
		{"help", no_argument, NULL, IMP_O_HELP},
	};
	size_t n = 6;
	for (size_t i = 0; i < IMP_NDOPTS; i++) {
		for (int p = 0; p < IMP_NPREFIX; p++, n++) {
			snprintf(names[n - 6], sizeof(names[0]), "%s%s", imp_prefixes[p], imp_dopts[i].name);
			longopts[n] = (struct option){names[n - 6], required_argument, NULL,
						      IMP_O_DIR + (int)(i * IMP_NPREFIX) + p};
		}
	}
	*o = (struct imp_opts){.seed = 1, .queue_max = 8192};
	for (int d = 0; d < IMP_NDIRS; d++)
		o->dir[d] = (struct imp_dir_cfg){.ge_h = 100, .reorder_ms = 20, .queue_ms = 100};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == IMP_O_HELP) {
			imp_usage(stdout);
			return -1;
		}
		int err = c >= IMP_O_DIR ? imp_dir_opt(o, c, optarg)
			: c > 0 && c < IMP_O_DIR ? imp_global(o, c, optarg) : EINVAL;
		if (err) {
			if (c >= IMP_O_DIR || (c >= IMP_O_LISTEN && c <= IMP_O_HELP))
				fprintf(stderr, "rapport-impair: bad value for --%s: %s\n",
					longopts[c >= IMP_O_DIR ? 6 + c - IMP_O_DIR : c - 1].name, optarg);
			imp_usage(stderr);
			return EINVAL;
		}
	}
	if (!o->listen_len || !o->target_len || optind < argc) {
		fprintf(stderr, "rapport-impair: --listen and --target are needed\n");
		imp_usage(stderr);
		return EINVAL;
	}
	return 0;
}

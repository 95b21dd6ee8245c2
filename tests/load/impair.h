/* rapport-impair: shared between the relay (impair.c) and its options (impair_opts.c). */
#ifndef TESTS_LOAD_IMPAIR_H
#define TESTS_LOAD_IMPAIR_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

enum imp_dir_id { IMP_UP, IMP_DOWN, IMP_NDIRS };   /* up: client → target */

struct imp_dir_cfg {
	double loss;                   /* % */
	bool ge;
	double ge_p, ge_r, ge_h, ge_k; /* %: good→bad, bad→good, loss in bad, loss in good */
	double delay_ms, jitter_ms;
	bool normal;                   /* jitter: normal with σ = jitter_ms, else uniform ± */
	double reorder, reorder_ms;    /* % of packets given reorder_ms extra delay */
	double dup;                    /* % */
	double rate_kbit, queue_ms;    /* 0 = no rate limit; queue limit for it */
};

struct imp_opts {
	struct sockaddr_storage listen, target;
	socklen_t listen_len, target_len;
	struct imp_dir_cfg dir[IMP_NDIRS];
	uint64_t seed;
	unsigned stats_every_s;
	uint32_t queue_max;            /* packets held at once (both directions) */
};

/* 0, -1 after --help, or EINVAL (a message is printed) */
int imp_opts_parse(struct imp_opts *o, int argc, char **argv);

#endif

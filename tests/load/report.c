/* report: the load generator's measurements: /proc samples of the relay under test at the
 * edges of the measured window, per-kind sums over every received stream, and the summary
 * (a JSON line on stdout for scripts, a table on stderr for people). */
#include "tests/load/lg.h"
#include "base/clock.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *const lg_kind_names[PEER_NKINDS] = {"audio", "video"};
static const char *const lg_scenario_names[] = {
	[LG_SC_AUDIO] = "audio", [LG_SC_AV] = "av", [LG_SC_INTERPRETER] = "interpreter",
};

/* utime + stime of every thread of pid, in seconds */
static bool lg_proc_cpu_s(int pid, double *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long ut, st;
	/* after "pid (comm)": state and ten more fields, then utime and stime (fields 14, 15) */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return false;
	*out = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return true;
}

long lg_proc_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

void lg_sample_take(struct lg *lg, int relay_pid, struct lg_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->t_us = clock_us();
	if (relay_pid > 0) {
		s->relay_ok = lg_proc_cpu_s(relay_pid, &s->relay_cpu_s);
		s->relay_rss_kb = lg_proc_rss_kb(relay_pid);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	s->gen_cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	for (unsigned c = 0; c < lg->ncalls; c++) {
		for (unsigned i = 0; i < lg->calls[c].nlegs; i++) {
			struct peer *p = lg->calls[c].leg[i].p;
			for (int k = 0; p && k < PEER_NKINDS; k++) {
				for (unsigned r = 0; r < peer_rx_count(p, k); r++)
					s->rx_pkts += peer_rx_stream(p, k, r)->packets;
				s->tx_pkts += peer_stats(p)->tx_packets[k];
			}
		}
	}
}

/* every stream of a kind that the legs received (one per SSRC). A stream that carried nothing
 * in the window is "silent" (e.g. the further audio m-lines in simultaneous mode, which carry
 * nobody once the mix takes over) and counts neither in loss nor in jitter. Unstamped
 * streams (a relay's own mix) have loss and jitter (from RTP timestamps) but no delay.
 * Audio loss is the larger of loss by sequence number and frames missing by RTP timestamp: a
 * mix that skips ticks under load keeps its sequence numbers gapless but not its timestamps
 * (rapportd's cmix carries a skip into them), and a listener misses those 20 ms all the same. */
struct lg_kind_sum {
	uint64_t expected, lost, streams, silent, unstamped, received, ts_lost;
	uint64_t seq_expected, seq_lost;     /* by sequence number alone */
	double jitter_sum, jitter_max, worst_loss;
};

static void lg_sum_stream(struct lg_kind_sum *s, const struct rxstats *r)
{
	uint64_t exp = rxstats_expected(r), lost = rxstats_lost(r);
	uint64_t ts_exp = rxstats_ts_expected(r), ts_lost = rxstats_ts_lost(r);
	s->streams++;
	if (!exp) {
		s->silent++;
		return;
	}
	s->received += exp - lost;
	s->ts_lost += ts_lost;
	s->seq_expected += exp;
	s->seq_lost += lost;
	if (ts_lost > lost) {
		exp = ts_exp;
		lost = ts_lost;
	}
	s->unstamped += !r->stamped;
	s->expected += exp;
	s->lost += lost;
	s->jitter_sum += r->jitter_us;
	if (r->jitter_us > s->jitter_max)
		s->jitter_max = r->jitter_us;
	double pct = 100.0 * (double)lost / (double)exp;
	if (pct > s->worst_loss)
		s->worst_loss = pct;
}

static void lg_sum_kind(struct lg *lg, enum peer_kind k, struct lg_kind_sum *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned c = 0; c < lg->ncalls; c++) {
		struct lg_call *call = &lg->calls[c];
		for (unsigned i = 0; call->setup_ok && i < call->nlegs; i++)
			for (unsigned r = 0; r < peer_rx_count(call->leg[i].p, k); r++)
				lg_sum_stream(s, peer_rx_stream(call->leg[i].p, k, r));
	}
}

struct lg_counters {
	uint64_t nack_tx, nack_rx, rtx_tx, rtx_rx, pli_rx, keyframes, unprotect_fail, tx_errors;
	uint64_t renegotiations, rtx_unmapped;
	uint64_t rx_clear;
	const char *profile;
};

static void lg_count(struct lg *lg, struct lg_counters *n)
{
	memset(n, 0, sizeof(*n));
	n->profile = "none";
	for (unsigned c = 0; c < lg->ncalls; c++) {
		for (unsigned i = 0; i < lg->calls[c].nlegs; i++) {
			struct lg_leg *l = &lg->calls[c].leg[i];
			if (!l->p)
				continue;
			const struct peer_stats *st = peer_stats(l->p);
			n->nack_tx += st->nack_tx;
			n->nack_rx += st->nack_rx;
			n->rtx_tx += st->rtx_tx;
			n->rtx_rx += st->rtx_rx;
			n->pli_rx += st->pli_rx + st->fir_rx;
			n->keyframes += l->keyframes;
			n->unprotect_fail += st->unprotect_fail;
			n->tx_errors += st->tx_errors;
			n->renegotiations += st->renegotiations;
			n->rtx_unmapped += st->rtx_unmapped;
			n->rx_clear += st->rx_clear;
			if (peer_connected(l->p))
				n->profile = peer_srtp_profile(l->p);
		}
	}
}

static json_t *lg_kind_json(const struct lg_kind_sum *s, const struct rxhist *h, double dur)
{
	double loss = s->expected ? 100.0 * (double)s->lost / (double)s->expected : 0;
	uint64_t live = s->streams - s->silent;
	return json_pack("{s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:f, s:f, s:f}",
			 "streams", (json_int_t)s->streams, "silent", (json_int_t)s->silent,
			 "pps_per_stream", live && dur > 0 ? (double)s->received / dur / (double)live : 0.0,
			 "ts_lost", (json_int_t)s->ts_lost, "seq_expected", (json_int_t)s->seq_expected,
			 "seq_lost", (json_int_t)s->seq_lost,
			 "unstamped", (json_int_t)s->unstamped, "delay_samples", (json_int_t)h->n,
			 "expected", (json_int_t)s->expected, "lost", (json_int_t)s->lost,
			 "loss_pct", loss, "worst_stream_loss_pct", s->worst_loss,
			 "delay_p50_us", (json_int_t)rxhist_quantile(h, 0.5),
			 "delay_p99_us", (json_int_t)rxhist_quantile(h, 0.99),
			 "delay_max_us", (json_int_t)h->max_us,
			 "delay_mean_us", h->n ? (double)h->sum_us / (double)h->n : 0.0,
			 "jitter_mean_us", s->streams ? s->jitter_sum / (double)s->streams : 0.0,
			 "jitter_max_us", s->jitter_max);
}

static void lg_table(const struct lg *lg, const struct lg_run *run, json_t *j)
{
	fprintf(stderr, "\n%s, %s scenario, %u calls requested: %u set up, %u legs connected "
		"(SRTP %s)\n", lg->be->name, lg_scenario_names[lg->o.scenario], lg->o.calls,
		run->calls_ok, run->legs_connected,
		json_string_value(json_object_get(j, "srtp")));
	fprintf(stderr, "  %-6s %9s %9s %8s %10s %10s %10s %10s\n", "kind", "expected", "lost",
		"loss%", "delay p50", "delay p99", "delay max", "jitter");
	for (int k = 0; k < PEER_NKINDS; k++) {
		json_t *o = json_object_get(j, lg_kind_names[k]);
		if (!json_integer_value(json_object_get(o, "streams")))
			continue;
		fprintf(stderr, "  %-6s %9lld %9lld %8.4f %8lldus %8lldus %8lldus %8.1fus\n",
			lg_kind_names[k], json_integer_value(json_object_get(o, "expected")),
			json_integer_value(json_object_get(o, "lost")),
			json_real_value(json_object_get(o, "loss_pct")),
			json_integer_value(json_object_get(o, "delay_p50_us")),
			json_integer_value(json_object_get(o, "delay_p99_us")),
			json_integer_value(json_object_get(o, "delay_max_us")),
			json_real_value(json_object_get(o, "jitter_mean_us")));
	}
	json_t *r = json_object_get(j, "relay");
	fprintf(stderr, "  forwarded %.0f pkt/s; relay CPU %.3f us/pkt (%.1f%% of a core), "
		"RSS %+.1f kB per leg; generator CPU %.1f%%, schedule late avg %.0f us max %lld us\n",
		json_real_value(json_object_get(j, "fwd_pps")),
		json_real_value(json_object_get(r, "cpu_us_per_pkt")),
		json_real_value(json_object_get(r, "cpu_pct")),
		json_real_value(json_object_get(r, "rss_per_leg_kb")),
		json_real_value(json_object_get(j, "gen_cpu_pct")),
		json_real_value(json_object_get(j, "late_avg_us")),
		json_integer_value(json_object_get(j, "late_max_us")));
}

/* per leg: per connected peer (a Janus interpreter call has 9, rapportd's 3); per call: per
 * call set up, the figure to compare across relays */
static json_t *lg_relay_json(const struct lg_run *run, double dur, uint64_t fwd)
{
	const struct lg_sample *a = &run->open, *b = &run->close;
	double cpu = a->relay_ok && b->relay_ok ? b->relay_cpu_s - a->relay_cpu_s : -1;
	unsigned legs = run->legs_connected ? run->legs_connected : 1;
	unsigned calls = run->calls_ok ? run->calls_ok : 1;
	double rss = run->relay_rss_base_kb > 0 && b->relay_rss_kb > 0 ?
		(double)(b->relay_rss_kb - run->relay_rss_base_kb) : -1;
	double pct = cpu >= 0 && dur > 0 ? 100.0 * cpu / dur : -1.0;
	return json_pack("{s:i, s:f, s:f, s:f, s:f, s:I, s:I, s:f, s:f}", "pid", run->relay_pid,
			 "cpu_s", cpu, "cpu_pct", pct,
			 "cpu_pct_per_call", pct >= 0 ? pct / calls : -1.0,
			 "cpu_us_per_pkt", cpu >= 0 && fwd ? cpu * 1e6 / (double)fwd : -1.0,
			 "rss_base_kb", (json_int_t)run->relay_rss_base_kb,
			 "rss_kb", (json_int_t)b->relay_rss_kb,
			 "rss_per_leg_kb", rss >= 0 ? rss / legs : -1.0,
			 "rss_per_call_kb", rss >= 0 ? rss / calls : -1.0);
}

void lg_report(struct lg *lg, const struct lg_run *run)
{
	double dur = (double)(run->close.t_us - run->open.t_us) / 1e6;
	uint64_t fwd = run->close.rx_pkts - run->open.rx_pkts;
	struct lg_kind_sum ks[PEER_NKINDS], all = {0};
	struct rxhist *both = calloc(1, sizeof(*both));
	struct lg_counters n;
	if (!both)
		return;
	lg_count(lg, &n);
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:I, s:f}",
		"label", lg->o.label ? lg->o.label : "", "backend", lg->be->name,
		"scenario", lg_scenario_names[lg->o.scenario], "calls", (json_int_t)lg->o.calls,
		"calls_ok", (json_int_t)run->calls_ok, "legs_connected", (json_int_t)run->legs_connected,
		"setup_failed", (json_int_t)run->setup_failed, "setup_s", run->setup_s,
		"connect_s", run->connect_s, "window_s", dur,
		"fwd_pps", dur > 0 ? (double)fwd / dur : 0.0, "fwd_pkts", (json_int_t)fwd,
		"gen_cpu_pct", dur > 0 ? 100.0 * (run->close.gen_cpu_s - run->open.gen_cpu_s) / dur : 0.0);
	for (int k = 0; k < PEER_NKINDS; k++) {
		lg_sum_kind(lg, k, &ks[k]);
		json_object_set_new(j, lg_kind_names[k], lg_kind_json(&ks[k], &lg->hist[k], dur));
		rxhist_merge(both, &lg->hist[k]);
		all.expected += ks[k].expected;
		all.lost += ks[k].lost;
	}
	json_object_set_new(j, "loss_pct", json_real(all.expected ? 100.0 * (double)all.lost /
						     (double)all.expected : 100.0));
	json_object_set_new(j, "delay_p50_us", json_integer((json_int_t)rxhist_quantile(both, 0.5)));
	json_object_set_new(j, "delay_p99_us", json_integer((json_int_t)rxhist_quantile(both, 0.99)));
	json_object_set_new(j, "relay", lg_relay_json(run, dur, fwd));
	json_object_set_new(j, "srtp", json_string(n.profile));
	json_object_set_new(j, "late_avg_us", json_real(lg->late_n ? (double)lg->late_sum_us /
							(double)lg->late_n : 0.0));
	json_object_set_new(j, "late_max_us", json_integer((json_int_t)lg->late_max_us));
	json_object_set_new(j, "counters", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"renegotiations", (json_int_t)n.renegotiations,
		"rtx_unmapped", (json_int_t)n.rtx_unmapped,
		"nack_tx", (json_int_t)n.nack_tx, "nack_rx", (json_int_t)n.nack_rx,
		"rtx_tx", (json_int_t)n.rtx_tx, "rtx_rx", (json_int_t)n.rtx_rx,
		"pli_rx", (json_int_t)n.pli_rx, "keyframes_sent", (json_int_t)n.keyframes,
		"unprotect_fail", (json_int_t)n.unprotect_fail, "tx_errors", (json_int_t)n.tx_errors));
	json_object_set_new(j, "unprotect_every", json_integer(lg->o.unprotect_every));
	json_object_set_new(j, "send_grid_us", json_integer(lg->o.send_grid_us));
	json_object_set_new(j, "rx_header_only", json_integer((json_int_t)n.rx_clear));
	/* shared sockets (lg_socks.c): how many, and datagrams that reached none of their legs */
	json_object_set_new(j, "leg_sockets", json_integer(lg->nsocks ? (json_int_t)lg->nsocks :
		(json_int_t)run->legs_connected));
	json_object_set_new(j, "rx_stray", json_integer((json_int_t)lg_socks_stray(lg)));
	if (*run->first_error)
		json_object_set_new(j, "first_error", json_string(run->first_error));
	char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
	if (text)
		printf("%s\n", text);
	fflush(stdout);
	if (!lg->o.quiet)
		lg_table(lg, run, j);
	free(text);
	json_decref(j);
	free(both);
}

/* loadgen: opens N simultaneous calls through a WebRTC relay (rapportd, Janus VideoCall, or
 * rapport's media relay in a child process), sends Opus at 50 packets/s and VP8 at the chosen
 * bitrate on every leg, answers NACK and PLI, and measures what every leg receives: packets,
 * loss, one-way delay through the relay and jitter. Single-threaded, one epoll.
 *
 * Scenarios: audio and av are 1:1 calls (two legs); interpreter has three parties (customer,
 * agent, interpreter) in simultaneous mode: each party receives the two others' video
 * (forwarded) and one mixed audio stream (rapportd: its mixer with ducking; Janus: AudioBridge).
 *
 *   loadgen --backend janus --port 8188 --calls 50 --scenario av --duration 10
 *
 * Phases: set up every call (signalling), wait for ICE + DTLS on every leg, start sending,
 * warm up, measure for --duration seconds, stop, drain, report (tests/load/report.c). */
#include "tests/load/lg.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "media/dtls.h"
#include "media/srtp_session.h"
#include "tests/load/frames.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#define LG_DRAIN_MS 500

static const struct lg_backend *const lg_backends[] = {
	&lg_backend_rapport, &lg_backend_janus, &lg_backend_inproc,
};

static void lg_usage(void)
{
	fprintf(stderr,
		"usage: loadgen [options]\n"
		"  --backend rapport|janus|inproc  relay under test (default inproc: rapport's media\n"
		"                                  relay in a child process, no signalling server)\n"
		"  --host IP --port N            signalling server (rapportd /ws, Janus WebSocket)\n"
		"  --bind IP                     the legs' UDP address (default 127.0.0.1)\n"
		"  --calls N                     simultaneous calls (default 1)\n"
		"  --scenario audio|av|interpreter  (default av)\n"
		"  --video-kbps N                VP8 bitrate (default 1000)\n"
		"  --video-loop-ms N             length of the encoded video loop (default 10000)\n"
		"  --warmup S --duration S       seconds before and of the measurement (2, 10)\n"
		"  --setup-timeout S             for all calls to connect (default 30)\n"
		"  --relay-pid PID               process to sample in /proc (CPU, RSS)\n"
		"  --relay-cpu N                 inproc: pin the relay child to CPU N\n"
		"  --relay-prio nice:N|rr:P      inproc: the relay child's scheduling (default: the\n"
		"                                normal scheduler, nice 0, whatever loadgen runs with)\n"
		"  --agent-user FMT --agent-pass P  rapportd agent accounts (FMT e.g. agent%%u)\n"
		"  --interp-user FMT             rapportd interpreter accounts (default interp%%u;\n"
		"                                password: --agent-pass)\n"
		"  --language CODE               rapportd: the customers' language (default: the\n"
		"                                server's first; interpreter scenario: es)\n"
		"  --unprotect-every K           SRTP-unprotect every K-th received RTP packet of a\n"
		"                                stream (and all RTX, RTCP) for the delay stamp; the\n"
		"                                rest count for loss from their header (default 8)\n"
		"  --send-grid-us N              run the send schedule on an N us grid (default 250;\n"
		"                                0: wake for every due packet)\n"
		"  --legs-per-socket N           legs sharing one UDP socket, each with its own local\n"
		"                                address 127.x.y.z (default 256; 1: a socket per leg;\n"
		"                                a --bind outside 127/8 always gets a socket per leg)\n"
		"  --gso                         send a video frame's packets in one UDP GSO send instead\n"
		"                                of sendmmsg (the same datagrams reach the relay, but as\n"
		"                                segments: see docs/performance.md); implies\n"
		"                                --legs-per-socket 1\n"
		"  --label TEXT --quiet\n");
}

static int lg_parse_scenario(const char *s, enum lg_scenario *out)
{
	static const char *const names[] = {"audio", "av", "interpreter"};
	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum lg_scenario)i;
			return 0;
		}
	return EINVAL;
}

static int lg_parse_opts(struct lg_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"backend", 1, 0, 'b'}, {"host", 1, 0, 'H'}, {"port", 1, 0, 'p'}, {"bind", 1, 0, 'B'},
		{"calls", 1, 0, 'n'}, {"scenario", 1, 0, 's'}, {"video-kbps", 1, 0, 'k'},
		{"video-loop-ms", 1, 0, 'L'}, {"warmup", 1, 0, 'w'}, {"duration", 1, 0, 'd'},
		{"setup-timeout", 1, 0, 'T'}, {"relay-pid", 1, 0, 'P'}, {"agent-user", 1, 0, 'u'},
		{"agent-pass", 1, 0, 'x'}, {"relay-cpu", 1, 0, 'C'}, {"interp-user", 1, 0, 'i'},
		{"language", 1, 0, 'g'}, {"unprotect-every", 1, 0, 'U'}, {"send-grid-us", 1, 0, 'G'},
		{"relay-prio", 1, 0, 'R'}, {"label", 1, 0, 'l'}, {"quiet", 0, 0, 'q'},
		{"gso", 0, 0, 'S'}, {"legs-per-socket", 1, 0, 'K'},
		{"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	*o = (struct lg_opts){.backend = "inproc", .host = "127.0.0.1", .bind_ip = "127.0.0.1",
			      .calls = 1, .scenario = LG_SC_AV, .video_kbps = 1000,
			      .video_loop_ms = 10000, .warmup_s = 2, .duration_s = 10,
			      .setup_timeout_s = 30, .relay_pid = -1, .relay_cpu = -1, .agent_user = "agent%u",
			      .agent_pass = "", .interp_user = "interp%u", .unprotect_every = 8,
			      .send_grid_us = 250, .legs_per_sock = 256};
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': o->backend = optarg; break;
		case 'H': o->host = optarg; break;
		case 'p': o->port = (unsigned)atoi(optarg); break;
		case 'B': o->bind_ip = optarg; break;
		case 'n': o->calls = (unsigned)atoi(optarg); break;
		case 's': if (lg_parse_scenario(optarg, &o->scenario)) return EINVAL; break;
		case 'k': o->video_kbps = (unsigned)atoi(optarg); break;
		case 'L': o->video_loop_ms = (unsigned)atoi(optarg); break;
		case 'w': o->warmup_s = (unsigned)atoi(optarg); break;
		case 'd': o->duration_s = (unsigned)atoi(optarg); break;
		case 'T': o->setup_timeout_s = (unsigned)atoi(optarg); break;
		case 'P': o->relay_pid = atoi(optarg); break;
		case 'C': o->relay_cpu = atoi(optarg); break;
		case 'R': o->relay_prio = optarg; break;
		case 'u': o->agent_user = optarg; break;
		case 'x': o->agent_pass = optarg; break;
		case 'i': o->interp_user = optarg; break;
		case 'g': o->language = optarg; break;
		case 'l': o->label = optarg; break;
		case 'q': o->quiet = true; break;
		case 'U': o->unprotect_every = (unsigned)atoi(optarg); break;
		case 'G': o->send_grid_us = (unsigned)atoi(optarg); break;
		case 'S': o->gso = true; break;
		case 'K': o->legs_per_sock = (unsigned)atoi(optarg); break;
		default: return EINVAL;
		}
	}
	if (!o->language && o->scenario == LG_SC_INTERPRETER)
		o->language = "es";
	if (o->gso)
		o->legs_per_sock = 1;    /* GSO is per peer on its own socket (peer_tx.c) */
	return o->calls && o->duration_s && o->unprotect_every && o->legs_per_sock &&
	       optind == argc ? 0 : EINVAL;
}

static void lg_leg_on_io(struct lg_io *io, uint32_t events)
{
	struct lg_leg *l = (struct lg_leg *)io;
	(void)events;
	peer_recv(l->p);
}

unsigned lg_default_plan(const struct lg *lg, struct lg_leg_plan plan[LG_MAX_LEGS])
{
	bool video = lg->o.scenario != LG_SC_AUDIO;
	unsigned n = lg->o.scenario == LG_SC_INTERPRETER ? LG_PARTIES : 2;
	for (unsigned i = 0; i < n; i++)
		plan[i] = (struct lg_leg_plan){.party = (enum lg_party)i, .send = {true, video},
					       .offer = {true, video}};
	if (lg->o.scenario == LG_SC_INTERPRETER)   /* it joins a running call: two to receive */
		plan[LG_INTERPRETER].recvonly[PEER_AUDIO] = plan[LG_INTERPRETER].recvonly[PEER_VIDEO] = 1;
	return n;
}

/* the call's peers as planned, their sockets in the epoll set (signalling may need them up) */
static int lg_call_alloc_legs(struct lg *lg, struct lg_call *c)
{
	struct lg_leg_plan plan[LG_MAX_LEGS];
	c->nlegs = lg->be->plan ? lg->be->plan(lg, plan) : lg_default_plan(lg, plan);
	for (unsigned i = 0; i < c->nlegs; i++) {
		struct lg_leg *l = &c->leg[i];
		*l = (struct lg_leg){.io.h = lg_leg_on_io, .call = c, .idx = i, .party = plan[i].party,
				     .send = {plan[i].send[0], plan[i].send[1]}};
		bool shared = lg_socks_shared(lg);
		int e = shared ? lg_socks_peer(lg, &l->p) : peer_alloc(&l->p, lg->cert, lg->o.bind_ip);
		if (e)
			return e;
		peer_set_media(l->p, plan[i].offer[PEER_AUDIO], plan[i].offer[PEER_VIDEO]);
		peer_set_recvonly(l->p, plan[i].recvonly[PEER_AUDIO], plan[i].recvonly[PEER_VIDEO]);
		peer_set_auto_nack(l->p, true);
		peer_set_rx_sample(l->p, lg->o.unprotect_every);
		if (!shared && (e = lg_io_add_edge(lg, peer_fd(l->p), &l->io)))
			return e;
		l->io_added = !shared;
	}
	return 0;
}

int lg_legs_connect(struct lg *lg, struct lg_call *c, unsigned mask, unsigned timeout_ms)
{
	uint64_t end = clock_ms() + timeout_ms;
	for (unsigned k = 0; k < c->nlegs; k++) {
		int e = mask & 1u << k && !peer_started(c->leg[k].p) ? peer_start(c->leg[k].p) : 0;
		if (e)
			return e;
	}
	for (;;) {
		unsigned pending = 0;
		for (unsigned k = 0; k < c->nlegs; k++) {
			if (!(mask & 1u << k))
				continue;
			if (peer_failed(c->leg[k].p))
				return EPROTO;
			pending += !peer_connected(c->leg[k].p);
		}
		if (!pending)
			return 0;
		if (clock_ms() >= end)
			return ETIMEDOUT;
		lg_pump(lg, 10);
	}
}

/* signal every call; the legs of a call that is set up start ICE at once */
static void lg_setup_calls(struct lg *lg, struct lg_run *run)
{
	uint64_t t0 = clock_us();
	for (unsigned i = 0; i < lg->ncalls; i++) {
		struct lg_call *c = &lg->calls[i];
		c->lg = lg;
		c->idx = i;
		int e = lg_call_alloc_legs(lg, c);
		if (e)
			snprintf(c->error, sizeof(c->error), "peer: %s", strerror(e));
		else
			e = lg->be->call_setup(lg, lg->bstate, c);
		for (unsigned k = 0; !e && k < c->nlegs; k++)
			if (!peer_started(c->leg[k].p))
				e = peer_start(c->leg[k].p);
		c->setup_ok = !e;
		if (e) {
			run->setup_failed++;
			if (!*run->first_error)
				snprintf(run->first_error, sizeof(run->first_error), "call %u: %s", i,
					 *c->error ? c->error : strerror(e));
		}
		lg_pump(lg, 0);
	}
	run->setup_s = (double)(clock_us() - t0) / 1e6;
}

static bool lg_call_connected(const struct lg_call *c)
{
	for (unsigned i = 0; i < c->nlegs; i++)
		if (!peer_connected(c->leg[i].p))
			return false;
	return c->setup_ok;
}

/* wait for ICE and DTLS everywhere, then start every connected call's senders */
static void lg_connect(struct lg *lg, struct lg_run *run)
{
	uint64_t t0 = clock_us(), end = clock_ms() + lg->o.setup_timeout_s * 1000u;
	for (;;) {
		unsigned pending = 0;
		for (unsigned i = 0; i < lg->ncalls; i++) {
			struct lg_call *c = &lg->calls[i];
			for (unsigned k = 0; c->setup_ok && k < c->nlegs; k++)
				pending += !peer_connected(c->leg[k].p) && !peer_failed(c->leg[k].p);
		}
		if (!pending || clock_ms() >= end)
			break;
		lg_pump(lg, 20);
	}
	run->connect_s = (double)(clock_us() - t0) / 1e6;
	for (unsigned i = 0; i < lg->ncalls; i++) {
		struct lg_call *c = &lg->calls[i];
		for (unsigned k = 0; c->setup_ok && k < c->nlegs; k++)
			run->legs_connected += peer_connected(c->leg[k].p);
		if (!lg_call_connected(c))
			continue;
		run->calls_ok++;
		for (unsigned k = 0; k < c->nlegs; k++)
			lg_leg_start_sending(lg, &c->leg[k]);
	}
}

static void lg_run_for(struct lg *lg, unsigned ms)
{
	uint64_t end = clock_ms() + ms;
	while (clock_ms() < end)
		lg_pump(lg, 10);
}

static void lg_window(struct lg *lg, bool open)
{
	struct rxhist *hist[PEER_NKINDS] = {&lg->hist[PEER_AUDIO], &lg->hist[PEER_VIDEO]};
	for (unsigned i = 0; i < lg->ncalls; i++) {
		struct lg_call *c = &lg->calls[i];
		for (unsigned k = 0; c->setup_ok && k < c->nlegs; k++) {
			if (open)
				peer_window_open(c->leg[k].p, hist);
			else
				peer_window_close(c->leg[k].p);
		}
	}
	lg->measuring = open;
}

static void lg_measure(struct lg *lg, struct lg_run *run)
{
	lg_run_for(lg, lg->o.warmup_s * 1000u);
	lg_window(lg, true);
	lg_sample_take(lg, run->relay_pid, &run->open);
	lg_run_for(lg, lg->o.duration_s * 1000u);
	lg_sample_take(lg, run->relay_pid, &run->close);
	lg_window(lg, false);
	lg_stop_sending(lg);
	lg_run_for(lg, LG_DRAIN_MS);   /* late retransmissions of window packets still count */
}

static void lg_teardown(struct lg *lg)
{
	for (unsigned i = 0; lg->calls && i < lg->ncalls; i++) {
		struct lg_call *c = &lg->calls[i];
		if (lg->be->call_teardown)
			lg->be->call_teardown(lg, lg->bstate, c);
		for (unsigned k = 0; k < c->nlegs; k++) {
			if (c->leg[k].p && c->leg[k].io_added)
				lg_io_del(lg, peer_fd(c->leg[k].p));
			peer_free(c->leg[k].p);
			c->leg[k].p = NULL;   /* the loop still runs in the backend's close */
		}
	}
	if (lg->bstate && lg->be->close)
		lg->be->close(lg, lg->bstate);
	lg_socks_free(lg);
	free(lg->calls);
	free(lg->heap);
	lg_grid_timer_stop(lg);
	frames_free(lg->fr);
	mem_deref(lg->cert);
	if (lg->epfd >= 0)
		close(lg->epfd);
}

static int lg_init(struct lg *lg)
{
	lg->be = NULL;
	for (size_t i = 0; i < sizeof(lg_backends) / sizeof(lg_backends[0]); i++)
		if (!strcmp(lg_backends[i]->name, lg->o.backend))
			lg->be = lg_backends[i];
	if (!lg->be)
		return EINVAL;
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	peer_tx_set_gso(lg->o.gso);
	lg->rng = (uint32_t)getpid() * 2654435761u;
	lg->epfd = epoll_create1(EPOLL_CLOEXEC);
	lg->calls = calloc(lg->o.calls, sizeof(*lg->calls));
	lg->ncalls = lg->o.calls;
	struct frames_config fc = {.video_ms = lg->o.scenario == LG_SC_AUDIO ? 0 : lg->o.video_loop_ms,
				   .video_kbps = lg->o.video_kbps};
	int e = lg->epfd < 0 ? errno : !lg->calls ? ENOMEM : srtp_session_global_init();
	if (!e)
		e = dtls_cert_create(&lg->cert);
	if (!e)
		e = frames_make(&lg->fr, &fc);
	if (!e && !lg->o.quiet)
		fprintf(stderr, "loadgen: media encoded: Opus %.0f bit/s, VP8 %.0f bit/s "
			"(%u frames, %u packets per loop)\n", frames_audio_bps(lg->fr),
			frames_video_bps(lg->fr), lg->fr->nvideo, lg->fr->video_packets);
	return e;
}

int main(int argc, char **argv)
{
	struct lg lg = {.epfd = -1, .grid_fd = -1};
	struct lg_run run = {.relay_pid = -1};
	if (argc == 5 && !strcmp(argv[1], "--relay-child"))
		return inproc_child_main(atoi(argv[2]), atoi(argv[3]), argv[4]);
	if (lg_parse_opts(&lg.o, argc, argv)) {
		lg_usage();
		return 2;
	}
	log_set_level(LOG_WARN);
	int e = lg_init(&lg);
	if (!e)
		e = lg.be->open(&lg, &lg.bstate);
	if (e) {
		fprintf(stderr, "loadgen: %s: %s\n", lg.be ? lg.be->name : lg.o.backend,
			lg.be ? strerror(e) : "unknown backend");
		lg_teardown(&lg);
		return 1;
	}
	run.relay_pid = lg.o.relay_pid > 0 ? lg.o.relay_pid :
			lg.be->relay_pid ? lg.be->relay_pid(lg.bstate) : -1;
	run.relay_rss_base_kb = run.relay_pid > 0 ? lg_proc_rss_kb(run.relay_pid) : -1;
	lg_setup_calls(&lg, &run);
	lg_connect(&lg, &run);
	lg_measure(&lg, &run);
	lg_report(&lg, &run);
	lg_teardown(&lg);
	return run.calls_ok ? 0 : 1;
}

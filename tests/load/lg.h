/* lg: the load generator's shared types (tests/load/loadgen.c and its parts).
 *
 * One thread, one epoll: the legs' UDP sockets (shared by up to --legs-per-socket legs,
 * lg_socks.c) and every signalling connection. Signalling
 * clients (sig_*.c) are written as plain sequential code: while they wait for a reply they call
 * lg_pump(), which keeps every leg's ICE, DTLS and media going.
 *
 * Ownership: struct lg owns the calls (lg->calls) and the shared sockets (lg->socks, freed
 * after every peer), each call owns its legs and each leg its peer, which borrows its socket. A backend's state belongs to the backend (open/close); what it keeps per call hangs
 * off lg_call.sig and is freed by its call_teardown. */
#ifndef TESTS_LOAD_LG_H
#define TESTS_LOAD_LG_H
#include <stdbool.h>
#include <stdint.h>

#include "tests/load/peer.h"
#include "tests/load/rxstats.h"

/* peers of one call: 1:1 has two; the interpreter scenario three parties, each with one peer
 * (rapportd) or three (Janus: VideoRoom publisher and subscriber, AudioBridge) */
#define LG_MAX_LEGS 9
#define LG_PARTIES 3

struct lg;
struct lg_call;
struct lg_sock;
struct frames;
struct dtls_cert;

enum lg_scenario {
	LG_SC_AUDIO,          /* 1:1, Opus only */
	LG_SC_AV,             /* 1:1, Opus + VP8 */
	LG_SC_INTERPRETER,    /* three parties: customer, agent, interpreter; simultaneous mix */
};

enum lg_party { LG_CUSTOMER, LG_AGENT, LG_INTERPRETER };

/* what one leg (peer) of a call is for; a backend may plan its own (lg_backend.plan) */
struct lg_leg_plan {
	enum lg_party party;
	bool send[PEER_NKINDS];          /* its send schedule has audio, video */
	bool offer[PEER_NKINDS];         /* the sendrecv m-lines of its offer (if it offers) */
	unsigned recvonly[PEER_NKINDS];  /* further receive-only m-lines in its first offer */
};

/* something in the epoll set; h runs when its fd is ready */
struct lg_io {
	void (*h)(struct lg_io *io, uint32_t events);
};

struct lg_leg {
	struct lg_io io;
	struct lg_call *call;
	unsigned idx;                    /* in the call: 0 caller/customer, 1 callee/agent, ... */
	enum lg_party party;
	struct peer *p;
	bool send[PEER_NKINDS];          /* kinds its schedule sends */
	bool io_added;                   /* its socket is in the epoll set */
	bool sending;
	uint64_t t0_us[PEER_NKINDS];     /* when its audio and video schedules started */
	uint64_t audio_n, video_n;       /* packets/frames sent so far by the schedule */
	unsigned aframe, vframe;         /* position in the audio/video loops */
	uint32_t ats, vts;               /* RTP timestamps */
	uint64_t last_key_us;
	uint64_t keyframes;              /* keyframes sent on request */
};

struct lg_call {
	struct lg *lg;
	unsigned idx;
	unsigned nlegs;
	struct lg_leg leg[LG_MAX_LEGS];
	void *sig;                       /* the backend's per-call state */
	bool setup_ok;
	char error[160];
};

struct lg_backend {
	const char *name;
	int (*open)(struct lg *lg, void **state);
	/* signal one call: on return 0 every leg's peer has its remote SDP (peer_answer or
	 * peer_accept_offer done); the load generator then starts ICE. Failure: errno-style, with
	 * the reason in c->error. */
	int (*call_setup)(struct lg *lg, void *state, struct lg_call *c);
	void (*tick)(struct lg *lg, void *state);            /* about once a second */
	void (*call_teardown)(struct lg *lg, void *state, struct lg_call *c);
	void (*close)(struct lg *lg, void *state);
	int (*relay_pid)(void *state);                       /* NULL or -1: unknown */
	/* the legs of one call of this scenario (NULL: lg_default_plan); returns how many */
	unsigned (*plan)(const struct lg *lg, struct lg_leg_plan plan[LG_MAX_LEGS]);
};

struct lg_opts {
	const char *backend;             /* "rapport", "janus", "inproc" */
	const char *host;                /* signalling server address */
	unsigned port;
	const char *bind_ip;             /* legs' UDP sockets */
	unsigned calls;
	enum lg_scenario scenario;
	unsigned video_kbps, video_loop_ms;
	unsigned warmup_s, duration_s, setup_timeout_s;
	int relay_pid;                   /* -1: the backend's, or none */
	int relay_cpu;                   /* inproc: pin the relay child here (-1: no) */
	const char *relay_prio;          /* inproc: "nice:N" or "rr:P" for the child, or NULL */
	const char *agent_user, *agent_pass;  /* rapport: "agent%u" pattern and password */
	const char *interp_user;         /* rapport: interpreter accounts, "interp%u" (agent_pass) */
	const char *language;            /* rapport: the customers' language (interpreter: "es") */
	const char *label;
	bool quiet;
	unsigned unprotect_every;        /* peer_set_rx_sample */
	/* The send schedule runs on a grid of this many µs (0: exact): the loop sleeps until the
	 * next due send rounded up to the grid and sends all that is due then. A send is at most
	 * one grid step late (its stamp is taken as it goes), and the generator wakes at most
	 * 1e6/grid times a second for its schedule instead of once per due packet (an hrtimer
	 * and a context switch each: a quarter of its profile at 150 av calls). The coarser the
	 * grid, the burstier the relay's input (all legs due in one step arrive together). */
	unsigned send_grid_us;
	bool gso;                        /* video frames by UDP GSO, not sendmmsg (peer_tx.c) */
	unsigned legs_per_sock;          /* legs on one shared UDP socket (lg_socks.c); 1: own */
};

/* a send due: audio packet or video frame of one leg */
struct lg_sched_ev {
	uint64_t due_us;
	struct lg_leg *leg;
	enum peer_kind kind;
};

struct lg {
	struct lg_opts o;
	int epfd;
	struct frames *fr;
	struct dtls_cert *cert;
	const struct lg_backend *be;
	void *bstate;
	struct lg_call *calls;
	unsigned ncalls;
	struct lg_sock **socks;          /* lg_socks.c: the legs' shared sockets */
	unsigned nsocks, sockcap;
	/* lg_loop.c */
	struct lg_sched_ev *heap;        /* min-heap on due_us */
	size_t nheap, heapcap;
	uint64_t next_tick_us, next_be_tick_us;
	int grid_fd;                     /* the send grid's periodic timer, -1: not armed */
	uint32_t rng;
	/* the measured window */
	bool measuring;
	struct rxhist hist[PEER_NKINDS];
	uint64_t late_n, late_sum_us, late_max_us;  /* how late the schedule ran */
};

/* loadgen.c: the legs of a call when the backend plans none: every party sends what the
 * scenario has (two parties, or three for the interpreter scenario) */
unsigned lg_default_plan(const struct lg *lg, struct lg_leg_plan plan[LG_MAX_LEGS]);
/* for backends that need some legs up before they can go on (a renegotiation, a subscription):
 * start ICE on the legs in mask (bit i: leg i) and run the loop until they are connected.
 * 0, ETIMEDOUT or EPROTO (a leg failed) */
int lg_legs_connect(struct lg *lg, struct lg_call *c, unsigned mask, unsigned timeout_ms);

/* lg_loop.c: run the event loop once: wait at most max_ms for sockets, then send what is
 * due and run the legs' timers */
void lg_pump(struct lg *lg, int max_ms);
int lg_io_add(struct lg *lg, int fd, struct lg_io *io);
/* the same, edge-triggered: for handlers that read until the fd would block (legs) */
int lg_io_add_edge(struct lg *lg, int fd, struct lg_io *io);
void lg_io_del(struct lg *lg, int fd);
/* start a leg's send schedule (random phase), or stop every schedule */
int lg_leg_start_sending(struct lg *lg, struct lg_leg *l);
void lg_stop_sending(struct lg *lg);
void lg_grid_timer_stop(struct lg *lg);

/* lg_socks.c: do legs share sockets (--legs-per-socket > 1 and a --bind in 127/8)? a new
 * peer on the current shared socket; datagrams the sockets had for no leg; free the sockets
 * (after every peer) */
bool lg_socks_shared(const struct lg *lg);
int lg_socks_peer(struct lg *lg, struct peer **pp);
uint64_t lg_socks_stray(const struct lg *lg);
void lg_socks_free(struct lg *lg);

/* report.c: what is sampled at the edges of the measured window */
struct lg_sample {
	uint64_t t_us;
	bool relay_ok;                   /* the relay's /proc entries were readable */
	double relay_cpu_s;              /* utime + stime, all threads */
	long relay_rss_kb;
	double gen_cpu_s;                /* the load generator's own */
	uint64_t rx_pkts, tx_pkts;       /* RTP, all legs, every stream */
};

struct lg_run {
	unsigned calls_ok, legs_connected, setup_failed;
	double setup_s, connect_s;
	long relay_rss_base_kb;          /* before any call */
	struct lg_sample open, close;
	int relay_pid;
	char first_error[200];
};

void lg_sample_take(struct lg *lg, int relay_pid, struct lg_sample *s);
long lg_proc_rss_kb(int pid);        /* VmRSS, -1 if unreadable */
/* the summary: one JSON line on stdout, a table on stderr */
void lg_report(struct lg *lg, const struct lg_run *run);

/* sig_inproc.c: the relay child's main (loadgen --relay-child FD) */
int inproc_child_main(int fd, int cpu, const char *prio);

extern const struct lg_backend lg_backend_rapport, lg_backend_janus, lg_backend_inproc;

#endif

/* sig_inproc: rapport's media relay (media/media.h) without rapportd: the load generator runs
 * it in a child process of its own (re-executed as `loadgen --relay-child FD`) so that the
 * relay has its own pid for /proc and taskset, and drives it over a SOCK_SEQPACKET pair:
 *   "call"              -> "ok <call id>"
 *   "leg <call>\n<SDP>" -> "ok <leg id>\n<answer SDP>"  or "err <reason>"
 *   "end <call>"        -> "ok"
 * The relay runs one media worker bound to 127.0.0.1, ports from 43000, on --relay-cpu. This measures the
 * relay alone, for development and as a floor; the benchmark of record goes through rapportd. */
#include "tests/load/lg.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "media/media.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define INPROC_MSG_CAP 65536
#define INPROC_TIMEOUT_MS 5000

struct inproc {
	int fd;
	pid_t child;
	char *buf;
};

struct inproc_call {
	uint32_t call_id;
};

/* --- the child: a relay behind a socket --- */

static void inproc_notify(void *arg) { (void)arg; }
static void inproc_event(const struct media_event *ev, void *arg)
{
	(void)ev;   /* connection state is what the legs see themselves */
	(void)arg;
}

static int inproc_serve_one(struct media *m, char *buf, size_t len, int fd)
{
	char out[INPROC_MSG_CAP], err[160] = "";
	int n;
	uint32_t id;
	buf[len] = '\0';
	if (!strcmp(buf, "call")) {
		int e = media_call_create(m, &id);
		n = e ? snprintf(out, sizeof(out), "err %s", strerror(e))
		      : snprintf(out, sizeof(out), "ok %u", id);
	} else if (!strncmp(buf, "leg ", 4) && strchr(buf, '\n')) {
		char *answer = NULL;
		int e = media_leg_create(m, (uint32_t)strtoul(buf + 4, NULL, 10), strchr(buf, '\n') + 1,
					 &answer, &id, err, sizeof(err));
		n = e ? snprintf(out, sizeof(out), "err %s", *err ? err : strerror(e))
		      : snprintf(out, sizeof(out), "ok %u\n%s", id, answer);
		mem_deref(answer);
	} else if (!strncmp(buf, "end ", 4)) {
		media_call_destroy(m, (uint32_t)strtoul(buf + 4, NULL, 10));
		n = snprintf(out, sizeof(out), "ok");
	} else {
		n = snprintf(out, sizeof(out), "err unknown request");
	}
	return send(fd, out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1, 0) < 0 ? errno : 0;
}

/* the child's CPU and scheduling, before the worker starts so that it inherits them; by
 * default the normal scheduler at nice 0, whatever the load generator runs with */
static void inproc_child_sched(int cpu, const char *prio)
{
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	int v = 0;
	struct sched_param sp = {0};
	if (sscanf(prio, "rr:%d", &v) == 1) {
		sp.sched_priority = v;
		sched_setscheduler(0, SCHED_RR, &sp);
	} else {
		sched_setscheduler(0, SCHED_OTHER, &sp);
		sscanf(prio, "nice:%d", &v);
		setpriority(PRIO_PROCESS, 0, v);
	}
}

int inproc_child_main(int fd, int cpu, const char *prio)
{
	inproc_child_sched(cpu, prio);
	struct media_config cfg = {.bind_ip = "127.0.0.1", .public_ip = "127.0.0.1",
				   .port_min = 43000, .port_max = 43999, .workers = 1};
	struct media *m;
	log_set_level(LOG_WARN);
	if (media_start(&m, &cfg, inproc_notify, NULL)) {
		fprintf(stderr, "relay: media_start failed\n");
		return 1;
	}
	char *buf = malloc(INPROC_MSG_CAP + 1);
	int e = buf ? 0 : ENOMEM;
	if (!e && send(fd, "ok ready", 8, 0) < 0)
		e = errno;
	while (!e) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 200) > 0) {
			ssize_t n = recv(fd, buf, INPROC_MSG_CAP, 0);
			e = n <= 0 ? ECONNRESET : inproc_serve_one(m, buf, (size_t)n, fd);
		}
		media_poll(m, inproc_event, NULL);
	}
	free(buf);
	media_stop(m);
	return 0;
}

/* --- the load generator's side --- */

static int inproc_request(struct inproc *ip, const char *req, size_t len, char *err,
			  size_t errlen)
{
	if (send(ip->fd, req, len, 0) < 0) {
		snprintf(err, errlen, "relay child: %s", strerror(errno));
		return errno;
	}
	struct pollfd p = {.fd = ip->fd, .events = POLLIN};
	ssize_t n = poll(&p, 1, INPROC_TIMEOUT_MS) > 0 ? recv(ip->fd, ip->buf, INPROC_MSG_CAP, 0) : -1;
	if (n <= 0) {
		snprintf(err, errlen, "relay child: no reply");
		return ETIMEDOUT;
	}
	ip->buf[n] = '\0';
	if (strncmp(ip->buf, "ok", 2)) {
		snprintf(err, errlen, "relay: %s", ip->buf + (n > 4 ? 4 : n));
		return EPROTO;
	}
	return 0;
}

static void inproc_close(struct lg *lg, void *state);

static int inproc_open(struct lg *lg, void **state)
{
	struct inproc *ip = calloc(1, sizeof(*ip));
	int sv[2];
	if (!ip || !(ip->buf = malloc(INPROC_MSG_CAP + 1)) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		if (ip)
			free(ip->buf);
		free(ip);
		return ENOMEM;
	}
	ip->child = fork();
	if (ip->child == 0) {
		char fdarg[16], cpuarg[16];
		snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
		snprintf(cpuarg, sizeof(cpuarg), "%d", lg->o.relay_cpu);
		const char *prio = lg->o.relay_prio ? lg->o.relay_prio : "nice:0";
		close(sv[0]);
		if (fcntl(sv[1], F_SETFD, 0) == 0)  /* keep sv[1] across exec */
			execl("/proc/self/exe", "loadgen-relay", "--relay-child", fdarg, cpuarg, prio,
			      (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	ip->fd = sv[0];
	if (ip->child < 0) {
		close(ip->fd);
		free(ip->buf);
		free(ip);
		return errno;
	}
	struct pollfd p = {.fd = ip->fd, .events = POLLIN};
	ssize_t n = poll(&p, 1, INPROC_TIMEOUT_MS) > 0 ? recv(ip->fd, ip->buf, INPROC_MSG_CAP, 0) : -1;
	if (n <= 0 || strncmp(ip->buf, "ok ready", 8)) {  /* the relay runs: RSS is its baseline */
		fprintf(stderr, "loadgen: the relay child did not start\n");
		inproc_close(lg, ip);
		return ECHILD;
	}
	*state = ip;
	return 0;
}

static int inproc_call_setup(struct lg *lg, void *state, struct lg_call *c)
{
	struct inproc *ip = state;
	struct inproc_call *ic = calloc(1, sizeof(*ic));
	char *req = malloc(INPROC_MSG_CAP);
	int e = ic && req ? inproc_request(ip, "call", 4, c->error, sizeof(c->error)) : ENOMEM;
	c->sig = ic;
	if (!e && lg->o.scenario == LG_SC_INTERPRETER) {   /* no signalling: no invite, no mode */
		snprintf(c->error, sizeof(c->error), "inproc: no interpreter scenario (use rapport)");
		e = ENOTSUP;
	}
	if (!e)
		ic->call_id = (uint32_t)strtoul(ip->buf + 3, NULL, 10);
	for (unsigned i = 0; !e && i < c->nlegs; i++) {
		int n = snprintf(req, INPROC_MSG_CAP, "leg %u\n", ic->call_id);
		if ((e = peer_offer(c->leg[i].p, req + n, INPROC_MSG_CAP - (size_t)n)))
			break;
		if ((e = inproc_request(ip, req, strlen(req), c->error, sizeof(c->error))))
			break;
		if ((e = peer_answer(c->leg[i].p, strchr(ip->buf, '\n') + 1)))
			snprintf(c->error, sizeof(c->error), "the relay's answer was refused");
	}
	free(req);
	return e;
}

static void inproc_call_teardown(struct lg *lg, void *state, struct lg_call *c)
{
	struct inproc *ip = state;
	struct inproc_call *ic = c->sig;
	char req[32], err[160];
	(void)lg;
	if (ic && ic->call_id) {
		snprintf(req, sizeof(req), "end %u", ic->call_id);
		inproc_request(ip, req, strlen(req), err, sizeof(err));
	}
	free(ic);
	c->sig = NULL;
}

static void inproc_close(struct lg *lg, void *state)
{
	struct inproc *ip = state;
	(void)lg;
	close(ip->fd);
	uint64_t end = clock_ms() + 3000;
	while (waitpid(ip->child, NULL, WNOHANG) == 0) {
		if (clock_ms() > end) {
			kill(ip->child, SIGKILL);
			waitpid(ip->child, NULL, 0);
			break;
		}
		usleep(10000);
	}
	free(ip->buf);
	free(ip);
}

static int inproc_relay_pid(void *state)
{
	return ((struct inproc *)state)->child;
}

const struct lg_backend lg_backend_inproc = {
	.name = "inproc",
	.open = inproc_open,
	.call_setup = inproc_call_setup,
	.call_teardown = inproc_call_teardown,
	.close = inproc_close,
	.relay_pid = inproc_relay_pid,
};

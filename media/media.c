/* media: the relay's public API (media/media.h). Runs on the controlling thread: it keeps the
 * id registry (which worker holds which call, which call holds which leg), negotiates SDP,
 * and sends commands to the workers. */
#define LOG_MODULE "media"
#include "media/media.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/mqueue.h"
#include "media/dtls.h"
#include "media/negotiate.h"
#include "media/relay.h"
#include "media/sdp.h"
#include "media/srtp_session.h"
#include "media/worker.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEDIA_ANSWER_CAP 16384
#define MEDIA_MAX_WORKERS 64

struct relay_call { uint32_t id; unsigned worker; unsigned nlegs; };
struct relay_leg { uint32_t id, call_id; };

struct relay_reg {
	struct relay_call *calls;
	size_t ncalls, capcalls;
	struct relay_leg *legs;
	size_t nlegs, caplegs;
	unsigned *worker_legs;           /* legs per worker, for placement */
};

static void *reg_grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return arr;
	size_t c = *cap ? *cap * 2 : 64;
	void *a = realloc(arr, c * elem);
	if (a)
		*cap = c;
	return a;
}

static struct relay_call *reg_call(struct media *m, uint32_t id)
{
	for (size_t i = 0; i < m->reg->ncalls; i++)
		if (m->reg->calls[i].id == id)
			return &m->reg->calls[i];
	return NULL;
}

static struct relay_leg *reg_leg(struct media *m, uint32_t id)
{
	for (size_t i = 0; i < m->reg->nlegs; i++)
		if (m->reg->legs[i].id == id)
			return &m->reg->legs[i];
	return NULL;
}

static void reg_leg_drop(struct media *m, struct relay_leg *rl)
{
	struct relay_call *rc = reg_call(m, rl->call_id);
	if (rc) {
		rc->nlegs--;
		m->reg->worker_legs[rc->worker]--;
	}
	*rl = m->reg->legs[--m->reg->nlegs];
}

/* --- events --- */

void relay_emit(struct media *m, enum media_event_type type, uint32_t call_id, uint32_t leg_id,
		const char *text)
{
	struct media_event *ev = mem_alloc(sizeof(*ev), NULL);
	if (!ev)
		return;
	*ev = (struct media_event){.type = type, .call_id = call_id, .leg_id = leg_id};
	snprintf(ev->text, sizeof(ev->text), "%s", text ? text : "");
	mqueue_push(m->events, ev);
}

struct media_poll_ctx { media_event_h *h; void *arg; };

static void media_on_event(void *msg, void *arg)
{
	struct media_poll_ctx *ctx = arg;
	ctx->h(msg, ctx->arg);
	mem_deref(msg);
}

size_t media_poll(struct media *m, media_event_h *h, void *arg)
{
	struct media_poll_ctx ctx = {h, arg};
	return mqueue_drain(m->events, media_on_event, &ctx);
}

/* --- life cycle --- */

static int media_copy_config(struct media *m, const struct media_config *cfg)
{
	const char *bind = cfg->bind_ip && *cfg->bind_ip ? cfg->bind_ip : "0.0.0.0";
	const char *pub = cfg->public_ip && *cfg->public_ip ? cfg->public_ip : "127.0.0.1";
	if (snprintf(m->bind_ip, sizeof(m->bind_ip), "%s", bind) >= (int)sizeof(m->bind_ip) ||
	    snprintf(m->public_ip, sizeof(m->public_ip), "%s", pub) >= (int)sizeof(m->public_ip))
		return EINVAL;
	m->port_min = cfg->port_min ? cfg->port_min : 40000;
	m->port_max = cfg->port_max ? cfg->port_max : (uint16_t)(m->port_min + 100);
	if (m->port_max < m->port_min)
		return EINVAL;
	m->repair = !cfg->no_repair;
	m->advertised_port = cfg->advertised_port;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	m->nworkers = cfg->workers ? cfg->workers : (unsigned)(cores > 0 ? cores : 1);
	if (m->nworkers > MEDIA_MAX_WORKERS)
		m->nworkers = MEDIA_MAX_WORKERS;
	return 0;
}

static void media_free(struct media *m)
{
	for (unsigned i = 0; m->workers && i < m->nworkers; i++)
		worker_stop(m->workers[i]);
	free(m->workers);
	mem_deref(m->events);
	mem_deref(m->cert);
	if (m->reg) {
		free(m->reg->calls);
		free(m->reg->legs);
		free(m->reg->worker_legs);
		free(m->reg);
	}
	free(m);
}

int media_start(struct media **mp, const struct media_config *cfg, media_notify_h *notify,
		void *narg)
{
	struct media *m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	int err = media_copy_config(m, cfg);
	if (err) {
		log_error("invalid media configuration");
		goto out;
	}
	m->reg = calloc(1, sizeof(*m->reg));
	m->workers = calloc(m->nworkers, sizeof(*m->workers));
	if (!m->reg || !m->workers || !(m->reg->worker_legs = calloc(m->nworkers, sizeof(unsigned)))) {
		err = ENOMEM;
		goto out;
	}
	if ((err = srtp_session_global_init()) || (err = dtls_cert_create(&m->cert)) ||
	    (err = mqueue_alloc_notify(&m->events, notify, narg)))
		goto out;
	snprintf(m->fingerprint, sizeof(m->fingerprint), "sha-256 %s", dtls_cert_fingerprint(m->cert));
	for (unsigned i = 0; i < m->nworkers; i++) {
		if ((err = worker_start(&m->workers[i], m, i)))
			goto out;
		log_info("media worker %u on udp %s:%u", i, m->bind_ip, m->workers[i]->port);
	}
	*mp = m;
	return 0;
out:
	media_free(m);
	return err;
}

void media_stop(struct media *m)
{
	if (m)
		media_free(m);
}

const char *media_fingerprint(const struct media *m) { return m->fingerprint; }
unsigned media_worker_count(const struct media *m) { return m->nworkers; }

/* --- calls and legs --- */

static struct worker_cmd *media_cmd(enum worker_cmd_type type, uint32_t call_id, uint32_t leg_id)
{
	struct worker_cmd *c = mem_alloc(sizeof(*c), NULL);
	if (c) {
		c->type = type;
		c->call_id = call_id;
		c->leg_id = leg_id;
	}
	return c;
}

int media_call_create(struct media *m, uint32_t *call_id)
{
	struct relay_reg *r = m->reg;
	unsigned best = 0;
	for (unsigned i = 1; i < m->nworkers; i++)
		if (r->worker_legs[i] < r->worker_legs[best])
			best = i;
	struct relay_call *calls = reg_grow(r->calls, &r->capcalls, r->ncalls, sizeof(*calls));
	if (!calls)
		return ENOMEM;
	r->calls = calls;
	uint32_t id = ++m->next_id;
	struct worker_cmd *c = media_cmd(WCMD_CALL_CREATE, id, 0);
	if (!c || worker_post(m->workers[best], c))
		return ENOMEM;
	r->calls[r->ncalls++] = (struct relay_call){.id = id, .worker = best};
	*call_id = id;
	return 0;
}

int media_call_destroy(struct media *m, uint32_t call_id)
{
	struct relay_call *rc = reg_call(m, call_id);
	if (!rc)
		return ENOENT;
	struct worker_cmd *c = media_cmd(WCMD_CALL_DESTROY, call_id, 0);
	if (!c || worker_post(m->workers[rc->worker], c))
		return ENOMEM;
	for (size_t i = 0; i < m->reg->nlegs;) {
		if (m->reg->legs[i].call_id == call_id)
			reg_leg_drop(m, &m->reg->legs[i]);
		else
			i++;
	}
	rc = reg_call(m, call_id);
	*rc = m->reg->calls[--m->reg->ncalls];
	return 0;
}

static uint32_t media_random_u32(void)
{
	uint32_t v = 0;
	while (!v)
		RAND_bytes((unsigned char *)&v, sizeof(v));
	return v;
}

/* our side of a new leg: ICE credentials, SSRCs, names */
static int media_leg_local(struct media *m, struct worker *w, struct leg_params *p,
			   struct neg_local *loc)
{
	int err = ice_gen_credentials(p->lufrag, p->lpwd);
	if (err)
		return err;
	for (int k = 0; k < LEG_NKINDS; k++)
		p->out_ssrc[k] = media_random_u32();
	p->out_rtx_ssrc = media_random_u32();
	snprintf(p->cname, sizeof(p->cname), "rapport-%08x", media_random_u32());
	*loc = (struct neg_local){
		.ufrag = p->lufrag, .pwd = p->lpwd,
		.fingerprint = dtls_cert_fingerprint(m->cert),
		.ip = m->public_ip, .port = m->advertised_port ? m->advertised_port : w->port,
		.audio_ssrc = p->out_ssrc[LEG_AUDIO], .video_ssrc = p->out_ssrc[LEG_VIDEO],
		.video_rtx_ssrc = p->out_rtx_ssrc,
		.cname = p->cname, .stream_id = "rapport",
		.session_id = ((uint64_t)media_random_u32() << 20) ^ media_random_u32(),
	};
	return 0;
}

int media_leg_create(struct media *m, uint32_t call_id, const char *offer, char **answer,
		     uint32_t *leg_id, char *err, size_t errlen)
{
	struct relay_call *rc = reg_call(m, call_id);
	struct sdp_session *sdp = NULL;
	struct worker_cmd *c = NULL;
	char *ans = NULL;
	int e;
	if (!rc) {
		snprintf(err, errlen, "no such call");
		return ENOENT;
	}
	struct relay_leg *legs = reg_grow(m->reg->legs, &m->reg->caplegs, m->reg->nlegs,
					  sizeof(*legs));
	sdp = malloc(sizeof(*sdp));
	ans = mem_alloc(MEDIA_ANSWER_CAP, NULL);
	c = media_cmd(WCMD_LEG_CREATE, call_id, 0);
	if (!legs || !sdp || !ans || !c) {
		snprintf(err, errlen, "out of memory");
		e = ENOMEM;
		goto out;
	}
	m->reg->legs = legs;
	struct worker *w = m->workers[rc->worker];
	struct neg_local loc;
	if ((e = sdp_parse(sdp, offer, strlen(offer), err, errlen)))
		goto out;
	if ((e = media_leg_local(m, w, &c->params, &loc))) {
		snprintf(err, errlen, "could not make ICE credentials");
		goto out;
	}
	if ((e = negotiate_answer(sdp, &loc, &c->params.neg, ans, MEDIA_ANSWER_CAP, err, errlen)))
		goto out;
	c->leg_id = ++m->next_id;
	if ((e = worker_post(w, c))) {
		c = NULL;               /* the queue dropped it */
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	c = NULL;
	m->reg->legs[m->reg->nlegs++] = (struct relay_leg){.id = m->next_id, .call_id = call_id};
	rc->nlegs++;
	m->reg->worker_legs[rc->worker]++;
	*leg_id = m->next_id;
	*answer = ans;
	ans = NULL;
out:
	free(sdp);
	mem_deref(ans);
	mem_deref(c);
	return e;
}

int media_leg_destroy(struct media *m, uint32_t leg_id)
{
	struct relay_leg *rl = reg_leg(m, leg_id);
	struct relay_call *rc = rl ? reg_call(m, rl->call_id) : NULL;
	if (!rc)
		return ENOENT;
	struct worker_cmd *c = media_cmd(WCMD_LEG_DESTROY, rl->call_id, leg_id);
	if (!c || worker_post(m->workers[rc->worker], c))
		return ENOMEM;
	reg_leg_drop(m, rl);
	return 0;
}

int media_leg_stats(struct media *m, uint32_t leg_id, struct media_leg_stats *st)
{
	struct relay_leg *rl = reg_leg(m, leg_id);
	struct relay_call *rc = rl ? reg_call(m, rl->call_id) : NULL;
	if (!rc)
		return ENOENT;
	struct worker_sync sync = {.mtx = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct worker_cmd *c = media_cmd(WCMD_LEG_STATS, rl->call_id, leg_id);
	if (!c)
		return ENOMEM;
	c->sync = &sync;
	c->stats_out = st;
	if (worker_post(m->workers[rc->worker], c))
		return ENOMEM;
	pthread_mutex_lock(&sync.mtx);
	while (!sync.done)
		pthread_cond_wait(&sync.cond, &sync.mtx);
	pthread_mutex_unlock(&sync.mtx);
	return sync.err;
}

/* media: the relay's public API (media/media.h): life cycle, events, and the commands to the
 * workers. Runs on the controlling thread, like media_call.c (calls, modes) and media_leg.c
 * (legs: SDP negotiation, the forwarding table), which share the registry (reg.h). */
#define LOG_MODULE "media"
#include "media/media.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/mqueue.h"
#include "media/dtls.h"
#include "media/reg.h"
#include "media/relay.h"
#include "media/srtp_session.h"
#include "media/worker.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEDIA_MAX_WORKERS 64

_Static_assert(MEDIA_MAX_EXTRA == NEG_MAX_EXTRA, "media.h and negotiate.h disagree");
_Static_assert(MEDIA_MAX_SLOTS == LEG_MAX_OUT, "media.h and leg.h disagree");

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
	m->duck_db = cfg->duck_db != 0.0f ? cfg->duck_db : MEDIA_DUCK_DB_DEFAULT;
	if (!(m->duck_db >= -60.0f && m->duck_db <= 0.0f))
		return EINVAL;
	m->advertised_port = cfg->advertised_port;
	if (cfg->batch_us > MEDIA_BATCH_US_MAX)
		return EINVAL;
	m->batch_us = cfg->batch_us;
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
	reg_free(m->reg);
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


/* --- commands --- */

struct worker_cmd *relay_cmd(int type, uint32_t call_id, uint32_t leg_id)
{
	struct worker_cmd *c = mem_alloc(sizeof(*c), NULL);
	if (c) {
		c->type = (enum worker_cmd_type)type;
		c->call_id = call_id;
		c->leg_id = leg_id;
	}
	return c;
}

int relay_post(struct media *m, unsigned worker, struct worker_cmd *c)
{
	if (!c || worker >= m->nworkers) {
		mem_deref(c);
		return ENOMEM;
	}
	return worker_post(m->workers[worker], c);   /* the queue frees what it cannot take */
}

int relay_post_wait(struct media *m, unsigned worker, struct worker_cmd *c)
{
	struct worker_sync sync = {.mtx = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	if (!c)
		return ENOMEM;
	c->sync = &sync;
	if (relay_post(m, worker, c))
		return ENOMEM;
	pthread_mutex_lock(&sync.mtx);
	while (!sync.done)
		pthread_cond_wait(&sync.cond, &sync.mtx);
	pthread_mutex_unlock(&sync.mtx);
	return sync.err;
}

uint32_t relay_random_u32(void)
{
	uint32_t v = 0;
	while (!v)
		RAND_bytes((unsigned char *)&v, sizeof(v));
	return v;
}

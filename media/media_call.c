/* media_call: calls in the relay's public API (media.h): creation on the least-loaded worker,
 * destruction, the interpreter mode and the call's stats. Controlling thread. */
#define LOG_MODULE "media"
#include "base/log.h"
#include "base/mem.h"
#include "media/media.h"
#include "media/reg.h"
#include "media/relay.h"
#include "media/worker.h"

#include <errno.h>

int media_call_create(struct media *m, uint32_t *call_id)
{
	struct relay_reg *r = m->reg;
	unsigned best = 0;
	for (unsigned i = 1; i < m->nworkers; i++)
		if (r->worker_legs[i] < r->worker_legs[best])
			best = i;
	if (reg_reserve(r))
		return ENOMEM;
	uint32_t id = ++m->next_id;
	if (relay_post(m, best, relay_cmd(WCMD_CALL_CREATE, id, 0)))
		return ENOMEM;
	r->calls[r->ncalls++] = (struct reg_call){.id = id, .worker = best,
						  .mode = MEDIA_MODE_CONSECUTIVE, .duck_db = m->duck_db};
	*call_id = id;
	return 0;
}

int media_call_destroy(struct media *m, uint32_t call_id)
{
	struct relay_reg *r = m->reg;
	struct reg_call *rc = reg_call(r, call_id);
	if (!rc)
		return ENOENT;
	if (relay_post(m, rc->worker, relay_cmd(WCMD_CALL_DESTROY, call_id, 0)))
		return ENOMEM;
	for (size_t i = r->nlegs; i-- > 0;)
		if (r->legs[i].call_id == call_id)
			reg_leg_drop(r, &r->legs[i]);
	rc = reg_call(r, call_id);
	*rc = r->calls[--r->ncalls];
	return 0;
}

static int media_mode_post(struct media *m, const struct reg_call *rc)
{
	struct worker_cmd *c = relay_cmd(WCMD_CALL_MODE, rc->id, 0);
	if (c) {
		c->mode = rc->mode;
		c->duck_db = rc->duck_db;
		for (unsigned j = 0; j < 3; j++)
			c->mix_legs[j] = rc->mix[j];
	}
	return relay_post(m, rc->worker, c);
}

int media_call_set_mode(struct media *m, uint32_t call_id, enum media_mode mode,
			uint32_t customer_leg, uint32_t agent_leg, uint32_t interp_leg)
{
	struct reg_call *rc = reg_call(m->reg, call_id);
	const uint32_t legs[3] = {customer_leg, agent_leg, interp_leg};
	if (!rc)
		return ENOENT;
	if (mode != MEDIA_MODE_CONSECUTIVE && mode != MEDIA_MODE_SIMULTANEOUS)
		return EINVAL;
	if (mode == MEDIA_MODE_SIMULTANEOUS) {
		if (customer_leg == agent_leg || customer_leg == interp_leg || agent_leg == interp_leg)
			return EINVAL;
		for (unsigned j = 0; j < 3; j++) {
			const struct reg_leg *rl = reg_leg(m->reg, legs[j]);
			if (!rl || rl->call_id != call_id)
				return ENOENT;
		}
	}
	rc->mode = mode;
	for (unsigned j = 0; j < 3; j++)
		rc->mix[j] = mode == MEDIA_MODE_SIMULTANEOUS ? legs[j] : 0;
	log_info("call %u: %s mode", call_id,
		 mode == MEDIA_MODE_SIMULTANEOUS ? "simultaneous" : "consecutive");
	return media_mode_post(m, rc);
}

int media_call_set_duck(struct media *m, uint32_t call_id, float duck_db)
{
	struct reg_call *rc = reg_call(m->reg, call_id);
	if (!rc)
		return ENOENT;
	if (!(duck_db >= -60.0f && duck_db <= 0.0f))
		return EINVAL;
	rc->duck_db = duck_db;
	return rc->mode == MEDIA_MODE_SIMULTANEOUS ? media_mode_post(m, rc) : 0;
}

int media_call_stats(struct media *m, uint32_t call_id, struct media_call_stats *st)
{
	struct reg_call *rc = reg_call(m->reg, call_id);
	if (!rc)
		return ENOENT;
	struct worker_cmd *c = relay_cmd(WCMD_CALL_STATS, call_id, 0);
	if (c) {
		c->call_stats_out = st;
		c->duck_db = rc->duck_db;
	}
	return relay_post_wait(m, rc->worker, c);
}

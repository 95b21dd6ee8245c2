/* reg: the relay's registry and the calls' forwarding tables (see reg.h). Controlling thread. */
#include "media/reg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct reg_call *reg_call(struct relay_reg *r, uint32_t id)
{
	for (size_t i = 0; i < r->ncalls; i++)
		if (r->calls[i].id == id)
			return &r->calls[i];
	return NULL;
}

struct reg_leg *reg_leg(struct relay_reg *r, uint32_t id)
{
	for (size_t i = 0; i < r->nlegs; i++)
		if (r->legs[i].id == id)
			return &r->legs[i];
	return NULL;
}

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

int reg_reserve(struct relay_reg *r)
{
	struct reg_call *calls = reg_grow(r->calls, &r->capcalls, r->ncalls, sizeof(*calls));
	if (calls)
		r->calls = calls;
	struct reg_leg *legs = reg_grow(r->legs, &r->caplegs, r->nlegs, sizeof(*legs));
	if (legs)
		r->legs = legs;
	return calls && legs ? 0 : ENOMEM;
}

void reg_leg_drop(struct relay_reg *r, struct reg_leg *rl)
{
	struct reg_call *rc = reg_call(r, rl->call_id);
	uint32_t id = rl->id, call_id = rl->call_id;
	if (rc) {
		rc->nlegs--;
		r->worker_legs[rc->worker]--;
		if (rc->mode == MEDIA_MODE_SIMULTANEOUS &&
		    (rc->mix[0] == id || rc->mix[1] == id || rc->mix[2] == id))
			rc->mode = MEDIA_MODE_CONSECUTIVE;
	}
	size_t at = (size_t)(rl - r->legs);
	memmove(rl, rl + 1, (r->nlegs - at - 1) * sizeof(*rl));   /* keeps join order */
	r->nlegs--;
	for (size_t i = 0; i < r->nlegs; i++) {
		struct reg_leg *o = &r->legs[i];
		for (unsigned k = 0; o->call_id == call_id && k < o->nout; k++) {
			if (o->out[k].src_leg != id)
				continue;
			o->out[k].src_leg = 0;
			o->out[k].spent = !o->out[k].primary;
		}
	}
}

static const struct neg_stream *reg_neg_out(const struct neg_result *neg, unsigned i)
{
	return i == LEG_AUDIO ? &neg->audio : i == LEG_VIDEO ? &neg->video :
	       &neg->extra[i - LEG_NKINDS];
}

static const struct reg_out *reg_out_by_mid(const struct reg_leg *rl, const struct reg_out *o)
{
	for (unsigned i = 0; i < rl->nout; i++)
		if (rl->out[i].kind == o->kind && !strcmp(rl->out[i].mid, o->mid))
			return &rl->out[i];
	return NULL;
}

void reg_leg_outs(struct reg_leg *rl, const struct leg_params *p)
{
	struct reg_out nt[LEG_MAX_OUT];
	unsigned n = LEG_NKINDS + p->neg.nextra;
	for (unsigned i = 0; i < n; i++) {
		const struct neg_stream *ns = reg_neg_out(&p->neg, i);
		struct reg_out *o = &nt[i];
		*o = (struct reg_out){
			.kind = i < LEG_NKINDS ? (uint8_t)i :
				ns->kind == SDP_KIND_VIDEO ? LEG_VIDEO : LEG_AUDIO,
			.primary = i < LEG_NKINDS,
			.sends = leg_neg_sends(ns),
			.ssrc = i < LEG_NKINDS ? p->out_ssrc[i] : ns->ssrc,
			.rtx_ssrc = i == LEG_VIDEO ? p->out_rtx_ssrc : i < LEG_NKINDS ? 0 : ns->rtx_ssrc,
		};
		memcpy(o->mid, ns->mid, sizeof(o->mid));
		const struct reg_out *old = reg_out_by_mid(rl, o);
		if (old && old->ssrc == o->ssrc) {
			o->src_leg = o->sends ? old->src_leg : 0;
			o->spent = old->spent || (old->src_leg && !o->sends && !o->primary);
		}
	}
	memcpy(rl->out, nt, n * sizeof(nt[0]));
	rl->nout = n;
}

static bool reg_carries(const struct reg_leg *rl, uint8_t kind, uint32_t src)
{
	for (unsigned i = 0; i < rl->nout; i++)
		if (rl->out[i].kind == kind && rl->out[i].src_leg == src)
			return true;
	return false;
}

/* the first stream of kind that sends and is free: the primary first, then further ones in
 * m-line order; a spent one never */
static struct reg_out *reg_free_out(struct reg_leg *rl, uint8_t kind)
{
	for (unsigned i = 0; i < rl->nout; i++) {
		struct reg_out *o = &rl->out[i];
		if (o->kind == kind && o->sends && !o->src_leg && !o->spent)
			return o;
	}
	return NULL;
}

void reg_route(struct relay_reg *r, uint32_t call_id)
{
	for (size_t i = 0; i < r->nlegs; i++) {
		struct reg_leg *dst = &r->legs[i];
		if (dst->call_id != call_id)
			continue;
		for (size_t j = 0; j < r->nlegs; j++) {
			const struct reg_leg *src = &r->legs[j];
			if (j == i || src->call_id != call_id)
				continue;
			for (uint8_t k = 0; k < LEG_NKINDS; k++) {
				struct reg_out *o;
				if (!reg_carries(dst, k, src->id) && (o = reg_free_out(dst, k)))
					o->src_leg = src->id;
			}
		}
	}
}

void reg_free(struct relay_reg *r)
{
	if (!r)
		return;
	free(r->calls);
	free(r->legs);
	free(r->worker_legs);
	free(r);
}

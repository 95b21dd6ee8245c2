/* reg: the relay's registry, on the controlling thread only (internal to media/): which worker
 * holds which call, which call holds which leg (in join order), what each leg negotiated (to
 * renegotiate it with the same ICE, DTLS and SSRCs), and the call's forwarding table: which
 * outbound stream of each leg carries which other leg (media.h, media_leg_create, describes the
 * rule). Workers get the table through WCMD_LEG_ROUTES commands and never read this. */
#ifndef MEDIA_REG_H
#define MEDIA_REG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/leg.h"
#include "media/media.h"

/* one outbound stream of a leg, as negotiated, and the party it carries */
struct reg_out {
	char mid[32];
	uint8_t kind;                /* enum leg_kind */
	bool primary;                /* out[LEG_AUDIO] / out[LEG_VIDEO] */
	bool sends;                  /* the answer sends on it */
	bool spent;                  /* a further stream whose party left (never reassigned) */
	uint32_t ssrc, rtx_ssrc;
	uint32_t src_leg;            /* the party, 0 = none */
};

struct reg_leg {
	uint32_t id, call_id;
	char lufrag[ICE_UFRAG_MAX + 1], lpwd[ICE_PWD_MAX + 1];
	char rufrag[ICE_UFRAG_MAX + 1], rpwd[ICE_PWD_MAX + 1];
	uint8_t rfp[DTLS_FP_LEN];
	char cname[32];
	uint32_t out_ssrc[LEG_NKINDS], out_rtx_ssrc;
	uint64_t session_id;
	uint32_t version;            /* o= version of the last answer */
	struct reg_out out[LEG_MAX_OUT];   /* indexed like the worker's leg->out */
	unsigned nout;
};

struct reg_call {
	uint32_t id;
	unsigned worker, nlegs;
	enum media_mode mode;
	uint32_t mix[3];             /* customer, agent, interpreter in simultaneous mode */
	float duck_db;
};

struct relay_reg {
	struct reg_call *calls;
	size_t ncalls, capcalls;
	struct reg_leg *legs;        /* in join order (ids ascending) */
	size_t nlegs, caplegs;
	unsigned *worker_legs;       /* legs per worker, for placement */
};

struct reg_call *reg_call(struct relay_reg *r, uint32_t id);
struct reg_leg *reg_leg(struct relay_reg *r, uint32_t id);
/* room for one more call / leg: 0 or ENOMEM (pointers into the arrays become invalid) */
int reg_reserve(struct relay_reg *r);
/* a leg leaves: what carried it in other legs is freed (further streams spent); a mix it was in
 * ends (the call is consecutive again) */
void reg_leg_drop(struct relay_reg *r, struct reg_leg *rl);
/* (re)build rl's outbound streams from what was negotiated: a stream with the same mid and
 * SSRC as before keeps its party and state */
void reg_leg_outs(struct reg_leg *rl, const struct leg_params *p);
/* give every leg of the call each other leg on a free stream of each kind, in join order */
void reg_route(struct relay_reg *r, uint32_t call_id);
void reg_free(struct relay_reg *r);

#endif

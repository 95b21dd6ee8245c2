/* media_leg: legs in the relay's public API (media.h): negotiation and renegotiation of a
 * browser's offer on the controlling thread, the registry's forwarding table, and the commands
 * that carry both to the call's worker. */
#define LOG_MODULE "media"
#include "base/log.h"
#include "base/mem.h"
#include "media/dtls.h"
#include "media/negotiate.h"
#include "media/reg.h"
#include "media/relay.h"
#include "media/sdp.h"
#include "media/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEDIA_ANSWER_CAP 32768

/* what negotiating one offer needs besides the offer */
struct media_neg {
	struct neg_local loc;
	struct neg_ssrc known[2 * NEG_MAX_EXTRA];
	struct neg_ssrc fresh[2 * NEG_MAX_EXTRA];
};

/* our side of a new leg: ICE credentials, primary SSRCs, names */
static int media_leg_local(struct leg_params *p, uint64_t *session_id)
{
	int err = ice_gen_credentials(p->lufrag, p->lpwd);
	if (err)
		return err;
	for (int k = 0; k < LEG_NKINDS; k++)
		p->out_ssrc[k] = relay_random_u32();
	p->out_rtx_ssrc = relay_random_u32();
	snprintf(p->cname, sizeof(p->cname), "rapport-%08x", relay_random_u32());
	*session_id = ((uint64_t)relay_random_u32() << 20) ^ relay_random_u32();
	return 0;
}

/* the same side again for a renegotiation, and what the leg already answered */
static void media_leg_known(const struct reg_leg *rl, struct leg_params *p, struct media_neg *n)
{
	snprintf(p->lufrag, sizeof(p->lufrag), "%s", rl->lufrag);
	snprintf(p->lpwd, sizeof(p->lpwd), "%s", rl->lpwd);
	memcpy(p->out_ssrc, rl->out_ssrc, sizeof(p->out_ssrc));
	p->out_rtx_ssrc = rl->out_rtx_ssrc;
	snprintf(p->cname, sizeof(p->cname), "%s", rl->cname);
	for (unsigned i = LEG_NKINDS; i < rl->nout; i++) {
		const struct reg_out *o = &rl->out[i];
		if (o->spent)
			continue;      /* never again for anyone else: a new SSRC */
		struct neg_ssrc *k = &n->known[n->loc.nknown++];
		memcpy(k->mid, o->mid, sizeof(k->mid));
		k->ssrc = o->ssrc;
		k->rtx_ssrc = o->rtx_ssrc;
	}
}

static void media_neg_local(struct media *m, struct worker *w, struct leg_params *p,
			    struct media_neg *n, uint64_t session_id, uint32_t version)
{
	for (unsigned i = 0; i < 2 * NEG_MAX_EXTRA; i++)
		n->fresh[i] = (struct neg_ssrc){.ssrc = relay_random_u32(),
						.rtx_ssrc = relay_random_u32()};
	n->loc.ufrag = p->lufrag;
	n->loc.pwd = p->lpwd;
	n->loc.fingerprint = dtls_cert_fingerprint(m->cert);
	n->loc.ip = m->public_ip;
	n->loc.port = m->advertised_port ? m->advertised_port : w->port;
	n->loc.audio_ssrc = p->out_ssrc[LEG_AUDIO];
	n->loc.video_ssrc = p->out_ssrc[LEG_VIDEO];
	n->loc.video_rtx_ssrc = p->out_rtx_ssrc;
	n->loc.cname = p->cname;
	n->loc.stream_id = "rapport";
	n->loc.session_id = session_id;
	n->loc.session_version = version;
	n->loc.known = n->known;
	n->loc.fresh = n->fresh;
	n->loc.nfresh = 2 * NEG_MAX_EXTRA;
}

/* a renegotiation keeps the transport and the primary m-lines */
static int media_neg_same(const struct reg_leg *rl, const struct neg_result *res, char *err,
			  size_t errlen)
{
	const struct neg_stream *prim[LEG_NKINDS] = {&res->audio, &res->video};
	if (strcmp(res->rufrag, rl->rufrag) || strcmp(res->rpwd, rl->rpwd)) {
		snprintf(err, errlen, "ICE restart (new a=ice-ufrag/a=ice-pwd) is not supported on "
			 "a running leg; keep the ICE credentials, or create a new leg");
		return EPROTO;
	}
	if (memcmp(res->rfp, rl->rfp, sizeof(rl->rfp))) {
		snprintf(err, errlen, "the DTLS fingerprint changed; create a new leg");
		return EPROTO;
	}
	for (int k = 0; k < LEG_NKINDS; k++) {
		const char *was = rl->out[k].mid;
		if (was[0] && prim[k]->active && strcmp(was, prim[k]->mid)) {
			snprintf(err, errlen, "the first %s m-line changed its mid from %s to %s",
				 k == LEG_AUDIO ? "audio" : "video", was, prim[k]->mid);
			return EPROTO;
		}
	}
	return 0;
}

/* parse and answer offer into p and ans; rl: the leg being renegotiated, or NULL */
static int media_negotiate(struct media *m, struct worker *w, const struct reg_leg *rl,
			   const char *offer, struct leg_params *p, uint64_t *session_id,
			   char *ans, char *err, size_t errlen)
{
	struct sdp_session *sdp = malloc(sizeof(*sdp));
	struct media_neg *n = calloc(1, sizeof(*n));
	int e = sdp && n ? 0 : ENOMEM;
	if (e) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (rl) {
		media_leg_known(rl, p, n);
		*session_id = rl->session_id;
	} else if ((e = media_leg_local(p, session_id))) {
		snprintf(err, errlen, "could not make ICE credentials");
		goto out;
	}
	media_neg_local(m, w, p, n, *session_id, rl ? rl->version + 1 : 2);
	if ((e = sdp_parse(sdp, offer, strlen(offer), err, errlen)) ||
	    (e = negotiate_answer(sdp, &n->loc, &p->neg, ans, MEDIA_ANSWER_CAP, err, errlen)))
		goto out;
	if (rl && (e = media_neg_same(rl, &p->neg, err, errlen)))
		ans[0] = '\0';
out:
	free(sdp);
	free(n);
	return e;
}

void relay_post_routes(struct media *m, uint32_t call_id)
{
	struct reg_call *rc = reg_call(m->reg, call_id);
	if (!rc)
		return;
	reg_route(m->reg, call_id);
	for (size_t i = 0; i < m->reg->nlegs; i++) {
		const struct reg_leg *rl = &m->reg->legs[i];
		if (rl->call_id != call_id)
			continue;
		struct worker_cmd *c = relay_cmd(WCMD_LEG_ROUTES, call_id, rl->id);
		for (unsigned k = 0; c && k < rl->nout; k++)
			c->routes[k] = rl->out[k].src_leg;
		if (relay_post(m, rc->worker, c))
			log_error("call %u: forwarding table for leg %u lost: out of memory", call_id,
				  rl->id);
	}
}

/* what the registry keeps of a leg's negotiation */
static void media_reg_fill(struct reg_leg *rl, const struct leg_params *p)
{
	snprintf(rl->lufrag, sizeof(rl->lufrag), "%s", p->lufrag);
	snprintf(rl->lpwd, sizeof(rl->lpwd), "%s", p->lpwd);
	snprintf(rl->rufrag, sizeof(rl->rufrag), "%s", p->neg.rufrag);
	snprintf(rl->rpwd, sizeof(rl->rpwd), "%s", p->neg.rpwd);
	memcpy(rl->rfp, p->neg.rfp, sizeof(rl->rfp));
	snprintf(rl->cname, sizeof(rl->cname), "%s", p->cname);
	memcpy(rl->out_ssrc, p->out_ssrc, sizeof(rl->out_ssrc));
	rl->out_rtx_ssrc = p->out_rtx_ssrc;
	reg_leg_outs(rl, p);
}

int media_leg_create(struct media *m, uint32_t call_id, const char *offer, char **answer,
		     uint32_t *leg_id, char *err, size_t errlen)
{
	struct reg_call *rc = reg_call(m->reg, call_id);
	struct worker_cmd *c = NULL;
	char *ans = NULL;
	int e;
	if (!rc) {
		snprintf(err, errlen, "no such call");
		return ENOENT;
	}
	unsigned wi = rc->worker;
	ans = mem_alloc(MEDIA_ANSWER_CAP, NULL);
	c = relay_cmd(WCMD_LEG_CREATE, call_id, 0);
	if (!ans || !c || reg_reserve(m->reg)) {
		snprintf(err, errlen, "out of memory");
		e = ENOMEM;
		goto out;
	}
	struct reg_leg rl = {.call_id = call_id, .version = 2};
	if ((e = media_negotiate(m, m->workers[wi], NULL, offer, &c->params, &rl.session_id, ans,
				 err, errlen)))
		goto out;
	rl.id = c->leg_id = ++m->next_id;
	media_reg_fill(&rl, &c->params);
	e = relay_post(m, wi, c);
	c = NULL;
	if (e) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	m->reg->legs[m->reg->nlegs++] = rl;
	reg_call(m->reg, call_id)->nlegs++;
	m->reg->worker_legs[wi]++;
	relay_post_routes(m, call_id);
	*leg_id = rl.id;
	*answer = ans;
	ans = NULL;
out:
	mem_deref(ans);
	mem_deref(c);
	return e;
}

int media_leg_update(struct media *m, uint32_t leg_id, const char *offer, char **answer,
		     char *err, size_t errlen)
{
	struct reg_leg *rl = reg_leg(m->reg, leg_id);
	struct reg_call *rc = rl ? reg_call(m->reg, rl->call_id) : NULL;
	struct worker_cmd *c = NULL;
	char *ans = NULL;
	uint64_t session_id;
	int e;
	if (!rc) {
		snprintf(err, errlen, "no such leg");
		return ENOENT;
	}
	ans = mem_alloc(MEDIA_ANSWER_CAP, NULL);
	c = relay_cmd(WCMD_LEG_UPDATE, rl->call_id, leg_id);
	if (!ans || !c) {
		snprintf(err, errlen, "out of memory");
		e = ENOMEM;
		goto out;
	}
	if ((e = media_negotiate(m, m->workers[rc->worker], rl, offer, &c->params, &session_id,
				 ans, err, errlen)))
		goto out;
	struct reg_leg nrl = *rl;
	nrl.version++;
	reg_leg_outs(&nrl, &c->params);
	e = relay_post(m, rc->worker, c);
	c = NULL;
	if (e) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*rl = nrl;
	relay_post_routes(m, rl->call_id);
	*answer = ans;
	ans = NULL;
out:
	mem_deref(ans);
	mem_deref(c);
	return e;
}

int media_leg_destroy(struct media *m, uint32_t leg_id)
{
	struct reg_leg *rl = reg_leg(m->reg, leg_id);
	struct reg_call *rc = rl ? reg_call(m->reg, rl->call_id) : NULL;
	if (!rc)
		return ENOENT;
	uint32_t call_id = rc->id;
	if (relay_post(m, rc->worker, relay_cmd(WCMD_LEG_DESTROY, call_id, leg_id)))
		return ENOMEM;
	reg_leg_drop(m->reg, rl);
	relay_post_routes(m, call_id);   /* a party waiting for a stream may get the freed one */
	return 0;
}

int media_leg_stats(struct media *m, uint32_t leg_id, struct media_leg_stats *st)
{
	struct reg_leg *rl = reg_leg(m->reg, leg_id);
	struct reg_call *rc = rl ? reg_call(m->reg, rl->call_id) : NULL;
	if (!rc)
		return ENOENT;
	struct worker_cmd *c = relay_cmd(WCMD_LEG_STATS, rl->call_id, leg_id);
	if (c)
		c->stats_out = st;
	return relay_post_wait(m, rc->worker, c);
}

int media_leg_slots(struct media *m, uint32_t leg_id, struct media_slot *slots, size_t cap,
		    size_t *n)
{
	const struct reg_leg *rl = reg_leg(m->reg, leg_id);
	const struct reg_call *rc = rl ? reg_call(m->reg, rl->call_id) : NULL;
	if (!rc)
		return ENOENT;
	for (unsigned i = 0; i < rl->nout && i < cap; i++) {
		const struct reg_out *o = &rl->out[i];
		slots[i] = (struct media_slot){
			.video = o->kind == LEG_VIDEO, .primary = o->primary, .sends = o->sends,
			.ssrc = o->ssrc, .src_leg = o->src_leg, .spent = o->spent,
			/* the interpreter (mix[2]) gets both parties forwarded, not a mix */
			.mixed = i == LEG_AUDIO && rc->mode == MEDIA_MODE_SIMULTANEOUS &&
				 (rc->mix[0] == leg_id || rc->mix[1] == leg_id),
		};
		memcpy(slots[i].mid, o->mid, sizeof(slots[i].mid));
	}
	*n = rl->nout;
	return 0;
}

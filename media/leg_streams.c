/* leg_streams: a leg's stream table. The jitter buffers of what the browser sends (primary
 * m-lines), the outbound streams of what it receives (one per accepted m-line we send on:
 * out[LEG_AUDIO], out[LEG_VIDEO], then the further m-lines), which party each outbound stream
 * carries (media.c decides, leg_set_routes applies), and renegotiation, which swaps in a new
 * table at once. Allocation happens here, in worker commands, never on the packet path. */
#define LOG_MODULE "leg"
#include "base/log.h"
#include "base/mem.h"
#include "media/jb.h"
#include "media/leg.h"
#include "media/mcall.h"
#include "media/relay.h"
#include "media/rtcp.h"
#include "media/rtx_ring.h"
#include "media/twcc.h"
#include "media/worker.h"

#include <errno.h>
#include <string.h>

#define LEG_RTT_DEFAULT_US 100000u   /* until the browser's reports tell (rtx_ring_set_rtt) */

static const struct neg_stream *neg_out(const struct neg_result *neg, unsigned i)
{
	return i == LEG_AUDIO ? &neg->audio : i == LEG_VIDEO ? &neg->video :
	       &neg->extra[i - LEG_NKINDS];
}

const struct neg_stream *leg_out_neg(const struct leg *l, unsigned i)
{
	return neg_out(&l->p.neg, i);
}

bool leg_neg_sends(const struct neg_stream *ns)
{
	return ns->active && (ns->dir == SDP_DIR_SENDRECV || ns->dir == SDP_DIR_SENDONLY);
}

/* a jitter buffer for each primary stream the browser may send on */
static int leg_in_alloc(struct leg *l, const struct neg_result *neg)
{
	const struct neg_stream *ns[LEG_NKINDS] = {&neg->audio, &neg->video};
	for (int k = 0; k < LEG_NKINDS; k++) {
		if (!ns[k]->active || l->in[k].jb)
			continue;
		struct jb_config cfg;
		jb_config_default(&cfg, ns[k]->clock ? ns[k]->clock : 90000, k == LEG_VIDEO);
		if (!(k == LEG_VIDEO && l->w->media->repair && (ns[k]->fb & SDP_FB_NACK)))
			cfg.nack_tries = 0;
		int err = jb_alloc(&l->in[k].jb, &cfg);
		if (err)
			return err;
	}
	return 0;
}

/* video the browser can NACK gets a retransmission ring */
static bool leg_out_wants_ring(const struct leg *l, const struct neg_stream *ns)
{
	return ns->active && ns->kind == SDP_KIND_VIDEO && l->w->media->repair &&
	       (ns->fb & SDP_FB_NACK);
}

static void leg_out_ident(const struct leg_params *p, unsigned i, struct stream_out *o)
{
	const struct neg_stream *ns = neg_out(&p->neg, i);
	o->kind = i < LEG_NKINDS ? (uint8_t)i :
		  ns->kind == SDP_KIND_VIDEO ? LEG_VIDEO : LEG_AUDIO;
	o->ssrc = i < LEG_NKINDS ? p->out_ssrc[i] : ns->ssrc;
	o->rtx_ssrc = i == LEG_VIDEO ? p->out_rtx_ssrc : i < LEG_NKINDS ? 0 : ns->rtx_ssrc;
}

/* the stream of the current table with this SSRC (kept across a renegotiation), or -1 */
static int leg_out_match(const struct leg *l, const struct stream_out *o)
{
	for (unsigned j = 0; j < l->nout; j++)
		if (l->out[j].ssrc == o->ssrc && l->out[j].kind == o->kind)
			return (int)j;
	return -1;
}

/* Build the table for p from the current one: what keeps its SSRC keeps its state (sequence
 * numbers, ring, party); new streams start empty. Rings are allocated first, so a failure
 * leaves l untouched. */
static int leg_out_table(struct leg *l, const struct leg_params *p)
{
	struct stream_out nt[LEG_MAX_OUT];
	struct rtx_ring *ring[LEG_MAX_OUT] = {0};
	bool taken[LEG_MAX_OUT] = {0};
	unsigned n = LEG_NKINDS + p->neg.nextra;
	int err = 0;
	for (unsigned i = 0; i < n && !err; i++) {
		struct stream_out o = {0};
		leg_out_ident(p, i, &o);
		int j = leg_out_match(l, &o);
		if (leg_out_wants_ring(l, neg_out(&p->neg, i)) && (j < 0 || !l->out[j].ring))
			err = rtx_ring_alloc(&ring[i], rtx_ring_size(LEG_RTT_DEFAULT_US, 600),
					     WORKER_PKT_CAP, LEG_RTT_DEFAULT_US);
	}
	if (err) {
		for (unsigned i = 0; i < n; i++)
			mem_deref(ring[i]);
		return err;
	}
	for (unsigned i = 0; i < n; i++) {
		struct stream_out o = {0};
		leg_out_ident(p, i, &o);
		int j = leg_out_match(l, &o);
		nt[i] = j >= 0 ? l->out[j] : o;
		if (j >= 0)
			taken[j] = true;
		if (ring[i])
			nt[i].ring = ring[i];
	}
	for (unsigned j = 0; j < l->nout; j++)
		if (!taken[j])
			mem_deref(l->out[j].ring);   /* its m-line is gone */
	memset(l->out, 0, sizeof(l->out));
	memcpy(l->out, nt, n * sizeof(nt[0]));
	l->nout = n;
	return 0;
}

/* transport-cc feedback we owe the browser, when negotiated (BUNDLE: one for all m-lines) */
static int leg_twcc_alloc(struct leg *l, const struct neg_result *neg)
{
	const struct neg_stream *a = &neg->audio, *v = &neg->video;
	if (l->twcc || !(((a->fb | v->fb) & SDP_FB_TWCC) && (a->ext_twcc || v->ext_twcc)))
		return 0;
	return twcc_alloc(&l->twcc);
}

int leg_streams_alloc(struct leg *l)
{
	bwe_init(&l->bwe);
	int err = leg_in_alloc(l, &l->p.neg);
	if (!err)
		err = leg_twcc_alloc(l, &l->p.neg);
	return err ? err : leg_out_table(l, &l->p);
}

void leg_streams_free(struct leg *l)
{
	l->twcc = mem_deref(l->twcc);
	for (int k = 0; k < LEG_NKINDS; k++)
		l->in[k].jb = mem_deref(l->in[k].jb);
	for (unsigned i = 0; i < LEG_MAX_OUT; i++)
		l->out[i].ring = mem_deref(l->out[i].ring);
	l->nout = 0;
}

int leg_update(struct leg *l, const struct leg_params *p)
{
	int err = leg_in_alloc(l, &p->neg);
	if (!err)
		err = leg_twcc_alloc(l, &p->neg);
	if (!err)
		err = leg_out_table(l, p);
	if (err) {
		log_error("leg %u: renegotiation not applied: out of memory", l->id);
		return err;
	}
	l->p = *p;
	log_info("leg %u of call %u renegotiated: %u outbound streams", l->id, l->call->id, l->nout);
	return 0;
}

/* --- which party each outbound stream carries --- */

void leg_out_stop(struct leg *l, unsigned i)
{
	struct stream_out *o = &l->out[i];
	o->route = NULL;
	if (o->src_leg && i >= LEG_NKINDS) {
		/* a further m-line's SSRC never carries anyone else: tell the browser it ended */
		uint8_t buf[64];
		size_t n = rtcp_build_rr(buf, sizeof(buf), o->ssrc, NULL, 0);
		n += rtcp_build_bye(buf + n, sizeof(buf) - n, o->ssrc);
		if (l->connected)
			leg_send_rtcp(l, buf, n);
	}
	o->src_leg = NULL;   /* the next party (primary only) is mapped afresh */
}

void leg_set_routes(struct leg *l, const uint32_t src_ids[LEG_MAX_OUT])
{
	for (unsigned i = 0; i < l->nout; i++) {
		struct stream_out *o = &l->out[i];
		struct leg *src = src_ids[i] ? mcall_leg_find(l->call, src_ids[i]) : NULL;
		if (src == l)
			src = NULL;
		if (o->route == src)
			continue;
		if (o->route)
			leg_out_stop(l, i);
		o->route = src;
		if (src && o->kind == LEG_VIDEO)
			forward_request_keyframe(l, i);
	}
}

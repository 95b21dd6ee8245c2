/* leg_prefetch: a received batch's legs, loaded in waves before any packet is handled. See
 * leg_prefetch_wave() in media/leg.h.
 *
 * Between two packets of one leg the worker touches the state of every other leg, so each
 * packet finds its sender's and its receivers' state cold: a dozen lines of struct leg spread
 * over its negotiated parameters, ICE pairs and streams, then what those point to (SRTP
 * session → libsrtp2 context and AES-GCM state, jitter buffers, retransmission rings, the
 * call and its other legs, and where their rings store the next packet). Handled one packet after another that is a chain of dependent
 * misses per packet; in waves, each wave's misses overlap across the batch.
 *
 * Wave k of a leg reads only what waves 0..k-1 prefetched (pointers), and prefetches only:
 * a prefetch never faults, so a stale address costs a useless load, nothing else. */
#include "media/leg.h"
#include "media/mcall.h"
#include "media/rtx_ring.h"
#include "media/srtp_session.h"

typedef void (leg_prefetch_h)(const struct leg *l);

static void leg_prefetch_lines(const void *p, unsigned nlines)
{
	for (unsigned i = 0; i < nlines; i++)
		__builtin_prefetch((const char *)p + 64u * i);
}

/* what the first packet of l reads in l itself, as the sender and as a receiver */
static void leg_prefetch_own(const struct leg *l)
{
	__builtin_prefetch(l);                      /* w, call, cnext */
	__builtin_prefetch(&l->p.neg.audio);        /* active, dir, pt, clock */
	__builtin_prefetch(&l->p.neg.video);
	__builtin_prefetch(&l->p.neg.video.ext_twcc);
	__builtin_prefetch(&l->ice.npairs);         /* and selected */
	leg_prefetch_lines(&l->ice.pairs[0], 3);    /* its address and last_ok_us */
	__builtin_prefetch(&l->srtp);
	__builtin_prefetch(&l->connected);
	leg_prefetch_lines(&l->in[0], 3);
	leg_prefetch_lines(&l->out[0], 3);          /* the primary audio and video streams */
	__builtin_prefetch(&l->nout);
	__builtin_prefetch(&l->st);
}

/* what the sender's lines point to: its SRTP session, jitter buffers and call */
static void leg_prefetch_sender_pointed(const struct leg *l)
{
	__builtin_prefetch(l->srtp);
	__builtin_prefetch(l->call);
	for (int k = 0; k < LEG_NKINDS; k++)
		__builtin_prefetch(l->in[k].jb);
}

/* what a receiver's lines point to: its SRTP session and retransmission rings */
static void leg_prefetch_receiver_pointed(const struct leg *dst)
{
	__builtin_prefetch(dst->srtp);
	for (unsigned i = 0; i < LEG_NKINDS && i < dst->nout; i++)
		__builtin_prefetch(dst->out[i].ring);
}

/* the receiver's libsrtp2 context and cipher, and its rings' next places */
static void leg_prefetch_receiver_deep(const struct leg *dst)
{
	srtp_session_prefetch_out(dst->srtp);
	for (unsigned i = 0; i < LEG_NKINDS && i < dst->nout; i++)
		if (dst->out[i].ring)
			rtx_ring_prefetch_index(dst->out[i].ring);
}

static void leg_prefetch_receiver_arena(const struct leg *dst)
{
	for (unsigned i = 0; i < LEG_NKINDS && i < dst->nout; i++)
		if (dst->out[i].ring)
			rtx_ring_prefetch_arena(dst->out[i].ring);
}

/* the legs src's packets are forwarded to (forward_rtp's walk) */
static void leg_prefetch_each_receiver(const struct leg *src, leg_prefetch_h *h)
{
	if (!src->call)
		return;
	for (const struct leg *dst = src->call->legs; dst; dst = dst->cnext)
		if (dst != src)
			h(dst);
}

/* 2: the sender's SRTP session and call are on their way: its libsrtp2 context and cipher,
 * and the receivers' own lines */
static void leg_prefetch_wave2(const struct leg *l)
{
	srtp_session_prefetch_in(l->srtp);
	leg_prefetch_each_receiver(l, leg_prefetch_own);
}

/* 3: the receivers' lines are on their way: their SRTP sessions and rings */
static void leg_prefetch_wave3(const struct leg *l)
{
	leg_prefetch_each_receiver(l, leg_prefetch_receiver_pointed);
}

/* 4: their libsrtp2 contexts and ciphers, their rings' chunk index and next slot */
static void leg_prefetch_wave4(const struct leg *l)
{
	leg_prefetch_each_receiver(l, leg_prefetch_receiver_deep);
}

/* 5: where their rings store the next packet */
static void leg_prefetch_wave5(const struct leg *l)
{
	leg_prefetch_each_receiver(l, leg_prefetch_receiver_arena);
}

/* wave k of every leg of the batch before wave k + 1 of any */
static leg_prefetch_h *const leg_prefetch_waves[] = {
	leg_prefetch_own,               /* 0: the sender's lines */
	leg_prefetch_sender_pointed,    /* 1 */
	leg_prefetch_wave2,
	leg_prefetch_wave3,
	leg_prefetch_wave4,
	leg_prefetch_wave5,
};
_Static_assert(sizeof(leg_prefetch_waves) / sizeof(leg_prefetch_waves[0]) == LEG_PREFETCH_WAVES,
	       "LEG_PREFETCH_WAVES is the table's length");

void leg_prefetch_wave(const struct leg *l, unsigned wave)
{
	if (wave < LEG_PREFETCH_WAVES)
		leg_prefetch_waves[wave](l);
}

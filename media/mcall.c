#include "media/mcall.h"
#include "media/cmix.h"
#include "media/leg.h"
#include "media/worker.h"

#include <errno.h>
#include <stdlib.h>

int mcall_create(struct mcall **cp, struct worker *w, uint32_t id)
{
	struct mcall *c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->w = w;
	c->id = id;
	c->next = w->calls;
	w->calls = c;
	*cp = c;
	return 0;
}

void mcall_destroy(struct mcall *c)
{
	cmix_destroy(c->mix);
	while (c->legs)
		leg_destroy(c->legs);      /* unlinks itself from c->legs */
	for (struct mcall **pp = &c->w->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c);
}

void mcall_leg_add(struct mcall *c, struct leg *l)
{
	l->cnext = c->legs;
	c->legs = l;
	c->nlegs++;
}

void mcall_leg_remove(struct mcall *c, struct leg *l)
{
	for (struct leg **pp = &c->legs; *pp; pp = &(*pp)->cnext) {
		if (*pp == l) {
			*pp = l->cnext;
			c->nlegs--;
			break;
		}
	}
	/* the mix needs all three: the call returns to forwarding */
	if (l->mix_idx >= 0)
		cmix_destroy(c->mix);
	/* nothing may keep pointing at a leg that is gone; what carried it stops */
	for (struct leg *o = c->legs; o; o = o->cnext) {
		for (unsigned i = 0; i < o->nout; i++) {
			if (o->out[i].route == l)
				leg_out_stop(o, i);
			if (o->out[i].src_leg == l)
				o->out[i].src_leg = NULL;
		}
	}
}

struct leg *mcall_leg_find(struct mcall *c, uint32_t leg_id)
{
	for (struct leg *l = c->legs; l; l = l->cnext)
		if (l->id == leg_id)
			return l;
	return NULL;
}

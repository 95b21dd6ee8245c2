#include "media/mcall.h"
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
	/* nothing may keep pointing at a leg that is gone */
	for (struct leg *o = c->legs; o; o = o->cnext)
		for (int k = 0; k < LEG_NKINDS; k++)
			if (o->out[k].src_leg == l)
				o->out[k].src_leg = NULL;
}

struct leg *mcall_leg_find(struct mcall *c, uint32_t leg_id)
{
	for (struct leg *l = c->legs; l; l = l->cnext)
		if (l->id == leg_id)
			return l;
	return NULL;
}

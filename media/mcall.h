/* mcall: the media side of a call: a set of legs on one worker that exchange media (each leg
 * receives the others on the outbound streams media.c's routes assign; forwarded, not mixed),
 * and in simultaneous interpretation the call's mix (cmix.h). Owns its legs and its mix:
 * mcall_destroy() destroys them. */
#ifndef MEDIA_MCALL_H
#define MEDIA_MCALL_H
#include <stdint.h>

struct worker;
struct leg;
struct cmix;

struct mcall {
	struct mcall *next;           /* worker's list */
	struct worker *w;
	uint32_t id;
	struct leg *legs;
	unsigned nlegs;
	struct cmix *mix;             /* simultaneous mode, else NULL */
};

int mcall_create(struct mcall **cp, struct worker *w, uint32_t id);
void mcall_destroy(struct mcall *c);
void mcall_leg_add(struct mcall *c, struct leg *l);
void mcall_leg_remove(struct mcall *c, struct leg *l);
struct leg *mcall_leg_find(struct mcall *c, uint32_t leg_id);

#endif

/* call: a set of legs on one worker that exchange media (everyone hears and sees everyone,
 * forwarded, not mixed). Owns its legs: call_destroy() destroys them. */
#ifndef MEDIA_CALL_H
#define MEDIA_CALL_H
#include <stdint.h>

struct worker;
struct leg;

struct call {
	struct call *next;           /* worker's list */
	struct worker *w;
	uint32_t id;
	struct leg *legs;
	unsigned nlegs;
};

int call_create(struct call **cp, struct worker *w, uint32_t id);
void call_destroy(struct call *c);
void call_leg_add(struct call *c, struct leg *l);
void call_leg_remove(struct call *c, struct leg *l);
struct leg *call_leg_find(struct call *c, uint32_t leg_id);

#endif

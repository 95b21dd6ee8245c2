/* relay: the state of the whole relay shared by its workers (internal to media/).
 *
 * Written by the controlling thread before workers start and read-only afterwards, except
 * the event queue (thread-safe) and the stats lock. */
#ifndef MEDIA_RELAY_H
#define MEDIA_RELAY_H
#include <pthread.h>
#include <stdint.h>

#include "media/media.h"

struct dtls_cert;
struct mqueue;
struct worker;

struct media {
	char bind_ip[64], public_ip[64];
	uint16_t port_min, port_max;
	bool repair;
	uint16_t advertised_port;
	float duck_db;                   /* default for simultaneous mode */
	unsigned batch_us;               /* media_config.batch_us */
	struct dtls_cert *cert;
	char fingerprint[128];           /* "sha-256 AB:CD:..." */
	struct worker **workers;
	unsigned nworkers;
	struct mqueue *events;           /* worker → controlling thread */
	struct relay_reg *reg;           /* ids → workers; controlling thread only */
	uint32_t next_id;
};

/* from any worker: queue an event for media_poll() */
void relay_emit(struct media *m, enum media_event_type type, uint32_t call_id, uint32_t leg_id,
		const char *text);

/* controlling thread (media.c): a new command (type: enum worker_cmd_type; NULL when out of
 * memory); post it to a worker (takes it over; 0 or ENOMEM), or post it and wait until the worker
 * has run it (for commands with a sync: the worker's result) */
struct worker_cmd *relay_cmd(int type, uint32_t call_id, uint32_t leg_id);
int relay_post(struct media *m, unsigned worker, struct worker_cmd *c);
int relay_post_wait(struct media *m, unsigned worker, struct worker_cmd *c);
/* a random non-zero 32-bit value (SSRCs, names) */
uint32_t relay_random_u32(void);
/* send the workers the call's forwarding table after reg_route() (media_leg.c) */
void relay_post_routes(struct media *m, uint32_t call_id);

#endif

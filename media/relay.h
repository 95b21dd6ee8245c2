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

#endif

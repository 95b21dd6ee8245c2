/* sigws: a JSON-over-WebSocket signalling connection inside the load generator's event loop.
 * Every complete message is parsed (jansson) and handed to on_msg as it arrives, from
 * lg_pump(); the signalling clients wait for what they need with sigws_wait(). */
#ifndef TESTS_LOAD_SIGWS_H
#define TESTS_LOAD_SIGWS_H
#include <jansson.h>
#include <stdbool.h>

#include "tests/load/lg.h"

struct sigws;
typedef void (sigws_msg_h)(struct sigws *s, json_t *msg, void *arg);

int sigws_open(struct sigws **sp, struct lg *lg, const char *path, const char *proto,
	       sigws_msg_h *on_msg, void *arg);   /* to lg->o.host:lg->o.port */
void sigws_free(struct sigws *s);
/* send msg and drop the caller's reference to it; 0 or errno */
int sigws_send(struct sigws *s, json_t *msg);
bool sigws_dead(const struct sigws *s);
/* run the loop until *flag is true, the connection died, or timeout_ms passed:
 * 0, ECONNRESET or ETIMEDOUT */
int sigws_wait(struct sigws *s, const bool *flag, int timeout_ms);

#endif

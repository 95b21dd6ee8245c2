/* ice: ICE-lite for one leg (RFC 8445 §2.5 lite implementation, RFC 7675 consent freshness).
 *
 * The browser is the controlling full agent and sends binding requests; we answer checks whose
 * USERNAME is "<local ufrag>:<remote ufrag>" and whose MESSAGE-INTEGRITY verifies with the
 * local password. An address that passed a check may exchange media while consent is fresh
 * (a valid check within ICE_CONSENT_TIMEOUT_US). The nominated (USE-CANDIDATE) address is
 * where media is sent. Pure state: no sockets, no clock reads (now_us is passed in). */
#ifndef MEDIA_ICE_H
#define MEDIA_ICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ICE_UFRAG_MAX 32
#define ICE_PWD_MAX 64
#define ICE_MAX_PAIRS 4
#define ICE_CONSENT_TIMEOUT_US (30u * 1000000u)

struct ice_pair {
	struct sockaddr_storage addr;
	uint64_t last_ok_us;      /* last valid check from addr */
};

struct ice_lite {
	char lufrag[ICE_UFRAG_MAX + 1], lpwd[ICE_PWD_MAX + 1];
	char rufrag[ICE_UFRAG_MAX + 1];
	struct ice_pair pairs[ICE_MAX_PAIRS];
	size_t npairs;
	int selected;             /* index into pairs of the nominated address, -1 none */
	uint64_t checks_ok, checks_bad;
};

enum ice_verdict {
	ICE_DROP,          /* not for us or malformed: send nothing */
	ICE_REPLY,         /* valid check: *outlen bytes of success response to send back */
	ICE_REPLY_ERROR,   /* bad check (e.g. wrong credentials): *outlen bytes of error to send */
};

/* Random ufrag (8 chars) and pwd (24 chars) from the ICE character set, NUL-terminated. */
int ice_gen_credentials(char ufrag[ICE_UFRAG_MAX + 1], char pwd[ICE_PWD_MAX + 1]);
void ice_lite_init(struct ice_lite *ice, const char *lufrag, const char *lpwd, const char *rufrag);
/* The local ufrag a request is for (text before ':' in USERNAME), for finding the leg. */
int ice_username_local(const uint8_t *pkt, size_t len, char out[ICE_UFRAG_MAX + 1]);
enum ice_verdict ice_lite_handle(struct ice_lite *ice, const uint8_t *pkt, size_t len,
				 const struct sockaddr *from, uint64_t now_us,
				 uint8_t *out, size_t cap, size_t *outlen);
/* from passed a check and its consent is fresh at now_us */
bool ice_lite_allowed(const struct ice_lite *ice, const struct sockaddr *from, uint64_t now_us);
/* the nominated address if its consent is fresh, else NULL */
const struct sockaddr *ice_lite_dest(const struct ice_lite *ice, uint64_t now_us);

#endif

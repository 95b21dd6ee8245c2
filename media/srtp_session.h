/* srtp_session: one leg's SRTP/SRTCP contexts (libsrtp2), inbound and outbound.
 *
 * Protect works in place: the buffer must have SRTP_SESSION_TRAILER bytes of room after the
 * packet. libsrtp2 is initialised once per process by srtp_session_global_init(). */
#ifndef MEDIA_SRTP_SESSION_H
#define MEDIA_SRTP_SESSION_H
#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"

#define SRTP_SESSION_TRAILER 32  /* auth tag / GCM tag + SRTCP index, with room to spare */

struct srtp_session;

int srtp_session_global_init(void);      /* thread-safe, idempotent */
int srtp_session_alloc(struct srtp_session **sp, const struct srtp_keys *keys); /* mem object */
/* in place; *len updated. 0, or an errno-style code (EBADMSG auth failure, EALREADY replay) */
int srtp_session_protect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap);
int srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len);
/* start loading what an unprotect (in) or a protect (out) of RTP reads first: the head of
 * that direction's libsrtp2 context and its AES-GCM cipher state. Reads the session itself
 * (prefetch s first, a wave earlier); NULL: nothing. */
void srtp_session_prefetch_in(const struct srtp_session *s);
void srtp_session_prefetch_out(const struct srtp_session *s);
int srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap);
int srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len);
const char *srtp_session_profile_name(enum srtp_profile_id p); /* "AEAD_AES_128_GCM", ... */

#endif

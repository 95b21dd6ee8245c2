/* dtls: DTLS-SRTP (RFC 5764) with OpenSSL over memory BIOs; no sockets here.
 *
 * One certificate (ECDSA P-256, self-signed) is made at start and shared read-only by every
 * worker. A dtls_conn is one leg's DTLS association; rapportd is always the DTLS server
 * (a=setup:passive). The peer's certificate is accepted only if its SHA-256 fingerprint equals
 * the one from its SDP. SRTP profiles offered in order: AEAD_AES_128_GCM, AES128_CM_SHA1_80. */
#ifndef MEDIA_DTLS_H
#define MEDIA_DTLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTLS_FP_LEN 32               /* SHA-256 */
#define DTLS_FP_TEXT_LEN (DTLS_FP_LEN * 3)

struct dtls_cert;
struct dtls_conn;

enum dtls_state { DTLS_HANDSHAKING, DTLS_CONNECTED, DTLS_FAILED, DTLS_CLOSED };

enum srtp_profile_id { SRTP_PROFILE_NONE = 0, SRTP_PROFILE_AES128_CM_SHA1_80 = 1,
		       SRTP_PROFILE_AEAD_AES_128_GCM = 7 };

/* keying material as exported by RFC 5764 §4.2, already split into our and the peer's halves */
struct srtp_keys {
	enum srtp_profile_id profile;
	uint8_t local[46], remote[46]; /* master key || master salt */
	size_t len;                    /* key + salt length for the profile (30 or 28) */
};

typedef void (dtls_send_h)(const uint8_t *data, size_t len, void *arg);

int dtls_cert_create(struct dtls_cert **cp);   /* mem object */
/* "AB:CD:..." upper-case SHA-256 fingerprint of the certificate, for a=fingerprint */
const char *dtls_cert_fingerprint(const struct dtls_cert *c);
/* parse "AB:CD:..." (either case) into 32 bytes; 0 or EINVAL */
int dtls_fp_parse(const char *text, uint8_t fp[DTLS_FP_LEN]);

/* server: true for a=setup:passive (the peer starts the handshake). send is called with every
 * datagram the connection wants on the wire, during any call below. */
int dtls_conn_alloc(struct dtls_conn **dp, const struct dtls_cert *cert, bool server,
		    const uint8_t remote_fp[DTLS_FP_LEN], dtls_send_h *send, void *arg);
/* feed one received DTLS datagram */
int dtls_conn_recv(struct dtls_conn *d, const uint8_t *data, size_t len);
/* start the handshake (client only; a server waits for the ClientHello) */
int dtls_conn_connect(struct dtls_conn *d);
/* the monotonic time (us) at which dtls_conn_timeout() must be called, 0 if none */
uint64_t dtls_conn_deadline(struct dtls_conn *d, uint64_t now_us);
void dtls_conn_timeout(struct dtls_conn *d);
enum dtls_state dtls_conn_state(const struct dtls_conn *d);
const char *dtls_conn_error(const struct dtls_conn *d);   /* why it failed, "" otherwise */
/* once DTLS_CONNECTED: the negotiated profile and keys */
int dtls_conn_keys(struct dtls_conn *d, struct srtp_keys *keys);
/* send close_notify */
void dtls_conn_close(struct dtls_conn *d);

#endif

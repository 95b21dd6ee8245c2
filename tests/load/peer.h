/* peer: a minimal scripted WebRTC endpoint in C, for the relay's integration tests and the
 * load generator. It does what a browser does on the wire: an SDP offer (Opus + VP8 with rtx,
 * BUNDLE, rtcp-mux), ICE as the controlling agent, DTLS client, SRTP, and it sends and counts
 * RTP. Built on media/'s own codecs, but it is the *other* side: client DTLS role, ICE
 * requests instead of answers.
 *
 * Single-threaded; the caller drives it with peer_poll(). */
#ifndef TESTS_PEER_H
#define TESTS_PEER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct peer;
struct dtls_cert;

enum peer_kind { PEER_AUDIO, PEER_VIDEO };

struct peer_stream_stats {
	uint32_t ssrc;                /* the relay's SSRC we receive on */
	uint64_t packets, bytes, lost_gaps;
	uint16_t last_seq;
	bool started;
};

struct peer_stats {
	struct peer_stream_stats rx[2];
	uint64_t tx_packets[2];
	uint64_t rtcp_rx, pli_rx, nack_rx, unprotect_fail;
	uint64_t rtx_rx;              /* RFC 4588 retransmissions received */
};

/* cert may be shared between peers (read-only); bind_ip e.g. "127.0.0.1" */
int peer_alloc(struct peer **pp, struct dtls_cert *cert, const char *bind_ip);
void peer_free(struct peer *p);
int peer_fd(const struct peer *p);
/* SDP offer text (NUL-terminated) into buf */
int peer_offer(struct peer *p, char *buf, size_t cap);
/* take the relay's answer: ICE credentials, fingerprint, candidate, payload types */
int peer_answer(struct peer *p, const char *sdp);
/* run ICE + DTLS until connected or timeout_ms passes; 0 or ETIMEDOUT/EPROTO */
int peer_connect(struct peer *p, int timeout_ms);
bool peer_connected(const struct peer *p);
const char *peer_srtp_profile(const struct peer *p);
/* send one RTP packet of kind with the given payload (our SSRC, next seq, ts) */
int peer_send_rtp(struct peer *p, enum peer_kind kind, const uint8_t *payload, size_t len,
		  uint32_t ts, bool marker);
/* send raw bytes to the relay from this peer's socket (for negative tests) */
int peer_send_raw(struct peer *p, const uint8_t *buf, size_t len);
/* receive and process everything that arrives within timeout_ms (0 = only what is queued) */
int peer_poll(struct peer *p, int timeout_ms);
/* skip n sequence numbers of kind, as if n packets were lost on the way */
void peer_skip_seq(struct peer *p, enum peer_kind kind, uint16_t n);
/* protect and send one RTCP compound we built */
int peer_send_rtcp(struct peer *p, const uint8_t *buf, size_t len);
/* a STUN consent check (keeps the relay's consent fresh) */
int peer_keepalive(struct peer *p);
/* every RTP and RTCP packet received, after SRTP (for tests that look inside: several
 * streams of one kind, decoding); h NULL for RTCP */
struct rtp_hdr;
typedef void (peer_rx_h)(const struct rtp_hdr *h, const uint8_t *pkt, size_t len, void *arg);
void peer_set_rx_handler(struct peer *p, peer_rx_h *h, void *arg);
const struct peer_stats *peer_stats(const struct peer *p);
uint16_t peer_port(const struct peer *p);
const char *peer_ufrag(const struct peer *p);  /* our ICE ufrag, as in the offer */

#endif

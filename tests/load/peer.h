/* peer: a minimal scripted WebRTC endpoint in C, for the relay's integration tests and the
 * load generator. It does what a browser does on the wire: SDP offer or answer (Opus + VP8
 * with rtx, BUNDLE, rtcp-mux), ICE (controlling when it offers, controlled when it answers,
 * answering checks either way), DTLS client or server as the SDP says, SRTP, RTCP reports,
 * NACK answered from a send history over RTX, PLI reported to the owner, and it counts and
 * times what it receives (tests/load/rxstats.h). Built on media/'s own codecs, but it is the
 * *other* side: it speaks to rapportd and to Janus.
 *
 * Single-threaded. Either drive it with the blocking helpers (peer_connect, peer_poll: tests)
 * or from an epoll loop: peer_start() after the remote SDP, peer_recv() when peer_fd() is
 * readable, peer_tick() at peer_next_tick(). */
#ifndef TESTS_PEER_H
#define TESTS_PEER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/load/rxstats.h"

struct peer;
struct peer_sock;
struct dtls_cert;

enum peer_kind { PEER_AUDIO, PEER_VIDEO, PEER_NKINDS };

#define PEER_MAX_RX 8                 /* received streams (SSRCs) per kind */
#define PEER_MAX_EXTRA 4              /* receive-only m-lines per kind in our offer */

struct peer_stream_stats {
	uint32_t ssrc;                /* the relay's SSRC we receive on */
	uint64_t packets, bytes, lost_gaps;
	uint16_t last_seq;
	bool started;
};

struct peer_stats {
	struct peer_stream_stats rx[PEER_NKINDS];
	uint64_t tx_packets[PEER_NKINDS], tx_bytes[PEER_NKINDS], tx_errors;
	uint64_t rtcp_rx, rtcp_tx, pli_rx, fir_rx, nack_rx, nack_seqs_rx, nack_tx;
	uint64_t rtx_tx, rtx_miss, unprotect_fail, stun_rx, rx_unknown_pt;
	uint64_t rtx_rx;              /* RFC 4588 retransmissions received */
	uint64_t rtx_unmapped;        /* RTX whose media SSRC we could not tell */
	uint64_t rx_streams_overflow; /* packets of a stream beyond PEER_MAX_RX of its kind */
	uint64_t renegotiations;      /* answers taken on a running association */
	uint64_t rx_clear;            /* RTP counted from the header alone (peer_set_rx_sample) */
};

/* cert may be shared between peers (read-only); bind_ip e.g. "127.0.0.1" */
int peer_alloc(struct peer **pp, struct dtls_cert *cert, const char *bind_ip);
void peer_free(struct peer *p);
/* --- sockets shared by many peers (peer_sock.c) ---
 * One UDP socket on the wildcard address serves up to `slots` peers; the peer in slot k has
 * the local address base_ip + k (base_ip in 127/8) and the socket's port, so each still has a
 * 5-tuple of its own. The socket must outlive its peers (free them first). */
int peer_sock_alloc(struct peer_sock **sp, const char *base_ip, unsigned slots);
void peer_sock_free(struct peer_sock *s);
int peer_sock_fd(const struct peer_sock *s);
bool peer_sock_full(const struct peer_sock *s);
uint64_t peer_sock_stray(const struct peer_sock *s);   /* datagrams for no peer */
/* receive everything queued on s and hand each datagram to its peer (never blocks) */
void peer_sock_recv(struct peer_sock *s);
/* a peer on the next slot of s (ENOSPC: s is full); peer_fd() is then the shared socket's */
int peer_alloc_shared(struct peer **pp, struct dtls_cert *cert, struct peer_sock *s);
int peer_fd(const struct peer *p);
uint16_t peer_port(const struct peer *p);
const char *peer_ufrag(const struct peer *p);  /* our ICE ufrag, as in the offer */
/* which m-lines our offer carries (default both); call before peer_offer */
void peer_set_media(struct peer *p, bool audio, bool video);
/* further receive-only m-lines in our next offer, after the first audio and video ones (mids
 * run on: "2", "3", ...; audio and video alternate), as a browser that added recvonly
 * transceivers to receive more parties (up to PEER_MAX_EXTRA per kind) */
void peer_set_recvonly(struct peer *p, unsigned audio, unsigned video);

/* --- SDP --- */
/* our offer (NUL-terminated) into buf: actpass, ICE controlling, our host candidate */
int peer_offer(struct peer *p, char *buf, size_t cap);
/* take the remote answer to our offer: ICE credentials, fingerprint, candidate, setup. On a
 * peer that already has its DTLS association (a re-offer on the same peer: renegotiation),
 * only the payload types and RTX pairs are taken; the same ICE credentials and fingerprint
 * are required (EPROTO otherwise), and ICE, DTLS and SRTP go on untouched. */
int peer_answer(struct peer *p, const char *sdp);
/* take a remote offer and write our answer into buf: ICE controlled, a=setup:active */
int peer_accept_offer(struct peer *p, const char *offer, char *buf, size_t cap);

/* --- connection --- */
int peer_start(struct peer *p);       /* after the remote SDP: begins ICE checks */
bool peer_started(const struct peer *p);
bool peer_connected(const struct peer *p);
bool peer_failed(const struct peer *p);
const char *peer_srtp_profile(const struct peer *p);
/* receive and process everything queued on the socket (never blocks) */
void peer_recv(struct peer *p);
/* timers: ICE checks and consent, DTLS retransmission, RTCP reports */
void peer_tick(struct peer *p, uint64_t now_us);
uint64_t peer_next_tick(const struct peer *p);  /* monotonic us */
/* blocking helpers for tests: ICE + DTLS until connected (0, ETIMEDOUT or EPROTO), and
 * receive for timeout_ms (0 = only what is queued) */
int peer_connect(struct peer *p, int timeout_ms);
int peer_poll(struct peer *p, int timeout_ms);
/* a STUN consent check (keeps the relay's consent fresh) */
int peer_keepalive(struct peer *p);

/* --- media --- */
/* one RTP packet of kind with the given payload (our SSRC, next seq, ts); no history */
int peer_send_rtp(struct peer *p, enum peer_kind kind, const uint8_t *payload, size_t len,
		  uint32_t ts, bool marker);
/* the same, stamped: a 12-byte RTP padding trailer carries the send time (us, CLOCK_REALTIME)
 * for the receiver's delay. Video packets enter the retransmission history, which BORROWS
 * payload: it must stay valid as long as the peer lives (the load generator's frames do). */
int peer_send_media(struct peer *p, enum peer_kind kind, const uint8_t *payload, size_t len,
		    uint32_t ts, bool marker);
/* batch what p sends until peer_tx_flush() into one send (e.g. a video frame's packets): one
 * UDP GSO datagram the kernel cuts into the packets, or one sendmmsg (peer_tx.c). Peers on one
 * shared socket share the batch: beginning it on another peer of the same socket adds to it. */
void peer_tx_begin(struct peer *p);
void peer_tx_flush(void);
/* UDP GSO for the batch (default off: sendmmsg), for this thread */
void peer_tx_set_gso(bool on);
/* true once per keyframe request (PLI/FIR) received since the last call */
bool peer_take_keyframe_request(struct peer *p);
/* send raw bytes to the remote from this peer's socket (for negative tests) */
int peer_send_raw(struct peer *p, const uint8_t *buf, size_t len);
/* protect and send one RTCP compound we built */
int peer_send_rtcp(struct peer *p, const uint8_t *buf, size_t len);
/* skip n sequence numbers of kind, as if n packets were lost on the way */
void peer_skip_seq(struct peer *p, enum peer_kind kind, uint16_t n);
/* NACK gaps in received video at once, like a browser (default off: tests decide) */
void peer_set_auto_nack(struct peer *p, bool on);
/* SRTP-unprotect only every n-th received RTP packet of each kind (and every RTX and RTCP
 * packet); the others are counted from their plaintext header (loss, order, NACKs) without
 * their send-time trailer. 1 (the default) unprotects all; ignored with an rx handler. */
void peer_set_rx_sample(struct peer *p, unsigned every);

/* every RTP and RTCP packet received, after SRTP (for tests that look inside: several
 * streams of one kind, decoding); h NULL for RTCP. Called before the peer's own handling,
 * which may rewrite the buffer. */
struct rtp_hdr;
typedef void (peer_rx_h)(const struct rtp_hdr *h, const uint8_t *pkt, size_t len, void *arg);
void peer_set_rx_handler(struct peer *p, peer_rx_h *h, void *arg);
const struct peer_stats *peer_stats(const struct peer *p);
/* the receive accounting of the first stream of kind (loss window, delay, jitter) */
struct rxstats *peer_rxstats(struct peer *p, enum peer_kind kind);
/* every received stream of kind (one per SSRC, in order of arrival): n of them, i < n */
unsigned peer_rx_count(const struct peer *p, enum peer_kind kind);
struct rxstats *peer_rx_stream(struct peer *p, enum peer_kind kind, unsigned i);
/* open or close the measured window on every stream, and on streams that appear while it is
 * open (hist[kind] may be NULL) */
void peer_window_open(struct peer *p, struct rxhist *hist[PEER_NKINDS]);
void peer_window_close(struct peer *p);

#endif

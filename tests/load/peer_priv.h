/* peer internals shared by peer.c (transport: ICE, DTLS, demultiplexing), peer_sdp.c (offer
 * and answer) and peer_media.c (RTP/RTCP send and receive). Not for other users. */
#ifndef TESTS_PEER_PRIV_H
#define TESTS_PEER_PRIV_H
#include "tests/load/peer.h"
#include "media/dtls.h"
#include "media/ice.h"

#include <netinet/in.h>
#include <sys/socket.h>

#define PEER_PT_OPUS 111
#define PEER_PT_VP8 96
#define PEER_PT_RTX 97
#define PEER_BUF 1600
#define PEER_PAD_LEN 12             /* send-time trailer in RTP padding */
#define PEER_HIST 512               /* video retransmission history, packets (power of two) */
#define PEER_RX_BATCH 16
#define PEER_MAX_FID 16             /* remote RTX -> media SSRC pairs (a=ssrc-group:FID) */

/* a sent video packet; the payload is borrowed (see peer_send_media) */
struct peer_hist {
	const uint8_t *payload;
	uint16_t len, seq;
	uint32_t ts;
	uint64_t stamp_us;
	bool marker, used;
};

struct peer {
	int fd;                      /* its own socket, or its shared socket's (not owned) */
	struct peer_sock *sock;      /* NULL: the socket is its own (peer_sock.c) */
	unsigned sock_slot;
	peer_rx_h *rx_h;             /* every packet after SRTP, for tests that look inside */
	void *rx_arg;
	struct sockaddr_in local, remote;
	bool has_remote;
	bool offer_audio, offer_video;
	unsigned extra[PEER_NKINDS];         /* receive-only m-lines after the first audio/video */
	char lufrag[ICE_UFRAG_MAX + 1], lpwd[ICE_PWD_MAX + 1];
	char rufrag[64], rpwd[256];
	uint8_t rfp[DTLS_FP_LEN];
	bool controlling;           /* we offered */
	bool dtls_server;           /* the remote said a=setup:active */
	struct dtls_cert *cert;
	struct dtls_conn *dtls;
	struct srtp_session *srtp;
	enum srtp_profile_id profile;
	bool started, ice_ok, dtls_started, connected, failed;
	uint64_t tiebreaker;
	uint64_t next_check_us, next_rtcp_us;
	uint32_t ssrc[PEER_NKINDS], rtx_ssrc;
	uint16_t seq[PEER_NKINDS], rtx_seq;
	uint32_t last_ts[PEER_NKINDS];       /* for our SRs */
	uint8_t pt[PEER_NKINDS], rtx_pt;    /* negotiated payload types; rtx_pt 0 = none */
	bool has_kind[PEER_NKINDS];          /* negotiated m-lines */
	bool keyframe_wanted;
	bool auto_nack;
	unsigned rx_sample;          /* unprotect every n-th RTP packet of a kind */
	struct peer_hist hist[PEER_HIST];
	struct peer_stats st;
	/* received streams by kind, in order of arrival, one per SSRC; never reused */
	struct rxstats rx[PEER_NKINDS][PEER_MAX_RX];
	unsigned nrx[PEER_NKINDS];
	struct { uint32_t rtx, media; } fid[PEER_MAX_FID];   /* from the remote's SDP */
	unsigned nfid;
	bool win_open;                       /* peer_window_open(): new streams join the window */
	struct rxhist *win_hist[PEER_NKINDS];
};

/* a source address for one message on a shared socket (IP_PKTINFO) */
union peer_sock_cmsg {
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

/* peer_tx.c: a send queue, flushed by one sendmmsg (or GSO send) per 64 messages */
#define PEER_TX_BATCH 64
struct peer_txq {
	int fd;                       /* the socket; -1: not open */
	struct peer *p;               /* the peer it was opened on */
	bool mixed;                   /* other peers (of a shared socket) queued in it too */
	unsigned n;
	struct mmsghdr mm[PEER_TX_BATCH];
	struct iovec iov[PEER_TX_BATCH];
	struct peer *owner[PEER_TX_BATCH];
	union peer_sock_cmsg ctl[PEER_TX_BATCH];
	uint8_t buf[PEER_TX_BATCH][PEER_BUF];
};

/* peer.c */
void peer_on_datagram(struct peer *p, uint8_t *buf, size_t len, const struct sockaddr_in *from,
		      uint64_t arrival_us);
/* send one datagram from p's address (its own socket or its slot's on a shared one) */
int peer_sendto(struct peer *p, const uint8_t *buf, size_t len, const struct sockaddr_in *to);
void peer_dtls_send(const uint8_t *data, size_t len, void *arg);
int peer_dtls_setup(struct peer *p);
/* peer_tx.c: is p's batch open (peer_tx_begin)? then queue a protected packet in it */
bool peer_tx_queued(const struct peer *p);
int peer_tx_queue(struct peer *p, const uint8_t *buf, size_t n);
/* peer_sock.c: p takes the next slot of s (ENOSPC: none left), or leaves its slot */
int peer_sock_attach(struct peer_sock *s, struct peer *p);
void peer_sock_detach(struct peer *p);
void peer_sock_set_src(const struct peer *p, struct msghdr *mh, union peer_sock_cmsg *ctl);
struct peer_txq *peer_sock_txq(struct peer_sock *s);   /* the socket's send queue */
/* peer_media.c */
struct rxstats *peer_rx_find(struct peer *p, enum peer_kind k, uint32_t ssrc, bool create);
void peer_on_media(struct peer *p, uint8_t *buf, size_t len, uint64_t arrival_us);
void peer_rtcp_report(struct peer *p);
uint64_t peer_realtime_us(void);

#endif

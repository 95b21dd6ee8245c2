#include "tests/load/peer.h"
#include "base/clock.h"
#include "base/mem.h"
#include "media/dtls.h"
#include "media/ice.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "media/srtp_session.h"
#include "media/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PEER_PT_OPUS 111
#define PEER_PT_VP8 96
#define PEER_PT_RTX 97
#define PEER_BUF 1600

struct peer {
	int fd;
	struct sockaddr_in local, remote;
	bool has_remote;
	char lufrag[ICE_UFRAG_MAX + 1], lpwd[ICE_PWD_MAX + 1];
	char rufrag[64], rpwd[256];
	uint8_t rfp[DTLS_FP_LEN];
	struct dtls_cert *cert;
	struct dtls_conn *dtls;
	struct srtp_session *srtp;
	enum srtp_profile_id profile;
	bool ice_ok, connected;
	uint32_t ssrc[2];
	uint16_t seq[2];
	uint8_t pt[2];
	struct peer_stats st;
	peer_rx_h *rx_h;
	void *rx_arg;
};

static void peer_dtls_send(const uint8_t *data, size_t len, void *arg)
{
	struct peer *p = arg;
	sendto(p->fd, data, len, 0, (struct sockaddr *)&p->remote, sizeof(p->remote));
}

int peer_alloc(struct peer **pp, struct dtls_cert *cert, const char *bind_ip)
{
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	p->local.sin_family = AF_INET;
	inet_pton(AF_INET, bind_ip, &p->local.sin_addr);
	socklen_t alen = sizeof(p->local);
	if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&p->local, sizeof(p->local)) ||
	    getsockname(p->fd, (struct sockaddr *)&p->local, &alen)) {
		int err = errno;
		peer_free(p);
		return err;
	}
	int sz = 4 << 20;
	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	p->cert = mem_ref(cert);
	ice_gen_credentials(p->lufrag, p->lpwd);
	RAND_bytes((unsigned char *)p->ssrc, sizeof(p->ssrc));
	RAND_bytes((unsigned char *)p->seq, sizeof(p->seq));
	p->pt[PEER_AUDIO] = PEER_PT_OPUS;
	p->pt[PEER_VIDEO] = PEER_PT_VP8;
	*pp = p;
	return 0;
}

void peer_free(struct peer *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	mem_deref(p->srtp);
	mem_deref(p->dtls);
	mem_deref(p->cert);
	free(p);
}

int peer_fd(const struct peer *p) { return p->fd; }
uint16_t peer_port(const struct peer *p) { return ntohs(p->local.sin_port); }
const char *peer_ufrag(const struct peer *p) { return p->lufrag; }
bool peer_connected(const struct peer *p) { return p->connected; }
const struct peer_stats *peer_stats(const struct peer *p) { return &p->st; }
const char *peer_srtp_profile(const struct peer *p) { return srtp_session_profile_name(p->profile); }

int peer_offer(struct peer *p, char *buf, size_t cap)
{
	const char *fp = dtls_cert_fingerprint(p->cert);
	int n = snprintf(buf, cap,
		"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		"a=group:BUNDLE 0 1\r\na=msid-semantic: WMS peer\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
		"a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 %s\r\na=setup:actpass\r\n"
		"a=mid:0\r\na=sendrecv\r\na=msid:peer a0\r\na=rtcp-mux\r\n"
		"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
		"a=ssrc:%u cname:peer\r\n"
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
		"a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 %s\r\na=setup:actpass\r\n"
		"a=mid:1\r\na=sendrecv\r\na=msid:peer v0\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
		"a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
		"a=rtcp-fb:96 ccm fir\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
		"a=ssrc:%u cname:peer\r\n",
		p->lufrag, p->lpwd, fp, p->ssrc[PEER_AUDIO], p->lufrag, p->lpwd, fp,
		p->ssrc[PEER_VIDEO]);
	return n > 0 && (size_t)n < cap ? 0 : E2BIG;
}

/* the relay's host candidate: "a=candidate:... udp PRIO IP PORT typ host" */
static int peer_find_candidate(struct peer *p, const char *sdp)
{
	const char *c = strstr(sdp, "a=candidate:");
	char ip[64];
	unsigned port;
	if (!c || sscanf(c, "a=candidate:%*s %*s %*s %*s %63s %u", ip, &port) != 2 || port > 65535)
		return EPROTO;
	p->remote.sin_family = AF_INET;
	p->remote.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &p->remote.sin_addr) != 1)
		return EPROTO;
	p->has_remote = true;
	return 0;
}

int peer_answer(struct peer *p, const char *text)
{
	struct sdp_session *s = malloc(sizeof(*s));
	char err[160];
	int e = s ? sdp_parse(s, text, strlen(text), err, sizeof(err)) : ENOMEM;
	if (e)
		goto out;
	const struct sdp_media *m = s->nmedia ? &s->media[0] : NULL;
	const char *ufrag = m && *m->ice_ufrag ? m->ice_ufrag : s->ice_ufrag;
	const char *pwd = m && *m->ice_pwd ? m->ice_pwd : s->ice_pwd;
	const char *fp = m && *m->fingerprint ? m->fingerprint : s->fingerprint;
	snprintf(p->rufrag, sizeof(p->rufrag), "%s", ufrag);
	snprintf(p->rpwd, sizeof(p->rpwd), "%s", pwd);
	if ((e = dtls_fp_parse(fp, p->rfp)) || (e = peer_find_candidate(p, text)))
		goto out;
	e = dtls_conn_alloc(&p->dtls, p->cert, false, p->rfp, peer_dtls_send, p);
out:
	free(s);
	return e;
}

int peer_keepalive(struct peer *p)
{
	uint8_t tid[12], buf[512];
	char user[160];
	RAND_bytes(tid, sizeof(tid));
	snprintf(user, sizeof(user), "%s:%s", p->rufrag, p->lufrag);
	size_t n = stun_build_binding_request(buf, sizeof(buf), tid, user, (const uint8_t *)p->rpwd,
					      strlen(p->rpwd), 0x6e7f1eff, 0x1234567890abcdefull, true);
	return n ? peer_send_raw(p, buf, n) : E2BIG;
}

int peer_send_raw(struct peer *p, const uint8_t *buf, size_t len)
{
	return sendto(p->fd, buf, len, 0, (struct sockaddr *)&p->remote, sizeof(p->remote)) < 0 ?
		errno : 0;
}

static void peer_on_stun(struct peer *p, const uint8_t *buf, size_t len)
{
	struct stun_msg m;
	if (stun_msg_decode(&m, buf, len) || m.type != STUN_BINDING_SUCCESS)
		return;
	if (!stun_msg_integrity_ok(&m, (const uint8_t *)p->rpwd, strlen(p->rpwd)))
		return;
	p->ice_ok = true;
}

static void peer_count_rtp(struct peer *p, const uint8_t *buf, size_t len)
{
	struct rtp_hdr h;
	if (rtp_parse(&h, buf, len))
		return;
	if (h.pt == PEER_PT_RTX)
		p->st.rtx_rx++;
	int k = h.pt == PEER_PT_OPUS ? PEER_AUDIO : h.pt == PEER_PT_VP8 ? PEER_VIDEO : -1;
	if (k < 0)
		return;
	struct peer_stream_stats *s = &p->st.rx[k];
	if (s->started && s->ssrc == h.ssrc) {
		uint16_t gap = (uint16_t)(h.seq - s->last_seq);
		if (gap > 1 && gap < 0x8000)
			s->lost_gaps += gap - 1u;
		if (gap && gap < 0x8000)
			s->last_seq = h.seq;
	} else {
		s->started = true;
		s->ssrc = h.ssrc;
		s->last_seq = h.seq;
	}
	s->packets++;
	s->bytes += len;
}

static void peer_on_rtcp(struct peer *p, const uint8_t *buf, size_t len)
{
	struct rtcp_pkt r;
	size_t off = 0;
	p->st.rtcp_rx++;
	while (rtcp_next(buf, len, &off, &r) == 1) {
		if (r.pt == RTCP_PSFB && r.count == RTCP_FMT_PLI)
			p->st.pli_rx++;
		if (r.pt == RTCP_RTPFB && r.count == RTCP_FMT_NACK)
			p->st.nack_rx++;
	}
}

static void peer_on_media(struct peer *p, uint8_t *buf, size_t len)
{
	if (!p->srtp)
		return;
	bool rtcp = rtp_is_rtcp(buf, len);
	int e = rtcp ? srtp_session_unprotect_rtcp(p->srtp, buf, &len)
		     : srtp_session_unprotect_rtp(p->srtp, buf, &len);
	if (e) {
		p->st.unprotect_fail++;
		return;
	}
	if (rtcp)
		peer_on_rtcp(p, buf, len);
	else
		peer_count_rtp(p, buf, len);
	struct rtp_hdr h;
	if (p->rx_h && (rtcp || rtp_parse(&h, buf, len) == 0))
		p->rx_h(rtcp ? NULL : &h, buf, len, p->rx_arg);
}

void peer_set_rx_handler(struct peer *p, peer_rx_h *h, void *arg)
{
	p->rx_h = h;
	p->rx_arg = arg;
}

static void peer_on_datagram(struct peer *p, uint8_t *buf, size_t len)
{
	if (len && buf[0] <= 3) {
		peer_on_stun(p, buf, len);
	} else if (len && buf[0] >= 20 && buf[0] <= 63 && p->dtls) {
		dtls_conn_recv(p->dtls, buf, len);
		if (!p->connected && dtls_conn_state(p->dtls) == DTLS_CONNECTED) {
			struct srtp_keys keys;
			if (dtls_conn_keys(p->dtls, &keys) == 0 &&
			    srtp_session_alloc(&p->srtp, &keys) == 0) {
				p->profile = keys.profile;
				p->connected = true;
			}
		}
	} else if (len && buf[0] >= 128 && buf[0] <= 191) {
		peer_on_media(p, buf, len);
	}
}

int peer_poll(struct peer *p, int timeout_ms)
{
	uint64_t end = clock_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	uint8_t buf[PEER_BUF];
	for (;;) {
		int left = (int)(end > clock_ms() ? end - clock_ms() : 0);
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		if (poll(&pfd, 1, left) <= 0)
			return 0;
		ssize_t n;
		while ((n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			peer_on_datagram(p, buf, (size_t)n);
		if (p->dtls && !p->connected) {
			uint64_t due = dtls_conn_deadline(p->dtls, clock_us());
			if (due && due <= clock_us())
				dtls_conn_timeout(p->dtls);
		}
		if (!left)
			return 0;
	}
}

int peer_connect(struct peer *p, int timeout_ms)
{
	if (!p->has_remote || !p->dtls)
		return EINVAL;
	uint64_t end = clock_ms() + (uint64_t)timeout_ms;
	while (!p->ice_ok && clock_ms() < end) {
		peer_keepalive(p);
		peer_poll(p, 50);
	}
	if (!p->ice_ok)
		return ETIMEDOUT;
	dtls_conn_connect(p->dtls);
	while (!p->connected && clock_ms() < end) {
		peer_poll(p, 20);
		if (dtls_conn_state(p->dtls) == DTLS_FAILED)
			return EPROTO;
	}
	return p->connected ? 0 : ETIMEDOUT;
}

int peer_send_rtp(struct peer *p, enum peer_kind kind, const uint8_t *payload, size_t len,
		  uint32_t ts, bool marker)
{
	uint8_t buf[PEER_BUF];
	if (!p->srtp || len + RTP_HDR_LEN + SRTP_SESSION_TRAILER > sizeof(buf))
		return EINVAL;
	rtp_write_hdr(buf, sizeof(buf), p->pt[kind], marker, p->seq[kind]++, ts, p->ssrc[kind]);
	memcpy(buf + RTP_HDR_LEN, payload, len);
	size_t n = RTP_HDR_LEN + len;
	int e = srtp_session_protect_rtp(p->srtp, buf, &n, sizeof(buf));
	if (e)
		return e;
	p->st.tx_packets[kind]++;
	return peer_send_raw(p, buf, n);
}

void peer_skip_seq(struct peer *p, enum peer_kind kind, uint16_t n)
{
	p->seq[kind] = (uint16_t)(p->seq[kind] + n);
}

int peer_send_rtcp(struct peer *p, const uint8_t *rtcp, size_t len)
{
	uint8_t buf[PEER_BUF];
	if (!p->srtp || len + SRTP_SESSION_TRAILER > sizeof(buf))
		return EINVAL;
	memcpy(buf, rtcp, len);
	int e = srtp_session_protect_rtcp(p->srtp, buf, &len, sizeof(buf));
	return e ? e : peer_send_raw(p, buf, len);
}

/* peer: transport of the scripted WebRTC endpoint: socket, ICE (checks sent when controlling,
 * answered always), DTLS in the role the SDP gave, datagram demultiplexing (RFC 7983), timers. */
#include "tests/load/peer_priv.h"
#include "base/clock.h"
#include "base/mem.h"
#include "media/rtp.h"
#include "media/srtp_session.h"
#include "media/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PEER_CHECK_RETRY_US 50000u     /* ICE checks until the first success */
#define PEER_CONSENT_US 2500000u       /* then consent checks (RFC 7675) */
#define PEER_RTCP_US 1000000u
#define PEER_PRIORITY 0x6e7f1effu

/* one receive batch shared by every peer of the thread (peers are single-threaded) */
static _Thread_local uint8_t peer_rxbuf[PEER_RX_BATCH][PEER_BUF];
static _Thread_local char peer_rxctl[PEER_RX_BATCH][CMSG_SPACE(sizeof(struct timespec))];

int peer_sendto(struct peer *p, const uint8_t *buf, size_t len, const struct sockaddr_in *to)
{
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {.msg_name = (void *)to, .msg_namelen = sizeof(*to), .msg_iov = &iov,
			    .msg_iovlen = 1};
	union peer_sock_cmsg ctl;
	if (p->fd < 0)
		return EBADF;
	if (p->sock)
		peer_sock_set_src(p, &mh, &ctl);
	if (sendmsg(p->fd, &mh, MSG_DONTWAIT) >= 0)
		return 0;
	p->st.tx_errors++;
	return errno;
}

void peer_dtls_send(const uint8_t *data, size_t len, void *arg)
{
	struct peer *p = arg;
	peer_sendto(p, data, len, &p->remote);
}

static int peer_socket(struct peer *p, const char *bind_ip)
{
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->fd < 0)
		return errno;
	p->local.sin_family = AF_INET;
	if (inet_pton(AF_INET, bind_ip, &p->local.sin_addr) != 1)
		return EINVAL;
	socklen_t alen = sizeof(p->local);
	if (bind(p->fd, (struct sockaddr *)&p->local, sizeof(p->local)) ||
	    getsockname(p->fd, (struct sockaddr *)&p->local, &alen))
		return errno;
	int sz = 1 << 20, one = 1;
	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	int df = IP_PMTUDISC_PROBE;    /* DF, like a browser: IP ID 0, no __ip_select_ident */
	setsockopt(p->fd, IPPROTO_IP, IP_MTU_DISCOVER, &df, sizeof(df));
	return 0;
}

static void peer_init(struct peer *p, struct dtls_cert *cert)
{
	p->cert = mem_ref(cert);
	ice_gen_credentials(p->lufrag, p->lpwd);
	RAND_bytes((unsigned char *)p->ssrc, sizeof(p->ssrc));
	RAND_bytes((unsigned char *)&p->rtx_ssrc, sizeof(p->rtx_ssrc));
	RAND_bytes((unsigned char *)p->seq, sizeof(p->seq));
	RAND_bytes((unsigned char *)&p->tiebreaker, sizeof(p->tiebreaker));
	p->seq[PEER_VIDEO] &= 0x3fff;  /* room before a wrap: makes traces easier to read */
	p->pt[PEER_AUDIO] = PEER_PT_OPUS;
	p->pt[PEER_VIDEO] = PEER_PT_VP8;
	p->rtx_pt = PEER_PT_RTX;
	p->offer_audio = p->offer_video = true;
}

int peer_alloc(struct peer **pp, struct dtls_cert *cert, const char *bind_ip)
{
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	int err = peer_socket(p, bind_ip);
	if (err) {
		peer_free(p);
		return err;
	}
	peer_init(p, cert);
	*pp = p;
	return 0;
}

int peer_alloc_shared(struct peer **pp, struct dtls_cert *cert, struct peer_sock *s)
{
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	int err = peer_sock_attach(s, p);
	if (err) {
		free(p);
		return err;
	}
	peer_init(p, cert);
	*pp = p;
	return 0;
}

void peer_free(struct peer *p)
{
	if (!p)
		return;
	if (peer_tx_queued(p))
		peer_tx_flush();         /* the queue borrows it */
	if (p->dtls && p->connected)
		dtls_conn_close(p->dtls);
	if (p->sock)
		peer_sock_detach(p);
	else if (p->fd >= 0)
		close(p->fd);
	mem_deref(p->srtp);
	mem_deref(p->dtls);
	mem_deref(p->cert);
	free(p);
}

int peer_fd(const struct peer *p) { return p->fd; }
uint16_t peer_port(const struct peer *p) { return ntohs(p->local.sin_port); }
const char *peer_ufrag(const struct peer *p) { return p->lufrag; }
void peer_set_auto_nack(struct peer *p, bool on) { p->auto_nack = on; }
void peer_set_rx_sample(struct peer *p, unsigned every) { p->rx_sample = every; }
bool peer_connected(const struct peer *p) { return p->connected; }
bool peer_failed(const struct peer *p) { return p->failed; }
const struct peer_stats *peer_stats(const struct peer *p) { return &p->st; }
bool peer_started(const struct peer *p) { return p->started; }
struct rxstats *peer_rxstats(struct peer *p, enum peer_kind k) { return &p->rx[k][0]; }
unsigned peer_rx_count(const struct peer *p, enum peer_kind k) { return p->nrx[k]; }
struct rxstats *peer_rx_stream(struct peer *p, enum peer_kind k, unsigned i)
{
	return i < p->nrx[k] ? &p->rx[k][i] : NULL;
}
const char *peer_srtp_profile(const struct peer *p) { return srtp_session_profile_name(p->profile); }

void peer_set_media(struct peer *p, bool audio, bool video)
{
	p->offer_audio = audio;
	p->offer_video = video;
}

void peer_set_recvonly(struct peer *p, unsigned audio, unsigned video)
{
	p->extra[PEER_AUDIO] = audio < PEER_MAX_EXTRA ? audio : PEER_MAX_EXTRA;
	p->extra[PEER_VIDEO] = video < PEER_MAX_EXTRA ? video : PEER_MAX_EXTRA;
}

void peer_window_open(struct peer *p, struct rxhist *hist[PEER_NKINDS])
{
	p->win_open = true;
	for (int k = 0; k < PEER_NKINDS; k++) {
		p->win_hist[k] = hist ? hist[k] : NULL;
		for (unsigned i = 0; i < p->nrx[k]; i++)
			rxstats_window_open(&p->rx[k][i], p->win_hist[k]);
	}
}

void peer_window_close(struct peer *p)
{
	p->win_open = false;
	for (int k = 0; k < PEER_NKINDS; k++)
		for (unsigned i = 0; i < p->nrx[k]; i++)
			rxstats_window_close(&p->rx[k][i]);
}

int peer_dtls_setup(struct peer *p)
{
	return dtls_conn_alloc(&p->dtls, p->cert, p->dtls_server, p->rfp, peer_dtls_send, p);
}

int peer_send_raw(struct peer *p, const uint8_t *buf, size_t len)
{
	return peer_sendto(p, buf, len, &p->remote);
}

int peer_keepalive(struct peer *p)
{
	uint8_t tid[12], buf[512];
	char user[160];
	RAND_bytes(tid, sizeof(tid));
	snprintf(user, sizeof(user), "%s:%s", p->rufrag, p->lufrag);
	size_t n = stun_build_binding_request(buf, sizeof(buf), tid, user, (const uint8_t *)p->rpwd,
					      strlen(p->rpwd), PEER_PRIORITY, p->tiebreaker, true);
	return n ? peer_send_raw(p, buf, n) : E2BIG;
}

/* a usable candidate pair: the DTLS client starts its handshake */
static void peer_ice_done(struct peer *p)
{
	if (p->ice_ok)
		return;
	p->ice_ok = true;
	if (p->dtls && !p->dtls_server && !p->dtls_started) {
		p->dtls_started = true;
		dtls_conn_connect(p->dtls);
	}
}

/* the remote's check (it is controlling, or checks too): answer with our password */
static void peer_on_binding_request(struct peer *p, const struct stun_msg *m,
				    const struct sockaddr_in *from)
{
	size_t ul = strlen(p->lufrag);
	if (!m->username || m->username_len <= ul || memcmp(m->username, p->lufrag, ul) ||
	    m->username[ul] != ':' ||
	    !stun_msg_integrity_ok(m, (const uint8_t *)p->lpwd, strlen(p->lpwd)))
		return;
	uint8_t out[256];
	size_t n = stun_build_binding_success(out, sizeof(out), m->tid, (const struct sockaddr *)from,
					      (const uint8_t *)p->lpwd, strlen(p->lpwd));
	if (n)
		peer_sendto(p, out, n, from);
	if (!p->has_remote || (m->use_candidate && !p->controlling)) {
		p->remote = *from;
		p->has_remote = true;
	}
	if (!p->controlling)
		peer_ice_done(p);
}

static void peer_on_stun(struct peer *p, const uint8_t *buf, size_t len,
			 const struct sockaddr_in *from)
{
	struct stun_msg m;
	p->st.stun_rx++;
	if (stun_msg_decode(&m, buf, len))
		return;
	if (m.type == STUN_BINDING_REQUEST) {
		peer_on_binding_request(p, &m, from);
	} else if (m.type == STUN_BINDING_SUCCESS &&
		   stun_msg_integrity_ok(&m, (const uint8_t *)p->rpwd, strlen(p->rpwd))) {
		peer_ice_done(p);
	}
}

static void peer_on_dtls(struct peer *p, const uint8_t *buf, size_t len)
{
	if (!p->dtls)
		return;
	dtls_conn_recv(p->dtls, buf, len);
	enum dtls_state st = dtls_conn_state(p->dtls);
	if (st == DTLS_FAILED) {
		p->failed = true;
	} else if (!p->connected && st == DTLS_CONNECTED) {
		struct srtp_keys keys;
		if (dtls_conn_keys(p->dtls, &keys) == 0 && srtp_session_alloc(&p->srtp, &keys) == 0) {
			p->profile = keys.profile;
			p->connected = true;
			p->next_rtcp_us = clock_us() + PEER_RTCP_US / 2;
		} else {
			p->failed = true;
		}
	}
}

void peer_on_datagram(struct peer *p, uint8_t *buf, size_t len, const struct sockaddr_in *from,
		      uint64_t arrival_us)
{
	if (!len)
		return;
	if (buf[0] <= 3)
		peer_on_stun(p, buf, len, from);
	else if (buf[0] >= 20 && buf[0] <= 63)
		peer_on_dtls(p, buf, len);
	else if (buf[0] >= 128 && buf[0] <= 191)
		peer_on_media(p, buf, len, arrival_us);
}

static uint64_t peer_msg_time(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
		}
	}
	return peer_realtime_us();
}

/* the batch's headers, set up once: a call rewrites only what the kernel changed */
static _Thread_local struct {
	bool ready;
	struct mmsghdr mm[PEER_RX_BATCH];
	struct iovec iov[PEER_RX_BATCH];
	struct sockaddr_in from[PEER_RX_BATCH];
} peer_rxh;

static void peer_rxh_reset(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		peer_rxh.iov[i] = (struct iovec){peer_rxbuf[i], PEER_BUF};
		peer_rxh.mm[i].msg_hdr = (struct msghdr){.msg_name = &peer_rxh.from[i],
			.msg_namelen = sizeof(peer_rxh.from[i]), .msg_iov = &peer_rxh.iov[i],
			.msg_iovlen = 1, .msg_control = peer_rxctl[i],
			.msg_controllen = sizeof(peer_rxctl[i])};
	}
}

void peer_recv(struct peer *p)
{
	if (p->sock) {
		peer_sock_recv(p->sock);   /* every peer's on it */
		return;
	}
	if (!peer_rxh.ready) {
		peer_rxh_reset(PEER_RX_BATCH);
		peer_rxh.ready = true;
	}
	for (;;) {
		int n = recvmmsg(p->fd, peer_rxh.mm, PEER_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			peer_on_datagram(p, peer_rxbuf[i], peer_rxh.mm[i].msg_len, &peer_rxh.from[i],
					 peer_msg_time(&peer_rxh.mm[i].msg_hdr));
		peer_rxh_reset((unsigned)n);   /* the kernel shortened namelen and controllen */
		if (n < PEER_RX_BATCH)
			return;
	}
}

int peer_start(struct peer *p)
{
	if (!p->dtls || (p->controlling && !p->has_remote))
		return EINVAL;
	p->started = true;
	p->next_check_us = clock_us();
	return 0;
}

void peer_tick(struct peer *p, uint64_t now_us)
{
	if (!p->started || p->failed)
		return;
	if (p->controlling && now_us >= p->next_check_us) {
		peer_keepalive(p);
		p->next_check_us = now_us + (p->ice_ok ? PEER_CONSENT_US : PEER_CHECK_RETRY_US);
	}
	if (!p->connected && (p->dtls_started || p->dtls_server)) {
		uint64_t due = dtls_conn_deadline(p->dtls, now_us);
		if (due && due <= now_us)
			dtls_conn_timeout(p->dtls);
		if (dtls_conn_state(p->dtls) == DTLS_FAILED)
			p->failed = true;
	}
	if (p->connected && now_us >= p->next_rtcp_us) {
		peer_rtcp_report(p);
		p->next_rtcp_us = now_us + PEER_RTCP_US;
	}
}

uint64_t peer_next_tick(const struct peer *p)
{
	uint64_t next = UINT64_MAX;
	if (!p->started || p->failed)
		return next;
	if (p->controlling)
		next = p->next_check_us;
	if (!p->connected) {
		uint64_t due = dtls_conn_deadline(p->dtls, clock_us());
		if (due && due < next)
			next = due;
		if (next == UINT64_MAX || next > clock_us() + 100000u)
			next = clock_us() + 100000u;  /* waiting for the remote: look again soon */
	} else if (p->next_rtcp_us < next) {
		next = p->next_rtcp_us;
	}
	return next;
}

int peer_poll(struct peer *p, int timeout_ms)
{
	uint64_t end = clock_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		int left = (int)(end > clock_ms() ? end - clock_ms() : 0);
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		int n = poll(&pfd, 1, left > 10 ? 10 : left);
		if (n > 0)
			peer_recv(p);
		peer_tick(p, clock_us());
		if (!left)
			return 0;
	}
}

int peer_connect(struct peer *p, int timeout_ms)
{
	int e = p->started ? 0 : peer_start(p);
	if (e)
		return e;
	uint64_t end = clock_ms() + (uint64_t)timeout_ms;
	while (!p->connected && !p->failed && clock_ms() < end)
		peer_poll(p, 10);
	return p->connected ? 0 : p->failed ? EPROTO : ETIMEDOUT;
}

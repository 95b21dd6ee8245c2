/* worker_rx: the worker's receive batch. See media/worker.h.
 *
 * One recvmmsg reads up to WORKER_RX_BATCH messages. With UDP GRO on the socket (Linux 5.0)
 * the kernel may hand over a run of datagrams from one source as one message: the frames a
 * NIC received back to back from one sender, or one GSO send over loopback, which then never
 * gets cut into datagrams on its way in. A UDP_GRO control message gives the datagrams' size;
 * all are that size except the last, which may be shorter. Each is copied out to w->rx_seg
 * (room after it, as handlers expect) and handed over in order; a message without the
 * control message is one datagram and is handed over where it lies.
 *
 * A datagram longer than WORKER_PKT_MAX cannot be media from a browser; it is counted and
 * dropped (before GRO the kernel truncated it, and SRTP then refused it). */
#define LOG_MODULE "worker"
#include "media/worker.h"
#include "base/log.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

void worker_rx_init(struct worker *w)
{
	for (unsigned i = 0; i < WORKER_RX_BATCH; i++) {
		w->rx_iov[i].iov_base = w->rx_buf[i];
		w->rx_msg[i].msg_hdr.msg_iov = &w->rx_iov[i];
		w->rx_msg[i].msg_hdr.msg_iovlen = 1;
		w->rx_msg[i].msg_hdr.msg_name = &w->rx_addr[i];
		w->rx_msg[i].msg_hdr.msg_control = w->rx_cmsg[i].buf;
	}
}

int worker_rx_gro(struct worker *w)
{
	int one = 1;
	if (setsockopt(w->fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0)
		return 0;
	int err = errno;
	log_info("no UDP GRO on the media socket (%s): datagrams come one by one", strerror(err));
	return err;
}

int worker_rx_batch(struct worker *w)
{
	for (unsigned i = 0; i < WORKER_RX_BATCH; i++) {
		w->rx_iov[i].iov_len = WORKER_RX_CAP;
		w->rx_msg[i].msg_hdr.msg_namelen = sizeof(w->rx_addr[i]);
		w->rx_msg[i].msg_hdr.msg_controllen = sizeof(w->rx_cmsg[i].buf);
	}
	return recvmmsg(w->fd, w->rx_msg, WORKER_RX_BATCH, MSG_DONTWAIT, NULL);
}

/* the datagram size of a GRO run, or 0 for a single datagram */
static size_t worker_rx_gro_size(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int seg;
			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
			return seg > 0 ? (size_t)seg : 0;
		}
	}
	return 0;
}

static void worker_rx_one(struct worker *w, uint8_t *buf, size_t len, const struct sockaddr *from,
			  worker_rx_h *h)
{
	w->cnt.rx_datagrams++;
	if (len > WORKER_PKT_MAX) {
		w->cnt.rx_oversize++;
		log_limited(LOG_DEBUG, "dropping a %zu-byte datagram", len);
		return;
	}
	h(w, buf, len, from);
}

static void worker_rx_run(struct worker *w, const uint8_t *buf, size_t len, size_t seg,
			  const struct sockaddr *from, worker_rx_h *h)
{
	for (size_t off = 0; off < len; off += seg) {
		size_t n = len - off < seg ? len - off : seg;
		w->cnt.rx_gro_datagrams++;
		if (n > WORKER_PKT_MAX) {
			worker_rx_one(w, NULL, n, from, h);  /* counted and dropped */
			continue;
		}
		memcpy(w->rx_seg, buf + off, n);
		worker_rx_one(w, w->rx_seg, n, from, h);
	}
}

void worker_rx_each(struct worker *w, int n, worker_rx_h *h)
{
	for (int i = 0; i < n; i++) {
		struct msghdr *m = &w->rx_msg[i].msg_hdr;
		const struct sockaddr *from = (const struct sockaddr *)&w->rx_addr[i];
		size_t len = w->rx_msg[i].msg_len;
		size_t seg = worker_rx_gro_size(m);
		if (seg && seg < len)
			worker_rx_run(w, w->rx_buf[i], len, seg, from, h);
		else
			worker_rx_one(w, w->rx_buf[i], len, from, h);
	}
}

/* worker_tx: the worker's transmit batch. See media/worker.h.
 *
 * Handlers queue datagrams in the batch (worker_tx_slot + worker_tx_commit); the batch goes
 * out in one sendmmsg when it is full and after each received batch, timer or command. A run
 * of datagrams to one destination (a video frame's packets forwarded to one leg) goes as one
 * UDP GSO send (UDP_SEGMENT, Linux 4.18): one trip through the IP stack, the route lookup and
 * the device for the run instead of one per datagram; the kernel (or the NIC) cuts it into
 * the same datagrams. GSO needs every datagram of a run to have the same size except the last,
 * which may be shorter, so a run ends at the first datagram that is longer than the first or
 * follows a shorter one. Order to each destination is kept; nothing is reordered.
 *
 * If the kernel refuses a GSO send for what GSO is (no UDP_SEGMENT, a device without
 * checksum offload: EIO, EINVAL, ENOPROTOOPT), the run goes again as plain datagrams and
 * the worker stops grouping for good. Other errors (EAGAIN, unreachable) drop that send's
 * datagrams, as a plain send would have. */
#define LOG_MODULE "worker"
#include "media/worker.h"
#include "base/log.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

enum { WORKER_GSO_MAX_BYTES = 65000 };   /* one IP datagram's payload, with headroom */

static bool worker_tx_same_dest(const struct worker *w, unsigned a, unsigned b)
{
	const struct sockaddr *x = (const struct sockaddr *)&w->tx_addr[a];
	const struct sockaddr *y = (const struct sockaddr *)&w->tx_addr[b];
	if (x->sa_family != y->sa_family)
		return false;
	if (x->sa_family == AF_INET) {
		const struct sockaddr_in *p = (const void *)x, *q = (const void *)y;
		return p->sin_port == q->sin_port && p->sin_addr.s_addr == q->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *p = (const void *)x, *q = (const void *)y;
	return p->sin6_port == q->sin6_port && p->sin6_scope_id == q->sin6_scope_id &&
	       memcmp(&p->sin6_addr, &q->sin6_addr, sizeof(p->sin6_addr)) == 0;
}

/* how many datagrams from `first` on can go as one GSO send (at least 1) */
static unsigned worker_tx_run(const struct worker *w, unsigned first)
{
	if (w->tx_gso_off)
		return 1;
	size_t seg = w->tx_iov[first].iov_len, total = seg;
	unsigned n = 1;
	while (first + n < w->ntx && n < UDP_GSO_MAX_SEGS) {
		unsigned i = first + n;
		size_t len = w->tx_iov[i].iov_len;
		if (w->tx_iov[i - 1].iov_len != seg || len > seg || len == 0 ||
		    total + len > WORKER_GSO_MAX_BYTES || !worker_tx_same_dest(w, first, i))
			break;
		total += len;
		n++;
	}
	return n;
}

/* group g: the n datagrams from `first`, as one message (with UDP_SEGMENT when n > 1) */
static void worker_tx_group(struct worker *w, unsigned g, unsigned first, unsigned n)
{
	struct msghdr *m = &w->tx_grp_msg[g].msg_hdr;
	*m = w->tx_msg[first].msg_hdr;
	m->msg_iovlen = n;
	m->msg_control = NULL;
	m->msg_controllen = 0;
	w->tx_grp_first[g] = (uint8_t)first;
	w->tx_grp_n[g] = (uint8_t)n;
	if (n > 1)
		udp_gso_set(m, &w->tx_grp_cmsg[g], (uint16_t)w->tx_iov[first].iov_len);
}

/* plain sendmmsg of tx_msg[first, first + n): a datagram that cannot go is dropped alone */
static void worker_tx_plain(struct worker *w, unsigned first, unsigned n)
{
	unsigned off = first, end = first + n;
	while (off < end) {
		int k = sendmmsg(w->fd, &w->tx_msg[off], end - off, MSG_DONTWAIT);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			w->cnt.tx_errors++;
			log_limited(LOG_WARN, "sendmmsg: %s", strerror(errno));
			off++;
			continue;
		}
		w->cnt.tx_datagrams += (unsigned)k;
		off += (unsigned)k;
	}
}

/* group g failed with errno err */
static void worker_tx_group_failed(struct worker *w, unsigned g, int err)
{
	unsigned first = w->tx_grp_first[g], n = w->tx_grp_n[g];
	if (n > 1 && udp_gso_refused(err)) {
		log_warn("UDP GSO refused (%s): sending datagram by datagram from now on",
			 strerror(err));
		w->tx_gso_off = true;
		worker_tx_plain(w, first, n);
		return;
	}
	w->cnt.tx_errors += n;
	log_limited(LOG_WARN, "sendmmsg: %s", strerror(err));
}

static void worker_tx_count(struct worker *w, unsigned g0, unsigned ng)
{
	for (unsigned g = g0; g < g0 + ng; g++) {
		w->cnt.tx_datagrams += w->tx_grp_n[g];
		if (w->tx_grp_n[g] > 1)
			w->cnt.tx_gso_datagrams += w->tx_grp_n[g];
	}
}

void worker_tx_init(struct worker *w)
{
	for (unsigned i = 0; i < WORKER_TX_BATCH; i++) {
		w->tx_iov[i].iov_base = w->tx_buf[i];
		w->tx_msg[i].msg_hdr.msg_iov = &w->tx_iov[i];
		w->tx_msg[i].msg_hdr.msg_iovlen = 1;
		w->tx_msg[i].msg_hdr.msg_name = &w->tx_addr[i];
	}
	w->ntx = 0;
}

void worker_tx_flush(struct worker *w)
{
	unsigned ng = 0;
	for (unsigned i = 0; i < w->ntx; ng++) {
		unsigned n = worker_tx_run(w, i);
		worker_tx_group(w, ng, i, n);
		i += n;
	}
	unsigned off = 0;
	while (off < ng) {
		int k = sendmmsg(w->fd, &w->tx_grp_msg[off], ng - off, MSG_DONTWAIT);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			worker_tx_group_failed(w, off, errno);
			off++;
			continue;
		}
		worker_tx_count(w, off, (unsigned)k);
		off += (unsigned)k;
	}
	w->ntx = 0;
}

uint8_t *worker_tx_slot(struct worker *w)
{
	if (w->ntx == WORKER_TX_BATCH)
		worker_tx_flush(w);
	return w->tx_buf[w->ntx];
}

void worker_tx_commit(struct worker *w, size_t len, const struct sockaddr *dest)
{
	unsigned i = w->ntx++;
	socklen_t alen = dest->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						     : sizeof(struct sockaddr_in);
	memcpy(&w->tx_addr[i], dest, alen);
	w->tx_iov[i].iov_len = len;
	w->tx_msg[i].msg_hdr.msg_namelen = alen;
}

void worker_send(struct worker *w, const uint8_t *data, size_t len, const struct sockaddr *dest)
{
	if (len > WORKER_PKT_CAP)
		return;
	memcpy(worker_tx_slot(w), data, len);
	worker_tx_commit(w, len, dest);
}

/* ws: minimal WebSocket client. The socket is non-blocking; writes wait with poll(). */
#include "tests/load/ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xa

struct ws {
	int fd;
	uint8_t *rx;                 /* raw bytes received, not yet parsed */
	size_t rxlen, rxcap, rxoff;  /* rxoff: start of the unparsed part */
	char *msg;                   /* the message being assembled (fragments) */
	size_t msglen, msgcap;
	bool closed;
};

static int ws_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n = poll(&p, 1, timeout_ms);
	return n > 0 ? 0 : n == 0 ? ETIMEDOUT : errno;
}

static int ws_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int e = ws_wait(fd, POLLOUT, 5000);
			if (e)
				return e;
			continue;
		}
		if (n < 0)
			return errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int ws_rx_fill(struct ws *w)
{
	if (w->rxoff && w->rxoff == w->rxlen)
		w->rxoff = w->rxlen = 0;
	if (w->rxcap - w->rxlen < 4096) {
		if (w->rxoff) {
			memmove(w->rx, w->rx + w->rxoff, w->rxlen - w->rxoff);
			w->rxlen -= w->rxoff;
			w->rxoff = 0;
		}
		if (w->rxcap - w->rxlen < 4096) {
			size_t cap = w->rxcap ? w->rxcap * 2 : 16384;
			uint8_t *b = cap <= 2 * WS_MAX_MESSAGE ? realloc(w->rx, cap) : NULL;
			if (!b)
				return EMSGSIZE;
			w->rx = b;
			w->rxcap = cap;
		}
	}
	ssize_t n = recv(w->fd, w->rx + w->rxlen, w->rxcap - w->rxlen, MSG_DONTWAIT);
	if (n == 0)
		return ECONNRESET;
	if (n < 0)
		return errno == EINTR ? EAGAIN : errno;
	w->rxlen += (size_t)n;
	return 0;
}

static int ws_tcp_connect(const char *host, uint16_t port, int timeout_ms, int *fdp)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return EINVAL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	int one = 1, e = 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
		e = errno;
	if (!e && !(e = ws_wait(fd, POLLOUT, timeout_ms))) {
		socklen_t sl = sizeof(e);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl);
	}
	if (e) {
		close(fd);
		return e;
	}
	*fdp = fd;
	return 0;
}

/* base64(SHA-1(key || GUID)), what the server must answer */
static void ws_accept_value(const char *key, char out[64])
{
	char cat[128];
	unsigned char md[20];
	unsigned mdlen = 0;
	snprintf(cat, sizeof(cat), "%s%s", key, WS_GUID);
	EVP_Digest(cat, strlen(cat), md, &mdlen, EVP_sha1(), NULL);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

static int ws_handshake(struct ws *w, const char *host, uint16_t port, const char *path,
			const char *proto, int timeout_ms)
{
	unsigned char raw[16];
	char key[32], req[512], want[64];
	RAND_bytes(raw, sizeof(raw));
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
			 "Sec-WebSocket-Version: 13\r\n%s%s%sOrigin: http://%s:%u\r\n\r\n",
			 path, host, port, key, proto ? "Sec-WebSocket-Protocol: " : "",
			 proto ? proto : "", proto ? "\r\n" : "", host, port);
	int e = ws_write_all(w->fd, (const uint8_t *)req, (size_t)n);
	char *end = NULL;
	while (!e && !end) {
		if ((e = ws_wait(w->fd, POLLIN, timeout_ms)) || ((e = ws_rx_fill(w)) && e != EAGAIN))
			break;
		e = 0;
		end = memmem(w->rx, w->rxlen, "\r\n\r\n", 4);
	}
	if (e)
		return e;
	*end = '\0';
	ws_accept_value(key, want);
	const char *acc = strcasestr((char *)w->rx, "\r\nSec-WebSocket-Accept:");
	if (strncmp((char *)w->rx, "HTTP/1.1 101", 12) || !acc)
		return EPROTO;
	acc += strlen("\r\nSec-WebSocket-Accept:");
	acc += strspn(acc, " ");
	if (strncmp(acc, want, strlen(want)))
		return EPROTO;
	w->rxoff = (size_t)(end + 4 - (char *)w->rx);
	return 0;
}

int ws_connect(struct ws **wp, const char *host, uint16_t port, const char *path,
	       const char *proto, int timeout_ms)
{
	struct ws *w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->fd = -1;
	int e = ws_tcp_connect(host, port, timeout_ms, &w->fd);
	if (!e)
		e = ws_handshake(w, host, port, path, proto, timeout_ms);
	if (e) {
		ws_free(w);
		return e;
	}
	*wp = w;
	return 0;
}

static int ws_send_frame(struct ws *w, int op, const uint8_t *data, size_t len)
{
	uint8_t hdr[14], mask[4];
	size_t h = 0;
	hdr[h++] = (uint8_t)(0x80 | op);
	if (len < 126) {
		hdr[h++] = (uint8_t)(0x80 | len);
	} else if (len < 65536) {
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (uint8_t)(len >> 8);
		hdr[h++] = (uint8_t)len;
	} else {
		hdr[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			hdr[h++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	RAND_bytes(mask, sizeof(mask));
	memcpy(hdr + h, mask, 4);
	h += 4;
	uint8_t *buf = malloc(h + len);
	if (!buf)
		return ENOMEM;
	memcpy(buf, hdr, h);
	for (size_t i = 0; i < len; i++)
		buf[h + i] = data[i] ^ mask[i & 3];
	int e = ws_write_all(w->fd, buf, h + len);
	free(buf);
	return e;
}

int ws_send_text(struct ws *w, const char *text, size_t len)
{
	return w->closed ? ECONNRESET : ws_send_frame(w, WS_OP_TEXT, (const uint8_t *)text, len);
}

static int ws_msg_append(struct ws *w, const uint8_t *data, size_t len)
{
	if (w->msglen + len + 1 > WS_MAX_MESSAGE)
		return EMSGSIZE;
	if (w->msglen + len + 1 > w->msgcap) {
		size_t cap = w->msgcap ? w->msgcap : 4096;
		while (cap < w->msglen + len + 1)
			cap *= 2;
		char *m = realloc(w->msg, cap);
		if (!m)
			return ENOMEM;
		w->msg = m;
		w->msgcap = cap;
	}
	memcpy(w->msg + w->msglen, data, len);
	w->msglen += len;
	w->msg[w->msglen] = '\0';
	return 0;
}

/* One frame from rx if complete: 0 and a finished message in w->msg (*done), EAGAIN if the
 * frame is incomplete, or an error. */
static int ws_parse_frame(struct ws *w, bool *done)
{
	const uint8_t *b = w->rx + w->rxoff;
	size_t avail = w->rxlen - w->rxoff, h = 2;
	if (avail < 2)
		return EAGAIN;
	bool fin = b[0] & 0x80, masked = b[1] & 0x80;
	int op = b[0] & 0x0f;
	uint64_t len = b[1] & 0x7f;
	if (len == 126 && avail >= 4) {
		len = (uint64_t)b[2] << 8 | b[3];
		h = 4;
	} else if (len == 127 && avail >= 10) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | b[2 + i];
		h = 10;
	} else if (len >= 126) {
		return EAGAIN;
	}
	if (masked || len > WS_MAX_MESSAGE)
		return EPROTO;
	if (avail < h + len)
		return EAGAIN;
	const uint8_t *payload = b + h;
	w->rxoff += h + (size_t)len;
	int e = 0;
	if (op == WS_OP_PING) {
		e = ws_send_frame(w, WS_OP_PONG, payload, (size_t)len);
	} else if (op == WS_OP_CLOSE) {
		w->closed = true;
		e = ECONNRESET;
	} else if (op == WS_OP_TEXT || op == WS_OP_BINARY || op == WS_OP_CONT) {
		e = ws_msg_append(w, payload, (size_t)len);
		*done = !e && fin;
	}
	return e;
}

int ws_recv(struct ws *w, const char **msg, size_t *len)
{
	if (w->closed)
		return ECONNRESET;
	for (;;) {
		bool done = false;
		int e = ws_parse_frame(w, &done);
		if (e == 0 && done) {
			*msg = w->msg;
			*len = w->msglen;
			w->msglen = 0;      /* the next message overwrites it */
			return 0;
		}
		if (e == 0)
			continue;
		if (e != EAGAIN)
			return e;
		e = ws_rx_fill(w);
		if (e)
			return e;
	}
}

int ws_fd(const struct ws *w) { return w->fd; }

void ws_free(struct ws *w)
{
	if (!w)
		return;
	if (w->fd >= 0) {
		if (!w->closed)
			ws_send_frame(w, WS_OP_CLOSE, (const uint8_t *)"\x03\xe8", 2);
		close(w->fd);
	}
	free(w->rx);
	free(w->msg);
	free(w);
}

/* ws: a minimal WebSocket client (RFC 6455) over one TCP socket, for the load generator's
 * signalling clients. Text messages only, small ones; no extensions, no TLS.
 *
 * Writes block (signalling messages are small); reads never block: the caller learns that the
 * socket is readable from its own epoll and calls ws_recv() until EAGAIN. Pings are answered
 * inside ws_recv(). */
#ifndef TESTS_LOAD_WS_H
#define TESTS_LOAD_WS_H
#include <stddef.h>
#include <stdint.h>

#define WS_MAX_MESSAGE (1u << 20)

struct ws;

/* Connect to ws://host:port/path (host is an IPv4 address) offering the subprotocol proto
 * (NULL for none) and complete the handshake within timeout_ms. 0 or an errno-style code. */
int ws_connect(struct ws **wp, const char *host, uint16_t port, const char *path,
	       const char *proto, int timeout_ms);
void ws_free(struct ws *w);      /* sends a close frame if it can, closes the socket */
int ws_fd(const struct ws *w);
int ws_send_text(struct ws *w, const char *text, size_t len);
/* The next complete message: 0 with *msg (NUL-terminated, valid until the next ws_recv or
 * ws_free) and *len; EAGAIN when none is complete yet; ECONNRESET when the server closed;
 * EMSGSIZE/EPROTO for a broken stream. */
int ws_recv(struct ws *w, const char **msg, size_t *len);

#endif

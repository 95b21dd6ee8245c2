#define LOG_MODULE "gateway"
#include "gateway/gw.h"
#include "base/log.h"
#include "signaling/sig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_OUT_MAX (4u << 20)  /* bytes queued to one client before it counts as stuck */

struct ws_msg {
	struct ws_msg *next;
	size_t len;
	unsigned char buf[];       /* LWS_PRE bytes of room, then the text */
};

/* Per-connection state (lws allocates it zeroed as the protocol's session data). */
struct ws_conn {
	struct lws *wsi;
	struct sig_conn *sc;
	struct ws_msg *out_head, *out_tail;
	size_t out_bytes;
	char *rx;                  /* a message being reassembled from fragments */
	size_t rx_len, rx_cap;
	bool rx_binary;
	bool close_pending;
	int close_code;
	char close_reason[64];
	char peer[64];
};

size_t ws_conn_size(void)
{
	return sizeof(struct ws_conn);
}

static bool ws_origin_allowed(const struct config *cfg, const char *origin)
{
	for (size_t i = 0; i < cfg->allowed_origins.n; i++) {
		if (strcasecmp(origin, cfg->allowed_origins.v[i]) == 0)
			return true;
	}
	return false;
}

static int ws_refuse(struct lws *wsi, unsigned status, const char *why)
{
	char peer[64] = "?";
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	log_limited(LOG_WARN, "%s: WebSocket refused: %s", peer, why);
	if (lws_return_http_status(wsi, status, NULL))
		return -1;
	return 1;
}

/* Before the upgrade (lws asks the protocol being upgraded to): only /ws, and only from an allowed Origin (browsers always send one;
 * raw clients have none and are let in only with allow_no_origin). */
static int ws_confirm_upgrade(struct lws *wsi)
{
	const struct config *cfg = gw_from_wsi(wsi)->cfg;
	char uri[64], origin[CONFIG_ORIGIN_MAX];
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws") != 0)
		return ws_refuse(wsi, HTTP_STATUS_NOT_FOUND, "not /ws");
	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
		return cfg->allow_no_origin ? 0 : ws_refuse(wsi, HTTP_STATUS_FORBIDDEN, "no Origin");
	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0 ||
	    !ws_origin_allowed(cfg, origin))
		return ws_refuse(wsi, HTTP_STATUS_FORBIDDEN, "Origin not allowed");
	return 0;
}

static void ws_close_soon(struct ws_conn *c, int code, const char *reason)
{
	if (c->close_pending)
		return;
	c->close_pending = true;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason ? reason : "");
	lws_callback_on_writable(c->wsi);
}

static int ws_send(void *conn, const char *text, size_t len)
{
	struct ws_conn *c = conn;
	if (c->close_pending)
		return 0;  /* the connection is closing: nothing more goes out */
	if (c->out_bytes + len > WS_OUT_MAX) {
		log_limited(LOG_WARN, "%s: client reads too slowly, closing", c->peer);
		ws_close_soon(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too slow");
		return ENOBUFS;
	}
	struct ws_msg *m = malloc(sizeof(*m) + LWS_PRE + len);
	if (!m)
		return ENOMEM;
	m->next = NULL;
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->out_bytes += len;
	lws_callback_on_writable(c->wsi);
	return 0;
}

static void ws_close(void *conn, int code, const char *reason)
{
	ws_close_soon(conn, code, reason);
}

const struct sig_transport ws_transport = {
	.send = ws_send,
	.close = ws_close,
};

/* One queued message per writeable callback, then the close if one was asked for. */
static int ws_writeable(struct ws_conn *c)
{
	struct ws_msg *m = c->out_head;
	if (m) {
		c->out_head = m->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_bytes -= m->len;
		int n = lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
		free(m);
		if (n < 0)
			return -1;
		if (c->out_head || c->close_pending)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->close_pending) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
				 (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	return 0;
}

static int ws_too_large(struct ws_conn *c, size_t max)
{
	log_limited(LOG_WARN, "%s: message over %zu bytes, closing", c->peer, max);
	static const char reason[] = "message too large";
	lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)reason,
			 sizeof(reason) - 1);
	return -1;
}

static int ws_rx_append(struct ws_conn *c, const void *in, size_t len, size_t max)
{
	if (len > max - c->rx_len)
		return ws_too_large(c, max);
	if (c->rx_len + len > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 4096;
		while (cap < c->rx_len + len)
			cap *= 2;
		if (cap > max)
			cap = max;
		char *p = realloc(c->rx, cap);
		if (!p)
			return -1;
		c->rx = p;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	return 0;
}

/* Fragments (and frames lws hands over in pieces) are joined up to max_message_bytes. */
static int ws_receive(struct ws_conn *c, const void *in, size_t len, size_t max)
{
	if (c->rx_len == 0)
		c->rx_binary = lws_frame_is_binary(c->wsi);
	if (ws_rx_append(c, in, len, max))
		return -1;
	if (!lws_is_final_fragment(c->wsi))
		return 0;
	if (c->rx_binary) {
		static const char reason[] = "text messages only";
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, (unsigned char *)reason,
				 sizeof(reason) - 1);
		return -1;
	}
	if (c->sc)
		sig_conn_recv(c->sc, c->rx, c->rx_len);
	c->rx_len = 0;
	if (c->rx_cap > 16384) {  /* do not keep a big buffer for an idle connection */
		free(c->rx);
		c->rx = NULL;
		c->rx_cap = 0;
	}
	return 0;
}

static int ws_established(struct gw *gw, struct ws_conn *c, struct lws *wsi)
{
	c->wsi = wsi;
	snprintf(c->peer, sizeof(c->peer), "?");
	lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
	if (!gw->sig || sig_conn_open(gw->sig, c, c->peer, &c->sc)) {
		log_error("%s: cannot open a signalling connection", c->peer);
		return -1;
	}
	log_debug("%s: WebSocket open", c->peer);
	return 0;
}

static void ws_closed(struct ws_conn *c)
{
	sig_conn_closed(c->sc);
	c->sc = NULL;
	for (struct ws_msg *m = c->out_head, *next; m; m = next) {
		next = m->next;
		free(m);
	}
	c->out_head = c->out_tail = NULL;
	free(c->rx);
	c->rx = NULL;
	log_debug("%s: WebSocket closed", c->peer);
}

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	struct ws_conn *c = user;
	struct gw *gw = gw_from_wsi(wsi);
	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return ws_confirm_upgrade(wsi);
	case LWS_CALLBACK_ESTABLISHED:
		return ws_established(gw, c, wsi);
	case LWS_CALLBACK_RECEIVE:
		return ws_receive(c, in, len, gw->cfg->max_message_bytes);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_writeable(c);
	case LWS_CALLBACK_CLOSED:
		ws_closed(c);
		return 0;
	default:
		return 0;
	}
}

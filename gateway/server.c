#define LOG_MODULE "gateway"
#include "gateway/gw.h"
#include "base/clock.h"
#include "base/log.h"
#include "media/media.h"
#include "signaling/sig.h"

#include <ev.h>
#include <string.h>

#define SERVER_TICK_US (1 * LWS_US_PER_SEC)

/* A WebSocket that has said nothing (not even a pong) for this long is pinged, then dropped. */
static const lws_retry_bo_t server_idle_policy = {
	.secs_since_valid_ping = 20,
	.secs_since_valid_hangup = 50,
};

static const struct lws_protocol_vhost_options server_pvo_default = {
	NULL, NULL, "default", "1"  /* a WebSocket without a subprotocol gets rapport.v1 */
};
static const struct lws_protocol_vhost_options server_pvo = {
	NULL, &server_pvo_default, WS_PROTOCOL, ""
};

/* The pages are public files and the customer widget is embedded in other sites' pages
 * (web/embed.js imports its modules from here): any origin may read them. No credentials are
 * involved; who may open /ws is decided apart, by the Origin allow-list (ws.c). */
static const struct lws_protocol_vhost_options server_headers = {
	NULL, NULL, "access-control-allow-origin:", "*"
};

static struct lws_protocols server_protocols[4];

static void server_lws_log(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	enum log_level l = level & LLL_ERR ? LOG_ERROR : level & LLL_WARN ? LOG_WARN : LOG_DEBUG;
	log_msg(l, "lws", "%.*s", (int)n, line);
}

static void server_tick(lws_sorted_usec_list_t *sul)
{
	struct gw *gw = lws_container_of(sul, struct gw, tick);
	if (gw->sig)
		sig_tick(gw->sig, clock_ms());
	lws_sul_schedule(gw->ctx, 0, &gw->tick, server_tick, SERVER_TICK_US);
}

static void server_init_protocols(void)
{
	server_protocols[0] = (struct lws_protocols){
		.name = "http", .callback = http_callback, .per_session_data_size = 0,
	};
	server_protocols[1] = (struct lws_protocols){
		.name = WS_PROTOCOL, .callback = ws_callback, .per_session_data_size = ws_conn_size(),
		.rx_buffer_size = 0,
	};
	server_protocols[2] = (struct lws_protocols){
		.name = ADMIN_PROTOCOL, .callback = admin_callback,
		.per_session_data_size = admin_pss_size(),
	};
}

static int server_create_vhost(struct gw *gw)
{
	const struct config *cfg = gw->cfg;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.vhost_name = "rapport";
	info.iface = cfg->bind;
	info.port = cfg->http_port;  /* 0: the kernel picks one (read back below) */
	info.protocols = server_protocols;
	info.pvo = &server_pvo;
	info.mounts = gw->mounts;
	info.retry_and_idle_policy = &server_idle_policy;
	info.headers = &server_headers;
	info.server_string = "rapportd";
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 |
		       LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	if (!strchr(cfg->bind, ':'))
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	gw->vhost = lws_create_vhost(gw->ctx, &info);
	if (!gw->vhost) {
		log_error("cannot listen on %s:%u (in use, or not an address of this host?)",
			  cfg->bind, cfg->http_port);
		return -1;
	}
	int port = lws_get_vhost_listen_port(gw->vhost);
	gw->port = port > 0 ? (uint16_t)port : cfg->http_port;
	return 0;
}

/* The loop: libev on epoll, created here and handed to lws as a foreign loop. lws 4.1's own
 * loop is poll(): every pass walks every fd, and with 800 WebSockets open the keepalive pings
 * alone (40/s) cost more than the rest of the thread. A foreign loop (not lws_service(), whose
 * libev run_pt never returns in 4.1) lets server_run() keep its one-pass-at-a-time shape.
 * Without the plugin (package libwebsockets-evlib-ev) lws cannot make the context: fall back
 * to its poll() loop. */
static struct lws_context *server_context_ev(struct gw *gw, struct lws_context_creation_info *info)
{
	/* NOSIGMASK: signals stay with signals.c's sigwait() thread */
	gw->evloop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
	if (!gw->evloop)
		return NULL;
	void *loops[1] = {gw->evloop};
	info->options |= LWS_SERVER_OPTION_LIBEV;
	info->foreign_loops = loops;
	struct lws_context *ctx = lws_create_context(info);
	info->options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
	info->foreign_loops = NULL;
	if (!ctx) {
		ev_loop_destroy(gw->evloop);
		gw->evloop = NULL;
	}
	return ctx;
}

static struct lws_context *server_context(struct gw *gw)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.user = gw;
	info.port = CONTEXT_PORT_NO_LISTEN;
	struct lws_context *ctx = server_context_ev(gw, &info);
	if (!ctx) {
		log_warn("no epoll loop for libwebsockets (libwebsockets-evlib-ev missing?): "
			 "its poll() loop walks every connection on every wake-up");
		ctx = lws_create_context(&info);
	}
	return ctx;
}

int server_start(struct gw *gw)
{
	int lvl = LLL_ERR | LLL_WARN | (log_enabled(LOG_DEBUG) ? LLL_NOTICE : 0);
	lws_set_log_level(lvl, server_lws_log);
	server_init_protocols();
	http_mounts_init(gw);

	gw->ctx = server_context(gw);
	if (!gw->ctx) {
		log_error("cannot create the libwebsockets context");
		return -1;
	}
	if (server_create_vhost(gw)) {
		server_stop(gw);
		return -1;
	}
	pthread_mutex_lock(&gw->wake_lock);
	gw->wake_ctx = gw->ctx;
	pthread_mutex_unlock(&gw->wake_lock);
	lws_sul_schedule(gw->ctx, 0, &gw->tick, server_tick, SERVER_TICK_US);
	return 0;
}

/* Any thread (media workers, the signal thread). */
void server_wake(void *arg)
{
	struct gw *gw = arg;
	pthread_mutex_lock(&gw->wake_lock);
	if (gw->wake_ctx)
		lws_cancel_service(gw->wake_ctx);
	pthread_mutex_unlock(&gw->wake_lock);
}

void server_on_wake(struct gw *gw)
{
	if (gw->media && gw->sig)
		media_poll(gw->media, sig_media_event, gw->sig);
	if (gw->sig)
		sig_poll(gw->sig);
	if (atomic_load(&gw->stop_requested))
		gw->stopping = true;
}

/* One pass: wait for something (an fd, a timer, lws_cancel_service()) and serve it. */
static int server_run_once(struct gw *gw)
{
	if (!gw->evloop)
		return lws_service(gw->ctx, 0) < 0 ? -1 : 0;
	/* false: no active watcher left, which lws never lets happen (listen socket, wake pipe) */
	return ev_run(gw->evloop, EVRUN_ONCE) ? 0 : -1;
}

int server_run(struct gw *gw)
{
	while (!gw->stopping && !atomic_load(&gw->stop_requested)) {
		if (server_run_once(gw)) {
			log_error("the libwebsockets loop failed");
			return -1;
		}
	}
	return 0;
}

void server_stop(struct gw *gw)
{
	if (gw->ctx) {
		pthread_mutex_lock(&gw->wake_lock);
		gw->wake_ctx = NULL;
		pthread_mutex_unlock(&gw->wake_lock);
		lws_sul_cancel(&gw->tick);
		lws_context_destroy(gw->ctx);  /* stops its watchers on the foreign loop */
		gw->ctx = NULL;
	}
	if (gw->evloop) {
		ev_loop_destroy(gw->evloop);
		gw->evloop = NULL;
	}
}

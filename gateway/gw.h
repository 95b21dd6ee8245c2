/* gw: the running gateway, shared by the files of gateway/. The lws context's user pointer. */
#ifndef GATEWAY_GW_H
#define GATEWAY_GW_H
#include "gateway/config.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct ev_loop;
struct media;
struct sig;

struct gw {
	const struct config *cfg;
	struct lws_context *ctx;
	struct ev_loop *evloop;        /* the epoll loop ctx runs on (NULL: lws's poll loop);
					* owned here, destroyed after ctx */
	struct lws_vhost *vhost;
	uint16_t port;                 /* the port actually listened on */
	struct media *media;
	struct sig *sig;
	atomic_bool stop_requested;    /* set by the signal thread */
	bool stopping;                 /* the lws loop ends after this pass */
	pthread_mutex_t wake_lock;     /* guards wake_ctx against the context going away;
					* PTHREAD_MUTEX_INITIALIZER */
	struct lws_context *wake_ctx;  /* what other threads may lws_cancel_service() */
	lws_sorted_usec_list_t tick;   /* once a second: sig_tick() */
	struct lws_http_mount mounts[3];
	struct lws_protocol_vhost_options mimetypes[6];
};

static inline struct gw *gw_from_wsi(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* server.c */
int server_start(struct gw *gw);   /* context and listening vhost */
int server_run(struct gw *gw);     /* until a stop is requested */
void server_stop(struct gw *gw);   /* closes every connection and the context */
void server_wake(void *gw);        /* any thread: the loop wakes and looks at its queues */
void server_on_wake(struct gw *gw);/* lws thread, on LWS_CALLBACK_EVENT_WAIT_CANCELLED */

/* http.c */
void http_mounts_init(struct gw *gw);
int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len);

/* admin.c: /api, the operators' JSON view of calls (docs/admin-api.md) */
struct media_leg_stats;
#define ADMIN_PROTOCOL "rapport-admin"
size_t admin_pss_size(void);
int admin_token_save(const struct config *cfg); /* a made-up token to <data_dir>/admin.token */
int admin_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		   size_t len);
struct json_t *admin_leg_stats_json(const struct media_leg_stats *st);

/* ws.c */
#define WS_PROTOCOL "rapport.v1"
struct ws_conn;
extern const struct sig_transport ws_transport;
size_t ws_conn_size(void);
int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len);

/* signals.c: SIGINT/SIGTERM request a stop from a thread of their own */
int signals_start(struct gw *gw);
void signals_stop(void);

#endif

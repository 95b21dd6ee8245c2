#define LOG_MODULE "gateway"
#include "gateway/gw.h"
#include "base/log.h"

#include <string.h>

static const char http_health_body[] = "{\"status\":\"ok\"}";

/* MIME types lws does not know, or knows differently (it already maps .html, .css, .js as
 * text/javascript, .svg, .png, .jpg, .ico, .woff). */
static const struct { const char *ext, *type; } http_mimetypes[] = {
	{".mjs", "text/javascript"},
	{".wav", "audio/wav"},
	{".json", "application/json"},
	{".webmanifest", "application/manifest+json"},
	{".y4m", "video/x-yuv4mpeg"},
	{".txt", "text/plain; charset=utf-8"},
};

/* "/" serves web_root (index.html for a directory); "/healthz" goes to http_callback, "/api"
 * to admin_callback (the ADMIN_PROTOCOL). */
void http_mounts_init(struct gw *gw)
{
	size_t n = sizeof(http_mimetypes) / sizeof(http_mimetypes[0]);
	for (size_t i = 0; i < n; i++) {
		gw->mimetypes[i] = (struct lws_protocol_vhost_options){
			i + 1 < n ? &gw->mimetypes[i + 1] : NULL, NULL, http_mimetypes[i].ext,
			http_mimetypes[i].type};
	}
	gw->mounts[0] = (struct lws_http_mount){
		.mount_next = &gw->mounts[1],
		.mountpoint = "/healthz",
		.mountpoint_len = 8,
		.origin = "http",
		.origin_protocol = LWSMPRO_CALLBACK,
	};
	gw->mounts[1] = (struct lws_http_mount){
		.mount_next = &gw->mounts[2],
		.mountpoint = "/api",
		.mountpoint_len = 4,
		.origin = ADMIN_PROTOCOL,
		.origin_protocol = LWSMPRO_CALLBACK,
	};
	gw->mounts[2] = (struct lws_http_mount){
		.mountpoint = "/",
		.mountpoint_len = 1,
		.origin = gw->cfg->web_root,
		.def = "index.html",
		.origin_protocol = LWSMPRO_FILE,
		.protocol = "http",
		.extra_mimetypes = gw->mimetypes,
		.cache_max_age = 0,
		.cache_revalidate = 1,
	};
}

static int http_not_found(struct lws *wsi)
{
	char uri[128] = "";
	lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
	log_debug("404 %s", uri);
	if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* LWS_CALLBACK_HTTP comes for the /healthz mount and for files the "/" mount did not find. */
static int http_request(struct lws *wsi)
{
	char uri[32];
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/healthz") != 0)
		return http_not_found(wsi);
	uint8_t buf[LWS_PRE + 512], *start = &buf[LWS_PRE], *p = start, *end = &buf[sizeof(buf) - 1];
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json",
					sizeof(http_health_body) - 1, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int http_health_body_write(struct lws *wsi)
{
	uint8_t buf[LWS_PRE + sizeof(http_health_body)];
	memcpy(&buf[LWS_PRE], http_health_body, sizeof(http_health_body) - 1);
	if (lws_write(wsi, &buf[LWS_PRE], sizeof(http_health_body) - 1, LWS_WRITE_HTTP_FINAL) < 0)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* The "http" protocol: /healthz, 404s, and the wake-ups from other threads (lws delivers
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED to every protocol; this one acts on it). */
int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return http_request(wsi);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_health_body_write(wsi);
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		server_on_wake(lws_context_user(lws_get_context(wsi)));
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

/* admin: the operators' JSON view of calls and legs under /api (docs/admin-api.md), behind a
 * bearer token: admin_token from the configuration, or one made up at start and saved 0600
 * to <data_dir>/admin.token.
 *
 *   GET /api/calls        every call, oldest first, with its legs
 *   GET /api/calls/<id>   one call, each leg with the relay's figures (media_leg_stats)
 *
 * Runs on the lws thread, which owns the call list. media_leg_stats() waits for the leg's
 * worker to copy its counters: a short wait, fine for an admin view and on no media path. */
#define LOG_MODULE "admin"
#include "gateway/gw.h"
#include "base/clock.h"
#include "base/log.h"
#include "media/media.h"
#include "signaling/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define ADMIN_TOKEN_FILE "admin.token"
#define ADMIN_URI_MAX 256
#define ADMIN_CHUNK 4096

/* what an /api request has left to write (the http protocol's per-session data) */
struct admin_pss {
	char *body;
	size_t len, off;
};

size_t admin_pss_size(void)
{
	return sizeof(struct admin_pss);
}

/* --- the token --- */

int admin_token_save(const struct config *cfg)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, ADMIN_TOKEN_FILE) >= (int)sizeof(path))
		return ENAMETOOLONG;
	if (!cfg->admin_token_generated) {
		if (unlink(path) == 0)
			log_info("removed %s: admin_token is set in the configuration", path);
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_error("cannot write the admin token to %s: %s", path, strerror(errno));
		return errno;
	}
	size_t len = strlen(cfg->admin_token);
	int err = fchmod(fd, 0600) || write(fd, cfg->admin_token, len) != (ssize_t)len ||
		  write(fd, "\n", 1) != 1 ? (errno ? errno : EIO) : 0;
	if (close(fd) && !err)
		err = errno;
	if (err)
		log_error("cannot write the admin token to %s: %s", path, strerror(err));
	else
		log_info("admin API token written to %s (mode 0600)", path);
	return err;
}

/* "Bearer <token>", compared in constant time */
static bool admin_authorized(struct lws *wsi, const char *token)
{
	char hdr[CONFIG_TOKEN_MAX + 16];
	if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION) <= 0 ||
	    strncasecmp(hdr, "Bearer ", 7) != 0)
		return false;
	const char *given = hdr + 7;
	size_t n = strlen(token);
	if (strlen(given) != n)
		return false;
	unsigned char diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(given[i] ^ token[i]);
	return diff == 0;
}

/* --- JSON of the relay's figures, from tables of fields --- */

enum admin_ftype { AF_U64, AF_U32, AF_BOOL, AF_STR };

struct admin_field {
	const char *name;
	enum admin_ftype type;
	size_t off;
};

#define ALF(f, t) {#f, t, offsetof(struct media_leg_stats, f)}
static const struct admin_field admin_leg_fields[] = {
	ALF(connected, AF_BOOL), ALF(srtp_profile, AF_STR),
	ALF(rx_packets, AF_U64), ALF(rx_bytes, AF_U64), ALF(tx_packets, AF_U64),
	ALF(tx_bytes, AF_U64), ALF(rx_lost, AF_U64), ALF(rx_dropped, AF_U64),
	ALF(jitter_us, AF_U32), ALF(rtt_us, AF_U32), ALF(nacks_rx, AF_U64), ALF(nacks_tx, AF_U64),
	ALF(plis_rx, AF_U64), ALF(plis_tx, AF_U64), ALF(retransmits_tx, AF_U64),
};

#define ASF(f, t) {#f, t, offsetof(struct media_stream_stats, f)}
static const struct admin_field admin_stream_fields[] = {
	ASF(packets, AF_U64), ASF(bytes, AF_U64), ASF(bitrate_bps, AF_U32),
	ASF(lost_before_repair, AF_U64), ASF(lost_after_repair, AF_U64), ASF(repaired, AF_U64),
	ASF(nacks_sent, AF_U64), ASF(reordered, AF_U64), ASF(duplicates, AF_U64),
	ASF(late, AF_U64), ASF(late_after_nack, AF_U64), ASF(jitter_us, AF_U32),
	ASF(missing, AF_U32), ASF(nack_wait_us, AF_U32),
};

static json_t *admin_fields_json(const void *base, const struct admin_field *f, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < n; i++) {
		const char *p = (const char *)base + f[i].off;
		json_t *v = NULL;
		switch (f[i].type) {
		case AF_U64: { uint64_t x; memcpy(&x, p, sizeof(x)); v = json_integer((json_int_t)x); break; }
		case AF_U32: { uint32_t x; memcpy(&x, p, sizeof(x)); v = json_integer(x); break; }
		case AF_BOOL: v = json_boolean(*(const bool *)p); break;
		case AF_STR: v = json_string(p); break;
		}
		json_object_set_new(o, f[i].name, v);
	}
	return o;
}

json_t *admin_leg_stats_json(const struct media_leg_stats *st)
{
	static const char *const kinds[2] = {"audio", "video"};
	json_t *o = admin_fields_json(st, admin_leg_fields,
				      sizeof(admin_leg_fields) / sizeof(admin_leg_fields[0]));
	json_t *in = json_object();
	for (int k = 0; in && k < 2; k++)
		json_object_set_new(in, kinds[k], admin_fields_json(&st->in[k], admin_stream_fields,
				    sizeof(admin_stream_fields) / sizeof(admin_stream_fields[0])));
	json_object_set_new(o, "in", in);
	return o;
}

/* --- the calls --- */

struct admin_ctx {
	struct gw *gw;
	bool with_stats;
	json_t *out;               /* the array (list) or the call (one) */
};

static json_t *admin_leg_json(struct admin_ctx *ctx, const struct sig_leg_view *lv)
{
	json_t *o = json_pack("{s:s, s:I, s:b}", "party", lv->party, "leg", (json_int_t)lv->leg_id,
			      "present", lv->present);
	if (!o || !ctx->with_stats)
		return o;
	struct media_leg_stats st;
	int err = ctx->gw->media ? media_leg_stats(ctx->gw->media, lv->leg_id, &st) : ENOENT;
	json_object_set_new(o, "stats", err ? json_null() : admin_leg_stats_json(&st));
	return o;
}

static void admin_on_call(const struct sig_call_view *v, void *arg)
{
	struct admin_ctx *ctx = arg;
	json_t *legs = json_array();
	for (size_t i = 0; legs && i < v->nlegs; i++)
		json_array_append_new(legs, admin_leg_json(ctx, &v->legs[i]));
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "id", v->id,
			      "state", v->state, "customer", v->customer, "language", v->language,
			      "topic", v->topic, "agent", v->agent, "interpreter", v->interpreter,
			      "age_ms", (json_int_t)v->age_ms, "media_call",
			      v->has_media ? json_integer(v->media_id) : json_null(), "legs",
			      legs ? legs : json_array());
	if (json_is_array(ctx->out))
		json_array_append_new(ctx->out, c);
	else
		ctx->out = c;
}

/* a handler: the JSON to send with 200, or NULL with *status and *why set */
typedef json_t *(admin_route_h)(struct gw *gw, const char *rest, unsigned *status,
				const char **why);

static json_t *admin_calls(struct gw *gw, const char *rest, unsigned *status, const char **why)
{
	(void)rest;
	struct admin_ctx ctx = {.gw = gw, .out = json_array()};
	if (!ctx.out || sig_calls_view(gw->sig, clock_wall_ms(), admin_on_call, &ctx)) {
		json_decref(ctx.out);
		*status = HTTP_STATUS_INTERNAL_SERVER_ERROR;
		*why = "out of memory";
		return NULL;
	}
	return json_pack("{s:o}", "calls", ctx.out);
}

static json_t *admin_call(struct gw *gw, const char *id, unsigned *status, const char **why)
{
	struct admin_ctx ctx = {.gw = gw, .with_stats = true};
	if (!*id || strchr(id, '/') || sig_call_view(gw->sig, id, clock_wall_ms(), admin_on_call, &ctx)) {
		*status = HTTP_STATUS_NOT_FOUND;
		*why = "no such call";
		return NULL;
	}
	return ctx.out;
}

static const struct admin_route {
	const char *path;
	bool prefix;               /* path is followed by an argument */
	admin_route_h *h;
} admin_routes[] = {
	{"/api/calls", false, admin_calls},
	{"/api/calls/", true, admin_call},
};

/* --- HTTP --- */

static int admin_respond(struct lws *wsi, struct admin_pss *pss, unsigned status, json_t *body)
{
	uint8_t buf[LWS_PRE + 1024], *start = &buf[LWS_PRE], *p = start, *end = &buf[sizeof(buf) - 1];
	free(pss->body);
	*pss = (struct admin_pss){.body = body ? json_dumps(body, JSON_COMPACT) : NULL};
	json_decref(body);
	if (!pss->body)
		return -1;
	pss->len = strlen(pss->body);
	static const char bearer[] = "Bearer realm=\"rapport\"";
	if (lws_add_http_common_headers(wsi, status, "application/json", pss->len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end) ||
	    (status == HTTP_STATUS_UNAUTHORIZED &&
	     lws_add_http_header_by_name(wsi, (const unsigned char *)"www-authenticate:",
					 (const unsigned char *)bearer, sizeof(bearer) - 1, &p, end)) ||
	    (status == HTTP_STATUS_METHOD_NOT_ALLOWED &&
	     lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
					 (const unsigned char *)"GET", 3, &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int admin_error(struct lws *wsi, struct admin_pss *pss, unsigned status, const char *why)
{
	log_debug("/api: %u %s", status, why);
	return admin_respond(wsi, pss, status, json_pack("{s:s}", "error", why));
}

static json_t *admin_route(struct gw *gw, const char *uri, unsigned *status, const char **why)
{
	for (size_t i = 0; i < sizeof(admin_routes) / sizeof(admin_routes[0]); i++) {
		const struct admin_route *r = &admin_routes[i];
		size_t n = strlen(r->path);
		if (r->prefix ? strncmp(uri, r->path, n) == 0 : strcmp(uri, r->path) == 0)
			return r->h(gw, uri + n, status, why);
	}
	*status = HTTP_STATUS_NOT_FOUND;
	*why = "no such resource";
	return NULL;
}

static int admin_request(struct lws *wsi, void *user)
{
	struct gw *gw = gw_from_wsi(wsi);
	struct admin_pss *pss = user;
	char uri[ADMIN_URI_MAX];
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
		return admin_error(wsi, pss, HTTP_STATUS_METHOD_NOT_ALLOWED, "only GET");
	if (!admin_authorized(wsi, gw->cfg->admin_token)) {
		char peer[64] = "?";
		lws_get_peer_simple(wsi, peer, sizeof(peer));
		log_limited(LOG_WARN, "%s: /api request without the right bearer token", peer);
		return admin_error(wsi, pss, HTTP_STATUS_UNAUTHORIZED, "a bearer token is required");
	}
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
		return admin_error(wsi, pss, HTTP_STATUS_NOT_FOUND, "no such resource");
	unsigned status = HTTP_STATUS_OK;
	const char *why = NULL;
	json_t *body = admin_route(gw, uri, &status, &why);
	return body ? admin_respond(wsi, pss, HTTP_STATUS_OK, body) : admin_error(wsi, pss, status, why);
}

static void admin_pss_free(struct admin_pss *pss);

static int admin_writeable(struct lws *wsi, void *user)
{
	struct admin_pss *pss = user;
	if (!pss || !pss->body)
		return 0;
	uint8_t buf[LWS_PRE + ADMIN_CHUNK];
	size_t n = pss->len - pss->off;
	bool last = n <= ADMIN_CHUNK;
	if (!last)
		n = ADMIN_CHUNK;
	memcpy(&buf[LWS_PRE], pss->body + pss->off, n);
	if (lws_write(wsi, &buf[LWS_PRE], n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
		return -1;
	pss->off += n;
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	admin_pss_free(pss);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void admin_pss_free(struct admin_pss *pss)
{
	if (!pss)
		return;
	free(pss->body);
	*pss = (struct admin_pss){0};
}

/* the ADMIN_PROTOCOL: every request under /api */
int admin_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		   size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return admin_request(wsi, user);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return admin_writeable(wsi, user);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		admin_pss_free(user);
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

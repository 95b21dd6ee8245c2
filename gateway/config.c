#include "gateway/config.h"
#include "gateway/paths.h"
#include "media/media.h"
#include "signaling/sig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

enum config_type {
	CT_ADDR, CT_PORT, CT_PATH, CT_RANGE, CT_UINT, CT_LEVEL, CT_STRING, CT_ORIGINS, CT_SIZE, CT_BOOL,
	CT_TOKEN, CT_DB
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset, size;           /* where the value goes in struct config */
	unsigned long min, max;        /* CT_UINT, CT_SIZE: the range; CT_STRING: length */
	float db_min, db_max;          /* CT_DB: the range in dB */
};

#define CK(id, name_, type_, field, min_, max_) \
	[id] = {.name = name_, .type = type_, .offset = offsetof(struct config, field), \
		.size = sizeof(((struct config *)0)->field), .min = min_, .max = max_}
#define CKDB(id, name_, field, lo, hi) \
	[id] = {.name = name_, .type = CT_DB, .offset = offsetof(struct config, field), \
		.size = sizeof(((struct config *)0)->field), .db_min = lo, .db_max = hi}

static const struct config_key config_keys[CONFIG_KEY_COUNT] = {
	CK(CONFIG_BIND, "bind", CT_ADDR, bind, 0, 0),
	CK(CONFIG_HTTP_PORT, "http_port", CT_PORT, http_port, 0, 65535),
	CK(CONFIG_DATA_DIR, "data_dir", CT_PATH, data_dir, 0, 0),
	CK(CONFIG_WEB_ROOT, "web_root", CT_PATH, web_root, 0, 0),
	CK(CONFIG_PUBLIC_IP, "public_ip", CT_ADDR, public_ip, 0, 0),
	CK(CONFIG_RTP_PORTS, "rtp_ports", CT_RANGE, rtp_ports, 1, 65535),
	CK(CONFIG_MEDIA_BIND, "media_bind", CT_ADDR, media_bind, 0, 0),
	CK(CONFIG_WORKERS, "workers", CT_UINT, workers, 0, 256),
	CK(CONFIG_LOG_LEVEL, "log_level", CT_LEVEL, log_level, 0, 0),
	CK(CONFIG_ALLOWED_ORIGINS, "allowed_origins", CT_ORIGINS, allowed_origins, 0, 0),
	CK(CONFIG_MAX_MESSAGE_BYTES, "max_message_bytes", CT_SIZE, max_message_bytes, 1024, 16777216),
	CK(CONFIG_ALLOW_NO_ORIGIN, "allow_no_origin", CT_BOOL, allow_no_origin, 0, 0),
	CK(CONFIG_REPAIR, "repair", CT_BOOL, repair, 0, 0),
	CK(CONFIG_ADMIN_TOKEN, "admin_token", CT_TOKEN, admin_token, CONFIG_TOKEN_MIN, CONFIG_TOKEN_MAX),
	CK(CONFIG_LANGUAGES, "languages", CT_STRING, languages, 1, CONFIG_CATALOG_MAX),
	CK(CONFIG_TOPICS, "topics", CT_STRING, topics, 1, CONFIG_CATALOG_MAX),
	CK(CONFIG_RING_TIMEOUT, "ring_timeout", CT_UINT, ring_timeout_s, 5, 600),
	CK(CONFIG_RETURN_TO_AGENT, "return_to_agent", CT_UINT, return_to_agent_s, 0, 3600),
	CK(CONFIG_DEFAULT_HANDLE_TIME, "default_handle_time", CT_UINT, default_handle_time_s, 10, 86400),
	CK(CONFIG_CUSTOMER_TOKEN_TTL, "customer_token_ttl", CT_UINT, customer_token_ttl_s, 60, 2592000),
	CK(CONFIG_AGENT_TOKEN_TTL, "agent_token_ttl", CT_UINT, agent_token_ttl_s, 60, 2592000),
	/* Below -40 dB the original is all but gone; 0 dB would be no ducking at all, which is
	 * what consecutive mode gives (and media_config reads 0 as "the default"). */
	CKDB(CONFIG_DUCK_DB, "duck_db", duck_db, -40.0f, -1.0f),
	CK(CONFIG_MEDIA_BATCH, "media_batch_us", CT_UINT, media_batch_us, 0, MEDIA_BATCH_US_MAX),
};

/* Keys that are no longer read: a clear word instead of "unknown key". */
static const struct {
	const char *name, *why;
} config_retired[] = {
	{"demo_agent_username", "agents are accounts in the store now: create one with "
	 "\"rapportd user add --data-dir DIR --role agent --username U --password-file F\" "
	 "(deploy/run.sh does it for the demo agent)"},
	{"demo_agent_password", "agents are accounts in the store now: create one with "
	 "\"rapportd user add --data-dir DIR --role agent --username U --password-file F\" "
	 "(deploy/run.sh does it for the demo agent)"},
};

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->bind, sizeof(cfg->bind), "127.0.0.1");
	cfg->http_port = 8080;
	cfg->rtp_ports = (struct config_range){40000, 40100};
	cfg->log_level = LOG_INFO;
	cfg->max_message_bytes = 65536;
	snprintf(cfg->languages, sizeof(cfg->languages), "%s", SIG_LANGUAGES);
	snprintf(cfg->topics, sizeof(cfg->topics), "%s", SIG_TOPICS);
	cfg->ring_timeout_s = SIG_RING_TIMEOUT_MS / 1000;
	cfg->return_to_agent_s = SIG_RETURN_WINDOW_MS / 1000;
	cfg->default_handle_time_s = SIG_DEFAULT_HANDLE_MS / 1000;
	cfg->customer_token_ttl_s = (unsigned)(SIG_CUSTOMER_TOKEN_TTL_MS / 1000);
	cfg->agent_token_ttl_s = (unsigned)(SIG_AGENT_TOKEN_TTL_MS / 1000);
	cfg->repair = true;
	cfg->duck_db = MEDIA_DUCK_DB_DEFAULT;
}

__attribute__((format(printf, 3, 4)))
static int config_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return EINVAL;
}

static int config_parse_ulong(const char *v, unsigned long min, unsigned long max,
			      unsigned long *out)
{
	if (!isdigit((unsigned char)*v))
		return EINVAL;
	errno = 0;
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return EINVAL;
	*out = n;
	return 0;
}

bool config_addr_any(const char *addr)
{
	return strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "::") == 0;
}

static bool config_addr_ok(const char *v)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1;
}

static int config_parse_range(const char *v, const struct config_key *k, struct config_range *r)
{
	char lo[8], hi[8];
	const char *dash = strchr(v, '-');
	unsigned long a, b;
	if (!dash || (size_t)(dash - v) >= sizeof(lo) || strlen(dash + 1) >= sizeof(hi))
		return EINVAL;
	memcpy(lo, v, (size_t)(dash - v));
	lo[dash - v] = '\0';
	strcpy(hi, dash + 1);
	if (config_parse_ulong(lo, k->min, k->max, &a) || config_parse_ulong(hi, k->min, k->max, &b) ||
	    a > b)
		return EINVAL;
	*r = (struct config_range){(uint16_t)a, (uint16_t)b};
	return 0;
}

/* An origin is scheme://host[:port] exactly as browsers send it: no path, no trailing slash. */
static bool config_origin_ok(const char *o)
{
	const char *host = strncmp(o, "http://", 7) == 0 ? o + 7 : strncmp(o, "https://", 8) == 0 ? o + 8 : NULL;
	return host && *host && !strchr(host, '/') && strlen(o) < CONFIG_ORIGIN_MAX;
}

static int config_parse_origins(const char *v, struct config_origins *out, char *err, size_t errlen)
{
	struct config_origins o = {0};
	const char *p = v;
	while (*p) {
		size_t len = strcspn(p, ",");
		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		size_t tl = len;
		while (tl && isspace((unsigned char)p[tl - 1]))
			tl--;
		if (tl) {
			if (o.n == CONFIG_MAX_ORIGINS)
				return config_fail(err, errlen, "more than %d origins", CONFIG_MAX_ORIGINS);
			snprintf(o.v[o.n], sizeof(o.v[o.n]), "%.*s", (int)tl, p);
			if (tl >= CONFIG_ORIGIN_MAX || !config_origin_ok(o.v[o.n]))
				return config_fail(err, errlen, "\"%.*s\" is not an origin like http://host:port",
						   (int)(tl > 80 ? 80 : tl), p);
			o.n++;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (!o.n)
		return config_fail(err, errlen, "no origin given");
	*out = o;
	return 0;
}

static int config_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*out = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	return EINVAL;
}

/* A level in dB: an optional minus, digits, optionally a point and more digits ("-14",
 * "-7.5"); no exponent, no inf or nan, no unit. */
static int config_parse_db(const char *v, float min, float max, float *out)
{
	const char *p = v + (*v == '-');
	size_t whole = strspn(p, "0123456789"), frac = 0;
	if (!whole || whole > 3)
		return EINVAL;
	if (p[whole] == '.' && !(frac = strspn(p + whole + 1, "0123456789")))
		return EINVAL;
	if (p[whole + (frac ? frac + 1 : 0)])
		return EINVAL;
	float db = strtof(v, NULL);
	if (!(db >= min && db <= max))
		return EINVAL;
	*out = db;
	return 0;
}

static int config_parse_string(const struct config_key *k, const char *v, char *dst, char *err,
			       size_t errlen)
{
	size_t len = strlen(v);
	if (len < k->min || len > k->max)
		return config_fail(err, errlen, "%s must be %lu to %lu characters", k->name, k->min, k->max);
	for (const char *p = v; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return config_fail(err, errlen, "%s contains a control character", k->name);
	}
	memcpy(dst, v, len + 1);
	return 0;
}

/* A bearer token (RFC 6750 b64token, without the trailing '='s): empty (rapportd makes one up)
 * or min..max characters of letters, digits and -._~+/ */
static int config_parse_token(const struct config_key *k, const char *v, char *dst, char *err,
			      size_t errlen)
{
	size_t len = strlen(v);
	if (len && (len < k->min || len > k->max))
		return config_fail(err, errlen, "%s must be empty or %lu to %lu characters", k->name,
				   k->min, k->max);
	if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") != len)
		return config_fail(err, errlen, "%s may hold only letters, digits and -._~+/", k->name);
	memcpy(dst, v, len + 1);
	return 0;
}

static int config_parse_value(struct config *cfg, const struct config_key *k, const char *v,
			      const char *base_dir, char *err, size_t errlen)
{
	void *dst = (char *)cfg + k->offset;
	unsigned long n;
	switch (k->type) {
	case CT_ADDR:
		if (!config_addr_ok(v) || strlen(v) >= k->size)
			return config_fail(err, errlen, "bad value for %s: \"%s\" is not an IPv4 or IPv6 address", k->name, v);
		strcpy(dst, v);
		return 0;
	case CT_PORT:
		if (config_parse_ulong(v, k->min, k->max, &n))
			return config_fail(err, errlen, "bad value for %s: \"%s\" is not a port (0-65535)", k->name, v);
		*(uint16_t *)dst = (uint16_t)n;
		return 0;
	case CT_PATH:
		if (!*v || path_join(dst, k->size, base_dir, v))
			return config_fail(err, errlen, "bad value for %s: empty or too long a path", k->name);
		return 0;
	case CT_RANGE:
		if (config_parse_range(v, k, dst))
			return config_fail(err, errlen, "bad value for %s: \"%s\" is not LO-HI with 1 <= LO <= HI <= 65535", k->name, v);
		return 0;
	case CT_UINT:
	case CT_SIZE:
		if (config_parse_ulong(v, k->min, k->max, &n))
			return config_fail(err, errlen, "bad value for %s: \"%s\" is not a number from %lu to %lu", k->name, v, k->min, k->max);
		if (k->type == CT_UINT)
			*(unsigned *)dst = (unsigned)n;
		else
			*(size_t *)dst = n;
		return 0;
	case CT_LEVEL:
		if (log_level_parse(v, dst))
			return config_fail(err, errlen, "bad value for %s: \"%s\" is not debug, info, warn or error", k->name, v);
		return 0;
	case CT_STRING:
		return config_parse_string(k, v, dst, err, errlen);
	case CT_ORIGINS:
		return config_parse_origins(v, dst, err, errlen) ? EINVAL : 0;
	case CT_BOOL:
		if (config_parse_bool(v, dst))
			return config_fail(err, errlen, "bad value for %s: \"%s\" is not true or false", k->name, v);
		return 0;
	case CT_TOKEN:
		return config_parse_token(k, v, dst, err, errlen);
	case CT_DB:
		if (config_parse_db(v, k->db_min, k->db_max, dst))
			return config_fail(err, errlen, "bad value for %s: \"%s\" is not a level in dB from %g to %g",
					   k->name, v, (double)k->db_min, (double)k->db_max);
		return 0;
	}
	return EINVAL;
}

static const struct config_key *config_key_find(const char *name, enum config_key_id *id)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (strcmp(config_keys[i].name, name) == 0) {
			*id = (enum config_key_id)i;
			return &config_keys[i];
		}
	}
	return NULL;
}

int config_set(struct config *cfg, const char *key, const char *value, const char *base_dir,
	       char *err, size_t errlen)
{
	enum config_key_id id;
	const struct config_key *k = config_key_find(key, &id);
	for (size_t i = 0; !k && i < sizeof(config_retired) / sizeof(config_retired[0]); i++) {
		if (strcmp(config_retired[i].name, key) == 0)
			return config_fail(err, errlen, "%s is no longer read: %s", key,
					   config_retired[i].why);
	}
	if (!k) {
		config_fail(err, errlen, "unknown key \"%.64s\"", key);
		return ENOENT;
	}
	int e = config_parse_value(cfg, k, value, base_dir, err, errlen);
	if (e == 0)
		cfg->set[id] = true;
	return e;
}

/* Split "key = value". The value may be "quoted" (kept verbatim); otherwise a # at its start
 * or after a blank begins a comment, and blanks around it are trimmed. *key NULL = no entry. */
static int config_split(char *line, char **key, char **value, char *err, size_t errlen)
{
	char *p = line;
	*key = NULL;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	char *k = p;
	while (*p && *p != '=' && !isspace((unsigned char)*p))
		p++;
	char *kend = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=')
		return config_fail(err, errlen, "expected \"key = value\"");
	*kend = '\0';
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	char *v = p, *end;
	if (*p == '"') {
		v = ++p;
		if (!(end = strchr(p, '"')))
			return config_fail(err, errlen, "the quoted value has no closing \"");
		for (p = end + 1; isspace((unsigned char)*p); p++)
			;
		if (*p && *p != '#')
			return config_fail(err, errlen, "unexpected text after the quoted value");
	} else {
		for (end = p; *end && !(*end == '#' && (end == v || isspace((unsigned char)end[-1]))); end++)
			;
		while (end > v && isspace((unsigned char)end[-1]))
			end--;
	}
	*end = '\0';
	*key = k;
	*value = v;
	return 0;
}

static int config_load_line(struct config *cfg, char *line, const char *base, bool *seen,
			    char *msg, size_t msglen)
{
	char *key, *value;
	if (config_split(line, &key, &value, msg, msglen))
		return EINVAL;
	if (!key)
		return 0;
	enum config_key_id id = CONFIG_KEY_COUNT;
	if (config_key_find(key, &id) && seen[id])
		return config_fail(msg, msglen, "%s is set twice", key);
	int e = config_set(cfg, key, value, base, msg, msglen);
	if (!e && id < CONFIG_KEY_COUNT)
		seen[id] = true;
	return e;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char base[PATH_MAX];
	FILE *f = fopen(path, "r");
	int e = f ? path_dirname(base, sizeof(base), path) : errno;
	if (e) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		if (f)
			fclose(f);
		return e;
	}
	bool seen[CONFIG_KEY_COUNT] = {false};
	char line[CONFIG_LINE_MAX + 2], msg[512];
	unsigned lineno = 0;
	while (!e && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			e = config_fail(msg, sizeof(msg), "line longer than %d bytes", CONFIG_LINE_MAX);
		else
			e = config_load_line(cfg, line, base, seen, msg, sizeof(msg));
	}
	if (!e && ferror(f))
		e = config_fail(msg, sizeof(msg), "read error");
	if (e)
		snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
	fclose(f);
	return e;
}

static void config_origin_add(struct config_origins *o, const char *host, bool v6, uint16_t port)
{
	char buf[CONFIG_ORIGIN_MAX];
	snprintf(buf, sizeof(buf), v6 ? "http://[%s]:%u" : "http://%s:%u", host, port);
	for (size_t i = 0; i < o->n; i++) {
		if (strcmp(o->v[i], buf) == 0)
			return;
	}
	if (o->n < CONFIG_MAX_ORIGINS)
		memcpy(o->v[o->n++], buf, sizeof(buf));
}

void config_default_origins(struct config *cfg, uint16_t port)
{
	const char *host = config_addr_any(cfg->bind) ? cfg->public_ip : cfg->bind;
	cfg->allowed_origins.n = 0;
	config_origin_add(&cfg->allowed_origins, host, strchr(host, ':') != NULL, port);
	config_origin_add(&cfg->allowed_origins, "localhost", false, port);
	config_origin_add(&cfg->allowed_origins, "127.0.0.1", false, port);
}

/* An admin token when none is configured: 43 letters and digits (about 250 bits). */
static int config_make_token(char *out, size_t outlen)
{
	static const char abc[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	const size_t nabc = sizeof(abc) - 1, want = 43;
	size_t n = 0;
	while (n < want && n + 1 < outlen) {
		unsigned char b;
		if (getrandom(&b, 1, 0) != 1)
			return errno ? errno : EIO;
		if (b < 256 - 256 % nabc)
			out[n++] = abc[b % nabc];
	}
	out[n] = '\0';
	return 0;
}

static int config_find_web_root(struct config *cfg, const char *bindir, char *err, size_t errlen)
{
	static const char *const tries[] = {"web", "../web", "../../web", "/usr/share/rapport/web"};
	char cand[PATH_MAX], index[PATH_MAX + 32];
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (path_join(cand, sizeof(cand), bindir, tries[i]))
			continue;
		snprintf(index, sizeof(index), "%s/customer/index.html", cand);
		if (path_is_file(index) && realpath(cand, cfg->web_root))
			return 0;
	}
	return config_fail(err, errlen, "no web root found next to %s (tried web, ../web, ../../web, "
			   "/usr/share/rapport/web): set web_root", bindir);
}

static int config_finish_dirs(struct config *cfg, const char *bindir, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	if (!cfg->set[CONFIG_DATA_DIR] && path_join(cfg->data_dir, sizeof(cfg->data_dir), bindir, "../var"))
		return config_fail(err, errlen, "data_dir: path too long");
	int e = path_mkdirs(cfg->data_dir);
	if (e || !realpath(cfg->data_dir, dir))
		return config_fail(err, errlen, "cannot create data_dir %s: %s", cfg->data_dir,
				   strerror(e ? e : errno));
	memcpy(cfg->data_dir, dir, sizeof(dir));
	if (!cfg->set[CONFIG_WEB_ROOT])
		return config_find_web_root(cfg, bindir, err, errlen);
	if (!path_is_dir(cfg->web_root) || !realpath(cfg->web_root, dir))
		return config_fail(err, errlen, "web_root %s is not a directory", cfg->web_root);
	memcpy(cfg->web_root, dir, sizeof(dir));
	return 0;
}

int config_finish(struct config *cfg, const char *bindir, char *err, size_t errlen)
{
	int e = config_finish_dirs(cfg, bindir, err, errlen);
	if (e)
		return e;
	if (!cfg->set[CONFIG_PUBLIC_IP])
		snprintf(cfg->public_ip, sizeof(cfg->public_ip), "%s",
			 !config_addr_any(cfg->bind) ? cfg->bind : strchr(cfg->bind, ':') ? "::1" : "127.0.0.1");
	else if (config_addr_any(cfg->public_ip))
		return config_fail(err, errlen, "public_ip must be an address browsers can reach, not %s",
				   cfg->public_ip);
	if (!cfg->set[CONFIG_MEDIA_BIND])
		memcpy(cfg->media_bind, cfg->bind, sizeof(cfg->bind));
	if (!cfg->set[CONFIG_ALLOWED_ORIGINS])
		config_default_origins(cfg, cfg->http_port);
	char why[160];
	if (sig_catalog_check(cfg->languages, why, sizeof(why)))
		return config_fail(err, errlen, "bad value for languages: %s", why);
	if (sig_catalog_check(cfg->topics, why, sizeof(why)))
		return config_fail(err, errlen, "bad value for topics: %s", why);
	if (!cfg->admin_token[0]) {
		if ((e = config_make_token(cfg->admin_token, sizeof(cfg->admin_token))))
			return config_fail(err, errlen, "no randomness for the admin token: %s", strerror(e));
		cfg->admin_token_generated = true;
	}
	return 0;
}

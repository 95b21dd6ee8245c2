/* config: rapportd's settings from a `key = value` file and the command line (docs/config.md).
 *
 * config_defaults() → config_load() (a file, optional) → config_set() for each command-line
 * override → config_finish() fills what derives from other settings (data_dir, web_root,
 * public_ip, media_bind, allowed_origins, the admin token) and checks the whole. */
#ifndef GATEWAY_CONFIG_H
#define GATEWAY_CONFIG_H
#include "base/log.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_ADDR_MAX 46       /* INET6_ADDRSTRLEN */
#define CONFIG_MAX_ORIGINS 16
#define CONFIG_ORIGIN_MAX 256
#define CONFIG_LINE_MAX 4096
#define CONFIG_CATALOG_MAX 1024      /* the languages and topics lists */
#define CONFIG_TOKEN_MIN 16      /* a configured admin_token is at least this long */
#define CONFIG_TOKEN_MAX 256

enum config_key_id {
	CONFIG_BIND, CONFIG_HTTP_PORT, CONFIG_DATA_DIR, CONFIG_WEB_ROOT, CONFIG_PUBLIC_IP,
	CONFIG_RTP_PORTS, CONFIG_MEDIA_BIND, CONFIG_WORKERS, CONFIG_LOG_LEVEL,
	CONFIG_ALLOWED_ORIGINS, CONFIG_MAX_MESSAGE_BYTES, CONFIG_ALLOW_NO_ORIGIN,
	CONFIG_LANGUAGES, CONFIG_TOPICS, CONFIG_RING_TIMEOUT, CONFIG_RETURN_TO_AGENT,
	CONFIG_DEFAULT_HANDLE_TIME, CONFIG_CUSTOMER_TOKEN_TTL, CONFIG_AGENT_TOKEN_TTL, CONFIG_REPAIR, CONFIG_ADMIN_TOKEN,
	CONFIG_DUCK_DB, CONFIG_MEDIA_BATCH,
	CONFIG_KEY_COUNT
};

struct config_range {
	uint16_t lo, hi;
};

struct config_origins {
	size_t n;
	char v[CONFIG_MAX_ORIGINS][CONFIG_ORIGIN_MAX];
};

struct config {
	char bind[CONFIG_ADDR_MAX];
	uint16_t http_port;                /* 0 = any free port (tests) */
	char data_dir[PATH_MAX];
	char web_root[PATH_MAX];
	char public_ip[CONFIG_ADDR_MAX];
	struct config_range rtp_ports;
	char media_bind[CONFIG_ADDR_MAX];
	unsigned workers;                  /* 0 = one per core */
	enum log_level log_level;
	char languages[CONFIG_CATALOG_MAX + 1];  /* "en:English,es:Español" */
	char topics[CONFIG_CATALOG_MAX + 1];
	unsigned ring_timeout_s;           /* a ring lapses */
	unsigned return_to_agent_s;        /* a returning customer waits for its agent (0: not) */
	unsigned default_handle_time_s;    /* assumed before handle times are measured */
	unsigned customer_token_ttl_s, agent_token_ttl_s;
	struct config_origins allowed_origins;
	size_t max_message_bytes;
	bool allow_no_origin;
	bool repair;                       /* media loss repair (NACK, retransmission); true */
	unsigned media_batch_us;           /* a media worker's wake-ups at most this often; 0 */
	float duck_db;                     /* simultaneous interpretation: the original's level
					    * under the interpreter; MEDIA_DUCK_DB_DEFAULT (-14) */
	char admin_token[CONFIG_TOKEN_MAX + 1]; /* bearer token of /api; "" = make one up */
	bool admin_token_generated;        /* config_finish() made it up: save it to data_dir */
	bool set[CONFIG_KEY_COUNT];        /* given in the file or on the command line */
};

void config_defaults(struct config *cfg);

/* Read a file. 0, or an errno code with "FILE:LINE: what" (or "FILE: why") in err. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Set one key; relative paths resolve against base_dir. 0, ENOENT (unknown key) or EINVAL,
 * with the reason in err (without a location: the caller knows where the value came from). */
int config_set(struct config *cfg, const char *key, const char *value, const char *base_dir,
	       char *err, size_t errlen);

/* Derive the rest; bindir is the directory of the rapportd binary. Creates data_dir. */
int config_finish(struct config *cfg, const char *bindir, char *err, size_t errlen);

/* The origins a browser may open /ws from when allowed_origins is not set. */
void config_default_origins(struct config *cfg, uint16_t port);

/* Whether the address is the unspecified one (0.0.0.0 or ::). */
bool config_addr_any(const char *addr);

#endif

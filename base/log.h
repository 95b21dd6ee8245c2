/* log: leveled logging to stderr, and a rate limiter for anything that can repeat per packet.
 *
 * Per-packet problems use log_limited(): at most LOG_RATE_BURST lines per site per second,
 * then one summary of how many were suppressed. */
#ifndef BASE_LOG_H
#define BASE_LOG_H
#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
int log_level_parse(const char *name, enum log_level *out); /* "debug".."error"; 0 or EINVAL */
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *mod, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LOG_RATE_BURST 5
struct log_rate {
	uint64_t window_ms;
	uint32_t count;
	uint32_t suppressed;
};
/* true when this site may log now; *suppressed gets the count dropped since the last line */
bool log_rate_allow(struct log_rate *r, uint32_t *suppressed);

#ifndef LOG_MODULE
#define LOG_MODULE "rapport"
#endif
#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, LOG_MODULE, __VA_ARGS__); } while (0)
#define log_info(...)  log_msg(LOG_INFO, LOG_MODULE, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, LOG_MODULE, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, LOG_MODULE, __VA_ARGS__)
#define log_limited(level, fmt, ...) do { \
	static _Thread_local struct log_rate log_rate_; uint32_t log_sup_; \
	if (log_rate_allow(&log_rate_, &log_sup_)) \
		log_msg(level, LOG_MODULE, fmt " (%u similar suppressed)", ##__VA_ARGS__, log_sup_); \
	} while (0)

#endif

#include "base/log.h"
#include "base/clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level log_min = LOG_INFO;
static const char *const log_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level) { log_min = level; }
bool log_enabled(enum log_level level) { return level >= log_min; }

int log_level_parse(const char *name, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (name && strcmp(name, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return EINVAL;
}

void log_msg(enum log_level level, const char *mod, const char *fmt, ...)
{
	if (level < log_min)
		return;
	char line[1024];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %-5s %-9s ", tm.tm_hour,
			 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_names[level], mod);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

bool log_rate_allow(struct log_rate *r, uint32_t *suppressed)
{
	uint64_t now = clock_ms();
	if (now - r->window_ms >= 1000) {
		r->window_ms = now;
		r->count = 0;
	}
	if (r->count >= LOG_RATE_BURST) {
		r->suppressed++;
		return false;
	}
	r->count++;
	*suppressed = r->suppressed;
	r->suppressed = 0;
	return true;
}

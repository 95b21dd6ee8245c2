#include "tests/load/sigws.h"
#include "base/clock.h"
#include "tests/load/ws.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define SIGWS_CONNECT_MS 5000

struct sigws {
	struct lg_io io;             /* first: the epoll handler's cast */
	struct lg *lg;
	struct ws *ws;
	sigws_msg_h *on_msg;
	void *arg;
	bool dead;
};

static void sigws_on_io(struct lg_io *io, uint32_t events)
{
	struct sigws *s = (struct sigws *)io;
	(void)events;
	const char *text;
	size_t len;
	int e;
	while (!s->dead && (e = ws_recv(s->ws, &text, &len)) == 0) {
		json_error_t jerr;
		json_t *msg = json_loadb(text, len, 0, &jerr);
		if (!msg) {
			fprintf(stderr, "loadgen: bad JSON from the server: %s\n", jerr.text);
			continue;
		}
		s->on_msg(s, msg, s->arg);
		json_decref(msg);
	}
	if (!s->dead && e != EAGAIN) {
		s->dead = true;
		lg_io_del(s->lg, ws_fd(s->ws));
	}
}

int sigws_open(struct sigws **sp, struct lg *lg, const char *path, const char *proto,
	       sigws_msg_h *on_msg, void *arg)
{
	struct sigws *s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	*s = (struct sigws){.io.h = sigws_on_io, .lg = lg, .on_msg = on_msg, .arg = arg};
	int e = ws_connect(&s->ws, lg->o.host, (uint16_t)lg->o.port, path, proto, SIGWS_CONNECT_MS);
	if (!e && (e = lg_io_add(lg, ws_fd(s->ws), &s->io)))
		ws_free(s->ws);
	if (e) {
		free(s);
		return e;
	}
	*sp = s;
	return 0;
}

void sigws_free(struct sigws *s)
{
	if (!s)
		return;
	if (!s->dead)
		lg_io_del(s->lg, ws_fd(s->ws));
	ws_free(s->ws);
	free(s);
}

int sigws_send(struct sigws *s, json_t *msg)
{
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!text)
		return ENOMEM;
	int e = s->dead ? ECONNRESET : ws_send_text(s->ws, text, strlen(text));
	free(text);
	return e;
}

bool sigws_dead(const struct sigws *s) { return s->dead; }

int sigws_wait(struct sigws *s, const bool *flag, int timeout_ms)
{
	uint64_t end = clock_ms() + (uint64_t)timeout_ms;
	while (!*flag && !s->dead && clock_ms() < end)
		lg_pump(s->lg, 20);
	return *flag ? 0 : s->dead ? ECONNRESET : ETIMEDOUT;
}

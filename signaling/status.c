/* status: an agent's status and its one transition function.
 *
 * available: can be rung (a ring does not change the status); away: chosen by the agent, or
 * set after two lapsed rings in a row; busy: in a call; wrap_up: the call ended, the agent
 * writes notes until Finish (wrap_up message). Agents choose only available and away, and only
 * when no call rings or runs at them and no wrap-up waits. */
#define LOG_MODULE "signaling"
#include "signaling/internal.h"
#include "base/clock.h"
#include "base/log.h"

#include <errno.h>
#include <string.h>

#define AGENT_LAPSES_AWAY 2  /* rings in a row an agent may let lapse before being set away */

static const char *const agent_status_names[AGENT_STATUS_COUNT] = {
	[AGENT_AVAILABLE] = "available", [AGENT_AWAY] = "away", [AGENT_BUSY] = "busy",
	[AGENT_WRAP_UP] = "wrap_up",
};

/* The moves a status can make (staying put is always allowed). */
static const bool agent_moves[AGENT_STATUS_COUNT][AGENT_STATUS_COUNT] = {
	[AGENT_AVAILABLE] = {[AGENT_AWAY] = true, [AGENT_BUSY] = true},
	[AGENT_AWAY] = {[AGENT_AVAILABLE] = true},
	[AGENT_BUSY] = {[AGENT_WRAP_UP] = true, [AGENT_AVAILABLE] = true}, /* interpreters: no wrap-up */
	[AGENT_WRAP_UP] = {[AGENT_AVAILABLE] = true},
};

const char *agent_status_name(enum agent_status st)
{
	return (unsigned)st < AGENT_STATUS_COUNT ? agent_status_names[st] : "?";
}

int agent_set_status(struct agent *a, enum agent_status st, const char *reason)
{
	enum agent_status from = a->status;
	if (from == st)
		return 0;
	if (!agent_moves[from][st]) {
		log_error("agent %s: refused move %s -> %s", a->username, agent_status_name(from),
			  agent_status_name(st));
		return EPROTO;
	}
	uint64_t now = clock_ms();
	a->status = st;
	if (st == AGENT_AVAILABLE)
		a->idle_since_ms = now;
	if (st == AGENT_BUSY)
		a->busy_since_ms = now;
	if (st != AGENT_AWAY && from == AGENT_AWAY)
		a->lapses = 0;
	log_info("agent %s: %s -> %s%s%s", a->username, agent_status_name(from),
		 agent_status_name(st), reason ? " - " : "", reason ? reason : "");
	return 0;
}

/* Tell the agent its status: as the reply to req, or on its own. */
void agent_tell_status(struct agent *a, const struct proto_msg *req, const char *reason)
{
	json_t *m = json_pack("{s:s, s:s}", "type", "status", "status", agent_status_name(a->status));
	const char *call = a->status == AGENT_BUSY && a->call ? a->call->id :
			   a->status == AGENT_WRAP_UP ? a->wrap.call : NULL;
	if (m && reason)
		json_object_set_new(m, "reason", json_string(reason));
	if (m && call)
		json_object_set_new(m, "call", json_string(call));
	if (req && a->sess && a->sess->conn)
		sig_reply(a->sess->conn, req, m);
	else
		agent_send(a, m);
}

void agent_set_status_msg(struct sig_conn *c, const struct proto_msg *msg)
{
	struct agent *a = c->sess->agent;
	if (a->call || a->status == AGENT_BUSY || a->status == AGENT_WRAP_UP) {
		sig_error(c, msg, PROTO_E_BAD_STATE, a->status == AGENT_WRAP_UP ?
			  "finish the wrap-up first" : "a call rings or runs here");
		return;
	}
	bool available = strcmp(proto_str(msg, "status"), "available") == 0;
	agent_set_status(a, available ? AGENT_AVAILABLE : AGENT_AWAY, NULL);
	agent_tell_status(a, msg, NULL);
	route_dispatch(c->sig);
}

/* A ring at a lapsed: the second in a row sets the agent away (RONA). */
void agent_no_answer(struct agent *a)
{
	if (++a->lapses < AGENT_LAPSES_AWAY)
		return;
	a->lapses = 0;
	agent_set_status(a, AGENT_AWAY, "no_answer");
	agent_tell_status(a, NULL, "no_answer");
}

bool agent_eligible(const struct agent *a)
{
	return !a->interpreter && a->sess && a->sess->conn && a->status == AGENT_AVAILABLE && !a->call;
}

bool agent_counts(const struct agent *a)
{
	return !a->interpreter && a->sess && a->status != AGENT_AWAY;
}

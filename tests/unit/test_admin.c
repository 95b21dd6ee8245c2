/* The admin view behind /api/calls: the signalling core's view of its calls and legs
 * (sig_calls_view, sig_call_view) through a real call with the real media relay, the JSON of a
 * leg's relay figures, and the made-up admin token saved 0600 to the data directory. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/clock.h"
#include "base/mem.h"
#include "gateway/config.h"
#include "gateway/gw.h"
#include "media/media.h"
#include "signaling/sig.h"

#define PASSWORD "correct horse"
#define MAXMSG 32

struct client {
	struct sig_conn *sc;
	char *out[MAXMSG];
	size_t nout;
};

struct fixture {
	struct media *media;
	struct sig *sig;
	struct client cust, agent;
	struct sig_call_view seen[4];   /* copied from the callbacks (strings not kept) */
	char ids[4][32], states[4][16];
	size_t nseen;
};

static int t_send(void *conn, const char *text, size_t len)
{
	struct client *c = conn;
	if (c->nout < MAXMSG)
		c->out[c->nout++] = strndup(text, len);
	return 0;
}

static void t_close(void *conn, int code, const char *reason)
{
	(void)conn;
	(void)code;
	(void)reason;
}

static const struct sig_transport transport = {t_send, t_close};

static void notify(void *arg) { (void)arg; }

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct media_config mc = {.bind_ip = "127.0.0.1", .public_ip = "127.0.0.1",
				  .port_min = 41200, .port_max = 41300, .workers = 1};
	assert_int_equal(media_start(&f->media, &mc, notify, NULL), 0);
	struct sig_config sc = {.agent_username = "agent", .agent_password = PASSWORD};
	assert_int_equal(sig_alloc(&f->sig, &sc, f->media, &transport), 0);
	assert_int_equal(sig_conn_open(f->sig, &f->cust, "test", &f->cust.sc), 0);
	assert_int_equal(sig_conn_open(f->sig, &f->agent, "test", &f->agent.sc), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sig_conn_closed(f->cust.sc);
	sig_conn_closed(f->agent.sc);
	for (size_t i = 0; i < f->cust.nout; i++)
		free(f->cust.out[i]);
	for (size_t i = 0; i < f->agent.nout; i++)
		free(f->agent.out[i]);
	mem_deref(f->sig);
	media_stop(f->media);
	free(f);
	return 0;
}

static void say(struct client *c, const char *text)
{
	sig_conn_recv(c->sc, text, strlen(text));
}

static void on_view(const struct sig_call_view *v, void *arg)
{
	struct fixture *f = arg;
	assert_true(f->nseen < 4);
	f->seen[f->nseen] = *v;
	snprintf(f->ids[f->nseen], sizeof(f->ids[0]), "%s", v->id);
	snprintf(f->states[f->nseen], sizeof(f->states[0]), "%s", v->state);
	assert_string_equal(v->customer, "Ann");
	f->nseen++;
}

static void view_all(struct fixture *f)
{
	f->nseen = 0;
	assert_int_equal(sig_calls_view(f->sig, clock_ms(), on_view, f), 0);
}

static void offer_from_customer(struct fixture *f, const char *call)
{
	char path[PATH_MAX], sdp[16384];
	const char *src = getenv("RAPPORT_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/tests/unit/data/chromium156-offer.sdp", src ? src : ".");
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	size_t n = fread(sdp, 1, sizeof(sdp) - 1, fp);
	fclose(fp);
	sdp[n] = '\0';
	json_t *offer = json_pack("{s:s, s:s, s:s}", "type", "offer", "call", call, "sdp", sdp);
	char *text = json_dumps(offer, JSON_COMPACT);
	say(&f->cust, text);
	free(text);
	json_decref(offer);
}

static void test_call_views(void **state)
{
	struct fixture *f = *state;
	view_all(f);
	assert_int_equal(f->nseen, 0);
	say(&f->agent, "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}");
	say(&f->agent, "{\"type\":\"login\",\"username\":\"agent\",\"password\":\"" PASSWORD "\"}");
	say(&f->cust, "{\"type\":\"hello\",\"version\":1,\"role\":\"customer\"}");
	say(&f->cust, "{\"type\":\"call_request\",\"name\":\"Ann\"}");
	view_all(f);
	assert_int_equal(f->nseen, 1);
	assert_string_equal(f->states[0], "ringing");
	assert_false(f->seen[0].has_media);
	assert_int_equal(f->seen[0].nlegs, 0);
	char call[32];
	snprintf(call, sizeof(call), "%s", f->ids[0]);

	char accept[96];
	snprintf(accept, sizeof(accept), "{\"type\":\"accept\",\"call\":\"%s\"}", call);
	say(&f->agent, accept);
	offer_from_customer(f, call);
	f->nseen = 0;
	assert_int_equal(sig_call_view(f->sig, call, clock_ms(), on_view, f), 0);
	assert_int_equal(f->nseen, 1);
	assert_string_equal(f->states[0], "active");
	assert_true(f->seen[0].has_media);
	assert_int_equal(f->seen[0].nlegs, 1);   /* the customer's; the agent has not offered */
	assert_string_equal(f->seen[0].legs[0].party, "customer");
	assert_true(f->seen[0].legs[0].present);

	/* the leg's relay figures as /api/calls/<id> shows them: every field, by name */
	struct media_leg_stats st;
	assert_int_equal(media_leg_stats(f->media, f->seen[0].legs[0].leg_id, &st), 0);
	st.in[1].lost_before_repair = 50;
	st.in[1].repaired = 49;
	st.rtt_us = 12345;
	json_t *j = admin_leg_stats_json(&st);
	assert_true(json_is_false(json_object_get(j, "connected")));
	assert_int_equal(json_integer_value(json_object_get(j, "rtt_us")), 12345);
	json_t *video = json_object_get(json_object_get(j, "in"), "video");
	assert_int_equal(json_integer_value(json_object_get(video, "lost_before_repair")), 50);
	assert_int_equal(json_integer_value(json_object_get(video, "repaired")), 49);
	assert_int_equal(json_object_size(j), 16);      /* 15 figures and "in" */
	assert_int_equal(json_object_size(video), 12);
	json_decref(j);

	assert_int_equal(sig_call_view(f->sig, "c999", clock_ms(), on_view, f), ENOENT);
	char hangup[96];
	snprintf(hangup, sizeof(hangup), "{\"type\":\"hangup\",\"call\":\"%s\"}", call);
	say(&f->cust, hangup);
	view_all(f);
	assert_int_equal(f->nseen, 0);
}

/* a made-up token is saved 0600 (even over a file that was readable); a configured one is not
 * saved and an old file goes */
static void test_token_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/rapport-test-admin-XXXXXX", path[PATH_MAX], text[64] = "";
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/admin.token", dir);
	FILE *fp = fopen(path, "w");
	fputs("old\n", fp);
	fclose(fp);
	chmod(path, 0644);
	static struct config cfg;
	config_defaults(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
	snprintf(cfg.admin_token, sizeof(cfg.admin_token), "abcdefghijklmnop0123");
	cfg.admin_token_generated = true;
	assert_int_equal(admin_token_save(&cfg), 0);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	fp = fopen(path, "r");
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	assert_string_equal(text, "abcdefghijklmnop0123\n");
	cfg.admin_token_generated = false;
	assert_int_equal(admin_token_save(&cfg), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_call_views, setup, teardown),
		cmocka_unit_test(test_token_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

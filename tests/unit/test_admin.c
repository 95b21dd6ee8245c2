/* The admin view behind /api/calls: the signalling core's view of its calls and legs
 * (sig_calls_view, sig_call_view) through a real call with the real media relay, the JSON of a
 * leg's relay figures, and the made-up admin token saved 0600 to the data directory. */
#include "tests/unit/sigtest.h"

#include <limits.h>
#include <sys/stat.h>

#include "gateway/config.h"
#include "gateway/gw.h"

/* what the view callbacks saw (their strings are not kept) */
struct seen {
	struct sig_call_view v[4];
	char ids[4][32], states[4][16], agents[4][32];
	size_t n;
};

static int setup(void **state)
{
	sigtest_setup(state);
	make_account(*state, "agent", "agent", "", "");
	return 0;
}

#define teardown sigtest_teardown

static void on_view(const struct sig_call_view *v, void *arg)
{
	struct seen *s = arg;
	assert_true(s->n < 4);
	s->v[s->n] = *v;
	snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", v->id);
	snprintf(s->states[s->n], sizeof(s->states[0]), "%s", v->state);
	snprintf(s->agents[s->n], sizeof(s->agents[0]), "%s", v->agent);
	assert_string_equal(v->customer, "Ann");
	assert_string_equal(v->language, "en");
	assert_string_equal(v->interpreter, "");
	s->n++;
}

static void view_all(struct fixture *f, struct seen *s)
{
	s->n = 0;
	assert_int_equal(sig_calls_view(f->sig, clock_wall_ms(), on_view, s), 0);
}

static void offer_from_customer(struct client *cust, const char *call)
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
	sig_conn_recv(cust->sc, text, strlen(text));
	free(text);
	json_decref(offer);
}

static void test_call_views(void **state)
{
	struct fixture *f = *state;
	struct client *cust = &f->c[0], *agent = &f->c[1];
	struct seen seen;
	view_all(f, &seen);
	assert_int_equal(seen.n, 0);
	client_open(f, cust);
	client_open(f, agent);
	agent_sign_in_as(f, agent, "agent", NULL, 0);
	customer_hello(cust, NULL, 0);
	char call[32];
	request_and_ring(cust, agent, "Ann", call, sizeof(call));
	view_all(f, &seen);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.ids[0], call);
	assert_string_equal(seen.states[0], "ringing");
	assert_string_equal(seen.agents[0], "agent");
	assert_false(seen.v[0].has_media);
	assert_int_equal(seen.v[0].nlegs, 0);

	accept_call(cust, agent, call, "agent");
	offer_from_customer(cust, call);
	expect_drop(cust, "answer");
	seen.n = 0;
	assert_int_equal(sig_call_view(f->sig, call, clock_wall_ms(), on_view, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.states[0], "active");
	assert_true(seen.v[0].has_media);
	assert_int_equal(seen.v[0].nlegs, 1);   /* the customer's; the agent has not offered */
	assert_string_equal(seen.v[0].legs[0].party, "customer");
	assert_true(seen.v[0].legs[0].present);

	/* the leg's relay figures as /api/calls/<id> shows them: every field, by name */
	struct media_leg_stats st;
	assert_int_equal(media_leg_stats(f->media, seen.v[0].legs[0].leg_id, &st), 0);
	st.in[1].lost_before_repair = 50;
	st.in[1].repaired = 49;
	st.in[1].late_after_nack = 7;
	st.in[1].nack_wait_us = 42000;
	st.rtt_us = 12345;
	json_t *j = admin_leg_stats_json(&st);
	assert_true(json_is_false(json_object_get(j, "connected")));
	assert_int_equal(json_integer_value(json_object_get(j, "rtt_us")), 12345);
	json_t *video = json_object_get(json_object_get(j, "in"), "video");
	assert_int_equal(json_integer_value(json_object_get(video, "lost_before_repair")), 50);
	assert_int_equal(json_integer_value(json_object_get(video, "repaired")), 49);
	assert_int_equal(json_object_size(j), 16);      /* 15 figures and "in" */
	assert_int_equal(json_integer_value(json_object_get(video, "late_after_nack")), 7);
	assert_int_equal(json_integer_value(json_object_get(video, "nack_wait_us")), 42000);
	assert_int_equal(json_object_size(video), 14);
	json_decref(j);

	assert_int_equal(sig_call_view(f->sig, "c999999", clock_wall_ms(), on_view, &seen), ENOENT);
	hang_up(cust, agent, call);
	view_all(f, &seen);
	assert_int_equal(seen.n, 0);
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

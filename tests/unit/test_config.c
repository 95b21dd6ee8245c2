/* rapportd's configuration: defaults derived from where the binary is, the key = value file
 * (each bad line named by file:line), command-line overrides. */
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

#include "gateway/cli.h"
#include "gateway/config.h"
#include "gateway/paths.h"

/* A fake install: <top>/bin is the binary's directory, <top>/web has the pages. */
struct tree {
	char top[PATH_MAX], bin[PATH_MAX + 8], conf[PATH_MAX + 16];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	snprintf(t->top, sizeof(t->top), "/tmp/rapport-test-config-XXXXXX");
	assert_non_null(mkdtemp(t->top));
	char p[PATH_MAX + 64];
	snprintf(t->bin, sizeof(t->bin), "%s/bin", t->top);
	assert_int_equal(mkdir(t->bin, 0700), 0);
	snprintf(p, sizeof(p), "%s/web", t->top);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/web/customer", t->top);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/web/customer/index.html", t->top);
	write_file(p, "<!doctype html>");
	snprintf(t->conf, sizeof(t->conf), "%s/rapportd.conf", t->top);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->top);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static void test_defaults(void **state)
{
	struct tree *t = *state;
	struct config cfg;
	char err[1024] = "", want[PATH_MAX + 16];
	config_defaults(&cfg);
	assert_int_equal(config_finish(&cfg, t->bin, err, sizeof(err)), 0);
	assert_string_equal(cfg.bind, "127.0.0.1");
	assert_int_equal(cfg.http_port, 8080);
	snprintf(want, sizeof(want), "%s/var", t->top);
	assert_string_equal(cfg.data_dir, want);  /* <bindir>/../var, resolved and created */
	assert_true(path_is_dir(want));
	snprintf(want, sizeof(want), "%s/web", t->top);
	assert_string_equal(cfg.web_root, want);  /* found at <bindir>/../web */
	assert_string_equal(cfg.public_ip, "127.0.0.1");
	assert_string_equal(cfg.media_bind, "127.0.0.1");
	assert_int_equal(cfg.rtp_ports.lo, 40000);
	assert_int_equal(cfg.rtp_ports.hi, 40100);
	assert_int_equal(cfg.workers, 0);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_string_equal(cfg.languages, "en:English");
	assert_string_equal(cfg.topics, "general:General question");
	assert_int_equal(cfg.ring_timeout_s, 20);
	assert_int_equal(cfg.return_to_agent_s, 60);
	assert_int_equal(cfg.default_handle_time_s, 300);
	assert_int_equal(cfg.customer_token_ttl_s, 86400);
	assert_int_equal(cfg.agent_token_ttl_s, 43200);
	assert_int_equal(cfg.max_message_bytes, 65536);
	assert_false(cfg.allow_no_origin);
	assert_true(cfg.repair);
	assert_true(cfg.duck_db == -14.0f);
	assert_int_equal(cfg.media_batch_us, 0);
	assert_true(cfg.admin_token_generated);
	assert_int_equal(strlen(cfg.admin_token), 43);
	assert_int_equal(cfg.allowed_origins.n, 2);  /* bind and 127.0.0.1 are one origin */
	assert_string_equal(cfg.allowed_origins.v[0], "http://127.0.0.1:8080");
	assert_string_equal(cfg.allowed_origins.v[1], "http://localhost:8080");
}

static void test_full_file(void **state)
{
	struct tree *t = *state;
	write_file(t->conf,
		   "# rapportd test configuration\n"
		   "\n"
		   "bind = 0.0.0.0\n"
		   "http_port=9090   # a comment after a blank\n"
		   "   data_dir = data\n"
		   "web_root = web\n"
		   "rtp_ports = 50000-50010\n"
		   "workers = 2\n"
		   "log_level = debug\n"
		   "languages = \"en:English #1, es:Español\"   # quoted: kept verbatim\n"
		   "topics = general:General, billing:Billing\n"
		   "ring_timeout = 15\n"
		   "return_to_agent = 0\n"
		   "allowed_origins = https://support.example.com, http://127.0.0.1:9090\n"
		   "max_message_bytes = 131072\n"
		   "allow_no_origin = yes\n"
		   "repair = off\n"
		   "duck_db = -20.5\n"
		   "media_batch_us = 500\n"
		   "admin_token = 0123456789abcdef-._~+/\n"
		   "\t# indented comment\n");
	struct config cfg;
	char err[1024] = "", want[PATH_MAX + 16];
	config_defaults(&cfg);
	assert_int_equal(config_load(&cfg, t->conf, err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, t->bin, err, sizeof(err)), 0);
	assert_string_equal(cfg.bind, "0.0.0.0");
	assert_int_equal(cfg.http_port, 9090);
	snprintf(want, sizeof(want), "%s/data", t->top);
	assert_string_equal(cfg.data_dir, want);  /* relative to the file's directory */
	assert_true(path_is_dir(want));
	snprintf(want, sizeof(want), "%s/web", t->top);
	assert_string_equal(cfg.web_root, want);
	assert_string_equal(cfg.public_ip, "127.0.0.1");  /* bind is 0.0.0.0 */
	assert_string_equal(cfg.media_bind, "0.0.0.0");
	assert_int_equal(cfg.rtp_ports.lo, 50000);
	assert_int_equal(cfg.rtp_ports.hi, 50010);
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_string_equal(cfg.languages, "en:English #1, es:Español");
	assert_string_equal(cfg.topics, "general:General, billing:Billing");
	assert_int_equal(cfg.ring_timeout_s, 15);
	assert_int_equal(cfg.return_to_agent_s, 0);
	assert_int_equal(cfg.allowed_origins.n, 2);
	assert_string_equal(cfg.allowed_origins.v[0], "https://support.example.com");
	assert_string_equal(cfg.allowed_origins.v[1], "http://127.0.0.1:9090");
	assert_int_equal(cfg.max_message_bytes, 131072);
	assert_true(cfg.allow_no_origin);
	assert_false(cfg.repair);
	assert_true(cfg.duck_db == -20.5f);
	assert_int_equal(cfg.media_batch_us, 500);
	assert_string_equal(cfg.admin_token, "0123456789abcdef-._~+/");
	assert_false(cfg.admin_token_generated);
}

static const struct bad_line {
	const char *text;      /* the file; the bad line is the last */
	int rc;
	const char *where;     /* ":LINE: " */
	const char *what;      /* in the message */
} bad_lines[] = {
	{"colour = blue\n", ENOENT, ":1: ", "unknown key \"colour\""},
	{"# ok\nbind = 127.0.0.1\nhttp-port = 80\n", ENOENT, ":3: ", "unknown key \"http-port\""},
	{"http_port = 70000\n", EINVAL, ":1: ", "bad value for http_port: \"70000\""},
	{"http_port = 80x\n", EINVAL, ":1: ", "bad value for http_port"},
	{"http_port = -1\n", EINVAL, ":1: ", "bad value for http_port"},
	{"http_port\n", EINVAL, ":1: ", "expected \"key = value\""},
	{"\n\n= 5\n", ENOENT, ":3: ", "unknown key \"\""},
	{"bind = localhost\n", EINVAL, ":1: ", "not an IPv4 or IPv6 address"},
	{"public_ip = 300.1.1.1\n", EINVAL, ":1: ", "bad value for public_ip"},
	{"rtp_ports = 40100-40000\n", EINVAL, ":1: ", "bad value for rtp_ports"},
	{"rtp_ports = 40000\n", EINVAL, ":1: ", "LO-HI"},
	{"rtp_ports = 0-10\n", EINVAL, ":1: ", "bad value for rtp_ports"},
	{"workers = many\n", EINVAL, ":1: ", "bad value for workers"},
	{"workers = 100000\n", EINVAL, ":1: ", "from 0 to 256"},
	{"log_level = loud\n", EINVAL, ":1: ", "debug, info, warn or error"},
	{"demo_agent_username = agent\n", EINVAL, ":1: ", "no longer read: agents are accounts"},
	{"demo_agent_password = x\n", EINVAL, ":1: ", "rapportd user add"},
	{"topics =\n", EINVAL, ":1: ", "topics must be 1 to 1024"},
	{"ring_timeout = 2\n", EINVAL, ":1: ", "from 5 to 600"},
	{"allowed_origins = example.com\n", EINVAL, ":1: ", "not an origin"},
	{"allowed_origins = http://example.com/path\n", EINVAL, ":1: ", "not an origin"},
	{"allowed_origins = ,\n", EINVAL, ":1: ", "no origin"},
	{"max_message_bytes = 10\n", EINVAL, ":1: ", "from 1024 to 16777216"},
	{"allow_no_origin = maybe\n", EINVAL, ":1: ", "not true or false"},
	{"topics = \"open\n", EINVAL, ":1: ", "no closing"},
	{"topics = \"a\" b\n", EINVAL, ":1: ", "after the quoted value"},
	{"bind = 127.0.0.1\nbind = ::1\n", EINVAL, ":2: ", "bind is set twice"},
	{"data_dir =\n", EINVAL, ":1: ", "bad value for data_dir"},
	{"repair = sometimes\n", EINVAL, ":1: ", "bad value for repair"},
	{"media_batch_us = 2001\n", EINVAL, ":1: ", "from 0 to 2000"},
	{"media_batch_us = -5\n", EINVAL, ":1: ", "bad value for media_batch_us"},
	{"admin_token = short\n", EINVAL, ":1: ", "admin_token must be empty or 16 to 256"},
	{"admin_token = \"0123456789 abcdef\"\n", EINVAL, ":1: ", "only letters, digits"},
	{"duck_db = -41\n", EINVAL, ":1: ", "bad value for duck_db: \"-41\" is not a level in dB from -40 to -1"},
	{"duck_db = 0\n", EINVAL, ":1: ", "from -40 to -1"},
	{"duck_db = -0.5\n", EINVAL, ":1: ", "from -40 to -1"},
	{"duck_db = 6\n", EINVAL, ":1: ", "from -40 to -1"},
	{"duck_db = -14dB\n", EINVAL, ":1: ", "bad value for duck_db"},
	{"duck_db = -1e1\n", EINVAL, ":1: ", "bad value for duck_db"},
	{"duck_db = nan\n", EINVAL, ":1: ", "bad value for duck_db"},
	{"duck_db = -14.\n", EINVAL, ":1: ", "bad value for duck_db"},
	{"duck_db = --14\n", EINVAL, ":1: ", "bad value for duck_db"},
	{"duck_db =\n", EINVAL, ":1: ", "bad value for duck_db"},
};

static void test_bad_lines(void **state)
{
	struct tree *t = *state;
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const struct bad_line *b = &bad_lines[i];
		write_file(t->conf, b->text);
		struct config cfg;
		char err[1024] = "", where[PATH_MAX + 32];
		config_defaults(&cfg);
		int rc = config_load(&cfg, t->conf, err, sizeof(err));
		if (rc != b->rc)
			fail_msg("%s: rc %d (%s), want %d", b->text, rc, err, b->rc);
		snprintf(where, sizeof(where), "%s%s", t->conf, b->where);
		if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, b->what))
			fail_msg("%s: message \"%s\", want \"%s...%s\"", b->text, err, where, b->what);
	}
}

static void test_long_line_and_missing_file(void **state)
{
	struct tree *t = *state;
	char *big = malloc(CONFIG_LINE_MAX + 64);
	memset(big, 'x', CONFIG_LINE_MAX + 40);
	memcpy(big, "topics = \"x:", 12);
	big[CONFIG_LINE_MAX + 40] = '\n';
	big[CONFIG_LINE_MAX + 41] = '\0';
	write_file(t->conf, big);
	free(big);
	struct config cfg;
	char err[1024];
	config_defaults(&cfg);
	assert_int_equal(config_load(&cfg, t->conf, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, ":1: line longer than"));
	char missing[PATH_MAX + 16];
	snprintf(missing, sizeof(missing), "%s/nope.conf", t->top);
	assert_int_equal(config_load(&cfg, missing, err, sizeof(err)), ENOENT);
	assert_non_null(strstr(err, "cannot read"));
	assert_non_null(strstr(err, "nope.conf"));
}

static void test_finish_errors(void **state)
{
	struct tree *t = *state;
	struct config cfg;
	char err[1024];
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "public_ip", "0.0.0.0", NULL, err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, t->bin, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "public_ip must be an address browsers can reach"));

	config_defaults(&cfg);  /* the lists are checked as a whole at the end */
	assert_int_equal(config_set(&cfg, "topics", "billing:Billing, bad code:X", NULL, err,
				    sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, t->bin, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "bad value for topics: \"bad code\" is not a code"));
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "languages", "en:English,en:Again", NULL, err,
				    sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, t->bin, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "\"en\" is listed twice"));

	char lonely[PATH_MAX + 16];  /* a binary with no web root anywhere near it */
	snprintf(lonely, sizeof(lonely), "%s/a/b/c", t->top);
	assert_int_equal(path_mkdirs(lonely), 0);
	config_defaults(&cfg);
	assert_int_equal(config_finish(&cfg, lonely, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "no web root found"));

	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "web_root", "missing", t->top, err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, t->bin, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "is not a directory"));
}

static void test_ipv6_defaults(void **state)
{
	struct tree *t = *state;
	struct config cfg;
	char err[1024];
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "bind", "::", NULL, err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "http_port", "8443", NULL, err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, t->bin, err, sizeof(err)), 0);
	assert_string_equal(cfg.public_ip, "::1");
	assert_string_equal(cfg.allowed_origins.v[0], "http://[::1]:8443");
}

static void test_cli(void **state)
{
	(void)state;
	struct cli cli;
	char *ok[] = {"rapportd", "--config", "/etc/rapportd.conf", "--http-port", "9000",
		      "--bind=0.0.0.0", "--rtp-ports", "41000-41010", "--log-level", "warn", NULL};
	cli_parse(&cli, 10, ok);
	assert_int_equal(cli.action, CLI_RUN);
	assert_string_equal(cli.config_path, "/etc/rapportd.conf");
	assert_int_equal(cli.noverrides, 4);
	assert_string_equal(cli.overrides[0].key, "http_port");
	assert_string_equal(cli.overrides[0].value, "9000");
	assert_string_equal(cli.overrides[1].key, "bind");
	assert_string_equal(cli.overrides[1].value, "0.0.0.0");
	assert_string_equal(cli.overrides[2].key, "rtp_ports");
	assert_string_equal(cli.overrides[3].key, "log_level");

	char *help[] = {"rapportd", "--http-port", "1", "--help", NULL};
	cli_parse(&cli, 4, help);
	assert_int_equal(cli.action, CLI_HELP);
	char *version[] = {"rapportd", "--version", NULL};
	cli_parse(&cli, 2, version);
	assert_int_equal(cli.action, CLI_VERSION);

	char *unknown[] = {"rapportd", "--colour", "blue", NULL};
	cli_parse(&cli, 3, unknown);
	assert_int_equal(cli.action, CLI_USAGE_ERROR);
	assert_non_null(strstr(cli.error, "--colour"));
	char *novalue[] = {"rapportd", "--http-port", NULL};
	cli_parse(&cli, 2, novalue);
	assert_int_equal(cli.action, CLI_USAGE_ERROR);
	assert_non_null(strstr(cli.error, "needs a value"));
	char *extra[] = {"rapportd", "serve", NULL};
	cli_parse(&cli, 2, extra);
	assert_int_equal(cli.action, CLI_USAGE_ERROR);
	assert_non_null(strstr(cli.error, "serve"));
}

/* Options override the file; their relative paths are relative to the working directory. */
static void test_cli_overrides_file(void **state)
{
	struct tree *t = *state;
	write_file(t->conf, "http_port = 9090\nlog_level = error\n");
	struct config cfg;
	char err[1024];
	config_defaults(&cfg);
	assert_int_equal(config_load(&cfg, t->conf, err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "http_port", "9191", "/cwd", err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "data_dir", "here/var", "/cwd", err, sizeof(err)), 0);
	assert_int_equal(cfg.http_port, 9191);
	assert_int_equal(cfg.log_level, LOG_ERROR);
	assert_string_equal(cfg.data_dir, "/cwd/here/var");
	assert_int_equal(config_set(&cfg, "http_port", "nine", "/cwd", err, sizeof(err)), EINVAL);
	assert_string_equal(err, "bad value for http_port: \"nine\" is not a port (0-65535)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_and_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_defaults, setup, teardown),
		cmocka_unit_test(test_cli),
		cmocka_unit_test_setup_teardown(test_cli_overrides_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

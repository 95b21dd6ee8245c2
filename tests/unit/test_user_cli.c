/* `rapportd user add|list|remove` through user_cli_main() with argv arrays, against a real
 * data directory: exit codes, messages, the database afterwards, and no password in output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "signaling/store.h"
#include "signaling/user_cli.h"
#include "tmpdir.h"

static char dir[256];
static char out[8192];   /* stdout and stderr of the last run */

/* runs user_cli_main with stdout and stderr captured into out */
static int run(int argc, const char **argv)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/.out", dir);
	fflush(stdout);
	fflush(stderr);
	int saved1 = dup(1), saved2 = dup(2);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	dup2(fd, 2);
	int rc = user_cli_main(argc, (char **)argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved1, 1);
	dup2(saved2, 2);
	close(saved1);
	close(saved2);
	ssize_t n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}
#define RUN(...) run(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *), \
		     (const char *[]){ __VA_ARGS__ })

static void write_file(const char *name, const char *text)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(tmpdir_make(dir, sizeof(dir)));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	return 0;
}

static void test_add_list_remove(void **state)
{
	(void)state;
	char pwfile[300];
	snprintf(pwfile, sizeof(pwfile), "%s/pw", dir);
	write_file("pw", "s3cret-from-file\n");
	assert_int_equal(RUN("user", "add", "--data-dir", dir, "--role", "agent", "--username",
			     "ana", "--password", "s3cret-on-argv", "--languages", "en,es",
			     "--skills=billing,cards"), 0);
	assert_non_null(strstr(out, "added agent 'ana'"));
	assert_null(strstr(out, "s3cret"));
	assert_int_equal(RUN("user", "add", "--data-dir", dir, "--role", "interpreter",
			     "--username", "bo.b-2_x", "--password-file", pwfile), 0);
	assert_int_equal(RUN("user", "list", "--data-dir", dir), 0);
	assert_null(strstr(out, "s3cret"));
	assert_null(strstr(out, "$scrypt$"));
	assert_non_null(strstr(out, "USERNAME"));
	char *ana = strstr(out, "ana "), *bob = strstr(out, "bo.b-2_x ");
	assert_non_null(ana);
	assert_non_null(bob);
	assert_true(ana < bob);   /* sorted by username */
	assert_non_null(strstr(ana, "agent"));
	assert_non_null(strstr(ana, "en,es"));
	assert_non_null(strstr(ana, "billing,cards"));
	assert_non_null(strstr(bob, "interpreter"));

	/* the passwords work, the file's newline is not part of its password */
	struct store *st;
	assert_int_equal(store_sqlite_open(&st, dir), 0);
	assert_int_equal(store_account_verify(st, "ana", "s3cret-on-argv", NULL), 0);
	assert_int_equal(store_account_verify(st, "bo.b-2_x", "s3cret-from-file", NULL), 0);
	st = mem_deref(st);

	assert_int_equal(RUN("user", "add", "--data-dir", dir, "--role", "admin", "--username",
			     "ana", "--password", "other-pass"), USER_CLI_FAILED);
	assert_non_null(strstr(out, "username 'ana' is already taken"));
	assert_int_equal(RUN("user", "remove", "--data-dir", dir, "--username", "ana"), 0);
	assert_non_null(strstr(out, "removed 'ana'"));
	assert_int_equal(RUN("user", "remove", "--data-dir", dir, "--username", "ana"),
			 USER_CLI_FAILED);
	assert_non_null(strstr(out, "no account 'ana'"));
	assert_int_equal(RUN("user", "list", "--data-dir", dir), 0);
	assert_null(strstr(out, "ana "));
	assert_non_null(strstr(out, "bo.b-2_x"));
}

static int count_audit(const struct store_audit *e, void *arg)
{
	strcat(arg, e->action);
	strcat(arg, " ");
	return 0;
}

static void test_audit_written(void **state)
{
	(void)state;
	char actions[256] = "";
	assert_int_equal(RUN("user", "add", "--data-dir", dir, "--role", "supervisor", "--username",
			     "sue", "--password", "sue-password"), 0);
	assert_int_equal(RUN("user", "remove", "--data-dir", dir, "--username", "sue"), 0);
	struct store *st;
	assert_int_equal(store_sqlite_open(&st, dir), 0);
	assert_int_equal(store_audit_list(st, 0, 0, count_audit, actions), 0);
	assert_string_equal(actions, "account.create account.remove ");
	mem_deref(st);
}

static void test_bad_command_lines(void **state)
{
	(void)state;
	static const struct { const char *argv[12]; int rc; const char *msg; } cases[] = {
		{ { "user" }, USER_CLI_USAGE, "usage:" },
		{ { "user", "frobnicate" }, USER_CLI_USAGE, "unknown command 'frobnicate'" },
		{ { "user", "list" }, USER_CLI_USAGE, "--data-dir is missing" },
		{ { "user", "list", "--data-dir" }, USER_CLI_USAGE, "--data-dir needs a value" },
		{ { "user", "list", "--data-dir", "x", "--role", "agent" }, USER_CLI_USAGE,
		  "this command does not take '--role'" },
		{ { "user", "list", "--data-dir", "x", "--data-dir", "y" }, USER_CLI_USAGE,
		  "--data-dir is given twice" },
		{ { "user", "list", "--data-dir", "x", "--frob=1" }, USER_CLI_USAGE,
		  "unknown option '--frob'" },
		{ { "user", "add", "--data-dir", "x", "--password", "two", "words" }, USER_CLI_USAGE,
		  "unexpected argument #6" },
		{ { "user", "add", "--data-dir", "D", "--role", "boss", "--username", "ana",
		    "--password", "long-enough" }, USER_CLI_USAGE, "unknown role 'boss'" },
		{ { "user", "add", "--data-dir", "D", "--role", "agent", "--username", "Ana!",
		    "--password", "long-enough" }, USER_CLI_USAGE,
		  "username may only use the characters a-z 0-9 ._-" },
		{ { "user", "add", "--data-dir", "D", "--role", "agent", "--username",
		    "a1234567890123456789012345678901234567890123456789012345678901234",
		    "--password", "long-enough" }, USER_CLI_USAGE, "longer than 64" },
		{ { "user", "add", "--data-dir", "D", "--role", "agent", "--username", "ana" },
		  USER_CLI_USAGE, "a password is missing" },
		{ { "user", "add", "--data-dir", "D", "--role", "agent", "--username", "ana",
		    "--password", "long-enough", "--password-file", "f" }, USER_CLI_USAGE,
		  "not both" },
		{ { "user", "add", "--data-dir", "D", "--role", "agent", "--username", "ana",
		    "--password", "long-enough", "--languages", "en es" }, USER_CLI_USAGE,
		  "--languages must be a comma-separated list" },
		{ { "user", "add", "--data-dir", "D", "--role", "agent", "--username", "ana",
		    "--password", "short" }, USER_CLI_FAILED, "password must be 8 to 1024 bytes" },
		{ { "user", "add", "--data-dir", "D", "--role", "agent", "--username", "ana",
		    "--password-file", "D/missing" }, USER_CLI_FAILED,
		  "missing: No such file or directory" },
		{ { "user", "add", "--data-dir", "D", "--role", "agent", "--username", "ana",
		    "--password-file", "D/empty" }, USER_CLI_FAILED, "empty is empty" },
		{ { "user", "add", "--data-dir", "D", "--role", "agent", "--username", "ana",
		    "--password-file", "D/two" }, USER_CLI_FAILED, "on one line" },
		{ { "user", "list", "--data-dir", "/nonexistent/rapport" }, USER_CLI_FAILED,
		  "data directory /nonexistent/rapport does not exist" },
		{ { "user", "--help" }, USER_CLI_OK, "rapportd user add --data-dir DIR" },
		{ { "user", "remove", "--help" }, USER_CLI_OK, "usage:" },
	};
	write_file("empty", "");
	write_file("two", "first-line\nsecond-line\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[12];
		char buf[12][320];
		int argc = 0;
		for (; argc < 12 && cases[i].argv[argc]; argc++) {
			const char *a = cases[i].argv[argc];
			if (a[0] == 'D' && (a[1] == '\0' || a[1] == '/')) {
				snprintf(buf[argc], sizeof(buf[argc]), "%s%s", dir, a + 1);
				a = buf[argc];
			}
			argv[argc] = a;
		}
		int rc = run(argc, argv);
		const char *msg = cases[i].msg;
		if (rc != cases[i].rc || !strstr(out, msg))
			fail_msg("case %zu: exit %d (want %d), output:\n%s(want \"%s\")", i, rc,
				 cases[i].rc, out, msg);
	}
	/* nothing was created by the refused commands */
	struct store *st;
	struct store_account *a;
	assert_int_equal(store_sqlite_open(&st, dir), 0);
	assert_int_equal(store_account_get(st, "ana", &a), ENOENT);
	mem_deref(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_list_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_command_lines, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* user_cli: `rapportd user add|list|remove` (see user_cli.h). Options are parsed through a
 * table; each command names the options it takes and those it needs. */
#include "signaling/user_cli.h"
#include "signaling/password.h"
#include "signaling/store.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

struct user_args {
	const char *data_dir, *role, *username, *password, *password_file, *languages, *skills;
};

enum user_opt_bit {
	O_DATA_DIR = 1 << 0, O_ROLE = 1 << 1, O_USERNAME = 1 << 2, O_PASSWORD = 1 << 3,
	O_PASSWORD_FILE = 1 << 4, O_LANGUAGES = 1 << 5, O_SKILLS = 1 << 6,
};

static const struct user_opt {
	const char *name;
	unsigned bit;
	size_t off;
} user_opts[] = {
	{ "--data-dir", O_DATA_DIR, offsetof(struct user_args, data_dir) },
	{ "--role", O_ROLE, offsetof(struct user_args, role) },
	{ "--username", O_USERNAME, offsetof(struct user_args, username) },
	{ "--password", O_PASSWORD, offsetof(struct user_args, password) },
	{ "--password-file", O_PASSWORD_FILE, offsetof(struct user_args, password_file) },
	{ "--languages", O_LANGUAGES, offsetof(struct user_args, languages) },
	{ "--skills", O_SKILLS, offsetof(struct user_args, skills) },
};
#define USER_NOPTS (sizeof(user_opts) / sizeof(user_opts[0]))

static int user_add(const struct user_args *a);
static int user_list(const struct user_args *a);
static int user_remove(const struct user_args *a);

static const struct user_cmd {
	const char *name;
	int (*run)(const struct user_args *a);
	unsigned takes, needs;
	const char *usage;
} user_cmds[] = {
	{ "add", user_add,
	  O_DATA_DIR | O_ROLE | O_USERNAME | O_PASSWORD | O_PASSWORD_FILE | O_LANGUAGES | O_SKILLS,
	  O_DATA_DIR | O_ROLE | O_USERNAME,
	  "add --data-dir DIR --role agent|interpreter|supervisor|admin --username U\n"
	  "        (--password P | --password-file F) [--languages en,es] [--skills a,b]" },
	{ "list", user_list, O_DATA_DIR, O_DATA_DIR, "list --data-dir DIR" },
	{ "remove", user_remove, O_DATA_DIR | O_USERNAME, O_DATA_DIR | O_USERNAME,
	  "remove --data-dir DIR --username U" },
};
#define USER_NCMDS (sizeof(user_cmds) / sizeof(user_cmds[0]))

static const char **user_field(struct user_args *a, const struct user_opt *o)
{
	return (const char **)(void *)((char *)a + o->off);
}

static void user_usage(FILE *f)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < USER_NCMDS; i++)
		fprintf(f, "  rapportd user %s\n", user_cmds[i].usage);
	fprintf(f, "usernames: 1-64 of a-z 0-9 . _ -; passwords: %d-%d bytes; "
		"--password-file reads one line (/dev/stdin works)\n", PASSWORD_MIN_LEN,
		PASSWORD_MAX_LEN);
}

static int user_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int user_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "rapportd user%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return USER_CLI_FAILED;
}

static const struct user_opt *user_find_opt(const char *arg, size_t len)
{
	for (size_t i = 0; i < USER_NOPTS; i++) {
		if (strlen(user_opts[i].name) == len && strncmp(user_opts[i].name, arg, len) == 0)
			return &user_opts[i];
	}
	return NULL;
}

/* --name value or --name=value; each option at most once, only those cmd takes */
static int user_parse(const struct user_cmd *cmd, int argc, char **argv, struct user_args *a)
{
	unsigned seen = 0;
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct user_opt *o = user_find_opt(arg, len);
		if (strncmp(arg, "--", 2) != 0) {
			/* not echoed: it may be the rest of an unquoted password */
			user_error(cmd->name, "unexpected argument #%d (is a value with spaces not "
				   "quoted?)", i);
			return USER_CLI_USAGE;
		}
		if (!o || !(cmd->takes & o->bit)) {
			user_error(cmd->name, "%s '%.*s'", o ? "this command does not take" :
				   "unknown option", (int)len, arg);
			return USER_CLI_USAGE;
		}
		if (seen & o->bit) {
			user_error(cmd->name, "%s is given twice", o->name);
			return USER_CLI_USAGE;
		}
		const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!val) {
			user_error(cmd->name, "%s needs a value", o->name);
			return USER_CLI_USAGE;
		}
		seen |= o->bit;
		*user_field(a, o) = val;
	}
	for (size_t i = 0; i < USER_NOPTS; i++) {
		if ((cmd->needs & user_opts[i].bit) && !(seen & user_opts[i].bit)) {
			user_error(cmd->name, "%s is missing", user_opts[i].name);
			return USER_CLI_USAGE;
		}
	}
	return USER_CLI_OK;
}

/* "user help", "user --help", "user add --help" (not anywhere later: it could be a value) */
static bool user_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && i <= 2; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
		    (i == 1 && strcmp(argv[i], "help") == 0))
			return true;
	}
	return false;
}

int user_cli_main(int argc, char **argv)
{
	struct user_args a = { 0 };
	if (argc < 2) {
		user_usage(stderr);
		return USER_CLI_USAGE;
	}
	if (user_wants_help(argc, argv)) {
		user_usage(stdout);
		return USER_CLI_OK;
	}
	for (size_t i = 0; i < USER_NCMDS; i++) {
		if (strcmp(argv[1], user_cmds[i].name) != 0)
			continue;
		int rc = user_parse(&user_cmds[i], argc, argv, &a);
		if (rc) {
			user_usage(stderr);
			return rc;
		}
		log_set_level(LOG_WARN);  /* the CLI's output is its own messages */
		return user_cmds[i].run(&a);
	}
	user_error(NULL, "unknown command '%s'", argv[1]);
	user_usage(stderr);
	return USER_CLI_USAGE;
}

/* ---- the commands ---- */

static int user_open(const char *cmd, const char *data_dir, struct store **stp)
{
	struct stat sb;
	if (stat(data_dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return user_error(cmd, "data directory %s does not exist", data_dir);
	int err = store_sqlite_open(stp, data_dir);
	if (err)
		return user_error(cmd, "cannot open the database in %s: %s", data_dir,
				  strerror(err));
	return USER_CLI_OK;
}

/* the file's content without one trailing newline; it must be one non-empty line */
static int user_read_password(const char *path, char *buf, size_t bufsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return user_error("add", "cannot read password file %s: %s", path, strerror(errno));
	size_t len = 0;
	ssize_t n = 0;
	while (len < bufsz - 1 && (n = read(fd, buf + len, bufsz - 1 - len)) > 0)
		len += (size_t)n;
	int rerr = n < 0 ? errno : 0;
	close(fd);
	if (rerr)
		return user_error("add", "cannot read password file %s: %s", path, strerror(rerr));
	buf[len] = '\0';
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0)
		return user_error("add", "password file %s is empty", path);
	if (len >= bufsz - 2 || memchr(buf, '\n', len) || strlen(buf) != len)
		return user_error("add", "password file %s must hold one password of at most %d "
				  "bytes on one line", path, PASSWORD_MAX_LEN);
	return USER_CLI_OK;
}

/* a value on the command line is wrong: a usage error */
static int user_check_add(const struct user_args *a, struct store_account *acc)
{
	char msg[STORE_ERRMSG_MAX];
	if (store_role_parse(a->role, &acc->role)) {
		user_error("add", "unknown role '%s' (agent, interpreter, supervisor or admin)",
			   a->role);
		return USER_CLI_USAGE;
	}
	if (store_username_check(a->username, msg, sizeof(msg)) ||
	    store_list_check("--languages", a->languages, msg, sizeof(msg)) ||
	    store_list_check("--skills", a->skills, msg, sizeof(msg))) {
		user_error("add", "%s", msg);
		return USER_CLI_USAGE;
	}
	if (!a->password == !a->password_file) {
		user_error("add", a->password ? "give --password or --password-file, not both" :
			   "a password is missing: give --password or --password-file");
		return USER_CLI_USAGE;
	}
	return USER_CLI_OK;
}

static void user_audit(struct store *st, const char *cmd, const char *action, const char *detail)
{
	char actor[64];
	snprintf(actor, sizeof(actor), "cli (uid %ld)", (long)getuid());
	if (store_audit(st, clock_wall_ms(), actor, action, detail))
		user_error(cmd, "warning: the audit log was not written: %s", store_errmsg(st));
}

static int user_add(const struct user_args *a)
{
	struct store_account acc = { .username = a->username, .languages = a->languages,
				     .skills = a->skills, .created_ms = clock_wall_ms() };
	char pw[PASSWORD_MAX_LEN + 3], detail[256];
	struct store *st = NULL;
	int64_t id;
	int rc = user_check_add(a, &acc);
	if (!rc && a->password_file)
		rc = user_read_password(a->password_file, pw, sizeof(pw));
	if (!rc)
		rc = user_open("add", a->data_dir, &st);
	if (rc)
		goto out;
	if (store_account_create(st, &acc, a->password ? a->password : pw, &id)) {
		rc = user_error("add", "%s", store_errmsg(st));
		goto out;
	}
	snprintf(detail, sizeof(detail), "added %s '%s' (id %lld)", a->role, a->username,
		 (long long)id);
	user_audit(st, "add", "account.create", detail);
	printf("%s\n", detail);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	mem_deref(st);
	return rc;
}

struct user_table {
	int w[4];       /* widths of username, role, languages, skills */
	bool print;
};

static const char *user_dash(const char *s)
{
	return s && *s ? s : "-";
}

static int user_row(const struct store_account *acc, void *arg)
{
	struct user_table *t = arg;
	const char *col[4] = { acc->username, store_role_name(acc->role),
			       user_dash(acc->languages), user_dash(acc->skills) };
	if (!t->print) {
		for (int i = 0; i < 4; i++) {
			int len = (int)strlen(col[i]);
			t->w[i] = len > t->w[i] ? len : t->w[i];
		}
		return 0;
	}
	char created[32];
	time_t secs = (time_t)(acc->created_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-*s  %-*s  %-*s  %-*s  %s%s\n", t->w[0], col[0], t->w[1], col[1], t->w[2], col[2],
	       t->w[3], col[3], created, acc->disabled ? "  (disabled)" : "");
	return 0;
}

static int user_list(const struct user_args *a)
{
	struct user_table t = { .w = { 8, 4, 9, 6 } };  /* the headers' widths */
	struct store *st = NULL;
	int rc = user_open("list", a->data_dir, &st);
	if (rc)
		return rc;
	if (store_account_list(st, user_row, &t)) {
		rc = user_error("list", "%s", store_errmsg(st));
		goto out;
	}
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", t.w[0], "USERNAME", t.w[1], "ROLE", t.w[2],
	       "LANGUAGES", t.w[3], "SKILLS", "CREATED");
	t.print = true;
	if (store_account_list(st, user_row, &t))
		rc = user_error("list", "%s", store_errmsg(st));
out:
	mem_deref(st);
	return rc;
}

static int user_remove(const struct user_args *a)
{
	char msg[STORE_ERRMSG_MAX], detail[128];
	struct store *st = NULL;
	if (store_username_check(a->username, msg, sizeof(msg))) {
		user_error("remove", "%s", msg);
		return USER_CLI_USAGE;
	}
	int rc = user_open("remove", a->data_dir, &st);
	if (rc)
		return rc;
	if (store_account_remove(st, a->username, clock_wall_ms())) {
		rc = user_error("remove", "%s", store_errmsg(st));
		goto out;
	}
	snprintf(detail, sizeof(detail), "removed '%s'", a->username);
	user_audit(st, "remove", "account.remove", detail);
	printf("%s\n", detail);
out:
	mem_deref(st);
	return rc;
}

/* store_sqlite: the SQLite backend of the store (SQLite 3.40).
 *
 * One connection per handle, <data_dir>/rapport.db in WAL mode with synchronous=FULL: a write
 * returns only after its commit reached the disk, and readers in other processes never block
 * it. Each write is one autocommit statement, or BEGIN IMMEDIATE ... COMMIT when it touches
 * two tables, so a busy database waits (busy timeout) instead of failing half-way. Statements
 * are prepared once at open, after the schema is migrated. The SQL is in store_sqlite_sql.h;
 * the record functions are in store_sqlite_ops.c. */
#define LOG_MODULE "store"
#include "signaling/store_sqlite.h"
#include "signaling/store_sqlite_sql.h"
#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { SQ_BUSY_TIMEOUT_MS = 5000 };
#define SQ_MIGRATIONS (int)(sizeof(sq_migrations) / sizeof(sq_migrations[0]))

/* SQLite result codes (extended first, then primary) to errno values */
static const struct { int code; int err; } sq_errs[] = {
	{ SQLITE_CONSTRAINT_UNIQUE, EEXIST }, { SQLITE_CONSTRAINT_PRIMARYKEY, EEXIST },
	{ SQLITE_CONSTRAINT_FOREIGNKEY, ENOENT }, { SQLITE_CONSTRAINT_CHECK, EINVAL },
	{ SQLITE_CONSTRAINT_NOTNULL, EINVAL }, { SQLITE_CONSTRAINT, EINVAL },
	{ SQLITE_BUSY, EBUSY }, { SQLITE_LOCKED, EBUSY }, { SQLITE_FULL, ENOSPC },
	{ SQLITE_READONLY, EROFS }, { SQLITE_NOMEM, ENOMEM }, { SQLITE_PERM, EACCES },
	{ SQLITE_CANTOPEN, EACCES }, { SQLITE_TOOBIG, EMSGSIZE },
};

int sq_fail(struct store_sqlite *s, int rc)
{
	int err = EIO;
	for (size_t i = 0; i < sizeof(sq_errs) / sizeof(sq_errs[0]); i++) {
		if (sq_errs[i].code == rc || sq_errs[i].code == (rc & 0xff)) {
			err = sq_errs[i].err;
			break;
		}
	}
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	if (err == EIO || err == ENOSPC || err == EROFS || err == EACCES || err == EBUSY)
		log_error("%s: %s", s->path, msg);
	return store_fail(&s->base, err, "database: %s", msg);
}

int sq_run(struct store_sqlite *s, sqlite3_stmt *q, int bind_rc, sq_row_h *row,
	   struct sq_cb *cb)
{
	int rc = bind_rc, err = 0;
	if (rc != SQLITE_OK) {
		err = sq_fail(s, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (cb)
			cb->rows++;
		err = row ? row(q, cb) : 0;
		if (err)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc);
out:
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return err;
}

int sq_simple(struct store_sqlite *s, enum sq_id id)
{
	return sq_run(s, s->stmt[id], SQLITE_OK, NULL, NULL);
}

int sq_changed(struct store_sqlite *s, int err)
{
	return !err && sqlite3_changes(s->db) == 0 ? ENOENT : err;
}

static int sq_exec(struct store_sqlite *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_fail(s, rc);
}

static int sq_user_version(struct store_sqlite *s, int *version)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc);
	rc = sqlite3_step(q);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : sq_fail(s, rc);
}

/* One migration in its own IMMEDIATE transaction; another process may have applied it
 * meanwhile, so the version is read again under the write lock. */
static int sq_migrate_one(struct store_sqlite *s, int from)
{
	char setv[64];
	int version, err = sq_exec(s, "BEGIN IMMEDIATE");
	if (err)
		return err;
	err = sq_user_version(s, &version);
	if (err || version != from)
		goto out;
	snprintf(setv, sizeof(setv), "PRAGMA user_version = %d", from + 1);  /* our own int */
	err = sq_exec(s, sq_migrations[from]);
	if (!err)
		err = sq_exec(s, setv);
	if (!err)
		log_info("%s: schema migrated to version %d", s->path, from + 1);
out:
	if (err) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	return sq_exec(s, "COMMIT");
}

static int sq_migrate(struct store_sqlite *s)
{
	int version, err = sq_user_version(s, &version);
	if (err)
		return err;
	if (version > SQ_MIGRATIONS)
		return store_fail(&s->base, ENOTSUP, "database schema version %d is newer than this "
				  "program (%d)", version, SQ_MIGRATIONS);
	for (; !err && version < SQ_MIGRATIONS; version++)
		err = sq_migrate_one(s, version);
	return err;
}

static int sq_pragmas(struct store_sqlite *s)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc);
	rc = sqlite3_step(q);
	bool wal = rc == SQLITE_ROW &&
		   strcmp((const char *)sqlite3_column_text(q, 0), "wal") == 0;
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return sq_fail(s, rc);
	if (!wal) {
		log_error("%s: cannot switch to WAL mode (is it on a network file system?)", s->path);
		return store_fail(&s->base, EIO, "database cannot use WAL mode");
	}
	return sq_exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

static int sq_prepare(struct store_sqlite *s)
{
	for (int i = 0; i < SQ_COUNT; i++) {
		int rc = sqlite3_prepare_v3(s->db, sq_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return sq_fail(s, rc);
	}
	return 0;
}

static void sq_destroy(void *arg)
{
	struct store_sqlite *s = arg;
	for (int i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		log_error("%s: close failed: %s", s->path, sqlite3_errmsg(s->db));
}

/* Creates the file 0600 before SQLite does (its -wal and -shm files copy the mode), and
 * makes a new file's directory entry durable. */
static int sq_create_file(const char *data_dir, const char *path)
{
	struct stat sb;
	if (stat(data_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		log_error("data directory %s does not exist", data_dir);
		return ENOENT;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? 0 : errno;
	close(fd);
	int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int sq_open_db(struct store_sqlite *s)
{
	int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, SQ_BUSY_TIMEOUT_MS);
	int err = sq_pragmas(s);
	if (!err)
		err = sq_migrate(s);
	if (!err)
		err = sq_prepare(s);
	return err;
}

int store_sqlite_open(struct store **stp, const char *data_dir)
{
	struct store_sqlite *s;
	int err;
	*stp = NULL;
	size_t len = strlen(data_dir) + sizeof("/rapport.db");
	s = mem_alloc(sizeof(*s) + len, sq_destroy);
	if (!s)
		return ENOMEM;
	s->base.ops = &store_sqlite_ops;
	snprintf(s->path, len, "%s/rapport.db", data_dir);
	err = sq_create_file(data_dir, s->path);
	if (err) {
		if (err != ENOENT)
			log_error("cannot create %s: %s", s->path, strerror(err));
		goto out;
	}
	err = sq_open_db(s);
	if (err)
		log_error("cannot open %s: %s", s->path, store_errmsg(&s->base));
out:
	if (err)
		mem_deref(s);
	else
		*stp = &s->base;
	return err;
}

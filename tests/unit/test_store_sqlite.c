/* The SQLite store against a real database file in a temporary directory: every function,
 * constraint errors, text limits, migrations on reopen, concurrent connections. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/clock.h"
#include "base/mem.h"
#include "signaling/store.h"
#include "signaling/token.h"
#include "tmpdir.h"

struct fx {
	char dir[256];
	char db[300];
	struct store *st;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(tmpdir_make(f->dir, sizeof(f->dir)));
	snprintf(f->db, sizeof(f->db), "%s/rapport.db", f->dir);
	assert_int_equal(store_sqlite_open(&f->st, f->dir), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	mem_deref(f->st);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* one integer from raw SQL on a separate connection */
static int64_t raw_int(const char *db, const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_open(db, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(c);
	return v;
}

static void raw_exec(const char *db, const char *sql)
{
	sqlite3 *c;
	assert_int_equal(sqlite3_open(db, &c), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
}

static int64_t add_account(struct store *st, const char *name, enum store_role role)
{
	struct store_account a = { .username = name, .role = role, .languages = "en,es",
				   .skills = "billing", .created_ms = 1700000000000 };
	int64_t id = 0;
	assert_int_equal(store_account_create(st, &a, "correct horse", &id), 0);
	assert_true(id > 0);
	return id;
}

static int64_t add_customer(struct store *st, const char *token)
{
	struct store_customer c = { .name = "Maria", .language = "es", .topic = "billing",
				    .created_ms = 1000 };
	int64_t id = 0;
	token_digest(token, c.token_hash);
	assert_int_equal(store_customer_create(st, &c, &id), 0);
	return id;
}

static void test_open_wal_mode_and_version(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	struct store *st;
	assert_int_equal(stat(f->db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(raw_int(f->db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);
	assert_int_equal(store_sqlite_open(&st, "/nonexistent/rapport-dir"), ENOENT);
	assert_null(st);
}

static void test_reopen_keeps_data_and_schema(void **state)
{
	struct fx *f = *state;
	int64_t id = add_account(f->st, "ana", STORE_ROLE_AGENT);
	int64_t tables = raw_int(f->db, "SELECT count(*) FROM sqlite_schema");
	for (int i = 0; i < 2; i++) {
		f->st = mem_deref(f->st);
		assert_int_equal(store_sqlite_open(&f->st, f->dir), 0);
	}
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM sqlite_schema"), tables);
	struct store_account *a;
	assert_int_equal(store_account_get(f->st, "ana", &a), 0);
	assert_int_equal(a->id, id);
	mem_deref(a);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	struct store *st;
	raw_exec(f->db, "PRAGMA user_version = 99");
	assert_int_equal(store_sqlite_open(&st, f->dir), ENOTSUP);
	assert_null(st);
}

static void test_account_create_get_list(void **state)
{
	struct fx *f = *state;
	struct store_account *a;
	int64_t bob = add_account(f->st, "bob", STORE_ROLE_INTERPRETER);
	int64_t ana = add_account(f->st, "ana", STORE_ROLE_AGENT);
	assert_int_equal(store_account_get(f->st, "ana", &a), 0);
	assert_int_equal(a->id, ana);
	assert_string_equal(a->username, "ana");
	assert_int_equal(a->role, STORE_ROLE_AGENT);
	assert_string_equal(a->languages, "en,es");
	assert_string_equal(a->skills, "billing");
	assert_int_equal(a->created_ms, 1700000000000);
	assert_false(a->disabled);
	mem_deref(a);
	assert_int_equal(store_account_get_id(f->st, bob, &a), 0);
	assert_string_equal(a->username, "bob");
	assert_int_equal(a->role, STORE_ROLE_INTERPRETER);
	mem_deref(a);
	assert_int_equal(store_account_get(f->st, "carl", &a), ENOENT);
	assert_null(a);
	assert_string_equal(store_errmsg(f->st), "no account 'carl'");
	assert_int_equal(raw_int(f->db, "SELECT password_hash LIKE '$scrypt$ln=15,r=8,p=1$%' "
				 "AND instr(password_hash, 'horse') = 0 FROM accounts LIMIT 1"), 1);
}

static int collect_names(const struct store_account *a, void *arg)
{
	strcat(arg, a->username);
	strcat(arg, " ");
	return 0;
}

static void test_account_errors(void **state)
{
	struct fx *f = *state;
	char names[256] = "";
	int64_t id;
	add_account(f->st, "ana", STORE_ROLE_AGENT);
	struct store_account a = { .username = "ana", .role = STORE_ROLE_ADMIN };
	assert_int_equal(store_account_create(f->st, &a, "another pass", &id), EEXIST);
	assert_string_equal(store_errmsg(f->st), "username 'ana' is already taken");
	static const struct { const char *name; int err; } bad[] = {
		{ "", EINVAL }, { "Ana", EINVAL }, { "a b", EINVAL }, { "a'b", EINVAL },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", EMSGSIZE },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.username = bad[i].name;
		assert_int_equal(store_account_create(f->st, &a, "another pass", &id), bad[i].err);
	}
	a.username = "carl";
	a.role = STORE_ROLE_COUNT;
	assert_int_equal(store_account_create(f->st, &a, "another pass", &id), EINVAL);
	a.role = STORE_ROLE_SUPERVISOR;
	a.languages = "en, es";
	assert_int_equal(store_account_create(f->st, &a, "another pass", &id), EINVAL);
	a.languages = "en,,es";
	assert_int_equal(store_account_create(f->st, &a, "another pass", &id), EINVAL);
	a.languages = NULL;
	assert_int_equal(store_account_create(f->st, &a, "short", &id), EINVAL);
	assert_int_equal(store_account_create(f->st, &a, NULL, &id), EINVAL);
	assert_int_equal(store_account_list(f->st, collect_names, names), 0);
	assert_string_equal(names, "ana ");
}

static void test_account_verify_disable_remove(void **state)
{
	struct fx *f = *state;
	struct store_account *a = NULL;
	char names[256] = "";
	int64_t old = add_account(f->st, "ana", STORE_ROLE_AGENT);
	assert_int_equal(store_account_verify(f->st, "ana", "correct horse", &a), 0);
	assert_int_equal(a->id, old);
	a = mem_deref(a);
	assert_int_equal(store_account_verify(f->st, "ana", "wrong horse", &a), EACCES);
	assert_null(a);
	assert_int_equal(store_account_verify(f->st, "nobody", "correct horse", NULL), EACCES);
	assert_int_equal(store_account_set_disabled(f->st, "ana", true), 0);
	assert_int_equal(store_account_verify(f->st, "ana", "correct horse", NULL), EPERM);
	assert_int_equal(store_account_verify(f->st, "ana", "wrong horse", NULL), EACCES);
	assert_int_equal(store_account_set_disabled(f->st, "ana", false), 0);
	assert_int_equal(store_account_set_disabled(f->st, "nobody", true), ENOENT);

	assert_int_equal(store_account_remove(f->st, "ana", 5000), 0);
	assert_int_equal(store_account_remove(f->st, "ana", 5000), ENOENT);
	assert_int_equal(store_account_get(f->st, "ana", &a), ENOENT);
	assert_int_equal(store_account_get_id(f->st, old, &a), ENOENT);
	assert_int_equal(store_account_verify(f->st, "ana", "correct horse", NULL), EACCES);
	assert_int_equal(store_account_list(f->st, collect_names, names), 0);
	assert_string_equal(names, "");
	/* the row stays for history, without its hash; the name is free again */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM accounts WHERE removed_ms = 5000 "
				 "AND password_hash = ''"), 1);
	int64_t again = add_account(f->st, "ana", STORE_ROLE_AGENT);
	assert_true(again != old);
}

static void test_customer_sessions(void **state)
{
	struct fx *f = *state;
	static const char token[] = "customer-token-that-must-never-be-stored";
	struct store_customer *c;
	uint8_t hash[STORE_TOKEN_HASH_LEN];
	int64_t id = add_customer(f->st, token), dup;
	token_digest(token, hash);
	assert_int_equal(store_customer_find(f->st, hash, &c), 0);
	assert_int_equal(c->id, id);
	assert_string_equal(c->name, "Maria");
	assert_string_equal(c->language, "es");
	assert_string_equal(c->topic, "billing");
	assert_int_equal(c->created_ms, 1000);
	assert_int_equal(c->last_seen_ms, 1000);
	assert_memory_equal(c->token_hash, hash, sizeof(hash));
	mem_deref(c);
	assert_int_equal(store_customer_touch(f->st, id, 9000), 0);
	assert_int_equal(store_customer_touch(f->st, id, 8000), 0);   /* never goes back */
	assert_int_equal(store_customer_get(f->st, id, &c), 0);
	assert_int_equal(c->last_seen_ms, 9000);
	mem_deref(c);
	assert_int_equal(store_customer_touch(f->st, id + 1, 9000), ENOENT);
	hash[0] ^= 1;
	assert_int_equal(store_customer_find(f->st, hash, &c), ENOENT);
	assert_null(c);

	struct store_customer n = { .created_ms = 1 };
	assert_int_equal(store_customer_create(f->st, &n, &dup), EINVAL);   /* no hash */
	token_digest(token, n.token_hash);
	assert_int_equal(store_customer_create(f->st, &n, &dup), EEXIST);
	n.token_hash[0] ^= 1;
	n.language = "es ES";
	assert_int_equal(store_customer_create(f->st, &n, &dup), EINVAL);
	n.language = NULL;
	n.name = "\xc3\x28";   /* invalid UTF-8 */
	assert_int_equal(store_customer_create(f->st, &n, &dup), EINVAL);
	char longname[STORE_NAME_MAX + 2];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	n.name = longname;
	assert_int_equal(store_customer_create(f->st, &n, &dup), EMSGSIZE);
	/* the raw token is nowhere in the database */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM customer_sessions WHERE "
				 "instr(CAST(token_hash AS TEXT), 'customer-token') > 0 OR "
				 "name LIKE '%token%' OR topic LIKE '%token%'"), 0);
}

struct chat_seen {
	int n;
	int64_t ids[8];
	char texts[8][64];
	int stop_after;
};

static int collect_chat(const struct store_chat *m, void *arg)
{
	struct chat_seen *s = arg;
	s->ids[s->n] = m->id;
	snprintf(s->texts[s->n], sizeof(s->texts[0]), "%s:%s:%s", store_party_name(m->sender_role),
		 m->sender_name, m->text);
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? 77 : 0;
}

static void test_chat(void **state)
{
	struct fx *f = *state;
	int64_t sid = add_customer(f->st, "tok"), ids[3];
	const char *texts[3] = { "Hola", "¿En qué puedo ayudar? 你好 😀",
				 "'); DROP TABLE chat_messages; --" };
	for (int i = 0; i < 3; i++) {
		struct store_chat m = { .session_id = sid, .sender_name = i == 1 ? "Ana" : "Maria",
					.sender_role = i == 1 ? STORE_PARTY_AGENT :
					STORE_PARTY_CUSTOMER, .text = texts[i], .time_ms = 100 + i };
		assert_int_equal(store_chat_append(f->st, &m, &ids[i]), 0);
	}
	assert_true(ids[0] < ids[1] && ids[1] < ids[2]);
	struct chat_seen s = { 0 };
	assert_int_equal(store_chat_list(f->st, sid, 0, 0, collect_chat, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.texts[0], "customer:Maria:Hola");
	assert_string_equal(s.texts[1], "agent:Ana:¿En qué puedo ayudar? 你好 😀");
	assert_string_equal(s.texts[2], "customer:Maria:'); DROP TABLE chat_messages; --");
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_chat_list(f->st, sid, ids[0], 1, collect_chat, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], ids[1]);
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(store_chat_list(f->st, sid, 0, 0, collect_chat, &s), 77);
	assert_int_equal(s.n, 2);
}

static void test_chat_limits(void **state)
{
	struct fx *f = *state;
	static char text[STORE_CHAT_MAX + 2];
	int64_t sid = add_customer(f->st, "tok"), id;
	struct store_chat m = { .session_id = sid, .sender_role = STORE_PARTY_CUSTOMER,
				.text = text, .time_ms = 1 };
	memset(text, 'a', STORE_CHAT_MAX);
	assert_int_equal(store_chat_append(f->st, &m, &id), 0);
	text[STORE_CHAT_MAX] = 'a';
	assert_int_equal(store_chat_append(f->st, &m, &id), EMSGSIZE);
	assert_string_equal(store_errmsg(f->st), "chat text is 4001 bytes; the limit is 4000");
	static const char *const bad[] = { "", "\xff", "\xc0\xaf", "\xed\xa0\x80", "ab\xe2\x82" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.text = bad[i];
		assert_int_equal(store_chat_append(f->st, &m, &id), EINVAL);
	}
	m.text = "hi";
	m.session_id = sid + 100;
	assert_int_equal(store_chat_append(f->st, &m, &id), ENOENT);
	m.session_id = sid;
	m.sender_role = STORE_PARTY_COUNT;
	assert_int_equal(store_chat_append(f->st, &m, &id), EINVAL);
}

static void test_contact_lifecycle(void **state)
{
	struct fx *f = *state;
	int64_t sid = add_customer(f->st, "tok"), agent = add_account(f->st, "ana", STORE_ROLE_AGENT);
	struct store_contact *c, in = { .session_id = sid, .topic = "cards", .language = "es",
					.queued_ms = 1000 };
	int64_t id;
	assert_int_equal(store_contact_create(f->st, &in, &id), 0);
	assert_int_equal(store_contact_get(f->st, id, &c), 0);
	assert_string_equal(c->topic, "cards");
	assert_int_equal(c->queued_ms, 1000);
	assert_int_equal(c->answered_ms, 0);
	assert_int_equal(c->agent_id, 0);
	assert_null(c->agent_username);
	assert_null(c->outcome);
	assert_null(c->notes);
	mem_deref(c);
	assert_int_equal(store_contact_update(f->st, &(struct store_contact){ .id = id,
		.answered_ms = 3000, .agent_id = agent }), 0);
	assert_int_equal(store_contact_update(f->st, &(struct store_contact){ .id = id,
		.ended_ms = 9000, .outcome = "resolved", .notes = "Card replaced." }), 0);
	assert_int_equal(store_contact_update(f->st, &(struct store_contact){ .id = id,
		.survey_rating = 5, .survey_comment = "¡Muy bien!" }), 0);
	assert_int_equal(store_contact_get(f->st, id, &c), 0);
	assert_int_equal(c->answered_ms, 3000);
	assert_int_equal(c->ended_ms, 9000);
	assert_int_equal(c->agent_id, agent);
	assert_string_equal(c->agent_username, "ana");
	assert_string_equal(c->outcome, "resolved");
	assert_string_equal(c->notes, "Card replaced.");
	assert_int_equal(c->survey_rating, 5);
	assert_string_equal(c->survey_comment, "¡Muy bien!");
	assert_string_equal(c->topic, "cards");   /* untouched by the updates */
	mem_deref(c);
}

static void test_contact_errors(void **state)
{
	struct fx *f = *state;
	static char notes[STORE_NOTES_MAX + 2];
	int64_t sid = add_customer(f->st, "tok"), id;
	struct store_contact in = { .session_id = sid + 9, .queued_ms = 1000 }, *c;
	assert_int_equal(store_contact_create(f->st, &in, &id), ENOENT);
	assert_string_equal(store_errmsg(f->st), "no customer session 10");
	in.session_id = sid;
	in.queued_ms = 0;
	assert_int_equal(store_contact_create(f->st, &in, &id), EINVAL);
	in.queued_ms = 1000;
	assert_int_equal(store_contact_create(f->st, &in, &id), 0);
	struct store_contact u = { .id = id, .survey_rating = 6 };
	assert_int_equal(store_contact_update(f->st, &u), EINVAL);
	u = (struct store_contact){ .id = id, .outcome = "Not A Word" };
	assert_int_equal(store_contact_update(f->st, &u), EINVAL);
	memset(notes, 'n', STORE_NOTES_MAX);
	u = (struct store_contact){ .id = id, .notes = notes };
	assert_int_equal(store_contact_update(f->st, &u), 0);
	notes[STORE_NOTES_MAX] = 'n';
	assert_int_equal(store_contact_update(f->st, &u), EMSGSIZE);
	assert_string_equal(store_errmsg(f->st), "wrap-up notes is 8001 bytes; the limit is 8000");
	u = (struct store_contact){ .id = id, .agent_id = 424242 };
	assert_int_equal(store_contact_update(f->st, &u), ENOENT);   /* no such account */
	assert_string_equal(store_errmsg(f->st), "no contact 1 or no account 424242");
	u = (struct store_contact){ .id = id + 1, .ended_ms = 5 };
	assert_int_equal(store_contact_update(f->st, &u), ENOENT);
	assert_string_equal(store_errmsg(f->st), "no contact 2");
	assert_int_equal(store_contact_get(f->st, id + 1, &c), ENOENT);
	assert_null(c);
}

static int collect_contacts(const struct store_contact *c, void *arg)
{
	int64_t *ids = arg;
	while (*ids)
		ids++;
	*ids = c->id;
	return 0;
}

static void test_contact_earlier(void **state)
{
	struct fx *f = *state;
	int64_t sid = add_customer(f->st, "tok"), other = add_customer(f->st, "tok2"), id[4];
	for (int i = 0; i < 4; i++) {
		struct store_contact in = { .session_id = i == 2 ? other : sid,
					    .queued_ms = 1000 + (uint64_t)i };
		assert_int_equal(store_contact_create(f->st, &in, &id[i]), 0);
	}
	int64_t seen[8] = { 0 };
	assert_int_equal(store_contact_list_earlier(f->st, sid, id[3], 0, collect_contacts, seen), 0);
	assert_int_equal(seen[0], id[1]);
	assert_int_equal(seen[1], id[0]);
	assert_int_equal(seen[2], 0);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(store_contact_list_earlier(f->st, sid, 0, 1, collect_contacts, seen), 0);
	assert_int_equal(seen[0], id[3]);
	assert_int_equal(seen[1], 0);
}

static void test_customer_update(void **state)
{
	struct fx *f = *state;
	int64_t id = add_customer(f->st, "tok");
	struct store_customer u = { .id = id, .name = "Ana Díaz" };
	assert_int_equal(store_customer_update(f->st, &u), 0);
	struct store_customer *c;
	assert_int_equal(store_customer_get(f->st, id, &c), 0);
	assert_string_equal(c->name, "Ana Díaz");
	assert_string_equal(c->language, "es");     /* NULL fields are left as they were */
	assert_string_equal(c->topic, "billing");
	mem_deref(c);
	u = (struct store_customer){ .id = id, .language = "en", .topic = "" };
	assert_int_equal(store_customer_update(f->st, &u), 0);
	assert_int_equal(store_customer_get(f->st, id, &c), 0);
	assert_string_equal(c->name, "Ana Díaz");
	assert_string_equal(c->language, "en");
	assert_string_equal(c->topic, "");
	mem_deref(c);
	u = (struct store_customer){ .id = id + 5, .name = "x" };
	assert_int_equal(store_customer_update(f->st, &u), ENOENT);
	u = (struct store_customer){ .id = id, .language = "e n" };
	assert_int_equal(store_customer_update(f->st, &u), EINVAL);
}

struct handled {
	int n;
	int64_t ids[8];
};

static int collect_handled(const struct store_contact *c, void *arg)
{
	struct handled *h = arg;
	h->ids[h->n++] = c->id;
	return 0;
}

/* start-up closes what the last run left open; handle times come from answered, ended,
 * not interrupted contacts */
static void test_contact_close_open_and_handled(void **state)
{
	struct fx *f = *state;
	int64_t sid = add_customer(f->st, "tok"), id[5];
	const struct store_contact in[5] = {
		{ .session_id = sid, .queued_ms = 1, .answered_ms = 2, .ended_ms = 3, .outcome = "resolved" },
		{ .session_id = sid, .queued_ms = 1, .answered_ms = 2 },        /* open, in a call */
		{ .session_id = sid, .queued_ms = 1 },                          /* open, waiting */
		{ .session_id = sid, .queued_ms = 1, .ended_ms = 3, .outcome = "abandoned" },
		{ .session_id = sid, .queued_ms = 1, .answered_ms = 5, .ended_ms = 9 },
	};
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_contact_create(f->st, &in[i], &id[i]), 0);
	unsigned n = 0;
	assert_int_equal(store_contact_close_open(f->st, 7777, "interrupted", &n), 0);
	assert_int_equal(n, 2);
	struct store_contact *c;
	assert_int_equal(store_contact_get(f->st, id[1], &c), 0);
	assert_int_equal(c->ended_ms, 7777);
	assert_string_equal(c->outcome, "interrupted");
	mem_deref(c);
	assert_int_equal(store_contact_get(f->st, id[0], &c), 0);
	assert_int_equal(c->ended_ms, 3);              /* closed ones are untouched */
	assert_string_equal(c->outcome, "resolved");
	mem_deref(c);
	assert_int_equal(store_contact_close_open(f->st, 8888, "interrupted", &n), 0);
	assert_int_equal(n, 0);                        /* nothing open any more */
	assert_int_equal(store_contact_close_open(f->st, 0, "interrupted", NULL), EINVAL);
	assert_int_equal(store_contact_close_open(f->st, 1, "Not A Token", NULL), EINVAL);
	struct handled h = { 0 };
	assert_int_equal(store_contact_list_handled(f->st, 0, collect_handled, &h), 0);
	assert_int_equal(h.n, 2);                      /* newest first, no interrupted one */
	assert_int_equal(h.ids[0], id[4]);
	assert_int_equal(h.ids[1], id[0]);
	h.n = 0;
	assert_int_equal(store_contact_list_handled(f->st, 1, collect_handled, &h), 0);
	assert_int_equal(h.n, 1);
}

static int collect_offers(const struct store_offer *o, void *arg)
{
	struct store_offer *out = arg;
	while (out->id)
		out++;
	*out = *o;
	return 0;
}

static void test_offers(void **state)
{
	struct fx *f = *state;
	int64_t sid = add_customer(f->st, "tok"), ana = add_account(f->st, "ana", STORE_ROLE_AGENT);
	int64_t cid, o1, o2, o3;
	struct store_contact in = { .session_id = sid, .queued_ms = 1000 }, *c;
	assert_int_equal(store_contact_create(f->st, &in, &cid), 0);
	assert_int_equal(store_offer_add(f->st, cid, 424242, 1500, &o3), ENOENT);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM contact_offers"), 0);
	assert_int_equal(store_offer_add(f->st, cid, ana, 2000, &o1), 0);
	assert_int_equal(store_offer_add(f->st, cid, ana, 2500, &o2), 0);
	assert_int_equal(store_contact_get(f->st, cid, &c), 0);
	assert_int_equal(c->offered_ms, 2000);   /* the first offer */
	mem_deref(c);
	assert_int_equal(store_offer_result(f->st, o1, STORE_OFFER_TIMEOUT, 2400), 0);
	assert_int_equal(store_offer_result(f->st, o1, STORE_OFFER_ACCEPTED, 2450), ENOENT);
	assert_int_equal(store_offer_result(f->st, o2, STORE_OFFER_PENDING, 2450), EINVAL);
	assert_int_equal(store_offer_result(f->st, o2, STORE_OFFER_ACCEPTED, 2600), 0);
	struct store_offer seen[4] = { 0 };
	assert_int_equal(store_offer_list(f->st, cid, collect_offers, seen), 0);
	assert_int_equal(seen[0].id, o1);
	assert_int_equal(seen[0].result, STORE_OFFER_TIMEOUT);
	assert_int_equal(seen[0].resolved_ms, 2400);
	assert_int_equal(seen[1].result, STORE_OFFER_ACCEPTED);
	assert_int_equal(seen[1].agent_id, ana);
	assert_int_equal(seen[2].id, 0);
}

static int collect_leg(const struct store_interp_leg *l, void *arg)
{
	snprintf(arg, 256, "%s|%s|%s|%llu|%llu", l->interpreter_username, l->languages, l->modes,
		 (unsigned long long)l->joined_ms, (unsigned long long)l->left_ms);
	return 0;
}

static void test_interpreter_legs(void **state)
{
	struct fx *f = *state;
	int64_t sid = add_customer(f->st, "tok"), sam = add_account(f->st, "sam", STORE_ROLE_INTERPRETER);
	int64_t cid, leg;
	char seen[256] = "";
	struct store_contact in = { .session_id = sid, .queued_ms = 1000 };
	assert_int_equal(store_contact_create(f->st, &in, &cid), 0);
	struct store_interp_leg l = { .contact_id = cid, .interpreter_id = sam, .languages = "en,es",
				      .joined_ms = 1000 };
	assert_int_equal(store_interp_join(f->st, &l, STORE_INTERP_CONSECUTIVE, &leg), 0);
	assert_int_equal(store_interp_mode(f->st, leg, STORE_INTERP_SIMULTANEOUS, 2000), 0);
	assert_int_equal(store_interp_leave(f->st, leg, 3000), 0);
	assert_int_equal(store_interp_list(f->st, cid, collect_leg, seen), 0);
	assert_string_equal(seen, "sam|en,es|[{\"at\":1000,\"mode\":\"consecutive\"},"
			    "{\"at\":2000,\"mode\":\"simultaneous\"}]|1000|3000");
	assert_int_equal(store_interp_mode(f->st, leg + 1, STORE_INTERP_SIMULTANEOUS, 1), ENOENT);
	assert_int_equal(store_interp_leave(f->st, leg + 1, 1), ENOENT);
	assert_int_equal(store_interp_mode(f->st, leg, STORE_INTERP_MODE_COUNT, 1), EINVAL);
	l.contact_id = cid + 1;
	assert_int_equal(store_interp_join(f->st, &l, STORE_INTERP_CONSECUTIVE, &leg), ENOENT);
	l.contact_id = cid;
	l.languages = "";
	assert_int_equal(store_interp_join(f->st, &l, STORE_INTERP_CONSECUTIVE, &leg), EINVAL);
}

static int collect_audit(const struct store_audit *e, void *arg)
{
	char *out = arg;
	size_t len = strlen(out);
	snprintf(out + len, 256 - len, "%lld:%s:%s:%s;", (long long)e->time_ms, e->actor,
		 e->action, e->detail);
	return 0;
}

static void test_audit(void **state)
{
	struct fx *f = *state;
	static char detail[STORE_DETAIL_MAX + 2];
	char seen[256] = "";
	assert_int_equal(store_audit(f->st, 1, "cli", "account.create", "added ana"), 0);
	assert_int_equal(store_audit(f->st, 2, "admin:ana", "config.reload", NULL), 0);
	assert_int_equal(store_audit_list(f->st, 0, 0, collect_audit, seen), 0);
	assert_string_equal(seen, "1:cli:account.create:added ana;2:admin:ana:config.reload:;");
	seen[0] = '\0';
	assert_int_equal(store_audit_list(f->st, 1, 5, collect_audit, seen), 0);
	assert_string_equal(seen, "2:admin:ana:config.reload:;");
	assert_int_equal(store_audit(f->st, 3, "cli", "Bad Action", ""), EINVAL);
	assert_int_equal(store_audit(f->st, 3, "", "x", ""), EINVAL);
	memset(detail, 'd', STORE_DETAIL_MAX + 1);
	assert_int_equal(store_audit(f->st, 3, "cli", "x", detail), EMSGSIZE);
}

static void test_names(void **state)
{
	(void)state;
	enum store_role r;
	enum store_party p;
	enum store_offer_result o;
	enum store_interp_mode m;
	for (int i = 0; i < STORE_ROLE_COUNT; i++) {
		assert_int_equal(store_role_parse(store_role_name((enum store_role)i), &r), 0);
		assert_int_equal(r, i);
	}
	assert_int_equal(store_role_parse("root", &r), EINVAL);
	assert_int_equal(store_role_parse(NULL, &r), EINVAL);
	assert_int_equal(store_party_parse("system", &p), 0);
	assert_int_equal(p, STORE_PARTY_SYSTEM);
	assert_int_equal(store_offer_result_parse("timeout", &o), 0);
	assert_int_equal(o, STORE_OFFER_TIMEOUT);
	assert_int_equal(store_interp_mode_parse("simultaneous", &m), 0);
	assert_int_equal(m, STORE_INTERP_SIMULTANEOUS);
	assert_string_equal(store_role_name((enum store_role)42), "?");
}

/* another connection holds the write lock for a while: the store waits (busy timeout) */
static atomic_int lock_held;

static void *hold_write_lock(void *arg)
{
	struct fx *f = arg;
	sqlite3 *c;
	sqlite3_open(f->db, &c);
	sqlite3_exec(c, "BEGIN IMMEDIATE; INSERT INTO audit_log (time_ms, actor, action) "
		     "VALUES (0, 'test', 'lock')", NULL, NULL, NULL);
	atomic_store(&lock_held, 1);
	nanosleep(&(struct timespec){ .tv_nsec = 300 * 1000000L }, NULL);
	sqlite3_exec(c, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(c);
	return NULL;
}

static void test_two_connections_and_busy_wait(void **state)
{
	struct fx *f = *state;
	struct store *other;
	struct store_account *a;
	assert_int_equal(store_sqlite_open(&other, f->dir), 0);
	add_account(f->st, "ana", STORE_ROLE_AGENT);
	assert_int_equal(store_account_get(other, "ana", &a), 0);   /* sees the other's commit */
	mem_deref(a);
	pthread_t t;
	atomic_store(&lock_held, 0);
	pthread_create(&t, NULL, hold_write_lock, f);
	while (!atomic_load(&lock_held))
		nanosleep(&(struct timespec){ .tv_nsec = 1000000L }, NULL);
	uint64_t start = clock_ms();
	assert_int_equal(store_account_get(other, "ana", &a), 0);   /* readers are not blocked */
	mem_deref(a);
	assert_true(clock_ms() - start < 150);
	assert_int_equal(store_audit(other, 5, "test", "after.lock", ""), 0);
	assert_true(clock_ms() - start >= 150);   /* it waited for the lock instead of failing */
	pthread_join(t, NULL);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM audit_log"), 2);
	mem_deref(other);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_wal_mode_and_version), T(test_reopen_keeps_data_and_schema),
		T(test_newer_schema_refused), T(test_account_create_get_list),
		T(test_account_errors), T(test_account_verify_disable_remove),
		T(test_customer_sessions), T(test_chat), T(test_chat_limits),
		T(test_contact_lifecycle), T(test_contact_errors), T(test_contact_earlier),
		T(test_customer_update), T(test_contact_close_open_and_handled),
		T(test_offers), T(test_interpreter_legs), T(test_audit),
		cmocka_unit_test(test_names), T(test_two_connections_and_busy_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Acknowledged means durable: a child process appends chat messages and reports each id on a
 * pipe only after store_chat_append() returned it; the parent kill -9s the child in the middle
 * of the stream, reopens the database and finds every reported message. Three rounds, each
 * killing at a different point, each round's child appending on top of the last. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/mem.h"
#include "signaling/store.h"
#include "signaling/token.h"
#include "tmpdir.h"

enum { ROUNDS = 3, MAX_ACKS = 4096 };

static void child_append(const char *dir, int64_t session, int round, int fd)
{
	struct store *st;
	char text[64];
	if (store_sqlite_open(&st, dir))
		_exit(2);
	for (int i = 0;; i++) {
		int64_t id;
		snprintf(text, sizeof(text), "round %d message %d", round, i);
		struct store_chat m = { .session_id = session, .sender_role = STORE_PARTY_CUSTOMER,
					.sender_name = "Maria", .text = text, .time_ms = (uint64_t)i };
		if (store_chat_append(st, &m, &id))
			_exit(3);
		if (write(fd, &id, sizeof(id)) != sizeof(id))
			_exit(4);
	}
}

/* reads acknowledged ids until `kill_after` have come, kills the child, then drains the rest */
static size_t run_round(const char *dir, int64_t session, int round, size_t kill_after,
			int64_t *acks)
{
	int fds[2];
	size_t n = 0;
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_append(dir, session, round, fds[1]);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], &acks[n], sizeof(acks[n]));
		if (r == 0)
			break;
		assert_int_equal(r, sizeof(acks[n]));
		if (++n == kill_after)
			kill(pid, SIGKILL);
		assert_true(n < MAX_ACKS);
	}
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	return n;
}

struct found {
	const int64_t *acks;
	size_t n;
	size_t seen;
	size_t rows;
};

static int check_row(const struct store_chat *m, void *arg)
{
	struct found *f = arg;
	f->rows++;
	for (size_t i = 0; i < f->n; i++)
		if (f->acks[i] == m->id)
			f->seen++;
	return 0;
}

static void test_kill9_loses_nothing_acknowledged(void **state)
{
	(void)state;
	static int64_t acks[ROUNDS][MAX_ACKS];
	static const size_t kill_after[ROUNDS] = { 40, 7, 90 };
	char dir[256];
	struct store *st;
	int64_t session;
	assert_non_null(tmpdir_make(dir, sizeof(dir)));
	assert_int_equal(store_sqlite_open(&st, dir), 0);
	struct store_customer c = { .created_ms = 1 };
	token_digest("durability", c.token_hash);
	assert_int_equal(store_customer_create(st, &c, &session), 0);
	st = mem_deref(st);

	size_t total = 0;
	for (int round = 0; round < ROUNDS; round++) {
		size_t n = run_round(dir, session, round, kill_after[round], acks[round]);
		assert_true(n >= kill_after[round]);
		assert_int_equal(store_sqlite_open(&st, dir), 0);
		struct found f = { .acks = acks[round], .n = n };
		assert_int_equal(store_chat_list(st, session, 0, 0, check_row, &f), 0);
		st = mem_deref(st);
		if (f.seen != n)
			fail_msg("round %d: %zu of %zu acknowledged messages survived", round, f.seen, n);
		total += n;
		assert_true(f.rows >= total);   /* earlier rounds' messages are still there */
	}
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9_loses_nothing_acknowledged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#!/bin/sh
# rapport-user (= `rapportd user ...`) as real processes on a database another process holds
# open: a sqlite3 shell keeps a read transaction open the whole time (as a running rapportd's
# readers may), and later holds the write lock for a second (the CLI must wait, not fail).
# usage: test_user_cli.sh PATH/TO/rapport-user [PATH/TO/sqlite3]
set -eu
TOOL=$1
SQLITE=${2:-sqlite3}
command -v "$SQLITE" >/dev/null 2>&1 || { echo "FAIL: the sqlite3 shell is needed (apt-get install sqlite3)"; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/rapport-cli-XXXXXX")
READER=
cleanup() {
	exec 3>&- 4>&- 2>/dev/null || true
	[ -n "$READER" ] && kill "$READER" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $*"; }

# waits until FILE has a line matching PATTERN (the sqlite3 shell flushes after each statement)
wait_for() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "timed out waiting for '$2' in $1: $(cat "$1")"
		sleep 0.1
	done
}

step "first account creates the database"
"$TOOL" user add --data-dir "$DIR" --role admin --username ops.admin --password 'admin-password-1'
[ -f "$DIR/rapport.db" ] || fail "no rapport.db"

step "a sqlite3 shell opens a read transaction and keeps it open"
mkfifo "$DIR/reader.in"
"$SQLITE" "$DIR/rapport.db" <"$DIR/reader.in" >"$DIR/reader.out" 2>&1 &
READER=$!
exec 3>"$DIR/reader.in"
echo "BEGIN; SELECT 'before', count(*) FROM accounts;" >&3
wait_for "$DIR/reader.out" '^before|1$'

step "add, list, refuse a duplicate, remove — all while the read transaction is open"
printf 'agent-password-1\n' >"$DIR/pw"
"$TOOL" user add --data-dir "$DIR" --role agent --username ana --password-file "$DIR/pw" \
	--languages en,es --skills billing,cards >"$DIR/add.out"
grep -q "added agent 'ana'" "$DIR/add.out" || fail "add said: $(cat "$DIR/add.out")"
"$TOOL" user list --data-dir "$DIR" >"$DIR/list.out"
cat "$DIR/list.out"
grep -Eq '^ana +agent +en,es +billing,cards +[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$DIR/list.out" ||
	fail "ana is not listed as expected"
grep -q 'agent-password' "$DIR/list.out" "$DIR/add.out" && fail "a password was printed"
rc=0
"$TOOL" user add --data-dir "$DIR" --role agent --username ana --password 'another-pass' \
	2>"$DIR/dup.err" || rc=$?
[ $rc -eq 1 ] || fail "duplicate add exited $rc, want 1"
grep -q "username 'ana' is already taken" "$DIR/dup.err" || fail "duplicate said: $(cat "$DIR/dup.err")"
"$TOOL" user remove --data-dir "$DIR" --username ana | grep -q "removed 'ana'" || fail "remove"
"$TOOL" user list --data-dir "$DIR" >"$DIR/list2.out"
grep -q '^ana ' "$DIR/list2.out" && fail "ana is still listed after remove"
grep -q '^ops.admin ' "$DIR/list2.out" || fail "ops.admin vanished"

step "the reader still sees its snapshot, then the new state after COMMIT"
echo "SELECT 'during', count(*) FROM accounts; COMMIT;" >&3
echo "SELECT 'after', count(*), sum(removed_ms IS NOT NULL) FROM accounts;" >&3
wait_for "$DIR/reader.out" '^after|'
grep -q '^during|1$' "$DIR/reader.out" || fail "the read transaction was not open: $(cat "$DIR/reader.out")"
grep -q '^after|2|1$' "$DIR/reader.out" || fail "after: $(cat "$DIR/reader.out")"

step "the sqlite3 shell holds the write lock for a second: the CLI waits for it"
echo "BEGIN IMMEDIATE; INSERT INTO audit_log (time_ms, actor, action) VALUES (0, 'test', 'lock'); SELECT 'locked';" >&3
wait_for "$DIR/reader.out" '^locked$'
(sleep 1; echo "COMMIT; SELECT 'unlocked';" >&3) &
"$TOOL" user add --data-dir "$DIR" --role interpreter --username bo --password 'interp-password' ||
	fail "add while locked failed instead of waiting"
wait_for "$DIR/reader.out" '^unlocked$'
"$TOOL" user list --data-dir "$DIR" | grep -q '^bo ' || fail "bo not listed"

exec 3>&-
wait "$READER" || true
READER=
echo "PASS"

#!/bin/sh
# deploy/run.sh [rapportd options]: THE run command. On Debian 12 as root: installs the build
# and run packages, builds rapportd (Release, gcc) in build/release and runs it in the
# foreground with deploy/rapportd.conf (when that file exists). Options go to rapportd.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf 'run: %s\n' "$*"; }

./deploy/install-deps.sh </dev/null

# A build dir configured with another compiler cannot be reused: start it afresh.
if [ -f build/release/CMakeCache.txt ] &&
	! grep -q '^CMAKE_C_COMPILER:[A-Z]*=.*gcc' build/release/CMakeCache.txt; then
	say "build/release was configured with another compiler: removing it"
	rm -rf build/release
fi
say "configure build/release (Release, gcc)"
CC=gcc cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DRAPPORT_TESTS=OFF >/dev/null
say "build"
cmake --build build/release -j"$(nproc)"

bin=build/release/rapportd
[ -x "$bin" ] || { say "error: $bin was not built (is gateway/ written yet?)" >&2; exit 1; }

if [ -f deploy/rapportd.conf ]; then
	set -- --config deploy/rapportd.conf "$@"
fi
say "starting $bin $*"
say "customer page: http://127.0.0.1:8080/customer/"
say "agent console: http://127.0.0.1:8080/agent/"
say "the demo agent's username and password are printed by rapportd as it starts (below)"
exec "$bin" "$@"

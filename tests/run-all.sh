#!/bin/sh
# tests/run-all.sh: THE test command (CI runs it through .ci/run). On Debian 12 as root:
#   1. deploy/install-deps.sh --test   (a no-op when everything is installed)
#   2. npm ci in tests/e2e             (playwright-core, pinned by the committed lockfile)
#   3. a clean build/test with clang, ASan+UBSan and the libFuzzer targets
#   4. ctest: unit tests, fuzz replays + short fuzzing, e2e tests with real Chromium
# Exits with ctest's status. Extra arguments go to ctest (e.g. -L e2e, -R unit_stun).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

t0=$(date +%s)
step() { printf '\n=== run-all: %s (%ss)\n' "$*" "$(($(date +%s) - t0))"; }

step "install dependencies"
./deploy/install-deps.sh --test </dev/null

step "npm ci in tests/e2e"
(cd tests/e2e && npm ci --no-audit --no-fund </dev/null)

step "configure build/test (clang, RAPPORT_SANITIZE=ON, RAPPORT_FUZZ=ON)"
rm -rf build/test
CC=clang cmake -S . -B build/test -DRAPPORT_SANITIZE=ON -DRAPPORT_FUZZ=ON

step "build with $(nproc) jobs"
cmake --build build/test -j"$(nproc)"

step "ctest"
status=0
ctest --test-dir build/test --output-on-failure -j2 "$@" </dev/null || status=$?
step "done, ctest exit status $status"
exit $status

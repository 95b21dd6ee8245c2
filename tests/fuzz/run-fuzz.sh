#!/bin/sh
# run-fuzz.sh TARGET CORPUS SECONDS: replay the stored corpus, then fuzz for SECONDS seconds
# into a scratch copy (the stored corpus only grows by hand, so runs stay reproducible).
set -eu
target=$1 corpus=$2 secs=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$corpus"
"$target" -runs=0 "$corpus"
cp -r "$corpus"/. "$scratch"/ 2>/dev/null || true
"$target" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 -print_final_stats=1 "$scratch"

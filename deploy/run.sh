#!/bin/sh
# deploy/run.sh [rapportd options]: THE run command. On Debian 12 as root: installs the build
# and run packages, builds rapportd (Release, gcc) in build/release and runs it in the
# foreground with deploy/rapportd.conf (when that file exists). Options go to rapportd.
# Creates the demo agent account ("agent") in the data directory the first time and prints
# its password.
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

# The data directory rapportd will use: --data-dir among the options, else data_dir in
# deploy/rapportd.conf (relative to deploy/), else rapportd's default <bindir>/../var.
data_dir=$root/build/var
if [ -f deploy/rapportd.conf ]; then
	conf_dir=$(sed -n 's/^[[:space:]]*data_dir[[:space:]]*=[[:space:]]*"\{0,1\}\([^"#]*[^"#[:space:]]\).*/\1/p' \
		deploy/rapportd.conf | tail -n 1)
	case $conf_dir in
	"") ;;
	/*) data_dir=$conf_dir ;;
	*) data_dir=$root/deploy/$conf_dir ;;
	esac
fi
prev=
for arg in "$@"; do
	[ "$prev" = --data-dir ] && data_dir=$arg
	case $arg in --data-dir=*) data_dir=${arg#--data-dir=} ;; esac
	prev=$arg
done
mkdir -p "$data_dir"

# The demo agent: a store account "agent" (any language, any topic). Made once with a random
# password kept in <data_dir>/demo-agent.password (mode 0600); later runs print it again.
pwfile=$data_dir/demo-agent.password
if ! "$bin" user list --data-dir "$data_dir" | awk 'NR > 1 { print $1 }' | grep -qx agent; then
	(umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$pwfile")
	"$bin" user add --data-dir "$data_dir" --role agent --username agent --password-file "$pwfile" >/dev/null
	say "created the demo agent account in $data_dir"
fi

if [ -f deploy/rapportd.conf ]; then
	set -- --config deploy/rapportd.conf "$@"
fi
say "starting $bin $*"
say "customer page: http://127.0.0.1:8080/customer/"
say "agent console: http://127.0.0.1:8080/agent/"
say "interpreter page: http://127.0.0.1:8080/interpreter/"
if [ -s "$pwfile" ]; then
	say "demo agent: username agent, password $(cat "$pwfile")"
else
	say "demo agent: username agent (made before; its password is not in $pwfile)"
fi
say "more agents: $bin user add --data-dir $data_dir --role agent --username NAME --password-file FILE [--languages en,es] [--skills billing]"
say "interpreters: $bin user add --data-dir $data_dir --role interpreter --username NAME --password-file FILE --languages es,en (with languages = en:English, es:Español in the config)"
exec "$bin" "$@"

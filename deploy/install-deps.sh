#!/bin/sh
# deploy/install-deps.sh [--test]: install what Rapport needs on Debian 12, as root.
#
#   (no option)  the packages to build and run rapportd
#   --test       also the test tools: clang (ASan/UBSan/libFuzzer), cmocka, Debian's chromium,
#                node + npm (unless node >= 18 is already there), iproute2, sox, python3, and
#                the servers later tests start themselves (redis-server, postgresql, coturn;
#                installed, never started or enabled as services); python3-aiortc if Debian
#                offers it (optional: a failure there is only a warning)
#
# Idempotent and non-interactive (no stdin needed, fine under CI=true). When every package is
# already installed it touches nothing and returns at once.
# Package lists are space-separated words on purpose: split them, never glob them.
# shellcheck disable=SC2086
set -euf

say() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

with_test=0
for arg in "$@"; do
	case $arg in
	--test) with_test=1 ;;
	-h | --help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown option '$arg' (use --test or nothing)" ;;
	esac
done

export DEBIAN_FRONTEND=noninteractive
APT_OPTS="-q -y --no-install-recommends -o DPkg::Lock::Timeout=600
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

# libev-dev and libwebsockets-evlib-ev: the gateway runs libwebsockets on a libev (epoll) loop;
# lws loads its libev glue as a plugin at run time (gateway/server.c)
build_pkgs="build-essential cmake pkg-config libwebsockets-dev libwebsockets-evlib-ev libev-dev
	libssl-dev libsrtp2-dev libnss3-dev libopus-dev libvpx-dev libjansson-dev libsqlite3-dev
	libpq-dev libhiredis-dev"
test_pkgs="sqlite3 clang libclang-rt-14-dev libcmocka-dev chromium fonts-liberation iproute2 sox
	python3 redis-server postgresql coturn"
optional_pkgs="python3-aiortc"
# Servers that tests start on their own ports with their own data; never system services.
services="redis-server postgresql coturn"

node_ok() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
		node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' 2>/dev/null
}

is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing_of() {
	for p in "$@"; do
		is_installed "$p" || printf '%s ' "$p"
	done
}

has_candidate() {
	c=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
	[ -n "$c" ] && [ "$c" != "(none)" ]
}

# While we install, a policy-rc.d that says "no" keeps maintainer scripts from starting any
# service (Debian's invoke-rc.d honours it). An existing one is put back afterwards.
policy=/usr/sbin/policy-rc.d
policy_saved=""
block_services() {
	if [ -e "$policy" ]; then
		policy_saved="$policy.rapport-saved.$$"
		mv "$policy" "$policy_saved"
	fi
	printf '#!/bin/sh\n# written by rapport install-deps.sh while installing\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap restore_policy EXIT INT TERM
}
restore_policy() {
	rm -f "$policy"
	if [ -n "$policy_saved" ]; then mv "$policy_saved" "$policy"; fi
	policy_saved=""
	trap - EXIT INT TERM
}

# On a machine run by systemd, make sure the servers are neither running nor enabled.
disable_services() {
	[ -d /run/systemd/system ] || return 0
	for s in $services; do
		if systemctl is-enabled --quiet "$s" 2>/dev/null || systemctl is-active --quiet "$s" 2>/dev/null; then
			say "systemctl disable --now $s (tests start their own)"
			systemctl disable --now "$s" >/dev/null 2>&1 || say "warning: could not disable $s"
		fi
	done
}

wanted=$build_pkgs
if [ $with_test = 1 ]; then
	wanted="$wanted $test_pkgs"
	if node_ok; then
		say "node $(node --version) and npm $(npm --version 2>/dev/null) present: not installing nodejs/npm"
	else
		wanted="$wanted nodejs npm"
	fi
fi

missing=$(missing_of $wanted)
optional_missing=""
[ $with_test = 1 ] && optional_missing=$(missing_of $optional_pkgs)

if [ -z "$missing" ] && [ -z "$optional_missing" ]; then
	say "all packages already installed ($(echo $wanted | wc -w) checked)"
	[ $with_test = 1 ] && disable_services
	exit 0
fi

[ "$(id -u)" = 0 ] || die "missing packages: $missing$optional_missing -- run this script as root"

block_services
if [ -n "$missing" ]; then
	say "apt-get update"
	apt-get $APT_OPTS update </dev/null
	say "apt-get install $missing"
		apt-get $APT_OPTS install $missing </dev/null
fi
for p in $optional_missing; do
	if has_candidate "$p"; then
		say "apt-get install $p (optional)"
		apt-get $APT_OPTS install "$p" </dev/null || say "warning: optional $p not installed"
	else
		say "optional $p not offered by apt: skipped"
	fi
done
restore_policy

[ $with_test = 1 ] && disable_services
still=$(missing_of $wanted)
[ -z "$still" ] || die "still missing after install: $still"
say "done"

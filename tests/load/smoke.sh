#!/bin/bash
# smoke.sh LOADGEN RAPPORTD: the load generator against rapportd, 2 calls for 5 s, then 2
# interpreter calls (three parties, simultaneous mode) for 3 s, so that it does not rot.
# Asserts that the calls connect, media flows both ways on every stream (in the interpreter
# scenario: two forwarded videos per party, one mixed audio for the customer and the agent, the
# two others' audio forwarded for the interpreter), and less than 1% is lost. Prints figures but asserts nothing about speed (that is
# bench.sh's job, outside ctest).
#
# Runs in a private network namespace (only 127.0.0.1; no port can collide with a test running
# beside it); exits 77 (ctest: skipped) when it cannot make one (not root).
set -euo pipefail

LOADGEN=$1 RAPPORTD=$2
CALLS=2
if [ -z "${RLG_SMOKE_INSIDE:-}" ]; then
	unshare --net true 2>/dev/null || { echo "smoke: SKIP: cannot unshare a network namespace (root needed)"; exit 77; }
	RLG_SMOKE_INSIDE=1 exec unshare --net -- "$0" "$@"
fi

ip link set lo up
TMP=$(mktemp -d /tmp/rapport-smoke.XXXXXX)
RPID=""
cleanup() {
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
PASS=smoke-$RANDOM-$RANDOM

# agent accounts agent0, agent1 in the store
mkdir -p "$TMP/data"
for i in $(seq 0 $((CALLS - 1))); do
	"$RAPPORTD" user add --data-dir "$TMP/data" --role agent --username "agent$i" \
		--password "$PASS" > /dev/null
	"$RAPPORTD" user add --data-dir "$TMP/data" --role interpreter --languages es,en \
		--username "interp$i" --password "$PASS" > /dev/null
done
cat > "$TMP/rapportd.conf" <<EOF
bind = 127.0.0.1
http_port = 18080
public_ip = 127.0.0.1
rtp_ports = 40000-40100
workers = 1
log_level = warn
data_dir = $TMP/data
languages = en:English, es:Spanish
EOF
# a fresh rapportd per scenario: the first scenario's agents are left in wrap-up
start_rapportd() {
	"$RAPPORTD" --config "$TMP/rapportd.conf" >> "$TMP/rapportd.log" 2>&1 &
	RPID=$!
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/18080) 2>/dev/null && break
		sleep 0.1
	done
}

check() {   # scenario seconds
	local json
	if [ -n "$RPID" ]; then kill "$RPID"; wait "$RPID" 2>/dev/null || true; fi
	start_rapportd
	json=$("$LOADGEN" --backend rapport --port 18080 --agent-user 'agent%u' --agent-pass "$PASS" \
		--calls "$CALLS" --scenario "$1" --duration "$2" --warmup 1 --video-loop-ms 2000 \
		--setup-timeout 20 --relay-pid "$RPID" --label "smoke/$1" | tail -1) || true
	echo "$json"
	[ "${json:0:1}" = "{" ] || { echo "smoke: FAIL: no result from loadgen"; cat "$TMP/rapportd.log"; return 1; }
	/usr/bin/python3 - "$json" "$CALLS" <<'EOF'
import json, sys
r, calls = json.loads(sys.argv[1]), int(sys.argv[2])
err = r.get("first_error", "")
problems = []
interp = r["scenario"] == "interpreter"
# 1:1: each leg receives one stream per kind; interpreter: each of 3 parties receives the two
# others' video; the customer and the agent one mixed audio (their further audio m-lines carry
# nobody: silent), the interpreter the two others' audio forwarded (not mixed)
legs = 3 if interp else 2
mixes = 2 if interp else 0
want = {"audio": mixes + 2 if interp else legs, "video": 2 * legs if interp else legs}
if r["calls_ok"] != calls or r["legs_connected"] != legs * calls:
    problems.append("calls set up %d of %d, legs connected %d (%s)"
                    % (r["calls_ok"], calls, r["legs_connected"], err))
for kind in ("audio", "video"):
    k = r[kind]
    live = k["streams"] - k["silent"]
    if live != want[kind] * calls or k["expected"] == 0:
        problems.append("%s: %d streams, %d silent" % (kind, k["streams"], k["silent"]))
if interp and r["audio"]["unstamped"] != mixes * calls:
    problems.append("audio: %d streams without send stamps, want %d (the mixes)"
                    % (r["audio"]["unstamped"], mixes * calls))
# by sequence number: what the relay dropped. Frames a mix skipped (by RTP timestamp, part of
# loss_pct) depend on how busy the machine is: reported, not asserted here
exp = sum(r[k]["seq_expected"] for k in ("audio", "video"))
lost = sum(r[k]["seq_lost"] for k in ("audio", "video"))
if not exp or lost * 100.0 / exp >= 1.0:
    problems.append("loss by sequence number %d of %d >= 1%%" % (lost, exp))
if r["srtp"] == "none":
    problems.append("no SRTP profile")
for p in problems:
    print("smoke: FAIL:", p)
if not problems:
    print("smoke: ok: %s, %d calls, loss %.4f%% (by sequence number %d of %d), "
          "delay p50 %d us p99 %d us, SRTP %s"
          % (r["scenario"], calls, r["loss_pct"], lost, exp, r["delay_p50_us"], r["delay_p99_us"],
             r["srtp"]))
sys.exit(1 if problems else 0)
EOF
}

RPID=""
check av 5
check interpreter 3

#!/bin/bash
# bench.sh: rapportd against Janus 1.1.2 (VideoCall; VideoRoom + AudioBridge for the interpreter
# scenario) under the same load, in one run.
#
# Each relay runs pinned to CPU 0, the load generator (tests/load/loadgen) to CPU 1. For each
# scenario and relay the number of simultaneous 1:1 calls N steps up until a step loses
# >= 0.1% of its packets, the generator itself runs out of breath, calls fail to set up, or
# the time budget is spent (a failing step gets one retry: the machine is shared). Every step starts the relay afresh (so that its RSS baseline is
# clean) and measures a window of --duration seconds after --warmup seconds of media.
#
# Everything runs inside a private network namespace (unshare --net) that holds only 127.0.0.1,
# on lo and on a veth (Janus skips loopback interfaces when it gathers candidates), so nothing
# leaves the machine and no port collides with anything else. Needs root (namespaces, nice).
# The machine is shared. So that other work disturbs the measurement less, the benchmark's
# session gets autogroup nice -15, the relay nice -15, and the single-threaded load generator
# SCHED_RR (it must keep its send schedule; it takes at most its own core). The relay stays
# under the normal scheduler: SCHED_RR's 100 ms round robin between the threads of a
# multi-threaded relay (Janus: a thread per handle) would distort its latency. --rt puts the
# relay under SCHED_RR too, --no-rt leaves both under the normal scheduler.
#
# Prints the steps as they go, then for each scenario a summary per relay and the ratio
# rapportd/Janus; writes every loadgen JSON line to OUT/results.jsonl. It prints figures and
# asserts nothing. See docs/performance.md.
#
#   tests/load/bench.sh [--build DIR] [--steps "1 5 10 ..."] [--scenarios "audio av interpreter"]
#                       [--relays "rapport janus inproc"] [--duration S] [--warmup S]
#                       [--budget S] [--video-kbps N] [--out DIR] [--rt | --no-rt]
#                       [--janus-event-loops N] [--gen-opts "LOADGEN OPTIONS"]
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build/gcc
STEPS="1 5 10 25 50 100 150 200 300 400 500 700 1000"
SCENARIOS="audio av"       # and "interpreter": three parties, simultaneous mix
RELAYS="rapport janus"
DURATION=10
WARMUP=3
BUDGET=1200
VIDEO_KBPS=1000
OUT=""
RT=default
JANUS_LOOPS=0           # Janus's default: an event loop thread per handle
GEN_OPTS=()             # more loadgen options (e.g. --legs-per-socket 1)
RAPPORT_PORT=18080
JANUS_PORT=18188
AGENT_PASS=bench-$$

while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift ;;
	--steps) STEPS=$2; shift ;;
	--scenarios) SCENARIOS=$2; shift ;;
	--relays) RELAYS=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	--warmup) WARMUP=$2; shift ;;
	--budget) BUDGET=$2; shift ;;
	--video-kbps) VIDEO_KBPS=$2; shift ;;
	--out) OUT=$2; shift ;;
	--gen-opts) read -r -a GEN_OPTS <<< "$2"; shift ;;
	--rt) RT=all ;;
	--no-rt) RT=none ;;
	--janus-event-loops) JANUS_LOOPS=$2; shift ;;
	-h|--help) sed -n '2,28s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

LOADGEN=$BUILD/tests/load/loadgen
RAPPORTD=$BUILD/rapportd
[ -x "$LOADGEN" ] || { echo "bench.sh: build first: $LOADGEN is missing" >&2; exit 2; }
OUT=${OUT:-/tmp/rapport-bench-$(date +%Y%m%d-%H%M%S)}

# --- step 1: into a private network namespace, a session of our own, priority ---
if [ -z "${RLG_BENCH_INSIDE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "bench.sh: needs root (network namespace, priority)" >&2; exit 2; }
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	# one benchmark at a time on this machine: two would share CPU 0 and CPU 1 and both
	# measure the other (the lock is held by the inherited descriptor until the run ends)
	exec 9> /tmp/rapport-bench.lock
	if ! flock -n 9; then
		echo "bench.sh: waiting for another bench.sh run to finish" >&2
		flock 9
	fi
	export RLG_BENCH_INSIDE=1
	args=(--build "$BUILD" --steps "$STEPS" --scenarios "$SCENARIOS" --relays "$RELAYS"
	      --duration "$DURATION" --warmup "$WARMUP" --budget "$BUDGET"
	      --video-kbps "$VIDEO_KBPS" --out "$OUT" --janus-event-loops "$JANUS_LOOPS")
	[ "$RT" = all ] && args+=(--rt)
	[ "$RT" = none ] && args+=(--no-rt)
	[ ${#GEN_OPTS[@]} -gt 0 ] && args+=(--gen-opts "${GEN_OPTS[*]}")
	exec unshare --net -- setsid --wait "$0" "${args[@]}"
fi

ip link set lo up
ip link add rlg0 type veth peer name rlg1
ip addr add 127.0.0.1/32 dev rlg0
ip link set rlg0 up
ip link set rlg1 up
echo -15 > /proc/self/autogroup 2>/dev/null || true
# Janus 1.1.2 sometimes aborts on SIGTERM with many sessions ("malloc(): unsorted double
# linked list corrupted", after the window, in its shutdown): no core files of it here
ulimit -c 0
cd "$OUT"
RELAY_PRIO=(nice -n -15) INPROC_PRIO=nice:-15
GEN_PRIO=(chrt -r 1)
[ "$RT" = all ] && RELAY_PRIO=(chrt -r 1) INPROC_PRIO=rr:1
[ "$RT" = none ] && GEN_PRIO=(nice -n -15)

RESULTS=$OUT/results.jsonl
: > "$RESULTS"
T_START=$(date +%s)
RELAY_PID=""

log() { echo "$@" >&2; }

machine() {
	local cpu
	cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
	echo "machine: $(nproc) x $cpu, $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "janus: $(janus --version 2>/dev/null | head -1)"
	echo "rapport: $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (load average before the run)"
	# what a wake-up costs on a VM depends on it (docs/performance.md, "halt polling")
	echo "cpuidle: $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo none)," \
		"guest_halt_poll_ns $(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null || echo n/a)"
	echo "priorities: relay '${RELAY_PRIO[*]}', generator '${GEN_PRIO[*]}'; janus event_loops $JANUS_LOOPS"
}

wait_port() {   # port, seconds
	local i
	for i in $(seq $(( $2 * 10 ))); do
		if (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

start_janus() {
	local dir=$OUT/janus-conf f
	mkdir -p "$dir"
	for f in "$SRC"/tests/load/janus/*.jcfg; do
		sed -e "s#@CONFIG_DIR@#$dir#; s#@WS_PORT@#$JANUS_PORT#; s#@RTP_MIN@#20000#; s#@RTP_MAX@#39999#" \
			-e "s#@EVENT_LOOPS@#$JANUS_LOOPS#" \
			"$f" > "$dir/$(basename "$f")"
	done
	"${RELAY_PRIO[@]}" taskset -c 0 janus -C "$dir/janus.jcfg" -F "$dir" -o >> "$OUT/janus.log" 2>&1 &
	RELAY_PID=$!
	wait_port "$JANUS_PORT" 20
}

# agent accounts agent0..agent(N-1) in rapportd's store, made as the steps need them (a
# password hash each: ~0.2 s); interpreter accounts interp0..interp(N-1) (languages es,en: the
# customers ask for es, and the agents, who have no languages, make the pair es,en) for the
# interpreter scenario
AGENTS=0 INTERPS=0
add_agents() {   # n scenario
	mkdir -p "$OUT/rapport-data"
	while [ "$AGENTS" -lt "$1" ]; do
		"$RAPPORTD" user add --data-dir "$OUT/rapport-data" --role agent \
			--username "agent$AGENTS" --password "$AGENT_PASS" > /dev/null || return 1
		AGENTS=$((AGENTS + 1))
	done
	while [ "$2" = interpreter ] && [ "$INTERPS" -lt "$1" ]; do
		"$RAPPORTD" user add --data-dir "$OUT/rapport-data" --role interpreter \
			--languages es,en --username "interp$INTERPS" --password "$AGENT_PASS" \
			> /dev/null || return 1
		INTERPS=$((INTERPS + 1))
	done
}

start_rapport() {
	local conf=$OUT/rapportd.conf
	cat > "$conf" <<-EOF
	bind = 127.0.0.1
	http_port = $RAPPORT_PORT
	public_ip = 127.0.0.1
	rtp_ports = 40000-40100
	workers = 1
	log_level = warn
	data_dir = $OUT/rapport-data
	languages = en:English, es:Spanish
	EOF
	"${RELAY_PRIO[@]}" taskset -c 0 "$RAPPORTD" --config "$conf" >> "$OUT/rapportd.log" 2>&1 &
	RELAY_PID=$!
	wait_port "$RAPPORT_PORT" 20
}

stop_relay() {
	[ -n "$RELAY_PID" ] || return 0
	kill "$RELAY_PID" 2>/dev/null || true
	wait "$RELAY_PID" 2>/dev/null || true
	RELAY_PID=""
}
trap stop_relay EXIT

# one step: prints loadgen's JSON line (empty when the relay would not start)
run_step() {   # relay scenario calls
	local relay=$1 sc=$2 n=$3 target=()
	case "$relay" in
	janus) start_janus || { stop_relay; return 1; }
	       target=(--backend janus --port "$JANUS_PORT" --relay-pid "$RELAY_PID") ;;
	rapport) start_rapport || { stop_relay; return 1; }
	       target=(--backend rapport --port "$RAPPORT_PORT" --relay-pid "$RELAY_PID"
		       --agent-user 'agent%u' --agent-pass "$AGENT_PASS" --interp-user 'interp%u') ;;
	inproc) target=(--backend inproc --relay-cpu 0 --relay-prio "$INPROC_PRIO") ;;
	esac
	"${GEN_PRIO[@]}" taskset -c 1 "$LOADGEN" "${target[@]}" --scenario "$sc" --calls "$n" \
		--duration "$DURATION" --warmup "$WARMUP" --video-kbps "$VIDEO_KBPS" \
		--setup-timeout $(( 20 + n / 10 )) --label "$relay/$sc/$n" --quiet "${GEN_OPTS[@]}" \
		2>> "$OUT/loadgen.log" || true
	stop_relay
}

REPORT=(/usr/bin/python3 "$SRC/tests/load/bench_report.py")

# --- step 2: the runs ---
{ machine; echo "steps: $STEPS; window ${DURATION}s after ${WARMUP}s warm-up; video ${VIDEO_KBPS} kbit/s"; } | tee "$OUT/machine.txt" >&2
log ""
log "label	calls_ok	fwd_pps	us/pkt	cpu%	loss%	p50us	p99us	kB/leg	gen%	late_us	cpu%/call	kB/call"
for sc in $SCENARIOS; do
	for relay in $RELAYS; do
		if [ "$relay" = rapport ] && [ ! -x "$RAPPORTD" ]; then
			log "$relay/$sc: skipped: $RAPPORTD is not built"
			continue
		fi
		for n in $STEPS; do
			if [ $(( $(date +%s) - T_START )) -ge "$BUDGET" ]; then
				log "$relay/$sc: time budget of ${BUDGET}s spent"
				break
			fi
			if [ "$sc" = interpreter ] && [ "$relay" = inproc ]; then
				log "$relay/$sc: not supported (no signalling, so no interpreter invite)"
				break
			fi
			if [ "$relay" = rapport ] && ! add_agents "$n" "$sc"; then
				log "rapport: could not add agent accounts with $RAPPORTD user add"
				break
			fi
			v=""
			for attempt in 1 2; do   # a step that fails gets one more try: the machine is shared
				json=$(run_step "$relay" "$sc" "$n" | tail -1)
				if [ "${json:0:1}" != "{" ]; then
					log "$relay/$sc/$n: no result (see $OUT/*.log)"
					v=none
					break
				fi
				v=$("${REPORT[@]}" verdict "$json" "$n")
				log "$("${REPORT[@]}" line "$json")	$v"
				[ "$v" = ok ] || [ "$v" = setup ] && break
			done
			[ "$v" = none ] && break
			echo "${json%\}},\"verdict\":\"$v\"}" >> "$RESULTS"
			[ "$v" = ok ] || break
		done
	done
done

# --- step 3: the summary ---
{ cat "$OUT/machine.txt"; "${REPORT[@]}" summary "$RESULTS"; } | tee "$OUT/summary.txt"
log "results in $OUT"

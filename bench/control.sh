#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/control.sh - what the control socket costs (doc/control.md).  An
# engine runs N independent noop resources (N vertices) with --control and
# converges; then, from outside:
#   - GET /v1/status (all N resources), a filtered status, and /metrics:
#     the client's wall time, median of REPS;
#   - the event loop's own CPU time per request: the loop thread's
#     schedstat run time (ns) over REPS full status requests, minus the same
#     over an idle stretch as long (the loop's own timers);
#   - the loop's latency: POST /v1/trigger of one resource (a round trip
#     through the loop: the ev_async, the run, the answer), TRIGGERS times
#     with the socket idle, then TRIGGERS times while another client asks
#     for the full status without pause; median and p99 of each.
# Run by tools/bench-control.
# Usage: bench/control.sh ENGINE PLUGINS_DIR RESULTS.md [N [REPS [TRIGGERS]]]
set -euo pipefail
engine=$1 plugins=$2 results=$3 n=${4:-100000} reps=${5:-10} trig=${6:-200}
work=$(cd "$(dirname "$engine")" && pwd)/bench-control.$$
mkdir -p "$work"
epid= hpid=
cleanup() {
	[ -z "$hpid" ] || kill "$hpid" 2>/dev/null || true
	[ -z "$epid" ] || kill "$epid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
sock=$work/ctl.sock

{
	echo "resources:"
	echo "  noop:"
	for i in $(seq "$n"); do
		echo "  - {name: n$i, meta: {autogroup: false}}"
	done
} >"$work/g.yaml"

"$engine" --no-default-plugins --plugins-dir "$plugins" --log-level warn \
	run --yaml "$work/g.yaml" --control "$sock" >/dev/null 2>"$work/log" &
epid=$!
for _ in $(seq 6000); do
	curl -s --unix-socket "$sock" 'http://localhost/v1/status?name=n1' 2>/dev/null |
		grep -q '"converged":true' && break
	sleep 0.01
done

# ms: the time of one request, in milliseconds.
ms() {
	curl -sS --unix-socket "$sock" -o /dev/null -w '%{time_total}\n' "$@" |
		awk '{ printf "%.3f\n", $1 * 1000 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }
p99() { sort -n | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; printf "%.3f", v[i] }'; }
# loop_ns: the loop thread's (the main thread's) CPU time so far, in ns.
loop_ns() { cut -d' ' -f1 "/proc/$epid/task/$epid/schedstat"; }

full=$(for _ in $(seq "$reps"); do ms http://localhost/v1/status; done | median)
size=$(curl -sS --unix-socket "$sock" http://localhost/v1/status | wc -c)
one=$(for _ in $(seq "$reps"); do ms 'http://localhost/v1/status?name=n777'; done | median)
metrics=$(for _ in $(seq "$reps"); do ms http://localhost/metrics; done | median)

t0=$(date +%s%N)
a=$(loop_ns)
for _ in $(seq "$reps"); do
	curl -sS --unix-socket "$sock" -o /dev/null http://localhost/v1/status
done
b=$(loop_ns)
t1=$(date +%s%N)
sleep "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }')"
c=$(loop_ns)
per_req=$(awk -v busy=$((b - a)) -v idle=$((c - b)) -v r="$reps" \
	'BEGIN { v = (busy - idle) / r / 1000; if (v < 0) v = 0; printf "%.1f", v }')
idle_us=$(awk -v idle=$((c - b)) -v r="$reps" 'BEGIN { printf "%.1f", idle / r / 1000 }')

trigger_ms() {
	for _ in $(seq "$trig"); do
		ms -X POST 'http://localhost/v1/trigger?kind=noop&name=n1'
	done
}
trigger_ms >"$work/idle"
(while :; do curl -sS --unix-socket "$sock" -o /dev/null http://localhost/v1/status; done) &
hpid=$!
trigger_ms >"$work/busy"
kill "$hpid" 2>/dev/null || true
wait "$hpid" 2>/dev/null || true
hpid=
ti50=$(median <"$work/idle") ti99=$(p99 <"$work/idle")
tb50=$(median <"$work/busy") tb99=$(p99 <"$work/busy")
ratio=$(awk -v a="$tb50" -v b="$ti50" 'BEGIN { printf "%.2f", a / b }')
rev=${MGMT_BENCH_REV:-unknown}

cat >>"$results" <<MD

## bench/control: $(date -u '+%Y-%m-%d %H:%M') UTC, nproc $(nproc)

Command: \`tools/bench-control\` (runs \`bench/control.sh ENGINE PLUGINS_DIR RESULTS.md $n $reps $trig\`).
Tree: $rev.

An engine runs $n independent noop resources (\`meta: {autogroup: false}\`) with \`--control\`, converged; curl asks its control socket.

| request | client's wall time, median of $reps (ms) |
|---|---:|
| GET /v1/status, all $n resources ($size bytes) | $full |
| GET /v1/status?name=n777 (one listed, all counted) | $one |
| GET /metrics | $metrics |

The event loop's CPU time per full status request (the loop thread's run time over $reps requests, minus an idle stretch as long: ${idle_us} µs per request's worth of idle): **${per_req} µs**.

POST /v1/trigger of one resource, a round trip through the loop, $trig times each:

| socket | median (ms) | p99 (ms) |
|---|---:|---:|
| otherwise idle | $ti50 | $ti99 |
| while another client asks for the full status without pause | $tb50 | $tb99 |

Ratio of the medians, busy / idle: **$ratio**.
MD
echo "status ${full} ms (${size} B), one ${one} ms, metrics ${metrics} ms;" \
	"loop ${per_req} us per status; trigger idle ${ti50}/${ti99} ms," \
	"busy ${tb50}/${tb99} ms (x${ratio})"

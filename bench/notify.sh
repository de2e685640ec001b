#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/notify.sh - what speaking systemd's protocol costs (doc/service.md).
# N independent noop resources (no grouping: N vertices, N state changes)
# converge with `mgmt-engine run --converged-timeout 0`, alternately without
# NOTIFY_SOCKET and with it pointing at tests/cli/notify-listen (a stand-in
# for systemd's socket, in the abstract namespace); median wall time of REPS
# each after a warm-up, and the datagrams sent.  Run by tools/bench-notify.
# Usage: bench/notify.sh ENGINE PLUGINS_DIR NOTIFY_LISTEN RESULTS.md [N [REPS]]
set -euo pipefail
engine=$1 plugins=$2 listen=$3 results=$4 n=${5:-20000} reps=${6:-5}
work=$(cd "$(dirname "$engine")" && pwd)/bench-notify.$$
mkdir -p "$work"
lpid=
cleanup() {
	[ -z "$lpid" ] || kill "$lpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

{
	echo "resources:"
	echo "  noop:"
	for i in $(seq "$n"); do
		echo "  - {name: n$i, meta: {autogroup: false}}"
	done
} >"$work/g.yaml"

sock="@mgmt-engine-bench-notify-$$"
"$listen" "$sock" "$work/dgrams" &
lpid=$!
for _ in $(seq 500); do
	[ -e "$work/dgrams" ] && break
	sleep 0.01
done

# one_run [NOTIFY_SOCKET]: milliseconds from spawn to exit.
one_run() {
	local t0 t1
	t0=$(date +%s%N)
	NOTIFY_SOCKET=${1:-} "$engine" --no-default-plugins --plugins-dir \
		"$plugins" --log-level warn run --yaml "$work/g.yaml" \
		--converged-timeout 0 >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}
median() { sort -n | awk '{ v[NR] = $1 } END { m = v[int((NR + 1) / 2)]; printf "%.1f", m / 1000 }'; }

one_run >/dev/null
one_run "$sock" >/dev/null
: >"$work/plain" && : >"$work/notify"
before=$(wc -l <"$work/dgrams")
for _ in $(seq "$reps"); do
	one_run >>"$work/plain"
	one_run "$sock" >>"$work/notify"
done
sleep 0.2 # the last datagrams reach the listener
dgrams=$((($(wc -l <"$work/dgrams") - before) / reps))
plain=$(median <"$work/plain")
notify=$(median <"$work/notify")
ratio=$(awk -v a="$notify" -v b="$plain" 'BEGIN { printf "%.3f", a / b }')
rev=${MGMT_BENCH_REV:-unknown}

cat >>"$results" <<MD

## bench/notify: $(date -u '+%Y-%m-%d %H:%M') UTC, nproc $(nproc)

Command: \`tools/bench-notify\` (runs \`bench/notify.sh ENGINE PLUGINS_DIR tests/cli/notify-listen RESULTS.md $n $reps\`).
Tree: $rev.

$n independent noop resources (\`meta: {autogroup: false}\`: $n vertices) converge with \`mgmt-engine run --converged-timeout 0\`; median of $reps runs after a warm-up, spawn to exit, the two kinds of run alternating.

| run | median (ms) | vs plain | datagrams per run |
|---|---:|---:|---:|
| plain (no NOTIFY_SOCKET) | $plain | 1.000 | 0 |
| under a stand-in for systemd's socket | **$notify** | **$ratio** | $dgrams |

The datagrams: READY=1 with STATUS=, STATUS= at convergence, STOPPING=1, and at most one coalesced STATUS= per 0.5 s in between (doc/service.md), however many resources change state.
MD
echo "plain ${plain} ms, notify ${notify} ms (x${ratio}), ${dgrams} datagrams per run"

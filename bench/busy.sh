#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/busy.sh - the engine on a busy host.  A chain of N noop resources
# (named edges: one hand-off from the loop to a worker and back per
# resource, the worst case for a scheduler that passes work between
# threads) runs with `mgmt-engine run --converged-timeout 0` on an idle
# machine and again beside HOGS processes that each want a whole core at the
# same priority (`while :; do :; done`), as on a host running other work.
# Every ENGINE given (e.g. the tree's and an older build) runs in turn in
# each round; median wall time and CPU time (user + system) of ROUNDS, and
# busy / quiet.  Run by tools/bench-busy.
# Usage: bench/busy.sh PLUGINS_DIR RESULTS.md N ROUNDS HOGS ENGINE...
set -euo pipefail
plugins=$1 results=$2 n=$3 rounds=$4 hogs=$5
shift 5
work=$(mktemp -d /var/tmp/mgmt-bench-busy.XXXXXX)
hog_pids=()
stop_hogs() {
	[ ${#hog_pids[@]} -eq 0 ] || kill "${hog_pids[@]}" 2>/dev/null || true
	wait "${hog_pids[@]}" 2>/dev/null || true
	hog_pids=()
}
cleanup() {
	stop_hogs
	rm -rf "$work"
}
trap cleanup EXIT

{
	echo "resources:"
	echo "  noop:"
	for i in $(seq "$n"); do echo "  - name: n$i"; done
	echo "edges:"
	for i in $(seq 2 "$n"); do
		echo "- {from: {kind: noop, name: n$((i - 1))}, to: {kind: noop, name: n$i}}"
	done
} >"$work/g.yaml"

# one_run ENGINE OUT: append "wall cpu" (seconds) of one run to OUT.
one_run() {
	/usr/bin/time -f "%e %U %S" -o "$work/t" "$1" --no-default-plugins \
		--plugins-dir "$plugins" --log-level warn run --yaml "$work/g.yaml" \
		--converged-timeout 0 >/dev/null 2>&1
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$work/t" >>"$2"
}
# median COLUMN FILE
median() {
	awk -v c="$1" '{ print $c }' "$2" | sort -g |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

for e in "$@"; do one_run "$e" /dev/null; done # warm the page cache
load0=$(cut -d' ' -f1 /proc/loadavg)
for r in $(seq "$rounds"); do
	for e in "$@"; do
		one_run "$e" "$work/quiet.$(basename "$e")"
	done
	for _ in $(seq "$hogs"); do
		sh -c 'while :; do :; done' &
		hog_pids+=($!)
	done
	for e in "$@"; do
		one_run "$e" "$work/busy.$(basename "$e")"
	done
	stop_hogs
done

{
	echo
	echo "## bench/busy: $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc)"
	echo
	echo "Command: \`tools/bench-busy$([ $# -gt 1 ] && printf ' %s' "${@:2}")\` (runs \`bench/busy.sh PLUGINS_DIR bench/RESULTS.md $n $rounds $hogs ENGINE...\`)."
	echo "Tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
	echo "Load average (1 min) at the start: $load0, at the end: $(cut -d' ' -f1 /proc/loadavg)."
	echo
	echo "A chain of $n noop resources (named edges), \`run --converged-timeout 0\`, start to exit: *quiet* alone, *busy* beside $hogs processes that each want a whole core (\`while :; do :; done\`, same priority).  Median of $rounds rounds, each engine in turn; CPU = user + system."
	echo
	echo "| engine | quiet (s) | quiet CPU (s) | busy (s) | busy CPU (s) | busy / quiet |"
	echo "|---|---:|---:|---:|---:|---:|"
	for e in "$@"; do
		b=$(basename "$e")
		q=$(median 1 "$work/quiet.$b")
		qc=$(median 2 "$work/quiet.$b")
		k=$(median 1 "$work/busy.$b")
		kc=$(median 2 "$work/busy.$b")
		echo "| \`${e#"$PWD"/}\` | $q | $qc | $k | $kc | $(awk -v a="$k" -v b="$q" 'BEGIN { printf "%.1f", a / b }') |"
	done
} | tee -a "$results"

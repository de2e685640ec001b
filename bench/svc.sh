#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/svc.sh - the svc resource against a real systemd, in the tests'
# sandbox (tests/system/sandbox.sh).  Run by tools/bench-svc.
#   1. Reaction: the engine keeps bench-react.service running; bench/svc-react
#      stops it TRIES times as `systemctl stop` does and measures, from
#      systemd's own PropertiesChanged, inactive -> active again.  Baseline:
#      svc-react starting it itself the moment it sees it inactive.
#   2. Converge 50 stopped services (state: running) with one engine run,
#      against `systemctl start` run 50 times one by one, and once with the
#      50 names.  Median of RUNS after a warm-up.
# Usage: bench/svc.sh ENGINE PLUGINS_DIR SVC_REACT RESULTS.md [TRIES [RUNS]]
set -euo pipefail
engine=$1 plugins=$2 react=$3 results=$4 tries=${5:-100} runs=${6:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(cd "$(dirname "$engine")" && pwd)/bench-svc.$$
mkdir -p "$work"
export SANDBOX_STATE=$work/sandbox
export SANDBOX_KEEP="$top $(cd "$(dirname "$engine")" && pwd)"
sbx() { (cd "$work" && bash "$top/tests/system/sandbox.sh" exec bench "$@"); }
cleanup() {
	bash "$top/tests/system/sandbox.sh" stop bench >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
bash "$top/tests/system/sandbox.sh" start bench

units=$(seq -f 'bench-%g.service' 1 50 | tr '\n' ' ')
sbx sh -c 'for u in bench-react.service '"$units"'; do
	printf "[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep 3600\n" \
		>/run/systemd/system/$u
done; systemctl daemon-reload'

# --- 1. reaction ---------------------------------------------------------
cat >"$work/react.yaml" <<EOF
graph: react
resources:
  svc:
  - name: bench-react
    state: running
EOF
sbx sh -c 'echo $$ >engine.pid; exec "$0" --plugins-dir "$1" run --yaml react.yaml' \
	"$engine" "$plugins" </dev/null 2>"$work/react.log" &
for _ in $(seq 500); do
	[ "$(sbx systemctl is-active bench-react)" = active ] && break
	sleep 0.02
done
engine_line=$(sbx "$react" bench-react.service "$tries" engine)
sbx sh -c 'kill $(cat engine.pid)'
wait
self_line=$(sbx "$react" bench-react.service "$tries" self)
restarts=$(grep -c 'started bench-react.service' "$work/react.log" || true)

# --- 2. converge 50 ------------------------------------------------------
{
	echo "graph: fifty"
	echo "resources:"
	echo "  svc:"
	for i in $(seq 50); do
		printf '  - name: bench-%d\n    state: running\n' "$i"
	done
} >"$work/fifty.yaml"
# ms MODE: one timed convergence, measured inside the sandbox.
ms() {
	sbx systemctl stop $units
	sbx sh -c '
		t0=$(date +%s%N)
		case $0 in
		engine) "$1" --plugins-dir "$2" --log-level warn run --yaml fifty.yaml \
				--converged-timeout 0 || exit 1 ;;
		serial) for u in $3; do systemctl start "$u" || exit 1; done ;;
		onecall) systemctl start $3 || exit 1 ;;
		esac
		t1=$(date +%s%N)
		[ "$(systemctl is-active $3 | sort -u)" = active ] || exit 1
		echo $(( (t1 - t0) / 1000 ))' "$1" "$engine" "$plugins" "$units"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for mode in engine serial onecall; do ms $mode >/dev/null; done # warm-up
declare -A all
for mode in engine serial onecall; do all[$mode]=; done
for _ in $(seq "$runs"); do
	for mode in engine serial onecall; do
		all[$mode]+="$(ms $mode) "
	done
done
med() { echo "${all[$1]}" | tr ' ' '\n' | grep . | median; }
e=$(med engine) s=$(med serial) o=$(med onecall)

read -r _ ep50 ep99 emax <<<"$engine_line"
read -r _ sp50 sp99 smax <<<"$self_line"
{
	echo
	echo "## bench/svc: $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc)"
	echo
	echo "Command: \`tools/bench-svc\` (runs \`bench/svc.sh ENGINE PLUGINS_DIR bench/svc-react RESULTS.md $tries $runs\`), systemd $(systemctl --version | awk 'NR == 1 { print $2 }') booted in the tests' sandbox."
	echo "Tree: $(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD -- plugins/svc plugins/common || echo ' with uncommitted changes')."
	echo
	echo "Reaction: bench-react.service (\`ExecStart=/bin/sleep 3600\`, \`StartLimitIntervalSec=0\` so that systemd allows a hundred starts) kept running by \`mgmt-engine run\`; $tries times, bench/svc-react stops it (StopUnit \"replace\", as \`systemctl stop\`) and takes, from systemd's PropertiesChanged, the time from ActiveState \`inactive\` to \`active\` again.  Baseline: svc-react itself calling StartUnit the moment it sees \`inactive\` (no engine running): what a client that knows at once can do."
	echo
	echo "| inactive → active (ms) | p50 | p99 | max |"
	echo "|---|---:|---:|---:|"
	echo "| engine repairs it | **$ep50** | **$ep99** | $emax |"
	echo "| baseline: a client starting it at once | $sp50 | $sp99 | $smax |"
	echo
	echo "The engine logged $restarts starts for $tries stops.  Aim: milliseconds (README.md: \"started again within milliseconds\")."
	echo
	echo "Converge 50 stopped services (\`ExecStart=/bin/sleep 3600\`, state running), median of $runs after a warm-up, timed inside the sandbox from spawn to exit:"
	echo
	echo "| how | median (ms) | vs engine |"
	echo "|---|---:|---:|"
	echo "| \`mgmt-engine run --converged-timeout 0\` (50 svc, default workers) | **$(awk -v v="$e" 'BEGIN { printf "%.1f", v / 1000 }')** | 1.00 |"
	echo "| \`systemctl start\` one by one, 50 calls | $(awk -v v="$s" 'BEGIN { printf "%.1f", v / 1000 }') | $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", a / b }') |"
	echo "| \`systemctl start\` with the 50 names in one call | $(awk -v v="$o" 'BEGIN { printf "%.1f", v / 1000 }') | $(awk -v a="$o" -v b="$e" 'BEGIN { printf "%.2f", a / b }') |"
	echo
	echo "Load average (1 min) at the end: $(cut -d' ' -f1 /proc/loadavg)."
} >>"$results"
tail -n 22 "$results"

#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/peers.sh - the engine beside CFEngine on one workload: N files
# DIR/fI holding "i am fI", created from nothing (create) and then checked
# when all are right (check), with N = 1,000 and 10,000.  The engine runs
# `mgmt-engine run --yaml G --converged-timeout 0`, CFEngine `cf-agent -KIf
# P.cf` (3.21 from Debian's cfengine3, installed here when missing), and as
# the floor of the engine's create, bench/file-raw doing the plugin's
# system calls in the plugin's order with its sync strategy (`batch syncfs
# DIR N 128 T`: 128 temporaries written, one syncfs, renamed; one
# directory fsync; on T threads, as many as the plugin splits the group
# over).  Runs are interleaved (each
# round runs every tool once, the order turning each round) and the
# medians of RUNS rounds compared, so that the disk's noise hits all alike;
# each run is checked (every file right, the check touching none).
# Nothing is removed before the end: on ext4 creating files soon after
# removing many is slower, which would penalise whoever ran next.  A
# section is appended to RESULTS.md.  Run by tools/bench-peers; needs root
# (apt-get, and cf-agent's own state in /var/lib/cfengine3).
# Usage: bench/peers.sh ENGINE PLUGINS_DIR FILE_RAW RESULTS.md [SIZES [RUNS]]
set -euo pipefail
engine=$1 plugins=$2 raw=$3 results=$4 sizes=${5:-1000 10000} runs=${6:-3}
if ! command -v cf-agent >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q cfengine3 >/dev/null
fi
work=$(mktemp -d /var/tmp/mgmt-bench-peers.XXXXXX)
trap 'rm -rf "$work"' EXIT
load0=$(cut -d' ' -f1 /proc/loadavg)

# timed OUT CMD...: run CMD, append "WALL_S MAXRSS_KB" to OUT; fail with
# its output when it fails.
timed() {
	local out=$1
	shift
	python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
t = time.monotonic() - t0
if p.returncode != 0:
    sys.stderr.write(p.stdout.decode(errors="replace")[-4000:])
    sys.exit("bench/peers: failed: " + " ".join(cmd))
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(out, "a") as f:
    f.write("%.4f %d\n" % (t, rss))
PY
}

# graphs N: the engine's YAML and CFEngine's policy for DIR $work/X/N.R.
graphs() {
	local n=$1 i
	{
		echo "resources:"
		echo "  file:"
		for ((i = 0; i < n; i++)); do
			echo "  - {name: f$i, path: \"DIR/f$i\", content: \"i am f$i\"}"
		done
	} >"$work/g$n.tmpl"
	{
		echo 'body common control { bundlesequence => { "main" }; }'
		echo 'bundle agent main {'
		echo ' files:'
		for ((i = 0; i < n; i++)); do
			echo "  \"DIR/f$i\" content => \"i am f$i\";"
		done
		echo '}'
	} >"$work/p$n.tmpl"
}

# right DIR N: every file holds its content (the floor's: "file I\n").
right() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
d, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(n):
    want = ("file %d\n" % i) if kind == "raw" else ("i am f%d" % i)
    with open("%s/f%d" % (d, i)) as f:
        if f.read() != want:
            sys.exit("bench/peers: %s/f%d is wrong" % (d, i))
PY
}

# threads N: the threads the plugin splits a group of N over (group.c).
threads() {
	local t=$(($1 / 256)) c
	c=$(nproc)
	((t > c)) && t=$c
	((t > 4)) && t=4
	echo $((t ? t : 1))
}

# stamp DIR: each file's inode and mtime, to see that a check touched none.
stamp() {
	(cd "$1" && stat -c '%n %i %Y.%y' f* | sort)
}

# one TOOL N R: create then check with TOOL (engine, cf or raw).
one() {
	local tool=$1 n=$2 r=$3 d="$work/$1/$2.$3" s
	mkdir -p "$d"
	case $tool in
	engine)
		sed "s|DIR|$d|" "$work/g$n.tmpl" >"$d.yaml"
		set -- "$engine" --plugins-dir "$plugins" run --yaml "$d.yaml" \
			--converged-timeout 0
		;;
	cf)
		sed "s|DIR|$d|" "$work/p$n.tmpl" >"$d.cf"
		chmod 600 "$d.cf"
		set -- cf-agent -KIf "$d.cf"
		;;
	raw) set -- "$raw" batch syncfs "$d" "$n" 128 "$(threads "$n")" ;;
	esac
	timed "$work/$tool.$n.create" "$@"
	right "$d" "$n" "$tool"
	[ "$tool" = raw ] && set -- "$raw" check "$d" "$n"
	s=$(stamp "$d")
	timed "$work/$tool.$n.check" "$@"
	[ "$(stamp "$d")" = "$s" ] ||
		{ echo "bench/peers: $tool's check changed $d" >&2; exit 1; }
}

# med FILE COLUMN: the median of a column.
med() {
	sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END {
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

tools=(engine cf raw)
for n in $sizes; do
	graphs "$n"
	for ((r = 0; r < runs; r++)); do
		for ((k = 0; k < ${#tools[@]}; k++)); do
			one "${tools[(k + r) % ${#tools[@]}]}" "$n" "$r"
		done
	done
done

rev=$(cd "$(dirname "$0")" && git rev-parse --short HEAD 2>/dev/null ||
	echo unknown)
{
	echo
	echo "## bench/peers: $(date -u '+%Y-%m-%d %H:%M') UTC, nproc $(nproc)"
	echo
	echo "Command: \`tools/bench-peers\` (runs \`bench/peers.sh ENGINE" \
		"PLUGINS_DIR bench/file-raw bench/RESULTS.md \"$sizes\" $runs\`)," \
		"as $(id -un), in a fresh directory under /var/tmp ($(df -T \
		/var/tmp | awk 'NR == 2 { print $2 }')).  Tree: $rev;" \
		"$(cf-agent --version | head -1)."
	echo "Load average (1 min) at the start: $load0, at the end:" \
		"$(cut -d' ' -f1 /proc/loadavg)."
	echo
	echo "N files \`fI\` holding \`i am fI\` in one directory.  *engine* =" \
		"\`mgmt-engine run --yaml G --converged-timeout 0\`, every file" \
		"durable (synced, renamed, directory fsync'ed) before the run" \
		"ends; *cf-agent* = \`cf-agent -KIf P.cf\` (one \`files:\` promise" \
		"with \`content\` per file; it writes in place, without fsync);" \
		"*floor* = \`bench/file-raw batch syncfs DIR N 128 T\`, the" \
		"plugin's system calls in its order and sync strategy on as many" \
		"threads T as it splits the group over, no engine (check:" \
		"\`bench/file-raw check\`).  *create* starts from an empty" \
		"directory, *check* runs again when all are right (and must touch" \
		"nothing).  Interleaved rounds, the order turning each round;" \
		"median of $runs; RSS = peak of the process (cf-agent: its own)."
	echo
	echo "| N | work | engine (s) | engine RSS (MB) | cf-agent (s) | cf-agent RSS (MB) | **cf-agent / engine** | floor (s) | engine / floor |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
	for n in $sizes; do
		for w in create check; do
			e=$(med "$work/engine.$n.$w" 1)
			c=$(med "$work/cf.$n.$w" 1)
			f=$(med "$work/raw.$n.$w" 1)
			em=$(med "$work/engine.$n.$w" 2)
			cm=$(med "$work/cf.$n.$w" 2)
			awk -v n="$n" -v w="$w" -v e="$e" -v c="$c" -v f="$f" \
				-v em="$em" -v cm="$cm" 'BEGIN {
				printf "| %d | %s | %.3f | %.1f | %.3f | %.1f | **%.2f** | %.3f | %.2f |\n",
					n, w, e, em / 1024, c, cm / 1024, c / e, f, e / f }'
		done
	done
} >>"$results"
tail -n 12 "$results"

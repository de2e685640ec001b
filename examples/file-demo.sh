#!/bin/sh
# SPDX-License-Identifier: MIT
# file-demo.sh - mgmt's first demo, with mgmt-engine: run
# examples/yaml/file.yaml (f1, f2, f3 with known contents and no f4, under
# /tmp/mgmt/), then, while it runs, `rm f2`, `echo blah > f2` and
# `touch f4`, showing each one undone at once; then stop the engine and
# remove /tmp/mgmt.  It refuses to start if /tmp/mgmt already exists.
#
# The engine is $MGMT_ENGINE (default: mgmt-engine from PATH) with plugins
# from $MGMT_PLUGINS_DIR (default: the installed ones).  From a build tree:
#   MGMT_ENGINE=build/demo/mgmt-engine \
#   MGMT_PLUGINS_DIR=build/demo/plugins/.libs examples/file-demo.sh
set -eu
D=/tmp/mgmt
YAML="$(dirname "$0")/yaml/file.yaml"
ENGINE=${MGMT_ENGINE:-mgmt-engine}

if [ -e "$D" ] || [ -L "$D" ]; then
	echo "file-demo: $D exists; move it away first (the demo removes it)" >&2
	exit 2
fi
LOG=$(mktemp "${TMPDIR:-/tmp}/file-demo.XXXXXX")
if [ -n "${MGMT_PLUGINS_DIR:-}" ]; then
	"$ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$YAML" \
		--converged-timeout=-1 2>"$LOG" &
else
	"$ENGINE" run --yaml "$YAML" --converged-timeout=-1 2>"$LOG" &
fi
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID; rm -rf "$D" "$LOG"' EXIT
trap 'exit 1' INT TERM

ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_for WHAT CMD...: poll CMD every 10 ms (5 s at most), say how long.
wait_for() {
	what=$1
	shift
	t0=$(ms)
	i=0
	until "$@" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge 500 ] || ! kill -0 $PID 2>/dev/null; then
			echo "   ... not $what after 5 s; the engine said:"
			sed 's/^/   | /' "$LOG"
			exit 1
		fi
		sleep 0.01
	done
	echo "   -> $what within $(($(ms) - t0)) ms"
}

is_f2() {
	[ "$(cat $D/f2)" = "i am f2" ]
}

show() {
	for f in f1 f2 f3 f4; do
		if [ -e $D/$f ]; then
			printf '   %s: %s\n' $f "$(cat $D/$f)"
		else
			printf '   %s: (none)\n' $f
		fi
	done
}

echo "== mgmt-engine runs $YAML"
wait_for "converged" grep -q ' info converged$' "$LOG"
show

echo "== rm $D/f2"
rm $D/f2
wait_for "f2 restored" is_f2

echo "== echo blah > $D/f2"
echo blah >$D/f2
wait_for "f2 restored" is_f2

echo "== touch $D/f4"
touch $D/f4
wait_for "f4 removed" test ! -e $D/f4
show

echo "== the engine's log"
sed 's/^/   | /' "$LOG"
echo "== stopping the engine and removing $D"

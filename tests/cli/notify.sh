#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A notify chain file -> exec -> exec with real plugins: each runs once per
# change, at the start and again after a reload that changes the file.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

G="$TMP/g.yaml"
graph() {
	cat >"$G.tmp" <<Y
resources:
  file:
  - {name: f, path: $TMP/f, content: "$1"}
  exec:
  - {name: e1, cmd: "sh -c 'echo e1 >> $TMP/rec'"}
  - {name: e2, cmd: "sh -c 'echo e2 >> $TMP/rec'"}
edges:
- {from: {kind: file, name: f}, to: {kind: exec, name: e1}, notify: true}
- {from: {kind: exec, name: e1}, to: {kind: exec, name: e2}, notify: true}
Y
	mv "$G.tmp" "$G"
}
lines() { wc -l <"$TMP/rec" 2>/dev/null || echo 0; }
# converged lines so far, 0 also before the log file exists
convs() {
	n=$(grep -c ' info converged' "$TMP/log" 2>/dev/null)
	echo "${n:-0}"
}

graph one
engine run --yaml "$G" --converged-timeout=0 2>"$TMP/log0"
ok "one run: exit 0" [ $? -eq 0 ]
ok "each exec ran once, in order" sh -c \
	'[ "$(cat "$1")" = "$(printf "e1\ne2")" ]' _ "$TMP/rec"

rm -f "$TMP/rec"
"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$G" 2>"$TMP/log" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ "$(convs)" -lt 1 ] && [ $i -lt 1500 ]; do
	sleep 0.02
	i=$((i + 1))
done
ok "started: each exec once" [ "$(lines)" -eq 2 ]
graph two
i=0
while [ "$(convs)" -lt 2 ] && [ $i -lt 1500 ]; do
	sleep 0.02
	i=$((i + 1))
done
ok "the changed file was rewritten" sh -c '[ "$(cat "$1")" = two ]' _ "$TMP/f"
ok "the refresh ran each exec once more" sh -c \
	'[ "$(cat "$1")" = "$(printf "e1\ne2\ne1\ne2")" ]' _ "$TMP/rec"
kill -TERM $pid
wait $pid
ok "shuts down cleanly" [ $? -eq 0 ]
[ "$(lines)" -eq 4 ] || diag_file "$TMP/log"
done_testing

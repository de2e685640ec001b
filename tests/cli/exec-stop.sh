#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Shutdown while an exec runs a long command: the engine tells it through
# host->stop_fd, the command's whole process group is stopped, and the
# engine exits without waiting for the command to end by itself.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

cat >"$TMP/long.yaml" <<Y
resources:
  exec:
  - name: long
    cmd: sh -c 'echo \$\$ > $TMP/pid; sleep 300 & echo \$! > $TMP/grandchild; wait'
    shell: /bin/sh
Y
"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$TMP/long.yaml" \
	2>"$TMP/log" &
engine_pid=$!
i=0
while [ ! -s "$TMP/grandchild" ] && [ $i -lt 1000 ]; do
	sleep 0.02
	i=$((i + 1))
done
ok "the command started" test -s "$TMP/grandchild"
kill -TERM $engine_pid
# Guard only: the command alone would take 300 s.
i=0
while kill -0 $engine_pid 2>/dev/null && [ $i -lt 1500 ]; do
	sleep 0.02
	i=$((i + 1))
done
ok "the engine exited without waiting for the command" sh -c \
	'! kill -0 $1 2>/dev/null' _ $engine_pid
kill -KILL $engine_pid 2>/dev/null
wait $engine_pid 2>/dev/null

gone() {
	# gone, or a zombie that init has yet to reap
	[ ! -e /proc/$1 ] || [ "$(cut -d' ' -f3 /proc/$1/stat 2>/dev/null)" = Z ]
}
ok "the command was stopped" gone "$(cat "$TMP/pid")"
ok "its background grandchild too" gone "$(cat "$TMP/grandchild")"
ok "the log says why" grep -q "shutting down: stopping its process group" "$TMP/log"
kill -KILL "$(cat "$TMP/grandchild")" 2>/dev/null
[ -e /proc/"$(cat "$TMP/grandchild")" ] && diag_file "$TMP/log"
done_testing

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
ok "the log says why" grep -q "asked to stop: stopping its process group" "$TMP/log"
kill -KILL "$(cat "$TMP/grandchild")" 2>/dev/null
[ -e /proc/"$(cat "$TMP/grandchild")" ] && diag_file "$TMP/log"

# A reload keeps a running command that it did not change: the new graph is
# swapped in beside it.  A reload that changes the command stops it (its
# whole group), and the new command runs after it ended.
rm -f "$TMP/pid" "$TMP/grandchild"
"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$TMP/long.yaml" \
	2>"$TMP/log2" &
engine_pid=$!
i=0
while [ ! -s "$TMP/grandchild" ] && [ $i -lt 1000 ]; do
	sleep 0.02
	i=$((i + 1))
done
first=$(cat "$TMP/pid")
first_gc=$(cat "$TMP/grandchild")
printf '  noop:\n  - name: more\n' >>"$TMP/long.yaml"
i=0
while ! grep -q "reload: .*(1 new, 0 changed, 0 removed, 1 kept)" "$TMP/log2" 2>/dev/null &&
	[ $i -lt 1500 ]; do
	sleep 0.02
	i=$((i + 1))
done
ok "reload: swapped in without waiting for the command" \
	grep -q "reload: .*(1 new, 0 changed, 0 removed, 1 kept)" "$TMP/log2"
alive() { ! gone "$1"; }
ok "reload: the kept command runs on" alive "$first"
ok "reload: and its grandchild" alive "$first_gc"
sed 's/sleep 300/sleep 301/' "$TMP/long.yaml" >"$TMP/long.tmp"
mv "$TMP/long.tmp" "$TMP/long.yaml"
i=0
while { [ ! -s "$TMP/pid" ] || [ "$(cat "$TMP/pid")" = "$first" ]; } &&
	[ $i -lt 1500 ]; do
	sleep 0.02
	i=$((i + 1))
done
ok "reload: a changed command is stopped" gone "$first"
ok "reload: with its grandchild" gone "$first_gc"
ok "reload: and the new one runs" \
	sh -c '[ -s "$1" ] && [ "$(cat "$1")" != "$2" ]' _ "$TMP/pid" "$first"
kill -TERM $engine_pid
wait $engine_pid
ok "reload: then shuts down cleanly" [ $? -eq 0 ]
kill -KILL "$(cat "$TMP/grandchild" 2>/dev/null)" 2>/dev/null
done_testing

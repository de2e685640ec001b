#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A SIGHUP that comes before the engine's loop takes it (while the graph
# compiles and the run is set up) is a reload once the loop runs, not the
# end of the process.  The engine is held at a known point before its loop
# starts: --graphviz writes to a FIFO, whose open waits for a reader.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

printf 'resources:\n  noop:\n  - {name: a}\n' >"$TMP/g.yaml"
mkfifo "$TMP/dot"
# (SIGHUP at its default: a shell that ignored it would pass that on)
env --default-signal=HUP "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
	run --yaml "$TMP/g.yaml" --graphviz "$TMP/dot" >/dev/null 2>"$TMP/log" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT

# held: the engine waits in the FIFO's open (guarded).
held() {
	i=0
	while [ $i -lt 1500 ]; do
		grep -q 'fifo\|wait_for_partner' "/proc/$PID/wchan" 2>/dev/null &&
			return 0
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}
ok "the engine is held before its loop runs" held
ok "...and has not logged its start" sh -c "! grep -q 'running 1 resources' '$TMP/log'"
kill -HUP $PID
timeout 30 cat "$TMP/dot" >/dev/null
ok "the SIGHUP is taken as a reload once the loop runs" \
	wait_lines 'SIGHUP: reloading' 1 "$TMP/log"
ok "...of the unchanged graph" wait_lines 'reload: .*unchanged (1 resources)' 1 "$TMP/log"
ok "the engine still runs" kill -0 $PID
kill $PID
wait $PID
ok "...and stops on SIGTERM with status 0" [ $? -eq 0 ]
done_testing

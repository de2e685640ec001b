#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Shutdown: once SIGTERM arrives no run starts (what waited for a worker is
# dropped), running ones get their stop signal; a one-shot run stopped
# before it converged exits 3, not 0; a second signal makes the engine exit
# about a second later even when a run ignores its stop signal.  Runs hold
# on files that never appear, so the steps do not depend on timing.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

REC="$TMP/rec"
# wait_exit PID SECONDS: the process is gone within the guard.
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 50)) ]; do
		sleep 0.02
		i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}
run_bg() { # run_bg GRAPH LOG ARGS...: the engine in the background
	g=$1 log=$2
	shift 2
	"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$g" \
		"$@" 2>"$log" &
	pid=$!
}

# 40 runs for 4 workers: 4 start and hold, 36 wait for a worker.
{
	echo "resources:"
	echo "  test:"
	i=0
	while [ $i -lt 40 ]; do
		echo "  - {name: r$i, record: $REC, hold: $TMP/never, meta: {autogroup: false}}"
		i=$((i + 1))
	done
} >"$TMP/many.yaml"
run_bg "$TMP/many.yaml" "$TMP/many.log" --workers 4
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$TMP"' EXIT
ok "4 runs started" wait_lines "^start " 4 "$REC"
kill -TERM $pid
wait $pid
st=$?
ok "SIGTERM: exit 0 (a service stopped)" [ "$st" -eq 0 ]
ok "no run started after SIGTERM" [ "$(count "^start " "$REC")" -eq 4 ]
ok "the running ones were stopped" [ "$(count "^stopped " "$REC")" -eq 4 ]
ok "each was cleaned up" [ "$(count "^cleanup " "$REC")" -eq 40 ]
[ "$T_FAIL" -eq 0 ] || { diag_file "$TMP/many.log"; diag_file "$REC"; }

# A one-shot run stopped before it converged.
rm -f "$REC"
cat >"$TMP/one.yaml" <<Y
resources:
  test:
  - {name: h, record: $REC, hold: $TMP/never}
Y
run_bg "$TMP/one.yaml" "$TMP/one.log" --converged-timeout 0
ok "one-shot: the run started" wait_lines "^start h 1" 1 "$REC"
kill -INT $pid
wait $pid
st=$?
ok "one-shot interrupted before converging: exit 3" [ "$st" -eq 3 ]

# A run that ignores its stop signal: the second SIGTERM ends the engine.
rm -f "$REC"
cat >"$TMP/deaf.yaml" <<Y
resources:
  test:
  - {name: deaf, record: $REC, sleep: 120}
Y
run_bg "$TMP/deaf.yaml" "$TMP/deaf.log"
ok "deaf: the run started" wait_lines "^start deaf 1" 1 "$REC"
kill -TERM $pid
ok "the first SIGTERM is taken" wait_lines "shutting down" 1 "$TMP/deaf.log"
ok "and the engine waits for the run" kill -0 $pid
kill -TERM $pid
ok "a second SIGTERM: the engine exits" wait_exit $pid 20
wait $pid
ok "saying what it left running" \
	grep -q "exiting with 1 resource(s) still running" "$TMP/deaf.log"
[ "$T_FAIL" -eq 0 ] || diag_file "$TMP/deaf.log"
done_testing

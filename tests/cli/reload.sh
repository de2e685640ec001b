#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Reload: the graph file is watched; a changed graph is swapped in without
# re-running what did not change, a broken one is refused (file:line:col)
# while the old graph runs on, and SIGHUP reloads too.  Counts come from the
# test plugin's record of every run.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

G="$TMP/g.yaml"
REC="$TMP/rec"
N=1000

# graph [CHANGED_INDEX] [EXTRA]: N test resources; one may get a parameter.
graph() {
	{
		echo "resources:"
		echo "  test:"
		i=0
		while [ $i -lt $N ]; do
			if [ "$i" = "${1:-}" ]; then
				echo "  - {name: v$i, record: $REC, sleep: 0.001, meta: {autogroup: false}}"
			else
				echo "  - {name: v$i, record: $REC, meta: {autogroup: false}}"
			fi
			i=$((i + 1))
		done
		[ -n "${2:-}" ] && echo "$2"
	} >"$G.tmp"
	mv "$G.tmp" "$G" # as editors save: rename over
}

# wait_for PATTERN COUNT: until the log has COUNT lines matching (guard 30 s).
wait_for() {
	i=0
	while [ "$(matches "$1")" -lt "$2" ] && [ $i -lt 1500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	[ "$(matches "$1")" -ge "$2" ]
}
# lines matching, 0 also before the log file exists
matches() {
	n=$(grep -c -- "$1" "$TMP/log" 2>/dev/null)
	echo "${n:-0}"
}
starts() { grep -c '^start ' "$REC"; }

graph
"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$G" \
	2>"$TMP/log" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$TMP"' EXIT
ok "first convergence" wait_for " info converged" 1
ok "every resource ran once" [ "$(starts)" -eq $N ]

graph 500
ok "a changed resource is reloaded" \
	wait_for "reload: .*: $N resources (0 new, 1 changed, 0 removed, 999 kept)" 1
ok "and converges again" wait_for " info converged" 2
ok "only the changed one ran" [ "$(starts)" -eq $((N + 1)) ]
ok "it was v500" sh -c '[ "$(grep "^start " "$1" | tail -n 1 | cut -d" " -f2)" = v500 ]' _ "$REC"
ok "the replaced one was cleaned up" grep -q "^cleanup v500" "$REC"

printf 'resources:\n  test:\n  - {name: broken, record: %s\n' "$REC" >"$G.tmp"
mv "$G.tmp" "$G"
ok "a broken graph is refused with its position" \
	wait_for "error .*g.yaml:[0-9]*:[0-9]*: " 1
ok "and the running graph stays" wait_for "the running graph stays" 1
ok "nothing ran meanwhile" [ "$(starts)" -eq $((N + 1)) ]

graph 500 "  - {name: extra, record: $REC}"
ok "a later good save is picked up: one new" \
	wait_for "reload: .*: $((N + 1)) resources (1 new, 0 changed, 0 removed, $N kept)" 1
ok "the new one ran, nothing else" sh -c \
	'[ "$(grep -c "^start " "$1")" -eq $(($2 + 2)) ] && grep -q "^start extra" "$1"' _ "$REC" $N

N=999 # v999 and extra go
graph 500
ok "removed resources are cleaned up" \
	wait_for "reload: .*: 999 resources (0 new, 0 changed, 2 removed, 999 kept)" 1
ok "its cleanup hook ran" sh -c 'i=0; while ! grep -q "^cleanup v999" "$1" && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; grep -q "^cleanup v999" "$1"' _ "$REC"

kill -HUP $pid
ok "SIGHUP reloads; an unchanged graph keeps everything" \
	wait_for "reload: .*: unchanged (999 resources)" 1
ok "and runs nothing" sh -c '[ "$(grep -c "^start " "$1")" -eq $(($2 + 2)) ]' _ "$REC" 1000

kill -TERM $pid
wait $pid
ok "shuts down cleanly" [ $? -eq 0 ]
grep -q "reload:" "$TMP/log" || diag_file "$TMP/log"
done_testing

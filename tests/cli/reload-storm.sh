#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A storm of reloads while resources run: 60 graphs drawn at random (fixed
# seeds) from 24 test resources that come and go, change or stay, whose
# groups lose and gain members, with edges that come and go, each swapped
# in while runs of the graph before are still going.  Whatever the interleaving, the engine never runs
# a resource twice at once (the test plugin records an overlap, counting
# every group member, by name across incarnations), survives, converges on
# the last graph and shuts down cleanly.  Sleeps only vary the
# interleavings; no assertion depends on them.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

G="$TMP/g.yaml"
REC="$TMP/rec"
LOG="$TMP/log"

# graph SEED: a random graph, saved as editors do (rename over).
graph() {
	awk -v seed="$1" -v rec="$REC" 'BEGIN {
		srand(seed)
		print "resources:"
		print "  test:"
		n = 0
		for (i = 0; i < 24; i++) {
			if (rand() < 0.15)
				continue
			name[n++] = "r" i
			# a third change each time: the rest is kept, and
			# may be running
			printf "  - {name: r%d, record: %s, sleep: 0.%d", i,
				rec, i % 4 + 1
			if (rand() < 0.33)
				printf ", changes: %d", int(rand() * 3)
			if (i % 2)
				printf ", group: g%d", i % 3
			print "}"
		}
		print "edges:"
		for (e = 0; e < 12; e++) {
			a = int(rand() * n); b = int(rand() * n)
			if (a == b) continue
			if (a > b) { t = a; a = b; b = t }
			printf "- {from: {kind: test, name: %s}, to: {kind: test, name: %s}, notify: %s}\n", \
				name[a], name[b], rand() < 0.5 ? "true" : "false"
		}
	}' >"$G.tmp"
	mv "$G.tmp" "$G"
}
# The reload lines so far: swapped in, unchanged or refused.
reloads() { count "reload: " "$LOG"; }

graph 1
"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$G" \
	2>"$LOG" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$TMP"' EXIT
ok "the first graph runs" wait_lines "^start " 1 "$REC"

seed=2
taken=yes
while [ $seed -le 60 ]; do
	n=$(reloads)
	graph $seed
	wait_lines "reload: " $((n + 1)) "$LOG" || taken=no
	# let some runs begin or end before the next graph, or not
	[ $((seed % 3)) -eq 0 ] && sleep 0.0$((seed % 7))
	seed=$((seed + 1))
done
ok "every one of 59 graphs was taken" [ "$taken" = yes ]
# converged after the last reload line: the last graph's state
settled() {
	tail_state=$(grep -nE " info (unconverged|converged)| info reload: " "$LOG" |
		tail -n 1)
	case $tail_state in *" info converged"*) return 0 ;; esac
	return 1
}
i=0
while ! settled && [ $i -lt 1500 ]; do
	sleep 0.02
	i=$((i + 1))
done
ok "the last graph converges" settled
ok "no resource ever ran twice at once" [ "$(count "^overlap " "$REC")" -eq 0 ]
ok "no run failed" [ "$(count " error " "$LOG")" -eq 0 ]
kill -TERM $pid
wait $pid
ok "shuts down cleanly" [ $? -eq 0 ]
[ "$T_FAIL" -eq 0 ] || { diag_file "$LOG"; grep "^overlap" "$REC" | diag_file /dev/stdin; }
done_testing

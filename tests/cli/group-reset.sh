#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Per-group state has a defined life across reloads (mgmt/plugin.h,
# group_reset): each time a graph starts, every resource forgets the group
# it led, then its leader hears of each member once.  The test plugin
# counts the members its group hook told a leader of since the last reset:
# without the reset the count grew on every reload (3, 5, 7, ...).
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

G="$TMP/g.yaml"
REC="$TMP/rec"
graph() {
	{
		echo "resources:"
		echo "  test:"
		for n in "$@"; do
			case $n in
			g*) echo "  - {name: $n, record: $REC, group: g}" ;;
			*) echo "  - {name: $n, record: $REC}" ;;
			esac
		done
	} >"$G.tmp"
	mv "$G.tmp" "$G"
}

graph ga gb gc x
"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$G" \
	2>"$TMP/log" >/dev/null &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$TMP"' EXIT
ok "first convergence" wait_lines " info converged" 1 "$TMP/log"
ok "the leader heard of two members" \
	[ "$(grep -c "^joined ga g[bc] [12]$" "$REC")" -eq 2 ]

graph ga gb gc x y
ok "a reload that keeps the group" wait_lines "reload: .*(1 new," 1 "$TMP/log"
ok "...converges" wait_lines " info converged" 2 "$TMP/log"
graph ga gb x y
ok "a reload that takes a member away" \
	wait_lines "reload: .*(0 new, 0 changed, 1 removed," 1 "$TMP/log"
kill -TERM $pid
wait $pid

ok "every resource forgot its group at each start (3 times)" \
	[ "$(grep -c "^reset ga$" "$REC")" -eq 3 ]
ok "...ungrouped ones too" [ "$(grep -c "^reset x$" "$REC")" -eq 3 ]
ok "the leader's count never passed the members it has" \
	sh -c "! grep -q '^joined ga g[bc] [3-9]' '$REC'"
ok "after the member left, the group is the leader and one member" \
	[ "$(grep '^joined ' "$REC" | tail -n 1)" = "joined ga gb 1" ]
ok "a reset comes before every join of a formation" \
	sh -c "grep -E '^(reset ga|joined ga)' '$REC' | awk '/^reset/ { n = 0; next } { n++ } n > 2 { bad = 1 } END { exit bad }'"
done_testing

#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Reload while resources run: a touch, SIGHUP, a save of the same text and a
# rejected save stop nothing; a kept running resource goes on and its result
# reaches the new graph (a child added meanwhile runs after it, refreshed);
# only a changed or removed running resource gets its stop signal, and what
# replaces it starts after its run ended.  Runs hold on files the test
# creates, so every step happens while they run, whatever the machine's
# speed; the test plugin's record gives the order.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

G="$TMP/g.yaml"
REC="$TMP/rec"
LOG="$TMP/log"

save() { # as editors save: rename over
	cat >"$G.tmp"
	mv "$G.tmp" "$G"
}
wait_for() { # wait_for PATTERN COUNT [FILE]
	wait_lines "$1" "$2" "${3:-$LOG}"
}
# before A B: the first line matching A comes before the first matching B.
before() {
	a=$(grep -n -m1 -- "$1" "$REC" | cut -d: -f1)
	b=$(grep -n -m1 -- "$2" "$REC" | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
# nth_line N PATTERN: line number of the Nth match in the record.
nth_line() {
	grep -n -- "$2" "$REC" | sed -n "$1p" | cut -d: -f1
}

V1="resources:
  test:
  - {name: long, record: $REC, hold: $TMP/go, changes: 1}
  - {name: other, record: $REC}"
echo "$V1" | save

"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$G" \
	2>"$LOG" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$TMP"' EXIT
ok "the long run started" wait_for "^start long 1 " 1 "$REC"

touch "$G"
ok "touch: compiled, found unchanged" wait_for "reload: .*unchanged" 1
kill -HUP $pid
ok "SIGHUP: unchanged" wait_for "reload: .*unchanged" 2
echo "$V1" | save
ok "a save of the same text: unchanged" wait_for "reload: .*unchanged" 3
printf 'resources:\n  test:\n  - {name: long, record: %s\n' "$REC" | save
ok "a broken save is refused" wait_for "the running graph stays" 1
echo "$V1" | save
ok "and restoring it: unchanged" wait_for "reload: .*unchanged" 4
ok "none of it stopped the run" [ "$(count "^stopped" "$REC")" -eq 0 ]

# A child added while `long` runs: it waits for long's run, which counts in
# the new graph, and gets long's refresh.
E="edges:
- {from: {kind: test, name: long}, to: {kind: test, name: child}, notify: true}"
V1="$V1
  - {name: child, record: $REC}"
echo "$V1
$E" | save
ok "a graph with a new child is swapped in" \
	wait_for "reload: .*(1 new, 0 changed, 0 removed, 2 kept)" 1
ok "the running resource was kept running" [ "$(count "^stopped" "$REC")" -eq 0 ]
ok "the child waits for it" [ "$(count "^start child" "$REC")" -eq 0 ]
touch "$TMP/go"
ok "the child runs" wait_for "^end child 1 " 1 "$REC"
ok "after the kept run ended" before "^end long 1 " "^start child 1 "
ok "refreshed by it" grep -q "^refreshed child 1" "$REC"
ok "long ran once in all" [ "$(count "^start long " "$REC")" -eq 1 ]
ok "and converges" wait_for " info converged" 1

# A changed running resource is stopped; the new one starts after the old
# one's run ended and it was cleaned up.
echo "$V1
  - {name: busy, record: $REC, hold: $TMP/never}
$E" | save
ok "busy started" wait_for "^start busy 1 " 1 "$REC"
echo "$V1
  - {name: busy, record: $REC, changes: 1}
$E" | save
ok "changing it reloads: 1 changed" \
	wait_for "reload: .*(0 new, 1 changed, 0 removed, 3 kept)" 1
ok "its run got the stop signal" wait_for "^stopped busy 1" 1 "$REC"
ok "the new one ran" wait_for "^end busy 1 " 2 "$REC"
ok "after the old run ended" sh -c '[ "$1" -lt "$2" ]' _ \
	"$(nth_line 1 "^end busy ")" "$(nth_line 2 "^start busy ")"
ok "and the old one was cleaned up" sh -c '[ "$1" -lt "$2" ] && [ "$2" -lt "$3" ]' _ \
	"$(nth_line 1 "^end busy ")" "$(nth_line 1 "^cleanup busy")" \
	"$(nth_line 2 "^init busy")"
ok "the stop is logged as the reload's" grep -q "Test\[busy\]: stopped by the reload" "$LOG"

# A removed running resource: stopped, then cleaned up.
echo "$V1
  - {name: busy, record: $REC, changes: 1}
  - {name: gone, record: $REC, hold: $TMP/never}
$E" | save
ok "gone started" wait_for "^start gone 1 " 1 "$REC"
echo "$V1
  - {name: busy, record: $REC, changes: 1}
$E" | save
ok "removing it reloads: 1 removed" \
	wait_for "reload: .*(0 new, 0 changed, 1 removed, 4 kept)" 1
ok "its run got the stop signal" wait_for "^stopped gone 1" 1 "$REC"
ok "it was cleaned up after its run" wait_for "^cleanup gone" 1 "$REC"
ok "cleanup came after the run's end" before "^end gone 1 " "^cleanup gone"
ok "nothing else was stopped" [ "$(count "^stopped" "$REC")" -eq 2 ]

# Removed while it runs (its run ignores the stop signal), then put back:
# the one put back waits for the old run, as a changed one does.
# swap_in: save stdin as the graph, wait for its reload line, print it.
swap_in() {
	n=$(count "reload: .*resources (" "$LOG")
	save
	wait_for "reload: .*resources (" $((n + 1)) &&
		grep "reload: .*resources (" "$LOG" | tail -n 1
}
V4="$V1
  - {name: busy, record: $REC, changes: 1}"
echo "$V4
  - {name: back, record: $REC, hold: $TMP/go3, deaf: true}
$E" | swap_in >/dev/null
ok "back started" wait_for "^start back 1 " 1 "$REC"
ok "back removed" sh -c 'echo "$1" | grep -q "(0 new, 0 changed, 1 removed, 4 kept)"' _ \
	"$(echo "$V4
$E" | swap_in)"
ok "and put back" sh -c 'echo "$1" | grep -q "(1 new, 0 changed, 0 removed, 4 kept)"' _ \
	"$(echo "$V4
  - {name: back, record: $REC}
$E" | swap_in)"
ok "the one put back waits for the old run" \
	[ "$(count "^init back" "$REC")" -eq 1 ]
touch "$TMP/go3"
ok "then starts" wait_for "^start back " 2 "$REC"
ok "after the old one's run ended and it was cleaned up" sh -c \
	'[ "$1" -lt "$2" ] && [ "$2" -lt "$3" ] && [ "$3" -lt "$4" ]' _ \
	"$(nth_line 1 "^end back ")" "$(nth_line 1 "^cleanup back")" \
	"$(nth_line 2 "^init back")" "$(nth_line 2 "^start back ")"

# A group whose leader runs: a member added by a reload joins (the group
# hook) only after that run ended, and the next run covers it.
V3="$V1
  - {name: busy, record: $REC, changes: 1}
  - {name: ga, record: $REC, group: g, hold: $TMP/go2}
  - {name: gb, record: $REC, group: g}"
echo "$V3
$E" | save
ok "the group's run started" wait_for "^start ga 1 " 1 "$REC"
echo "$V3
  - {name: gc, record: $REC, group: g}
$E" | save
ok "a new member: reloaded" \
	wait_for "reload: .*(1 new, 0 changed, 0 removed, 6 kept)" 1
ok "it has not joined while the leader runs" \
	[ "$(count "^joined ga gc" "$REC")" -eq 0 ]
touch "$TMP/go2"
ok "the next run covers it" wait_for "^member ga 2 gc 1" 1 "$REC"
ok "the held run covered gb, not gc" sh -c \
	'grep -q "^member ga 1 gb " "$1" && ! grep -q "^member ga 1 gc " "$1"' _ "$REC"
ok "it joined after the run ended" before "^end ga 1 " "^joined ga gc"
ok "the group's run was never stopped" [ "$(count "^stopped ga" "$REC")" -eq 0 ]

kill -TERM $pid
wait $pid
ok "shuts down cleanly" [ $? -eq 0 ]
[ "$T_FAIL" -eq 0 ] || { diag_file "$LOG"; diag_file "$REC"; }
done_testing

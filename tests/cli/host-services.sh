#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The host services no bundled plugin calls (mgmt/host.h), probed by the test
# plugin's `services` resources: watch_signal delivers SIGUSR1 with its number
# and the callback's dirty re-runs the resource; the engine's own signals
# (SIGINT, SIGTERM, SIGHUP, SIGCHLD) are refused with EINVAL; a resource's
# signal watch is gone once a reload removed it; hostname is --hostname; now
# is in seconds and never goes back; name, kind and params describe the
# resource, from the loop thread and from a worker.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

G="$TMP/g.yaml"
REC="$TMP/rec"

# graph NAME...: one services resource each (the same line for a name each
# time, so a reload keeps it).
graph() {
	{
		echo "resources:"
		echo "  test:"
		for n in "$@"; do
			echo "  - {name: $n, record: $REC, services: true, meta: {autogroup: false}}"
		done
	} >"$G.tmp"
	mv "$G.tmp" "$G" # as editors save: rename over
}

graph s1 s2
"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$G" \
	--hostname some-test-host --prefix "$TMP/prefix" 2>"$TMP/log" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$TMP"' EXIT
ok "first convergence" wait_lines " info converged" 1 "$TMP/log"
ok "each resource ran once" sh -c \
	'[ "$(grep -c "^start s1 " "$1")" -eq 1 ] && [ "$(grep -c "^start s2 " "$1")" -eq 1 ]' _ "$REC"

for s in SIGINT SIGTERM SIGHUP SIGCHLD; do
	ok "watch_signal($s) is refused with EINVAL (the engine's own)" sh -c \
		'[ "$(grep -c "^services watch_signal s[12] $2 refused EINVAL$" "$1")" -eq 2 ]' _ "$REC" "$s"
done

ok "hostname is --hostname" \
	grep -q "^services hostname s1 some-test-host$" "$REC"
for w in watch run; do
	ok "name, kind and params from the $w hook: the resource's own" \
		grep -q "^services self $w s1 test params-is-p$" "$REC"
done

# SIGUSR1 reaches both watches; each callback's dirty runs its resource again.
kill -USR1 $pid
ok "SIGUSR1 reaches the watch of s1" wait_lines "^signal s1 " 1 "$REC"
ok "...and of s2" wait_lines "^signal s2 " 1 "$REC"
ok "the callback gets the signal's number" sh -c \
	'n=$(grep "^signal s1 " "$1" | cut -d" " -f3) && [ "$(kill -l "$n")" = USR1 ]' _ "$REC"
ok "its dirty runs s1 a second time" wait_lines "^start s1 2 " 1 "$REC"
ok "...and s2" wait_lines "^start s2 2 " 1 "$REC"

# s1 goes; s2 stays with its watch, so SIGUSR1 keeps a handler (its default
# action would end the engine) and one delivery reaches every watch left.
graph s2
ok "a reload removes s1" wait_lines "^cleanup s1 " 1 "$REC"
kill -USR1 $pid
ok "SIGUSR1 still reaches s2" wait_lines "^signal s2 " 2 "$REC"
ok "...which runs a third time" wait_lines "^start s2 3 " 1 "$REC"
kill -TERM $pid
wait $pid
rc=$?
ok "SIGTERM still stops the engine: exit 0" [ "$rc" -eq 0 ]
# every callback of that delivery ran in the same loop turn as s2's, before
# the engine exited: none may have been s1's
ok "the removed resource's watch was not called again" \
	[ "$(grep -c "^signal s1 " "$REC")" -eq 1 ]

# now: seconds (a 50 ms sleep is at least 0.05 and far less than 5), and
# never back, within a run or from one run to the next of a resource.
ok "now is in seconds: a 50 ms sleep measures >= 0.05 (guard: < 5)" awk '
	$1 == "services" && $2 == "now" {
		n++
		d = $6 - $5
		if (!(d >= 0.05 && d < 5)) { print "# " $0; bad = 1 }
	}
	END { exit bad || n < 5 }' "$REC"
ok "now never decreases from run to run" awk '
	$1 == "services" && $2 == "now" {
		if (($3 in last) && $5 < last[$3]) { print "# " $0; bad = 1 }
		if ($6 < $5) { print "# " $0; bad = 1 }
		last[$3] = $6
	}
	END { exit bad }' "$REC"
ok "no error logged" sh -c "! grep -q ' error ' '$TMP/log'"
[ "$T_FAIL" -eq 0 ] || diag_file "$REC"
done_testing

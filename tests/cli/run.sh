#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `run` end to end: convergence and exit statuses, log format, --graphviz,
# and a clean shutdown on SIGTERM while a resource is running.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

T="$MGMT_TEST_PLUGINS_DIR"

cat >"$TMP/ok.yaml" <<'Y'
resources:
  noop:
  - name: a
  - name: b
edges:
- {from: {kind: noop, name: a}, to: {kind: noop, name: b}}
Y
engine run --yaml "$TMP/ok.yaml" --converged-timeout=0 --graphviz "$TMP/ok.dot" 2>"$TMP/ok.err"
st=$?
ok "run converges and exits 0" [ "$st" -eq 0 ]
ok "log lines are 'time level message'" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z info converged$' "$TMP/ok.err"
ok "--graphviz wrote the graph" grep -q '"Noop\[a\]"' "$TMP/ok.dot"
[ "$st" -eq 0 ] || diag_file "$TMP/ok.err"

cat >"$TMP/fail.yaml" <<'Y'
resources:
  test:
  - {name: bad, fail: 100}
  - {name: after}
  noop:
  - name: other
edges:
- {from: {kind: test, name: bad}, to: {kind: test, name: after}}
Y
"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" --plugins-dir "$T" \
	run --yaml "$TMP/fail.yaml" --converged-timeout 0 2>"$TMP/fail.err"
st=$?
ok "a failed resource: exit 1" [ "$st" -eq 1 ]
ok "the failure is logged as Test[bad]" grep -q 'error Test\[bad\]: failed' "$TMP/fail.err"
ok "'converged' says what failed and what waits" grep -q \
	'info converged with failures: 1 resource(s) failed (the first: test\[bad\]) and 1 wait for them' \
	"$TMP/fail.err"
[ "$st" -eq 1 ] || diag_file "$TMP/fail.err"

cat >"$TMP/invalid.yaml" <<'Y'
resources:
  noop:
  - {name: a, bogus: 1}
Y
engine run --yaml "$TMP/invalid.yaml" --converged-timeout 0 2>"$TMP/inv.err"
ok "an invalid graph: exit 2, nothing run" sh -c '[ $1 -eq 2 ] && ! grep -q converged "$2"' _ $? "$TMP/inv.err"

ok "run without --yaml: exit 2" sh -c '"$MGMT_ENGINE" run 2>/dev/null; [ $? -eq 2 ]'
ok "bad --converged-timeout: exit 2" sh -c \
	'"$MGMT_ENGINE" run --yaml x --converged-timeout=soon 2>/dev/null; [ $? -eq 2 ]'

# SIGTERM while a resource sleeps: the engine waits for it, runs cleanup
# hooks, and exits 0.
cat >"$TMP/sleep.yaml" <<Y
resources:
  test:
  - {name: s, record: "$TMP/rec", sleep: 2}
Y
"$MGMT_ENGINE" --plugins-dir "$T" run --yaml "$TMP/sleep.yaml" 2>"$TMP/sleep.err" &
pid=$!
i=0
while ! grep -q "^start s" "$TMP/rec" 2>/dev/null && [ $i -lt 600 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
st=$?
ok "SIGTERM: exit 0" [ "$st" -eq 0 ]
ok "SIGTERM: the running resource finished first" sh -c \
	'grep -q "^end s 1" "$1" && [ "$(tail -n 1 "$1" | cut -d" " -f1)" = cleanup ]' _ "$TMP/rec"
ok "SIGTERM: logged the shutdown" grep -q "shutting down" "$TMP/sleep.err"
[ "$st" -eq 0 ] || diag_file "$TMP/sleep.err"

done_testing

#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mgmt's timer example (examples/yaml/timer-exec.yaml) with a 0.2 s interval
# instead of 3 s: the exec after the timer prints hello world on every tick.
# Waits for three lines (a 30 s guard, not a timing assertion), then stops
# the engine with SIGTERM.  Also: the parallel example validates, and a bad
# command is refused before anything runs.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

EX="$MGMT_TOP_SRCDIR/examples/yaml"

sed 's/^    interval: 3$/    interval: 0.2/' "$EX/timer-exec.yaml" >"$TMP/timer.yaml"
ok "the 0.2 s variant differs from the example only in its interval" \
	sh -c '[ "$(diff "$1" "$2" | grep -c "^[<>]")" -eq 2 ]' _ \
	"$EX/timer-exec.yaml" "$TMP/timer.yaml"

"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$TMP/timer.yaml" \
	2>"$TMP/timer.err" &
pid=$!
# the count, 0 also before the engine's shell has created the file
hellos() {
	n=$(grep -c 'info Exec\[exec1\]: hello world$' "$TMP/timer.err" 2>/dev/null)
	echo "${n:-0}"
}
i=0
while [ "$(hellos)" -lt 3 ] && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
kill -TERM $pid 2>/dev/null
wait $pid
st=$?
ok "hello world, again and again" \
	sh -c '[ "$(grep -c "info Exec\[exec1\]: hello world$" "$1")" -ge 3 ]' _ "$TMP/timer.err"
ok "each hello world follows a run of the exec" \
	sh -c '[ "$(grep -c "info Exec\[exec1\]: running: echo hello world$" "$1")" -ge 3 ]' _ "$TMP/timer.err"
ok "SIGTERM: exit 0" [ "$st" -eq 0 ]
[ "$st" -eq 0 ] || diag_file "$TMP/timer.err"

for g in graph8 graph8-fast timer-exec exec-watch; do
	engine validate "$EX/$g.yaml" >"$TMP/validate.out" 2>&1
	ok "examples/yaml/$g.yaml validates" [ $? -eq 0 ]
done

cat >"$TMP/bad.yaml" <<'Y'
resources:
  exec:
  - name: bad
    cmd: "echo 'unbalanced"
  - name: never
    cmd: touch SHOULD-NOT-EXIST
Y
(cd "$TMP" && "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
	--yaml bad.yaml --converged-timeout=0 2>bad.err)
st=$?
ok "a bad command: exit 2" [ "$st" -eq 2 ]
ok "a bad command: said where" grep -q "bad.yaml:4:10: exec\[bad\]: cmd: has an unbalanced single quote" "$TMP/bad.err"
ok "a bad command: nothing ran" [ ! -e "$TMP/SHOULD-NOT-EXIST" ]

done_testing

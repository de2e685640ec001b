#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A graph directory: every *.yaml in it (not hidden), in name order, is a
# part of one graph.  Names are unique across the parts and edges cross
# them; each error names its own file; validate, graph and run take the
# directory; the reload watch sees a part added, saved or removed, and a
# broken part keeps the running graph.  Runs are counted from the test
# plugin's record.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

D="$TMP/graph.d"
REC="$TMP/rec"
mkdir -p "$D"
tengine() {
	"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" "$@"
}
# part NAME TEXT: write a part as editors save it (rename over).
part() {
	printf '%s\n' "$2" >"$D/.$1.tmp"
	mv "$D/.$1.tmp" "$D/$1"
}

part 10-a.yaml "graph: first
resources:
  test:
  - {name: a, record: $REC}
edges:
- {from: {kind: test, name: a}, to: {kind: test, name: b}}"
part 20-b.yaml "graph: second
resources:
  test:
  - {name: b, record: $REC}"
# Not parts: another suffix, a hidden file, a subdirectory.
echo 'not: [yaml' >"$D/notes.txt"
echo 'not: [yaml' >"$D/.hidden.yaml"
mkdir "$D/sub"
echo 'not: [yaml' >"$D/sub/c.yaml"

tengine validate "$D" >"$TMP/v.out" 2>"$TMP/v.err"
ok "validate DIR: the parts are one graph, an edge crosses them" \
	grep -qx "$D: ok (2 resources, 1 edges)" "$TMP/v.out"
[ -s "$TMP/v.err" ] && diag_file "$TMP/v.err"
tengine graph --format json "$D" >"$TMP/g.json" 2>/dev/null
ok "graph DIR: the edge from one part to the other" \
	grep -q '"from": "test\[a\]", "to": "test\[b\]"' "$TMP/g.json"

# Errors: each at its own file's position, in file order, all or nothing.
part 05-c.yaml "resources:
  test:
  - {name: c, bogus: 1}"
part 30-d.yaml "resources:
  test:
  - {name: a, record: $REC}"
tengine validate "$D" >"$TMP/bad.out" 2>"$TMP/bad.err"
st=$?
ok "a bad part: exit 2, nothing printed on stdout" \
	sh -c '[ "$1" -eq 2 ] && [ ! -s "$2" ]' _ $st "$TMP/bad.out"
ok "each error names its own file" sh -c \
	'[ "$(cat "$1")" = "$2/05-c.yaml:3:15: test[c]: unknown parameter '"'"'bogus'"'"'
$2/30-d.yaml:3:5: test[a]: duplicate name (first defined at $2/10-a.yaml:4:5)
$2: 2 errors; nothing was changed" ]' _ "$TMP/bad.err" "$D"
[ $st -eq 2 ] || diag_file "$TMP/bad.err"
rm "$D/05-c.yaml" "$D/30-d.yaml"

mkdir "$D/40-dir.yaml"
tengine validate "$D" >/dev/null 2>"$TMP/dir.err"
ok "a part that is not a regular file is an error" \
	grep -qx "$D/40-dir.yaml: cannot read: not a regular file" "$TMP/dir.err"
rmdir "$D/40-dir.yaml"

mkdir "$TMP/empty.d"
ok "an empty directory is an empty graph" sh -c \
	'"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" validate "$1" | grep -qx "$1: ok (0 resources, 0 edges)"' _ "$TMP/empty.d"

# run DIR, then change the directory under it.
# (the engine itself, not a function: $! must be its pid for the kills)
"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$D" \
	>/dev/null 2>"$TMP/log" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$TMP"' EXIT
ok "run DIR converges" wait_lines " info converged" 1 "$TMP/log"
ok "a before b: the edge across parts is kept" sh -c \
	'[ "$(grep "^start " "$1" | cut -d" " -f2 | tr "\n" " ")" = "a b " ]' _ "$REC"

part 15-c.yaml "resources:
  test:
  - {name: c, record: $REC}"
ok "a part added: reloaded, one new" \
	wait_lines "reload: $D: 3 resources (1 new, 0 changed, 0 removed, 2 kept)" 1 "$TMP/log"
ok "and converges again" wait_lines " info converged" 2 "$TMP/log"
ok "only the new one ran" sh -c \
	'[ "$(grep -c "^start " "$1")" -eq 3 ] && [ "$(grep "^start " "$1" | tail -n 1 | cut -d" " -f2)" = c ]' _ "$REC"

part 15-c.yaml "resources:
  test:
  - {name: c, record: $REC
"
ok "a broken part: the error in its file" \
	wait_lines "error .*$D/15-c.yaml:[0-9]*:[0-9]*: " 1 "$TMP/log"
ok "and the running graph stays" wait_lines "the running graph stays" 1 "$TMP/log"

rm "$D/15-c.yaml"
ok "a part removed: its resources go" \
	wait_lines "reload: $D: 2 resources (0 new, 0 changed, 1 removed, 2 kept)" 1 "$TMP/log"
ok "and are cleaned up" wait_lines "^cleanup c" 1 "$REC"
ok "nothing else ran" [ "$(count "^start " "$REC")" -eq 3 ]

echo 'not: [yaml' >"$D/notes.txt.new"
mv "$D/notes.txt.new" "$D/notes.txt"
kill -TERM $pid
wait $pid
ok "a file that is no part changes nothing: no reload" \
	[ "$(count "reload: " "$TMP/log")" -eq 3 ]
[ "$(count "reload: " "$TMP/log")" -eq 3 ] || diag_file "$TMP/log"

done_testing

#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# conflicts.sh - two resources of one kind that manage one thing (one uid)
# are a compile error, so `validate`, `graph` and `run` all refuse the graph
# with both positions and change nothing (doc/graph-format.md, "Uids and
# conflicts"): two files at one path would rewrite each other forever.  With
# the bundled kinds: a file and a directory at one path are one thing (the
# file kind's uid has no trailing '/'), and the automatic edges, which name
# resources by those same uids, still order a file after its directory and a
# unit after its file.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

D="$TMP/srv"

# has_line WANT FILE: FILE (a command's stderr) has the exact line WANT.
has_line() {
	grep -qxF -- "$1" "$2" || { diag_file "$2"; false; }
}

cat >"$TMP/g.yaml" <<Y
resources:
  file:
  - name: a
    path: "$D/x"
    content: "a\n"
  - name: other
    path: "$D/y"
  - name: b
    path: "$D/x"
    content: "b\n"
Y
want="$TMP/g.yaml:8:5: file[b]: $D/x is also managed by file[a] ($TMP/g.yaml:3:5)"

engine validate "$TMP/g.yaml" >/dev/null 2>"$TMP/validate.err"
ok "validate: two files at one path: exit 2" [ $? -eq 2 ]
ok "validate: one line naming both positions" has_line "$want" "$TMP/validate.err"
ok "validate: nothing else is reported" \
	[ "$(grep -c "also managed" "$TMP/validate.err")" -eq 1 ]

engine graph "$TMP/g.yaml" >/dev/null 2>"$TMP/graph.err"
ok "graph: exit 2" [ $? -eq 2 ]
ok "graph: the same line" has_line "$want" "$TMP/graph.err"

engine run --yaml "$TMP/g.yaml" --converged-timeout 0 >/dev/null 2>"$TMP/run.err"
ok "run: exit 2" [ $? -eq 2 ]
ok "run: the same line" has_line "$want" "$TMP/run.err"
ok "run: nothing was written" [ ! -e "$D" ]

# A file and a directory at one path; meta autoedge: false changes nothing.
cat >"$TMP/dir.yaml" <<Y
resources:
  file:
  - name: dir
    path: "$D/x/"
    meta: {autoedge: false}
  - name: file
    path: "$D/x"
    meta: {autoedge: false}
Y
engine validate "$TMP/dir.yaml" >/dev/null 2>"$TMP/dir.err"
ok "a file and a directory at one path: exit 2" [ $? -eq 2 ]
ok "named by the path without '/', both positions" has_line \
	"$TMP/dir.yaml:6:5: file[file]: $D/x is also managed by file[dir] ($TMP/dir.yaml:3:5)" \
	"$TMP/dir.err"

# Automatic edges by the same uids: a file after its directory's resource.
cat >"$TMP/edges.yaml" <<Y
resources:
  file:
  - name: f
    path: "$D/d/f"
  - name: d
    path: "$D/d/"
Y
engine graph --no-autogroup --format json "$TMP/edges.yaml" \
	>"$TMP/edges.json" 2>"$TMP/edges.err"
ok "a file and its directory compile" [ $? -eq 0 ]
ok "the file comes after its directory" \
	grep -qF '{"from": "file[d]", "to": "file[f]", "notify": false}' \
	"$TMP/edges.json"

if [ -e "$MGMT_PLUGINS_DIR/svc.so" ]; then
	# `graph` only compiles: nothing here talks to systemd.
	cat >"$TMP/svc.yaml" <<Y
resources:
  file:
  - name: unit
    path: /etc/systemd/system/conflicts-test.service
    content: "[Service]\n"
  svc:
  - name: conflicts-test
Y
	engine graph --no-autogroup --format json "$TMP/svc.yaml" \
		>"$TMP/svc.json" 2>"$TMP/svc.err"
	ok "svc after the file of its unit" \
		grep -qF '{"from": "file[unit]", "to": "svc[conflicts-test]"' \
		"$TMP/svc.json"
	# Another kind's uid, checked by the engine alike: one unit twice.
	cat >"$TMP/svc2.yaml" <<Y
resources:
  svc:
  - name: conflicts-test
  - name: conflicts-test.service
Y
	engine validate "$TMP/svc2.yaml" >/dev/null 2>"$TMP/svc2.err"
	ok "one unit twice: exit 2" [ $? -eq 2 ]
	ok "one unit twice: named by the unit" has_line \
		"$TMP/svc2.yaml:4:5: svc[conflicts-test.service]: conflicts-test.service is also managed by svc[conflicts-test] ($TMP/svc2.yaml:3:5)" \
		"$TMP/svc2.err"
	# The user's manager's unit is not the system's of the same name.
	cat >"$TMP/svc3.yaml" <<Y
resources:
  svc:
  - name: conflicts-test
  - name: conflicts-test.service
    session: true
Y
	ok "one unit name, system and session: no conflict" \
		engine validate "$TMP/svc3.yaml"
else
	skip "svc after the file of its unit" "no svc plugin built"
	skip "one unit twice" "no svc plugin built"
	skip "system and session" "no svc plugin built"
fi

done_testing

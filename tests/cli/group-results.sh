#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# group-results.sh - a group whose plugin reports each member's result
# (host->member_result): two files of one directory are one group (the file
# kind groups by directory); one of them cannot be written (its path is a
# directory), so it fails, and only the exec after it waits: the exec after
# the file that was written runs.  The log names the failed member, and the
# run exits 1.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

mkdir -p "$TMP/d/b"
cat >"$TMP/g.yaml" <<Y
resources:
  file:
  - {name: fa, path: $TMP/d/a, content: "a\n"}
  - {name: fb, path: $TMP/d/b, content: "b\n"}
  exec:
  - {name: ea, cmd: "touch $TMP/ea-ran"}
  - {name: eb, cmd: "touch $TMP/eb-ran"}
edges:
- {from: {kind: file, name: fa}, to: {kind: exec, name: ea}}
- {from: {kind: file, name: fb}, to: {kind: exec, name: eb}}
Y
engine run --yaml "$TMP/g.yaml" --converged-timeout 0 >/dev/null 2>"$TMP/log"
rc=$?
ok "the run exits 1 (a resource failed)" [ "$rc" -eq 1 ]
ok "the two files were one group" grep -q "Grouping: 2 resources into File\[fa\]" "$TMP/log"
ok "the file that could be written was" [ "$(cat "$TMP/d/a")" = a ]
ok "the exec after it ran" [ -e "$TMP/ea-ran" ]
ok "the exec after the failed file did not" [ ! -e "$TMP/eb-ran" ]
ok "the failure is logged by the failed member, with its share of the group" \
	grep -q "File\[fb\]: failed (error -1) (1 of the 2 members of its group); resources after it wait" "$TMP/log"
ok "one resource failed, not the group" grep -q " 1 resource(s) failed$" "$TMP/log"
done_testing

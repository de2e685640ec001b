#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# etcd down, at the start and in the middle of a run: the local graph runs
# on, one line says the link is down (not one per retry), and once etcd is
# back the exports are there again and every change made meanwhile reaches
# the collecting hosts (the watch resumes from the last revision seen).
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
etcd_start 1 || not_available "etcd does not start on loopback here"
P=/mgmt-engine/exported

for h in a b; do
	demo_graph $h "$TMP/$h.yaml"
done
# Every host trusts the others' keys (doc/etcd.md, "Trust").
trust_hosts A B

# Down at the start.
etcd_kill 1
host_start A "$TMP/a.yaml"
host_start B "$TMP/b.yaml"
ok "etcd down at the start is reported" \
	wait_for 20 log_has A "cannot reach any endpoint"
# (by B too before etcd comes up: else B, its first request still out, may
# say "connected to" rather than that its connection is back)
ok "...by both hosts" wait_for 20 log_has B "cannot reach any endpoint"
ok "the local graph runs without it" \
	wait_for 20 has_files 2 "$TMP/mgmtA"
ok "etcd comes up" etcd_restart 1
ok "the hosts connect" wait_for 20 log_has B "etcd: connection is back"
ok "and converge: 2 own + 4 exported files each" \
	wait_for 30 has_files 12 "$TMP/mgmtA" "$TMP/mgmtB"
ok "the state change was logged once, not per retry" \
	is "$(grep -c 'cannot reach any endpoint' "$TMP/A.log")" 1

# Down in the middle; B changes its exports meanwhile.
etcd_kill 1
ok "a lost etcd is reported" wait_for 20 log_has A "connection lost"
ok "by both hosts" wait_for 20 log_has B "connection lost"
cat >>"$TMP/b.yaml.new" <<EOT
$(sed '/^collect:/,$d' "$TMP/b.yaml")
  - name: "@@file5b"
    path: "$TMP/mgmtB/f5b"
    content: |
      i am f5, exported from host B while etcd was down
collect:
- kind: file
  pattern: "$TMP/mgmtB/"
EOT
mv "$TMP/b.yaml.new" "$TMP/b.yaml"
ok "B reloads its graph while etcd is down" \
	wait_for 20 log_has B "reload: .*b.yaml"
ok "etcd comes back" etcd_restart 1
ok "the link is back" wait_for 20 log_has A "connection is back"
ok "the export made meanwhile is collected" \
	wait_for 30 has_files 14 "$TMP/mgmtA" "$TMP/mgmtB"
ok "with its content" \
	grep -qx 'i am f5, exported from host B while etcd was down' \
	"$TMP/mgmtA/f5b"
ok "nothing was lost: A's exports are there" nkeys $P/A/ 2
ok "and B's three" nkeys $P/B/ 3
ok "one line per state change" \
	is "$(grep -c 'connection lost' "$TMP/A.log")" 1
ok "host A stops cleanly" host_stop A
ok "host B stops cleanly" host_stop B
done_testing

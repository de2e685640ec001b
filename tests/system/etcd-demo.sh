#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The three-host demo over a real etcd (mgmt's graph3a/b/c): each host
# manages two files, exports two and collects every exported file into its
# own directory, so the three directories end with 24 files.  Then a host
# withdraws an export by editing its graph, one stops cleanly (its lease is
# revoked, its exports go at once) and one dies (its exports go when the
# lease expires).  Structure and order only; every wait is a guard.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
etcd_start 1 || not_available "etcd does not start on loopback here"
P=/mgmt-engine/exported

for h in a b c; do
	demo_graph $h "$TMP/$h.yaml"
done
# Every host trusts the others' keys (doc/etcd.md, "Trust").
trust_hosts A B C
host_start A "$TMP/a.yaml" --etcd-ttl 2
host_start B "$TMP/b.yaml"
host_start C "$TMP/c.yaml"

ok "the three directories hold 24 files" \
	wait_for 30 has_files 24 "$TMP/mgmtA" "$TMP/mgmtB" "$TMP/mgmtC"
ok "each host's directory holds its 2 own files and the 6 exported" \
	is "$(ls "$TMP/mgmtB" | tr '\n' ' ')" "f1b f2b f3a f3b f3c f4a f4b f4c "
ok "a collected file has the exporter's content" \
	grep -qx 'i am f3, exported from host C' "$TMP/mgmtA/f3c"
ok "six keys are exported, named HOST/KIND/NAME without @@" \
	is "$(keys $P/ | tr '\n' ' ')" "$P/A/file/file3a $P/A/file/file4a \
$P/B/file/file3b $P/B/file/file4b $P/C/file/file3c $P/C/file/file4c "
V=$(etcdctl_ get --print-value-only $P/B/file/file3b)
ok "the value is signed with B's key" \
	is "${V%%,\"sig\"*}" "{\"v\":1,\"key\":\"$(cut -d' ' -f1 "$TMP/trust/B.pub")\""
ok "its params are the JSON of the parameters" \
	is "${V#*,\"params\":}" \
	"{\"content\":\"i am f3, exported from host B\\n\",\"force\":false,\"path\":\"$TMP/mgmtB/f3b\",\"recurse\":false,\"state\":\"exists\"}}"
ok "exported resources are not managed where they are defined" \
	not grep -q 'File\[@@' "$TMP/A.log"
ok "a host collects its own exports too" \
	wait_for 10 log_has A "collected resource(s) in the graph"

# B withdraws file4b: edited graph, seen by reload.
sed '/name: "@@file4b"/,/state: exists/d' "$TMP/b.yaml" >"$TMP/b.new"
mv "$TMP/b.new" "$TMP/b.yaml"
ok "a withdrawn export leaves etcd" wait_for 20 nkeys $P/B/ 1
ok "the other one stays" is "$(keys $P/B/)" "$P/B/file/file3b"
ok "collecting hosts drop it from their graphs" \
	wait_for 20 log_has C "5 collected resource(s) in the graph"
ok "a reload keeps what did not change" \
	wait_for 20 log_has A "(0 new, 0 changed, 1 removed, 7 kept)"

# A clean stop revokes the lease.
ok "host C stops cleanly" host_stop C
ok "its lease was revoked" log_has C "lease revoked"
ok "its exports are gone at once" nkeys $P/C/ 0

# A host that dies loses its exports when its lease expires (2 s here).
kill -KILL "$HOST_PID_A"
wait "$HOST_PID_A" 2>/dev/null
HOST_PID_A=
ok "a dead host's exports expire with its lease" wait_for 20 nkeys $P/A/ 0
ok "the others follow" \
	wait_for 20 log_has B "(0 new, 0 changed, 2 removed, 3 kept)"
ok "host B stops cleanly" host_stop B
done_testing

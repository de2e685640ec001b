#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A three-member etcd cluster loses members while the hosts keep
# converging: every host names all three endpoints; when the one they talk
# to dies, or stops answering while its connections stay open, requests and
# the watch move to the next, from the last revision seen, and changes still
# reach every collecting host.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
etcd_start 3 || not_available "a three-member etcd does not start on loopback here"
P=/mgmt-engine/exported
D="$TMP/mgmtA $TMP/mgmtB $TMP/mgmtC"

for h in a b c; do
	demo_graph $h "$TMP/$h.yaml"
done
# Every host trusts the others' keys (doc/etcd.md, "Trust").
trust_hosts A B C
host_start A "$TMP/a.yaml"
host_start B "$TMP/b.yaml"
host_start C "$TMP/c.yaml"
ok "the three hosts converge through the cluster" \
	wait_for 30 has_files 24 $D

# The first endpoint is the one every host uses: kill it.
etcd_kill 1
sed '/name: "@@file4b"/,/state: exists/d' "$TMP/b.yaml" >"$TMP/b.new"
mv "$TMP/b.new" "$TMP/b.yaml"
ok "with member 1 dead, a withdrawn export leaves etcd" \
	wait_for 30 nkeys $P/B/ 1
ok "host A follows" \
	wait_for 30 log_has A "(0 new, 0 changed, 1 removed, 7 kept)"
ok "host C follows" \
	wait_for 30 log_has C "(0 new, 0 changed, 1 removed, 7 kept)"

# Member 1 back, member 2 gone; C exports one more file.
ok "member 1 restarts" etcd_restart 1
etcd_kill 2
sed "s|^collect:|  - name: \"@@file5c\"\n    path: \"$TMP/mgmtC/f5c\"\n    content: \"i am f5c\\\\n\"\ncollect:|" \
	"$TMP/c.yaml" >"$TMP/c.new"
mv "$TMP/c.new" "$TMP/c.yaml"
ok "with member 2 dead, a new export reaches every host" \
	wait_for 30 test -e "$TMP/mgmtA/f5c" -a -e "$TMP/mgmtB/f5c" \
	-a -e "$TMP/mgmtC/f5c"
ok "its content is right" grep -qx 'i am f5c' "$TMP/mgmtA/f5c"

# Member 2 back; member 3, the one every host talks to now, stops
# answering but keeps its connections (SIGSTOP: its kernel still answers
# TCP keepalives).  Requests to it time out and move on, and so must the
# watches left open on it; C exports one more file.
ok "member 2 restarts" etcd_restart 2
kill -STOP "$ETCD_PID_3"
sed "s|^collect:|  - name: \"@@file6c\"\n    path: \"$TMP/mgmtC/f6c\"\n    content: \"i am f6c\\\\n\"\ncollect:|" \
	"$TMP/c.yaml" >"$TMP/c.new"
mv "$TMP/c.new" "$TMP/c.yaml"
ok "with member 3 stopped, a new export reaches every host" \
	wait_for 30 test -e "$TMP/mgmtA/f6c" -a -e "$TMP/mgmtB/f6c" \
	-a -e "$TMP/mgmtC/f6c"
kill -CONT "$ETCD_PID_3"
ok "every host is still running" \
	kill -0 "$HOST_PID_A" "$HOST_PID_B" "$HOST_PID_C"
for h in A B C; do
	ok "host $h stops cleanly" host_stop $h
done
ok "all exports are withdrawn" nkeys $P/ 0
done_testing

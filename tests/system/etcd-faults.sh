#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The cluster's faults, on a three-member etcd with TLS and authentication
# on (certificates made here): the leader killed while three hosts export
# and collect; a host cut off from etcd (the one member it knows is
# stopped) loses its lease and its exports leave the collectors, and they
# come back when it returns, once each; an engine killed and restarted
# keeps its exports, never deleted; and a client without a certificate or
# with a wrong password gets nothing applied anywhere.  How fast the hosts
# converge again after the leader's loss is measured by bench/etcd-faults.sh,
# not here.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
etcd_tls
etcd_start 3 || not_available "a three-member etcd does not start on loopback here"
ok "authentication is turned on" etcd_auth
P=/mgmt-engine/exported
D="$TMP/mgmtA $TMP/mgmtB $TMP/mgmtC"
TTL=4
ep() { # I: member I's client URL
	eval "echo $ETCD_SCHEME://127.0.0.1:\$ETCD_CP_$1"
}

for h in a b c; do
	demo_graph $h "$TMP/$h.yaml"
done
# Hosts A, B and C know members 1 and 2; host D, below, member 3 only.
ABC=$(ep 1),$(ep 2)
trust_hosts A B C D
host_start A "$TMP/a.yaml" --etcd-ttl $TTL --etcd "$ABC"
host_start B "$TMP/b.yaml" --etcd-ttl $TTL --etcd "$ABC"
host_start C "$TMP/c.yaml" --etcd-ttl $TTL --etcd "$ABC"
ok "the three hosts converge through the cluster" \
	wait_for 30 has_files 24 $D

# 1. The leader dies while every host changes its exports.
export_more() { # H: host H exports one more file, f5H
	y=$TMP/$(echo "$1" | tr A-Z a-z).yaml
	sed "s|^collect:|  - name: \"@@file5$1\"\n    path: \"$TMP/mgmt$1/f5$1\"\n    content: \"i am f5$1\\\\n\"\ncollect:|" \
		"$y" >"$y.new"
	mv "$y.new" "$y"
}
L=$(etcd_leader)
ok "a member leads" test -n "$L"
etcd_kill "$L"
for h in A B C; do
	export_more $h
done
has_leader() {
	etcd_leader >/dev/null
}
ok "a new leader is elected" wait_for 30 has_leader
ok "every collector has every export: 3 x (2 own + 9 exported)" \
	wait_for 60 has_files 33 $D
for h in A B C; do
	ok "host $h's exports are all in etcd, once" nkeys $P/$h/ 3
done
ok "and each with its content" \
	grep -qx "i am f5C" "$TMP/mgmtA/f5C" "$TMP/mgmtB/f5C"
ok "the dead member restarts" etcd_restart "$L"

lease_of() { # KEY: the lease of KEY, in hex
	l=$(etcdctl_ get "$1" -w fields 2>/dev/null |
		awk '/"Lease"/ { print $3 }')
	[ -z "$l" ] || printf '%x\n' "$l"
}
expired() { # LEASE
	etcdctl_ lease timetolive "$1" 2>/dev/null | grep -q "already expired"
}

# 2. Host D knows member 3 only, which dies: D is cut off, its endpoint
# refuses.
mkdir -p "$TMP/mgmtD"
cat >"$TMP/d.yaml" <<EOF
resources:
  file:
  - name: "@@file1d"
    path: "$TMP/mgmtD/f1d"
    content: "i am f1d\n"
  - name: "@@file2d"
    path: "$TMP/mgmtD/f2d"
    content: "i am f2d\n"
EOF
host_start D "$TMP/d.yaml" --etcd "$(ep 3)" --etcd-ttl 2
ok "host D exports through member 3" wait_for 30 nkeys $P/D/ 2
ok "and every collector has them" wait_for 30 has_files 39 $D
DL=$(lease_of $P/D/file/file1d)
etcd_kill 3
ok "D is cut off: its lease ends, its exports leave etcd" \
	wait_for 60 nkeys $P/D/ 0
for h in A B C; do
	ok "host $h's graph drops them" \
		wait_for 30 log_has $h "(0 new, 0 changed, 2 removed, 11 kept)"
done
ok "D says it lost the connection, and runs on" \
	wait_for 30 log_has D "connection lost"
ok "member 3 restarts" etcd_restart 3
ok "D is back: its exports are in etcd again, once each" \
	wait_for 60 nkeys $P/D/ 2
# Whichever request learns first that the lease is gone (a keepalive, an
# export refused for it, or one refused as member 3 rejoins): a new one.
d_new_lease() {
	l=$(lease_of $P/D/file/file1d)
	[ -n "$l" ] && [ -n "$DL" ] && [ "$l" != "$DL" ]
}
ok "under a new lease" d_new_lease
for h in A B C; do
	ok "host $h takes them back, once" \
		wait_for 30 log_has $h "(2 new, 0 changed, 0 removed, 11 kept)"
done
ok "every collector has every export, no more" has_files 39 $D
ok "host D stops cleanly" host_stop D
ok "its exports are withdrawn at once" nkeys $P/D/ 0

# 3. An engine killed and started again keeps its exports: they are put
# again under its new lease before the old one ends, never deleted.
OLD=$(lease_of $P/A/file/file3a)
ok "A's exports have a lease" test -n "$OLD"
R=$(etcdctl_ get $P/A/ --prefix -w fields | awk '/"Revision"/ { print $3 }')
kill -KILL "$HOST_PID_A"
wait "$HOST_PID_A" 2>/dev/null
host_start A "$TMP/a.yaml" --etcd-ttl $TTL --etcd "$ABC"
new_lease() {
	l=$(lease_of $P/A/file/file3a)
	[ -n "$l" ] && [ "$l" != "$OLD" ]
}
ok "A runs again with a new lease" wait_for 30 new_lease
ok "the old lease ends" wait_for 60 expired "$OLD"
ok "A's exports are all there, once" nkeys $P/A/ 3
# Every change since the kill, in order, up to a marker put last.
etcdctl_ put /mgmt-engine/marker x >/dev/null
ETCDCTL_API=3 "$ETCDCTL_BIN" "${ETCD_CTL[@]}" --endpoints="$ETCD_ENDPOINTS" \
	watch --prefix /mgmt-engine/ --rev $((R + 1)) >"$TMP/watch" 2>&1 &
WATCH=$!
ok "the changes since the kill are read" \
	wait_for 30 grep -qx /mgmt-engine/marker "$TMP/watch"
kill "$WATCH"
wait "$WATCH" 2>/dev/null
ok "A's exports were put again" \
	is "$(grep -A1 -x PUT "$TMP/watch" | grep -c "^$P/A/")" 3
ok "and never deleted" \
	is "$(grep -A1 -x DELETE "$TMP/watch" | grep -c "^$P/A/")" 0
etcdctl_ del /mgmt-engine/marker >/dev/null

# 4. Refused clients get nothing applied anywhere.
cat >"$TMP/r.yaml" <<EOF
resources:
  file:
  - name: "@@refused"
    path: "$TMP/mgmtR/refused"
    content: "no\n"
EOF
C=(--etcd-cacert "$PKI/ca.crt")
K=(--etcd-cert "$PKI/client.crt" --etcd-key "$PKI/client.key")
printf 'wrong\n' >"$TMP/pki/wrong.pw"
chmod 600 "$TMP/pki/wrong.pw"
ETCD_CLIENT=("${C[@]}" --etcd-user eng --etcd-password-file "$TMP/pki/eng.pw")
host_start N "$TMP/r.yaml" --converged-timeout 0
ETCD_CLIENT=("${C[@]}" "${K[@]}" --etcd-user eng --etcd-password-file "$TMP/pki/wrong.pw")
host_start W "$TMP/r.yaml" --converged-timeout 0
ok "a client without a certificate gives up nothing and exits" host_stop_wait N
ok "nor does one with a wrong password" host_stop_wait W
ok "the first says why" log_has N "give --etcd-cert and --etcd-key"
ok "the second too" log_has W "etcd refused user 'eng'"
ok "nothing of theirs is in etcd" nkeys $P/N/ 0
ok "nothing at all" nkeys $P/W/ 0
ok "no host collected anything of theirs" \
	test ! -e "$TMP/mgmtA/refused" -a ! -e "$TMP/mgmtB/refused" \
	-a ! -e "$TMP/mgmtC/refused"
ok "every host is still running" \
	kill -0 "$HOST_PID_A" "$HOST_PID_B" "$HOST_PID_C"
for h in A B C; do
	ok "host $h stops cleanly" host_stop $h
done
ok "all exports are withdrawn" nkeys $P/ 0
done_testing

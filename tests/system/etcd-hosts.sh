#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Each host publishes its state under /mgmt-engine/hosts/HOST, on its lease
# (doc/etcd.md, "Each host's state"), with nothing exported: the key is
# there as soon as the engine runs with --etcd, goes at once at a clean
# stop (the lease is revoked) and when the lease expires after a SIGKILL;
# the other hosts' views follow, and so does the control socket's
# GET /v1/cluster and the client's `status --cluster` table.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
etcd_start 1 || not_available "etcd does not start on loopback here"
H=/mgmt-engine/hosts

# graph H N: host H's graph, N noop resources.
graph() {
	printf 'graph: %s\nresources:\n  noop:\n' "$1"
	i=1
	while [ $i -le "$2" ]; do
		printf '  - name: n%s\n' $i
		i=$((i + 1))
	done
}

# state_is H N: host H's value is its state JSON, compact, in the
# documented order, naming H and its N resources.
state_is() {
	v=$(etcdctl_ get --print-value-only "$H/$1")
	re='^\{"host":"'$1'","converged":(true|false),"since":(null|[0-9]+\.[0-9]+),"failed":0,"resources":'$2',"updated":[0-9]{10}\.[0-9]+\}$'
	[[ $v =~ $re ]] && return 0
	printf '# %s/%s: %s\n' "$H" "$1" "$v"
	return 1
}

has_key() {
	keys $H/ | grep -qx "$H/$1"
}

# view H: host H's view of the cluster, through its control socket.
view() {
	curl -sS --max-time 10 --unix-socket "$TMP/$1.sock" http://localhost/v1/cluster
}

# view_has H WORDS: host H's view has them (waiting, guarded).
view_has() {
	case $(view "$1") in *"$2"*) return 0 ;; esac
	return 1
}

n=1
for h in a b c; do
	graph $h $n >"$TMP/$h.yaml"
	host_start $h "$TMP/$h.yaml" --etcd-ttl 2 --control "$TMP/$h.sock"
	n=$((n + 1))
done
ok "the three hosts publish their state" wait_for 30 nkeys $H/ 3
ok "a's names it and its resource" state_is a 1
ok "b's names it and its 2 resources" state_is b 2
ok "c's names it and its 3 resources" state_is c 3
ok "nothing is exported" nkeys /mgmt-engine/exported/ 0
# all_converged: every host's value says converged, and since when.
all_converged() {
	[ "$(etcdctl_ get --print-value-only --prefix $H/ |
		grep -c '"converged":true,"since":[0-9]')" -eq 3 ]
}
ok "each host publishes its convergence, with since when" \
	wait_for 30 all_converged ||
	etcdctl_ get --print-value-only --prefix $H/ | sed 's/^/# /'
ok "the control socket shows the three hosts" \
	wait_for 30 view_has c '{"hosts":[{"host":"a","converged":true,"since":'
ok "...b and c too" \
	sh -c "curl -sS --unix-socket '$TMP/c.sock' http://localhost/v1/cluster | grep -q '\"host\":\"b\".*\"host\":\"c\",\"converged\":true'"
"$MGMT_ENGINE" status --cluster --control "$TMP/b.sock" >"$TMP/cl.out" 2>&1
ok "status --cluster (the client) exits 0: every host converged" [ $? -eq 0 ]
# row H N: host H's row in the client's table: converged, since when, no
# failure, its N resources.
row() {
	grep -Eq "^$1 +converged +[0-9]+[smhd] ago +0 +$2\$" "$TMP/cl.out"
}
rows() { row a 1 && row b 2 && row c 3 || ! diag_file "$TMP/cl.out"; }
ok "...a row per host, with its resources" rows
ok "...and the etcd metrics" \
	sh -c "curl -sS --unix-socket '$TMP/a.sock' http://localhost/metrics | grep -q '^mgmt_etcd_up 1$'"

ok "host b stops cleanly" host_stop b
ok "its key went at once with its revoked lease" not has_key b
ok "host a saw it leave" \
	wait_for 10 log_has a "etcd: host b left the hosts' view"
ok "host a's control socket no longer lists b" \
	wait_for 10 sh -c "! curl -sS --unix-socket '$TMP/a.sock' http://localhost/v1/cluster | grep -q '\"host\":\"b\"'"

"$MGMT_ENGINE" status --cluster --control "$TMP/a.sock" >"$TMP/cl.out" 2>&1
ok "status --cluster on a no longer shows b" \
	sh -c "grep -Eq '^a ' '$TMP/cl.out' && grep -Eq '^c ' '$TMP/cl.out' && ! grep -Eq '^b ' '$TMP/cl.out'"

kill -KILL "$HOST_PID_c"
wait "$HOST_PID_c" 2>/dev/null
HOST_PID_c=
ok "a killed host's key outlives it for a while" has_key c
ok "and goes when its lease expires" wait_for 20 not has_key c
ok "host a saw it leave" \
	wait_for 10 log_has a "etcd: host c left the hosts' view"
ok "host a's key stays, kept alive" has_key a
ok "host a stops cleanly" host_stop a
ok "no host is left" nkeys $H/ 0
done_testing

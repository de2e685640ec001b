#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Each host publishes its state under /mgmt-engine/hosts/HOST, on its lease
# (doc/etcd.md, "Each host's state"), with nothing exported: the key is
# there as soon as the engine runs with --etcd, goes at once at a clean
# stop (the lease is revoked) and when the lease expires after a SIGKILL;
# the other hosts' views follow.
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

n=1
for h in a b c; do
	graph $h $n >"$TMP/$h.yaml"
	host_start $h "$TMP/$h.yaml" --etcd-ttl 2
	n=$((n + 1))
done
ok "the three hosts publish their state" wait_for 30 nkeys $H/ 3
ok "a's names it and its resource" state_is a 1
ok "b's names it and its 2 resources" state_is b 2
ok "c's names it and its 3 resources" state_is c 3
ok "nothing is exported" nkeys /mgmt-engine/exported/ 0

ok "host b stops cleanly" host_stop b
ok "its key went at once with its revoked lease" not has_key b
ok "host a saw it leave" \
	wait_for 10 log_has a "etcd: host b left the hosts' view"

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

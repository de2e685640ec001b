#!/bin/bash
# SPDX-License-Identifier: MIT
# etcd-demo.sh - mgmt's three-host example with mgmt-engine, end to end:
# start one etcd on a free loopback port (private data dir), then hosts A, B
# and C one after another (examples/yaml/etcd-{a,b,c}.yaml, their
# /tmp/mgmtX/ directories moved into a private temporary directory).  Each
# manages two files, exports two and collects every exported file, so the
# three directories end with 2 + 6 files each: 24.  It prints how long that
# took from the last host's start, shows the files, then stops the hosts
# (which withdraws their exports) and etcd, and removes what it made.
#
# Needs etcd (Debian: etcd-server).  The engine is $MGMT_ENGINE (default:
# mgmt-engine from PATH) with plugins from $MGMT_PLUGINS_DIR (default: the
# installed ones).  From a build tree:
#   MGMT_ENGINE=build/demo/mgmt-engine \
#   MGMT_PLUGINS_DIR=build/demo/plugins/.libs examples/etcd-demo.sh
set -eu
EX="$(cd "$(dirname "$0")" && pwd)/yaml"
ENGINE=${MGMT_ENGINE:-mgmt-engine}
command -v etcd >/dev/null || { echo "etcd-demo: etcd is not installed" >&2; exit 2; }

D=$(mktemp -d "${TMPDIR:-/tmp}/etcd-demo.XXXXXX")
PIDS=
trap 'for p in $PIDS; do kill -TERM $p 2>/dev/null; wait $p 2>/dev/null || :; done; rm -rf "$D"' EXIT
trap 'exit 1' INT TERM

# A port no socket uses, from a base derived from our PID.
port=$((20000 + ($$ * 37) % 30000))
in_use() {
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '{ print $2 }' |
		grep -qi ":$(printf '%04X' "$1")\$"
}
while in_use $port || in_use $((port + 1)); do port=$((port + 2)); done
EP=http://127.0.0.1:$port
etcd --name demo --data-dir "$D/etcd" --listen-client-urls $EP \
	--advertise-client-urls $EP \
	--listen-peer-urls http://127.0.0.1:$((port + 1)) \
	--initial-advertise-peer-urls http://127.0.0.1:$((port + 1)) \
	--initial-cluster demo=http://127.0.0.1:$((port + 1)) \
	--log-outputs "$D/etcd.log" --logger zap </dev/null >/dev/null 2>&1 &
ETCD=$!
for _ in $(seq 200); do
	curl -fsS "$EP/health" 2>/dev/null | grep -q true && break
	sleep 0.05
done
echo "etcd at $EP"

ms() { echo $(($(date +%s%N) / 1000000)); }
# Each host's key, made before it starts; every host trusts the three
# (doc/etcd.md, "Trust").
mkdir -p "$D/trust"
for H in A B C; do
	"$ENGINE" key --prefix "$D/state$H" --hostname $H >"$D/trust/$H.pub"
done
for h in a b c; do
	H=$(echo $h | tr a-z A-Z)
	mkdir -p "$D/mgmt$H"
	sed "s#/tmp/mgmt#$D/mgmt#" "$EX/etcd-$h.yaml" >"$D/$h.yaml"
	set -- --hostname $H --etcd $EP --prefix "$D/state$H" \
		--etcd-trust "$D/trust"
	if [ -n "${MGMT_PLUGINS_DIR:-}" ]; then
		set -- --plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$D/$h.yaml" "$@"
	else
		set -- run --yaml "$D/$h.yaml" "$@"
	fi
	t0=$(ms)
	"$ENGINE" "$@" 2>"$D/$H.log" &
	PIDS="$! $PIDS"
	echo "host $H started"
done
n=0
for _ in $(seq 1000); do
	n=$(ls "$D"/mgmt? | grep -c '^f' || true)
	[ "$n" -eq 24 ] && break
	sleep 0.005
done
echo "$n files in the three directories, $(($(ms) - t0)) ms after host C started:"
(cd "$D" && ls mgmtA mgmtB mgmtC)
PIDS="$PIDS $ETCD"
[ "$n" -eq 24 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/etcd-faults.sh ENGINE PLUGINS_DIR RESULTS [REPS] - how fast three
# hosts converge again after etcd's leader dies.  A three-member etcd on
# free loopback ports, TLS with client certificates and authentication on
# (certificates made here with openssl; data in a fresh directory under
# /var/tmp, removed at the end), mgmt's three-host demo
# (examples/yaml/etcd-{a,b,c}.yaml) converged through it.  Then, REPS
# times: the leader is killed (SIGKILL) and at once every host's graph
# exports one more file; measured from the kill: when a new leader was
# elected (the time in the surviving members' logs), and when all three
# collecting directories hold the three new files (polled about every
# millisecond).  The dead member is started again between runs.  Results
# are appended to RESULTS (REPS 0: run once, record nothing).
set -euo pipefail
ENGINE=$1 PLUGINS=$2 RESULTS=$3 REPS=${4:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
D=$(mktemp -d /var/tmp/bench-etcd-faults.XXXXXX)
PIDS=
ETCD_PIDS=(0 0 0 0)
stop_hosts() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || :; done
	for p in $PIDS; do wait "$p" 2>/dev/null || :; done
	PIDS=
}
stop_etcd() {
	for p in "${ETCD_PIDS[@]}"; do
		[ "$p" = 0 ] || kill -KILL "$p" 2>/dev/null || :
	done
	wait 2>/dev/null || :
}
trap 'stop_hosts; stop_etcd; rm -rf "$D"' EXIT

# Certificates: a CA, etcd's for 127.0.0.1, a client's without a Common
# Name (etcd's gateway refuses one with a CN), root's for etcdctl.
P=$D/pki
mkdir -p "$P"
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$P/server.ext"
printf 'extendedKeyUsage=clientAuth\n' >"$P/client.ext"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bench-ca \
	-keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null
for c in "server /CN=etcd server" "client /O=bench client" "root /CN=root client"; do
	set -- $c
	openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$P/$1.key" \
		-out "$P/$1.csr" 2>/dev/null
	openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
		-CAcreateserial -days 1 -extfile "$P/$3.ext" -out "$P/$1.crt" \
		2>/dev/null
done
printf 'bench-secret\n' >"$P/eng.pw"
chmod 600 "$P"/*.key "$P/eng.pw"

in_use() {
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '{ print $2 }' |
		grep -qi ":$(printf '%04X' "$1")\$"
}
port=$((20000 + ($$ * 37) % 30000))
CP=(0) PP=(0)
for i in 1 2 3; do
	while in_use $port || in_use $((port + 1)); do port=$((port + 2)); done
	CP[$i]=$port PP[$i]=$((port + 1))
	port=$((port + 2))
done
CLUSTER=m1=http://127.0.0.1:${PP[1]},m2=http://127.0.0.1:${PP[2]},m3=http://127.0.0.1:${PP[3]}
EPS=https://127.0.0.1:${CP[1]},https://127.0.0.1:${CP[2]},https://127.0.0.1:${CP[3]}
launch() { # I STATE
	etcd --name m$1 --data-dir "$D/m$1" \
		--listen-client-urls https://127.0.0.1:${CP[$1]} \
		--advertise-client-urls https://127.0.0.1:${CP[$1]} \
		--listen-peer-urls http://127.0.0.1:${PP[$1]} \
		--initial-advertise-peer-urls http://127.0.0.1:${PP[$1]} \
		--initial-cluster "$CLUSTER" --initial-cluster-state "$2" \
		--initial-cluster-token bench-$$ \
		--heartbeat-interval 50 --election-timeout 500 \
		--cert-file "$P/server.crt" --key-file "$P/server.key" \
		--trusted-ca-file "$P/ca.crt" --client-cert-auth \
		--logger zap --log-outputs "$D/m$1.log" </dev/null >/dev/null 2>&1 &
	ETCD_PIDS[$1]=$!
}
healthy() { # I
	curl -fsS -m 1 --cacert "$P/ca.crt" --cert "$P/client.crt" \
		--key "$P/client.key" https://127.0.0.1:${CP[$1]}/health \
		2>/dev/null | grep -q '"health":"true"'
}
wait_healthy() {
	for _ in $(seq 600); do
		healthy "$1" && return 0
		sleep 0.05
	done
	echo "bench-etcd-faults: member $1 is not healthy" >&2
	exit 1
}
ctl() {
	ETCDCTL_API=3 etcdctl --endpoints="$EPS" --cacert "$P/ca.crt" \
		--cert "$P/root.crt" --key "$P/root.key" "$@"
}
for i in 1 2 3; do launch $i new; done
for i in 1 2 3; do wait_healthy $i; done
{
	ctl user add root:root-secret
	ctl user grant-role root root
	ctl user add eng:bench-secret
	ctl role add eng
	ctl role grant-permission eng --prefix=true readwrite /mgmt-engine/
	ctl user grant-role eng eng
	ctl auth enable
} >"$D/auth.out" 2>&1
leader() { # the index of the leading member
	for i in 1 2 3; do
		ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:${CP[$i]} \
			--cacert "$P/ca.crt" --cert "$P/root.crt" --key "$P/root.key" \
			endpoint status -w fields 2>/dev/null |
			awk '/"MemberID"/ { m = $3 } /"Leader"/ { l = $3 }
				END { exit !(m != "" && m == l) }' && {
			echo $i
			return 0
		}
	done
	return 1
}

us() { echo $(($(date +%s%N) / 1000)); }
host() { # NAME YAML
	"$ENGINE" --plugins-dir "$PLUGINS" run --yaml "$2" --hostname "$1" \
		--etcd "$EPS" --prefix "$D/state-$1" --etcd-cacert "$P/ca.crt" \
		--etcd-cert "$P/client.crt" --etcd-key "$P/client.key" \
		--etcd-user eng --etcd-password-file "$P/eng.pw" 2>"$D/$1.log" &
	PIDS="$PIDS $!"
}
count() {
	f=($1)
	[ -e "${f[0]}" ] && echo ${#f[@]} || echo 0
}
mkfifo "$D/fifo"
until_count() { # GLOB N: poll until N files match (guard 60 s); prints when
	limit=$(($(us) + 60000000))
	while [ "$(count "$1")" -lt "$2" ]; do
		[ "$(us)" -lt $limit ] || {
			echo "bench-etcd-faults: timeout" >&2
			exit 1
		}
		read -r -t 0.001 <>"$D/fifo" || :
	done
	us
}
# elected_after T0 I...: when (µs) the first of members I... logged a
# leader elected after T0.
elected_after() {
	t0=$1
	shift
	for _ in $(seq 600); do
		for i in "$@"; do
			grep -h 'elected leader' "$D/m$i.log" | tail -n 1
		done | sed -n 's/.*"ts":"\([^"]*\)".*/\1/p' | while read -r ts; do
			t=$(($(date -d "$ts" +%s%N) / 1000))
			[ "$t" -lt "$t0" ] || echo "$t"
		done | sort -n | head -n 1 | grep . && return 0
		sleep 0.05
	done
	echo "bench-etcd-faults: no leader elected" >&2
	exit 1
}

for h in a b c; do
	H=$(echo $h | tr a-z A-Z)
	mkdir -p "$D/mgmt$H"
	sed "s#/tmp/mgmt#$D/mgmt#" "$SRC/examples/yaml/etcd-$h.yaml" >"$D/$h.yaml"
	host $H "$D/$h.yaml"
done
until_count "$D/mgmt[ABC]/f*" 24 >/dev/null

elect=() conv=() total=()
for rep in $(seq $((REPS > 0 ? REPS : 1))); do
	L=$(leader)
	live=()
	for i in 1 2 3; do [ $i = "$L" ] || live+=($i); done
	for h in a b c; do
		H=$(echo $h | tr a-z A-Z)
		sed "s|^collect:|  - name: \"@@r${rep}$H\"\n    path: \"$D/mgmt$H/r${rep}$H\"\n    content: \"run $rep, host $H\\\\n\"\ncollect:|" \
			"$D/$h.yaml" >"$D/$h.new"
	done
	t0=$(us)
	kill -KILL "${ETCD_PIDS[$L]}"
	for h in a b c; do mv "$D/$h.new" "$D/$h.yaml"; done
	t1=$(until_count "$D/mgmt[ABC]/r${rep}*" 9)
	te=$(elected_after "$t0" "${live[@]}")
	wait "${ETCD_PIDS[$L]}" 2>/dev/null || :
	elect+=($((te - t0)))
	conv+=($((t1 - te)))
	total+=($((t1 - t0)))
	launch "$L" existing
	wait_healthy "$L"
done
stop_hosts

ms() { awk -v u="$1" 'BEGIN { printf "%.0f", u / 1000 }'; }
stat() { # VALUES...: "median max" in ms
	s=($(printf '%s\n' "$@" | sort -n))
	echo "$(ms ${s[$((${#s[@]} / 2))]}) $(ms ${s[$((${#s[@]} - 1))]})"
}
read -r em ex <<<"$(stat "${elect[@]}")"
read -r cm cx <<<"$(stat "${conv[@]}")"
read -r tm tx <<<"$(stat "${total[@]}")"
echo "leader elected: median $em ms, max $ex ms"
echo "converged after the new leader: median $cm ms, max $cx ms"
echo "from the kill: median $tm ms, max $tx ms (${#total[@]} runs)"
[ "$REPS" -gt 0 ] || exit 0
{
	echo
	echo "## bench/etcd-faults: $(date -u '+%Y-%m-%d %H:%M') UTC, nproc $(nproc)"
	echo
	echo "Command: \`tools/bench-etcd-faults\` (runs \`bench/etcd-faults.sh ENGINE PLUGINS_DIR bench/RESULTS.md $REPS\`), three etcd $(etcd --version | head -1 | awk '{ print $3 }') members on loopback (heartbeat 50 ms, election timeout 500 ms), TLS with client certificates and authentication on, data under /var/tmp."
	echo "Tree: ${MGMT_BENCH_REV:-unknown}."
	echo
	echo "mgmt's three-host demo converged; then the leader is killed (SIGKILL) and at once each host exports one more file.  Times from the kill: the new leader's election (from the surviving members' logs), and every one of the three collecting directories holding the three new files (polled about every millisecond).  The dead member is started again between runs."
	echo
	echo "| measure | median (ms) | max (ms) | runs |"
	echo "|---|---:|---:|---:|"
	echo "| kill → new leader elected | $em | $ex | ${#elect[@]} |"
	echo "| new leader → every collector has every export | **$cm** | $cx | ${#conv[@]} |"
	echo "| kill → every collector has every export | $tm | $tx | ${#total[@]} |"
} >>"$RESULTS"

# SPDX-License-Identifier: GPL-3.0-or-later
# etcd-lib.sh - the etcd system tests' harness: real etcd members started on
# free loopback ports with private data dirs under the test's $TMP, and
# engines started against them; all of them are killed when the test exits,
# however it ends.  Source it after tests/cli/lib.sh and tests/system/lib.sh
# (for not_available and wait_for).
#
#   etcd_need                  skip (or fail under MGMT_REQUIRE_SYSTEM_TESTS=1)
#                              when etcd is not installed
#   etcd_start N               start a cluster of N members (1 or 3); sets
#                              ETCD_ENDPOINTS (comma-separated client URLs)
#   etcd_kill I / etcd_restart I   SIGKILL member I / start it again
#   trust_hosts NAME...        make each host's key and trust them all
#                              (host_start then gives --etcd-trust)
#   sign_put HOST KEY PARAMS [UNDER]  put under UNDER (KEY) the export of
#                              KEY with PARAMS, signed with HOST's key
#   host_start NAME YAML [ARGS]    run an engine as host NAME in the
#                              background (log in $TMP/NAME.log)
#   host_stop NAME             SIGTERM it and wait (a clean stop)
#   etcdget KEY [--prefix]     etcdctl get against the cluster
#   etcd_tls                   before etcd_start: clients talk https with
#                              certificates made here (pki_make), and
#                              host_start gives the engines theirs
#                              (skips without openssl)
#   etcd_auth                  after etcd_start: etcd's authentication on,
#                              user eng (readwrite on /mgmt-engine/) for
#                              the engines, ro (may not export)
#   etcd_leader                the index of the member that leads now
#   ETCD_CLIENT=(...)          what host_start gives every engine (the
#                              certificates and the user)
#   ETCD_EXTRA=(...)           more options for every etcd member
ETCD_N=0
ETCD_ENDPOINTS=
ETCD_SCHEME=http
ETCD_CLIENT=()
ETCD_EXTRA=()
ETCD_CTL=()
HOSTS=
ETCD_BIN=${ETCD_BIN:-etcd}
ETCDCTL_BIN=${ETCDCTL_BIN:-etcdctl}

etcd_cleanup() {
	for h in $HOSTS; do
		eval "p=\${HOST_PID_$h:-}"
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
	done
	i=1
	while [ $i -le $ETCD_N ]; do
		eval "p=\${ETCD_PID_$i:-}"
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
		i=$((i + 1))
	done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap etcd_cleanup EXIT
trap 'exit 130' INT TERM HUP

etcd_need() {
	command -v "$ETCD_BIN" >/dev/null 2>&1 ||
		not_available "etcd is not installed (Debian: etcd-server)"
	command -v "$ETCDCTL_BIN" >/dev/null 2>&1 ||
		not_available "etcdctl is not installed (Debian: etcd-client)"
}

# port_free PORT: no socket of this machine uses it (listening or not).
port_free() {
	hex=$(printf '%04X' "$1")
	! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk '{ print $2 }' | grep -qi ":$hex\$"
}

# pick_port: a free port from a base derived from this shell's PID.
PORT_NEXT=$((20000 + ($$ * 37) % 30000))
pick_port() {
	while :; do
		PORT_NEXT=$((PORT_NEXT + 1))
		[ $PORT_NEXT -lt 60000 ] || PORT_NEXT=20001
		port_free $PORT_NEXT && break
	done
	echo $PORT_NEXT
}

member_healthy() {
	eval "cp=\$ETCD_CP_$1"
	curl -fsS -m 1 "${CURL_TLS[@]}" "$ETCD_SCHEME://127.0.0.1:$cp/health" \
		2>/dev/null | grep -q '"health":"true"'
}

# pki_make DIR: a CA; etcd's certificate for 127.0.0.1 signed by it; a
# client certificate without a Common Name (etcd's JSON gateway refuses one
# that has a CN); root's (CN=root: etcdctl is root by it once
# authentication is on); and a second CA with a client certificate of its
# own, that etcd does not trust.
pki_make() {
	d=$1
	mkdir -p "$d"
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$d/server.ext"
	printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
	for ca in ca other-ca; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
			-subj "/CN=mgmt-engine test $ca" -keyout "$d/$ca.key" \
			-out "$d/$ca.crt" 2>/dev/null || return 1
	done
	# name subject CA extensions
	for c in "server /CN=etcd ca server" "client /O=mgmt-engine ca client" \
		"root /CN=root ca client" "other /O=mgmt-engine other-ca client"; do
		set -- $c
		openssl req -newkey rsa:2048 -nodes -subj "$2" \
			-keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null &&
			openssl x509 -req -in "$d/$1.csr" -CA "$d/$3.crt" \
				-CAkey "$d/$3.key" -CAcreateserial -days 2 \
				-extfile "$d/$4.ext" -out "$d/$1.crt" \
				2>/dev/null || return 1
	done
	chmod 600 "$d"/*.key
}

etcd_tls() {
	command -v openssl >/dev/null 2>&1 ||
		not_available "openssl is not installed"
	PKI=$TMP/pki
	pki_make "$PKI" || {
		echo "Bail out! openssl cannot make the test's certificates"
		exit 1
	}
	ETCD_SCHEME=https
	CURL_TLS=(--cacert "$PKI/ca.crt" --cert "$PKI/client.crt" --key "$PKI/client.key")
	ETCD_CTL=(--cacert "$PKI/ca.crt" --cert "$PKI/root.crt" --key "$PKI/root.key")
	ETCD_CLIENT=(--etcd-cacert "$PKI/ca.crt" --etcd-cert "$PKI/client.crt"
		--etcd-key "$PKI/client.key")
}
CURL_TLS=()

# etcd_auth: users root, eng (readwrite on /mgmt-engine/) and ro (readwrite
# on the hosts' states, read on the exports), passwords in $TMP/pki/USER.pw; then
# authentication on.  The engines are eng.
etcd_auth() {
	mkdir -p "$TMP/pki"
	for u in eng ro; do
		printf '%s-secret\n' $u >"$TMP/pki/$u.pw"
		chmod 600 "$TMP/pki/$u.pw"
	done
	{
		etcdctl_ user add root:root-secret &&
			etcdctl_ user grant-role root root &&
			etcdctl_ user add eng:eng-secret &&
			etcdctl_ role add eng &&
			etcdctl_ role grant-permission eng --prefix=true \
				readwrite /mgmt-engine/ &&
			etcdctl_ user grant-role eng eng &&
			etcdctl_ user add ro:ro-secret &&
			etcdctl_ role add ro &&
			etcdctl_ role grant-permission ro --prefix=true \
				readwrite /mgmt-engine/hosts/ &&
			etcdctl_ role grant-permission ro --prefix=true \
				read /mgmt-engine/exported/ &&
			etcdctl_ user grant-role ro ro &&
			etcdctl_ auth enable
	} >"$TMP/etcd/auth.out" 2>&1 || {
		sed 's/^/# /' "$TMP/etcd/auth.out"
		return 1
	}
	[ -n "$PKI" ] || ETCD_CTL=(--user root:root-secret)
	ETCD_CLIENT+=(--etcd-user eng --etcd-password-file "$TMP/pki/eng.pw")
}
PKI=

# etcd_leader: the index of the member that leads (none: false).
etcd_leader() {
	i=1
	while [ $i -le $ETCD_N ]; do
		eval "cp=\$ETCD_CP_$i"
		ETCDCTL_API=3 "$ETCDCTL_BIN" "${ETCD_CTL[@]}" \
			--endpoints="$ETCD_SCHEME://127.0.0.1:$cp" \
			--command-timeout=2s endpoint status -w fields 2>/dev/null |
			awk '/"MemberID"/ { m = $3 } /"Leader"/ { l = $3 }
				END { exit !(m != "" && m == l) }' &&
			{
				echo $i
				return 0
			}
		i=$((i + 1))
	done
	return 1
}

# etcd_launch I STATE: start member I (ports already chosen).
etcd_launch() {
	eval "cp=\$ETCD_CP_$1 pp=\$ETCD_PP_$1"
	tls=()
	[ -z "$PKI" ] || tls=(--cert-file "$PKI/server.crt"
		--key-file "$PKI/server.key" --trusted-ca-file "$PKI/ca.crt"
		--client-cert-auth)
	"$ETCD_BIN" --name "m$1" --data-dir "$TMP/etcd/m$1" \
		--listen-client-urls "$ETCD_SCHEME://127.0.0.1:$cp" \
		--advertise-client-urls "$ETCD_SCHEME://127.0.0.1:$cp" \
		"${tls[@]}" "${ETCD_EXTRA[@]}" \
		--listen-peer-urls "http://127.0.0.1:$pp" \
		--initial-advertise-peer-urls "http://127.0.0.1:$pp" \
		--initial-cluster "$ETCD_CLUSTER" --initial-cluster-state "$2" \
		--initial-cluster-token "mgmt-test-$$" \
		--heartbeat-interval 50 --election-timeout 500 \
		--logger zap --log-outputs "$TMP/etcd/m$1.log" \
		</dev/null >>"$TMP/etcd/m$1.out" 2>&1 &
	eval "ETCD_PID_$1=$!"
}

all_healthy() {
	i=1
	while [ $i -le $ETCD_N ]; do
		member_healthy $i || return 1
		i=$((i + 1))
	done
}

# etcd_start N: a fresh cluster; a port taken meanwhile makes a member fail
# to start, and then the whole cluster is tried again on other ports.
etcd_start() {
	for attempt in 1 2 3; do
		ETCD_N=$1
		ETCD_CLUSTER=
		ETCD_ENDPOINTS=
		rm -rf "$TMP/etcd"
		mkdir -p "$TMP/etcd"
		i=1
		while [ $i -le "$1" ]; do
			cp=$(pick_port)
			PORT_NEXT=$cp
			pp=$(pick_port)
			PORT_NEXT=$pp
			eval "ETCD_CP_$i=$cp ETCD_PP_$i=$pp"
			ETCD_CLUSTER="$ETCD_CLUSTER${ETCD_CLUSTER:+,}m$i=http://127.0.0.1:$pp"
			ETCD_ENDPOINTS="$ETCD_ENDPOINTS${ETCD_ENDPOINTS:+,}$ETCD_SCHEME://127.0.0.1:$cp"
			i=$((i + 1))
		done
		i=1
		while [ $i -le "$1" ]; do
			etcd_launch $i new
			i=$((i + 1))
		done
		wait_for 30 all_healthy && return 0
		i=1
		while [ $i -le "$1" ]; do
			eval "kill -KILL \$ETCD_PID_$i" 2>/dev/null
			i=$((i + 1))
		done
		wait 2>/dev/null
		tail -n 5 "$TMP"/etcd/*.log 2>/dev/null | sed 's/^/# /'
	done
	echo "# etcd did not start"
	return 1
}

etcd_kill() {
	eval "p=\$ETCD_PID_$1"
	kill -KILL "$p"
	wait "$p" 2>/dev/null
	eval "ETCD_PID_$1="
}

etcd_restart() {
	etcd_launch "$1" existing
	wait_for 30 member_healthy "$1"
}

etcdctl_() {
	ETCDCTL_API=3 "$ETCDCTL_BIN" "${ETCD_CTL[@]}" --endpoints="$ETCD_ENDPOINTS" \
		--command-timeout=5s "$@"
}

# trust_hosts NAME...: each host's key, made in the state directory that
# host_start gives it (`mgmt-engine key`), its line in $TMP/trust/NAME.pub;
# every host started afterwards trusts that directory (--etcd-trust).
trust_hosts() {
	mkdir -p "$TMP/trust"
	for h in "$@"; do
		"$MGMT_ENGINE" key --prefix "$TMP/state-$h" --hostname "$h" \
			>"$TMP/trust/$h.pub" 2>>"$TMP/$h.log" || return 1
	done
}

# sign_put HOST KEY PARAMS [UNDER]: the export of KEY with the JSON object
# PARAMS, signed with HOST's key (made when it has none), put under UNDER
# (by default KEY itself).
sign_put() {
	v=$("$MGMT_TOP_BUILDDIR/tests/system/etcd-sign" "$TMP/state-$1" \
		"$2" "$3" 2>>"$TMP/$1.log") || return 1
	etcdctl_ put "${4:-$2}" "$v" >/dev/null
}

# host_start NAME YAML [ENGINE ARGS...]
host_start() {
	name=$1
	yaml=$2
	shift 2
	if [ -d "$TMP/trust" ]; then
		set -- --etcd-trust "$TMP/trust" "$@"
	fi
	"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$yaml" \
		--hostname "$name" --etcd "$ETCD_ENDPOINTS" --prefix "$TMP/state-$name" \
		"${ETCD_CLIENT[@]}" "$@" 2>>"$TMP/$name.log" &
	eval "HOST_PID_$name=$!"
	HOSTS="$HOSTS $name"
}

# host_stop NAME: a clean stop; true when the engine exited by itself.
host_stop() {
	eval "p=\$HOST_PID_$1"
	kill -TERM "$p" 2>/dev/null
	wait "$p"
	rc=$?
	eval "HOST_PID_$1="
	[ $rc -eq 0 ]
}

# log_has NAME PATTERN [COUNT]: host NAME's log has COUNT (1) such lines.
log_has() {
	n=$(grep -c -- "$2" "$TMP/$1.log" 2>/dev/null)
	[ "${n:-0}" -ge "${3:-1}" ]
}

# demo_graph H OUT: the example graph of host H (a, b or c) with its
# directory in $TMP; the directory is created.
demo_graph() {
	H=$(echo "$1" | tr a-z A-Z)
	mkdir -p "$TMP/mgmt$H"
	sed "s#/tmp/mgmt#$TMP/mgmt#" \
		"$MGMT_TOP_SRCDIR/examples/yaml/etcd-$1.yaml" >"$2"
}

# files_in DIR...: how many files the directories hold together.
files_in() {
	ls "$@" 2>/dev/null | grep -c '^f'
}

# has_files COUNT DIR...: exactly COUNT files in the directories.
has_files() {
	n=$1
	shift
	[ "$(files_in "$@")" -eq "$n" ]
}

# keys PREFIX: the keys under PREFIX, one a line.
keys() {
	etcdctl_ get --prefix --keys-only "$1" 2>/dev/null | grep -v '^$'
}

# nkeys PREFIX COUNT: exactly COUNT keys under PREFIX.
nkeys() {
	[ "$(keys "$1" | grep -c .)" -eq "$2" ]
}

# is GOT WANT: equal strings; shows both when not.
is() {
	[ "$1" = "$2" ] && return 0
	printf '# got:  %s\n# want: %s\n' "$1" "$2"
	return 1
}

# host_stop_wait NAME: wait for the engine to exit by itself; true when it
# exited 0.
host_stop_wait() {
	eval "p=\$HOST_PID_$1"
	wait "$p"
	rc=$?
	eval "HOST_PID_$1="
	[ $rc -eq 0 ]
}

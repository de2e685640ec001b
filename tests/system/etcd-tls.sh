#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# etcd over TLS with client certificates and etcd's authentication
# (doc/etcd.md, "TLS and authentication"), certificates made here with
# openssl: two hosts export and collect through it; an expired token is
# replaced and the request sent again; and each refusal (no client
# certificate, one from a CA etcd does not trust, a CA that did not sign
# etcd's certificate, an unreadable certificate, a wrong password, no user,
# a permission missing on a key) is one line naming what to change, while
# the local graph runs on and nothing of that host reaches etcd.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
etcd_tls
# Tokens that expire after 2 s unused, to see one expire.
ETCD_EXTRA=(--auth-token-ttl 2)
etcd_start 1 || not_available "etcd does not start on loopback with TLS here"
ok "authentication is turned on" etcd_auth
P=/mgmt-engine/exported
U=$ETCD_SCHEME://127.0.0.1:$ETCD_CP_1

for h in a b; do
	demo_graph $h "$TMP/$h.yaml"
done
trust_hosts A B
host_start A "$TMP/a.yaml"
host_start B "$TMP/b.yaml"
ok "two hosts converge over TLS as user eng: 2 own + 4 exported each" \
	wait_for 30 has_files 12 "$TMP/mgmtA" "$TMP/mgmtB"
ok "host A's exports are in etcd" nkeys $P/A/ 2
ok "A authenticated once" is "$(grep -c 'auth token' "$TMP/A.log")" 0

# A token of now, unused, expires: A's is older and was not used since.
token() {
	curl -sS "${CURL_TLS[@]}" "$U/v3/auth/authenticate" \
		-d '{"name":"eng","password":"eng-secret"}' |
		sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}
expired() {
	curl -sS "${CURL_TLS[@]}" -H "Authorization: $1" "$U/v3/kv/range" \
		-d '{"key":"Zm9v"}' | grep -q "invalid auth token"
}
# Using a token keeps it alive: look at it only after it was idle 3 s.
idle_expired() {
	sleep 3
	expired "$T"
}
T=$(token)
ok "a token was given" test -n "$T"
ok "tokens expire" wait_for 30 idle_expired
sed 's/i am f4, exported from host A/i am f4, changed/' "$TMP/a.yaml" \
	>"$TMP/a.new"
mv "$TMP/a.new" "$TMP/a.yaml"
ok "a change after A's token expired reaches B" \
	wait_for 30 grep -qx 'i am f4, changed' "$TMP/mgmtB/f4a"
ok "A said its token was no longer valid, once" \
	is "$(grep -c 'auth token of user eng is not valid any more' "$TMP/A.log")" 1

# A member that restarts forgets the tokens it gave: the requests made
# again (B's watch) are refused theirs, and the hosts authenticate again.
etcd_kill 1
ok "etcd restarts" etcd_restart 1
sed 's/i am f4, changed/i am f4, changed again/' "$TMP/a.yaml" >"$TMP/a.new"
mv "$TMP/a.new" "$TMP/a.yaml"
ok "a change after etcd's restart reaches B" \
	wait_for 30 grep -qx 'i am f4, changed again' "$TMP/mgmtB/f4a"
ok "B was refused its token, and authenticated again" \
	log_has B "auth token of user eng is not valid any more (.*invalid auth token)"

# Refused: each host runs its own graph, and exports and collects nothing.
refused_graph() { # NAME
	mkdir -p "$TMP/$1" "$TMP/$1-c"
	cat >"$TMP/$1.yaml" <<EOF
resources:
  file:
  - name: "@@exported-by-$1"
    path: "$TMP/$1/exported"
    content: "no\n"
  - name: local-$1
    path: "$TMP/$1/local"
    content: "yes\n"
collect:
- kind: file
  pattern: "$TMP/$1-c/"
EOF
}
# refused NAME PATTERN [ENGINE ARGS]: host NAME, with the given client
# options instead of the good ones, logs PATTERN, and no refusal twice;
# it runs its own graph (--converged-timeout 0: it converges and exits 0),
# exports nothing and collects nothing.
refused() {
	name=$1 pattern=$2
	shift 2
	refused_graph "$name"
	saved=("${ETCD_CLIENT[@]}")
	ETCD_CLIENT=("$@")
	host_start "$name" "$TMP/$name.yaml" --converged-timeout 0
	ETCD_CLIENT=("${saved[@]}")
	host_stop_wait "$name" || return 1
	grep -q -- "$pattern" "$TMP/$name.log" &&
		is "$(grep ' refused: ' "$TMP/$name.log" | cut -d' ' -f3- |
			sort | uniq -d)" "" || {
		sed 's/^/# /' "$TMP/$name.log"
		return 1
	}
	grep -qx yes "$TMP/$name/local" || return 1
	nkeys "$P/$name/" 0 || return 1
	nkeys "/mgmt-engine/hosts/$name" 0 || return 1
	has_files 0 "$TMP/$name-c" || return 1
	[ ! -e "$TMP/mgmtA/exported" ] && [ ! -e "$TMP/mgmtB/exported" ]
}
C=(--etcd-cacert "$PKI/ca.crt")
K=(--etcd-cert "$PKI/client.crt" --etcd-key "$PKI/client.key")
E=(--etcd-user eng --etcd-password-file "$TMP/pki/eng.pw")
printf 'wrong\n' >"$TMP/pki/wrong.pw"
chmod 600 "$TMP/pki/wrong.pw"
echo nonsense >"$TMP/pki/nonsense.crt"

ok "a wrong password is refused" refused W \
	"etcd refused user 'eng' (etcdserver: authentication failed" \
	"${C[@]}" "${K[@]}" --etcd-user eng --etcd-password-file "$TMP/pki/wrong.pw"
ok "no client certificate is refused" refused N \
	"give --etcd-cert and --etcd-key signed by a CA etcd trusts" \
	"${C[@]}" "${E[@]}"
ok "a client certificate of another CA is refused" refused O \
	"give --etcd-cert and --etcd-key signed by a CA etcd trusts" \
	"${C[@]}" --etcd-cert "$PKI/other.crt" --etcd-key "$PKI/other.key" "${E[@]}"
ok "a CA that did not sign etcd's certificate is refused" refused X \
	"etcd's certificate is not trusted (.*): give --etcd-cacert" \
	--etcd-cacert "$PKI/other-ca.crt" "${K[@]}" "${E[@]}"
ok "a file that is no certificate is refused" refused Z \
	"cannot use this client's certificate (.*): check --etcd-cert" \
	"${C[@]}" --etcd-cert "$TMP/pki/nonsense.crt" \
	--etcd-key "$PKI/client.key" "${E[@]}"
ok "a certificate with a Common Name is refused by etcd's gateway" refused R \
	"refuses client certificates with a Common Name" \
	"${C[@]}" --etcd-cert "$PKI/root.crt" --etcd-key "$PKI/root.key" "${E[@]}"
ok "no user is refused" refused Y \
	"etcd wants a user (etcdserver: user name is empty): give --etcd-user" \
	"${C[@]}" "${K[@]}"
# User ro may read the exports, not write its own.
refused_graph Q
ETCD_CLIENT=("${C[@]}" "${K[@]}" --etcd-user ro --etcd-password-file "$TMP/pki/ro.pw")
host_start Q "$TMP/Q.yaml" --converged-timeout 0
ETCD_CLIENT=("${C[@]}" "${K[@]}" "${E[@]}")
ok "a user without write permission converges" host_stop_wait Q
ok "it says which key it may not write, once" \
	is "$(grep -c "export refused: .*permission denied on $P/Q/file/exported-by-Q (/v3/kv/txn): grant user 'ro' a role" "$TMP/Q.log")" 1
ok "its local graph ran" grep -qx yes "$TMP/Q/local"
ok "its export is nowhere" nkeys "$P/Q/" 0
ok "nor did it reach a host" test ! -e "$TMP/mgmtA/exported"

# Bad usage: exit 2 with one line, before anything runs.
MGMT=("$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$TMP/a.yaml"
	--etcd "$ETCD_ENDPOINTS" --prefix "$TMP/state-usage")
usage() { # PATTERN ARGS...: exit 2, PATTERN on stderr
	p=$1
	shift
	"${MGMT[@]}" "$@" >/dev/null 2>"$TMP/usage.err"
	rc=$?
	is "$rc" 2 && grep -q -- "$p" "$TMP/usage.err" ||
		sed 's/^/# /' "$TMP/usage.err"
}
ok "--etcd-password is refused" \
	usage "--etcd-password: a password is never taken from the command line" \
	--etcd-password secret
ok "--etcd-user needs --etcd-password-file" \
	usage "give --etcd-user and --etcd-password-file together" --etcd-user eng
ok "--etcd-cert needs --etcd-key" usage "go together: give both" \
	--etcd-cert "$PKI/client.crt"
ok "a missing password file" usage "--etcd-password-file $TMP/nope: No such" \
	--etcd-user eng --etcd-password-file "$TMP/nope"
: >"$TMP/pki/empty.pw"
ok "an empty password file" usage "the first line is empty" \
	--etcd-user eng --etcd-password-file "$TMP/pki/empty.pw"
ok "a missing CA file" usage "--etcd-cacert $TMP/nope: No such" \
	--etcd-cacert "$TMP/nope"
capture noetcd engine run --yaml "$TMP/a.yaml" --etcd-user eng
ok "the --etcd-* options need --etcd" rc_is noetcd 2
ok "and say so" grep -q "the --etcd-\* options need --etcd" "$TMP/noetcd.out"

ok "host A stops cleanly" host_stop A
ok "host B stops cleanly" host_stop B
ok "all exports are withdrawn" nkeys $P/ 0
done_testing

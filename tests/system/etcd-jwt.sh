#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# etcd's JWT tokens say when they expire: the engine asks for a new one
# ahead of that, so a request made after the first token's expiry is never
# refused for it (doc/etcd.md, "TLS and authentication").  etcd with TLS
# and authentication on, tokens signed by a key made here, valid 3 s.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
etcd_tls
openssl genrsa -out "$PKI/jwt.key" 2048 2>/dev/null &&
	openssl rsa -in "$PKI/jwt.key" -pubout -out "$PKI/jwt.pub" 2>/dev/null || {
	echo "Bail out! openssl cannot make the signing key"
	exit 1
}
ETCD_EXTRA=(--auth-token
	"jwt,pub-key=$PKI/jwt.pub,priv-key=$PKI/jwt.key,sign-method=RS256,ttl=3s")
etcd_start 1 || not_available "etcd does not start on loopback with JWT tokens here"
ok "authentication is turned on" etcd_auth
U=$ETCD_SCHEME://127.0.0.1:$ETCD_CP_1

for h in a b; do
	demo_graph $h "$TMP/$h.yaml"
done
trust_hosts A B
host_start A "$TMP/a.yaml"
host_start B "$TMP/b.yaml"
ok "two hosts converge with JWT tokens" \
	wait_for 30 has_files 12 "$TMP/mgmtA" "$TMP/mgmtB"

token() {
	curl -sS "${CURL_TLS[@]}" "$U/v3/auth/authenticate" \
		-d '{"name":"eng","password":"eng-secret"}' |
		sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}
expired() {
	curl -sS "${CURL_TLS[@]}" -H "Authorization: $1" "$U/v3/kv/range" \
		-d '{"key":"Zm9v"}' | grep -q "invalid auth token"
}
# A JWT's expiry is fixed when it is made: once a token of now expired,
# so did the ones A and B got at their start.
T=$(token)
ok "a token was given" test -n "$T"
ok "it expires" wait_for 30 expired "$T"
sed 's/i am f4, exported from host A/i am f4, changed/' "$TMP/a.yaml" \
	>"$TMP/a.new"
mv "$TMP/a.new" "$TMP/a.yaml"
ok "a change made after that reaches B" \
	wait_for 30 grep -qx 'i am f4, changed' "$TMP/mgmtB/f4a"
ok "A's token was renewed ahead: never refused" \
	is "$(grep -c 'not valid any more' "$TMP/A.log")" 0
ok "nor was B's" is "$(grep -c 'not valid any more' "$TMP/B.log")" 0
ok "host A stops cleanly" host_stop A
ok "host B stops cleanly" host_stop B
done_testing

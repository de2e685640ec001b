#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Bad data under the exported prefix, written by hand, is reported once
# with its key and skipped, never fatal: JSON that does not parse, a key
# that is not HOST/KIND/NAME, parameters the kind refuses (signed by a
# trusted host X: the signature is not what is wrong).  Good entries
# beside them are collected.  Also: --converged-timeout waits for the first
# sync with etcd, and the exit revokes the lease.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
etcd_start 1 || not_available "etcd does not start on loopback here"
P=/mgmt-engine/exported

mkdir -p "$TMP/dir"
trust_hosts X
etcdctl_ put $P/X/file/bad '{"path": "/nowhere", ' >/dev/null
sign_put X $P/X/file/refused '{"path": "relative", "state": "maybe"}'
etcdctl_ put $P/X/file/list '["path"]' >/dev/null
etcdctl_ put $P/badkey '{}' >/dev/null
sign_put X $P/X/file/good "{\"path\": \"$TMP/x/good\", \"content\": \"good\\n\"}"
cat >"$TMP/a.yaml" <<EOF2
graph: bad
resources:
  file:
  - name: own
    path: "$TMP/dir/own"
    content: "mine\n"
collect:
- kind: file
  pattern: "$TMP/dir/"
EOF2
host_start A "$TMP/a.yaml"
ok "the good entry is collected beside the bad ones" \
	wait_for 30 test -e "$TMP/dir/good"
ok "its content is right" grep -qx good "$TMP/dir/good"
ok "the local resource runs" grep -qx mine "$TMP/dir/own"
ok "bad JSON is reported with its key" \
	log_has A "etcd: $P/X/file/bad: bad JSON"
ok "a value that is not an object is reported" \
	log_has A "etcd: $P/X/file/list: not a JSON object"
ok "a key that is not HOST/KIND/NAME is reported" \
	log_has A "etcd: $P/badkey: not $P/HOST/KIND/NAME"
ok "refused parameters are reported, at the key" \
	log_has A "etcd:$P/X/file/refused:1:.*file\[refused\]: state \"maybe\" is not one of"
ok "the engine runs on" kill -0 "$HOST_PID_A"

# A new value is looked at again; a fixed one is collected.
sign_put X $P/X/file/bad "{\"path\": \"$TMP/x/bad\", \"content\": \"fixed\\n\"}"
ok "a fixed entry is collected" wait_for 30 test -e "$TMP/dir/bad"
ok "each bad value was reported once" \
	is "$(grep -c "$P/X/file/bad: bad JSON" "$TMP/A.log")" 1
ok "a refused one too, though the graph was reloaded since" \
	is "$(grep -c "$P/X/file/refused: skipped" "$TMP/A.log")" 1
etcdctl_ put $P/X/file/good '{"path": ' >/dev/null
ok "good turned bad is reported" \
	wait_for 30 log_has A "etcd: $P/X/file/good: bad JSON"
ok "and dropped from the graph" \
	wait_for 30 log_has A "(0 new, 0 changed, 1 removed, 2 kept)"
ok "host A stops cleanly" host_stop A

# --converged-timeout: the first sync with etcd counts, and the exit
# revokes the lease.
mkdir -p "$TMP/b"
cat >"$TMP/b.yaml" <<EOF2
resources:
  file:
  - name: "@@shared"
    path: "$TMP/b/shared"
    content: "shared\n"
collect:
- kind: file
  pattern: "$TMP/b/"
EOF2
host_start B "$TMP/b.yaml" --converged-timeout 0
ok "a host with --converged-timeout 0 exits 0 by itself" host_stop_wait B
ok "after collecting (its own export here)" grep -qx shared "$TMP/b/shared"
ok "and what X exported" test -e "$TMP/b/bad"
ok "its lease was revoked at the exit" nkeys $P/B/ 0
done_testing

#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The kv resource against a real etcd member on loopback (doc/etcd.md,
# "The key-value space"): without --etcd one clear failure (plugin-check
# reports it and does not crash); noop mode writes nothing; a key is
# created with its value, repaired after an outside put or delete while
# the engine runs (through the engine's watch of the space: kv has no
# poll), skiplessthan keeps a greater stored value and repairs a smaller
# one, mapped keys are per host, two hosts with skiplessthan on one key
# settle on the greater value, a resource removed from the graph leaves its
# key, and one without a value deletes it; etcd never reached fails the
# resources rather than leaving the run unconverged.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
K=/mgmt-engine/kv

# value KEY: its value in etcd ("" when absent).
value() {
	etcdctl_ get --print-value-only "$K/$1" 2>/dev/null
}

# value_is KEY WANT: etcd has WANT under KEY.
value_is() {
	[ "$(value "$1")" = "$2" ]
}

# present KEY / absent KEY
present() {
	[ -n "$(etcdctl_ get --keys-only "$K/$1" 2>/dev/null)" ]
}
absent() {
	! present "$1"
}

# --- without --etcd: one clear line, no crash ------------------------------
cat >"$TMP/one.yaml" <<'EOF'
resources:
  kv:
  - name: hello
    value: world
EOF
capture noetcd engine run --yaml "$TMP/one.yaml" --prefix "$TMP/state" \
	--converged-timeout 0
ok "without --etcd: the run exits 1 (a resource failed)" rc_is noetcd 1
ok "...saying why, once" \
	[ "$(count 'Kv\[hello\]: kv needs the engine to run with --etcd' "$TMP/noetcd.out")" -eq 1 ] ||
	diag_file "$TMP/noetcd.out"
capture pcheck "$MGMT_ENGINE" plugin-check "$MGMT_PLUGINS_DIR/kv.so" \
	--yaml "$TMP/one.yaml"
ok "plugin-check without etcd: a failed check, not a crash" rc_is pcheck 1
ok "...it names the missing --etcd" \
	grep -q 'kv needs the engine to run with --etcd' "$TMP/pcheck.out"

# --- etcd never reached: the resources fail, the run does not hang ----------
capture down timeout 60 "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
	run --yaml "$TMP/one.yaml" --prefix "$TMP/state" \
	--etcd "http://127.0.0.1:$(pick_port)" --converged-timeout 0
ok "etcd unreachable: the run ends, exit 1 (a resource failed)" rc_is down 1
ok "...saying the key could not be read" \
	grep -q 'Kv\[hello\]: cannot read str/hello: etcd has not been read yet' \
	"$TMP/down.out"

etcd_start 1 || not_available "etcd does not start on loopback here"

# --- noop: nothing written ----------------------------------------------------
host_start n "$TMP/one.yaml" --noop --converged-timeout 0
ok "noop: the run converges and exits 0" host_stop_wait n
ok "...saying what it would do" log_has n 'Kv\[hello\]: would set hello'
ok "...and writes nothing" absent str/hello

# --- create and repair ------------------------------------------------------
cat >"$TMP/a.yaml" <<'EOF'
resources:
  kv:
  - name: hello
    value: world
  - name: stage
    value: "3"
    skiplessthan: true
  - name: mine
    key: m
    value: from-a
    mapped: true
  - name: other
    key: other/key
    value: ""
edges:
- name: e1
  from: {kind: kv, name: stage}
  to: {kind: kv, name: hello}
EOF
host_start a "$TMP/a.yaml"
ok "create: the key appears with its value" wait_for 30 value_is str/hello world
ok "...skiplessthan on an absent key writes it" wait_for 30 value_is str/stage 3
ok "...a mapped key is this host's" wait_for 30 value_is map/m/a from-a
ok "...an empty value is a value" wait_for 30 present str/other/key
ok "...the graph converges" wait_for 30 log_has a 'info converged$'

etcdctl_ put "$K/str/hello" changed >/dev/null
ok "repair: an outside put is undone while the engine runs" \
	wait_for 30 value_is str/hello world
etcdctl_ del "$K/str/hello" >/dev/null
ok "repair: an outside delete too" wait_for 30 value_is str/hello world
ok "...each time by a run the watch started (no poll)" \
	log_has a 'Kv\[hello\]: set hello' 3

# A greater stage and a change of hello in one transaction: one watch
# answer dirties both, and hello runs only after stage (the edge), so once
# hello is repaired, stage has been checked against the greater value.
stage_and_hello() {
	printf '\nput %s 5\nput %s again\n\n\n' "$K/str/stage" "$K/str/hello" |
		etcdctl_ txn | grep -q '^SUCCESS$'
}
ok "an outside transaction puts stage 5 and changes hello" stage_and_hello
ok "skiplessthan: hello repaired after the stage was checked" \
	wait_for 30 value_is str/hello world
ok "...a greater stored value is kept" value_is str/stage 5
ok "...without a write" not log_has a 'Kv\[stage\]: set stage' 2
etcdctl_ put "$K/str/stage" 2 >/dev/null
ok "skiplessthan: a smaller one is raised to the value" \
	wait_for 30 value_is str/stage 3

# --- two hosts, one key ------------------------------------------------------
cat >"$TMP/b.yaml" <<'EOF'
resources:
  kv:
  - name: stage
    value: "12"
    skiplessthan: true
  - name: mine
    key: m
    value: from-b
    mapped: true
EOF
host_start b "$TMP/b.yaml"
ok "two hosts: b's mapped entry beside a's" wait_for 30 value_is map/m/b from-b
ok "...a's is still its own" value_is map/m/a from-a
ok "...the shared stage settles on the greater value" \
	wait_for 30 value_is str/stage 12
ok "...b converges" wait_for 30 log_has b 'info converged$'
ok "...a keeps it (12 > 3), converged too" \
	wait_for 30 sh -c "tail -n 1 '$TMP/a.log' | grep -q 'info converged$'"
ok "host b stops cleanly" host_stop b
ok "...its keys stay (they are not on its lease)" value_is map/m/b from-b

# --- remove and delete -------------------------------------------------------
cat >"$TMP/a.yaml" <<'EOF'
resources:
  kv:
  - name: stage
    value: "3"
    skiplessthan: true
  - name: other
    key: other/key
EOF
ok "remove: the reload is taken" \
	wait_for 30 log_has a 'reload: .*a.yaml: 2 resources'
ok "...a value left out deletes the key" wait_for 30 absent str/other/key
ok "...a resource removed from the graph leaves its key" value_is str/hello world
ok "...and the mapped one" value_is map/m/a from-a
ok "host a stops cleanly" host_stop a
ok "...and the keys stay after it" value_is str/stage 12

for f in "$TMP"/*.log; do
	[ "$T_FAIL" -eq 0 ] || { echo "# --- $f"; diag_file "$f"; }
done
done_testing

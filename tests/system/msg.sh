#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The msg resource against a real journal, in a sandbox of its own
# (tests/system/sandbox.sh, whose journal is private and in memory): each
# entry is read back with journalctl by a field unique to this test.
#
# Entries sent over the journal's socket are stored in the order they were
# sent, so a test that must show that something was NOT sent sends a
# barrier entry after it (a msg resource that comes later in the graph) and
# counts once the barrier is there.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"

[ -e "$MGMT_PLUGINS_DIR/msg.so" ] || not_available "the msg plugin is not built"
sandbox_start msg
ID="t$$"

# entries VALUE: how many journal entries have MGMT_TEST_ID=$ID-VALUE.
entries() {
	sbx journalctl --no-pager -q -o cat "MGMT_TEST_ID=$ID-$1" | wc -l
}
# are VALUE N: there are N such entries (now).
are() {
	[ "$(entries "$1")" -eq "$2" ]
}
# barrier VALUE: wait until the barrier entry MGMT_TEST_ID=$ID-VALUE is in.
barrier() {
	wait_for 30 are "$1" 1
}

# gone PID: the process PID (inside) has exited.
gone() {
	! sbx kill -0 "$1" 2>/dev/null
}

run_graph() {
	local name=$1
	shift
	sbx "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
		--yaml "$TMP/$name.yaml" --converged-timeout 0 "$@" \
		>"$TMP/$name.log" 2>&1
}

# --- create: one entry with its fields; a second run sends another --------
cat >"$TMP/one.yaml" <<EOF
resources:
  msg:
  - name: hello
    body: "hello from mgmt-engine"
    priority: Warning
    journal: true
    fields:
      MGMT_TEST_ID: $ID-one
      APP_STAGE: "two words"
      APP_NOTE: "line one\nline two"
EOF
ok "create: exit 0" run_graph one
ok "create: the entry is in the journal" wait_for 30 are one 1
ok "create: its message" [ "$(sbx journalctl --no-pager -q -o cat MGMT_TEST_ID=$ID-one)" = "hello from mgmt-engine" ]
ok "create: its priority (Warning = 4)" \
	sbx sh -c "journalctl --no-pager -q -o verbose MGMT_TEST_ID=$ID-one | grep -qx '    PRIORITY=4'"
ok "create: its fields" \
	sbx sh -c "journalctl --no-pager -q -o verbose MGMT_TEST_ID=$ID-one | grep -qx '    APP_STAGE=two words'"
ok "create: a value with a newline, whole" \
	sbx sh -c "journalctl --no-pager -q -o json MGMT_TEST_ID=$ID-one | grep -qF '\"APP_NOTE\":\"line one\\nline two\"'"
ok "create: named by the engine's fields" \
	sbx sh -c "journalctl --no-pager -q -o verbose MGMT_TEST_ID=$ID-one | grep -qx '    MGMT_RESOURCE=hello'"
ok "create: not also in the engine's log" sh -c "! grep -q 'Msg\[hello\]: hello from' '$TMP/one.log'"

# --- an entry too big for one datagram: passed in a memfd ----------------
big=$(head -c 400000 /dev/zero | tr '\0' x)
printf 'resources:\n  msg:\n  - {name: big, body: "%s", journal: true, fields: {MGMT_TEST_ID: %s}}\n' \
	"$big" "$ID-big" >"$TMP/big.yaml"
ok "big entry: exit 0" run_graph big
ok "big entry: in the journal, whole" \
	[ "$(sbx journalctl --no-pager -q -o cat "MGMT_TEST_ID=$ID-big" | wc -c)" -eq 400001 ]

# --- without journal: the engine's log, at the priority's level ----------
cat >"$TMP/log.yaml" <<'EOF'
resources:
  msg:
  - {name: w, body: "careful now", priority: Warning}
  - {name: e, body: "it broke", priority: Crit}
  - {name: i, body: "all fine", priority: Notice}
EOF
ok "log: exit 0" run_graph log
ok "log: Warning is a warning" grep -q ' warn Msg\[w\]: careful now$' "$TMP/log.log"
ok "log: Crit is an error" grep -q ' error Msg\[e\]: it broke$' "$TMP/log.log"
ok "log: Notice is info" grep -q ' info Msg\[i\]: all fine$' "$TMP/log.log"

# --- noop: nothing sent -------------------------------------------------
cat >"$TMP/noop.yaml" <<EOF
resources:
  msg:
  - {name: n, body: quiet, journal: true, fields: {MGMT_TEST_ID: $ID-noop}}
  - {name: m, body: quiet, journal: true, fields: {MGMT_TEST_ID: $ID-meta},
     meta: {noop: true}}
  - {name: b, body: barrier, journal: true, fields: {MGMT_TEST_ID: $ID-b1}}
edges:
- {from: {kind: msg, name: m}, to: {kind: msg, name: b}}
EOF
ok "--noop: exit 0" run_graph noop --noop
ok "--noop: reports what it would send" grep -q 'Msg\[n\]: would send: quiet' "$TMP/noop.log"
ok "--noop: reported as a change" grep -q 'Msg\[n\]: would change (noop)' "$TMP/noop.log"
sed -i '/name: n,/d' "$TMP/noop.yaml"
ok "meta noop: exit 0" run_graph noop
ok "meta noop: reports" grep -q 'Msg\[m\]: would send: quiet' "$TMP/noop.log"
ok "the barrier after them is sent" barrier b1
ok "--noop: nothing sent" [ "$(entries noop)" -eq 0 ]
ok "meta noop: nothing sent" [ "$(entries meta)" -eq 0 ]

# --- once, and again on refresh; a reload that keeps it sends nothing ------
# A file resource notifies the message when its content changes.
write_graph() { # CONTENT [BARRIER]
	cat >"$TMP/long.yaml.new" <<EOF
resources:
  file:
  - {name: f, path: $TMP/f, content: "$1"}
  msg:
  - {name: a, body: "content changed", journal: true,
     fields: {MGMT_TEST_ID: $ID-a}}
EOF
	[ -z "${2:-}" ] || cat >>"$TMP/long.yaml.new" <<EOF
  - {name: $2, body: barrier, journal: true, fields: {MGMT_TEST_ID: $ID-$2}}
EOF
	cat >>"$TMP/long.yaml.new" <<EOF
edges:
- {from: {kind: file, name: f}, to: {kind: msg, name: a}, notify: true}
EOF
	[ -z "${2:-}" ] || cat >>"$TMP/long.yaml.new" <<EOF
- {from: {kind: msg, name: a}, to: {kind: msg, name: $2}}
EOF
	mv "$TMP/long.yaml.new" "$TMP/long.yaml"
}
if [ -e "$MGMT_PLUGINS_DIR/file.so" ]; then
	write_graph v1
	sbx_bg "$TMP/long.pid" "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
		run --yaml "$TMP/long.yaml" >"$TMP/long.log" 2>&1
	ok "long run: sent once" wait_for 30 are a 1
	write_graph v2
	ok "refresh (the file changed): sent again" wait_for 30 are a 2
	write_graph v2 b2
	ok "reload keeping it: the barrier after it is sent" barrier b2
	ok "reload keeping it: not sent again" [ "$(entries a)" -eq 2 ]
	ok "reload keeping it: it was kept" \
		grep -q 'reload: .*: 3 resources (1 new, 0 changed, 0 removed, 2 kept)' "$TMP/long.log"
	# remove: nothing to undo; added back, it is a new resource
	cat >"$TMP/long.yaml.new" <<'EOF'
resources:
  noop:
  - name: only
EOF
	mv "$TMP/long.yaml.new" "$TMP/long.yaml"
	ok "remove: the graph reloads without it" \
		wait_lines 'reload: .*: 1 resources (1 new, 0 changed, 3 removed, 0 kept)' 1 "$TMP/long.log"
	write_graph v2 b3
	ok "added back: the barrier after it is sent" barrier b3
	ok "added back: sent once more, as a new resource" [ "$(entries a)" -eq 3 ]
	sbx kill "$(cat "$TMP/long.pid")"
	ok "long run: the engine exits on SIGTERM" \
		wait_for 30 gone "$(cat "$TMP/long.pid")"
	ok "long run: no error" sh -c "! grep -E ' (error|warn) ' '$TMP/long.log'"
else
	skip "refresh and reload" "the file plugin is not built"
fi

# --- plugin-check ---------------------------------------------------------
cat >"$TMP/pcheck.yaml" <<EOF
resources:
  msg:
  - {name: pcheck, body: checked, journal: true, fields: {MGMT_TEST_ID: $ID-pc}}
EOF
sbx "$MGMT_ENGINE" plugin-check "$MGMT_PLUGINS_DIR/msg.so" \
	--yaml "$TMP/pcheck.yaml" >"$TMP/pcheck.out" 2>"$TMP/pcheck.err"
ok "plugin-check msg: passes" grep -q '^PASS ' "$TMP/pcheck.out"
ok "plugin-check msg: idempotent" grep -q '^ok msg\[pcheck\]: idempotent' "$TMP/pcheck.out"
ok "plugin-check msg: sent once" wait_for 30 are pc 1
grep -v '^ok ' "$TMP/pcheck.out" | sed 's/^/# /'

for f in "$TMP"/*.log; do
	[ "$T_FAIL" -eq 0 ] || { echo "# --- $f"; diag_file "$f"; }
done
done_testing

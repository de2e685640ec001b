#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Whose exports a host applies (doc/etcd.md, "Trust"): B trusts A's key
# (--etcd-trust) and applies A's exports; C's key is trusted nowhere, so
# what C exports is applied by no other host, and a forged value (unsigned,
# signed by C as host A, or A's signature replayed under another name) is
# skipped with one line naming the key and the host.  A collects with no
# trust configured: only its own exports.  Collecting exec needs
# `system: true` in the graph.  Structure and order only; every wait is a
# guard.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/etcd-lib.sh"
etcd_need
etcd_start 1 || not_available "etcd does not start on loopback here"
P=/mgmt-engine/exported
mkdir -p "$TMP/a" "$TMP/b" "$TMP/c" "$TMP/ex"

# B trusts A only: A's line in B's --etcd-trust directory.
mkdir -p "$TMP/trust-b"
"$MGMT_ENGINE" key --prefix "$TMP/state-A" --hostname A >"$TMP/trust-b/A.pub"
"$MGMT_ENGINE" key --prefix "$TMP/state-C" --hostname C >"$TMP/C.pub"
ok "mgmt-engine key prints one line: ed25519:BASE64 HOST" \
	grep -qE '^ed25519:[A-Za-z0-9+/]{43}= A$' "$TMP/trust-b/A.pub"
ok "the key file is the engine's alone" \
	is "$(stat -c %a "$TMP/state-A/etcd/ed25519.key")" 600
ok "a second call prints the same key" \
	is "$("$MGMT_ENGINE" key --prefix "$TMP/state-A" --hostname A)" \
	"$(cat "$TMP/trust-b/A.pub")"

cat >"$TMP/a.yaml" <<EOF2
resources:
  file:
  - name: "@@fa"
    path: "$TMP/a/fa"
    content: "from A\n"
  exec:
  - name: "@@ea"
    cmd: "touch $TMP/ex/ran-by-collector"
    ifcmd: "test ! -e $TMP/ex/ran-by-collector"
collect:
- kind: file
  pattern: "$TMP/a/"
EOF2
cat >"$TMP/c.yaml" <<EOF2
resources:
  file:
  - name: "@@fc"
    path: "$TMP/c/fc"
    content: "from C\n"
EOF2
cat >"$TMP/b.yaml" <<EOF2
resources:
  file:
  - name: own
    path: "$TMP/b/own"
    content: "mine\n"
collect:
- kind: file
  pattern: "$TMP/b/"
EOF2

# Collecting exec without the opt-in is refused at compile.
sed 's|^- kind: file|- kind: exec\n- kind: file|' "$TMP/b.yaml" >"$TMP/b-exec.yaml"
"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" validate "$TMP/b-exec.yaml" \
	>"$TMP/validate.out" 2>&1
ok "collecting exec without system: true is a compile error" is $? 2
ok "one line at the entry's kind, saying what to add" \
	grep -q "^$TMP/b-exec.yaml:7:9: collect #1: kind exec runs commands .*add 'system: true' to this entry" \
	"$TMP/validate.out"

host_start A "$TMP/a.yaml"
host_start C "$TMP/c.yaml"
host_start B "$TMP/b.yaml" --etcd-trust "$TMP/trust-b"
ok "B applies the export of A, whose key it trusts" \
	wait_for 30 grep -qx "from A" "$TMP/b/fa"
ok "C's export is in etcd" wait_for 30 nkeys $P/C/ 1
ok "B skips it with one line naming the key and the host" \
	wait_for 30 log_has B "etcd: $P/C/file/fc: signed by $(cut -d' ' -f1 "$TMP/C.pub"), which is not trusted for host C; skipped"
ok "A, with no trust configured, says so once" \
	wait_for 30 log_has A "no --etcd-trust and no trust: in the graph: only this host's own exports"
ok "and collects its own export" wait_for 30 grep -qx "from A" "$TMP/a/fa"

# Forgeries, all under host A's name.
etcdctl_ put $P/A/file/plain "{\"path\": \"$TMP/x/plain\"}" >/dev/null
sign_put C $P/A/file/byc "{\"path\": \"$TMP/x/byc\"}"
sign_put A $P/A/file/fa "{\"path\": \"$TMP/x/replayed\"}" $P/A/file/replayed
ok "an unsigned value is skipped, naming the host" \
	wait_for 30 log_has B "etcd: $P/A/file/plain: not signed (no key), exported as host A; skipped"
ok "C's key signing as A is not trusted for A" \
	wait_for 30 log_has B "etcd: $P/A/file/byc: signed by $(cut -d' ' -f1 "$TMP/C.pub"), which is not trusted for host A; skipped"
ok "A's signature replayed under another name does not verify" \
	wait_for 30 log_has B "etcd: $P/A/file/replayed: the signature by $(cut -d' ' -f1 "$TMP/trust-b/A.pub"), as host A, does not verify; skipped"

# B opts in to exec: A's exec runs on B; a reload says nothing new about C.
sed 's|^- kind: file|- kind: exec\n  system: true\n- kind: file|' "$TMP/b.yaml" >"$TMP/b.new"
mv "$TMP/b.new" "$TMP/b.yaml"
kill -HUP "$HOST_PID_B"
ok "with system: true, B runs the exec A exported" \
	wait_for 30 test -e "$TMP/ex/ran-by-collector"
ok "nothing of C, or forged, was applied anywhere" \
	not ls "$TMP/b/fc" "$TMP/a/fc" "$TMP/b/plain" "$TMP/b/byc" \
	"$TMP/b/replayed" "$TMP/x"
ok "each skipped export was reported once, across reloads" \
	is "$(grep -c "$P/C/file/fc: signed by" "$TMP/B.log")$(grep -c "$P/A/file/replayed: the signature" "$TMP/B.log")" 11

# The graph's trust: list trusts C too.
sed "s|^collect:|trust:\n- \"$(cat "$TMP/C.pub")\"\ncollect:|" "$TMP/b.yaml" >"$TMP/b.new"
mv "$TMP/b.new" "$TMP/b.yaml"
kill -HUP "$HOST_PID_B"
ok "with C's line in trust:, B applies C's export" \
	wait_for 30 grep -qx "from C" "$TMP/b/fc"
ok "but not what C's key signed as host A" not ls "$TMP/b/byc"
ok "host B stops cleanly" host_stop B
ok "host C stops cleanly" host_stop C
ok "host A stops cleanly" host_stop A
done_testing

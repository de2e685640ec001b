#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The hostname resource against a real systemd-hostnamed, in a sandbox of its
# own (tests/system/sandbox.sh): its UTS namespace is private, its /etc an
# in-memory overlay, so the hostnames set here are the sandbox's alone.  The
# sandbox masks hostnamed (it would touch /etc/hostname): this test unmasks
# it in the sandbox's private /run, and D-Bus activates it.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"

[ -e "$MGMT_PLUGINS_DIR/hostname.so" ] || not_available "the hostname plugin is not built"
sandbox_start hostname
sbx sh -c 'rm -f /run/systemd/system/systemd-hostnamed.service &&
	systemctl daemon-reload' ||
	not_available "systemd-hostnamed cannot be unmasked in the sandbox"
sbx busctl get-property org.freedesktop.hostname1 /org/freedesktop/hostname1 \
	org.freedesktop.hostname1 Hostname >/dev/null ||
	not_available "systemd-hostnamed does not answer in the sandbox"

# run_graph NAME [ARGS...]: run $TMP/NAME.yaml to convergence inside; log in
# NAME.log.
run_graph() {
	local name=$1
	shift
	sbx "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
		--yaml "$TMP/$name.yaml" --converged-timeout 0 "$@" \
		>"$TMP/$name.log" 2>&1
}

prop() {
	sbx busctl get-property org.freedesktop.hostname1 \
		/org/freedesktop/hostname1 org.freedesktop.hostname1 "$1"
}

# is STATIC PRETTY: hostnamed's static and pretty hostnames, and the
# kernel's, are those.
is() {
	[ "$(prop StaticHostname)" = "s \"$1\"" ] &&
		[ "$(prop PrettyHostname)" = "s \"$2\"" ] &&
		[ "$(sbx hostname)" = "$1" ]
}

# etc_hostname_is NAME: /etc/hostname says NAME.
etc_hostname_is() {
	[ "$(sbx cat /etc/hostname)" = "$1" ]
}

sbx hostnamectl set-hostname before
sbx hostnamectl set-hostname --pretty ""

# --- create: mgmt's defaults (the name for each one not given) ------------
cat >"$TMP/web1.yaml" <<'EOF'
graph: web1
resources:
  hostname:
  - name: web1
    pretty_hostname: Web One
EOF
ok "before the run" is before ""
ok "create: exit 0" run_graph web1
ok "create: static, pretty and kernel hostnames set" is web1 "Web One"
ok "create: /etc/hostname written by hostnamed" \
	[ "$(sbx cat /etc/hostname)" = web1 ]
ok "create: each change logged" \
	grep -q 'Hostname\[web1\]: set the static hostname: "before" -> "web1"' "$TMP/web1.log"
ok "create: the pretty hostname's change logged" \
	grep -q 'Hostname\[web1\]: set the pretty hostname: "" -> "Web One"' "$TMP/web1.log"
ok "again: exit 0" run_graph web1
ok "again: nothing to change" sh -c "! grep -q 'set the' '$TMP/web1.log'"

# --- noop: the engine's --noop, and meta noop ---------------------------
cat >"$TMP/web2.yaml" <<'EOF'
graph: web2
resources:
  hostname:
  - name: web2
    pretty_hostname: ""
EOF
ok "--noop: exit 0" run_graph web2 --noop
ok "--noop: reports what it would change" \
	grep -q 'Hostname\[web2\]: would set the static hostname: "web1" -> "web2"' "$TMP/web2.log"
ok "--noop: reported as a change" grep -q 'Hostname\[web2\]: would change (noop)' "$TMP/web2.log"
ok "--noop: nothing changed" is web1 "Web One"
cat >"$TMP/meta.yaml" <<'EOF'
resources:
  hostname:
  - name: web2
    meta: {noop: true}
EOF
ok "meta noop: exit 0" run_graph meta
ok "meta noop: reports" grep -q 'would set the static hostname: "web1" -> "web2"' "$TMP/meta.log"
ok "meta noop: nothing changed" is web1 "Web One"

# --- repair: changes made by others, seen through events (no meta.poll) --
sbx hostnamectl set-hostname start
sbx_bg "$TMP/run.pid" "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
	run --yaml "$TMP/web1.yaml" >"$TMP/run.log" 2>&1
ok "long run: the hostname set" \
	wait_lines 'set the static hostname: "start" -> "web1"' 1 "$TMP/run.log"
sbx hostnamectl set-hostname intruder
ok "hostnamectl set-hostname: set back" \
	wait_lines 'set the static hostname: "intruder" -> "web1"' 1 "$TMP/run.log"
ok "hostnamectl set-hostname: all three are back" wait_for 30 is web1 "Web One"
sbx hostnamectl set-hostname --pretty "Someone Else"
ok "hostnamectl --pretty: set back" \
	wait_lines 'set the pretty hostname: "Someone Else" -> "Web One"' 1 "$TMP/run.log"
# By hand, without hostnamed: its inotify watch on /etc sees the edit.
sbx sh -c 'echo byhand >/etc/hostname'
ok "edit of /etc/hostname: set back" \
	wait_lines 'set the static hostname: "byhand" -> "web1"' 1 "$TMP/run.log"
ok "edit of /etc/hostname: the file is back" \
	wait_for 30 etc_hostname_is web1

# --- remove: the resource leaves the graph; nothing is undone -------------
cat >"$TMP/web1.yaml.new" <<'EOF'
graph: web1
resources:
  noop:
  - name: left
EOF
mv "$TMP/web1.yaml.new" "$TMP/web1.yaml"
ok "remove: the graph reloads without it" \
	wait_lines 'reload: .*: 1 resources (1 new, 0 changed, 1 removed, 0 kept)' 1 "$TMP/run.log"
ok "remove: nothing undone" is web1 "Web One"
sbx hostnamectl set-hostname free
sbx kill "$(cat "$TMP/run.pid")"
ok "remove: the engine exits on SIGTERM" \
	wait_for 30 gone "$(cat "$TMP/run.pid")"
ok "remove: no longer enforced" [ "$(sbx hostname)" = free ]
ok "remove: no error in the run" sh -c "! grep -E ' (error|warn) ' '$TMP/run.log'"

# --- a transient hostname the static one overrides: one clear error --------
sbx hostnamectl set-hostname fixed
cat >"$TMP/trans.yaml" <<'EOF'
resources:
  hostname:
  - name: other
    pretty_hostname: ""
    static_hostname: ""
    meta: {retry: 0}
EOF
run_graph trans
rc=$?
ok "transient under a static hostname: exit 1" [ $rc -eq 1 ]
ok "transient under a static hostname: says why" \
	grep -q 'Hostname\[other\]: the transient hostname stays "fixed": systemd-hostnamed keeps it at the static hostname "fixed"' "$TMP/trans.log"
# Once the static hostname is cleared, the transient one can be set.
sbx hostnamectl set-hostname --static ""
ok "transient alone: exit 0" run_graph trans
ok "transient alone: the kernel's hostname set" [ "$(sbx hostname)" = other ]
# A transient hostname set through hostnamed writes no file: only its
# PropertiesChanged tells the engine.
sbx hostnamectl set-hostname --transient pre
sbx_bg "$TMP/trans.pid" "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
	run --yaml "$TMP/trans.yaml" >"$TMP/trans-run.log" 2>&1
ok "transient, long run: set" \
	wait_lines 'set the transient hostname: "pre" -> "other"' 1 "$TMP/trans-run.log"
sbx hostnamectl set-hostname --transient intruder
ok "hostnamectl --transient: set back (PropertiesChanged alone)" \
	wait_lines 'set the transient hostname: "intruder" -> "other"' 1 "$TMP/trans-run.log"
sbx kill "$(cat "$TMP/trans.pid")"
ok "transient, long run: the engine exits on SIGTERM" \
	wait_for 30 gone "$(cat "$TMP/trans.pid")"

# --- plugin-check: the plugin keeps the contract against hostnamed ----------
cat >"$TMP/pcheck.yaml" <<'EOF'
resources:
  hostname:
  - name: pcheck
    pretty_hostname: Plugin Check
EOF
sbx "$MGMT_ENGINE" plugin-check "$MGMT_PLUGINS_DIR/hostname.so" \
	--yaml "$TMP/pcheck.yaml" >"$TMP/pcheck.out" 2>"$TMP/pcheck.err"
ok "plugin-check hostname: passes" grep -q '^PASS ' "$TMP/pcheck.out"
ok "plugin-check hostname: idempotent" grep -q '^ok hostname\[pcheck\]: idempotent' "$TMP/pcheck.out"
ok "plugin-check hostname: applied" is pcheck "Plugin Check"
grep -v '^ok ' "$TMP/pcheck.out" | sed 's/^/# /'

for f in "$TMP"/*.log; do
	[ "$T_FAIL" -eq 0 ] || { echo "# --- $f"; diag_file "$f"; }
done
done_testing

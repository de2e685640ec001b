#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The pkg resource against a real PackageKit, in a systemd booted for this
# test in its own namespaces (tests/system/sandbox.sh).  /usr, /var and /etc
# are in-memory overlays there, so what is installed vanishes when the
# sandbox stops; the packages (sl, cowsay, hello: small, from the
# distribution's archive) are still removed at the end.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"

[ -e "$MGMT_PLUGINS_DIR/pkg.so" ] || not_available "the pkg plugin is not built"
command -v dpkg >/dev/null || not_available "not a dpkg system"
sandbox_start pkg
sbx busctl call org.freedesktop.PackageKit /org/freedesktop/PackageKit \
	org.freedesktop.PackageKit CreateTransaction >/dev/null 2>&1 ||
	not_available "PackageKit cannot run in the sandbox"

PKGS="sl cowsay hello"

# run_graph NAME [ARGS...]: run $TMP/NAME.yaml to convergence inside; log
# in NAME.log.
run_graph() {
	local name=$1
	shift
	sbx "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" --log-level debug \
		run --yaml "$TMP/$name.yaml" --converged-timeout 0 "$@" \
		>"$TMP/$name.log" 2>&1
}

installed() {
	sbx dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

not_installed() {
	! installed "$1"
}

fails() {
	! "$@"
}

# gone PID: no such process inside the sandbox (any more).
gone() {
	! sbx kill -0 "$1" 2>/dev/null
}

# graph_of NAME STATE PKG...: a graph with one pkg resource per PKG.
graph_of() {
	local name=$1 state=$2
	shift 2
	{
		echo "graph: $name"
		echo "resources:"
		echo "  pkg:"
		for p in "$@"; do
			echo "  - name: $p"
			echo "    state: $state"
		done
	} >"$TMP/$name.yaml"
}

# count PATTERN FILE: lines matching (0 when none).
count() {
	grep -c -- "$1" "$2" || true
}

# Start from none of them installed (the host may have some).
sbx apt-get remove -y $PKGS >/dev/null 2>&1
for p in $PKGS; do
	ok "$p is not installed before the tests" not_installed "$p"
done

# --- check only (noop) ----------------------------------------------------
graph_of one installed sl
ok "noop: exit 0" run_graph one --noop
ok "noop: reports what it would do" grep -q 'Pkg\[sl\]: would install sl;' "$TMP/one.log"
ok "noop: nothing installed" not_installed sl

# --- install, converged, remove -------------------------------------------
ok "install: exit 0" run_graph one
ok "install: dpkg says installed" installed sl
ok "install: logged like mgmt" grep -q 'Pkg\[sl\]: Set(installed) success: installed sl' "$TMP/one.log"
ok "install: progress is logged" grep -q 'Pkg\[sl\]: InstallPackages: ' "$TMP/one.log"
ok "again: exit 0" run_graph one
ok "again: no transaction besides Resolve" \
	[ "$(count 'InstallPackages\|RemovePackages' "$TMP/one.log")" = 0 ]

graph_of gone uninstalled sl
ok "uninstalled: exit 0" run_graph gone
ok "uninstalled: dpkg says not installed" not_installed sl
ok "uninstalled: logged" grep -q 'Set(uninstalled) success: removed sl' "$TMP/gone.log"
ok "uninstalled again: nothing to do" run_graph gone
ok "uninstalled again: no RemovePackages" \
	[ "$(count RemovePackages "$TMP/gone.log")" = 0 ]

# --- three packages grouped: one transaction ------------------------------
# busctl monitor sees every call on a PackageKit transaction: the count of
# InstallPackages calls is the count of install transactions.
graph_of three installed $PKGS
sbx_bg "$TMP/mon.pid" sh -c "exec busctl monitor --json=short \
	--match \"type='method_call',interface='org.freedesktop.PackageKit.Transaction'\" \
	>'$TMP/mon.out' 2>&1"
wait_for 10 grep -q . "$TMP/mon.out"
ok "grouped install: exit 0" run_graph three
sbx kill "$(cat "$TMP/mon.pid")"
for p in $PKGS; do
	ok "grouped install: $p installed" installed "$p"
done
ok "grouped install: one InstallPackages call on the bus" \
	[ "$(count '"member":"InstallPackages"' "$TMP/mon.out")" = 1 ]
ok "grouped install: it named all three packages" \
	sh -c "grep '\"member\":\"InstallPackages\"' '$TMP/mon.out' |
		grep 'sl;' | grep 'cowsay;' | grep -q 'hello;'"
# (the graph's compile resolves them too, for autoedges: also all three)
ok "grouped install: every Resolve named all three" \
	[ "$(count '"member":"Resolve"' "$TMP/mon.out")" = \
	  "$(grep '"member":"Resolve"' "$TMP/mon.out" | grep '"sl"' |
	     grep '"cowsay"' | grep -c '"hello"')" ]
ok "grouped install: logged as mgmt's autogroup" \
	grep -q 'Pkg\[autogroup:(cowsay,hello,sl)\]: Set(installed) success: installed' "$TMP/three.log"

# --- removed by someone else: repaired ------------------------------------
# The engine runs in the background; apt-get and dpkg remove sl behind
# its back, and it installs sl again.
sbx_bg "$TMP/eng.pid" sh -c "exec '$MGMT_ENGINE' --plugins-dir '$MGMT_PLUGINS_DIR' \
	run --yaml '$TMP/one.yaml' >'$TMP/bg.log' 2>&1"
ok "watching: first converged" wait_for 60 grep -q 'info converged' "$TMP/bg.log"
sbx apt-get remove -y sl >/dev/null 2>&1
ok "apt-get remove: it was removed" not_installed sl
ok "apt-get remove: repaired" wait_for 60 installed sl
ok "apt-get remove: the repair is logged" wait_for 10 \
	grep -q 'Pkg\[sl\]: Set(installed) success' "$TMP/bg.log"
n=$(count 'Set(installed) success' "$TMP/bg.log")
sbx dpkg -r sl >/dev/null 2>&1
ok "dpkg -r: it was removed" not_installed sl
ok "dpkg -r: repaired" wait_for 60 installed sl
ok "dpkg -r: the repair is logged" wait_for 10 \
	sh -c "[ \$(grep -c 'Set(installed) success' '$TMP/bg.log') -gt $n ]"
sbx kill "$(cat "$TMP/eng.pid")"
ok "the engine stopped" wait_for 10 grep -q 'shutting down' "$TMP/bg.log"
ok "its own installs did not loop: at most 3 installs" \
	[ "$(count 'Set(installed): install' "$TMP/bg.log")" -le 3 ]

# --- stopped while a transaction waits: it is cancelled ------------------
# Someone else holds apt's lock, so PackageKit's install waits for it; the
# engine, stopped then, cancels the transaction and exits.
if [ -x /usr/bin/python3 ]; then
	sbx dpkg -r sl >/dev/null 2>&1
	sbx_bg "$TMP/lock.pid" /usr/bin/python3 -c '
import fcntl, time
f = open("/var/lib/dpkg/lock-frontend", "w")
fcntl.lockf(f, fcntl.LOCK_EX)
open("'"$TMP"'/locked", "w").close()
time.sleep(600)'
	wait_for 10 test -e "$TMP/locked"
	sbx_bg "$TMP/eng.pid" sh -c "exec '$MGMT_ENGINE' --plugins-dir '$MGMT_PLUGINS_DIR' \
		run --yaml '$TMP/one.yaml' >'$TMP/cancel.log' 2>&1"
	ok "cancel: the install started" wait_for 60 \
		grep -q 'Pkg\[sl\]: InstallPackages: ' "$TMP/cancel.log"
	sbx kill "$(cat "$TMP/eng.pid")"
	ok "cancel: the engine exits" wait_for 30 gone "$(cat "$TMP/eng.pid")"
	ok "cancel: the transaction was cancelled" \
		grep -q 'Pkg\[sl\]: InstallPackages cancelled: the engine is stopping' "$TMP/cancel.log"
	sbx kill "$(cat "$TMP/lock.pid")"
	ok "cancel: nothing was installed" not_installed sl
else
	skip "cancel" "no python3 to hold apt's lock"
fi

# --- a missing package: one line, the others go on ------------------------
cat >"$TMP/missing.yaml" <<EOF
graph: missing
resources:
  pkg:
  - name: mgmt-no-such-package
  - name: hello
    state: uninstalled
    meta: {autogroup: false}
  file:
  - name: marker
    path: $TMP/marker
    content: "written\n"
EOF
ok "missing: exit 1" fails run_graph missing
ok "missing: one line for it" \
	[ "$(count "error Pkg.mgmt-no-such-package.: no package named" "$TMP/missing.log")" = 1 ]
ok "missing: the line names the resource" \
	grep -q "error Pkg\[mgmt-no-such-package\]: no package named" "$TMP/missing.log"
ok "missing: the other package was still removed" not_installed hello
ok "missing: the other resource ran" test -f "$TMP/marker"

# --- a group with a missing package: only what comes after it waits ------
# pkg reports each member's result (host->member_result): the missing
# package and cowsay are one group (one Resolve); the file after cowsay is
# written, the one after the missing package not.
cat >"$TMP/split.yaml" <<EOF
graph: split
resources:
  pkg:
  - name: cowsay
  - name: mgmt-no-such-package
  file:
  - name: after-ok
    path: $TMP/after-ok
    content: "ok\n"
    meta: {autogroup: false}
  - name: after-missing
    path: $TMP/after-missing
    content: "no\n"
    meta: {autogroup: false}
edges:
- {from: {kind: pkg, name: cowsay}, to: {kind: file, name: after-ok}}
- {from: {kind: pkg, name: mgmt-no-such-package}, to: {kind: file, name: after-missing}}
EOF
ok "split group: exit 1" fails run_graph split
ok "split group: one vertex" grep -q 'Grouping: 2 resources into Pkg\[cowsay\]' "$TMP/split.log"
ok "split group: the file after the good package was written" [ -e "$TMP/after-ok" ]
ok "split group: the file after the missing one was not" [ ! -e "$TMP/after-missing" ]
ok "split group: the failure names the missing package" \
	grep -q 'Pkg\[mgmt-no-such-package\]: failed (error -1) (1 of the 2 members of its group)' "$TMP/split.log"

# --- plugin-check: pkg keeps the plugin contract against PackageKit ---------
cat >"$TMP/pcheck.yaml" <<'EOF'
resources:
  pkg:
  - name: sl
    state: uninstalled
EOF
installed sl || run_graph one
sbx "$MGMT_ENGINE" plugin-check "$MGMT_PLUGINS_DIR/pkg.so" --timeout 300 \
	--yaml "$TMP/pcheck.yaml" >"$TMP/pcheck.out" 2>"$TMP/pcheck.err"
ok "plugin-check pkg: passes" grep -q '^PASS ' "$TMP/pcheck.out"
ok "plugin-check pkg: idempotent, noop honest" \
	grep -q '^ok pkg\[sl\]: idempotent (noop CHANGED, apply CHANGED' "$TMP/pcheck.out"
ok "plugin-check pkg: sl was removed" not_installed sl
grep -v '^ok ' "$TMP/pcheck.out" | sed 's/^/# /'

# --- PackageKit not running: one clear line -------------------------------
# With a file resource in the graph, the autoedges ask PackageKit too.
{
	cat "$TMP/one.yaml"
	printf '  file:\n  - name: nopk-marker\n    path: %s/nopk\n    content: "x\\n"\n' "$TMP"
} >"$TMP/nopk.yaml"
sbx systemctl mask --runtime packagekit.service >/dev/null 2>&1
sbx systemctl stop packagekit.service >/dev/null 2>&1
ok "no PackageKit: exit 1" fails run_graph nopk
ok "no PackageKit: one line saying so" \
	[ "$(count 'error Pkg\[sl\]: PackageKit is not reachable' "$TMP/nopk.log")" = 1 ]
ok "no PackageKit: the autoedges' warning is one line" \
	[ "$(count 'warn Pkg\[sl\]: no automatic edges.*masked' "$TMP/nopk.log")" = 1 ]
ok "no PackageKit: the file resource ran" test -f "$TMP/nopk"
ok "autoedges ask PackageKit when a file could match" \
	grep -q 'autoedges: asking PackageKit for the files' "$TMP/nopk.log"
ok "autoedges do not ask when the graph has no file or svc" \
	sh -c "! grep -q 'autoedges: asking PackageKit' '$TMP/one.log'"
sbx systemctl unmask --runtime packagekit.service >/dev/null 2>&1

# --- autoedges: files and units of installed packages ---------------------
cat >"$TMP/edges.yaml" <<'EOF'
graph: edges
resources:
  pkg:
  - name: cowsay
  file:
  - name: cowsay-bin
    path: /usr/games/cowsay
  - name: unrelated
    path: /etc/mgmt-unrelated
EOF
# edge FILE FROM TO: the JSON graph has that edge.
edge() {
	grep -q "{\"from\": \"$2\", \"to\": \"$3\"" "$1"
}
# graph_json NAME: the compiled graph of $TMP/NAME.yaml in NAME.json.
graph_json() {
	sbx "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" graph \
		"$TMP/$1.yaml" --format json >"$TMP/$1.json" 2>"$TMP/$1.err"
}
ok "autoedges: graph compiles" graph_json edges
ok "autoedges: pkg before the file it owns" \
	edge "$TMP/edges.json" 'pkg\[cowsay\]' 'file\[cowsay-bin\]'
ok "autoedges: no edge to an unrelated file" \
	fails grep -q 'file\[unrelated\]", "notify' "$TMP/edges.json"
if [ -e "$MGMT_PLUGINS_DIR/svc.so" ]; then
	cat >"$TMP/unit.yaml" <<'EOF'
graph: unit
resources:
  pkg:
  - name: dbus
  svc:
  - name: dbus
EOF
	ok "autoedges: graph with a svc compiles" graph_json unit
	ok "autoedges: pkg before the svc of its unit file" \
		edge "$TMP/unit.json" 'pkg\[dbus\]' 'svc\[dbus\]'
else
	skip "autoedges: svc" "the svc plugin is not built"
fi

# --- clean up: remove what the tests installed, in one transaction --------
graph_of clean uninstalled $PKGS
ok "clean up: exit 0" run_graph clean
for p in $PKGS; do
	ok "clean up: $p removed" not_installed "$p"
done

for f in "$TMP"/*.log; do
	[ "$T_FAIL" -eq 0 ] || { echo "# --- $f"; diag_file "$f"; }
done
done_testing

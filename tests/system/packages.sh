#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The engine as a distribution ships it (doc/service.md): the Debian packages
# are built from this tree (tools/debs), installed with dpkg into a systemd
# booted for this test in its own namespaces, and operated there as an
# administrator would: a graph dropped into /etc/mgmt-engine/graph.d, the
# service enabled and converging, asked by `mgmt-engine status` and
# `trigger` over its control socket, a second graph file and `systemctl
# reload` (new resources applied, running ones not run again, the reload
# over when systemctl returns), a broken file refused with the running
# graph kept (by `mgmt-engine reload` too), the journal's fields, the
# watchdog restarting a wedged engine, a third-party plugin package built
# from mgmt-engine-dev alone and loaded after a restart, a clean stop, and
# a purge that leaves nothing.
#
# Building the packages takes minutes, so this runs only when asked
# (MGMT_PACKAGE_TEST=1, which tools/check sets for its plain build).
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"

[ "${MGMT_PACKAGE_TEST:-0}" = 1 ] || {
	echo "1..0 # SKIP builds and installs the Debian packages: set MGMT_PACKAGE_TEST=1 (tools/check does, in its plain build)"
	exit 0
}
for tool in dpkg-buildpackage dh lintian fakeroot; do
	command -v $tool >/dev/null ||
		not_available "$tool is missing (tools/deps package installs it)"
done

# ---- the packages ---------------------------------------------------------
DEBS=$TMP/debs
"$MGMT_TOP_SRCDIR/tools/debs" "$DEBS" >"$TMP/debs.log" 2>&1
rc=$?
ok "tools/debs builds the packages (lintian clean)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || {
	tail -n 40 "$TMP/debs.log" | sed 's/^/# /'
	done_testing
	exit
}
deb() { ls "$DEBS"/"$1"_*.deb 2>/dev/null | head -n 1; }
for p in mgmt-engine mgmt-engine-plugin-svc mgmt-engine-plugin-pkg \
	mgmt-engine-plugin-system mgmt-engine-dev; do
	ok "package $p is built" test -n "$(deb $p)"
done
ok "the engine package provides the ABI it loads" \
	sh -c "dpkg-deb -f '$(deb mgmt-engine)' Provides | grep -q 'mgmt-engine-abi-1'"
ok "a plugin package depends on that ABI" \
	sh -c "dpkg-deb -f '$(deb mgmt-engine-plugin-svc)' Depends | grep -q 'mgmt-engine-abi-1'"

sandbox_start packages

# In the sandbox, with what a test may change: /etc, /usr, /var and /srv
# are in-memory overlays there.
G=/etc/mgmt-engine/graph.d
W=/srv/mgmt-test
unit_prop() { sbx systemctl show -p "$1" --value mgmt-engine; }
status_text() { unit_prop StatusText; }
# converged N: STATUS= says N resources, all converged (guard 60 s).
status_converged() {
	[ "$(status_text)" = "converged: $1 resources, $1 converged, 0 failed" ]
}
converged() { wait_for 60 status_converged "$1"; }
# inside_has PATTERN CMD...: CMD, run inside, prints a line matching.
inside_has() {
	local pattern=$1
	shift
	sbx "$@" 2>/dev/null | grep -q -- "$pattern"
}
fails_inside() { ! sbx "$@"; }
runs() { sbx sh -c "cat $W/runs 2>/dev/null | wc -l"; }

fails_inside dpkg -i "$(deb mgmt-engine-plugin-svc)" >"$TMP/alone.out" 2>&1
rc=$?
ok "a plugin package alone is refused: no engine provides its ABI" \
	[ "$rc" -eq 0 ]
ok "dpkg names the missing ABI" grep -q "mgmt-engine-abi-1" "$TMP/alone.out"
sbx dpkg -i "$(deb mgmt-engine)" "$(deb mgmt-engine-plugin-svc)" \
	"$(deb mgmt-engine-plugin-pkg)" "$(deb mgmt-engine-plugin-system)" \
	"$(deb mgmt-engine-dev)" >"$TMP/install.out" 2>&1
rc=$?
ok "dpkg -i installs the engine, its plugin packages and the SDK" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag_file "$TMP/install.out"
ok "every package is installed" \
	[ "$(sbx dpkg-query -W -f '${Status}\n' mgmt-engine \
		mgmt-engine-plugin-svc mgmt-engine-plugin-pkg \
		mgmt-engine-plugin-system mgmt-engine-dev |
		grep -c '^install ok installed$')" -eq 5 ]
sbx mgmt-engine plugins >"$TMP/plugins.out" 2>&1
rc=$?
ok "the engine lists the packaged kinds" [ "$rc" -eq 0 ]
for k in noop timer file exec svc pkg user group hostname msg mount cron kv; do
	ok "kind $k from the packaged plugin directory" \
		grep -q "^  kind $k:" "$TMP/plugins.out"
done
ok "the graph directory is there, empty" \
	sbx sh -c "[ -d $G ] && [ -z \"\$(ls -A $G)\" ]"
ok "the options file is there" sbx test -f /etc/default/mgmt-engine
ok "man mgmt-engine(1) is installed" \
	sbx sh -c "ls /usr/share/man/man1/mgmt-engine.1* >/dev/null"

# ---- the service: a graph, enabled, converging ----------------------------
sbx sh -c "cat >/etc/systemd/system/mgmt-test-sleep.service" <<'EOF'
[Service]
ExecStart=/bin/sleep infinity
EOF
sbx systemctl daemon-reload
sbx sh -c "cat >$G/10-base.yaml" <<EOF
resources:
  file:
  - {name: dir, path: $W/, state: exists}
  - {name: motd, path: $W/motd, content: "managed\n"}
  exec:
  - {name: once, shell: /bin/sh, cmd: "echo ran >>$W/runs"}
  svc:
  - {name: mgmt-test-sleep, state: running}
edges:
- {from: {kind: file, name: motd}, to: {kind: exec, name: once}}
EOF
sbx systemctl enable --now mgmt-engine >"$TMP/enable.out" 2>&1
rc=$?
ok "systemctl enable --now mgmt-engine" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag_file "$TMP/enable.out"
ok "the service is active" [ "$(sbx systemctl is-active mgmt-engine)" = active ]
ok "STATUS= reaches converged, 4 resources" converged 4
ok "the file is written" [ "$(sbx cat $W/motd)" = managed ]
ok "the command ran once" [ "$(runs)" -eq 1 ]
ok "the svc plugin package started the unit" \
	[ "$(sbx systemctl is-active mgmt-test-sleep)" = active ]
sbx mgmt-engine status >"$TMP/status.out" 2>&1
rc=$?
ok "mgmt-engine status asks the service over its socket: exit 0, converged" \
	[ "$rc" -eq 0 ]
ok "...its summary: converged, 4 resources" \
	grep -Eq ': converged for [0-9]+[smhd]; 4 resources: 4 converged$' "$TMP/status.out"
ok "...a row per resource" [ "$(grep -Ec '^(file|exec|svc) ' "$TMP/status.out")" -eq 4 ]
[ "$rc" -eq 0 ] || diag_file "$TMP/status.out"
ok "the service's socket is root's alone" \
	[ "$(sbx stat -c '%a %U' /run/mgmt-engine/control.sock)" = "600 root" ]
ok "mgmt-engine trigger checks a resource now" \
	[ "$(sbx mgmt-engine trigger file motd 2>&1)" = "trigger: file[motd]: converged" ]

# ---- a second file and systemctl reload -----------------------------------
sbx sh -c "cat >$G/20-more.yaml" <<EOF
resources:
  file:
  - {name: more, path: $W/more, content: "more\n"}
EOF
ok "systemctl reload succeeds" sbx systemctl reload mgmt-engine
ok "the new resource is applied" converged 5
ok "...and its file written" [ "$(sbx cat $W/more 2>/dev/null)" = more ]
ok "the running ones were not run again" [ "$(runs)" -eq 1 ]

# A part the directory's watch does not see change (a symlink to a file
# elsewhere): only `systemctl reload` takes it, and its STATUS= must be the
# new graph's when systemctl returns, not a moment later.
sbx sh -c "mkdir -p /srv/graphs && printf 'resources:\n  noop:\n  - {name: l1}\n' >/srv/graphs/link.yaml && ln -s /srv/graphs/link.yaml $G/30-link.yaml"
ok "a linked part is taken" converged 6
good=0
for n in 2 3 4 5 6; do
	sbx sh -c "{ echo 'resources:'; echo '  noop:'; for i in \$(seq $n); do echo \"  - {name: l\$i}\"; done; } >/srv/graphs/link.new && mv /srv/graphs/link.new /srv/graphs/link.yaml"
	sbx systemctl reload mgmt-engine
	case $(status_text) in "converg"*": $((5 + n)) resources,"*) good=$((good + 1)) ;; esac
done
ok "systemctl reload returns once the new graph runs (5 of 5)" [ "$good" -eq 5 ]

# A broken part: the reload is refused, the running graph stays.
sbx sh -c "printf 'resources:\n  file:\n  - {name: bad, path: relative}\n' >$G/40-broken.yaml"
sbx systemctl reload mgmt-engine
ok "STATUS= says the reload was refused" \
	inside_has 'last reload refused: 1 error' \
	systemctl show -p StatusText --value mgmt-engine
ok "the service still runs" [ "$(sbx systemctl is-active mgmt-engine)" = active ]
ok "the error is in the journal with its file:line:col" \
	wait_for 10 inside_has "$G/40-broken.yaml:3:[0-9]*: " \
	journalctl -u mgmt-engine --no-pager
sbx mgmt-engine reload >"$TMP/reload.out" 2>&1
rc=$?
ok "mgmt-engine reload is refused too: exit 1" [ "$rc" -eq 1 ]
ok "...with the error's position" \
	grep -q "^mgmt-engine: reload: refused: $G/40-broken.yaml:3:[0-9]*: " "$TMP/reload.out"
[ "$rc" -eq 1 ] || diag_file "$TMP/reload.out"
ok "nothing ran again" [ "$(runs)" -eq 1 ]
sbx rm -f "$G/40-broken.yaml"
ok "without the broken part it converges again, no refusal" converged 11

# ---- the journal's fields -------------------------------------------------
sbx journalctl -u mgmt-engine -o json --no-pager MGMT_KIND=file \
	MGMT_RESOURCE=motd >"$TMP/journal.json" 2>&1
ok "the journal has the resource's entries by MGMT_KIND and MGMT_RESOURCE" \
	grep -q '"MESSAGE":"File\[motd\]: ' "$TMP/journal.json"
ok "...with MGMT_GRAPH" grep -q "\"MGMT_GRAPH\":\"$G\"" "$TMP/journal.json"
ok "...with PRIORITY" grep -q '"PRIORITY":"6"' "$TMP/journal.json"
ok "...the engine's own lines with the engine's code location" \
	grep -q '"CODE_FILE":"engine/run/[a-z]*\.c"' "$TMP/journal.json"
ok "...the plugin's own lines with the plugin's (host->log_at)" \
	grep -q '"CODE_FILE":"plugins/file/[a-z]*\.c"' "$TMP/journal.json"

# ---- the watchdog: a wedged engine is restarted ---------------------------
sbx sh -c "mkdir -p /run/systemd/system/mgmt-engine.service.d && printf '[Service]\nWatchdogSec=1s\nTimeoutAbortSec=2s\n' >/run/systemd/system/mgmt-engine.service.d/watchdog.conf && systemctl daemon-reload && systemctl restart mgmt-engine"
ok "restarted with a 1 s watchdog" converged 11
old=$(unit_prop MainPID)
nr=$(unit_prop NRestarts)
restarted_since() { [ "$(unit_prop NRestarts)" -gt "$1" ]; }
sbx kill -STOP "$old"
ok "a stopped loop misses the watchdog: systemd restarts the engine" \
	wait_for 60 restarted_since "$nr"
ok "...and it runs again" converged 11
ok "...as a new process" [ "$(unit_prop MainPID)" != "$old" ]
sbx sh -c "rm -r /run/systemd/system/mgmt-engine.service.d && systemctl daemon-reload"

# ---- a third-party plugin package, from mgmt-engine-dev alone -------------
cp -r "$MGMT_TOP_SRCDIR/examples/plugin-hello" "$TMP/hello"
chmod -R u+w "$TMP/hello"
(cd "$TMP/hello" && bash "$SBX_SCRIPT" exec "$SBX_NAME" \
	dpkg-buildpackage -us -uc -b) >"$TMP/hello-build.out" 2>&1
rc=$?
ok "the hello plugin package builds against the installed SDK" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -n 30 "$TMP/hello-build.out" | sed 's/^/# /'
hello=$(ls "$TMP"/mgmt-engine-plugin-hello_*.deb 2>/dev/null | head -n 1)
ok "...and installs" sbx dpkg -i "$hello"
ok "...depending on the engine's ABI" \
	sh -c "dpkg-deb -f '$hello' Depends | grep -q 'mgmt-engine-abi-1'"
sbx sh -c "printf 'resources:\n  hello:\n  - {name: world}\n' >$G/50-hello.yaml"
sbx systemctl restart mgmt-engine
ok "after a restart the service runs the third party's kind" converged 12
ok "...whose lines the journal shows, from the third party's source" \
	wait_for 10 inside_has '"CODE_FILE":"hello.c"' journalctl \
	-u mgmt-engine -o json --no-pager MGMT_KIND=hello MGMT_RESOURCE=world

# ---- stop, purge ----------------------------------------------------------
ok "systemctl stop" sbx systemctl stop mgmt-engine
ok "...exits cleanly" [ "$(unit_prop Result)" = success ]
ok "...with status 0" \
	[ "$(unit_prop ExecMainStatus)" = 0 ]
# What the administrator put in graph.d is theirs; take it away first.
sbx rm -f "$G/10-base.yaml" "$G/20-more.yaml" "$G/30-link.yaml" \
	"$G/50-hello.yaml"
sbx env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
	mgmt-engine-plugin-hello mgmt-engine-plugin-svc mgmt-engine-plugin-pkg \
	mgmt-engine-plugin-system \
	mgmt-engine-dev mgmt-engine >"$TMP/purge.out" 2>&1
rc=$?
ok "apt-get purge removes every package" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag_file "$TMP/purge.out"
for path in /usr/bin/mgmt-engine /etc/mgmt-engine /etc/default/mgmt-engine \
	/var/lib/mgmt-engine /lib/systemd/system/mgmt-engine.service \
	/etc/systemd/system/multi-user.target.wants/mgmt-engine.service \
	/usr/include/mgmt /usr/share/doc/mgmt-engine; do
	ok "purged: $path" sbx sh -c "[ ! -e $path ] && [ ! -L $path ]"
done
ok "purged: the plugin directory" \
	sbx sh -c "! ls -d /usr/lib/*/mgmt-engine >/dev/null 2>&1"
ok "dpkg knows none of them" \
	[ -z "$(sbx dpkg-query -W 'mgmt-engine*' 2>/dev/null)" ]

done_testing

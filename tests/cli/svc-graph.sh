#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# svc-graph.sh - the svc resource without systemd: `validate` and `graph`
# only compile, so they work on a machine with no systemd and no bus (both
# bus addresses point nowhere here).  Checked end to end: README's example,
# the automatic edges after the file resources of a unit file, in the system
# manager's directories or the user manager's (exact JSON), grouping by
# service manager, the unit names refused with their exact FILE:LINE:COL
# lines (for validate, graph and run alike, nothing started), the length
# limit with ".service" added, and the parameters `plugins` lists.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

# Whatever these commands do, they must not need a bus.
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TMP/no-system-bus"
DBUS_SESSION_BUS_ADDRESS="unix:path=$TMP/no-session-bus"
XDG_RUNTIME_DIR="$TMP/no-runtime-dir"
export DBUS_SYSTEM_BUS_ADDRESS DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR

# same WANT FILE: FILE holds exactly the text WANT (and a final newline).
same() {
	printf '%s\n' "$1" >"$2.want"
	cmp -s "$2.want" "$2" || {
		echo "# want:"
		diag_file "$2.want"
		echo "# got:"
		diag_file "$2"
		false
	}
}

# quiet FILE: a command's stderr at debug level has no warning or error.
quiet() {
	! grep -E '^[^ ]+ (warn|error) ' "$1" || {
		diag_file "$1"
		false
	}
}

# README's example, as README.md has it.
awk '/^## Services: the `svc` resource/ { s = 1 }
	s && /^```yaml/ { y = 1; next }
	y && /^```/ { exit }
	y' "$MGMT_TOP_SRCDIR/README.md" >"$TMP/readme.yaml"
ok "README has the svc example" grep -q '^  svc:' "$TMP/readme.yaml"
engine validate "$TMP/readme.yaml" >"$TMP/readme.out" 2>"$TMP/readme.err"
ok "README's example: validate exits 0" [ $? -eq 0 ]
ok "README's example: its edge and the automatic one" same \
	"$TMP/readme.yaml: ok (2 resources, 2 edges)" "$TMP/readme.out"
engine --log-level debug graph --format json "$TMP/readme.yaml" \
	>"$TMP/readme.json" 2>"$TMP/readme.err"
ok "README's example: graph exits 0" [ $? -eq 0 ]
ok "README's example: one edge, the notify one, file before svc" same \
	'{"vertices": [{"id": "file[unit]", "kind": "file", "members": ["unit"]}, {"id": "svc[hello-web]", "kind": "svc", "members": ["hello-web"]}], "edges": [{"from": "file[unit]", "to": "svc[hello-web]", "notify": true}]}' \
	"$TMP/readme.json"
ok "README's example: no warning or error without a bus" quiet \
	"$TMP/readme.err"

# The automatic edges alone: from each file resource that writes the unit
# file where systemd reads system units from; none from other paths (no
# suffix, a drop-in directory, the user units' directory, another unit).
cat >"$TMP/edges.yaml" <<'Y'
resources:
  file:
  - {name: etc, path: /etc/systemd/system/web.service}
  - {name: run, path: /run/systemd/system/web.service}
  - {name: lib, path: /lib/systemd/system/web.service}
  - {name: usr, path: /usr/lib/systemd/system/web.service}
  - {name: nosuffix, path: /etc/systemd/system/web}
  - {name: dropin, path: /etc/systemd/system/web.service.d/}
  - {name: user, path: /etc/systemd/user/web.service}
  - {name: other, path: /etc/systemd/system/web.socket}
  - {name: sock, path: /lib/systemd/system/ssh.socket}
  - {name: q, path: /etc/systemd/system/quiet.service}
  svc:
  - name: web
  - name: ssh.socket
  - name: quiet
    meta: {autoedge: false}
Y
engine --log-level debug graph --no-autogroup --format json \
	"$TMP/edges.yaml" >"$TMP/edges.json" 2>"$TMP/edges.err"
ok "unit files: graph exits 0" [ $? -eq 0 ]
ok "unit files: exactly the edges from the unit's files" same \
	'{"vertices": [{"id": "file[dropin]", "kind": "file", "members": ["dropin"]}, {"id": "file[etc]", "kind": "file", "members": ["etc"]}, {"id": "file[lib]", "kind": "file", "members": ["lib"]}, {"id": "file[nosuffix]", "kind": "file", "members": ["nosuffix"]}, {"id": "file[other]", "kind": "file", "members": ["other"]}, {"id": "file[q]", "kind": "file", "members": ["q"]}, {"id": "file[run]", "kind": "file", "members": ["run"]}, {"id": "file[sock]", "kind": "file", "members": ["sock"]}, {"id": "file[user]", "kind": "file", "members": ["user"]}, {"id": "file[usr]", "kind": "file", "members": ["usr"]}, {"id": "svc[quiet]", "kind": "svc", "members": ["quiet"]}, {"id": "svc[ssh.socket]", "kind": "svc", "members": ["ssh.socket"]}, {"id": "svc[web]", "kind": "svc", "members": ["web"]}], "edges": [{"from": "file[etc]", "to": "svc[web]", "notify": false}, {"from": "file[lib]", "to": "svc[web]", "notify": false}, {"from": "file[run]", "to": "svc[web]", "notify": false}, {"from": "file[sock]", "to": "svc[ssh.socket]", "notify": false}, {"from": "file[usr]", "to": "svc[web]", "notify": false}]}' \
	"$TMP/edges.json"
ok "unit files: no warning or error without a bus" quiet "$TMP/edges.err"
engine validate "$TMP/edges.yaml" >"$TMP/edges.out" 2>&1
ok "unit files: validate counts the 5 automatic edges" same \
	"$TMP/edges.yaml: ok (13 resources, 5 edges)" "$TMP/edges.out"

# The user's manager (session: true) reads units from other directories:
# its unit comes after the files there, not after the system's (the
# system's unit of the same name does), nor after a home directory's (the
# engine knows no user's home).
cat >"$TMP/user-edges.yaml" <<'Y'
resources:
  file:
  - {name: uetc, path: /etc/systemd/user/app.service}
  - {name: urun, path: /run/systemd/user/app.service}
  - {name: ulib, path: /lib/systemd/user/app.service}
  - {name: uusr, path: /usr/lib/systemd/user/app.service}
  - {name: sys, path: /etc/systemd/system/app.service}
  - {name: home, path: /home/u/.config/systemd/user/app.service}
  svc:
  - {name: app, session: true}
  - {name: app.service}
Y
engine --log-level debug graph --no-autogroup --format json \
	"$TMP/user-edges.yaml" >"$TMP/user-edges.json" 2>"$TMP/user-edges.err"
ok "user unit files: graph exits 0" [ $? -eq 0 ]
ok "user unit files: exactly the edges from the user's unit directories" same \
	'{"vertices": [{"id": "file[home]", "kind": "file", "members": ["home"]}, {"id": "file[sys]", "kind": "file", "members": ["sys"]}, {"id": "file[uetc]", "kind": "file", "members": ["uetc"]}, {"id": "file[ulib]", "kind": "file", "members": ["ulib"]}, {"id": "file[urun]", "kind": "file", "members": ["urun"]}, {"id": "file[uusr]", "kind": "file", "members": ["uusr"]}, {"id": "svc[app.service]", "kind": "svc", "members": ["app.service"]}, {"id": "svc[app]", "kind": "svc", "members": ["app"]}], "edges": [{"from": "file[sys]", "to": "svc[app.service]", "notify": false}, {"from": "file[uetc]", "to": "svc[app]", "notify": false}, {"from": "file[ulib]", "to": "svc[app]", "notify": false}, {"from": "file[urun]", "to": "svc[app]", "notify": false}, {"from": "file[uusr]", "to": "svc[app]", "notify": false}]}' \
	"$TMP/user-edges.json"
ok "user unit files: no warning or error without a bus" quiet \
	"$TMP/user-edges.err"

# Grouping: the system manager's units in one group, the user's in
# another; the group comes after the files of its members' units.
cat >"$TMP/group.yaml" <<'Y'
resources:
  file:
  - {name: a-unit, path: /etc/systemd/system/a.service}
  svc:
  - {name: a, state: running}
  - {name: b.socket, startup: enabled}
  - {name: c, session: true}
  - {name: d.timer, session: true, state: stopped}
Y
engine graph --format json "$TMP/group.yaml" >"$TMP/group.json" \
	2>"$TMP/group.err"
ok "groups: graph exits 0" [ $? -eq 0 ]
ok "groups: one per service manager" same \
	'{"vertices": [{"id": "file[a-unit]", "kind": "file", "members": ["a-unit"]}, {"id": "svc[autogroup:(a,b.socket)]", "kind": "svc", "members": ["a", "b.socket"]}, {"id": "svc[autogroup:(c,d.timer)]", "kind": "svc", "members": ["c", "d.timer"]}], "edges": [{"from": "file[a-unit]", "to": "svc[autogroup:(a,b.socket)]", "notify": false}]}' \
	"$TMP/group.json"

# Refused unit names and values: every one reported, at its resource (a
# name) or its value (a parameter), the good resources not at all.
cat >"$TMP/bad.yaml" <<'Y'
resources:
  svc:
  - name: good
  - name: "bad name"
  - name: .hidden
  - name: "../../etc/passwd"
  - name: "a/b.service"
  - name: "x;reboot"
  - name: fine.socket
    state: started
  - name: fine.timer
    startup: "yes"
  - name: fine@x
    session: maybe
Y
B="$TMP/bad.yaml"
bad="$B:4:5: svc[bad name]: \"bad name\" is not a unit name (character ' ')
$B:5:5: svc[.hidden]: \".hidden\" is not a unit name
$B:6:5: svc[../../etc/passwd]: \"../../etc/passwd\" is not a unit name
$B:7:5: svc[a/b.service]: \"a/b.service\" is not a unit name (character '/')
$B:8:5: svc[x;reboot]: \"x;reboot\" is not a unit name (character ';')
$B:10:12: svc[fine.socket]: state \"started\" is not one of: running, stopped
$B:12:14: svc[fine.timer]: startup \"yes\" is not one of: enabled, disabled
$B:14:14: svc[fine@x]: session \"maybe\" is not a boolean (true or false)
$B: 8 errors; nothing was changed"
engine validate "$B" >"$TMP/bad.out" 2>"$TMP/bad.err"
ok "bad names: validate exits 2" [ $? -eq 2 ]
ok "bad names: validate prints every error, exactly" same "$bad" \
	"$TMP/bad.err"
ok "bad names: validate prints nothing on stdout" [ ! -s "$TMP/bad.out" ]
engine graph --format json "$B" >"$TMP/bad-graph.out" 2>"$TMP/bad-graph.err"
ok "bad names: graph exits 2" [ $? -eq 2 ]
ok "bad names: graph prints the same errors" same "$bad" \
	"$TMP/bad-graph.err"
ok "bad names: graph prints no graph" [ ! -s "$TMP/bad-graph.out" ]
# A graph that does not compile is never applied: run stops before any
# resource (and so before any bus).
engine run --yaml "$B" --converged-timeout 0 >/dev/null 2>"$TMP/bad-run.err"
ok "bad names: run exits 2" [ $? -eq 2 ]
ok "bad names: run prints the same errors" same "$bad" "$TMP/bad-run.err"

# The length limit is systemd's on the unit as it will be asked for: 255
# characters with the ".service" added.  247 + 8 is the longest; 248 + 8 is
# refused by validate (one line, at the resource), not by systemd at run
# time.
a247=$(printf 'a%.0s' $(seq 247))
printf 'resources:\n  svc:\n  - name: %s\n' "$a247" >"$TMP/long-ok.yaml"
engine validate "$TMP/long-ok.yaml" >"$TMP/long-ok.out" 2>&1
ok "255 characters with .service: validate exits 0" [ $? -eq 0 ]
ok "255 characters with .service: accepted" same \
	"$TMP/long-ok.yaml: ok (1 resources, 0 edges)" "$TMP/long-ok.out"
printf 'resources:\n  svc:\n  - name: %s\n' "a$a247" >"$TMP/long.yaml"
engine validate "$TMP/long.yaml" >/dev/null 2>"$TMP/long.err"
ok "256 characters with .service: validate exits 2" [ $? -eq 2 ]
ok "256 characters with .service: one error line and the count" \
	[ "$(wc -l <"$TMP/long.err")" -eq 2 ]
# ends_as FILE PREFIX SUFFIX: FILE's first line starts with PREFIX and ends
# with SUFFIX (the engine shortens a long name in the "svc[...]" label).
ends_as() {
	line=$(head -n 1 "$1")
	case "$line" in
	"$2"*"$3") ;;
	*)
		diag_file "$1"
		false
		;;
	esac
}
ok "256 characters with .service: at the resource, saying why" ends_as \
	"$TMP/long.err" "$TMP/long.yaml:3:5: svc[aaaa" \
	": \"a$a247\" is not a unit name (longer than 255 characters with \".service\")"

# The uid in a message: "user/" and the added ".service" for the user's
# manager (the system's is in conflicts.sh).
cat >"$TMP/twice.yaml" <<'Y'
resources:
  svc:
  - {name: app, session: true}
  - {name: app.service, session: true}
Y
engine validate "$TMP/twice.yaml" >/dev/null 2>"$TMP/twice.err"
ok "one user unit twice: validate exits 2" [ $? -eq 2 ]
ok "one user unit twice: named by its uid" same \
	"$TMP/twice.yaml:4:5: svc[app.service]: user/app.service is also managed by svc[app] ($TMP/twice.yaml:3:5)
$TMP/twice.yaml: 1 error; nothing was changed" "$TMP/twice.err"

# The parameters as README's table has them: state and startup unset
# (not managed) by default, session false.
engine plugins >"$TMP/plugins.out" 2>/dev/null
grep -A3 '^  kind svc: ' "$TMP/plugins.out" >"$TMP/svc-params.out"
ok "plugins: svc's parameters and defaults" same \
	'  kind svc: a systemd unit: running or stopped, enabled or disabled
    state            enum     one of running|stopped  running or stopped; unset: not managed
    startup          enum     one of enabled|disabled  enabled or disabled at boot; unset: not managed
    session          bool     default "false"  the user'"'"'s service manager instead of the system one' \
	"$TMP/svc-params.out"

done_testing

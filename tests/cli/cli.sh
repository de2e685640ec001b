#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The command line: help, version, plugins, validate, graph, usage errors and
# their exit statuses (doc/architecture.md, "Commands and exit statuses").
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

ok "--help exits 0 and shows the commands" sh -c \
	'"$MGMT_ENGINE" --help >"$1/help" && grep -q "validate GRAPH" "$1/help" && grep -q "converged-timeout" "$1/help"' _ "$TMP"
ok "--help says plugins exits 1 when a plugin was refused" sh -c \
	'"$MGMT_ENGINE" --help | grep -A2 "^  plugins " | grep -q "exit 1 if"'
ok "--version names the SDK ABI" sh -c \
	'"$MGMT_ENGINE" --version | grep -Eq "^mgmt-engine [0-9.]+ \(plugin SDK ABI 1\.[0-9]+\)$"'
ok "no command: exit 2" sh -c '"$MGMT_ENGINE" 2>/dev/null; [ $? -eq 2 ]'
ok "unknown command: exit 2 with a hint" sh -c \
	'"$MGMT_ENGINE" frobnicate 2>"$1/err"; [ $? -eq 2 ] && grep -q "unknown command .frobnicate." "$1/err"' _ "$TMP"
ok "bad --log-level: exit 2" sh -c '"$MGMT_ENGINE" --log-level loud plugins 2>/dev/null; [ $? -eq 2 ]'

engine plugins >"$TMP/plugins" 2>"$TMP/plugins.err"
ok "plugins lists noop with its parameter" sh -c \
	'grep -q "kind noop" "$1" && grep -q "comment" "$1"' _ "$TMP/plugins"
ok "plugins lists timer with interval required" sh -c \
	'grep -q "kind timer" "$1" && grep -Eq "interval +duration +required" "$1"' _ "$TMP/plugins"
ok "plugins shows ABI versions" grep -q "(ABI 1\.[0-9]*)" "$TMP/plugins"
engine plugins --format text >"$TMP/plugins.text" 2>/dev/null
ok "plugins --format text is the listing" cmp -s "$TMP/plugins" "$TMP/plugins.text"

# The kinds' reference that mgmt-engine.yaml(5) is made of (the page itself
# is tests/cli/man-pages.sh's).
engine plugins --format scdoc >"$TMP/kinds.scd" 2>"$TMP/kinds.err"
ok "plugins --format scdoc: exit 0, nothing on stderr" sh -c \
	'[ $1 -eq 0 ] && [ ! -s "$2" ]' _ $? "$TMP/kinds.err"
ok "plugins --format scdoc: a section per kind with its plugin file" sh -c \
	'grep -qx "## noop" "$1" && grep -qx "## timer" "$1" &&
	 grep -q "^Defined by the plugin \*timer\* .*, file _timer.so_ (ABI 1\.[0-9]*)" "$1"' \
	_ "$TMP/kinds.scd"
ok "plugins --format scdoc: each parameter with type, required, default" sh -c \
	'grep -qx "\*interval\* (duration; required)" "$1" &&
	 grep -qx "\*comment\* (string)" "$1"' _ "$TMP/kinds.scd"

# --no-default-plugins: only --plugins-dir and $MGMT_ENGINE_PLUGINS_PATH.
MGMT_ENGINE_PLUGINS_PATH="$MGMT_PLUGINS_DIR" "$MGMT_ENGINE" \
	--no-default-plugins plugins >"$TMP/nodef.env" 2>/dev/null
ok "--no-default-plugins still searches \$MGMT_ENGINE_PLUGINS_PATH" \
	grep -q "kind noop" "$TMP/nodef.env"
"$MGMT_ENGINE" --no-default-plugins plugins >"$TMP/nodef.out" 2>"$TMP/nodef.err"
ok "--no-default-plugins alone: no kinds, and says so" sh -c \
	'! grep -q "kind " "$1" && grep -q "no resource kinds loaded" "$2"' \
	_ "$TMP/nodef.out" "$TMP/nodef.err"

cat >"$TMP/good.yaml" <<'Y'
graph: g
resources:
  noop:
  - name: a
  - name: b
    comment: second
  timer:
  - name: t
    interval: 3
edges:
- name: e1
  from: {kind: noop, name: a}
  to: {kind: noop, name: b}
Y
ok "validate a good graph: exit 0" sh -c \
	'"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" validate "$1" | grep -q "ok (3 resources, 1 edges)"' _ "$TMP/good.yaml"

cat >"$TMP/bad.yaml" <<'Y'
resources:
  noop:
  - name: a
    coment: typo
  - name: a
  fiel:
  - name: x
edges:
- from: {kind: noop, name: a}
  to: {kind: noop, name: zz}
Y
engine validate "$TMP/bad.yaml" >"$TMP/bad.out" 2>"$TMP/bad.err"
st=$?
ok "validate a bad graph: exit 2" [ "$st" -eq 2 ]
ok "unknown parameter with suggestion and line:col" \
	grep -q "bad.yaml:4:5: .*unknown parameter 'coment' (did you mean 'comment'?)" "$TMP/bad.err"
ok "duplicate name reported" grep -q "bad.yaml:5:.*noop\[a\]" "$TMP/bad.err"
ok "unknown kind lists known kinds" grep -q "bad.yaml:6:3: .*unknown kind 'fiel'.*noop.*timer" "$TMP/bad.err"
ok "edge to unknown resource" grep -q "bad.yaml:10:.*zz" "$TMP/bad.err"
ok "says nothing was changed" grep -q "nothing was changed" "$TMP/bad.err"
[ "$st" -eq 2 ] || diag_file "$TMP/bad.err"

ok "validate a missing file: exit 2" sh -c \
	'"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" validate "$1/nope.yaml" 2>"$1/nope.err"; [ $? -eq 2 ] && grep -q "nope.yaml" "$1/nope.err"' _ "$TMP"

engine graph "$TMP/good.yaml" >"$TMP/g.dot" 2>"$TMP/g.err"
ok "graph prints dot" sh -c 'grep -q "^digraph" "$1" && grep -q "Noop\[a\]" "$1" && grep -q -- "->" "$1"' _ "$TMP/g.dot"
ok "graph --format xml: exit 2" sh -c \
	'"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" graph --format xml "$1" 2>/dev/null; [ $? -eq 2 ]' _ "$TMP/good.yaml"

# Every option value is checked before anything is loaded or run: exit 2,
# one line naming the command, the option, the value and what it takes.
bad_option() { # WANT COMMAND-LINE...
	want=$1
	shift
	"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" "$@" \
		>"$TMP/opt.out" 2>"$TMP/opt.err"
	[ $? -eq 2 ] && [ ! -s "$TMP/opt.out" ] &&
		[ "$(cat "$TMP/opt.err")" = "mgmt-engine: $want; see mgmt-engine --help" ]
}
ok "graph --format xml says what it takes" bad_option \
	"graph: --format: 'xml' is not dot or json" graph --format xml "$TMP/good.yaml"
ok "run --workers 0 is refused" bad_option \
	"run: --workers: '0' is not a count from 1 to 1024" \
	run --yaml "$TMP/good.yaml" --workers 0
ok "run --workers 2.5 is refused" bad_option \
	"run: --workers: '2.5' is not a count from 1 to 1024" \
	run --workers 2.5 --yaml "$TMP/good.yaml"
ok "run --etcd-ttl 1 is refused" bad_option \
	"run: --etcd-ttl: '1' is not a whole number of seconds from 2 to 86400" \
	run --yaml "$TMP/good.yaml" --etcd-ttl 1
ok "run --etcd-password is refused: never a password on the command line" \
	bad_option "run: --etcd-password: a password is never taken from the command line, which every user can read: write it to a file of mode 0600 and give --etcd-password-file FILE" \
	run --yaml "$TMP/good.yaml" --etcd http://127.0.0.1:1 --etcd-password secret
ok "run --etcd-user without --etcd is refused" bad_option \
	"run: the --etcd-* options need --etcd URL[,URL...]" \
	run --yaml "$TMP/good.yaml" --etcd-user eng
ok "run --converged-timeout -2 is refused" bad_option \
	"run: --converged-timeout: '-2' is not a number of seconds (or -1)" \
	run --yaml "$TMP/good.yaml" --converged-timeout -2
ok "run --converged-timeout soon is refused" bad_option \
	"run: --converged-timeout: 'soon' is not a number of seconds (or -1)" \
	run --yaml "$TMP/good.yaml" --converged-timeout soon
ok "run --frob is refused" bad_option "run: unknown option '--frob'" \
	run --yaml "$TMP/good.yaml" --frob
ok "run --workers without a value is refused" bad_option \
	"run: --workers needs a value" run --yaml "$TMP/good.yaml" --workers
ok "an unknown global option is refused" bad_option \
	"unknown option '--frob'" --frob plugins
ok "run without --yaml is refused" bad_option \
	"run: --yaml GRAPH is required" run --noop
ok "run with an operand is refused" bad_option \
	"run: unexpected argument 'extra'" run --yaml "$TMP/good.yaml" extra
ok "plugins --format xml says what it takes" bad_option \
	"plugins: --format: 'xml' is not text or scdoc" plugins --format xml
ok "plugins with an operand is refused" bad_option \
	"plugins: unexpected argument 'extra'" plugins extra
ok "run --converged-timeout 0.5 is taken" "$MGMT_ENGINE" \
	--plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$TMP/good.yaml" \
	--converged-timeout 0.5 --workers 1 --prefix "$TMP/st"

# Grouping as users see it: noops group with any noop that no path joins.
cat >"$TMP/group.yaml" <<'Y'
resources:
  noop:
  - name: c
  - name: a
  - name: b
    meta: {autogroup: false}
  - name: z
edges:
- {from: {kind: noop, name: b}, to: {kind: noop, name: a}, notify: true}
- {from: {kind: noop, name: a}, to: {kind: noop, name: z}}
Y
engine graph --format json "$TMP/group.yaml" >"$TMP/group.json" 2>"$TMP/group.err"
printf '%s\n' '{"vertices": [{"id": "noop[autogroup:(a,c)]", "kind": "noop", "members": ["a", "c"]}, {"id": "noop[b]", "kind": "noop", "members": ["b"]}, {"id": "noop[z]", "kind": "noop", "members": ["z"]}], "edges": [{"from": "noop[autogroup:(a,c)]", "to": "noop[z]", "notify": false}, {"from": "noop[b]", "to": "noop[autogroup:(a,c)]", "notify": true}]}' >"$TMP/group.want"
ok "graph --format json: groups, ids, members, edges" cmp -s "$TMP/group.json" "$TMP/group.want"
ok "grouping: one line per group" sh -c \
	'grep -q " info Grouping: 2 resources into Noop\[a\]$" "$1" && [ "$(grep -c Grouping "$1")" -eq 1 ]' _ "$TMP/group.err"
engine --log-level debug graph --format json "$TMP/group.yaml" >/dev/null 2>"$TMP/group.dbg"
ok "each member as mgmt logs it, at debug" \
	grep -q "debug Grouping: Success for: Noop\[c\] into Noop\[a\]" "$TMP/group.dbg"
engine graph --no-autogroup --format json "$TMP/group.yaml" >"$TMP/nogroup.json" 2>/dev/null
ok "graph --no-autogroup: every resource alone" sh -c '! grep -q autogroup "$1"' _ "$TMP/nogroup.json"

# kinds_built FILE: every bundled kind FILE declares has its plugin built
# (the configure switches leave some out).
kinds_built() {
	for k in $(sed -n 's/^  \([a-z]*\):$/\1/p' "$1"); do
		case $k in
		noop | timer | file | exec | svc | pkg | hostname | msg | kv)
			[ -e "$MGMT_PLUGINS_DIR/$k.so" ] || return 1
			;;
		user | group)
			[ -e "$MGMT_PLUGINS_DIR/user.so" ] || return 1
			;;
		esac
	done
}

for f in "$MGMT_TOP_SRCDIR"/examples/yaml/*.yaml; do
	[ -e "$f" ] || continue
	if ! kinds_built "$f"; then
		skip "example $(basename "$f") validates" "a plugin it needs is not built"
		continue
	fi
	ok "example $(basename "$f") validates" sh -c \
		'"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" validate "$1" >/dev/null' _ "$f"
done

done_testing

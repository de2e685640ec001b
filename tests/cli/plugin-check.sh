#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# plugin-check.sh - `mgmt-engine plugin-check`: every bundled plugin that is
# built passes on a small sample (noop; file under $TMP; exec with an ifcmd,
# so it is idempotent; timer), so does examples/plugin-hello built from the
# tree, and the fixture nonconforming.so fails with the line for each
# promise it breaks: a kind that never converges, a lying noop, an fd leaked
# from init, an asymmetric group_cmp, a watch that stays pending, a member
# result its return value contradicts, and (one
# run each, so the other verdicts are seen) a check_apply and a watch that
# never return.  Also the exit status of bad usage and of a sample that does
# not compile.
. "${MGMT_TOP_SRCDIR:?run through make check}/tests/cli/lib.sh"

umask 022
CC=${MGMT_CC:-cc}

# check NAME SO YAML [ARGS...]: run plugin-check, output in $TMP/NAME.out
# and .err; its exit status in $st.
check() {
	name=$1 so=$2 yaml=$3
	shift 3
	"$MGMT_ENGINE" plugin-check "$so" --yaml "$yaml" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
	st=$?
}

# passes NAME: exit 0, a PASS summary, no FAIL line.
passes() {
	if [ "$st" -eq 0 ] && grep -q "^PASS " "$TMP/$1.out" &&
		! grep -q "^FAIL " "$TMP/$1.out"; then
		return 0
	fi
	echo "# exit $st; stdout:"
	diag_file "$TMP/$1.out"
	echo "# stderr:"
	diag_file "$TMP/$1.err"
	return 1
}

# has NAME PATTERN: a line of NAME's verdicts matches.
has() {
	grep -q -- "$2" "$TMP/$1.out" && return 0
	echo "# no line matches: $2"
	diag_file "$TMP/$1.out"
	return 1
}

# The bundled plugins, each that configure built (tests/cli/local.am).
sample() {
	printf 'resources:\n  %s:\n' "$1" >"$TMP/$1.yaml"
	cat >>"$TMP/$1.yaml"
}
sample noop <<Y
  - name: a
  - name: b
Y
sample file <<Y
  - name: f1
    path: $TMP/f1
    content: hello
  - name: f2
    path: $TMP/f2
    content: world
Y
sample exec <<Y
  - name: x
    cmd: touch $TMP/x
    ifcmd: test ! -e $TMP/x
Y
sample timer <<Y
  - name: t
    interval: 3600
Y
built() {
	eval "[ \"\${MGMT_BUILT_$(echo "$1" | tr a-z A-Z):-}\" = 1 ]"
}
for k in noop file exec timer; do
	so=$MGMT_PLUGINS_DIR/$k.so
	if ! built "$k"; then
		skip "$k passes" "configure did not build the $k plugin"
		continue
	fi
	check "$k" "$so" "$TMP/$k.yaml"
	ok "$k passes" passes "$k"
	ok "$k: a verdict per resource says it is idempotent" \
		has "$k" "^ok $k\[.*\]: idempotent (noop "
	ok "$k: and that the machine itself is not observed" \
		has "$k" "the machine's state itself is not observed"
done
if built file; then
	ok "file: the sample's files were created" \
		sh -c '[ "$(cat "$1")" = hello ] && [ "$(cat "$2")" = world ]' \
		_ "$TMP/f1" "$TMP/f2"
	ok "file: group_cmp checked" \
		has file "^ok file: group_cmp symmetric and within group_key over 1 pair$"
fi

# examples/plugin-hello, built from the tree's SDK headers.
mkdir "$TMP/hello"
"$CC" -std=c99 -Wall -Werror -fPIC -fvisibility=hidden -shared \
	-I"$MGMT_TOP_SRCDIR/sdk/include" -o "$TMP/hello/hello.so" \
	"$MGMT_TOP_SRCDIR/examples/plugin-hello/hello.c" >"$TMP/cc.out" 2>&1
ok "plugin-hello builds" [ $? -eq 0 ]
printf 'resources:\n  hello:\n  - name: world\n    greeting: hi\n' \
	>"$TMP/hello.yaml"
check hello "$TMP/hello/hello.so" "$TMP/hello.yaml"
ok "plugin-hello passes" passes hello

# examples/plugin-line: it changes a file, watches it with inotify (an fd
# it must close in cleanup) and groups the lines of one file.
mkdir "$TMP/line"
"$CC" -std=c99 -Wall -Werror -fPIC -fvisibility=hidden -shared \
	-I"$MGMT_TOP_SRCDIR/sdk/include" -o "$TMP/line/line.so" \
	"$MGMT_TOP_SRCDIR/examples/plugin-line/line.c" >"$TMP/cc-line.out" 2>&1
ok "plugin-line builds" [ $? -eq 0 ]
{
	echo "resources:"
	echo "  line:"
	echo "  - {name: a, path: $TMP/lines, line: alpha}"
	echo "  - {name: b, path: $TMP/lines, line: beta}"
	echo "  - {name: c, path: $TMP/lines, line: gamma, state: absent}"
} >"$TMP/line.yaml"
printf 'gamma\n' >"$TMP/lines"
check line "$TMP/line/line.so" "$TMP/line.yaml"
ok "plugin-line passes" passes line
ok "plugin-line: group_cmp checked over its three lines" \
	has line "^ok line: group_cmp symmetric and within group_key over 3 pairs$"
ok "plugin-line: the file is as the sample wants" \
	[ "$(cat "$TMP/lines")" = "$(printf 'alpha\nbeta')" ]

# The fixture that breaks its promises.
NC=$MGMT_FIXTURES_DIR/nonconforming.so
cat >"$TMP/bad.yaml" <<Y
resources:
  neverconv:
  - name: n
  liar:
  - name: l
  leaky:
  - name: k
  asym:
  - name: a1
  - name: a2
  watcher:
  - name: wt
  badinit:
  - name: b
  keyed:
  - name: k1
  - name: k2
  later:
  - name: w
  pending:
  - name: p
  split:
  - name: s
Y
check bad "$NC" "$TMP/bad.yaml" --timeout 1
ok "nonconforming: exit 1" [ "$st" -eq 1 ]
ok "nonconforming: it loads" has bad "^ok .*nonconforming.so: loads: plugin nonconforming 1.0"
ok "never converges: not idempotent" \
	has bad "^FAIL neverconv\[n\]: not idempotent: a second apply right after the first returned MGMT_CHANGED"
ok "a member result the return value contradicts" \
	has bad "^FAIL split\[s\]: host->member_result said an error of it but check_apply(apply=false) returned CONVERGED: the return must sum up"
ok "a lying noop" \
	has bad "^FAIL liar\[l\]: noop said it would change nothing (check_apply with apply=false returned MGMT_CONVERGED), then apply changed something"
ok "an fd leaked from init, named" \
	has bad "^FAIL leaky\[k\]: 1 file descriptor opened while it ran is still open after cleanup: [0-9]* (/dev/null); close"
ok "an asymmetric group_cmp" \
	has bad "^FAIL asym\[a1\]: group_cmp is not symmetric with asym\[a2\]: group_cmp(a1, a2) is true but group_cmp(a2, a1) is false"
ok "a watch from check_apply: refused, so the run fails" \
	has bad "^FAIL watcher\[wt\]: check_apply returned -1 (an error) on the first noop"
ok "a watch from check_apply: the log says why" \
	grep -q "Watcher\[wt\]: plugin nonconforming called a watch_\* from a worker thread" "$TMP/bad.err"
ok "a failed init: said so" \
	has bad "^FAIL badinit\[b\]: init failed (-1); see the log above"
ok "a failed init that leaves an fd open: named" \
	has bad "^FAIL badinit\[b\]: init failed and left 1 file descriptor open: [0-9]* (/dev/null); a failed init gets no cleanup"
ok "group_cmp accepting resources of different group keys" \
	has bad "^FAIL keyed\[k1\]: group_cmp accepts keyed\[k2\], but their group keys differ"
ok "a watch pending until a timer calls dirty passes" \
	has bad "^ok later\[w\]: idempotent"
ok "a watch that stays pending" \
	has bad "^FAIL pending\[p\]: watch returned MGMT_WATCH_PENDING but host->dirty did not come within 1 s"
ok "what conforms still passes" has bad "^ok leaky\[k\]: idempotent"
ok "the summary counts the failures" \
	has bad "^FAIL .*nonconforming.so: [0-9]* ok, 10 failed$"

# Refused by the loader: a verdict, exit 1.  (The fixtures' directory also
# holds plugins that crash as they load: only the file named is loaded.)
check refused "$MGMT_FIXTURES_DIR/wrong_major.so" "$TMP/bad.yaml"
ok "a plugin the loader refuses: exit 1" [ "$st" -eq 1 ]
ok "a plugin the loader refuses: why" \
	has refused "^FAIL .*wrong_major.so: refused by the loader: .*ABI"

printf 'resources:\n  hang:\n  - name: h\n' >"$TMP/hang.yaml"
check hang "$NC" "$TMP/hang.yaml" --timeout 1
ok "a check_apply that hangs: exit 1" [ "$st" -eq 1 ]
ok "a check_apply that hangs: given up after --timeout" \
	has hang "^FAIL hang\[h\]: check_apply(apply=false) did not return within 1 s: .*host->stop_fd"
ok "a check_apply that hangs: a summary still" \
	has hang "^FAIL .*nonconforming.so: 2 ok, 1 failed$"

printf 'resources:\n  stall:\n  - name: s\n' >"$TMP/stall.yaml"
check stall "$NC" "$TMP/stall.yaml" --timeout 1
ok "a watch that hangs: exit 1" [ "$st" -eq 1 ]
ok "a watch that hangs: the alarm's verdict" \
	has stall "^FAIL stall\[s\]: watch did not return within 1 s: hooks on the loop thread must never block"

# Usage and samples that do not compile: exit 2.
check nofile "$TMP/none.so" "$TMP/bad.yaml"
ok "a missing plugin file: exit 2" [ "$st" -eq 2 ]
"$MGMT_ENGINE" plugin-check "$NC" >/dev/null 2>"$TMP/noyaml.err"
ok "no --yaml: exit 2" [ $? -eq 2 ]
ok "no --yaml: said so" grep -q -- "--yaml SAMPLE is required" "$TMP/noyaml.err"
check badtimeout "$NC" "$TMP/bad.yaml" --timeout 0
ok "--timeout 0: exit 2" [ "$st" -eq 2 ]
printf 'resources:\n  nosuchkind:\n  - name: z\n' >"$TMP/other.yaml"
check other "$NC" "$TMP/other.yaml"
ok "a kind of another plugin: exit 2" [ "$st" -eq 2 ]
ok "a kind of another plugin: said which" \
	grep -q "unknown kind 'nosuchkind'" "$TMP/other.err"

done_testing

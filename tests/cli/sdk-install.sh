#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# sdk-install.sh - the SDK as a third party gets it.  Stages `make install`
# in a temporary DESTDIR, checks what the SDK installs (headers, .pc and its
# plugindir), builds examples/plugin-hello from a copy with its own Makefile
# and pkg-config alone, checks that the plugin exports only its descriptor,
# and runs it in the built engine: listed, validated, run, and refused by its
# own validate hook on bad input.  Works in a VPATH build with a read-only
# source tree (make distcheck): everything is copied or written under $TMP.
. "${MGMT_TOP_SRCDIR:?run through make check}/tests/cli/lib.sh"

# Plugins and their directories must not be group- or world-writable, or the
# engine refuses them.
umask 022

# Our make must not join the jobserver of the `make check` running us.
submake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"
}

# expect_rc WANT OUTFILE: compare $rc, showing the output when it differs.
expect_rc() {
	[ "$rc" -eq "$1" ] && return 0
	echo "# exit status $rc, expected $1; output:"
	diag_file "$2"
	return 1
}

# expect_grep OUTFILE GREP-ARGS...: the output matches, or is shown.
expect_grep() {
	f=$1
	shift
	grep -q "$@" "$f" && return 0
	echo "# no match for: $*; output:"
	diag_file "$f"
	return 1
}

# The end: report, and stop early when a step everything below needs failed.
finish() {
	done_testing
	exit
}

# ---- the staged install ----------------------------------------------------
dest=$TMP/dest
submake -C "$MGMT_TOP_BUILDDIR" install DESTDIR="$dest" >"$TMP/install.out" 2>&1
rc=$?
ok "make install DESTDIR=... succeeds" expect_rc 0 "$TMP/install.out"
[ "$rc" -eq 0 ] || finish

pc=$(find "$dest" -name mgmt-engine-sdk.pc | head -n 1)
ok "mgmt-engine-sdk.pc is installed" test -n "$pc"
[ -n "$pc" ] || finish
pcdir=$(dirname "$pc")

# The .pc as written, without the sysroot (which pkgconf would prefix to
# every variable).
pcvar() {
	env -u PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH="$pcdir" \
		pkg-config --variable="$1" mgmt-engine-sdk
}
libdir=$(pcvar libdir)
includedir=$(pcvar includedir)
plugindir=$(pcvar plugindir)
echo "# libdir=$libdir includedir=$includedir plugindir=$plugindir"

plugindir_in_libdir() {
	[ -n "$libdir" ] && [ "$plugindir" = "$libdir/mgmt-engine/plugins" ]
}
ok ".pc puts plugindir at LIBDIR/mgmt-engine/plugins" plugindir_in_libdir

# abi_major and abi_minor, which packages of plugins depend on, are those of
# the installed headers.
abi_of_headers() {
	h=$MGMT_TOP_SRCDIR/sdk/include/mgmt/version.h
	want=$(sed -n 's/^#define MGMT_ABI_MAJOR //p' "$h").$(sed -n 's/^#define MGMT_ABI_MINOR //p' "$h")
	got=$(pcvar abi_major).$(pcvar abi_minor)
	[ "$got" = "$want" ] && return 0
	echo "# .pc says ABI $got, version.h $want"
	return 1
}
ok ".pc's abi_major and abi_minor are version.h's" abi_of_headers

# Every bundled plugin of the build tree lands in that plugindir.
bundled_installed() {
	for so in "$MGMT_PLUGINS_DIR"/*.so; do
		[ -f "$dest$plugindir/$(basename "$so")" ] && continue
		echo "# $(basename "$so") not in $dest$plugindir"
		return 1
	done
}
if ls "$MGMT_PLUGINS_DIR"/*.so >/dev/null 2>&1; then
	ok "the bundled plugins are installed in plugindir" bundled_installed
else
	skip "the bundled plugins are installed in plugindir" "none built"
fi

# The staged <mgmt/...> is exactly the SDK: every header, unchanged, and no
# engine header next to it.
headers_staged() {
	src=$MGMT_TOP_SRCDIR/sdk/include/mgmt
	inst=$dest$includedir/mgmt
	(cd "$src" && ls) >"$TMP/headers.src"
	(cd "$inst" && ls) >"$TMP/headers.inst" || return 1
	if ! cmp -s "$TMP/headers.src" "$TMP/headers.inst"; then
		echo "# installed headers differ from sdk/include/mgmt:"
		diff "$TMP/headers.src" "$TMP/headers.inst" | sed 's/^/# /'
		return 1
	fi
	for h in "$src"/*.h; do
		cmp "$h" "$inst/$(basename "$h")" || return 1
	done
	[ "$(cd "$dest$includedir" && ls)" = mgmt ] || {
		echo "# more than mgmt/ in $includedir"
		return 1
	}
}
ok "the SDK headers, and only they, are installed" headers_staged

# ---- the example plugin, built as a third party would ----------------------
# build_example NAME OUT: copy examples/NAME (the source tree may be
# read-only, and must stay clean) and build it with its own Makefile and
# the staged SDK's .pc alone, its output in OUT; stop here if it fails.
build_example() {
	cp -R "$MGMT_TOP_SRCDIR/examples/$1" "$TMP/"
	chmod -R u+w,go-w "$TMP/$1"
	rm -f "$TMP/$1"/*.so
	(
		export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest"
		cd "$TMP/$1" && submake CFLAGS="-O2 -Wall -Wextra -Werror"
	) >"$2" 2>&1
	rc=$?
	ok "examples/$1 builds from the staged SDK with pkg-config" \
		expect_rc 0 "$2"
	[ "$rc" -eq 0 ] || finish
}
build_example plugin-hello "$TMP/build.out"
ok "it was compiled against the staged headers" \
	expect_grep "$TMP/build.out" -F -- "-I$dest$includedir"

only_descriptor() {
	nm -D --defined-only "$TMP/plugin-hello/hello.so" >"$TMP/nm.out" || return 1
	[ "$(awk '{ print $NF }' "$TMP/nm.out")" = mgmt_plugin_descriptor ] &&
		return 0
	diag_file "$TMP/nm.out"
	return 1
}
if command -v nm >/dev/null; then
	ok "hello.so exports only mgmt_plugin_descriptor" only_descriptor
else
	skip "hello.so exports only mgmt_plugin_descriptor" "no nm (binutils)"
fi

# Without the sysroot, which pkgconf would prefix to plugindir as well.
(
	unset PKG_CONFIG_SYSROOT_DIR
	export PKG_CONFIG_PATH="$pcdir"
	cd "$TMP/plugin-hello" && submake install DESTDIR="$TMP/inst"
) >"$TMP/example-install.out" 2>&1
rc=$?
example_installed() {
	expect_rc 0 "$TMP/example-install.out" &&
		test -f "$TMP/inst$plugindir/hello.so"
}
ok "its make install puts hello.so in DESTDIR/plugindir" example_installed

# ---- the engine loads it ---------------------------------------------------
hello_engine() {
	"$MGMT_ENGINE" --plugins-dir "$TMP/plugin-hello" \
		--plugins-dir "$MGMT_PLUGINS_DIR" "$@"
}

hello_engine plugins >"$TMP/plugins.out" 2>&1
rc=$?
ok "plugins exits 0 with hello.so loaded" expect_rc 0 "$TMP/plugins.out"
ok "plugins lists the kind hello" \
	expect_grep "$TMP/plugins.out" -w -E "kind +hello"
ok "plugins lists its parameters" expect_grep "$TMP/plugins.out" -w greeting

cat >"$TMP/good.yaml" <<'EOF'
graph: sdk-hello
resources:
  hello:
  - name: h1
    greeting: greetings from the staged SDK
    times: 2
EOF
hello_engine validate "$TMP/good.yaml" >"$TMP/validate.out" 2>&1
rc=$?
ok "validate accepts a hello resource" expect_rc 0 "$TMP/validate.out"

hello_engine run --yaml "$TMP/good.yaml" --converged-timeout=0 \
	>"$TMP/run.out" 2>&1
rc=$?
ok "run --converged-timeout=0 exits 0" expect_rc 0 "$TMP/run.out"
# times: 2, one check_apply: the greeting is logged twice, as Hello[h1].
greeted_twice() {
	n=$(grep -ciF "hello[h1]: greetings from the staged SDK" "$TMP/run.out")
	[ "$n" -eq 2 ] && return 0
	echo "# greeting logged $n times, expected 2"
	diag_file "$TMP/run.out"
	return 1
}
ok "the run logs the greeting, times times" greeted_twice

cat >"$TMP/bad.yaml" <<'EOF'
graph: sdk-hello-bad
resources:
  hello:
  - name: h1
    greeting: never said
    times: -1
EOF
hello_engine validate "$TMP/bad.yaml" >"$TMP/bad-validate.out" 2>&1
rc=$?
ok "validate refuses times: -1 with exit 2" expect_rc 2 "$TMP/bad-validate.out"
ok "the error names times at its line in the file" \
	expect_grep "$TMP/bad-validate.out" 'bad\.yaml:6:[0-9]*:.*times'

hello_engine run --yaml "$TMP/bad.yaml" --converged-timeout=0 \
	>"$TMP/bad-run.out" 2>&1
rc=$?
nothing_ran() {
	expect_rc 2 "$TMP/bad-run.out" || return 1
	! grep -q "never said" "$TMP/bad-run.out"
}
ok "run refuses it too, before greeting anyone" nothing_ran

# ---- the second example: an event-driven, grouped kind ---------------------
build_example plugin-line "$TMP/line-build.out"

line_engine() {
	"$MGMT_ENGINE" --no-default-plugins --plugins-dir "$TMP/plugin-line" "$@"
}
F="$TMP/lines/f"
mkdir "$TMP/lines"
printf 'gamma\nkeep\n' >"$F"
{
	echo "resources:"
	echo "  line:"
	echo "  - {name: a, path: $F, line: alpha}"
	echo "  - {name: b, path: $F, line: beta}"
	echo "  - {name: c, path: $F, line: gamma, state: absent}"
} >"$TMP/line.yaml"
line_engine run --yaml "$TMP/line.yaml" --noop --converged-timeout=0 \
	>"$TMP/line-noop.out" 2>&1
rc=$?
ok "a noop run exits 0 and reports what it would fix" \
	sh -c "[ $rc -eq 0 ] && grep -q 'would fix' '$TMP/line-noop.out'"
ok "...and writes nothing" [ "$(cat "$F")" = "$(printf 'gamma\nkeep')" ]
# Not through line_engine: $! must be the engine's own pid.
"$MGMT_ENGINE" --no-default-plugins --plugins-dir "$TMP/plugin-line" \
	run --yaml "$TMP/line.yaml" >"$TMP/line.out" 2>&1 &
lpid=$!
trap 'kill -KILL $lpid 2>/dev/null; rm -rf "$TMP"' EXIT
ok "the three lines of one file are one group" \
	wait_lines "Grouping: 3 resources into Line\[a\]" 1 "$TMP/line.out"
ok "it converges" wait_lines " info converged" 1 "$TMP/line.out"
ok "the file is as wanted, its other lines kept" \
	[ "$(cat "$F")" = "$(printf 'keep\nalpha\nbeta')" ]
ok "one check_apply of the leader fixed the three members" \
	[ "$(grep -c 'Line\[a\]: changed' "$TMP/line.out")" -eq 1 ]
ok "...each fix logged under its member's name" \
	grep -q "Line\[c\]: fixed .*'gamma'" "$TMP/line.out"
sed -i '/^alpha$/d' "$F" # a hand edit, saved by rename
ok "a hand edit is seen (inotify) and repaired" \
	wait_lines "Line\[a\]: fixed .*'alpha'" 2 "$TMP/line.out"
ok "...and it converges again" wait_lines " info converged" 2 "$TMP/line.out"
ok "the line is back" grep -qx alpha "$F"
kill -TERM "$lpid"
wait "$lpid"
ok "the engine stopped without an error line" \
	sh -c "! grep -q ' error ' '$TMP/line.out'"

done_testing

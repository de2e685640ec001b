#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# sdk-cxx.sh - a plugin written in C++ against the in-tree SDK headers:
# examples/plugin-hello/hello.c compiled as C++20 (g++ -x c++, strict
# warnings) exports exactly its descriptor, with C linkage, and the built
# engine loads it, lists its kind, validates a graph and runs it.  Skips when
# configure found no C++ compiler (TEST_CXX).
. "${MGMT_TOP_SRCDIR:?run through make check}/tests/cli/lib.sh"

umask 022
CXX=${MGMT_TEST_CXX:-}
NM=${NM:-nm}
if [ -z "$CXX" ]; then
	skip "hello.c builds as C++" \
		"configure found no C++ compiler (install g++: build-essential)"
	done_testing
	exit
fi

src=$MGMT_TOP_SRCDIR/examples/plugin-hello/hello.c
plugins=$TMP/plugins
mkdir -p "$plugins"
so=$plugins/hello.so

# g++ 12 warns about members a designated initialiser leaves out, so
# -Wextra goes with -Wno-missing-field-initializers (README.md, "C++").
"$CXX" -x c++ -std=c++20 -pedantic -Wall -Wextra \
	-Wno-missing-field-initializers -Werror -fPIC -fvisibility=hidden \
	-shared -I"$MGMT_TOP_SRCDIR/sdk/include" -o "$so" "$src" \
	>"$TMP/build.out" 2>&1
rc=$?
built() {
	[ "$rc" -eq 0 ] && return 0
	echo "# $CXX exited $rc:"
	diag_file "$TMP/build.out"
	return 1
}
ok "hello.c compiles as C++20 ($CXX -pedantic -Werror)" built
if [ "$rc" -ne 0 ]; then
	done_testing
	exit
fi

# Exported: the descriptor and nothing else, unmangled (extern "C").
only_descriptor() {
	"$NM" -D --defined-only "$so" >"$TMP/nm.out" || return 1
	[ "$(awk 'NF { print $NF }' "$TMP/nm.out")" = mgmt_plugin_descriptor ] &&
		return 0
	echo "# $so exports:"
	diag_file "$TMP/nm.out"
	return 1
}
# mgmt_host, hidden, still has C linkage from plugin.h's declaration.
host_unmangled() {
	"$NM" "$so" >"$TMP/nm-all.out" || return 1
	awk '$NF == "mgmt_host" && $(NF-1) ~ /^[bBdD]$/ { f = 1 } END { exit !f }' \
		"$TMP/nm-all.out" && return 0
	grep mgmt_host "$TMP/nm-all.out" | sed 's/^/# /'
	return 1
}
if command -v "$NM" >/dev/null; then
	ok "the C++ hello.so exports only mgmt_plugin_descriptor" only_descriptor
	ok "its mgmt_host is defined with C linkage (unmangled)" host_unmangled
else
	skip "the C++ hello.so exports only mgmt_plugin_descriptor" "no nm"
	skip "its mgmt_host is defined with C linkage (unmangled)" "no nm"
fi

hello() {
	"$MGMT_ENGINE" --no-default-plugins --plugins-dir "$plugins" "$@"
}

hello plugins >"$TMP/plugins.out" 2>&1
rc=$?
listed() {
	[ "$rc" -eq 0 ] && grep -q -E "^plugin hello 1\.0 \(ABI [0-9]+\.[0-9]+\)" \
		"$TMP/plugins.out" && grep -q -w -E "kind +hello" "$TMP/plugins.out" &&
		return 0
	echo "# exit status $rc; output:"
	diag_file "$TMP/plugins.out"
	return 1
}
ok "the engine loads it and lists the kind hello" listed

cat >"$TMP/hello.yaml" <<'YAML'
graph: cxx-hello
resources:
  hello:
  - name: cxx
    greeting: hello from C++
    times: 1
YAML
hello validate "$TMP/hello.yaml" >"$TMP/validate.out" 2>&1
rc=$?
ok "validate accepts a hello resource" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag_file "$TMP/validate.out"

hello run --yaml "$TMP/hello.yaml" --converged-timeout=0 >"$TMP/run.out" 2>&1
rc=$?
ran() {
	[ "$rc" -eq 0 ] && grep -qiF "hello[cxx]: hello from C++" "$TMP/run.out" &&
		return 0
	echo "# exit status $rc; output:"
	diag_file "$TMP/run.out"
	return 1
}
ok "run --converged-timeout=0 greets and exits 0" ran

done_testing

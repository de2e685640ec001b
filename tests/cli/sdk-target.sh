#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# sdk-target.sh - MGMT_TARGET_ABI_MINOR (mgmt/version.h): a plugin built by
# this SDK for ABI 1.0 (tests/unit/fixtures/target_1_0.c) is listed by the
# engine as "ABI 1.0", validates and runs; an older minor than the SDK's
# compiles and stamps it; a newer one, or a negative one, stops the build
# with an #error saying why.  That an engine of minor 0 loads the fixture is
# tests/unit/check_loader's test_target_minor.
. "${MGMT_TOP_SRCDIR:?run through make check}/tests/cli/lib.sh"

umask 022
CC=${MGMT_CC:-cc}
inc=$MGMT_TOP_SRCDIR/sdk/include
minor=$(sed -n 's/^#define MGMT_ABI_MINOR //p' "$inc/mgmt/version.h")
major=$(sed -n 's/^#define MGMT_ABI_MAJOR //p' "$inc/mgmt/version.h")

# ---- the fixture, in the engine --------------------------------------------
plugins=$TMP/plugins
mkdir -p "$plugins"
cp "$MGMT_FIXTURES_DIR/target_1_0.so" "$plugins/" &&
	chmod 0644 "$plugins/target_1_0.so"
target() {
	"$MGMT_ENGINE" --no-default-plugins --plugins-dir "$plugins" "$@"
}

target plugins >"$TMP/plugins.out" 2>&1
rc=$?
listed_1_0() {
	[ "$rc" -eq 0 ] &&
		grep -q "^plugin target_1_0 1\.0 (ABI $major\.0) " "$TMP/plugins.out" &&
		grep -q "^  kind target_1_0:" "$TMP/plugins.out" && return 0
	echo "# exit status $rc; output:"
	diag_file "$TMP/plugins.out"
	return 1
}
ok "plugins lists target_1_0.so as ABI $major.0, and its kind" listed_1_0

cat >"$TMP/target.yaml" <<'YAML'
graph: target
resources:
  target_1_0:
  - name: t
YAML
target validate "$TMP/target.yaml" >"$TMP/validate.out" 2>&1
ok "validate accepts its resource" [ $? -eq 0 ]
target run --yaml "$TMP/target.yaml" --converged-timeout=0 >"$TMP/run.out" 2>&1
rc=$?
ok "run --converged-timeout=0 exits 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag_file "$TMP/run.out"

# ---- the compiler's side --------------------------------------------------
# The minor MGMT_PLUGIN_DEFINE and MGMT_KIND_HEADER stamp, as the
# preprocessor leaves it (the fixture above shows it reaching the engine).
cat >"$TMP/tu.c" <<'EOF_C'
#include <mgmt/mgmt.h>
int stamped = MGMT_TARGET_ABI_MINOR;
EOF_C

# build_with N OUT: compile tu.c with -DMGMT_TARGET_ABI_MINOR=N, and keep
# what the preprocessor made of it in tu.i.
build_with() {
	"$CC" -std=c99 -Wall -Werror -DMGMT_TARGET_ABI_MINOR="$1" -I"$inc" \
		-c -o "$TMP/tu.o" "$TMP/tu.c" >"$2" 2>&1 &&
		"$CC" -std=c99 -DMGMT_TARGET_ABI_MINOR="$1" -I"$inc" \
			-E -o "$TMP/tu.i" "$TMP/tu.c" >>"$2" 2>&1
}

stamps() {
	build_with "$1" "$TMP/ok.out" &&
		grep -q "^int stamped = $1;" "$TMP/tu.i" && return 0
	diag_file "$TMP/ok.out"
	return 1
}
ok "MGMT_TARGET_ABI_MINOR=0 compiles and is what is stamped" stamps 0
ok "MGMT_TARGET_ABI_MINOR=$minor (the SDK's own) compiles" stamps "$minor"

default_is_sdk() {
	"$CC" -std=c99 -I"$inc" -E -o "$TMP/tu.i" "$TMP/tu.c" \
		>"$TMP/def.out" 2>&1 &&
		grep -q "^int stamped = $minor;" "$TMP/tu.i" && return 0
	diag_file "$TMP/def.out"
	return 1
}
ok "without it, the SDK's own minor is stamped" default_is_sdk

# refused N WHY: compiling with N fails with an #error containing WHY.
refused() {
	if build_with "$1" "$TMP/err.out"; then
		echo "# MGMT_TARGET_ABI_MINOR=$1 compiled"
		return 1
	fi
	grep -q "#error.*$2" "$TMP/err.out" && return 0
	diag_file "$TMP/err.out"
	return 1
}
ok "MGMT_TARGET_ABI_MINOR=99 stops with an #error" \
	refused 99 "MGMT_TARGET_ABI_MINOR is newer than this SDK"
ok "MGMT_TARGET_ABI_MINOR=$((minor + 1)) too" \
	refused $((minor + 1)) "MGMT_TARGET_ABI_MINOR is newer than this SDK"
ok "MGMT_TARGET_ABI_MINOR=-1 stops with an #error" \
	refused -1 "MGMT_TARGET_ABI_MINOR is negative"

done_testing

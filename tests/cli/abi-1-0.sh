#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A plugin built by the 1.0 SDK (tests/unit/fixtures/abi_1_0.c, compiled
# against the frozen 1.0 headers) still loads and runs in this engine: its
# kind is listed, a graph of it validates, and a run applies it with the
# parameters of the graph file, then a noop run only reports.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

mkdir "$TMP/p" && chmod 0755 "$TMP/p"
cp "$MGMT_FIXTURES_DIR/abi_1_0.so" "$TMP/p/abi_1_0.so" &&
	chmod 0644 "$TMP/p/abi_1_0.so"
E() {
	"$MGMT_ENGINE" --no-default-plugins --plugins-dir "$TMP/p" "$@"
}

E plugins >"$TMP/plugins" 2>&1
ok "mgmt-engine plugins lists it as built for ABI 1.0" \
	grep -q '^plugin abi_1_0 1\.0 (ABI 1\.0) ' "$TMP/plugins"
ok "with its kind and the kind's schema" \
	grep -q '^ *times  *int  *default "1"' "$TMP/plugins"

cat >"$TMP/g.yaml" <<'Y'
resources:
  abi_1_0:
  - name: one
    greeting: hello
    times: 2
    loud: true
Y
E validate "$TMP/g.yaml" >"$TMP/validate" 2>&1
ok "a graph of it validates" grep -q ': ok (1 resources' "$TMP/validate"

E run --yaml "$TMP/g.yaml" --converged-timeout=0 2>"$TMP/run"
st=$?
ok "a run of it succeeds" [ "$st" -eq 0 ]
ok "its init got the host table" grep -q 'abi_1_0: init, host table of ABI 1\.' \
	"$TMP/run"
ok "its check_apply ran with the graph's parameters" \
	grep -q 'abi_1_0: hello x2!$' "$TMP/run"
[ "$st" -eq 0 ] || diag_file "$TMP/run"

E run --noop --yaml "$TMP/g.yaml" --converged-timeout=0 2>"$TMP/noop"
ok "in noop mode it only reports" grep -q 'abi_1_0: hello x2! (noop)$' \
	"$TMP/noop"

done_testing

# SPDX-License-Identifier: GPL-3.0-or-later
# exports.sh - every built plugin exports exactly one dynamic symbol, its
# descriptor (doc/abi.md, "Symbol visibility": hidden visibility plus
# libtool's export regex).  A plugin exporting anything else could clash with
# another plugin or the engine and is an ABI promise nobody meant to make.
. "${MGMT_TOP_SRCDIR:-.}/tests/cli/lib.sh"

NM=${NM:-nm}

# only_descriptor FILE: true when FILE's defined dynamic symbols are exactly
# mgmt_plugin_descriptor; else show what it exports.
only_descriptor() {
	syms=$("$NM" -D --defined-only "$1" 2>"$TMP/nm.err" | awk 'NF { print $NF }')
	[ "$syms" = mgmt_plugin_descriptor ] && return 0
	echo "# $1 exports:"
	printf '%s\n' "$syms" | sed 's/^/#   /'
	diag_file "$TMP/nm.err"
	return 1
}

found=0
for so in "$MGMT_PLUGINS_DIR"/*.so; do
	[ -e "$so" ] || continue
	found=1
	ok "$(basename "$so") exports only mgmt_plugin_descriptor" \
		only_descriptor "$so"
done
[ "$found" = 1 ] || skip "bundled plugins export only the descriptor" \
	"no plugin built in $MGMT_PLUGINS_DIR"

ok "fixture good.so exists" test -f "$MGMT_FIXTURES_DIR/good.so"
ok "fixture good.so exports only mgmt_plugin_descriptor" \
	only_descriptor "$MGMT_FIXTURES_DIR/good.so"

# The check itself can fail: nodesc.so exports a symbol of its own.
not_only_descriptor() {
	! only_descriptor "$1" >/dev/null
}
ok "the check rejects nodesc.so (exports another symbol)" \
	not_only_descriptor "$MGMT_FIXTURES_DIR/nodesc.so"

done_testing

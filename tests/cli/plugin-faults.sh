#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Plugins that are refused, as users and packagers see them (DESIGN.md
# sections 6, 8 and 10): `plugins` exits 1 and lists what was refused and
# why; the hint to give a plugins directory comes only when no plugin was
# found at all.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

FX="$MGMT_FIXTURES_DIR"

# plugdir NAME FIXTURE...: $TMP/NAME, holding copies of the fixture plugins
# (the loader refuses group- or world-writable ones, whatever the umask).
plugdir() {
	d="$TMP/$1"
	shift
	mkdir -p "$d" && chmod 0755 "$d" || return 1
	for f; do
		cp "$FX/$f.so" "$d/$f.so" && chmod 0644 "$d/$f.so" || return 1
	done
}

plugdir short short_desc
plugdir refused bad_size wrong_major
plugdir dups dup_a dup_b
plugdir empty
engine plugins >"$TMP/ok.out" 2>"$TMP/ok.err"
ok "plugins: all loaded, exit 0" [ $? -eq 0 ]
ok "plugins: nothing listed as refused" sh -c '! grep -q "^refused " "$1"' \
	_ "$TMP/ok.out"

"$MGMT_ENGINE" --plugins-dir "$TMP/short" --plugins-dir "$MGMT_PLUGINS_DIR" \
	plugins >"$TMP/short.out" 2>"$TMP/short.err"
st=$?
ok "plugins: a refused plugin makes it exit 1" [ "$st" -eq 1 ]
ok "plugins: the refused file is listed with the sizes found and needed" \
	grep -Eq "^refused $TMP/short/short_desc\.so: descriptor size [0-9]+ is too small: SDK ABI 1\.0 needs at least [0-9]+ bytes; rebuild it with MGMT_PLUGIN_DEFINE from the SDK; skipped$" \
	"$TMP/short.out"
ok "plugins: the others are still listed" grep -q "kind noop" "$TMP/short.out"
ok "plugins: the refusal is logged too" \
	grep -q "error plugin $TMP/short/short_desc\.so: descriptor size" \
	"$TMP/short.err"
[ "$st" -eq 1 ] || { diag_file "$TMP/short.out"; diag_file "$TMP/short.err"; }

"$MGMT_ENGINE" --plugins-dir "$TMP/refused" plugins >"$TMP/only.out" \
	2>"$TMP/only.err"
ok "plugins: only refused plugins: exit 1" [ $? -eq 1 ]
ok "plugins: ...and no hint to give a plugins directory, one was given" \
	sh -c '! grep -q "give a plugins directory" "$1"' _ "$TMP/only.err"
ok "plugins: ...but that every plugin found was refused" \
	grep -q "no resource kinds loaded: every plugin found was refused" \
	"$TMP/only.err"
ok "plugins: ...each listed" sh -c \
	'[ "$(grep -c "^refused $2/" "$1")" -eq 2 ]' _ "$TMP/only.out" "$TMP/refused"

# A kind defined twice: the first plugin wins; the second is only shadowed
# (that is how --plugins-dir overrides installed plugins), not refused.
"$MGMT_ENGINE" --plugins-dir "$TMP/dups" plugins >"$TMP/dups.out" \
	2>"$TMP/dups.err"
ok "plugins: a shadowed kind is not a failure, exit 0" [ $? -eq 0 ]
ok "plugins: the shadowed kind is listed" \
	grep -q "^shadowed $TMP/dups/dup_b\.so: kind 'dup' already defined by $TMP/dups/dup_a\.so; skipped$" \
	"$TMP/dups.out"

# The hint stays for when nothing was found at all, unless this machine has
# plugins installed in the engine's own directory.
"$MGMT_ENGINE" plugins >"$TMP/builtin.out" 2>/dev/null
if grep -q "^plugin " "$TMP/builtin.out"; then
	skip "no plugins found: the hint to give a plugins directory" \
		"plugins are installed in the engine's plugin directory"
else
	"$MGMT_ENGINE" --plugins-dir "$TMP/empty" plugins >/dev/null \
		2>"$TMP/empty.err"
	ok "no plugins found: exit 0 and the hint to give a plugins directory" \
		sh -c '[ $1 -eq 0 ] && grep -q "no plugins found; give a plugins directory with --plugins-dir" "$2"' \
		_ $? "$TMP/empty.err"
fi

done_testing

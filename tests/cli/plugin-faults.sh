#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Plugins that are refused or that crash, as users and packagers see them
# (doc/abi.md, "What the loader checks"): `plugins` exits 1 and lists what
# was refused and why; the hint to give a plugins directory comes only when
# no plugin was found at all; a plugin that faults in a constructor or in its
# init kills the engine by that signal, and the last line names its file.
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

# died_by SIGNAME STATUS: the shell's status of a process killed by SIGNAME.
died_by() {
	[ "$2" -gt 128 ] && [ "$(kill -l "$(($2 - 128))")" = "$1" ]
}

# ---- refusals ------------------------------------------------------------
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

# ---- crashes ---------------------------------------------------------------
# The engine must die by the signal, as it would without the handler.  No
# core file (it would land in $TMP anyway), and ASan or TSan must leave
# SIGSEGV to the engine in a sanitizer build (they report instead, by
# default).
plugdir ctor crash_ctor
plugdir init crash_init
# crash ARGS...: exec the engine so; call it in a subshell, ( crash ... ).
crash() {
	ulimit -c 0
	cd "$TMP" || exit 1
	ASAN_OPTIONS=handle_segv=0:handle_abort=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0
	TSAN_OPTIONS=${TSAN_OPTIONS:+$TSAN_OPTIONS:}$ASAN_OPTIONS
	export ASAN_OPTIONS TSAN_OPTIONS
	exec "$MGMT_ENGINE" "$@"
}

(crash --plugins-dir "$MGMT_PLUGINS_DIR" --plugins-dir "$TMP/ctor" plugins) \
	>/dev/null 2>"$TMP/ctor.err"
st=$?
ok "a plugin faulting in a constructor kills the engine by SIGSEGV" \
	died_by SEGV "$st"
ok "...and the last line names the plugin file" sh -c \
	'tail -n 1 "$1" | grep -qx "mgmt-engine: fatal signal $2 (SIGSEGV) while loading plugin $3; move that file out of the plugins directory to start without it"' \
	_ "$TMP/ctor.err" "$((st - 128))" "$TMP/ctor/crash_ctor.so"
died_by SEGV "$st" || diag_file "$TMP/ctor.err"

(crash --log-level debug --plugins-dir "$TMP/init" plugins) >/dev/null \
	2>"$TMP/init.err"
st=$?
ok "a plugin faulting in its init kills the engine by SIGSEGV" \
	died_by SEGV "$st"
ok "...and the last line names the plugin file" \
	sh -c 'tail -n 1 "$1" | grep -q "^mgmt-engine: fatal signal $2 (SIGSEGV) while loading plugin $3;"' \
	_ "$TMP/init.err" "$((st - 128))" "$TMP/init/crash_init.so"
ok "...after the debug line saying its init was called" \
	sh -c 'tail -n 2 "$1" | head -n 1 | grep -Eq "^[0-9T:.-]+Z debug initializing plugin $2$"' \
	_ "$TMP/init.err" "$TMP/init/crash_init.so"
died_by SEGV "$st" || diag_file "$TMP/init.err"

# A fatal signal at any other time gets the plain line: nothing is loading.
cat >"$TMP/forever.yaml" <<'Y'
resources:
  noop:
  - name: a
Y
(crash --plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$TMP/forever.yaml") \
	>/dev/null 2>"$TMP/run.err" &
pid=$! # the engine's: the subshell exec'd it
i=0
while ! grep -q " converged" "$TMP/run.err" 2>/dev/null && [ $i -lt 600 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -SEGV "$pid"
wait "$pid"
st=$?
ok "a fatal signal while running kills the engine by it" died_by SEGV "$st"
ok "...with a line naming no plugin" sh -c \
	'tail -n 1 "$1" | grep -qx "mgmt-engine: fatal signal $2 (SIGSEGV)"' \
	_ "$TMP/run.err" "$((st - 128))"
died_by SEGV "$st" || diag_file "$TMP/run.err"

done_testing

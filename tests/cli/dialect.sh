#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mgmt's dialect where it differs from a strict reading: a top-level
# `remote:` loads with one warning (any other unknown key is still an
# error), and an exec's program is looked up when it is about to run, not
# at validate, so a resource before it may install it.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

# ---- remote: ----
cat >"$TMP/remote.yaml" <<'Y'
graph: r
remote: "*"
resources:
  noop:
  - name: n
Y
engine validate "$TMP/remote.yaml" >"$TMP/remote.out" 2>"$TMP/remote.err"
ok "remote: validates (exit 0)" [ $? -eq 0 ]
ok "remote: one warning at its position" sh -c \
	'[ "$(grep -c "remote" "$1")" -eq 1 ] &&
	 grep -q " warn .*remote.yaml:2:1: top-level key .remote. is ignored (as by mgmt); remove it$" "$1"' \
	_ "$TMP/remote.err"
sed 's/^remote:/remotes:/' "$TMP/remote.yaml" >"$TMP/remotes.yaml"
engine validate "$TMP/remotes.yaml" >/dev/null 2>"$TMP/remotes.err"
ok "another unknown top-level key: exit 2" [ $? -eq 2 ]
ok "another unknown top-level key: said where" \
	grep -q "remotes.yaml:2:1: unknown top-level key 'remotes'" \
	"$TMP/remotes.err"

# ---- exec: the program is looked up when it runs ----
# A file resource writes an executable script; the exec after it runs it.
cat >"$TMP/install.yaml" <<Y
resources:
  file:
  - name: script
    path: $TMP/bin/hello
    content: "#!/bin/sh\necho installed-and-ran\n"
    mode: "0755"
  - name: bin
    path: $TMP/bin/
  exec:
  - name: run-it
    cmd: hello
    env:
      PATH: $TMP/bin:/usr/bin:/bin
edges:
- {from: {kind: file, name: script}, to: {kind: exec, name: run-it}}
Y
engine validate "$TMP/install.yaml" >"$TMP/install.vout" 2>&1
ok "a program a file installs: validates before it exists" \
	sh -c '[ $1 -eq 0 ] && [ ! -e "$2" ]' _ $? "$TMP/bin/hello"
engine run --yaml "$TMP/install.yaml" --converged-timeout=0 2>"$TMP/install.err"
st=$?
ok "a program a file installs: the run exits 0" [ "$st" -eq 0 ]
ok "a program a file installs: it ran" \
	grep -q "info Exec\[run-it\]: installed-and-ran$" "$TMP/install.err"
[ "$st" -eq 0 ] || diag_file "$TMP/install.err"

# A program that never exists: validate passes, the run fails that
# resource alone, with one line naming it and the PATH searched.
cat >"$TMP/missing.yaml" <<Y
resources:
  exec:
  - name: nope
    cmd: no-such-program-for-mgmt-engine --flag
    env:
      PATH: $TMP/bin:/usr/bin:/bin
  - name: fine
    cmd: "true"
Y
engine validate "$TMP/missing.yaml" >/dev/null 2>&1
ok "a missing program: validate exits 0" [ $? -eq 0 ]
engine run --yaml "$TMP/missing.yaml" --converged-timeout=0 2>"$TMP/missing.err"
ok "a missing program: the run exits 1" [ $? -eq 1 ]
ok "a missing program: one clear line naming it and the PATH" sh -c \
	'[ "$(grep -c "no-such-program-for-mgmt-engine.* not found in PATH" "$1")" -eq 1 ] &&
	 grep -q "error Exec\[nope\]: cmd: program .no-such-program-for-mgmt-engine. not found in PATH ($2/bin:/usr/bin:/bin)$" "$1"' \
	_ "$TMP/missing.err" "$TMP"
ok "a missing program: the other resource ran" \
	grep -q "info Exec\[fine\]: changed" "$TMP/missing.err"

done_testing

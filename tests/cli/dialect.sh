#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mgmt's dialect where it differs from a strict reading: a top-level
# `remote:` loads with one warning (any other unknown key is still an
# error); an exec's program is looked up when it is about to run, not at
# validate, so a resource before it may install it; and meta.poll replaces
# the watch, each member of a group on its own interval.
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

# ---- meta: poll replaces the watch ----
# Three files in one directory, so the file kind groups them, led by
# a-slow (poll 3600 s); b-fast polls every second; c-watched is watched.
# All three drift at once: c-watched is repaired by its inotify event,
# b-fast at its next tick (a tick of its own, not the leader's), a-slow
# not at all.  The log is the record: no sleep is an assertion.
mkdir "$TMP/d"
cat >"$TMP/poll.yaml" <<Y
resources:
  file:
  - {name: a-slow, path: $TMP/d/a, content: "want\n", meta: {poll: 3600}}
  - {name: b-fast, path: $TMP/d/b, content: "want\n", meta: {poll: 1}}
  - {name: c-watched, path: $TMP/d/c, content: "want\n"}
Y
"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" --log-level debug \
	run --yaml "$TMP/poll.yaml" 2>"$TMP/poll.log" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$TMP"' EXIT
wait_lines ' info converged' 1 "$TMP/poll.log"
ok "poll: the three files are one group led by a-slow" \
	grep -q "info Grouping: 3 resources into File\[a-slow\]" "$TMP/poll.log"
before=$(wc -l <"$TMP/poll.log")
for f in a b c; do printf 'drift\n' >"$TMP/d/$f"; done
# until_want FILE: until FILE holds "want" again (guard 30 s)
until_want() {
	i=0
	while [ "$(cat "$1")" != want ] && [ $i -lt 1500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	[ "$(cat "$1")" = want ]
}
ok "poll: the watched file is repaired" until_want "$TMP/d/c"
ok "poll: the file polled every second is repaired" until_want "$TMP/d/b"
ok "poll: the file polled every hour still drifts (not watched)" \
	sh -c '[ "$(cat "$1")" = drift ]' _ "$TMP/d/a"
tail -n +"$((before + 1))" "$TMP/poll.log" >"$TMP/poll.after"
# b-fast's repair follows a tick of its own; c-watched has no tick at all
ok "poll: b-fast was repaired at its own tick" sh -c \
	'awk "/File\\[b-fast\\]: poll: checking \\(every 1 s\\)/ { tick = 1 }
	      /File\\[b-fast\\]: updated the content/ { exit !tick }
	      END { if (!tick) exit 1 }" "$1"' _ "$TMP/poll.after"
ok "poll: c-watched and a-slow had no tick" sh -c \
	'! grep -q "File\[\(c-watched\|a-slow\)\]: poll" "$1"' _ "$TMP/poll.after"
ok "poll: only b-fast and c-watched were written" sh -c \
	'grep -q "info File\[c-watched\]: updated the content" "$1" &&
	 ! grep -q "File\[a-slow\]: updated" "$1"' _ "$TMP/poll.after"
kill -TERM $pid
wait $pid
st=$?
ok "poll: SIGTERM: exit 0" [ "$st" -eq 0 ]
[ "$st" -eq 0 ] || diag_file "$TMP/poll.log"

done_testing

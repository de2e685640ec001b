#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# file-watch.sh - the file resource undoes changes made behind its back at
# once: the built engine runs a graph of files in this test's own directory
# (in the background, until SIGTERM), the test changes them and waits for
# each to be restored, polling every 10 ms with a 10 s guard.  Then: the
# engine's own writes start no loop, and the watch descriptors the engine
# holds (its /proc fdinfo) number one per directory, not one per file.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

# Real paths: the expected wd counts below count path components.
R=$(cd "$TMP" && pwd -P)
W="$R/w"
mkdir "$W"
PID=
trap '[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID"; rm -rf "$TMP"' EXIT

# until_ok CMD...: poll CMD every 10 ms until it succeeds; fail after 10 s.
until_ok() {
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 1000 ] || return 1
		sleep 0.01
	done
}

# same FILE LINE: FILE holds exactly LINE and a newline.
same() {
	printf '%s\n' "$2" | cmp -s - "$1"
}

mode_is() {
	[ "$(stat -c %a "$1")" = "$2" ]
}

gone() {
	[ ! -e "$1" ] && [ ! -L "$1" ]
}

converged() {
	grep -q ' info converged$' "$LOG"
}

# start NAME: run the engine on $TMP/NAME.yaml until stop, logging to
# $LOG; wait for convergence.
start() {
	LOG="$TMP/$1.log"
	# not through lib.sh's `engine`: $! must be the engine itself
	"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" --log-level debug \
		run --yaml "$TMP/$1.yaml" --converged-timeout=-1 2>"$LOG" &
	PID=$!
	until_ok converged
}

# stop: SIGTERM, and the engine's exit status; the log's end on failures.
stop() {
	kill -TERM "$PID"
	wait "$PID"
	st=$?
	PID=
	if [ "$T_FAIL" -gt 0 ]; then
		echo "# the last lines of $LOG:"
		tail -n 50 "$LOG" | sed 's/^/# /'
	fi
	return $st
}

# inotify_wds: watch descriptors of the file kind's one inotify instance.
# The engine has exactly one more, with one wd: its watch of the graph file
# for reload.  Fails unless there are exactly these two.
inotify_wds() {
	n=0
	most=0
	for fd in /proc/"$PID"/fd/*; do
		[ "$(readlink "$fd")" = "anon_inode:inotify" ] || continue
		n=$((n + 1))
		w=$(grep -c '^inotify wd:' "/proc/$PID/fdinfo/${fd##*/}")
		[ "$w" -gt "$most" ] && most=$w
	done
	[ "$n" -eq 2 ] || return 1
	echo "$most"
}

# chain DIR: how many directories from / down to DIR, both included.
chain() {
	printf '%s\n' "$1" | awk -F/ '{ print NF }'
}

cat >"$TMP/g.yaml" <<Y
resources:
  file:
  - {name: f, path: "$W/f", content: "i am f\n", mode: "0644"}
  - {name: f4, path: "$W/f4", state: absent}
  - {name: D, path: "$W/D/", mode: "0755"}
  - {name: d1, path: "$W/D/d1", content: "i am d1\n"}
  - {name: d2, path: "$W/D/d2", content: "i am d2\n"}
  - {name: N, path: "$W/N/"}
  - {name: n1, path: "$W/N/n1", content: "i am n1\n"}
  - {name: x, path: "$W/X/Y/x", state: absent}
  - {name: s, path: "$W/s", content: "sentinel\n", meta: {autogroup: false}}
edges:
- {from: {kind: file, name: D}, to: {kind: file, name: d1}}
- {from: {kind: file, name: D}, to: {kind: file, name: d2}}
- {from: {kind: file, name: N}, to: {kind: file, name: n1}}
Y

start g
ok "the graph converges" converged
ok "the log says the watch method" \
	grep -q 'info watching files with inotify (one watch per directory)$' "$LOG"
ok "files are in place" sh -c \
	'printf "i am f\n" | cmp -s - "$1/f" && [ -d "$1/D" ] && [ -f "$1/N/n1" ]' _ "$W"

rm "$W/f"
ok "rm f: restored" until_ok same "$W/f" "i am f"
echo blah >"$W/f"
ok "echo blah > f: restored" until_ok same "$W/f" "i am f"
chmod 600 "$W/f"
ok "chmod 600 f: mode 0644 restored" until_ok mode_is "$W/f" 644
mv "$W/f" "$W/g"
ok "mv f g: f restored" until_ok same "$W/f" "i am f"
touch "$W/f4"
ok "touch f4 (state absent): removed" until_ok gone "$W/f4"

# The engine may refill D between rm's unlinks and its rmdir (it is that
# quick): repeat until rm removed all of it once.
ok "rm -rf D: it went" until_ok rm -rf "$W/D"
ok "rm -rf D: D and its files recreated" until_ok sh -c \
	'printf "i am d1\n" | cmp -s - "$1/D/d1" && printf "i am d2\n" | cmp -s - "$1/D/d2"' _ "$W"
mv "$W/D" "$W/D.old"
ok "mv D away: D and its files recreated" until_ok sh -c \
	'printf "i am d1\n" | cmp -s - "$1/D/d1" && printf "i am d2\n" | cmp -s - "$1/D/d2"' _ "$W"
chmod 700 "$W/D"
ok "chmod 700 D/: mode 0755 restored" until_ok mode_is "$W/D" 755
rm "$W/D/d2"
ok "rm D/d2 (D recreated): restored" until_ok same "$W/D/d2" "i am d2"

# N did not exist when the watch started: the chain reached N once its
# resource made it.
rm "$W/N/n1"
ok "rm N/n1 (N made by the engine): restored" until_ok same "$W/N/n1" "i am n1"

# X/Y/x: nobody manages X or Y; the watch starts at W and follows them.
mkdir -p "$W/X/Y" && touch "$W/X/Y/x"
ok "mkdir -p X/Y; touch X/Y/x (absent): removed" until_ok gone "$W/X/Y/x"
touch "$W/X/Y/x"
ok "touch X/Y/x again: removed" until_ok gone "$W/X/Y/x"

# No loop on its own writes.  A barrier: remove the sentinel and wait until
# it is back and the graph converged after that.  Every event queued before
# the sentinel's (the engine's own writes included) was read with it or
# earlier, so the re-runs it caused ended before that convergence.  Between
# two barriers nothing happens, so no resource but the sentinel may run.
# (The sentinel is kept out of groups so that its runs log under its name.)
sentinel_back() {
	[ "$(grep -c 'File\[s\]: changed$' "$LOG")" -gt "$1" ] &&
		awk '/File\[s\]: changed$/ { c = 0 } / info converged$/ { c = 1 }
			END { exit !c }' "$LOG"
}
barrier() {
	n=$(grep -c 'File\[s\]: changed$' "$LOG")
	rm "$W/s"
	until_ok sentinel_back "$n"
}
runs() {
	grep -E 'File\[[^]]*\]: (converged|changed)$' "$LOG" |
		grep -vc 'File\[s\]'
}
ok "barrier 1" barrier
n1=$(runs)
ok "barrier 2" barrier
n2=$(runs)
ok "no run without a cause: the engine's own writes do not loop ($n1 = $n2)" \
	[ "$n1" -eq "$n2" ]

wds=$(inotify_wds)
# /, the ancestors of W, W, D, N, X, X/Y
ok "one inotify instance, one wd per directory ($wds)" \
	[ "$wds" = $(($(chain "$W") + 4)) ]

stop
st=$?
ok "SIGTERM: exit 0 (nothing left failed)" [ "$st" -eq 0 ]

# 1,000 files in one directory: the directory and its ancestors.
mkdir "$R/many"
{
	echo "resources:"
	echo "  file:"
	i=0
	while [ $i -lt 1000 ]; do
		printf '  - {name: m%d, path: "%s", content: "%d\\n"}\n' \
			$i "$R/many/f$i" $i
		i=$((i + 1))
	done
} >"$TMP/many.yaml"
start many
ok "1,000 files in one directory converge" same "$R/many/f999" 999
wds=$(inotify_wds)
ok "1,000 files in one directory: $(chain "$R/many") wds ($wds)" \
	[ "$wds" = "$(chain "$R/many")" ]
rm "$R/many/f500"
ok "rm many/f500: restored" until_ok same "$R/many/f500" 500
stop
ok "SIGTERM: exit 0" [ $? -eq 0 ]

# 10 directories of 100 files: ten more than their parent's chain.
{
	echo "resources:"
	echo "  file:"
	d=0
	while [ $d -lt 10 ]; do
		mkdir "$R/ten$d"
		i=0
		while [ $i -lt 100 ]; do
			printf '  - {name: t%d-%d, path: "%s", content: "%d\\n"}\n' \
				$d $i "$R/ten$d/f$i" $i
			i=$((i + 1))
		done
		d=$((d + 1))
	done
} >"$TMP/ten.yaml"
start ten
ok "10 x 100 files converge" same "$R/ten9/f99" 99
wds=$(inotify_wds)
ok "10 directories of 100 files: $(($(chain "$R") + 10)) wds ($wds)" \
	[ "$wds" = $(($(chain "$R") + 10)) ]
stop
ok "SIGTERM: exit 0" [ $? -eq 0 ]

done_testing

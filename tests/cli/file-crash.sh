#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# file-crash.sh - the file resource after the engine was killed (SIGKILL)
# in the middle of writing: every managed file is whole (its old content or
# its new one, never a part), and the next run removes the temporary files
# the killed one left, and nothing else.  Twice: with the files not grouped
# (one vertex each, so every worker writes, each file flushed and renamed
# on its own), and grouped (one vertex: every temporary written, then all
# flushed, then renamed one by one, plugins/file/write.c), so that the kill
# lands in the grouped order's steps too.  The test freezes the engine
# (SIGSTOP, then waits until every thread is stopped) once temporary files
# are there, checks that some still are, and only then kills it: so it is
# killed with temporaries on disk whatever the speed of the disk.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

D="$TMP/d"
mkdir "$D"
PID=
trap '[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT

N=6
# 8 MiB of new content each: long enough to be caught writing it.
head -c 8388608 /dev/zero | tr '\0' n >"$TMP/new"
# graph AUTOGROUP: the six files, grouped or not.
graph() {
	echo "resources:"
	echo "  file:"
	i=0
	while [ $i -lt $N ]; do
		printf '  - {name: f%d, path: "%s/f%d", source: "%s/new", meta: {autogroup: %s}}\n' \
			$i "$D" $i "$TMP" "$1"
		i=$((i + 1))
	done
}
graph false >"$TMP/g-apart.yaml"
graph true >"$TMP/g-grouped.yaml"

# Named like temporaries, but not stale ones of this graph: they stay.
printf 'x\n' >"$D/.mgmt-zz.Ab12Cd" # no managed file zz
mkdir "$D/.mgmt-f0.dirdir"        # a directory
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	printf 'x\n' >"$D/.mgmt-f1.nobody" # someone else's
	chown nobody "$D/.mgmt-f1.nobody"
fi
looks_alike=$(cd "$D" && ls -A | sort)

# temporaries: the temporary files of the managed f0..f5, one a line.
temporaries() {
	ls -A "$D" | grep -E '^\.mgmt-f[0-9]+\.[A-Za-z0-9]{6}$' |
		grep -vxF "$looks_alike"
}

# any_temporary: a quick look for one (a glob: no process to start, so the
# test can look often, however fast the disk is).
any_temporary() {
	for t in "$D"/.mgmt-f[0-9]*.??????; do
		case "$looks_alike" in *"${t##*/}"*) continue ;; esac
		[ -f "$t" ] && return 0
	done
	return 1
}

# state FILE: the state letter in a /proc stat file ("" when gone).
state() {
	sed 's/.*) //' "$1" 2>/dev/null | cut -d' ' -f1
}

# alive: the engine has not exited (kill -0 would count a zombie).
alive() {
	st=$(state /proc/"$PID"/stat)
	[ -n "$st" ] && [ "$st" != Z ]
}

# all_stopped: every thread of the engine is stopped (state T).
all_stopped() {
	for s in /proc/"$PID"/task/*/stat; do
		[ "$(state "$s")" = T ] || return 1
	done
}

# whole: each f is absent, old or new: never a part of either.
whole() {
	for f in "$D"/f*; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$TMP/new" || [ "$(cat "$f")" = old ] || {
			echo "# $f is neither old nor new"
			return 1
		}
	done
}

# crash LABEL: with graph g-LABEL.yaml, start the engine on old files,
# kill it while temporaries exist, check, then run it again.
crash() {
	# Start the engine on old files and kill it while temporaries exist.  A
	# try where it finished before being caught starts over.
	caught=
	try=0
	while [ -z "$caught" ] && [ $try -lt 10 ]; do
		try=$((try + 1))
		i=0
		while [ $i -lt $N ]; do
			printf 'old\n' >"$D/f$i"
			i=$((i + 1))
		done
		"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
			--yaml "$TMP/g-$1.yaml" --converged-timeout 0 2>"$TMP/run1.log" &
		PID=$!
		while alive; do
			if any_temporary; then
				kill -STOP "$PID"
				while alive && ! all_stopped; do sleep 0.01; done
				if alive && [ -n "$(temporaries)" ]; then
					caught=$(temporaries | wc -l)
					kill -KILL "$PID"
					break
				fi
				kill -CONT "$PID"
			fi
		done
		wait "$PID" 2>/dev/null
		PID=
	done
	ok "$1: killed while writing, leaving ${caught:-no} temporary files (try $try)" \
		[ -n "$caught" ]
	ok "$1: every file is whole after the kill" whole

	engine run --yaml "$TMP/g-$1.yaml" --converged-timeout 0 2>"$TMP/run2.log"
	ok "$1: the next run succeeds" [ $? -eq 0 ]
	ok "$1: the next run removed the temporaries" [ -z "$(temporaries)" ]
	ok "$1: the next run logged their removal" \
		grep -q 'removed [0-9]* stale temporary files\{0,1\} (.mgmt-\*) left in ' \
		"$TMP/run2.log"
	ok "$1: look-alikes stay" sh -c '
		for n in $1; do [ -e "$2/$n" ] || exit 1; done' _ "$looks_alike" "$D"
	i=0
	all_new=true
	while [ $i -lt $N ]; do
		cmp -s "$D/f$i" "$TMP/new" || all_new=false
		i=$((i + 1))
	done
	ok "$1: every file has its new content" $all_new
	ok "$1: nothing else is in the directory" [ "$(ls -A "$D" | sort)" = "$(
		{ printf '%s\n' "$looks_alike"; i=0
		while [ $i -lt $N ]; do echo "f$i"; i=$((i + 1)); done; } | sort)" ]
	[ "$T_FAIL" -eq 0 ] || { diag_file "$TMP/run1.log"; diag_file "$TMP/run2.log"; }
}

crash apart
crash grouped

done_testing

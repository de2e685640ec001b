#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# file-batch.sh - the order in which a group of files is put on disk
# (plugins/file/write.c): every temporary of a batch is flushed (one syncfs
# for all of them) before the first of them is renamed into place, a batch
# holds at most 128 files, and the directory is flushed once, after the last rename; a group
# of 1,100 files is split over two threads (with two CPUs), each with its
# own batches, and the directory flushed once after both.  Seen with strace
# (-y names each descriptor's file, -ff keeps each thread's calls apart),
# so the order is the one the kernel saw; skipped without strace.  With
# only 64 descriptors, a batch that runs out of them is committed early
# and the run goes on.  Then a batch whose renames fail
# (an append-only directory, chattr +a, refuses them): every member fails
# with its own line, nothing is put in place, the rest of the graph
# converges; needs root and a file system with chattr, skipped otherwise.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

D="$TMP/d"
mkdir "$D"
trap 'chattr -a "$D" 2>/dev/null; rm -rf "$TMP"' EXIT

# graph N: N files f0..f(N-1) in D, grouped (one directory).
graph() {
	echo "resources:"
	echo "  file:"
	i=0
	while [ "$i" -lt "$1" ]; do
		printf '  - {name: f%d, path: "%s/f%d", content: "i am f%d\\n"}\n' \
			"$i" "$D" "$i" "$i"
		i=$((i + 1))
	done
	printf '  - {name: other, path: "%s/other", content: "other\\n"}\n' \
		"$TMP"
}

# events LOG: the trace as one letter a line: Y a syncfs of D's file system
# (on a temporary), S a temporary's fsync, R its rename into D, F the fsync
# of D itself.  strace -ff wrote one file per
# thread, LOG.TID (so no call is split by another thread's); only the
# group's thread touches D.
events() {
	cat "$1".* | events_of
}

# events_of: the same for one trace on stdin.
events_of() {
	sed -n \
		-e 's|.*syncfs([0-9]*<'"$D"'/\.mgmt-f[0-9]*\.[A-Za-z0-9]\{6\}>).*= 0$|Y|p' \
		-e 's|.*fsync([0-9]*<'"$D"'/\.mgmt-f[0-9]*\.[A-Za-z0-9]\{6\}>).*= 0$|S|p' \
		-e 's|.*rename[at2]*(.*"'"$D"'/\.mgmt-f[0-9]*\.[A-Za-z0-9]\{6\}".*"'"$D"'/f[0-9]*".*= 0$|R|p' \
		-e 's|.*fsync([0-9]*<'"$D"'>).*= 0$|F|p'
}

# flushed N: how a batch of N is flushed: one syncfs from Linux 5.8 on
# (older ones do not report its errors), else an fsync each.
flushed() {
	if [ "$(uname -r | awk -F. '{ print ($1 > 5 || ($1 == 5 && $2 >= 8)) }')" = 1 ]; then
		echo "Y*1"
	else
		echo "S*$1"
	fi
}

# runs: the events with each run of one letter as LETTER*COUNT, one a line.
runs() {
	uniq -c | awk '{ print $2 "*" $1 }' | tr '\n' ' '
}

if command -v strace >/dev/null 2>&1 &&
	strace -f -qq -o /dev/null true 2>/dev/null; then
	# LeakSanitizer cannot run in a traced process (a sanitizer build):
	# the traced runs skip it, the others below keep it.
	asan_options=${ASAN_OPTIONS-}
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
	graph 5 >"$TMP/g5.yaml"
	strace -ff -qq -y -o "$TMP/trace5" -e trace=fsync,syncfs,rename,renameat,renameat2 \
		"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
		--yaml "$TMP/g5.yaml" --converged-timeout 0 2>"$TMP/run5.log"
	ok "5 files: the run succeeds" [ $? -eq 0 ]
	ok "5 files: one syncfs, then five renames, then the directory's fsync" \
		[ "$(events "$TMP/trace5" | runs)" = "$(flushed 5) R*5 F*1 " ]
	ok "5 files: each logged once in place" \
		[ "$(grep -c 'created '"$D"'/f[0-9]*$' "$TMP/run5.log")" -eq 5 ]

	rm -f "$D"/f*
	graph 300 >"$TMP/g300.yaml"
	strace -ff -qq -y -o "$TMP/trace300" \
		-e trace=fsync,syncfs,rename,renameat,renameat2 \
		"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
		--yaml "$TMP/g300.yaml" --converged-timeout 0 2>"$TMP/run300.log"
	ok "300 files: the run succeeds" [ $? -eq 0 ]
	ok "300 files: batches of 128, 128 and 44; the directory flushed once" \
		[ "$(events "$TMP/trace300" | runs)" = \
		"$(flushed 128) R*128 $(flushed 128) R*128 $(flushed 44) R*44 F*1 " ]

	# 1,100 files: split in two slices of 550 when there are two CPUs,
	# each its own thread with its own batches; the directory flushed
	# once, after every rename of both.
	rm -f "$D"/f*
	graph 1100 >"$TMP/g1100.yaml"
	strace -ff -qq -y -ttt -o "$TMP/trace1100" \
		-e trace=fsync,syncfs,rename,renameat,renameat2 \
		"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
		--yaml "$TMP/g1100.yaml" --converged-timeout 0 \
		2>"$TMP/run1100.log"
	ok "1,100 files: the run succeeds" [ $? -eq 0 ]
	threads=0 slices=
	for t in "$TMP"/trace1100.*; do
		ev=$(events_of <"$t" | runs)
		[ -n "$ev" ] || continue
		threads=$((threads + 1))
		slices="$slices[${ev%F\*1 }]"
	done
	y=$(flushed 128)
	one="$y R*128 $y R*128 $y R*128 $y R*128 $(flushed 38) R*38 "
	if [ "$(nproc)" -ge 2 ]; then
		ok "1,100 files: two threads, each with its 550 in batches" \
			[ "$slices" = "[$one][$one]" ]
	else
		skip "1,100 files split over two threads" "one CPU"
	fi
	ok "1,100 files: one directory flush, after the last rename" sh -c '
		cat "$1".* | awk -v d="$2" "
			index(\$0, \"rename\") && index(\$0, d \"/.mgmt-f\") {
				if (\$1 > last) last = \$1 }
			index(\$0, \"fsync(\") && index(\$0, \"<\" d \">\") {
				n++; t = \$1 }
			END { exit !(n == 1 && t > last) }"' _ "$TMP/trace1100" "$D"
	ok "1,100 files: all right" sh -c '
		i=0; while [ $i -lt 1100 ]; do
			[ "$(cat "$1/f$i")" = "i am f$i" ] || exit 1
			i=$((i + 1)); done' _ "$D"

	[ "$T_FAIL" -eq 0 ] || {
		events "$TMP/trace5" | runs >&2
		events "$TMP/trace300" | runs >&2
		diag_file "$TMP/run5.log"
	}
	ASAN_OPTIONS=$asan_options
	[ -n "$ASAN_OPTIONS" ] || unset ASAN_OPTIONS
else
	skip "the order of flushes and renames" "no working strace"
fi

# ---- few descriptors: a batch out of them commits early ----
rm -f "$D"/f*
graph 300 >"$TMP/g300.yaml"
(ulimit -n 64 && exec "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
	--yaml "$TMP/g300.yaml" --converged-timeout 0) 2>"$TMP/run-fds.log"
ok "ulimit -n 64: 300 files, the run succeeds" [ $? -eq 0 ]
ok "ulimit -n 64: no member failed" \
	sh -c '! grep -E "failed|cannot" "$1"' _ "$TMP/run-fds.log"
ok "ulimit -n 64: all 300 are right" sh -c '
	i=0; while [ $i -lt 300 ]; do
		[ "$(cat "$1/f$i")" = "i am f$i" ] || exit 1
		i=$((i + 1)); done' _ "$D"
[ "$T_FAIL" -eq 0 ] || diag_file "$TMP/run-fds.log"

# ---- a batch whose renames fail ----
rm -f "$D"/* "$TMP/other"
graph 3 >"$TMP/g3.yaml"
if [ "$(id -u)" = 0 ] && chattr +a "$D" 2>/dev/null; then
	engine run --yaml "$TMP/g3.yaml" --converged-timeout 0 \
		2>"$TMP/run3.log"
	ok "renames refused: the run exits 1" [ $? -eq 1 ]
	ok "renames refused: one line for each member" [ "$(grep -c \
		"error File\[f[0-2]\]: cannot write $D/f[0-2]: Operation not permitted; nothing was created" \
		"$TMP/run3.log")" -eq 3 ]
	ok "renames refused: none is in place" [ -z "$(ls "$D")" ]
	ok "renames refused: none is reported created" \
		sh -c '! grep -q "created '"$D"'" "$1"' _ "$TMP/run3.log"
	ok "renames refused: the rest of the graph converged" \
		[ "$(cat "$TMP/other")" = other ]
	chattr -a "$D"
	engine run --yaml "$TMP/g3.yaml" --converged-timeout 0 \
		2>"$TMP/run3b.log"
	ok "allowed again: the next run succeeds" [ $? -eq 0 ]
	ok "allowed again: the files, and nothing else" \
		[ "$(ls -A "$D" | tr '\n' ' ')" = "f0 f1 f2 " ]
	[ "$T_FAIL" -eq 0 ] || diag_file "$TMP/run3.log"
else
	skip "renames refused at the commit" "needs root and chattr +a"
fi

done_testing

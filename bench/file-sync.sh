#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/file-sync.sh - how to make a group's new files durable: N files
# created by bench/file-raw with each sync strategy it has, interleaved
# (each round runs every strategy once, the order turning each round),
# median of RUNS; every strategy leaves each file durable before it is
# renamed, and the directory is flushed once at the end.  The baseline is
# `create`, the plugin's order before batches (each file fsync'ed and
# renamed in turn).  Nothing is removed before the end (see bench/file.c).
# A section is appended to RESULTS.md.  Run by tools/bench-file-sync.
# Usage: bench/file-sync.sh FILE_RAW RESULTS.md [SIZES [RUNS]]
set -euo pipefail
raw=$1 results=$2 sizes=${3:-1000 10000} runs=${4:-3}
work=$(mktemp -d /var/tmp/mgmt-bench-file-sync.XXXXXX)
trap 'rm -rf "$work"' EXIT
load0=$(cut -d' ' -f1 /proc/loadavg)
# NAME:ARGS of `file-raw batch HOW DIR N ARGS`; create is file-raw create.
strategies=(create fsync:128 sfr:128 sfr-fsync:128 uring:128 early:128
	early:128:2 syncfs:128 syncfs:1024 syncfs:128:2)

for n in $sizes; do
	for ((r = 0; r < runs; r++)); do
		for ((k = 0; k < ${#strategies[@]}; k++)); do
			s=${strategies[(k + r) % ${#strategies[@]}]}
			d="$work/$n.$r.${s//:/-}"
			mkdir "$d"
			how=${s%%:*} args=${s#*:}
			t0=$(date +%s.%N)
			if [ "$s" = create ]; then
				"$raw" create "$d" "$n"
			else
				# shellcheck disable=SC2086
				"$raw" batch "$how" "$d" "$n" ${args//:/ }
			fi
			t1=$(date +%s.%N)
			"$raw" check "$d" "$n"
			echo "$t1 - $t0" | bc >>"$work/$n.${s//:/-}"
		done
	done
done

med() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rev=$(cd "$(dirname "$0")" && git rev-parse --short HEAD 2>/dev/null ||
	echo unknown)
{
	echo
	echo "## bench/file-sync: $(date -u '+%Y-%m-%d %H:%M') UTC, nproc $(nproc)"
	echo
	echo "Command: \`tools/bench-file-sync\` (runs \`bench/file-sync.sh" \
		"bench/file-raw bench/RESULTS.md \"$sizes\" $runs\`), as" \
		"$(id -un), in a fresh directory under /var/tmp ($(df -T /var/tmp |
			awk 'NR == 2 { print $2 }'), $(findmnt -no OPTIONS -T /var/tmp))." \
		"Tree: $rev."
	echo "Load average (1 min) at the start: $load0, at the end:" \
		"$(cut -d' ' -f1 /proc/loadavg)."
	echo
	echo "N new files in one directory by \`bench/file-raw\`; each strategy" \
		"makes every file durable before renaming it, and flushes the" \
		"directory once at the end.  *create*: the plugin's order before" \
		"batches, each file fsync'ed then renamed in turn.  The others:" \
		"\`batch HOW DIR N B [T]\`, B temporaries written, then synced" \
		"by HOW, then renamed: *fsync* each in turn; *sfr* / *sfr-fsync*" \
		"sync_file_range(WRITE) on all, then fdatasync / fsync each;" \
		"*syncfs* one syncfs (the plugin's since this measurement);" \
		"*uring* every fsync submitted at once" \
		"through io_uring; *early* the writeback of each started right" \
		"after its write, fsync each at the end; T threads" \
		"share the files.  Interleaved rounds, median of $runs."
	echo
	printf '| N |'
	for s in "${strategies[@]}"; do printf ' %s (s) |' "$s"; done
	echo
	printf '|---:|'
	for s in "${strategies[@]}"; do printf -- '---:|'; done
	echo
	for n in $sizes; do
		base=$(med "$work/$n.create")
		printf '| %d |' "$n"
		for s in "${strategies[@]}"; do
			m=$(med "$work/$n.${s//:/-}")
			awk -v m="$m" -v b="$base" \
				'BEGIN { printf " %.3f (%.2f×) |", m, b / m }'
		done
		echo
	done
	echo
	echo "(×: how many times faster than *create*.)"
} >>"$results"
tail -n 8 "$results"

# SPDX-License-Identifier: GPL-3.0-or-later
# lib.sh - TAP helpers for the CLI tests.  Source it, call plan-free `ok`,
# then `done_testing`.  Each test gets its own temporary directory under the
# build tree's tests/tmp (never /tmp of the host), removed on exit.
set -u
: "${MGMT_ENGINE:?run through make check}"
T_N=0
T_FAIL=0
TMPBASE="${MGMT_TOP_BUILDDIR:-.}/tests/tmp"
mkdir -p "$TMPBASE"
chmod 0755 "$TMPBASE"
TMP=$(mktemp -d "$TMPBASE/$(basename "$0" .sh).XXXXXX")
chmod 0755 "$TMP"
trap 'rm -rf "$TMP"' EXIT

# ok DESCRIPTION COMMAND... : one TAP result for the command's exit status.
ok() {
	desc=$1
	shift
	T_N=$((T_N + 1))
	if "$@"; then
		echo "ok $T_N - $desc"
	else
		echo "not ok $T_N - $desc"
		T_FAIL=$((T_FAIL + 1))
	fi
}

# skip DESCRIPTION REASON
skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

# diag: show a file in the log (as TAP comments) to explain a failure.
diag_file() {
	sed 's/^/# /' "$1"
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
}

# count PATTERN FILE: lines of FILE matching, 0 also before FILE exists.
count() {
	n=$(grep -c -- "$1" "$2" 2>/dev/null)
	echo "${n:-0}"
}

# wait_lines PATTERN COUNT FILE: until FILE has COUNT matching lines (guard
# 30 s); fails if it never does.
wait_lines() {
	i=0
	while [ "$(count "$1" "$3")" -lt "$2" ] && [ $i -lt 1500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	[ "$(count "$1" "$3")" -ge "$2" ]
}

# capture NAME CMD...: CMD's output (stdout and stderr) in $TMP/NAME.out,
# its exit status in $TMP/NAME.rc; then rc_is and says ask about them.
capture() {
	name=$1
	shift
	"$@" >"$TMP/$name.out" 2>&1
	echo $? >"$TMP/$name.rc"
}

# rc_is NAME STATUS: `capture NAME` exited with STATUS; else show its output.
rc_is() {
	[ "$(cat "$TMP/$1.rc")" = "$2" ] && return 0
	echo "# exit status $(cat "$TMP/$1.rc"), not $2; the output:"
	diag_file "$TMP/$1.out"
	return 1
}

# says NAME LINE: the output of `capture NAME` is exactly LINE.
says() {
	printf '%s\n' "$2" | cmp -s - "$TMP/$1.out" && return 0
	echo "# not the one line: $2"
	diag_file "$TMP/$1.out"
	return 1
}

# engine ARGS...: run the built engine with the build tree's plugins.
engine() {
	"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" "$@"
}

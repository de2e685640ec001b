# SPDX-License-Identifier: GPL-3.0-or-later
# lib.sh - the system tests' side of the systemd sandbox (sandbox.sh).
# Source it after tests/cli/lib.sh:
#
#   sandbox_start NAME      boot a sandbox, stopped again on exit, however
#                           the test ends; if it cannot boot, the test file
#                           fails when MGMT_REQUIRE_SYSTEM_TESTS=1 (CI) and
#                           is skipped with the reason otherwise
#   sbx CMD...              run CMD inside, in $TMP (the build tree is visible
#                           inside; the host's /tmp, /run and /var/tmp are not)
#   sbx_bg PIDFILE CMD...   start CMD in the background inside; PIDFILE gets
#                           its PID as seen inside (stop it with sbx kill)
#   wait_for SECONDS CMD... poll CMD until it succeeds; a guard, not a timer
SBX_SCRIPT="$MGMT_TOP_SRCDIR/tests/system/sandbox.sh"
# Inside the test's own directory, so its logs go when the test does.
export SANDBOX_STATE="$TMP/.sandbox"
export SANDBOX_KEEP="$(readlink -f "$MGMT_TOP_BUILDDIR") $(readlink -f "$MGMT_TOP_SRCDIR")"
SBX_NAME=

# not_available REASON: what a test file does when the services it needs
# cannot run here.
not_available() {
	if [ "${MGMT_REQUIRE_SYSTEM_TESTS:-0}" = 1 ]; then
		echo "not ok 1 - $1 (MGMT_REQUIRE_SYSTEM_TESTS=1)"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

sandbox_stop() {
	[ -n "$SBX_NAME" ] || return 0
	bash "$SBX_SCRIPT" stop "$SBX_NAME" >/dev/null
	SBX_NAME=
}

sandbox_start() {
	local name=$1-$$ out
	trap 'sandbox_stop; rm -rf "$TMP"' EXIT
	# The trap runs on exit; a signal must become an exit to reach it.
	trap 'exit 130' INT TERM HUP
	if ! out=$(bash "$SBX_SCRIPT" start "$name" 2>&1); then
		bash "$SBX_SCRIPT" stop "$name" >/dev/null 2>&1
		printf '%s\n' "$out" | sed 's/^/# /'
		not_available "the systemd sandbox cannot start: $(printf '%s\n' "$out" | grep '^sandbox:' | tail -n 1)"
	fi
	SBX_NAME=$name
}

sbx() {
	(cd "$TMP" && bash "$SBX_SCRIPT" exec "$SBX_NAME" "$@")
}

sbx_bg() {
	local pidfile=$1
	shift
	rm -f "$pidfile"
	sbx sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null &
	wait_for 10 test -s "$pidfile"
}

# not CMD...: CMD fails (for ok and wait_for, which take a command).
not() {
	! "$@"
}

# gone PID: the process PID inside the sandbox has exited.
gone() {
	! sbx kill -0 "$1" 2>/dev/null
}

wait_for() {
	local limit=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $limit ] || return 1
		sleep 0.02
	done
}

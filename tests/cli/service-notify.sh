#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The service manager's protocol (doc/service.md), against a stand-in for
# systemd's notification socket (tests/cli/notify-listen): READY=1 with
# STATUS= once the graph runs, STATUS= counts as resources converge or fail,
# WATCHDOG=1 from the loop, RELOADING=1 then READY=1 around every reload
# (taken or refused, the refusal in STATUS=), `reload --pid` saying
# RELOADING=1 itself before it signals, STOPPING=1 at the end; and nothing
# at all without NOTIFY_SOCKET.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

SOCK="@mgmt-engine-test-notify-$$"
OUT="$TMP/notify"
G="$TMP/graph.d"
mkdir "$G"
cat >"$G/10-a.yaml" <<Y
resources:
  test:
  - {name: a}
  - {name: b}
  - {name: bad, fail: 1000}
Y

"$MGMT_TOP_BUILDDIR/tests/cli/notify-listen" "$SOCK" "$OUT" &
lpid=$!
pid=
trap 'kill -KILL $lpid $pid 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -e "$OUT" ] && [ $i -lt 1500 ]; do
	sleep 0.02
	i=$((i + 1))
done
ok "the stand-in socket is bound" test -e "$OUT"

# The engine with systemd's environment: the socket, and a watchdog of
# 0.2 s for its own pid (what WatchdogSec= sets).
NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=200000 sh -c \
	'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"' sh \
	"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" \
	run --yaml "$G" 2>"$TMP/log" >/dev/null &
pid=$!

# from_engine PATTERN COUNT: the engine sent COUNT messages matching.
from_engine() { wait_lines "^$pid .*$1" "$2" "$OUT"; }

ok "READY=1 once the graph runs" from_engine "READY=1" 1
ok "READY=1 comes with STATUS=" from_engine "READY=1|STATUS=" 1
ok "STATUS= reaches the converged counts, the failure counted" \
	from_engine "STATUS=converged: 3 resources, 2 converged, 1 failed" 1
ok "WATCHDOG=1 from the loop, again and again" from_engine "WATCHDOG=1$" 3

# A reload asked by `mgmt-engine reload --pid`, as ExecReload runs it.
NOTIFY_SOCKET=$SOCK "$MGMT_ENGINE" reload --pid "$pid" >"$TMP/reload.out" 2>&1
rc=$?
ok "reload --pid succeeds" [ "$rc" -eq 0 ]
rpid_line=$(grep -n -v -- "^$pid " "$OUT" | grep -- "RELOADING=1" |
	head -n 1 | cut -d: -f1)
ok "reload --pid says RELOADING=1 itself" test -n "$rpid_line"
ok "the engine says RELOADING=1" from_engine "RELOADING=1|MONOTONIC_USEC=" 1
ok "then READY=1 once the reload was taken" from_engine "READY=1|STATUS=" 2
ok "the engine logged the SIGHUP" wait_lines "SIGHUP: reloading" 1 "$TMP/log"
ok "reload --pid spoke before the engine answered" \
	[ "${rpid_line:-0}" -lt "$(grep -n -- "^$pid .*RELOADING=1" "$OUT" |
		head -n 1 | cut -d: -f1)" ]

# A broken part: refused, and said so in STATUS= until a reload is taken.
printf 'resources:\n  test:\n  - {name: c, nosuch: 1}\n' >"$G/20-b.yaml"
ok "a refused reload still ends with READY=1" from_engine "READY=1|STATUS=" 3
ok "STATUS= says the reload was refused" \
	from_engine "READY=1|STATUS=converged: 3 resources, 2 converged, 1 failed; last reload refused: 1 error (see the log)" 1
printf 'resources:\n  test:\n  - {name: c}\n' >"$G/20-b.yaml"
ok "a mended part is taken: READY=1, four resources, no refusal" \
	from_engine "STATUS=converged: 4 resources, 3 converged, 1 failed$" 1

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
ok "SIGTERM stops the engine (status 1: a resource failed)" [ "$rc" -eq 1 ]
ok "after STOPPING=1, the last it said" \
	sh -c "grep -v ' WATCHDOG=1\$' '$OUT' | tail -n 1 | grep -q STOPPING=1"

# Without NOTIFY_SOCKET: not a datagram.
before=$(wc -l <"$OUT")
"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$G" \
	--converged-timeout 0 >/dev/null 2>&1
ok "without NOTIFY_SOCKET nothing is sent" [ "$(wc -l <"$OUT")" -eq "$before" ]

done_testing

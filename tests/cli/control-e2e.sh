#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The commands of the control socket end to end: the real client
# (`mgmt-engine status`, `trigger`, `reload`) against a real engine's
# socket (doc/control.md), with a converged, a failed, a held-back and a
# running resource: what each prints and its exit status (0 converged, 1
# failed or not converged, 2 cannot reach the engine), the filters, a
# trigger that runs a resource once more, a reload taken and one refused
# with the error's position, a trigger whose resource a reload removes,
# then convergence, then the engine gone.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

SOCK=$TMP/ctl.sock
if [ ${#SOCK} -gt 100 ]; then
	skip "the client against an engine" "$SOCK is too long for a unix socket"
	done_testing
	exit
fi

# client NAME COMMAND ARGS...: the client's COMMAND on the engine's socket,
# captured (lib.sh: capture, rc_is, says).
client() {
	name=$1 cmd=$2
	shift 2
	capture "$name" "$MGMT_ENGINE" "$cmd" --control "$SOCK" "$@"
}

# has NAME ERE: the output of `client NAME` has a line matching ERE.
has() {
	grep -Eq -- "$2" "$TMP/$1.out" && return 0
	echo "# no line matching: $2"
	diag_file "$TMP/$1.out"
	return 1
}

# until_status ERE: ask `status` (guarded) until a line matches ERE.
until_status() {
	i=0
	while [ $i -lt 1500 ]; do
		client wait status
		grep -Eq -- "$1" "$TMP/wait.out" && return 0
		sleep 0.02
		i=$((i + 1))
	done
	has wait "$1"
}

cat >"$TMP/g.yaml" <<Y
resources:
  test:
  - {name: ok, record: $TMP/rec}
  - {name: bad, record: $TMP/rec, fail: 100}
  - {name: after, record: $TMP/rec}
  - {name: slow, record: $TMP/rec, hold: $TMP/release}
edges:
- {from: {kind: test, name: bad}, to: {kind: test, name: after}}
Y
cp "$TMP/g.yaml" "$TMP/good.yaml"
"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$TMP/g.yaml" \
	--control "$SOCK" >/dev/null 2>"$TMP/log" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
ok "the engine's socket answers" wait_lines "control socket: $SOCK" 1 "$TMP/log"
ok "...and the engine has no warning to give" sh -c "! grep ' warn ' '$TMP/log'"

ok "status: the failed, held and running ones show" \
	until_status 'not converged; 4 resources: 1 converged, 1 failed, 1 held, 1 running$'
client now status
ok "status of an engine with a failure exits 1" rc_is now 1
ok "its summary line names this host" has now "^$(uname -n): not converged; "
ok "a row for the converged one" \
	has now '^test +ok +converged +- +1 +0 +0 +[0-9]+s ago +- +-$'
ok "the failed one with its last error" \
	has now '^test +bad +failed +- +1 +0 +1 +[0-9]+s ago +- +failing on purpose \(run 1 of 100\)$'
ok "the one held back by it" has now '^test +after +held +- +0 +0 +0 +- +- +-$'
ok "the running one" has now '^test +slow +running '

client failed status --failed
ok "status --failed lists the failed and the held" \
	sh -c "grep -Ec '^test +(bad|after) ' '$TMP/failed.out' | grep -qx 2 &&
		! grep -Eq '^test +(ok|slow) ' '$TMP/failed.out'"
client named status --kind test --name 'o*'
ok "status --kind --name GLOB lists that one" \
	sh -c "grep -Eq '^test +ok ' '$TMP/named.out' &&
		[ \$(grep -Ec '^test ' '$TMP/named.out') -eq 1 ]"
client json status --json
ok "status --json exits as status does (1)" rc_is json 1
if command -v python3 >/dev/null; then
	ok "status --json is the engine's document" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
sys.exit(not (s["resources"] == 4 and s["failed"] == 1 and s["held"] == 1
              and [r["name"] for r in d["resources"]] == ["ok", "bad", "after", "slow"]))' \
		"$TMP/json.out"
else
	ok "status --json is the engine's document" has json '"summary": \{'
fi

n=$(count '^start ok ' "$TMP/rec")
ok "status --json gives times to the millisecond" \
	sh -c "grep -q '\"last_check\": [0-9]' '$TMP/json.out' &&
		! grep -Eq '[0-9]\.[0-9]{4,}' '$TMP/json.out'"

client tok trigger test ok
ok "trigger of a good resource exits 0" rc_is tok 0
ok "...saying its result" says tok "trigger: test[ok]: converged"
ok "...and it ran once more" [ "$(count '^start ok ' "$TMP/rec")" -eq $((n + 1)) ]
client tbad trigger test bad
ok "trigger of a failing one exits 1" rc_is tbad 1
ok "...with its error" says tbad \
	"mgmt-engine: trigger: test[bad]: failed: failing on purpose (run 2 of 100)"
client tnone trigger test nope
ok "trigger of no such resource exits 1" rc_is tnone 1
ok "...in the engine's words" has tnone 'no resource test\[nope\] in the running graph'
client theld trigger --timeout 0.2 test after
ok "trigger of a held-back one times out: exit 1" rc_is theld 1
ok "...saying why" has theld 'it waits for what comes before it'

client rtaken reload
ok "reload exits 0" rc_is rtaken 0
ok "...saying taken" says rtaken "reload: taken"
printf 'resources:\n  test:\n  - {name: x, record: %s/rec, nope: 1}\n' "$TMP" >"$TMP/g.yaml"
client rbad reload
ok "a reload of a bad graph exits 1" rc_is rbad 1
ok "...with the error's position, the running graph kept" \
	has rbad "^mgmt-engine: reload: refused: $TMP/g.yaml:3:[0-9]+: .*; the running graph stays$"
client still status
ok "...and the running graph is the one it was" has still '^test +slow +running '

# A trigger that waits for a resource a reload then removes is told so.
client tgone trigger --timeout 60 test after &
TPID=$!
ok "a trigger waits for the held-back one" \
	wait_lines 'Test\[after\]: triggered through the control socket' 2 "$TMP/log"
grep -v 'name: bad\|name: after\|^edges:\|^- {from' "$TMP/good.yaml" >"$TMP/g.yaml"
: >"$TMP/release"
client rgood reload
ok "a reload without the failing ones is taken" rc_is rgood 0
wait $TPID
ok "the waiting trigger ends: exit 1" rc_is tgone 1
ok "...saying its resource left the graph" has tgone \
	'^mgmt-engine: trigger: test\[after\] left the running graph in a reload before it ran'
ok "then status says converged" \
	until_status "^$(uname -n): converged for [0-9]+s; 2 resources: 2 converged$"
client conv status
ok "status of a converged engine exits 0" rc_is conv 0
client cl status --cluster
ok "status --cluster without --etcd exits 2" rc_is cl 2
ok "...saying so" says cl "mgmt-engine: status: --cluster: the engine runs without --etcd"

kill "$PID"
wait "$PID"
client gone status
ok "status once the engine is gone exits 2" rc_is gone 2
ok "...saying it cannot reach it" has gone "^mgmt-engine: status: cannot reach the engine at $SOCK: "
done_testing

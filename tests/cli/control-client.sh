#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The client side of the control socket: status, reload (without --pid)
# and trigger.  Without an engine: the one line and exit status 2 when
# nothing listens, and the usage errors.  Then against a stand-in server
# (tests/cli/control-standin.py: python3's http.server on a unix socket,
# answering canned JSON; skipped without python3): what each command prints
# and its exit status for each answer of the protocol, and the requests it
# sends (methods, paths, escaped query values).
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

SOCK=$TMP/ctl.sock

# run NAME ARGS...: the engine with ARGS, captured (lib.sh: capture).
run() {
	name=$1
	shift
	capture "$name" "$MGMT_ENGINE" "$@"
}

# has NAME TEXT: the output of `run NAME` has a line with TEXT.
has() {
	grep -qF -- "$2" "$TMP/$1.out" && return 0
	echo "# no line with: $2"
	diag_file "$TMP/$1.out"
	return 1
}

# --- without an engine ---
run none status --control "$SOCK"
ok "status with nothing at the socket exits 2" rc_is none 2
ok "and says so in one line" says none \
	"mgmt-engine: status: cannot reach the engine at $SOCK: No such file or directory; is it running with --control $SOCK?"

MGMT_ENGINE_CONTROL=$TMP/env.sock run env reload
ok "\$MGMT_ENGINE_CONTROL is the default socket" has env \
	"reload: cannot reach the engine at $TMP/env.sock: "
ok "reload over a socket that is not there exits 2" rc_is env 2

: >"$TMP/plain"
run plain trigger --control "$TMP/plain" file x
ok "a file that is not a socket: exit 2" rc_is plain 2
ok "named as such" has plain "at $TMP/plain: not a socket; is it running"

run both reload --pid 2 --control "$SOCK"
ok "reload --pid with --control is a usage error (2)" rc_is both 2
ok "that says which to give" says both \
	"mgmt-engine: reload: give --pid, or --control and --timeout, not both; see mgmt-engine --help"
run pidwait reload --pid 2 --timeout 3
ok "reload --pid with --timeout too" rc_is pidwait 2
run one trigger --control "$SOCK" file
ok "trigger with one argument is a usage error (2)" rc_is one 2
ok "that asks for KIND and NAME" says one \
	"mgmt-engine: trigger: give exactly one KIND and one NAME; see mgmt-engine --help"
run clfilter status --cluster --failed
ok "status --cluster with --failed is a usage error (2)" rc_is clfilter 2
run badwait trigger --timeout soon file x
ok "trigger --timeout soon is a usage error (2)" rc_is badwait 2
run help --help
ok "--help names \$MGMT_ENGINE_CONTROL and the default socket" sh -c \
	'grep -q "MGMT_ENGINE_CONTROL" "$1" && grep -q "mgmt-engine/control.sock" "$1"' \
	_ "$TMP/help.out"

# --- against the stand-in server ---
if ! command -v python3 >/dev/null 2>&1; then
	skip "the commands against a stand-in server" "no python3"
	done_testing
	exit
fi
if [ ${#SOCK} -gt 100 ]; then
	skip "the commands against a stand-in server" "$SOCK is too long for a unix socket"
	done_testing
	exit
fi
D=$TMP/answers
mkdir "$D"
python3 "$MGMT_TOP_SRCDIR/tests/cli/control-standin.py" "$SOCK" "$D" \
	2>"$TMP/standin.err" &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 500 ]; do
	sleep 0.02
	i=$((i + 1))
done
ok "the stand-in server listens" test -S "$SOCK"

# answer NAME CODE JSON: what the stand-in answers to /v1/NAME.
answer() {
	echo "$2" >"$D/$1.code"
	printf '%s\n' "$3" >"$D/$1.json"
}

# asked REQUEST: the last request the stand-in got was REQUEST.
asked() {
	[ "$(tail -n 1 "$D/requests")" = "$1" ] && return 0
	echo "# the last request was: $(tail -n 1 "$D/requests")"
	return 1
}

# Times are relative to NOW, far enough from a unit's edge that a slow run
# still shows the same ages.
NOW=$(date +%s)
answer status 200 '{"host": "h1", "version": "0.1.0", "pid": 1234,
 "graph": "g.yaml", "started": '$((NOW - 7300))'.5,
 "graph_since": '$((NOW - 300))'.0, "converged": true,
 "converged_since": '$((NOW - 150))'.2,
 "summary": {"resources": 2, "converged": 2, "failed": 0, "held": 0,
  "running": 0, "dirty": 0, "pending": 0, "retrying": 0},
 "resources": [
  {"kind": "file", "name": "f0", "group": null, "state": "converged",
   "last_check": '$((NOW - 3))'.0, "last_change": null, "runs": 3,
   "changes": 1, "failures": 0, "last_error": null, "retry": null},
  {"kind": "file", "name": "a long name", "group": "file[f0]",
   "state": "converged", "last_check": '$((NOW - 3))'.0,
   "last_change": '$((NOW - 120))'.0, "runs": 12, "changes": 1,
   "failures": 0, "last_error": null, "retry": null}]}'
run conv status --control "$SOCK"
ok "status of a converged engine exits 0" rc_is conv 0
ok "its summary line says converged, for how long, and the counts" has conv \
	"h1: converged for 2m; 2 resources: 2 converged"
ok "then the graph and the engine" has conv \
	"graph g.yaml, taken 5m ago; mgmt-engine 0.1.0, pid 1234, up 2h"
ok "then the table's header" grep -Eq \
	'^KIND +NAME +STATE +GROUP +RUNS +CHANGES +FAILURES +LAST CHECK +LAST CHANGE +ERROR$' \
	"$TMP/conv.out"
ok "and a row per resource, aligned, the group's leader named" grep -Eq \
	'^file +a long name +converged +file\[f0\] +12 +1 +0 +[0-9]+s ago +2m ago +-$' \
	"$TMP/conv.out"
ok "asked GET /v1/status" asked "GET /v1/status"

run json status --control "$SOCK" --json
ok "status --json exits 0" rc_is json 0
ok "and prints the body as it came" python3 -c '
import json, sys
sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
	"$TMP/json.out" "$D/status.json"

run filter status --control "$SOCK" --kind file --name 'f*' --failed
ok "--kind, --name and --failed go in the query, escaped" \
	asked "GET /v1/status?kind=file&name=f%2A&failed=1"

answer status 200 '{"host": "h1", "version": "0.1.0", "pid": 1234,
 "graph": "g.yaml", "started": '$NOW', "graph_since": '$NOW',
 "converged": false, "converged_since": null,
 "summary": {"resources": 3, "converged": 1, "failed": 1, "held": 1,
  "running": 0, "dirty": 0, "pending": 0, "retrying": 0},
 "resources": [
  {"kind": "exec", "name": "bad", "group": null, "state": "retrying",
   "last_check": '$NOW', "last_change": null, "runs": 2, "changes": 0,
   "failures": 2, "last_error": "exit status 1: boom\u001b[2J",
   "retry": {"left": 2, "at": '$((NOW + 600))'}},
  {"kind": "exec", "name": "after", "group": null, "state": "held",
   "last_check": null, "last_change": null, "runs": 0, "changes": 0,
   "failures": 0, "last_error": null, "retry": null}]}'
run failed status --control "$SOCK"
ok "status with a failed and a held resource exits 1" rc_is failed 1
ok "its summary line says so" has failed \
	"h1: not converged; 3 resources: 1 converged, 1 failed, 1 held"
ok "the row shows the retry and the error last, escaped" grep -Eq \
	' retry in 9m \(2 left\): exit status 1: boom\\x1b\[2J$' \
	"$TMP/failed.out"
ok "a resource never checked shows - for its times" grep -Eq \
	'^exec +after +held +- +0 +0 +0 +- +- +-$' "$TMP/failed.out"

answer reload 200 '{"result": "taken"}'
run taken reload --control "$SOCK"
ok "reload taken exits 0" rc_is taken 0
ok "and says reload: taken" says taken "reload: taken"
ok "it POSTed /v1/reload?wait=60" asked "POST /v1/reload?wait=60"
run taken5 reload --control "$SOCK" --timeout 2.5
ok "--timeout 2.5 is wait=2.5" asked "POST /v1/reload?wait=2.5"

answer reload 422 '{"result": "refused", "error": "g.yaml:3:5: unknown key \"x\""}'
run refused reload --control "$SOCK"
ok "a refused reload exits 1" rc_is refused 1
ok "and prints the error" says refused \
	'mgmt-engine: reload: refused: g.yaml:3:5: unknown key "x"; the running graph stays'
answer reload 504 '{"result": "timeout", "error": "still compiling"}'
run rtimeout reload --control "$SOCK" --timeout 1
ok "a reload that timed out exits 1" rc_is rtimeout 1
ok "and says so" has rtimeout "reload: timeout after 1 s: still compiling"

answer trigger 200 '{"result": "changed", "error": null}'
run changed trigger --control "$SOCK" file 'a b/c&d'
ok "trigger changed exits 0" rc_is changed 0
ok "and says so" says changed "trigger: file[a b/c&d]: changed"
ok "kind and name escaped in the query" \
	asked "POST /v1/trigger?kind=file&name=a%20b%2Fc%26d&wait=60"
answer trigger 200 '{"result": "failed", "error": "cannot write /x: EACCES"}'
run tfailed trigger --control "$SOCK" --timeout 7 file x
ok "trigger failed exits 1" rc_is tfailed 1
ok "with the error" says tfailed \
	"mgmt-engine: trigger: file[x]: failed: cannot write /x: EACCES"
answer trigger 404 '{"error": "no resource file[x] in the running graph"}'
run tnone trigger --control "$SOCK" file x
ok "trigger of no such resource exits 1" rc_is tnone 1
ok "with the engine's words" has tnone \
	"trigger: no resource file[x] in the running graph"
answer trigger 504 '{"result": "timeout", "error": "still running"}'
run ttime trigger --control "$SOCK" --timeout 0 file x
ok "trigger timed out exits 1" rc_is ttime 1

answer cluster 200 '{"hosts": [
 {"host": "h1", "converged": true, "since": '$((NOW - 60))', "failed": 0,
  "resources": 10, "updated": '$NOW'},
 {"host": "h2", "converged": true, "since": '$((NOW - 5))', "failed": 0,
  "resources": 4, "updated": '$NOW'}]}'
run cluster status --control "$SOCK" --cluster
ok "status --cluster with every host converged exits 0" rc_is cluster 0
ok "asked GET /v1/cluster" asked "GET /v1/cluster"
ok "a row per host" grep -Eq '^h1 +converged +1m ago +0 +10$' \
	"$TMP/cluster.out"
answer cluster 200 '{"hosts": [
 {"host": "h1", "converged": false, "since": null, "failed": 1,
  "resources": 10, "updated": '$NOW'}]}'
run uncl status --control "$SOCK" --cluster
ok "status --cluster with a host unconverged exits 1" rc_is uncl 1
ok "its row says unconverged" grep -Eq '^h1 +unconverged +- +1 +10$' \
	"$TMP/uncl.out"
answer cluster 404 '{"error": "the engine runs without --etcd"}'
run noetcd status --control "$SOCK" --cluster
ok "status --cluster of an engine without --etcd exits 2" rc_is noetcd 2
ok "and says so" says noetcd \
	"mgmt-engine: status: --cluster: the engine runs without --etcd"

answer status 200 'not json'
run garbage status --control "$SOCK"
ok "an answer that is not JSON exits 2" rc_is garbage 2
ok "and says so" has garbage "no usable answer from the engine at $SOCK"

# The stand-in gone, its socket left: nobody listens.
kill $SRV
wait $SRV 2>/dev/null
run refused2 status --control "$SOCK"
ok "a socket nobody listens on exits 2" rc_is refused2 2
ok "saying the connection was refused" says refused2 \
	"mgmt-engine: status: cannot reach the engine at $SOCK: Connection refused; is it running with --control $SOCK?"

done_testing

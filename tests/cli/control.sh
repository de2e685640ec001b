#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# control.sh - the control socket of a running engine (doc/control.md),
# asked with curl: the status document with a converged, a failed, a
# retrying, a running and a held-back resource and a group; the metrics,
# checked by promtool's parser (Debian's prometheus) when it is installed,
# on the socket and on a TCP address; reload (taken, then refused with the
# error's position) and trigger (converged, failed, unknown, held back);
# the socket's mode, a stale socket replaced, a live one refused; the
# socket file removed at exit.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

command -v curl >/dev/null || {
	skip "control socket" "no curl"
	done_testing
	exit
}
SOCK=$TMP/ctl.sock

# get PATH: GET on the socket, body on stdout.
get() {
	curl -sS --max-time 30 --unix-socket "$SOCK" "http://localhost$1"
}

# post PATH: POST on the socket, "BODY STATUS" on one line.
post() {
	curl -sS --max-time 30 --unix-socket "$SOCK" -X POST \
		-w ' %{http_code}' "http://localhost$1" | tr -d '\n'
}

# test_engine ARGS...: the engine with the test plugin.
test_engine() {
	"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" "$@"
}

# has TEXT WORDS: the text contains the words.
has() {
	case $1 in *"$2"*) return 0 ;; esac
	echo "# not found: $2"
	echo "$1" | sed 's/^/# /'
	return 1
}

# status_has WORDS: wait (guarded) until the status document has them.
status_has() {
	i=0
	while [ $i -lt 1500 ]; do
		case $(get /v1/status 2>/dev/null) in *"$1"*) return 0 ;; esac
		sleep 0.02
		i=$((i + 1))
	done
	has "$(get /v1/status)" "$1"
}

cat >"$TMP/g.yaml" <<Y
resources:
  test:
  - {name: ok, record: $TMP/rec}
  - {name: bad, record: $TMP/rec, fail: 100}
  - {name: after, record: $TMP/rec}
  - {name: again, record: $TMP/rec, fail: 100, meta: {retry: -1, delay: 600000}}
  - {name: slow, record: $TMP/rec, hold: $TMP/release}
  - {name: g1, record: $TMP/rec, group: g, report: true}
  - {name: g2, record: $TMP/rec, group: g, changes: 1}
edges:
- {from: {kind: test, name: bad}, to: {kind: test, name: after}}
Y
"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$TMP/g.yaml" \
	--control "$SOCK" --metrics-listen 127.0.0.1:0 >/dev/null 2>"$TMP/log" &
PID=$!

ok "the socket answers" wait_lines "control socket: $SOCK" 1 "$TMP/log"
ok "the socket is the owner's alone (0600)" \
	[ "$(stat -c %a "$SOCK")" = 600 ]
ok "failed, held and retrying show while slow runs" \
	status_has '"failed":1,"held":1,"running":1,"retrying":1'
doc=$(get /v1/status)
ok "a converged resource, with its run counted" \
	has "$doc" '"name":"ok","group":null,"state":"converged"'
ok "a failed one, with its failure and last error line" \
	has "$doc" '"state":"failed","last_check":'
ok "...its error line" has "$doc" '"failures":1,"last_error":"failing on purpose (run 1 of 100)"'
ok "the one after it is held back" \
	has "$doc" '"name":"after","group":null,"state":"held","last_check":null'
ok "a retrying one says when it tries again" \
	has "$doc" '"retry":{"left":-1,"at":'
ok "a running one" has "$doc" '"name":"slow","group":null,"state":"running"'
ok "a group's members name their group" \
	has "$doc" '"name":"g2","group":"test[g1]","state":"converged"'
ok "...a member's own change is counted" \
	has "$doc" '"runs":1,"changes":1,"failures":0'
ok "not converged while slow runs" has "$doc" '"converged":false,"converged_since":null'
ok "the summary counts all seven" has "$doc" '"summary":{"resources":7,"converged":3'
only=$(get '/v1/status?failed=1')
ok "failed=1 lists the failed, retrying and held only" \
	[ "$(echo "$only" | grep -o '"name":' | wc -l)" -eq 3 ]
ok "name=GLOB filters by name" \
	[ "$(get '/v1/status?name=g*' | grep -o '"name":"g[12]"' | wc -l)" -eq 2 ]
ok "kind=K filters by kind" has "$(get '/v1/status?kind=nokind')" '"resources":[]'

# Metrics, on the socket and on TCP (the port the kernel chose).
get /metrics >"$TMP/metrics"
ok "metrics: resources by kind" grep -q '^mgmt_resources{kind="test"} 7$' "$TMP/metrics"
ok "metrics: by state" grep -q '^mgmt_resources_state{kind="test",state="held"} 1$' "$TMP/metrics"
ok "metrics: check_apply by result (mgmt's labels)" \
	grep -q '^mgmt_checkapply_total{kind="test",apply="true",eventful="false",errorful="true"} [1-9]' "$TMP/metrics"
ok "metrics: a duration histogram" \
	grep -q '^mgmt_checkapply_duration_seconds_bucket{kind="test",le="+Inf"} [1-9]' "$TMP/metrics"
ok "metrics: failures, hard and soft" \
	grep -q '^mgmt_failures{kind="test",failure="hard"} 1$' "$TMP/metrics"
ok "metrics: watches in use" grep -q '^mgmt_watches [0-9]' "$TMP/metrics"
if command -v promtool >/dev/null; then
	ok "metrics: promtool's parser takes them" \
		sh -c "promtool check metrics <'$TMP/metrics' >'$TMP/promtool' 2>&1"
else
	skip "metrics: promtool" "promtool is not installed (Debian's prometheus)"
fi
url=$(sed -n 's/.*metrics: \(http:[^ ]*\)$/\1/p' "$TMP/log")
ok "metrics over TCP: the address is logged" [ -n "$url" ]
ok "metrics over TCP: served" \
	sh -c "curl -sS --max-time 30 '$url' | grep -q '^mgmt_resources{kind=\"test\"} 7$'"
ok "TCP serves the metrics only" \
	sh -c "curl -sS --max-time 30 '${url%/metrics}/v1/status' | grep -q 'only GET /metrics'"

# Trigger: one run now, and its result.
n=$(count '^start ok ' "$TMP/rec")
r=$(post '/v1/trigger?kind=test&name=ok')
ok "trigger: converged" has "$r" '{"result":"converged","error":null} 200'
ok "trigger: it ran once more" [ "$(count '^start ok ' "$TMP/rec")" -eq $((n + 1)) ]
r=$(post '/v1/trigger?kind=test&name=bad')
ok "trigger: a failure, with its error" \
	has "$r" '{"result":"failed","error":"failing on purpose (run 2 of 100)"} 200'
r=$(post '/v1/trigger?kind=test&name=nope')
ok "trigger: an unknown resource is 404" \
	has "$r" '"no resource test[nope] in the running graph"} 404'
r=$(post '/v1/trigger?kind=test&name=after&wait=0.2')
ok "trigger: one held back times out, saying why" \
	has "$r" 'did not run within 0.2 s: it waits for what comes before it'
r=$(post '/v1/trigger?kind=test')
ok "trigger: no name is 400" has "$r" ' 400'

# Reload: taken; then refused with the first error and its position.
r=$(post /v1/reload)
ok "reload: taken" has "$r" '{"result":"taken"} 200'
cp "$TMP/g.yaml" "$TMP/good.yaml"
printf 'resources:\n  test:\n  - {name: x, record: %s/rec, nope: 1}\n' "$TMP" >"$TMP/bad.yaml"
cp "$TMP/bad.yaml" "$TMP/g.yaml"
r=$(post /v1/reload)
ok "reload: refused, with the error's position" \
	has "$r" "\"error\":\"$TMP/g.yaml:3:"
ok "reload: ...as 422" has "$r" ' 422'
cp "$TMP/good.yaml" "$TMP/g.yaml"
ok "metrics: reloads by result" \
	sh -c "curl -sS --unix-socket '$SOCK' http://localhost/metrics | grep -q '^mgmt_reloads_total{result=\"rejected\"} [1-9]'"

# A second engine on the same socket is refused; the first goes on.
test_engine run --yaml "$TMP/g.yaml" --control "$SOCK" >/dev/null 2>"$TMP/second"
ok "a live socket is refused: exit 2" [ $? -eq 2 ]
ok "...saying so" grep -q "another engine answers there" "$TMP/second"
ok "...and the first still answers" has "$(get /v1/status)" '"summary"'

# Converged once slow ends and the retrying one is gone; the socket file
# goes with the engine.
: >"$TMP/release"
ok "the running one ends" status_has '"name":"slow","group":null,"state":"converged"'
grep -v 'name: again' "$TMP/good.yaml" >"$TMP/g.yaml"
ok "a reload without the retrying one: taken" has "$(post /v1/reload)" '{"result":"taken"} 200'
ok "then converged, saying since when" status_has '"converged":true,"converged_since":1'
kill "$PID"
wait "$PID"
ok "the socket file is removed at exit" [ ! -e "$SOCK" ]

# A stale socket (no engine behind it) is replaced.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' \
	"$SOCK" 2>/dev/null || : >"$TMP/no-python"
if [ -S "$SOCK" ]; then
	printf 'resources:\n  test:\n  - {name: one, record: %s/rec}\n' "$TMP" >"$TMP/one.yaml"
	"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$TMP/one.yaml" \
		--control "$SOCK" --control-group "$(id -gn)" >/dev/null 2>"$TMP/log2" &
	PID=$!
	ok "a stale socket is replaced" wait_lines "control socket: $SOCK" 1 "$TMP/log2"
	ok "--control-group: mode 0660" [ "$(stat -c %a "$SOCK")" = 660 ]
	kill "$PID"
	wait "$PID"
else
	skip "a stale socket is replaced" "no python3 to leave one"
fi
test_engine run --yaml "$TMP/g.yaml" --control "$SOCK" --control-group no-such-group-x >/dev/null 2>"$TMP/nogroup"
ok "an unknown --control-group: exit 2, one line" \
	sh -c "[ $? -eq 2 ] && grep -q 'control-group no-such-group-x: no such group' '$TMP/nogroup'"
done_testing

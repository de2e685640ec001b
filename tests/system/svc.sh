#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The svc resource against a real systemd, booted for this test in its own
# namespaces (tests/system/sandbox.sh).  Units are written to the sandbox's
# private /run/systemd/system (or /etc, an in-memory overlay there).
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"

[ -e "$MGMT_PLUGINS_DIR/svc.so" ] || not_available "the svc plugin is not built"
sandbox_start svc

# unit NAME [DIR]: the unit file on stdin, then a daemon-reload.
unit() {
	sbx sh -c "cat >${2:-/run/systemd/system}/$1 && systemctl daemon-reload"
}

# run_graph NAME: run $TMP/NAME.yaml to convergence inside; log in NAME.log.
run_graph() {
	sbx "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
		--yaml "$TMP/$1.yaml" --converged-timeout 0 >"$TMP/$1.log" 2>&1
}

active() {
	[ "$(sbx systemctl is-active "$1")" = "${2:-active}" ]
}

unit sleeper.service <<'EOF'
[Service]
ExecStart=/bin/sleep 600
[Install]
WantedBy=multi-user.target
EOF

# --- start and stop ------------------------------------------------------
cat >"$TMP/start.yaml" <<'EOF'
graph: start
resources:
  svc:
  - name: sleeper
    state: running
EOF
ok "the unit is stopped before the run" active sleeper inactive
ok "state running: exit 0" run_graph start
ok "state running: the unit is active" active sleeper
ok "state running: the start is logged" grep -q 'Svc\[sleeper\]: started sleeper.service' "$TMP/start.log"
ok "running again: exit 0" run_graph start
ok "running again: no second start" \
	sh -c "! grep -q 'started sleeper' '$TMP/start.log'"

sed 's/running/stopped/' "$TMP/start.yaml" >"$TMP/stop.yaml"
ok "state stopped: exit 0" run_graph stop
ok "state stopped: the unit is inactive" active sleeper inactive
ok "state stopped: the stop is logged" grep -q 'stopped sleeper.service' "$TMP/stop.log"

# --- noop: reports, changes nothing -------------------------------------
ok "noop run exits 0" sbx "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
	run --yaml "$TMP/start.yaml" --noop --converged-timeout 0
ok "noop run left the unit stopped" active sleeper inactive

# --- enable and disable --------------------------------------------------
cat >"$TMP/enable.yaml" <<'EOF'
graph: enable
resources:
  svc:
  - name: sleeper.service
    startup: enabled
EOF
ok "disabled before" [ "$(sbx systemctl is-enabled sleeper)" = disabled ]
ok "startup enabled: exit 0" run_graph enable
ok "startup enabled: systemd says enabled" [ "$(sbx systemctl is-enabled sleeper)" = enabled ]
ok "startup enabled: the wants link exists" \
	sbx test -L /etc/systemd/system/multi-user.target.wants/sleeper.service
ok "enabling does not start it" active sleeper inactive
sed 's/enabled/disabled/' "$TMP/enable.yaml" >"$TMP/disable.yaml"
ok "startup disabled: exit 0" run_graph disable
ok "startup disabled: systemd says disabled" [ "$(sbx systemctl is-enabled sleeper)" = disabled ]

# --- a file writes the unit; a notify edge restarts it on change --------
write_combo() {
	cat >"$TMP/combo.yaml.new" <<EOF
graph: combo
resources:
  file:
  - name: unitfile
    path: /etc/systemd/system/combo.service
    state: exists
    content: |
      [Service]
      ExecStart=/bin/sh -c 'echo $1 >>$TMP/combo.out; exec sleep 600'
  svc:
  - name: combo
    state: running
edges:
- name: e1
  from: {kind: file, name: unitfile}
  to: {kind: svc, name: combo}
  notify: true
EOF
	mv "$TMP/combo.yaml.new" "$TMP/combo.yaml"
}
write_combo v1
ok "combo: the svc comes after the file (autoedge and edge)" \
	sh -c "'$MGMT_ENGINE' --plugins-dir '$MGMT_PLUGINS_DIR' graph --format json '$TMP/combo.yaml' | grep -q '\"from\": \"file\[unitfile\]\", \"to\": \"svc\[combo\]\"'"
sbx_bg "$TMP/combo.pid" "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
	run --yaml "$TMP/combo.yaml" >"$TMP/combo.log" 2>&1
ok "combo: the unit written by the file resource runs" \
	wait_for 30 grep -qx v1 "$TMP/combo.out"
pid1=$(sbx systemctl show -p MainPID --value combo)
write_combo v2 # the engine reloads the graph: the file changes
ok "combo: the changed unit file is used after the restart" \
	wait_for 30 grep -qx v2 "$TMP/combo.out"
ok "combo: ran exactly twice (v1 then v2)" [ "$(cat "$TMP/combo.out" | tr '\n' ' ')" = "v1 v2 " ]
ok "combo: a new main process" [ "$(sbx systemctl show -p MainPID --value combo)" != "$pid1" ]
ok "combo: the restart is logged as a refresh" \
	wait_for 10 grep -q 'restarted combo.service (refresh)' "$TMP/combo.log"

# --- someone else stops it: started again --------------------------------
sbx systemctl stop combo
ok "outside stop: the unit is active again" wait_for 30 active combo
ok "outside stop: the engine started it" \
	wait_for 10 sh -c "[ \$(grep -c ': started combo.service' '$TMP/combo.log') -eq 2 ]"
ok "outside stop: the service ran again (same unit file)" \
	wait_for 10 sh -c "[ \$(grep -c v2 '$TMP/combo.out') -eq 2 ]"
sbx kill "$(cat "$TMP/combo.pid")"
ok "combo engine exits on SIGTERM" wait_for 30 gone "$(cat "$TMP/combo.pid")"
grep -E 'error|warn' "$TMP/combo.log" | sed 's/^/# /'

# --- grouped: three units, one vertex, their jobs queued together -------
sbx sh -c 'for u in grp1 grp2 grp3; do
	cp /run/systemd/system/sleeper.service /run/systemd/system/$u.service
done; systemctl daemon-reload'
all_active() {
	active grp1 && active grp2 && active grp3
}
only_grp2_started() {
	[ "$(grep -c ': started' "$TMP/group.log")" = 1 ] &&
		grep -q 'Svc\[grp2\]: started' "$TMP/group.log"
}
cat >"$TMP/group.yaml" <<'EOF'
graph: group
resources:
  svc:
  - name: grp1
    state: running
  - name: grp2
    state: running
  - name: grp3
    state: running
EOF
ok "group: one vertex with the three units" \
	sh -c "'$MGMT_ENGINE' --plugins-dir '$MGMT_PLUGINS_DIR' graph --format json '$TMP/group.yaml' | grep -q '\"members\": \[\"grp1\", \"grp2\", \"grp3\"\]'"
ok "group: exit 0" run_graph group
ok "group: all three active" all_active
ok "group: each start logged by its own unit" \
	[ "$(grep -cE 'Svc\[grp[123]\]: started grp[123].service' "$TMP/group.log")" -eq 3 ]
sbx systemctl stop grp2
ok "group: one stopped unit: exit 0" run_graph group
ok "group: only that unit started again" only_grp2_started

# --- a missing unit, a failing unit: one line each; the rest goes on ----
unit failing.service <<'EOF'
[Service]
Type=oneshot
ExecStart=/bin/false
EOF
cat >"$TMP/bad.yaml" <<EOF
graph: bad
resources:
  svc:
  - name: no-such-unit
    state: running
    meta: {autogroup: false}
  - name: failing
    state: running
    meta: {retry: 1, delay: 10}
  file:
  - name: other
    path: $TMP/other
    content: still applied
EOF
run_graph bad
rc=$?
ok "failures: exit status 1" [ $rc -eq 1 ]
ok "missing unit: one clear line" \
	grep -q 'Svc\[no-such-unit\]: unit no-such-unit.service not found' "$TMP/bad.log"
ok "failing unit: systemd's result and exit code" \
	grep -q 'Svc\[failing\]: start of failing.service failed: job failed; unit failed (failed), result exit-code, exit status 1' "$TMP/bad.log"
# An event that reaches the engine before its first run (the watch coming
# up) may add a run of its own; meta.retry counts only failed tries.
ok "failing unit: retried once after its delay (meta retry 1, delay 10)" \
	[ "$(grep -c 'Svc\[failing\]: failed (error -1); retrying in 10 ms (0 retries left)' "$TMP/bad.log")" -eq 1 ]
ok "failing unit: then given up, once" \
	[ "$(grep -c 'Svc\[failing\]: failed (error -1), retries used up' "$TMP/bad.log")" -eq 1 ]
ok "failing unit: every try reported in systemd's words" \
	[ "$(grep -c 'start of failing.service failed: job failed' "$TMP/bad.log")" -ge 2 ]
ok "the other resource is applied" grep -qx 'still applied' "$TMP/other"
grep -E 'error' "$TMP/bad.log" | sed 's/^/# /'

# --- a group with a failing member: only what comes after it waits --------
# svc reports each member's result (host->member_result): grp3 and failing
# are one group; the file after grp3 is written, the one after failing not
# (the files are kept apart: a group of them would wait for either).
sbx systemctl stop grp3
cat >"$TMP/split.yaml" <<EOF
graph: split
resources:
  svc:
  - name: grp3
    state: running
  - name: failing
    state: running
  file:
  - name: after-ok
    path: $TMP/after-ok
    content: "ok\n"
    meta: {autogroup: false}
  - name: after-failing
    path: $TMP/after-failing
    content: "no\n"
    meta: {autogroup: false}
edges:
- {from: {kind: svc, name: grp3}, to: {kind: file, name: after-ok}}
- {from: {kind: svc, name: failing}, to: {kind: file, name: after-failing}}
EOF
run_graph split
rc=$?
ok "split group: exit status 1" [ $rc -eq 1 ]
ok "split group: one vertex" grep -q 'Grouping: 2 resources into Svc\[failing\]' "$TMP/split.log"
ok "split group: the good unit started" active grp3
ok "split group: the file after it was written" [ -e "$TMP/after-ok" ]
ok "split group: the file after the failed unit was not" [ ! -e "$TMP/after-failing" ]
ok "split group: the failure names the failed member" \
	grep -q 'Svc\[failing\]: failed (error -1) (1 of the 2 members of its group)' "$TMP/split.log"

# --- plugin-check: svc keeps the plugin contract against real systemd -----
sbx sh -c 'cp /run/systemd/system/sleeper.service /run/systemd/system/pcheck.service &&
	systemctl daemon-reload'
cat >"$TMP/pcheck.yaml" <<'EOF'
resources:
  svc:
  - name: pcheck
    state: running
EOF
sbx "$MGMT_ENGINE" plugin-check "$MGMT_PLUGINS_DIR/svc.so" \
	--yaml "$TMP/pcheck.yaml" >"$TMP/pcheck.out" 2>"$TMP/pcheck.err"
ok "plugin-check svc: passes" grep -q '^PASS ' "$TMP/pcheck.out"
ok "plugin-check svc: idempotent" grep -q '^ok svc\[pcheck\]: idempotent' "$TMP/pcheck.out"
ok "plugin-check svc: the unit was started" active pcheck
grep -v '^ok ' "$TMP/pcheck.out" | sed 's/^/# /'

for f in "$TMP"/*.log; do
	[ "$T_FAIL" -eq 0 ] || { echo "# --- $f"; diag_file "$f"; }
done
done_testing

#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The cron resource against a real systemd, booted for this test in its own
# namespaces (tests/system/sandbox.sh): the timer's unit file goes to the
# sandbox's /etc/systemd/system (an in-memory overlay), the service it
# starts is written by a file resource, as mgmt's examples do.  Then the
# same with session: true, in root's own user manager inside the sandbox.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"

[ -e "$MGMT_PLUGINS_DIR/cron.so" ] || not_available "the cron plugin is not built"
sandbox_start cron

UNIT=/etc/systemd/system/tick.timer
run_graph() {
	sbx "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
		--yaml "$TMP/$1.yaml" --converged-timeout 0 "${@:2}" >"$TMP/$1.log" 2>&1
}
timer_state() {
	[ "$(sbx systemctl is-active tick.timer)" = "$1" ]
}
enabled() {
	[ "$(sbx systemctl is-enabled tick.timer 2>/dev/null)" = "$1" ]
}
listed() {
	sbx systemctl list-timers --all --no-legend | grep -q 'tick.timer'
}
the_unit() {
	printf '[Unit]\nDescription=every few seconds\n\n[Timer]\nOnUnitActiveSec=1h\nAccuracySec=1s\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n'
}
unit_is_ours() {
	[ "$(sbx cat "$UNIT")" = "$(the_unit)" ]
}

cat >"$TMP/create.yaml" <<EOF
graph: cron
resources:
  file:
  - name: service
    path: /etc/systemd/system/tick.service
    content: |
      [Service]
      Type=oneshot
      ExecStart=/bin/sh -c 'echo tick >>$TMP/ticks'
  cron:
  - name: tick
    trigger: OnUnitActiveSec
    time: 1h
    accuracysec: 1s
    persistent: true
    description: every few seconds
EOF

# --- noop: reports, changes nothing --------------------------------------
ok "noop: exit 0" run_graph create --noop
ok "noop: says it would write the unit" grep -qF "Cron[tick]: would write $UNIT" "$TMP/create.log"
ok "noop: says it would start it" grep -qF "Cron[tick]: would start tick.timer" "$TMP/create.log"
ok "noop: no unit file" sbx test ! -e "$UNIT"
ok "noop: no timer" timer_state inactive

# --- create --------------------------------------------------------------
ok "create: exit 0" run_graph create
ok "create: the unit file, as mgmt writes it" unit_is_ours
ok "create: enabled" enabled enabled
ok "create: started" timer_state active
ok "create: in systemctl list-timers" listed
ok "create: the timer triggers the service the file resource wrote" \
	[ "$(sbx systemctl show -p Triggers --value tick.timer)" = tick.service ]
ok "create: logged" grep -qF "Cron[tick]: started tick.timer" "$TMP/create.log"
ok "again: exit 0" run_graph create
ok "again: nothing done" sh -c "! grep -qE 'Cron.*(wrote|started|enabled)' '$TMP/create.log'"

# --- repair, event-driven: the engine keeps running ----------------------
sbx_bg "$TMP/engine.pid" "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
	run --yaml "$TMP/create.yaml" >"$TMP/engine.log" 2>&1
ok "running engine: converged" wait_for 30 grep -q 'converged' "$TMP/engine.log"
sbx systemctl stop tick.timer
ok "outside stop: started again" wait_for 30 timer_state active
ok "outside stop: the engine started it" \
	wait_for 10 grep -qF "Cron[tick]: started tick.timer" "$TMP/engine.log"
sbx systemctl disable tick.timer
ok "outside disable: enabled again" wait_for 30 enabled enabled
sbx sed -i 's/OnUnitActiveSec=1h/OnUnitActiveSec=2h/' "$UNIT"
ok "unit file edited: restored" wait_for 30 unit_is_ours
ok "unit file edited: the timer restarted with it" \
	wait_for 10 grep -qF "Cron[tick]: restarted tick.timer" "$TMP/engine.log"
sbx kill "$(cat "$TMP/engine.pid")"
engine_gone() {
	! sbx kill -0 "$(cat "$TMP/engine.pid")" 2>/dev/null
}
ok "engine exits on SIGTERM" wait_for 30 engine_gone
grep -E 'error|warn' "$TMP/engine.log" | sed 's/^/# /'

# --- plugin-check ----------------------------------------------------------
cat >"$TMP/pcheck.yaml" <<EOF
resources:
  cron:
  - name: tick
    trigger: OnUnitActiveSec
    time: 1h
    accuracysec: 1s
    persistent: true
    description: every few seconds
EOF
sbx "$MGMT_ENGINE" plugin-check "$MGMT_PLUGINS_DIR/cron.so" \
	--yaml "$TMP/pcheck.yaml" >"$TMP/pcheck.out" 2>"$TMP/pcheck.err"
ok "plugin-check cron: passes" grep -q '^PASS ' "$TMP/pcheck.out"
grep -v '^ok ' "$TMP/pcheck.out" | sed 's/^/# /'

# --- remove ----------------------------------------------------------------
cat >"$TMP/remove.yaml" <<EOF
resources:
  cron:
  - name: tick
    state: absent
EOF
ok "remove, noop: exit 0" run_graph remove --noop
ok "remove, noop: says it would stop it" grep -qF "would stop tick.timer" "$TMP/remove.log"
ok "remove, noop: still active" timer_state active
ok "remove: exit 0" run_graph remove
ok "remove: stopped" timer_state inactive
ok "remove: the unit file is gone" sbx test ! -e "$UNIT"
ok "remove: no enable link left" sbx test ! -L /etc/systemd/system/timers.target.wants/tick.timer
not_listed() {
	! listed
}
ok "remove: not in list-timers" not_listed
ok "remove again: exit 0" run_graph remove
ok "remove again: nothing done" sh -c "! grep -qE 'stopped|removed|disabled' '$TMP/remove.log'"

# --- a timer that cannot start: one clear line per run ---------------------
# Its service does not exist, so systemd refuses the start; the run's own
# writes and job come back as events, which must not run it again at once.
cat >"$TMP/lonely.yaml" <<EOF
resources:
  cron:
  - name: lonely
    trigger: OnUnitActiveSec
    time: 1h
EOF
run_graph lonely
ok "no service: exit 1" [ $? -eq 1 ]
ok "no service: the start failed, said once" \
	[ "$(grep -cF 'Cron[lonely]: StartUnit lonely.timer: job failed' "$TMP/lonely.log")" -eq 1 ]
grep -E 'error|warn' "$TMP/lonely.log" | sed 's/^/# /'

# --- session: true, the engine user's own manager --------------------------
# root's user manager, in the sandbox: logind is masked there, so
# user@0.service is given its XDG_RUNTIME_DIR by a drop-in in the sandbox's
# private /run; /root is one of its overlays, so ~/.config stays inside.
UDIR=/root/.config/systemd/user
sbx sh -c "mkdir -p /run/systemd/system/user@0.service.d $UDIR &&
	printf '[Service]\nEnvironment=XDG_RUNTIME_DIR=/run/user/0\n' \
		>/run/systemd/system/user@0.service.d/env.conf &&
	systemctl daemon-reload && systemctl start user@0.service"
ok "session: root's user manager runs" [ $? -eq 0 ]
usr() { sbx env XDG_RUNTIME_DIR=/run/user/0 systemctl --user "$@"; }
usr_state() { [ "$(usr is-active tick.timer)" = "$1" ]; }
run_user() {
	sbx env XDG_RUNTIME_DIR=/run/user/0 "$MGMT_ENGINE" \
		--plugins-dir "$MGMT_PLUGINS_DIR" run --yaml "$TMP/$1.yaml" \
		--converged-timeout 0 >"$TMP/$1.log" 2>&1
}
cat >"$TMP/session.yaml" <<EOF
resources:
  file:
  - name: user service
    path: $UDIR/tick.service
    content: |
      [Service]
      Type=oneshot
      ExecStart=/bin/true
  cron:
  - name: tick
    session: true
    trigger: OnUnitActiveSec
    time: 1h
EOF
ok "session: exit 0" run_user session
ok "session: the unit file in ~/.config/systemd/user" \
	sbx grep -qx 'OnUnitActiveSec=1h' "$UDIR/tick.timer"
ok "session: started by the user manager" usr_state active
ok "session: enabled there" [ "$(usr is-enabled tick.timer)" = enabled ]
ok "session: the system manager has no such timer" \
	sbx test ! -e /etc/systemd/system/tick.timer -a "$(sbx systemctl is-active tick.timer)" = inactive
sbx_bg "$TMP/user-engine.pid" env XDG_RUNTIME_DIR=/run/user/0 \
	"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
	--yaml "$TMP/session.yaml" >"$TMP/user-engine.log" 2>&1
ok "session, running engine: converged" \
	wait_for 30 grep -q 'converged' "$TMP/user-engine.log"
usr stop tick.timer
ok "session, outside stop: started again (the user bus is watched)" \
	wait_for 30 usr_state active
sbx kill "$(cat "$TMP/user-engine.pid")"
ok "session, running engine: exits on SIGTERM" \
	wait_for 30 gone "$(cat "$TMP/user-engine.pid")"
grep -E 'error|warn' "$TMP/user-engine.log" | sed 's/^/# /'
cat >"$TMP/session-rm.yaml" <<EOF
resources:
  cron:
  - name: tick
    session: true
    state: absent
EOF
ok "session, remove: exit 0" run_user session-rm
ok "session, remove: stopped" usr_state inactive
ok "session, remove: the unit file is gone" sbx test ! -e "$UDIR/tick.timer"
done_testing

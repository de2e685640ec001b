#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The user and group resources in the systemd sandbox (tests/system/
# sandbox.sh), whose /etc is an overlay in RAM: every useradd, usermod and
# groupdel here changes the sandbox's /etc/passwd and /etc/group only,
# never the host's.  Create, repair after an outside change (event-driven),
# remove, noop, a grouped pass of several users, and plugin-check.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"

[ -e "$MGMT_PLUGINS_DIR/user.so" ] || not_available "the user plugin is not built"
[ -x /usr/sbin/useradd ] || not_available "the shadow tools (useradd) are not installed"
sandbox_start users

# run_graph NAME [ARGS...]: run $TMP/NAME.yaml to convergence inside; log in
# NAME.log.
run_graph() {
	local name=$1
	shift
	sbx "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
		--yaml "$TMP/$name.yaml" --converged-timeout 0 "$@" >"$TMP/$name.log" 2>&1
}

# field FILE NAME N: field N of NAME's line in the sandbox's /etc/FILE.
field() {
	sbx sh -c "grep '^$2:' /etc/$1 | cut -d: -f$3"
}

has_line() {
	sbx grep -q "^$2:" "/etc/$1"
}

no_line() {
	! sbx grep -q "^$2:" "/etc/$1"
}

# supplementary NAME: NAME's groups other than its primary, sorted, by
# reading /etc/group (as the plugin does).
supplementary() {
	sbx sh -c "awk -F: -v u='$1' '{ n = split(\$4, m, \",\"); for (i = 1; i <= n; i++) if (m[i] == u) print \$1 }' /etc/group | sort | tr '\n' ' '"
}

shell_is() {
	[ "$(field passwd "$1" 7)" = "$2" ]
}

gid_is() {
	[ "$(field group "$1" 3)" = "$2" ]
}

supplementary_is() {
	[ "$(supplementary "$1")" = "$2" ]
}

ok "the sandbox's /etc is not the host's" sbx sh -c "! grep -q '^mgmtu' /etc/passwd"

# --- create: groups and users, the groups first (autoedges) ---------------
cat >"$TMP/create.yaml" <<'EOF'
graph: create
resources:
  user:
  - name: mgmtu1
    state: exists
    uid: 2101
    group: mgmtg1
    groups: [mgmtg2, mgmtg3]
    homedir: /home/mgmtu1/
    shell: /bin/sh
  group:
  - name: mgmtg1
    state: exists
    gid: 2201
  - name: mgmtg2
    state: exists
    gid: 2202
  - name: mgmtg3
    state: exists
EOF
ok "create: the user comes after its three groups (autoedges)" \
	sh -c "'$MGMT_ENGINE' --plugins-dir '$MGMT_PLUGINS_DIR' graph --format json '$TMP/create.yaml' | grep -q '\"to\": \"user\[mgmtu1\]\"'"
ok "create: exit 0" run_graph create
ok "create: group mgmtg1 with gid 2201" [ "$(field group mgmtg1 3)" = 2201 ]
ok "create: group mgmtg2 with gid 2202" [ "$(field group mgmtg2 3)" = 2202 ]
ok "create: group mgmtg3 exists" has_line group mgmtg3
ok "create: user mgmtu1 with uid 2101" [ "$(field passwd mgmtu1 3)" = 2101 ]
ok "create: its primary group is mgmtg1" [ "$(field passwd mgmtu1 4)" = 2201 ]
ok "create: its home directory, without the slash" [ "$(field passwd mgmtu1 6)" = /home/mgmtu1 ]
ok "create: its shell" [ "$(field passwd mgmtu1 7)" = /bin/sh ]
ok "create: its supplementary groups" [ "$(supplementary mgmtu1)" = "mgmtg2 mgmtg3 " ]
ok "create: it has a shadow entry (useradd wrote it)" has_line shadow mgmtu1
ok "create: the groups were added before the user" \
	sh -c "grep -n -e 'added group mgmtg' -e 'added user mgmtu1' '$TMP/create.log' | tail -n 1 | grep -q 'added user mgmtu1'"
ok "create: the add is logged with what was set" \
	grep -q 'User\[mgmtu1\]: added user mgmtu1 (uid, group, groups, homedir, shell)' "$TMP/create.log"
ok "create again: exit 0" run_graph create
ok "create again: no tool ran" sh -c "! grep -qE 'added|changed' '$TMP/create.log'"

# --- noop: reports, changes nothing ---------------------------------------
sed -e 's|/bin/sh|/bin/bash|' -e 's/2101/2102/' "$TMP/create.yaml" >"$TMP/noop.yaml"
ok "noop: exit 0" run_graph noop --noop
ok "noop: says what it would run" \
	grep -q 'User\[mgmtu1\]: would run usermod --uid 2102 --shell /bin/bash mgmtu1 (uid, shell differ)' "$TMP/noop.log"
ok "noop: the shell is unchanged" [ "$(field passwd mgmtu1 7)" = /bin/sh ]
ok "noop: the uid is unchanged" [ "$(field passwd mgmtu1 3)" = 2101 ]

# --- modify: only what differs is given to usermod ------------------------
ok "modify: exit 0" run_graph noop
ok "modify: the uid is changed" [ "$(field passwd mgmtu1 3)" = 2102 ]
ok "modify: the shell is changed" [ "$(field passwd mgmtu1 7)" = /bin/bash ]
ok "modify: logged with what differed" \
	grep -q 'User\[mgmtu1\]: changed user mgmtu1 (uid, shell)' "$TMP/noop.log"

# --- repair after an outside change, event-driven ---------------------------
cp "$TMP/noop.yaml" "$TMP/live.yaml"
sbx_bg "$TMP/live.pid" "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
	run --yaml "$TMP/live.yaml" >"$TMP/live.log" 2>&1
ok "live: the engine converged" wait_for 30 grep -q 'converged' "$TMP/live.log"
sbx usermod -s /bin/false mgmtu1
ok "live: usermod -s /bin/false is undone" wait_for 30 shell_is mgmtu1 /bin/bash
ok "live: the repair is logged" wait_for 10 grep -q 'changed user mgmtu1 (shell)' "$TMP/live.log"
sbx gpasswd -d mgmtu1 mgmtg3 >/dev/null
ok "live: gpasswd -d (only /etc/group) is undone" \
	wait_for 30 supplementary_is mgmtu1 'mgmtg2 mgmtg3 '
sbx groupdel mgmtg2
ok "live: a deleted group is added again" wait_for 30 gid_is mgmtg2 2202
ok "live: and the user is in it again" \
	wait_for 30 supplementary_is mgmtu1 'mgmtg2 mgmtg3 '
sbx kill "$(cat "$TMP/live.pid")"
ok "live: the engine exits on SIGTERM" wait_for 30 gone "$(cat "$TMP/live.pid")"

# --- a grouped pass: several users in one check_apply ---------------------
cat >"$TMP/many.yaml" <<'EOF'
graph: many
resources:
  user:
  - {name: mgmtm1, state: exists, shell: /bin/sh}
  - {name: mgmtm2, state: exists, shell: /bin/sh}
  - {name: mgmtm3, state: exists, shell: /bin/sh}
  - {name: mgmtm4, state: exists, shell: /bin/sh}
EOF
ok "many: one vertex for the four users" \
	sh -c "'$MGMT_ENGINE' --plugins-dir '$MGMT_PLUGINS_DIR' graph --format json '$TMP/many.yaml' | grep -q '\"members\": \[\"mgmtm1\", \"mgmtm2\", \"mgmtm3\", \"mgmtm4\"\]'"
ok "many: exit 0" run_graph many
ok "many: the four users were grouped" grep -q 'Grouping: 4 resources into User\[mgmtm1\]' "$TMP/many.log"
ok "many: all four exist with their shell" \
	[ "$(sbx grep -c '^mgmtm[1-4]:.*:/bin/sh$' /etc/passwd)" -eq 4 ]
ok "many: one vertex ran" grep -q 'running 4 resources as 1 vertices' "$TMP/many.log"
ok "many: one check_apply for the four (one result, by the leader)" \
	[ "$(grep -c ': changed$' "$TMP/many.log")" -eq 1 ]
ok "many: each member reported on its own" \
	[ "$(grep -cE 'User\[mgmtm[1-4]\]: added user mgmtm[1-4]' "$TMP/many.log")" -eq 4 ]
sbx usermod -s /bin/false mgmtm3
ok "many: one changed member: exit 0" run_graph many
ok "many: only that member was changed" \
	sh -c "[ \$(grep -c 'changed user' '$TMP/many.log') -eq 1 ] && grep -q 'User\[mgmtm3\]: changed user mgmtm3 (shell)' '$TMP/many.log'"

# --- a member that fails holds back only itself ----------------------------
cat >"$TMP/clash.yaml" <<'EOF'
graph: clash
resources:
  user:
  - {name: mgmtm1, state: exists, shell: /bin/sh}
  - {name: mgmtc1, state: exists, uid: 2102}
  - {name: mgmtc2, state: exists, uid: 2102, allowduplicateuid: true}
EOF
run_graph clash
rc=$?
ok "clash: exit status 1" [ $rc -eq 1 ]
ok "clash: the taken uid is named" \
	grep -q 'User\[mgmtc1\]: uid 2102 is already taken by user mgmtu1 (allowduplicateuid: true allows it)' "$TMP/clash.log"
ok "clash: the user with allowduplicateuid is added" [ "$(field passwd mgmtc2 3)" = 2102 ]
ok "clash: the refused one is not" no_line passwd mgmtc1
cat >"$TMP/dup.yaml" <<'EOF'
graph: dup
resources:
  user:
  - {name: mgmtc2, state: exists, uid: 2102, allowduplicateuid: true, shell: /bin/bash}
EOF
ok "dup: a user with a shared uid changes its shell: exit 0" run_graph dup
ok "dup: usermod without --non-unique (it refuses it without --uid)" \
	grep -q 'User\[mgmtc2\]: changed user mgmtc2 (shell)' "$TMP/dup.log"
ok "dup: the shell is set" shell_is mgmtc2 /bin/bash

# --- remove: users before their groups -------------------------------------
cat >"$TMP/remove.yaml" <<'EOF'
graph: remove
resources:
  user:
  - {name: mgmtu1, state: absent, group: mgmtg1, groups: [mgmtg2]}
  - {name: mgmtc2, state: absent}
  group:
  - {name: mgmtg1, state: absent}
  - {name: mgmtg2, state: absent}
  - {name: mgmtg3, state: absent}
EOF
ok "remove: the absent user comes before its groups (autoedges)" \
	sh -c "'$MGMT_ENGINE' --plugins-dir '$MGMT_PLUGINS_DIR' graph --format json '$TMP/remove.yaml' | grep -q '\"from\": \"user\[autogroup:(mgmtc2,mgmtu1)\]\", \"to\": \"group\[autogroup:(mgmtg1,mgmtg2,mgmtg3)\]\"'"
ok "remove: exit 0" run_graph remove
ok "remove: the user is gone from passwd" no_line passwd mgmtu1
ok "remove: and from shadow" no_line shadow mgmtu1
ok "remove: the groups are gone" \
	not sbx grep -qE '^mgmtg[123]:' /etc/group
ok "remove: the primary group went after its user (groupdel would refuse)" \
	sh -c "grep -n -e 'removed user mgmtu1' -e 'removed group mgmtg1' '$TMP/remove.log' | head -n 1 | grep -q 'removed user'"
ok "remove again: exit 0" run_graph remove
ok "remove again: nothing removed" sh -c "! grep -q removed '$TMP/remove.log'"

# --- a tool that fails: its words in one line ------------------------------
cat >"$TMP/bad.yaml" <<'EOF'
graph: bad
resources:
  user:
  - {name: mgmtb1, state: exists, group: nosuchgroup}
EOF
run_graph bad
rc=$?
ok "bad: exit status 1" [ $rc -eq 1 ]
ok "bad: useradd's status and message" \
	grep -q "User\[mgmtb1\]: useradd --gid nosuchgroup mgmtb1 exited with status 6: useradd: group 'nosuchgroup' does not exist" "$TMP/bad.log"

# --- plugin-check: the plugin contract on real users and groups ------------
cat >"$TMP/pcheck.yaml" <<'EOF'
resources:
  group:
  - {name: mgmtpg, state: exists, gid: 2301}
  user:
  - {name: mgmtpu, state: exists, group: mgmtpg, shell: /bin/sh}
EOF
sbx "$MGMT_ENGINE" plugin-check "$MGMT_PLUGINS_DIR/user.so" \
	--yaml "$TMP/pcheck.yaml" >"$TMP/pcheck.out" 2>"$TMP/pcheck.err"
ok "plugin-check user: passes" grep -q '^PASS ' "$TMP/pcheck.out"
ok "plugin-check user: the user is idempotent" grep -q '^ok user\[mgmtpu\]: idempotent' "$TMP/pcheck.out"
ok "plugin-check user: the group is idempotent" grep -q '^ok group\[mgmtpg\]: idempotent' "$TMP/pcheck.out"
ok "plugin-check user: the user was added" [ "$(field passwd mgmtpu 4)" = 2301 ]
grep -v '^ok ' "$TMP/pcheck.out" | sed 's/^/# /'

for f in "$TMP"/*.log; do
	[ "$T_FAIL" -eq 0 ] || { echo "# --- $f"; diag_file "$f"; }
done
done_testing

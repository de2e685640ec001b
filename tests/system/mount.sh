#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The mount resource against a real systemd, booted for this test in its own
# namespaces (tests/system/sandbox.sh): /etc/fstab is the sandbox's (an
# in-memory overlay of /etc), and every mount is a tmpfs at a directory of
# the test's own, in the sandbox's private mount namespace.  Nothing of the
# host's fstab or mounts is touched.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"
. "$MGMT_TOP_SRCDIR/tests/system/lib.sh"

[ -e "$MGMT_PLUGINS_DIR/mount.so" ] || not_available "the mount plugin is not built"
sandbox_start mount

PT=$TMP/point
mkdir -p "$PT"
LINE="tmpfs $PT tmpfs size=8m,mode=0755 0 0"

run_graph() {
	sbx "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" run \
		--yaml "$TMP/$1.yaml" --converged-timeout 0 "${@:2}" >"$TMP/$1.log" 2>&1
}
# What is mounted at the point, inside: "SOURCE FSTYPE", or nothing.
at_point() {
	sbx findmnt -n -o SOURCE,FSTYPE --mountpoint "$PT"
}
is_mounted() {
	[ "$(at_point | awk '{ print $1, $2 }')" = "tmpfs tmpfs" ]
}
not_mounted() {
	[ -z "$(at_point)" ]
}
fstab_has() {
	sbx grep -qxF "$1" /etc/fstab
}
fstab_lines_for_point() {
	sbx awk -v p="$PT" '$2 == p' /etc/fstab | wc -l
}

cat >"$TMP/create.yaml" <<EOF
graph: mount
resources:
  mount:
  - name: $PT
    state: exists
    device: tmpfs
    type: tmpfs
    options: {size: 8m, mode: "0755"}
EOF
sbx sh -c 'printf "# a comment kept\n" >>/etc/fstab'
cp_fstab=$(sbx cat /etc/fstab)

# --- noop: reports, changes nothing --------------------------------------
ok "noop: exit 0" run_graph create --noop
ok "noop: says it would write the line" grep -qF "would write the line \"$LINE\"" "$TMP/create.log"
ok "noop: says it would mount" grep -qF "would mount $PT" "$TMP/create.log"
ok "noop: fstab unchanged" [ "$(sbx cat /etc/fstab)" = "$cp_fstab" ]
ok "noop: nothing mounted" not_mounted

# --- create --------------------------------------------------------------
ok "create: exit 0" run_graph create
ok "create: the fstab line" fstab_has "$LINE"
ok "create: other lines kept" sbx grep -qx '# a comment kept' /etc/fstab
ok "create: mounted" is_mounted
ok "create: through systemd's unit" \
	[ "$(sbx systemctl is-active "$(sbx systemd-escape --path --suffix=mount "$PT")")" = active ]
ok "create: logged" grep -qF "Mount[$PT]: mounted $PT" "$TMP/create.log"
ok "again: exit 0" run_graph create
ok "again: nothing done" sh -c "! grep -qE 'wrote|mounted' '$TMP/create.log'"

# --- repair, event-driven: the engine keeps running ----------------------
sbx_bg "$TMP/engine.pid" "$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" \
	run --yaml "$TMP/create.yaml" >"$TMP/engine.log" 2>&1
ok "running engine: converged" wait_for 30 grep -q 'converged' "$TMP/engine.log"
sbx umount "$PT"
ok "outside umount: mounted again" wait_for 30 is_mounted
ok "outside umount: the engine mounted it" \
	wait_for 10 grep -qF "Mount[$PT]: mounted $PT" "$TMP/engine.log"
sbx sed -i "s|size=8m|size=4m|" /etc/fstab
ok "fstab edited: the line restored" wait_for 30 fstab_has "$LINE"
ok "fstab edited: one line for the point" [ "$(fstab_lines_for_point)" = 1 ]
sbx sh -c "grep -v ' $PT ' /etc/fstab >/etc/fstab.new && mv /etc/fstab.new /etc/fstab"
ok "fstab replaced without the line: restored" wait_for 30 fstab_has "$LINE"
sbx kill "$(cat "$TMP/engine.pid")"
engine_gone() {
	! sbx kill -0 "$(cat "$TMP/engine.pid")" 2>/dev/null
}
ok "engine exits on SIGTERM" wait_for 30 engine_gone
grep -E 'error|warn' "$TMP/engine.log" | sed 's/^/# /'

# --- plugin-check ----------------------------------------------------------
sbx "$MGMT_ENGINE" plugin-check "$MGMT_PLUGINS_DIR/mount.so" \
	--yaml "$TMP/create.yaml" >"$TMP/pcheck.out" 2>"$TMP/pcheck.err"
ok "plugin-check mount: passes" grep -q '^PASS ' "$TMP/pcheck.out"
grep -v '^ok ' "$TMP/pcheck.out" | sed 's/^/# /'

# --- remove ----------------------------------------------------------------
cat >"$TMP/remove.yaml" <<EOF
resources:
  mount:
  - name: $PT
    state: absent
EOF
ok "remove, noop: exit 0" run_graph remove --noop
ok "remove, noop: says it would unmount" grep -qF "would unmount $PT" "$TMP/remove.log"
still_there() {
	is_mounted && fstab_has "$LINE"
}
ok "remove, noop: still mounted and in fstab" still_there
ok "remove: exit 0" run_graph remove
ok "remove: unmounted" not_mounted
ok "remove: the line is gone" [ "$(fstab_lines_for_point)" = 0 ]
ok "remove: other lines kept" sbx grep -qx '# a comment kept' /etc/fstab
ok "remove again: exit 0" run_graph remove
ok "remove again: nothing done" sh -c "! grep -qE 'removed|unmounted' '$TMP/remove.log'"

# --- a device that cannot be mounted: one clear line -----------------------
cat >"$TMP/bad.yaml" <<EOF
resources:
  mount:
  - name: $TMP/bad
    state: exists
    device: /dev/no-such-device
    type: ext4
EOF
run_graph bad
ok "bad device: exit 1" [ $? -eq 1 ]
ok "bad device: one line naming the point and its unit" \
	grep -qF "Mount[$TMP/bad]: cannot mount $TMP/bad (" "$TMP/bad.log"
ok "bad device: said once (its own write of fstab is no event to it)" \
	[ "$(grep -cF "Mount[$TMP/bad]: cannot mount" "$TMP/bad.log")" -eq 1 ]
grep -E 'error' "$TMP/bad.log" | sed 's/^/# /'
done_testing

#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# What the host table promises a plugin beyond the happy path (mgmt/host.h),
# probed by the test plugin's `contract` resource: a loop-only service
# (watch_timer) called from check_apply on a worker is refused with EPERM
# and one line naming the plugin and resource; state_dir returns one stable
# string; a watch the engine removed before cleanup may be unwatched in
# cleanup without harm (under ASan a freed handle would be caught) and
# without an error line; member_result outside check_apply is refused with
# one line.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

cat >"$TMP/g.yaml" <<Y
resources:
  test:
  - {name: c, record: $TMP/rec, contract: true}
Y
"$MGMT_ENGINE" --plugins-dir "$MGMT_TEST_PLUGINS_DIR" run --yaml "$TMP/g.yaml" \
	--prefix "$TMP/prefix" --converged-timeout 0 >/dev/null 2>"$TMP/log"
rc=$?
ok "the run converges and exits 0" [ "$rc" -eq 0 ]
ok "a watch asked from check_apply is refused with EPERM" \
	grep -q "^contract watch_in_run refused EPERM$" "$TMP/rec"
ok "...and logged once, naming the plugin and the resource" \
	[ "$(grep -c "Test\[c\]: plugin testres called a watch_\* from a worker thread (check_apply); it is for the loop thread only" "$TMP/log")" -eq 1 ]
ok "state_dir returns one stable string" \
	grep -q "^contract state_dir stable$" "$TMP/rec"
ok "...a directory under --prefix, mode 0700" \
	[ "$(stat -c %a "$TMP/prefix/state/test" 2>/dev/null)" = 700 ]
ok "cleanup ran (and unwatched the removed watch)" \
	grep -q "^cleanup c " "$TMP/rec"
ok "unwatching a watch the engine removed logs nothing" \
	sh -c "! grep -q 'invalid watch handle' '$TMP/log'"
ok "member_result from the watch hook is refused, in one line" \
	[ "$(grep -c "Test\[c\]: plugin testres reported a member result outside a check_apply of its group; ignored" "$TMP/log")" -eq 1 ]
ok "no error but the two refusals" \
	[ "$(grep -c ' error ' "$TMP/log")" -eq 2 ]
done_testing

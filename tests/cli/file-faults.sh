#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# file-faults.sh - the file resource when the machine says no: a full
# filesystem (a 64 KiB tmpfs), a read-only one (a read-only bind mount) and
# a missing source.  Each fault must fail its resource with one clear line,
# leave the old file intact, let an independent resource converge, and make
# the run exit 1.  Mounts are made in a private mount namespace (unshare -m)
# on directories inside this test's own temporary directory, so they vanish
# with the namespace and nothing outside is touched.  Needs root; skipped
# otherwise, unless MGMT_REQUIRE_SYSTEM_TESTS=1 asks for a failure instead.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

cannot_run() {
	if [ "${MGMT_REQUIRE_SYSTEM_TESTS:-0}" = 1 ]; then
		ok "file fault tests can run ($1)" false
	else
		skip "file fault tests" "$1"
	fi
	done_testing
	exit
}

[ "$(id -u)" = 0 ] || cannot_run "needs root for mount namespaces"
unshare -m --propagation private true 2>/dev/null ||
	cannot_run "unshare -m failed"

# in_ns SCRIPT: run the shell SCRIPT in a private mount namespace.
in_ns() {
	unshare -m --propagation private sh -c "$1"
}

# The plugin logged the failure as one line, the expected one, on each try
# (a group re-run may try again); the engine's own "failed (error -1)..."
# line is not the plugin's.
one_line() {
	grep "error File\[$1\]: " "$2" | grep -v ': failed (error ' >"$2.own"
	[ -s "$2.own" ] && ! grep -vF "error File[$1]: $3" "$2.own"
}

# The rest of the graph went on.
other_ok() {
	[ "$(cat "$TMP/other")" = other ]
}

# 200 KiB of content: more than the small filesystem holds.
big=$(head -c 204800 /dev/zero | tr '\0' x)

# ---- ENOSPC ----
mkdir "$TMP/small"
cat >"$TMP/enospc.yaml" <<Y
resources:
  file:
  - {name: big, path: $TMP/small/f, content: $big}
  - {name: other, path: $TMP/other, content: other}
Y
in_ns "
	mount -t tmpfs -o size=64k,mode=0755 mgmt-test '$TMP/small' || exit 3
	printf 'old content\n' >'$TMP/small/f'
	'$MGMT_ENGINE' --plugins-dir '$MGMT_PLUGINS_DIR' run \
		--yaml '$TMP/enospc.yaml' --converged-timeout 0 \
		2>'$TMP/enospc.err'
	echo \$? >'$TMP/enospc.status'
	cat '$TMP/small/f' >'$TMP/enospc.after'
	ls -A '$TMP/small' >'$TMP/enospc.ls'
"
ok "ENOSPC: the run exits 1" [ "$(cat "$TMP/enospc.status")" = 1 ]
ok "ENOSPC: one clear line" one_line big "$TMP/enospc.err" \
	"cannot write $TMP/small/f: No space left on device; the old file is unchanged"
ok "ENOSPC: the old file is intact" \
	[ "$(cat "$TMP/enospc.after")" = "old content" ]
ok "ENOSPC: no temporary file is left" [ "$(cat "$TMP/enospc.ls")" = f ]
ok "ENOSPC: the other resource converged" other_ok
grep 'error File' "$TMP/enospc.err" | sed 's/^/# /'

# ---- read-only filesystem ----
rm -f "$TMP/other"
mkdir "$TMP/ro"
printf 'old content\n' >"$TMP/ro/f"
cat >"$TMP/erofs.yaml" <<Y
resources:
  file:
  - {name: ro, path: $TMP/ro/f, content: new content}
  - {name: other, path: $TMP/other, content: other}
Y
in_ns "
	mount --bind '$TMP/ro' '$TMP/ro' &&
	mount -o remount,bind,ro '$TMP/ro' || exit 3
	'$MGMT_ENGINE' --plugins-dir '$MGMT_PLUGINS_DIR' run \
		--yaml '$TMP/erofs.yaml' --converged-timeout 0 \
		2>'$TMP/erofs.err'
	echo \$? >'$TMP/erofs.status'
"
ok "read-only: the run exits 1" [ "$(cat "$TMP/erofs.status")" = 1 ]
ok "read-only: one clear line" one_line ro "$TMP/erofs.err" \
	"cannot write $TMP/ro/f: Read-only file system; the old file is unchanged"
ok "read-only: the old file is intact" \
	[ "$(cat "$TMP/ro/f")" = "old content" ]
ok "read-only: no temporary file is left" [ "$(ls -A "$TMP/ro")" = f ]
ok "read-only: the other resource converged" other_ok
grep 'error File' "$TMP/erofs.err" | sed 's/^/# /'

# ---- a missing source ----
rm -f "$TMP/other"
printf 'old content\n' >"$TMP/copy"
cat >"$TMP/nosrc.yaml" <<Y
resources:
  file:
  - {name: copy, path: $TMP/copy, source: $TMP/no-such-source}
  - {name: other, path: $TMP/other, content: other}
Y
engine run --yaml "$TMP/nosrc.yaml" --converged-timeout 0 2>"$TMP/nosrc.err"
ok "missing source: the run exits 1" [ $? -eq 1 ]
ok "missing source: one clear line" one_line copy "$TMP/nosrc.err" \
	"cannot read the source $TMP/no-such-source: No such file or directory; $TMP/copy is unchanged"
ok "missing source: the old file is intact" \
	[ "$(cat "$TMP/copy")" = "old content" ]
ok "missing source: the other resource converged" other_ok
grep 'error File' "$TMP/nosrc.err" | sed 's/^/# /'

done_testing

#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The exec suite (tests/unit/check_exec) under valgrind's memcheck, leaks
# included, in one process (CK_FORK=no).  valgrind refuses clone3, so every
# command also goes through spawn.c's fallback here, as under a seccomp
# profile or an old kernel.  The forked waiters never exec: memcheck in
# them would only report the engine's memory a second time, hence
# --child-silent-after-fork.
#
# In `make check` of a build without sanitizers (36 s of CPU; up to 2
# minutes on a busy 2-CPU machine).  Skipped when valgrind is not
# installed (tools/deps installs it).
: "${MGMT_TOP_BUILDDIR:?run through make check}"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "1..0 # SKIP valgrind is not installed"
	exit 0
fi
CK_FORK=no
export CK_FORK
exec valgrind -q --error-exitcode=1 --leak-check=full \
	--child-silent-after-fork=yes \
	"$MGMT_TOP_BUILDDIR/tests/unit/check_exec"

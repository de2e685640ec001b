/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * probe.h - what plugin-check measures hooks with: a time limit for the
 * hooks of the loop thread (SIGALRM), check_apply on a thread of its own
 * with a timed wait, and the file descriptors the process holds.
 */
#ifndef ENGINE_CHECK_PROBE_H
#define ENGINE_CHECK_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/resource.h"

/* Install the SIGALRM handler.  Once, before probe_arm. */
void probe_init(void);

/* In `secs` seconds, unless probe_disarm comes first, write `text` (copied)
 * to stdout and _exit(PCHECK_FAIL): what a hook that hangs on this thread gets. */
void probe_arm(const char *text, double secs);
void probe_disarm(void);

/* Run check_apply(apply) of `res` on a thread of its own (all signals
 * blocked, refused the loop thread's services as a worker is) and wait
 * for it at most `secs` seconds.  True with its return in *result and
 * what host->member_result said of `res` in *reported (INT_MIN: nothing) (or
 * -errno when no thread could start); false when it did not return: the
 * thread is left running, and the caller must end the process. */
bool probe_check_apply(struct mgmt_res *res, bool apply, double secs,
		       int *result, int *reported);

/* The open file descriptors of the process (from /proc/self/fd). */
struct fdset {
	int *fd;
	size_t n;
};

/* Read them into `s` (free s->fd).  0 or -errno. */
int fds_read(struct fdset *s);

/* The fds open now and not in `before`, as "7 (/tmp/x), 9 (anon_inode:
 * inotify)" into buf.  How many. */
size_t fds_new(const struct fdset *before, char *buf, size_t len);

#endif /* ENGINE_CHECK_PROBE_H */

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * linger.h - a child closes the process's inotify and fanotify descriptors
 * after the process has exited.
 *
 * Closing the last descriptor of an inotify or fanotify group waits until
 * the kernel has retired the group's marks: an SRCU grace period, 10 to
 * 20 ms on a busy machine however few marks there were.  At the end of a
 * run that wait would come between the exit status being decided and the
 * exit its caller waits for: for a check of 1,000 files, as long as the
 * check itself.  So, once the run is over and the process is about to
 * tear down and exit, linger_notify_fds() gives a child copies of those
 * descriptors, and of no other: the process's own closes are then cheap,
 * and the child keeps its copies until the process has exited (the end of
 * a pipe tells it), then exits, and the wait is the child's.
 *
 * Call it with no other thread left (it forks).  It does nothing when
 * there is no such descriptor, or when /proc or fork is not there.
 */
#ifndef ENGINE_UTIL_LINGER_H
#define ENGINE_UTIL_LINGER_H

void linger_notify_fds(void);

#endif /* ENGINE_UTIL_LINGER_H */

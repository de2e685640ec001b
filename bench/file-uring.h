/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * file-uring.h - fsync many open files at once through io_uring (file-uring.c).
 */
#ifndef BENCH_FILE_URING_H
#define BENCH_FILE_URING_H

#include <stdbool.h>
#include <stddef.h>

/* Submissions in flight at most; more files go in rounds of this many. */
#define URING_MAX 1024u

/* fsync (fdatasync with data_only) each of fds[0..n) concurrently and wait
 * for all.  0 when every call was made, errs[i] then being 0 or -errno of
 * fds[i]'s fsync; or -errno when io_uring itself failed (not available,
 * disabled by sysctl or seccomp, out of memory...): then the caller must
 * sync each file some other way, errs being meaningless. */
int uring_fsync_all(const int *fds, int *errs, size_t n, bool data_only);

#endif /* BENCH_FILE_URING_H */

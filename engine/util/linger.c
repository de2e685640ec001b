/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * linger.c - a child keeps the notify descriptors past our exit (see
 * linger.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/linger.h"

#define MAX_KEEP 64

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The descriptors of inotify and fanotify groups, sorted, into keep[]
 * (room for MAX_KEEP - 1: the caller adds one); how many. */
static size_t notify_fds(int *keep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAX_KEEP - 1) {
		char path[64], target[32];
		int fd = atoi(e->d_name);
		ssize_t len;

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:inotify") == 0 ||
		    strcmp(target, "anon_inode:[fanotify]") == 0)
			keep[n++] = fd;
	}
	closedir(d);
	return n;
}

void linger_notify_fds(void)
{
	int keep[MAX_KEEP], p[2];
	size_t n = notify_fds(keep);
	pid_t pid;

	if (n == 0 || pipe2(p, O_CLOEXEC) < 0)
		return;
	keep[n++] = p[0];
	qsort(keep, n, sizeof(*keep), cmp_int);
	pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls here: other threads' locks
		 * may have been copied held. */
		unsigned lo = 0;
		char c;

		for (size_t i = 0; i < n; lo = (unsigned)keep[i++] + 1)
			if ((unsigned)keep[i] > lo)
				close_range(lo, (unsigned)keep[i] - 1, 0);
		close_range(lo, ~0U, 0);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	if (pid < 0)
		close(p[1]);
	/* Else p[1] stays open until we exit: its end is the child's cue. */
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * textfile.c - read and durably replace a small text file (textfile.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/textfile.h"

int textfile_read(const char *path, char **out)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;
	ssize_t n = 0;

	*out = NULL;
	if (!buf)
		e = ENOMEM;
	else if (fd < 0 && errno != ENOENT)
		e = errno;
	while (!e && fd >= 0 && (n = read(fd, buf + len, cap - len - 1))) {
		char *b;

		if (n < 0) {
			if (errno != EINTR)
				e = errno;
			continue;
		}
		len += (size_t)n;
		if (cap - len >= 2)
			continue;
		if (!(b = realloc(buf, cap * 2)))
			e = ENOMEM;
		else
			buf = b, cap *= 2;
	}
	if (fd >= 0)
		close(fd);
	if (e) {
		free(buf);
		return -e;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* write(2) all of it. */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno != EINTR)
			return errno;
		if (n > 0)
			p += n, len -= (size_t)n;
	}
	return 0;
}

int textfile_replace(const char *path, const char *text, mode_t mode)
{
	const char *base = strrchr(path, '/');
	char dir[PATH_MAX], tmp[PATH_MAX];
	int fd, dfd, e = 0;

	if (!base)
		return -EINVAL; /* not absolute */
	if ((size_t)(base - path) >= sizeof(dir) ||
	    snprintf(tmp, sizeof(tmp), "%.*s/.%s.mgmt-XXXXXX",
		     (int)(base - path), path, base + 1) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		e = errno;
	if (!e)
		e = write_all(fd, text, strlen(text));
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return -e;
	}
	/* The rename is only durable once the directory is. */
	dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (fsync(dfd) < 0)
		e = errno;
	close(dfd);
	return -e;
}

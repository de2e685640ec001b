/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * io.c - the file resource's plain file work, for apply.c and write.c:
 * comparing a file with what it should hold and copying a source, both in
 * chunks (neither file is ever loaded whole), and removing a tree without
 * following a symlink in it.  Any thread.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"

#define CHUNK (64 * 1024)

/* What to do about an error, as the end of its one line. */
const char *file_hint(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
		return " (free some space on its filesystem)";
	case EROFS:
		return " (remount it read-write or manage another path)";
	case EACCES:
	case EPERM:
		return " (check the permissions of it and its directory)";
	case ENOENT:
	case ENOTDIR:
		return " (create its directory first)";
	default:
		return "";
	}
}

static ssize_t read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int file_write_full(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t r = write(fd, buf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Does the open regular file `fd` of `size` bytes hold what `w` wants?
 * 1 yes, 0 no, <0 -errno (*src_failed tells whose read failed).  Reads in
 * chunks, so neither file is ever loaded whole. */
int file_same_content(int fd, off_t size, const struct want *w,
		      bool *src_failed)
{
	size_t want_size = w->content ? strlen(w->content) : (size_t)w->srcsize;
	size_t chunk = want_size < CHUNK ? want_size + 1 : CHUNK;
	char *a, *b = NULL;
	int rc = 1;

	*src_failed = false;
	if ((size_t)size != want_size)
		return 0;
	a = malloc(w->content ? chunk : 2 * chunk);
	if (!a)
		return -ENOMEM;
	if (!w->content) {
		b = a + chunk;
		if (lseek(w->srcfd, 0, SEEK_SET) < 0) {
			*src_failed = true;
			rc = -errno;
			goto out;
		}
	}
	for (size_t off = 0; off < want_size;) {
		size_t n = want_size - off < chunk ? want_size - off : chunk;
		ssize_t r = read_full(fd, a, n);

		if (r < 0) {
			rc = (int)r;
			goto out;
		}
		if ((size_t)r != n) { /* shrank meanwhile */
			rc = 0;
			goto out;
		}
		if (b) {
			r = read_full(w->srcfd, b, n);
			if (r < 0 || (size_t)r != n) {
				*src_failed = true;
				rc = r < 0 ? (int)r : -EIO;
				goto out;
			}
		}
		if (memcmp(a, b ? b : w->content + off, n) != 0) {
			rc = 0;
			goto out;
		}
		off += n;
	}
out:
	free(a);
	return rc;
}

/* Copy the source into the temporary file. */
int file_copy_source(int to, const struct want *w, bool *src_failed)
{
	char *buf = malloc(CHUNK);
	int rc = 0;

	*src_failed = false;
	if (!buf)
		return -ENOMEM;
	if (lseek(w->srcfd, 0, SEEK_SET) < 0) {
		*src_failed = true;
		rc = -errno;
	}
	while (rc == 0) {
		ssize_t r = read_full(w->srcfd, buf, CHUNK);

		if (r < 0) {
			*src_failed = true;
			rc = (int)r;
		} else if (r == 0) {
			break;
		} else {
			rc = file_write_full(to, buf, (size_t)r);
		}
	}
	free(buf);
	return rc;
}

/* Remove the tree `name` (relative to `dfd`) without following symlinks.
 * 0 or -errno (the first failure; removal goes on past it). */
int file_rm_tree_at(int dfd, const char *name)
{
	int fd = openat(dfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((e = readdir(d))) {
		bool dir = e->d_type == DT_DIR;
		struct stat st;
		int r = 0;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_type == DT_UNKNOWN &&
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			dir = S_ISDIR(st.st_mode);
		if (dir)
			r = file_rm_tree_at(fd, e->d_name);
		else if (unlinkat(fd, e->d_name, 0) < 0 && errno != ENOENT)
			r = -errno;
		if (r < 0 && rc == 0)
			rc = r;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

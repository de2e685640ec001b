/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * perms.c - may the engine, running as root, load this file?  Not when a
 * user other than root or the engine's own could have replaced it or the
 * directories leading to it (checked on resolved paths; sticky ancestors
 * like /tmp are fine).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "loader/internal.h"

/* ---- safety of files and directories ---------------------------------- */

static bool owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

static const char *writable_by(mode_t mode)
{
	return (mode & S_IWOTH) ? "world" : "group";
}

/*
 * May only root or the engine's user replace what is in `dir` (a real path)?
 * `dir` itself must be neither group- nor world-writable; its ancestors may
 * be when they are sticky (like /tmp), since then only an entry's owner can
 * rename it.  Fills `why` and returns -EPERM (or -errno) when not.
 */
int loader_dir_chain_safe(const char *dir, char *why, size_t len)
{
	char buf[PATH_MAX];
	bool leaf = true;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
		snprintf(why, len, "directory path too long");
		return -ENAMETOOLONG;
	}
	for (;;) {
		struct stat st;
		char *slash;

		if (lstat(buf, &st) < 0) {
			int e = errno;

			snprintf(why, len, "cannot check directory %s: %s", buf,
				 strerror(e));
			return -e;
		}
		if (!owner_ok(&st)) {
			snprintf(
				why, len,
				"directory %s is owned by uid %u, not root or the engine's uid %u",
				buf, (unsigned)st.st_uid, (unsigned)geteuid());
			return -EPERM;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    (leaf || !(st.st_mode & S_ISVTX))) {
			snprintf(why, len,
				 "directory %s is %s-writable (mode %04o%s)",
				 buf, writable_by(st.st_mode),
				 (unsigned)(st.st_mode & 07777),
				 leaf ? "" : ", not sticky");
			return -EPERM;
		}
		if (strcmp(buf, "/") == 0)
			return 0;
		slash = strrchr(buf, '/');
		if (!slash) /* realpath gives absolute paths; be safe anyway */
			return 0;
		if (slash == buf)
			slash[1] = '\0';
		else
			*slash = '\0';
		leaf = false;
	}
}

/* Is the real file `real` safe to load?  Fills `why` when not. */
int loader_file_safe(const char *real, char *why, size_t len)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (lstat(real, &st) < 0) {
		int e = errno;

		snprintf(why, len, "cannot check %s: %s", real, strerror(e));
		return -e;
	}
	if (!owner_ok(&st)) {
		snprintf(
			why, len,
			"%s is owned by uid %u, not root or the engine's uid %u",
			real, (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "%s is %s-writable (mode %04o)", real,
			 writable_by(st.st_mode),
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	snprintf(dir, sizeof(dir), "%s", real);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	return loader_dir_chain_safe(dir, why, len);
}

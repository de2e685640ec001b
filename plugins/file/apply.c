/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * apply.c - check_apply of one file resource: compare first, then fix only
 * what differs, atomically.
 *
 * Rules (also in the parameter docs):
 * - A symlink at `path` is never followed: `path` is looked at with lstat,
 *   and a symlink where a file or directory is wanted is replaced by one
 *   (the new file is renamed over it; a directory: the link is removed,
 *   then the directory made), and `state: absent` removes the link itself.
 *   What the link pointed to is never written, chmod'ed or removed.
 *   Symlinks in the directories above `path` are followed, as everywhere
 *   in Unix.
 * - Content is never written in place (write.c): a temporary file (mode
 *   0600, in the same directory, so nobody else can read it meanwhile)
 *   gets the whole content, its owner and final mode, is flushed to disk
 *   and renamed over `path`; a group's files are flushed together, then
 *   renamed (write.c's batch).  Any failure removes the temporary file and
 *   leaves what was at `path` untouched.  The caller flushes the directory
 *   (once per group).
 * - Mode, owner and group of a file whose content is right are fixed in
 *   place on a descriptor opened with O_NOFOLLOW, owner first (chown may
 *   clear the setuid bits that chmod then sets).
 * - A directory, or a device, fifo or socket, where a file is wanted (or a
 *   file where a directory is wanted) is replaced only with `force`; a
 *   directory is removed for `state: absent` only with `force`.  Trees are
 *   removed without following any symlink in them.
 * - With `recurse`, the tree under `source` is copied: missing directories
 *   and files are created, differing files replaced atomically; their
 *   permission bits follow the source's, and `owner`/`group` apply to them
 *   too.  Entries that exist only under `path` are left alone, and
 *   symlinks or special files in the source are skipped.
 * - With apply false (noop mode) nothing is changed: what would change is
 *   logged and reported as MGMT_CHANGED.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"

static int merge(int a, int b)
{
	if (a < 0 || b < 0)
		return MGMT_ERROR;
	return a > b ? a : b;
}

/* Make mode, owner and group of the existing `p` (described by `st`) what
 * `w` wants, on a descriptor that cannot follow a symlink. */
static int fix_meta(struct ctx *c, const char *p, const struct stat *st,
		    const struct want *w)
{
	bool own = (w->uid != NOT_OWNED && w->uid != st->st_uid) ||
		   (w->gid != NOT_GROUPED && w->gid != st->st_gid);
	bool mod = w->mode >= 0 && (mode_t)w->mode != (st->st_mode & 07777);
	mode_t mode = mod ? (mode_t)w->mode : st->st_mode & 07777;
	char what[160];
	int fd, err, flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;

	if (!own && !mod)
		return MGMT_CONVERGED;
	what[0] = '\0';
	if (mod)
		snprintf(what, sizeof(what), "mode %04o -> %04o",
			 (unsigned)(st->st_mode & 07777), (unsigned)mode);
	if (own)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 "%sowner %u:%u -> %u:%u", mod ? ", " : "",
			 (unsigned)st->st_uid, (unsigned)st->st_gid,
			 (unsigned)(w->uid == NOT_OWNED ? st->st_uid : w->uid),
			 (unsigned)(w->gid == NOT_GROUPED ? st->st_gid :
							    w->gid));
	if (!c->apply) {
		mgmt_info(c->res, "would set %s on %s", what, p);
		return MGMT_CHANGED;
	}
	flags |= S_ISDIR(st->st_mode) ? O_DIRECTORY : O_NONBLOCK;
	fd = open(p, flags);
	if (fd < 0)
		goto fail;
	if (own && fchown(fd, w->uid, w->gid) < 0)
		goto fail;
	/* chown clears setuid/setgid: put them back when the mode has them */
	if ((mod || (own && (mode & 06000))) && fchmod(fd, mode) < 0)
		goto fail;
	close(fd);
	mgmt_info(c->res, "set %s on %s", what, p);
	return MGMT_CHANGED;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	mgmt_error(c->res, "cannot set %s on %s: %s%s", what, p, strerror(err),
		   file_hint(err));
	return MGMT_ERROR;
}

/* `p` should be a regular file as `w` says.  *dchg: its directory's
 * entries changed. */
static int ensure_file(struct ctx *c, const char *p, const struct want *w,
		       bool *dchg)
{
	struct stat st;
	bool src_failed;
	int fd, r;

	if (lstat(p, &st) < 0) {
		if (errno != ENOENT) {
			mgmt_error(c->res, "cannot check %s: %s%s", p,
				   strerror(errno), file_hint(errno));
			return MGMT_ERROR;
		}
		if (!c->apply) {
			mgmt_info(c->res, "would create %s", p);
			return MGMT_CHANGED;
		}
		return file_write(c, p, NULL, w, NULL, false, "created", dchg);
	}
	if (S_ISLNK(st.st_mode)) {
		if (!c->apply) {
			mgmt_info(c->res,
				  "would replace the symlink %s by a file", p);
			return MGMT_CHANGED;
		}
		return file_write(c, p, NULL, w, "the symlink", false,
				  "replaced the symlink", dchg);
	}
	if (!S_ISREG(st.st_mode)) {
		bool dir = S_ISDIR(st.st_mode);
		const char *is = dir ? "a directory" : "a special file";

		if (!c->f->force) {
			mgmt_error(c->res,
				   "%s is %s; set force: true to replace it", p,
				   is);
			return MGMT_ERROR;
		}
		if (!c->apply) {
			mgmt_info(c->res, "would replace %s %s by a file", is,
				  p);
			return MGMT_CHANGED;
		}
		return file_write(c, p, NULL, w,
				  dir ? "the directory" : "the special file",
				  dir,
				  dir ? "replaced the directory" :
					"replaced the special file",
				  dchg);
	}
	if (!w->managed)
		return fix_meta(c, p, &st, w);

	r = 1;
	if (st.st_size ==
	    (w->content ? (off_t)strlen(w->content) : w->srcsize)) {
		fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
				     O_NOCTTY);
		if (fd < 0 || fstat(fd, &st) < 0) {
			mgmt_error(c->res, "cannot read %s: %s%s", p,
				   strerror(errno), file_hint(errno));
			if (fd >= 0)
				close(fd);
			return MGMT_ERROR;
		}
		r = S_ISREG(st.st_mode) ?
			    file_same_content(fd, st.st_size, w, &src_failed) :
			    0;
		close(fd);
		if (r < 0) {
			mgmt_error(c->res, "cannot read %s: %s",
				   src_failed ? w->srcpath : p, strerror(-r));
			return MGMT_ERROR;
		}
		if (r == 1)
			return fix_meta(c, p, &st, w);
	}
	if (!c->apply) {
		mgmt_info(c->res, "would update the content of %s", p);
		return MGMT_CHANGED;
	}
	return file_write(c, p, &st, w, "the old file", false,
			  "updated the content of", dchg);
}

/* `p` should be a directory as `w` says (content fields unused). */
static int ensure_dir(struct ctx *c, const char *p, const struct want *w,
		      bool *dchg)
{
	struct stat st;
	const char *was = NULL;
	int fd;

	if (lstat(p, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return fix_meta(c, p, &st, w);
		if (S_ISLNK(st.st_mode)) {
			was = "the symlink";
		} else if (c->f->force) {
			was = S_ISREG(st.st_mode) ? "the file" :
						    "the special file";
		} else {
			mgmt_error(c->res,
				   "%s is %s; set force: true to "
				   "replace it by a directory",
				   p,
				   S_ISREG(st.st_mode) ? "a file" :
							 "a special file");
			return MGMT_ERROR;
		}
	} else if (errno != ENOENT) {
		mgmt_error(c->res, "cannot check %s: %s%s", p, strerror(errno),
			   file_hint(errno));
		return MGMT_ERROR;
	}
	if (!c->apply) {
		if (was)
			mgmt_info(c->res, "would replace %s %s by a directory",
				  was, p);
		else
			mgmt_info(c->res, "would create the directory %s", p);
		return MGMT_CHANGED;
	}
	if (was && unlink(p) < 0) {
		mgmt_error(c->res,
			   "cannot remove %s %s to make a directory: %s%s", was,
			   p, strerror(errno), file_hint(errno));
		return MGMT_ERROR;
	}
	/* 0700 until owner and mode are right: no window with wrong ones */
	if (mkdir(p, 0700) < 0) {
		mgmt_error(c->res, "cannot create the directory %s: %s%s", p,
			   strerror(errno), file_hint(errno));
		return MGMT_ERROR;
	}
	*dchg = true;
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 ||
	    ((w->uid != NOT_OWNED || w->gid != NOT_GROUPED) &&
	     fchown(fd, w->uid, w->gid) < 0) ||
	    fchmod(fd, w->mode >= 0 ? (mode_t)w->mode : 0755) < 0) {
		mgmt_error(c->res,
			   "created the directory %s but cannot set "
			   "its owner and mode: %s%s",
			   p, strerror(errno), file_hint(errno));
		if (fd >= 0)
			close(fd);
		return MGMT_ERROR;
	}
	close(fd);
	if (was)
		mgmt_info(c->res, "replaced %s %s by a directory", was, p);
	else
		mgmt_info(c->res, "created the directory %s", p);
	return MGMT_CHANGED;
}

static int fsync_dir(struct ctx *c, const char *p)
{
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		mgmt_error(c->res,
			   "cannot flush the directory %s to disk: "
			   "%s; its changes may not survive a crash",
			   p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return MGMT_ERROR;
	}
	close(fd);
	return MGMT_CONVERGED;
}

static int join(struct ctx *c, char *out, const char *a, const char *b)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", a, b) < PATH_MAX)
		return 0;
	mgmt_error(c->res, "%s/%s: path too long; skipped", a, b);
	return MGMT_ERROR;
}

/* Copy the tree under `src` into `dst` (both directories, `dst` existing
 * unless in noop mode).  Flushes each directory whose entries changed. */
static int sync_tree(struct ctx *c, const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *e;
	bool dchg = false;
	int rc = MGMT_CONVERGED;

	if (!d) {
		mgmt_error(c->res, "cannot read the source directory %s: %s",
			   src, strerror(errno));
		return MGMT_ERROR;
	}
	while ((e = readdir(d))) {
		char s[PATH_MAX], t[PATH_MAX];
		struct want w = { .srcfd = -1,
				  .uid = NOT_OWNED,
				  .gid = NOT_GROUPED };
		struct stat st;
		int r;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (join(c, s, src, e->d_name) || join(c, t, dst, e->d_name)) {
			rc = MGMT_ERROR;
			continue;
		}
		if (lstat(s, &st) < 0) {
			mgmt_error(c->res, "cannot read the source %s: %s", s,
				   strerror(errno));
			rc = MGMT_ERROR;
			continue;
		}
		w.mode = (int)(st.st_mode & 07777);
		if (c->f->owner)
			w.uid = c->f->uid;
		if (c->f->group)
			w.gid = c->f->gid;
		if (S_ISDIR(st.st_mode)) {
			r = ensure_dir(c, t, &w, &dchg);
			if (r >= 0 && (c->apply || r == MGMT_CONVERGED))
				r = merge(r, sync_tree(c, s, t));
		} else if (S_ISREG(st.st_mode)) {
			w.managed = true;
			w.srcpath = s;
			w.srcsize = st.st_size;
			w.srcfd = open(s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
						  O_CLOEXEC | O_NOCTTY);
			if (w.srcfd < 0) {
				mgmt_error(c->res,
					   "cannot read the source %s: %s", s,
					   strerror(errno));
				r = MGMT_ERROR;
			} else {
				r = ensure_file(c, t, &w, &dchg);
				close(w.srcfd);
			}
		} else {
			mgmt_debug(c->res,
				   "skipping %s: not a regular file "
				   "or directory",
				   s);
			r = MGMT_CONVERGED;
		}
		rc = merge(rc, r);
	}
	closedir(d);
	/* its new files in place before the directory is flushed */
	if (c->batch && c->batch->n && file_batch_commit(c->batch) < 0)
		rc = MGMT_ERROR;
	if (dchg && c->apply)
		rc = merge(rc, fsync_dir(c, dst));
	return rc;
}

static int do_absent(struct ctx *c, const char *p, bool *dchg)
{
	struct stat st;
	int rc = 0;

	if (lstat(p, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return MGMT_CONVERGED;
		mgmt_error(c->res, "cannot check %s: %s%s", p, strerror(errno),
			   file_hint(errno));
		return MGMT_ERROR;
	}
	if (S_ISDIR(st.st_mode) && !c->f->force) {
		mgmt_error(c->res,
			   "%s is a directory; set force: true to "
			   "remove it and everything in it",
			   p);
		return MGMT_ERROR;
	}
	if (!c->apply) {
		mgmt_info(c->res, "would remove %s", p);
		return MGMT_CHANGED;
	}
	if (S_ISDIR(st.st_mode))
		rc = file_rm_tree_at(AT_FDCWD, p);
	else if (unlink(p) < 0)
		rc = -errno;
	if (rc < 0) {
		/* a partly removed tree changed its directory all the same */
		*dchg = S_ISDIR(st.st_mode);
		mgmt_error(c->res, "cannot remove %s: %s%s", p, strerror(-rc),
			   file_hint(-rc));
		return MGMT_ERROR;
	}
	*dchg = true;
	mgmt_info(c->res, "removed %s", p);
	return MGMT_CHANGED;
}

/* Open and describe the source of a single file. */
static int open_source(struct ctx *c, const char *p, struct want *w)
{
	struct stat st;

	w->srcpath = c->f->source;
	w->srcfd = open(c->f->source,
			O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (w->srcfd < 0 || fstat(w->srcfd, &st) < 0) {
		mgmt_error(c->res,
			   "cannot read the source %s: %s; %s is "
			   "unchanged (check the source path)",
			   c->f->source, strerror(errno), p);
		return MGMT_ERROR;
	}
	if (!S_ISREG(st.st_mode)) {
		mgmt_error(c->res,
			   "the source %s is not a regular file; %s is "
			   "unchanged",
			   c->f->source, p);
		return MGMT_ERROR;
	}
	w->srcsize = st.st_size;
	return 0;
}

int file_check_apply_one(mgmt_res *res, struct file *f, bool apply,
			 struct file_batch *batch, size_t member,
			 bool *dir_changed)
{
	struct ctx c = { .res = res,
			 .f = f,
			 .apply = apply,
			 .batch = batch,
			 .member = member };
	struct want w = {
		.srcfd = -1,
		.mode = f->mode,
		.uid = f->owner ? f->uid : NOT_OWNED,
		.gid = f->group ? f->gid : NOT_GROUPED,
	};
	char p[PATH_MAX];
	size_t len = strlen(f->path);
	int rc;

	if (len >= sizeof(p)) {
		mgmt_error(res, "%s: path too long", f->path);
		return MGMT_ERROR;
	}
	/* without the trailing '/', which would make lstat follow a link */
	memcpy(p, f->path, len + 1);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';

	if (f->state == FILE_ABSENT)
		return do_absent(&c, p, dir_changed);
	if (f->is_dir) {
		rc = ensure_dir(&c, p, &w, dir_changed);
		if (rc >= 0 && f->recurse && f->source &&
		    (apply || rc == MGMT_CONVERGED)) {
			char s[PATH_MAX];
			size_t sl = strlen(f->source);

			if (sl >= sizeof(s)) {
				mgmt_error(res, "%s: path too long", f->source);
				return MGMT_ERROR;
			}
			memcpy(s, f->source, sl + 1);
			while (sl > 1 && s[sl - 1] == '/')
				s[--sl] = '\0';
			rc = merge(rc, sync_tree(&c, s, p));
		}
		return rc;
	}
	if (f->content) {
		w.managed = true;
		w.content = f->content;
	} else if (f->source) {
		w.managed = true;
		if (open_source(&c, p, &w) < 0) {
			if (w.srcfd >= 0)
				close(w.srcfd);
			return MGMT_ERROR;
		}
	}
	rc = ensure_file(&c, p, &w, dir_changed);
	if (w.srcfd >= 0)
		close(w.srcfd);
	return rc;
}

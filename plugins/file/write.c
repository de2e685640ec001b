/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * write.c - the file resource's atomic write, and the batch that puts a
 * group's new files in place together.
 *
 * One file: a temporary file next to it (FILE_TMP_PREFIX, mode 0600) gets
 * the content, owner and mode, is flushed (fsync) and renamed over the
 * path; the caller flushes the directory.  The temporary stays locked
 * (flock) from its creation until it has its final name (file.h).
 *
 * A batch (one per check_apply, or per slice of a split group) changes
 * the order for many files, so that the disk writes them together instead
 * of one file after the other:
 *   1. each file's temporary is written and given its owner and mode, and
 *      stays open and locked;
 *   2. commit, once FILE_BATCH_MAX are waiting (an eighth of the descriptor
 *      limit when that is less; or out of descriptors) or
 *      the group is done: all of them to disk with one syncfs of their
 *      file system (data, inodes and the device's cache in one go); an
 *      fsync each instead for a single file, for files on several file
 *      systems, on a kernel older than 5.8 (whose syncfs does not report
 *      write errors), or when syncfs failed (an fsync each then names the
 *      file whose write failed);
 *   3. rename each over its path, close it (unlocking it),
 *   4. and the caller flushes each directory once (group.c).
 * A member is reported done only after step 4.  What a crash leaves, at
 * each step: (1, 2) every path as it was, stale temporaries (swept by the
 * next run); (3) each path old or new, whole: renamed ones hold data that
 * step 2 made durable; (4, before the directory's flush) kill -9: as 3; a
 * power cut may undo renames not yet on disk, leaving the old file and
 * the temporary again.  Never a partly written file at a managed path.
 * syncfs also writes what others left dirty on that file system: a run
 * waits for it too.  It was the fastest of the strategies measured
 * (bench/RESULTS.md, bench/file-sync.sh), by far on a file system without
 * a journal, where each fsync writes its own inode block and flushes the
 * device's cache.
 */
#include "config.h"

#include <errno.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "apply.h"

/* A file written to its temporary, waiting for the batch's commit. */
struct file_pending {
	int fd;           /* the temporary, locked */
	dev_t dev;        /* its file system */
	size_t member;    /* index in the group, for batch->failed */
	mgmt_res *res;    /* for its log lines */
	struct file *f;   /* for file_tmp_failed */
	const char *done; /* the info line once in place: DONE PATH[ by a file] */
	const char *there;
	bool old;   /* a regular file was there */
	char *tmp;  /* the temporary's path; with path in one allocation */
	char *path; /* where it goes */
};

/* How many temporaries a batch keeps open: FILE_BATCH_MAX, or an eighth
 * of the descriptor limit when that is less, so that a group split over
 * its threads leaves most descriptors to the engine's other resources. */
static size_t batch_max(void)
{
	struct rlimit rl;
	size_t max = FILE_BATCH_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 8 < max)
		max = rl.rlim_cur / 8 ? (size_t)rl.rlim_cur / 8 : 1;
	return max;
}

void file_batch_init(struct file_batch *b, void (*failed)(void *, size_t),
		     void *ctx)
{
	b->e = NULL;
	b->n = b->cap = 0;
	b->max = batch_max();
	b->failed = failed;
	b->ctx = ctx;
}

void file_batch_free(struct file_batch *b)
{
	free(b->e);
	b->e = NULL;
	b->cap = 0;
}

/* The end of the info line: " by a file" when something else than a file
 * was there. */
static const char *by_file(const char *there, bool old)
{
	return there && !old ? " by a file" : "";
}

static void pending_fail(struct file_batch *b, struct file_pending *e, int err)
{
	/* removed before it is unlocked: no sweep ever races us for it */
	unlink(e->tmp);
	close(e->fd);
	file_tmp_failed(e->f);
	mgmt_error(e->res, "cannot write %s: %s; %s%s%s", e->path,
		   strerror(err), e->there ? e->there : "nothing was created",
		   e->there ? " is unchanged" : "", file_hint(err));
	if (b->failed)
		b->failed(b->ctx, e->member);
}

/* Does this kernel's syncfs report write errors (Linux 5.8 and later)?
 * Asked once. */
static bool syncfs_reports(void)
{
	static _Atomic int known; /* 0: not yet, 1: yes, 2: no */
	int k = atomic_load(&known);
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (k == 0) {
		if (uname(&u) == 0 &&
		    sscanf(u.release, "%u.%u", &major, &minor) == 2)
			k = major > 5 || (major == 5 && minor >= 8) ? 1 : 2;
		else
			k = 2;
		atomic_store(&known, k);
	}
	return k == 1;
}

/* Step 2 with one syncfs, when it may be used: true when every waiting
 * file is on disk, false when each must be fsync'ed. */
static bool batch_syncfs(const struct file_batch *b)
{
	if (b->n < 2 || !syncfs_reports())
		return false;
	for (size_t i = 1; i < b->n; i++)
		if (b->e[i].dev != b->e[0].dev)
			return false;
	return syncfs(b->e[0].fd) == 0;
}

int file_batch_commit(struct file_batch *b)
{
	int rc = 0, *errs = b->n ? calloc(b->n, sizeof(*errs)) : NULL;

	/* every file on disk before the first is renamed: without the memory
	 * to say which failed, one at a time */
	if (errs && !batch_syncfs(b))
		for (size_t i = 0; i < b->n; i++)
			if (fsync(b->e[i].fd) < 0)
				errs[i] = errno;
	for (size_t i = 0; i < b->n; i++) {
		struct file_pending *e = &b->e[i];
		int err = errs ? errs[i] : 0;

		if (!errs && fsync(e->fd) < 0)
			err = errno;
		if (!err && rename(e->tmp, e->path) < 0)
			err = errno;
		if (err) {
			pending_fail(b, e, err);
			rc = MGMT_ERROR;
		} else {
			/* fsync succeeded: close has no write error left */
			close(e->fd);
			mgmt_info(e->res, "%s %s%s", e->done, e->path,
				  by_file(e->there, e->old));
		}
		free(e->tmp);
	}
	free(errs);
	b->n = 0;
	return rc;
}

/* Give `fd` (the temporary `tmp`, for `p`) to the batch: 0, or -ENOMEM
 * (nothing done: the caller puts it in place itself). */
static int batch_add(struct ctx *c, int fd, dev_t dev, const char *tmp,
		     const char *p, const char *there, bool old,
		     const char *done)
{
	struct file_batch *b = c->batch;
	size_t tl = strlen(tmp) + 1, pl = strlen(p) + 1;
	struct file_pending *e;
	char *mem;

	if (b->n >= b->max)
		file_batch_commit(b);
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		void *ne = realloc(b->e, cap * sizeof(*b->e));

		if (!ne)
			return -ENOMEM;
		b->e = ne;
		b->cap = cap;
	}
	mem = malloc(tl + pl);
	if (!mem)
		return -ENOMEM;
	memcpy(mem, tmp, tl);
	memcpy(mem + tl, p, pl);
	e = &b->e[b->n++];
	*e = (struct file_pending){ .fd = fd,
				    .dev = dev,
				    .member = c->member,
				    .res = c->res,
				    .f = c->f,
				    .done = done,
				    .there = there,
				    .old = old,
				    .tmp = mem,
				    .path = mem + tl };
	return 0;
}

/* Lock the new temporary `fd` for as long as it is open (file.h).  0, or
 * -EAGAIN when a sweep removed it before the lock was ours.  On a
 * filesystem without flock the sweep's lock fails too, and it keeps the
 * file: writing on without the lock is safe there. */
static int tmp_claim(int fd)
{
	struct stat st;

	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	if (fstat(fd, &st) < 0)
		return -errno;
	return st.st_nlink == 0 ? -EAGAIN : 0;
}

/* Create and lock the temporary for `p` in `tmp`: its descriptor, or
 * -errno.  Out of descriptors with files waiting in the batch, commits
 * them and tries again. */
static int tmp_open(struct ctx *c, const char *p, char *tmp, size_t size)
{
	const char *slash = strrchr(p, '/');
	size_t dlen = (size_t)(slash - p) + 1, blen = strlen(slash + 1);
	bool committed = false;
	int fd, rc;

	if (blen > FILE_TMP_NAME_MAX)
		blen = FILE_TMP_NAME_MAX;
	if (dlen + sizeof(FILE_TMP_PREFIX) + blen + 7 > size)
		return -ENAMETOOLONG;
	/* A sweep removes an unlocked temporary at most once: a few tries
	 * are plenty. */
	for (int tries = 0;; tries++) {
		snprintf(tmp, size, "%.*s%s%.*s.XXXXXX", (int)dlen, p,
			 FILE_TMP_PREFIX, (int)blen, slash + 1);
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE) &&
		    !committed && c->batch && c->batch->n) {
			file_batch_commit(c->batch);
			committed = true;
			tries--;
			continue;
		}
		if (fd < 0)
			return -errno;
		rc = tmp_claim(fd);
		if (rc == 0)
			return fd;
		if (rc != -EAGAIN)
			unlink(tmp);
		close(fd);
		if (rc != -EAGAIN || tries == 2) {
			file_tmp_failed(c->f);
			return rc;
		}
	}
}

int file_write(struct ctx *c, const char *p, const struct stat *old,
	       const struct want *w, const char *there, bool rm_dir,
	       const char *done, bool *dchg)
{
	char tmp[PATH_MAX];
	struct stat ts;
	uid_t uid = w->uid;
	gid_t gid = w->gid;
	bool src_failed = false;
	int fd, rc;
	mode_t mode = w->mode >= 0 ? (mode_t)w->mode :
		      old          ? old->st_mode & 07777 :
				     0644;

	fd = tmp_open(c, p, tmp, sizeof(tmp));
	if (fd < 0) {
		rc = fd;
		goto fail_early;
	}
	if (w->srcfd >= 0)
		rc = file_copy_source(fd, w, &src_failed);
	else
		rc = file_write_full(fd, w->content ? w->content : "",
				     w->content ? strlen(w->content) : 0);
	if (rc < 0)
		goto fail;
	/* An unmanaged owner stays the old file's, where we may set it. */
	if (old && uid == NOT_OWNED)
		uid = old->st_uid;
	if (old && gid == NOT_GROUPED)
		gid = old->st_gid;
	if (fstat(fd, &ts) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((uid != NOT_OWNED && uid != ts.st_uid) ||
	    (gid != NOT_GROUPED && gid != ts.st_gid)) {
		if (fchown(fd, uid, gid) < 0 &&
		    (w->uid != NOT_OWNED || w->gid != NOT_GROUPED ||
		     errno != EPERM)) {
			rc = -errno;
			goto fail;
		}
	}
	if (fchmod(fd, mode) < 0) {
		rc = -errno;
		goto fail;
	}
	/* a directory in the way goes only once its replacement is on disk:
	 * that one is put in place at once */
	if (!rm_dir && c->batch &&
	    batch_add(c, fd, ts.st_dev, tmp, p, there, old != NULL, done) ==
		    0) {
		*dchg = true;
		return MGMT_CHANGED;
	}
	if (fsync(fd) < 0) {
		rc = -errno;
		goto fail;
	}
	if (rm_dir) {
		rc = file_rm_tree_at(AT_FDCWD, p);
		if (rc < 0) {
			unlink(tmp);
			close(fd);
			file_tmp_failed(c->f);
			mgmt_error(c->res,
				   "cannot remove the directory %s to replace "
				   "it by a file: %s; some of it may be gone",
				   p, strerror(-rc));
			return MGMT_ERROR;
		}
	}
	if (rename(tmp, p) < 0) {
		rc = -errno;
		goto fail;
	}
	/* Closed (and unlocked) only now that the temporary has its final
	 * name.  fsync succeeded, so close has no write error left to
	 * report. */
	close(fd);
	*dchg = true;
	mgmt_info(c->res, "%s %s%s", done, p, by_file(there, old != NULL));
	return MGMT_CHANGED;

fail:
	/* removed before it is unlocked: no sweep ever races us for it */
	unlink(tmp);
	close(fd);
	file_tmp_failed(c->f);
fail_early:
	if (src_failed)
		mgmt_error(c->res,
			   "cannot read the source %s: %s; %s is unchanged",
			   w->srcpath, strerror(-rc), p);
	else
		mgmt_error(c->res, "cannot write %s: %s; %s%s%s", p,
			   strerror(-rc), there ? there : "nothing was created",
			   there ? " is unchanged" : "", file_hint(-rc));
	return MGMT_ERROR;
}

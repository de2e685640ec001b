/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tmp.c - the file kind's sweep of stale temporary files: those apply.c
 * was writing when the engine was killed, which nothing else would ever
 * remove.
 *
 * An engine killed while apply.c writes leaves its temporary files
 * (".mgmt-NAME.XXXXXX", file.h) behind.  The first check of a directory in
 * a run of the engine, and the first after a write there failed, sweeps it
 * once: a file is removed only when its name is that pattern with NAME one
 * of the managed paths of that directory (cut as apply.c cuts it), it is a
 * regular file with one link owned by the engine's euid (never a
 * directory, a symlink, someone else's file), and nobody holds its lock.
 * The random part of the name tells nothing about who wrote it, and a pid
 * in the name would not tell a live writer in another pid namespace, nor a
 * reused pid, from a dead one; the lock does, across engines and within
 * this one (a group member writing in the same directory at that moment
 * holds it).  The lock is flock, which the kernel drops when its holder
 * dies.  Converged checks cost one atomic load: the names of each
 * directory are registered at init (loop thread) in a table under one
 * mutex, which the sweep, on a worker, asks only about names that match
 * the pattern.  Noop mode sweeps nothing (file.c's check_apply calls the
 * sweep only when it applies).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* A directory holding managed files, and their temporaries' NAMEs. */
struct tmp_dir {
	struct hlink link; /* in tmp.dirs, by path */
	struct htab names; /* struct file's tlink, by NAME */
	atomic_bool swept; /* in this run, since its last failed write */
	size_t len;
	char path[]; /* with its trailing '/' */
};

static struct {
	pthread_mutex_t lock; /* dirs, and the names of each */
	struct htab dirs;
} tmp = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The NAME in the temporaries of f, and its length. */
static size_t tmp_key(const struct file *f, const char **name)
{
	size_t len = strlen(f->path + f->dir_len);

	*name = f->path + f->dir_len;
	return len < FILE_TMP_NAME_MAX ? len : FILE_TMP_NAME_MAX;
}

/* Register f's NAME in its directory's record.  Loop thread (init). */
int file_tmp_register(struct file *f)
{
	size_t h = hash_str(f->dir, f->dir_len), klen;
	struct tmp_dir *d = NULL;
	const char *name;
	int rc = 0;

	klen = tmp_key(f, &name);
	pthread_mutex_lock(&tmp.lock);
	for (struct hlink *l = ht_first(&tmp.dirs, h); l && !d; l = l->next) {
		struct tmp_dir *x = container_of(l, struct tmp_dir, link);

		if (l->hash == h && x->len == f->dir_len &&
		    !memcmp(x->path, f->dir, x->len))
			d = x;
	}
	if (!d) {
		d = calloc(1, sizeof(*d) + f->dir_len + 1);
		if (!d || ht_insert(&tmp.dirs, &d->link, h) < 0) {
			free(d);
			rc = -ENOMEM;
			goto out;
		}
		memcpy(d->path, f->dir, f->dir_len);
		d->len = f->dir_len;
	}
	if (ht_insert(&d->names, &f->tlink, hash_str(name, klen)) < 0) {
		if (!d->names.n) {
			ht_remove(&tmp.dirs, &d->link);
			free(d);
		}
		rc = -ENOMEM;
		goto out;
	}
	/* A name new to a directory swept already (a reload added it): its
	 * temporaries are looked for too. */
	atomic_store(&d->swept, false);
	f->tdir = d;
out:
	pthread_mutex_unlock(&tmp.lock);
	return rc;
}

/* Loop thread (cleanup).  A sweep running meanwhile is for a resource of
 * the same directory, whose registration keeps the record alive. */
void file_tmp_unregister(struct file *f)
{
	struct tmp_dir *d = f->tdir;

	if (!d)
		return;
	pthread_mutex_lock(&tmp.lock);
	ht_remove(&d->names, &f->tlink);
	if (!d->names.n) {
		ht_remove(&tmp.dirs, &d->link);
		free(d);
	}
	pthread_mutex_unlock(&tmp.lock);
	f->tdir = NULL;
}

void file_tmp_failed(struct file *f)
{
	if (f && f->tdir)
		atomic_store(&f->tdir->swept, false);
}

/* Is `name` FILE_TMP_PREFIX NAME ".XXXXXX"?  *klen: the length of NAME. */
static bool tmp_is_name(const char *name, size_t *klen)
{
	const size_t plen = sizeof(FILE_TMP_PREFIX) - 1;
	size_t len = strlen(name);

	if (len < plen + 1 + 7 || memcmp(name, FILE_TMP_PREFIX, plen) != 0 ||
	    name[len - 7] != '.')
		return false;
	for (size_t i = len - 6; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	*klen = len - 7 - plen;
	return true;
}

/* Is NAME (`klen` bytes at `key`) the NAME of a managed path of d? */
static bool tmp_known(struct tmp_dir *d, const char *key, size_t klen)
{
	size_t h = hash_str(key, klen);
	bool found = false;

	pthread_mutex_lock(&tmp.lock);
	for (struct hlink *l = ht_first(&d->names, h); l && !found;
	     l = l->next) {
		const struct file *f = container_of(l, struct file, tlink);
		const char *name;

		found = l->hash == h && tmp_key(f, &name) == klen &&
			!memcmp(name, key, klen);
	}
	pthread_mutex_unlock(&tmp.lock);
	return found;
}

/* Remove the temporary `name` in `dfd` if it is stale.  1 removed, 0 kept
 * (not ours, or being written), or -errno. */
static int tmp_remove_stale(int dfd, const char *name)
{
	const int flags = O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat st, fst;
	int fd, r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1)
		return 0;
	/* flock needs a descriptor; a final mode of 0200 only opens so */
	fd = openat(dfd, name, O_RDONLY | flags);
	if (fd < 0 && errno == EACCES)
		fd = openat(dfd, name, O_WRONLY | flags);
	if (fd < 0)
		return 0; /* gone, or swapped for a symlink: not ours */
	r = 0;
	if (fstat(fd, &fst) == 0 && fst.st_ino == st.st_ino &&
	    fst.st_dev == st.st_dev && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    /* stale: its writer would rename it only while holding the
	     * lock, so if the name still leads to it, it does until unlinked */
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_ino == fst.st_ino && st.st_dev == fst.st_dev) {
		if (unlinkat(dfd, name, 0) == 0)
			r = 1;
		else if (errno != ENOENT)
			r = -errno;
	}
	close(fd);
	return r;
}

/* The first check of f's directory in this run, or the first after a
 * write there failed: remove the stale temporaries of its managed paths.
 * Worker thread. */
void file_tmp_sweep(mgmt_res *res, struct file *f)
{
	struct tmp_dir *d = f->tdir;
	size_t removed = 0;
	struct dirent *e;
	bool warned = false;
	DIR *dir;

	if (!d || atomic_load_explicit(&d->swept, memory_order_relaxed) ||
	    atomic_exchange(&d->swept, true))
		return;
	dir = opendir(d->path);
	if (!dir) {
		if (errno != ENOENT && errno != ENOTDIR)
			mgmt_warn(res,
				  "cannot look for stale temporary files in "
				  "%s: %s; they stay until the next run",
				  d->path, strerror(errno));
		return;
	}
	while ((e = readdir(dir))) {
		size_t klen;
		int r;

		if ((e->d_type != DT_REG && e->d_type != DT_UNKNOWN) ||
		    !tmp_is_name(e->d_name, &klen) ||
		    !tmp_known(d, e->d_name + sizeof(FILE_TMP_PREFIX) - 1,
			       klen))
			continue;
		r = tmp_remove_stale(dirfd(dir), e->d_name);
		if (r > 0) {
			removed++;
		} else if (r < 0 && !warned) {
			warned = true;
			mgmt_warn(res,
				  "cannot remove the stale temporary file "
				  "%s%s: %s; remove it by hand",
				  d->path, e->d_name, strerror(-r));
		}
	}
	closedir(dir);
	if (removed)
		mgmt_info(res,
			  "removed %zu stale temporary file%s (%s*) left in "
			  "%s by an interrupted write",
			  removed, removed == 1 ? "" : "s", FILE_TMP_PREFIX,
			  d->path);
}

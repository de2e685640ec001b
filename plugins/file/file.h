/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * file.h - the file resource plugin's internal interface, shared by its
 * parts: file.c (schema, validate and hooks), group.c (the check_apply of
 * a group, its work split over threads when big), apply.c (check_apply of one path: compare, then fix atomically), write.c
 * (the atomic write, and the batch that puts a group's files in place
 * together), io.c (reading, comparing, copying, removing), watch.c (one
 * shared inotify for the kind) and tmp.c (the sweep of stale temporary
 * files).
 */
#ifndef PLUGINS_FILE_H
#define PLUGINS_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <mgmt/mgmt.h>

#include "htab.h"

enum file_state {
	FILE_EXISTS = 0,
	FILE_ABSENT = 1
};

struct fw_ent;
struct tmp_dir;

/* The per-resource struct: parameters (filled by the engine from the
 * schema), then runtime state. */
struct file {
	char *path;    /* absolute; a trailing '/' means a directory */
	char *content; /* NULL: content not managed */
	char *source;  /* a local file (or directory, with recurse) */
	int state;     /* enum file_state */
	int32_t mode;  /* -1: not managed */
	char *owner;   /* name or number; NULL: not managed */
	char *group;
	bool recurse;
	bool force;

	/* runtime, from validate/init */
	bool is_dir; /* path ends in '/' */
	uid_t uid;   /* valid when owner != NULL */
	gid_t gid;   /* valid when group != NULL */
	/* the directory holding it, with a trailing '/' (allocated by init,
	 * freed by cleanup) */
	char *dir;
	/* strlen(dir), set by validate: path[0..dir_len) is the directory,
	 * usable before init (group_cmp) */
	size_t dir_len;
	struct fw_ent *fw; /* watch.c's registration */
	/* tmp.c's record of `dir`, for the sweep of stale temporaries (NULL: a
	 * directory) */
	struct tmp_dir *tdir;
	struct hlink tlink; /* in tdir's names, keyed by the NAME below */
};

/* apply.c's temporary files are named FILE_TMP_PREFIX NAME ".XXXXXX" in the
 * file's own directory, NAME being the base name cut to FILE_TMP_NAME_MAX
 * bytes (so the whole fits NAME_MAX) and XXXXXX mkostemp's letters and
 * digits: watch.c ignores them.
 *
 * Their writer holds an flock (LOCK_EX) on each from just after creating it
 * until after it was renamed into place or removed, and once it holds the
 * lock checks that the file still has a name (else a sweep removed it
 * first: it starts over with a new one).  So a temporary that nobody holds
 * locked is stale: its writer died.  tmp.c's sweep removes those. */
#define FILE_TMP_PREFIX ".mgmt-"
#define FILE_TMP_NAME_MAX (NAME_MAX - (sizeof(FILE_TMP_PREFIX) - 1) - 7)

/* write.c: the new files of one check_apply, written to their locked
 * temporaries (writeback started) and waiting to be flushed and renamed
 * into place together (write.c says the order, and what a crash at each
 * step leaves).  A worker's own, for one check_apply. */
struct file_pending;
struct file_batch {
	struct file_pending *e;
	size_t n, cap;
	size_t max; /* files waiting at most (write.c: batch_max) */
	/* called by a commit for each member whose file it could not put in
	 * place (logged already) */
	void (*failed)(void *ctx, size_t member);
	void *ctx;
};

/* Files waiting at most: each holds a descriptor. */
#define FILE_BATCH_MAX 128

void file_batch_init(struct file_batch *b, void (*failed)(void *, size_t),
		     void *ctx);
/* fsync every waiting temporary, then rename each into place and close
 * it.  0, or MGMT_ERROR when one failed (logged, its temporary removed,
 * b->failed called).  The caller then flushes their directories. */
int file_batch_commit(struct file_batch *b);
/* Free a committed batch's memory. */
void file_batch_free(struct file_batch *b);

/* group.c: the kind's check_apply, of a group or of a file alone. */
int file_group_check_apply(mgmt_res *res, void *p, bool apply);

/* apply.c: check (and with `apply`, fix) one file, the `member`th of its
 * group.  Returns MGMT_CONVERGED, MGMT_CHANGED or MGMT_ERROR (after
 * logging one line).  With `batch`, a new file may wait there: it is in
 * place only once the batch was committed.  `dir_changed`: set to true
 * when a directory entry changed (or will, at the commit) and the caller
 * must fsync the directory (done once per directory for a group). */
int file_check_apply_one(mgmt_res *res, struct file *f, bool apply,
			 struct file_batch *batch, size_t member,
			 bool *dir_changed);

/* tmp.c: register f (a file, not a directory) with the record of its
 * directory, so that the sweep knows its temporaries' NAME.  Loop thread
 * (init).  0 or -ENOMEM. */
int file_tmp_register(struct file *f);
/* tmp.c: undo file_tmp_register; nothing when it was not done.  Loop
 * thread (cleanup). */
void file_tmp_unregister(struct file *f);
/* tmp.c: if f's directory was not swept in this run of the engine, or a
 * write there failed since, remove its stale temporaries, logging on
 * `res`.  Worker thread (check_apply, only when applying). */
void file_tmp_sweep(mgmt_res *res, struct file *f);
/* tmp.c: a write of `f` failed after creating its temporary file, which
 * may therefore remain: sweep f's directory again at its next check.  Any
 * thread. */
void file_tmp_failed(struct file *f);

/* watch.c: watch f->path and its ancestors for `res` (shared inotify, one
 * watch descriptor per directory).  Loop thread.  0 or <0. */
int fwatch_add(mgmt_res *res, struct file *f);
/* Stop watching for `res`.  Loop thread. */
void fwatch_remove(mgmt_res *res, struct file *f);
/* Watch descriptors in use (for logs and tests). */
size_t fwatch_count(void);

#endif /* PLUGINS_FILE_H */

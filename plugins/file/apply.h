/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * apply.h - what the parts of one file's check_apply share: apply.c
 * (compare, then decide), write.c (the atomic write and the batch that
 * puts a group's new files in place together) and io.c (reading,
 * comparing, copying and removing).
 */
#ifndef PLUGINS_FILE_APPLY_H
#define PLUGINS_FILE_APPLY_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "file.h"

#define NOT_OWNED ((uid_t)-1)
#define NOT_GROUPED ((gid_t)-1)

/* What one path should be. */
struct want {
	bool managed;        /* content (or source) is managed */
	const char *content; /* managed, from `content`; NULL with srcfd */
	int srcfd;           /* managed, from a source file; -1 otherwise */
	const char *srcpath; /* for messages */
	off_t srcsize;
	int mode;  /* -1: keep (or default) */
	uid_t uid; /* NOT_OWNED: not managed */
	gid_t gid; /* NOT_GROUPED: not managed */
};

/* One call: the resource, whether to change anything, and where new
 * files wait for their commit (NULL: each is put in place at once). */
struct ctx {
	mgmt_res *res;
	struct file *f;
	bool apply;
	struct file_batch *batch;
	size_t member; /* res's index in its group, for the batch */
};

/* io.c */
/* What to do about an error, as the end of its one line. */
const char *file_hint(int err);
/* Does the open regular file `fd` of `size` bytes hold what `w` wants?
 * 1 yes, 0 no, <0 -errno (*src_failed tells whose read failed). */
int file_same_content(int fd, off_t size, const struct want *w,
		      bool *src_failed);
/* Copy the source into `to`: 0 or -errno. */
int file_copy_source(int to, const struct want *w, bool *src_failed);
/* Write all of buf: 0 or -errno. */
int file_write_full(int fd, const char *buf, size_t n);
/* Remove the tree `name` (relative to `dfd`) without following symlinks.
 * 0 or -errno (the first failure; removal goes on past it). */
int file_rm_tree_at(int dfd, const char *name);

/* write.c: write what `w` wants to a temporary file next to `p` and put
 * it in place (with a batch: once the batch is committed).  `old`: what
 * is at `p` now when it is a regular file (its mode and owner are kept
 * unless managed), else NULL.  `there`: what is at `p`, for the message
 * ("the old file", or NULL: nothing).  `rm_dir`: a directory is at `p`;
 * it is removed once the new file is safely written.  `done`: the info
 * line's words before the path, logged once it is in place ("created";
 * " by a file" follows when `there` is not a file).
 * MGMT_CHANGED (and *dchg) or MGMT_ERROR, logged. */
int file_write(struct ctx *c, const char *p, const struct stat *old,
	       const struct want *w, const char *there, bool rm_dir,
	       const char *done, bool *dchg);

#endif /* PLUGINS_FILE_APPLY_H */

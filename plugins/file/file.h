/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * file.h - the file resource plugin's internal interface, shared by its
 * parts: file.c (schema, validate, hooks), apply.c (check_apply: compare,
 * then fix atomically) and watch.c (one shared inotify for the kind).
 */
#ifndef PLUGINS_FILE_H
#define PLUGINS_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <mgmt/mgmt.h>

enum file_state { FILE_EXISTS = 0, FILE_ABSENT = 1 };

struct fw_ent;

/* The per-resource struct: parameters (filled by the engine from the
 * schema), then runtime state. */
struct file {
	char *path;      /* absolute; a trailing '/' means a directory */
	char *content;   /* NULL: content not managed */
	char *source;    /* a local file (or directory, with recurse) */
	int state;       /* enum file_state */
	int32_t mode;    /* -1: not managed */
	char *owner;     /* name or number; NULL: not managed */
	char *group;
	bool recurse;
	bool force;

	/* runtime, from validate/init */
	bool is_dir;     /* path ends in '/' */
	uid_t uid;       /* valid when owner != NULL */
	gid_t gid;       /* valid when group != NULL */
	char *dir;       /* the directory holding it, with a trailing '/'
			  * (allocated by init, freed by cleanup) */
	size_t dir_len;  /* strlen(dir), set by validate: path[0..dir_len) is
			  * the directory, usable before init (group_cmp) */
	struct fw_ent *fw; /* watch.c's registration */
};

/* apply.c's temporary files are named FILE_TMP_PREFIX NAME ".XXXXXX" in the
 * file's own directory (NAME cut to fit NAME_MAX): watch.c ignores them. */
#define FILE_TMP_PREFIX ".mgmt-"

/* apply.c: check (and with `apply`, fix) one file.  Returns MGMT_CONVERGED,
 * MGMT_CHANGED or MGMT_ERROR (after logging one line).  `dir_changed`: set
 * to true when a directory entry changed and the caller must fsync the
 * directory (done once per directory for a group). */
int file_check_apply_one(mgmt_res *res, struct file *f, bool apply,
			 bool *dir_changed);

/* watch.c: watch f->path and its ancestors for `res` (shared inotify, one
 * watch descriptor per directory).  Loop thread.  0 or <0. */
int fwatch_add(mgmt_res *res, struct file *f);
/* Stop watching for `res`.  Loop thread. */
void fwatch_remove(mgmt_res *res, struct file *f);
/* Watch descriptors in use (for logs and tests). */
size_t fwatch_count(void);

#endif /* PLUGINS_FILE_H */

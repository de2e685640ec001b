/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * file.c - the file resource (mgmt's "file" kind): its schema, validation,
 * hooks and grouping.
 *
 * A path ending in '/' is a directory.  The work of comparing and fixing one
 * path is in apply.c (and write.c), the check_apply of a group in group.c,
 * watching in watch.c, and the sweep of the temporary files that an engine
 * killed while writing left behind in tmp.c (a check_apply that applies
 * sweeps its directory at its first member that is a file, not a
 * directory).  File resources in one directory may be grouped: the
 * leader's check_apply then handles every member in one pass, puts their
 * new files in place together and flushes the directory to disk once,
 * instead of once per file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"

/* Members checked between two looks at the stop signal; after a member
 * that wrote (an fsync each), also once STOP_SLOW_NS have passed. */
#define STOP_EVERY 64
#define STOP_SLOW_NS 5000000

static const char *const state_choices[] = { "exists", "absent", NULL };

static const struct mgmt_param file_params[] = {
	MGMT_PARAM(struct file, path, MGMT_PARAM_STRING, NULL,
		   MGMT_PARAM_REQUIRED,
		   "absolute path, without '.', '..' or '//'; a trailing '/' "
		   "means a directory.  A symlink at path is never followed: "
		   "it is replaced by the file or directory"),
	MGMT_PARAM(struct file, content, MGMT_PARAM_STRING, NULL, 0,
		   "the file's whole content, written atomically (temporary "
		   "file, fsync, rename); unset: content not managed"),
	MGMT_PARAM(struct file, source, MGMT_PARAM_STRING, NULL, 0,
		   "absolute path of a local file to copy (not with content); "
		   "for a directory with recurse, a directory to copy"),
	MGMT_PARAM_CHOICE(struct file, state, state_choices, "exists", 0,
			  "exists, or absent: remove a file or symlink (a "
			  "directory only with force)"),
	MGMT_PARAM(struct file, mode, MGMT_PARAM_MODE, NULL, 0,
		   "permission bits, octal (\"0644\"); unset: an existing "
		   "file's are kept, new files get 0644, directories 0755"),
	MGMT_PARAM(struct file, owner, MGMT_PARAM_STRING, NULL, 0,
		   "user name or numeric id; unset: not managed"),
	MGMT_PARAM(struct file, group, MGMT_PARAM_STRING, NULL, 0,
		   "group name or numeric id; unset: not managed"),
	MGMT_PARAM(struct file, recurse, MGMT_PARAM_BOOL, "false", 0,
		   "directory with source: copy the source tree into it "
		   "(missing and differing entries; extra entries are kept; "
		   "entries take the source's mode, and owner/group if set)"),
	MGMT_PARAM(struct file, force, MGMT_PARAM_BOOL, "false", 0,
		   "allow replacing a directory or special file by a file, a "
		   "file by a directory, and removing a directory tree"),
	MGMT_PARAM_END,
};

/* Where path's directory ends (its length with the trailing '/'). */
static size_t dir_len_of(const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	while (len > 0 && path[len - 1] != '/')
		len--;
	return len ? len : 1;
}

/* NULL when `path` is acceptable, else what is wrong with it. */
static const char *bad_path(const char *path)
{
	if (path[0] != '/')
		return "must be an absolute path (starting with '/')";
	if (strcmp(path, "/") == 0)
		return "cannot be '/' itself";
	if (strlen(path) >= PATH_MAX)
		return "is too long";
	for (const char *c = path; *c;) {
		size_t n;

		c++; /* past '/' */
		n = strcspn(c, "/");
		if (n == 0 && c[0] == '/')
			return "must not contain '//'";
		if ((n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return "must not contain '.' or '..' components";
		c += n;
	}
	return NULL;
}

/* An all-digits id, or -1. */
static long long numeric_id(const char *s)
{
	long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v >= (long long)UINT32_MAX) /* (uid_t)-1 means "none" */
			return -1;
	}
	return v;
}

/* Resolve owner (user true) or group to an id; report when it cannot. */
static int lookup_id(mgmt_res *res, const char *param, const char *name,
		     bool user, unsigned *id)
{
	long long num = numeric_id(name);
	long sz = sysconf(user ? _SC_GETPW_R_SIZE_MAX : _SC_GETGR_R_SIZE_MAX);
	size_t len = sz > 0 ? (size_t)sz : 16384;
	int err = 0;

	if (num >= 0) {
		*id = (unsigned)num;
		return 0;
	}
	for (;;) {
		char *buf = malloc(len);
		struct passwd pw, *pwp = NULL;
		struct group gr, *grp = NULL;

		if (!buf) {
			err = ENOMEM;
			break;
		}
		if (user)
			err = getpwnam_r(name, &pw, buf, len, &pwp);
		else
			err = getgrnam_r(name, &gr, buf, len, &grp);
		free(buf);
		if (err == ERANGE && len < (1u << 24)) {
			len *= 2;
			continue;
		}
		if (pwp || grp) {
			*id = user ? (unsigned)pw.pw_uid : (unsigned)gr.gr_gid;
			return 0;
		}
		break;
	}
	/* "not found" comes back as 0, ENOENT, ESRCH, EBADF or EPERM */
	if (err == 0 || err == ENOENT || err == ESRCH || err == EBADF ||
	    err == EPERM)
		mgmt_invalid(res, param, "unknown %s '%s'",
			     user ? "user" : "group", name);
	else
		mgmt_invalid(res, param, "cannot look up %s '%s': %s",
			     user ? "user" : "group", name, strerror(err));
	return -1;
}

static int file_validate(mgmt_res *res, void *p)
{
	struct file *f = p;
	const char *why = bad_path(f->path);
	int rc = 0;
	unsigned id;

	if (why) {
		mgmt_invalid(res, "path", "%s", why);
		return -1; /* the rest depends on a good path */
	}
	f->is_dir = f->path[strlen(f->path) - 1] == '/';
	f->dir_len = dir_len_of(f->path);

	if (f->content && f->source) {
		mgmt_invalid(res, "source",
			     "cannot be set together with "
			     "content: set one of them");
		rc = -1;
	}
	if (f->source && f->source[0] != '/') {
		mgmt_invalid(res, "source",
			     "must be an absolute path (starting with '/')");
		rc = -1;
	}
	if (f->state == FILE_ABSENT && (f->content || f->source)) {
		mgmt_invalid(res, f->content ? "content" : "source",
			     "contradicts state: absent; remove %s, or "
			     "state: absent",
			     f->content ? "content" : "source");
		rc = -1;
	}
	if (f->is_dir && f->content) {
		mgmt_invalid(res, "content",
			     "a directory (path ending in '/') has no "
			     "content; remove content, or the '/' at the "
			     "end of path for a file");
		rc = -1;
	}
	if (f->recurse && !f->is_dir) {
		mgmt_invalid(res, "recurse",
			     "only applies to a directory "
			     "(a path ending in '/')");
		rc = -1;
	} else if (f->recurse && !f->source) {
		mgmt_invalid(res, "recurse",
			     "needs source (the directory to copy)");
		rc = -1;
	} else if (f->is_dir && f->source && !f->recurse) {
		mgmt_invalid(res, "source",
			     "copying into a directory (path ending in '/') "
			     "needs recurse: true; set it, or remove source, "
			     "or the '/' at the end of path to copy a file");
		rc = -1;
	}
	if (f->mode > 07777) {
		mgmt_invalid(res, "mode", "%o is out of range (at most 7777)",
			     (unsigned)f->mode);
		rc = -1;
	}
	if (f->owner) {
		if (lookup_id(res, "owner", f->owner, true, &id) == 0)
			f->uid = (uid_t)id;
		else
			rc = -1;
	}
	if (f->group) {
		if (lookup_id(res, "group", f->group, false, &id) == 0)
			f->gid = (gid_t)id;
		else
			rc = -1;
	}
	return rc;
}

static int file_init(mgmt_res *res, void *p)
{
	struct file *f = p;

	if (!f->dir_len) { /* validate sets these; a harness may not */
		f->is_dir = f->path[strlen(f->path) - 1] == '/';
		f->dir_len = dir_len_of(f->path);
	}
	f->dir = strndup(f->path, f->dir_len);
	if (!f->dir || (!f->is_dir && file_tmp_register(f) < 0)) {
		mgmt_error(res, "out of memory");
		free(f->dir);
		f->dir = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void file_cleanup(mgmt_res *res, void *p)
{
	struct file *f = p;

	fwatch_remove(res, f);
	file_tmp_unregister(f);
	free(f->dir);
	f->dir = NULL;
}

static int file_watch(mgmt_res *res, void *p)
{
	return fwatch_add(res, p);
}

/* The path without a directory's trailing '/': a file and a directory at
 * one path are one thing on the machine, so they must have one uid and
 * conflict (mgmt/plugin.h).  The engine copies the uid before it calls
 * again, so one buffer does (loop thread only). */
static const char *file_uid(mgmt_res *res, void *p)
{
	static char buf[PATH_MAX];
	const char *path = ((struct file *)p)->path;
	size_t len = strlen(path);

	if (len < 2 || path[len - 1] != '/' || len > sizeof(buf))
		return path;
	memcpy(buf, path, len - 1);
	buf[len - 1] = '\0';
	return buf;
}

/* After the resource managing each ancestor directory: the nearest one
 * that exists in the graph is enough, it comes after the ones above.
 * Each is named by its uid (file_uid), without the trailing '/'; "/"
 * itself is never a resource (validate). */
static void file_autoedges(mgmt_res *res, void *p, mgmt_autoedge_cb add,
			   void *ctx)
{
	struct file *f = p;
	char buf[PATH_MAX];
	size_t len = f->dir_len ? f->dir_len : dir_len_of(f->path);

	if (len >= sizeof(buf))
		return;
	memcpy(buf, f->path, len);
	while (len > 1) {
		buf[--len] = '\0'; /* the directory's '/' */
		if (add(ctx, MGMT_EDGE_AFTER, "file", buf) > 0)
			return;
		while (len > 0 && buf[len - 1] != '/')
			len--;
	}
}

static bool file_group_cmp(mgmt_res *leader, void *lp, mgmt_res *other,
			   void *op)
{
	const struct file *a = lp, *b = op;
	size_t la = a->dir_len ? a->dir_len : dir_len_of(a->path);
	size_t lb = b->dir_len ? b->dir_len : dir_len_of(b->path);

	return !a->recurse && !b->recurse && la == lb &&
	       memcmp(a->path, b->path, la) == 0;
}

/* Files group by directory: the engine need only compare those of one. */
static size_t file_group_key(mgmt_res *res, void *p, const char **key)
{
	const struct file *f = p;

	*key = f->path;
	return f->dir_len ? f->dir_len : dir_len_of(f->path);
}

static int file_group(mgmt_res *leader, void *lp, mgmt_res *member, void *mp)
{
	return 0; /* the engine keeps the members; check_apply asks for them */
}

/* A file collected from another host keeps its base name and moves into
 * the collect pattern's directory, as mgmt's FileRes.CollectPattern does:
 * host A's /tmp/mgmtA/f3a collected with pattern /tmp/mgmtB/ is
 * /tmp/mgmtB/f3a.  Validate runs afterwards on the new path. */
static int file_collect(mgmt_res *res, void *p, const char *pattern)
{
	struct file *f = p;
	size_t plen = strlen(pattern), slash, blen;
	const char *base;
	char *path;

	if (plen == 0)
		return 0;
	base = f->path + dir_len_of(f->path);
	blen = strlen(base);
	slash = pattern[plen - 1] != '/';
	path = malloc(plen + slash + blen + 1);
	if (!path)
		return -1;
	memcpy(path, pattern, plen);
	path[plen] = '/';
	memcpy(path + plen + slash, base, blen + 1);
	free(f->path); /* see kind->collect: the engine frees it with free */
	f->path = path;
	return 0;
}

static const struct mgmt_kind file_kind = {
	MGMT_KIND_HEADER,
	.name = "file",
	.doc = "a file or directory: content, mode, owner; written atomically",
	.params = file_params,
	.params_size = sizeof(struct file),
	.validate = file_validate,
	.init = file_init,
	.cleanup = file_cleanup,
	.watch = file_watch,
	.check_apply = file_group_check_apply,
	.group_cmp = file_group_cmp,
	.group_key = file_group_key,
	.group = file_group,
	.uid = file_uid,
	.autoedges = file_autoedges,
	.collect = file_collect,
};

static const struct mgmt_kind *const file_kinds[] = { &file_kind, NULL };

MGMT_PLUGIN_DEFINE("file", PACKAGE_VERSION, "the file resource", file_kinds,
		   NULL, NULL);

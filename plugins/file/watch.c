/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * watch.c - the file kind's watch: one inotify instance for every file
 * resource of the engine, and one watch descriptor per directory however
 * many managed files it holds (10,000 files in one directory: one wd).
 *
 * Every resource path /a/b/c is a chain of directories "/", "/a", "/a/b",
 * each interested in one child name ("a", "b", "c").  Directories are nodes
 * of one tree, found by path in a hash; each node has a hash of child names,
 * and a child name holds the resources at that path (leaves) and the node of
 * the subdirectory when some chain goes through it.  A node is watched while
 * it exists; one whose parent does not exist is not tried, so a missing path
 * is watched from its nearest existing ancestor.  When a directory on a
 * chain is created, deleted or renamed (an event naming it in its parent, or
 * its own DELETE_SELF/MOVE_SELF/IGNORED), every node below it is armed again
 * (inotify_add_watch by path: a new inode gets a new wd, a vanished one
 * loses its wd) and every resource below it is marked dirty.  A queue
 * overflow does the same from "/".
 *
 * Masks.  Every node: create/delete/move of children and of itself.  A node
 * holding resources also gets CLOSE_WRITE, MODIFY and ATTRIB.  A directory
 * resource /a/b/ needs no watch of its own for chmod/chown: the kernel
 * reports ATTRIB of a subdirectory to its parent's watch with the child's
 * name (inotify(7): events marked (*) occur for the directory and for objects
 * inside it), so the watch of /a that exists anyway sees it, and a watch of
 * /a/b itself would only add one wd per directory resource and a wake-up for
 * every chmod of every unmanaged file in it.  Only "/" as a resource (no
 * parent) and `recurse` directories (whose children are their business) are
 * interested in the directory itself: any event in it, and ATTRIB of it.
 * Masks are merged with IN_MASK_ADD, so two paths that name one inode (a
 * symlinked or ".." component: nodes sharing a wd) never clobber each
 * other's bits; a wd's mask therefore only grows until the wd is removed,
 * which costs at most some filtered events after a reload.
 *
 * Own writes.  apply.c writes a temporary file named ".mgmt-..." and renames
 * it over the path: only the final IN_MOVED_TO names a managed file, so one
 * re-run follows, finds the file right, writes nothing, and no event comes
 * of it.  Reading a file raises no event in our mask.
 *
 * All of this runs on the loop thread (the watch and cleanup hooks and the
 * fd callback) and never blocks: inotify calls return at once.  Resources
 * to mark dirty are collected over a whole read and marked shallowest first,
 * so a directory is dirty before the files in it (they wait for it).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "file.h"
#include "htab.h"
#include "util/grow.h"

#ifndef FILE_TMP_PREFIX
#define FILE_TMP_PREFIX ".mgmt-" /* apply.c's temporary files */
#endif
#define FW_STRUCT (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
#define FW_SELF (IN_DELETE_SELF | IN_MOVE_SELF)
#define FW_CONTENT (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB)
#define FW_FLAGS (IN_ONLYDIR | IN_EXCL_UNLINK | IN_MASK_ADD)
#define FW_MAX_ALIAS 16 /* nodes sharing one wd handled per event */

struct fw_dir;

/* One watch descriptor, and the nodes whose path resolves to its inode. */
struct fw_wd {
	struct hlink link;
	int wd;
	struct fw_dir *dirs;
};

/* A name in a directory that something is interested in. */
struct fw_child {
	struct hlink link;
	struct fw_dir *dir;    /* the subdirectory node, if a chain goes on */
	struct fw_ent *leaves; /* resources whose path this is */
	size_t len;
	char name[];
};

struct fw_dir {
	struct hlink link; /* in fw.dirs, by path */
	struct fw_dir *parent;
	struct fw_child *entry; /* its name in the parent; NULL for "/" */
	struct htab children;
	struct fw_ent *self; /* interested in any event in or of it */
	size_t nleaf;        /* children that hold resources */
	struct fw_wd *w;     /* NULL: not watched */
	struct fw_dir *w_next;
	int err;     /* why it is not watched */
	bool warned; /* about err */
	size_t len;
	char path[];
};

/* One resource's registration (struct file's `fw`). */
struct fw_ent {
	mgmt_res *res;
	struct fw_dir *dir;     /* the directory holding the path */
	struct fw_child *child; /* the path's name in it; NULL for "/" */
	struct fw_ent *next, **pprev;
	struct fw_dir *sdir; /* the path's own node, when on its `self` list */
	struct fw_ent *snext, **spprev;
	unsigned depth;
	bool pending;
};

static struct {
	int fd;
	mgmt_watch *watch;
	struct htab dirs; /* path -> struct fw_dir */
	struct htab wds;  /* wd -> struct fw_wd */
	struct fw_dir *root;
	size_t nent;
	struct fw_ent **pend; /* to mark dirty at the end of a read */
	size_t npend, pend_cap;
	bool logged;
} fw = { .fd = -1 };

/* ---- watch descriptors ---- */

static bool is_missing(int err)
{
	return err == ENOENT || err == ENOTDIR || err == ELOOP;
}

static struct fw_wd *wd_find(int wd)
{
	size_t h = hash_int(wd);

	for (struct hlink *l = ht_first(&fw.wds, h); l; l = l->next) {
		struct fw_wd *w = container_of(l, struct fw_wd, link);

		if (l->hash == h && w->wd == wd)
			return w;
	}
	return NULL;
}

/* `kernel_gone`: the kernel already dropped the wd (IN_IGNORED). */
static void wd_detach(struct fw_dir *d, bool kernel_gone)
{
	struct fw_wd *w = d->w;

	for (struct fw_dir **pp = &w->dirs; *pp; pp = &(*pp)->w_next) {
		if (*pp == d) {
			*pp = d->w_next;
			break;
		}
	}
	d->w = NULL;
	d->w_next = NULL;
	if (w->dirs)
		return;
	/* EINVAL when the inode went and the kernel removed it first. */
	if (!kernel_gone)
		inotify_rm_watch(fw.fd, w->wd);
	ht_remove(&fw.wds, &w->link);
	free(w);
}

static int wd_attach(struct fw_dir *d, int wd)
{
	struct fw_wd *w = wd_find(wd);

	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w || ht_insert(&fw.wds, &w->link, hash_int(wd)) < 0) {
			free(w);
			inotify_rm_watch(fw.fd, wd);
			return -ENOMEM;
		}
		w->wd = wd;
	}
	d->w = w;
	d->w_next = w->dirs;
	w->dirs = d;
	return 0;
}

static uint32_t dir_mask(const struct fw_dir *d)
{
	uint32_t m = FW_STRUCT | FW_SELF;

	if (d->nleaf || d->self)
		m |= FW_CONTENT;
	return m;
}

/* Watch `d` as its path is now: the same inode keeps its wd, another inode
 * gets another, a missing path none. */
static void arm(struct fw_dir *d)
{
	int wd, err;

	if (d->parent && !d->parent->w && is_missing(d->parent->err)) {
		wd = -1;
		err = d->parent->err;
	} else {
		wd = inotify_add_watch(fw.fd, d->path, dir_mask(d) | FW_FLAGS);
		err = errno;
	}
	if (wd >= 0 && d->w && d->w->wd == wd) {
		d->err = 0;
		return;
	}
	if (d->w)
		wd_detach(d, false);
	if (wd >= 0) {
		err = -wd_attach(d, wd);
		if (!err) {
			d->err = 0;
			d->warned = false;
			return;
		}
	}
	d->err = err;
	if (!is_missing(err) && !d->warned) {
		d->warned = true;
		mgmt_warn(NULL, "cannot watch %s: %s%s", d->path, strerror(err),
			  err == ENOSPC ? " (the limit is "
					  "fs.inotify.max_user_watches)" :
					  "");
	}
}

/* ---- the tree of directories ---- */

static struct fw_child *child_find(const struct fw_dir *d, const char *name,
				   size_t len)
{
	size_t h = hash_str(name, len);

	for (struct hlink *l = ht_first(&d->children, h); l; l = l->next) {
		struct fw_child *c = container_of(l, struct fw_child, link);

		if (l->hash == h && c->len == len &&
		    !memcmp(c->name, name, len))
			return c;
	}
	return NULL;
}

static struct fw_child *child_get(struct fw_dir *d, const char *name,
				  size_t len)
{
	struct fw_child *c = child_find(d, name, len);

	if (c)
		return c;
	c = calloc(1, sizeof(*c) + len + 1);
	if (!c)
		return NULL;
	memcpy(c->name, name, len);
	c->len = len;
	if (ht_insert(&d->children, &c->link, hash_str(name, len)) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static struct fw_dir *dir_find(const char *path, size_t len)
{
	size_t h = hash_str(path, len);

	for (struct hlink *l = ht_first(&fw.dirs, h); l; l = l->next) {
		struct fw_dir *d = container_of(l, struct fw_dir, link);

		if (l->hash == h && d->len == len &&
		    !memcmp(d->path, path, len))
			return d;
	}
	return NULL;
}

static void child_put(struct fw_dir *d, struct fw_child *c);

/* Free `d` once nothing needs it any more, and its parent after it. */
static void dir_put(struct fw_dir *d)
{
	if (d->children.n || d->self)
		return;
	if (d->w)
		wd_detach(d, false);
	ht_remove(&fw.dirs, &d->link);
	if (d == fw.root)
		fw.root = NULL;
	if (d->entry) {
		d->entry->dir = NULL;
		child_put(d->parent, d->entry);
	}
	free(d);
}

static void child_put(struct fw_dir *d, struct fw_child *c)
{
	if (c->dir || c->leaves)
		return;
	ht_remove(&d->children, &c->link);
	free(c);
	dir_put(d);
}

/* The node of normalized `path` ("/" or "/a/b", no trailing slash), made
 * with its ancestors if need be, and armed. */
static struct fw_dir *dir_get(const char *path, size_t len)
{
	struct fw_dir *d = dir_find(path, len), *parent = NULL;
	struct fw_child *c = NULL;
	size_t plen = len;

	if (d)
		return d;
	if (len > 1) {
		while (plen > 0 && path[plen - 1] != '/')
			plen--;
		parent = dir_get(path, plen > 1 ? plen - 1 : 1);
		if (!parent)
			return NULL;
		c = child_get(parent, path + plen, len - plen);
		if (!c) {
			dir_put(parent);
			return NULL;
		}
	}
	d = calloc(1, sizeof(*d) + len + 1);
	if (!d || ht_insert(&fw.dirs, &d->link, hash_str(path, len)) < 0) {
		free(d);
		if (c)
			child_put(parent, c);
		return NULL;
	}
	memcpy(d->path, path, len);
	d->len = len;
	d->parent = parent;
	d->entry = c;
	if (c)
		c->dir = d;
	else
		fw.root = d;
	arm(d);
	return d;
}

/* ---- events ---- */

static void pend(struct fw_ent *e)
{
	if (e->pending)
		return;
	if (GROW(fw.pend, fw.pend_cap, fw.npend + 1, 64) < 0) {
		mgmt_dirty(e->res); /* out of order beats lost */
		return;
	}
	e->pending = true;
	fw.pend[fw.npend++] = e;
}

static void pend_self(struct fw_dir *d)
{
	for (struct fw_ent *e = d->self; e; e = e->snext)
		pend(e);
}

static void pend_leaves(struct fw_child *c)
{
	for (struct fw_ent *e = c->leaves; e; e = e->next)
		pend(e);
}

/* `d` may be another directory now, or gone: arm it and everything below
 * it again, and check every resource below it. */
static void subtree_changed(struct fw_dir *d)
{
	arm(d);
	pend_self(d);
	for (size_t i = 0; i < d->children.nb; i++) {
		for (struct hlink *l = d->children.b[i]; l; l = l->next) {
			struct fw_child *c =
				container_of(l, struct fw_child, link);

			pend_leaves(c);
			if (c->dir)
				subtree_changed(c->dir);
		}
	}
}

static bool is_temp(const char *name)
{
	return !strncmp(name, FILE_TMP_PREFIX, sizeof(FILE_TMP_PREFIX) - 1);
}

static void on_dir_event(struct fw_dir *d, const struct inotify_event *ev)
{
	struct fw_child *c;

	if (!ev->len) {
		if (ev->mask & (FW_SELF | IN_UNMOUNT | IN_IGNORED))
			subtree_changed(d);
		else
			pend_self(d);
		return;
	}
	c = child_find(d, ev->name, strlen(ev->name));
	if (c) {
		pend_leaves(c);
		if (c->dir && (ev->mask & FW_STRUCT))
			subtree_changed(c->dir);
	}
	if (d->self && !is_temp(ev->name))
		pend_self(d);
}

static void on_event(const struct inotify_event *ev)
{
	struct fw_dir *ds[FW_MAX_ALIAS];
	struct fw_wd *w;
	int n = 0;

	if (ev->mask & IN_Q_OVERFLOW) {
		mgmt_warn(NULL, "inotify queue overflowed: checking every "
				"file again");
		if (fw.root)
			subtree_changed(fw.root);
		return;
	}
	w = wd_find(ev->wd);
	if (!w)
		return; /* a wd we removed: its last events are stale */
	/* Arming may detach nodes from this wd and free it: copy first. */
	for (struct fw_dir *d = w->dirs; d && n < FW_MAX_ALIAS; d = d->w_next)
		ds[n++] = d;
	if (ev->mask & IN_IGNORED)
		for (int i = 0; i < n; i++)
			wd_detach(ds[i], true);
	for (int i = 0; i < n; i++)
		on_dir_event(ds[i], ev);
}

static int cmp_depth(const void *a, const void *b)
{
	const struct fw_ent *x = *(struct fw_ent *const *)a;
	const struct fw_ent *y = *(struct fw_ent *const *)b;

	return (x->depth > y->depth) - (x->depth < y->depth);
}

static void flush(void)
{
	if (!fw.npend)
		return;
	qsort(fw.pend, fw.npend, sizeof(*fw.pend), cmp_depth);
	for (size_t i = 0; i < fw.npend; i++) {
		fw.pend[i]->pending = false;
		mgmt_dirty(fw.pend[i]->res);
	}
	fw.npend = 0;
}

static void on_inotify(mgmt_res *res, int fd, unsigned revents, void *data)
{
	static char buf[65536]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	/* A bounded number of reads, so a flood cannot starve the loop:
	 * libev calls again while the fd stays readable. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN)
				mgmt_error(NULL, "reading inotify events: %s",
					   strerror(errno));
			break;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			on_event(ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	flush();
}

/* ---- the interface ---- */

static int fw_open(void)
{
	fw.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fw.fd < 0) {
		int err = errno;

		mgmt_error(NULL, "cannot create an inotify instance: %s%s",
			   strerror(err),
			   err == EMFILE ? " (the limit is "
					   "fs.inotify.max_user_instances)" :
					   "");
		return -err;
	}
	fw.watch = mgmt_host->watch_fd(NULL, fw.fd, MGMT_WATCH_READ, on_inotify,
				       NULL);
	if (!fw.watch) {
		int err = errno ? errno : ENOMEM;

		mgmt_error(NULL, "cannot watch the inotify fd: %s",
			   strerror(err));
		close(fw.fd);
		fw.fd = -1;
		return -err;
	}
	if (!fw.logged) {
		fw.logged = true;
		mgmt_info(NULL, "watching files with inotify (one watch per "
				"directory)");
	}
	return 0;
}

static void fw_close(void)
{
	mgmt_host->unwatch(fw.watch);
	fw.watch = NULL;
	close(fw.fd);
	fw.fd = -1;
	free(fw.pend);
	fw.pend = NULL;
	fw.npend = fw.pend_cap = 0;
}

/* "/a//b/./c/" -> "/a/b/c", "/" -> "/"; `out` holds strlen(in) + 2.  ".."
 * stays a name: the kernel resolves it as it resolves the path itself. */
static size_t path_norm(const char *in, char *out, unsigned *depth)
{
	size_t n = 0;

	*depth = 0;
	while (*in) {
		size_t len;

		while (*in == '/')
			in++;
		len = strcspn(in, "/");
		if (len && !(len == 1 && in[0] == '.')) {
			out[n++] = '/';
			memcpy(out + n, in, len);
			n += len;
			++*depth;
		}
		in += len;
	}
	if (!n)
		out[n++] = '/';
	out[n] = '\0';
	return n;
}

static void ent_unlink(struct fw_ent *e)
{
	if (e->sdir) {
		*e->spprev = e->snext;
		if (e->snext)
			e->snext->spprev = e->spprev;
		dir_put(e->sdir);
	}
	if (e->child) {
		*e->pprev = e->next;
		if (e->next)
			e->next->pprev = e->pprev;
		if (!e->child->leaves)
			e->dir->nleaf--;
		child_put(e->dir, e->child);
	}
}

static void self_add(struct fw_ent *e, struct fw_dir *d)
{
	bool grow = !d->self && !d->nleaf;

	e->sdir = d;
	e->snext = d->self;
	if (d->self)
		d->self->spprev = &e->snext;
	e->spprev = &d->self;
	d->self = e;
	if (grow)
		arm(d); /* add the content bits */
}

/* Can events reach `d`: is it, or its nearest existing ancestor, watched? */
static int reachable(const struct fw_dir *d)
{
	for (; d; d = d->parent) {
		if (d->w)
			return 0;
		if (!is_missing(d->err))
			return -d->err;
	}
	return -ENOENT; /* not even "/" */
}

int fwatch_add(mgmt_res *res, struct file *f)
{
	size_t plen = f->path ? strlen(f->path) : 0;
	char *p;
	struct fw_ent *e;
	struct fw_dir *d = NULL;
	unsigned depth;
	size_t len, k;
	int r = -ENOMEM;

	if (!plen || f->path[0] != '/')
		return -EINVAL;
	if (f->fw)
		return 0;
	if (fw.fd < 0 && (r = fw_open()) < 0)
		return r;
	r = -ENOMEM;
	p = malloc(plen + 2);
	e = calloc(1, sizeof(*e));
	if (!p || !e)
		goto fail;
	e->res = res;
	len = path_norm(f->path, p, &depth);
	e->depth = depth;
	if (len == 1) {
		/* "/" itself: nothing holds it, so it watches itself */
		d = dir_get(p, len);
		if (!d)
			goto fail;
		self_add(e, d);
	} else {
		struct fw_child *c;

		for (k = len; p[k - 1] != '/'; k--)
			;
		d = dir_get(p, k > 1 ? k - 1 : 1);
		if (!d)
			goto fail;
		c = child_get(d, p + k, len - k);
		if (!c) {
			dir_put(d);
			goto fail;
		}
		e->dir = d;
		e->child = c;
		e->next = c->leaves;
		if (c->leaves)
			c->leaves->pprev = &e->next;
		e->pprev = &c->leaves;
		c->leaves = e;
		if (!e->next && d->nleaf++ == 0 && !d->self)
			arm(d); /* add the content bits */
		if (f->is_dir && f->recurse) {
			struct fw_dir *sd = dir_get(p, len);

			if (!sd)
				goto fail_unlink;
			self_add(e, sd);
		}
	}
	r = reachable(d);
	if (r < 0) {
		mgmt_error(res, "cannot watch %s: %s", f->path, strerror(-r));
		goto fail_unlink;
	}
	free(p);
	f->fw = e;
	fw.nent++;
	return 0;

fail_unlink:
	ent_unlink(e);
fail:
	if (r == -ENOMEM)
		mgmt_error(res, "out of memory watching %s", f->path);
	free(p);
	free(e);
	if (!fw.nent && !fw.root)
		fw_close();
	return r;
}

void fwatch_remove(mgmt_res *res, struct file *f)
{
	struct fw_ent *e = f->fw;

	if (!e)
		return;
	ent_unlink(e);
	free(e);
	f->fw = NULL;
	if (--fw.nent == 0)
		fw_close();
}

size_t fwatch_count(void)
{
	return fw.wds.n;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * loader.c - find plugin files, refuse unsafe ones, dlopen them, check their
 * descriptors and kinds against the SDK ABI, and build the registry of kinds.
 *
 * The engine runs as root and dlopen runs the plugin's code at once, so
 * ownership and modes are checked (on the resolved paths) before dlopen.
 * Everything read from a plugin is distrusted: version fields first, then the
 * sizes, and only then the rest, copied into engine-sized zero-filled structs
 * so that members a plugin was built without read as NULL/0.  Every problem
 * is one log line naming the file; the plugin (or kind) is skipped and
 * counted in nerrors, and loading goes on with the next one.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "loader/loader.h"

#ifndef PLUGINDIR
#error "PLUGINDIR must be defined by the build"
#endif

#define SIZE_ABSURD (64u * 1024u)     /* no SDK struct will ever be this big */
#define MAX_KINDS 1024                /* per plugin: a missing NULL ends here */
#define MAX_PARAMS 256                /* per kind: a missing END ends here */
#define PARAMS_SIZE_ABSURD (1u << 20) /* per-resource struct */
#define KIND_NAME_MAX 32

/* The smallest structs a 1.0 plugin can hand us: the descriptor up to its
 * kinds list, a kind up to its one required hook.  Later members are
 * optional and read as NULL when absent. */
#define DESC_MIN_SIZE                                                          \
	(offsetof(struct mgmt_plugin, kinds) +                                 \
	 sizeof(((struct mgmt_plugin *)0)->kinds))
#define KIND_MIN_SIZE                                                          \
	(offsetof(struct mgmt_kind, check_apply) +                             \
	 sizeof(((struct mgmt_kind *)0)->check_apply))

/* Kinds without parameters get this table, so later code never meets a NULL
 * params pointer. */
static const struct mgmt_param no_params[] = { MGMT_PARAM_END };

/* A file, whatever the names it is reached by. */
struct file_id {
	dev_t dev;
	ino_t ino;
};

/* Loading state beyond the registry: the files already tried, so one reached
 * twice (two dirs, a symlink, a hard link) is loaded once.  By inode, not
 * path: dlopen of a hard link hands back the loaded copy, and running its
 * init again (and its fini, once its kinds turned out to be duplicates)
 * would tear down the instance already registered. */
struct load_ctx {
	struct registry *r;
	const struct loader_opts *o;
	struct file_id *seen;
	size_t nseen;
};

void loader_opts_default(struct loader_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->use_env = true;
	o->use_builtin = true;
	o->abi_minor = MGMT_ABI_MINOR;
	o->check_perms = true;
}

const char *loader_builtin_dir(void)
{
	return PLUGINDIR;
}

static void plugin_err(struct registry *r, const char *file, const char *fmt,
		       ...) MGMT_PRINTF(3, 4);
static void plugin_err(struct registry *r, const char *file, const char *fmt,
		       ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(MGMT_LOG_ERROR, NULL, NULL, "plugin %s: %s", file, msg);
	r->nerrors++;
}

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
static int dir_chain_safe(const char *dir, char *why, size_t len)
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
static int file_safe(const char *real, char *why, size_t len)
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
	return dir_chain_safe(dir, why, len);
}

/* ---- checking what a plugin hands us ---------------------------------- */

/* The version header of a descriptor or kind (`what` names the kind): the
 * major must match, the minor must not be newer than the engine's. */
static int check_abi(struct registry *r, const struct loader_opts *o,
		     const char *file, const char *what, uint32_t major,
		     uint32_t minor)
{
	const char *why;

	if (major != MGMT_ABI_MAJOR)
		why = "major must match";
	else if (minor > o->abi_minor)
		why = "plugin is newer";
	else
		return 0;
	plugin_err(
		r, file,
		"%sbuilt for SDK ABI %u.%u, this engine has ABI %u.%u (%s); skipped",
		what, major, minor, MGMT_ABI_MAJOR, o->abi_minor, why);
	return -EINVAL;
}

static size_t param_storage(enum mgmt_param_type t, size_t *align)
{
	switch (t) {
	case MGMT_PARAM_STRING:
		*align = alignof(char *);
		return sizeof(char *);
	case MGMT_PARAM_BOOL:
		*align = alignof(bool);
		return sizeof(bool);
	case MGMT_PARAM_INT:
	case MGMT_PARAM_DURATION:
		*align = alignof(int64_t);
		return sizeof(int64_t);
	case MGMT_PARAM_MODE:
		*align = alignof(int32_t);
		return sizeof(int32_t);
	case MGMT_PARAM_LIST:
		*align = alignof(struct mgmt_strv);
		return sizeof(struct mgmt_strv);
	case MGMT_PARAM_MAP:
		*align = alignof(struct mgmt_strmap);
		return sizeof(struct mgmt_strmap);
	case MGMT_PARAM_ENUM:
		*align = alignof(int);
		return sizeof(int);
	}
	return 0;
}

/* Check the schema of kind `k`; count its entries into *np.  Returns 0, or
 * -EINVAL with `why` filled. */
static int check_params(const struct mgmt_kind *k, size_t *np, char *why,
			size_t len)
{
	const struct mgmt_param *p = k->params;
	size_t i;

	*np = 0;
	if (k->params_size > PARAMS_SIZE_ABSURD) {
		snprintf(why, len, "params_size %zu is absurd (more than %u)",
			 k->params_size, PARAMS_SIZE_ABSURD);
		return -EINVAL;
	}
	if (!p)
		return 0;
	for (i = 0; p[i].name; i++) {
		size_t size, align;

		if (i == MAX_PARAMS) {
			snprintf(
				why, len,
				"more than %d params (missing MGMT_PARAM_END?)",
				MAX_PARAMS);
			return -EINVAL;
		}
		size = param_storage(p[i].type, &align);
		if (!size) {
			snprintf(why, len, "param '%s': unknown type %d",
				 p[i].name, (int)p[i].type);
			return -EINVAL;
		}
		if (p[i].offset > k->params_size ||
		    size > k->params_size - p[i].offset) {
			snprintf(
				why, len,
				"param '%s': offset %zu + size %zu is beyond params_size %zu",
				p[i].name, p[i].offset, size, k->params_size);
			return -EINVAL;
		}
		if (p[i].offset % align) {
			snprintf(why, len,
				 "param '%s': offset %zu is not aligned to %zu",
				 p[i].name, p[i].offset, align);
			return -EINVAL;
		}
		if (p[i].type == MGMT_PARAM_ENUM &&
		    (!p[i].choices || !p[i].choices[0])) {
			snprintf(why, len, "param '%s': enum without choices",
				 p[i].name);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(p[j].name, p[i].name) == 0) {
				snprintf(why, len,
					 "param '%s' is declared twice",
					 p[i].name);
				return -EINVAL;
			}
		}
	}
	*np = i;
	return 0;
}

static bool kind_name_ok(const char *s)
{
	size_t n = strnlen(s, KIND_NAME_MAX + 1);

	if (n == 0 || n > KIND_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Check one kind of plugin `lp` (the idx-th, from 1) and copy it.  NULL when
 * it was skipped (logged, counted) and *oom set when memory ran out. */
static struct kind_entry *check_kind(struct registry *r,
				     const struct loader_opts *o,
				     const struct loader_plugin *lp,
				     const struct mgmt_kind *src, size_t idx,
				     bool *oom)
{
	struct kind_entry *e;
	char why[512];

	snprintf(why, sizeof(why), "kind #%zu ", idx);
	if (check_abi(r, o, lp->path, why, src->abi_major, src->abi_minor) < 0)
		return NULL;
	if (src->size < KIND_MIN_SIZE || src->size > SIZE_ABSURD) {
		plugin_err(r, lp->path,
			   "kind #%zu has size %u, expected %zu to %u; skipped",
			   idx, src->size, KIND_MIN_SIZE, SIZE_ABSURD);
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		*oom = true;
		return NULL;
	}
	memcpy(&e->k, src, src->size < sizeof(e->k) ? src->size : sizeof(e->k));
	e->plugin = lp;

	if (!e->k.name) {
		plugin_err(r, lp->path, "kind #%zu has no name; skipped", idx);
		goto skip;
	}
	if (!kind_name_ok(e->k.name)) {
		plugin_err(
			r, lp->path,
			"kind #%zu: name '%.*s' is invalid (must match [a-z][a-z0-9_]*, at most %d characters); skipped",
			idx, KIND_NAME_MAX + 8, e->k.name, KIND_NAME_MAX);
		goto skip;
	}
	if (!e->k.check_apply) {
		plugin_err(r, lp->path,
			   "kind '%s': check_apply is NULL; skipped",
			   e->k.name);
		goto skip;
	}
	if (check_params(&e->k, &e->nparams, why, sizeof(why)) < 0) {
		plugin_err(r, lp->path, "kind '%s': %s; skipped", e->k.name,
			   why);
		goto skip;
	}
	if (!e->k.params)
		e->k.params = no_params;
	return e;
skip:
	free(e);
	return NULL;
}

/* Check the descriptor `d` and copy it into lp->desc.  0 or -EINVAL. */
static int check_desc(struct registry *r, const struct loader_opts *o,
		      struct loader_plugin *lp, const struct mgmt_plugin *d)
{
	if (check_abi(r, o, lp->path, "", d->abi_major, d->abi_minor) < 0)
		return -EINVAL;
	if (d->size < DESC_MIN_SIZE || d->size > SIZE_ABSURD) {
		plugin_err(
			r, lp->path,
			"descriptor size %u is not sane (SDK ABI %u.0 needs %zu to %u); skipped",
			d->size, MGMT_ABI_MAJOR, DESC_MIN_SIZE, SIZE_ABSURD);
		return -EINVAL;
	}
	memcpy(&lp->desc, d,
	       d->size < sizeof(lp->desc) ? d->size : sizeof(lp->desc));
	if (!lp->desc.name) {
		plugin_err(r, lp->path, "descriptor has no name; skipped");
		return -EINVAL;
	}
	if (!lp->desc.kinds || !lp->desc.kinds[0]) {
		plugin_err(r, lp->path, "defines no kinds; skipped");
		return -EINVAL;
	}
	return 0;
}

/* ---- the registry ------------------------------------------------------ */

/* Where `name` is in r->kinds, or where it would go (*found false). */
static size_t kind_pos(const struct registry *r, const char *name, bool *found)
{
	size_t lo = 0, hi = r->nkinds;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, r->kinds[mid]->k.name);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

const struct kind_entry *registry_find(const struct registry *r,
				       const char *name)
{
	bool found;
	size_t i;

	if (!r->nkinds)
		return NULL;
	i = kind_pos(r, name, &found);
	return found ? r->kinds[i] : NULL;
}

/* Insert `e`; the first kind of a name wins.  0, -EEXIST (logged, counted,
 * `e` freed) or -ENOMEM. */
static int registry_add(struct registry *r, struct kind_entry *e)
{
	struct kind_entry **v;
	bool found;
	size_t i = kind_pos(r, e->k.name, &found);

	if (found) {
		plugin_err(r, e->plugin->path,
			   "kind '%s' already defined by %s; skipped",
			   e->k.name, r->kinds[i]->plugin->path);
		free(e);
		return -EEXIST;
	}
	v = realloc(r->kinds, (r->nkinds + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->kinds = v;
	memmove(&v[i + 1], &v[i], (r->nkinds - i) * sizeof(*v));
	v[i] = e;
	r->nkinds++;
	return 0;
}

static void plugin_unload(struct loader_plugin *lp, bool initialized)
{
	if (!lp)
		return;
	if (initialized && lp->desc.fini)
		lp->desc.fini();
	if (lp->dl)
		dlclose(lp->dl);
	free(lp->path);
	free(lp);
}

void registry_free(struct registry *r)
{
	for (size_t i = 0; i < r->nkinds; i++)
		free(r->kinds[i]);
	/* Last loaded, first unloaded, as the dynamic linker does. */
	for (size_t i = r->nplugins; i-- > 0;)
		plugin_unload(r->plugins[i], true);
	free(r->kinds);
	free(r->plugins);
	memset(r, 0, sizeof(*r));
}

/* ---- loading one file ------------------------------------------------- */

/* Load the plugin file `path` (found in a dir, `real` its resolved path).
 * Returns 0 (loaded or skipped) or -ENOMEM. */
static int load_file(struct load_ctx *c, const char *path, const char *real)
{
	struct registry *r = c->r;
	struct loader_plugin *lp, **pv;
	struct kind_entry **ents = NULL;
	const struct mgmt_plugin *d;
	size_t nk = 0, nents = 0;
	bool oom = false;
	int ret = 0, rc;

	lp = calloc(1, sizeof(*lp));
	if (!lp || !(lp->path = strdup(path))) {
		free(lp);
		return -ENOMEM;
	}
	dlerror();
	lp->dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
	if (!lp->dl) {
		const char *err = dlerror();

		plugin_err(r, path, "cannot load: %s", err ? err : "?");
		goto drop;
	}
	d = dlsym(lp->dl, MGMT_PLUGIN_SYMBOL);
	if (!d) {
		plugin_err(r, path,
			   "no " MGMT_PLUGIN_SYMBOL
			   " symbol (not an mgmt-engine plugin?)");
		goto drop;
	}
	if (check_desc(r, c->o, lp, d) < 0)
		goto drop;

	while (lp->desc.kinds[nk] && nk <= MAX_KINDS)
		nk++;
	if (nk > MAX_KINDS) {
		plugin_err(
			r, path,
			"more than %d kinds (list not NULL-terminated?); skipped",
			MAX_KINDS);
		goto drop;
	}
	ents = calloc(nk, sizeof(*ents));
	if (!ents)
		goto nomem;
	for (size_t i = 0; i < nk; i++) {
		struct kind_entry *e =
			check_kind(r, c->o, lp, lp->desc.kinds[i], i + 1, &oom);
		if (oom)
			goto nomem;
		if (e)
			ents[nents++] = e;
	}
	if (!nents)
		goto drop; /* each bad kind has been reported */

	if (lp->desc.init) {
		rc = lp->desc.init(c->o->host);
		if (rc < 0) {
			plugin_err(r, path,
				   "init failed (returned %d); skipped", rc);
			goto drop;
		}
	}
	pv = realloc(r->plugins, (r->nplugins + 1) * sizeof(*pv));
	if (!pv) {
		plugin_unload(lp, true);
		lp = NULL;
		goto nomem;
	}
	r->plugins = pv;
	/* In the registry before its kinds, so that running out of memory
	 * half-way leaves a registry that registry_free can undo. */
	r->plugins[r->nplugins++] = lp;
	for (size_t i = 0; i < nents; i++) {
		struct kind_entry *e = ents[i];

		ents[i] = NULL;
		rc = registry_add(r, e); /* owns or frees e, but on -ENOMEM */
		if (rc == -ENOMEM) {
			free(e);
			ret = -ENOMEM;
			break;
		}
		if (rc == 0)
			lp->nkinds++;
	}
	for (size_t i = 0; i < nents; i++)
		free(ents[i]);
	free(ents);
	if (!lp->nkinds && ret == 0) {
		r->nplugins--;
		plugin_unload(lp, true);
	} else {
		log_debug("plugin %s: loaded %s %s (%zu kinds)", path,
			  lp->desc.name,
			  lp->desc.version ? lp->desc.version : "-",
			  lp->nkinds);
	}
	return ret;

nomem:
	ret = -ENOMEM;
drop:
	for (size_t i = 0; i < nents; i++)
		free(ents[i]);
	free(ents);
	plugin_unload(lp, false);
	return ret;
}

/* ---- walking the directories ------------------------------------------ */

static int so_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 3 && strcmp(de->d_name + n - 3, ".so") == 0;
}

/* strcmp, not the locale's collation: the order must not depend on LANG. */
static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Has the file `st` been tried already?  Else remember it.  1, 0, -ENOMEM. */
static int seen_before(struct load_ctx *c, const struct stat *st)
{
	struct file_id *v;

	for (size_t i = 0; i < c->nseen; i++)
		if (c->seen[i].dev == st->st_dev &&
		    c->seen[i].ino == st->st_ino)
			return 1;
	v = realloc(c->seen, (c->nseen + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->seen = v;
	v[c->nseen++] = (struct file_id){ st->st_dev, st->st_ino };
	return 0;
}

/* One candidate file: stat, resolve, check, load.  0 or -ENOMEM. */
static int try_file(struct load_ctx *c, const char *path, const char *dirwhy)
{
	char real[PATH_MAX], why[PATH_MAX + 256];
	struct stat st;
	int rc;

	if (stat(path, &st) < 0) {
		plugin_err(c->r, path, "cannot stat: %s; skipped",
			   strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		plugin_err(c->r, path, "not a regular file; skipped");
		return 0;
	}
	if (!realpath(path, real)) {
		plugin_err(c->r, path, "cannot resolve: %s; skipped",
			   strerror(errno));
		return 0;
	}
	if (c->o->check_perms) {
		if (dirwhy) {
			plugin_err(c->r, path, "refused: %s", dirwhy);
			return 0;
		}
		if (file_safe(real, why, sizeof(why)) < 0) {
			plugin_err(c->r, path, "refused: %s", why);
			return 0;
		}
	}
	/* Only now: a file refused on one path may still load from a safe
	 * one later. */
	rc = seen_before(c, &st);
	if (rc)
		return rc < 0 ? rc : 0;
	return load_file(c, path, real);
}

/* Load every NAME.so of `dir`.  `explicit`: the user named it, so say when
 * it is missing or empty.  0 or -ENOMEM. */
static int load_dir(struct load_ctx *c, const char *dir, bool explicit)
{
	char rdir[PATH_MAX], dwhy[PATH_MAX + 128];
	const char *dirwhy = NULL;
	struct dirent **list;
	int n, ret = 0;

	n = scandir(dir, &list, so_filter, name_cmp);
	if (n < 0) {
		int e = errno;

		if (e == ENOMEM)
			return -ENOMEM;
		if (explicit || e != ENOENT)
			log_msg(MGMT_LOG_WARN, NULL, NULL,
				"plugins dir %s: cannot open: %s", dir,
				strerror(e));
		return 0;
	}
	if (n == 0 && explicit)
		log_msg(MGMT_LOG_WARN, NULL, NULL,
			"plugins dir %s: no plugins (*.so) found", dir);

	/* Whoever can write the directory can add or swap entries, even
	 * symlinks to files that are safe themselves. */
	if (n > 0 && c->o->check_perms) {
		if (!realpath(dir, rdir)) {
			snprintf(dwhy, sizeof(dwhy), "cannot resolve %s: %s",
				 dir, strerror(errno));
			dirwhy = dwhy;
		} else if (dir_chain_safe(rdir, dwhy, sizeof(dwhy)) < 0) {
			dirwhy = dwhy;
		}
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (ret == 0) {
			if (snprintf(path, sizeof(path), "%s/%s", dir,
				     list[i]->d_name) >= (int)sizeof(path))
				plugin_err(c->r, list[i]->d_name,
					   "path too long; skipped");
			else
				ret = try_file(c, path, dirwhy);
		}
		free(list[i]);
	}
	free(list);
	return ret;
}

static int load_env_path(struct load_ctx *c, const char *env)
{
	char *copy, *save = NULL, *tok;
	int ret = 0;

	copy = strdup(env);
	if (!copy)
		return -ENOMEM;
	/* strtok_r skips empty fields, which is what "::" should mean. */
	for (tok = strtok_r(copy, ":", &save); tok && ret == 0;
	     tok = strtok_r(NULL, ":", &save))
		ret = load_dir(c, tok, true);
	free(copy);
	return ret;
}

int registry_load(struct registry *r, const struct loader_opts *o)
{
	struct load_ctx c = { .r = r, .o = o };
	const char *env;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; o->dirs && o->dirs[i] && ret == 0; i++)
		ret = load_dir(&c, o->dirs[i], true);
	if (ret == 0 && o->use_env &&
	    (env = getenv("MGMT_ENGINE_PLUGINS_PATH")))
		ret = load_env_path(&c, env);
	if (ret == 0 && o->use_builtin)
		ret = load_dir(&c, loader_builtin_dir(), false);

	free(c.seen);
	if (ret < 0) {
		log_msg(MGMT_LOG_ERROR, NULL, NULL,
			"loading plugins: out of memory");
		registry_free(r);
	}
	return ret;
}

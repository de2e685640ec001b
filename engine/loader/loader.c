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
 * is one log line naming the file; the plugin (or kind) is skipped,
 * counted in nerrors and kept in r->problems, and loading goes on with the
 * next one.
 *
 * What no check can catch is a plugin whose code crashes while it loads (a
 * constructor, init): the loader publishes which file it is busy with, so
 * that the engine's fatal-signal handler can name it in its last line.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "loader/internal.h"

#if !defined(PLUGINDIR) || !defined(SITEPLUGINDIR)
#error "PLUGINDIR and SITEPLUGINDIR must be defined by the build"
#endif

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

/* What loader_busy_with reports: written by the loading thread, read by a
 * signal handler on any thread, so an atomic pointer (lock-free, hence
 * async-signal-safe) to a struct living on the stack of whoever set it. */
struct busy {
	const char *phase;
	const char *path;
};

_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2,
	       "loader_busy_with must be async-signal-safe");
static _Atomic(const struct busy *) busy_now;

const char *loader_busy_with(const char **phase)
{
	const struct busy *b = atomic_load(&busy_now);

	if (!b)
		return NULL;
	*phase = b->phase;
	return b->path;
}

void loader_opts_default(struct loader_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->use_env = true;
	o->use_builtin = true;
	o->abi_minor = MGMT_ABI_MINOR;
	o->check_perms = true;
	o->site_dir = SITEPLUGINDIR;
	o->builtin_dir = PLUGINDIR;
}

/* Keep the problem for `mgmt-engine plugins`; if memory runs out it is
 * still logged and counted, only not listed. */
static void keep_problem(struct registry *r, const char *file, const char *msg,
			 bool shadowed)
{
	struct loader_problem *v;
	char *p = strdup(file), *m = strdup(msg);

	v = p && m ? realloc(r->problems, (r->nproblems + 1) * sizeof(*v)) :
		     NULL;
	if (!v) {
		free(p);
		free(m);
		return;
	}
	r->problems = v;
	v[r->nproblems++] = (struct loader_problem){ p, m, shadowed };
}

static void vproblem(struct registry *r, const char *file, bool shadowed,
		     const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_msg(shadowed ? MGMT_LOG_WARN : MGMT_LOG_ERROR, NULL, NULL,
		"plugin %s: %s", file, msg);
	keep_problem(r, file, msg, shadowed);
	r->nerrors++;
	if (!shadowed)
		r->nrefused++;
}

void loader_err(struct registry *r, const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(r, file, false, fmt, ap);
	va_end(ap);
}

/* A kind that an earlier plugin defines: the earlier one wins (doc/abi.md,
 * "Where plugins are found"), so this is how --plugins-dir overrides
 * installed plugins; only a warning, and not a refusal. */
static void plugin_shadowed(struct registry *r, const char *file,
			    const char *fmt, ...) MGMT_PRINTF(3, 4);
static void plugin_shadowed(struct registry *r, const char *file,
			    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(r, file, true, fmt, ap);
	va_end(ap);
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
		plugin_shadowed(r, e->plugin->path,
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
	struct busy b;
	const struct busy *prev;

	if (!lp)
		return;
	/* fini and the plugin's destructors run here. */
	b = (struct busy){ "unloading", lp->path };
	prev = atomic_exchange(&busy_now, &b);
	if (initialized && lp->desc.fini)
		lp->desc.fini();
	if (lp->dl)
		dlclose(lp->dl);
	atomic_store(&busy_now, prev);
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
	for (size_t i = 0; i < r->nproblems; i++) {
		free(r->problems[i].path);
		free(r->problems[i].msg);
	}
	free(r->problems);
	free(r->kinds);
	free(r->plugins);
	memset(r, 0, sizeof(*r));
}

/* ---- loading one file ------------------------------------------------- */

/* Load the plugin file `path` (found in a dir, `real` its resolved path).
 * Returns 0 (loaded or skipped) or -ENOMEM. */
static int load_file_busy(struct load_ctx *c, const char *path,
			  const char *real)
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
	/* Said before the plugin's code runs: if that crashes, this is the
	 * last line of the log. */
	log_debug("loading plugin %s", path);
	dlerror();
	lp->dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
	if (!lp->dl) {
		const char *err = dlerror();

		loader_err(r, path, "cannot load: %s", err ? err : "?");
		goto drop;
	}
	d = dlsym(lp->dl, MGMT_PLUGIN_SYMBOL);
	if (!d) {
		loader_err(r, path,
			   "no " MGMT_PLUGIN_SYMBOL
			   " symbol (not an mgmt-engine plugin?)");
		goto drop;
	}
	if (loader_check_desc(r, c->o, lp, d) < 0)
		goto drop;

	while (lp->desc.kinds[nk] && nk <= MAX_KINDS)
		nk++;
	if (nk > MAX_KINDS) {
		loader_err(
			r, path,
			"more than %d kinds (list not NULL-terminated?); skipped",
			MAX_KINDS);
		goto drop;
	}
	ents = calloc(nk, sizeof(*ents));
	if (!ents)
		goto nomem;
	for (size_t i = 0; i < nk; i++) {
		struct kind_entry *e = loader_check_kind(
			r, c->o, lp, lp->desc.kinds[i], i + 1, &oom);
		if (oom)
			goto nomem;
		if (e)
			ents[nents++] = e;
	}
	if (!nents)
		goto drop; /* each bad kind has been reported */

	if (lp->desc.init) {
		log_debug("initializing plugin %s", path);
		rc = lp->desc.init(c->o->host);
		if (rc < 0) {
			loader_err(r, path,
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

/* load_file_busy, while loader_busy_with names `path`: from dlopen (which
 * runs the plugin's constructors) to its init, reading the descriptor and
 * kinds in between (wild pointers there fault too). */
static int load_file(struct load_ctx *c, const char *path, const char *real)
{
	struct busy b = { "loading", path };
	int ret;

	atomic_store(&busy_now, &b);
	ret = load_file_busy(c, path, real);
	atomic_store(&busy_now, NULL);
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

	c->r->nfiles++;
	if (stat(path, &st) < 0) {
		loader_err(c->r, path, "cannot stat: %s; skipped",
			   strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		loader_err(c->r, path, "not a regular file; skipped");
		return 0;
	}
	if (!realpath(path, real)) {
		loader_err(c->r, path, "cannot resolve: %s; skipped",
			   strerror(errno));
		return 0;
	}
	if (c->o->check_perms) {
		if (dirwhy) {
			loader_err(c->r, path,
				   "not safe to load as root: %s; skipped",
				   dirwhy);
			return 0;
		}
		if (loader_file_safe(real, why, sizeof(why)) < 0) {
			loader_err(c->r, path,
				   "not safe to load as root: %s; skipped",
				   why);
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
/* Why the plugins in `dir` must not be trusted (in `why`), or NULL. */
static const char *dir_unsafe(const char *dir, char *why, size_t len)
{
	char rdir[PATH_MAX];

	if (!realpath(dir, rdir)) {
		snprintf(why, len, "cannot resolve %s: %s", dir,
			 strerror(errno));
		return why;
	}
	return loader_dir_chain_safe(rdir, why, len) < 0 ? why : NULL;
}

/* The end of a load: 0, or after running out of memory nothing kept. */
static int load_end(struct load_ctx *c, int ret)
{
	free(c->seen);
	if (ret < 0) {
		log_msg(MGMT_LOG_ERROR, NULL, NULL,
			"loading plugins: out of memory");
		registry_free(c->r);
	}
	return ret;
}

static int load_dir(struct load_ctx *c, const char *dir, bool explicit)
{
	char dwhy[PATH_MAX + 128];
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
	if (n > 0 && c->o->check_perms)
		dirwhy = dir_unsafe(dir, dwhy, sizeof(dwhy));
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (ret == 0) {
			if (snprintf(path, sizeof(path), "%s/%s", dir,
				     list[i]->d_name) >= (int)sizeof(path))
				loader_err(c->r, list[i]->d_name,
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
	/* The site directory first, so that a plugin an administrator put
	 * there overrides a packaged kind.  When both are the same directory
	 * (a build with --prefix=/usr/local) its files load once. */
	if (ret == 0 && o->use_builtin && o->site_dir)
		ret = load_dir(&c, o->site_dir, false);
	if (ret == 0 && o->use_builtin && o->builtin_dir)
		ret = load_dir(&c, o->builtin_dir, false);
	return load_end(&c, ret);
}

int registry_load_file(struct registry *r, const struct loader_opts *o,
		       const char *path)
{
	struct load_ctx c = { .r = r, .o = o };
	char dir[PATH_MAX], dwhy[PATH_MAX + 128];
	const char *dirwhy = NULL;
	char *slash;

	memset(r, 0, sizeof(*r));
	/* The directory it is in counts as it does for a plugins dir:
	 * whoever can write it can swap the file. */
	if (o->check_perms) {
		if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
			dir[0] = '\0';
		slash = strrchr(dir, '/');
		if (!slash)
			strcpy(dir, ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		dirwhy = dir_unsafe(dir, dwhy, sizeof(dwhy));
	}
	return load_end(&c, try_file(&c, path, dirwhy));
}

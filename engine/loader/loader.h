/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * loader.h - find, dlopen and check plugins; the registry of kinds.
 *
 * Search order (doc/abi.md, "Where plugins are found"): every --plugins-dir
 * in order, then each directory of $MGMT_ENGINE_PLUGINS_PATH
 * (colon-separated), then the site directory, then the compiled-in plugin
 * directory (unless use_builtin is off).  Within a
 * directory, NAME.so files load in name order.  The first plugin defining a
 * kind wins; a later one defining the same kind is reported by file name and
 * its duplicate kind skipped.
 *
 * Every problem with one plugin is one log line naming the file, and that
 * plugin is skipped; nothing a plugin file contains can stop the others from
 * loading, but for code that crashes as it loads, which loader_busy_with
 * lets the engine's fatal-signal handler name.  Descriptors and kinds are
 * copied into engine-sized structs (zero-filled past what the plugin's
 * `size` says), so later code can read every field of the engine's SDK
 * version safely.
 */
#ifndef ENGINE_LOADER_H
#define ENGINE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mgmt/plugin.h>

struct loader_plugin {
	char *path;              /* the file it was loaded from */
	void *dl;                /* dlopen handle */
	struct mgmt_plugin desc; /* copy, engine-sized */
	size_t nkinds;           /* kinds registered from it */
};

struct kind_entry {
	struct mgmt_kind k; /* copy, engine-sized; k.name is the key */
	const struct loader_plugin *plugin;
	size_t nparams; /* entries in k.params before MGMT_PARAM_END */
};

struct loader_opts {
	const char *const *dirs; /* --plugins-dir values, NULL-terminated */
	bool use_env;            /* also $MGMT_ENGINE_PLUGINS_PATH */
	bool use_builtin;        /* also the installed directories: */
	const char *site_dir;    /* SITEPLUGINDIR, searched first */
	const char *builtin_dir; /* PLUGINDIR, the packaged plugins */
	uint32_t abi_minor;      /* the engine's minor (tests may raise it) */
	const struct mgmt_host *host; /* handed to each plugin's init */
	bool check_perms; /* refuse group/world-writable files/dirs */
};

/* One plugin file (or one of its kinds) that was not registered, with the
 * line that was logged for it. */
struct loader_problem {
	char *path;
	char *msg;
	bool shadowed; /* a kind an earlier plugin defines: not a defect */
};

struct registry {
	struct loader_plugin **plugins;
	size_t nplugins;
	struct kind_entry **kinds; /* sorted by name */
	size_t nkinds;
	unsigned nerrors;  /* plugins or kinds skipped */
	unsigned nrefused; /* ...of those, refused as unsafe or broken */
	size_t nfiles;     /* NAME.so files found, loaded or not */
	/* What was skipped, in load order; fewer than nerrors if memory ran
	 * out. */
	struct loader_problem *problems;
	size_t nproblems;
};

/* Defaults: use_env, use_builtin, check_perms true; abi_minor MGMT_ABI_MINOR;
 * the compiled-in site and builtin directories. */
void loader_opts_default(struct loader_opts *o);

/* Load every plugin found.  Problems are logged (one line each) and counted
 * in r->nerrors; the return is 0 unless memory ran out (-ENOMEM). */
int registry_load(struct registry *r, const struct loader_opts *o);

/* Load the one plugin file `path`, with every check registry_load makes
 * (its directory's and its own permissions when o->check_perms, the
 * descriptor, the ABI, each kind); o->dirs, use_env and use_builtin are not
 * looked at.  For `plugin-check`.  Problems as for registry_load. */
int registry_load_file(struct registry *r, const struct loader_opts *o,
		       const char *path);

/* Call each plugin's fini, dlclose, free. */
void registry_free(struct registry *r);

/* The kind named `name`, or NULL. */
const struct kind_entry *registry_find(const struct registry *r,
				       const char *name);

/* The plugin file whose code may be running right now because the loader
 * is loading it (its constructors, descriptor, init) or unloading it (fini,
 * destructors), or NULL.  *phase is then "loading" or "unloading".  For a
 * fatal-signal handler: async-signal-safe. */
const char *loader_busy_with(const char **phase);

#endif /* ENGINE_LOADER_H */

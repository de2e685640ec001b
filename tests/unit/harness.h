/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * harness.h - what the suites that run real graphs share: a fresh directory
 * of their own under the build tree, and a registry loaded from exactly one
 * plugins directory (no $MGMT_ENGINE_PLUGINS_PATH, no installed plugins).
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "loader/loader.h"

/* A new directory "$MGMT_TOP_BUILDDIR/tests/tmp/NAME.XXXXXX" into dir. */
static inline void harness_tmpdir(char *dir, size_t len, const char *name)
{
	const char *top = getenv("MGMT_TOP_BUILDDIR");

	ck_assert_ptr_nonnull(top);
	snprintf(dir, len, "%s/tests/tmp", top);
	mkdir(dir, 0755);
	ck_assert_int_lt(snprintf(dir, len, "%s/tests/tmp/%s.XXXXXX", top,
				  name),
			 (int)len);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0755);
}

/* Whether plugin `plugin` is missing from $MGMT_PLUGINS_DIR (configured
 * --disable-plugin-PLUGIN): then the case `name`, which needs it besides
 * the plugin of its suite, is left out, saying so. */
static inline bool harness_skip_without(const char *plugin, const char *name)
{
	const char *plugins = getenv("MGMT_PLUGINS_DIR");
	char so[PATH_MAX];

	snprintf(so, sizeof(so), "%s/%s.so", plugins ? plugins : ".", plugin);
	if (access(so, F_OK) == 0)
		return false;
	printf("# %s: skipped: the %s plugin is not built\n", name, plugin);
	/* before Check forks a child that would flush it again */
	fflush(stdout);
	return true;
}

/* Load the plugins of the directory named by environment variable `env`
 * into reg, with `host`, and check that `kind` is among them. */
static inline void harness_load(struct registry *reg, const char *env,
				const struct mgmt_host *host, const char *kind)
{
	const char *dirs[] = { getenv(env), NULL };
	struct loader_opts o;

	ck_assert_msg(dirs[0] != NULL, "%s is not set: run through make check",
		      env);
	loader_opts_default(&o);
	o.dirs = dirs;
	o.use_env = false;
	o.use_builtin = false;
	o.host = host;
	ck_assert_int_eq(registry_load(reg, &o), 0);
	ck_assert_ptr_nonnull(registry_find(reg, kind));
}

/* rm -rf dir (the suite's own). */
static inline void harness_rmdir(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Every compile error of `yaml` against `reg`, one per line ("" when it
 * compiled), in a buffer that the next call reuses. */
static inline const char *harness_errors(const struct registry *reg,
					 const char *yaml)
{
	static char out[8192];
	struct graph_cfg *cfg = NULL;
	struct diag d = { 0 };
	FILE *f = fmemopen(out, sizeof(out), "w");

	ck_assert_ptr_nonnull(f);
	if (config_load_buffer("test.yaml", yaml, strlen(yaml), reg, &cfg,
			       &d) == 0)
		config_graph_free(cfg);
	diag_print(&d, f);
	fputc('\0', f);
	fclose(f);
	diag_free(&d);
	return out;
}

/* `yaml` compiled against `reg`; the case fails, printing the errors, when
 * it does not compile.  Free it with config_graph_free. */
static inline struct graph_cfg *harness_compile(const struct registry *reg,
						const char *yaml)
{
	struct graph_cfg *cfg = NULL;
	struct diag d = { 0 };

	if (config_load_buffer("test.yaml", yaml, strlen(yaml), reg, &cfg, &d) <
	    0) {
		diag_print(&d, stderr);
		ck_abort_msg("graph did not compile");
	}
	diag_free(&d);
	return cfg;
}

#endif /* TESTS_HARNESS_H */

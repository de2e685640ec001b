/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * files.c - which paths each managed package owns, for autoedges (a file
 * or svc resource comes after the package that owns its path or unit file).
 *
 * Autoedges run on the loop thread while a graph compiles, so the lists
 * come in one go: validate names every pkg resource's package here, and the
 * first autoedges call asks PackageKit once, one Resolve of the installed
 * packages and one GetFiles for all of them (about 1.5 s together, however
 * many packages), with short timeouts.  The lists are kept until the watch
 * sees packages change; a reload compiles with the kept lists.  If
 * PackageKit cannot be reached, autoedges are skipped with one line.
 *
 * PackageKit lists files of installed packages only (GetFiles on an
 * available id gives nothing), so a package not yet installed has no
 * automatic edges until the graph is compiled again.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pkg.h"
#include "util/grow.h"

/* Seconds each of the two transactions may take here. */
#define FILES_TIMEOUT 10.0

struct fent {
	char *name;
	char **paths; /* NULL-terminated; NULL: none known */
	bool fetched;
};

static struct {
	struct fent *v;
	size_t n, cap;
	bool warned;
} F;

static struct fent *find(const char *name)
{
	for (size_t i = 0; i < F.n; i++)
		if (strcmp(F.v[i].name, name) == 0)
			return &F.v[i];
	return NULL;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void pkg_files_want(const char *name)
{
	if (find(name))
		return;
	if (GROW(F.v, F.cap, F.n + 1, 16) < 0)
		return;
	F.v[F.n].name = strdup(name);
	if (!F.v[F.n].name)
		return;
	F.v[F.n].paths = NULL;
	F.v[F.n].fetched = false;
	F.n++;
}

void pkg_files_stale(void)
{
	for (size_t i = 0; i < F.n; i++) {
		strv_free(F.v[i].paths);
		F.v[i].paths = NULL;
		F.v[i].fetched = false;
	}
}

void pkg_files_free(void)
{
	pkg_files_stale();
	for (size_t i = 0; i < F.n; i++)
		free(F.v[i].name);
	free(F.v);
	memset(&F, 0, sizeof(F));
}

/* Take the Files signals' lists into the entries they belong to. */
static void take_files(struct pk_result *r)
{
	for (size_t i = 0; i < r->nfiles; i++) {
		struct pkg_id id;
		char name[256];
		struct fent *e;

		if (pkg_id_split(r->files[i].id, &id) < 0 ||
		    id.name.len >= sizeof(name))
			continue;
		memcpy(name, id.name.s, id.name.len);
		name[id.name.len] = '\0';
		e = find(name);
		if (!e || e->paths)
			continue;
		e->paths = r->files[i].paths;
		r->files[i].paths = NULL;
		r->files[i].n = 0;
	}
}

/* Fetch the lists of every named package not fetched yet. */
static void fetch(mgmt_res *res)
{
	char why[512] = "";
	struct pk_log log = { .res = res,
			      .error_level = MGMT_LOG_WARN,
			      .why = why,
			      .why_len = sizeof(why) };
	struct pk_result r = { 0 }, f = { 0 };
	struct pk_conn *pk = NULL;
	char **names = calloc(F.n + 1, sizeof(*names));
	char **ids = NULL;
	size_t k = 0;
	bool ok = false;

	if (!names)
		return;
	for (size_t i = 0; i < F.n; i++)
		if (!F.v[i].fetched)
			names[k++] = F.v[i].name;
	if (k == 0)
		goto out;
	mgmt_debug(res,
		   "autoedges: asking PackageKit for the files of %zu "
		   "package(s)",
		   k);
	if (pk_open(&pk, &log) < 0)
		goto out;
	if (pk_run(pk, PK_RESOLVE, PK_FILTER_INSTALLED, names, FILES_TIMEOUT,
		   &r) < 0)
		goto out;
	ids = calloc(r.npkgs + 1, sizeof(*ids));
	if (!ids)
		goto out;
	k = 0;
	for (size_t i = 0; i < r.npkgs; i++)
		if (r.pkgs[i].info == PK_INFO_INSTALLED)
			ids[k++] = r.pkgs[i].id;
	if (k > 0 && pk_run(pk, PK_GETFILES, 0, ids, FILES_TIMEOUT, &f) < 0)
		goto out;
	take_files(&f);
	ok = true;
out:
	if (!ok && !F.warned)
		mgmt_warn(res,
			  "no automatic edges to the files and services "
			  "of packages: %s",
			  why[0] ? why : "out of memory");
	F.warned |= !ok;
	/* fetched either way: a compile asks PackageKit at most once */
	for (size_t i = 0; i < F.n; i++)
		F.v[i].fetched = true;
	pk_close(pk);
	pk_result_free(&r);
	pk_result_free(&f);
	free(ids);
	free(names);
}

char *const *pkg_files_of(mgmt_res *res, const char *name)
{
	struct fent *e = find(name);

	if (!e) { /* validate did not see it (a harness): ask now */
		pkg_files_want(name);
		e = find(name);
		if (!e)
			return NULL;
	}
	if (!e->fetched)
		fetch(res);
	return e->paths;
}

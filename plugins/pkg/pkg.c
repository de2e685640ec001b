/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pkg.c - the pkg resource (mgmt's "pkg" kind) over PackageKit: schema,
 * validation, grouping, autoedges and the check_apply that runs a group.
 *
 * The resource's name is the package's name.  Resources with equal state
 * and flags group: the leader's check_apply then resolves every member that
 * may have moved in one Resolve, and installs, updates or removes all that
 * need it in one transaction each, logging as mgmt does under
 * "Pkg[autogroup:(a,b,c)]".  A missing member fails alone; the others are
 * still done.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkg.h"

/* Seconds a Resolve, and a whole install, update or remove, may take. */
#define RESOLVE_TIMEOUT 300.0
#define CHANGE_TIMEOUT 3600.0

static const struct mgmt_param pkg_params[] = {
	MGMT_PARAM(struct pkg, state, MGMT_PARAM_STRING, "installed", 0,
		   "installed, uninstalled, newest, or an exact version "
		   "(\"2.10-3\"); the resource's name is the package's"),
	MGMT_PARAM(struct pkg, allowuntrusted, MGMT_PARAM_BOOL, "false", 0,
		   "install packages that cannot be verified (without "
		   "PackageKit's only-trusted flag)"),
	MGMT_PARAM(struct pkg, allownonfree, MGMT_PARAM_BOOL, "false", 0,
		   "find non-free packages too (no 'free' filter)"),
	MGMT_PARAM(struct pkg, allowunsupported, MGMT_PARAM_BOOL, "false", 0,
		   "find packages of unsupported origins too (no "
		   "'supported' filter)"),
	MGMT_PARAM(struct pkg, allowdowngrade, MGMT_PARAM_BOOL, "false", 0,
		   "with an exact version: allow installing one lower than "
		   "the installed one"),
	MGMT_PARAM_END,
};

static int pkg_validate(mgmt_res *res, void *p)
{
	struct pkg *k = p;
	const char *name = mgmt_res_name(res), *why;
	int rc = 0;

	if (pkg_want_parse(k->state, &k->want, &why) < 0) {
		mgmt_invalid(res, "state", "%s", why);
		rc = -1;
	} else {
		k->parsed = true;
	}
	if (name[0] == '/') {
		mgmt_invalid(res, NULL,
			     "the name is a package name; installing a "
			     "local package file is not supported");
		rc = -1;
	} else if (strpbrk(name, "; \t\n")) {
		mgmt_invalid(res, NULL,
			     "a package name cannot contain ';' or blanks");
		rc = -1;
	}
	if (rc == 0)
		pkg_files_want(name);
	return rc;
}

static int pkg_init(mgmt_res *res, void *p)
{
	struct pkg *k = p;
	const char *why;

	if (!k->parsed && pkg_want_parse(k->state, &k->want, &why) < 0) {
		mgmt_error(res, "state: %s", why);
		return -EINVAL;
	}
	k->parsed = true;
	k->res = res;
	return 0;
}

static void pkg_cleanup(mgmt_res *res, void *p)
{
	(void)res;
	pkg_watch_remove(p);
}

static int pkg_watch(mgmt_res *res, void *p)
{
	return pkg_watch_add(res, p);
}

static bool same_flags(const struct pkg *a, const struct pkg *b)
{
	return a->allowuntrusted == b->allowuntrusted &&
	       a->allownonfree == b->allownonfree &&
	       a->allowunsupported == b->allowunsupported &&
	       a->allowdowngrade == b->allowdowngrade;
}

/* As mgmt: equal states, not an exact version, equal flags. */
static bool pkg_group_cmp(mgmt_res *leader, void *lp, mgmt_res *other, void *op)
{
	const struct pkg *a = lp, *b = op;

	(void)leader;
	(void)other;
	return a->state && b->state && strcmp(a->state, b->state) == 0 &&
	       a->want != PKG_VERSION && same_flags(a, b);
}

static size_t pkg_group_key(mgmt_res *res, void *p, const char **key)
{
	const struct pkg *k = p;

	/* an exact version never groups: its name makes a key of its own */
	*key = k->want == PKG_VERSION ? mgmt_res_name(res) : k->state;
	return strlen(*key);
}

static int pkg_group(mgmt_res *leader, void *lp, mgmt_res *member, void *mp)
{
	return 0; /* the engine keeps the members; check_apply asks for them */
}

static const char *pkg_uid(mgmt_res *res, void *p)
{
	(void)p;
	return mgmt_res_name(res);
}

/* Directories whose files are unit files a svc resource may name. */
static const char *unit_file(const char *path)
{
	static const char *const dirs[] = { "/lib/systemd/system/",
					    "/usr/lib/systemd/system/",
					    "/etc/systemd/system/" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n = strlen(dirs[i]);
		const char *base = path + n;

		if (strncmp(path, dirs[i], n) == 0 && *base &&
		    !strchr(base, '/') && strchr(base, '.'))
			return base;
	}
	return NULL;
}

/* Files and units the installed package owns come after it.  A package
 * not installed when the graph is compiled has no list yet (PackageKit
 * lists the files of installed packages only): its edges appear at the
 * next reload. */
static void pkg_autoedges(mgmt_res *res, void *p, mgmt_autoedge_cb add,
			  void *ctx)
{
	char *const *paths;
	char buf[4096];

	(void)p;
	/* The file lists cost PackageKit transactions: skip them when the
	 * graph has nothing they could name (an engine older than 1.2 cannot
	 * say, and answers 0). */
	if (mgmt_host->abi_minor >= 2 &&
	    add(ctx, MGMT_EDGE_BEFORE, "file", NULL) == 0 &&
	    add(ctx, MGMT_EDGE_BEFORE, "svc", NULL) == 0)
		return;
	paths = pkg_files_of(res, mgmt_res_name(res));
	for (size_t i = 0; paths && paths[i]; i++) {
		const char *path = paths[i], *unit;
		size_t len = strlen(path);

		if (path[0] != '/' || strcmp(path, "/") == 0 ||
		    strcmp(path, "/.") == 0)
			continue;
		add(ctx, MGMT_EDGE_BEFORE, "file", path);
		/* a directory's file resource names it with a '/' */
		if (len + 2 <= sizeof(buf) && path[len - 1] != '/') {
			memcpy(buf, path, len);
			memcpy(buf + len, "/", 2);
			add(ctx, MGMT_EDGE_BEFORE, "file", buf);
		}
		unit = unit_file(path);
		if (unit)
			add(ctx, MGMT_EDGE_BEFORE, "svc", unit);
	}
}

/* ---- check_apply ---- */

/* One member of the run. */
struct member {
	mgmt_res *res;
	struct pkg *p;
	const char *name;
	const char *installed; /* its installed id, or NULL */
	const char *chosen;    /* the id to act on */
	enum pkg_action act;
	bool failed;
	bool done; /* its act succeeded */
};

struct run {
	mgmt_res *leader;
	struct member *m;
	size_t n;
	struct pk_log log;
	char *label;
	struct pk_conn *pk;
};

static void decide(struct member *m, const struct pk_result *r)
{
	m->act = pkg_decide(m->name, m->p->want, m->p->state, r->pkgs, r->npkgs,
			    &m->installed, &m->chosen);
}

static uint64_t filter_of(const struct pkg *p)
{
	uint64_t f = PK_FILTER_ARCH;

	if (!p->allownonfree)
		f |= PK_FILTER_FREE;
	if (!p->allowunsupported)
		f |= PK_FILTER_SUPPORTED;
	return f;
}

static uint64_t flags_of(const struct pkg *p)
{
	uint64_t f = 0;

	if (!p->allowuntrusted)
		f |= PK_FLAG_ONLY_TRUSTED;
	if (p->allowdowngrade && p->want == PKG_VERSION)
		f |= PK_FLAG_ALLOW_DOWNGRADE;
	return f;
}

/* One line for each missing member; a second Resolve without the free and
 * supported filters tells a hidden package from one that does not exist. */
static void report_missing(struct run *run)
{
	const struct pkg *lp = run->m[0].p;
	bool filtered = !lp->allownonfree || !lp->allowunsupported;
	char **names = calloc(run->n + 1, sizeof(*names));
	struct pk_result r = { 0 };
	size_t k = 0;
	bool probed = false;

	for (size_t i = 0; names && i < run->n; i++)
		if (run->m[i].act == PKG_ACT_MISSING)
			names[k++] = (char *)run->m[i].name;
	if (filtered && k > 0 && names)
		probed = pk_run(run->pk, PK_RESOLVE, PK_FILTER_ARCH, names,
				RESOLVE_TIMEOUT, &r) == 0;
	for (size_t i = 0; i < run->n; i++) {
		struct member *m = &run->m[i];
		bool hidden = false;

		int level = MGMT_LOG_ERROR;

		if (m->act != PKG_ACT_MISSING)
			continue;
		m->failed = true;
		/* a retry that finds it missing again says so at debug */
		if (m->p->failed_as == PKG_ACT_MISSING)
			level = MGMT_LOG_DEBUG;
		m->p->failed_as = PKG_ACT_MISSING;
		for (size_t j = 0; probed && j < r.npkgs; j++)
			hidden |= pkg_id_is(r.pkgs[j].id, m->name);
		if (m->p->want == PKG_VERSION)
			mgmt_host->log(m->res, level,
				       "version %s of package '%s' is not "
				       "available (PackageKit's Resolve "
				       "offered %s)",
				       m->p->state, m->name,
				       hidden ? "it only without the free "
						"and supported filters" :
				       m->installed ? "only the installed one" :
						      "no other");
		else if (hidden)
			mgmt_host->log(m->res, level,
				       "package '%s' is non-free or "
				       "unsupported: set allownonfree or "
				       "allowunsupported to install it",
				       m->name);
		else
			mgmt_host->log(m->res, level,
				       "no package named '%s' (PackageKit's "
				       "Resolve found none)",
				       m->name);
	}
	pk_result_free(&r);
	free(names);
}

static const char *const act_verbs[] = {
	[PKG_ACT_INSTALL] = "install",
	[PKG_ACT_UPDATE] = "update",
	[PKG_ACT_REMOVE] = "remove",
};
static const char *const act_done[] = {
	[PKG_ACT_INSTALL] = "installed",
	[PKG_ACT_UPDATE] = "updated",
	[PKG_ACT_REMOVE] = "removed",
};
static const enum pk_op act_ops[] = {
	[PKG_ACT_INSTALL] = PK_INSTALL,
	[PKG_ACT_UPDATE] = PK_UPDATE,
	[PKG_ACT_REMOVE] = PK_REMOVE,
};

/* "a, b, c" of the members with action `a`, into buf. */
static void names_with(const struct run *run, enum pkg_action a, char *buf,
		       size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < run->n && o < len; i++)
		if (run->m[i].act == a)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
					      o ? ", " : "", run->m[i].name);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One transaction for every member with action `a`.  Returns 1 when it
 * changed something, 0 when there was nothing to do, <0 on failure (then
 * those members failed: pk_run logged the one line why). */
static int act_all(struct run *run, enum pkg_action a)
{
	char **ids = calloc(run->n + 1, sizeof(*ids));
	struct pk_result r;
	char list[1024];
	size_t k = 0;
	double t0;
	int rc;

	if (!ids) {
		pk_logf(&run->log, MGMT_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < run->n; i++)
		if (run->m[i].act == a)
			ids[k++] = (char *)run->m[i].chosen;
	if (k == 0) {
		free(ids);
		return 0;
	}
	names_with(run, a, list, sizeof(list));
	pk_logf(&run->log, MGMT_LOG_INFO, "Set(%s): %s %s...",
		run->m[0].p->state, act_verbs[a], list);
	t0 = mono_now();
	run->log.progress = true;
	rc = pk_run(run->pk, act_ops[a], flags_of(run->m[0].p), ids,
		    CHANGE_TIMEOUT, &r);
	run->log.progress = false;
	if (rc == 0)
		pk_logf(&run->log, MGMT_LOG_INFO,
			"Set(%s) success: %s %s in one transaction (%.1f s)",
			run->m[0].p->state, act_done[a], list, mono_now() - t0);
	for (size_t i = 0; i < run->n; i++)
		if (run->m[i].act == a) {
			run->m[i].failed = rc != 0;
			run->m[i].done = rc == 0;
		}
	pk_result_free(&r);
	free(ids);
	return rc < 0 ? rc : 1;
}

/* The members to look at: all of a group's first run, then only those
 * with events (a package that had none cannot have moved). */
static int gather(struct run *run, mgmt_res *res, void *p)
{
	mgmt_res *const *members = NULL;
	mgmt_res *self[1] = { res };
	size_t n = mgmt_host->group_members(res, &members);
	bool (*moved)(const mgmt_res *) =
		MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, member_dirty) ?
			mgmt_host->member_dirty :
			NULL;
	const char **all;

	if (n == 0 || !members) {
		members = self;
		n = 1;
	}
	run->m = calloc(n, sizeof(*run->m));
	all = calloc(n, sizeof(*all));
	if (!run->m || !all) {
		free(all);
		mgmt_error(res, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		all[i] = mgmt_res_name(members[i]);
		if (n > 1 && moved && !moved(members[i])) {
			mgmt_member_result(members[i], MGMT_CONVERGED);
			continue;
		}
		run->m[run->n].res = members[i];
		run->m[run->n].p =
			members[i] == res ? p : mgmt_res_params(members[i]);
		run->m[run->n].name = all[i];
		run->n++;
	}
	run->leader = res;
	if (n > 1) {
		run->label = pkg_group_label(all, n);
		if (!run->label) {
			free(all);
			mgmt_error(res, "out of memory");
			return -ENOMEM;
		}
	}
	free(all);
	run->log.res = res;
	run->log.label = run->label;
	return 0;
}

static int pkg_check_apply(mgmt_res *res, void *p, bool apply)
{
	struct run run = { 0 };
	struct pk_result r = { 0 };
	char **names = NULL;
	bool changed = false, failed = false;
	int rc;

	rc = gather(&run, res, p);
	if (rc < 0 || run.n == 0)
		goto out;
	pk_logf(&run.log, MGMT_LOG_DEBUG, "Check: %zu package(s)", run.n);
	names = calloc(run.n + 1, sizeof(*names));
	if (!names) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < run.n; i++)
		names[i] = (char *)run.m[i].name;
	rc = pk_open(&run.pk, &run.log);
	if (rc < 0)
		goto out;
	rc = pk_run(run.pk, PK_RESOLVE, filter_of(run.m[0].p), names,
		    RESOLVE_TIMEOUT, &r);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < run.n; i++)
		decide(&run.m[i], &r);
	report_missing(&run);

	for (size_t i = 0; i < run.n; i++) {
		struct member *m = &run.m[i];

		if (m->act == PKG_ACT_NONE || m->act == PKG_ACT_MISSING)
			continue;
		changed = true;
		if (!apply)
			mgmt_info(m->res, "would %s %s", act_verbs[m->act],
				  m->chosen);
	}
	if (apply && changed) {
		/* removals first: an install may need what they free */
		static const enum pkg_action order[] = { PKG_ACT_REMOVE,
							 PKG_ACT_INSTALL,
							 PKG_ACT_UPDATE };

		changed = false;
		for (size_t j = 0; j < sizeof(order) / sizeof(order[0]); j++) {
			int k = act_all(&run, order[j]);

			if (k > 0)
				changed = true;
			if (k == -ECANCELED)
				break;
		}
	}
	for (size_t i = 0; i < run.n; i++) {
		const struct member *m = &run.m[i];
		bool acts = m->act != PKG_ACT_NONE && m->act != PKG_ACT_MISSING;
		/* its act did not run: the stop signal came first */
		bool undone = apply && acts && !m->done && !m->failed;

		failed |= m->failed || undone;
		if (!m->failed && !undone)
			m->p->failed_as = PKG_ACT_NONE;
		/* Each member's own result, so that a package that failed
		 * holds back only what comes after it. */
		mgmt_member_result(m->res, m->failed || undone ? MGMT_ERROR :
					   acts                ? MGMT_CHANGED :
								 MGMT_CONVERGED);
	}
	rc = 0;
out:
	pk_result_free(&r);
	pk_close(run.pk);
	free(names);
	free(run.m);
	free(run.label);
	if (rc < 0 || failed)
		return MGMT_ERROR;
	return changed ? MGMT_CHANGED : MGMT_CONVERGED;
}

static const struct mgmt_kind pkg_kind = {
	MGMT_KIND_HEADER,
	.name = "pkg",
	.doc = "a package, installed or removed through PackageKit; "
	       "grouped resources share one transaction",
	.params = pkg_params,
	.params_size = sizeof(struct pkg),
	.validate = pkg_validate,
	.init = pkg_init,
	.cleanup = pkg_cleanup,
	.watch = pkg_watch,
	.check_apply = pkg_check_apply,
	.group_cmp = pkg_group_cmp,
	.group_key = pkg_group_key,
	.group = pkg_group,
	.uid = pkg_uid,
	.autoedges = pkg_autoedges,
	.flags = MGMT_KIND_SYSTEM,
};

static const struct mgmt_kind *const pkg_kinds[] = { &pkg_kind, NULL };

static void pkg_fini(void)
{
	pkg_files_free();
}

MGMT_PLUGIN_DEFINE("pkg", PACKAGE_VERSION,
		   "the pkg resource (PackageKit over D-Bus)", pkg_kinds, NULL,
		   pkg_fini);

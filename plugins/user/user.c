/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * user.c - the user resource: a local account that exists with the given
 * uid, primary group, supplementary groups, home directory and shell, or is
 * absent; applied with useradd, usermod and userdel, as mgmt does
 * (doc/users.md says why the tools and not edits of the files).  Parameters
 * and checks are mgmt's, so mgmt's graphs run unchanged.
 *
 * A user comes after the group resources named by its `group` and `groups`
 * when it exists (they must exist first) and before them when it is absent
 * (groupdel refuses a group that is still a user's primary group).
 *
 * Grouping.  Every user of a graph with the same state joins one group (the
 * state in the key keeps absent users, which come before their groups,
 * apart from existing ones, which come after theirs).  Its check_apply reads
 * /etc/passwd and /etc/group once for all members, and runs a tool only for
 * the members that differ, reading the files again after each tool run
 * (the next member's check may depend on it: a uid just taken, a group a
 * userdel just removed).  Each member's result is its own
 * (mgmt_member_result).  This file also holds the plugin's descriptor.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"

static const char *const state_choices[] = { "exists", "absent", NULL };

static const struct mgmt_param user_params[] = {
	MGMT_PARAM_CHOICE(struct user, state, state_choices, NULL,
			  MGMT_PARAM_REQUIRED, "exists or absent"),
	MGMT_PARAM(struct user, uid, MGMT_PARAM_INT, "-1", 0,
		   "the user id; unset: not managed (useradd picks one)"),
	MGMT_PARAM(struct user, gid, MGMT_PARAM_INT, "-1", 0,
		   "the primary group by id; unset: not managed"),
	MGMT_PARAM(struct user, group, MGMT_PARAM_STRING, NULL, 0,
		   "the primary group by name (not with gid)"),
	MGMT_PARAM(struct user, groups, MGMT_PARAM_LIST, NULL, 0,
		   "the supplementary groups, exactly; unset: not managed"),
	MGMT_PARAM(struct user, homedir, MGMT_PARAM_STRING, NULL, 0,
		   "the home directory, ending in '/' (not created)"),
	MGMT_PARAM(struct user, shell, MGMT_PARAM_STRING, NULL, 0,
		   "the login shell"),
	MGMT_PARAM(struct user, allowduplicateuid, MGMT_PARAM_BOOL, "false", 0,
		   "allow a uid another user has (useradd --non-unique)"),
	MGMT_PARAM_END,
};

bool user_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 31 ||
	    !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') ||
	      (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* An id parameter: unset (-1) or 0..USER_ID_MAX. */
static bool id_check(mgmt_res *res, const char *param, int64_t v)
{
	if (v == USER_ID_UNSET || (v >= 0 && v <= USER_ID_MAX))
		return true;
	mgmt_invalid(res, param, "%lld is not between 0 and %lld", (long long)v,
		     USER_ID_MAX);
	return false;
}

/* A passwd field: no ':' and no newline, which would cut the line. */
static bool field_check(mgmt_res *res, const char *param, const char *v)
{
	if (!v || !v[strcspn(v, ":\n")])
		return true;
	mgmt_invalid(res, param, "\"%s\" has a ':' or a newline", v);
	return false;
}

static int user_validate(mgmt_res *res, void *p)
{
	struct user *u = p;
	const char *name = mgmt_res_name(res);
	bool ok = true;

	if (!user_name_valid(name)) {
		mgmt_invalid(res, NULL,
			     "\"%s\" is not a user name (a letter or '_', "
			     "then letters, digits, '_' or '-', at most 31)",
			     name);
		ok = false;
	}
	ok &= id_check(res, "uid", u->uid);
	ok &= id_check(res, "gid", u->gid);
	if (u->gid != USER_ID_UNSET && u->group) {
		mgmt_invalid(res, "group", "cannot use both gid and group");
		ok = false;
	}
	if (u->group && !*u->group) {
		mgmt_invalid(res, "group", "cannot be empty");
		ok = false;
	} else if (u->group && !user_name_valid(u->group)) {
		mgmt_invalid(res, "group", "\"%s\" is not a group name",
			     u->group);
		ok = false;
	}
	for (size_t i = 0; i < u->groups.n; i++) {
		const char *g = u->groups.v[i];

		if (!*g)
			mgmt_invalid(res, "groups", "a group cannot be empty");
		else if (!user_name_valid(g))
			mgmt_invalid(res, "groups",
				     "\"%s\" is not a group name", g);
		else if (u->group && strcmp(g, u->group) == 0)
			mgmt_invalid(res, "groups",
				     "primary group \"%s\" must not appear in "
				     "groups",
				     g);
		else if (strcmp(g, name) == 0)
			mgmt_invalid(res, "groups",
				     "user name \"%s\" must not appear in "
				     "groups",
				     g);
		else
			continue;
		ok = false;
	}
	if (u->homedir) {
		size_t n = strlen(u->homedir);

		if (!n || u->homedir[n - 1] != '/') {
			mgmt_invalid(res, "homedir", "\"%s\" must end with '/'",
				     u->homedir);
			ok = false;
		} else if (u->homedir[0] != '/') {
			mgmt_invalid(res, "homedir",
				     "\"%s\" is not an absolute path",
				     u->homedir);
			ok = false;
		}
	}
	ok &= field_check(res, "homedir", u->homedir);
	ok &= field_check(res, "shell", u->shell);
	return ok ? 0 : -1;
}

/* Go's filepath.Clean, as mgmt compares and writes the home directory:
 * "/home/bob/" -> "/home/bob", "/a//b/./c/../d" -> "/a/b/d".  `out` holds
 * strlen(in) + 2. */
static void path_clean(const char *in, char *out)
{
	size_t n = 0;

	while (*in) {
		size_t len;

		while (*in == '/')
			in++;
		len = strcspn(in, "/");
		if (len == 2 && in[0] == '.' && in[1] == '.') {
			while (n > 0 && out[--n] != '/')
				;
		} else if (len && !(len == 1 && in[0] == '.')) {
			out[n++] = '/';
			memcpy(out + n, in, len);
			n += len;
		}
		in += len;
	}
	if (!n)
		out[n++] = '/';
	out[n] = '\0';
}

static const char *user_uid(mgmt_res *res, void *p)
{
	return mgmt_res_name(res);
}

static void user_autoedges(mgmt_res *res, void *p, mgmt_autoedge_cb add,
			   void *ctx)
{
	struct user *u = p;
	int dir = u->state == USER_EXISTS ? MGMT_EDGE_AFTER : MGMT_EDGE_BEFORE;

	if (u->group)
		add(ctx, dir, "group", u->group);
	for (size_t i = 0; i < u->groups.n; i++)
		add(ctx, dir, "group", u->groups.v[i]);
}

static size_t user_group_key(mgmt_res *res, void *p, const char **key)
{
	*key = state_choices[((struct user *)p)->state];
	return strlen(*key);
}

static bool user_group_cmp(mgmt_res *leader, void *lp, mgmt_res *other,
			   void *op)
{
	return ((struct user *)lp)->state == ((struct user *)op)->state;
}

static int user_watch(mgmt_res *res, void *p)
{
	return users_watch_add(res);
}

static void user_cleanup(mgmt_res *res, void *p)
{
	users_watch_del(res);
}

/* An argv under construction; its strings live in `ids` or the params. */
struct args {
	const char *v[24];
	size_t n;
	char ids[3][24];
	char home[4096 + 2];
	char *glist;    /* --groups' list (malloc) */
	char what[256]; /* the fields that differ, for the log */
};

static void arg(struct args *a, const char *s)
{
	if (a->n < sizeof(a->v) / sizeof(a->v[0]) - 1)
		a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void differs(struct args *a, const char *what)
{
	size_t n = strlen(a->what);

	snprintf(a->what + n, sizeof(a->what) - n, "%s%s", n ? ", " : "", what);
}

/* Are the user's supplementary groups in db exactly u->groups (as sets,
 * the primary group left out, as mgmt compares them)? */
static bool groups_equal(const struct etcdb *db, const struct user *u,
			 const char *name, uint32_t primary)
{
	for (size_t i = 0; i < db->ngr; i++) {
		const struct gr_ent *g = &db->gr[i];
		bool want = false;

		if (g->gid == primary || !etcdb_is_member(g, name))
			continue;
		for (size_t j = 0; j < u->groups.n && !want; j++)
			want = strcmp(u->groups.v[j], g->name) == 0;
		if (!want)
			return false;
	}
	/* every group the user is in is wanted; is each wanted one in? */
	for (size_t j = 0; j < u->groups.n; j++) {
		const struct gr_ent *g = etcdb_group(db, u->groups.v[j]);

		if (!g || g->gid == primary || !etcdb_is_member(g, name))
			return false;
	}
	return true;
}

/* The options for what `u` manages; with `pw` (the user exists), only
 * those that differ from it. */
static void user_options(struct args *a, const struct etcdb *db,
			 const struct user *u, const char *name,
			 const struct pw_ent *pw)
{
	if (u->uid != USER_ID_UNSET && (!pw || pw->uid != u->uid)) {
		/* usermod refuses --non-unique without --uid */
		if (u->allowduplicateuid)
			arg(a, "--non-unique");
		snprintf(a->ids[0], sizeof(a->ids[0]), "%lld",
			 (long long)u->uid);
		arg(a, "--uid");
		arg(a, a->ids[0]);
		differs(a, "uid");
	}
	if (u->gid != USER_ID_UNSET && (!pw || pw->gid != u->gid)) {
		snprintf(a->ids[1], sizeof(a->ids[1]), "%lld",
			 (long long)u->gid);
		arg(a, "--gid");
		arg(a, a->ids[1]);
		differs(a, "gid");
	}
	if (u->group) {
		const struct gr_ent *g = pw ? etcdb_gid(db, pw->gid) : NULL;

		if (!g || strcmp(g->name, u->group) != 0) {
			arg(a, "--gid");
			arg(a, u->group);
			differs(a, "group");
		}
	}
	if (u->groups.n && (!pw || !groups_equal(db, u, name, pw->gid))) {
		size_t len = 1;

		for (size_t i = 0; i < u->groups.n; i++)
			len += strlen(u->groups.v[i]) + 1;
		a->glist = malloc(len);
		if (a->glist) {
			a->glist[0] = '\0';
			for (size_t i = 0; i < u->groups.n; i++) {
				if (i)
					strcat(a->glist, ",");
				strcat(a->glist, u->groups.v[i]);
			}
			arg(a, "--groups");
			arg(a, a->glist);
		}
		differs(a, "groups");
	}
	if (u->homedir) {
		char clean[4096 + 2];

		path_clean(u->homedir, clean);
		if (!pw || strcmp(clean, pw->home) != 0) {
			snprintf(a->home, sizeof(a->home), "%s", clean);
			arg(a, "--home");
			arg(a, a->home);
			differs(a, "homedir");
		}
	}
	if (u->shell && (!pw || strcmp(pw->shell, u->shell) != 0)) {
		arg(a, "--shell");
		arg(a, u->shell);
		differs(a, "shell");
	}
}

/* Check (and with `apply`, fix) one user against db.  The result as
 * check_apply's; *ran tells whether a tool ran (db is then stale). */
static int user_one(mgmt_res *res, const struct user *u, const struct etcdb *db,
		    bool apply, bool *ran)
{
	const char *name = mgmt_res_name(res);
	const struct pw_ent *pw = etcdb_user(db, name);
	struct args a = { .n = 0 };
	char cmd[1024];
	int r;

	if (u->state == USER_ABSENT) {
		if (!pw)
			return MGMT_CONVERGED;
		arg(&a, "userdel");
	} else {
		if (u->uid != USER_ID_UNSET && !u->allowduplicateuid) {
			const struct pw_ent *o =
				etcdb_uid_other(db, (uint32_t)u->uid, name);

			if (o) {
				mgmt_error(res,
					   "uid %lld is already taken by "
					   "user %s (allowduplicateuid: true "
					   "allows it)",
					   (long long)u->uid, o->name);
				return MGMT_ERROR;
			}
		}
		arg(&a, pw ? "usermod" : "useradd");
		user_options(&a, db, u, name, pw);
		if (pw && !a.what[0]) {
			free(a.glist);
			return MGMT_CONVERGED;
		}
	}
	arg(&a, name);
	tool_describe(a.v, cmd, sizeof(cmd));
	if (!apply) {
		mgmt_info(res, "would run %s%s%s%s", cmd, a.what[0] ? " (" : "",
			  a.what, a.what[0] ? " differ)" : "");
		free(a.glist);
		return MGMT_CHANGED;
	}
	if (!a.glist && a.what[0] && strstr(a.what, "groups")) {
		mgmt_error(res, "out of memory");
		return MGMT_ERROR;
	}
	*ran = true;
	r = tool_run(res, a.v);
	if (r == 0)
		mgmt_info(res, "%s user %s%s%s%s",
			  u->state == USER_ABSENT ? "removed" :
			  pw                      ? "changed" :
						    "added",
			  name, a.what[0] ? " (" : "", a.what,
			  a.what[0] ? ")" : "");
	free(a.glist);
	return r < 0 ? MGMT_ERROR : MGMT_CHANGED;
}

/* The grouped check_apply, shared with the group kind: `one` checks a
 * member against the files, read once and again after each tool run. */
int users_check_group(mgmt_res *res, bool apply,
		      int (*one)(mgmt_res *, const void *, const struct etcdb *,
				 bool, bool *))
{
	mgmt_res *const *m;
	size_t n = mgmt_host->group_members(res, &m);
	struct etcdb db;
	bool have = false;
	int ret = MGMT_CONVERGED;

	for (size_t i = 0; i < n; i++) {
		bool ran = false;
		int r;

		if (!have && etcdb_read(m[i], &db, USERS_ETC) < 0) {
			mgmt_member_result(m[i], MGMT_ERROR);
			ret = MGMT_ERROR;
			continue;
		}
		have = true;
		r = one(m[i], mgmt_res_params(m[i]), &db, apply, &ran);
		mgmt_member_result(m[i], r);
		if (r < 0)
			ret = MGMT_ERROR;
		else if (r == MGMT_CHANGED && ret == MGMT_CONVERGED)
			ret = MGMT_CHANGED;
		if (ran) {
			etcdb_free(&db);
			have = false;
		}
	}
	if (have)
		etcdb_free(&db);
	return ret;
}

static int user_one_cb(mgmt_res *res, const void *p, const struct etcdb *db,
		       bool apply, bool *ran)
{
	return user_one(res, p, db, apply, ran);
}

static int user_check_apply(mgmt_res *res, void *p, bool apply)
{
	return users_check_group(res, apply, user_one_cb);
}

const struct mgmt_kind user_kind = {
	MGMT_KIND_HEADER,
	.name = "user",
	.doc = "a local user account (useradd, usermod, userdel)",
	.params = user_params,
	.params_size = sizeof(struct user),
	.validate = user_validate,
	.cleanup = user_cleanup,
	.watch = user_watch,
	.check_apply = user_check_apply,
	.group_cmp = user_group_cmp,
	.uid = user_uid,
	.autoedges = user_autoedges,
	.group_key = user_group_key,
	.flags = MGMT_KIND_SYSTEM,
};

static const struct mgmt_kind *const user_kinds[] = { &user_kind, &group_kind,
						      NULL };

MGMT_PLUGIN_DEFINE("user", PACKAGE_VERSION,
		   "the user and group resources (shadow tools)", user_kinds,
		   NULL, NULL);

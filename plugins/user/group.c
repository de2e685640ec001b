/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * group.c - the group resource: a local group that exists (with the given
 * gid) or is absent; applied with groupadd, groupmod and groupdel, as mgmt
 * does.  Its parameters and checks are mgmt's: a group that exists and has
 * no gid given is converged, whatever its gid.
 *
 * Groups of one state group together (the key is the state, as for users),
 * and their check_apply is the user kind's (users_check_group): the files
 * are read once for the whole group.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "user.h"

static const char *const state_choices[] = { "exists", "absent", NULL };

static const struct mgmt_param group_params[] = {
	MGMT_PARAM_CHOICE(struct group, state, state_choices, NULL,
			  MGMT_PARAM_REQUIRED, "exists or absent"),
	MGMT_PARAM(struct group, gid, MGMT_PARAM_INT, "-1", 0,
		   "the group id; unset: not managed (groupadd picks one)"),
	MGMT_PARAM_END,
};

static int group_validate(mgmt_res *res, void *p)
{
	struct group *g = p;
	const char *name = mgmt_res_name(res);
	bool ok = true;

	if (!user_name_valid(name)) {
		mgmt_invalid(res, NULL,
			     "\"%s\" is not a group name (a letter or '_', "
			     "then letters, digits, '_' or '-', at most 31)",
			     name);
		ok = false;
	}
	if (g->gid != USER_ID_UNSET && (g->gid < 0 || g->gid > USER_ID_MAX)) {
		mgmt_invalid(res, "gid", "%lld is not between 0 and %lld",
			     (long long)g->gid, USER_ID_MAX);
		ok = false;
	}
	return ok ? 0 : -1;
}

static int group_one(mgmt_res *res, const void *p, const struct etcdb *db,
		     bool apply, bool *ran)
{
	const struct group *g = p;
	const char *name = mgmt_res_name(res);
	const struct gr_ent *gr = etcdb_group(db, name);
	char gid[24], cmd[256];
	const char *argv[5] = { NULL };
	size_t n = 0;

	if (g->state == USER_ABSENT) {
		if (!gr)
			return MGMT_CONVERGED;
		argv[n++] = "groupdel";
	} else {
		if (gr && (g->gid == USER_ID_UNSET || gr->gid == g->gid))
			return MGMT_CONVERGED;
		if (g->gid != USER_ID_UNSET) {
			const struct gr_ent *o =
				etcdb_gid_other(db, (uint32_t)g->gid, name);

			if (o) {
				mgmt_error(res,
					   "gid %lld belongs to group %s "
					   "already",
					   (long long)g->gid, o->name);
				return MGMT_ERROR;
			}
		}
		argv[n++] = gr ? "groupmod" : "groupadd";
		if (g->gid != USER_ID_UNSET) {
			snprintf(gid, sizeof(gid), "%lld", (long long)g->gid);
			argv[n++] = "--gid";
			argv[n++] = gid;
		}
	}
	argv[n++] = name;
	tool_describe(argv, cmd, sizeof(cmd));
	if (!apply) {
		mgmt_info(res, "would run %s", cmd);
		return MGMT_CHANGED;
	}
	*ran = true;
	if (tool_run(res, argv) < 0)
		return MGMT_ERROR;
	mgmt_info(res, "%s group %s%s%s",
		  g->state == USER_ABSENT ? "removed" :
		  gr                      ? "changed the gid of" :
					    "added",
		  name, n > 2 ? " with gid " : "", n > 2 ? gid : "");
	return MGMT_CHANGED;
}

static int group_check_apply(mgmt_res *res, void *p, bool apply)
{
	return users_check_group(res, apply, group_one);
}

static const char *group_uid(mgmt_res *res, void *p)
{
	return mgmt_res_name(res);
}

static size_t group_key(mgmt_res *res, void *p, const char **key)
{
	*key = state_choices[((struct group *)p)->state];
	return strlen(*key);
}

static bool group_cmp(mgmt_res *leader, void *lp, mgmt_res *other, void *op)
{
	return ((struct group *)lp)->state == ((struct group *)op)->state;
}

static int group_watch(mgmt_res *res, void *p)
{
	return users_watch_add(res);
}

static void group_cleanup(mgmt_res *res, void *p)
{
	users_watch_del(res);
}

const struct mgmt_kind group_kind = {
	MGMT_KIND_HEADER,
	.name = "group",
	.doc = "a local group (groupadd, groupmod, groupdel)",
	.params = group_params,
	.params_size = sizeof(struct group),
	.validate = group_validate,
	.cleanup = group_cleanup,
	.watch = group_watch,
	.check_apply = group_check_apply,
	.group_cmp = group_cmp,
	.uid = group_uid,
	.group_key = group_key,
	.flags = MGMT_KIND_SYSTEM,
};

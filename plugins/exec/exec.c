/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exec.c - the exec resource (mgmt's "exec" kind): its schema, validation,
 * hooks and check_apply.
 *
 * An exec runs `cmd`.  With `ifcmd` it first asks that command whether cmd
 * should run (exit 0: yes), which gives it a state to check.  Without
 * `ifcmd` it has none, so it tells the engine at init that it runs whenever
 * it is reached: at start, on its own events (watchcmd lines, pollint
 * ticks), on a refresh, and whenever a resource before it ran.  Starting
 * processes, capturing their output and stopping them is spawn.c; the
 * watchcmd and pollint sources are watch.c.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"

extern char **environ;

static const char *const state_choices[] = { "present", "exists", "absent",
					     NULL };

static const struct mgmt_param exec_params[] = {
	MGMT_PARAM(struct exec, cmd, MGMT_PARAM_STRING, NULL,
		   MGMT_PARAM_REQUIRED,
		   "the command: split into words with shell quoting ('..', "
		   "\"..\", \\) and run directly, or run by `shell -c` when "
		   "shell is set.  Its program (or shell) is looked up in PATH "
		   "each time it is about to run, so an earlier resource may "
		   "install it"),
	MGMT_PARAM(struct exec, shell, MGMT_PARAM_STRING, NULL, 0,
		   "a shell (e.g. /bin/sh) that runs cmd with -c, for pipes, "
		   "variables and redirections; empty: none"),
	MGMT_PARAM(struct exec, cwd, MGMT_PARAM_STRING, NULL, 0,
		   "directory every command runs in; empty: the engine's"),
	MGMT_PARAM(struct exec, env, MGMT_PARAM_MAP, NULL, 0,
		   "variables set for every command, on top of the engine's "
		   "environment"),
	MGMT_PARAM_NAMED("timeout", struct exec, timeout_ms,
			 MGMT_PARAM_DURATION, "0", 0,
			 "seconds cmd (and ifcmd) may run before their process "
			 "group gets SIGTERM, then SIGKILL 2 s later; 0: no "
			 "limit"),
	MGMT_PARAM(struct exec, watchcmd, MGMT_PARAM_STRING, NULL, 0,
		   "a long-running command whose every output line is an "
		   "event (cmd runs again); restarted with backoff if it "
		   "exits"),
	MGMT_PARAM(struct exec, watchshell, MGMT_PARAM_STRING, NULL, 0,
		   "shell for watchcmd, as shell is for cmd"),
	MGMT_PARAM(struct exec, ifcmd, MGMT_PARAM_STRING, NULL, 0,
		   "run cmd only when this exits 0 (a refresh runs cmd "
		   "regardless); without it cmd runs each time the resource "
		   "is reached"),
	MGMT_PARAM(struct exec, ifshell, MGMT_PARAM_STRING, NULL, 0,
		   "shell for ifcmd, as shell is for cmd"),
	MGMT_PARAM_NAMED("pollint", struct exec, pollint_ms,
			 MGMT_PARAM_DURATION, "0", 0,
			 "run again every this many seconds; 0: never"),
	MGMT_PARAM(struct exec, user, MGMT_PARAM_STRING, NULL, 0,
		   "run every command as this user (name or id), with its "
		   "groups; needs root"),
	MGMT_PARAM(struct exec, group, MGMT_PARAM_STRING, NULL, 0,
		   "run every command with this group (name or id); needs "
		   "root"),
	MGMT_PARAM_CHOICE(struct exec, state, state_choices, "present", 0,
			  "accepted for mgmt compatibility; has no effect"),
	MGMT_PARAM_END,
};

/* mgmt's examples write '' for "not set". */
static bool set(const char *s)
{
	return s && *s;
}

static long long numeric_id(const char *s)
{
	long long v = 0;

	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (*c - '0');
		if (v >= (long long)UINT32_MAX) /* (uid_t)-1 means "none" */
			return -1;
	}
	return *s ? v : -1;
}

/* Look up a user (pw) or a group (gr) by name or number.  Returns 0 (found),
 * -ENOENT (no such entry), or another -errno. */
static int lookup(const char *name, struct passwd *pw, struct group *gr,
		  char **buf)
{
	long long num = numeric_id(name);
	size_t len = 16384;

	for (;;) {
		void *found = NULL;
		int err;

		free(*buf);
		*buf = malloc(len);
		if (!*buf)
			return -ENOMEM;
		if (pw && num >= 0)
			err = getpwuid_r((uid_t)num, pw, *buf, len,
					 (struct passwd **)&found);
		else if (pw)
			err = getpwnam_r(name, pw, *buf, len,
					 (struct passwd **)&found);
		else if (num >= 0)
			err = getgrgid_r((gid_t)num, gr, *buf, len,
					 (struct group **)&found);
		else
			err = getgrnam_r(name, gr, *buf, len,
					 (struct group **)&found);
		if (err == ERANGE && len < (1u << 24)) {
			len *= 2;
			continue;
		}
		if (found)
			return 0;
		/* "not found" comes back as 0, ENOENT, ESRCH, EBADF or EPERM */
		if (err == 0 || err == ENOENT || err == ESRCH || err == EBADF ||
		    err == EPERM)
			return -ENOENT;
		return -err;
	}
}

/* The supplementary groups of user `name` whose primary group is ids->gid,
 * as initgroups(3) would set them. */
static int user_groups(const char *name, struct exec_ids *ids)
{
	int n = 32;

	for (;;) {
		gid_t *g = realloc(ids->groups, (size_t)n * sizeof(*g));
		int want = n;

		if (!g)
			return -ENOMEM;
		ids->groups = g;
		if (getgrouplist(name, ids->gid, g, &want) >= 0) {
			ids->ngroups = (size_t)want;
			return 0;
		}
		n = want > n ? want : n * 2;
	}
}

/* Resolve user and group into the ids the child switches to.  Reports
 * through mgmt_invalid when `report`, else logs. */
static int resolve_ids(mgmt_res *res, const struct exec *e,
		       struct exec_ids *ids, bool report)
{
	struct passwd pw;
	struct group gr;
	char *buf = NULL;
	int rc = 0, r;

	memset(ids, 0, sizeof(*ids));
	if (set(e->group)) {
		r = lookup(e->group, NULL, &gr, &buf);
		if (r == 0) {
			ids->set_gid = true;
			ids->gid = gr.gr_gid;
		} else if (r == -ENOENT && numeric_id(e->group) >= 0) {
			ids->set_gid = true; /* a bare id needs no entry */
			ids->gid = (gid_t)numeric_id(e->group);
		} else {
			char why[160];

			if (r == -ENOENT)
				snprintf(why, sizeof(why), "unknown group '%s'",
					 e->group);
			else
				snprintf(why, sizeof(why),
					 "cannot look up group '%s': %s",
					 e->group, strerror(-r));
			if (report)
				mgmt_invalid(res, "group", "%s", why);
			else
				mgmt_error(res, "group: %s", why);
			rc = -1;
		}
	}
	if (set(e->user)) {
		r = lookup(e->user, &pw, NULL, &buf);
		if (r == 0) {
			ids->set_uid = true;
			ids->uid = pw.pw_uid;
			if (!ids->set_gid) {
				ids->set_gid = true;
				ids->gid = pw.pw_gid;
			}
			if (!report && user_groups(pw.pw_name, ids) < 0) {
				mgmt_error(res, "out of memory");
				rc = -1;
			}
		} else if (r == -ENOENT && numeric_id(e->user) >= 0 &&
			   set(e->group)) {
			ids->set_uid = true;
			ids->uid = (uid_t)numeric_id(e->user);
		} else {
			char why[160];

			if (r == -ENOENT && numeric_id(e->user) >= 0)
				snprintf(why, sizeof(why),
					 "no user has id %s "
					 "(an id without an entry needs group "
					 "too)",
					 e->user);
			else if (r == -ENOENT)
				snprintf(why, sizeof(why), "unknown user '%s'",
					 e->user);
			else
				snprintf(why, sizeof(why),
					 "cannot look up user '%s': %s",
					 e->user, strerror(-r));
			if (report)
				mgmt_invalid(res, "user", "%s", why);
			else
				mgmt_error(res, "user: %s", why);
			rc = -1;
		}
	}
	if (rc == 0 && ids->set_gid && ids->ngroups == 0 && !report) {
		/* group alone (or an id without entry): no other groups */
		ids->groups = malloc(sizeof(gid_t));
		if (!ids->groups) {
			mgmt_error(res, "out of memory");
			rc = -1;
		} else {
			ids->groups[ids->ngroups++] = ids->gid;
		}
	}
	free(buf);
	return rc;
}

/* Check that a command can be split into words (or that a shell will run
 * it).  Its program is not looked up here: as in mgmt, a resource before
 * the exec may install it; spawn.c looks it up before each start. */
static int validate_cmd(mgmt_res *res, const char *param, const char *cmd,
			const char *shell_param, const char *shell)
{
	const char *why = NULL;
	char **argv = NULL;
	size_t at = 0;
	int rc;

	if (!set(cmd)) {
		mgmt_invalid(res, param, "must not be empty");
		return -1;
	}
	if (set(shell))
		return 0;
	rc = exec_split(cmd, &argv, &why, &at);
	exec_strv_free(argv);
	if (rc == -EINVAL) {
		mgmt_invalid(res, param,
			     "%s (at character %zu); "
			     "quote with '...' or \"...\", or set %s",
			     why, at + 1, shell_param);
		return -1;
	}
	if (rc < 0) {
		mgmt_invalid(res, param, "%s", strerror(-rc));
		return -1;
	}
	return 0;
}

static int unused(mgmt_res *res, const char *param, const char *needs)
{
	mgmt_invalid(res, param, "has no effect without %s", needs);
	return -1;
}

static int exec_validate(mgmt_res *res, void *p)
{
	struct exec *e = p;
	struct exec_ids ids;
	int rc = 0;

	rc |= validate_cmd(res, "cmd", e->cmd, "shell", e->shell);
	if (set(e->ifcmd))
		rc |= validate_cmd(res, "ifcmd", e->ifcmd, "ifshell",
				   e->ifshell);
	else if (set(e->ifshell))
		rc |= unused(res, "ifshell", "ifcmd");
	if (set(e->watchcmd))
		rc |= validate_cmd(res, "watchcmd", e->watchcmd, "watchshell",
				   e->watchshell);
	else if (set(e->watchshell))
		rc |= unused(res, "watchshell", "watchcmd");
	if (e->timeout_ms < 0) {
		mgmt_invalid(res, "timeout", "must not be negative");
		rc = -1;
	}
	if (e->pollint_ms < 0) {
		mgmt_invalid(res, "pollint", "must not be negative");
		rc = -1;
	}
	for (size_t i = 0; i < e->env.n; i++)
		if (!*e->env.keys[i] || strchr(e->env.keys[i], '=')) {
			mgmt_invalid(res, "env", "'%s' is not a variable name",
				     e->env.keys[i]);
			rc = -1;
		}
	rc |= resolve_ids(res, e, &ids, true);
	return rc ? -1 : 0;
}

/* The engine's environment with `env` laid over it. */
static char **build_env(const struct mgmt_strmap *env)
{
	size_t n = 0, k = 0;
	char **v;

	while (environ && environ[n])
		n++;
	v = calloc(n + env->n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t klen = eq ? (size_t)(eq - environ[i]) : 0;
		bool replaced = false;

		for (size_t j = 0; j < env->n && eq; j++)
			replaced |= strlen(env->keys[j]) == klen &&
				    !strncmp(env->keys[j], environ[i], klen);
		if (replaced || !eq)
			continue;
		if (!(v[k++] = strdup(environ[i])))
			goto fail;
	}
	for (size_t j = 0; j < env->n; j++) {
		size_t kl = strlen(env->keys[j]), vl = strlen(env->values[j]);
		char *s = malloc(kl + vl + 2);

		if (!s)
			goto fail;
		memcpy(s, env->keys[j], kl);
		s[kl] = '=';
		memcpy(s + kl + 1, env->values[j], vl + 1);
		v[k++] = s;
	}
	return v;
fail:
	exec_strv_free(v);
	return NULL;
}

static int prepare(struct exec_cmd *c, const char *what, const char *prefix,
		   const char *cmd, const char *shell)
{
	const char *why;
	size_t at;

	c->what = what;
	c->log_prefix = prefix;
	if (!set(cmd))
		return 0;
	if (!set(shell))
		return exec_split(cmd, &c->argv, &why, &at);
	c->argv = calloc(4, sizeof(char *));
	if (!c->argv || !(c->argv[0] = strdup(shell)) ||
	    !(c->argv[1] = strdup("-c")) || !(c->argv[2] = strdup(cmd)))
		return -ENOMEM;
	return 0;
}

static void rt_free(struct exec_rt *rt)
{
	if (!rt)
		return;
	exec_strv_free(rt->cmd.argv);
	exec_strv_free(rt->ifcmd.argv);
	exec_strv_free(rt->watchcmd.argv);
	exec_strv_free(rt->envp);
	free(rt->ids.groups);
	free(rt);
}

static int exec_init(mgmt_res *res, void *p)
{
	struct exec *e = p;
	struct exec_rt *rt = calloc(1, sizeof(*rt));

	if (!rt)
		goto nomem;
	e->rt = rt;
	rt->res = res;
	rt->cwd = set(e->cwd) ? e->cwd : NULL;
	rt->path = exec_path_of(&e->env);
	rt->envp = build_env(&e->env);
	if (!rt->envp || prepare(&rt->cmd, "cmd", "", e->cmd, e->shell) ||
	    prepare(&rt->ifcmd, "ifcmd", "ifcmd: ", e->ifcmd, e->ifshell) ||
	    prepare(&rt->watchcmd, "watchcmd", "watchcmd: ", e->watchcmd,
		    e->watchshell))
		goto nomem;
	if (resolve_ids(res, e, &rt->ids, false) < 0)
		goto fail;
	if (!rt->ifcmd.argv)
		mgmt_host->set_flags(res, MGMT_RES_RUN_WHEN_REACHED);
	return 0;
nomem:
	mgmt_error(res, "out of memory");
fail:
	rt_free(rt);
	e->rt = NULL;
	return MGMT_ERROR;
}

static void exec_cleanup(mgmt_res *res, void *p)
{
	struct exec *e = p;

	exec_watch_stop(e);
	rt_free(e->rt);
	e->rt = NULL;
}

static int exec_watch(mgmt_res *res, void *p)
{
	return exec_watch_start(res, p);
}

static int exec_check_apply(mgmt_res *res, void *p, bool apply)
{
	struct exec *e = p;
	const struct exec_rt *rt = e->rt;
	char desc[96];
	int st, rc;

	if (rt->ifcmd.argv && mgmt_host->refreshed(res)) {
		mgmt_debug(res, "refreshed: cmd runs whatever ifcmd says");
	} else if (rt->ifcmd.argv) {
		rc = exec_run(res, rt, &rt->ifcmd, e->timeout_ms,
			      MGMT_LOG_DEBUG, &st);
		if (rc < 0)
			return MGMT_ERROR;
		exec_describe_status(st, desc, sizeof(desc));
		if (!WIFEXITED(st)) {
			mgmt_error(res, "ifcmd %s", desc);
			return MGMT_ERROR;
		}
		if (WEXITSTATUS(st) != 0) {
			mgmt_debug(res, "ifcmd %s: cmd does not run", desc);
			return MGMT_CONVERGED;
		}
	}
	if (!apply)
		return MGMT_CHANGED; /* it would run */
	mgmt_info(res, "running: %s", e->cmd);
	rc = exec_run(res, rt, &rt->cmd, e->timeout_ms, MGMT_LOG_INFO, &st);
	if (rc < 0)
		return MGMT_ERROR;
	exec_describe_status(st, desc, sizeof(desc));
	if (st != 0) {
		mgmt_error(res, "cmd %s", desc);
		return MGMT_ERROR;
	}
	mgmt_debug(res, "cmd %s", desc);
	return MGMT_CHANGED;
}

static const struct mgmt_kind exec_kind = {
	MGMT_KIND_HEADER,
	.name = "exec",
	.doc = "runs a command (when ifcmd says so), on events and when "
	       "reached",
	.params = exec_params,
	.params_size = sizeof(struct exec),
	.validate = exec_validate,
	.init = exec_init,
	.cleanup = exec_cleanup,
	.watch = exec_watch,
	.check_apply = exec_check_apply,
	.flags = MGMT_KIND_SYSTEM,
};

static const struct mgmt_kind *const exec_kinds[] = { &exec_kind, NULL };

MGMT_PLUGIN_DEFINE("exec", PACKAGE_VERSION, "the exec resource", exec_kinds,
		   NULL, NULL);

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * apply.c - check_apply of the svc resource, on a worker thread.
 *
 * Each call opens its own bus connection (common/bus.h: sd-bus connections
 * are not shared between threads; a connection costs about a millisecond,
 * a start job ten).  It loads the unit, compares its file state and active
 * state with the desired ones and, to fix them, calls Enable/DisableUnitFiles
 * (then Reload, as systemctl does) and Start/Stop/RestartUnit in "replace"
 * mode, waiting for the job's JobRemoved.  Connected clients get JobRemoved
 * for their own jobs without subscribing, so this connection does not
 * subscribe (it would receive every unit's changes).
 *
 * A group (units of one service manager) is checked on one connection:
 * each member with news is loaded and planned, then every job is queued at
 * once and the jobs are awaited together, so systemd runs them in parallel
 * as it does for `systemctl start a b c`.  Each member reports by its own
 * handle.
 *
 * A job that ends "done" has not necessarily started anything (a failed
 * condition, or a simple service that exits at once), so the unit's
 * ActiveState decides, and a failure is reported with systemd's own words:
 * the job result, the unit's state and, for services, Result and the main
 * process' exit status.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

/* One unit of the run (a group runs several on one connection). */
struct call {
	sd_bus *bus;
	mgmt_res *res;
	struct svc *s;
	char *path;    /* the unit's object path */
	char load[32]; /* LoadState, ActiveState: from list_units */
	char active[32];
	char before[32]; /* ActiveState as the run ends (settle) */
	bool skip;       /* no event, no refresh: not looked at */
	int r;           /* <0: this unit failed (logged) */
	bool changed;
	/* The job it needs (plan), then the job itself (queue, finish). */
	const char *method; /* StartUnit, StopUnit, RestartUnit; NULL none */
	const char *verb;   /* "start", "stop", "restart" */
	char *job;          /* its object path once queued */
	char *result;       /* from its JobRemoved */
	uint32_t job_id;    /* from its JobRemoved */
	bool job_done;
};

/* The jobs of one run, followed through JobRemoved. */
struct jobs {
	struct call *c;
	size_t n, pending;
	bool done;
};

static void fail(struct call *c, const char *what, const sd_bus_error *e, int r)
{
	mgmt_error(c->res, "%s %s: %s", what, c->s->unit, bus_errstr(e, r));
}

static int manager(struct call *c, const char *method, const char *what,
		   sd_bus_message **reply, const char *types, ...)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(c->bus, &m, SD_DEST, SD_PATH,
					   SD_MANAGER, method);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call(c->bus, m, 0, &e, reply);
	if (r < 0 && what)
		fail(c, what, &e, r);
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	return r;
}

static bool is_up(const char *active)
{
	return !strcmp(active, "active") || !strcmp(active, "activating") ||
	       !strcmp(active, "reloading");
}

/* LoadState and ActiveState (and the object path) of every member that is
 * looked at, in one ListUnitsByNames call, which also loads the units:
 * a group of fifty costs one round trip, not a hundred and fifty. */
static int list_units(sd_bus *bus, struct call *cs, size_t n)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	const char *name, *load, *active, *path;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH,
					   SD_MANAGER, "ListUnitsByNames");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "s");
	for (size_t i = 0; r >= 0 && i < n; i++)
		if (!cs[i].skip)
			r = sd_bus_message_append(m, "s", cs[i].s->unit);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, &e, &reply);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
	while (r >= 0 &&
	       (r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL,
					&load, &active, NULL, NULL, &path, NULL,
					NULL, NULL)) > 0)
		for (size_t i = 0; i < n; i++) {
			struct call *c = &cs[i];

			if (c->skip || strcmp(c->s->unit, name) != 0)
				continue;
			snprintf(c->load, sizeof(c->load), "%s", load);
			snprintf(c->active, sizeof(c->active), "%s", active);
			if (!c->path && !(c->path = strdup(path)))
				r = -ENOMEM;
		}
	if (r < 0)
		for (size_t i = 0; i < n; i++)
			if (!cs[i].skip && cs[i].r >= 0) {
				fail(&cs[i], "cannot read the state of", &e, r);
				cs[i].r = r;
			}
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	return r;
}

/* One line on what systemd says about the unit, for failure messages. */
static void describe(struct call *c, char *buf, size_t len)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *active = NULL, *sub = NULL, *result = NULL;
	int32_t status = 0;
	size_t n;

	sd_bus_get_property_string(c->bus, SD_DEST, c->path, SD_UNIT,
				   "ActiveState", &e, &active);
	sd_bus_error_free(&e);
	sd_bus_get_property_string(c->bus, SD_DEST, c->path, SD_UNIT,
				   "SubState", &e, &sub);
	sd_bus_error_free(&e);
	n = (size_t)snprintf(buf, len, "unit %s (%s)", active ? active : "?",
			     sub ? sub : "?");
	if (n < len && strstr(c->s->unit, ".service") &&
	    sd_bus_get_property_string(c->bus, SD_DEST, c->path,
				       SD_DEST ".Service", "Result", &e,
				       &result) >= 0) {
		sd_bus_error_free(&e);
		sd_bus_get_property_trivial(c->bus, SD_DEST, c->path,
					    SD_DEST ".Service",
					    "ExecMainStatus", &e, 'i', &status);
		snprintf(buf + n, len - n, ", result %s, exit status %d",
			 result, (int)status);
	}
	sd_bus_error_free(&e);
	free(active);
	free(sub);
	free(result);
}

static int on_job_removed(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct jobs *js = data;
	const char *path, *unit, *result;
	uint32_t id;

	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	for (size_t i = 0; i < js->n; i++) {
		struct call *c = &js->c[i];

		if (!c->job || c->job_done || strcmp(path, c->job) != 0)
			continue;
		c->result = strdup(result);
		c->job_id = id;
		c->job_done = true;
		js->done = --js->pending == 0;
		break;
	}
	return 0;
}

/* Ask systemd for the unit's job; its end comes as JobRemoved. */
static void queue_job(struct call *c, struct jobs *js)
{
	sd_bus_message *reply = NULL;
	const char *path;
	char what[64];
	int r;

	snprintf(what, sizeof(what), "cannot %s", c->verb);
	r = manager(c, c->method, what, &reply, "ss", c->s->unit, "replace");
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0 && !(c->job = strdup(path)))
		r = -ENOMEM;
	sd_bus_message_unref(reply);
	if (r < 0)
		c->r = r;
	else
		js->pending++;
}

/* The job ended (or the wait did, with `wait_r`): was it done, and did a
 * start start the unit? */
static void finish_job(struct call *c, int wait_r)
{
	char state[256];
	int cond = 1;
	sd_bus_error e = SD_BUS_ERROR_NULL;

	if (!c->job)
		return;
	if (!c->job_done) {
		if (wait_r == -ECANCELED)
			mgmt_info(c->res, "%s of %s: interrupted by the engine",
				  c->verb, c->s->unit);
		else if (wait_r == -ETIMEDOUT)
			mgmt_error(c->res,
				   "%s of %s: no end of job %s after "
				   "%.0f s",
				   c->verb, c->s->unit, c->job,
				   UNIT_JOB_TIMEOUT);
		else
			fail(c, "lost the job of", NULL, wait_r);
		c->r = wait_r < 0 ? wait_r : -EIO;
		return;
	}
	if (strcmp(c->result, "done") != 0) {
		describe(c, state, sizeof(state));
		mgmt_error(c->res, "%s of %s failed: job %s; %s", c->verb,
			   c->s->unit, c->result, state);
		c->r = -EIO;
		return;
	}
	/* "done" also ends a start whose condition failed, and one of a
	 * simple service that failed at once.  Stopped by someone else
	 * meanwhile is no failure of ours: the run's end (settle) sees the
	 * unit is not as desired and runs it again. */
	if (strcmp(c->method, "StopUnit") != 0 && !is_up(c->active)) {
		sd_bus_get_property_trivial(c->bus, SD_DEST, c->path, SD_UNIT,
					    "ConditionResult", &e, 'b', &cond);
		sd_bus_error_free(&e);
		if (!strcmp(c->active, "failed") || !cond) {
			describe(c, state, sizeof(state));
			mgmt_error(c->res, "%s of %s did not start it: %s%s",
				   c->verb, c->s->unit, state,
				   cond ? "" : "; a condition failed");
			c->r = -EIO;
			return;
		}
	}
	c->changed = true;
	if (!strcmp(c->method, "RestartUnit"))
		mgmt_info(c->res, "restarted %s (refresh)", c->s->unit);
	else
		mgmt_info(c->res, "%s %s",
			  strcmp(c->method, "StartUnit") ? "stopped" :
							   "started",
			  c->s->unit);
}

/* systemd re-reads changed unit files only on Reload. */
static int reload_if_needed(struct call *c, bool apply)
{
	int need = 0;
	sd_bus_error e = SD_BUS_ERROR_NULL;

	sd_bus_get_property_trivial(c->bus, SD_DEST, c->path, SD_UNIT,
				    "NeedDaemonReload", &e, 'b', &need);
	sd_bus_error_free(&e);
	if (!need || !apply)
		return 0;
	mgmt_info(c->res, "unit file of %s changed: reloading systemd",
		  c->s->unit);
	return manager(c, "Reload", "cannot reload systemd for", NULL, NULL);
}

static int apply_startup(struct call *c, bool apply)
{
	bool want = c->s->startup == SVC_ENABLED;
	sd_bus_message *reply = NULL;
	const char *state;
	bool enabled, runtime;
	int r;

	r = manager(c, "GetUnitFileState", "cannot read the file state of",
		    &reply, "s", c->s->unit);
	if (r < 0 || (r = sd_bus_message_read(reply, "s", &state)) < 0) {
		sd_bus_message_unref(reply);
		return r;
	}
	enabled = strncmp(state, "enabled", 7) == 0;
	runtime = strcmp(state, "enabled-runtime") == 0;
	if (want && !enabled && strcmp(state, "disabled") != 0) {
		/* static, indirect, masked, generated...: nothing to link. */
		mgmt_error(c->res,
			   "cannot enable %s: its unit file state is "
			   "\"%s\" (enabling needs an [Install] section and "
			   "no mask)",
			   c->s->unit, state);
		sd_bus_message_unref(reply);
		return -EINVAL;
	}
	sd_bus_message_unref(reply);
	if (want == enabled)
		return 0;
	if (!apply)
		return 1;
	if (want)
		r = manager(c, "EnableUnitFiles", "cannot enable", NULL, "asbb",
			    1, c->s->unit, 0, 1);
	else
		r = manager(c, "DisableUnitFiles", "cannot disable", NULL,
			    "asb", 1, c->s->unit, (int)runtime);
	if (r >= 0)
		r = manager(c, "Reload", "cannot reload systemd for", NULL,
			    NULL);
	if (r < 0)
		return r;
	mgmt_info(c->res, "%s %s", want ? "enabled" : "disabled", c->s->unit);
	return 1;
}

/* Which job the unit needs, if any.  In noop mode, only say so. */
static int plan_state(struct call *c, bool apply)
{
	bool want = c->s->state == SVC_RUNNING, up = is_up(c->active);

	if (want && up && mgmt_host->refreshed(c->res)) {
		c->method = "RestartUnit";
		c->verb = "restart";
	} else if (want != up) {
		c->method = want ? "StartUnit" : "StopUnit";
		c->verb = want ? "start" : "stop";
	} else {
		return 0;
	}
	if (!apply) {
		c->method = NULL;
		c->changed = true;
		return 0;
	}
	return want ? reload_if_needed(c, apply) : 0;
}

/* Is job id `a` later than `b`?  (Ids count up and may wrap.) */
static bool job_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

bool svc_is_news(struct svc *s, bool props, const char *active,
		 uint32_t removed)
{
	if (removed && (!s->removed_job || job_after(removed, s->removed_job)))
		s->removed_job = removed;
	if (s->busy || (s->echo_job && job_after(s->echo_job, s->removed_job)))
		return false; /* the run's job, or what came before its end */
	if (removed)
		return removed != s->echo_job;
	return !props || strcmp(active, s->end_active) != 0;
}

/* End of a run: what it left is no event; what moved meanwhile is, and so
 * is a successful run whose unit is no longer as desired (someone stopped
 * it again while the run waited for its job, and those signals were taken
 * for echoes).  A failed run leaves the next try to meta retry/delay, and
 * a noop run changed nothing it could expect to hold.  The state is read
 * before and after the busy flags are cleared. */
static void settle(sd_bus *bus, struct call *cs, size_t n, bool apply)
{
	list_units(bus, cs, n);
	for (size_t i = 0; i < n; i++) {
		struct call *c = &cs[i];

		if (c->skip)
			continue;
		memcpy(c->before, c->active, sizeof(c->before));
		pthread_mutex_lock(&c->s->lock);
		memcpy(c->s->end_active, c->active, sizeof(c->before));
		c->s->busy = false;
		if (c->job_done) /* its echoes may still be on their way */
			c->s->echo_job = c->job_id;
		pthread_mutex_unlock(&c->s->lock);
	}
	list_units(bus, cs, n);
	for (size_t i = 0; i < n; i++) {
		struct call *c = &cs[i];
		bool wrong = apply && c->r >= 0 && c->s->state >= 0 &&
			     c->active[0] &&
			     is_up(c->active) != (c->s->state == SVC_RUNNING);

		if (c->skip || (!wrong && !strcmp(c->before, c->active)))
			continue;
		mgmt_debug(c->res, "state moved during the run: %s -> %s",
			   c->before, c->active);
		mgmt_dirty(c->res);
	}
}

/* Check the unit's load state, fix its startup, and plan its job. */
static void prepare(struct call *c, bool apply)
{
	int r = 0;

	if (c->r < 0)
		return;
	if (strcmp(c->load, "not-found") == 0) {
		mgmt_error(c->res,
			   "unit %s not found (systemd's LoadState is "
			   "\"not-found\"): install or write its unit file",
			   c->s->unit);
		r = -ENOENT;
	} else if (strcmp(c->load, "loaded") != 0) {
		mgmt_error(c->res, "unit %s cannot be used: LoadState \"%s\"",
			   c->s->unit, c->load);
		r = -EINVAL;
	}
	if (r >= 0 && c->s->startup >= 0) {
		r = apply_startup(c, apply);
		c->changed |= r > 0;
	}
	if (r >= 0 && c->s->state >= 0)
		r = plan_state(c, apply);
	c->r = r < 0 ? r : 0;
}

/* Queue every planned job at once, then wait for them together: systemd
 * runs them in parallel, as `systemctl start a b c` has it do. */
static int run_jobs(sd_bus *bus, struct jobs *js)
{
	sd_bus_slot *slot = NULL;
	int r = 0;
	size_t i;

	for (i = 0; i < js->n && !js->c[i].method; i++)
		;
	if (i == js->n)
		return 0;
	/* Match before the calls, or a fast job's end could be missed. */
	r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER,
				"JobRemoved", on_job_removed, js);
	if (r < 0) {
		for (i = 0; i < js->n; i++)
			if (js->c[i].method && js->c[i].r >= 0) {
				fail(&js->c[i], "cannot follow jobs of", NULL,
				     r);
				js->c[i].r = r;
			}
		return r;
	}
	for (i = 0; i < js->n; i++)
		if (js->c[i].method && js->c[i].r >= 0)
			queue_job(&js->c[i], js);
	if (js->pending)
		r = bus_run_until(bus, &js->done, UNIT_JOB_TIMEOUT);
	sd_bus_slot_unref(slot);
	return r;
}

int svc_check_apply(mgmt_res *res, void *p, bool apply)
{
	mgmt_res *const *members;
	size_t n = mgmt_host->group_members(res, &members);
	struct call *cs = calloc(n, sizeof(*cs));
	struct jobs js = { .c = cs, .n = n };
	bool session = ((struct svc *)p)->session, changed = false;
	bool failed = false;
	sd_bus *bus = NULL;
	int r, wait_r;

	if (!cs)
		return MGMT_ERROR;
	r = bus_open(session, &bus);
	if (r < 0) {
		mgmt_error(res, "cannot connect to the %s bus: %s",
			   session ? "user" : "system", strerror(-r));
		free(cs);
		return MGMT_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		struct call *c = &cs[i];

		c->bus = bus;
		c->res = members[i];
		c->s = mgmt_host->params(members[i]);
		/* A group's members without news have not moved. */
		c->skip = (c->s->state < 0 && c->s->startup < 0) ||
			  (n > 1 && !mgmt_host->member_dirty(c->res) &&
			   !mgmt_host->refreshed(c->res));
		if (c->skip)
			continue;
		pthread_mutex_lock(&c->s->lock);
		c->s->busy = true;
		pthread_mutex_unlock(&c->s->lock);
	}
	list_units(bus, cs, n);
	for (size_t i = 0; i < n; i++)
		if (!cs[i].skip)
			prepare(&cs[i], apply);
	wait_r = run_jobs(bus, &js);
	if (js.pending || wait_r < 0 || js.done)
		list_units(bus, cs, n); /* the states the jobs left */
	for (size_t i = 0; i < n; i++)
		if (!cs[i].skip && cs[i].r >= 0)
			finish_job(&cs[i], wait_r);
	settle(bus, cs, n, apply);
	for (size_t i = 0; i < n; i++) {
		struct call *c = &cs[i];

		/* each member's own result: only a failed one holds back
		 * what comes after it */
		if (n > 1)
			mgmt_member_result(c->res, c->skip    ? MGMT_CONVERGED :
						   c->r < 0   ? MGMT_ERROR :
						   c->changed ? MGMT_CHANGED :
								MGMT_CONVERGED);
		if (c->skip)
			continue;
		changed |= c->changed;
		failed |= c->r < 0;
		free(c->path);
		free(c->job);
		free(c->result);
	}
	sd_bus_flush_close_unref(bus);
	free(cs);
	if (failed)
		return MGMT_ERROR;
	return changed ? MGMT_CHANGED : MGMT_CONVERGED;
}

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

struct call {
	sd_bus *bus;
	mgmt_res *res;
	struct svc *s;
	char *path; /* the unit's object path, from LoadUnit */
};

struct job {
	char *path;   /* the job's object path */
	char *result; /* from its JobRemoved */
	bool done;
};

static void fail(struct call *c, const char *what, const sd_bus_error *e,
		 int r)
{
	mgmt_error(c->res, "%s %s: %s", what, c->s->unit, bus_errstr(e, r));
}

static int unit_str(struct call *c, const char *iface, const char *prop,
		    char **out)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_get_property_string(c->bus, SD_DEST, c->path, iface,
					   prop, &e, out);

	if (r < 0) {
		char what[128];

		snprintf(what, sizeof(what), "cannot read %s of", prop);
		fail(c, what, &e, r);
	}
	sd_bus_error_free(&e);
	return r;
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
					    "ExecMainStatus", &e, 'i',
					    &status);
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
	struct job *j = data;
	const char *path, *unit, *result;
	uint32_t id;

	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 ||
	    !j->path || strcmp(path, j->path) != 0)
		return 0;
	j->result = strdup(result);
	j->done = true;
	return 0;
}

/* Start, stop or restart the unit and wait for the job to end.  0 when it
 * ended "done", else <0 after one line saying why. */
static int run_job(struct call *c, const char *method, const char *verb)
{
	sd_bus_message *reply = NULL;
	sd_bus_slot *slot = NULL;
	struct job j = { 0 };
	const char *path;
	char what[64], state[256];
	int r;

	snprintf(what, sizeof(what), "cannot %s", verb);
	/* Match before the call, or a fast job's end could be missed. */
	r = sd_bus_match_signal(c->bus, &slot, SD_DEST, SD_PATH, SD_MANAGER,
				"JobRemoved", on_job_removed, &j);
	if (r < 0) {
		fail(c, "cannot follow jobs of", NULL, r);
		return r;
	}
	r = manager(c, method, what, &reply, "ss", c->s->unit, "replace");
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0 && !(j.path = strdup(path)))
		r = -ENOMEM;
	sd_bus_message_unref(reply);
	if (r >= 0)
		r = bus_run_until(c->bus, &j.done, SVC_JOB_TIMEOUT);
	if (r == -ETIMEDOUT)
		mgmt_error(c->res, "%s of %s: no end of job %s after %.0f s",
			   verb, c->s->unit, j.path, SVC_JOB_TIMEOUT);
	else if (r == -ECANCELED)
		mgmt_info(c->res, "%s of %s: interrupted by the engine", verb,
			  c->s->unit);
	else if (r >= 0 && strcmp(j.result, "done") != 0) {
		describe(c, state, sizeof(state));
		mgmt_error(c->res, "%s of %s failed: job %s; %s", verb,
			   c->s->unit, j.result, state);
		r = -EIO;
	} else if (r < 0 && j.path)
		fail(c, "lost the job of", NULL, r);
	sd_bus_slot_unref(slot);
	free(j.path);
	free(j.result);
	return r;
}

static int load(struct call *c, char **load_state)
{
	sd_bus_message *reply = NULL;
	const char *path;
	int r;

	r = manager(c, "LoadUnit", "cannot load", &reply, "s", c->s->unit);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0 && !(c->path = strdup(path)))
		r = -ENOMEM;
	sd_bus_message_unref(reply);
	if (r >= 0)
		r = unit_str(c, SD_UNIT, "LoadState", load_state);
	return r;
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
		mgmt_error(c->res, "cannot enable %s: its unit file state is "
			   "\"%s\" (enabling needs an [Install] section and "
			   "no mask)", c->s->unit, state);
		sd_bus_message_unref(reply);
		return -EINVAL;
	}
	sd_bus_message_unref(reply);
	if (want == enabled)
		return 0;
	if (!apply)
		return 1;
	if (want)
		r = manager(c, "EnableUnitFiles", "cannot enable", NULL,
			    "asbb", 1, c->s->unit, 0, 1);
	else
		r = manager(c, "DisableUnitFiles", "cannot disable", NULL,
			    "asb", 1, c->s->unit, (int)runtime);
	if (r >= 0)
		r = manager(c, "Reload", "cannot reload systemd for", NULL,
			    NULL);
	if (r < 0)
		return r;
	mgmt_info(c->res, "%s %s", want ? "enabled" : "disabled",
		  c->s->unit);
	return 1;
}

static int apply_state(struct call *c, bool apply)
{
	bool want = c->s->state == SVC_RUNNING, up;
	char *active = NULL, state[256];
	int r = unit_str(c, SD_UNIT, "ActiveState", &active);

	if (r < 0)
		return r;
	up = is_up(active);
	free(active);
	if (want && up && mgmt_host->refreshed(c->res)) {
		if (!apply)
			return 1;
		if ((r = reload_if_needed(c, apply)) < 0 ||
		    (r = run_job(c, "RestartUnit", "restart")) < 0)
			return r;
		mgmt_info(c->res, "restarted %s (refresh)", c->s->unit);
		return 1;
	}
	if (want == up)
		return 0;
	if (!apply)
		return 1;
	if (want && (r = reload_if_needed(c, apply)) < 0)
		return r;
	r = run_job(c, want ? "StartUnit" : "StopUnit",
		    want ? "start" : "stop");
	if (r < 0)
		return r;
	if (want) {
		/* "done" also ends a start whose condition failed, and one of
		 * a simple service that failed at once.  Stopped by someone
		 * else meanwhile is no failure of ours: the run's end sees
		 * the unit is not as desired and runs it again. */
		int cond = 1;
		sd_bus_error e = SD_BUS_ERROR_NULL;

		r = unit_str(c, SD_UNIT, "ActiveState", &active);
		if (r < 0)
			return r;
		up = is_up(active);
		sd_bus_get_property_trivial(c->bus, SD_DEST, c->path, SD_UNIT,
					    "ConditionResult", &e, 'b', &cond);
		sd_bus_error_free(&e);
		if (!up && (!strcmp(active, "failed") || !cond)) {
			describe(c, state, sizeof(state));
			mgmt_error(c->res, "start of %s did not start it: %s%s",
				   c->s->unit, state,
				   cond ? "" : "; a condition failed");
			free(active);
			return -EIO;
		}
		free(active);
	}
	mgmt_info(c->res, "%s %s", want ? "started" : "stopped", c->s->unit);
	return 1;
}

bool svc_active_state_of(sd_bus_message *m, char *buf, size_t len)
{
	const char *iface, *key, *val;
	bool found = false;

	if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, SD_UNIT) ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return false;
	while (!found &&
	       sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		if (sd_bus_message_read(m, "s", &key) < 0)
			return false;
		if (strcmp(key, "ActiveState") == 0) {
			if (sd_bus_message_read(m, "v", "s", &val) < 0)
				return false;
			snprintf(buf, len, "%s", val);
			found = true;
		} else if (sd_bus_message_skip(m, "v") < 0) {
			return false;
		}
		sd_bus_message_exit_container(m);
	}
	return found;
}

/* Read the ActiveState into buf ("" when it cannot be read). */
static void read_active(struct call *c, char *buf, size_t len)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *active = NULL;

	buf[0] = '\0';
	if (c->path &&
	    sd_bus_get_property_string(c->bus, SD_DEST, c->path, SD_UNIT,
				       "ActiveState", &e, &active) >= 0)
		snprintf(buf, len, "%s", active);
	sd_bus_error_free(&e);
	free(active);
}

/* End of a run: what it left is no event; what moved meanwhile is, and so
 * is a successful run whose unit is no longer as desired (someone stopped
 * it again while the run waited for its job, and those signals were taken
 * for echoes).  A failed run leaves the next try to meta retry/delay. */
static void settle(struct call *c, bool ok)
{
	char before[sizeof(c->s->end_active)], after[sizeof(before)];
	bool wrong;

	read_active(c, before, sizeof(before));
	pthread_mutex_lock(&c->s->lock);
	memcpy(c->s->end_active, before, sizeof(before));
	c->s->busy = false;
	pthread_mutex_unlock(&c->s->lock);
	read_active(c, after, sizeof(after));
	wrong = ok && c->s->state >= 0 && after[0] &&
		is_up(after) != (c->s->state == SVC_RUNNING);
	if (strcmp(before, after) != 0 || wrong) {
		mgmt_debug(c->res, "state moved during the run: %s -> %s",
			   before, after);
		mgmt_dirty(c->res);
	}
}

int svc_check_apply(mgmt_res *res, void *p, bool apply)
{
	struct call c = { .res = res, .s = p };
	char *load_state = NULL;
	int r, changed = 0;

	if (c.s->state < 0 && c.s->startup < 0)
		return MGMT_CONVERGED; /* nothing managed */
	r = bus_open(c.s->session, &c.bus);
	if (r < 0) {
		mgmt_error(res, "cannot connect to the %s bus: %s",
			   c.s->session ? "user" : "system", strerror(-r));
		return MGMT_ERROR;
	}
	pthread_mutex_lock(&c.s->lock);
	c.s->busy = true;
	pthread_mutex_unlock(&c.s->lock);
	r = load(&c, &load_state);
	if (r >= 0 && strcmp(load_state, "not-found") == 0) {
		mgmt_error(res, "unit %s not found (systemd's LoadState is "
			   "\"not-found\"): install or write its unit file",
			   c.s->unit);
		r = -ENOENT;
	} else if (r >= 0 && strcmp(load_state, "loaded") != 0) {
		mgmt_error(res, "unit %s cannot be used: LoadState \"%s\"",
			   c.s->unit, load_state);
		r = -EINVAL;
	}
	if (r >= 0 && c.s->startup >= 0) {
		r = apply_startup(&c, apply);
		changed |= r > 0;
	}
	if (r >= 0 && c.s->state >= 0) {
		r = apply_state(&c, apply);
		changed |= r > 0;
	}
	settle(&c, r >= 0);
	free(load_state);
	free(c.path);
	sd_bus_flush_close_unref(c.bus);
	if (r < 0)
		return MGMT_ERROR;
	return changed ? MGMT_CHANGED : MGMT_CONVERGED;
}

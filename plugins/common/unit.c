/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * unit.c - one systemd unit from a worker thread's private connection
 * (unit.h).  A job is followed as systemctl follows it: the JobRemoved match
 * is added before the call (a fast job could end before a later match), and
 * the signal whose job path is the call's reply ends the wait.  Connected
 * clients get JobRemoved for their own jobs without subscribing.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

int unit_reload(sd_bus *bus, sd_bus_error *e)
{
	return sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Reload",
				  e, NULL, "");
}

struct job_wait {
	const char *path; /* the job's object path, once queued */
	char *result;
	size_t len;
	bool done;
};

static int on_job_removed(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct job_wait *w = data;
	const char *path, *unit, *result;
	uint32_t id;

	if (!w->path || w->done ||
	    sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 ||
	    strcmp(path, w->path) != 0)
		return 0;
	snprintf(w->result, w->len, "%s", result);
	w->done = true;
	return 0;
}

int unit_job(sd_bus *bus, const char *method, const char *unit, char *result,
	     size_t len, sd_bus_error *e)
{
	struct job_wait w = { .result = result, .len = len };
	sd_bus_message *reply = NULL;
	sd_bus_slot *slot = NULL;
	char *job = NULL;
	const char *path;
	int r;

	snprintf(result, len, "?");
	r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER,
				"JobRemoved", on_job_removed, &w);
	if (r >= 0)
		r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER,
				       method, e, &reply, "ss", unit,
				       "replace");
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0 && !(job = strdup(path)))
		r = -ENOMEM;
	if (r >= 0) {
		w.path = job;
		r = bus_run_until(bus, &w.done, UNIT_JOB_TIMEOUT);
	}
	free(job);
	sd_bus_message_unref(reply);
	sd_bus_slot_unref(slot);
	return r;
}

int unit_active_state(sd_bus *bus, const char *unit, char *buf, size_t len,
		      bool *need_reload, sd_bus_error *e)
{
	sd_bus_message *reply = NULL;
	const char *path;
	char *state = NULL;
	int need = 0, r;

	if (need_reload)
		*need_reload = false;
	/* GetUnit, unlike LoadUnit, leaves an unloaded unit unloaded: a
	 * check makes systemd send no UnitNew (which would be an event). */
	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", e,
			       &reply, "s", unit);
	if (r < 0 && sd_bus_error_has_name(e, SD_DEST ".NoSuchUnit")) {
		sd_bus_error_free(e);
		snprintf(buf, len, "inactive");
		return 0;
	}
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0)
		r = sd_bus_get_property_string(bus, SD_DEST, path, SD_UNIT,
					       "ActiveState", e, &state);
	if (r >= 0 && need_reload)
		r = sd_bus_get_property_trivial(bus, SD_DEST, path, SD_UNIT,
						"NeedDaemonReload", e, 'b',
						&need);
	if (r >= 0) {
		snprintf(buf, len, "%s", state);
		if (need_reload)
			*need_reload = need;
	}
	free(state);
	sd_bus_message_unref(reply);
	return r < 0 ? r : 0;
}

int unit_file_state(sd_bus *bus, const char *unit, char *buf, size_t len,
		    sd_bus_error *e)
{
	sd_bus_message *reply = NULL;
	const char *state;
	int r;

	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER,
			       "GetUnitFileState", e, &reply, "s", unit);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &state);
	if (r >= 0)
		snprintf(buf, len, "%s", state);
	sd_bus_message_unref(reply);
	return r < 0 ? r : 0;
}

int unit_enable(sd_bus *bus, const char *unit, bool enable, sd_bus_error *e)
{
	int r;

	if (enable)
		r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER,
				       "EnableUnitFiles", e, NULL, "asbb", 1,
				       unit, 0, 1);
	else
		r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER,
				       "DisableUnitFiles", e, NULL, "asb", 1,
				       unit, 0);
	return r < 0 ? r : unit_reload(bus, e);
}

int unit_escape_path(const char *path, const char *suffix, char *buf,
		     size_t len)
{
	static const char valid[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.";
	size_t n = 0, slen = strlen(suffix);
	const char *p = path;

	while (*p == '/')
		p++;
	if (!*p) {
		p = "-"; /* the root */
		if (len < 2 + slen)
			return -ENAMETOOLONG;
		snprintf(buf, len, "-%s", suffix);
		return 0;
	}
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool esc = c != '/' &&
			   (!c || !strchr(valid, c) || (n == 0 && c == '.'));

		if (c == '/' && !p[1])
			break; /* a trailing slash */
		if (n + (esc ? 4 : 1) + slen + 1 > len)
			return -ENAMETOOLONG;
		if (esc)
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		else
			buf[n++] = c == '/' ? '-' : (char)c;
	}
	if (n + slen > 255)
		return -ENAMETOOLONG;
	memcpy(buf + n, suffix, slen + 1);
	return 0;
}

bool unit_active_state_of(sd_bus_message *m, char *buf, size_t len)
{
	const char *iface, *key, *val;
	bool found = false;

	if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, SD_UNIT) ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return false;
	while (!found && sd_bus_message_enter_container(m, 'e', "sv") > 0) {
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

void unit_subscribe_reply(mgmt_res *res, sd_bus_message *m)
{
	const sd_bus_error *err = sd_bus_message_get_error(m);

	if (err && !sd_bus_error_has_name(err, SD_DEST ".AlreadySubscribed"))
		mgmt_warn(res,
			  "Subscribe: %s (state changes made by others may "
			  "be missed)",
			  bus_errstr(err, -EIO));
}

bool unit_is_up(const char *s)
{
	return !strcmp(s, "active") || !strcmp(s, "activating") ||
	       !strcmp(s, "reloading");
}

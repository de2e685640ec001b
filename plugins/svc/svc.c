/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * svc.c - the svc resource: a systemd unit running or stopped, enabled or
 * disabled, through systemd's D-Bus API (no systemctl).
 *
 * The watch shares the plugin's one loop connection (common/bus.h): each
 * resource matches its unit's PropertiesChanged and the manager's JobRemoved,
 * UnitNew and UnitRemoved for its unit (and UnitFilesChanged when it manages
 * startup), and the connection calls Subscribe, without which systemd sends
 * no unit properties.  Every such signal only marks the resource dirty:
 * signals come duplicated and level-triggered, and the engine coalesces them
 * into one re-check, which reads the real state itself (apply.c).
 *
 * Units of one service manager group (group_cmp): the group's check_apply
 * queues all their jobs at once and waits for them together.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

static const char *const state_choices[] = { "running", "stopped", NULL };
static const char *const startup_choices[] = { "enabled", "disabled", NULL };

static const struct mgmt_param svc_params[] = {
	MGMT_PARAM_CHOICE(struct svc, state, state_choices, NULL, 0,
			  "running or stopped; unset: not managed"),
	MGMT_PARAM_CHOICE(struct svc, startup, startup_choices, NULL, 0,
			  "enabled or disabled at boot; unset: not managed"),
	MGMT_PARAM(struct svc, session, MGMT_PARAM_BOOL, "false", 0,
		   "the user's service manager instead of the system one"),
	MGMT_PARAM_END,
};

static int svc_validate(mgmt_res *res, void *p)
{
	struct svc *s = p;
	/* The unit is the resource's name, as in mgmt: "nginx" or
	 * "nginx.service", "sshd.socket". */
	const char *n = mgmt_res_name(res);
	const char *suffix = strchr(n, '.') ? "" : ".service";

	/* systemd's own rule for unit names, less the template details. */
	if (n[0] == '.') {
		mgmt_invalid(res, NULL, "\"%s\" is not a unit name", n);
		return -1;
	}
	/* At most 255 characters (UNIT_NAME_MAX, 256 with the NUL) for the
	 * unit as systemd gets it: with the ".service" added. */
	if (strlen(n) + strlen(suffix) > 255) {
		mgmt_invalid(res, NULL,
			     "\"%s\" is not a unit name (longer than 255 "
			     "characters%s)",
			     n, *suffix ? " with \".service\"" : "");
		return -1;
	}
	for (const char *c = n; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@",
			    *c)) {
			mgmt_invalid(res, NULL,
				     "\"%s\" is not a unit name (character "
				     "'%c')",
				     n, *c);
			return -1;
		}
	snprintf(s->unit, sizeof(s->unit), "%s%s", n, suffix);
	return 0;
}

static int svc_init(mgmt_res *res, void *p)
{
	struct svc *s = p;
	int r;

	s->res = res;
	pthread_mutex_init(&s->lock, NULL);
	r = sd_bus_path_encode(SD_UNIT_PREFIX, s->unit, &s->unit_path);
	return r < 0 ? r : 0;
}

/* The resource whose busloop_user `u` is. */
static struct svc *svc_of(struct busloop_user *u)
{
	return (struct svc *)((char *)u - offsetof(struct svc, bus));
}

static void drop_slots(struct busloop_user *u)
{
	struct svc *s = svc_of(u);

	for (size_t i = 0; i < sizeof(s->slots) / sizeof(s->slots[0]); i++)
		s->slots[i] = sd_bus_slot_unref(s->slots[i]);
}

static void svc_cleanup(mgmt_res *res, void *p)
{
	struct svc *s = p;

	drop_slots(&s->bus);
	busloop_detach(&s->bus);
	free(s->unit_path);
	if (s->res)
		pthread_mutex_destroy(&s->lock);
}

static int on_signal(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct svc *s = data;
	bool props = sd_bus_message_is_signal(m, NULL, "PropertiesChanged");
	char active[sizeof(s->end_active)] = "";
	uint32_t removed = 0;
	bool event;

	if (props && !unit_active_state_of(m, active, sizeof(active)))
		return 0; /* other properties: the state did not move */
	if (sd_bus_message_is_signal(m, NULL, "JobRemoved")) {
		const char *job, *unit, *result;

		/* Every unit's (on_connected): this unit's only. */
		if (sd_bus_message_read(m, "uoss", &removed, &job, &unit,
					&result) < 0 ||
		    strcmp(unit, s->unit) != 0)
			return 0;
	}
	pthread_mutex_lock(&s->lock);
	event = svc_is_news(s, props, active, removed);
	if (event && props) /* duplicates of this change are not new events */
		memcpy(s->end_active, active, sizeof(active));
	pthread_mutex_unlock(&s->lock);
	if (!event)
		return 0;
	mgmt_debug(s->res, "%s%s%s", sd_bus_message_get_member(m),
		   props ? ": " : "", props ? active : "");
	if (s->ready)
		mgmt_dirty(s->res);
	return 0;
}

/* The reply to Subscribe: the watch is in place from here on. */
static int on_subscribed(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct svc *s = data;

	unit_subscribe_reply(s->res, m);
	s->ready = true;
	if (!s->in_watch) /* else the watch hook says so itself */
		mgmt_dirty(s->res);
	return 0;
}

static int match(struct svc *s, sd_bus *bus, size_t i, const char *rule)
{
	int r = sd_bus_add_match_async(bus, &s->slots[i], rule, on_signal, NULL,
				       s);

	if (r < 0)
		mgmt_error(s->res, "cannot watch systemd (%s): %s", rule,
			   strerror(-r));
	return r;
}

static int on_ref(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct svc *s = data;
	const sd_bus_error *err = sd_bus_message_get_error(m);

	if (err)
		mgmt_warn(s->res,
			  "cannot keep %s loaded (Ref): %s; its "
			  "changes may be missed while it is stopped",
			  s->unit, bus_errstr(err, -EIO));
	return 0;
}

/* LoadUnit's reply: hold a reference on the unit for as long as the loop
 * connection lives.  Without it systemd unloads a stopped unit, and every
 * check (which loads it again) would send UnitNew and UnitRemoved, that is
 * an event that triggers the next check. */
static int on_loaded(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct svc *s = data;
	const char *path;
	int r;

	if (sd_bus_message_is_method_error(m, NULL) ||
	    sd_bus_message_read(m, "o", &path) < 0)
		return on_ref(m, data, e);
	r = sd_bus_call_method_async(sd_bus_message_get_bus(m), &s->slots[7],
				     SD_DEST, path, SD_UNIT, "Ref", on_ref, s,
				     "");
	if (r < 0)
		mgmt_warn(s->res, "cannot keep %s loaded (Ref): %s", s->unit,
			  strerror(-r));
	return 0;
}

/* The loop connection is up: match this unit's signals, then subscribe. */
static void on_connected(struct busloop_user *u, sd_bus *bus)
{
	struct svc *s = svc_of(u);
	char rule[1024];
	/* UnitNew(s id, o unit), UnitRemoved(s id, o unit): matched on their
	 * unit; JobRemoved(u id, o job, s unit, s result) is not (a match on
	 * its third argument was never delivered here), so on_signal picks
	 * this unit's out of every unit's. */
	static const char *const members[] = { "UnitNew", "UnitRemoved",
					       "JobRemoved" };

	drop_slots(u);
	/* What the last connection was still to hear is lost with it. */
	pthread_mutex_lock(&s->lock);
	s->echo_job = s->removed_job = 0;
	pthread_mutex_unlock(&s->lock);
	snprintf(rule, sizeof(rule),
		 "type='signal',sender='" SD_DEST "',path='%s',"
		 "interface='org.freedesktop.DBus.Properties',"
		 "member='PropertiesChanged'",
		 s->unit_path);
	if (match(s, bus, 0, rule) < 0)
		return;
	for (size_t i = 0; i < 3; i++) {
		char arg[sizeof(s->unit) + 16] = "";

		if (i < 2)
			snprintf(arg, sizeof(arg), ",arg0='%s'", s->unit);
		snprintf(rule, sizeof(rule),
			 "type='signal',sender='" SD_DEST "',path='" SD_PATH
			 "',interface='" SD_MANAGER "',member='%s'%s",
			 members[i], arg);
		if (match(s, bus, 1 + i, rule) < 0)
			return;
	}
	if (s->startup >= 0 &&
	    match(s, bus, 4,
		  "type='signal',sender='" SD_DEST "',path='" SD_PATH
		  "',interface='" SD_MANAGER "',member='UnitFilesChanged'") < 0)
		return;
	int r = sd_bus_call_method_async(bus, &s->slots[6], SD_DEST, SD_PATH,
					 SD_MANAGER, "LoadUnit", on_loaded, s,
					 "s", s->unit);
	if (r >= 0)
		r = sd_bus_call_method_async(bus, &s->slots[5], SD_DEST,
					     SD_PATH, SD_MANAGER, "Subscribe",
					     on_subscribed, s, "");
	if (r < 0)
		mgmt_error(s->res, "cannot subscribe to systemd: %s",
			   strerror(-r));
}

static int svc_watch(mgmt_res *res, void *p)
{
	struct svc *s = p;

	s->bus.connected = on_connected;
	s->bus.disconnected = drop_slots;
	s->ready = false;
	/* Not reachable now: the connection retries, and the resource
	 * becomes ready when it is up.  The replies may also come before
	 * attach returns, when the watch is ready at once. */
	s->in_watch = true;
	busloop_attach(&s->bus, s->session);
	s->in_watch = false;
	return s->ready ? 0 : MGMT_WATCH_PENDING;
}

/* Units of one service manager group: their jobs are queued together and
 * systemd runs them in parallel. */
static bool svc_group_cmp(mgmt_res *leader, void *lp, mgmt_res *other, void *op)
{
	return ((struct svc *)lp)->session == ((struct svc *)op)->session;
}

static size_t svc_group_key(mgmt_res *res, void *p, const char **key)
{
	*key = ((struct svc *)p)->session ? "user" : "system";
	return strlen(*key);
}

static const char *svc_uid(mgmt_res *res, void *p)
{
	struct svc *s = p;

	if (!s->session)
		return s->unit;
	snprintf(s->uid, sizeof(s->uid), "user/%s", s->unit);
	return s->uid;
}

/* After the file resources that write the unit file, where its service
 * manager reads units from: the system manager's unit directories, or for
 * session: true the user manager's (systemd.unit(5), "User Unit Search
 * Path"), each with /lib as well as /usr/lib for systems whose /lib is not
 * /usr/lib.  Of the user manager's, only the system-wide ones: the others
 * are under the user's home (~/.config, $XDG_DATA_HOME) or runtime
 * directory ($XDG_RUNTIME_DIR), and the engine knows no user's home or
 * uid.  Neither list has /usr/local/lib/systemd/... (nor the user's
 * $XDG_CONFIG_DIRS and $XDG_DATA_DIRS ones). */
static void svc_autoedges(mgmt_res *res, void *p, mgmt_autoedge_cb add,
			  void *ctx)
{
	static const char *const dirs[2][4] = {
		{ "/etc/systemd/system", "/run/systemd/system",
		  "/lib/systemd/system", "/usr/lib/systemd/system" },
		{ "/etc/systemd/user", "/run/systemd/user", "/lib/systemd/user",
		  "/usr/lib/systemd/user" },
	};
	struct svc *s = p;
	const char *const *dir = dirs[s->session ? 1 : 0];
	char path[512];

	for (size_t i = 0; i < sizeof(dirs[0]) / sizeof(dirs[0][0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir[i], s->unit);
		add(ctx, MGMT_EDGE_AFTER, "file", path);
	}
}

static const struct mgmt_kind svc_kind = {
	MGMT_KIND_HEADER,
	.name = "svc",
	.doc = "a systemd unit: running or stopped, enabled or disabled",
	.params = svc_params,
	.params_size = sizeof(struct svc),
	.validate = svc_validate,
	.init = svc_init,
	.cleanup = svc_cleanup,
	.watch = svc_watch,
	.check_apply = svc_check_apply,
	.group_cmp = svc_group_cmp,
	.group_key = svc_group_key,
	.uid = svc_uid,
	.autoedges = svc_autoedges,
	.flags = MGMT_KIND_SYSTEM,
};

static const struct mgmt_kind *const svc_kinds[] = { &svc_kind, NULL };

MGMT_PLUGIN_DEFINE("svc", PACKAGE_VERSION, "the svc resource (systemd)",
		   svc_kinds, NULL, NULL);

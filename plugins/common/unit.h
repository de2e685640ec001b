/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * unit.h - systemd's manager from a worker thread, one unit at a time: the
 * calls the mount and cron plugins make from check_apply on their private
 * connection (common/bus.h, bus_open).  Each logs nothing itself: it returns
 * <0 and leaves systemd's words in `e` for the caller's one line.
 *
 * And the pure helpers both need: systemd's escaping of a path into a unit
 * name (systemd-escape --path), and the ActiveState carried by a
 * PropertiesChanged signal.
 */
#ifndef MGMT_PLUGINS_COMMON_UNIT_H
#define MGMT_PLUGINS_COMMON_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include <mgmt/mgmt.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"
#define SD_UNIT_PREFIX "/org/freedesktop/systemd1/unit"

/* How long a start, stop or restart job may take: longer than systemd's
 * own default timeouts (90 s), so its verdict comes first. */
#define UNIT_JOB_TIMEOUT 120.0

/* Manager.Reload (systemctl daemon-reload).  Returns 0 or <0. */
int unit_reload(sd_bus *bus, sd_bus_error *e);

/* Call `method` (StartUnit, StopUnit, RestartUnit) for `unit` in "replace"
 * mode and wait for the job's JobRemoved; its result ("done", "failed",
 * "timeout"...) goes to `result`.  Returns 0, or <0 (-ETIMEDOUT after
 * UNIT_JOB_TIMEOUT, -ECANCELED when the engine stops the run). */
int unit_job(sd_bus *bus, const char *method, const char *unit, char *result,
	     size_t len, sd_bus_error *e);

/* The unit's ActiveState, without loading it: a unit systemd has not loaded
 * is "inactive".  NeedDaemonReload goes to *need_reload when not NULL
 * (false for a unit not loaded).  Returns 0 or <0. */
int unit_active_state(sd_bus *bus, const char *unit, char *buf, size_t len,
		      bool *need_reload, sd_bus_error *e);

/* GetUnitFileState ("enabled", "disabled", "static"...).  Returns 0 or <0
 * (a unit without a file is an error, org.freedesktop.DBus.Error.FileNotFound
 * or NoSuchUnit in `e`). */
int unit_file_state(sd_bus *bus, const char *unit, char *buf, size_t len,
		    sd_bus_error *e);

/* EnableUnitFiles (not runtime, forced: replacing links) or
 * DisableUnitFiles (not runtime) for one unit, then Reload, as systemctl
 * does.  Returns 0 or <0. */
int unit_enable(sd_bus *bus, const char *unit, bool enable, sd_bus_error *e);

/* systemd-escape --path PATH, with `suffix` (".mount") added: "/" is "-",
 * "/srv/a b" is "srv-a\x20b".  `path` is absolute and normalised (no "//",
 * no "/./", no "/../", no trailing "/").  Returns 0, or -ENAMETOOLONG when
 * the result (with its NUL) does not fit in `len` or is longer than
 * systemd's 255 characters. */
int unit_escape_path(const char *path, const char *suffix, char *buf,
		     size_t len);

/* The ActiveState in a PropertiesChanged of the Unit interface, copied into
 * buf; false when the signal does not carry it. */
bool unit_active_state_of(sd_bus_message *m, char *buf, size_t len);

/* The reply to the loop connection's Manager.Subscribe: warn on `res`
 * unless it succeeded or the connection had subscribed already (one
 * connection subscribes once; later resources are told so). */
void unit_subscribe_reply(mgmt_res *res, sd_bus_message *m);

/* Is ActiveState `s` up (active, activating, reloading)? */
bool unit_is_up(const char *s);

#endif /* MGMT_PLUGINS_COMMON_UNIT_H */

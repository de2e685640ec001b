/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * apply.c - check_apply of the mount resource, on a worker thread.
 *
 * First /etc/fstab: the point's line is made what the resource says (or
 * removed), every other line kept, and the file replaced by a rename so
 * that no reader sees half of it.  Then the mount, read from
 * /proc/self/mountinfo: with state exists, the point must have the device
 * (and the type, unless it is "auto") mounted; with absent, nothing.  To
 * fix it, systemd is reloaded (its fstab generator turns the line into the
 * point's .mount unit) and that unit started, restarted (another device is
 * mounted there) or stopped, waiting for the job.  Only that unit: mgmt
 * restarts local-fs.target, which mounts every line of fstab.
 *
 * Options are compared in fstab only: the kernel shows them rewritten
 * (defaults expanded, userspace options such as nofail gone), so a mount's
 * options take effect when it is next mounted, as in mgmt.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bus.h"
#include "common/textfile.h"
#include "common/unit.h"
#include "mount.h"

/* Replace /etc/fstab with `text`, keeping its mode (0644 when new). */
static int write_fstab(const char *text)
{
	struct stat st;

	return textfile_replace(
		MOUNT_FSTAB, text,
		stat(MOUNT_FSTAB, &st) == 0 ? st.st_mode & 07777 : 0644);
}

/* fstab: the line as the resource wants it.  Returns 1 when it changed (or
 * would), 0 when it was right, <0 after logging. */
static int fix_fstab(mgmt_res *res, struct mount *m, bool apply)
{
	const char *point = mgmt_res_name(res);
	char *old = NULL, *new = NULL, *want = NULL;
	int r = textfile_read(MOUNT_FSTAB, &old);

	if (r < 0) {
		mgmt_error(res, "cannot read " MOUNT_FSTAB ": %s",
			   strerror(-r));
		return r;
	}
	if (m->state == MOUNT_EXISTS && !(want = mount_fstab_line(m, point)))
		r = -ENOMEM;
	if (r >= 0)
		r = mount_fstab_edit(old, point, want, &new);
	if (r > 0 && apply) {
		int w = mount_fstab_writing(m, new);

		if (w == 0)
			w = write_fstab(new);
		r = w < 0 ? w : 1;
	}
	if (r < 0) {
		mgmt_error(res, "cannot write " MOUNT_FSTAB ": %s",
			   strerror(-r));
	} else if (r > 0) {
		if (want)
			mgmt_info(res, "%s the line \"%s\" in " MOUNT_FSTAB,
				  apply ? "wrote" : "would write", want);
		else
			mgmt_info(res, "%s the line for %s from " MOUNT_FSTAB,
				  apply ? "removed" : "would remove", point);
	}
	free(old);
	free(new);
	free(want);
	return r;
}

/* What is mounted at the point: 0 nothing, 1 the wanted mount, 2 another.
 * <0 after logging. */
static int mounted(mgmt_res *res, const struct mount *m, char *source,
		   size_t slen)
{
	char *info = NULL, fstype[256];
	int r = textfile_read(MOUNT_MOUNTINFO, &info);

	if (r < 0) {
		mgmt_error(res, "cannot read " MOUNT_MOUNTINFO ": %s",
			   strerror(-r));
		return r;
	}
	r = mount_info_find(info, mgmt_res_name(res), source, slen, fstype,
			    sizeof(fstype));
	free(info);
	if (!r || m->state == MOUNT_ABSENT)
		return r;
	if (!mount_same_device(m->device, source) ||
	    (strcmp(m->type, "auto") != 0 && strcmp(m->type, fstype) != 0))
		return 2;
	return 1;
}

/* Reload systemd and run `method` on the point's unit.  <0 after logging. */
static int run_unit(mgmt_res *res, struct mount *m, const char *method,
		    const char *verb)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	char result[32];
	int r = bus_open(false, &bus);

	if (r < 0) {
		mgmt_error(res, "cannot connect to the system bus: %s",
			   strerror(-r));
		return r;
	}
	r = unit_reload(bus, &e);
	if (r < 0)
		mgmt_error(res, "cannot reload systemd: %s", bus_errstr(&e, r));
	else if (method && (r = unit_job(bus, method, m->unit, result,
					 sizeof(result), &e)) < 0)
		mgmt_error(res, "cannot %s %s (%s): %s", verb,
			   mgmt_res_name(res), m->unit, bus_errstr(&e, r));
	else if (method && strcmp(result, "done") != 0)
		mgmt_error(res,
			   "%s of %s failed: job %s (journalctl -u %s says "
			   "why)",
			   verb, mgmt_res_name(res), result, m->unit);
	if (method && r >= 0 && strcmp(result, "done") != 0)
		r = -EIO;
	sd_bus_error_free(&e);
	sd_bus_flush_close_unref(bus);
	return r;
}

int mount_check_apply(mgmt_res *res, void *p, bool apply)
{
	struct mount *m = p;
	const char *point = mgmt_res_name(res);
	bool want = m->state == MOUNT_EXISTS;
	char source[4096] = "";
	int fstab, now, r;
	const char *method = NULL, *verb = NULL;

	fstab = fix_fstab(res, m, apply);
	if (fstab < 0)
		return MGMT_ERROR;
	now = mounted(res, m, source, sizeof(source));
	if (now < 0)
		return MGMT_ERROR;
	if (want && now != 1) {
		method = now ? "RestartUnit" : "StartUnit";
		verb = now ? "remount" : "mount";
	} else if (!want && now) {
		method = "StopUnit";
		verb = "unmount";
	}
	if (!method && !fstab)
		return MGMT_CONVERGED;
	if (!apply) {
		if (method)
			mgmt_info(res, "would %s %s%s%s", verb, point,
				  now == 2 ? " (now from " : "",
				  now == 2 ? source : "");
		return MGMT_CHANGED;
	}
	/* A changed fstab alone still needs the reload: systemd's unit for
	 * the point must say what the file says. */
	r = run_unit(res, m, method, verb);
	if (r < 0)
		return MGMT_ERROR;
	if (!method)
		return MGMT_CHANGED;
	now = mounted(res, m, source, sizeof(source));
	if (now < 0)
		return MGMT_ERROR;
	if (want ? now != 1 : now != 0) {
		mgmt_error(res,
			   "%s of %s: systemd's job is done, but %s is %s "
			   "(journalctl -u %s may say why)",
			   verb, point, point,
			   !now ? "not mounted" :
			   want ? "mounted from another device" :
				  "still mounted",
			   m->unit);
		return MGMT_ERROR;
	}
	mgmt_info(res, "%s %s", want ? "mounted" : "unmounted", point);
	return MGMT_CHANGED;
}

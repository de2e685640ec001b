/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * apply.c - check_apply of the hostname resource, on a worker thread.
 *
 * Each call opens its own connection to the system bus (common/bus.h:
 * sd-bus connections are not shared between threads), which activates
 * systemd-hostnamed when it is not running.  For each managed hostname, in
 * the order pretty, static, transient, it reads hostnamed's property and,
 * when it differs, calls the setter with interactive=false (no polkit
 * prompt; root needs none).  Each property is read just before it is
 * compared, because setting the static hostname also sets the kernel's.
 *
 * hostnamed keeps the kernel's hostname at the static one while one is set
 * (validate refuses a resource that wants them different), so a transient
 * hostname that the setter did not reach is reported as an error naming
 * the static hostname that won, rather than being retried for ever.  Unless
 * the resource manages the static hostname too: then someone changed it
 * after it was checked (hostnamectl set-hostname sets the three in turn),
 * and one more pass sets it back before the error is decided.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostname.h"

/* hostnamed's value of property `i` into *out (free it). */
static int get(mgmt_res *res, sd_bus *bus, int i, char **out)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_get_property_string(bus, HN_DEST, HN_PATH, HN_IFACE,
					   hn_property[i], &e, out);

	if (r < 0)
		mgmt_error(res, "cannot read the %s from systemd-hostnamed: %s",
			   hn_words[i], bus_errstr(&e, r));
	sd_bus_error_free(&e);
	return r;
}

static int set(mgmt_res *res, sd_bus *bus, int i, const char *value)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(bus, HN_DEST, HN_PATH, HN_IFACE,
				   hn_setter[i], &e, NULL, "sb", value, 0);

	if (r < 0)
		mgmt_error(res, "cannot set the %s to \"%s\" (%s): %s",
			   hn_words[i], value, hn_setter[i], bus_errstr(&e, r));
	sd_bus_error_free(&e);
	return r;
}

/* Check (and with apply, set) hostname `i`: MGMT_CONVERGED, MGMT_CHANGED or
 * <0 (logged), or -EAGAIN (not logged) when the transient hostname did not
 * stick and `again`: the static hostname, also managed, was changed by
 * someone after it was checked. */
static int one(mgmt_res *res, sd_bus *bus, int i, const char *want, bool apply,
	       bool again)
{
	char *have = NULL, *now = NULL, *stat = NULL;
	int r = get(res, bus, i, &have);

	if (r < 0 || !strcmp(have, want)) {
		free(have);
		return r < 0 ? r : MGMT_CONVERGED;
	}
	if (!apply) {
		mgmt_info(res, "would set the %s: \"%s\" -> \"%s\"",
			  hn_words[i], have, want);
		free(have);
		return MGMT_CHANGED;
	}
	r = set(res, bus, i, want);
	if (r >= 0 && i == HN_TRANSIENT && (r = get(res, bus, i, &now)) >= 0 &&
	    strcmp(now, want) != 0) {
		/* the static hostname won (see the top of this file) */
		if (again) {
			free(have);
			free(now);
			return -EAGAIN;
		}
		if (get(res, bus, HN_STATIC, &stat) >= 0)
			mgmt_error(res,
				   "the transient hostname stays \"%s\": "
				   "systemd-hostnamed keeps it at the static "
				   "hostname \"%s\"; manage that one too, or "
				   "clear it",
				   now, stat);
		r = -EEXIST;
	}
	if (r >= 0)
		mgmt_info(res, "set the %s: \"%s\" -> \"%s\"", hn_words[i],
			  have, want);
	free(have);
	free(now);
	free(stat);
	return r < 0 ? r : MGMT_CHANGED;
}

int hn_check_apply(mgmt_res *res, void *p, bool apply)
{
	struct hostname *h = p;
	sd_bus *bus = NULL;
	int r, result = MGMT_CONVERGED;

	r = bus_open(false, &bus);
	if (r < 0) {
		mgmt_error(res, "cannot connect to the system bus: %s",
			   strerror(-r));
		return MGMT_ERROR;
	}
	/* A second pass when someone set the static hostname while this one
	 * ran (hostnamectl set-hostname sets all three, one after another):
	 * the static is then fixed again, and the transient follows it. */
	for (int pass = 0; pass < 2; pass++) {
		bool again = pass == 0 && h->want[HN_STATIC];

		for (int i = 0; i < HN_N && result >= 0; i++)
			if (h->want[i]) {
				r = one(res, bus, i, h->want[i], apply, again);
				if (r == -EAGAIN)
					break;
				result = r < 0             ? MGMT_ERROR :
					 r == MGMT_CHANGED ? MGMT_CHANGED :
							     result;
			}
		if (r != -EAGAIN)
			break;
		mgmt_debug(res, "the static hostname changed meanwhile: "
				"checking again");
	}
	sd_bus_flush_close_unref(bus);
	return result;
}

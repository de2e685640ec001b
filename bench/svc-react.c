/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * svc-react.c - how fast is a service stopped by someone else running again?
 *
 * Runs inside the sandbox of bench/svc.sh, next to an engine that keeps
 * UNIT running.  Each try stops UNIT as `systemctl stop` does (StopUnit,
 * "replace") and follows the unit's ActiveState through PropertiesChanged
 * (subscribed), from the moment it is inactive to the moment it is active
 * again: the engine's reaction, as systemd itself sends it.  The baseline
 * (mode "self", with no engine running) does the engine's part itself:
 * stop, and start (StartUnit) as soon as it sees inactive.  Prints
 *   MODE p50 p99 max   (milliseconds)
 * Usage: svc-react UNIT TRIES engine|self
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#define DEST "org.freedesktop.systemd1"
#define PATH "/org/freedesktop/systemd1"
#define MANAGER DEST ".Manager"

struct watch {
	char active[32];
	double t_inactive, t_active;
	bool saw_inactive, done;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_props(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct watch *w = data;
	const char *iface, *key, *val;

	if (sd_bus_message_read(m, "s", &iface) < 0 ||
	    strcmp(iface, DEST ".Unit") ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return 0;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		if (sd_bus_message_read(m, "s", &key) < 0)
			return 0;
		if (strcmp(key, "ActiveState") == 0) {
			if (sd_bus_message_read(m, "v", "s", &val) < 0)
				return 0;
			if (!strcmp(val, "inactive") && !w->saw_inactive) {
				w->saw_inactive = true;
				w->t_inactive = now();
			} else if (!strcmp(val, "active") && w->saw_inactive &&
				   !w->done) {
				w->done = true;
				w->t_active = now();
			}
		} else {
			sd_bus_message_skip(m, "v");
		}
		sd_bus_message_exit_container(m);
	}
	return 0;
}

static int run_until(sd_bus *bus, const bool *flag, double limit)
{
	double end = now() + limit;

	while (!*flag) {
		int r = sd_bus_process(bus, NULL);

		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (now() > end)
			return -ETIMEDOUT;
		sd_bus_wait(bus, 100000);
	}
	return 0;
}

static int call(sd_bus *bus, const char *method, const char *unit)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(bus, DEST, PATH, MANAGER, method, &e, NULL,
				   "ss", unit, "replace");

	if (r < 0)
		fprintf(stderr, "svc-react: %s %s: %s\n", method, unit,
			e.message ? e.message : strerror(-r));
	sd_bus_error_free(&e);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%s %.2f %.2f %.2f\n", name, v[n / 2] * 1e3,
	       v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] * 1e3,
	       v[n - 1] * 1e3);
}

/* One try: stop, wait for inactive then active; with `self`, start it as
 * soon as it is inactive.  Returns inactive -> active in seconds. */
static int one(sd_bus *bus, struct watch *w, const char *unit, bool self,
	       double *out)
{
	int r;

	memset(w, 0, sizeof(*w));
	if ((r = call(bus, "StopUnit", unit)) < 0)
		return r;
	if (self) {
		if ((r = run_until(bus, &w->saw_inactive, 10)) < 0 ||
		    (r = call(bus, "StartUnit", unit)) < 0)
			return r;
	}
	if ((r = run_until(bus, &w->done, 10)) < 0) {
		fprintf(stderr, "svc-react: %s did not become active again\n",
			unit);
		return r;
	}
	*out = w->t_active - w->t_inactive;
	return 0;
}

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	struct watch w;
	char *path = NULL, rule[512];
	double *t;
	bool self;
	int n, r;

	if (argc != 4 || (n = atoi(argv[2])) < 1 ||
	    (strcmp(argv[3], "engine") && strcmp(argv[3], "self"))) {
		fprintf(stderr, "usage: svc-react UNIT TRIES engine|self\n");
		return 2;
	}
	self = !strcmp(argv[3], "self");
	t = calloc((size_t)n, sizeof(double));
	if (!t || (r = sd_bus_open_system(&bus)) < 0 ||
	    (r = sd_bus_path_encode(PATH "/unit", argv[1], &path)) < 0)
		return 1;
	snprintf(rule, sizeof(rule),
		 "type='signal',sender='" DEST "',path='%s',"
		 "interface='org.freedesktop.DBus.Properties',"
		 "member='PropertiesChanged'",
		 path);
	if ((r = sd_bus_add_match(bus, NULL, rule, on_props, &w)) < 0 ||
	    (r = sd_bus_call_method(bus, DEST, PATH, MANAGER, "Subscribe", NULL,
				    NULL, "")) < 0) {
		fprintf(stderr, "svc-react: cannot watch %s: %s\n", argv[1],
			strerror(-r));
		return 1;
	}
	for (int i = 0; i < n; i++)
		if (one(bus, &w, argv[1], self, &t[i]) < 0)
			return 1;
	report(argv[3], t, n);
	free(t);
	free(path);
	sd_bus_flush_close_unref(bus);
	return 0;
}

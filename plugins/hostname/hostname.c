/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hostname.c - the hostname resource: the machine's pretty, static and
 * transient hostnames, through systemd-hostnamed's D-Bus API (no
 * hostnamectl), with mgmt's parameters: `hostname` (or, unset, the
 * resource's name) stands for each of the three that is not given, and a
 * hostname given as "" is not managed.
 *
 * The watch shares the plugin's one loop connection (common/bus.h) and
 * matches hostnamed's PropertiesChanged, which it sends for every change
 * made through it (hostnamectl, another client, this resource's own apply,
 * whose echo costs one more check that finds nothing to do).  Like mgmt, it
 * also watches HN_ETC for hand edits of the files hostnamed reads (one
 * inotify descriptor per resource).  A kernel hostname set without
 * hostnamed (sethostname(2), `hostname NAME`) sends no event: it is seen at
 * the next check.  Every event only marks the resource dirty; check_apply
 * reads the real state itself (apply.c).
 *
 * No grouping: there is one hostname per machine, and each setter is one
 * call.  No uid either, as in mgmt, whose resources differ by name: two
 * resources that want different hostnames undo each other's work.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "hostname.h"

const char *const hn_property[HN_N] = { "PrettyHostname", "StaticHostname",
					"Hostname" };
const char *const hn_setter[HN_N] = { "SetPrettyHostname", "SetStaticHostname",
				      "SetHostname" };
const char *const hn_words[HN_N] = { "pretty hostname", "static hostname",
				     "transient hostname" };

static const struct mgmt_param hn_params[] = {
	MGMT_PARAM(struct hostname, hostname, MGMT_PARAM_STRING, NULL, 0,
		   "each of the three hostnames not given; unset: the name"),
	MGMT_PARAM(struct hostname, pretty_hostname, MGMT_PARAM_STRING, NULL, 0,
		   "free-form name for people; \"\": not managed"),
	MGMT_PARAM(struct hostname, static_hostname, MGMT_PARAM_STRING, NULL, 0,
		   "the one in /etc/hostname; \"\": not managed"),
	MGMT_PARAM(struct hostname, transient_hostname, MGMT_PARAM_STRING, NULL,
		   0, "the kernel's; \"\": not managed"),
	MGMT_PARAM_END,
};

/* systemd's hostname_is_valid(), as hostnamed applies it to the static and
 * the transient hostname: labels of letters, digits and '-' (not first or
 * last), separated by single dots, no dot at either end, at most 64
 * characters (HOST_NAME_MAX). */
static bool valid_hostname(const char *s)
{
	bool dot = true, hyphen = true;
	const char *p;

	for (p = s; *p; p++)
		if (*p == '.') {
			if (dot || hyphen)
				return false;
			dot = true;
			hyphen = false;
		} else if (*p == '-') {
			if (dot)
				return false;
			dot = false;
			hyphen = true;
		} else {
			if (!strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
				    *p))
				return false;
			dot = hyphen = false;
		}
	return p != s && !dot && !hyphen && p - s <= 64;
}

/* hostnamed refuses a pretty hostname with control characters. */
static bool valid_pretty(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int hn_validate(mgmt_res *res, void *p)
{
	struct hostname *h = p;
	char *const given[HN_N] = { h->pretty_hostname, h->static_hostname,
				    h->transient_hostname };
	static const char *const param[HN_N] = { "pretty_hostname",
						 "static_hostname",
						 "transient_hostname" };
	bool fallback = h->hostname && *h->hostname;
	const char *base = fallback ? h->hostname : mgmt_res_name(res);
	int r = 0;

	for (int i = 0; i < HN_N; i++) {
		const char *w = given[i] ? given[i] : base;
		/* where the value came from, for the error's position */
		const char *from = given[i] ? param[i] :
				   fallback ? "hostname" :
					      NULL;

		h->want[i] = *w ? w : NULL;
		if (!h->want[i])
			continue;
		if (i == HN_PRETTY ? !valid_pretty(w) : !valid_hostname(w)) {
			mgmt_invalid(res, from,
				     i == HN_PRETTY ?
					     "\"%s\" is not a valid %s: it has "
					     "control characters" :
					     "\"%s\" is not a valid %s: labels "
					     "of letters, digits and '-' "
					     "separated by '.', at most 64 "
					     "characters",
				     w, hn_words[i]);
			r = -1;
		}
	}
	/* hostnamed keeps the kernel's hostname at the static one while
	 * there is one: such a transient hostname would never be reached. */
	if (r == 0 && h->want[HN_STATIC] && h->want[HN_TRANSIENT] &&
	    strcmp(h->want[HN_STATIC], h->want[HN_TRANSIENT]) != 0) {
		mgmt_invalid(
			res, given[HN_TRANSIENT] ? "transient_hostname" : NULL,
			"transient hostname \"%s\" differs from the static "
			"hostname \"%s\", which systemd-hostnamed keeps "
			"the kernel's at: make them equal, or set "
			"static_hostname: \"\"",
			h->want[HN_TRANSIENT], h->want[HN_STATIC]);
		r = -1;
	}
	return r;
}

static int hn_init(mgmt_res *res, void *p)
{
	struct hostname *h = p;

	h->res = res;
	h->etc_fd = -1;
	return 0;
}

/* The resource whose busloop_user `u` is. */
static struct hostname *hn_of(struct busloop_user *u)
{
	return (struct hostname *)((char *)u - offsetof(struct hostname, bus));
}

static void drop_slot(struct busloop_user *u)
{
	struct hostname *h = hn_of(u);

	h->slot = sd_bus_slot_unref(h->slot);
}

static void hn_cleanup(mgmt_res *res, void *p)
{
	struct hostname *h = p;

	drop_slot(&h->bus);
	busloop_detach(&h->bus);
	if (h->etc_watch)
		mgmt_host->unwatch(h->etc_watch);
	h->etc_watch = NULL;
	if (h->etc_fd >= 0)
		close(h->etc_fd);
	h->etc_fd = -1;
}

static int on_changed(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct hostname *h = data;

	mgmt_debug(h->res, "PropertiesChanged from systemd-hostnamed");
	if (h->ready)
		mgmt_dirty(h->res);
	return 0;
}

/* The reply to AddMatch: the watch is in place from here on. */
static int on_installed(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct hostname *h = data;
	const sd_bus_error *err = sd_bus_message_get_error(m);

	if (err)
		mgmt_warn(h->res,
			  "cannot watch systemd-hostnamed: %s (changes made "
			  "by others are seen only at the next check)",
			  bus_errstr(err, -EIO));
	h->ready = true;
	if (!h->in_watch) /* else the watch hook says so itself */
		mgmt_dirty(h->res);
	return 0;
}

/* The loop connection is up (again): match hostnamed's signal. */
static void on_connected(struct busloop_user *u, sd_bus *bus)
{
	struct hostname *h = hn_of(u);
	int r;

	drop_slot(u);
	r = sd_bus_add_match_async(
		bus, &h->slot,
		"type='signal',sender='" HN_DEST "',path='" HN_PATH "',"
		"interface='org.freedesktop.DBus.Properties',"
		"member='PropertiesChanged',arg0='" HN_IFACE "'",
		on_changed, on_installed, h);
	if (r < 0)
		mgmt_error(h->res, "cannot watch systemd-hostnamed: %s",
			   strerror(-r));
}

/* A file in HN_ETC changed: an event when it is one hostnamed reads. */
static void on_etc(mgmt_res *res, int fd, unsigned revents, void *data)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	bool event = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *c = buf; c < buf + n;) {
			const struct inotify_event *ev = (const void *)c;

			if (ev->len && (!strcmp(ev->name, "hostname") ||
					!strcmp(ev->name, "machine-info")))
				event = true;
			if (ev->mask & IN_Q_OVERFLOW)
				event = true;
			c += sizeof(*ev) + ev->len;
		}
	if (event) {
		mgmt_debug(res, "%s/hostname or machine-info changed", HN_ETC);
		mgmt_dirty(res);
	}
}

static void watch_etc(struct hostname *h)
{
	h->etc_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (h->etc_fd >= 0 &&
	    inotify_add_watch(h->etc_fd, HN_ETC,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
				      IN_DELETE | IN_ONLYDIR) >= 0)
		h->etc_watch = mgmt_host->watch_fd(h->res, h->etc_fd,
						   MGMT_WATCH_READ, on_etc, h);
	if (!h->etc_watch) {
		mgmt_warn(h->res,
			  "cannot watch %s: %s (edits by hand are seen only "
			  "at the next check)",
			  HN_ETC, strerror(errno));
		if (h->etc_fd >= 0)
			close(h->etc_fd);
		h->etc_fd = -1;
	}
}

static int hn_watch(mgmt_res *res, void *p)
{
	struct hostname *h = p;

	watch_etc(h);
	h->bus.connected = on_connected;
	h->bus.disconnected = drop_slot;
	h->ready = false;
	/* Not reachable now: the connection retries, and the resource
	 * becomes ready when it is up.  The reply may also come before
	 * attach returns, when the watch is ready at once. */
	h->in_watch = true;
	busloop_attach(&h->bus, false);
	h->in_watch = false;
	return h->ready ? 0 : MGMT_WATCH_PENDING;
}

static const struct mgmt_kind hn_kind = {
	MGMT_KIND_HEADER,
	.name = "hostname",
	.doc = "the pretty, static and transient hostnames (systemd-hostnamed)",
	.params = hn_params,
	.params_size = sizeof(struct hostname),
	.validate = hn_validate,
	.init = hn_init,
	.cleanup = hn_cleanup,
	.watch = hn_watch,
	.check_apply = hn_check_apply,
	.flags = MGMT_KIND_SYSTEM,
};

static const struct mgmt_kind *const hn_kinds[] = { &hn_kind, NULL };

MGMT_PLUGIN_DEFINE("hostname", PACKAGE_VERSION,
		   "the hostname resource (systemd-hostnamed)", hn_kinds, NULL,
		   NULL);

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * watch.c - one watch for every pkg resource: PackageKit's UpdatesChanged
 * signal on the plugin's shared loop connection to the system bus, and
 * inotify on dpkg's status file (a bare `dpkg -r` tells PackageKit nothing;
 * `apt-get remove` tells it seconds late).  Either marks every pkg
 * resource dirty: PackageKit does not say which packages moved, and a
 * check of a group is one Resolve anyway.
 *
 * The plugin's own transactions cause these events too.  They arrive while
 * the resource runs or shortly after, so they cost one more converged
 * check (a Resolve), never another install: a Resolve moves nothing, and
 * TransactionListChanged, which every Resolve causes, is not followed.
 *
 * dpkg writes its status file several times per package (status-new, then
 * rename): events are gathered for a short while before the resources are
 * marked dirty.  Loop thread only.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../common/bus.h"
#include "pkg.h"

#define DPKG_DIR "/var/lib/dpkg"
/* Seconds dpkg's writes are gathered into one event. */
#define SETTLE 0.3

static struct {
	struct pkg *list; /* watched resources */
	struct busloop_user bu;
	bool attached;
	sd_bus_slot *slot;
	int ino;
	mgmt_watch *ino_w, *settle;
} W = { .ino = -1 };

static void dirty_all(void)
{
	pkg_files_stale();
	for (struct pkg *p = W.list; p; p = p->next)
		mgmt_dirty(p->res);
}

static int on_updates(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	(void)m;
	(void)ud;
	(void)e;
	mgmt_debug(NULL, "pkg: PackageKit's UpdatesChanged");
	dirty_all();
	return 0;
}

static void on_connected(struct busloop_user *u, sd_bus *bus)
{
	int r;

	(void)u;
	sd_bus_slot_unref(W.slot);
	W.slot = NULL;
	r = sd_bus_match_signal_async(bus, &W.slot,
				      "org.freedesktop.PackageKit",
				      "/org/freedesktop/PackageKit",
				      "org.freedesktop.PackageKit",
				      "UpdatesChanged", on_updates, NULL, NULL);
	if (r < 0)
		mgmt_warn(NULL,
			  "pkg: cannot follow PackageKit's UpdatesChanged: %s; "
			  "changes by others are seen through dpkg only",
			  strerror(-r));
	/* what moved while the bus was away is unknown */
	dirty_all();
}

static void on_disconnected(struct busloop_user *u)
{
	(void)u;
	sd_bus_slot_unref(W.slot);
	W.slot = NULL;
}

static void on_settled(mgmt_res *res, void *data)
{
	(void)res;
	(void)data;
	mgmt_host->unwatch(W.settle);
	W.settle = NULL;
	mgmt_debug(NULL, "pkg: dpkg's status file changed");
	dirty_all();
}

static void on_inotify(mgmt_res *res, int fd, unsigned revents, void *data)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false;
	ssize_t n;

	(void)res;
	(void)revents;
	(void)data;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len && strcmp(ev->name, "status") == 0)
				hit = true;
			if (ev->mask & IN_Q_OVERFLOW)
				hit = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (hit && !W.settle) {
		W.settle = mgmt_host->watch_timer(NULL, SETTLE, 0, on_settled,
						  NULL);
		if (!W.settle)
			dirty_all();
	}
}

/* dpkg replaces its status file by rename: watch the directory. */
static void watch_dpkg(void)
{
	W.ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (W.ino < 0) {
		mgmt_warn(NULL,
			  "pkg: inotify: %s; changes by others are "
			  "seen through PackageKit only",
			  strerror(errno));
		return;
	}
	if (inotify_add_watch(W.ino, DPKG_DIR,
			      IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR) < 0) {
		/* no dpkg here (not Debian): PackageKit's signal it is */
		mgmt_debug(NULL, "pkg: not watching " DPKG_DIR ": %s",
			   strerror(errno));
		close(W.ino);
		W.ino = -1;
		return;
	}
	W.ino_w = mgmt_host->watch_fd(NULL, W.ino, MGMT_WATCH_READ, on_inotify,
				      NULL);
	if (!W.ino_w) {
		mgmt_warn(NULL, "pkg: cannot watch " DPKG_DIR ": %s",
			  strerror(errno));
		close(W.ino);
		W.ino = -1;
	}
}

int pkg_watch_add(mgmt_res *res, struct pkg *p)
{
	if (p->watched)
		return 0;
	p->res = res;
	p->next = W.list;
	W.list = p;
	p->watched = true;
	if (p->next)
		return 0;
	watch_dpkg();
	W.bu.connected = on_connected;
	W.bu.disconnected = on_disconnected;
	/* <0: logged, and retried in the background; dpkg is watched */
	W.attached = true;
	busloop_attach(&W.bu, false);
	return 0;
}

void pkg_watch_remove(struct pkg *p)
{
	struct pkg **pp;

	if (!p->watched)
		return;
	for (pp = &W.list; *pp && *pp != p; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = p->next;
	p->watched = false;
	p->next = NULL;
	if (W.list)
		return;
	sd_bus_slot_unref(W.slot);
	W.slot = NULL;
	if (W.attached) {
		busloop_detach(&W.bu);
		W.attached = false;
	}
	if (W.settle)
		mgmt_host->unwatch(W.settle);
	W.settle = NULL;
	if (W.ino_w)
		mgmt_host->unwatch(W.ino_w);
	W.ino_w = NULL;
	if (W.ino >= 0)
		close(W.ino);
	W.ino = -1;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mount.c - the mount resource, as mgmt's: a mount point (the resource's
 * name) with its line in /etc/fstab, mounted (state exists) or neither
 * (absent).  The mounting itself is systemd's: check_apply (apply.c) writes
 * fstab, reloads systemd, whose fstab generator turns the line into the
 * point's .mount unit, and starts that unit over D-Bus.
 *
 * The watch is kind-wide, shared by every mount resource: the kernel marks
 * /proc/self/mountinfo with POLLPRI when any mount in the namespace changes,
 * which libev (read and write readiness only) cannot wait for, so an epoll
 * instance holds the file with EPOLLPRI and the engine watches that epoll
 * fd for reading (libmount's monitor does the same).  /etc/fstab is watched
 * through its directory with inotify, since editors and this plugin replace
 * it by a rename.  Either event marks every mount resource dirty: each
 * check reads the two files again, which is cheap.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/textfile.h"
#include "common/unit.h"
#include "mount.h"

static const char *const state_choices[] = { "exists", "absent", NULL };

static const struct mgmt_param mount_params[] = {
	MGMT_PARAM_CHOICE(struct mount, state, state_choices, NULL,
			  MGMT_PARAM_REQUIRED, "exists or absent"),
	MGMT_PARAM(struct mount, device, MGMT_PARAM_STRING, NULL, 0,
		   "UUID=, LABEL=, PARTUUID=, PARTLABEL=, a path, or a name "
		   "(tmpfs); required with state exists"),
	MGMT_PARAM(struct mount, type, MGMT_PARAM_STRING, NULL, 0,
		   "the file system type; required with state exists"),
	MGMT_PARAM(struct mount, options, MGMT_PARAM_MAP, NULL, 0,
		   "mount options, option -> value (empty for a flag); "
		   "unset: defaults"),
	MGMT_PARAM(struct mount, freq, MGMT_PARAM_INT, "0", 0,
		   "fstab's dump frequency"),
	MGMT_PARAM(struct mount, passno, MGMT_PARAM_INT, "0", 0,
		   "fstab's fsck order"),
	MGMT_PARAM_END,
};

/* A text that becomes one fstab field: no comma (options), no control
 * character; spaces are escaped when written. */
static bool bad_text(const char *s, const char *also)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || strchr(also, *s))
			return true;
	return false;
}

static bool normal_path(const char *p)
{
	if (p[0] != '/' || strstr(p, "//") || strlen(p) >= 4096)
		return false;
	if (p[1] && p[strlen(p) - 1] == '/')
		return false;
	for (const char *c = p; (c = strchr(c, '/')); c++)
		if ((c[1] == '.' && (!c[2] || c[2] == '/')) ||
		    (c[1] == '.' && c[2] == '.' && (!c[3] || c[3] == '/')))
			return false;
	return true;
}

static int mount_validate(mgmt_res *res, void *p)
{
	struct mount *m = p;
	const char *point = mgmt_res_name(res);
	int bad = 0;

	if (!normal_path(point) || bad_text(point, "")) {
		mgmt_invalid(res, NULL,
			     "\"%s\" is not a mount point: the name must be an "
			     "absolute path without \"//\", \".\" or \"..\" "
			     "parts, a trailing \"/\" or control characters",
			     point);
		return -1;
	}
	if (unit_escape_path(point, ".mount", m->unit, sizeof(m->unit)) < 0) {
		mgmt_invalid(res, NULL,
			     "\"%s\" is too long for a mount point: its .mount "
			     "unit would be longer than 255 characters",
			     point);
		return -1;
	}
	if (m->state == MOUNT_EXISTS) {
		if (!m->device || !*m->device) {
			mgmt_invalid(res, NULL,
				     "device is required with state exists");
			bad = -1;
		}
		if (!m->type || !*m->type) {
			mgmt_invalid(res, NULL,
				     "type is required with state exists");
			bad = -1;
		}
	}
	if (m->device && bad_text(m->device, "")) {
		mgmt_invalid(res, "device", "has a control character");
		bad = -1;
	}
	if (m->type && bad_text(m->type, " ,")) {
		mgmt_invalid(res, "type",
			     "\"%s\" is not a file system "
			     "type (see /proc/filesystems)",
			     m->type);
		bad = -1;
	}
	for (size_t i = 0; i < m->options.n; i++) {
		const char *k = m->options.keys[i], *v = m->options.values[i];

		if (!*k || bad_text(k, " ,=") || bad_text(v, " ,")) {
			mgmt_invalid(res, "options",
				     "\"%s\" (value \"%s\") cannot be "
				     "written in fstab: no empty name, and no "
				     "space, comma or control character (nor "
				     "\"=\" in the name)",
				     k, v);
			bad = -1;
		}
	}
	if (m->freq < 0 || m->freq > 9999) {
		mgmt_invalid(res, "freq", "%lld is out of range (0 or more)",
			     (long long)m->freq);
		bad = -1;
	}
	if (m->passno < 0 || m->passno > 9999) {
		mgmt_invalid(res, "passno",
			     "%lld is out of range (0: no check, 1: "
			     "the root, 2: others)",
			     (long long)m->passno);
		bad = -1;
	}
	return bad;
}

/* The uid is the mount point: one point, one mount. */
static const char *mount_uid(mgmt_res *res, void *p)
{
	return mgmt_res_name(res);
}

/* After the file resource that makes the mount point. */
static void mount_autoedges(mgmt_res *res, void *p, mgmt_autoedge_cb add,
			    void *ctx)
{
	add(ctx, MGMT_EDGE_AFTER, "file", mgmt_res_name(res));
}

/* ---- the kind-wide watch ---------------------------------------------- */

static struct mount *watching; /* every resource with a watch */
static int ep_fd = -1, info_fd = -1, ino_fd = -1;
static mgmt_watch *ep_watch, *ino_watch;

/* Mark every watching resource but `except` dirty. */
static void wake_all(const char *why, const struct mount *except)
{
	for (struct mount *m = watching; m; m = m->next) {
		if (m == except)
			continue;
		mgmt_debug(m->res, "%s changed", why);
		mgmt_dirty(m->res);
	}
}

static void on_mountinfo(mgmt_res *res, int fd, unsigned revents, void *data)
{
	struct epoll_event ev[4];

	/* The kernel reports a change to the poll that follows it, once:
	 * reading the epoll fd consumes it (it may already have been taken
	 * by the loop's own readiness check, and then this finds none). */
	while (epoll_wait(ep_fd, ev, 4, 0) > 0)
		;
	wake_all(MOUNT_MOUNTINFO, NULL);
}

/* The text this plugin last wrote to /etc/fstab, and which resource wrote
 * it (compared, never followed). */
static struct {
	pthread_mutex_t lock;
	char *text;
	const struct mount *writer;
} ours = { .lock = PTHREAD_MUTEX_INITIALIZER };

int mount_fstab_writing(const struct mount *m, const char *text)
{
	char *copy = strdup(text);

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&ours.lock);
	free(ours.text);
	ours.text = copy;
	ours.writer = m;
	pthread_mutex_unlock(&ours.lock);
	return 0;
}

/* The resource whose text /etc/fstab holds now, or NULL: someone else
 * wrote it, or changed it since (or the write failed). */
static const struct mount *fstab_writer(void)
{
	const struct mount *w = NULL;
	char *now;

	if (textfile_read(MOUNT_FSTAB, &now) < 0)
		return NULL;
	pthread_mutex_lock(&ours.lock);
	if (ours.text && !strcmp(now, ours.text))
		w = ours.writer;
	pthread_mutex_unlock(&ours.lock);
	free(now);
	return w;
}

static void on_etc(mgmt_res *res, int fd, unsigned revents, void *data)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			if ((e->len && !strcmp(e->name, "fstab")) ||
			    (e->mask & IN_Q_OVERFLOW))
				hit = true;
			p += sizeof(*e) + e->len;
		}
	/* The echo of a write of ours is no news to its writer, which has
	 * just checked its line in it; the others check theirs (the write
	 * kept whatever someone changed in them before it). */
	if (hit)
		wake_all(MOUNT_FSTAB, fstab_writer());
}

static void stop_watching(void)
{
	if (ep_watch)
		mgmt_host->unwatch(ep_watch);
	if (ino_watch)
		mgmt_host->unwatch(ino_watch);
	ep_watch = ino_watch = NULL;
	if (ep_fd >= 0)
		close(ep_fd);
	if (info_fd >= 0)
		close(info_fd);
	if (ino_fd >= 0)
		close(ino_fd);
	ep_fd = info_fd = ino_fd = -1;
}

static int start_watching(mgmt_res *res)
{
	struct epoll_event ev = { .events = EPOLLPRI };
	const char *what = MOUNT_MOUNTINFO;

	ep_fd = epoll_create1(EPOLL_CLOEXEC);
	info_fd = open(MOUNT_MOUNTINFO, O_RDONLY | O_CLOEXEC);
	if (ep_fd < 0 || info_fd < 0 ||
	    epoll_ctl(ep_fd, EPOLL_CTL_ADD, info_fd, &ev) < 0 ||
	    !(ep_watch = mgmt_host->watch_fd(NULL, ep_fd, MGMT_WATCH_READ,
					     on_mountinfo, NULL)))
		goto fail;
	what = "/etc";
	ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino_fd < 0 ||
	    inotify_add_watch(ino_fd, "/etc",
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
				      IN_CREATE | IN_DELETE | IN_ONLYDIR) < 0 ||
	    !(ino_watch = mgmt_host->watch_fd(NULL, ino_fd, MGMT_WATCH_READ,
					      on_etc, NULL)))
		goto fail;
	return 0;
fail:
	mgmt_error(res, "cannot watch %s: %s", what, strerror(errno));
	stop_watching();
	return -1;
}

static int mount_watch(mgmt_res *res, void *p)
{
	struct mount *m = p;

	m->res = res;
	if (!watching && start_watching(res) < 0)
		return -1;
	m->next = watching;
	watching = m;
	return 0;
}

static void mount_cleanup(mgmt_res *res, void *p)
{
	struct mount *m = p;

	for (struct mount **pp = &watching; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			if (!watching)
				stop_watching();
			break;
		}
}

static void mount_fini(void)
{
	stop_watching();
	free(ours.text);
	ours.text = NULL;
}

static const struct mgmt_kind mount_kind = {
	MGMT_KIND_HEADER,
	.name = "mount",
	.doc = "a mount point: its /etc/fstab line and the mount, through "
	       "systemd",
	.params = mount_params,
	.params_size = sizeof(struct mount),
	.validate = mount_validate,
	.cleanup = mount_cleanup,
	.watch = mount_watch,
	.check_apply = mount_check_apply,
	.uid = mount_uid,
	.autoedges = mount_autoedges,
	.flags = MGMT_KIND_SYSTEM,
};

static const struct mgmt_kind *const mount_kinds[] = { &mount_kind, NULL };

MGMT_PLUGIN_DEFINE("mount", PACKAGE_VERSION,
		   "the mount resource (fstab, systemd over D-Bus)",
		   mount_kinds, NULL, mount_fini);

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * watch.c - one inotify watch of /etc for every user and group resource.
 *
 * The shadow tools (and vipw, and most editors) never write /etc/passwd in
 * place: they write "passwd+" and rename it over "passwd", so a watch of the
 * file itself would follow the old inode and go deaf after the first
 * change.  The directory is watched instead, for entries named passwd,
 * group, shadow or gshadow that are renamed into place, written and
 * closed, created or deleted.  Each such event marks every registered
 * resource dirty: the engine coalesces the marks, and one check of a group
 * of resources reads the files once.  A queue overflow does the same.
 *
 * Own changes.  A tool run by check_apply raises events too; they make one
 * more check, which finds everything converged and runs no tool, so no
 * event comes of it.
 *
 * The inotify fd is opened by the first resource's watch and closed with
 * the last one's cleanup.  All of it runs on the loop thread.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "user.h"

static struct {
	int fd;
	mgmt_watch *watch;
	mgmt_res **res;
	size_t n, cap;
} uw = { .fd = -1 };

static bool watched_name(const char *name)
{
	static const char *const names[] = { "passwd", "group", "shadow",
					     "gshadow" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static void on_inotify(mgmt_res *unused, int fd, unsigned revents, void *data)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			if ((ev->mask & IN_Q_OVERFLOW) ||
			    (ev->len && watched_name(ev->name)))
				hit = true;
			p += sizeof(*ev) + ev->len;
		}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		mgmt_error(NULL, "reading inotify events: %s", strerror(errno));
	if (!hit)
		return;
	for (size_t i = 0; i < uw.n; i++)
		mgmt_dirty(uw.res[i]);
}

static int open_watch(void)
{
	int err;

	uw.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (uw.fd < 0) {
		err = errno;
		mgmt_error(NULL, "cannot create an inotify instance: %s",
			   strerror(err));
		return -err;
	}
	if (inotify_add_watch(uw.fd, USERS_ETC,
			      IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE |
				      IN_DELETE | IN_MOVED_FROM) < 0) {
		err = errno;
		mgmt_error(NULL, "cannot watch %s: %s", USERS_ETC,
			   strerror(err));
		goto fail;
	}
	uw.watch = mgmt_host->watch_fd(NULL, uw.fd, MGMT_WATCH_READ, on_inotify,
				       NULL);
	if (!uw.watch) {
		err = errno ? errno : ENOMEM;
		mgmt_error(NULL, "cannot watch the inotify fd: %s",
			   strerror(err));
		goto fail;
	}
	return 0;
fail:
	close(uw.fd);
	uw.fd = -1;
	return -err;
}

int users_watch_add(mgmt_res *res)
{
	int r;

	if (uw.fd < 0 && (r = open_watch()) < 0)
		return r;
	if (uw.n == uw.cap) {
		size_t cap = uw.cap ? uw.cap * 2 : 16;
		mgmt_res **n = realloc(uw.res, cap * sizeof(*n));

		if (!n) {
			mgmt_error(res, "out of memory");
			return -ENOMEM;
		}
		uw.res = n;
		uw.cap = cap;
	}
	uw.res[uw.n++] = res;
	return 0;
}

void users_watch_del(mgmt_res *res)
{
	for (size_t i = 0; i < uw.n; i++)
		if (uw.res[i] == res) {
			uw.res[i] = uw.res[--uw.n];
			break;
		}
	if (uw.n || uw.fd < 0)
		return;
	mgmt_host->unwatch(uw.watch);
	uw.watch = NULL;
	close(uw.fd);
	uw.fd = -1;
	free(uw.res);
	uw.res = NULL;
	uw.cap = 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * watch.c - the exec resource's event sources: the watchcmd, a long-running
 * command whose every output line is an event, and the pollint timer.
 *
 * Everything here runs on the loop thread and never blocks, but for the
 * short wait in exec_spawn until the child has exec'ed.  The watchcmd is a
 * plain child of the engine (EXEC_DIRECT, see spawn.c): the engine reaps it
 * and calls us with its status (host->watch_child), and the read end of its
 * output pipe is watched on the loop.  Cleanup stops its process group.
 *
 * A watchcmd that exits is started again after a delay that doubles from
 * WATCH_BACKOFF_MIN to WATCH_BACKOFF_MAX while it keeps failing.  Its exit
 * is logged once when it goes down, and once more when it has stayed up
 * WATCH_HEALTHY seconds again, not once per try.  Only its output lines are
 * events: neither its start nor its exit makes cmd run.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"

#define WATCH_BACKOFF_MIN 0.1
#define WATCH_BACKOFF_MAX 30.0
#define WATCH_HEALTHY 10.0

struct exec_watch {
	struct exec *e;
	mgmt_res *res;
	struct exec_child child; /* pid 0: not running */
	mgmt_watch *w_pid, *w_out;
	mgmt_watch *w_timer; /* restart (down) or healthy (up) timer */
	bool down;           /* its exit was logged; not healthy since */
	double backoff;      /* the next restart delay, seconds */
	size_t len;
	char line[EXEC_LINE_MAX];
};

static void start_proc(struct exec_watch *ws);

static void unwatch(mgmt_watch **w)
{
	if (*w)
		mgmt_host->unwatch(*w);
	*w = NULL;
}

static void on_poll(mgmt_res *res, void *data)
{
	mgmt_dirty(res);
}

static void on_healthy(mgmt_res *res, void *data)
{
	struct exec_watch *ws = data;

	unwatch(&ws->w_timer);
	ws->backoff = WATCH_BACKOFF_MIN;
	if (ws->down)
		mgmt_info(res, "watchcmd has been running for %g s again",
			  WATCH_HEALTHY);
	ws->down = false;
}

static void on_restart(mgmt_res *res, void *data)
{
	struct exec_watch *ws = data;

	unwatch(&ws->w_timer);
	start_proc(ws);
}

/* The watchcmd is gone (or never started): try again later. */
static void schedule_restart(struct exec_watch *ws, const char *why)
{
	double delay = ws->backoff;

	unwatch(&ws->w_timer);
	if (!ws->down)
		mgmt_warn(ws->res,
			  "watchcmd %s; starting it again in %g s "
			  "(with growing delays while it keeps failing)",
			  why, delay);
	else
		mgmt_debug(ws->res, "watchcmd %s; starting it again in %g s",
			   why, delay);
	ws->down = true;
	ws->backoff = delay * 2 > WATCH_BACKOFF_MAX ? WATCH_BACKOFF_MAX :
						      delay * 2;
	ws->w_timer = mgmt_host->watch_timer(ws->res, delay, 0, on_restart, ws);
	if (!ws->w_timer)
		mgmt_error(ws->res,
			   "watchcmd: cannot start a timer: %s; it "
			   "stays down",
			   strerror(errno));
}

static void take_line(struct exec_watch *ws)
{
	for (size_t i = 0; i < ws->len; i++)
		if ((unsigned char)ws->line[i] < 0x20 && ws->line[i] != '\t')
			ws->line[i] = '?';
	mgmt_debug(ws->res, "watchcmd: %.*s", (int)ws->len, ws->line);
	ws->len = 0;
}

/* Read what the watchcmd wrote; each complete line is an event.  Returns
 * false at EOF (or on an error): the pipe is then closed. */
static bool read_lines(struct exec_watch *ws)
{
	bool event = false, open = true;
	char buf[4096];

	/* At most 64 KiB per turn: a chatty watchcmd must not keep the
	 * loop to itself (the fd stays readable; the loop comes back). */
	for (int turn = 0; turn < 16; turn++) {
		ssize_t n = read(ws->child.out, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			open = n < 0 && errno == EAGAIN;
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				ws->line[ws->len++] = buf[i];
				if (ws->len < sizeof(ws->line))
					continue;
			}
			take_line(ws);
			event = true;
		}
	}
	/* Events coalesce in the engine: one dirty per batch is enough. */
	if (event)
		mgmt_dirty(ws->res);
	if (!open) {
		unwatch(&ws->w_out);
		close(ws->child.out);
		ws->child.out = -1;
	}
	return open;
}

static void on_out(mgmt_res *res, int fd, unsigned revents, void *data)
{
	read_lines(data);
}

/* The engine reaped the watchcmd: it exited. */
static void on_child(mgmt_res *res, pid_t pid, int wstatus, void *data)
{
	struct exec_watch *ws = data;
	char desc[96];

	unwatch(&ws->w_pid); /* it fired, once: release it now */
	ws->child.pid = 0;   /* the engine reaped it */
	/* What it wrote before it exited is in the pipe: take it, and do
	 * not wait for grandchildren that may still hold the pipe. */
	if (ws->child.out >= 0 && read_lines(ws)) {
		unwatch(&ws->w_out);
		close(ws->child.out);
		ws->child.out = -1;
	}
	if (ws->len)
		take_line(ws);
	unwatch(&ws->w_timer); /* the healthy timer */
	exec_describe_status(wstatus, desc, sizeof(desc));
	schedule_restart(ws, desc);
}

static void start_proc(struct exec_watch *ws)
{
	struct exec_rt *rt = ws->e->rt;
	/* A missing program is an error once, until it started. */
	int rc = exec_spawn(ws->res, rt, &rt->watchcmd, EXEC_DIRECT,
			    ws->down ? MGMT_LOG_DEBUG : MGMT_LOG_ERROR,
			    &ws->child);

	if (rc == -ECANCELED)
		return; /* the engine is stopping: it stays down */
	if (rc < 0) {
		schedule_restart(ws, "could not start");
		return;
	}
	mgmt_debug(ws->res, "watchcmd started (pid %d)", (int)ws->child.pid);
	ws->len = 0;
	/* The loop cannot reap it before this: we are on the loop thread. */
	ws->w_pid =
		mgmt_host->watch_child(ws->res, ws->child.pid, on_child, ws);
	ws->w_out = mgmt_host->watch_fd(ws->res, ws->child.out, MGMT_WATCH_READ,
					on_out, ws);
	if (!ws->w_pid || !ws->w_out) {
		mgmt_error(ws->res, "watchcmd: cannot watch it: %s",
			   strerror(errno));
		unwatch(&ws->w_pid);
		unwatch(&ws->w_out);
		/* and reap it ourselves */
		exec_child_stop(ws->res, "watchcmd", &ws->child, 0);
		schedule_restart(ws, "could not be watched");
		return;
	}
	if (ws->down)
		ws->w_timer = mgmt_host->watch_timer(ws->res, WATCH_HEALTHY, 0,
						     on_healthy, ws);
}

int exec_watch_start(mgmt_res *res, struct exec *e)
{
	struct exec_watch *ws;

	if (e->pollint_ms > 0) {
		double s = (double)e->pollint_ms / 1000.;

		if (!mgmt_host->watch_timer(res, s, s, on_poll, NULL)) {
			mgmt_error(res, "pollint: cannot start a timer: %s",
				   strerror(errno));
			return MGMT_ERROR;
		}
	}
	if (!e->rt->watchcmd.argv)
		return 0;
	ws = calloc(1, sizeof(*ws));
	if (!ws) {
		mgmt_error(res, "out of memory");
		return MGMT_ERROR;
	}
	ws->e = e;
	ws->res = res;
	ws->child.out = ws->child.status = -1;
	ws->backoff = WATCH_BACKOFF_MIN;
	e->rt->watch = ws;
	start_proc(ws);
	return 0;
}

void exec_watch_stop(struct exec *e)
{
	struct exec_watch *ws = e->rt ? e->rt->watch : NULL;

	if (!ws)
		return;
	/* The engine has released every watch of the resource already. */
	if (ws->child.pid > 0)
		exec_child_stop(ws->res, "watchcmd", &ws->child, EXEC_GRACE_MS);
	free(ws);
	e->rt->watch = NULL;
}

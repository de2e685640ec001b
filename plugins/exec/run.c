/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * run.c - a started command until it ends: exec_run runs one to completion
 * on a worker, logging its output line by line up to a cap, and when its
 * timeout passes or the run is asked to stop, exec_child_stop ends its
 * process group (watch.c stops the watchcmd with it too).  How commands are
 * started and reaped, and why through a waiter, is in spawn.c.
 *
 * While a stopped group has its grace period (SIGTERM, then SIGKILL), the
 * abort signal (host->abort_fd, a second SIGINT or SIGTERM) cuts it short.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum wait_end {
	END_EXITED,
	END_TIMEOUT,
	END_ABORT
};

/* Wait up to `ms` for the child to end, or for `abort_fd`.  A waiter's
 * report pipe tells; a direct child has no such fd (nor a pidfd before
 * Linux 5.3), so it is looked at every 10 ms: in cleanup only. */
static enum wait_end wait_exit(const struct exec_child *child, int ms,
			       int abort_fd)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		struct pollfd pf[2] = {
			{ .fd = abort_fd, .events = POLLIN },
			{ .fd = child->status, .events = POLLIN },
		};
		int64_t left = end - now_ms();
		int wait = left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
		int r;

		if (child->status < 0) {
			siginfo_t si;

			memset(&si, 0, sizeof(si));
			if (waitid(P_PID, (id_t)child->pid, &si,
				   WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 ||
			    si.si_pid == child->pid)
				return END_EXITED; /* or reaped: gone */
			wait = wait > 10 ? 10 : wait;
		}
		r = poll(pf, 2, wait);
		if (r > 0 && pf[0].revents)
			return END_ABORT;
		if (r > 0 && pf[1].revents)
			return END_EXITED;
		if (left <= 0)
			return END_TIMEOUT;
	}
}

int exec_child_stop(mgmt_res *res, const char *what, struct exec_child *child,
		    int grace_ms)
{
	int st = 0;

	if (child->pid <= 0)
		return 0;
	kill(-child->pid, SIGTERM);
	if (wait_exit(child, grace_ms, exec_host_fd(true)) == END_ABORT)
		mgmt_warn(res,
			  "%s: asked to stop at once: SIGKILL to its process "
			  "group now",
			  what);
	/* The leader is exited or not, but surely not reaped, so its pid
	 * still names this group: the rest of it (a grandchild that ignored
	 * SIGTERM) goes now. */
	kill(-child->pid, SIGKILL);
	exec_close_fd(&child->out);
	exec_child_reap(child, &st);
	return st;
}

void exec_describe_status(int wstatus, char *buf, size_t len)
{
	if (WIFEXITED(wstatus)) {
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(wstatus));
	} else if (WIFSIGNALED(wstatus)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(wstatus));

		if (abbrev)
			snprintf(buf, len, "was killed by SIG%s%s", abbrev,
				 WCOREDUMP(wstatus) ? " (core dumped)" : "");
		else
			snprintf(buf, len, "was killed by signal %d",
				 WTERMSIG(wstatus));
	} else {
		snprintf(buf, len, "ended with wait status %#x", wstatus);
	}
}

/* ---- output: one log line per line, up to a cap ---- */

struct outlog {
	mgmt_res *res;
	int level;
	const char *prefix;
	size_t len, logged, dropped;
	char line[EXEC_LINE_MAX];
};

static void out_line(struct outlog *o)
{
	/* control characters would let a command forge log lines */
	for (size_t i = 0; i < o->len; i++)
		if ((unsigned char)o->line[i] < 0x20 && o->line[i] != '\t')
			o->line[i] = '?';
	if (o->logged + o->len + 1 > EXEC_LOG_CAP) {
		o->dropped += o->len + 1;
	} else {
		mgmt_host->log(o->res, o->level, "%s%.*s", o->prefix,
			       (int)o->len, o->line);
		o->logged += o->len + 1;
	}
	o->len = 0;
}

static void out_feed(struct outlog *o, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			out_line(o);
			continue;
		}
		o->line[o->len++] = buf[i];
		if (o->len == sizeof(o->line))
			out_line(o);
	}
}

/* Read what is there, up to 128 KiB (a command that writes without end
 * must not keep us from its deadline); false at EOF or on an error. */
static bool out_read(struct outlog *o, int fd)
{
	char buf[8192];

	for (int turn = 0; turn < 16; turn++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			out_feed(o, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
	return true;
}

int exec_run(mgmt_res *res, const struct exec_rt *rt, const struct exec_cmd *c,
	     int64_t timeout_ms, int level, int *wstatus)
{
	struct exec_child child;
	struct outlog *o = malloc(sizeof(*o));
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	int stop_fd = exec_host_fd(false);
	bool timed_out = false, stopping = false;
	int rc;

	if (!o) {
		mgmt_error(res, "%s: out of memory", c->what);
		return -ENOMEM;
	}
	o->res = res;
	o->level = level;
	o->prefix = c->log_prefix;
	o->len = o->logged = o->dropped = 0;
	rc = exec_spawn(res, rt, c, EXEC_WAITER, MGMT_LOG_ERROR, &child);
	if (rc < 0) {
		free(o);
		return rc;
	}
	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = child.status, .events = POLLIN },
			{ .fd = child.out, .events = POLLIN },
			{ .fd = stop_fd, .events = POLLIN },
		};
		int wait = -1, r;

		if (deadline) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				timed_out = true;
				break;
			}
			wait = left > 60000 ? 60000 : (int)left;
		}
		/* A negative fd is skipped by poll: out closed, no stop fd.
		 * The report pipe is readable once the waiter reported, or
		 * at EOF once it was killed. */
		r = poll(pf, 3, wait);
		if (r < 0 && errno != EINTR) {
			mgmt_error(res, "%s: poll: %s", c->what,
				   strerror(errno));
			timed_out = true; /* stop it: we cannot watch it */
			break;
		}
		if (r > 0 && pf[1].revents && !out_read(o, child.out))
			exec_close_fd(&child.out);
		if (r > 0 && pf[0].revents)
			break;
		if (r > 0 && pf[2].revents) {
			stopping = true;
			break;
		}
	}
	if (stopping) {
		mgmt_warn(res,
			  "%s: asked to stop: stopping its process group "
			  "(SIGTERM, SIGKILL after %d s)",
			  c->what, EXEC_GRACE_MS / 1000);
		*wstatus = exec_child_stop(res, c->what, &child, EXEC_GRACE_MS);
	} else if (timed_out) {
		mgmt_error(res,
			   "%s timed out after %.3g s: stopping its "
			   "process group (SIGTERM, SIGKILL after %d s)",
			   c->what, (double)timeout_ms / 1000.,
			   EXEC_GRACE_MS / 1000);
		*wstatus = exec_child_stop(res, c->what, &child, EXEC_GRACE_MS);
	} else {
		/* Everything the leader wrote is in the pipe by now; what a
		 * background grandchild writes later is not waited for. */
		if (child.out >= 0)
			out_read(o, child.out);
		exec_close_fd(&child.out);
		rc = exec_child_reap(&child, wstatus);
		if (rc < 0)
			mgmt_error(res, "%s: waitid: %s", c->what,
				   strerror(-rc));
	}
	if (o->len)
		out_line(o);
	if (o->dropped)
		mgmt_host->log(res, level,
			       "%s: %zu more bytes of output "
			       "not logged (%d KiB per run are)",
			       c->what, o->dropped, EXEC_LOG_CAP / 1024);
	free(o);
	if (stopping)
		return -ECANCELED;
	if (timed_out)
		return -ETIMEDOUT;
	return rc;
}

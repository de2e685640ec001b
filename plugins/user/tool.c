/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tool.c - run one shadow tool (useradd, usermod, userdel, groupadd,
 * groupmod, groupdel) from check_apply, on a worker thread, without a shell.
 *
 * Who reaps.  The engine's libev loop reaps *any* child with waitpid(-1)
 * when SIGCHLD comes, so a worker that forked the tool and waited for it
 * could lose its exit status to the loop.  As the exec plugin does
 * (plugins/exec/spawn.c), the worker starts a *waiter* with exit_signal 0
 * (a raw clone without SIGCHLD: invisible to waitpid(-1) without __WCLONE),
 * which never execs and so stays such a child.  The waiter starts the tool
 * as its own ordinary child, waits for it, writes the wait status into a
 * pipe and exits; the worker polls that pipe with the tool's output and the
 * stop signal, then reaps the waiter with waitid(__WALL).
 *
 * Between clone and execve the children are copies of a multi-threaded
 * process in which only one thread exists: they make only async-signal-safe
 * calls, on memory the worker prepared.
 *
 * Stop.  The tools hold the shadow lock while they write; killing one
 * half-way would leave a lock file behind.  So when the stop signal fires,
 * the tool's process group gets SIGTERM once (the tools finish or undo
 * their current step) and the run waits on; the abort signal
 * (host->abort_fd) sends SIGKILL.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "user.h"

#ifndef __WALL
#define __WALL 0x40000000
#endif

/* What the tool prints, kept for the error line (the rest is dropped). */
#define TOOL_OUT_MAX 1024

static const char *const tool_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
					"LC_ALL=C", NULL };

void tool_describe(const char *const argv[], char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "",
				      argv[i]);
}

static int host_fd(bool abort)
{
	if (abort)
		return MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, abort_fd) &&
				       mgmt_host->abort_fd ?
			       mgmt_host->abort_fd() :
			       -1;
	return MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, stop_fd) &&
			       mgmt_host->stop_fd ?
		       mgmt_host->stop_fd() :
		       -1;
}

/* The waiter, and through it the tool: async-signal-safe calls only. */
static void waiter(const char *path, const char *const argv[], int null,
		   int outw, int statw)
{
	sigset_t all, none;
	struct sigaction dfl;
	int st = 0;
	pid_t pid;

	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setpgid(0, 0); /* the group the stop signal reaches */
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (int s = 1; s < NSIG; s++)
			sigaction(s, &dfl, NULL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(null, 0) < 0 || dup2(outw, 1) < 0 || dup2(outw, 2) < 0)
			_exit(126);
		execve(path, (char *const *)argv, (char *const *)tool_env);
		_exit(127);
	}
	close(outw);
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	else
		st = 126 << 8;
	if (write(statw, &st, sizeof(st)) != (ssize_t)sizeof(st))
		_exit(1);
	_exit(0);
}

/* /usr/sbin/NAME or /sbin/NAME, whichever exists. */
static int find_tool(mgmt_res *res, const char *name, char *path, size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, len, "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return 0;
	}
	mgmt_error(res,
		   "%s not found in /usr/sbin or /sbin: install the shadow "
		   "tools (Debian: passwd)",
		   name);
	return -ENOENT;
}

/* Read what is there of fd into out (beyond TOOL_OUT_MAX: dropped);
 * returns false at EOF. */
static bool drain(int fd, char *out, size_t *len)
{
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	if (*len < TOOL_OUT_MAX) {
		size_t k = (size_t)n < TOOL_OUT_MAX - *len ?
				   (size_t)n :
				   TOOL_OUT_MAX - *len;

		memcpy(out + *len, buf, k);
		*len += k;
	}
	return true;
}

/* Wait for the waiter's report, collecting output; returns the tool's wait
 * status, or -1 when the waiter died without one. */
static int await(mgmt_res *res, pid_t pid, int outr, int statr, char *out,
		 size_t *olen)
{
	int stop = host_fd(false), abort = host_fd(true);
	bool termed = false, killed = false, eof = false;
	int st = -1;

	for (;;) {
		struct pollfd p[4] = {
			{ .fd = statr, .events = POLLIN },
			{ .fd = eof ? -1 : outr, .events = POLLIN },
			{ .fd = termed ? -1 : stop, .events = POLLIN },
			{ .fd = killed ? -1 : abort, .events = POLLIN },
		};

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents && !drain(outr, out, olen))
			eof = true;
		if (p[2].revents) {
			termed = true;
			mgmt_warn(res, "stopping: SIGTERM to the tool");
			kill(-pid, SIGTERM);
		}
		if (p[3].revents) {
			killed = true;
			kill(-pid, SIGKILL);
		}
		if (p[0].revents) {
			ssize_t n = read(statr, &st, sizeof(st));

			if (n < 0 && errno == EINTR)
				continue;
			if (n != (ssize_t)sizeof(st))
				st = -1;
			break;
		}
	}
	while (!eof && drain(outr, out, olen))
		;
	return st;
}

/* The tool's own lines of `out` ("usermod: ..."), joined by "; ": a usage
 * text after them is left out, so the error stays one line.  No such line:
 * the first line.  Rewrites `out` (TOOL_OUT_MAX + 1 bytes); returns its
 * length. */
static size_t tool_messages(const char *tool, char *out)
{
	char joined[TOOL_OUT_MAX + 1];
	size_t tl = strlen(tool), n = 0, first = strcspn(out, "\n");

	for (char *line = out; *line;) {
		size_t len = strcspn(line, "\n");

		if (strncmp(line, tool, tl) == 0 && line[tl] == ':')
			n += (size_t)snprintf(joined + n, sizeof(joined) - n,
					      "%s%.*s", n ? "; " : "", (int)len,
					      line);
		if (n >= sizeof(joined)) {
			n = sizeof(joined) - 1;
			break;
		}
		line += len;
		if (*line)
			line++;
	}
	if (!n) {
		out[first] = '\0';
		return first;
	}
	memcpy(out, joined, n + 1);
	return n;
}

int tool_run(mgmt_res *res, const char *const argv[])
{
	char path[64], out[TOOL_OUT_MAX + 1], cmd[1024];
	int outp[2] = { -1, -1 }, statp[2] = { -1, -1 }, null = -1;
	size_t olen = 0;
	siginfo_t si;
	int st, err;
	pid_t pid;

	tool_describe(argv, cmd, sizeof(cmd));
	if ((err = find_tool(res, argv[0], path, sizeof(path))) < 0)
		return err;
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
	    pipe2(statp, O_CLOEXEC) < 0) {
		err = -errno;
		mgmt_error(res, "cannot run %s: %s", cmd, strerror(errno));
		goto out;
	}
	pid = (pid_t)syscall(SYS_clone, 0, NULL, NULL, NULL, NULL);
	if (pid == 0)
		waiter(path, argv, null, outp[1], statp[1]);
	if (pid < 0) {
		err = -errno;
		mgmt_error(res, "cannot run %s: %s", cmd, strerror(errno));
		goto out;
	}
	close(outp[1]);
	close(statp[1]);
	outp[1] = statp[1] = -1;
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	st = await(res, pid, outp[0], statp[0], out, &olen);
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | __WALL) < 0 &&
	       errno == EINTR)
		;
	out[olen] = '\0';
	olen = tool_messages(argv[0], out);
	err = 0;
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		err = -EIO;
		if (st >= 0 && WIFEXITED(st))
			mgmt_error(res, "%s exited with status %d%s%s", cmd,
				   WEXITSTATUS(st), olen ? ": " : "", out);
		else if (st >= 0 && WIFSIGNALED(st))
			mgmt_error(res, "%s was killed by signal %d%s%s", cmd,
				   WTERMSIG(st), olen ? ": " : "", out);
		else
			mgmt_error(res, "%s: its waiter died", cmd);
	} else if (olen) {
		mgmt_info(res, "%s: %s", argv[0], out);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (statp[i] >= 0)
			close(statp[i]);
	}
	if (null >= 0)
		close(null);
	return err;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reload-log.c - bench/reload's engine and its log: start the engine with
 * its output in a file, stop it with a timeout, and follow that file as
 * the engine writes it (inotify), so each line is seen and timed within
 * a fraction of a millisecond.  Also the one way out on failure, fail(),
 * which shows the tail of the log, since that is where a broken run
 * explains itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reload.h"

static char scratch[64];
static char cur_log[256]; /* the running (or last) engine's log */
static pid_t child;

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void set_scratch(const char *dir)
{
	snprintf(scratch, sizeof(scratch), "%s", dir);
}

void rm_scratch(void)
{
	if (scratch[0])
		nftw(scratch, rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

static void print_tail(const char *log)
{
	char buf[6144], *p = buf;
	int fd = open(log, O_RDONLY);
	off_t end;
	ssize_t r;

	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0,
	      SEEK_SET);
	r = read(fd, buf, sizeof(buf));
	close(fd);
	/* From the first whole line. */
	if (r == (ssize_t)sizeof(buf) && (p = memchr(buf, '\n', (size_t)r)))
		p++;
	else
		p = buf;
	if (r > 0) {
		fprintf(stderr, "--- last lines of the engine's log:\n");
		fwrite(p, 1, (size_t)(r - (p - buf)), stderr);
	}
}

void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench/reload: FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cur_log[0])
		print_tail(cur_log);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	rm_scratch();
	exit(1);
}

/* ---- the engine ---- */

void spawn(char *const argv[], const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	pid_t pid;

	if (fd < 0)
		fail("%s: %s", log, strerror(errno));
	close(fd);
	snprintf(cur_log, sizeof(cur_log), "%s", log);
	pid = fork();
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_APPEND);
		dup2(fd, 1);
		dup2(fd, 2);
		/* An engine left behind would go on managing the files. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(126);
		execv(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	child = pid;
}

int reap(bool term, double timeout)
{
	double t0 = now();
	int st;

	if (term)
		kill(child, SIGTERM);
	for (;;) {
		pid_t p = waitpid(child, &st, WNOHANG);

		if (p == child)
			break;
		if (p < 0)
			fail("waitpid: %s", strerror(errno));
		if (now() - t0 > timeout)
			fail("engine did not exit within %.0f s%s", timeout,
			     term ? " of SIGTERM" : "");
		usleep(1000);
	}
	child = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- its log ---- */

void tail_open(struct tail *t, const char *log)
{
	t->len = 0;
	t->fd = open(log, O_RDONLY | O_CLOEXEC);
	t->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (t->fd < 0 || t->ifd < 0 ||
	    inotify_add_watch(t->ifd, log, IN_MODIFY) < 0)
		fail("following %s: %s", log, strerror(errno));
}

void tail_close(struct tail *t)
{
	close(t->fd);
	close(t->ifd);
}

/* The next whole line into t->line; false when `deadline` passed first.
 * The engine exiting meanwhile is a failure. */
static bool tail_next(struct tail *t, double deadline)
{
	bool exited = false;

	for (;;) {
		char *nl = memchr(t->buf, '\n', t->len);
		char ev[4096];
		ssize_t r;
		double left;

		if (nl) {
			size_t l = (size_t)(nl - t->buf);

			if (l >= sizeof(t->line))
				l = sizeof(t->line) - 1;
			memcpy(t->line, t->buf, l);
			t->line[l] = '\0';
			t->len -= (size_t)(nl + 1 - t->buf);
			memmove(t->buf, nl + 1, t->len);
			t->seen = now();
			return true;
		}
		if (t->len == sizeof(t->buf))
			fail("a log line longer than %zu bytes",
			     sizeof(t->buf));
		r = read(t->fd, t->buf + t->len, sizeof(t->buf) - t->len);
		if (r < 0)
			fail("reading the log: %s", strerror(errno));
		if (r > 0) {
			t->len += (size_t)r;
			continue;
		}
		if (exited)
			fail("engine exited (status %d) unexpectedly",
			     reap(false, 0));
		/* Read once more after seeing it gone: its last lines may
		 * have been written just before it exited. */
		if (child > 0) {
			siginfo_t si = { 0 };

			if (waitid(P_PID, (id_t)child, &si,
				   WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == child)
				exited = true;
		}
		left = deadline - now();
		if (left <= 0)
			return false;
		if (!exited) {
			struct pollfd p = { .fd = t->ifd, .events = POLLIN };
			int ms = left > 0.1 ? 100 : (int)(left * 1000) + 1;

			poll(&p, 1, ms);
			while (read(t->ifd, ev, sizeof(ev)) > 0)
				;
		}
	}
}

enum kind classify(const char *line, const char **msg)
{
	const char *lvl = strchr(line, ' '), *rest, *who;

	if (!lvl)
		return L_OTHER;
	lvl++;
	rest = strchr(lvl, ' ');
	if (!rest)
		return L_OTHER;
	rest++;
	*msg = rest;
	who = strstr(rest, "]: ");
	if (who && strchr(rest, '[') && strchr(rest, '[') < who) {
		who += 3;
		if (!strncmp(lvl, "debug ", 6) && !strcmp(who, "converged"))
			return L_APPLY;
		if (!strncmp(lvl, "info ", 5) &&
		    (!strcmp(who, "changed") ||
		     !strcmp(who, "would change (noop)")))
			return L_CHANGED;
	}
	if (!strncmp(lvl, "info ", 5) && !strcmp(rest, "converged"))
		return L_CONVERGED;
	if (!strncmp(lvl, "info ", 5) && !strncmp(rest, "reload: ", 8))
		return L_RELOAD;
	if (!strncmp(lvl, "error ", 6))
		return L_ERROR;
	return L_OTHER;
}

/* The graphs are valid and every file can be written: an error logged is
 * a broken run, not a figure. */
static void count_line(struct count *c, enum kind k, const char *msg)
{
	if (k == L_ERROR)
		fail("the engine logged an error: %s", msg);
	if (k != L_APPLY && k != L_CHANGED)
		return;
	int len = (int)(strstr(msg, "]: ") + 1 - msg);
	long i;

	for (i = 0; i < c->nwho && i < MAX_WHO; i++)
		if (!strncmp(c->who[i], msg, (size_t)len) && !c->who[i][len])
			break;
	if (i == c->nwho || i == MAX_WHO) {
		if (c->nwho < MAX_WHO)
			snprintf(c->who[c->nwho], sizeof(c->who[0]), "%.*s",
				 len, msg);
		c->nwho++;
	}
	c->applies++;
	if (k == L_CHANGED)
		c->changed++;
}

double wait_for(struct tail *t, enum kind want, struct count *c, double timeout,
		const char *what)
{
	double deadline = now() + timeout;
	const char *msg = "";

	while (tail_next(t, deadline)) {
		enum kind k = classify(t->line, &msg);

		if (k == want)
			return t->seen;
		count_line(c, k, msg);
	}
	fail("no %s within %.0f s", what, timeout);
}

double settle(struct tail *t, struct count *c, double secs, double last)
{
	double deadline = now() + secs;
	const char *msg = "";

	while (tail_next(t, deadline)) {
		enum kind k = classify(t->line, &msg);

		if (k == L_CONVERGED)
			last = t->seen;
		count_line(c, k, msg);
	}
	return last;
}

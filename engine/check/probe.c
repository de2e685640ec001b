/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * probe.c - plugin-check's instruments (probe.h).  A loop hook that hangs
 * cannot be interrupted and resumed, so the SIGALRM handler ends the
 * process, writing the verdict prepared when the alarm was armed: a handler
 * may only write(2) and _exit.  check_apply runs on a thread of its own, so
 * the loop thread can give up on it; a thread cannot be cancelled safely in
 * a plugin's code, so giving up ends the process too.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check/plugin-check.h"
#include "check/probe.h"
#include "run/host.h"
#include "run/sched.h"

/* ---- time limits ---- */

/* What the SIGALRM handler writes: prepared before each loop hook, since
 * the handler may only write(2) and _exit. */
static char alarm_text[2048];
static volatile sig_atomic_t alarm_len;

static void on_alarm(int sig)
{
	ssize_t n = write(STDOUT_FILENO, alarm_text, (size_t)alarm_len);

	(void)n;
	(void)sig;
	_exit(PCHECK_FAIL);
}

void probe_init(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

void probe_arm(const char *text, double secs)
{
	struct itimerval it = { 0 };
	size_t n = strlen(text);

	if (n >= sizeof(alarm_text))
		n = sizeof(alarm_text) - 1;
	memcpy(alarm_text, text, n);
	alarm_len = (sig_atomic_t)n;
	it.it_value.tv_sec = (time_t)secs;
	it.it_value.tv_usec =
		(suseconds_t)((secs - (double)(time_t)secs) * 1e6);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

void probe_disarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* ---- check_apply on a thread of its own ---- */

struct call {
	struct mgmt_res *res;
	bool apply;
	int result, reported;
	bool done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *call_main(void *arg)
{
	struct call *k = arg;
	int r, reported;

	host_off_loop_thread(); /* watches from check_apply are refused */
	r = sched_run_alone(k->res, k->apply, &reported);

	pthread_mutex_lock(&k->lock);
	k->result = r;
	k->reported = reported;
	k->done = true;
	pthread_cond_signal(&k->cond);
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

bool probe_check_apply(struct mgmt_res *res, bool apply, double secs,
		       int *result, int *reported)
{
	struct call *k = calloc(1, sizeof(*k));
	pthread_condattr_t ca;
	sigset_t all, old;
	struct timespec ts;
	pthread_t t;
	int rc;

	*result = -ENOMEM;
	*reported = INT_MIN;
	if (!k)
		return true;
	k->res = res;
	k->apply = apply;
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* As on a worker: signals are the loop thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, NULL, call_main, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(k);
		*result = -rc;
		return true;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)secs;
	ts.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&k->lock);
	rc = 0;
	while (!k->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&k->cond, &k->lock, &ts);
	if (!k->done) {
		/* `k` stays: the thread may still write to it. */
		pthread_mutex_unlock(&k->lock);
		return false;
	}
	pthread_mutex_unlock(&k->lock);
	pthread_join(t, NULL);
	*result = k->result;
	*reported = k->reported;
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->lock);
	free(k);
	return true;
}

/* ---- file descriptors ---- */

int fds_read(struct fdset *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self;

	s->fd = NULL;
	s->n = 0;
	if (!d)
		return -errno;
	self = dirfd(d);
	while ((de = readdir(d))) {
		int fd, *v;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == self)
			continue;
		v = realloc(s->fd, (s->n + 1) * sizeof(*v));
		if (!v) {
			closedir(d);
			return -ENOMEM;
		}
		s->fd = v;
		s->fd[s->n++] = fd;
	}
	closedir(d);
	return 0;
}

static bool fds_has(const struct fdset *s, int fd)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->fd[i] == fd)
			return true;
	return false;
}

size_t fds_new(const struct fdset *before, char *buf, size_t len)
{
	struct fdset now;
	size_t n = 0, used = 0;

	buf[0] = '\0';
	if (fds_read(&now) < 0)
		return 0;
	for (size_t i = 0; i < now.n; i++) {
		char link[64], target[PATH_MAX];
		ssize_t t;
		int w;

		if (fds_has(before, now.fd[i]))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", now.fd[i]);
		t = readlink(link, target, sizeof(target) - 1);
		target[t < 0 ? 0 : t] = '\0';
		w = snprintf(buf + used, len - used, "%s%d (%s)", n ? ", " : "",
			     now.fd[i], t < 0 ? "?" : target);
		if (w > 0 && (size_t)w < len - used)
			used += (size_t)w;
		n++;
	}
	free(now.fd);
	return n;
}

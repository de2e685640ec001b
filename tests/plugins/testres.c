/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * testres.c - a test-only plugin (never installed): kind "test", whose
 * check_apply records when it starts and ends, and can sleep, fail, report
 * changes, wait at a barrier, and send itself events, so the scheduler's
 * ordering, parallelism, coalescing, retry and failure isolation can be
 * proved from the record rather than from timing.
 *
 * Record lines (one write(2) each, O_APPEND, so concurrent runs never mix):
 *   start NAME RUN NS        check_apply began (RUN counts from 1)
 *   end NAME RUN NS RESULT   it returned RESULT
 *   ready NAME NS            its (pending) watch became ready
 *   init NAME / cleanup NAME
 *   stopped NAME RUN         its run saw its stop signal (host->stop_fd)
 *   joined LEADER MEMBER     the group hook took MEMBER in
 *   overlap NAME             a run began for NAME (as leader or member)
 *                            while another run covered it: the engine must
 *                            never let that happen, across reloads too
 *   contract ...             the `contract` probes (see contract_run)
 *   mresult MEMBER MRUN RUN RESULT
 *                            `report`: the leader's run RUN reported
 *                            MEMBER's own result (of its own run MRUN,
 *                            0 when it was skipped as not dirty)
 *   signal NAME SIGNUM       services: its SIGUSR1 watch was called
 *   services ...             the `services` probes (see services_run)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mgmt/mgmt.h>

struct test {
	char *record;     /* file to append records to */
	int64_t sleep_ms; /* sleep in each run */
	int64_t fail;     /* fail the first N runs */
	int64_t changes;  /* report "changed" for the first N runs */
	char *barrier;    /* file where `barrier_count` runs must meet */
	int64_t barrier_count;
	int64_t dirty_during_run; /* call dirty N times during the first run */
	int64_t reruns;           /* the first N runs each send one event */
	bool pending;        /* watch becomes ready only after a loop turn */
	bool ready_in_watch; /* pending, but ready from inside the hook */
	bool init_fail;
	bool stateless;     /* runs whenever a resource before it ran */
	char *group;        /* groups with test resources of the same group */
	int64_t stop_after; /* SIGTERM the engine after this many runs */
	char *uid;          /* its uid for autoedges */
	char *after; /* autoedge: comes after the test resource with this uid */
	char *poke;  /* send an event to the test resource of this name */
	int64_t poke_runs; /* ... in each of the first N runs */
	char *hold;        /* the first run waits until this file exists,
			      * or until its stop signal */
	bool deaf;         /* ... and hold ignores the stop signal */
	bool contract;     /* probe the host's contract (see test_watch) */
	bool services;     /* probe the host's services (see services_run) */
	bool report; /* as leader: each member by its own fail and changes,
		      * reported by host->member_result (see report_members) */
	/* runtime */
	mgmt_watch *kept; /* contract: a watch unwatched in cleanup */
	int joined; /* members group told this leader of since group_reset */
	atomic_int runs;
	mgmt_res *self;
	struct test *next; /* all live test resources */
};

static const struct mgmt_param test_params[] = {
	MGMT_PARAM(struct test, record, MGMT_PARAM_STRING, NULL, 0,
		   "record file"),
	MGMT_PARAM_NAMED("sleep", struct test, sleep_ms, MGMT_PARAM_DURATION,
			 "0", 0, "sleep in check_apply"),
	MGMT_PARAM(struct test, fail, MGMT_PARAM_INT, "0", 0,
		   "fail the first N runs"),
	MGMT_PARAM(struct test, changes, MGMT_PARAM_INT, "0", 0,
		   "return changed for the first N runs"),
	MGMT_PARAM(struct test, barrier, MGMT_PARAM_STRING, NULL, 0,
		   "rendezvous file"),
	MGMT_PARAM(struct test, barrier_count, MGMT_PARAM_INT, "0", 0,
		   "runs that must meet at the barrier"),
	MGMT_PARAM(struct test, dirty_during_run, MGMT_PARAM_INT, "0", 0,
		   "events sent during the first run"),
	MGMT_PARAM(struct test, reruns, MGMT_PARAM_INT, "0", 0,
		   "the first N runs each end with an event"),
	MGMT_PARAM(struct test, pending, MGMT_PARAM_BOOL, "false", 0,
		   "watch is ready a loop turn later"),
	MGMT_PARAM(struct test, ready_in_watch, MGMT_PARAM_BOOL, "false", 0,
		   "watch says ready (dirty) before it returns PENDING"),
	MGMT_PARAM(struct test, init_fail, MGMT_PARAM_BOOL, "false", 0,
		   "init fails"),
	MGMT_PARAM(struct test, stateless, MGMT_PARAM_BOOL, "false", 0,
		   "runs when reached"),
	MGMT_PARAM(struct test, stop_after, MGMT_PARAM_INT, "0", 0,
		   "send SIGTERM to the engine after this many runs"),
	MGMT_PARAM(struct test, group, MGMT_PARAM_STRING, NULL, 0,
		   "group with test resources of the same group"),
	MGMT_PARAM(struct test, uid, MGMT_PARAM_STRING, NULL, 0,
		   "uid for autoedges"),
	MGMT_PARAM(struct test, after, MGMT_PARAM_STRING, NULL, 0,
		   "autoedge: come after the test resource with this uid"),
	MGMT_PARAM(struct test, poke, MGMT_PARAM_STRING, NULL, 0,
		   "test resource to send an event to"),
	MGMT_PARAM(struct test, poke_runs, MGMT_PARAM_INT, "0", 0,
		   "poke in each of the first N runs"),
	MGMT_PARAM(struct test, hold, MGMT_PARAM_STRING, NULL, 0,
		   "the first run waits for this file or its stop signal"),
	MGMT_PARAM(struct test, deaf, MGMT_PARAM_BOOL, "false", 0,
		   "hold ignores the stop signal"),
	MGMT_PARAM(struct test, contract, MGMT_PARAM_BOOL, "false", 0,
		   "probe the host's contract: a watch from check_apply, "
		   "state_dir twice, unwatch in cleanup"),
	MGMT_PARAM(struct test, services, MGMT_PARAM_BOOL, "false", 0,
		   "probe the host's services: watch_signal (SIGUSR1), "
		   "hostname, now, name, kind, params"),
	MGMT_PARAM(struct test, report, MGMT_PARAM_BOOL, "false", 0,
		   "as a group's leader, run each member by its own fail and "
		   "changes and report each result"),
	MGMT_PARAM_END,
};

/* The engine's clock (CLOCK_MONOTONIC, or a test's virtual time), so the
 * record's times are those the scheduler's timers run on. */
static long long now_ns(void)
{
	return (long long)(mgmt_host->now() * 1e9 + 0.5);
}

static void record(const struct test *t, const char *fmt, ...)
	MGMT_PRINTF(2, 3);
static void record(const struct test *t, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int fd, n;

	if (!t->record)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fd = open(t->record, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) != n)
		mgmt_error(NULL, "short write to %s", t->record);
	close(fd);
}

/* Count the lines of `path`. */
static int count_lines(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0;
	ssize_t r;

	if (fd < 0)
		return 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

/* Append a line, then wait (guarded: 60 s) until `count` lines are there:
 * only possible if `count` runs are in check_apply at the same time. */
static int barrier_wait(mgmt_res *res, const struct test *t)
{
	int fd = open(t->barrier, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		      0644);

	if (fd < 0 || write(fd, "x\n", 2) != 2) {
		mgmt_error(res, "barrier %s: %s", t->barrier, strerror(errno));
		if (fd >= 0)
			close(fd);
		return MGMT_ERROR;
	}
	close(fd);
	for (int i = 0; i < 60000; i++) {
		struct timespec ms = { 0, 1000000 };

		if (count_lines(t->barrier) >= t->barrier_count)
			return 0;
		nanosleep(&ms, NULL);
	}
	mgmt_error(res, "barrier %s: gave up waiting for %lld runs", t->barrier,
		   (long long)t->barrier_count);
	return MGMT_ERROR;
}

/* Wait (guarded: 60 s) until `t->hold` exists or the run's stop signal
 * fires; returns MGMT_ERROR in the second case. */
static int hold(mgmt_res *res, const struct test *t, int run)
{
	int fd = t->deaf ? -1 : mgmt_host->stop_fd();

	for (int i = 0; i < 12000; i++) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		if (access(t->hold, F_OK) == 0)
			return MGMT_CONVERGED;
		if (poll(&pf, 1, 5) > 0) {
			record(t, "stopped %s %d\n", mgmt_res_name(res), run);
			return MGMT_ERROR;
		}
	}
	mgmt_error(res, "hold %s: gave up waiting", t->hold);
	return MGMT_ERROR;
}

/* Names covered by a run now, for the overlap record (across reloads a
 * resource is another struct, so by name).  Few names in tests. */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char name[64];
	int n;
} busy[512];

static void cover(const struct test *t, mgmt_res *res, int delta)
{
	mgmt_res *const *m;
	size_t n = mgmt_host->group_members(res, &m);

	pthread_mutex_lock(&busy_lock);
	for (size_t i = 0; i < n; i++) {
		const char *name = mgmt_res_name(m[i]);
		size_t k = 0, free_k = sizeof(busy) / sizeof(busy[0]);

		for (; k < sizeof(busy) / sizeof(busy[0]); k++) {
			if (busy[k].n == 0 &&
			    free_k == sizeof(busy) / sizeof(busy[0]))
				free_k = k;
			if (busy[k].n && strcmp(busy[k].name, name) == 0)
				break;
		}
		if (k == sizeof(busy) / sizeof(busy[0])) {
			if (delta < 0 || free_k == k)
				continue;
			k = free_k;
			snprintf(busy[k].name, sizeof(busy[k].name), "%s",
				 name);
		}
		if (delta > 0 && busy[k].n > 0)
			record(t, "overlap %s\n", name);
		busy[k].n += delta;
	}
	pthread_mutex_unlock(&busy_lock);
}

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct test *live;

/* Mark the test resource `name` dirty from this worker thread, before the
 * poking run ends: the engine then sees the event before the run's result,
 * so what follows is deterministic. */
static void poke(const char *name)
{
	pthread_mutex_lock(&live_lock);
	for (struct test *o = live; o; o = o->next)
		if (strcmp(mgmt_res_name(o->self), name) == 0)
			mgmt_dirty(o->self);
	pthread_mutex_unlock(&live_lock);
}

static void on_never(mgmt_res *res, void *data)
{
}

/* contract: what the host promises (mgmt/host.h), probed and recorded.  In
 * check_apply, on a worker: a watch is refused (NULL, EPERM); state_dir
 * returns the same stable string twice.  The watch hook keeps a watch that
 * cleanup unwatches after the engine removed it, which must be harmless. */
static void contract_run(mgmt_res *res, struct test *t)
{
	const char *a, *b;
	mgmt_watch *w;

	errno = 0;
	w = mgmt_host->watch_timer(res, 60, 0, on_never, t);
	record(t, "contract watch_in_run %s %s\n", w ? "granted" : "refused",
	       errno == EPERM ? "EPERM" : "other");
	a = mgmt_host->state_dir(res);
	b = mgmt_host->state_dir(res);
	record(t, "contract state_dir %s\n",
	       a && a == b ? "stable" : "unstable");
}

/* services: the host services no bundled plugin calls, each recorded so a
 * test sees it work.  name, kind and params are asked from the hook that
 * calls this (`where`: the loop thread's watch hook, a worker's run). */
static void services_self(mgmt_res *res, void *p, const char *where)
{
	const struct test *t = p;

	record(t, "services self %s %s %s %s\n", where, mgmt_host->name(res),
	       mgmt_host->kind(res),
	       mgmt_host->params(res) == p ? "params-is-p" : "params-other");
}

/* In each run: the hostname, and the engine's clock around a 50 ms sleep
 * ("services now NAME RUN BEFORE AFTER", in seconds). */
static void services_run(mgmt_res *res, void *p, int run)
{
	const struct test *t = p;
	struct timespec ts = { 0, 50 * 1000000 };
	double a, b;

	if (run == 1) {
		services_self(res, p, "run");
		record(t, "services hostname %s %s\n", mgmt_res_name(res),
		       mgmt_host->hostname());
	}
	a = mgmt_host->now();
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	b = mgmt_host->now();
	record(t, "services now %s %d %.9f %.9f\n", mgmt_res_name(res), run, a,
	       b);
}

/* report: the members after the leader, each by its own fail and
 * changes (counted in its own runs), skipped when it cannot have moved;
 * each result reported; returns the sum of the leader's `r` and theirs. */
static int report_members(mgmt_res *res, struct test *t, int run, int r)
{
	mgmt_res *const *m;
	size_t n = mgmt_host->group_members(res, &m);
	bool failed = r < 0, changed = r == MGMT_CHANGED;

	mgmt_member_result(res, r);
	for (size_t i = 1; i < n; i++) {
		struct test *mt = mgmt_res_params(m[i]);
		int mrun = 0, mr = MGMT_CONVERGED;

		if (mgmt_host->member_dirty(m[i])) {
			mrun = atomic_fetch_add(&mt->runs, 1) + 1;
			if (mrun <= mt->fail) {
				mgmt_error(m[i], "failing on purpose (run %d)",
					   mrun);
				mr = MGMT_ERROR;
			} else if (mrun <= mt->changes) {
				mr = MGMT_CHANGED;
			}
		}
		mgmt_member_result(m[i], mr);
		record(t, "mresult %s %d %d %d\n", mgmt_res_name(m[i]), mrun,
		       run, mr);
		failed |= mr < 0;
		changed |= mr == MGMT_CHANGED;
	}
	return failed ? MGMT_ERROR : changed ? MGMT_CHANGED : MGMT_CONVERGED;
}

static int test_check_apply(mgmt_res *res, void *p, bool apply)
{
	struct test *t = p;
	int run = atomic_fetch_add(&t->runs, 1) + 1;
	int r = MGMT_CONVERGED;

	cover(t, res, 1);
	record(t, "start %s %d %lld %d\n", mgmt_res_name(res), run, now_ns(),
	       apply);
	if (run == 1 && t->contract)
		contract_run(res, t);
	if (t->services)
		services_run(res, p, run);
	if (run == 1)
		for (int64_t i = 0; i < t->dirty_during_run; i++)
			mgmt_dirty(res); /* from a worker thread */
	if (t->barrier && t->barrier_count > 0 && run == 1)
		r = barrier_wait(res, t);
	if (r == 0 && t->hold && run == 1)
		r = hold(res, t, run);
	if (t->sleep_ms > 0) {
		struct timespec ts = { t->sleep_ms / 1000,
				       (t->sleep_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	if (r == 0 && run <= t->fail) {
		mgmt_error(res, "failing on purpose (run %d of %lld)", run,
			   (long long)t->fail);
		r = MGMT_ERROR;
	} else if (r == 0 && run <= t->changes) {
		r = MGMT_CHANGED;
	}
	if (t->report)
		r = report_members(res, t, run, r);
	if (mgmt_host->refreshed(res))
		record(t, "refreshed %s %d\n", mgmt_res_name(res), run);
	{
		mgmt_res *const *m;
		size_t n = mgmt_host->group_members(res, &m);

		/* "member LEADER RUN NAME DIRTY" for each member after the
		 * leader, so tests see what one grouped run covered */
		for (size_t i = 1; i < n; i++)
			record(t, "member %s %d %s %d\n", mgmt_res_name(res),
			       run, mgmt_res_name(m[i]),
			       (int)mgmt_host->member_dirty(m[i]));
	}
	record(t, "end %s %d %lld %d\n", mgmt_res_name(res), run, now_ns(), r);
	cover(t, res, -1);
	if (run <= t->reruns)
		mgmt_dirty(res); /* still running: exactly one re-run */
	if (t->poke && run <= t->poke_runs)
		poke(t->poke);
	if (t->stop_after && run == t->stop_after)
		kill(getpid(),
		     SIGTERM); /* the engine's shutdown, from within */
	return r;
}

static void on_ready(mgmt_res *res, void *data)
{
	struct test *t = data;

	record(t, "ready %s %lld\n", mgmt_res_name(res), now_ns());
	mgmt_dirty(res);
}

static int test_init(mgmt_res *res, void *p)
{
	struct test *t = p;

	record(t, "init %s\n", mgmt_res_name(res));
	if (t->init_fail) {
		mgmt_error(res, "init failing on purpose");
		return MGMT_ERROR;
	}
	if (t->stateless)
		mgmt_host->set_flags(res, MGMT_RES_RUN_WHEN_REACHED);
	t->self = res;
	pthread_mutex_lock(&live_lock);
	t->next = live;
	live = t;
	pthread_mutex_unlock(&live_lock);
	return 0;
}

static void on_signal(mgmt_res *res, int signum, void *data)
{
	struct test *t = data;

	record(t, "signal %s %d\n", mgmt_res_name(res), signum);
	mgmt_dirty(res);
}

static void on_never_signal(mgmt_res *res, int signum, void *data)
{
}

/* services, in the watch hook: a SIGUSR1 watch (the engine removes it before
 * cleanup), and the engine's own signals, which must be refused. */
static int services_watch(mgmt_res *res, struct test *t)
{
	static const struct {
		int signum;
		const char *name;
	} own[] = { { SIGINT, "SIGINT" },
		    { SIGTERM, "SIGTERM" },
		    { SIGHUP, "SIGHUP" },
		    { SIGCHLD, "SIGCHLD" } };

	services_self(res, t, "watch");
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		mgmt_watch *w;

		errno = 0;
		w = mgmt_host->watch_signal(res, own[i].signum, on_never_signal,
					    t);
		record(t, "services watch_signal %s %s %s %s\n",
		       mgmt_res_name(res), own[i].name,
		       w ? "granted" : "refused",
		       errno == EINVAL ? "EINVAL" : "other");
		if (w)
			mgmt_host->unwatch(w); /* give the engine its own */
	}
	if (!mgmt_host->watch_signal(res, SIGUSR1, on_signal, t)) {
		mgmt_error(res, "watch_signal SIGUSR1: %s", strerror(errno));
		return MGMT_ERROR;
	}
	return 0;
}

static int test_watch(mgmt_res *res, void *p)
{
	struct test *t = p;

	if (t->contract &&
	    !(t->kept = mgmt_host->watch_timer(res, 60, 0, on_never, t)))
		return MGMT_ERROR;
	if (t->contract) /* outside check_apply: refused, one line */
		mgmt_host->member_result(res, MGMT_CHANGED);
	if (t->services && services_watch(res, t) < 0)
		return MGMT_ERROR;

	if (t->ready_in_watch) {
		/* as a bus watch whose replies came before attach returned */
		mgmt_dirty(res);
		return MGMT_WATCH_PENDING;
	}
	if (t->pending) {
		if (!mgmt_host->watch_timer(res, 0.001, 0, on_ready, t))
			return MGMT_ERROR;
		return MGMT_WATCH_PENDING;
	}
	return 0;
}

static void test_cleanup(mgmt_res *res, void *p)
{
	struct test *t = p;

	record(t, "cleanup %s %d\n", mgmt_res_name(res), atomic_load(&t->runs));
	if (t->contract)
		mgmt_host->unwatch(t->kept); /* the engine removed it already */
	pthread_mutex_lock(&live_lock);
	for (struct test **pp = &live; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	pthread_mutex_unlock(&live_lock);
}

static const char *test_uid(mgmt_res *res, void *p)
{
	return ((struct test *)p)->uid;
}

static void test_autoedges(mgmt_res *res, void *p, mgmt_autoedge_cb add,
			   void *ctx)
{
	struct test *t = p;

	if (t->after)
		add(ctx, MGMT_EDGE_AFTER, "test", t->after);
}

static bool test_group_cmp(mgmt_res *leader, void *lp, mgmt_res *other,
			   void *op)
{
	const struct test *a = lp, *b = op;

	return a->group && b->group && strcmp(a->group, b->group) == 0;
}

static int test_group(mgmt_res *leader, void *lp, mgmt_res *member, void *mp)
{
	struct test *l = lp;

	record(l, "joined %s %s %d\n", mgmt_res_name(leader),
	       mgmt_res_name(member), ++l->joined);
	return 0;
}

static void test_group_reset(mgmt_res *res, void *p)
{
	struct test *t = p;

	t->joined = 0;
	record(t, "reset %s\n", mgmt_res_name(res));
}

static const struct mgmt_kind test_kind = {
	MGMT_KIND_HEADER,
	.name = "test",
	.doc = "test-only: records, sleeps, fails on request",
	.params = test_params,
	.params_size = sizeof(struct test),
	.init = test_init,
	.watch = test_watch,
	.cleanup = test_cleanup,
	.check_apply = test_check_apply,
	.uid = test_uid,
	.autoedges = test_autoedges,
	.group_cmp = test_group_cmp,
	.group = test_group,
	.group_reset = test_group_reset,
};

static const struct mgmt_kind *const test_kinds[] = { &test_kind, NULL };

MGMT_PLUGIN_DEFINE("testres", "1", "test-only resources", test_kinds, NULL,
		   NULL);

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calls.c - actions other threads ask of the running engine (the control
 * socket's reload and trigger) and wait for: the caller queues a call and
 * wakes the loop (an ev_async); the loop starts the action and, when its
 * outcome is known (the reload taken or refused, the resource's run over),
 * completes the call.  A caller that stops waiting takes its call out
 * of every list first, so the loop never completes a call nobody waits
 * for.  One mutex guards the lists and each call's outcome.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "run/internal.h"

enum call_what {
	CALL_RELOAD,
	CALL_TRIGGER
};

struct call {
	enum call_what what;
	const char *kind, *name; /* trigger */
	const struct mgmt_res *res;
	uint64_t want_runs; /* its run is over when it ran this often */
	bool done;
	int rc;
	char *err;
	size_t errlen;
	struct call *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static struct sched *live; /* the running scheduler, or NULL */
static struct call *incoming, *reloads, *triggers;
static atomic_int ntriggers; /* waiting for a run; read by every run */
static ev_async async;

/* lock held */
static void complete(struct call *c, int rc, const char *err)
{
	c->rc = rc;
	if (err)
		snprintf(c->err, c->errlen, "%s", err);
	c->done = true;
	pthread_cond_broadcast(&cond);
}

/* lock held: take `c` out of `*list` if it is there. */
static bool unlink_call(struct call **list, struct call *c)
{
	for (struct call **p = list; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			return true;
		}
	return false;
}

static struct mgmt_res *find(struct sched *s, const char *kind,
			     const char *name)
{
	for (size_t i = 0; i < s->cfg->nres; i++) {
		struct mgmt_res *r = s->cfg->res[i];

		if (r && strcmp(r->kind->k.name, kind) == 0 &&
		    strcmp(r->name, name) == 0)
			return r;
	}
	return NULL;
}

/* lock held: the resource to run for trigger `c`, or NULL when there is
 * none (`c` is then complete). */
static struct mgmt_res *start_trigger(struct sched *s, struct call *c)
{
	struct mgmt_res *r = find(s, c->kind, c->name);
	char msg[256];

	if (!r || !r->run || !r->run->vertex || !r->run->stat) {
		snprintf(msg, sizeof(msg),
			 "no resource %s[%s] in the running graph", c->kind,
			 c->name);
		complete(c, -ENOENT, msg);
		return NULL;
	}
	c->res = r;
	/* A run going on now saw the state before the call. */
	c->want_runs = atomic_load(&r->run->stat->runs) + (r->run->job ? 2 : 1);
	c->next = triggers;
	triggers = c;
	atomic_fetch_add(&ntriggers, 1);
	return r;
}

/* Take the calls that came in.  The scheduler is called only once the
 * lock is released (a run it ends would take the lock again). */
static void on_async(struct ev_loop *loop, ev_async *w, int revents)
{
	struct sched *s = w->data;
	struct mgmt_res *run[32];
	size_t nrun = 0;
	bool reload = false;

	pthread_mutex_lock(&lock);
	while (incoming && nrun < sizeof(run) / sizeof(run[0])) {
		struct call *c = incoming;

		incoming = c->next;
		if (c->what == CALL_TRIGGER) {
			if ((run[nrun] = start_trigger(s, c)))
				nrun++;
		} else if (!s->o.yaml) {
			complete(c, -ENOTSUP,
				 "this engine reads no graph file it could "
				 "reload");
		} else {
			c->next = reloads;
			reloads = c;
			reload = true;
		}
	}
	if (incoming) /* the rest in the next turn */
		ev_async_send(loop, w);
	pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < nrun; i++) {
		log_msg(MGMT_LOG_INFO, run[i]->kind->k.name, run[i]->name,
			"triggered through the control socket");
		sched_dirty(run[i]);
	}
	if (reload) {
		log_info("reload asked through the control socket");
		reload_request(s);
	}
	sched_kick(s);
}

void calls_start(struct sched *s)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &ca);
	pthread_condattr_destroy(&ca);
	ev_async_init(&async, on_async);
	async.data = s;
	ev_async_start(s->loop, &async);
	pthread_mutex_lock(&lock);
	live = s;
	pthread_mutex_unlock(&lock);
}

void calls_stop(struct sched *s)
{
	struct call **lists[] = { &incoming, &reloads, &triggers };

	pthread_mutex_lock(&lock);
	live = NULL;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		while (*lists[i]) {
			struct call *c = *lists[i];

			*lists[i] = c->next;
			complete(c, -ESRCH, "the engine is stopping");
		}
	atomic_store(&ntriggers, 0);
	pthread_mutex_unlock(&lock);
	ev_async_stop(s->loop, &async);
}

void calls_reloaded(const char *error)
{
	pthread_mutex_lock(&lock);
	while (reloads) {
		struct call *c = reloads;

		reloads = c->next;
		complete(c, error ? 1 : 0, error);
	}
	pthread_mutex_unlock(&lock);
}

void calls_ran(const struct mgmt_res *m, int rc)
{
	if (atomic_load_explicit(&ntriggers, memory_order_relaxed) == 0)
		return;
	pthread_mutex_lock(&lock);
	for (struct call **p = &triggers; *p;) {
		struct call *c = *p;
		char err[512] = "";

		if (c->res != m || !m->run->stat ||
		    atomic_load(&m->run->stat->runs) < c->want_runs) {
			p = &c->next;
			continue;
		}
		*p = c->next;
		atomic_fetch_sub(&ntriggers, 1);
		if (rc < 0) {
			stats_last_error(m->run->stat, err, sizeof(err));
			if (!err[0])
				snprintf(err, sizeof(err), "error %d", rc);
		}
		complete(c, rc < 0 ? -EIO : rc, rc < 0 ? err : NULL);
	}
	pthread_mutex_unlock(&lock);
}

void calls_gone(const struct mgmt_res *m)
{
	if (atomic_load_explicit(&ntriggers, memory_order_relaxed) == 0)
		return;
	pthread_mutex_lock(&lock);
	for (struct call **p = &triggers; *p;) {
		struct call *c = *p;
		char msg[256];

		if (c->res != m) {
			p = &c->next;
			continue;
		}
		*p = c->next;
		atomic_fetch_sub(&ntriggers, 1);
		snprintf(msg, sizeof(msg),
			 "%s[%s] left the running graph in a reload before it "
			 "ran (removed or changed); trigger it again if the "
			 "new graph has it",
			 c->kind, c->name);
		complete(c, -ENOENT, msg);
	}
	pthread_mutex_unlock(&lock);
}

/* Queue `c`, wake the loop, wait at most `wait` s for the outcome. */
static int call_wait(struct call *c, double wait)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)wait;
	ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lock);
	if (!live) {
		pthread_mutex_unlock(&lock);
		snprintf(c->err, c->errlen, "no graph is running");
		return -ESRCH;
	}
	c->next = incoming;
	incoming = c;
	ev_async_send(live->loop, &async);
	while (!c->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&cond, &lock, &ts);
	if (!c->done) {
		if (unlink_call(&triggers, c))
			atomic_fetch_sub(&ntriggers, 1);
		else if (!unlink_call(&incoming, c))
			unlink_call(&reloads, c);
		pthread_mutex_unlock(&lock);
		return -ETIMEDOUT;
	}
	pthread_mutex_unlock(&lock);
	return c->rc;
}

int sched_call_reload(double wait, char *err, size_t len)
{
	struct call c = { .what = CALL_RELOAD, .err = err, .errlen = len };

	err[0] = '\0';
	return call_wait(&c, wait);
}

int sched_call_trigger(const char *kind, const char *name, double wait,
		       char *err, size_t len)
{
	struct call c = { .what = CALL_TRIGGER,
			  .kind = kind,
			  .name = name,
			  .err = err,
			  .errlen = len };

	err[0] = '\0';
	return call_wait(&c, wait);
}

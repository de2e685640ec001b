/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stats.c - the published state (see stats.h): the table of a graph, built
 * and swapped in by the loop at each graph's setup, written by the loop as
 * vertices change state and runs end, read by any thread.
 *
 * Locking.  `lock` guards the pointer to the current table, the readers'
 * references, every rstat's last_error, and the res_run->stat pointers
 * while the loop moves them from one table to the next (a worker that logs
 * an error reads its resource's pointer under it).  Everything else is an
 * atomic written by the loop alone: a reader may see a run's counters
 * before its state, never a torn value.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "loader/loader.h"
#include "run/internal.h"
#include "run/stats.h"

const double stats_buckets[STATS_NBUCKETS] = { 0.0005, 0.001, 0.0025, 0.005,
					       0.01,   0.025, 0.05,   0.1,
					       0.25,   1,     5,      30 };

struct stats_engine stats = { .etcd = -1 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats_table *current;

int64_t stats_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int stats_init(const struct registry *reg, const char *host, const char *graph)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	stats.started = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	stats.pid = (int)getpid();
	stats.host = host;
	stats.graph = graph;
	stats.kinds =
		calloc(reg->nkinds ? reg->nkinds : 1, sizeof(*stats.kinds));
	if (!stats.kinds)
		return -ENOMEM;
	stats.nkinds = (uint32_t)reg->nkinds;
	for (size_t i = 0; i < reg->nkinds; i++)
		stats.kinds[i].kind = reg->kinds[i]->k.name;
	return 0;
}

static void table_free(struct stats_table *t)
{
	for (uint32_t i = 0; t && i < t->n; i++) {
		free(t->r[i].last_error);
		free((char *)t->r[i].group);
		free((char *)t->r[i].name);
	}
	if (t)
		free(t->r);
	free(t);
}

void stats_fini(void)
{
	stats_drop();
	free(stats.kinds);
	stats.kinds = NULL;
	stats.nkinds = 0;
}

struct stats_table *stats_acquire(void)
{
	struct stats_table *t;

	pthread_mutex_lock(&lock);
	t = current;
	if (t)
		atomic_fetch_add(&t->refs, 1);
	pthread_mutex_unlock(&lock);
	return t;
}

void stats_release(struct stats_table *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&lock);
	if (atomic_fetch_sub(&t->refs, 1) == 1)
		table_free(t);
	pthread_mutex_unlock(&lock);
}

const char *stats_state_name(const struct rstat *r)
{
	static const char *const names[] = {
		[RS_PENDING] = "pending",   [RS_DIRTY] = "dirty",
		[RS_HELD] = "held",         [RS_RUNNING] = "running",
		[RS_RETRYING] = "retrying", [RS_CONVERGED] = "converged",
		[RS_FAILED] = "failed",
	};
	unsigned st = atomic_load_explicit(&r->state, memory_order_relaxed);

	return st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown";
}

void stats_last_error(const struct rstat *r, char *buf, size_t len)
{
	pthread_mutex_lock(&lock);
	snprintf(buf, len, "%s", r->last_error ? r->last_error : "");
	pthread_mutex_unlock(&lock);
}

struct kstat *stats_kind(const struct kind_entry *k)
{
	for (uint32_t i = 0; i < stats.nkinds; i++)
		if (stats.kinds[i].kind == k->k.name)
			return &stats.kinds[i];
	return NULL;
}

void stats_error_v(const struct mgmt_res *res, const char *fmt, va_list ap)
{
	char line[512], *copy;

	vsnprintf(line, sizeof(line), fmt, ap);
	copy = strdup(line);
	pthread_mutex_lock(&lock);
	if (copy && res->run && res->run->stat) {
		free(res->run->stat->last_error);
		res->run->stat->last_error = copy;
		copy = NULL;
	}
	pthread_mutex_unlock(&lock);
	free(copy);
}

/* ---- the loop's side ---- */

#define STORE(field, v)                                                        \
	atomic_store_explicit(&(field), (v), memory_order_relaxed)
#define LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)

static enum rstate member_state(const struct vertex *v,
				const struct mgmt_res *m)
{
	switch (v->state) {
	case V_PENDING:
		return RS_PENDING;
	case V_DIRTY:
		return v->tainted ? RS_HELD : RS_DIRTY;
	case V_RUNNING:
	case V_WAIT:
		return RS_RUNNING;
	case V_RETRY:
		return v->nheld && !m->run->failed ? RS_CONVERGED : RS_RETRYING;
	case V_FAILED:
		return v->nheld && !m->run->failed ? RS_CONVERGED : RS_FAILED;
	case V_CLEAN:
		break;
	}
	return RS_CONVERGED;
}

void stats_vertex(const struct vertex *v)
{
	int64_t at = 0;

	if (v->state == V_RETRY)
		at = stats_now_ms() + v->res->meta.delay_ms;
	for (uint32_t i = 0; i < v->nmembers; i++) {
		struct rstat *r = v->members[i]->run->stat;
		enum rstate st;

		if (!r)
			continue;
		st = member_state(v, v->members[i]);
		STORE(r->state, (unsigned char)st);
		STORE(r->retry_at_ms, st == RS_RETRYING ? at : 0);
		STORE(r->retries_left, v->retries_left);
	}
}

void stats_member_ran(struct mgmt_res *m, int rc, bool apply, int64_t now)
{
	struct rstat *r = m->run ? m->run->stat : NULL;
	struct kstat *k = stats_kind(m->kind);

	if (k)
		atomic_fetch_add_explicit(
			&k->check[apply][rc == MGMT_CHANGED][rc < 0], 1,
			memory_order_relaxed);
	if (!r)
		return;
	STORE(r->runs, LOAD(r->runs) + 1);
	STORE(r->last_check_ms, now);
	if (rc == MGMT_CHANGED) {
		STORE(r->changes, LOAD(r->changes) + 1);
		STORE(r->last_change_ms, now);
	} else if (rc < 0) {
		STORE(r->failures, LOAD(r->failures) + 1);
	}
}

void stats_job_ran(const struct kind_entry *kind, double secs)
{
	struct kstat *k = stats_kind(kind);
	int b = 0;

	if (!k)
		return;
	while (b < STATS_NBUCKETS && secs > stats_buckets[b])
		b++;
	if (b < STATS_NBUCKETS)
		atomic_fetch_add_explicit(&k->dur_bucket[b], 1,
					  memory_order_relaxed);
	atomic_fetch_add_explicit(&k->dur_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&k->dur_sum_us, (uint64_t)(secs * 1e6 + 0.5),
				  memory_order_relaxed);
}

void stats_failure(const struct vertex *v, bool hard)
{
	struct kstat *k = stats_kind(v->res->kind);

	if (k)
		atomic_fetch_add_explicit(
			hard ? &k->failures_hard : &k->failures_soft,
			sched_nfailed(v), memory_order_relaxed);
}

void stats_event(const struct mgmt_res *m)
{
	struct kstat *k = stats_kind(m->kind);

	if (k)
		atomic_fetch_add_explicit(&k->events, 1, memory_order_relaxed);
}

void stats_drop(void)
{
	pthread_mutex_lock(&lock);
	if (current && atomic_fetch_sub(&current->refs, 1) == 1)
		table_free(current);
	current = NULL;
	pthread_mutex_unlock(&lock);
}

void stats_converged(bool conv)
{
	STORE(stats.converged_since_ms, conv ? stats_now_ms() : 0);
	atomic_store(&stats.converged, conv);
}

void stats_reload(bool taken)
{
	atomic_fetch_add(taken ? &stats.reloads_taken : &stats.reloads_refused,
			 1);
}

/* "kind[leader]" of a group, or NULL. */
static char *group_name(const struct vertex *v)
{
	size_t len;
	char *g;

	if (v->nmembers < 2)
		return NULL;
	len = strlen(v->res->kind->k.name) + strlen(v->res->name) + 3;
	g = malloc(len);
	if (g)
		snprintf(g, len, "%s[%s]", v->res->kind->k.name, v->res->name);
	return g;
}

/* Carry what the old entry counted (a kept resource). */
static void carry(struct rstat *to, const struct rstat *from)
{
	STORE(to->runs, LOAD(from->runs));
	STORE(to->changes, LOAD(from->changes));
	STORE(to->failures, LOAD(from->failures));
	STORE(to->last_check_ms, LOAD(from->last_check_ms));
	STORE(to->last_change_ms, LOAD(from->last_change_ms));
	to->last_error = from->last_error ? strdup(from->last_error) : NULL;
}

int stats_graph(struct sched *s)
{
	struct stats_table *t = calloc(1, sizeof(*t)), *old;
	bool ok;
	uint32_t k = 0;

	if (!t ||
	    !(t->r = calloc(s->cfg->nres ? s->cfg->nres : 1, sizeof(*t->r)))) {
		free(t);
		return -ENOMEM;
	}
	atomic_init(&t->refs, 1);
	t->since = (double)stats_now_ms() / 1000.;
	t->n = (uint32_t)s->cfg->nres;
	pthread_mutex_lock(&lock);
	/* Vertex by vertex, so a group's members are together. */
	for (uint32_t i = 0; i < s->n; i++) {
		const struct vertex *v = &s->v[i];
		char *g = group_name(v);

		for (uint32_t j = 0; j < v->nmembers; j++) {
			struct mgmt_res *m = v->members[j];
			struct rstat *r = &t->r[k++];

			r->kind =
				m->kind->k.name; /* the registry outlives it */
			r->name = strdup(m->name);
			r->group = j == 0 ? g : g ? strdup(g) : NULL;
			if (m->run->stat)
				carry(r, m->run->stat);
			STORE(r->retries_left, v->retries_left);
		}
	}
	ok = k == t->n;
	for (uint32_t i = 0; ok && i < k; i++)
		ok = t->r[i].name != NULL; /* a group's name may go */
	if (!ok) {
		pthread_mutex_unlock(&lock);
		table_free(t);
		return -ENOMEM;
	}
	k = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct vertex *v = &s->v[i];

		for (uint32_t j = 0; j < v->nmembers; j++)
			v->members[j]->run->stat = &t->r[k++];
		stats_vertex(v);
	}
	/* A changed or removed resource whose run goes on counts no more. */
	for (struct run_job *j = s->jobs; j; j = j->next)
		for (uint32_t i = 0; i < j->n; i++)
			if (j->members[i]->run->doomed)
				j->members[i]->run->stat = NULL;
	old = current;
	current = t;
	if (old && atomic_fetch_sub(&old->refs, 1) == 1)
		table_free(old);
	pthread_mutex_unlock(&lock);
	return 0;
}

void stats_taint(struct sched *s)
{
	s->taint_stale = false;
	for (uint32_t i = 0; i < s->n; i++) {
		struct vertex *v = &s->v[s->order[i]];
		bool was = v->tainted;

		v->tainted = v->state == V_FAILED || v->state == V_RETRY;
		for (uint32_t e = s->g->in_start[v->id];
		     !v->tainted && e < s->g->in_start[v->id + 1]; e++) {
			uint32_t x = s->g->in_edge[e];

			v->tainted = s->eopen[x] &&
				     s->v[s->g->edges[x].from].tainted;
		}
		if (v->tainted != was && v->state == V_DIRTY)
			stats_vertex(v);
	}
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * setup.c - a graph's vertices: built from a compiled config (grouped,
 * ordered, their resources started, their openness counted), and undone
 * at a reload or at the end.  A reload keeps the resources it carries
 * over; what runs, or waits for a run of the graph before, keeps its own
 * marks.  Loop thread only (see sched.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "run/host.h"
#include "run/internal.h"

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents);
static void on_poll(struct ev_loop *loop, ev_timer *w, int revents);

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct vertex *v = SCHED_CONTAINER(w, struct vertex, retry_timer);
	struct sched *s = v->s;

	if (v->state == V_RETRY) {
		s->nretry--;
		sched_set_state(v, V_DIRTY);
		if (v->nblock == 0)
			sched_enqueue(s, v);
	}
	sched_kick(s);
}

/* A resource's meta.poll tick: it alone is dirty (in a group, its
 * vertex runs, and host->member_dirty is true for this member only). */
static void on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct res_run *rr = SCHED_CONTAINER(w, struct res_run, poll_timer);
	struct mgmt_res *m = rr->res;
	struct vertex *v = rr->vertex;

	if (!v)
		return; /* stopped with its vertex; never fires so */
	log_msg(MGMT_LOG_DEBUG, m->kind->k.name, m->name,
		"poll: checking (every %lld s)", (long long)m->meta.poll_s);
	rr->dirty = true;
	sched_make_dirty(v->s, v);
	sched_kick(v->s);
}

/* The group hook, then init and watch hooks of every member of `v` that is
 * new (a resource kept by a reload is already watched).  A member whose
 * init or watch fails fails the vertex (returns false), which blocks its
 * descendants.  Sets v->npending. */
bool sched_start_members(struct sched *s, struct vertex *v)
{
	bool ok = true;

	plan_join(&s->plan, v->id);
	v->npending = 0;
	for (uint32_t j = 0; j < v->nmembers; j++) {
		struct mgmt_res *m = v->members[j];
		struct res_run *rr = m->run;
		const struct mgmt_kind *k = &m->kind->k;
		int r;

		if (rr->inited) {
			v->npending += rr->watch_pending;
			continue;
		}
		r = k->init ? k->init(m, m->params) : 0;
		if (r < 0) {
			log_msg(MGMT_LOG_ERROR, k->name, m->name,
				"init failed (error %d)", r);
			ok = false;
			continue;
		}
		rr->inited = true;
		/* As in mgmt, meta.poll replaces the watch: the resource is
		 * checked on its ticks only (sched_start_poll). */
		if (m->meta.poll_s > 0)
			continue;
		rr->in_watch = true;
		r = k->watch ? k->watch(m, m->params) : 0;
		rr->in_watch = false;
		if (r < 0) {
			log_msg(MGMT_LOG_ERROR, k->name, m->name,
				"watch failed (error %d)", r);
			ok = false;
		} else if (r == MGMT_WATCH_PENDING && !rr->early_event) {
			rr->watch_pending = true;
			v->npending++;
		}
	}
	return ok;
}

/* Each member on its own interval: in a group too. */
void sched_start_poll(struct sched *s, struct vertex *v)
{
	for (uint32_t i = 0; i < v->nmembers; i++) {
		struct mgmt_res *m = v->members[i];

		if (m->meta.poll_s > 0) {
			double p = (double)m->meta.poll_s;

			stimer_start(s->loop, &m->run->poll_timer, p, p);
		}
	}
}

/* Start every vertex, in dependency order, except those that wait for runs
 * of the graph before a reload (they start when those end). */
static void start_resources(struct sched *s)
{
	for (uint32_t i = 0; i < s->n; i++) {
		struct vertex *v = &s->v[s->order[i]];

		if (sched_waits(v)) {
			for (uint32_t j = 0; j < v->nmembers; j++)
				v->redo |= v->members[j]->run->dirty;
			v->state = V_WAIT;
			continue;
		}
		if (!sched_start_members(s, v)) {
			v->state = V_FAILED;
			v->failing = true;
		} else if (v->npending && v->state == V_DIRTY) {
			v->state = V_PENDING;
			s->npending++;
		}
		sched_start_poll(s, v);
	}
}

/* Forget the events `m` sent from other threads that are not taken yet:
 * it is about to be freed. */
static void forget_events(struct sched *s, const struct mgmt_res *m)
{
	size_t k = 0;

	pthread_mutex_lock(&s->rlock);
	for (size_t i = 0; i < s->nremote; i++)
		if (s->remote[i] != m)
			s->remote[k++] = s->remote[i];
	s->nremote = k;
	pthread_mutex_unlock(&s->rlock);
}

/* Watches and cleanup hook of one resource. */
void sched_stop_resource(struct sched *s, struct mgmt_res *m)
{
	const struct mgmt_kind *k = &m->kind->k;

	stimer_stop(s->loop, &m->run->poll_timer);
	host_release_watches(m);
	if (k->cleanup && m->run->inited)
		k->cleanup(m, m->params);
	host_free_released();
	m->run->inited = false;
	m->run->vertex = NULL;
	forget_events(s, m);
}

int sched_res_run(struct mgmt_res *r)
{
	if (r->run)
		return 0;
	r->run = calloc(1, sizeof(*r->run));
	if (!r->run)
		return -ENOMEM;
	r->run->res = r;
	stimer_init(&r->run->poll_timer, on_poll);
	return 0;
}

int sched_res_alone(struct mgmt_res *r)
{
	struct vertex *v;

	if (sched_res_run(r) < 0)
		return -ENOMEM;
	v = calloc(1, sizeof(*v) + sizeof(*v->members));
	if (!v)
		return -ENOMEM;
	/* A group of one, its only member after the vertex. */
	v->members = (struct mgmt_res **)(v + 1);
	v->members[0] = r;
	v->nmembers = 1;
	v->res = r;
	r->run->vertex = v;
	/* Every run must look at the real state: no member may be skipped
	 * as one without events. */
	r->run->job_dirty = true;
	r->run->dirty = true;
	return 0;
}

void sched_res_alone_free(struct mgmt_res *r)
{
	if (!r->run)
		return;
	free(r->run->vertex);
	free(r->run);
	r->run = NULL;
}

void sched_free_runs(struct graph_cfg *cfg)
{
	for (size_t i = 0; cfg && i < cfg->nres; i++) {
		if (cfg->res[i]) {
			free(cfg->res[i]->run);
			cfg->res[i]->run = NULL;
		}
	}
}

/* Build the vertices of `cfg`: group it, lay out the vertices, start new
 * resources, and set each vertex's state from its members (a kept resource
 * that was settled stays clean) and its openness in dependency order. */
int sched_graph_setup(struct sched *s, struct graph_cfg *cfg)
{
	const struct autogroup_result *ag = &s->plan.ag;

	s->cfg = cfg;
	if (plan_group(cfg, !s->o.no_autogroup, &s->plan) < 0)
		return -ENOMEM;
	s->g = &ag->grouped;
	s->rg = &s->plan.rg;
	s->n = ag->ngroups;
	s->v = calloc(s->n ? s->n : 1, sizeof(*s->v));
	s->members = calloc(cfg->nres ? cfg->nres : 1, sizeof(*s->members));
	s->runq = calloc((size_t)s->n + 1, sizeof(*s->runq));
	s->stack = calloc((size_t)s->n + 1, sizeof(*s->stack));
	s->eopen = calloc(s->g->nedges ? s->g->nedges : 1, sizeof(*s->eopen));
	s->order = calloc(s->n ? s->n : 1, sizeof(*s->order));
	s->touched = calloc(s->n ? s->n : 1, sizeof(*s->touched));
	if (!s->v || !s->members || !s->runq || !s->stack || !s->eopen ||
	    !s->order || !s->touched)
		return -ENOMEM;
	s->rq_head = s->rq_tail = 0;
	for (uint32_t i = 0; i < cfg->nres; i++) {
		struct res_run *rr;

		if (sched_res_run(cfg->res[i]) < 0)
			return -ENOMEM;
		rr = cfg->res[i]->run;
		rr->index = i;
		if (!rr->inited) {
			rr->dirty = true; /* a new resource starts dirty */
			rr->refresh = false;
			rr->watch_pending = false;
		}
		if (!rr->job) /* what a running job sees stays */
			rr->job_dirty = rr->job_refresh = false;
	}
	if (gate_setup_semas(s, cfg) < 0)
		return -ENOMEM;
	for (struct run_job *j = s->jobs; j; j = j->next)
		gate_sema_hold(s, j->semas, j->nsemas);
	for (uint32_t i = 0; i < s->n; i++) {
		struct vertex *v = &s->v[i];
		uint32_t first = ag->member_start[i];

		v->s = s;
		v->members = s->members + first;
		v->nmembers = ag->member_start[i + 1] - first;
		v->state = V_CLEAN;
		for (uint32_t j = 0; j < v->nmembers; j++) {
			v->members[j] = cfg->res[ag->members[first + j]];
			v->members[j]->run->vertex = v;
			if (v->members[j]->run->dirty)
				v->state = V_DIRTY;
		}
		v->res = v->members[0];
		v->id = i;
		v->retries_left = v->res->meta.retry;
		stimer_init(&v->retry_timer, on_retry);
		stimer_init(&v->limit_timer, gate_on_limit);
		v->tokens = v->res->meta.burst > 0 ?
				    (double)v->res->meta.burst :
				    1.;
		v->tokens_at = sched_clock();
	}
	if (graph_toposort(s->g, s->order) < 0) {
		log_error("cannot order the graph (a cycle)");
		return -ELOOP;
	}
	start_resources(s);
	/* Openness in dependency order, then queue what may run. */
	sched_open_edges(s);
	s->taint_stale = true;
	if (stats_graph(s) < 0)
		log_warn("out of memory: status and metrics show the graph "
			 "before this one");
	for (uint32_t i = 0; i < s->n; i++) {
		struct vertex *v = &s->v[s->order[i]];

		if (v->state == V_DIRTY && v->nblock == 0)
			sched_enqueue(s, v);
	}
	return 0;
}

/* Undo sched_graph_setup: the vertices go, the resources stay (those still
 * in cfg are stopped by the caller when it wants them stopped).  A kept
 * resource whose vertex had not settled runs again in the next graph. */
void sched_graph_teardown(struct sched *s)
{
	for (uint32_t i = 0; s->v && i < s->n; i++) {
		struct vertex *v = &s->v[i];

		stimer_stop(s->loop, &v->retry_timer);
		stimer_stop(s->loop, &v->limit_timer);
		/* What had not settled runs again in the next graph; what
		 * runs (or waits for a run) keeps its own marks: its run's
		 * result still comes. */
		for (uint32_t j = 0; j < v->nmembers; j++) {
			stimer_stop(s->loop, &v->members[j]->run->poll_timer);
			if ((v->state != V_CLEAN || v->failing) &&
			    v->state != V_RUNNING && v->state != V_WAIT)
				v->members[j]->run->dirty = true;
			v->members[j]->run->vertex = NULL;
		}
	}
	free(s->v);
	free(s->runq);
	free(s->stack);
	free(s->eopen);
	free(s->order);
	free(s->touched);
	free(s->members);
	free(s->semas);
	free(s->sema_idx);
	plan_free(&s->plan);
	s->v = NULL;
	s->runq = s->stack = s->order = s->sema_idx = NULL;
	s->eopen = NULL;
	s->touched = NULL;
	s->members = NULL;
	s->semas = NULL;
	s->n = s->nsemas = 0;
	s->nretry = s->npending = s->nlimited = 0;
	s->rq_head = s->rq_tail = 0;
}

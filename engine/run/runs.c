/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * runs.c - a run, from dispatch to its result (see sched.c for the whole).
 *
 * A run is a job of its own (struct run_job): it copies the members it
 * covers, so it can outlive its vertex across a reload.  Its result goes to
 * the vertices its resources are in when it ends (sched_job_done); a vertex
 * that waits for runs of the graph before (V_WAIT) starts its new members
 * only then, so a plugin's group, init and watch hooks never run beside a
 * check_apply of the same resource.  Loop thread, but for run_job (worker)
 * and sched_group_members (either).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "run/internal.h"

static void settle(struct sched *s, struct vertex *v);

/* The run on this worker thread, for the host services it calls. */
static __thread struct run_job *tl_job;

static void run_job(struct job *job)
{
	struct run_job *j = (struct run_job *)job;
	struct mgmt_res *lead = j->members[0];
	int r;

	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	tl_job = j;
	r = lead->kind->k.check_apply(lead, lead->params, j->apply);
	tl_job = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->secs = (double)(t1.tv_sec - t0.tv_sec) +
		  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	j->result = r > MGMT_CHANGED ? MGMT_CHANGED : r;
}

/* A job for `v`'s members, with room for the ids of their semaphores. */
static struct run_job *job_new(const struct vertex *v)
{
	size_t nsema = 0;
	struct run_job *j;

	for (uint32_t i = 0; i < v->nmembers; i++)
		nsema += v->members[i]->meta.sema.n;
	j = calloc(1, sizeof(*j) + v->nmembers * sizeof(j->members[0]) +
			      nsema * sizeof(j->semas[0]));
	if (!j)
		return NULL;
	j->job.run = run_job;
	j->n = v->nmembers;
	memcpy(j->members, v->members, v->nmembers * sizeof(j->members[0]));
	j->semas = (const char **)(j->members + j->n);
	/* By id, each once: what v took in gate_sema_take. */
	for (uint32_t i = 0; i < v->nmembers; i++) {
		const struct mgmt_strv *sv = &v->members[i]->meta.sema;

		for (size_t k = 0; k < sv->n; k++) {
			uint32_t x = 0;

			while (x < j->nsemas && strcmp(j->semas[x], sv->v[k]))
				x++;
			if (x == j->nsemas)
				j->semas[j->nsemas++] = sv->v[k];
		}
	}
	return j;
}

void sched_dispatch(struct sched *s)
{
	while (!s->stopping && s->inflight < s->max_inflight &&
	       s->rq_head != s->rq_tail) {
		struct vertex *v = &s->v[s->runq[s->rq_head]];
		struct run_job *j;

		s->rq_head = (s->rq_head + 1) % (s->n + 1);
		v->queued = false;
		if (v->state != V_DIRTY || v->nblock || !gate_limit_take(s, v))
			continue;
		j = job_new(v);
		if (!j) {
			sched_vlog(v, MGMT_LOG_ERROR,
				   "out of memory: cannot run");
			v->state = V_RUNNING; /* open before and after */
			stats_vertex(v);
			v->err = -ENOMEM;
			settle(s, v);
			continue;
		}
		if (!gate_sema_take(s, v)) {
			free(j);
			continue;
		}
		/* What this run sees; what comes meanwhile waits for the
		 * next one. */
		for (uint32_t i = 0; i < v->nmembers; i++) {
			struct res_run *rr = v->members[i]->run;

			rr->job_dirty = rr->dirty;
			rr->job_refresh = rr->refresh;
			rr->dirty = rr->refresh = false;
			rr->job_reported = rr->failed = false;
			rr->job = j;
		}
		j->apply = !(s->o.noop || v->res->meta.noop);
		j->next = s->jobs;
		if (s->jobs)
			s->jobs->prev = j;
		s->jobs = j;
		v->state = V_RUNNING; /* open before and after */
		stats_vertex(v);
		s->inflight++;
		workers_submit(&s->w, &j->job);
	}
}

/* Did this run of `m` have anything to see: an event, a refresh, or never
 * having run? */
static bool had_cause(const struct mgmt_res *m)
{
	return m->run->job_dirty || m->run->job_refresh;
}

/* Member `m`'s result in run `j`, which returned `r`: its own report
 * (host->member_result), else `r`.  A run cut short counts as a whole. */
static int member_rc(const struct run_job *j, const struct mgmt_res *m, int r)
{
	return m->run->job_reported && !(r < 0 && j->stopped) ?
		       m->run->job_result :
		       r;
}

/* Job `j` returned `r`: along the (per resource) edges of the graph its
 * resources are in now, each member that changed something sends
 * refreshes on notify edges (when the change was applied, not in noop
 * mode), and wakes the resources after it that run whenever something
 * before them changed.  A run that found everything right wakes nobody: a
 * file re-checked after its own write must not run the exec after it
 * again.  Of a group that did not report its members' results, neither
 * does a member that had nothing to see in this run: the group ran for
 * others, its check was a formality (host->member_dirty says a plugin may
 * skip it), so what comes after it (an exec after a kept file, when a
 * reload put a new file in its group) does not run again.  A run none of
 * whose members had a cause (which the scheduler does not start) would
 * still tell everyone. */
static void tell_successors(struct sched *s, const struct run_job *j, int r)
{
	const struct graph *rg = s->rg;
	bool some = false;

	for (uint32_t i = 0; i < j->n && !some; i++)
		some = had_cause(j->members[i]);
	for (uint32_t i = 0; i < j->n; i++) {
		const struct mgmt_res *m = j->members[i];
		uint32_t from = m->run->index;

		if (member_rc(j, m, r) != MGMT_CHANGED)
			continue;
		if (m->run->doomed || !m->run->vertex)
			continue; /* not in this graph */
		if (!m->run->job_reported && some && !had_cause(m))
			continue;
		for (uint32_t e = rg->out_start[from];
		     e < rg->out_start[from + 1]; e++) {
			struct mgmt_res *t = s->plan.cfg->res[rg->edges[e].to];
			struct vertex *tv = t->run->vertex;
			bool notify = j->apply &&
				      (rg->edges[e].flags & GRAPH_EDGE_NOTIFY);

			if (tv == m->run->vertex)
				continue;
			if (notify)
				t->run->refresh = true;
			if (notify || (t->flags & MGMT_RES_RUN_WHEN_REACHED)) {
				t->run->dirty = true;
				sched_make_dirty(s, tv);
			}
		}
	}
}

/* Does a member of `v`, or what a member replaces, still run in a job? */
bool sched_waits(const struct vertex *v)
{
	for (uint32_t i = 0; i < v->nmembers; i++) {
		const struct res_run *rr = v->members[i]->run;

		if (rr->job || rr->ancestor)
			return true;
	}
	return false;
}

/* A vertex that waited for runs of the graph before: its members start now
 * (init, watch and the group hook, which must not run beside a member's
 * check_apply).  Returns true when it goes on to take the runs' result. */
static bool wake(struct sched *s, struct vertex *v)
{
	if (s->stopping) {
		sched_set_state(v, V_DIRTY); /* its new members never start */
		return false;
	}
	if (!sched_start_members(s, v)) {
		v->failing = true;
		v->nheld = 0;
		sched_set_state(v, V_FAILED);
		return false;
	}
	sched_start_poll(s, v);
	if (v->npending) {
		s->npending++;
		sched_set_state(v, V_PENDING);
		return false;
	}
	return true;
}

/* Every run `v` waited for has ended (its own, or runs of the graph before
 * a reload): take the result gathered in v->err and v->cut. */
static void settle(struct sched *s, struct vertex *v)
{
	const struct meta *m = &v->res->meta;
	const struct mgmt_res *who = v->res;
	int r = v->err;
	bool cut = v->cut;
	char note[64] = "";

	v->err = 0;
	v->cut = false;
	if (v->state == V_WAIT && !wake(s, v))
		return;
	if (r == 0 && cut) {
		/* Cut short by a reload or the shutdown: not the resource's
		 * failure; it runs again, being dirty. */
		v->redo = false;
		sched_set_state(v, V_DIRTY);
		if (v->nblock == 0)
			sched_enqueue(s, v);
		return;
	}
	if (r == 0) {
		v->retries_left = m->retry;
		v->failing = false;
		v->nheld = 0;
		if (v->redo) {
			v->redo = false;
			sched_set_state(v, V_DIRTY);
			sched_enqueue(s, v);
		} else {
			sched_set_state(v, V_CLEAN);
		}
		return;
	}
	v->failing = true;
	/* Which members failed (host->member_result): only they hold back
	 * what comes after them, and the first of them is named. */
	v->nheld = 0;
	for (uint32_t i = v->nmembers; i-- > 0;)
		if (v->members[i]->run->failed) {
			v->nheld++;
			who = v->members[i];
		}
	if (v->nheld && v->nheld < v->nmembers)
		snprintf(note, sizeof(note),
			 " (%u of the %u members of its group)", v->nheld,
			 v->nmembers);
	if (v->redo) {
		/* something happened since it started: try again now */
		v->redo = false;
		log_msg(MGMT_LOG_WARN, who->kind->k.name, who->name,
			"failed (error %d)%s; an event came in meanwhile, "
			"trying again",
			r, note);
		sched_set_state(v, V_DIRTY);
		sched_enqueue(s, v);
	} else if (v->retries_left != 0) {
		if (v->retries_left > 0)
			v->retries_left--;
		if (v->retries_left < 0)
			log_msg(MGMT_LOG_WARN, who->kind->k.name, who->name,
				"failed (error %d)%s; retrying in %lld ms", r,
				note, (long long)m->delay_ms);
		else
			log_msg(MGMT_LOG_WARN, who->kind->k.name, who->name,
				"failed (error %d)%s; retrying in %lld ms "
				"(%lld retries left)",
				r, note, (long long)m->delay_ms,
				(long long)v->retries_left);
		sched_set_state(v, V_RETRY);
		stats_failure(v, false);
		s->nretry++;
		stimer_start(s->loop, &v->retry_timer,
			     (double)m->delay_ms / 1000., 0.);
	} else {
		log_msg(MGMT_LOG_ERROR, who->kind->k.name, who->name,
			"failed (error %d)%s%s; resources after it wait until "
			"it succeeds",
			r, note, m->retry ? ", retries used up" : "");
		sched_set_state(v, V_FAILED);
		stats_failure(v, true);
	}
}

struct run_job *sched_job_stop(struct sched *s, struct run_job *j)
{
	if (j->stopped)
		return NULL;
	j->stopped = true;
	return workers_cancel(&s->w, &j->job) ? j : NULL;
}

void sched_job_done(struct sched *s, struct run_job *j)
{
	const struct mgmt_res *lead = j->members[0];
	int r = j->job.cancelled ? -ECANCELED : j->result;
	bool cut = r < 0 && j->stopped;
	uint32_t ntouched = 0;

	s->inflight--;
	if (j->prev)
		j->prev->next = j->next;
	else
		s->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	gate_sema_give(s, j->semas, j->nsemas);
	if (j->job.cancelled)
		log_msg(MGMT_LOG_DEBUG, lead->kind->k.name, lead->name,
			"dropped before it started");
	else if (cut)
		log_msg(MGMT_LOG_INFO, lead->kind->k.name, lead->name,
			"stopped by the %s",
			s->stopping ? "shutdown" :
				      "reload (changed or removed)");
	else if (r == MGMT_CHANGED)
		log_msg(MGMT_LOG_INFO, lead->kind->k.name, lead->name, "%s",
			j->apply ? "changed" : "would change (noop)");
	else if (r == MGMT_CONVERGED)
		log_msg(MGMT_LOG_DEBUG, lead->kind->k.name, lead->name,
			"converged");
	for (uint32_t i = 0; i < j->n; i++) {
		struct res_run *rr = j->members[i]->run;

		rr->job = NULL;
		if (member_rc(j, j->members[i], r) < 0) {
			/* what the run saw is still to be seen */
			rr->dirty |= rr->job_dirty;
			rr->refresh |= rr->job_refresh;
		}
	}
	tell_successors(s, j, r);
	if (!j->job.cancelled && !cut) {
		int64_t now = stats_now_ms();

		stats_job_ran(lead->kind, j->secs);
		for (uint32_t i = 0; i < j->n; i++) {
			int mr = member_rc(j, j->members[i], r);

			stats_member_ran(j->members[i], mr, j->apply, now);
			calls_ran(j->members[i], mr);
		}
	}
	/* Where the result goes: each member's vertex now, or for one that a
	 * reload changed or removed, the vertex of what replaces it. */
	for (uint32_t i = 0; i < j->n; i++) {
		struct mgmt_res *m = j->members[i];
		struct res_run *rr = m->run, *to = rr;
		struct vertex *v = rr->vertex;
		int mr = member_rc(j, m, r);

		if (rr->doomed) {
			v = NULL;
			to = NULL;
			if (rr->heir) {
				to = rr->heir->run;
				to->ancestor = NULL;
				v = to->vertex;
			}
			sched_stop_resource(s, m);
			free(m->run);
			res_free(m);
		}
		if (!v || !s->touched)
			continue;
		if (cut) { /* a dropped job was stopped too */
			v->cut = true;
		} else if (mr < 0) {
			to->failed = true;
			if (v->err == 0)
				v->err = mr;
		}
		if (!v->mark) {
			v->mark = true;
			s->touched[ntouched++] = v;
		}
	}
	free(j);
	for (uint32_t i = 0; i < ntouched; i++) {
		struct vertex *v = s->touched[i];

		v->mark = false;
		if ((v->state == V_RUNNING || v->state == V_WAIT) &&
		    !sched_waits(v))
			settle(s, v);
	}
}

int sched_member_result(struct mgmt_res *res, int result)
{
	struct res_run *rr = res->run;

	if (!tl_job || !rr || rr->job != tl_job)
		return -EINVAL;
	rr->job_result = result > MGMT_CHANGED ? MGMT_CHANGED : result;
	rr->job_reported = true;
	return 0;
}

int sched_run_alone(struct mgmt_res *res, bool apply, int *reported)
{
	struct vertex *v = res->run->vertex;
	struct run_job *j = job_new(v);
	int r;

	if (!j)
		return -ENOMEM;
	res->run->job_reported = false;
	res->run->job = j;
	tl_job = j;
	r = res->kind->k.check_apply(res, res->params, apply);
	tl_job = NULL;
	res->run->job = NULL;
	free(j);
	*reported = res->run->job_reported ? res->run->job_result : INT_MIN;
	return r;
}

size_t sched_group_members(const struct mgmt_res *res,
			   struct mgmt_res *const **members)
{
	const struct run_job *j = tl_job;
	const struct vertex *v;

	if (workers_on_worker()) {
		/* The run's own copy: the graph may be swapped meanwhile. */
		for (uint32_t i = 0; j && i < j->n; i++)
			if (j->members[i] == res) {
				*members = j->members + i;
				return i == 0 ? j->n : 1;
			}
		*members = NULL;
		return 0;
	}
	v = res->run ? res->run->vertex : NULL;
	if (!v) {
		*members = NULL;
		return 0;
	}
	*members = v->members;
	return v->nmembers;
}

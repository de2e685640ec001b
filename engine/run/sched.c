/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched.c - the scheduler: vertex states on the loop thread, check_apply on
 * workers.  A run from dispatch to its result is in runs.c; building,
 * starting and undoing a graph's vertices in setup.c; timers in clock.c.
 *
 * Threads.  One loop thread (the libev default loop, which alone may handle
 * signals and children) owns every vertex and watcher.  Workers only run
 * check_apply and post the finished job back (workers.c).  host->dirty from
 * another thread goes through a locked list and the same ev_async.
 *
 * Ordering.  A vertex is *open* while it is not clean or while any parent is
 * open, and an open vertex holds back its children: `nblock` counts a
 * vertex's open in-edges (`eopen`).  So a dirty vertex with nblock == 0 has
 * no dirty, running, retrying or failed ancestor and may run: parents
 * always settle before children, and a failure blocks exactly its
 * descendants.  A group whose plugin reported each member's result
 * (host->member_result) and failed for some of them holds back only what
 * comes after those (`nheld`): its other edges close as if it were clean.
 * Changes are pushed down the graph with an explicit stack (a
 * 100,000-vertex chain must not recurse).
 *
 * Groups.  A vertex is a group of resources (engine/run/plan.c); one
 * check_apply of the leader covers them all, while events, refreshes and
 * watches stay per member.  Before it runs, a vertex passes its gates
 * (gate.c: meta.limit and meta.sema).
 *
 * Runs (runs.c).  A run is a job of its own (struct run_job) that copies the
 * members it covers, so a reload swaps in the new graph without waiting for
 * it: a run of kept resources goes on, and its result goes to the vertices
 * those resources are in now (sched_job_done), which wait (V_WAIT) until
 * every run they depend on has ended.  Only a run covering a changed or
 * removed resource gets its stop signal (each worker has its own, see
 * workers.h); such a resource is cleaned up when its run ends, and what
 * replaces it starts only then.
 *
 * Convergence.  Nothing is running, queued, waiting to retry, waiting for
 * its watch or for a rate-limit token.  Dirty vertices that remain are then
 * blocked by failures only.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>

#include "util/linger.h"
#include "util/log.h"
#include "run/host.h"
#include "run/internal.h"
#include "util/grow.h"

static struct sched *cur;

/* Failing for some members only, its parents settled: only the edges from
 * those members hold. */
static bool partial(const struct vertex *v)
{
	return v->nheld > 0 && v->nblock == 0 &&
	       (v->state == V_FAILED || v->state == V_RETRY);
}

/* Mark (`on`) or unmark the vertices a failed member of `v` has an edge
 * to. */
static void mark_held(const struct sched *s, const struct vertex *v, bool on)
{
	const struct graph *rg = s->rg;

	for (uint32_t i = 0; i < v->nmembers; i++) {
		uint32_t from = v->members[i]->run->index;

		if (!v->members[i]->run->failed)
			continue;
		for (uint32_t e = rg->out_start[from];
		     e < rg->out_start[from + 1]; e++)
			s->v[s->plan.cfg->res[rg->edges[e].to]->run->vertex->id]
				.held = on;
	}
}

/* Does edge `e` out of `v` hold its target back?  (While `v` is partial,
 * its targets are marked.) */
static bool edge_open(const struct sched *s, const struct vertex *v, uint32_t e,
		      bool part)
{
	if (part)
		return s->v[s->g->edges[e].to].held;
	return v->state != V_CLEAN || v->nblock > 0;
}

uint32_t sched_nfailed(const struct vertex *v)
{
	return !v->failing ? 0 : v->nheld ? v->nheld : v->nmembers;
}

void sched_enqueue(struct sched *s, struct vertex *v)
{
	if (v->queued)
		return;
	v->queued = true;
	s->runq[s->rq_tail] = v->id;
	s->rq_tail = (s->rq_tail + 1) % (s->n + 1);
}

/* `v`'s state changed: push the change of its edges' openness down the
 * graph.  A child's own edges can change only when its nblock leaves or
 * reaches 0.  Every state change either only opens edges or only closes
 * them (a failure closes, running or dirty opens), and so does every
 * change of nblock it causes: each vertex crosses 0 at most once per walk,
 * and n entries of stack suffice. */
static void propagate(struct sched *s, struct vertex *v)
{
	uint32_t *stack = s->stack, sp = 0;

	if (graph_out_degree(s->g, v->id) == 0)
		return;
	stack[sp++] = v->id;
	while (sp) {
		const struct vertex *u = &s->v[stack[--sp]];
		bool part = partial(u);

		if (part)
			mark_held(s, u, true);
		for (uint32_t e = s->g->out_start[u->id];
		     e < s->g->out_start[u->id + 1]; e++) {
			struct vertex *c = &s->v[s->g->edges[e].to];
			bool open = edge_open(s, u, e, part);

			if (open == s->eopen[e])
				continue;
			s->eopen[e] = open;
			if (open && c->nblock++ == 0) {
				stack[sp++] = c->id;
			} else if (!open && --c->nblock == 0) {
				if (c->state == V_DIRTY)
					sched_enqueue(s, c);
				stack[sp++] = c->id;
			}
		}
		if (part)
			mark_held(s, u, false);
	}
}

static bool failing_state(enum vstate st)
{
	return st == V_FAILED || st == V_RETRY;
}

void sched_set_state(struct vertex *v, enum vstate st)
{
	if (failing_state(st) != failing_state(v->state))
		v->s->taint_stale = true;
	v->state = st;
	stats_vertex(v);
	propagate(v->s, v);
}

void sched_open_edges(struct sched *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		s->v[i].nblock = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct vertex *v = &s->v[s->order[i]];
		bool part = partial(v);

		if (part)
			mark_held(s, v, true);
		for (uint32_t e = s->g->out_start[v->id];
		     e < s->g->out_start[v->id + 1]; e++) {
			s->eopen[e] = edge_open(s, v, e, part);
			s->v[s->g->edges[e].to].nblock += s->eopen[e];
		}
		if (part)
			mark_held(s, v, false);
	}
}

void sched_count(const struct sched *s, struct sched_counts *c)
{
	*c = (struct sched_counts){ 0 };
	for (uint32_t i = 0; i < s->n; i++) {
		const struct vertex *v = &s->v[i];

		if (v->failing) {
			c->failed += sched_nfailed(v);
			c->clean += v->nmembers - sched_nfailed(v);
			for (uint32_t k = 0;
			     !c->first_failed && k < v->nmembers; k++)
				if (!v->nheld || v->members[k]->run->failed)
					c->first_failed = v->members[k];
		} else if (v->state == V_CLEAN) {
			c->clean += v->nmembers;
		} else {
			c->open += v->nmembers;
		}
	}
}

/* "converged", and when something failed, what: the first failed resource
 * and how many resources its failures hold back. */
static void log_converged(const struct sched *s)
{
	struct sched_counts c;
	const struct mgmt_res *first;

	sched_count(s, &c);
	first = c.first_failed;
	if (!first) {
		log_info("converged");
		return;
	}
	log_info("converged with failures: %u resource(s) failed (the first: "
		 "%s[%s]) and %u wait for them; an event on a failed one tries "
		 "it again",
		 c.failed, first->kind->k.name, first->name, c.open);
}

static void check_converged(struct sched *s)
{
	bool conv = s->inflight == 0 && s->rq_head == s->rq_tail &&
		    s->nretry == 0 && s->npending == 0 && s->nlimited == 0 &&
		    !ev_is_active(&s->reload_timer) &&
		    !(s->o.busy && s->o.busy(s->o.hook_ctx));

	if (conv == s->converged)
		return;
	s->converged = conv;
	stats_converged(conv);
	notify_status(s, true);
	if (conv) {
		log_converged(s);
		if (s->o.converged_timeout >= 0) {
			ev_timer_set(&s->conv_timer, s->o.converged_timeout,
				     0.);
			ev_timer_start(s->loop, &s->conv_timer);
		}
	} else {
		log_info("unconverged");
		ev_timer_stop(s->loop, &s->conv_timer);
	}
}

/* After every event: start what may run, then see where we are. */
void sched_kick(struct sched *s)
{
	if (!s->started)
		return;
	if (s->stopping) {
		ev_idle_stop(s->loop, &s->advance);
		if (s->inflight == 0)
			ev_break(s->loop, EVBREAK_ALL);
		return;
	}
	sched_dispatch(s);
	if (s->taint_stale)
		stats_taint(s);
	check_converged(s);
	notify_status(s, false);
	/* Virtual time moves only when nothing runs or waits to: then the
	 * next timer is all that can happen. */
	if (clock_is_virtual()) {
		if (s->inflight == 0 && s->rq_head == s->rq_tail)
			ev_idle_start(s->loop, &s->advance);
		else
			ev_idle_stop(s->loop, &s->advance);
	}
}

static void on_advance(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct sched *s = w->data;

	if (!clock_advance(loop))
		ev_idle_stop(loop, w);
	sched_kick(s);
}

void sched_make_dirty(struct sched *s, struct vertex *v)
{
	switch (v->state) {
	case V_RUNNING:
	case V_WAIT:
		v->redo = true;
		return;
	case V_DIRTY:
		return;
	case V_PENDING:
		if (v->npending)
			return; /* not before every member's watch is ready */
		s->npending--;
		break;
	case V_RETRY:
		stimer_stop(s->loop, &v->retry_timer);
		s->nretry--;
		break;
	case V_FAILED:
		v->retries_left = v->res->meta.retry;
		break;
	case V_CLEAN:
		break;
	}
	sched_set_state(v, V_DIRTY);
	if (v->nblock == 0)
		sched_enqueue(s, v);
}

/* An event for one resource: it, and so its vertex, is dirty.  The first
 * event of a pending watch says it is ready. */
static void member_event(struct sched *s, struct mgmt_res *res)
{
	struct res_run *rr = res->run;
	struct vertex *v = rr ? rr->vertex : NULL;

	if (!v)
		return; /* changed or removed by a reload; its run goes on */
	rr->dirty = true;
	stats_event(res);
	/* From inside its own watch hook: the watch is ready already, even if
	 * the hook goes on to return MGMT_WATCH_PENDING. */
	rr->early_event |= rr->in_watch;
	if (rr->watch_pending) {
		rr->watch_pending = false;
		v->npending--;
	}
	sched_make_dirty(s, v);
}

/* Take finished jobs and events from other threads; returns true if there
 * were any. */
bool sched_drain(struct sched *s)
{
	struct mgmt_res **remote = NULL;
	size_t nremote = 0;
	/* Finished jobs first, then remote events: an event a job sent
	 * before it finished is then surely seen, and applied while the
	 * vertex still counts as running (one coalesced re-run). */
	struct job *done = workers_take_done(&s->w);

	pthread_mutex_lock(&s->rlock);
	if (s->nremote) {
		remote = s->remote;
		nremote = s->nremote;
		s->remote = NULL;
		s->nremote = s->remote_cap = 0;
	}
	pthread_mutex_unlock(&s->rlock);
	for (size_t i = 0; i < nremote; i++)
		member_event(s, remote[i]);
	free(remote);

	if (done)
		s->spin = true;
	for (struct job *j = done, *next; j; j = next) {
		next = j->next;
		sched_job_done(s, (struct run_job *)j);
	}
	sched_kick(s);
	return done || nremote;
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	sched_drain(w->data);
}

/* Before the loop sleeps: while jobs are in flight, poll briefly for their
 * results instead (see workers.h), and keep going while they come. */
static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct sched *s = w->data;
	/* Give timers, signals and fds their turn at least every 5 ms. */
	double until = ev_time() + 0.005;

	/* Only while jobs are short: after a poll that found nothing, wait
	 * for the next finished job to arrive the ordinary way (a long group
	 * job with watch events meanwhile must not make every wake-up spin). */
	while (s->spin && s->inflight > 0 && !s->stopping) {
		if (!workers_wait_done(&s->w)) {
			s->spin = false;
			break;
		}
		sched_drain(s);
		if (ev_time() > until)
			break;
	}
}

void sched_reload(void)
{
	if (cur && cur->o.yaml && !cur->stopping)
		reload_request(cur);
}

void sched_poke(void)
{
	if (cur)
		sched_kick(cur);
}

int sched_stop_fd(void)
{
	int fd = workers_stop_fd();

	if (fd >= 0)
		return fd;
	return cur ? cur->stop_fd : -1;
}

int sched_abort_fd(void)
{
	return cur ? cur->abort_fd : -1;
}

void sched_dirty(struct mgmt_res *res)
{
	struct sched *s = cur;

	if (!s)
		return;
	if (pthread_equal(pthread_self(), s->loop_thread)) {
		member_event(s, res);
		sched_kick(s);
		return;
	}
	/* res->run belongs to the loop (a reload may change it now):
	 * member_event looks at it when the loop takes the event. */
	pthread_mutex_lock(&s->rlock);
	if (GROW(s->remote, s->remote_cap, s->nremote + 1, 16) < 0) {
		pthread_mutex_unlock(&s->rlock);
		log_msg(MGMT_LOG_ERROR, res->kind->k.name, res->name,
			"out of memory: event lost");
		return;
	}
	s->remote[s->nremote++] = res;
	pthread_mutex_unlock(&s->rlock);
	ev_async_send(s->loop, &s->wake);
}

static void on_converged_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sched *s = w->data;

	log_info("converged for %g s: exiting", s->o.converged_timeout);
	s->stopping = true;
	sched_kick(s);
}

/* Drop every job that has not started and send the running ones their
 * stop signal; the engine's own stop signal too. */
static void stop_all(struct sched *s)
{
	struct job *dropped = workers_cancel_all(&s->w);

	for (struct run_job *j = s->jobs; j; j = j->next)
		j->stopped = true;
	if (s->stop_fd >= 0 && eventfd_write(s->stop_fd, 1) < 0)
		log_warn("cannot signal running resources to stop: %s",
			 strerror(errno));
	for (struct job *j = dropped, *next; j; j = next) {
		next = j->next;
		sched_job_done(s, (struct run_job *)j);
	}
}

/* Exit status from the last runs: an event may have made a failed vertex
 * dirty again just as the engine stopped, so not from the states. */
static int exit_status(const struct sched *s)
{
	int nfailed = 0;

	for (uint32_t i = 0; i < s->n; i++)
		nfailed += (int)sched_nfailed(&s->v[i]);
	if (nfailed) {
		log_error("%d resource(s) failed", nfailed);
		return 1;
	}
	return s->interrupted ? SCHED_EXIT_INTERRUPTED : 0;
}

static void on_abort_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sched *s = w->data;

	log_error("exiting with %d resource(s) still running", s->inflight);
	/* Their threads are inside plugins: nothing may be freed or cleaned
	 * up under them, so leave it all to the kernel. */
	_exit(exit_status(s));
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct sched *s = w->data;

	if (s->stopping) {
		if (ev_is_active(&s->abort_timer))
			return;
		log_warn("%s again: stopping %d running resource(s) at once",
			 strsignal(w->signum), s->inflight);
		if (s->abort_fd >= 0 && eventfd_write(s->abort_fd, 1) < 0)
			log_warn("cannot signal running resources to abort: "
				 "%s",
				 strerror(errno));
		ev_timer_set(&s->abort_timer, 1., 0.);
		ev_timer_start(s->loop, &s->abort_timer);
		return;
	}
	log_info("%s: shutting down (stopping %d running resource(s))",
		 strsignal(w->signum), s->inflight);
	s->stopping = true;
	s->interrupted = s->o.converged_timeout >= 0 && !s->converged;
	notify_stop(s);
	/* Nothing starts any more; long check_applies poll their stop
	 * signal and cut their work short. */
	stop_all(s);
	sched_kick(s);
}

int sched_write_dot(const struct plan *p, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "we") : stdout;
	int r;

	if (!f)
		return -errno;
	r = plan_write_dot(p, f);
	if (f != stdout && fclose(f) && !r)
		r = -errno;
	else if (f == stdout && fflush(f) && !r)
		r = -errno;
	return r;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

int sched_run(struct graph_cfg *cfg, const struct sched_opts *o)
{
	struct sched s = { .first_cfg = cfg };
	int status = 2, nthreads;

	s.o = *o;
	clock_virtual(o->virtual_time);
	s.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s.abort_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s.loop = EV_DEFAULT;
	s.loop_thread = pthread_self();
	pthread_mutex_init(&s.rlock, NULL);
	cur = &s;
	if (o->prepare && o->prepare(o->hook_ctx, cfg) < 0)
		goto out;
	if (sched_graph_setup(&s, cfg) < 0) {
		log_error("cannot set up %zu resources (out of memory?)",
			  cfg->nres);
		goto out;
	}
	if (o->graphviz) {
		int r = sched_write_dot(&s.plan, o->graphviz);

		if (r < 0)
			log_warn("--graphviz %s: %s", o->graphviz,
				 strerror(-r));
	}

	nthreads = o->workers > 0 ? o->workers : 2 * online_cpus();
	s.max_inflight = 32 * nthreads;
	ev_async_init(&s.wake, on_wake);
	s.wake.data = &s;
	ev_async_start(s.loop, &s.wake);
	ev_prepare_init(&s.prepare, on_prepare);
	s.prepare.data = &s;
	ev_prepare_start(s.loop, &s.prepare);
	if (workers_start(&s.w, nthreads, s.loop, &s.wake) < 0) {
		log_error("cannot start worker threads");
		goto out;
	}
	ev_signal_init(&s.sigint, on_signal, SIGINT);
	ev_signal_init(&s.sigterm, on_signal, SIGTERM);
	s.sigint.data = s.sigterm.data = &s;
	ev_signal_start(s.loop, &s.sigint);
	ev_signal_start(s.loop, &s.sigterm);
	ev_init(&s.conv_timer, on_converged_timeout);
	s.conv_timer.data = &s;
	ev_init(&s.abort_timer, on_abort_timeout);
	s.abort_timer.data = &s;
	ev_idle_init(&s.advance, on_advance);
	s.advance.data = &s;
	if (o->yaml)
		reload_watch_start(&s);
	calls_start(&s);

	log_info("running %zu resources as %u vertices on %d workers",
		 cfg->nres, s.n, nthreads);
	s.started = true;
	notify_ready(&s);
	sched_kick(&s);
	if (!s.stopping || s.inflight)
		ev_run(s.loop, 0);

	calls_stop(&s);
	notify_stop(&s);
	workers_stop(&s.w);
	if (o->linger)
		linger_notify_fds();
	reload_watch_stop(&s);
	status = exit_status(&s);
out:
	/* (stopping a watcher that never started is a no-op) */
	ev_signal_stop(s.loop, &s.sigint);
	ev_signal_stop(s.loop, &s.sigterm);
	ev_timer_stop(s.loop, &s.conv_timer);
	ev_timer_stop(s.loop, &s.abort_timer);
	ev_idle_stop(s.loop, &s.advance);
	ev_async_stop(s.loop, &s.wake);
	ev_prepare_stop(s.loop, &s.prepare);
	/* Cleanup hooks in reverse dependency order, also when the run could
	 * not start after some resources had. */
	for (uint32_t i = s.n; s.v && s.order && i-- > 0;)
		for (uint32_t j = s.v[s.order[i]].nmembers; j-- > 0;)
			if (s.v[s.order[i]].members[j]->run->inited)
				sched_stop_resource(&s,
						    s.v[s.order[i]].members[j]);
	sched_graph_teardown(&s);
	stats_drop();
	sched_free_runs(s.cfg);
	cur = NULL;
	clock_virtual(false);
	free(s.remote);
	/* a graph swapped in by a reload is ours; the first is the caller's */
	if (s.cfg != s.first_cfg)
		config_graph_free(s.cfg);
	pthread_mutex_destroy(&s.rlock);
	if (s.stop_fd >= 0)
		close(s.stop_fd);
	if (s.abort_fd >= 0)
		close(s.abort_fd);
	return status;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched.h - run a compiled graph: the libev loop, the worker pool, vertex
 * states, retries, convergence (doc/threads.md, doc/scheduler.md).
 */
#ifndef ENGINE_SCHED_H
#define ENGINE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "graph/graph.h"
#include "run/clock.h"
#include "run/plan.h"
#include "run/workers.h"

struct sched_opts {
	int workers;              /* threads; <= 0: 2 x online CPUs */
	double converged_timeout; /* seconds; < 0: run until a signal */
	bool noop;                /* check only, never apply */
	const char *graphviz;     /* write the graph as dot here, or NULL */
	bool no_autogroup;        /* every resource its own vertex */
	/* Reload: watch this graph file (and take SIGHUP) and swap in what
	 * it compiles to against `registry`.  NULL: no reload. */
	const char *yaml;
	const struct registry *registry;
	/* An outside source of resources (the cluster), or NULL hooks.
	 * prepare: called on every graph compiled from the file (the first
	 * and each reload) before it runs; it may take resources out and
	 * merge others in.  <0 (after logging why): that graph is not used.
	 * busy: while true the graph is not converged (the first sync). */
	int (*prepare)(void *ctx, struct graph_cfg *cfg);
	bool (*busy)(void *ctx);
	/* state: the counts, a little after they move (at most every 0.5 s)
	 * and at once when convergence changes; `since` in Unix seconds (0
	 * when not converged).  May be NULL. */
	void (*state)(void *ctx, bool converged, double since, uint32_t failed,
		      uint32_t resources);
	void *hook_ctx;
	/* Tests: meta.delay, meta.poll and meta.limit on virtual time (see
	 * run/clock.h), which host->now reports too. */
	bool virtual_time;
	/* The process exits after the run: once its status is decided, a
	 * child takes the last close of the notify descriptors, and its wait
	 * (util/linger.h). */
	bool linger;
};

/* Exit status of a one-shot run (converged_timeout >= 0) stopped by a
 * signal before it converged, when nothing failed. */
#define SCHED_EXIT_INTERRUPTED 3

/* Run `cfg` until converged-timeout or a signal.  The caller keeps `cfg`
 * and frees it afterwards, but a reload may take resources out of it (their
 * slots become NULL, which config_graph_free skips).  Returns the process exit
 * status: 0, 1 when a resource failed, 2 when the run could not start,
 * SCHED_EXIT_INTERRUPTED. */
int sched_run(struct graph_cfg *cfg, const struct sched_opts *o);

/* From the host table: the real state of `res` may have moved.  Any thread. */
void sched_dirty(struct mgmt_res *res);

/* From the host table: the members of the group `res` leads, as the run on
 * this thread sees them (a worker in check_apply) or as the graph has them
 * (the loop thread). */
size_t sched_group_members(const struct mgmt_res *res,
			   struct mgmt_res *const **members);

/* From the host table: `res`'s own result in the check_apply running on
 * this thread; -EINVAL when no run on this thread covers it. */
int sched_member_result(struct mgmt_res *res, int result);

/* From the outside source (loop thread): compile the graph file again,
 * with what prepare merges, and swap it in (doc/reload.md). */
void sched_reload(void);

/* From any thread but the loop's (the control socket): reload the graph
 * file now, as SIGHUP does, and wait at most `wait` seconds for the
 * outcome.  0: taken; 1: refused, the first error in `err`; -ETIMEDOUT;
 * -ENOTSUP: the engine reads no graph file; -ESRCH: no graph runs (or the
 * engine is stopping). */
int sched_call_reload(double wait, char *err, size_t len);
/* Likewise: check the resource KIND[NAME] now and wait for that run.
 * MGMT_CONVERGED or MGMT_CHANGED; -EIO: it failed (its last error line in
 * `err`); -ENOENT: no such resource runs; -ETIMEDOUT; -ESRCH. */
int sched_call_trigger(const char *kind, const char *name, double wait,
		       char *err, size_t len);

/* From the outside source (loop thread): what busy says has changed. */
void sched_poke(void);

/* From the host table: the stop signal of the run on this thread (a worker
 * in check_apply), else the engine's, readable once it is stopping; or -1. */
int sched_stop_fd(void);
/* From the host table: readable once the engine must stop at once, or -1. */
int sched_abort_fd(void);

/* Give `r` the run state of a resource that is a group of its own, outside
 * any scheduler: watches may be registered for it, host->group_members is
 * itself, host->member_dirty is true.  For plugin-check.  0 or -ENOMEM;
 * sched_res_alone_free undoes it (after its watches were released). */
int sched_res_alone(struct mgmt_res *r);
void sched_res_alone_free(struct mgmt_res *r);
/* check_apply of `r` (set up by sched_res_alone) on this thread, as a
 * worker runs it, so that the host services see a run: returns what it
 * returned;
 * `*reported` is what host->member_result said of `r`, or INT_MIN. */
int sched_run_alone(struct mgmt_res *r, bool apply, int *reported);

/* Write the plan's graph as dot to `path` ("-": stdout). */
int sched_write_dot(const struct plan *p, const char *path);

#endif /* ENGINE_SCHED_H */

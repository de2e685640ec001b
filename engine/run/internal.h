/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * internal.h - the scheduler's state, shared by sched.c (vertex states,
 * events, convergence, the loop), runs.c (dispatch and results), setup.c
 * (a graph's setup and teardown), reload.c (the changeover) and gate.c
 * (limits and semaphores).  Loop thread only.  Not used outside
 * engine/run/.
 */
#ifndef ENGINE_RUN_INTERNAL_H
#define ENGINE_RUN_INTERNAL_H

#include <ev.h>
#include <pthread.h>
#include <stddef.h>

#include "run/sched.h"
#include "run/stats.h"
#include "util/log.h"

/* The struct of type `type` whose `member` is at `ptr` (a vertex's timer
 * callbacks find their vertex so). */
#define SCHED_CONTAINER(ptr, type, member)                                     \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct sched;

enum vstate {
	V_PENDING, /* its watch is not ready yet */
	V_DIRTY,   /* must run when nothing before it is unsettled */
	V_RUNNING, /* check_apply on a worker */
	V_WAIT,    /* after a reload: a run of the graph before (of a member,
		     * or of what a member replaces) has not ended yet */
	V_RETRY,   /* failed; waiting meta.delay before trying again */
	V_CLEAN,   /* its last run succeeded */
	V_FAILED,  /* retries used up; blocks its descendants */
};

/* A vertex is a group of resources (most often of one) that runs as one:
 * one check_apply of the leader handles every member.  Events, refreshes
 * and watches stay per member (in each member's struct res_run).  A run is
 * a job of its own (struct run_job, below), so it can outlive the vertex
 * across a reload. */
struct vertex {
	struct sched *s;
	struct mgmt_res *res;      /* the leader */
	struct mgmt_res **members; /* leader first */
	uint32_t nmembers;
	uint32_t npending; /* members whose watch is not ready */
	uint32_t id;       /* index in the grouped graph */
	enum vstate state;
	uint32_t nblock; /* parents that are not settled */
	bool queued;     /* in the run queue */
	bool redo;       /* an event arrived while running */
	bool failing;    /* its last run (or init) failed */
	/* Failing, of its members those whose own last result was an error
	 * (host->member_result): only their edges stay open (sched.c).  0:
	 * the failure is the whole vertex's. */
	uint32_t nheld;
	bool held; /* scratch, while propagate looks at a parent's edges */
	/* A failure holds it back, or would hold back what comes after it:
	 * failed or retrying itself, or an open edge from a tainted vertex
	 * comes in.  Dirty and tainted is "held" (stats_taint). */
	bool tainted;
	bool cut;        /* a run it waits for was stopped */
	bool mark;       /* scratch, while a run is delivered */
	int err;         /* of a run it waits for: the first error */
	bool sema_wait;  /* queued on a semaphore, not the runq */
	uint32_t *semas; /* indexes into the graph's semaphores: the
				    * union of its members' meta.sema */
	uint32_t nsemas;
	struct vertex *sema_next;  /* in a semaphore's wait list */
	double tokens;             /* meta.limit/burst token bucket */
	double tokens_at;          /* when tokens was last filled */
	struct stimer limit_timer; /* waiting for a token */
	int64_t retries_left;
	struct stimer retry_timer;
};

/* A named counting semaphore (meta.sema "name:N"), shared by every vertex
 * naming it: at most N of them run at once.  A vertex takes all of its
 * semaphores at once or none, so vertices never hold one while waiting for
 * another (no deadlock); a vertex that cannot waits in the first full
 * semaphore's FIFO. */
struct sema {
	const char *id; /* "name:N" as written (owned by the config) */
	uint32_t size, used;
	struct vertex *wait_head, *wait_tail;
};

/* The scheduler's state of one resource (struct mgmt_res's `run`): set up
 * when it first enters a running graph (sched_res_run), kept with the
 * resource when a reload carries it over unchanged, freed before the
 * resource is (sched_free_runs; a doomed one's when its run ends). */
struct res_run {
	struct mgmt_res *res;       /* whose it is */
	struct vertex *vertex;      /* in the graph running now, or NULL */
	struct mgmt_watch *watches; /* registered for it (host.c) */
	struct run_job *job;        /* the run covering it now, or NULL */
	/* A reload changed or removed it while that run went on: it is
	 * cleaned up and freed when the run ends. */
	bool doomed;
	struct mgmt_res *heir;     /* doomed: what replaces it, waiting */
	struct mgmt_res *ancestor; /* what it replaces, still running */
	uint32_t index;            /* in graph_cfg.res */
	/* Per resource even inside a group: */
	bool dirty;     /* an event since the run that saw it */
	bool refresh;   /* a refresh not yet seen by a run */
	bool job_dirty; /* what the running check_apply sees */
	bool job_refresh;
	/* Its own result in the run covering it (host->member_result),
	 * written by the worker, read when the run ends. */
	bool job_reported;
	int job_result;
	bool failed;        /* the last run covering it failed for it */
	bool watch_pending; /* its watch is not ready yet */
	bool in_watch;      /* its watch hook is running */
	bool early_event;   /* an event came from inside that hook */
	/* Its entry in the published table (run/stats.h); NULL for one a
	 * reload changed or removed.  Moved under stats.c's lock. */
	struct rstat *stat;
	bool inited; /* init succeeded: cleanup is owed */
	/* Its own meta.poll, instead of a watch: running while it is in a
	 * vertex of the graph running now (setup.c). */
	struct stimer poll_timer;
};

/* One check_apply in flight: the leader and the members it covers, copied
 * at dispatch, so the run can end in a graph swapped in meanwhile (its
 * result then goes to wherever its resources are now). */
struct run_job {
	struct job job;              /* first: the workers' link */
	struct run_job *prev, *next; /* every job in flight (sched.jobs) */
	bool apply;
	bool stopped; /* its stop signal was sent */
	int result;
	double secs;        /* how long check_apply took */
	const char **semas; /* ids of the semaphores it holds */
	uint32_t nsemas;
	uint32_t n;
	struct mgmt_res *members[]; /* leader first */
};

struct sched {
	struct ev_loop *loop;
	struct sched_opts o;
	struct plan plan;
	const struct graph *g;  /* over vertices: plan.ag.grouped */
	const struct graph *rg; /* over resources: plan.rg */
	struct vertex *v;
	struct mgmt_res **members; /* all resources, grouped by vertex */
	uint32_t n;

	struct workers w;
	ev_async wake;
	ev_prepare prepare;
	ev_signal sigint, sigterm;
	ev_timer conv_timer;
	ev_timer abort_timer; /* after a second signal: exit anyway */
	ev_idle advance;      /* virtual time: nothing to do but wait */
	pthread_t loop_thread;
	int stop_fd;  /* eventfd, written once stopping begins */
	int abort_fd; /* eventfd, written at a second signal */

	uint32_t *runq; /* ring of n + 1; a vertex is queued at most once */
	uint32_t rq_head, rq_tail;
	uint32_t *stack; /* n entries, for propagate */
	bool *eopen;     /* per edge of g: does it count in its target's
			  * nblock (its source is open for it) */
	uint32_t *order; /* n entries: the vertices in dependency order */
	struct vertex **touched; /* n entries: scratch for job_done */
	struct run_job *jobs;    /* in flight, of this graph or one before */
	struct graph_cfg *cfg;   /* the graph running now */
	struct graph_cfg *first_cfg; /* the caller's (never freed here) */
	/* reload (reload.c) */
	ev_io yaml_io; /* inotify on the graph file's directory */
	const char *yaml_base;
	ev_signal sighup;
	ev_timer reload_timer;
	struct sema *semas;
	uint32_t nsemas;
	uint32_t *sema_idx; /* backing store of every vertex's semas */
	int inflight, max_inflight;
	uint32_t nretry, npending, nlimited;
	bool started, converged, stopping;
	bool taint_stale; /* a failure began or ended: stats_taint */
	bool interrupted; /* stopped by a signal before converging */
	bool spin;        /* jobs finish fast: poll for them */

	/* the service manager (notify.c), when there is one */
	struct {
		bool on;       /* NOTIFY_SOCKET was set */
		bool listened; /* on, or the counts go to sched_opts.state */
		ev_timer watchdog;     /* WATCHDOG=1, from the loop */
		ev_timer status;       /* STATUS=, a little after changes */
		char last[256];        /* the STATUS= sent last */
		char reload_error[96]; /* why the last reload was refused */
	} notify;

	/* dirty marks from threads other than the loop's */
	pthread_mutex_t rlock;
	struct mgmt_res **remote;
	size_t nremote, remote_cap;
};

/* sched.c: put `v` on the run queue (once); start what may run and see
 * whether the graph converged. */
void sched_enqueue(struct sched *s, struct vertex *v);
void sched_kick(struct sched *s);

/* setup.c: build and undo the vertices of a graph; stop one resource (its
 * watches and cleanup hook; events it had sent are forgotten). */
int sched_graph_setup(struct sched *s, struct graph_cfg *cfg);
void sched_graph_teardown(struct sched *s);
void sched_stop_resource(struct sched *s, struct mgmt_res *m);
/* setup.c: give `r` its run state if it has none (0 or -ENOMEM); free the
 * run state of every resource left in `cfg` (NULL: none), before `cfg` is
 * freed. */
int sched_res_run(struct mgmt_res *r);
void sched_free_runs(struct graph_cfg *cfg);
/* sched.c: take every finished job and outside event now. */
bool sched_drain(struct sched *s);
/* runs.c: send `j` its stop signal (once); a job that had not started is
 * taken off the queue and returned, for the caller to sched_job_done once
 * the graph is set up; NULL otherwise. */
struct run_job *sched_job_stop(struct sched *s, struct run_job *j);
/* runs.c: a job ended (or was dropped): its result goes to the vertices
 * its resources are in now. */
void sched_job_done(struct sched *s, struct run_job *j);

/* sched.c: vertex states (shared with runs.c and setup.c). */
#define sched_vlog(v, level, ...)                                              \
	log_msg(level, (v)->res->kind->k.name, (v)->res->name, __VA_ARGS__)
void sched_set_state(struct vertex *v, enum vstate st);
void sched_make_dirty(struct sched *s, struct vertex *v);
/* setup.c: the group hook, then init and watch of v's new members (false:
 * one failed; a member with meta.poll is not watched); the meta.poll
 * timers of v's members. */
bool sched_start_members(struct sched *s, struct vertex *v);
void sched_start_poll(struct sched *s, struct vertex *v);

/* runs.c: start what is queued and may run; does a member of `v` (or what
 * one replaces) still run in a job? */
void sched_dispatch(struct sched *s);
bool sched_waits(const struct vertex *v);

/* sched.c: how many resources are settled, failed, or neither (of the
 * failed, the first in graph order). */
struct sched_counts {
	uint32_t clean, failed, open;
	const struct mgmt_res *first_failed;
};
void sched_count(const struct sched *s, struct sched_counts *c);
/* sched.c: how many of v's members failed (0 when it is not failing). */
uint32_t sched_nfailed(const struct vertex *v);
/* sched.c: set every edge's openness from its source, and every vertex's
 * nblock, in dependency order (a graph just set up). */
void sched_open_edges(struct sched *s);

/* notify.c: the service manager's protocol (doc/service.md); each does
 * nothing when the engine was not started by one.  Loop thread.
 * notify_ready: the graph runs (READY=1, STATUS=, the watchdog starts);
 * notify_status: counts may have moved: STATUS= now (`now`) or a little
 * later, coalesced; notify_reloading/notify_reloaded: around a reload
 * (RELOADING=1, then READY=1 with `error`, or NULL when it was taken);
 * notify_stop: STOPPING=1, timers stopped. */
void notify_ready(struct sched *s);
void notify_status(struct sched *s, bool now);
void notify_reloading(struct sched *s);
void notify_reloaded(struct sched *s, const char *error);
void notify_stop(struct sched *s);

/* stats.c: publish to other threads (run/stats.h): a graph's table (0 or
 * -ENOMEM), a vertex's state, a member's result in a run that ended (and
 * the run's duration), a failure (soft: it retries), an event, a change
 * of convergence, a reload's outcome; the end of the run empties it. */
int stats_graph(struct sched *s);
void stats_drop(void);
void stats_vertex(const struct vertex *v);
void stats_member_ran(struct mgmt_res *m, int rc, bool apply, int64_t now);
void stats_job_ran(const struct kind_entry *kind, double secs);
void stats_failure(const struct vertex *v, bool hard);
void stats_event(const struct mgmt_res *m);
void stats_converged(bool conv);
void stats_reload(bool taken);
void stats_taint(struct sched *s);

/* calls.c: the actions other threads ask for (sched_call_*): started with
 * the loop, stopped before it ends (what waits is told the engine stops);
 * a reload's outcome (`error` NULL: taken); member `m`'s result in a run
 * that ended; `m` left the running graph in a reload (removed, or replaced
 * by a changed one): what waits for its run is told so. */
void calls_start(struct sched *s);
void calls_stop(struct sched *s);
void calls_reloaded(const char *error);
void calls_ran(const struct mgmt_res *m, int rc);
void calls_gone(const struct mgmt_res *m);

/* reload.c: watch the graph file and SIGHUP; compile a changed graph aside
 * and swap it in (debounced), without waiting for what runs. */
void reload_watch_start(struct sched *s);
void reload_watch_stop(struct sched *s);
/* Ask for a reload (debounced), as a change of the file does. */
void reload_request(struct sched *s);

/* gate.c: take a token of v's meta.limit bucket, or start its timer and
 * return false; take all of v's semaphores, or none and wait for one;
 * give them back (waking who waited); build every vertex's semaphores. */
bool gate_limit_take(struct sched *s, struct vertex *v);
void gate_on_limit(struct ev_loop *loop, ev_timer *w, int revents);
bool gate_sema_take(struct sched *s, struct vertex *v);
void gate_sema_give(struct sched *s, const char *const *ids, uint32_t n);
int gate_setup_semas(struct sched *s, const struct graph_cfg *cfg);
/* A job of the graph before holds semaphores `ids`: count them as used in
 * this graph's (a reload must not let more run than a semaphore allows). */
void gate_sema_hold(struct sched *s, const char *const *ids, uint32_t n);

#endif /* ENGINE_RUN_INTERNAL_H */

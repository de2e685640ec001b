/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * workers.h - a pool of threads that run jobs and hand them back to the loop.
 *
 * The loop thread submits jobs; a worker runs job->run(job) and appends the
 * job to a done list, then wakes the loop with one ev_async.  The loop's
 * callback takes the whole done list at once (Redis bio / libuv style).
 * Jobs are intrusive (embedded in the caller's struct), so submitting never
 * allocates; the number of jobs in flight is bounded by the caller.
 *
 * Short jobs (a converged check) make the hand-off itself the cost: a futex
 * wake-up and an eventfd write per job.  So both sides spin briefly before
 * sleeping: at most one idle worker polls for new jobs, and the loop may poll
 * for finished ones (workers_wait_done) while jobs are in flight; a worker
 * skips the eventfd write while the loop is polling.  Spinning is bounded
 * (WORKERS_SPIN_NS after the last progress), so an idle engine sleeps.
 */
#ifndef ENGINE_WORKERS_H
#define ENGINE_WORKERS_H

#include <ev.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define WORKERS_SPIN_NS 50000 /* 50 us */

struct job {
	struct job *next;
	void (*run)(struct job *job); /* on a worker thread */
};

struct job_list {
	struct job *head, *tail;
};

struct workers {
	pthread_t *threads;
	int nthreads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job_list todo;
	struct job_list done;
	bool stopping;
	atomic_int ntodo;          /* jobs in todo, readable without the lock */
	atomic_int ndone;          /* jobs in done, likewise */
	atomic_int nspinning;      /* workers polling for jobs (0 or 1) */
	atomic_bool loop_polling;  /* the loop polls: no wake-up needed */
	struct ev_loop *loop;
	ev_async *wake;      /* sent after a job is done; owned by the caller */
};

/* Start `n` threads.  `wake` must be started on `loop` by the caller. */
int workers_start(struct workers *w, int n, struct ev_loop *loop,
		  ev_async *wake);
/* Loop thread: queue a job. */
void workers_submit(struct workers *w, struct job *job);
/* Loop thread: take every finished job, in completion order. */
struct job *workers_take_done(struct workers *w);
/* Loop thread: poll up to WORKERS_SPIN_NS for a finished job.  Returns
 * true when one is there to take. */
bool workers_wait_done(struct workers *w);
/* Let running jobs finish, then join the threads.  Queued jobs not yet
 * started are dropped (returned in the done list untouched is not needed:
 * the caller only stops when nothing is queued). */
void workers_stop(struct workers *w);

#endif /* ENGINE_WORKERS_H */

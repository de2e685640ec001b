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
 * Each worker has its own stop signal (an eventfd), which a job's code polls
 * through workers_stop_fd(): the loop can stop one running job without
 * touching the others, and drop jobs that have not started yet.
 *
 * Short jobs (a converged check) make the hand-off itself the cost: a futex
 * wake-up and an eventfd write per job.  So both sides spin briefly before
 * sleeping: at most one idle worker polls for new jobs, and the loop may poll
 * for finished ones (workers_wait_done) while jobs are in flight; a worker
 * skips the eventfd write while the loop is polling.  Spinning is bounded
 * (WORKERS_SPIN_NS after the last progress), so an idle engine sleeps.  It
 * never calls sched_yield: on a busy machine a yield hands the core to
 * another process for its whole slice, and a 100,000-noop chain (one
 * hand-off per resource) took 20 to 30 s instead of 2 to 5 (bench/RESULTS.md,
 * "Spinning without sched_yield").
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
	int worker;     /* index of the worker running it, or -1 (lock held) */
	bool cancelled; /* dropped before it started: run never called */
};

/* One thread and its stop signal. */
struct worker {
	pthread_t thread;
	int stop_fd; /* eventfd: written to stop the job it runs */
	struct workers *w;
	int index;
};

struct job_list {
	struct job *head, *tail;
};

struct workers {
	struct worker *threads;
	int nthreads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job_list todo;
	struct job_list done;
	bool stopping;
	atomic_int ntodo;         /* jobs in todo, readable without the lock */
	atomic_int ndone;         /* jobs in done, likewise */
	atomic_int nspinning;     /* workers polling for jobs (0 or 1) */
	atomic_bool loop_polling; /* the loop polls: no wake-up needed */
	struct ev_loop *loop;
	ev_async *wake; /* sent after a job is done; owned by the caller */
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
/* Loop thread: stop `job`.  Returns true when it had not started: it is
 * taken off the queue, marked cancelled, and the caller finishes it now.
 * Otherwise, if it runs, its worker's stop signal is written (a job that is
 * already done is left alone) and false is returned. */
bool workers_cancel(struct workers *w, struct job *job);
/* Loop thread: stop everything.  Returns the jobs that had not started
 * (marked cancelled, linked through next) and writes the stop signal of
 * every worker that runs one. */
struct job *workers_cancel_all(struct workers *w);
/* The stop signal of the job running on the calling thread, or -1 when it
 * is not a worker. */
int workers_stop_fd(void);
/* Is the calling thread one of the workers? */
bool workers_on_worker(void);
/* Let running jobs finish, then join the threads.  Queued jobs not yet
 * started are dropped (returned in the done list untouched is not needed:
 * the caller only stops when nothing is queued). */
void workers_stop(struct workers *w);

#endif /* ENGINE_WORKERS_H */

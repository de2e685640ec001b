/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * workers.c - the worker pool: one mutex, one condition variable, two
 * intrusive lists.  Workers never touch libev state except ev_async_send,
 * the one call libev allows from other threads.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "util/log.h"
#include "run/host.h"
#include "run/workers.h"

static __thread struct worker *self;

static void list_push(struct job_list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Poll `*counter` until it is non-zero or WORKERS_SPIN_NS pass (workers.h:
 * why not sched_yield). */
static bool spin_for(atomic_int *counter)
{
	long long end = mono_ns() + WORKERS_SPIN_NS;

	for (unsigned i = 1;; i++) {
		if (atomic_load_explicit(counter, memory_order_acquire) > 0)
			return true;
		cpu_relax();
		if ((i & 15) == 0 && mono_ns() > end)
			return false;
	}
}

/* Called with the lock held and no job to take: one worker at a time polls
 * briefly (unlocked) before everyone sleeps on the condition variable. */
static void wait_for_job(struct workers *w)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&w->nspinning, &zero, 1)) {
		pthread_mutex_unlock(&w->lock);
		spin_for(&w->ntodo);
		atomic_store(&w->nspinning, 0);
		pthread_mutex_lock(&w->lock);
	}
	while (!w->todo.head && !w->stopping)
		pthread_cond_wait(&w->cond, &w->lock);
}

/* Write the stop signal of worker `i` (lock held, so the job it runs cannot
 * change meanwhile). */
static void stop_worker(struct workers *w, int i)
{
	if (eventfd_write(w->threads[i].stop_fd, 1) < 0)
		log_error("cannot stop a running job: eventfd: %s",
			  strerror(errno));
}

static void *worker_main(void *arg)
{
	struct worker *me = arg;
	struct workers *w = me->w;

	self = me;
	host_off_loop_thread(); /* the loop's services are refused here */
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct job *j;
		bool wake;

		if (!w->todo.head && !w->stopping)
			wait_for_job(w);
		if (!w->todo.head)
			break;
		j = w->todo.head;
		w->todo.head = j->next;
		if (!w->todo.head)
			w->todo.tail = NULL;
		atomic_fetch_sub(&w->ntodo, 1);
		/* A stop meant for the previous job must not stop this one: the
		 * loop writes the signal only while the lock shows which job
		 * runs, so clearing it here, under the lock, is exact. */
		{
			eventfd_t stale;

			(void)eventfd_read(me->stop_fd, &stale);
		}
		j->worker = me->index;
		pthread_mutex_unlock(&w->lock);

		j->run(j);

		pthread_mutex_lock(&w->lock);
		j->worker = -1;
		/* Only the first job onto an empty done list needs to wake the
		 * loop: it drains the whole list. */
		wake = w->done.head == NULL;
		list_push(&w->done, j);
		atomic_fetch_add(&w->ndone, 1);
		/* seq_cst: pairs with the loop's store of loop_polling = false
		 * before its last look at ndone, so a wake-up is never lost. */
		if (wake && !atomic_load(&w->loop_polling))
			ev_async_send(w->loop, w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int workers_start(struct workers *w, int n, struct ev_loop *loop,
		  ev_async *wake)
{
	sigset_t all, old;
	int err = 0;

	w->threads = calloc((size_t)n, sizeof(*w->threads));
	if (!w->threads)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->todo.head = w->todo.tail = NULL;
	w->done.head = w->done.tail = NULL;
	w->stopping = false;
	atomic_init(&w->ntodo, 0);
	atomic_init(&w->ndone, 0);
	atomic_init(&w->nspinning, 0);
	atomic_init(&w->loop_polling, false);
	w->loop = loop;
	w->wake = wake;
	w->nthreads = 0;

	/* Signals belong to the loop thread: workers block them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < n; i++) {
		struct worker *me = &w->threads[i];

		me->w = w;
		me->index = i;
		me->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (me->stop_fd < 0) {
			err = -errno;
			break;
		}
		err = -pthread_create(&me->thread, NULL, worker_main, me);
		if (err) {
			close(me->stop_fd);
			break;
		}
		w->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (w->nthreads == 0) {
		free(w->threads);
		w->threads = NULL;
		return err ? err : -EINVAL;
	}
	if (err)
		log_warn("started %d of %d worker threads: %s", w->nthreads, n,
			 "pthread_create failed");
	return 0;
}

void workers_submit(struct workers *w, struct job *job)
{
	job->worker = -1;
	job->cancelled = false;
	pthread_mutex_lock(&w->lock);
	list_push(&w->todo, job);
	atomic_fetch_add(&w->ntodo, 1);
	/* A polling worker takes a lone job without being woken; any more
	 * wake sleepers so jobs still run in parallel. */
	if (atomic_load(&w->nspinning) == 0 || atomic_load(&w->ntodo) > 1)
		pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

struct job *workers_take_done(struct workers *w)
{
	struct job *j;

	pthread_mutex_lock(&w->lock);
	j = w->done.head;
	w->done.head = w->done.tail = NULL;
	atomic_store(&w->ndone, 0);
	pthread_mutex_unlock(&w->lock);
	return j;
}

bool workers_wait_done(struct workers *w)
{
	bool got;

	atomic_store(&w->loop_polling, true);
	got = spin_for(&w->ndone);
	atomic_store(&w->loop_polling, false);
	/* A worker that saw loop_polling true did not wake us: look again
	 * now that it is false (seq_cst on both sides). */
	return got || atomic_load(&w->ndone) > 0;
}

/* Take `job` off the queue (lock held); false when it is not queued. */
static bool unqueue(struct workers *w, struct job *job)
{
	struct job *prev = NULL;

	for (struct job *j = w->todo.head; j; prev = j, j = j->next) {
		if (j != job)
			continue;
		if (prev)
			prev->next = j->next;
		else
			w->todo.head = j->next;
		if (w->todo.tail == j)
			w->todo.tail = prev;
		atomic_fetch_sub(&w->ntodo, 1);
		j->next = NULL;
		j->cancelled = true;
		return true;
	}
	return false;
}

bool workers_cancel(struct workers *w, struct job *job)
{
	bool taken;

	pthread_mutex_lock(&w->lock);
	taken = unqueue(w, job);
	if (!taken && job->worker >= 0)
		stop_worker(w, job->worker);
	pthread_mutex_unlock(&w->lock);
	return taken;
}

struct job *workers_cancel_all(struct workers *w)
{
	struct job *head;

	pthread_mutex_lock(&w->lock);
	head = w->todo.head;
	for (struct job *j = head; j; j = j->next)
		j->cancelled = true;
	w->todo.head = w->todo.tail = NULL;
	atomic_store(&w->ntodo, 0);
	/* Every worker: an idle one clears its signal unread at its next
	 * pick-up (and nothing is submitted after this). */
	for (int i = 0; i < w->nthreads; i++)
		stop_worker(w, i);
	pthread_mutex_unlock(&w->lock);
	return head;
}

int workers_stop_fd(void)
{
	return self ? self->stop_fd : -1;
}

bool workers_on_worker(void)
{
	return self != NULL;
}

void workers_stop(struct workers *w)
{
	if (!w->threads)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	w->todo.head = w->todo.tail = NULL;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < w->nthreads; i++) {
		pthread_join(w->threads[i].thread, NULL);
		close(w->threads[i].stop_fd);
	}
	free(w->threads);
	w->threads = NULL;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

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

#include "log.h"
#include "run/workers.h"

static void list_push(struct job_list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static void *worker_main(void *arg)
{
	struct workers *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct job *j;
		bool wake;

		while (!w->todo.head && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->todo.head)
			break;
		j = w->todo.head;
		w->todo.head = j->next;
		if (!w->todo.head)
			w->todo.tail = NULL;
		pthread_mutex_unlock(&w->lock);

		j->run(j);

		pthread_mutex_lock(&w->lock);
		/* Only the first job onto an empty done list needs to wake the
		 * loop: it drains the whole list. */
		wake = w->done.head == NULL;
		list_push(&w->done, j);
		if (wake)
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
	w->loop = loop;
	w->wake = wake;
	w->nthreads = 0;

	/* Signals belong to the loop thread: workers block them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < n; i++) {
		err = -pthread_create(&w->threads[i], NULL, worker_main, w);
		if (err)
			break;
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
	pthread_mutex_lock(&w->lock);
	list_push(&w->todo, job);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

struct job *workers_take_done(struct workers *w)
{
	struct job *j;

	pthread_mutex_lock(&w->lock);
	j = w->done.head;
	w->done.head = w->done.tail = NULL;
	pthread_mutex_unlock(&w->lock);
	return j;
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
	for (int i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	free(w->threads);
	w->threads = NULL;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * clock.c - the scheduler's clock and timers, real or virtual (clock.h).
 *
 * Virtual timers are few (one per retrying, polling or rate-limited vertex)
 * and only tests use them, so an unsorted list does.  The virtual time is
 * read by workers (host->now) while the loop moves it: an atomic double.
 */
#include "config.h"

#include <stdatomic.h>
#include <time.h>

#include "run/clock.h"

static bool virtual_on;
static _Atomic double vnow;
static struct stimer *vtimers; /* active virtual timers */

double sched_clock_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double sched_clock(void)
{
	return virtual_on ? atomic_load(&vnow) : sched_clock_monotonic();
}

void clock_virtual(bool on)
{
	virtual_on = on;
	atomic_store(&vnow, 0.);
	vtimers = NULL;
}

bool clock_is_virtual(void)
{
	return virtual_on;
}

static void on_ev(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stimer *t = w->data;

	if (!t->repeat)
		t->active = false;
	t->cb(t);
}

void stimer_init(struct stimer *t, void (*cb)(struct stimer *t), void *data)
{
	ev_init(&t->ev, on_ev);
	t->ev.data = t;
	t->cb = cb;
	t->data = data;
	t->active = false;
	t->next = NULL;
}

void stimer_start(struct ev_loop *loop, struct stimer *t, double after,
		  double repeat)
{
	stimer_stop(loop, t);
	t->active = true;
	t->repeat = repeat;
	if (!virtual_on) {
		ev_timer_set(&t->ev, after, repeat);
		ev_timer_start(loop, &t->ev);
		return;
	}
	t->due = atomic_load(&vnow) + after;
	t->next = vtimers;
	vtimers = t;
}

void stimer_stop(struct ev_loop *loop, struct stimer *t)
{
	if (!t->active)
		return;
	t->active = false;
	if (!virtual_on) {
		ev_timer_stop(loop, &t->ev);
		return;
	}
	for (struct stimer **p = &vtimers; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	t->next = NULL;
}

bool stimer_active(const struct stimer *t)
{
	return t->active;
}

bool clock_advance(struct ev_loop *loop)
{
	struct stimer *first = NULL;

	for (struct stimer *t = vtimers; t; t = t->next)
		if (!first || t->due < first->due)
			first = t;
	if (!first)
		return false;
	atomic_store(&vnow, first->due);
	/* Fire one at a time: a callback may stop or start others. */
	stimer_stop(loop, first);
	if (first->repeat > 0)
		stimer_start(loop, first, first->repeat, first->repeat);
	first->cb(first);
	return true;
}

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

void stimer_init(struct stimer *t, stimer_cb cb)
{
	if (virtual_on) {
		t->u.v.due = -1.;
		t->u.v.next = NULL;
		t->u.v.cb = cb;
	} else {
		ev_init(&t->u.ev, cb);
	}
}

void stimer_start(struct ev_loop *loop, struct stimer *t, double after,
		  double repeat)
{
	stimer_stop(loop, t);
	if (!virtual_on) {
		ev_timer_set(&t->u.ev, after, repeat);
		ev_timer_start(loop, &t->u.ev);
		return;
	}
	t->u.v.due = atomic_load(&vnow) + after;
	t->u.v.repeat = repeat;
	t->u.v.next = vtimers;
	vtimers = t;
}

void stimer_stop(struct ev_loop *loop, struct stimer *t)
{
	if (!virtual_on) {
		ev_timer_stop(loop, &t->u.ev);
		return;
	}
	if (t->u.v.due < 0)
		return;
	t->u.v.due = -1.;
	for (struct stimer **p = &vtimers; *p; p = &(*p)->u.v.next)
		if (*p == t) {
			*p = t->u.v.next;
			break;
		}
	t->u.v.next = NULL;
}

bool stimer_active(const struct stimer *t)
{
	return virtual_on ? t->u.v.due >= 0 : ev_is_active(&t->u.ev);
}

bool clock_advance(struct ev_loop *loop)
{
	struct stimer *first = NULL;
	double repeat;

	for (struct stimer *t = vtimers; t; t = t->u.v.next)
		if (!first || t->u.v.due < first->u.v.due)
			first = t;
	if (!first)
		return false;
	atomic_store(&vnow, first->u.v.due);
	/* Fire one at a time: a callback may stop or start others. */
	repeat = first->u.v.repeat;
	stimer_stop(loop, first);
	if (repeat > 0)
		stimer_start(loop, first, repeat, repeat);
	first->u.v.cb(loop, &first->u.ev, EV_TIMER);
	return true;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * clock.h - the scheduler's one clock and the timers that run on it
 * (meta.delay, meta.poll, meta.limit).
 *
 * Normally the clock is CLOCK_MONOTONIC and a timer is a libev timer.  A
 * test may switch to virtual time: the clock then stands still while
 * anything happens and jumps to the next timer's due time whenever the
 * scheduler has nothing else to do, so a test of a 10 s retry delay takes
 * no time and can assert the exact spacing of runs.
 */
#ifndef ENGINE_CLOCK_H
#define ENGINE_CLOCK_H

#include <stdbool.h>

#include <ev.h>

/* Monotonic seconds: real, or virtual after clock_virtual(true).  Any
 * thread. */
double sched_clock(void);
double sched_clock_monotonic(void);

/* Loop thread, before a run sets up its timers: virtual time (from 0) or
 * not. */
void clock_virtual(bool on);
bool clock_is_virtual(void);

/* A timer is as small as the libev timer it is in real time (a graph has
 * three per vertex).  Its callback has libev's signature and finds its
 * owner from the timer's address (container_of), never from `data`, which
 * virtual time uses for itself. */
typedef void (*stimer_cb)(struct ev_loop *loop, ev_timer *w, int revents);

struct stimer {
	union {
		ev_timer ev;        /* real time */
		struct {            /* virtual time */
			double due; /* < 0: not active */
			double repeat;
			struct stimer *next; /* in the list of active ones */
			stimer_cb cb;
		} v;
	} u;
};

void stimer_init(struct stimer *t, stimer_cb cb);
/* First after `after` seconds, then every `repeat` seconds (0: once). */
void stimer_start(struct ev_loop *loop, struct stimer *t, double after,
		  double repeat);
void stimer_stop(struct ev_loop *loop, struct stimer *t);
bool stimer_active(const struct stimer *t);

/* Virtual time: the scheduler has nothing to do but wait for a timer.
 * Moves the clock to the earliest due time and fires that timer.  Returns
 * false when no timer is active. */
bool clock_advance(struct ev_loop *loop);

#endif /* ENGINE_CLOCK_H */

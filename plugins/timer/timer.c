/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * timer.c - the timer resource: an event every `interval` seconds.
 *
 * As in mgmt, a timer exists to make the resources after it run
 * periodically.  Its watch fires every interval; the timer's run reports
 * the tick as a change, and every resource after it that runs when reached
 * (an exec without ifcmd) runs too.
 */
#include "config.h"

#include <stdatomic.h>

#include <mgmt/mgmt.h>

struct timer {
	int64_t interval_ms;
	atomic_bool quiet; /* no tick since the last run */
};

static const struct mgmt_param timer_params[] = {
	MGMT_PARAM_NAMED("interval", struct timer, interval_ms,
			 MGMT_PARAM_DURATION, NULL, MGMT_PARAM_REQUIRED,
			 "seconds between events (e.g. 3, \"500ms\")"),
	MGMT_PARAM_END,
};

static int timer_validate(mgmt_res *res, void *p)
{
	struct timer *t = p;

	if (t->interval_ms <= 0) {
		mgmt_invalid(res, "interval", "must be greater than 0");
		return -1;
	}
	return 0;
}

static void timer_tick(mgmt_res *res, void *data)
{
	struct timer *t = data;

	mgmt_debug(res, "tick");
	atomic_store(&t->quiet, false);
	mgmt_dirty(res);
}

static int timer_watch(mgmt_res *res, void *p)
{
	struct timer *t = p;
	double s = (double)t->interval_ms / 1000.;

	if (!mgmt_host->watch_timer(res, s, s, timer_tick, t)) {
		mgmt_error(res, "cannot start the timer");
		return MGMT_ERROR;
	}
	return 0;
}

/* A tick is the timer's whole state: unprocessed (and at the start) it is
 * a change, so what follows the timer runs, as in mgmt. */
static int timer_check_apply(mgmt_res *res, void *p, bool apply)
{
	struct timer *t = p;

	return atomic_exchange(&t->quiet, true) ? MGMT_CONVERGED : MGMT_CHANGED;
}

static const struct mgmt_kind timer_kind = {
	MGMT_KIND_HEADER,
	.name = "timer",
	.doc = "an event every interval; makes what follows it run",
	.params = timer_params,
	.params_size = sizeof(struct timer),
	.validate = timer_validate,
	.watch = timer_watch,
	.check_apply = timer_check_apply,
};

static const struct mgmt_kind *const timer_kinds[] = { &timer_kind, NULL };

MGMT_PLUGIN_DEFINE("timer", PACKAGE_VERSION, "the timer resource", timer_kinds,
		   NULL, NULL);

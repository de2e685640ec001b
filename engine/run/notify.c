/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * notify.c - tell the service manager how the engine is (doc/service.md).
 *
 * Under systemd (Type=notify, NOTIFY_SOCKET set) the engine says READY=1
 * once the graph runs: compiled, its resources initialised, their watches
 * asked for and the graph file watched.  Not at convergence: package
 * installs may keep that minutes away, and what the service is ready for
 * is reloads and events.  STATUS= keeps the counts current (sent a little
 * after they move, so a burst of thousands of runs costs one datagram, and
 * at once when the graph converges or stops converging).  WATCHDOG=1 comes
 * from a timer on the loop, so a loop that no longer turns stops sending
 * it and systemd restarts the engine.  A reload says RELOADING=1, then
 * READY=1 once the new graph was taken or refused, which is when
 * `systemctl reload` returns.  Without NOTIFY_SOCKET every call here
 * returns at once, unless the counts have another listener: the cluster
 * (sched_opts.state), told on the same schedule as STATUS=.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "run/internal.h"

#define STATUS_DELAY 0.5 /* s: how long STATUS= may lag behind changes */

static void status_text(const struct sched *s, char *buf, size_t len)
{
	struct sched_counts c;
	int n;

	sched_count(s, &c);
	n = snprintf(buf, len, "%s: %u resources, %u converged, %u failed",
		     s->converged ? "converged" : "converging",
		     c.clean + c.failed + c.open, c.clean, c.failed);
	if (s->notify.reload_error[0] && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; last reload refused: %s",
			 s->notify.reload_error);
}

/* Tell the cluster the counts; send STATUS= (with `extra` lines before
 * it) if it changed or `extra` says something. */
static void send_status(struct sched *s, const char *extra)
{
	char text[sizeof(s->notify.last)];

	if (s->o.state) {
		struct sched_counts c;
		int64_t since = atomic_load(&stats.converged_since_ms);

		sched_count(s, &c);
		s->o.state(s->o.hook_ctx, s->converged,
			   s->converged ? (double)since / 1000. : 0., c.failed,
			   c.clean + c.failed + c.open);
	}
	if (!s->notify.on)
		return;
	status_text(s, text, sizeof(text));
	if (!extra && strcmp(text, s->notify.last) == 0)
		return;
	memcpy(s->notify.last, text, sizeof(text));
	sd_notifyf(0, "%sSTATUS=%s", extra ? extra : "", text);
}

static void on_status(struct ev_loop *loop, ev_timer *w, int revents)
{
	send_status(w->data, NULL);
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	sd_notify(0, "WATCHDOG=1");
}

void notify_ready(struct sched *s)
{
	uint64_t usec = 0;

	s->notify.on = getenv("NOTIFY_SOCKET") != NULL;
	s->notify.listened = s->notify.on || s->o.state;
	ev_init(&s->notify.status, on_status);
	s->notify.status.data = s;
	if (!s->notify.on) {
		send_status(s, NULL);
		return;
	}
	/* Half the period systemd allows, as sd_watchdog_enabled(3) asks;
	 * it is not set when the unit has no WatchdogSec=. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		ev_timer_init(&s->notify.watchdog, on_watchdog, 0.,
			      (double)usec / 2e6);
		ev_timer_again(s->loop, &s->notify.watchdog);
	}
	send_status(s, "READY=1\n");
}

void notify_status(struct sched *s, bool now)
{
	if (!s->notify.listened)
		return;
	if (now) {
		ev_timer_stop(s->loop, &s->notify.status);
		send_status(s, NULL);
	} else if (!ev_is_active(&s->notify.status)) {
		ev_timer_set(&s->notify.status, STATUS_DELAY, 0.);
		ev_timer_start(s->loop, &s->notify.status);
	}
}

void notify_reloading(struct sched *s)
{
	struct timespec ts;

	if (!s->notify.on)
		return;
	/* MONOTONIC_USEC: newer systemd matches the reload to this point
	 * in time; older ones ignore it. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ULL +
			   (unsigned long long)ts.tv_nsec / 1000ULL);
}

void notify_reloaded(struct sched *s, const char *error)
{
	if (!s->notify.on)
		return;
	snprintf(s->notify.reload_error, sizeof(s->notify.reload_error), "%s",
		 error ? error : "");
	send_status(s, "READY=1\n");
}

void notify_stop(struct sched *s)
{
	ev_timer_stop(s->loop, &s->notify.status);
	s->notify.listened = false;
	if (!s->notify.on)
		return;
	ev_timer_stop(s->loop, &s->notify.watchdog);
	sd_notify(0, "STOPPING=1");
	s->notify.on = false; /* once */
}

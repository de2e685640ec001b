/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bus.h - sd-bus for plugins, on the engine's loop and on worker threads.
 *
 * sd-bus connections are not thread-safe, so a plugin uses two kinds:
 *
 * - The loop connection (busloop_*): one per plugin and bus, shared by every
 *   resource that watches something, opened by the first and closed by the
 *   last.  It is driven by the engine's libev loop through kind-wide
 *   host->watch_fd and host->watch_timer watches, following sd-bus' fd,
 *   event mask and timeout after every step.  Only the loop thread touches
 *   it.  Users add their matches from their `connected` callback, which runs
 *   on attach and again after a lost connection was re-established (their
 *   earlier slots are dropped by then, through `disconnected`).
 *
 * - Worker connections (bus_open, bus_run_until): check_apply opens a private
 *   connection, used by that one call on that one thread and closed before it
 *   returns.  A connection costs about a millisecond; a PackageKit
 *   transaction must in any case stay on the connection that created it.
 */
#ifndef MGMT_PLUGINS_COMMON_BUS_H
#define MGMT_PLUGINS_COMMON_BUS_H

#include <stdbool.h>
#include <systemd/sd-bus.h>

struct busloop;

/* One user of the loop connection, embedded in the user's own state. */
struct busloop_user {
	/* The connection is up (at attach, and after each reconnect): add
	 * matches, call Subscribe, mark the resource dirty.  Loop thread. */
	void (*connected)(struct busloop_user *u, sd_bus *bus);
	/* The connection went away: drop the slots made in `connected`.  May
	 * be NULL.  Loop thread. */
	void (*disconnected)(struct busloop_user *u);
	/* engine-private from here */
	struct busloop *bl;
	struct busloop_user *next;
};

/* Attach `u` to the loop connection of the system bus (`user_bus` false) or
 * of the user's bus (true), opening it on first use; `connected` runs
 * before this returns when the bus is reachable.  Returns 0, or <0 after
 * logging why (the connection is then retried in the background and
 * `connected` runs once it is up).  Loop thread. */
int busloop_attach(struct busloop_user *u, bool user_bus);

/* Detach `u`; the last user closes the connection.  Loop thread. */
void busloop_detach(struct busloop_user *u);

/* After queuing messages on the loop connection from outside an sd-bus
 * callback (e.g. sd_bus_call_method_async in a watch hook): flush them and
 * re-arm the loop watches.  Loop thread. */
void busloop_kick(struct busloop_user *u);

/* Open a private connection to the system or user bus for the calling
 * (worker) thread.  Returns 0 or <0 (-errno).  Close it with
 * sd_bus_flush_close_unref. */
int bus_open(bool user_bus, sd_bus **out);

/* Process `bus` until *done is true (0), `timeout` seconds pass
 * (-ETIMEDOUT), the engine's stop_fd becomes readable (-ECANCELED), or the
 * connection fails (<0).  Worker thread. */
int bus_run_until(sd_bus *bus, const bool *done, double timeout);

/* sd-bus' own text for an error: the D-Bus error's message when there is
 * one, else strerror(-r). */
const char *bus_errstr(const sd_bus_error *e, int r);

#endif /* MGMT_PLUGINS_COMMON_BUS_H */

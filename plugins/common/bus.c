/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bus.c - sd-bus on the engine's libev loop, and on worker threads (bus.h).
 *
 * The loop connection follows sd-bus' own contract for external loops
 * (sd_bus_get_fd(3)): after every step it re-reads the fd's event mask and
 * the absolute timeout and re-arms two kind-wide engine watches, and on an
 * event it calls sd_bus_process until it reports no more work.  A lost
 * connection is logged once, re-opened with backoff, logged once again when
 * it is back, and its users re-add their matches.
 */
#include "bus.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mgmt/mgmt.h>

#define RETRY_MIN 0.1 /* s, doubled per failed attempt */
#define RETRY_MAX 5.0

struct busloop {
	sd_bus *bus;
	bool user_bus;
	struct busloop_user *users;
	mgmt_watch *io, *timer, *retry;
	unsigned io_events;
	uint64_t deadline; /* of the armed timer, CLOCK_MONOTONIC µs */
	double backoff;
	bool processing; /* inside sd_bus_process: a kick just re-arms */
	bool lost_logged;
};

/* One per bus; each plugin has its own copy of this file. */
static struct busloop *loops[2];

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const char *bus_errstr(const sd_bus_error *e, int r)
{
	if (e && sd_bus_error_is_set(e) && e->message)
		return e->message;
	return strerror(r < 0 ? -r : r);
}

static const char *bus_name(const struct busloop *bl)
{
	return bl->user_bus ? "user bus" : "system bus";
}

int bus_open(bool user_bus, sd_bus **out)
{
	return user_bus ? sd_bus_open_user(out) : sd_bus_open_system(out);
}

static void on_io(mgmt_res *res, int fd, unsigned revents, void *data);
static void on_timer(mgmt_res *res, void *data);
static void on_retry(mgmt_res *res, void *data);
static void lost(struct busloop *bl, int r);

static void unwatch(mgmt_watch **w)
{
	if (*w) {
		mgmt_host->unwatch(*w);
		*w = NULL;
	}
}

/* Follow sd-bus' current fd events and timeout. */
static void arm(struct busloop *bl)
{
	int fd = sd_bus_get_fd(bl->bus);
	int ev = sd_bus_get_events(bl->bus);
	uint64_t until = UINT64_MAX;
	unsigned want;

	if (fd < 0 || ev < 0) {
		lost(bl, fd < 0 ? fd : ev);
		return;
	}
	want = MGMT_WATCH_READ | ((ev & POLLOUT) ? MGMT_WATCH_WRITE : 0);
	if (!bl->io || want != bl->io_events) {
		unwatch(&bl->io);
		bl->io = mgmt_host->watch_fd(NULL, fd, want, on_io, bl);
		bl->io_events = want;
		if (!bl->io)
			mgmt_host->log(NULL, MGMT_LOG_ERROR,
				       "%s: cannot watch the connection: %s",
				       bus_name(bl), strerror(errno));
	}
	if (sd_bus_get_timeout(bl->bus, &until) < 0)
		until = UINT64_MAX;
	if (bl->timer && until == bl->deadline)
		return;
	unwatch(&bl->timer);
	bl->deadline = until;
	if (until != UINT64_MAX) {
		uint64_t now = now_usec();
		double after = until > now ? (double)(until - now) / 1e6 : 0.;

		bl->timer =
			mgmt_host->watch_timer(NULL, after, 0., on_timer, bl);
	}
}

static void process(struct busloop *bl)
{
	int r;

	if (bl->processing)
		return; /* the outer round re-arms when it is done */
	bl->processing = true;
	do
		r = sd_bus_process(bl->bus, NULL);
	while (r > 0);
	bl->processing = false;
	if (r < 0)
		lost(bl, r);
	else
		arm(bl);
}

static void on_io(mgmt_res *res, int fd, unsigned revents, void *data)
{
	process(data);
}

static void on_timer(mgmt_res *res, void *data)
{
	struct busloop *bl = data;

	unwatch(&bl->timer);
	bl->deadline = UINT64_MAX;
	process(bl);
}

static int connect_bus(struct busloop *bl)
{
	struct busloop_user *u;
	int r = bus_open(bl->user_bus, &bl->bus);

	if (r < 0) {
		bl->bus = NULL;
		return r;
	}
	if (bl->lost_logged)
		mgmt_host->log(NULL, MGMT_LOG_INFO, "%s: connected again",
			       bus_name(bl));
	bl->lost_logged = false;
	bl->backoff = RETRY_MIN;
	for (u = bl->users; u; u = u->next)
		u->connected(u, bl->bus);
	process(bl);
	return 0;
}

static void schedule_retry(struct busloop *bl)
{
	unwatch(&bl->retry);
	bl->retry = mgmt_host->watch_timer(NULL, bl->backoff, 0., on_retry, bl);
	bl->backoff = bl->backoff * 2 > RETRY_MAX ? RETRY_MAX : bl->backoff * 2;
}

static void on_retry(mgmt_res *res, void *data)
{
	struct busloop *bl = data;

	unwatch(&bl->retry);
	if (connect_bus(bl) < 0)
		schedule_retry(bl);
}

/* The connection failed: tell the users, log once, try again later. */
static void lost(struct busloop *bl, int r)
{
	struct busloop_user *u;

	if (!bl->lost_logged)
		mgmt_host->log(NULL, MGMT_LOG_ERROR,
			       "%s: connection lost: %s; reconnecting",
			       bus_name(bl), strerror(-r));
	bl->lost_logged = true;
	for (u = bl->users; u; u = u->next)
		if (u->disconnected)
			u->disconnected(u);
	unwatch(&bl->io);
	unwatch(&bl->timer);
	bl->deadline = UINT64_MAX;
	bl->bus = sd_bus_close_unref(bl->bus);
	schedule_retry(bl);
}

int busloop_attach(struct busloop_user *u, bool user_bus)
{
	struct busloop *bl = loops[user_bus];
	int r;

	if (!bl) {
		bl = calloc(1, sizeof(*bl));
		if (!bl)
			return -ENOMEM;
		bl->user_bus = user_bus;
		bl->backoff = RETRY_MIN;
		bl->deadline = UINT64_MAX;
		loops[user_bus] = bl;
	}
	u->bl = bl;
	u->next = bl->users;
	bl->users = u;
	if (bl->bus) {
		u->connected(u, bl->bus);
		busloop_kick(u);
		return 0;
	}
	if (bl->retry)
		return 0; /* reconnecting: `connected` runs once it is up */
	r = connect_bus(bl);
	if (r < 0) {
		mgmt_host->log(NULL, MGMT_LOG_ERROR,
			       "%s: cannot connect: %s; retrying", bus_name(bl),
			       strerror(-r));
		bl->lost_logged = true;
		schedule_retry(bl);
	}
	return r < 0 ? r : 0;
}

void busloop_detach(struct busloop_user *u)
{
	struct busloop *bl = u->bl;
	struct busloop_user **pp;

	if (!bl)
		return;
	for (pp = &bl->users; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	u->bl = NULL;
	u->next = NULL;
	if (bl->users)
		return;
	unwatch(&bl->io);
	unwatch(&bl->timer);
	unwatch(&bl->retry);
	sd_bus_flush_close_unref(bl->bus);
	loops[bl->user_bus] = NULL;
	free(bl);
}

void busloop_kick(struct busloop_user *u)
{
	if (u->bl && u->bl->bus)
		process(u->bl);
}

int bus_run_until(sd_bus *bus, const bool *done, double timeout)
{
	int stop_fd = MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, stop_fd) ?
			      mgmt_host->stop_fd() :
			      -1;
	uint64_t end = now_usec() + (uint64_t)(timeout * 1e6);

	for (;;) {
		struct pollfd pfd[2];
		uint64_t until, now;
		int r, ev, ms;

		if (*done)
			return 0;
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (*done)
			return 0;
		now = now_usec();
		if (now >= end)
			return -ETIMEDOUT;
		if (sd_bus_get_timeout(bus, &until) < 0 || until > end)
			until = end;
		/* Round up, or the poll would return early and spin. */
		ms = until > now ? (int)((until - now + 999) / 1000) : 0;
		ev = sd_bus_get_events(bus);
		if (ev < 0)
			return ev;
		pfd[0] = (struct pollfd){ .fd = sd_bus_get_fd(bus),
					  .events = (short)ev };
		pfd[1] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		if (poll(pfd, 2, ms) < 0 && errno != EINTR)
			return -errno;
		if (pfd[1].revents & POLLIN)
			return -ECANCELED;
	}
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * host.c - the services table plugins call (mgmt/host.h).
 *
 * Every service checks the handle it is given (magic numbers), because a
 * plugin's mistake must become one log line, not a crash of the engine.
 * Watches are libev watchers on the default loop, wrapped so that the
 * engine can remove all of a resource's watches when it is cleaned up.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "util/log.h"
#include "run/host.h"
#include "run/internal.h"
#include "run/kvhost.h"

#define WATCH_MAGIC 0x6d677774u    /* "mgwt" */
#define WATCH_RELEASED 0x6d677772u /* "mgwr": the engine removed it */

enum watch_type {
	W_FD,
	W_TIMER,
	W_CHILD,
	W_SIGNAL,
	W_KV
};

struct mgmt_watch {
	uint32_t magic;
	enum watch_type type;
	struct mgmt_res *res;
	struct mgmt_watch *next, **pprev;
	void *cb;
	void *data;
	union {
		ev_io io;
		ev_timer timer;
		ev_child child;
		ev_signal sig;
		struct kvwatch *kv; /* kvhost.c */
	} ev;
};

static struct mgmt_watch *kind_watches; /* registered with res == NULL */
/* Watches the engine removed before their resource's cleanup: stopped, not
 * freed until cleanup returned, so that a plugin unwatching them there
 * (which is allowed) touches live memory.  Loop thread. */
static struct mgmt_watch *released;
/* Watches registered and not stopped, for the metrics (any thread). */
static atomic_size_t live_watches;
static char *hostname_;
static char *prefix_;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

static bool res_ok(const mgmt_res *res, const char *what)
{
	if (res && res->magic == RES_MAGIC)
		return true;
	log_error("a plugin passed an invalid resource handle to %s", what);
	return false;
}

/* The services that touch the loop (watches, flags, validate's reports)
 * are the loop thread's.  Called from check_apply on a worker they would
 * race with it: refused, with one line naming the plugin and resource.
 * (`res` has been checked, or is NULL.) */
static _Thread_local bool off_loop; /* host_off_loop_thread */

void host_off_loop_thread(void)
{
	off_loop = true;
}

bool host_is_off_loop(void)
{
	return off_loop;
}

static bool on_loop(const mgmt_res *res, const char *what)
{
	if (!off_loop)
		return true;
	if (res)
		log_msg(MGMT_LOG_ERROR, res->kind->k.name, res->name,
			"plugin %s called %s from a worker thread (check_apply); "
			"it is for the loop thread only (watch hooks and "
			"callbacks): refused",
			res->kind->plugin->desc.name, what);
	else
		log_error("a plugin called %s from a worker thread "
			  "(check_apply); it is for the loop thread only: "
			  "refused",
			  what);
	errno = EPERM;
	return false;
}

/* A plugin's line: a handle that is not a resource's logs as the plugin's
 * own, a level out of range is clamped. */
static void vlog_at(const struct log_at *at, const mgmt_res *res, int level,
		    const char *fmt, va_list ap)
{
	if (res && res->magic != RES_MAGIC)
		res = NULL;
	if (level < MGMT_LOG_ERROR)
		level = MGMT_LOG_ERROR;
	if (level > MGMT_LOG_DEBUG)
		level = MGMT_LOG_DEBUG;
	if (level == MGMT_LOG_ERROR && res) {
		va_list copy;

		va_copy(copy, ap);
		stats_error_v(res, fmt, copy); /* status shows the last */
		va_end(copy);
	}
	log_vmsg(at, level, res ? res->kind->k.name : NULL,
		 res ? res->name : NULL, fmt, ap);
}

static void h_vlog(const mgmt_res *res, int level, const char *fmt, va_list ap)
{
	vlog_at(NULL, res, level, fmt, ap);
}

static void h_log_at(const mgmt_res *res, int level, const char *file, int line,
		     const char *func, const char *fmt, ...)
{
	struct log_at at = { file, line, func };
	va_list ap;

	va_start(ap, fmt);
	vlog_at(file ? &at : NULL, res, level, fmt, ap);
	va_end(ap);
}

static void h_log(const mgmt_res *res, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	h_vlog(res, level, fmt, ap);
	va_end(ap);
}

/* Set by plugin-check, which runs hooks without a scheduler; read on any
 * thread. */
static _Atomic(host_dirty_fn) dirty_hook;

void host_set_dirty_hook(host_dirty_fn fn)
{
	atomic_store(&dirty_hook, fn);
}

static void h_dirty(mgmt_res *res)
{
	host_dirty_fn hook = atomic_load(&dirty_hook);

	if (!res_ok(res, "dirty"))
		return;
	if (hook)
		hook(res);
	else
		sched_dirty(res);
}

static struct mgmt_watch *watch_new(mgmt_res *res, enum watch_type type,
				    void *cb, void *data)
{
	struct mgmt_watch *w;
	struct mgmt_watch **head;

	if ((res && !res_ok(res, "watch")) || !on_loop(res, "a watch_*"))
		return NULL;
	if (!cb || (res && !res->run)) { /* no resource outside a run */
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->magic = WATCH_MAGIC;
	w->type = type;
	w->res = res;
	w->cb = cb;
	w->data = data;
	head = res ? &res->run->watches : &kind_watches;
	w->next = *head;
	if (w->next)
		w->next->pprev = &w->next;
	w->pprev = head;
	*head = w;
	atomic_fetch_add_explicit(&live_watches, 1, memory_order_relaxed);
	return w;
}

static void on_io(struct ev_loop *loop, ev_io *io, int revents)
{
	struct mgmt_watch *w = io->data;
	unsigned ev = ((revents & EV_READ) ? MGMT_WATCH_READ : 0) |
		      ((revents & EV_WRITE) ? MGMT_WATCH_WRITE : 0);

	((mgmt_fd_cb)w->cb)(w->res, io->fd, ev, w->data);
}

static void on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct mgmt_watch *w = t->data;

	((mgmt_timer_cb)w->cb)(w->res, w->data);
}

static void on_child(struct ev_loop *loop, ev_child *c, int revents)
{
	struct mgmt_watch *w = c->data;

	ev_child_stop(loop, c); /* the child is gone: one call only */
	((mgmt_child_cb)w->cb)(w->res, c->rpid, c->rstatus, w->data);
}

static void on_sig(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct mgmt_watch *w = s->data;

	((mgmt_signal_cb)w->cb)(w->res, s->signum, w->data);
}

static mgmt_watch *h_watch_fd(mgmt_res *res, int fd, unsigned events,
			      mgmt_fd_cb cb, void *data)
{
	struct mgmt_watch *w;
	int ev = ((events & MGMT_WATCH_READ) ? EV_READ : 0) |
		 ((events & MGMT_WATCH_WRITE) ? EV_WRITE : 0);

	if (fd < 0 || !ev) {
		errno = EINVAL;
		return NULL;
	}
	w = watch_new(res, W_FD, (void *)cb, data);
	if (!w)
		return NULL;
	ev_io_init(&w->ev.io, on_io, fd, ev);
	w->ev.io.data = w;
	ev_io_start(EV_DEFAULT, &w->ev.io);
	return w;
}

static mgmt_watch *h_watch_timer(mgmt_res *res, double after, double repeat,
				 mgmt_timer_cb cb, void *data)
{
	struct mgmt_watch *w;

	if (after < 0 || repeat < 0) {
		errno = EINVAL;
		return NULL;
	}
	w = watch_new(res, W_TIMER, (void *)cb, data);
	if (!w)
		return NULL;
	ev_timer_init(&w->ev.timer, on_timer, after, repeat);
	w->ev.timer.data = w;
	ev_timer_start(EV_DEFAULT, &w->ev.timer);
	return w;
}

static mgmt_watch *h_watch_child(mgmt_res *res, pid_t pid, mgmt_child_cb cb,
				 void *data)
{
	struct mgmt_watch *w;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	w = watch_new(res, W_CHILD, (void *)cb, data);
	if (!w)
		return NULL;
	ev_child_init(&w->ev.child, on_child, pid, 0);
	w->ev.child.data = w;
	ev_child_start(EV_DEFAULT, &w->ev.child);
	return w;
}

static mgmt_watch *h_watch_signal(mgmt_res *res, int signum, mgmt_signal_cb cb,
				  void *data)
{
	struct mgmt_watch *w;

	if (signum <= 0 || signum >= NSIG || signum == SIGINT ||
	    signum == SIGTERM || signum == SIGHUP || signum == SIGCHLD) {
		errno = EINVAL;
		return NULL;
	}
	w = watch_new(res, W_SIGNAL, (void *)cb, data);
	if (!w)
		return NULL;
	ev_signal_init(&w->ev.sig, on_sig, signum);
	w->ev.sig.data = w;
	ev_signal_start(EV_DEFAULT, &w->ev.sig);
	return w;
}

static void watch_stop(struct mgmt_watch *w);

static void watch_free(struct mgmt_watch *w)
{
	watch_stop(w);
	w->magic = 0;
	free(w);
}

static mgmt_watch *h_watch_kv(mgmt_res *res, const char *key, unsigned flags,
			      mgmt_kv_cb cb, void *data)
{
	struct mgmt_watch *w = watch_new(res, W_KV, (void *)cb, data);
	int err;

	if (!w)
		return NULL;
	w->ev.kv = kvhost_add(res, key, flags, cb, data);
	if (!w->ev.kv) {
		err = errno;
		watch_free(w);
		errno = err;
		return NULL;
	}
	return w;
}

/* Stop `w` and take it off its list. */
static void watch_stop(struct mgmt_watch *w)
{
	struct ev_loop *loop = EV_DEFAULT;

	switch (w->type) {
	case W_FD:
		ev_io_stop(loop, &w->ev.io);
		break;
	case W_TIMER:
		ev_timer_stop(loop, &w->ev.timer);
		break;
	case W_CHILD:
		ev_child_stop(loop, &w->ev.child);
		break;
	case W_SIGNAL:
		ev_signal_stop(loop, &w->ev.sig);
		break;
	case W_KV:
		kvhost_stop(w->ev.kv);
		w->ev.kv = NULL;
		break;
	}
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	w->next = NULL;
	w->pprev = NULL;
	atomic_fetch_sub_explicit(&live_watches, 1, memory_order_relaxed);
}

size_t host_watches_in_use(void)
{
	return atomic_load_explicit(&live_watches, memory_order_relaxed);
}

static void h_unwatch(mgmt_watch *w)
{
	if (!w)
		return;
	if (w->magic == WATCH_RELEASED)
		return; /* removed with its resource; freed after cleanup */
	if (w->magic != WATCH_MAGIC) {
		log_error("a plugin passed an invalid watch handle to unwatch "
			  "(one it had unwatched already?)");
		return;
	}
	if (!on_loop(w->res, "unwatch"))
		return;
	watch_free(w);
}

void host_release_watches(struct mgmt_res *res)
{
	struct mgmt_watch **head = &kind_watches;

	if (res && !res->run)
		return; /* never in a run: nothing registered */
	if (res)
		head = &res->run->watches;
	while (*head) {
		struct mgmt_watch *w = *head;

		watch_stop(w);
		w->magic = WATCH_RELEASED;
		w->next = released;
		released = w;
	}
}

size_t host_count_watches(const struct mgmt_res *res)
{
	const struct mgmt_watch *w = kind_watches;
	size_t n = 0;

	if (res)
		w = res->run ? res->run->watches : NULL;
	for (; w; w = w->next)
		n++;
	return n;
}

void host_free_released(void)
{
	while (released) {
		struct mgmt_watch *w = released;

		released = w->next;
		w->magic = 0;
		free(w);
	}
}

static const char *h_name(const mgmt_res *res)
{
	return res_ok(res, "name") ? res->name : "";
}

static const char *h_kind(const mgmt_res *res)
{
	return res_ok(res, "kind") ? res->kind->k.name : "";
}

static void *h_params(const mgmt_res *res)
{
	return res_ok(res, "params") ? res->params : NULL;
}

static void h_set_flags(mgmt_res *res, unsigned flags)
{
	if (res_ok(res, "set_flags") && on_loop(res, "set_flags"))
		res->flags |= flags & MGMT_RES_RUN_WHEN_REACHED;
}

static void h_invalid(mgmt_res *res, const char *param, const char *fmt, ...)
{
	va_list ap;

	if (!res_ok(res, "invalid") || !on_loop(res, "invalid"))
		return;
	va_start(ap, fmt);
	res_invalid_v(res, param, fmt, ap);
	va_end(ap);
}

static size_t h_group_members(const mgmt_res *res, mgmt_res *const **members)
{
	if (!res_ok(res, "group_members")) {
		*members = NULL;
		return 0;
	}
	return sched_group_members(res, members);
}

static bool h_refreshed(const mgmt_res *res)
{
	return res_ok(res, "refreshed") && res->run && res->run->job_refresh;
}

static bool h_member_dirty(const mgmt_res *res)
{
	return res_ok(res, "member_dirty") && res->run && res->run->job_dirty;
}

static void h_member_result(mgmt_res *res, int result)
{
	if (res_ok(res, "member_result") &&
	    sched_member_result(res, result) < 0)
		log_msg(MGMT_LOG_ERROR, res->kind->k.name, res->name,
			"plugin %s reported a member result outside a "
			"check_apply of its group; ignored (host->member_result "
			"is for the check_apply that runs the group, about its "
			"members)",
			res->kind->plugin->desc.name);
}

/* Each kind's state directory (under the --prefix of the time), made once
 * and kept until host_fini, so that the string state_dir returns is
 * stable (host.h). */
struct state_dir {
	struct state_dir *next;
	char path[];
};
static struct state_dir *state_dirs;

/* mkdir -p `path` with 0700: plugin state is the engine's alone. */
static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static const char *h_state_dir(const mgmt_res *res)
{
	struct state_dir *d;
	char path[PATH_MAX];
	int n;

	if (!res_ok(res, "state_dir"))
		return NULL;
	n = snprintf(path, sizeof(path), "%s/state/%s",
		     prefix_ ? prefix_ : "/var/lib/mgmt-engine",
		     res->kind->k.name);
	pthread_mutex_lock(&state_lock);
	for (d = state_dirs; d && strcmp(d->path, path) != 0; d = d->next)
		;
	if (d) {
		pthread_mutex_unlock(&state_lock);
		return d->path;
	}
	if (n < 0 || (size_t)n >= sizeof(path) || mkdirs(path) < 0) {
		int err = n < 0 || (size_t)n >= sizeof(path) ? ENAMETOOLONG :
							       errno;

		pthread_mutex_unlock(&state_lock);
		h_log(res, MGMT_LOG_ERROR, "cannot create state dir %s: %s",
		      path, strerror(err));
		return NULL;
	}
	d = malloc(sizeof(*d) + (size_t)n + 1);
	if (d) {
		memcpy(d->path, path, (size_t)n + 1);
		d->next = state_dirs;
		state_dirs = d;
	}
	pthread_mutex_unlock(&state_lock);
	return d ? d->path : NULL;
}

static const char *h_hostname(void)
{
	return hostname_ ? hostname_ : "localhost";
}

static double h_now(void)
{
	return sched_clock();
}

static const struct mgmt_host table = {
	.abi_major = MGMT_ABI_MAJOR,
	.abi_minor = MGMT_ABI_MINOR,
	.size = sizeof(struct mgmt_host),
	.log = h_log,
	.vlog = h_vlog,
	.dirty = h_dirty,
	.watch_fd = h_watch_fd,
	.watch_timer = h_watch_timer,
	.watch_child = h_watch_child,
	.watch_signal = h_watch_signal,
	.unwatch = h_unwatch,
	.name = h_name,
	.kind = h_kind,
	.params = h_params,
	.set_flags = h_set_flags,
	.invalid = h_invalid,
	.group_members = h_group_members,
	.refreshed = h_refreshed,
	.state_dir = h_state_dir,
	.hostname = h_hostname,
	.now = h_now,
	.member_dirty = h_member_dirty,
	.stop_fd = sched_stop_fd,
	.abort_fd = sched_abort_fd,
	.log_at = h_log_at,
	.member_result = h_member_result,
	.watch_kv = h_watch_kv,
	.kv_get = host_kv_get,
	.kv_put = host_kv_put,
};

const struct mgmt_host *host_table(void)
{
	return &table;
}

static int set_str(char **dst, const char *src)
{
	char *c = strdup(src);

	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

int host_set_hostname(const char *name)
{
	return set_str(&hostname_, name);
}

int host_set_prefix(const char *dir)
{
	return set_str(&prefix_, dir);
}

void host_fini(void)
{
	host_release_watches(NULL);
	host_free_released();
	while (state_dirs) {
		struct state_dir *d = state_dirs;

		state_dirs = d->next;
		free(d);
	}
	free(hostname_);
	free(prefix_);
	hostname_ = prefix_ = NULL;
}

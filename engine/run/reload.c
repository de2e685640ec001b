/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reload.c - graph changeover (DESIGN.md section 3).
 *
 * The graph file is watched through inotify on its directory, so a save by
 * rename-over (vim, sed -i) is seen like an in-place write; SIGHUP asks for
 * a reload too.  Events are debounced briefly, then the scheduler stops
 * starting new runs and, once nothing runs, the file is compiled aside.  If
 * it does not compile, every error is logged (file:line:col) and the
 * running graph stays.  If it does, it is swapped in: a resource whose kind,
 * name and parameters are unchanged (res_equal) is carried over as it is,
 * with its watches and plugin state, and runs again only if it had not
 * settled; removed and changed resources are cleaned up (their managed
 * state left as it is, as in mgmt); new and changed ones start and run in
 * dependency order with the new edges.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "config/yaml.h"
#include "log.h"
#include "run/sched-int.h"

#define RELOAD_DEBOUNCE 0.02 /* s: an editor's write, rename and chmod */

static void want(struct sched *s)
{
	ev_timer_stop(s->loop, &s->reload_timer);
	ev_timer_set(&s->reload_timer, RELOAD_DEBOUNCE, 0.);
	ev_timer_start(s->loop, &s->reload_timer);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sched *s = w->data;

	s->reload_wanted = true;
	/* What runs long (a command) is cut short, as at shutdown, so the
	 * swap need not wait for it; it runs again in the new graph. */
	if (s->inflight && s->stop_fd >= 0 && eventfd_write(s->stop_fd, 1) < 0)
		log_warn("reload: cannot ask running resources to stop: %s",
			 strerror(errno));
	sched_kick(s);
}

void reload_request(struct sched *s)
{
	want(s);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("SIGHUP: reloading %s", ((struct sched *)w->data)->o.yaml);
	want(w->data);
}

static void on_inotify(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sched *s = w->data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			if ((ev->mask & IN_Q_OVERFLOW) ||
			    (ev->len && strcmp(ev->name, s->yaml_base) == 0))
				want(s);
			p += sizeof(*ev) + ev->len;
		}
	}
}

void reload_watch_start(struct sched *s)
{
	char dirbuf[PATH_MAX], basebuf[PATH_MAX];
	int fd;

	ev_timer_init(&s->reload_timer, on_timer, RELOAD_DEBOUNCE, 0.);
	s->reload_timer.data = s;
	ev_signal_init(&s->sighup, on_hup, SIGHUP);
	s->sighup.data = s;
	ev_signal_start(s->loop, &s->sighup);

	snprintf(dirbuf, sizeof(dirbuf), "%s", s->o.yaml);
	snprintf(basebuf, sizeof(basebuf), "%s", s->o.yaml);
	s->yaml_base = strdup(basename(basebuf));
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (!s->yaml_base || fd < 0 ||
	    inotify_add_watch(fd, dirname(dirbuf),
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
				      IN_ATTRIB) < 0) {
		log_warn("cannot watch %s for changes (%s): reload on SIGHUP "
			 "only", s->o.yaml, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	ev_io_init(&s->yaml_io, on_inotify, fd, EV_READ);
	s->yaml_io.data = s;
	ev_io_start(s->loop, &s->yaml_io);
}

void reload_watch_stop(struct sched *s)
{
	if (!s->o.yaml)
		return;
	ev_signal_stop(s->loop, &s->sighup);
	ev_timer_stop(s->loop, &s->reload_timer);
	if (ev_is_active(&s->yaml_io)) {
		ev_io_stop(s->loop, &s->yaml_io);
		close(s->yaml_io.fd);
	}
	free((char *)s->yaml_base);
	s->yaml_base = NULL;
}

/* "kind\037name": resources are the same one across graphs when both are
 * equal. */
static char *res_key(const struct mgmt_res *r, size_t *len)
{
	size_t kl = strlen(r->kind->k.name), nl = strlen(r->name);
	char *k = malloc(kl + nl + 2);

	if (!k)
		return NULL;
	memcpy(k, r->kind->k.name, kl);
	k[kl] = '\037';
	memcpy(k + kl + 1, r->name, nl + 1);
	*len = kl + 1 + nl;
	return k;
}

/* Positions of a carried-over resource name the new graph's file string:
 * the old one is freed with the old graph. */
static void repoint(struct mgmt_res *r, const char *file)
{
	r->pos.file = file;
	for (size_t i = 0; r->param_pos && i < r->kind->nparams; i++)
		r->param_pos[i].file = file;
}

/* Carry over the unchanged resources of `old` into `new` (their slots in
 * `old` become NULL); stop what `old` still holds afterwards. */
static int carry_over(struct graph_cfg *old, struct graph_cfg *new,
		      unsigned n[4])
{
	struct shash idx = { 0 };
	char **keys = calloc(old->nres ? old->nres : 1, sizeof(*keys));
	int rc = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < old->nres && rc == 0; i++) {
		size_t len;
		bool found;
		void **slot;

		if (!old->res[i])
			continue;
		keys[i] = res_key(old->res[i], &len);
		slot = keys[i] ? shash_slot(&idx, keys[i], len, &found) : NULL;
		if (!slot)
			rc = -ENOMEM;
		else
			*slot = (void *)(uintptr_t)(i + 1);
	}
	for (size_t i = 0; i < new->nres && rc == 0; i++) {
		struct mgmt_res *nr = new->res[i], *o;
		size_t len, j;
		char *key = res_key(nr, &len);
		void *v = key ? shash_get(&idx, key, len) : NULL;

		free(key);
		if (!key) {
			rc = -ENOMEM;
			break;
		}
		if (!v) {
			n[0]++; /* new */
			continue;
		}
		j = (uintptr_t)v - 1;
		o = old->res[j];
		if (!o || !res_equal(o, nr)) {
			n[1]++; /* changed */
			continue;
		}
		repoint(o, new->file);
		new->res[i] = o;
		old->res[j] = NULL;
		res_free(nr);
		n[3]++; /* kept */
	}
	if (rc == 0) {
		/* Whatever is left was removed or replaced by a changed one. */
		for (size_t i = old->nres; i-- > 0;)
			if (old->res[i]) {
				sched_stop_resource(old->res[i]);
				n[2]++;
			}
		n[2] -= n[1]; /* a changed one is not also removed */
	}
	shash_free(&idx);
	for (size_t i = 0; i < old->nres; i++)
		free(keys[i]);
	free(keys);
	return rc;
}

/* The running graph stays: what a cut-short run left dirty is queued
 * again. */
static void keep_running(struct sched *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].state == V_DIRTY && s->v[i].nblock == 0)
			sched_enqueue(s, &s->v[i]);
}

void reload_if_wanted(struct sched *s)
{
	struct graph_cfg *ncfg = NULL, *old = s->cfg;
	struct diag d = { 0 };
	unsigned n[4] = { 0 }; /* new, changed, removed, kept */

	s->reload_wanted = false;
	/* Nothing runs now: clear the stop request for the runs to come. */
	if (s->stop_fd >= 0) {
		eventfd_t cleared;

		(void)eventfd_read(s->stop_fd, &cleared);
	}
	if (config_load_file(s->o.yaml, s->o.registry, &ncfg, &d) < 0) {
		for (size_t i = 0; i < d.n; i++)
			log_error("%s", d.msgs[i]);
		log_error("reload: %s: %zu error%s; the running graph stays",
			  s->o.yaml, d.n, d.n == 1 ? "" : "s");
		diag_free(&d);
		keep_running(s);
		return;
	}
	diag_free(&d);
	if (s->o.prepare && s->o.prepare(s->o.hook_ctx, ncfg) < 0) {
		log_error("reload: %s: the running graph stays", s->o.yaml);
		graph_cfg_free(ncfg);
		keep_running(s);
		return;
	}
	if (carry_over(old, ncfg, n) < 0) {
		log_error("reload: out of memory; the running graph stays");
		graph_cfg_free(ncfg);
		keep_running(s);
		return;
	}
	sched_graph_teardown(s);
	if (old != s->first_cfg)
		graph_cfg_free(old);
	if (sched_graph_setup(s, ncfg) < 0) {
		log_error("reload: cannot set up the new graph; stopping");
		s->stopping = true;
		return;
	}
	log_info("reload: %s: %zu resources (%u new, %u changed, %u removed, "
		 "%u kept)",
		 s->o.yaml, ncfg->nres, n[0], n[1], n[2], n[3]);
}

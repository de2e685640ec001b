/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reload.c - graph changeover (doc/reload.md).
 *
 * The graph file is watched through inotify on its directory, so a save by
 * rename-over (vim, sed -i) is seen like an in-place write; a graph
 * directory is watched itself, for any of its parts written, added or
 * removed.  SIGHUP asks for a reload too.  Events are debounced briefly, then the file is compiled
 * aside, without waiting for what runs.  If it does not compile, every
 * error is logged (file:line:col) and the running graph stays; if nothing
 * changed, nothing happens.  Else it is swapped in at once.  A resource
 * whose kind, name and parameters are unchanged (res_equal) is carried over
 * as it is: the same struct mgmt_res, which is its plugin's handle, with
 * its run state (struct res_run), its watches and what the plugin keeps of
 * it; a run of it goes on, and it runs again only if it had not settled.
 * A removed or changed resource that does not run is cleaned up now (its
 * managed state left as it is, as in mgmt); one that runs gets its stop
 * signal and is cleaned up when its run ends, and what replaces it waits
 * for that.  New and changed resources start and run in dependency order
 * with the new edges.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/shash.h"
#include "run/internal.h"

#define RELOAD_DEBOUNCE 0.02 /* s: an editor's write, rename and chmod */

static void want(struct sched *s)
{
	ev_timer_stop(s->loop, &s->reload_timer);
	ev_timer_set(&s->reload_timer, RELOAD_DEBOUNCE, 0.);
	ev_timer_start(s->loop, &s->reload_timer);
}

static bool reload_now(struct sched *s, char *why, size_t len, char *first,
		       size_t flen);

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sched *s = w->data;
	char why[96], first[512] = "";

	if (!s->stopping) {
		bool taken;

		notify_reloading(s);
		taken = reload_now(s, why, sizeof(why), first, sizeof(first));
		notify_reloaded(s, taken ? NULL : why);
		stats_reload(taken);
		calls_reloaded(taken ? NULL : first[0] ? first : why);
	}
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
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			if ((ev->mask & IN_Q_OVERFLOW) ||
			    (ev->len &&
			     (s->yaml_base ? !strcmp(ev->name, s->yaml_base) :
					     config_is_part(ev->name))))
				want(s);
			p += sizeof(*ev) + ev->len;
		}
	}
}

void reload_watch_start(struct sched *s)
{
	char dirbuf[PATH_MAX], basebuf[PATH_MAX];
	uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB;
	const char *dir;
	struct stat st;
	int fd;

	ev_timer_init(&s->reload_timer, on_timer, RELOAD_DEBOUNCE, 0.);
	s->reload_timer.data = s;
	ev_signal_init(&s->sighup, on_hup, SIGHUP);
	s->sighup.data = s;
	ev_signal_start(s->loop, &s->sighup);
	/* `run` blocked it until now (cli.c); one that came meanwhile is
	 * delivered here, to libev's handler (the loop uses no signalfd). */
	sigset_t hup;

	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &hup, NULL);

	if (stat(s->o.yaml, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* A graph directory: any of its parts written, added or
		 * taken away (yaml_base stays NULL). */
		dir = s->o.yaml;
		mask |= IN_DELETE | IN_MOVED_FROM;
	} else {
		snprintf(dirbuf, sizeof(dirbuf), "%s", s->o.yaml);
		snprintf(basebuf, sizeof(basebuf), "%s", s->o.yaml);
		s->yaml_base = strdup(basename(basebuf));
		dir = s->yaml_base ? dirname(dirbuf) : NULL;
	}
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (!dir || fd < 0 || inotify_add_watch(fd, dir, mask) < 0) {
		log_warn("cannot watch %s for changes (%s): reload on SIGHUP "
			 "only",
			 s->o.yaml, strerror(errno));
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

/* A carried-over resource `o` is where the new graph has its namesake
 * `nr` (another line, or another file of a directory): it takes nr's
 * positions, which name the new graph's files (the old graph's are freed
 * with it), and nr, freed next, takes o's. */
static void take_positions(struct mgmt_res *o, struct mgmt_res *nr)
{
	struct pos pos = o->pos, *param_pos = o->param_pos;

	o->pos = nr->pos;
	o->param_pos = nr->param_pos;
	nr->pos = pos;
	nr->param_pos = param_pos;
}

/* Index the resources of `g` by key ("kind\037name" -> index + 1). */
static int index_res(const struct graph_cfg *g, struct shash *idx, char **keys)
{
	for (size_t i = 0; i < g->nres; i++) {
		size_t len;
		bool found;
		void **slot;

		if (!g->res[i])
			continue;
		keys[i] = res_key(g->res[i], &len);
		slot = keys[i] ? shash_slot(idx, keys[i], len, &found) : NULL;
		if (!slot)
			return -ENOMEM;
		*slot = (void *)(uintptr_t)(i + 1);
	}
	return 0;
}

/* What became of each resource: match[i] is the index + 1 in `old` of new
 * resource i's namesake, or 0; kept[i] whether it is unchanged. */
struct changes {
	size_t *match;
	bool *kept;
	unsigned n[4]; /* new, changed, removed, kept */
};

static int diff(const struct graph_cfg *old, const struct graph_cfg *new,
		struct changes *c)
{
	struct shash idx = { 0 };
	char **keys = calloc(old->nres ? old->nres : 1, sizeof(*keys));
	int rc;

	c->match = calloc(new->nres ? new->nres : 1, sizeof(*c->match));
	c->kept = calloc(new->nres ? new->nres : 1, sizeof(*c->kept));
	rc = keys && c->match && c->kept ? index_res(old, &idx, keys) : -ENOMEM;
	for (size_t i = 0; i < new->nres &&rc == 0; i++) {
		size_t len;
		char *key = res_key(new->res[i], &len);
		void *v = key ? shash_get(&idx, key, len) : NULL;

		free(key);
		if (!key) {
			rc = -ENOMEM;
			break;
		}
		c->match[i] = (uintptr_t)v;
		if (!v)
			c->n[0]++;
		else if (!res_equal(old->res[(uintptr_t)v - 1], new->res[i]))
			c->n[1]++;
		else
			c->kept[i] = true, c->n[3]++;
	}
	c->n[2] = (unsigned)(old->nres - c->n[1] - c->n[3]);
	shash_free(&idx);
	for (size_t i = 0; keys && i < old->nres; i++)
		free(keys[i]);
	free(keys);
	return rc;
}

/* An edge as (from, to, notify) in `old`'s numbering. */
static int edge_cmp(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	for (int i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* Does `new`, with every resource kept, have the edges of `old`? */
static bool same_edges(const struct graph_cfg *old, const struct graph_cfg *new,
		       const struct changes *c)
{
	size_t n = old->nedges, *a, *b;
	bool same;

	if (new->nedges != n)
		return false;
	if (n == 0)
		return true;
	a = calloc(3 * n, sizeof(*a));
	b = calloc(3 * n, sizeof(*b));
	same = a && b;
	for (size_t i = 0; same && i < n; i++) {
		a[3 * i] = old->edges[i].from;
		a[3 * i + 1] = old->edges[i].to;
		a[3 * i + 2] = old->edges[i].notify;
		b[3 * i] = c->match[new->edges[i].from] - 1;
		b[3 * i + 1] = c->match[new->edges[i].to] - 1;
		b[3 * i + 2] = new->edges[i].notify;
	}
	if (same) {
		qsort(a, n, 3 * sizeof(*a), edge_cmp);
		qsort(b, n, 3 * sizeof(*b), edge_cmp);
		same = memcmp(a, b, 3 * n * sizeof(*a)) == 0;
	}
	free(a);
	free(b);
	return same;
}

/* Carry the unchanged resources of `old` over into `new` (their slots in
 * `old` become NULL) and stop what `old` still holds.  One that runs is
 * taken out of `old` too: its run is stopped (a job that had not started is
 * put on `dropped`) and it is cleaned up when the run ends, and its
 * replacement, if any, waits for that. */
/* A resource that an earlier reload removed while it ran still runs: a new
 * one of its kind and name (it was put back) waits for that run, as a
 * changed one does.  Rarely any, so nothing is built when there is none. */
static void wait_for_removed(struct sched *s, struct graph_cfg *new,
			     const struct changes *c)
{
	struct shash idx = { 0 };
	size_t n = 0, nkeys = 0;
	char **keys;

	for (struct run_job *j = s->jobs; j; j = j->next)
		for (uint32_t k = 0; k < j->n; k++)
			n += j->members[k]->run->doomed &&
			     !j->members[k]->run->heir;
	if (n == 0 || !(keys = calloc(n, sizeof(*keys))))
		return;
	for (struct run_job *j = s->jobs; j; j = j->next)
		for (uint32_t k = 0; k < j->n; k++) {
			struct mgmt_res *d = j->members[k];
			size_t len;
			bool found;
			void **slot;

			if (!d->run->doomed || d->run->heir)
				continue;
			keys[nkeys] = res_key(d, &len);
			slot = keys[nkeys] ? shash_slot(&idx, keys[nkeys], len,
							&found) :
					     NULL;
			nkeys++;
			if (slot)
				*slot = d;
		}
	for (size_t i = 0; i < new->nres; i++) {
		struct mgmt_res *nr = new->res[i], *d;
		size_t len;
		char *key;

		if (c->match[i])
			continue;
		key = res_key(nr, &len);
		d = key ? shash_get(&idx, key, len) : NULL;
		free(key);
		if (d && !d->run->heir) {
			d->run->heir = nr;
			nr->run->ancestor = d;
		}
	}
	shash_free(&idx);
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
}

static void carry_over(struct sched *s, struct graph_cfg *old,
		       struct graph_cfg *new, const struct changes *c,
		       struct run_job **dropped)
{
	wait_for_removed(s, new, c);
	for (size_t i = 0; i < new->nres; i++) {
		struct mgmt_res *nr = new->res[i], *o;
		struct res_run * or ;

		if (!c->match[i])
			continue;
		o = old->res[c->match[i] - 1];
		or = o->run;
		if (c->kept[i]) {
			/* The same resource, with its run state, its watches
			 * and what its plugin keeps of it. */
			old->res[c->match[i] - 1] = NULL;
			take_positions(o, nr);
			new->res[i] = o;
			res_free(nr);
		} else if (or->job) {
			or->heir = nr;
			nr->run->ancestor = o;
		} else if (or->ancestor) {
			/* o waited for a run of its own ancestor: nr does */
			nr->run->ancestor = or->ancestor;
			or->ancestor->run->heir = nr;
			or->ancestor = NULL;
		}
	}
	/* Whatever is left was removed or replaced by a changed one. */
	for (size_t i = old->nres; i-- > 0;) {
		struct mgmt_res *o = old->res[i];

		if (!o)
			continue;
		calls_gone(o);
		if (o->run->job) {
			o->run->doomed = true;
			o->run->vertex = NULL;
			o->pos.file = NULL; /* the old graph's, freed */
			old->res[i] = NULL;
		} else if (o->run->ancestor) {
			/* removed before it started */
			o->run->ancestor->run->heir = NULL;
			o->run->ancestor = NULL;
		} else {
			sched_stop_resource(s, o);
		}
	}
	for (struct run_job *j = s->jobs; j; j = j->next)
		for (uint32_t k = 0; k < j->n; k++)
			if (j->members[k]->run->doomed) {
				struct run_job *d = sched_job_stop(s, j);

				if (d) {
					d->job.next = (struct job *)*dropped;
					*dropped = d;
				}
				break;
			}
}

/* Give the new and changed resources of `new` their run state now: a
 * changed one is linked to what it replaces before the graph is set up.
 * (A kept one is replaced by the running resource itself.) */
static int adopt(struct graph_cfg *new, const struct changes *c)
{
	for (size_t i = 0; i < new->nres; i++)
		if (!c->kept[i] && sched_res_run(new->res[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* Compile the graph again and swap it in.  False when it was refused (the
 * running graph stays), with a few words on why in `why`. */
static bool reload_now(struct sched *s, char *why, size_t len, char *first,
		       size_t flen)
{
	struct graph_cfg *ncfg = NULL, *old = s->cfg;
	struct diag d = { 0 };
	struct changes c = { 0 };
	struct run_job *dropped = NULL;
	bool taken = false;

	if (config_load_file(s->o.yaml, s->o.registry, &ncfg, &d) < 0) {
		char sum[64];

		for (size_t i = 0; i < d.n; i++)
			log_error("%s", d.msgs[i]);
		diag_summary(&d, sum, sizeof(sum));
		log_error("reload: %s: %s; the running graph stays", s->o.yaml,
			  sum);
		snprintf(why, len, "%s (see the log)", sum);
		snprintf(first, flen, "%s%s", d.n ? d.msgs[0] : why,
			 d.n > 1 ? " (and more: see the log)" : "");
		diag_free(&d);
		return false;
	}
	diag_free(&d);
	if (s->o.prepare && s->o.prepare(s->o.hook_ctx, ncfg) < 0) {
		log_error("reload: %s: the running graph stays", s->o.yaml);
		snprintf(why, len, "the cluster's resources (see the log)");
		config_graph_free(ncfg);
		return false;
	}
	snprintf(why, len, "out of memory");
	if (diff(old, ncfg, &c) < 0) {
		log_error("reload: out of memory; the running graph stays");
		goto out;
	}
	taken = true;
	if (c.n[0] == 0 && c.n[1] == 0 && c.n[2] == 0 &&
	    same_edges(old, ncfg, &c)) {
		log_info("reload: %s: unchanged (%zu resources)", s->o.yaml,
			 ncfg->nres);
		goto out;
	}
	if (adopt(ncfg, &c) < 0) {
		log_error("reload: out of memory; the running graph stays");
		taken = false;
		goto out;
	}
	carry_over(s, old, ncfg, &c, &dropped);
	sched_graph_teardown(s);
	sched_free_runs(old);
	if (old != s->first_cfg)
		config_graph_free(old);
	if (sched_graph_setup(s, ncfg) < 0) {
		log_error("reload: cannot set up the new graph; stopping");
		s->stopping = true;
	} else {
		log_info("reload: %s: %zu resources (%u new, %u changed, "
			 "%u removed, %u kept)",
			 s->o.yaml, ncfg->nres, c.n[0], c.n[1], c.n[2], c.n[3]);
	}
	ncfg = NULL;
	while (dropped) {
		struct run_job *next = (struct run_job *)dropped->job.next;

		sched_job_done(s, dropped);
		dropped = next;
	}
out:
	sched_free_runs(ncfg);
	config_graph_free(ncfg);
	free(c.match);
	free(c.kept);
	return taken;
}

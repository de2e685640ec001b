/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugin-check.c - `mgmt-engine plugin-check PLUGIN.so --yaml SAMPLE`: what
 * a plugin promises in mgmt/plugin.h, tried on the author's own sample.
 *
 * The plugin is loaded alone (every loader check, none of the installed
 * plugins), the sample compiled as `validate` does, group_cmp tried on every
 * pair of the sample's groupable resources, and then each resource runs
 * alone, in graph order, on this thread (the loop thread) with a thread of
 * its own for check_apply: init, watch (waiting on the default loop for the
 * first host->dirty when it is pending), noop, apply, apply, noop, cleanup;
 * afterwards no fd it opened may be open and no watch of it registered.
 * There is no scheduler: host->dirty comes here (host_set_dirty_hook).
 *
 * What it sees is what the hooks return and what the process holds, never
 * the machine itself: a plugin that reports "converged" without looking
 * passes.  Every hook is bounded by --timeout (probe.c): loop hooks by
 * SIGALRM, whose handler writes the verdict prepared for it and exits;
 * check_apply by a timed wait, after which the process exits without
 * joining its thread.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "check/plugin-check.h"
#include "check/probe.h"
#include "config/config.h"
#include "graph/graph.h"
#include "loader/loader.h"
#include "run/host.h"
#include "run/plan.h"
#include "run/sched.h"
#include "util/log.h"

struct pcheck {
	const struct pcheck_opts *o;
	unsigned nok, nfail;
	bool said_wrong; /* the resource's member_result contradicted a run */
};

static void verdict(struct pcheck *c, bool ok, const char *who, const char *fmt,
		    ...) MGMT_PRINTF(4, 5);
static void verdict(struct pcheck *c, bool ok, const char *who, const char *fmt,
		    ...)
{
	va_list ap;

	printf("%s %s: ", ok ? "ok" : "FAIL", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		c->nok++;
	else
		c->nfail++;
}

static void summary(const struct pcheck *c)
{
	printf("%s %s: %u ok, %u failed\n", c->nfail ? "FAIL" : "PASS",
	       c->o->plugin, c->nok, c->nfail);
	fflush(stdout);
}

/* ---- time limits ---- */

/* Bound the loop hook `hook` of `who` by `secs` seconds: past them, its
 * verdict and the summary are written and the process exits. */
static void arm(const struct pcheck *c, const char *who, const char *hook,
		double secs)
{
	char text[2048];

	fflush(stdout);
	snprintf(text, sizeof(text),
		 "FAIL %s: %s did not return within %g s: hooks on the loop "
		 "thread must never block (doc/threads.md); make it "
		 "asynchronous, or move the waiting to check_apply\n"
		 "FAIL %s: stopped at a hook that hung (%u ok, %u failed "
		 "before it)\n",
		 who, hook, secs, c->o->plugin, c->nok, c->nfail + 1);
	probe_arm(text, secs);
}

static void disarm(void)
{
	probe_disarm();
}

/* ---- host->dirty, without a scheduler ---- */

static _Atomic(struct mgmt_res *) watching;
static atomic_bool got_dirty;

static void on_dirty(struct mgmt_res *res)
{
	if (res == atomic_load(&watching))
		atomic_store(&got_dirty, true);
}

struct ready_wait {
	ev_timer tick;
	double deadline;
};

/* dirty may come from a watch callback or from another thread: look every
 * 20 ms. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ready_wait *rw = w->data;

	(void)revents;
	if (atomic_load(&got_dirty) || ev_now(loop) >= rw->deadline)
		ev_break(loop, EVBREAK_ONE);
}

/* Run the default loop until host->dirty came for the resource being
 * watched, or the timeout.  True if it came. */
static bool wait_ready(const struct pcheck *c, const char *who)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct ready_wait rw;

	ev_now_update(loop);
	rw.deadline = ev_now(loop) + c->o->timeout;
	ev_timer_init(&rw.tick, on_tick, 0.02, 0.02);
	rw.tick.data = &rw;
	ev_timer_start(loop, &rw.tick);
	/* A watch callback that blocks is a loop hook that hangs. */
	arm(c, who, "a watch callback (waiting for the watch to be ready)",
	    c->o->timeout + 1);
	while (!atomic_load(&got_dirty) && ev_now(loop) < rw.deadline)
		ev_run(loop, EVRUN_ONCE);
	disarm();
	ev_timer_stop(loop, &rw.tick);
	return atomic_load(&got_dirty);
}

static const char *result_name(int r)
{
	return r == MGMT_CONVERGED ? "CONVERGED" :
	       r == MGMT_CHANGED   ? "CHANGED" :
				     "an error";
}

/* check_apply(apply) of `res`, bounded by the timeout: if it does not
 * return, the verdict and the summary are written and the process exits,
 * its thread still running (it cannot be stopped safely). */
static int call_check_apply(struct pcheck *c, struct mgmt_res *res,
			    const char *who, bool apply)
{
	int result, said;

	if (probe_check_apply(res, apply, c->o->timeout, &result, &said)) {
		if (said != INT_MIN && result <= MGMT_CHANGED &&
		    (said < 0 ? result >= 0 : result < 0 || said != result) &&
		    !c->said_wrong) {
			c->said_wrong = true;
			verdict(c, false, who,
				"host->member_result said %s of it but "
				"check_apply(apply=%s) returned %s: the return "
				"must sum up the members' results (an error if "
				"one failed, else MGMT_CHANGED if one changed)",
				result_name(said), apply ? "true" : "false",
				result_name(result));
		}
		return result;
	}
	verdict(c, false, who,
		"check_apply(apply=%s) did not return within %g s: a "
		"check_apply that may block for long must poll host->stop_fd "
		"and return an error once it is readable (mgmt/host.h); raise "
		"--timeout if it is only slow",
		apply ? "true" : "false", c->o->timeout);
	summary(c);
	_exit(PCHECK_FAIL);
}

/* ---- the checks ---- */

/* Judge noop, apply, apply, noop. */
static void judge_runs(struct pcheck *c, const char *who, const int r[4])
{
	static const char *const run[4] = { "the first noop", "the apply",
					    "the second apply",
					    "the last noop" };

	for (int i = 0; i < 4; i++) {
		if (r[i] < 0) {
			verdict(c, false, who,
				"check_apply returned %d (an error) on %s "
				"(noop, apply, apply, noop); see the log above: "
				"on a valid sample it must converge",
				r[i], run[i]);
			return;
		}
		if (r[i] > MGMT_CHANGED) {
			verdict(c, false, who,
				"check_apply returned %d on %s: return "
				"MGMT_CONVERGED, MGMT_CHANGED or a negative "
				"error",
				r[i], run[i]);
			return;
		}
	}
	if (r[0] == MGMT_CONVERGED && r[1] == MGMT_CHANGED) {
		verdict(c, false, who,
			"noop said it would change nothing (check_apply with "
			"apply=false returned MGMT_CONVERGED), then apply "
			"changed something (MGMT_CHANGED): noop must compare "
			"the same state apply does and return MGMT_CHANGED for "
			"what apply would change");
		return;
	}
	if (r[2] != MGMT_CONVERGED) {
		verdict(c, false, who,
			"not idempotent: a second apply right after the first "
			"returned MGMT_CHANGED (the first: %s): after an apply "
			"the state must be the desired one, and a check_apply "
			"that finds it so must return MGMT_CONVERGED",
			result_name(r[1]));
		return;
	}
	if (r[3] != MGMT_CONVERGED) {
		verdict(c, false, who,
			"noop said it would change something (MGMT_CHANGED) "
			"right after apply found nothing to do "
			"(MGMT_CONVERGED): noop and apply must check the same "
			"state");
		return;
	}
	verdict(c, true, who,
		"idempotent (noop %s, apply %s, apply CONVERGED, noop "
		"CONVERGED)%s; by its own reports: the machine's state itself "
		"is not observed",
		result_name(r[0]), result_name(r[1]),
		r[0] == MGMT_CHANGED && r[1] == MGMT_CONVERGED ?
			"; noop's CHANGED was not followed by a change: right "
			"for an event (a timer's tick), else make sure noop "
			"changes nothing" :
			"");
}

/* init, watch, the runs, cleanup, and what is left afterwards. */
/* What a resource left behind after its cleanup: file descriptors opened
 * since `before`, `left` watches of its own cleanup registered, `kinds`
 * kind-wide watches more than before its init. */
static void judge_cleanup(struct pcheck *c, const char *who,
			  const struct fdset *before, size_t left, size_t kinds)
{
	char leaked[2048];
	size_t nleaked = fds_new(before, leaked, sizeof(leaked));

	if (nleaked)
		verdict(c, false, who,
			"%zu file descriptor%s opened while it ran %s still "
			"open after cleanup: %s; close what init, watch and "
			"check_apply opened for it in cleanup (a kind-wide one "
			"once its last resource is cleaned up)",
			nleaked, nleaked == 1 ? "" : "s",
			nleaked == 1 ? "is" : "are", leaked);
	if (left)
		verdict(c, false, who,
			"cleanup registered %zu watch%s for it: cleanup must "
			"stop watching, not start",
			left, left == 1 ? "" : "es");
	if (kinds)
		verdict(c, false, who,
			"%zu kind-wide watch%s registered while it ran %s "
			"still registered after its cleanup: unwatch a "
			"kind-wide watch once the last resource using it is "
			"cleaned up",
			kinds, kinds == 1 ? "" : "es",
			kinds == 1 ? "is" : "are");
	if (!nleaked && !left && !kinds)
		verdict(c, true, who,
			"cleanup left no file descriptor open and no watch "
			"registered");
}

static int check_one(struct pcheck *c, struct mgmt_res *r)
{
	const struct mgmt_kind *k = &r->kind->k;
	struct fdset before;
	char who[256], leaked[2048];
	size_t kind_watches, nleaked, left, now;
	bool ran = true;
	int rc;

	res_label(r, who, sizeof(who));
	rc = fds_read(&before);
	if (rc < 0) {
		log_error("cannot list /proc/self/fd: %s", strerror(-rc));
		return rc;
	}
	if (sched_res_alone(r) < 0) {
		free(before.fd);
		log_error("out of memory");
		return -ENOMEM;
	}
	kind_watches = host_count_watches(NULL);
	if (k->init) {
		arm(c, who, "init", c->o->timeout);
		rc = k->init(r, r->params);
		disarm();
		if (rc < 0) {
			verdict(c, false, who,
				"init failed (%d); see the log above: on a "
				"valid sample init must succeed",
				rc);
			host_release_watches(r);
			host_free_released();
			sched_res_alone_free(r);
			/* A failed init gets no cleanup. */
			nleaked = fds_new(&before, leaked, sizeof(leaked));
			if (nleaked)
				verdict(c, false, who,
					"init failed and left %zu file "
					"descriptor%s open: %s; a failed init "
					"gets no cleanup: close what it opened "
					"before it returns",
					nleaked, nleaked == 1 ? "" : "s",
					leaked);
			free(before.fd);
			return 0;
		}
	}
	atomic_store(&got_dirty, false);
	atomic_store(&watching, r);
	if (k->watch) {
		arm(c, who, "watch", c->o->timeout);
		rc = k->watch(r, r->params);
		disarm();
		if (rc < 0) {
			verdict(c, false, who,
				"watch failed (%d); see the log above", rc);
			ran = false;
		} else if (rc == MGMT_WATCH_PENDING &&
			   !atomic_load(&got_dirty) && !wait_ready(c, who)) {
			verdict(c, false, who,
				"watch returned MGMT_WATCH_PENDING but "
				"host->dirty did not come within %g s: call "
				"host->dirty once the watch is ready, or return "
				"0 when it already is",
				c->o->timeout);
			ran = false;
		} else if (rc != 0 && rc != MGMT_WATCH_PENDING) {
			verdict(c, false, who,
				"watch returned %d: return 0, "
				"MGMT_WATCH_PENDING or a negative error",
				rc);
			ran = false;
		}
	}
	if (ran) {
		/* noop, apply, apply, noop; after an error, no more runs */
		int res[4];

		c->said_wrong = false;
		for (int i = 0; i < 4; i++)
			res[i] = i > 0 && res[i - 1] < 0 ?
					 res[i - 1] :
					 call_check_apply(c, r, who,
							  i == 1 || i == 2);
		judge_runs(c, who, res);
	}
	/* As the engine does: its watches go first, then cleanup. */
	host_release_watches(r);
	if (k->cleanup) {
		arm(c, who, "cleanup", c->o->timeout);
		k->cleanup(r, r->params);
		disarm();
	}
	left = host_count_watches(r);
	host_release_watches(r); /* any cleanup registered */
	host_free_released();
	atomic_store(&watching, NULL);
	sched_res_alone_free(r);

	now = host_count_watches(NULL);
	judge_cleanup(c, who, &before, left,
		      now > kind_watches ? now - kind_watches : 0);
	free(before.fd);
	return 0;
}

static bool keys_equal(struct mgmt_res *a, struct mgmt_res *b)
{
	const char *ka = NULL, *kb = NULL;
	size_t la = a->kind->k.group_key(a, a->params, &ka);
	size_t lb = b->kind->k.group_key(b, b->params, &kb);

	return la == lb && (la == 0 || (ka && kb && memcmp(ka, kb, la) == 0));
}

/* group_cmp over every pair of one kind's groupable resources. */
static void check_groups(struct pcheck *c, const struct graph_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nres; i++) {
		const struct kind_entry *ke = cfg->res[i]->kind;
		size_t pairs = 0;
		unsigned fails = c->nfail;
		bool first = true;

		/* Each kind once: at its first resource. */
		for (size_t j = 0; j < i && first; j++)
			first = cfg->res[j]->kind != ke;
		if (!first || !ke->k.group_cmp)
			continue;
		for (size_t a = i; a < cfg->nres; a++) {
			for (size_t b = a + 1; b < cfg->nres; b++) {
				struct mgmt_res *ra = cfg->res[a];
				struct mgmt_res *rb = cfg->res[b];
				char wa[256], wb[256];
				bool ab, ba;

				if (ra->kind != ke || rb->kind != ke ||
				    !ra->meta.autogroup || !rb->meta.autogroup)
					continue;
				res_label(ra, wa, sizeof(wa));
				res_label(rb, wb, sizeof(wb));
				pairs++;
				arm(c, wa, "group_cmp", c->o->timeout);
				ab = ke->k.group_cmp(ra, ra->params, rb,
						     rb->params);
				ba = ke->k.group_cmp(rb, rb->params, ra,
						     ra->params);
				disarm();
				if (ab != ba) {
					verdict(c, false, wa,
						"group_cmp is not symmetric "
						"with %s: group_cmp(%s, %s) is "
						"%s but group_cmp(%s, %s) is "
						"%s; compare the parameters "
						"the same way both ways round "
						"(either may be the leader)",
						wb, ra->name, rb->name,
						ab ? "true" : "false", rb->name,
						ra->name,
						ba ? "true" : "false");
					continue;
				}
				if (!ab || !ke->k.group_key)
					continue;
				arm(c, wa, "group_key", c->o->timeout);
				if (!keys_equal(ra, rb))
					verdict(c, false, wa,
						"group_cmp accepts %s, but "
						"their group keys differ: "
						"group_cmp may only accept "
						"resources of equal keys (the "
						"engine never compares the "
						"others)",
						wb);
				disarm();
			}
		}
		if (!pairs)
			printf("skip %s: group_cmp not tried: the sample has "
			       "fewer than two of its resources with "
			       "meta.autogroup\n",
			       ke->k.name);
		else if (c->nfail == fails)
			verdict(c, true, ke->k.name,
				"group_cmp symmetric%s over %zu pair%s",
				ke->k.group_key ? " and within group_key" : "",
				pairs, pairs == 1 ? "" : "s");
	}
}

/* Load the plugin alone.  True if it loaded with every kind. */
static bool load(struct pcheck *c, struct registry *reg)
{
	struct loader_opts lo;
	int rc;

	loader_opts_default(&lo);
	lo.host = host_table();
	arm(c, c->o->plugin, "loading (its constructors and init)",
	    c->o->timeout);
	rc = registry_load_file(reg, &lo, c->o->plugin);
	disarm();
	if (rc < 0)
		return false;
	for (size_t i = 0; i < reg->nproblems; i++)
		verdict(c, false, c->o->plugin,
			"refused by the loader: %s (doc/abi.md, \"What the "
			"loader checks\")",
			reg->problems[i].msg);
	if (reg->nplugins != 1)
		return false;
	if (!reg->nerrors)
		verdict(c, true, c->o->plugin,
			"loads: plugin %s %s, built for ABI %u.%u, %zu "
			"kind%s (permissions, descriptor, ABI and schemas "
			"checked)",
			reg->plugins[0]->desc.name,
			reg->plugins[0]->desc.version,
			reg->plugins[0]->desc.abi_major,
			reg->plugins[0]->desc.abi_minor,
			reg->plugins[0]->nkinds,
			reg->plugins[0]->nkinds == 1 ? "" : "s");
	return reg->nkinds > 0;
}

int pcheck_run(const struct pcheck_opts *o)
{
	struct pcheck c = { .o = o };
	struct registry reg = { 0 };
	struct graph_cfg *cfg = NULL;
	struct diag d = { 0 };
	struct plan plan;
	uint32_t *order = NULL;
	char sum[64];
	int status = PCHECK_PASS, rc;

	if (access(o->plugin, R_OK) < 0) {
		fprintf(stderr, "mgmt-engine: plugin-check: %s: %s\n",
			o->plugin, strerror(errno));
		return PCHECK_USAGE;
	}
	probe_init();
	/* The loop's own fds exist before any is counted. */
	(void)EV_DEFAULT;
	host_set_dirty_hook(on_dirty);

	if (!load(&c, &reg)) {
		summary(&c);
		status = PCHECK_FAIL;
		goto out;
	}
	/* One bound for every validate, uid and autoedges of the sample. */
	arm(&c, o->yaml, "compiling (validate, uid and autoedges)", o->timeout);
	rc = config_load_file(o->yaml, &reg, &cfg, &d);
	disarm();
	if (rc < 0) {
		diag_print(&d, stderr);
		fprintf(stderr,
			"%s: %s; every kind of the sample must be one of %s's\n",
			o->yaml, diag_summary(&d, sum, sizeof(sum)), o->plugin);
		status = PCHECK_USAGE;
		goto out;
	}
	if (cfg->nres == 0) {
		fprintf(stderr, "%s: no resources: nothing to check\n",
			o->yaml);
		status = PCHECK_USAGE;
		goto out;
	}
	verdict(&c, true, o->yaml,
		"compiles (%zu resource%s, %zu edge%s: validate, uid and "
		"autoedges ran)",
		cfg->nres, cfg->nres == 1 ? "" : "s", cfg->nedges,
		cfg->nedges == 1 ? "" : "s");
	check_groups(&c, cfg);

	order = calloc(cfg->nres, sizeof(*order));
	if (!order || plan_group(cfg, false, &plan) < 0) {
		log_error("out of memory");
		status = PCHECK_FAIL;
		goto out;
	}
	if (graph_toposort(&plan.rg, order) < 0) {
		log_error("cannot order the sample's graph");
		status = PCHECK_FAIL;
	}
	for (size_t i = 0; status == PCHECK_PASS && i < cfg->nres; i++)
		if (check_one(&c, cfg->res[order[i]]) < 0)
			status = PCHECK_FAIL;
	plan_free(&plan);
	summary(&c);
	if (c.nfail)
		status = PCHECK_FAIL;
out:
	diag_free(&d);
	free(order);
	config_graph_free(cfg);
	host_set_dirty_hook(NULL);
	arm(&c, o->plugin, "unloading (its fini and destructors)", o->timeout);
	registry_free(&reg);
	disarm();
	host_fini();
	return status;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * render.c - the status document and the metrics (see render.h and
 * doc/control.md).  Metric names follow mgmt's where mgmt has the same
 * thing (mgmt_resources, mgmt_checkapply_total with its kind, apply,
 * eventful and errorful labels, mgmt_failures_total and mgmt_failures with
 * failure="soft"|"hard", mgmt_graph_start_time_seconds); the others carry
 * the same prefix.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/render.h"

#define LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)

/* Unix milliseconds as seconds, or null for 0 (never). */
static json_t *when(int64_t ms)
{
	return ms ? json_real((double)ms / 1000.) : json_null();
}

static bool wanted(const struct rstat *r, const char *state,
		   const struct status_filter *f)
{
	if (f->kind && strcmp(f->kind, r->kind) != 0)
		return false;
	if (f->name && fnmatch(f->name, r->name, 0) != 0)
		return false;
	return !f->failed || strcmp(state, "failed") == 0 ||
	       strcmp(state, "retrying") == 0 || strcmp(state, "held") == 0;
}

static json_t *resource(const struct rstat *r, const char *state)
{
	char err[512];
	int64_t at = LOAD(r->retry_at_ms);
	json_t *o;

	stats_last_error(r, err, sizeof(err));
	o = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:I, s:I, s:I, s:o}",
		      "kind", r->kind, "name", r->name, "group",
		      r->group ? json_string(r->group) : json_null(), "state",
		      state, "last_check", when(LOAD(r->last_check_ms)),
		      "last_change", when(LOAD(r->last_change_ms)), "runs",
		      (json_int_t)LOAD(r->runs), "changes",
		      (json_int_t)LOAD(r->changes), "failures",
		      (json_int_t)LOAD(r->failures), "last_error",
		      err[0] ? json_string(err) : json_null());
	if (o)
		json_object_set_new(
			o, "retry",
			at && strcmp(state, "retrying") == 0 ?
				json_pack("{s:I, s:f}", "left",
					  (json_int_t)LOAD(r->retries_left),
					  "at", (double)at / 1000.) :
				json_null());
	return o;
}

json_t *render_status(const struct stats_table *t, const struct stats_engine *e,
		      const struct status_filter *f)
{
	static const char *const keys[] = { "converged", "failed",   "held",
					    "running",   "retrying", "dirty",
					    "pending" };
	bool conv = atomic_load(&e->converged);
	json_int_t count[sizeof(keys) / sizeof(keys[0])] = { 0 };
	json_t *doc, *list = json_array(), *sum = json_object();

	for (uint32_t i = 0; t && list && i < t->n; i++) {
		const char *st = stats_state_name(&t->r[i]);

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			count[k] += strcmp(st, keys[k]) == 0;
		if (wanted(&t->r[i], st, f) &&
		    json_array_append_new(list, resource(&t->r[i], st)) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	json_object_set_new(sum, "resources",
			    json_integer(t ? (json_int_t)t->n : 0));
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		json_object_set_new(sum, keys[k], json_integer(count[k]));
	doc = json_pack("{s:s, s:s, s:i, s:s, s:f, s:o, s:b, s:o, s:o, s:o}",
			"host", e->host ? e->host : "", "version",
			PACKAGE_VERSION, "pid", e->pid, "graph",
			e->graph ? e->graph : "", "started", e->started,
			"graph_since", t ? json_real(t->since) : json_null(),
			"converged", conv, "converged_since",
			conv ? when(LOAD(e->converged_since_ms)) : json_null(),
			"summary", sum, "resources", list);
	return doc;
}

/* ---- metrics ---- */

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The index of kind `k` in e->kinds, or e->nkinds. */
static uint32_t kind_index(const struct stats_engine *e, const char *k)
{
	uint32_t i = 0;

	while (i < e->nkinds && e->kinds[i].kind != k &&
	       strcmp(e->kinds[i].kind, k) != 0)
		i++;
	return i;
}

enum {
	ST_CONVERGED,
	ST_FAILED,
	ST_HELD,
	ST_RUNNING,
	ST_RETRYING,
	ST_DIRTY,
	ST_PENDING,
	NST
};
static const char *const st_names[NST] = { "converged", "failed",   "held",
					   "running",   "retrying", "dirty",
					   "pending" };

static int state_index(const char *st)
{
	int i = 0;

	while (i < NST && strcmp(st_names[i], st) != 0)
		i++;
	return i;
}

static void per_kind_states(FILE *f, const struct stats_table *t,
			    const struct stats_engine *e)
{
	uint64_t(*n)[NST + 1] = calloc(e->nkinds + 1, sizeof(*n));

	if (!n)
		return;
	for (uint32_t i = 0; t && i < t->n; i++)
		n[kind_index(e, t->r[i].kind)]
		 [state_index(stats_state_name(&t->r[i]))]++;
	head(f, "mgmt_resources", "gauge", "Number of managed resources.");
	for (uint32_t k = 0; k < e->nkinds; k++) {
		uint64_t all = 0;

		for (int s = 0; s <= NST; s++)
			all += n[k][s];
		fprintf(f, "mgmt_resources{kind=\"%s\"} %llu\n",
			e->kinds[k].kind, (unsigned long long)all);
	}
	head(f, "mgmt_resources_state", "gauge",
	     "Number of managed resources by state (held: held back by a "
	     "failure before it).");
	for (uint32_t k = 0; k < e->nkinds; k++)
		for (int s = 0; s < NST; s++)
			fprintf(f,
				"mgmt_resources_state{kind=\"%s\",state=\"%s\"} "
				"%llu\n",
				e->kinds[k].kind, st_names[s],
				(unsigned long long)n[k][s]);
	head(f, "mgmt_failures", "gauge",
	     "Number of failing resources (soft: retrying; hard: retries "
	     "used up).");
	for (uint32_t k = 0; k < e->nkinds; k++)
		fprintf(f,
			"mgmt_failures{kind=\"%s\",failure=\"soft\"} %llu\n"
			"mgmt_failures{kind=\"%s\",failure=\"hard\"} %llu\n",
			e->kinds[k].kind, (unsigned long long)n[k][ST_RETRYING],
			e->kinds[k].kind, (unsigned long long)n[k][ST_FAILED]);
	free(n);
}

static void per_kind_counters(FILE *f, const struct stats_engine *e)
{
	static const char *const tf[2] = { "false", "true" };

	head(f, "mgmt_checkapply_total", "counter",
	     "Number of CheckApply that have run (a group's run counts once "
	     "per member, with the member's own result).");
	for (uint32_t k = 0; k < e->nkinds; k++)
		for (int a = 0; a < 2; a++)
			for (int c = 0; c < 2; c++)
				for (int x = 0; x < 2; x++)
					fprintf(f,
						"mgmt_checkapply_total{kind="
						"\"%s\",apply=\"%s\",eventful="
						"\"%s\",errorful=\"%s\"} %llu\n",
						e->kinds[k].kind, tf[a], tf[c],
						tf[x],
						(unsigned long long)LOAD(
							e->kinds[k].check[a][c]
									 [x]));
	head(f, "mgmt_checkapply_duration_seconds", "histogram",
	     "How long CheckApply took (one observation per call; a group's "
	     "call covers all its members).");
	for (uint32_t k = 0; k < e->nkinds; k++) {
		const struct kstat *ks = &e->kinds[k];
		uint64_t cum = 0;

		for (int b = 0; b < STATS_NBUCKETS; b++) {
			cum += LOAD(ks->dur_bucket[b]);
			fprintf(f,
				"mgmt_checkapply_duration_seconds_bucket{kind="
				"\"%s\",le=\"%g\"} %llu\n",
				ks->kind, stats_buckets[b],
				(unsigned long long)cum);
		}
		fprintf(f,
			"mgmt_checkapply_duration_seconds_bucket{kind=\"%s\","
			"le=\"+Inf\"} %llu\n"
			"mgmt_checkapply_duration_seconds_sum{kind=\"%s\"} "
			"%.6f\n"
			"mgmt_checkapply_duration_seconds_count{kind=\"%s\"} "
			"%llu\n",
			ks->kind, (unsigned long long)LOAD(ks->dur_count),
			ks->kind, (double)LOAD(ks->dur_sum_us) / 1e6, ks->kind,
			(unsigned long long)LOAD(ks->dur_count));
	}
	head(f, "mgmt_failures_total", "counter",
	     "Total of failed resources (soft: it retried; hard: retries "
	     "used up).");
	for (uint32_t k = 0; k < e->nkinds; k++)
		fprintf(f,
			"mgmt_failures_total{kind=\"%s\",failure=\"soft\"} "
			"%llu\n"
			"mgmt_failures_total{kind=\"%s\",failure=\"hard\"} "
			"%llu\n",
			e->kinds[k].kind,
			(unsigned long long)LOAD(e->kinds[k].failures_soft),
			e->kinds[k].kind,
			(unsigned long long)LOAD(e->kinds[k].failures_hard));
	head(f, "mgmt_events_total", "counter",
	     "Events received from the resources' watches.");
	for (uint32_t k = 0; k < e->nkinds; k++)
		fprintf(f, "mgmt_events_total{kind=\"%s\"} %llu\n",
			e->kinds[k].kind,
			(unsigned long long)LOAD(e->kinds[k].events));
}

static void engine_metrics(FILE *f, const struct stats_table *t,
			   const struct stats_engine *e, size_t watches)
{
	bool conv = atomic_load(&e->converged);
	int etcd = atomic_load(&e->etcd);

	head(f, "mgmt_graph_start_time_seconds", "gauge",
	     "Start time of the current graph since unix epoch in seconds.");
	fprintf(f, "mgmt_graph_start_time_seconds %.3f\n", t ? t->since : 0.);
	head(f, "mgmt_converged", "gauge",
	     "1 when the graph is converged, else 0.");
	fprintf(f, "mgmt_converged %d\n", conv);
	head(f, "mgmt_converged_since_seconds", "gauge",
	     "Since when the graph is converged, in seconds since the unix "
	     "epoch (0 when it is not).");
	fprintf(f, "mgmt_converged_since_seconds %.3f\n",
		conv ? (double)LOAD(e->converged_since_ms) / 1000. : 0.);
	head(f, "mgmt_reloads_total", "counter",
	     "Reloads of the graph, by result (taken, rejected).");
	fprintf(f,
		"mgmt_reloads_total{result=\"taken\"} %llu\n"
		"mgmt_reloads_total{result=\"rejected\"} %llu\n",
		(unsigned long long)LOAD(e->reloads_taken),
		(unsigned long long)LOAD(e->reloads_refused));
	head(f, "mgmt_watches", "gauge",
	     "Watches the plugins hold on the event loop (file descriptors, "
	     "timers, children, signals).");
	fprintf(f, "mgmt_watches %zu\n", watches);
	if (etcd < 0)
		return;
	head(f, "mgmt_etcd_up", "gauge",
	     "1 while etcd answers, else 0 (only with --etcd).");
	fprintf(f, "mgmt_etcd_up %d\n", etcd > 0);
	head(f, "mgmt_etcd_collected_resources", "gauge",
	     "Resources collected from other hosts' exports (only with "
	     "--etcd).");
	fprintf(f, "mgmt_etcd_collected_resources %llu\n",
		(unsigned long long)LOAD(e->collected));
}

char *render_metrics(const struct stats_table *t, const struct stats_engine *e,
		     size_t watches)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	per_kind_states(f, t, e);
	per_kind_counters(f, e);
	engine_metrics(f, t, e, watches);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

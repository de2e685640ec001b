/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * merge.c - a compiled graph meets the cluster (doc/etcd.md): its
 * exported resources are taken out (they are published, not managed here,
 * as mgmt does with "@@" resources), and resources collected from etcd are
 * built from their JSON by the kind's schema and merged in, with automatic
 * edges and the cycle check done again over the whole graph.  A collected
 * resource in conflict with one already in the graph (one kind, one uid) is
 * left out with a warning rather than failing the graph: another host must
 * not be able to stop this one's graph from running.
 *
 * JSON is a subset of the YAML that the front end reads, so a collected
 * resource goes through exactly the parameter parser, defaults and
 * messages of a resource written in the graph file; its positions name the
 * etcd key it came from.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "config/config.h"
#include "config/yaml.h"
#include "util/log.h"

/* Drop the edges for which `gone[from]` or `gone[to]`, and renumber the
 * rest by `map`.  Explicit edges are reported. */
static void drop_edges(struct graph_cfg *g, const size_t *map, const bool *gone,
		       struct mgmt_res **old)
{
	size_t o = 0;

	for (size_t i = 0; i < g->nedges; i++) {
		struct edge_cfg *e = &g->edges[i];
		char label[256];

		if (gone[e->from] || gone[e->to]) {
			if (!e->automatic)
				log_warn("%s:%d:%d: edge %s: %s is exported, "
					 "not managed here: edge ignored",
					 e->pos.file, e->pos.line, e->pos.col,
					 e->name ? e->name : "",
					 res_label(old[gone[e->from] ? e->from :
								       e->to],
						   label, sizeof(label)));
			free(e->name);
			continue;
		}
		e->from = map[e->from];
		e->to = map[e->to];
		g->edges[o++] = *e;
	}
	g->nedges = o;
}

int config_take_exported(struct graph_cfg *g, struct mgmt_res ***out,
			 size_t *nout)
{
	struct mgmt_res **ex, **old;
	size_t n = 0, o = 0, *map;
	bool *gone;

	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < g->nres; i++)
		n += g->res[i]->meta.export_;
	if (n == 0)
		return 0;
	ex = calloc(n, sizeof(*ex));
	old = malloc(g->nres * sizeof(*old));
	map = calloc(g->nres, sizeof(*map));
	gone = calloc(g->nres, sizeof(*gone));
	if (!ex || !old || !map || !gone) {
		free(ex);
		free(old);
		free(map);
		free(gone);
		return -ENOMEM;
	}
	memcpy(old, g->res, g->nres * sizeof(*old));
	n = 0;
	for (size_t i = 0; i < g->nres; i++) {
		if (old[i]->meta.export_) {
			gone[i] = true;
			ex[n++] = old[i];
		} else {
			map[i] = o;
			g->res[o++] = old[i];
		}
	}
	drop_edges(g, map, gone, old);
	g->nres = o;
	free(old);
	free(map);
	free(gone);
	*out = ex;
	*nout = n;
	return 0;
}

int config_res_from_text(const struct kind_entry *k, const char *origin,
			 const char *text, size_t len, struct diag *d,
			 struct mgmt_res **out)
{
	struct ydoc *doc = NULL;
	int rc;

	*out = NULL;
	rc = ydoc_parse(origin, text, len, &doc, d);
	if (rc < 0)
		return rc == -ENOMEM ? rc : -EINVAL;
	if (doc->root->kind != YNODE_MAP) {
		diag_add(d, doc->root->pos, "%s: not a mapping of parameters",
			 k->k.name);
		ydoc_free(doc);
		return -EINVAL;
	}
	rc = res_from_yaml(k, doc->root, d, out);
	ydoc_free(doc);
	if (rc < 0 && *out) {
		res_free(*out);
		*out = NULL;
	}
	if (*out)
		(*out)->meta.export_ =
			false; /* collected, not ours to export */
	return rc;
}

/* One merge: which added resources a conflict leaves out. */
struct merging {
	struct graph_cfg *g;
	size_t before; /* resources [0, before) are this host's */
	bool *drop;    /* per resource: skipped for a conflict */
	size_t *map;   /* per kept added resource: its index after drops */
};

static void on_clash(void *ctx, size_t first, size_t later, const char *uid)
{
	struct merging *m = ctx;
	const struct mgmt_res *a = m->g->res[first], *b = m->g->res[later];
	char la[256], lb[256], show[512], at[48] = "";

	if (later < m->before)
		return; /* two local ones: the compile reported them */
	m->drop[later] = true;
	/* A collected resource has no line worth showing: its origin
	 * (the etcd key) says where it came from. */
	if (first < m->before)
		snprintf(at, sizeof(at), ":%d:%d", a->pos.line, a->pos.col);
	log_warn("%s: %s: %s is also managed by %s (%s%s); not collected",
		 b->pos.file ? b->pos.file : "-", res_label(b, lb, sizeof(lb)),
		 cfg_show(uid, show, sizeof(show)),
		 res_label(a, la, sizeof(la)), a->pos.file ? a->pos.file : "-",
		 at);
}

/* Edges the kinds' autoedges hooks added are made again over the merged
 * graph (a collected file comes after its local directory), over one
 * index that also finds the collected resources in conflict. */
static int redo_autoedges(struct merging *m)
{
	struct graph_cfg *g = m->g;
	struct uid_index *ix;
	size_t o = 0;
	int rc;

	for (size_t i = 0; i < g->nedges; i++)
		if (!g->edges[i].automatic)
			g->edges[o++] = g->edges[i];
	g->nedges = o;
	rc = uid_index_build(g, NULL, on_clash, m, &ix);
	if (rc == 0)
		rc = uid_index_edges(ix);
	uid_index_free(ix);
	return rc;
}

/* Free the dropped resources and close the gaps.  Only added resources
 * are dropped, and only automatic edges name them, none a dropped one. */
static void drop_clashed(struct merging *m)
{
	struct graph_cfg *g = m->g;
	size_t o = m->before;

	for (size_t i = m->before; i < g->nres; i++) {
		if (m->drop[i]) {
			res_free(g->res[i]);
			continue;
		}
		m->map[i] = o;
		g->res[o++] = g->res[i];
	}
	if (o == g->nres)
		return;
	for (size_t i = 0; i < g->nedges; i++) {
		struct edge_cfg *e = &g->edges[i];

		if (e->from >= m->before)
			e->from = m->map[e->from];
		if (e->to >= m->before)
			e->to = m->map[e->to];
	}
	g->nres = o;
}

int config_merge(struct graph_cfg *g, struct mgmt_res **add, size_t n,
		 struct diag *d)
{
	struct compile c = { .g = g, .d = d };
	struct merging m = { .g = g, .before = g->nres };
	struct mgmt_res **res;

	if (n == 0)
		return 0;
	res = realloc(g->res, (g->nres + n) * sizeof(*res));
	if (res)
		g->res = res;
	m.drop = calloc(g->nres + n, sizeof(*m.drop));
	m.map = calloc(g->nres + n, sizeof(*m.map));
	if (!res || !m.drop || !m.map) {
		free(m.drop);
		free(m.map);
		for (size_t i = 0; i < n; i++)
			res_free(add[i]);
		return -ENOMEM;
	}
	memcpy(g->res + g->nres, add, n * sizeof(*add));
	g->nres += n;
	if (redo_autoedges(&m) < 0) {
		c.nomem = true;
	} else {
		drop_clashed(&m);
		cfg_check_cycles(&c);
	}
	free(m.drop);
	free(m.map);
	m.drop = NULL;
	if (c.nerr == 0 && !c.nomem)
		return 0;
	/* Back to the graph as it was (it has no conflict of its own). */
	for (size_t i = m.before; i < g->nres; i++)
		res_free(g->res[i]);
	g->nres = m.before;
	if (redo_autoedges(&m) < 0)
		c.nomem = true;
	return c.nomem ? -ENOMEM : -ELOOP;
}

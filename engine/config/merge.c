/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * merge.c - a compiled graph meets the cluster (DESIGN.md section 9): its
 * exported resources are taken out (they are published, not managed here,
 * as mgmt does with "@@" resources), and resources collected from etcd are
 * built from their JSON by the kind's schema and merged in, with automatic
 * edges and the cycle check done again over the whole graph.
 *
 * JSON is a subset of the YAML that the front end reads, so a collected
 * resource goes through exactly the parameter parser, defaults and
 * messages of a resource written in the graph file; its positions name the
 * etcd key it came from.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/compile.h"
#include "config/config.h"
#include "config/yaml.h"
#include "log.h"

/* Drop the edges for which `gone[from]` or `gone[to]`, and renumber the
 * rest by `map`.  Explicit edges are reported. */
static void drop_edges(struct graph_cfg *g, const size_t *map,
		       const bool *gone, struct mgmt_res **old)
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
		(*out)->meta.export_ = false; /* collected, not ours to export */
	return rc;
}

/* Edges the kinds' autoedges hooks added are made again over the merged
 * graph: a collected file comes after its local directory. */
static int redo_autoedges(struct graph_cfg *g)
{
	size_t o = 0;

	for (size_t i = 0; i < g->nedges; i++)
		if (!g->edges[i].automatic)
			g->edges[o++] = g->edges[i];
	g->nedges = o;
	return config_autoedges(g);
}

int config_merge(struct graph_cfg *g, struct mgmt_res **add, size_t n,
		 struct diag *d)
{
	struct compile c = { .g = g, .d = d };
	struct mgmt_res **res;
	size_t before = g->nres;

	if (n == 0)
		return 0;
	res = realloc(g->res, (g->nres + n) * sizeof(*res));
	if (!res) {
		for (size_t i = 0; i < n; i++)
			res_free(add[i]);
		return -ENOMEM;
	}
	g->res = res;
	memcpy(g->res + g->nres, add, n * sizeof(*add));
	g->nres += n;
	if (redo_autoedges(g) < 0)
		c.nomem = true;
	else
		check_cycles(&c);
	if (c.nerr == 0 && !c.nomem)
		return 0;
	/* Back to the graph as it was. */
	for (size_t i = before; i < g->nres; i++)
		res_free(g->res[i]);
	g->nres = before;
	if (redo_autoedges(g) < 0)
		c.nomem = true;
	return c.nomem ? -ENOMEM : -ELOOP;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * graph.h - a directed graph of vertices numbered 0..n-1.
 *
 * Edges are added freely, then graph_finalize builds compact out- and
 * in-adjacency arrays (CSR), dropping duplicate edges (their flags are ORed).
 * On a finalized graph: topological order (Kahn), a cycle when there is one
 * (as a vertex path that starts and ends at the same vertex), reachability,
 * and Graphviz output.  It knows nothing of resources; callers label
 * vertices.  Uses only libc.
 */
#ifndef ENGINE_GRAPH_H
#define ENGINE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GRAPH_EDGE_NOTIFY 0x1u

struct graph_edge {
	uint32_t from, to;
	unsigned flags;
};

struct graph {
	uint32_t n;
	struct graph_edge *edges; /* as added; sorted (from,to) after finalize */
	size_t nedges, cap;
	/* after finalize: */
	uint32_t *out_start;  /* n+1 entries; out edges of v are edges[out_start[v] .. out_start[v+1]) */
	uint32_t *in_start;   /* n+1 entries */
	uint32_t *in_edge;    /* indexes into edges, grouped by target */
	bool final;
};

int graph_init(struct graph *g, uint32_t n);
void graph_free(struct graph *g);
/* Returns 0, -EINVAL for a vertex out of range, -ENOMEM. */
int graph_add_edge(struct graph *g, uint32_t from, uint32_t to, unsigned flags);
int graph_finalize(struct graph *g);

static inline uint32_t graph_out_degree(const struct graph *g, uint32_t v)
{
	return g->out_start[v + 1] - g->out_start[v];
}
static inline uint32_t graph_in_degree(const struct graph *g, uint32_t v)
{
	return g->in_start[v + 1] - g->in_start[v];
}

/* Topological order into order[n].  Returns 0, or -ELOOP when the graph has
 * a cycle (order then holds only what could be sorted). */
int graph_toposort(const struct graph *g, uint32_t *order);

/* Find a cycle.  Returns 0 and a malloc'd path v0 -> v1 -> ... -> v0 (its
 * length includes v0 twice) or -ENOENT when acyclic. */
int graph_find_cycle(const struct graph *g, uint32_t **path, size_t *len);

/* Is there a path from `a` to `b` (a != b)? */
bool graph_reachable(const struct graph *g, uint32_t a, uint32_t b);

typedef const char *(*graph_label_fn)(void *ctx, uint32_t v, char *buf,
				      size_t len);
/* Write `digraph NAME { ... }`; notify edges are drawn dashed. */
int graph_write_dot(const struct graph *g, FILE *f, const char *name,
		    graph_label_fn label, void *ctx);

#endif /* ENGINE_GRAPH_H */

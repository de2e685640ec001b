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
 *
 * Everything is linear in vertices + edges and iterative (explicit stacks and
 * queues, no recursion), so a chain of 100,000 vertices is fine.  A graph is
 * built once: edges can only be added before graph_finalize, and the queries
 * below need a finalized graph (-EINVAL, or false, otherwise).  Results are
 * deterministic: they depend only on the set of edges, not on insertion order.
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
	uint32_t *out_start; /* n+1 entries; out edges of v are edges[out_start[v] .. out_start[v+1]) */
	uint32_t *in_start; /* n+1 entries */
	uint32_t *in_edge;  /* indexes into edges, grouped by target */
	bool final;
};

/* An empty graph of n vertices (n may be 0; n < UINT32_MAX).  Allocates
 * nothing until edges come; graph_free is still required. */
int graph_init(struct graph *g, uint32_t n);
/* Frees everything and leaves an empty graph of 0 vertices; safe twice. */
void graph_free(struct graph *g);
/* Returns 0, -EINVAL for a vertex out of range, -ENOMEM, -EBUSY when the
 * graph is already finalized, -EOVERFLOW past UINT32_MAX - 1 edges.
 * Self-loops are kept (they are cycles). */
int graph_add_edge(struct graph *g, uint32_t from, uint32_t to, unsigned flags);
/* Sort edges by (from, to), merge duplicates (flags ORed), build out_start,
 * in_start and in_edge (in edges of v: in_edge[in_start[v] .. in_start[v+1]),
 * ascending source).  Returns 0 (also when already finalized) or -ENOMEM,
 * which leaves the graph as it was. */
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
 * a cycle (order then holds only what could be sorted, and the rest of the
 * n entries are UINT32_MAX), -EINVAL when not finalized, -ENOMEM.
 * The order is Kahn's with a FIFO: first every vertex without in-edges in
 * ascending number, then each vertex when its last in-edge is removed, the
 * out-edges of a dequeued vertex being removed by ascending target.  So on
 * 0->2, 1->2, 2->3 the order is 0 1 2 3, and on a graph without edges it is
 * 0 1 ... n-1. */
int graph_toposort(const struct graph *g, uint32_t *order);

/* Find a cycle.  Returns 0 and a malloc'd path v0 -> v1 -> ... -> v0 (its
 * length includes v0 twice; a self-loop gives v v) or -ENOENT when acyclic,
 * -EINVAL when not finalized, -ENOMEM.  The cycle is the first one met by a
 * depth-first search started from each unvisited vertex in ascending order,
 * following out-edges by ascending target; v0 is the vertex it closes on. */
int graph_find_cycle(const struct graph *g, uint32_t **path, size_t *len);

/* Is there a path from `a` to `b` (a != b)?  A path has at least one edge,
 * so for a == b this says whether a lies on a cycle.  False for a vertex out
 * of range, a graph not finalized, or when memory runs out. */
bool graph_reachable(const struct graph *g, uint32_t a, uint32_t b);

/* Set mark[0..n) to whether each vertex is reachable from v by a path of at
 * least one edge (descendants) or reaches v (ancestors); v itself is marked
 * only when it lies on a cycle.  Returns 0, -EINVAL (bad v, not finalized),
 * -ENOMEM. */
int graph_descendants(const struct graph *g, uint32_t v, bool *mark);
int graph_ancestors(const struct graph *g, uint32_t v, bool *mark);

typedef const char *(*graph_label_fn)(void *ctx, uint32_t v, char *buf,
				      size_t len);
/* Write `digraph NAME { ... }`; notify edges are drawn dashed.  Exactly:
 *   digraph "NAME" {
 *   <TAB>V [label="LABEL"];      one line per vertex, ascending
 *   <TAB>A -> B;                 one line per edge, in edges[] order
 *   <TAB>A -> B [style=dashed];  for a GRAPH_EDGE_NOTIFY edge
 *   }
 * NAME (NULL: "G") and LABEL are quoted with `"` and `\` escaped and a
 * newline written as \n; other control characters become spaces.  label
 * (may be NULL) gets a buffer of 256 bytes and returns the label to use, or
 * NULL for the vertex number.  Returns 0, or -EIO when writing failed. */
int graph_write_dot(const struct graph *g, FILE *f, const char *name,
		    graph_label_fn label, void *ctx);

#endif /* ENGINE_GRAPH_H */

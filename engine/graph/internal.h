/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * internal.h - what autogroup.c shares with its algorithms: the
 * working graph that groups form in, and struct ag_ops, the autogrouper
 * interface (after mgmt's AutoGrouper) that an algorithm implements.  The
 * rules it must keep are at the top of autogroup.c; autogroup-nonreach.c is
 * the default algorithm.  Not part of the engine's API.
 */
#ifndef ENGINE_GRAPH_INTERNAL_H
#define ENGINE_GRAPH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "graph/autogroup.h"

#define AG_NONE UINT32_MAX

/* The two sides of a vertex, and of the group: AG_UP = in-edges and what
 * reaches the group (paths x ->* G), AG_DOWN = out-edges and what the group
 * reaches (paths G ->* y, walked backwards from y). */
enum {
	AG_UP,
	AG_DOWN
};

/* An adjacency entry: the vertex at the far end and the edge. */
struct ag_adj {
	uint32_t nb, id;
};

/* Growable arrays whose first storage may be borrowed from a shared block
 * (own == false), so that setting up the graph is a few mallocs. */
struct ag_adjl {
	struct ag_adj *v;
	uint32_t n, cap;
	bool own;
};

struct ag_ids {
	uint32_t *v;
	uint32_t n, cap;
	bool own;
};

struct ag_edge {
	uint32_t from, to; /* group leaders, kept current as groups form */
	uint32_t at[2]; /* index in adj[AG_UP][to] and in adj[AG_DOWN][from] */
	unsigned flags;
	bool dead; /* merged through a path and gone */
};

struct ag;

/*
 * An autogrouper algorithm, after mgmt's AutoGrouper.  The generic loop in
 * drive() calls next() for each candidate pair, then viable() and compare(),
 * contract() to merge (which asks path() for the re-attachment paths,
 * reports the edges it moves with edge_added(), merges edge data with
 * merge_edges() and ends with merge_vertices()), and test() after each pair
 * to know whether to go on.
 */
struct ag_ops {
	const char *name;
	int (*init)(struct ag *a);
	/* 1 and the next pair (leader, candidate), 0 when done, or -errno */
	int (*next)(struct ag *a, uint32_t *leader, uint32_t *cand);
	bool (*compare)(struct ag *a, uint32_t leader, uint32_t cand);
	bool (*viable)(struct ag *a, uint32_t leader, uint32_t cand);
	void (*merge_vertices)(struct ag *a, uint32_t leader, uint32_t cand);
	int (*merge_edges)(struct ag *a, uint32_t into, uint32_t from);
	/* the next edge of the chosen shortest path between v and the
	 * group on `side`, or AG_NONE when there is no path */
	uint32_t (*path)(struct ag *a, int side, uint32_t v);
	void (*edge_added)(struct ag *a, int side, uint32_t id);
	int (*test)(struct ag *a, bool merged);
	void (*fini)(struct ag *a);
};

struct ag {
	const struct autogroup_input *in;
	const struct ag_ops *ops;
	uint32_t n, ne;
	struct ag_edge *e;
	struct ag_adjl *adj[2]; /* per vertex: in-edges [AG_UP], out-edges */
	struct ag_ids *org;     /* per edge: original edge ids, or NULL */
	struct ag_adj *block;
	uint32_t *oblock;
	uint32_t *rank, *byrank;
	uint32_t *rep;    /* vertex -> its group's leader */
	uint32_t *size;   /* leader -> member count */
	uint32_t *bucket; /* vertex -> class, AG_NONE when not groupable */
	uint32_t nb, *bstart, *bvert; /* classes: members by rank */
	uint32_t *tmp;                /* scratch of max(n, ne) + 1 */
	struct ag_adj *far;
	void *priv; /* the algorithm's own state */
};

#define ALLOC(p, count) ((p) = malloc(((size_t)(count) + 1) * sizeof(*(p))))

/* Pieces of the default behaviour an algorithm may put in its ops. */
bool ag_compare(struct ag *a, uint32_t leader, uint32_t cand);
void ag_merge_vertices(struct ag *a, uint32_t leader, uint32_t cand);
int ag_merge_edges(struct ag *a, uint32_t into, uint32_t from);

/* The algorithms. */
extern const struct ag_ops ag_nonreach_ops;

#endif /* ENGINE_GRAPH_INTERNAL_H */

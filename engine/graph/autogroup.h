/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * autogroup.h - automatic grouping: merge compatible vertices that have no
 * path between them into one vertex, keeping every dependency.
 *
 * The graph layer knows nothing of resources: the caller says, through
 * callbacks, which vertices may be grouped at all, their deterministic order
 * (kind, then name), which are of one class (kind), and whether a candidate
 * may join a leader's group (the kind's group_cmp).  The result maps every
 * vertex to its group and gives the grouped graph, whose edges are the
 * original ones re-attached as mgmt does (doc/scheduler.md, "Groups"; the
 * rules and their cost are at the top of autogroup.c).  The same graph and
 * answers give the same groups and edges whatever the vertex numbering;
 * only the group numbers follow it.
 *
 * An autogrouper is an algorithm behind struct autogrouper, so another can
 * be dropped in; autogroup_default is non-reachability grouping.
 */
#ifndef ENGINE_AUTOGROUP_H
#define ENGINE_AUTOGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "graph/graph.h"

struct autogroup_input {
	const struct graph *g; /* finalized, acyclic; GRAPH_EDGE_NOTIFY */
	/* The four callbacks may be NULL: every vertex groupable, vertex
	 * number order, one class, cmp always true.  They are called on the
	 * caller's thread, during run only. */
	/* may vertex v take part at all (meta.autogroup, kind groups)? */
	bool (*groupable)(void *ctx, uint32_t v);
	/* total order of vertices: <0, 0 (only a == b), >0; (kind, name) */
	int (*order)(void *ctx, uint32_t a, uint32_t b);
	/* of one class (kind)?  Only such pairs are compared.  An
	 * equivalence; cheapest when classes are contiguous in `order`. */
	bool (*same_class)(void *ctx, uint32_t a, uint32_t b);
	/* may `cand` join the group led by `leader`?  Asked only about
	 * viable pairs; need not be symmetric. */
	bool (*cmp)(void *ctx, uint32_t leader, uint32_t cand);
	void *ctx;
	/* Optional (NULL): a hint that cmp(a, b) can only be true when
	 * group_key(a) == group_key(b) (a file's directory).  cmp is then
	 * only asked about vertices of one key, which saves most calls and
	 * scans when one class forms many small groups. */
	uint64_t (*group_key)(void *ctx, uint32_t v);
	/* Optional (NULL): told of each merge as it happens, in order, for
	 * the log line "Grouping: Success for: Kind[cand] into Kind[leader]". */
	void (*merged)(void *ctx, uint32_t leader, uint32_t cand);
	/* Fill autogroup_result.origin_start and origins. */
	bool want_origins;
};

/* Groups are numbered by ascending vertex number of their leader, so with
 * no grouping group k is vertex k. */
struct autogroup_result {
	uint32_t ngroups;
	uint32_t *group_of;     /* [n]: vertex -> group */
	uint32_t *member_start; /* [ngroups + 1] */
	uint32_t *members;      /* [n]: members of group k are
				 * members[member_start[k] .. member_start[k+1]),
				 * leader first, then in `order` */
	struct graph grouped;   /* over groups 0..ngroups-1, finalized;
				 * flags: those of the edges it stands
				 * for, ORed */
	/* With want_origins (else NULL): the original edges (indexes into
	 * in->g->edges, ascending) that grouped edge i stands for are
	 * origins[origin_start[i] .. origin_start[i+1]).  An edge merged
	 * through a path stands in every edge of that path. */
	uint32_t *origin_start; /* [grouped.nedges + 1] */
	uint32_t *origins;
};

struct autogrouper {
	const char *name;
	/* Group `in`; fill `out` (free with autogroup_result_free).  0,
	 * -EINVAL (graph not finalized), -ELOOP (graph has a cycle) or
	 * -ENOMEM; on error `out` is left empty. */
	int (*run)(const struct autogroup_input *in,
		   struct autogroup_result *out);
};

extern const struct autogrouper autogroup_default;

/* No grouping at all: every vertex its own group (--no-autogroup), the
 * grouped graph a copy of the input (cycles and all); calls no callback.
 * 0, -EINVAL or -ENOMEM. */
int autogroup_none(const struct autogroup_input *in,
		   struct autogroup_result *out);

/* Frees a result and zeroes it; safe twice. */
void autogroup_result_free(struct autogroup_result *r);

#endif /* ENGINE_AUTOGROUP_H */

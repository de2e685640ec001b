/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * autogroup-nonreach.c - the default autogrouper: mgmt's non-reachability
 * grouping (rules and cost at the top of autogroup.c), with leaders in rank
 * order, reachability to and from the growing group kept by incremental
 * BFS, and DFS-interval certificates that spare a turn its BFS when every
 * candidate is known to be connected to the leader.
 */
#define _GNU_SOURCE /* qsort_r */
#include "graph/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Where a vertex stands towards the current group on one side; valid only
 * when stamp is the current turn.  One struct: a BFS step touches one line. */
struct nr_mark {
	uint32_t stamp, dist;
	uint32_t via, vrank; /* the next step's edge, and its vertex's rank */
};

struct nr {
	uint32_t turn, pos, leader, last;
	struct nr_mark *mark[2];
	uint32_t *queue;
	uint32_t *pre, *fin; /* DFS-tree interval of each vertex */
	uint32_t *list[3];   /* each class by pre, by fin, by rank */
	uint32_t *skip[3];   /* position -> next position still alone */
	uint32_t *where[3];  /* vertex -> its position in list[i] */
	uint32_t *alive;     /* class -> how many are still alone */
	uint32_t *cand, ncand, ci, *seen, nseen; /* this turn's candidates */
};

/*
 * A BFS wave over one side from the vertices queued in queue[0..tail):
 * every vertex whose distance to the group gets shorter is updated and
 * walked on.  Among next steps of equal length the lowest-ranked one wins,
 * which fixes the shortest path each re-attached edge is merged through.
 */
static void nr_wave(struct ag *a, int side, uint32_t tail)
{
	struct nr *r = a->priv;
	uint32_t t = r->turn, head = 0, *queue = r->queue;
	struct nr_mark *mark = r->mark[side];

	while (head < tail) {
		uint32_t u = queue[head++], d = mark[u].dist + 1;
		uint32_t rank = a->rank[u];
		const struct ag_adjl *l = &a->adj[side][u];

		for (uint32_t i = 0; i < l->n; i++) {
			struct nr_mark *m = &mark[l->v[i].nb];

			if (m->stamp != t || m->dist > d) {
				*m = (struct nr_mark){ t, d, l->v[i].id, rank };
				queue[tail++] = l->v[i].nb;
			} else if (m->dist == d && rank < m->vrank) {
				m->via = l->v[i].id;
				m->vrank = rank;
			}
		}
	}
}

static void nr_begin(struct ag *a, uint32_t l)
{
	struct nr *r = a->priv;

	r->turn++;
	r->leader = l;
	for (int side = AG_UP; side <= AG_DOWN; side++) {
		r->mark[side][l] =
			(struct nr_mark){ r->turn, 0, AG_NONE, AG_NONE };
		r->queue[0] = l;
		nr_wave(a, side, 1);
	}
}

/*
 * Certificates.  In a DFS forest of the input graph, the vertices of v's
 * subtree are those with pre in [pre[v], fin[v]), and v reaches them all;
 * reachability only grows as groups form, so a candidate inside the
 * leader's subtree, or above it, can never join it.  The rest are found by
 * range queries on each class listed by pre and by fin, skipping those no
 * longer alone, so a turn whose candidates are all certified (a chain, a
 * fan, a tree) costs no BFS and no pass over its class.
 */
enum {
	BY_PRE,
	BY_FIN,
	BY_RANK
};

static uint32_t skip_find(uint32_t *skip, uint32_t i)
{
	uint32_t r = i;

	while (skip[r] != r)
		r = skip[r];
	while (skip[i] != r) {
		uint32_t next = skip[i];

		skip[i] = r;
		i = next;
	}
	return r;
}

/* v is no longer alone: it leads a group or joined one. */
static void nr_kill(struct ag *a, uint32_t v)
{
	struct nr *r = a->priv;

	for (int x = BY_PRE; x <= BY_RANK; x++)
		r->skip[x][r->where[x][v]] = r->where[x][v] + 1;
	r->alive[a->bucket[v]]--;
}

static int by_rank(const void *x, const void *y, void *arg)
{
	const uint32_t *rank = arg;
	uint32_t rx = rank[*(const uint32_t *)x],
		 ry = rank[*(const uint32_t *)y];

	return (rx > ry) - (rx < ry);
}

/* This turn's candidates: l's class, still alone, not certified, by rank. */
static void nr_collect(struct ag *a, uint32_t l)
{
	struct nr *r = a->priv;
	uint32_t b = a->bucket[l], s = a->bstart[b], t = a->bstart[b + 1];
	const uint32_t *byp = r->list[BY_PRE], *byf = r->list[BY_FIN];
	uint32_t lo = s, hi = t, n = 0;

	while (lo < hi) { /* the first after l's subtree */
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->pre[byp[mid]] < r->fin[l])
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = skip_find(r->skip[BY_PRE], lo); i < t;
	     i = skip_find(r->skip[BY_PRE], i + 1))
		r->cand[n++] = byp[i];
	lo = s;
	hi = t;
	while (lo < hi) { /* those whose subtree ends before l's begins */
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->fin[byf[mid]] <= r->pre[l])
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = skip_find(r->skip[BY_FIN], s); i < lo;
	     i = skip_find(r->skip[BY_FIN], i + 1))
		r->cand[n++] = byf[i];
	r->ncand = n;
	r->ci = 0;
	if ((uint64_t)n * 8 < r->alive[b]) {
		qsort_r(r->cand, n, sizeof(*r->cand), by_rank, a->rank);
		return;
	}
	/* most of the class: one pass over it in rank order is cheaper */
	r->nseen++;
	for (uint32_t i = 0; i < n; i++)
		r->seen[r->cand[i]] = r->nseen;
	n = 0;
	for (uint32_t i = skip_find(r->skip[BY_RANK], s); i < t;
	     i = skip_find(r->skip[BY_RANK], i + 1))
		if (r->seen[r->list[BY_RANK][i]] == r->nseen)
			r->cand[n++] = r->list[BY_RANK][i];
}

/* Number the DFS forest, roots the sources in vertex order (a DAG has no
 * other roots), children by ascending target. */
static void nr_dfs(struct ag *a, uint32_t *stack, uint32_t *next)
{
	struct nr *r = a->priv;
	const struct graph *g = a->in->g;
	uint32_t count = 0;

	for (uint32_t v = 0; v < a->n; v++)
		r->pre[v] = AG_NONE;
	for (uint32_t root = 0; root < a->n; root++) {
		uint32_t top = 0;

		if (r->pre[root] != AG_NONE || graph_in_degree(g, root))
			continue;
		r->pre[root] = count++;
		stack[top] = root;
		next[top++] = g->out_start[root];
		while (top) {
			uint32_t v = stack[top - 1], w;

			if (next[top - 1] == g->out_start[v + 1]) {
				r->fin[v] = count;
				top--;
				continue;
			}
			w = g->edges[next[top - 1]++].to;
			if (r->pre[w] != AG_NONE)
				continue;
			r->pre[w] = count++;
			stack[top] = w;
			next[top++] = g->out_start[w];
		}
	}
}

static int nr_init(struct ag *a)
{
	struct nr *r = calloc(1, sizeof(*r));
	uint32_t n = a->n, nb = a->nb, total = a->bstart[nb], *cur, *by;

	a->priv = r;
	if (!r)
		return -ENOMEM;
	for (int s = AG_UP; s <= AG_DOWN; s++)
		r->mark[s] = calloc((size_t)n + 1, sizeof(*r->mark[s]));
	for (int x = BY_PRE; x <= BY_RANK; x++) {
		ALLOC(r->skip[x], total + 1);
		ALLOC(r->where[x], n);
	}
	r->alive = calloc((size_t)nb + 1, sizeof(*r->alive));
	r->seen = calloc((size_t)n + 1, sizeof(*r->seen));
	if (!r->mark[AG_UP] || !r->mark[AG_DOWN] || !r->skip[BY_PRE] ||
	    !r->skip[BY_FIN] || !r->skip[BY_RANK] || !r->where[BY_PRE] ||
	    !r->where[BY_FIN] || !r->where[BY_RANK] || !r->alive || !r->seen ||
	    !ALLOC(r->queue, n) || !ALLOC(r->pre, n) || !ALLOC(r->fin, n) ||
	    !ALLOC(r->list[BY_PRE], total) || !ALLOC(r->list[BY_FIN], total) ||
	    !ALLOC(r->cand, n))
		return -ENOMEM;
	r->list[BY_RANK] = a->bvert;
	nr_dfs(a, r->queue, a->tmp);

	/* each class by pre, then by fin: counting sorts (cand holds the
	 * vertices by pre, then the fin counts; tmp the class cursors) */
	cur = a->tmp;
	by = r->cand;
	for (uint32_t v = 0; v < n; v++)
		by[r->pre[v]] = v;
	for (int x = BY_PRE; x <= BY_FIN; x++) {
		memcpy(cur, a->bstart, (size_t)nb * sizeof(*cur));
		if (x == BY_FIN) {
			memset(r->queue, 0, ((size_t)n + 1) * sizeof(uint32_t));
			for (uint32_t v = 0; v < n; v++)
				r->queue[r->fin[v] - 1]++;
			for (uint32_t i = 1; i < n; i++)
				r->queue[i] += r->queue[i - 1];
			for (uint32_t v = n; v-- > 0;)
				by[--r->queue[r->fin[v] - 1]] = v;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint32_t v = by[i], b = a->bucket[v];

			if (b != AG_NONE)
				r->list[x][cur[b]++] = v;
		}
	}
	for (int x = BY_PRE; x <= BY_RANK; x++) {
		for (uint32_t i = 0; i <= total; i++)
			r->skip[x][i] = i;
		for (uint32_t i = 0; i < total; i++)
			r->where[x][r->list[x][i]] = i;
	}
	for (uint32_t b = 0; b < nb; b++)
		r->alive[b] = a->bstart[b + 1] - a->bstart[b];
	r->turn = 0;
	r->pos = 0;
	r->nseen = 0;
	r->leader = AG_NONE;
	return 0;
}

static void nr_fini(struct ag *a)
{
	struct nr *r = a->priv;

	if (!r)
		return;
	free(r->mark[AG_UP]);
	free(r->mark[AG_DOWN]);
	free(r->queue);
	free(r->pre);
	free(r->fin);
	free(r->list[BY_PRE]);
	free(r->list[BY_FIN]);
	for (int x = BY_PRE; x <= BY_RANK; x++) {
		free(r->skip[x]);
		free(r->where[x]);
	}
	free(r->alive);
	free(r->cand);
	free(r->seen);
	free(r);
	a->priv = NULL;
}

/* Leaders in rank order; for each, its candidates in rank order (those
 * ranked before it too: cmp need not be symmetric). */
static int nr_next(struct ag *a, uint32_t *leader, uint32_t *cand)
{
	struct nr *r = a->priv;

	for (;;) {
		if (r->leader != AG_NONE && r->ci < r->ncand) {
			*leader = r->leader;
			*cand = r->last = r->cand[r->ci++];
			return 1;
		}
		if (r->leader != AG_NONE && a->size[r->leader] > 1)
			nr_kill(a, r->leader);
		r->leader = AG_NONE;
		while (r->pos < a->n && r->leader == AG_NONE) {
			uint32_t v = a->byrank[r->pos++];

			if (a->bucket[v] == AG_NONE || a->rep[v] != v)
				continue;
			nr_collect(a, v);
			if (r->ncand)
				nr_begin(a, v);
		}
		if (r->leader == AG_NONE)
			return 0;
	}
}

static bool nr_viable(struct ag *a, uint32_t leader, uint32_t cand)
{
	struct nr *r = a->priv;

	return r->mark[AG_UP][cand].stamp != r->turn &&
	       r->mark[AG_DOWN][cand].stamp != r->turn;
}

static uint32_t nr_path(struct ag *a, int side, uint32_t v)
{
	struct nr *r = a->priv;
	const struct nr_mark *m = &r->mark[side][v];

	return m->stamp == r->turn && v != r->leader ? m->via : AG_NONE;
}

/* A new edge x->G (or G->y): x is one step from the group now, and so are
 * its ancestors (descendants) nearer than before. */
static void nr_edge_added(struct ag *a, int side, uint32_t id)
{
	struct nr *r = a->priv;
	uint32_t w = side == AG_UP ? a->e[id].from : a->e[id].to;

	r->mark[side][w] =
		(struct nr_mark){ r->turn, 1, id, a->rank[r->leader] };
	r->queue[0] = w;
	nr_wave(a, side, 1);
}

static int nr_test(struct ag *a, bool merged)
{
	struct nr *r = a->priv;

	if (merged)
		nr_kill(a, r->last);
	return 1; /* nr_next knows when the turns are over */
}

const struct ag_ops ag_nonreach_ops = {
	.name = "non-reachability",
	.init = nr_init,
	.next = nr_next,
	.compare = ag_compare,
	.viable = nr_viable,
	.merge_vertices = ag_merge_vertices,
	.merge_edges = ag_merge_edges,
	.path = nr_path,
	.edge_added = nr_edge_added,
	.test = nr_test,
	.fini = nr_fini,
};

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * autogroup.c - automatic grouping with mgmt's semantics, fast enough for
 * graphs of 100,000 vertices.
 *
 * Semantics (mgmt's nonReachabilityGrouper and VertexMerge, made
 * deterministic).  Vertices are ranked by `order`.  Each vertex L in rank
 * order that is still its own group leads one turn: every other vertex c of
 * its class that is still alone (not absorbed, leads no group), in rank
 * order, joins L's group G when neither G reaches c nor c reaches G in the
 * current, already grouped graph and cmp(L, c) says yes.  Joining moves c's
 * edges to G: an in-edge x->c becomes x->G unless x already reaches G, in
 * which case it is dropped and its flags are ORed onto every edge of one
 * shortest path x ->* G (a parallel edge x->G is such a path); out-edges
 * c->y likewise with paths G ->* y.  In-edges are handled first, by rank of
 * x, then out-edges by rank of y, each seeing the edges the previous ones
 * made.  mgmt leaves two choices to Go's map order; here they are fixed:
 * those orders, and among shortest paths the one found by walking from x
 * (or back from y) to the lowest-ranked neighbour one step nearer to G.
 *
 * Speed.  Grouping only ever merges mutually unreachable vertices, so
 * reachability between surviving vertices only grows, and during L's turn
 * everything reaching G (set A) and everything G reaches (set D) can be kept
 * with BFS distances and "next step" edges: c is viable iff it is in neither,
 * and merging c adds exactly c's ancestors to A and its descendants to D (a
 * path cannot leave G and come back).  So a turn costs one BFS each way from
 * L, then incremental waves over only what becomes newly reachable or
 * nearer; the shortest-path walks read the stored next-step edges.
 * Adjacency lists hold (far end, edge) pairs and each edge knows its place
 * in them, so moving or dropping an edge is O(1) and a BFS never meets a
 * dead edge.  Before that, a DFS forest of the input certifies much of the
 * reachability for free: a turn only looks at the candidates the
 * certificates leave open, and when there are none it costs no BFS at all,
 * which keeps chains, fans and trees near linear.
 *
 * Cost: ranking O(V log V) order calls; classes O(V) same_class calls when
 * they are contiguous in `order` (O(V * classes) otherwise), plus a sort by
 * group_key when given; a DFS, O(V + E).  Then each turn whose uncertified
 * candidates are not none costs O(V + E) at most for its BFS (the part of
 * the graph connected to L) plus O(c log c) for its c candidates; cmp is
 * called once per viable candidate; re-attaching edges is O(E * path
 * length) in all.  Total O(V log V + k (V + E) + cmp calls) time for k such
 * turns (k <= the number of groups formed, and 0 on a chain), O(V + E)
 * memory (plus the origins when asked for).  mgmt's loop is O(V^2) pairs,
 * each with a fresh graph search.  bench/autogroup measures it.
 *
 * This file holds the API, the working graph, the generic loop (drive())
 * and the merging rules, which every algorithm shares; an algorithm is a
 * struct ag_ops (graph/internal.h, after mgmt's AutoGrouper), so another
 * can be dropped in.  The default, autogroup-nonreach.c, is the one above.
 */
#define _GNU_SOURCE /* qsort_r */
#include "graph/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Room for one more of n elements: the array itself, moved if it had to
 * grow, or NULL when memory ran out (the old one is then still valid). */
static void *grow(void *v, uint32_t n, uint32_t *cap, bool *own, size_t size)
{
	uint32_t c = *cap < 4 ? 8 : *cap * 2;
	void *p;

	if (n < *cap)
		return v;
	if (*cap > UINT32_MAX / 2)
		return NULL;
	p = *own ? realloc(v, (size_t)c * size) : malloc((size_t)c * size);
	if (!p)
		return NULL;
	if (!*own && n)
		memcpy(p, v, (size_t)n * size);
	*cap = c;
	*own = true;
	return p;
}

static int ids_push(struct ag_ids *l, uint32_t x)
{
	uint32_t *v = grow(l->v, l->n, &l->cap, &l->own, sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	l->v[l->n++] = x;
	return 0;
}

/* Append edge id to v's list on `side`, recording where it went. */
static int adj_push(struct ag *a, int side, uint32_t v, uint32_t nb,
		    uint32_t id)
{
	struct ag_adjl *l = &a->adj[side][v];
	struct ag_adj *p = grow(l->v, l->n, &l->cap, &l->own, sizeof(*p));

	if (!p)
		return -ENOMEM;
	l->v = p;
	a->e[id].at[side] = l->n;
	l->v[l->n++] = (struct ag_adj){ nb, id };
	return 0;
}

/* Remove edge id from v's list on `side` (order is not kept). */
static void adj_remove(struct ag *a, int side, uint32_t v, uint32_t id)
{
	struct ag_adjl *l = &a->adj[side][v];
	uint32_t at = a->e[id].at[side];

	l->v[at] = l->v[--l->n];
	a->e[l->v[at].id].at[side] = at;
}

static void lists_free(struct ag_adjl *l, struct ag_ids *o, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (l && l[i].own)
			free(l[i].v);
		if (o && o[i].own)
			free(o[i].v);
	}
	free(l);
	free(o);
}

static int by_order(const void *x, const void *y, void *arg)
{
	const struct autogroup_input *in = arg;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	if (in->order)
		return in->order(in->ctx, a, b);
	return (a > b) - (a < b);
}

struct keyed {
	uint32_t bucket, v;
	uint64_t key;
};

static int by_bucket_key(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;

	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return (a->v > b->v) - (a->v < b->v);
}

/* With group_key, a class is split by key: cmp is never asked about two
 * vertices whose keys differ. */
static int split_by_key(struct ag *a, uint32_t *nb)
{
	struct keyed *k = malloc(((size_t)a->n + 1) * sizeof(*k));
	uint32_t m = 0, b = 0;

	if (!k)
		return -ENOMEM;
	for (uint32_t v = 0; v < a->n; v++)
		if (a->bucket[v] != AG_NONE)
			k[m++] = (struct keyed){
				a->bucket[v], v, a->in->group_key(a->in->ctx, v)
			};
	qsort(k, m, sizeof(*k), by_bucket_key);
	for (uint32_t i = 0; i < m; i++) {
		if (i && (k[i].bucket != k[i - 1].bucket ||
			  k[i].key != k[i - 1].key))
			b++;
		a->bucket[k[i].v] = b;
	}
	*nb = b + 1;
	free(k);
	return 0;
}

/* Rank the vertices and split the groupable ones into classes, each listed
 * in rank order.  A vertex is first tried against the class of the vertex
 * before it, so classes contiguous in `order` cost one call each. */
static int classify(struct ag *a)
{
	const struct autogroup_input *in = a->in;
	uint32_t n = a->n, nb = 0, last = AG_NONE;
	uint32_t *first = a->tmp; /* class -> its first vertex */

	for (uint32_t v = 0; v < n; v++)
		a->byrank[v] = v;
	qsort_r(a->byrank, n, sizeof(*a->byrank), by_order, (void *)in);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = a->byrank[i], b = AG_NONE;

		a->rank[v] = i;
		a->bucket[v] = AG_NONE;
		if (in->groupable && !in->groupable(in->ctx, v))
			continue;
		if (last != AG_NONE &&
		    (!in->same_class ||
		     in->same_class(in->ctx, first[last], v)))
			b = last;
		for (uint32_t k = 0; b == AG_NONE && k < nb; k++)
			if (k != last && in->same_class(in->ctx, first[k], v))
				b = k;
		if (b == AG_NONE) {
			b = nb++;
			first[b] = v;
		}
		a->bucket[v] = last = b;
	}
	if (in->group_key && nb) {
		int ret = split_by_key(a, &nb);

		if (ret)
			return ret;
	}
	a->nb = nb;
	a->bstart = calloc((size_t)nb + 2, sizeof(*a->bstart));
	if (!a->bstart)
		return -ENOMEM;
	for (uint32_t v = 0; v < n; v++)
		if (a->bucket[v] != AG_NONE)
			a->bstart[a->bucket[v] + 2]++;
	for (uint32_t b = 0; b < nb; b++)
		a->bstart[b + 2] += a->bstart[b + 1];
	for (uint32_t i = 0; i < n; i++) { /* bstart[b + 1]: b's cursor */
		uint32_t v = a->byrank[i], b = a->bucket[v];

		if (b != AG_NONE)
			a->bvert[a->bstart[b + 1]++] = v;
	}
	return 0;
}

/* The working graph: the input's edges, with adjacency lists that change
 * as groups take their members' edges. */
static int ag_setup(struct ag *a, const struct autogroup_input *in,
		    bool grouping)
{
	const struct graph *g = in->g;
	uint32_t n = g->n, ne = (uint32_t)g->nedges, m = n > ne ? n : ne;

	a->in = in;
	a->n = n;
	a->ne = ne;
	for (int s = AG_UP; s <= AG_DOWN; s++)
		a->adj[s] = calloc((size_t)n + 1, sizeof(*a->adj[s]));
	if (in->want_origins) {
		a->org = calloc((size_t)ne + 1, sizeof(*a->org));
		ALLOC(a->oblock, ne);
	}
	if (!ALLOC(a->e, ne) || !ALLOC(a->block, 2 * (size_t)ne) ||
	    !ALLOC(a->rank, n) || !ALLOC(a->byrank, n) || !ALLOC(a->rep, n) ||
	    !ALLOC(a->size, n) || !ALLOC(a->bucket, n) || !ALLOC(a->bvert, n) ||
	    !ALLOC(a->tmp, m) || !ALLOC(a->far, m) || !a->adj[AG_UP] ||
	    !a->adj[AG_DOWN] || (in->want_origins && (!a->org || !a->oblock)))
		return -ENOMEM;

	for (uint32_t v = 0; v < n; v++) {
		uint32_t od = graph_out_degree(g, v),
			 id = graph_in_degree(g, v);

		a->adj[AG_DOWN][v] =
			(struct ag_adjl){ a->block + g->out_start[v], od, od,
					  false };
		a->adj[AG_UP][v] =
			(struct ag_adjl){ a->block + ne + g->in_start[v], id,
					  id, false };
		a->rep[v] = v;
		a->size[v] = 1;
	}
	for (uint32_t i = 0; i < ne; i++) {
		const struct graph_edge *ge = &g->edges[i];

		a->e[i] = (struct ag_edge){ .from = ge->from,
					    .to = ge->to,
					    .flags = ge->flags };
		a->e[i].at[AG_DOWN] = i - g->out_start[ge->from];
		a->block[i] = (struct ag_adj){ ge->to, i };
	}
	for (uint32_t i = 0; i < ne; i++) {
		uint32_t j = g->in_edge[i];

		a->e[j].at[AG_UP] = i - g->in_start[g->edges[j].to];
		a->block[ne + i] = (struct ag_adj){ g->edges[j].from, j };
		if (a->org) {
			a->oblock[i] = i;
			a->org[i] =
				(struct ag_ids){ a->oblock + i, 1, 1, false };
		}
	}
	if (grouping)
		return classify(a);
	for (uint32_t v = 0; v < n; v++)
		a->byrank[v] = a->rank[v] = v;
	return 0;
}

static void ag_cleanup(struct ag *a)
{
	if (a->ops && a->ops->fini)
		a->ops->fini(a);
	for (int s = AG_UP; s <= AG_DOWN; s++)
		lists_free(a->adj[s], NULL, a->n);
	lists_free(NULL, a->org, a->ne);
	free(a->e);
	free(a->block);
	free(a->oblock);
	free(a->rank);
	free(a->byrank);
	free(a->rep);
	free(a->size);
	free(a->bucket);
	free(a->bstart);
	free(a->bvert);
	free(a->tmp);
	free(a->far);
}

/* ---- merging, common to every algorithm (mgmt's VertexMerge) ---- */

static int by_far_rank(const void *x, const void *y, void *arg)
{
	const uint32_t *rank = arg;
	uint32_t rx = rank[((const struct ag_adj *)x)->nb];
	uint32_t ry = rank[((const struct ag_adj *)y)->nb];

	return (rx > ry) - (rx < ry);
}

/* Move c's edges on one side to group g (see the top comment). */
static int reattach(struct ag *a, uint32_t g, uint32_t c, int side)
{
	const struct ag_ops *o = a->ops;
	const struct ag_adjl *l = &a->adj[side][c];
	uint32_t k = l->n;
	int other = !side, ret;

	/* c's own lists are dropped with it; the far ends' are kept. */
	memcpy(a->far, l->v, (size_t)k * sizeof(*a->far));
	qsort_r(a->far, k, sizeof(*a->far), by_far_rank, a->rank);
	for (uint32_t i = 0; i < k; i++) {
		uint32_t x = a->far[i].nb, id = a->far[i].id, p;
		struct ag_edge *e = &a->e[id];

		p = x == g ? AG_NONE : o->path(a, side, x);
		if (x != g && p == AG_NONE) {
			a->adj[other][x].v[e->at[other]].nb = g;
			if (side == AG_UP)
				e->to = g;
			else
				e->from = g;
			ret = adj_push(a, side, g, x, id);
			if (ret)
				return ret;
			o->edge_added(a, side, id);
			continue;
		}
		while (p != AG_NONE) {
			uint32_t next = side == AG_UP ? a->e[p].to :
							a->e[p].from;

			ret = o->merge_edges(a, p, id);
			if (ret)
				return ret;
			p = next == g ? AG_NONE : o->path(a, side, next);
		}
		/* merged through, or between the two (never viable) */
		adj_remove(a, other, x, id);
		e->dead = true;
	}
	return 0;
}

static int contract(struct ag *a, uint32_t g, uint32_t c)
{
	int ret = reattach(a, g, c, AG_UP);

	if (!ret)
		ret = reattach(a, g, c, AG_DOWN);
	if (!ret)
		a->ops->merge_vertices(a, g, c);
	return ret;
}

void ag_merge_vertices(struct ag *a, uint32_t g, uint32_t c)
{
	a->rep[c] = g;
	a->size[g] += a->size[c];
	if (a->in->merged)
		a->in->merged(a->in->ctx, g, c);
}

/* The edge that stands for both: flags ORed, origins joined. */
int ag_merge_edges(struct ag *a, uint32_t into, uint32_t from)
{
	a->e[into].flags |= a->e[from].flags;
	if (a->org) {
		struct ag_ids *s = &a->org[from];

		for (uint32_t i = 0; i < s->n; i++) {
			int ret = ids_push(&a->org[into], s->v[i]);

			if (ret)
				return ret;
		}
	}
	return 0;
}

bool ag_compare(struct ag *a, uint32_t leader, uint32_t cand)
{
	const struct autogroup_input *in = a->in;

	return !in->cmp || in->cmp(in->ctx, leader, cand);
}

static int drive(struct ag *a)
{
	const struct ag_ops *o = a->ops;
	int ret = o->init(a);

	while (ret >= 0) {
		uint32_t l, c;
		bool merged = false;

		ret = o->next(a, &l, &c);
		if (ret <= 0)
			break;
		if (o->viable(a, l, c) && o->compare(a, l, c)) {
			ret = contract(a, l, c);
			if (ret < 0)
				break;
			merged = true;
		}
		ret = o->test(a, merged);
		if (ret <= 0)
			break;
	}
	return ret < 0 ? ret : 0;
}

/* ---- results ---- */

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

/* Groups are numbered by their leader's vertex number; the grouped graph's
 * edges are added sorted, so finalizing keeps their order (origins match). */
static int build_result(struct ag *a, struct autogroup_result *r)
{
	uint32_t n = a->n, k = 0, m = 0, *gid = a->tmp, *cnt, *ids;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	for (uint32_t v = 0; v < n; v++)
		if (a->rep[v] == v)
			gid[v] = k++;
	r->ngroups = k;
	r->group_of = malloc(((size_t)n + 1) * sizeof(uint32_t));
	r->member_start = calloc((size_t)k + 1, sizeof(uint32_t));
	r->members = malloc(((size_t)n + 1) * sizeof(uint32_t));
	cnt = calloc((size_t)k + 1, sizeof(uint32_t));
	ids = malloc(((size_t)a->ne + 1) * sizeof(uint32_t));
	if (!r->group_of || !r->member_start || !r->members || !cnt || !ids) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t v = 0; v < n; v++) {
		r->group_of[v] = gid[a->rep[v]];
		r->member_start[r->group_of[v] + 1]++;
	}
	for (uint32_t i = 0; i < k; i++)
		r->member_start[i + 1] += r->member_start[i];
	for (uint32_t v = 0; v < n; v++)
		if (a->rep[v] == v)
			r->members[r->member_start[gid[v]] + cnt[gid[v]]++] = v;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = a->byrank[i], gr = r->group_of[v];

		if (a->rep[v] != v)
			r->members[r->member_start[gr] + cnt[gr]++] = v;
	}

	/* Two stable counting sorts of the live edges: by target, then by
	 * source (cnt is reused as the bucket cursor). */
	for (uint32_t i = 0; i < a->ne; i++)
		if (!a->e[i].dead)
			a->tmp[m++] = i; /* gid is no longer needed */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t *src = pass ? ids : a->tmp, *dst = pass ? a->tmp : ids;

		memset(cnt, 0, ((size_t)k + 1) * sizeof(*cnt));
		for (uint32_t i = 0; i < m; i++) {
			const struct ag_edge *e = &a->e[src[i]];

			cnt[r->group_of[pass ? e->from : e->to] + 1]++;
		}
		for (uint32_t i = 0; i < k; i++)
			cnt[i + 1] += cnt[i];
		for (uint32_t i = 0; i < m; i++) {
			const struct ag_edge *e = &a->e[src[i]];

			dst[cnt[r->group_of[pass ? e->from : e->to]]++] =
				src[i];
		}
	}
	ret = graph_init(&r->grouped, k);
	for (uint32_t i = 0; i < m && !ret; i++) {
		const struct ag_edge *e = &a->e[a->tmp[i]];

		ret = graph_add_edge(&r->grouped, r->group_of[e->from],
				     r->group_of[e->to], e->flags);
	}
	if (!ret)
		ret = graph_finalize(&r->grouped);
	if (ret || !a->org)
		goto out;

	r->origin_start = calloc((size_t)m + 1, sizeof(uint32_t));
	r->origins = malloc(((size_t)a->ne + 1) * sizeof(uint32_t));
	if (!r->origin_start || !r->origins) {
		ret = -ENOMEM;
		goto out;
	}
	/* Every original edge lives on in at least one grouped edge, but a
	 * merged-through one in several: size the array as we go. */
	for (uint32_t i = 0, len = 0, cap = a->ne; i < m; i++) {
		struct ag_ids *o = &a->org[a->tmp[i]];
		uint32_t *tmp;

		qsort(o->v, o->n, sizeof(*o->v), cmp_u32);
		for (uint32_t j = 0; j < o->n; j++) {
			if (j && o->v[j] == o->v[j - 1])
				continue;
			if (len == cap) {
				if (cap > UINT32_MAX / 2) {
					ret = -ENOMEM;
					goto out;
				}
				cap *= 2;
				tmp = realloc(r->origins,
					      (size_t)cap * sizeof(*tmp));
				if (!tmp) {
					ret = -ENOMEM;
					goto out;
				}
				r->origins = tmp;
			}
			r->origins[len++] = o->v[j];
		}
		r->origin_start[i + 1] = len;
	}
out:
	free(cnt);
	free(ids);
	if (ret)
		autogroup_result_free(r);
	return ret;
}

static int check_acyclic(const struct graph *g)
{
	uint32_t *order = malloc(((size_t)g->n + 1) * sizeof(*order));
	int ret;

	if (!order)
		return -ENOMEM;
	ret = graph_toposort(g, order);
	free(order);
	return ret;
}

static int none_init(struct ag *a)
{
	return 0;
}

static int none_next(struct ag *a, uint32_t *leader, uint32_t *cand)
{
	return 0;
}

/* Every vertex alone: the loop ends at once and the result is the input. */
static const struct ag_ops none_ops = {
	.name = "none",
	.init = none_init,
	.next = none_next,
};

static int run_ops(const struct ag_ops *ops, const struct autogroup_input *in,
		   struct autogroup_result *out)
{
	struct ag a = { 0 };
	int ret;

	memset(out, 0, sizeof(*out));
	if (!in || !in->g || !in->g->final)
		return -EINVAL;
	ret = ops == &none_ops ? 0 : check_acyclic(in->g);
	if (ret)
		return ret;
	ret = ag_setup(&a, in, ops != &none_ops);
	if (!ret) {
		a.ops = ops;
		ret = drive(&a);
	}
	if (!ret)
		ret = build_result(&a, out);
	ag_cleanup(&a);
	return ret;
}

static int run_default(const struct autogroup_input *in,
		       struct autogroup_result *out)
{
	return run_ops(&ag_nonreach_ops, in, out);
}

const struct autogrouper autogroup_default = {
	.name = "non-reachability",
	.run = run_default,
};

int autogroup_none(const struct autogroup_input *in,
		   struct autogroup_result *out)
{
	return run_ops(&none_ops, in, out);
}

void autogroup_result_free(struct autogroup_result *r)
{
	free(r->group_of);
	free(r->member_start);
	free(r->members);
	free(r->origin_start);
	free(r->origins);
	graph_free(&r->grouped);
	memset(r, 0, sizeof(*r));
}

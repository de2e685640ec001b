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
 * everything G reaches (D) and everything reaching G (A) can be kept as two
 * sets with BFS distances and "next step" edges: c is viable iff it is in
 * neither, and merging c adds exactly the ancestors of c to A and its
 * descendants to D (a path cannot leave G and come back).  So a turn costs
 * one BFS each way from L, then incremental BFS waves over only what
 * becomes newly reachable or nearer; the shortest-path walks read the stored
 * next-step edges.  Over the whole run: O(V log V) to rank (qsort with the
 * order callback), O(V) class partitioning when classes are contiguous in
 * that order (O(V * classes) when not), and for each of the k leaders that
 * still have a candidate, O(V + E) for its BFS plus a scan of its class's
 * remaining candidates (one cmp call each viable one).  Edge re-attachment
 * is O(E * path length) in all.  Total O(V log V + k (V + E) + cmp calls),
 * where k is at most the number of groups formed; memory O(V + E).  mgmt's
 * loop is O(V^2) pairs with a fresh graph search for each.
 *
 * The steps above are an autogrouper algorithm behind struct ag_ops, after
 * mgmt's AutoGrouper interface, driven by a generic loop (drive()); another
 * algorithm can be dropped in by writing its ops.  See autogroup.h.
 */
#define _GNU_SOURCE /* qsort_r */
#include "graph/autogroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

/* A growable list of edge ids whose first storage may be borrowed from a
 * shared block (own == false) so that building the graph is two mallocs. */
struct ag_list {
	uint32_t *v;
	uint32_t n, cap;
	bool own;
};

struct ag_edge {
	uint32_t from, to; /* group leaders, kept current as groups form */
	unsigned flags;
	bool dead;         /* merged through a path and gone */
};

/* Reachability from the current group: UP = vertices reaching it (paths
 * x ->* G, next step = first edge), DOWN = vertices it reaches (paths
 * G ->* y, next step = last edge, walked backwards). */
enum { UP, DOWN };

/* Where a vertex stands towards the current group on one side; valid only
 * when stamp is the current turn.  One struct: a BFS step touches one line. */
struct ag_mark {
	uint32_t stamp, dist;
	uint32_t via; /* the next step's edge */
};

struct ag;

/*
 * An autogrouper algorithm, after mgmt's AutoGrouper.  The generic loop in
 * drive() calls next() for each candidate pair, then viable() and compare(),
 * contract() to merge (which asks path() for the re-attachment paths,
 * reports edges it moves with edge_added(), and ends with merge_vertices()),
 * and test() after each pair to know whether to go on.
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
	/* next edge of the chosen shortest path between v and the group, or
	 * NONE when there is no path */
	uint32_t (*path)(struct ag *a, int side, uint32_t v);
	int (*edge_added)(struct ag *a, int side, uint32_t id);
	int (*test)(struct ag *a, bool merged);
	void (*fini)(struct ag *a);
};

struct ag {
	const struct autogroup_input *in;
	const struct ag_ops *ops;
	uint32_t n, ne;
	struct ag_edge *e;
	struct ag_list *out, *inl; /* per vertex: edge ids (dead ones too) */
	struct ag_list *org;       /* per edge: original edge ids, or NULL */
	uint32_t *block;
	uint32_t *rank, *byrank;
	uint32_t *rep;  /* vertex -> its group's leader */
	uint32_t *size; /* leader -> member count */
	uint32_t *bucket; /* vertex -> class, NONE when not groupable */
	uint32_t *bstart, *blen, *bvert; /* class members by rank */
	uint32_t *tmp;
	/* the non-reachability grouper's state */
	uint32_t turn, pos, leader, cur, end;
	struct ag_mark *mark[2];
	uint32_t *queue;
};

static int list_push(struct ag_list *l, uint32_t x)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap < 4 ? 8 : l->cap * 2;
		uint32_t *v;

		if (l->cap > UINT32_MAX / 2)
			return -ENOMEM;
		v = l->own ? realloc(l->v, (size_t)cap * sizeof(*v)) :
			     malloc((size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		if (!l->own && l->n)
			memcpy(v, l->v, (size_t)l->n * sizeof(*v));
		l->v = v;
		l->cap = cap;
		l->own = true;
	}
	l->v[l->n++] = x;
	return 0;
}

static void list_free(struct ag_list *l, uint32_t n)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < n; i++)
		if (l[i].own)
			free(l[i].v);
	free(l);
}

static int by_order(const void *x, const void *y, void *arg)
{
	const struct autogroup_input *in = arg;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	if (in->order)
		return in->order(in->ctx, a, b);
	return (a > b) - (a < b);
}

/* Rank the vertices and split the groupable ones into classes, each listed
 * in rank order.  A vertex is first tried against the class of the vertex
 * before it, so classes contiguous in `order` cost one call each. */
static int classify(struct ag *a)
{
	const struct autogroup_input *in = a->in;
	uint32_t n = a->n, nb = 0, last = NONE;
	uint32_t *first = a->tmp; /* class -> its first vertex */

	for (uint32_t v = 0; v < n; v++)
		a->byrank[v] = v;
	qsort_r(a->byrank, n, sizeof(*a->byrank), by_order, (void *)in);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = a->byrank[i], b = NONE;

		a->rank[v] = i;
		a->bucket[v] = NONE;
		if (in->groupable && !in->groupable(in->ctx, v))
			continue;
		if (last != NONE &&
		    (!in->same_class || in->same_class(in->ctx, first[last], v)))
			b = last;
		for (uint32_t k = 0; b == NONE && k < nb; k++)
			if (k != last && in->same_class(in->ctx, first[k], v))
				b = k;
		if (b == NONE) {
			b = nb++;
			first[b] = v;
		}
		a->bucket[v] = last = b;
	}
	a->bstart = calloc((size_t)nb + 1, sizeof(*a->bstart));
	a->blen = calloc((size_t)nb + 1, sizeof(*a->blen));
	if (!a->bstart || !a->blen)
		return -ENOMEM;
	for (uint32_t v = 0; v < n; v++)
		if (a->bucket[v] != NONE)
			a->blen[a->bucket[v]]++;
	for (uint32_t b = 0; b < nb; b++)
		a->bstart[b + 1] = a->bstart[b] + a->blen[b];
	memset(a->blen, 0, (size_t)nb * sizeof(*a->blen));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = a->byrank[i], b = a->bucket[v];

		if (b != NONE)
			a->bvert[a->bstart[b] + a->blen[b]++] = v;
	}
	return 0;
}

/* The working graph: the input's edges, with adjacency lists that grow as
 * groups take their members' edges. */
static int ag_setup(struct ag *a, const struct autogroup_input *in,
		    bool grouping)
{
	const struct graph *g = in->g;
	uint32_t n = g->n, ne = (uint32_t)g->nedges;
	size_t blk = 2 * (size_t)ne + (in->want_origins ? ne : 0);

	a->in = in;
	a->n = n;
	a->ne = ne;
	a->e = malloc(((size_t)ne + 1) * sizeof(*a->e));
	a->out = calloc((size_t)n + 1, sizeof(*a->out));
	a->inl = calloc((size_t)n + 1, sizeof(*a->inl));
	a->block = malloc((blk + 1) * sizeof(*a->block));
	a->rank = malloc(((size_t)n + 1) * sizeof(uint32_t));
	a->byrank = malloc(((size_t)n + 1) * sizeof(uint32_t));
	a->rep = malloc(((size_t)n + 1) * sizeof(uint32_t));
	a->size = malloc(((size_t)n + 1) * sizeof(uint32_t));
	a->bucket = malloc(((size_t)n + 1) * sizeof(uint32_t));
	a->bvert = malloc(((size_t)n + 1) * sizeof(uint32_t));
	a->tmp = malloc(((size_t)(n > ne ? n : ne) + 1) * sizeof(uint32_t));
	if (in->want_origins)
		a->org = calloc((size_t)ne + 1, sizeof(*a->org));
	if (!a->e || !a->out || !a->inl || !a->block || !a->rank ||
	    !a->byrank || !a->rep || !a->size || !a->bucket || !a->bvert ||
	    !a->tmp || (in->want_origins && !a->org))
		return -ENOMEM;

	for (uint32_t v = 0; v < n; v++) {
		uint32_t od = graph_out_degree(g, v), id = graph_in_degree(g, v);

		a->out[v] = (struct ag_list){ a->block + g->out_start[v], od,
					      od, false };
		a->inl[v] = (struct ag_list){ a->block + ne + g->in_start[v],
					      id, id, false };
		a->rep[v] = v;
		a->size[v] = 1;
	}
	for (uint32_t i = 0; i < ne; i++) {
		a->e[i] = (struct ag_edge){ g->edges[i].from, g->edges[i].to,
					    g->edges[i].flags, false };
		a->block[i] = i; /* out lists: CSR order is edge order */
		a->block[ne + i] = g->in_edge[i];
		if (a->org) {
			a->block[2 * (size_t)ne + i] = i;
			a->org[i] = (struct ag_list){
				a->block + 2 * (size_t)ne + i, 1, 1, false };
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
	list_free(a->out, a->n);
	list_free(a->inl, a->n);
	list_free(a->org, a->ne);
	free(a->e);
	free(a->block);
	free(a->rank);
	free(a->byrank);
	free(a->rep);
	free(a->size);
	free(a->bucket);
	free(a->bstart);
	free(a->blen);
	free(a->bvert);
	free(a->tmp);
}

/* ---- merging, common to every algorithm (mgmt's VertexMerge) ---- */

struct side_rank {
	const struct ag *a;
	int side;
};

/* In-edges by rank of their source, out-edges by rank of their target. */
static int by_far_rank(const void *x, const void *y, void *arg)
{
	const struct side_rank *s = arg;
	const struct ag_edge *e = s->a->e;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	uint32_t ri = s->a->rank[s->side == UP ? e[i].from : e[i].to];
	uint32_t rj = s->a->rank[s->side == UP ? e[j].from : e[j].to];

	return (ri > rj) - (ri < rj);
}

/* Move the edges of c on one side to group g (see the top comment). */
static int reattach(struct ag *a, uint32_t g, uint32_t c, int side)
{
	const struct ag_ops *o = a->ops;
	struct ag_list *l = side == UP ? &a->inl[c] : &a->out[c];
	struct side_rank sr = { a, side };
	uint32_t k = 0;
	int ret;

	for (uint32_t i = 0; i < l->n; i++)
		if (!a->e[l->v[i]].dead)
			a->tmp[k++] = l->v[i];
	qsort_r(a->tmp, k, sizeof(*a->tmp), by_far_rank, &sr);
	for (uint32_t i = 0; i < k; i++) {
		uint32_t id = a->tmp[i], p;
		struct ag_edge *e = &a->e[id];
		uint32_t far = side == UP ? e->from : e->to;

		if (far == g) { /* an edge between the two: never viable */
			e->dead = true;
			continue;
		}
		p = o->path(a, side, far);
		if (p == NONE) {
			if (side == UP) {
				e->to = g;
				ret = list_push(&a->inl[g], id);
			} else {
				e->from = g;
				ret = list_push(&a->out[g], id);
			}
			if (!ret)
				ret = o->edge_added(a, side, id);
			if (ret)
				return ret;
			continue;
		}
		for (;;) {
			uint32_t next;

			ret = o->merge_edges(a, p, id);
			if (ret)
				return ret;
			next = side == UP ? a->e[p].to : a->e[p].from;
			if (next == g)
				break;
			p = o->path(a, side, next);
		}
		e->dead = true;
	}
	return 0;
}

static int contract(struct ag *a, uint32_t g, uint32_t c)
{
	int ret = reattach(a, g, c, UP);

	if (!ret)
		ret = reattach(a, g, c, DOWN);
	if (!ret)
		a->ops->merge_vertices(a, g, c);
	return ret;
}

static void merge_vertices(struct ag *a, uint32_t g, uint32_t c)
{
	a->rep[c] = g;
	a->size[g] += a->size[c];
	if (a->in->merged)
		a->in->merged(a->in->ctx, g, c);
}

/* The edge that stands for both: flags ORed, origins joined. */
static int merge_edges(struct ag *a, uint32_t into, uint32_t from)
{
	a->e[into].flags |= a->e[from].flags;
	if (a->org) {
		struct ag_list *d = &a->org[into], *s = &a->org[from];

		for (uint32_t i = 0; i < s->n; i++) {
			int ret = list_push(d, s->v[i]);

			if (ret)
				return ret;
		}
	}
	return 0;
}

static bool compare(struct ag *a, uint32_t leader, uint32_t cand)
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

/* ---- the non-reachability grouper ---- */

/*
 * A BFS wave over one side from the vertices queued in queue[0..tail):
 * every vertex whose distance to the group gets shorter is updated and
 * walked on.  Among next steps of equal length the lowest-ranked one wins,
 * which fixes the shortest path each re-attached edge is merged through.
 */
static void nr_wave(struct ag *a, int side, uint32_t tail)
{
	uint32_t t = a->turn, head = 0;
	struct ag_mark *mark = a->mark[side];

	while (head < tail) {
		uint32_t u = a->queue[head++], d = mark[u].dist + 1, k = 0;
		struct ag_list *l = side == UP ? &a->inl[u] : &a->out[u];

		/* Dead edges are dropped from the list on the way: they
		 * would be walked again by every later turn. */
		for (uint32_t i = 0; i < l->n; i++) {
			uint32_t id = l->v[i], w, step;
			const struct ag_edge *e = &a->e[id];
			struct ag_mark *m;

			if (e->dead)
				continue;
			l->v[k++] = id;
			w = side == UP ? e->from : e->to;
			m = &mark[w];
			if (m->stamp != t || m->dist > d) {
				*m = (struct ag_mark){ t, d, id };
				a->queue[tail++] = w;
				continue;
			}
			if (m->dist != d)
				continue;
			step = side == UP ? a->e[m->via].to : a->e[m->via].from;
			if (a->rank[u] < a->rank[step])
				m->via = id;
		}
		l->n = k;
	}
}

static void nr_begin(struct ag *a, uint32_t l)
{
	uint32_t b = a->bucket[l];

	a->turn++;
	a->leader = l;
	a->cur = a->bstart[b];
	a->end = a->bstart[b] + a->blen[b];
	for (int side = UP; side <= DOWN; side++) {
		a->mark[side][l] = (struct ag_mark){ a->turn, 0, NONE };
		a->queue[0] = l;
		nr_wave(a, side, 1);
	}
}

/* Only vertices still alone stay candidates for later turns. */
static void nr_end(struct ag *a)
{
	uint32_t b = a->bucket[a->leader], k = a->bstart[b];

	for (uint32_t i = a->bstart[b]; i < a->end; i++) {
		uint32_t v = a->bvert[i];

		if (a->rep[v] == v && a->size[v] == 1)
			a->bvert[k++] = v;
	}
	a->blen[b] = k - a->bstart[b];
	a->leader = NONE;
}

static int nr_init(struct ag *a)
{
	for (int s = UP; s <= DOWN; s++) {
		a->mark[s] = calloc((size_t)a->n + 1, sizeof(*a->mark[s]));
		if (!a->mark[s])
			return -ENOMEM;
	}
	a->queue = malloc(((size_t)a->n + 1) * sizeof(uint32_t));
	if (!a->queue)
		return -ENOMEM;
	a->turn = 0;
	a->pos = 0;
	a->leader = NONE;
	return 0;
}

static void nr_fini(struct ag *a)
{
	for (int s = UP; s <= DOWN; s++)
		free(a->mark[s]);
	free(a->queue);
}

/* Leaders in rank order; for each, the vertices of its class still alone,
 * in rank order (those ranked before it too: cmp need not be symmetric). */
static int nr_next(struct ag *a, uint32_t *leader, uint32_t *cand)
{
	for (;;) {
		while (a->leader != NONE && a->cur < a->end) {
			uint32_t v = a->bvert[a->cur++];

			if (v != a->leader && a->rep[v] == v &&
			    a->size[v] == 1) {
				*leader = a->leader;
				*cand = v;
				return 1;
			}
		}
		if (a->leader != NONE)
			nr_end(a);
		while (a->pos < a->n && a->leader == NONE) {
			uint32_t v = a->byrank[a->pos++], b = a->bucket[v];

			if (b != NONE && a->rep[v] == v && a->blen[b] > 1)
				nr_begin(a, v);
		}
		if (a->leader == NONE)
			return 0;
	}
}

static bool nr_viable(struct ag *a, uint32_t leader, uint32_t cand)
{
	return a->mark[UP][cand].stamp != a->turn &&
	       a->mark[DOWN][cand].stamp != a->turn;
}

static uint32_t nr_path(struct ag *a, int side, uint32_t v)
{
	const struct ag_mark *m = &a->mark[side][v];

	return m->stamp == a->turn && v != a->leader ? m->via : NONE;
}

/* A new edge x->G (or G->y): x is one step from the group now, and so are
 * its ancestors (descendants) nearer than before. */
static int nr_edge_added(struct ag *a, int side, uint32_t id)
{
	uint32_t w = side == UP ? a->e[id].from : a->e[id].to;

	a->mark[side][w] = (struct ag_mark){ a->turn, 1, id };
	a->queue[0] = w;
	nr_wave(a, side, 1);
	return 0;
}

static int nr_test(struct ag *a, bool merged)
{
	return 1; /* nr_next knows when the turns are over */
}

static const struct ag_ops nonreach_ops = {
	.name = "non-reachability",
	.init = nr_init,
	.next = nr_next,
	.compare = compare,
	.viable = nr_viable,
	.merge_vertices = merge_vertices,
	.merge_edges = merge_edges,
	.path = nr_path,
	.edge_added = nr_edge_added,
	.test = nr_test,
	.fini = nr_fini,
};

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

			dst[cnt[r->group_of[pass ? e->from : e->to]]++] = src[i];
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
		struct ag_list *o = &a->org[a->tmp[i]];
		uint32_t *tmp;

		qsort(o->v, o->n, sizeof(*o->v), cmp_u32);
		for (uint32_t j = 0; j < o->n; j++) {
			if (j && o->v[j] == o->v[j - 1])
				continue;
			if (len == cap) {
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
	return run_ops(&nonreach_ops, in, out);
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

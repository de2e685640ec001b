/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_graph.c - unit tests for engine/graph/graph.c: CSR building and
 * duplicate merging, topological order on random DAGs, cycle paths,
 * reachability, Graphviz text, bad input, and graphs of 100,000 vertices
 * (which would overflow the stack if any walk recursed).
 */
#include "graph/graph.h"
#include "runner.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG 100000u

/* ck_assert records a checkpoint (a write) on every call, too slow for
 * loops over 100,000 items; this only calls it on failure. */
#define loop_assert(expr)                                                      \
	do {                                                                   \
		if (!(expr))                                                   \
			ck_assert(expr);                                       \
	} while (0)

/* xorshift64*: a fixed seed gives the same graphs on every run. */
static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ull;
}

static uint32_t rng_below(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32) % n;
}

static bool has_edge(const struct graph *g, uint32_t a, uint32_t b)
{
	for (uint32_t i = g->out_start[a]; i < g->out_start[a + 1]; i++)
		if (g->edges[i].to == b)
			return true;
	return false;
}

/* The CSR arrays agree with the edge list, which is strictly sorted. */
static void check_csr(const struct graph *g)
{
	ck_assert(g->final);
	ck_assert_uint_eq(g->out_start[0], 0);
	ck_assert_uint_eq(g->out_start[g->n], g->nedges);
	ck_assert_uint_eq(g->in_start[0], 0);
	ck_assert_uint_eq(g->in_start[g->n], g->nedges);
	for (size_t i = 1; i < g->nedges; i++) {
		const struct graph_edge *p = &g->edges[i - 1],
					*e = &g->edges[i];

		loop_assert(p->from < e->from ||
			    (p->from == e->from && p->to < e->to));
	}
	for (uint32_t v = 0; v < g->n; v++) {
		for (uint32_t i = g->out_start[v]; i < g->out_start[v + 1]; i++)
			loop_assert(g->edges[i].from == v);
		for (uint32_t i = g->in_start[v]; i < g->in_start[v + 1]; i++) {
			loop_assert(g->in_edge[i] < g->nedges);
			loop_assert(g->edges[g->in_edge[i]].to == v);
			loop_assert(i == g->in_start[v] ||
				    g->in_edge[i - 1] < g->in_edge[i]);
		}
	}
}

/* A random DAG: vertices ranked by a random permutation, edges go from lower
 * to higher rank, some added twice. */
static void random_dag(struct graph *g, uint32_t n, size_t m, uint64_t seed)
{
	uint32_t *rank = malloc(n * sizeof(*rank));

	ck_assert_ptr_nonnull(rank);
	rng_seed(seed);
	for (uint32_t i = 0; i < n; i++)
		rank[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = rng_below(i + 1), t = rank[i];

		rank[i] = rank[j];
		rank[j] = t;
	}
	ck_assert_int_eq(graph_init(g, n), 0);
	for (size_t k = 0; n > 1 && k < m; k++) {
		uint32_t a = rng_below(n), b = rng_below(n);

		if (a == b)
			continue;
		if (rank[a] > rank[b]) {
			uint32_t t = a;

			a = b;
			b = t;
		}
		loop_assert(graph_add_edge(g, a, b, k % 3 == 0) == 0);
		if (k % 7 == 0)
			loop_assert(graph_add_edge(g, a, b, 0) == 0);
	}
	free(rank);
	ck_assert_int_eq(graph_finalize(g), 0);
}

static void check_topo(const struct graph *g, const uint32_t *order)
{
	uint32_t *pos = malloc((g->n ? g->n : 1) * sizeof(*pos));

	ck_assert_ptr_nonnull(pos);
	for (uint32_t v = 0; v < g->n; v++)
		pos[v] = UINT32_MAX;
	for (uint32_t i = 0; i < g->n; i++) {
		loop_assert(order[i] < g->n);
		loop_assert(pos[order[i]] == UINT32_MAX);
		pos[order[i]] = i;
	}
	for (size_t i = 0; i < g->nedges; i++)
		loop_assert(pos[g->edges[i].from] < pos[g->edges[i].to]);
	free(pos);
}

static void check_cycle(const struct graph *g, const uint32_t *path, size_t len)
{
	ck_assert_uint_ge(len, 2);
	ck_assert_uint_eq(path[0], path[len - 1]);
	for (size_t i = 0; i + 1 < len; i++)
		if (!has_edge(g, path[i], path[i + 1]))
			ck_abort_msg("no edge %u -> %u", path[i], path[i + 1]);
}

START_TEST(empty_graph)
{
	struct graph g;
	uint32_t *path = (uint32_t *)&g;
	size_t len = 99;
	char *text = NULL;
	size_t size = 0;
	FILE *f;

	ck_assert_int_eq(graph_init(&g, 0), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	check_csr(&g);
	ck_assert_int_eq(graph_toposort(&g, NULL), 0);
	ck_assert_int_eq(graph_find_cycle(&g, &path, &len), -ENOENT);
	ck_assert_ptr_null(path);
	ck_assert_uint_eq(len, 0);
	f = open_memstream(&text, &size);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(graph_write_dot(&g, f, NULL, NULL, NULL), 0);
	fclose(f);
	ck_assert_str_eq(text, "digraph \"G\" {\n}\n");
	free(text);
	graph_free(&g);
	graph_free(&g);
}
END_TEST

START_TEST(bad_input)
{
	struct graph g;
	uint32_t order[3], *path;
	size_t len;
	bool mark[3];

	ck_assert_int_eq(graph_init(&g, UINT32_MAX), -EINVAL);
	graph_free(&g);
	ck_assert_int_eq(graph_init(&g, 3), 0);
	ck_assert_int_eq(graph_add_edge(&g, 3, 0, 0), -EINVAL);
	ck_assert_int_eq(graph_add_edge(&g, 0, 3, 0), -EINVAL);
	ck_assert_int_eq(graph_add_edge(&g, UINT32_MAX, 1, 0), -EINVAL);
	ck_assert_uint_eq(g.nedges, 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 1, 0), 0);
	/* Queries need a finalized graph. */
	ck_assert_int_eq(graph_toposort(&g, order), -EINVAL);
	ck_assert_int_eq(graph_find_cycle(&g, &path, &len), -EINVAL);
	ck_assert(!graph_reachable(&g, 0, 1));
	ck_assert_int_eq(graph_descendants(&g, 0, mark), -EINVAL);
	ck_assert_int_eq(graph_finalize(&g), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	check_csr(&g);
	ck_assert_int_eq(graph_add_edge(&g, 1, 2, 0), -EBUSY);
	ck_assert_int_eq(graph_add_edge(&g, 1, 3, 0), -EINVAL);
	ck_assert_uint_eq(g.nedges, 1);
	ck_assert(graph_reachable(&g, 0, 1));
	ck_assert(!graph_reachable(&g, 0, 3));
	ck_assert(!graph_reachable(&g, 3, 0));
	ck_assert_int_eq(graph_descendants(&g, 3, mark), -EINVAL);
	ck_assert_int_eq(graph_ancestors(&g, UINT32_MAX, mark), -EINVAL);
	graph_free(&g);
}
END_TEST

START_TEST(duplicates_merged)
{
	static const struct graph_edge want[] = {
		{ 0, 1, GRAPH_EDGE_NOTIFY },
		{ 0, 3, 0x6 },
		{ 1, 2, 0 },
		{ 2, 3, 0 },
	};
	struct graph g;

	ck_assert_int_eq(graph_init(&g, 4), 0);
	ck_assert_int_eq(graph_add_edge(&g, 2, 3, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 1, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 1, 2, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 1, GRAPH_EDGE_NOTIFY), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 1, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 2, 3, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 3, 0x4), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 3, 0x2), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	check_csr(&g);
	ck_assert_uint_eq(g.nedges, 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(g.edges[i].from, want[i].from);
		ck_assert_uint_eq(g.edges[i].to, want[i].to);
		ck_assert_uint_eq(g.edges[i].flags, want[i].flags);
	}
	ck_assert_uint_eq(graph_out_degree(&g, 0), 2);
	ck_assert_uint_eq(graph_out_degree(&g, 3), 0);
	ck_assert_uint_eq(graph_in_degree(&g, 3), 2);
	ck_assert_uint_eq(graph_in_degree(&g, 0), 0);
	/* in-edges of 3, by ascending source: 0->3 then 2->3 */
	ck_assert_uint_eq(g.in_edge[g.in_start[3]], 1);
	ck_assert_uint_eq(g.in_edge[g.in_start[3] + 1], 3);
	graph_free(&g);
}
END_TEST

START_TEST(toposort_random_dags)
{
	static const uint32_t sizes[] = { 1, 2, 10, 100, 1000, 20000 };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			struct graph g;
			uint32_t *order, *again, *path;
			size_t len;

			random_dag(&g, sizes[s], (size_t)sizes[s] * 3,
				   seed * 1000 + s);
			check_csr(&g);
			order = malloc(sizes[s] * sizeof(*order));
			again = malloc(sizes[s] * sizeof(*again));
			ck_assert_ptr_nonnull(order);
			ck_assert_ptr_nonnull(again);
			ck_assert_int_eq(graph_toposort(&g, order), 0);
			check_topo(&g, order);
			ck_assert_int_eq(graph_toposort(&g, again), 0);
			ck_assert_mem_eq(order, again,
					 sizes[s] * sizeof(*order));
			ck_assert_int_eq(graph_find_cycle(&g, &path, &len),
					 -ENOENT);
			ck_assert_ptr_null(path);
			free(order);
			free(again);
			graph_free(&g);
		}
	}
}
END_TEST

/* The same edge set added in another order gives the same graph and order. */
START_TEST(toposort_deterministic)
{
	struct graph a, b, c;
	uint32_t oa[500], ob[500], o3[4], o4[4];

	random_dag(&a, 500, 1500, 42);
	ck_assert_int_eq(graph_init(&b, 500), 0);
	for (size_t i = a.nedges; i-- > 0;)
		ck_assert_int_eq(graph_add_edge(&b, a.edges[i].from,
						a.edges[i].to,
						a.edges[i].flags),
				 0);
	ck_assert_int_eq(graph_finalize(&b), 0);
	ck_assert_uint_eq(a.nedges, b.nedges);
	ck_assert_mem_eq(a.edges, b.edges, a.nedges * sizeof(*a.edges));
	ck_assert_int_eq(graph_toposort(&a, oa), 0);
	ck_assert_int_eq(graph_toposort(&b, ob), 0);
	ck_assert_mem_eq(oa, ob, sizeof(oa));
	graph_free(&a);
	graph_free(&b);

	/* The documented order: sources ascending, then FIFO. */
	ck_assert_int_eq(graph_init(&c, 4), 0);
	ck_assert_int_eq(graph_add_edge(&c, 2, 3, 0), 0);
	ck_assert_int_eq(graph_add_edge(&c, 1, 2, 0), 0);
	ck_assert_int_eq(graph_add_edge(&c, 0, 2, 0), 0);
	ck_assert_int_eq(graph_finalize(&c), 0);
	ck_assert_int_eq(graph_toposort(&c, o3), 0);
	ck_assert_uint_eq(o3[0], 0);
	ck_assert_uint_eq(o3[1], 1);
	ck_assert_uint_eq(o3[2], 2);
	ck_assert_uint_eq(o3[3], 3);
	graph_free(&c);

	ck_assert_int_eq(graph_init(&c, 4), 0);
	ck_assert_int_eq(graph_add_edge(&c, 3, 0, 0), 0);
	ck_assert_int_eq(graph_add_edge(&c, 1, 2, 0), 0);
	ck_assert_int_eq(graph_finalize(&c), 0);
	ck_assert_int_eq(graph_toposort(&c, o4), 0);
	ck_assert_uint_eq(o4[0], 1);
	ck_assert_uint_eq(o4[1], 3);
	ck_assert_uint_eq(o4[2], 2);
	ck_assert_uint_eq(o4[3], 0);
	graph_free(&c);
}
END_TEST

START_TEST(toposort_cycle)
{
	struct graph g;
	uint32_t order[5];

	/* 0 -> 1 -> 2 -> 1, 3 -> 4: only 0, 3, 4 can be sorted. */
	ck_assert_int_eq(graph_init(&g, 5), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 1, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 1, 2, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 2, 1, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 3, 4, 0), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	ck_assert_int_eq(graph_toposort(&g, order), -ELOOP);
	ck_assert_uint_eq(order[0], 0);
	ck_assert_uint_eq(order[1], 3);
	ck_assert_uint_eq(order[2], 4);
	ck_assert_uint_eq(order[3], UINT32_MAX);
	ck_assert_uint_eq(order[4], UINT32_MAX);
	graph_free(&g);
}
END_TEST

/* Build a graph of n vertices from pairs, find its cycle, check it. */
static void expect_cycle(uint32_t n, const uint32_t (*e)[2], size_t m,
			 const uint32_t *want, size_t want_len)
{
	struct graph g;
	uint32_t *path, order[8];
	size_t len;

	ck_assert_int_eq(graph_init(&g, n), 0);
	for (size_t i = 0; i < m; i++)
		ck_assert_int_eq(graph_add_edge(&g, e[i][0], e[i][1], 0), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	ck_assert_int_eq(graph_find_cycle(&g, &path, &len), 0);
	check_cycle(&g, path, len);
	ck_assert_uint_eq(len, want_len);
	ck_assert_mem_eq(path, want, len * sizeof(*path));
	ck_assert_int_eq(graph_toposort(&g, order), -ELOOP);
	free(path);
	graph_free(&g);
}

START_TEST(cycles_small)
{
	static const uint32_t two[][2] = { { 0, 1 }, { 1, 0 } };
	static const uint32_t two_want[] = { 0, 1, 0 };
	static const uint32_t three[][2] = {
		{ 3, 1 }, { 1, 2 }, { 2, 3 }, { 0, 1 }
	};
	static const uint32_t three_want[] = { 1, 2, 3, 1 };
	static const uint32_t self[][2] = { { 0, 1 }, { 1, 2 }, { 2, 2 } };
	static const uint32_t self_want[] = { 2, 2 };
	/* Two cycles; the DFS from 0 meets 1 -> 2 -> 1 before 3 -> 4 -> 3. */
	static const uint32_t both[][2] = { { 4, 3 }, { 3, 4 }, { 0, 1 },
					    { 1, 2 }, { 2, 1 }, { 0, 3 } };
	static const uint32_t both_want[] = { 1, 2, 1 };

	expect_cycle(2, two, 2, two_want, 3);
	expect_cycle(4, three, 4, three_want, 4);
	expect_cycle(3, self, 3, self_want, 2);
	expect_cycle(5, both, 6, both_want, 3);
}
END_TEST

/* One back edge deep inside a large random DAG is found, and the path is
 * a real cycle; the same graph always yields the same path. */
START_TEST(cycle_deep)
{
	struct graph g, h;
	uint32_t *path, *path2, *order;
	size_t len, len2;
	uint32_t a, b;
	bool *mark;

	/* A chain 0 -> ... -> BIG-1, with a back edge to 50,000. */
	ck_assert_int_eq(graph_init(&g, BIG), 0);
	for (uint32_t v = BIG - 1; v > 0; v--)
		loop_assert(graph_add_edge(&g, v - 1, v, 0) == 0);
	ck_assert_int_eq(graph_add_edge(&g, BIG - 1, 50000, 0), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	ck_assert_int_eq(graph_find_cycle(&g, &path, &len), 0);
	check_cycle(&g, path, len);
	ck_assert_uint_eq(len, BIG - 50000 + 1);
	ck_assert_uint_eq(path[0], 50000);
	ck_assert(graph_reachable(&g, BIG - 1, 50001));
	ck_assert(graph_reachable(&g, 70000, 70000));
	ck_assert(!graph_reachable(&g, 100, 100));
	ck_assert(!graph_reachable(&g, 50000, 49999));
	free(path);
	graph_free(&g);

	/* A random DAG of BIG vertices and 2*BIG edges plus one edge closing
	 * a long path: the last vertex of a topological order back to the
	 * first. */
	random_dag(&g, BIG, 2 * (size_t)BIG, 7);
	order = malloc(BIG * sizeof(*order));
	ck_assert_ptr_nonnull(order);
	ck_assert_int_eq(graph_toposort(&g, order), 0);
	check_topo(&g, order);
	ck_assert_int_eq(graph_find_cycle(&g, &path, &len), -ENOENT);
	/* b: the last vertex in topological order that the first reaches. */
	a = order[0];
	b = a;
	mark = malloc(BIG * sizeof(*mark));
	ck_assert_ptr_nonnull(mark);
	ck_assert_int_eq(graph_descendants(&g, a, mark), 0);
	for (uint32_t i = 0; i < BIG; i++)
		if (mark[order[i]])
			b = order[i];
	free(mark);
	ck_assert_uint_ne(a, b);
	ck_assert(graph_reachable(&g, a, b));
	ck_assert(!graph_reachable(&g, b, a));
	ck_assert_int_eq(graph_init(&h, BIG), 0);
	for (size_t i = 0; i < g.nedges; i++)
		loop_assert(graph_add_edge(&h, g.edges[i].from, g.edges[i].to,
					   0) == 0);
	ck_assert_int_eq(graph_add_edge(&h, b, a, 0), 0);
	ck_assert_int_eq(graph_finalize(&h), 0);
	ck_assert_int_eq(graph_find_cycle(&h, &path, &len), 0);
	check_cycle(&h, path, len);
	ck_assert_int_eq(graph_find_cycle(&h, &path2, &len2), 0);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(path, path2, len * sizeof(*path));
	ck_assert_int_eq(graph_toposort(&h, order), -ELOOP);
	ck_assert(graph_reachable(&h, a, a));
	ck_assert(graph_reachable(&h, b, a));
	free(path);
	free(path2);
	free(order);
	graph_free(&g);
	graph_free(&h);
}
END_TEST

START_TEST(reachability)
{
	struct graph g;
	bool mark[7];

	/* 0 -> 1 -> 2 -> 3, 0 -> 4, 5 alone, 6 -> 3 */
	ck_assert_int_eq(graph_init(&g, 7), 0);
	ck_assert_int_eq(graph_add_edge(&g, 2, 3, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 1, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 1, 2, GRAPH_EDGE_NOTIFY), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 4, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 6, 3, 0), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	ck_assert(graph_reachable(&g, 0, 1));
	ck_assert(graph_reachable(&g, 0, 3));
	ck_assert(graph_reachable(&g, 1, 3));
	ck_assert(graph_reachable(&g, 6, 3));
	ck_assert(!graph_reachable(&g, 3, 0));
	ck_assert(!graph_reachable(&g, 1, 0));
	ck_assert(!graph_reachable(&g, 4, 3));
	ck_assert(!graph_reachable(&g, 0, 5));
	ck_assert(!graph_reachable(&g, 5, 0));
	ck_assert(!graph_reachable(&g, 0, 6));
	ck_assert(!graph_reachable(&g, 0, 0));

	ck_assert_int_eq(graph_descendants(&g, 0, mark), 0);
	ck_assert(!mark[0] && mark[1] && mark[2] && mark[3] && mark[4] &&
		  !mark[5] && !mark[6]);
	ck_assert_int_eq(graph_ancestors(&g, 3, mark), 0);
	ck_assert(mark[0] && mark[1] && mark[2] && !mark[3] && !mark[4] &&
		  !mark[5] && mark[6]);
	memset(mark, 1, sizeof(mark));
	ck_assert_int_eq(graph_descendants(&g, 5, mark), 0);
	for (int i = 0; i < 7; i++)
		ck_assert(!mark[i]);
	graph_free(&g);
}
END_TEST

START_TEST(big_chain)
{
	struct graph g;
	uint32_t *order, *path;
	size_t len;
	bool *mark;

	ck_assert_int_eq(graph_init(&g, BIG), 0);
	/* Added backwards so that finalize really has to sort. */
	for (uint32_t v = BIG - 1; v > 0; v--)
		loop_assert(graph_add_edge(&g, v - 1, v, 0) == 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	check_csr(&g);
	order = malloc(BIG * sizeof(*order));
	mark = malloc(BIG * sizeof(*mark));
	ck_assert_ptr_nonnull(order);
	ck_assert_ptr_nonnull(mark);
	ck_assert_int_eq(graph_toposort(&g, order), 0);
	for (uint32_t i = 0; i < BIG; i++)
		loop_assert(order[i] == i);
	ck_assert_int_eq(graph_find_cycle(&g, &path, &len), -ENOENT);
	ck_assert(graph_reachable(&g, 0, BIG - 1));
	ck_assert(!graph_reachable(&g, BIG - 1, 0));
	ck_assert_int_eq(graph_ancestors(&g, BIG - 1, mark), 0);
	for (uint32_t i = 0; i < BIG - 1; i++)
		loop_assert(mark[i]);
	ck_assert(!mark[BIG - 1]);
	/* The reverse chain runs the DFS from vertex 0 down 100,000 deep. */
	graph_free(&g);
	ck_assert_int_eq(graph_init(&g, BIG), 0);
	for (uint32_t v = 1; v < BIG; v++)
		loop_assert(graph_add_edge(&g, v - 1, v, 0) == 0);
	ck_assert_int_eq(graph_add_edge(&g, BIG - 1, 0, 0), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	ck_assert_int_eq(graph_find_cycle(&g, &path, &len), 0);
	ck_assert_uint_eq(len, BIG + 1);
	check_cycle(&g, path, len);
	for (uint32_t i = 0; i < BIG; i++)
		loop_assert(path[i] == i);
	free(path);
	free(order);
	free(mark);
	graph_free(&g);
}
END_TEST

static const char *test_label(void *ctx, uint32_t v, char *buf, size_t len)
{
	static const char *const names[] = {
		"file[/etc/a]",
		"exec[say \"hi\"]",
		NULL,
		"pkg[c:\\x]\nnext",
	};

	ck_assert_str_eq(ctx, "ctx");
	ck_assert_uint_ge(len, 64);
	if (v == 4) {
		snprintf(buf, len, "tab\there");
		return buf;
	}
	return names[v];
}

START_TEST(dot_output)
{
	struct graph g;
	char *text = NULL;
	size_t size = 0;
	char ctx[] = "ctx";
	FILE *f;

	ck_assert_int_eq(graph_init(&g, 5), 0);
	ck_assert_int_eq(graph_add_edge(&g, 1, 3, GRAPH_EDGE_NOTIFY), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 1, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 1, 3, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 2, 0), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	f = open_memstream(&text, &size);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(graph_write_dot(&g, f, "my \"g\\1\"", test_label, ctx),
			 0);
	fclose(f);
	ck_assert_str_eq(text, "digraph \"my \\\"g\\\\1\\\"\" {\n"
			       "\t0 [label=\"file[/etc/a]\"];\n"
			       "\t1 [label=\"exec[say \\\"hi\\\"]\"];\n"
			       "\t2 [label=\"2\"];\n"
			       "\t3 [label=\"pkg[c:\\\\x]\\nnext\"];\n"
			       "\t4 [label=\"tab here\"];\n"
			       "\t0 -> 1;\n"
			       "\t0 -> 2;\n"
			       "\t1 -> 3 [style=dashed];\n"
			       "}\n");
	free(text);
	graph_free(&g);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("graph");

	tcase_add_test(tc, empty_graph);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, duplicates_merged);
	tcase_add_test(tc, toposort_random_dags);
	tcase_add_test(tc, toposort_deterministic);
	tcase_add_test(tc, toposort_cycle);
	tcase_add_test(tc, cycles_small);
	tcase_add_test(tc, cycle_deep);
	tcase_add_test(tc, reachability);
	tcase_add_test(tc, big_chain);
	tcase_add_test(tc, dot_output);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_autogroup.c - unit tests for engine/graph/autogroup.c: mgmt's
 * published grouping cases (pgraph/autogroup_test.go, Grouping1-18 and
 * GroupingConnected0-1) with their exact groups and edge names, notify
 * flags, autogroup: false, classes, determinism under renumbering, an exact
 * comparison with a plain re-statement of mgmt's pairwise loop on thousands
 * of small random DAGs, and properties (acyclic, every dependency kept, no
 * group joins connected vertices, nothing more could be grouped) on larger
 * ones, 100,000 vertices, and every allocation failing in turn.
 *
 * The test kind is mgmt's: vertices are named like "a1"; cmp accepts two
 * vertices whose names start with the same letter; order is (kind, name).
 */
#define _GNU_SOURCE /* asprintf */
#include "graph/autogroup.h"
#include "runner.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define loop_assert(expr)                                                      \
	do {                                                                   \
		if (!(expr))                                                   \
			ck_assert(expr);                                       \
	} while (0)

static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s * 0x9e3779b97f4a7c15ull + 1;
}

static uint32_t rng_below(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32) % n;
}

/* ---- the test kind ---- */

struct tctx {
	uint32_t n;
	char (*name)[16];
	int *kind;
	bool *nogroup;
	bool asym; /* cmp not symmetric: exercises candidates ranked first */
	bool key;  /* give group_key (the first letter, as cmp uses) */
	uint32_t nmerged, (*merged)[2];
};

static bool t_groupable(void *ctx, uint32_t v)
{
	const struct tctx *t = ctx;

	return !t->nogroup[v];
}

static int t_order(void *ctx, uint32_t a, uint32_t b)
{
	const struct tctx *t = ctx;

	if (t->kind[a] != t->kind[b])
		return t->kind[a] < t->kind[b] ? -1 : 1;
	return strcmp(t->name[a], t->name[b]);
}

static bool t_same_class(void *ctx, uint32_t a, uint32_t b)
{
	const struct tctx *t = ctx;

	return t->kind[a] == t->kind[b];
}

static bool t_cmp(void *ctx, uint32_t l, uint32_t c)
{
	const struct tctx *t = ctx;

	if (t->name[l][0] != t->name[c][0])
		return false;
	return !t->asym || (t->name[l][1] * 7 + t->name[c][1] * 3) % 5 < 3;
}

static uint64_t t_key(void *ctx, uint32_t v)
{
	const struct tctx *t = ctx;

	return (unsigned char)t->name[v][0];
}

static void t_merged(void *ctx, uint32_t l, uint32_t c)
{
	struct tctx *t = ctx;

	t->merged[t->nmerged][0] = l;
	t->merged[t->nmerged][1] = c;
	t->nmerged++;
}

static void tctx_init(struct tctx *t, uint32_t n)
{
	memset(t, 0, sizeof(*t));
	t->n = n;
	t->name = calloc(n + 1, sizeof(*t->name));
	t->kind = calloc(n + 1, sizeof(*t->kind));
	t->nogroup = calloc(n + 1, sizeof(*t->nogroup));
	t->merged = calloc(n + 1, sizeof(*t->merged));
	ck_assert(t->name && t->kind && t->nogroup && t->merged);
}

static void tctx_free(struct tctx *t)
{
	free(t->name);
	free(t->kind);
	free(t->nogroup);
	free(t->merged);
}

static struct autogroup_input t_input(struct tctx *t, const struct graph *g)
{
	return (struct autogroup_input){
		.g = g,
		.groupable = t_groupable,
		.order = t_order,
		.same_class = t_same_class,
		.cmp = t_cmp,
		.ctx = t,
		.merged = t_merged,
		.want_origins = true,
		.group_key = t->key ? t_key : NULL,
	};
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Join sorted strings with sep into a new string. */
static char *join(char **s, size_t n, const char *sep)
{
	size_t len = 1;
	char *r;

	qsort(s, n, sizeof(*s), cmp_str);
	for (size_t i = 0; i < n; i++)
		len += strlen(s[i]) + strlen(sep);
	r = calloc(len, 1);
	ck_assert_ptr_nonnull(r);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(r, sep);
		strcat(r, s[i]);
	}
	return r;
}

static void free_all(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

/* mgmt's names: a group is its members' names sorted, joined by commas. */
static char *group_name(const struct tctx *t, const struct autogroup_result *r,
			uint32_t k)
{
	uint32_t lo = r->member_start[k], hi = r->member_start[k + 1];
	char **s = calloc(hi - lo + 1, sizeof(*s)), *j;

	ck_assert_ptr_nonnull(s);
	for (uint32_t i = lo; i < hi; i++)
		s[i - lo] = strdup(t->name[r->members[i]]);
	j = join(s, hi - lo, ",");
	free_all(s, hi - lo);
	return j;
}

/* "a1,a2 b1": every group's name, sorted. */
static char *groups_str(const struct tctx *t, const struct autogroup_result *r)
{
	char **s = calloc(r->ngroups + 1, sizeof(*s)), *j;

	ck_assert_ptr_nonnull(s);
	for (uint32_t k = 0; k < r->ngroups; k++)
		s[k] = group_name(t, r, k);
	j = join(s, r->ngroups, " ");
	free_all(s, r->ngroups);
	return j;
}

/* "a1,a2->b1:e1,e3!": each grouped edge with the names of the original
 * edges it stands for, `!` when notify, sorted.  ename[i] names the input
 * graph's edge i. */
static char *edges_str(const struct tctx *t, const struct autogroup_result *r,
		       char **ename)
{
	const struct graph *g = &r->grouped;
	char **s = calloc(g->nedges + 1, sizeof(*s)), *j;

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < g->nedges; i++) {
		uint32_t lo = r->origin_start[i], hi = r->origin_start[i + 1];
		char **o = calloc(hi - lo + 1, sizeof(*o)), *on, *f, *to;

		ck_assert_ptr_nonnull(o);
		for (uint32_t k = lo; k < hi; k++)
			o[k - lo] = strdup(ename[r->origins[k]]);
		on = join(o, hi - lo, ",");
		f = group_name(t, r, g->edges[i].from);
		to = group_name(t, r, g->edges[i].to);
		ck_assert_int_gt(
			asprintf(&s[i], "%s->%s:%s%s", f, to, on,
				 g->edges[i].flags & GRAPH_EDGE_NOTIFY ? "!" :
									 ""),
			0);
		free(on);
		free(f);
		free(to);
		free_all(o, hi - lo);
	}
	j = join(s, g->nedges, " ");
	free_all(s, g->nedges);
	return j;
}

/* ---- mgmt's cases ---- */

static uint32_t vid(const struct tctx *t, const char *name)
{
	for (uint32_t v = 0; v < t->n; v++)
		if (!strcmp(t->name[v], name))
			return v;
	ck_abort_msg("no vertex %s", name);
	return 0;
}

/*
 * Vertices "a1 a2 b1" (a leading `-`: autogroup: false) and edges
 * "a1>b1:e1 a2>b1:e2!" (`!`: notify) group into want_groups with the edges
 * want_edges, written as groups_str and edges_str write them.
 */
static void check_case(const char *vertices, const char *edges,
		       const char *want_groups, const char *want_edges)
{
	char vbuf[256], ebuf[512], *save = NULL, *tok, *got, *ename[64];
	char *from[64], *to[64], *name[64];
	bool notify[64];
	struct tctx t;
	struct graph g;
	struct autogroup_result r;
	struct autogroup_input in;
	uint32_t n = 0, ne = 0;

	snprintf(vbuf, sizeof(vbuf), "%s", vertices);
	snprintf(ebuf, sizeof(ebuf), "%s", edges);
	tctx_init(&t, 16);
	for (tok = strtok_r(vbuf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		t.nogroup[n] = tok[0] == '-';
		snprintf(t.name[n], sizeof(t.name[0]), "%s",
			 tok + (tok[0] == '-'));
		n++;
	}
	t.n = n;
	for (tok = strtok_r(ebuf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		size_t len = strlen(tok);

		notify[ne] = tok[len - 1] == '!';
		if (notify[ne])
			tok[len - 1] = '\0';
		from[ne] = tok;
		to[ne] = strchr(tok, '>');
		name[ne] = strchr(tok, ':');
		ck_assert(to[ne] && name[ne]);
		*to[ne]++ = '\0';
		*name[ne]++ = '\0';
		ne++;
	}
	ck_assert_int_eq(graph_init(&g, n), 0);
	for (uint32_t i = 0; i < ne; i++)
		ck_assert_int_eq(
			graph_add_edge(&g, vid(&t, from[i]), vid(&t, to[i]),
				       notify[i] ? GRAPH_EDGE_NOTIFY : 0),
			0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	ck_assert_uint_eq(g.nedges, ne);
	for (size_t i = 0; i < g.nedges; i++)
		for (uint32_t k = 0; k < ne; k++)
			if (vid(&t, from[k]) == g.edges[i].from &&
			    vid(&t, to[k]) == g.edges[i].to)
				ename[i] = name[k];
	in = t_input(&t, &g);
	ck_assert_int_eq(autogroup_default.run(&in, &r), 0);
	got = groups_str(&t, &r);
	ck_assert_str_eq(got, want_groups);
	free(got);
	got = edges_str(&t, &r, ename);
	ck_assert_str_eq(got, want_edges);
	free(got);
	autogroup_result_free(&r);
	graph_free(&g);
	tctx_free(&t);
}

START_TEST(mgmt_grouping_no_edges)
{
	check_case("", "", "", "");                             /* 1 */
	check_case("a1", "", "a1", "");                         /* 2 */
	check_case("a1 b1", "", "a1 b1", "");                   /* 3 */
	check_case("a1 a2", "", "a1,a2", "");                   /* 4 */
	check_case("a1 a2 a3", "", "a1,a2,a3", "");             /* 5 */
	check_case("a1 a2 b1", "", "a1,a2 b1", "");             /* 6 */
	check_case("a1 a2 a3 b1", "", "a1,a2,a3 b1", "");       /* 7 */
	check_case("a1 a2 b1 b2", "", "a1,a2 b1,b2", "");       /* 8 */
	check_case("a1 a2 b1 b2 b3", "", "a1,a2 b1,b2,b3", ""); /* 9 */
	check_case("a1 b1 c1", "", "a1 b1 c1", "");             /* 10 */
	check_case("a1 b1 b2 c1", "", "a1 b1,b2 c1", "");       /* 11 */
}
END_TEST

START_TEST(mgmt_grouping_edges)
{
	/* 12: simple merge 1 */
	check_case("a1 a2 b1", "a1>b1:e1 a2>b1:e2", "a1,a2 b1",
		   "a1,a2->b1:e1,e2");
	/* 13: simple merge 2 */
	check_case("a1 a2 b1", "b1>a1:e1 b1>a2:e2", "a1,a2 b1",
		   "b1->a1,a2:e1,e2");
	/* 14: triple merge */
	check_case("a1 a2 a3 b1", "a1>b1:e1 a2>b1:e2 a3>b1:e3", "a1,a2,a3 b1",
		   "a1,a2,a3->b1:e1,e2,e3");
	/* 15: chain merge (diamond) */
	check_case("a1 b1 b2 c1", "a1>b1:e1 a1>b2:e2 b1>c1:e3 b2>c1:e4",
		   "a1 b1,b2 c1", "a1->b1,b2:e1,e2 b1,b2->c1:e3,e4");
	/* 16: re-attach 1 (outer): e3 is merged through to both edges */
	check_case("a1 a2 b1 c1", "a1>b1:e1 b1>c1:e2 a2>c1:e3", "a1,a2 b1 c1",
		   "a1,a2->b1:e1,e3 b1->c1:e2,e3");
	/* 17: re-attach 2 (inner) */
	check_case("a1 b1 b2 c1", "a1>b1:e1 b1>c1:e2 b2>c1:e3", "a1 b1,b2 c1",
		   "a1->b1,b2:e1 b1,b2->c1:e2,e3");
	/* 18: re-attach 3 (double) */
	check_case("a1 a2 b1 b2 c1", "a1>b1:e1 b1>c1:e2 a2>c1:e3 b2>c1:e4",
		   "a1,a2 b1,b2 c1", "a1,a2->b1,b2:e1,e3 b1,b2->c1:e2,e3,e4");
}
END_TEST

START_TEST(mgmt_grouping_connected)
{
	/* connected merge 0 and 1: no change */
	check_case("a1 a2", "a1>a2:e1", "a1 a2", "a1->a2:e1");
	check_case("a1 b a2", "a1>b:e1 b>a2:e2", "a1 a2 b",
		   "a1->b:e1 b->a2:e2");
}
END_TEST

/* Later mgmt tests (autogroup_correctness_test.go) whose result does not
 * depend on its reversed vertex order. */
START_TEST(mgmt_grouping_more)
{
	/* a parallel edge is the shortest path */
	check_case("a1 a2 b1 c1", "a1>b1:e1 b1>c1:e2 a1>c1:e3 a2>c1:e4",
		   "a1,a2 b1 c1", "a1,a2->b1:e1 a1,a2->c1:e3,e4 b1->c1:e2");
	check_case("a1 a2 b1 b2 c1", "a1>b1:e1 b1>c1:e2 a2>b2:e3 b2>c1:e4",
		   "a1,a2 b1,b2 c1", "a1,a2->b1,b2:e1,e3 b1,b2->c1:e2,e4");
	check_case("a1 b1 c1 d1 a2", "a1>b1:e1 b1>c1:e2 c1>d1:e3 d1>a2:e4",
		   "a1 a2 b1 c1 d1", "a1->b1:e1 b1->c1:e2 c1->d1:e3 d1->a2:e4");
	/* a3 joins the first vertex it may: a1 (mgmt, ranking backwards,
	 * picks a2) */
	check_case("a1 b1 a2 a3", "a1>b1:e1 b1>a2:e2", "a1,a3 a2 b1",
		   "a1,a3->b1:e1 b1->a2:e2");
}
END_TEST

START_TEST(notify_kept)
{
	/* parallel merge: notify is ORed */
	check_case("a1 a2 b1", "a1>b1:e1! a2>b1:e2", "a1,a2 b1",
		   "a1,a2->b1:e1,e2!");
	/* merged through a path: every edge of it notifies */
	check_case("a1 a2 b1 c1", "a1>b1:e1 b1>c1:e2 a2>c1:e3!", "a1,a2 b1 c1",
		   "a1,a2->b1:e1,e3! b1->c1:e2,e3!");
	/* a moved edge keeps its flag */
	check_case("a1 a2 b1 c1", "a2>b1:e1! a1>c1:e2", "a1,a2 b1 c1",
		   "a1,a2->b1:e1! a1,a2->c1:e2");
}
END_TEST

START_TEST(autogroup_false_stays_alone)
{
	check_case("-a1 a2 a3", "", "a1 a2,a3", "");
	check_case("a1 -a2 a3", "", "a1,a3 a2", "");
	check_case("-a1 -a2", "", "a1 a2", "");
	/* an unchanged vertex still carries paths */
	check_case("a1 -a2 a3 b1", "a1>a2:e1 a2>a3:e2 b1>a3:e3", "a1 a2 a3 b1",
		   "a1->a2:e1 a2->a3:e2 b1->a3:e3");
}
END_TEST

START_TEST(classes_apart)
{
	struct tctx t;
	struct graph g;
	struct autogroup_input in;
	struct autogroup_result r;
	char *s;

	/* Same first letter, different kinds: never compared. */
	tctx_init(&t, 4);
	strcpy(t.name[0], "a1");
	strcpy(t.name[1], "a2");
	strcpy(t.name[2], "a3");
	strcpy(t.name[3], "a4");
	t.kind[1] = t.kind[3] = 1;
	ck_assert_int_eq(graph_init(&g, 4), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	in = t_input(&t, &g);
	ck_assert_int_eq(autogroup_default.run(&in, &r), 0);
	s = groups_str(&t, &r);
	ck_assert_str_eq(s, "a1,a3 a2,a4");
	free(s);
	/* numbered by leader vertex, leader first */
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_uint_eq(r.members[r.member_start[0]], 0);
	ck_assert_uint_eq(r.members[r.member_start[1]], 1);
	ck_assert_uint_eq(r.group_of[2], 0);
	ck_assert_uint_eq(r.group_of[3], 1);
	ck_assert_uint_eq(t.nmerged, 2);
	ck_assert_uint_eq(t.merged[0][0], 0);
	ck_assert_uint_eq(t.merged[0][1], 2);
	autogroup_result_free(&r);
	graph_free(&g);
	tctx_free(&t);
}
END_TEST

/* ---- an exact reference: mgmt's loop, restated plainly ---- */

#define RMAX 24
#define INF UINT32_MAX

/*
 * mgmt's nonReachabilityGrouper and VertexMerge on an adjacency matrix,
 * with a fresh graph search for every question, and the two choices mgmt
 * leaves to map order fixed as autogroup.c documents them.  A node is a
 * group, named by its leader; origins are bit masks of input edges.
 */
struct ref {
	uint32_t n, rank[RMAX], byrank[RMAX], rep[RMAX], size[RMAX];
	bool adj[RMAX][RMAX], alive[RMAX];
	unsigned flags[RMAX][RMAX];
	uint64_t org[RMAX][RMAX];
	uint32_t nmerged, merged[RMAX][2];
};

/* Distances to g (up) or from g (down) over live nodes. */
static void ref_dist(const struct ref *r, uint32_t g, bool up, uint32_t *dist)
{
	uint32_t q[RMAX], head = 0, tail = 0;

	for (uint32_t v = 0; v < r->n; v++)
		dist[v] = INF;
	dist[g] = 0;
	q[tail++] = g;
	while (head < tail) {
		uint32_t u = q[head++];

		for (uint32_t w = 0; w < r->n; w++) {
			bool e = up ? r->adj[w][u] : r->adj[u][w];

			if (r->alive[w] && e && dist[w] == INF) {
				dist[w] = dist[u] + 1;
				q[tail++] = w;
			}
		}
	}
}

static bool ref_reach(const struct ref *r, uint32_t a, uint32_t b)
{
	uint32_t dist[RMAX];

	ref_dist(r, a, false, dist);
	return dist[b] != INF;
}

static void ref_move(struct ref *r, uint32_t a, uint32_t b, uint32_t c,
		     uint32_t d)
{
	r->adj[c][d] = true;
	r->flags[c][d] |= r->flags[a][b];
	r->org[c][d] |= r->org[a][b];
}

/* Re-attach c's in-edges (up) or out-edges to g, nearest ranks first. */
static void ref_reattach(struct ref *r, uint32_t g, uint32_t c, bool up)
{
	for (uint32_t i = 0; i < r->n; i++) {
		uint32_t x = r->byrank[i], dist[RMAX], cur;

		if (!r->alive[x] || !(up ? r->adj[x][c] : r->adj[c][x]))
			continue;
		ref_dist(r, g, up, dist);
		for (cur = x; x != g && dist[x] != INF && cur != g;) {
			uint32_t best = INF;

			for (uint32_t k = 0; k < r->n; k++) {
				uint32_t w = r->byrank[k];
				bool e = up ? r->adj[cur][w] : r->adj[w][cur];

				if (r->alive[w] && e &&
				    dist[w] == dist[cur] - 1) {
					best = w;
					break;
				}
			}
			if (up)
				ref_move(r, x, c, cur, best);
			else
				ref_move(r, c, x, best, cur);
			cur = best;
		}
		if (x != g && dist[x] == INF) {
			if (up)
				ref_move(r, x, c, x, g);
			else
				ref_move(r, c, x, g, x);
		}
		if (up)
			r->adj[x][c] = false;
		else
			r->adj[c][x] = false;
	}
}

static void ref_run(struct ref *r, struct tctx *t, const struct graph *g)
{
	memset(r, 0, sizeof(*r));
	r->n = g->n;
	for (uint32_t v = 0; v < r->n; v++) {
		r->byrank[v] = v;
		r->rep[v] = v;
		r->size[v] = 1;
		r->alive[v] = true;
	}
	for (uint32_t i = 1; i < r->n; i++) /* insertion sort by order */
		for (uint32_t j = i;
		     j > 0 && t_order(t, r->byrank[j - 1], r->byrank[j]) > 0;
		     j--) {
			uint32_t x = r->byrank[j];

			r->byrank[j] = r->byrank[j - 1];
			r->byrank[j - 1] = x;
		}
	for (uint32_t i = 0; i < r->n; i++)
		r->rank[r->byrank[i]] = i;
	for (size_t i = 0; i < g->nedges; i++) {
		const struct graph_edge *e = &g->edges[i];

		r->adj[e->from][e->to] = true;
		r->flags[e->from][e->to] = e->flags;
		r->org[e->from][e->to] = 1ull << i;
	}
	for (uint32_t i = 0; i < r->n; i++) {
		uint32_t l = r->byrank[i];

		if (!r->alive[l] || t->nogroup[l])
			continue;
		for (uint32_t j = 0; j < r->n; j++) {
			uint32_t c = r->byrank[j];

			if (c == l || !r->alive[c] || t->nogroup[c] ||
			    r->size[c] > 1 || !t_same_class(t, l, c) ||
			    ref_reach(r, l, c) || ref_reach(r, c, l) ||
			    !t_cmp(t, l, c))
				continue;
			ref_reattach(r, l, c, true);
			ref_reattach(r, l, c, false);
			r->alive[c] = false;
			for (uint32_t v = 0; v < r->n; v++)
				if (r->rep[v] == c)
					r->rep[v] = l;
			r->size[l] += r->size[c];
			r->merged[r->nmerged][0] = l;
			r->merged[r->nmerged][1] = c;
			r->nmerged++;
		}
	}
}

/* Random names, kinds and DAG of up to RMAX vertices and 64 edges. */
static void random_case(struct tctx *t, struct graph *g, uint32_t nmax,
			uint32_t kinds, uint32_t letters, uint32_t m,
			uint64_t seed)
{
	uint32_t n, *pos;

	rng_seed(seed);
	n = 1 + rng_below(nmax);
	tctx_init(t, n);
	pos = malloc((n + 1) * sizeof(*pos));
	ck_assert_ptr_nonnull(pos);
	for (uint32_t v = 0; v < n; v++) {
		uint32_t j = rng_below(v + 1);

		pos[v] = pos[j];
		pos[j] = v;
		t->kind[v] = (int)rng_below(kinds);
		t->nogroup[v] = rng_below(10) == 0;
		snprintf(t->name[v], sizeof(t->name[0]), "%c%u",
			 'a' + rng_below(letters), v);
	}
	ck_assert_int_eq(graph_init(g, n), 0);
	for (uint32_t k = m ? rng_below(m + 1) : 0; n > 1 && k; k--) {
		uint32_t a = rng_below(n), b = rng_below(n);

		if (a != b)
			ck_assert_int_eq(graph_add_edge(g,
							pos[a] < pos[b] ? a : b,
							pos[a] < pos[b] ? b : a,
							rng_below(3) == 0),
					 0);
	}
	free(pos);
	ck_assert_int_eq(graph_finalize(g), 0);
}

static uint32_t leader(const struct autogroup_result *r, uint32_t v)
{
	return r->members[r->member_start[r->group_of[v]]];
}

static void compare_ref(struct tctx *t, const struct graph *g)
{
	struct autogroup_input in = t_input(t, g);
	struct autogroup_result r;
	struct ref ref;
	uint32_t nref = 0;

	ck_assert_uint_le(g->nedges, 64);
	ref_run(&ref, t, g);
	ck_assert_int_eq(autogroup_default.run(&in, &r), 0);
	for (uint32_t v = 0; v < g->n; v++)
		loop_assert(leader(&r, v) == ref.rep[v]);
	loop_assert(t->nmerged == ref.nmerged);
	for (uint32_t i = 0; i < ref.nmerged; i++)
		loop_assert(t->merged[i][0] == ref.merged[i][0] &&
			    t->merged[i][1] == ref.merged[i][1]);
	for (uint32_t a = 0; a < g->n; a++)
		for (uint32_t b = 0; b < g->n; b++)
			nref += ref.alive[a] && ref.alive[b] && ref.adj[a][b];
	loop_assert(r.grouped.nedges == nref);
	for (size_t i = 0; i < r.grouped.nedges; i++) {
		const struct graph_edge *e = &r.grouped.edges[i];
		uint32_t a = r.members[r.member_start[e->from]];
		uint32_t b = r.members[r.member_start[e->to]];
		uint64_t mask = 0;

		for (uint32_t k = r.origin_start[i]; k < r.origin_start[i + 1];
		     k++)
			mask |= 1ull << r.origins[k];
		loop_assert(ref.adj[a][b]);
		loop_assert(ref.flags[a][b] == e->flags);
		loop_assert(ref.org[a][b] == mask);
	}
	autogroup_result_free(&r);
}

START_TEST(same_as_reference)
{
	/* one kind, few letters: many merges and re-attachments */
	for (uint64_t seed = 1; seed <= 3000; seed++) {
		struct tctx t;
		struct graph g;

		random_case(&t, &g, 14, 1, 1 + (uint32_t)(seed % 3), 30, seed);
		t.key = seed % 4 == 0;
		compare_ref(&t, &g);
		graph_free(&g);
		tctx_free(&t);
	}
	/* kinds, denser graphs, and a cmp that is not symmetric */
	for (uint64_t seed = 1; seed <= 2000; seed++) {
		struct tctx t;
		struct graph g;

		random_case(&t, &g, RMAX, 1 + (uint32_t)(seed % 3), 2, 64,
			    seed * 7919);
		t.asym = seed % 2;
		t.key = seed % 3 == 0;
		compare_ref(&t, &g);
		graph_free(&g);
		tctx_free(&t);
	}
}
END_TEST

/* ---- properties on larger graphs ---- */

/* Bit matrix of reachability (paths of at least one edge) in a DAG. */
static uint64_t *closure(const struct graph *g, uint32_t *words)
{
	uint32_t n = g->n, w = (n + 63) / 64, *order = malloc((n + 1) * 4);
	uint64_t *m = calloc((size_t)n * w + 1, sizeof(*m));

	ck_assert(order && m);
	ck_assert_int_eq(graph_toposort(g, order), 0);
	for (uint32_t i = n; i-- > 0;) {
		uint32_t v = order[i];

		for (uint32_t k = g->out_start[v]; k < g->out_start[v + 1];
		     k++) {
			uint32_t to = g->edges[k].to;

			m[(size_t)v * w + to / 64] |= 1ull << (to % 64);
			for (uint32_t x = 0; x < w; x++)
				m[(size_t)v * w + x] |= m[(size_t)to * w + x];
		}
	}
	free(order);
	*words = w;
	return m;
}

static bool bit(const uint64_t *m, uint32_t w, uint32_t a, uint32_t b)
{
	return m[(size_t)a * w + b / 64] >> (b % 64) & 1;
}

static void check_properties(struct tctx *t, const struct graph *g,
			     const struct autogroup_result *r)
{
	const struct graph *gg = &r->grouped;
	uint32_t w, gw, total = 0;
	uint64_t *in_reach = closure(g, &w), *out_reach;

	/* the grouped graph is a DAG (closure() asserts it) */
	out_reach = closure(gg, &gw);
	/* members: a partition, leader first, the rest in order */
	for (uint32_t k = 0; k < r->ngroups; k++) {
		uint32_t lo = r->member_start[k], hi = r->member_start[k + 1];

		loop_assert(lo < hi);
		total += hi - lo;
		for (uint32_t i = lo; i < hi; i++) {
			loop_assert(r->group_of[r->members[i]] == k);
			loop_assert(i < lo + 2 || t_order(t, r->members[i - 1],
							  r->members[i]) < 0);
			/* no two members were connected */
			for (uint32_t j = lo; j < i; j++)
				loop_assert(!bit(in_reach, w, r->members[i],
						 r->members[j]) &&
					    !bit(in_reach, w, r->members[j],
						 r->members[i]));
		}
		loop_assert(hi - lo == 1 || !t->nogroup[r->members[lo]]);
	}
	loop_assert(total == g->n);
	/* every dependency is still a path */
	for (size_t i = 0; i < g->nedges; i++) {
		uint32_t a = r->group_of[g->edges[i].from];
		uint32_t b = r->group_of[g->edges[i].to];

		loop_assert(a != b && bit(out_reach, gw, a, b));
	}
	/* each grouped edge: flags are its origins' flags, ORed */
	for (size_t i = 0; i < gg->nedges; i++) {
		unsigned f = 0;

		loop_assert(r->origin_start[i] < r->origin_start[i + 1]);
		for (uint32_t k = r->origin_start[i];
		     k < r->origin_start[i + 1]; k++)
			f |= g->edges[r->origins[k]].flags;
		loop_assert(f == gg->edges[i].flags);
	}
	/* maximal: two groups that could still merge are connected */
	for (uint32_t a = 0; a < r->ngroups; a++) {
		uint32_t la = r->members[r->member_start[a]];

		for (uint32_t b = a + 1; b < r->ngroups; b++) {
			uint32_t lb = r->members[r->member_start[b]];

			if (t->nogroup[la] || t->nogroup[lb] ||
			    !t_same_class(t, la, lb) || !t_cmp(t, la, lb))
				continue;
			loop_assert(bit(out_reach, gw, a, b) ||
				    bit(out_reach, gw, b, a));
		}
	}
	free(in_reach);
	free(out_reach);
}

static void random_big(struct tctx *t, struct graph *g, uint32_t n, size_t m,
		       uint32_t kinds, uint32_t letters, uint64_t seed)
{
	uint32_t *pos = malloc((n + 1) * sizeof(*pos));

	ck_assert_ptr_nonnull(pos);
	rng_seed(seed);
	tctx_init(t, n);
	for (uint32_t v = 0; v < n; v++) {
		uint32_t j = rng_below(v + 1);

		pos[v] = pos[j];
		pos[j] = v;
		t->kind[v] = (int)rng_below(kinds);
		t->nogroup[v] = rng_below(20) == 0;
		snprintf(t->name[v], sizeof(t->name[0]), "%c%u",
			 'a' + rng_below(letters), v);
	}
	ck_assert_int_eq(graph_init(g, n), 0);
	for (size_t k = 0; n > 1 && k < m; k++) {
		uint32_t a = rng_below(n), b = rng_below(n);

		if (a != b)
			loop_assert(graph_add_edge(g, pos[a] < pos[b] ? a : b,
						   pos[a] < pos[b] ? b : a,
						   rng_below(4) == 0) == 0);
	}
	free(pos);
	ck_assert_int_eq(graph_finalize(g), 0);
}

static void run_properties(uint32_t n, size_t m, uint32_t kinds,
			   uint32_t letters, uint64_t seed)
{
	struct tctx t;
	struct graph g;
	struct autogroup_input in;
	struct autogroup_result r;

	random_big(&t, &g, n, m, kinds, letters, seed);
	t.key = seed % 2;
	in = t_input(&t, &g);
	ck_assert_int_eq(autogroup_default.run(&in, &r), 0);
	check_properties(&t, &g, &r);
	autogroup_result_free(&r);
	graph_free(&g);
	tctx_free(&t);
}

START_TEST(properties_small)
{
	for (uint64_t seed = 1; seed <= 3000; seed++)
		run_properties(2 + (uint32_t)(seed % 60), seed % 150,
			       1 + (uint32_t)(seed % 4),
			       1 + (uint32_t)(seed % 3), seed);
}
END_TEST

START_TEST(properties_large)
{
	static const struct {
		uint32_t n;
		size_t m;
		uint32_t kinds, letters;
	} c[] = {
		{ 2000, 4000, 10, 1 },  { 2000, 4000, 3, 5 },
		{ 3000, 1500, 1, 2 },   { 1000, 8000, 2, 1 },
		{ 3000, 6000, 10, 26 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		run_properties(c[i].n, c[i].m, c[i].kinds, c[i].letters,
			       1000 + i);
}
END_TEST

/* ---- determinism, none, bad input, size ---- */

/* The same graph with its vertices renumbered and edges added in another
 * order groups the same way, names for names, edges for edges. */
START_TEST(deterministic_renumbered)
{
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct tctx t, u;
		struct graph g, h;
		struct autogroup_input in;
		struct autogroup_result r, s;
		uint32_t n, *perm;
		size_t *eperm;
		char **en, **hn, *a, *b;

		random_big(&t, &g, 5 + (uint32_t)(seed % 80), seed % 200, 2, 3,
			   seed);
		n = g.n;
		perm = malloc((n + 1) * sizeof(*perm));
		eperm = malloc((g.nedges + 1) * sizeof(*eperm));
		en = calloc(g.nedges + 1, sizeof(*en));
		hn = calloc(g.nedges + 1, sizeof(*hn));
		ck_assert(perm && eperm && en && hn);
		tctx_init(&u, n);
		for (uint32_t v = 0; v < n; v++) {
			uint32_t j = rng_below(v + 1);

			perm[v] = perm[j];
			perm[j] = v;
		}
		for (size_t i = 0; i < g.nedges; i++) {
			size_t j = rng_below((uint32_t)i + 1);

			eperm[i] = eperm[j];
			eperm[j] = i;
		}
		for (uint32_t v = 0; v < n; v++) {
			memcpy(u.name[perm[v]], t.name[v], sizeof(t.name[0]));
			u.kind[perm[v]] = t.kind[v];
			u.nogroup[perm[v]] = t.nogroup[v];
		}
		ck_assert_int_eq(graph_init(&h, n), 0);
		for (size_t i = 0; i < g.nedges; i++) {
			const struct graph_edge *e = &g.edges[eperm[i]];

			ck_assert_int_eq(graph_add_edge(&h, perm[e->from],
							perm[e->to], e->flags),
					 0);
		}
		ck_assert_int_eq(graph_finalize(&h), 0);
		for (size_t i = 0; i < g.nedges; i++) {
			ck_assert_int_gt(asprintf(&en[i], "%s-%s",
						  t.name[g.edges[i].from],
						  t.name[g.edges[i].to]),
					 0);
			ck_assert_int_gt(asprintf(&hn[i], "%s-%s",
						  u.name[h.edges[i].from],
						  u.name[h.edges[i].to]),
					 0);
		}
		in = t_input(&t, &g);
		ck_assert_int_eq(autogroup_default.run(&in, &r), 0);
		in = t_input(&u, &h);
		ck_assert_int_eq(autogroup_default.run(&in, &s), 0);
		a = groups_str(&t, &r);
		b = groups_str(&u, &s);
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
		a = edges_str(&t, &r, en);
		b = edges_str(&u, &s, hn);
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
		/* and again: the same input, the same result */
		autogroup_result_free(&s);
		in = t_input(&t, &g);
		t.nmerged = 0;
		ck_assert_int_eq(autogroup_default.run(&in, &s), 0);
		ck_assert_uint_eq(s.ngroups, r.ngroups);
		ck_assert_mem_eq(s.group_of, r.group_of, n * sizeof(uint32_t));
		ck_assert_uint_eq(s.grouped.nedges, r.grouped.nedges);
		ck_assert(
			!s.grouped.nedges ||
			!memcmp(s.grouped.edges, r.grouped.edges,
				s.grouped.nedges * sizeof(struct graph_edge)));
		autogroup_result_free(&r);
		autogroup_result_free(&s);
		free_all(en, g.nedges);
		free_all(hn, g.nedges);
		graph_free(&g);
		graph_free(&h);
		free(perm);
		free(eperm);
		tctx_free(&t);
		tctx_free(&u);
	}
}
END_TEST

START_TEST(none_is_identity)
{
	struct tctx t;
	struct graph g;
	struct autogroup_input in;
	struct autogroup_result r;

	random_big(&t, &g, 300, 600, 1, 1, 7);
	in = t_input(&t, &g);
	ck_assert_int_eq(autogroup_none(&in, &r), 0);
	ck_assert_uint_eq(r.ngroups, g.n);
	for (uint32_t v = 0; v < g.n; v++) {
		loop_assert(r.group_of[v] == v);
		loop_assert(r.member_start[v] == v && r.members[v] == v);
	}
	ck_assert_uint_eq(r.grouped.nedges, g.nedges);
	ck_assert(!memcmp(r.grouped.edges, g.edges,
			  g.nedges * sizeof(struct graph_edge)));
	for (size_t i = 0; i < g.nedges; i++)
		loop_assert(r.origin_start[i + 1] == i + 1 &&
			    r.origins[i] == i);
	ck_assert_uint_eq(t.nmerged, 0);
	autogroup_result_free(&r);
	autogroup_result_free(&r); /* safe twice */
	/* without origins, NULL callbacks: everything in one group when
	 * nothing is connected */
	graph_free(&g);
	ck_assert_int_eq(graph_init(&g, 50), 0);
	ck_assert_int_eq(graph_finalize(&g), 0);
	in = (struct autogroup_input){ .g = &g };
	ck_assert_int_eq(autogroup_default.run(&in, &r), 0);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_ptr_null(r.origin_start);
	for (uint32_t v = 0; v < 50; v++)
		loop_assert(r.members[v] == v);
	autogroup_result_free(&r);
	graph_free(&g);
	tctx_free(&t);
}
END_TEST

START_TEST(bad_input)
{
	struct tctx t;
	struct graph g;
	struct autogroup_input in;
	struct autogroup_result r;

	tctx_init(&t, 3);
	strcpy(t.name[0], "a1");
	strcpy(t.name[1], "a2");
	strcpy(t.name[2], "a3");
	ck_assert_int_eq(graph_init(&g, 3), 0);
	ck_assert_int_eq(graph_add_edge(&g, 0, 1, 0), 0);
	ck_assert_int_eq(graph_add_edge(&g, 1, 0, 0), 0);
	in = t_input(&t, &g);
	ck_assert_int_eq(autogroup_default.run(&in, &r), -EINVAL);
	ck_assert_ptr_null(r.group_of);
	ck_assert_int_eq(autogroup_none(&in, &r), -EINVAL);
	ck_assert_int_eq(graph_finalize(&g), 0);
	ck_assert_int_eq(autogroup_default.run(&in, &r), -ELOOP);
	ck_assert_ptr_null(r.group_of);
	ck_assert_uint_eq(t.nmerged, 0);
	/* none copies the graph, cycle and all */
	ck_assert_int_eq(autogroup_none(&in, &r), 0);
	ck_assert_uint_eq(r.grouped.nedges, 2);
	autogroup_result_free(&r);
	graph_free(&g);
	tctx_free(&t);
}
END_TEST

enum {
	CHAIN,
	FAN,
	TREE
};

/* Shapes where most pairs are connected, with random names; everything
 * groupable and of one kind. */
static void shape_graph(struct tctx *t, struct graph *g, uint32_t n, int shape,
			uint32_t letters, uint64_t seed)
{
	rng_seed(seed);
	tctx_init(t, n);
	for (uint32_t v = 0; v < n; v++)
		snprintf(t->name[v], sizeof(t->name[0]), "%c%u", /* unique */
			 'a' + rng_below(letters), v * 2654435761u);
	ck_assert_int_eq(graph_init(g, n), 0);
	for (uint32_t v = 1; v < n; v++)
		loop_assert(graph_add_edge(g,
					   shape == CHAIN ? v - 1 :
					   shape == FAN   ? 0 :
							    (v - 1) / 2,
					   v, 0) == 0);
	ck_assert_int_eq(graph_finalize(g), 0);
}

/* A chain, a fan and a tree: each turn's candidates are certified
 * connected or few, so even 100,000 vertices group at once (a BFS per
 * turn over a chain would be quadratic and time out). */
START_TEST(shapes)
{
	for (int shape = CHAIN; shape <= TREE; shape++) {
		for (uint32_t letters = 1; letters <= 3; letters += 2) {
			struct tctx t;
			struct graph g;
			struct autogroup_input in;
			struct autogroup_result r;

			shape_graph(&t, &g, 2000, shape, letters, 40 + shape);
			in = t_input(&t, &g);
			ck_assert_int_eq(autogroup_default.run(&in, &r), 0);
			check_properties(&t, &g, &r);
			autogroup_result_free(&r);
			graph_free(&g);
			tctx_free(&t);
		}
	}
	for (int shape = CHAIN; shape <= TREE; shape++) {
		struct tctx t;
		struct graph g;
		struct autogroup_input in;
		struct autogroup_result r;

		shape_graph(&t, &g, 100000, shape, 1, 50 + shape);
		in = t_input(&t, &g);
		in.want_origins = false;
		ck_assert_int_eq(autogroup_default.run(&in, &r), 0);
		if (shape == CHAIN) { /* nothing to group */
			ck_assert_uint_eq(r.ngroups, 100000);
			ck_assert_uint_eq(r.grouped.nedges, 99999);
		}
		if (shape == FAN) { /* the hub, and all the leaves */
			ck_assert_uint_eq(r.ngroups, 2);
			ck_assert_uint_eq(r.grouped.nedges, 1);
		}
		if (shape == TREE) /* at least one group per level */
			ck_assert_uint_ge(r.ngroups, 17);
		autogroup_result_free(&r);
		graph_free(&g);
		tctx_free(&t);
	}
}
END_TEST

/* 100,000 vertices in 10 classes: no walk may recurse, and it must not
 * take long (the timeout is CK_DEFAULT_TIMEOUT). */
START_TEST(large_graph)
{
	struct tctx t;
	struct graph g;
	struct autogroup_input in;
	struct autogroup_result r;
	uint32_t groups = 0;

	random_big(&t, &g, 100000, 200000, 10, 1, 99);
	in = t_input(&t, &g);
	in.want_origins = false;
	in.merged = NULL;
	ck_assert_int_eq(autogroup_default.run(&in, &r), 0);
	ck_assert_uint_lt(r.ngroups, 100000 / 10);
	for (uint32_t k = 0; k < r.ngroups; k++)
		groups += r.member_start[k + 1] - r.member_start[k] > 1;
	ck_assert_uint_gt(groups, 10);
	for (size_t i = 0; i < g.nedges; i++)
		loop_assert(r.group_of[g.edges[i].from] !=
			    r.group_of[g.edges[i].to]);
	autogroup_result_free(&r);
	graph_free(&g);
	tctx_free(&t);
}
END_TEST

/* Allocation failures: the test binary is linked with --wrap for malloc,
 * calloc and realloc, so the Nth allocation of a run can be made to fail. */
static long fail_countdown = -1;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static bool fail_now(void)
{
	if (fail_countdown < 0)
		return false;
	return fail_countdown-- == 0;
}

void *__wrap_malloc(size_t size)
{
	return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return fail_now() ? NULL : __real_realloc(p, size);
}

/* Every allocation failing in turn gives -ENOMEM and an empty result, never
 * a crash or a leak (the sanitizer build checks the leaks). */
START_TEST(out_of_memory)
{
	for (int none = 0; none < 2; none++) {
		struct tctx t;
		struct graph g;
		struct autogroup_input in;
		struct autogroup_result r;
		long k;
		int ret;

		random_big(&t, &g, 60, 150, 1, 1, 5);
		in = t_input(&t, &g);
		for (k = 0;; k++) {
			t.nmerged = 0;
			fail_countdown = k;
			ret = none ? autogroup_none(&in, &r) :
				     autogroup_default.run(&in, &r);
			fail_countdown = -1;
			if (!ret)
				break;
			ck_assert_int_eq(ret, -ENOMEM);
			ck_assert_ptr_null(r.group_of);
			ck_assert_ptr_null(r.origins);
			ck_assert_uint_eq(r.grouped.nedges, 0);
		}
		ck_assert_int_gt(k, none ? 10 : 40);
		if (none)
			ck_assert_uint_eq(r.ngroups, g.n);
		else
			check_properties(&t, &g, &r);
		autogroup_result_free(&r);
		graph_free(&g);
		tctx_free(&t);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("autogroup");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, mgmt_grouping_no_edges);
	tcase_add_test(tc, mgmt_grouping_edges);
	tcase_add_test(tc, mgmt_grouping_connected);
	tcase_add_test(tc, mgmt_grouping_more);
	tcase_add_test(tc, notify_kept);
	tcase_add_test(tc, autogroup_false_stays_alone);
	tcase_add_test(tc, classes_apart);
	tcase_add_test(tc, same_as_reference);
	tcase_add_test(tc, properties_small);
	tcase_add_test(tc, properties_large);
	tcase_add_test(tc, deterministic_renumbered);
	tcase_add_test(tc, none_is_identity);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, large_graph);
	tcase_add_test(tc, shapes);
	tcase_add_test(tc, out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * autogroup.c - benchmark of automatic grouping alone (engine/graph/
 * autogroup.c): random DAGs of V groupable vertices in 10 classes with 2V
 * edges, V = 1k, 10k, 100k (graphs of 100,000 resources are normal); then
 * harder random DAGs (cmp accepting only names with the same first letter,
 * so many more groups; 4V edges; 100 classes) and the shapes bench/engine
 * runs (one class: a chain, a fan, a binary tree).
 *
 * Each graph runs in its own child process, so the peak RSS reported (from
 * wait4) is that graph's alone; "grouping RSS" is the growth of the child's
 * peak RSS across the grouping calls, the memory grouping needed on top of
 * its input.  Time is the median wall time of autogroup_default.run (5 runs,
 * 3 at 100k, after a warm-up).  Results are appended to bench/RESULTS.md
 * with the command, nproc and the date.
 *
 * Usage: bench/autogroup RESULTS.md [MAX_V]
 * (tools/bench-autogroup builds the tree and runs it.)
 */
#define _GNU_SOURCE
#include "graph/autogroup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum shape {
	RANDOM,
	CHAIN,
	FAN,
	TREE
};

struct bench {
	const char *name;
	enum shape shape;
	uint32_t edges_per_v, classes;
	bool letters; /* cmp: same first letter (of 26) only */
};

static const struct bench benches[] = {
	{ "random, 10 classes, 2V edges", RANDOM, 2, 10, false },
	{ "random, 10 classes, 2V edges, cmp by letter", RANDOM, 2, 10, true },
	{ "random, 10 classes, 4V edges", RANDOM, 4, 10, false },
	{ "random, 100 classes, 2V edges", RANDOM, 2, 100, false },
	{ "chain, 1 class", CHAIN, 1, 1, false },
	{ "fan, 1 class", FAN, 1, 1, false },
	{ "binary tree, 1 class", TREE, 1, 1, false },
};

struct bctx {
	uint8_t *class, *letter; /* letter: of the name */
	uint32_t *name; /* a random permutation: names in no graph order */
	bool letters;
};

struct result {
	double wall;    /* seconds, median */
	long rss, grow; /* KiB: child's peak, growth during grouping */
	uint32_t groups, runs;
};

static uint64_t rng = 88172645463325252ull;

static uint32_t below(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int order(void *ctx, uint32_t a, uint32_t b)
{
	const struct bctx *c = ctx;

	if (c->class[a] != c->class[b])
		return c->class[a] < c->class[b] ? -1 : 1;
	return (c->name[a] > c->name[b]) - (c->name[a] < c->name[b]);
}

static bool same_class(void *ctx, uint32_t a, uint32_t b)
{
	const struct bctx *c = ctx;

	return c->class[a] == c->class[b];
}

static bool cmp(void *ctx, uint32_t leader, uint32_t cand)
{
	const struct bctx *c = ctx;

	return !c->letters || c->letter[leader] == c->letter[cand];
}

static long maxrss(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void build(struct graph *g, struct bctx *c, const struct bench *b,
		  uint32_t v)
{
	uint32_t *pos = malloc(v * sizeof(*pos));

	c->class = malloc(v);
	c->name = malloc(v * sizeof(*c->name));
	c->letter = malloc(v);
	if (!pos || !c->class || !c->name || !c->letter || graph_init(g, v))
		_exit(1);
	c->letters = b->letters;
	/* pos: a random topological order; name: a random naming */
	for (uint32_t i = 0; i < v; i++) {
		uint32_t j = below(i + 1);

		pos[i] = pos[j];
		pos[j] = i;
		j = below(i + 1);
		c->name[i] = c->name[j];
		c->name[j] = i;
		c->class[i] = (uint8_t)below(b->classes);
		c->letter[i] = (uint8_t)below(26);
	}
	for (uint64_t k = 0;
	     b->shape == RANDOM && k < (uint64_t)b->edges_per_v * v; k++) {
		uint32_t x = below(v), y = below(v);

		if (x != y && graph_add_edge(g, pos[x] < pos[y] ? x : y,
					     pos[x] < pos[y] ? y : x, 0))
			_exit(1);
	}
	for (uint32_t i = 1; b->shape != RANDOM && i < v; i++) {
		uint32_t from = b->shape == CHAIN ? i - 1 :
				b->shape == FAN   ? 0 :
						    (i - 1) / 2;

		if (graph_add_edge(g, from, i, 0))
			_exit(1);
	}
	if (graph_finalize(g))
		_exit(1);
	free(pos);
}

/* In the child: build the graph, group it `runs` times, write a result. */
static void child(int fd, const struct bench *b, uint32_t v, uint32_t runs)
{
	struct bctx c = { 0 };
	struct graph g;
	struct autogroup_input in;
	struct autogroup_result r;
	struct result res = { 0 };
	double w[16];
	long before;

	build(&g, &c, b, v);
	in = (struct autogroup_input){ .g = &g,
				       .order = order,
				       .same_class = same_class,
				       .cmp = cmp,
				       .ctx = &c };
	before = maxrss();
	for (uint32_t i = 0; i <= runs; i++) {
		double t0 = now();

		if (autogroup_default.run(&in, &r))
			_exit(1);
		if (i)
			w[i - 1] = now() - t0;
		res.groups = r.ngroups;
		autogroup_result_free(&r);
	}
	qsort(w, runs, sizeof(w[0]), cmp_double);
	res.wall = w[runs / 2];
	res.runs = runs;
	res.grow = maxrss() - before;
	if (write(fd, &res, sizeof(res)) != sizeof(res))
		_exit(1);
	_exit(0);
}

static struct result measure(const struct bench *b, uint32_t v)
{
	struct result res = { 0 };
	struct rusage ru;
	int p[2], st;
	uint32_t runs = v >= 100000 ? 3 : 5;
	pid_t pid;

	if (pipe(p)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		child(p[1], b, v, runs);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &res, sizeof(res)) != sizeof(res) ||
	    wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "bench: %s, V=%u failed\n", b->name, v);
		exit(1);
	}
	close(p[0]);
	res.rss = ru.ru_maxrss;
	return res;
}

int main(int argc, char **argv)
{
	uint32_t max_v = argc > 2 ? (uint32_t)atol(argv[2]) : 100000;
	char date[64];
	time_t t = time(NULL);
	FILE *out;

	if (argc < 2) {
		fprintf(stderr, "usage: %s RESULTS.md [MAX_V]\n", argv[0]);
		return 2;
	}
	out = fopen(argv[1], "a");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	fprintf(out, "\n## bench/autogroup: %s, nproc %ld\n\n", date,
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(out,
		"Command: `tools/bench-autogroup` (runs `bench/autogroup "
		"bench/RESULTS.md %u`).\n",
		max_v);
	if (getenv("MGMT_BENCH_REV"))
		fprintf(out, "Tree: %s.\n", getenv("MGMT_BENCH_REV"));
	fprintf(out,
		"Grouping alone (`autogroup_default.run`), every vertex "
		"groupable, classes and names random, cmp true within a class "
		"unless *by letter*.  *time*: median of 5 runs (3 at 100k) "
		"after a warm-up; *x prev*: time / time at V/10; *peak RSS*: "
		"the child process's, input graph included; *grouping RSS*: "
		"its growth across the grouping calls.\n\n");
	fprintf(out, "| graph | V | groups | time (s) | x prev | peak RSS (MB) "
		     "| grouping RSS (MB) |\n");
	fprintf(out, "|---|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench *b = &benches[i];
		double prev = 0;

		for (uint32_t v = 1000; v <= max_v; v *= 10) {
			struct result r = measure(b, v);
			char ratio[32] = "";

			if (prev > 0)
				snprintf(ratio, sizeof(ratio), "%.1f",
					 r.wall / prev);
			prev = r.wall;
			fprintf(out,
				"| %s | %u | %u | %.4f | %s | %.1f | %.1f |\n",
				b->name, v, r.groups, r.wall, ratio,
				(double)r.rss / 1024., (double)r.grow / 1024.);
			printf("%-46s V=%-6u groups %-6u %.4f s  rss %.1f MB "
			       "(+%.1f)\n",
			       b->name, v, r.groups, r.wall,
			       (double)r.rss / 1024., (double)r.grow / 1024.);
			fflush(stdout);
		}
	}
	fclose(out);
	return 0;
}

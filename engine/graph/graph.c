/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * graph.c - the directed graph behind the engine: edge list, CSR adjacency,
 * topological order, cycle finding, reachability and Graphviz output.
 *
 * Graphs reach 100,000 vertices, so every pass is linear (edges are sorted
 * with two counting-sort passes rather than qsort) and every walk uses an
 * explicit stack or queue sized by n: a long chain must not recurse.
 */
#include "graph/graph.h"
#include "util/grow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DOT_LABEL_MAX 256

/* The CSR offsets are uint32_t, so the edge count must stay below that. */
#define GRAPH_MAX_EDGES (UINT32_MAX - 1u)

int graph_init(struct graph *g, uint32_t n)
{
	memset(g, 0, sizeof(*g));
	/* out_start has n + 1 entries. */
	if (n == UINT32_MAX)
		return -EINVAL;
	g->n = n;
	return 0;
}

void graph_free(struct graph *g)
{
	free(g->edges);
	free(g->out_start);
	free(g->in_start);
	free(g->in_edge);
	memset(g, 0, sizeof(*g));
}

int graph_add_edge(struct graph *g, uint32_t from, uint32_t to, unsigned flags)
{
	if (from >= g->n || to >= g->n)
		return -EINVAL;
	if (g->final)
		return -EBUSY;
	if (g->nedges >= GRAPH_MAX_EDGES)
		return -EOVERFLOW;
	if (GROW(g->edges, g->cap, g->nedges + 1, 16) < 0)
		return -ENOMEM;
	g->edges[g->nedges++] = (struct graph_edge){ from, to, flags };
	return 0;
}

/* Stable counting sort of src into dst by one endpoint; pos is n+1 scratch. */
static void sort_by(const struct graph_edge *src, struct graph_edge *dst,
		    size_t m, uint32_t n, uint32_t *pos, bool by_from)
{
	memset(pos, 0, (n + 1u) * sizeof(*pos));
	for (size_t i = 0; i < m; i++)
		pos[(by_from ? src[i].from : src[i].to) + 1]++;
	for (uint32_t v = 0; v < n; v++)
		pos[v + 1] += pos[v];
	for (size_t i = 0; i < m; i++)
		dst[pos[by_from ? src[i].from : src[i].to]++] = src[i];
}

int graph_finalize(struct graph *g)
{
	size_t m = g->nedges, k = 0;
	uint32_t n = g->n;
	struct graph_edge *tmp = NULL;
	uint32_t *out_start, *in_start, *in_edge;

	if (g->final)
		return 0;
	/* Allocate everything first so that failure leaves g untouched. */
	out_start = calloc((size_t)n + 1, sizeof(*out_start));
	in_start = calloc((size_t)n + 1, sizeof(*in_start));
	in_edge = malloc((m ? m : 1) * sizeof(*in_edge));
	if (m)
		tmp = malloc(m * sizeof(*tmp));
	if (!out_start || !in_start || !in_edge || (m && !tmp)) {
		free(out_start);
		free(in_start);
		free(in_edge);
		free(tmp);
		return -ENOMEM;
	}

	/* LSD radix sort: by target, then stably by source. */
	if (m) {
		sort_by(g->edges, tmp, m, n, in_start, false);
		sort_by(tmp, g->edges, m, n, in_start, true);
	}
	free(tmp);

	for (size_t i = 0; i < m; i++) {
		struct graph_edge *e = &g->edges[i];

		if (k && g->edges[k - 1].from == e->from &&
		    g->edges[k - 1].to == e->to)
			g->edges[k - 1].flags |= e->flags;
		else
			g->edges[k++] = *e;
	}
	g->nedges = k;

	memset(in_start, 0, ((size_t)n + 1) * sizeof(*in_start));
	for (size_t i = 0; i < k; i++) {
		out_start[g->edges[i].from + 1]++;
		in_start[g->edges[i].to + 1]++;
	}
	for (uint32_t v = 0; v < n; v++) {
		out_start[v + 1] += out_start[v];
		in_start[v + 1] += in_start[v];
	}
	/* Walking edges in (from, to) order keeps each in-list by ascending
	 * source; in_start[v] is used as the fill cursor and restored below. */
	for (size_t i = 0; i < k; i++)
		in_edge[in_start[g->edges[i].to]++] = (uint32_t)i;
	for (uint32_t v = n; v > 0; v--)
		in_start[v] = in_start[v - 1];
	in_start[0] = 0;

	g->out_start = out_start;
	g->in_start = in_start;
	g->in_edge = in_edge;
	g->final = true;
	return 0;
}

int graph_toposort(const struct graph *g, uint32_t *order)
{
	uint32_t n = g->n, head = 0, tail = 0;
	uint32_t *indeg;

	if (!g->final)
		return -EINVAL;
	if (n == 0)
		return 0;
	indeg = malloc((size_t)n * sizeof(*indeg));
	if (!indeg)
		return -ENOMEM;
	/* order[] doubles as the FIFO: what is dequeued is already placed. */
	for (uint32_t v = 0; v < n; v++) {
		indeg[v] = graph_in_degree(g, v);
		if (indeg[v] == 0)
			order[tail++] = v;
	}
	while (head < tail) {
		uint32_t v = order[head++];

		for (uint32_t i = g->out_start[v]; i < g->out_start[v + 1];
		     i++) {
			uint32_t w = g->edges[i].to;

			if (--indeg[w] == 0)
				order[tail++] = w;
		}
	}
	free(indeg);
	if (tail == n)
		return 0;
	for (uint32_t i = tail; i < n; i++)
		order[i] = UINT32_MAX;
	return -ELOOP;
}

enum {
	WHITE,
	GREY,
	BLACK
};

int graph_find_cycle(const struct graph *g, uint32_t **path, size_t *len)
{
	uint32_t n = g->n, top = 0;
	uint32_t *stack = NULL, *next = NULL;
	unsigned char *color = NULL;
	int ret = -ENOENT;

	*path = NULL;
	*len = 0;
	if (!g->final)
		return -EINVAL;
	if (n == 0 || g->nedges == 0)
		return -ENOENT;
	/* A vertex is pushed only while white, so depth never exceeds n. */
	stack = malloc((size_t)n * sizeof(*stack));
	next = malloc((size_t)n * sizeof(*next));
	color = calloc(n, 1);
	if (!stack || !next || !color) {
		ret = -ENOMEM;
		goto out;
	}

	for (uint32_t s = 0; s < n && ret == -ENOENT; s++) {
		if (color[s] != WHITE)
			continue;
		color[s] = GREY;
		stack[0] = s;
		next[0] = g->out_start[s];
		top = 1;
		while (top) {
			uint32_t v = stack[top - 1], w, i;

			if (next[top - 1] == g->out_start[v + 1]) {
				color[v] = BLACK;
				top--;
				continue;
			}
			w = g->edges[next[top - 1]++].to;
			if (color[w] == WHITE) {
				color[w] = GREY;
				stack[top] = w;
				next[top] = g->out_start[w];
				top++;
				continue;
			}
			if (color[w] == BLACK)
				continue;
			/* A grey target is on the stack: the stack from it up
			 * to v, closed by w again, is the cycle. */
			for (i = top - 1; stack[i] != w; i--)
				;
			*len = top - i + 1;
			*path = malloc(*len * sizeof(**path));
			if (!*path) {
				*len = 0;
				ret = -ENOMEM;
				goto out;
			}
			memcpy(*path, &stack[i], (top - i) * sizeof(**path));
			(*path)[*len - 1] = w;
			ret = 0;
			break;
		}
	}
out:
	free(stack);
	free(next);
	free(color);
	return ret;
}

static inline bool bit_test(const uint64_t *bits, uint32_t v)
{
	return bits[v / 64] >> (v % 64) & 1u;
}

static inline void bit_set(uint64_t *bits, uint32_t v)
{
	bits[v / 64] |= (uint64_t)1 << (v % 64);
}

/*
 * Breadth-first walk from v along out-edges (forward) or in-edges, marking in
 * seen every vertex reached by at least one edge.  Returns 1 as soon as `stop`
 * is marked (UINT32_MAX walks everything), else 0, or -ENOMEM.
 */
static int walk(const struct graph *g, uint32_t v, bool forward, uint64_t *seen,
		uint32_t stop)
{
	uint32_t head = 0, tail = 0;
	uint32_t *queue = malloc((size_t)g->n * sizeof(*queue));
	int ret = 0;

	if (!queue)
		return -ENOMEM;
	/* v is not marked up front: only a cycle may bring it back. */
	queue[tail++] = v;
	while (head < tail && !ret) {
		uint32_t u = queue[head++];
		uint32_t lo = forward ? g->out_start[u] : g->in_start[u];
		uint32_t hi = forward ? g->out_start[u + 1] :
					g->in_start[u + 1];

		for (uint32_t i = lo; i < hi; i++) {
			uint32_t w = forward ? g->edges[i].to :
					       g->edges[g->in_edge[i]].from;

			if (bit_test(seen, w))
				continue;
			bit_set(seen, w);
			if (w == stop) {
				ret = 1;
				break;
			}
			/* v was queued unmarked; when a cycle leads back to
			 * it, its edges are already being walked.  So each
			 * vertex is queued once and n slots suffice. */
			if (w != v)
				queue[tail++] = w;
		}
	}
	free(queue);
	return ret;
}

static uint64_t *bits_new(uint32_t n)
{
	return calloc(((size_t)n + 63) / 64 + 1, sizeof(uint64_t));
}

bool graph_reachable(const struct graph *g, uint32_t a, uint32_t b)
{
	uint64_t *seen;
	int ret;

	if (!g->final || a >= g->n || b >= g->n)
		return false;
	seen = bits_new(g->n);
	if (!seen)
		return false;
	ret = walk(g, a, true, seen, b);
	free(seen);
	return ret == 1;
}

static int mark_from(const struct graph *g, uint32_t v, bool forward,
		     bool *mark)
{
	uint64_t *seen;
	int ret;

	if (!g->final || v >= g->n)
		return -EINVAL;
	seen = bits_new(g->n);
	if (!seen)
		return -ENOMEM;
	ret = walk(g, v, forward, seen, UINT32_MAX);
	if (ret >= 0) {
		for (uint32_t u = 0; u < g->n; u++)
			mark[u] = bit_test(seen, u);
		ret = 0;
	}
	free(seen);
	return ret;
}

int graph_descendants(const struct graph *g, uint32_t v, bool *mark)
{
	return mark_from(g, v, true, mark);
}

int graph_ancestors(const struct graph *g, uint32_t v, bool *mark)
{
	return mark_from(g, v, false, mark);
}

static void put_quoted(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc(c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c < 0x20 || c == 0x7f) {
			putc(' ', f);
		} else {
			putc(c, f);
		}
	}
	putc('"', f);
}

int graph_write_dot(const struct graph *g, FILE *f, const char *name,
		    graph_label_fn label, void *ctx)
{
	char buf[DOT_LABEL_MAX];

	fputs("digraph ", f);
	put_quoted(f, name ? name : "G");
	fputs(" {\n", f);
	for (uint32_t v = 0; v < g->n; v++) {
		const char *l = NULL;

		if (label) {
			buf[0] = '\0';
			l = label(ctx, v, buf, sizeof(buf));
		}
		if (!l) {
			snprintf(buf, sizeof(buf), "%" PRIu32, v);
			l = buf;
		}
		fprintf(f, "\t%" PRIu32 " [label=", v);
		put_quoted(f, l);
		fputs("];\n", f);
	}
	for (size_t i = 0; i < g->nedges; i++) {
		const struct graph_edge *e = &g->edges[i];

		fprintf(f, "\t%" PRIu32 " -> %" PRIu32 "%s;\n", e->from, e->to,
			e->flags & GRAPH_EDGE_NOTIFY ? " [style=dashed]" : "");
	}
	fputs("}\n", f);
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * autoedge.c - the engine's side of the kinds' uid and autoedges hooks.
 *
 * Every resource whose kind has a uid hook is indexed by (kind, uid).  A uid
 * names the thing on the machine a resource manages, so a second resource
 * of one kind with a uid already in the index is a conflict: the two would
 * undo each other's work forever (doc/graph-format.md, "Uids and
 * conflicts").  It goes to the caller, which reports it (a graph file) or
 * skips it (a collected resource), and stays out of the index, so a uid
 * names one resource.  Then each resource with meta.autoedge asks its kind
 * which resources it comes after or before, by kind and uid, and gets an
 * edge to the match.  One index serves both: the conflict check costs a
 * graph of 100,000 resources nothing the automatic edges did not need
 * anyway.  A cycle an automatic edge closes is reported by the compiler's
 * cycle check like any other (with the path), so the user can set
 * `autoedge: false`.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "util/grow.h"

/* The index's keys are carved from blocks: one malloc per 64 KiB of keys,
 * not one per resource. */
#define KEY_BLOCK 65536

struct key_block {
	struct key_block *next;
	size_t used, cap;
	char data[];
};

enum {
	UID_NONE,
	UID_INDEXED,
	UID_CLASHED
};

struct uid_index {
	struct graph_cfg *g;
	const bool *skip;         /* the caller's: never indexed nor asked */
	struct shash index;       /* "kind\037uid" -> resource index + 1 */
	struct key_block *blocks; /* the index's keys */
	unsigned char *state;     /* per resource: UID_* */
	char *scratch;            /* a key to look up */
	size_t scratch_len;
	size_t self; /* the resource whose hook is running */
	/* Per kind: how many resources have a uid (for a NULL uid). */
	struct kind_count {
		const struct kind_entry *kind;
		int n;
	} * counts;
	size_t ncounts;
	size_t cap_edges;
	bool nomem;
};

/* "kind\037uid" at `k`, which has room for it. */
static char *put_key(char *k, const char *kind, size_t kl, const char *uid,
		     size_t ul, size_t *len)
{
	memcpy(k, kind, kl);
	k[kl] = '\037';
	memcpy(k + kl + 1, uid, ul + 1);
	*len = kl + 1 + ul;
	return k;
}

/* The key for the index, carved from the blocks; NULL when out of memory. */
static char *new_key(struct uid_index *a, const char *kind, const char *uid,
		     size_t *len)
{
	size_t kl = strlen(kind), ul = strlen(uid), need = kl + ul + 2;
	struct key_block *b = a->blocks;
	char *k;

	if (!b || b->cap - b->used < need) {
		size_t cap = need > KEY_BLOCK ? need : KEY_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		*b = (struct key_block){ .next = a->blocks, .cap = cap };
		a->blocks = b;
	}
	k = put_key(b->data + b->used, kind, kl, uid, ul, len);
	b->used += need;
	return k;
}

/* Give back the key new_key returned last. */
static void drop_key(struct uid_index *a, size_t len)
{
	a->blocks->used -= len + 1;
}

/* The key to look up, in the scratch buffer; NULL when out of memory. */
static char *lookup_key(struct uid_index *a, const char *kind, const char *uid,
			size_t *len)
{
	size_t kl = strlen(kind), ul = strlen(uid), need = kl + ul + 2;

	if (need > a->scratch_len) {
		char *p = realloc(a->scratch, need);

		if (!p)
			return NULL;
		a->scratch = p;
		a->scratch_len = need;
	}
	return put_key(a->scratch, kind, kl, uid, ul, len);
}

static int add_edge(struct uid_index *a, size_t from, size_t to)
{
	struct graph_cfg *g = a->g;

	if (GROW(g->edges, a->cap_edges, g->nedges + 1, g->nedges + 64) < 0)
		return -ENOMEM;
	g->edges[g->nedges++] = (struct edge_cfg){
		.from = from,
		.to = to,
		.automatic = true,
		.pos = g->res[a->self]->pos,
	};
	return 0;
}

/* How many resources of `kind` other than the running one have a uid. */
static int count_kind(struct uid_index *a, const char *kind)
{
	const struct mgmt_res *self = a->g->res[a->self];
	int n = 0;

	for (size_t i = 0; i < a->ncounts; i++)
		if (strcmp(a->counts[i].kind->k.name, kind) == 0)
			n = a->counts[i].n;
	if (a->state && a->state[a->self] == UID_INDEXED &&
	    strcmp(self->kind->k.name, kind) == 0)
		n--;
	return n;
}

/* The callback a kind's autoedges hook calls (mgmt_autoedge_cb). */
static int on_add(void *ctx, int direction, const char *kind, const char *uid)
{
	struct uid_index *a = ctx;
	size_t len, other;
	char *key;
	void *v;

	if (a->nomem || !kind ||
	    (direction != MGMT_EDGE_AFTER && direction != MGMT_EDGE_BEFORE))
		return 0;
	if (!uid)
		return count_kind(a, kind);
	key = lookup_key(a, kind, uid, &len);
	if (!key) {
		a->nomem = true;
		return 0;
	}
	v = shash_get(&a->index, key, len);
	if (!v || (other = (uintptr_t)v - 1) == a->self)
		return 0;
	if (direction == MGMT_EDGE_AFTER ? add_edge(a, other, a->self) :
					   add_edge(a, a->self, other)) {
		a->nomem = true;
		return 0;
	}
	return 1;
}

static int count(struct uid_index *a, const struct kind_entry *kind)
{
	struct kind_count *c;
	size_t i;

	for (i = 0; i < a->ncounts && a->counts[i].kind != kind; i++)
		;
	if (i == a->ncounts) {
		c = realloc(a->counts, (i + 1) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		a->counts = c;
		a->counts[a->ncounts++] = (struct kind_count){ .kind = kind };
	}
	a->counts[i].n++;
	return 0;
}

static bool skipped(const struct uid_index *a, size_t i)
{
	return (a->skip && a->skip[i]) ||
	       (a->state && a->state[i] == UID_CLASHED);
}

/* Index resource i; a uid taken already goes to `clash`. */
static int index_one(struct uid_index *a, size_t i, uid_clash_cb clash,
		     void *ctx)
{
	struct mgmt_res *r = a->g->res[i];
	const struct mgmt_kind *k = &r->kind->k;
	const char *uid = k->uid(r, r->params);
	bool found;
	size_t len;
	void **slot;
	char *key;

	if (!uid)
		return 0;
	key = new_key(a, k->name, uid, &len);
	if (!key)
		return -ENOMEM;
	slot = shash_slot(&a->index, key, len, &found);
	if (!slot || found) {
		drop_key(a, len);
		if (!slot)
			return -ENOMEM;
		a->state[i] = UID_CLASHED;
		clash(ctx, (uintptr_t)*slot - 1, i, uid);
		return 0;
	}
	a->state[i] = UID_INDEXED;
	*slot = (void *)(uintptr_t)(i + 1);
	return count(a, r->kind);
}

int uid_index_build(struct graph_cfg *g, const bool *skip, uid_clash_cb clash,
		    void *ctx, struct uid_index **out)
{
	struct uid_index *a = calloc(1, sizeof(*a));
	size_t n = g->nres ? g->nres : 1, i;
	int rc = 0;

	*out = a;
	if (!a)
		return -ENOMEM;
	a->g = g;
	a->skip = skip;
	a->cap_edges = g->nedges;
	for (i = 0; i < g->nres && !g->res[i]->kind->k.uid; i++)
		;
	if (i == g->nres)
		return 0; /* no kind here has uids: nothing to index */
	a->state = calloc(n, sizeof(*a->state));
	if (!a->state || shash_reserve(&a->index, g->nres) < 0)
		return -ENOMEM;
	for (; rc == 0 && i < g->nres; i++)
		if (g->res[i]->kind->k.uid && !skipped(a, i))
			rc = index_one(a, i, clash, ctx);
	return rc;
}

int uid_index_edges(struct uid_index *a)
{
	struct graph_cfg *g = a->g;

	for (size_t i = 0; i < g->nres && !a->nomem; i++) {
		struct mgmt_res *r = g->res[i];

		if (!r->meta.autoedge || !r->kind->k.autoedges || skipped(a, i))
			continue;
		a->self = i;
		r->kind->k.autoedges(r, r->params, on_add, a);
	}
	return a->nomem ? -ENOMEM : 0;
}

void uid_index_free(struct uid_index *a)
{
	if (!a)
		return;
	shash_free(&a->index);
	while (a->blocks) {
		struct key_block *next = a->blocks->next;

		free(a->blocks);
		a->blocks = next;
	}
	free(a->state);
	free(a->scratch);
	free(a->counts);
	free(a);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * autoedge.c - the engine's side of the kinds' uid and autoedges hooks.
 *
 * Every resource whose kind has a uid hook is indexed by (kind, uid); then
 * each resource with meta.autoedge asks its kind which resources it comes
 * after or before, by kind and uid, and gets an edge to each match.  A cycle
 * an automatic edge closes is reported by the compiler's cycle check like
 * any other (with the path), so the user can set `autoedge: false`.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/yaml.h"

/* Resources sharing one (kind, uid): a small linked list through `next`. */
struct uid_ent {
	size_t res;
	struct uid_ent *next;
};

struct autoedge {
	struct graph_cfg *g;
	struct shash index;     /* "kind\037uid" -> struct uid_ent * */
	char **keys;            /* the index's keys, owned here */
	struct uid_ent *ents;
	size_t self;            /* the resource whose hook is running */
	/* Per kind: how many resources have a uid (for a NULL uid). */
	struct kind_count {
		const struct kind_entry *kind;
		int n;
	} *counts;
	size_t ncounts;
	size_t cap_edges;
	bool nomem;
};

/* "kind\037uid" in a fresh buffer; NULL when out of memory. */
static char *make_key(const char *kind, const char *uid, size_t *len)
{
	size_t kl = strlen(kind), ul = strlen(uid);
	char *k = malloc(kl + ul + 2);

	if (!k)
		return NULL;
	memcpy(k, kind, kl);
	k[kl] = '\037';
	memcpy(k + kl + 1, uid, ul + 1);
	*len = kl + 1 + ul;
	return k;
}

static int add_edge(struct autoedge *a, size_t from, size_t to)
{
	struct graph_cfg *g = a->g;

	if (g->nedges == a->cap_edges) {
		size_t cap = a->cap_edges ? a->cap_edges * 2 : g->nedges + 64;
		struct edge_cfg *e = realloc(g->edges, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		g->edges = e;
		a->cap_edges = cap;
	}
	g->edges[g->nedges++] = (struct edge_cfg){
		.from = from,
		.to = to,
		.automatic = true,
		.pos = g->res[a->self]->pos,
	};
	return 0;
}

/* How many resources of `kind` other than the running one have a uid. */
static int count_kind(struct autoedge *a, const char *kind)
{
	const struct mgmt_res *self = a->g->res[a->self];
	int n = 0;

	for (size_t i = 0; i < a->ncounts; i++)
		if (strcmp(a->counts[i].kind->k.name, kind) == 0)
			n = a->counts[i].n;
	if (self->kind->k.uid && strcmp(self->kind->k.name, kind) == 0 &&
	    a->keys[a->self])
		n--;
	return n;
}

/* The callback a kind's autoedges hook calls (mgmt_autoedge_cb). */
static int on_add(void *ctx, int direction, const char *kind, const char *uid)
{
	struct autoedge *a = ctx;
	struct uid_ent *e;
	size_t len;
	char *key;
	int n = 0;

	if (a->nomem || !kind ||
	    (direction != MGMT_EDGE_AFTER && direction != MGMT_EDGE_BEFORE))
		return 0;
	if (!uid)
		return count_kind(a, kind);
	key = make_key(kind, uid, &len);
	if (!key) {
		a->nomem = true;
		return 0;
	}
	e = shash_get(&a->index, key, len);
	free(key);
	for (; e; e = e->next) {
		if (e->res == a->self)
			continue;
		if (direction == MGMT_EDGE_AFTER ?
			    add_edge(a, e->res, a->self) :
			    add_edge(a, a->self, e->res)) {
			a->nomem = true;
			return n;
		}
		n++;
	}
	return n;
}

static int count(struct autoedge *a, const struct kind_entry *kind)
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

static int build_index(struct autoedge *a)
{
	struct graph_cfg *g = a->g;

	a->keys = calloc(g->nres ? g->nres : 1, sizeof(*a->keys));
	a->ents = calloc(g->nres ? g->nres : 1, sizeof(*a->ents));
	if (!a->keys || !a->ents)
		return -ENOMEM;
	for (size_t i = 0; i < g->nres; i++) {
		struct mgmt_res *r = g->res[i];
		const struct mgmt_kind *k = &r->kind->k;
		const char *uid = k->uid ? k->uid(r, r->params) : NULL;
		bool found;
		size_t len;
		void **slot;

		if (!uid)
			continue;
		if (count(a, r->kind) < 0)
			return -ENOMEM;
		a->keys[i] = make_key(k->name, uid, &len);
		if (!a->keys[i])
			return -ENOMEM;
		slot = shash_slot(&a->index, a->keys[i], len, &found);
		if (!slot)
			return -ENOMEM;
		a->ents[i] = (struct uid_ent){ .res = i, .next = *slot };
		*slot = &a->ents[i];
	}
	return 0;
}

int config_autoedges(struct graph_cfg *g)
{
	struct autoedge a = { .g = g, .cap_edges = g->nedges };
	bool any = false;
	int rc;

	for (size_t i = 0; i < g->nres && !any; i++)
		any = g->res[i]->meta.autoedge && g->res[i]->kind->k.autoedges;
	if (!any)
		return 0;
	rc = build_index(&a);
	for (size_t i = 0; rc == 0 && i < g->nres && !a.nomem; i++) {
		struct mgmt_res *r = g->res[i];

		if (!r->meta.autoedge || !r->kind->k.autoedges)
			continue;
		a.self = i;
		r->kind->k.autoedges(r, r->params, on_add, &a);
	}
	if (a.nomem)
		rc = -ENOMEM;
	shash_free(&a.index);
	for (size_t i = 0; a.keys && i < g->nres; i++)
		free(a.keys[i]);
	free(a.keys);
	free(a.ents);
	free(a.counts);
	return rc;
}

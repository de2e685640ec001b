/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * htab.h - the small intrusive hash table watch.c keeps its directories,
 * child names and watch descriptors in: nodes embed a struct hlink, chains
 * hang off a power-of-two bucket array that doubles at load factor 1, and
 * lookups walk ht_first(t, hash) comparing keys themselves.  Sized for
 * 100,000 resources in one directory; a failed growth only lengthens
 * chains.  No locking: watch.c uses its tables on the loop thread only,
 * tmp.c its table of temporaries' names under its own mutex.
 */
#ifndef PLUGINS_FILE_HTAB_H
#define PLUGINS_FILE_HTAB_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define container_of(p, type, member)                                          \
	((type *)(void *)((char *)(p)-offsetof(type, member)))

struct hlink {
	struct hlink *next;
	size_t hash;
};

struct htab {
	struct hlink **b;
	size_t nb; /* a power of two, or 0 */
	size_t n;
};

static inline size_t hash_str(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return (size_t)h;
}

static inline size_t hash_int(int v)
{
	return (size_t)((uint64_t)(unsigned)v * 0x9e3779b97f4a7c15ull >> 16);
}

static inline void ht_grow(struct htab *t)
{
	size_t nb = t->nb ? t->nb * 2 : 16;
	struct hlink **b = calloc(nb, sizeof(*b));

	if (!b)
		return; /* keep the old buckets: longer chains, still correct */
	for (size_t i = 0; i < t->nb; i++) {
		for (struct hlink *l = t->b[i], *next; l; l = next) {
			next = l->next;
			l->next = b[l->hash & (nb - 1)];
			b[l->hash & (nb - 1)] = l;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

static inline int ht_insert(struct htab *t, struct hlink *l, size_t hash)
{
	if (t->n >= t->nb)
		ht_grow(t);
	if (!t->nb)
		return -ENOMEM;
	l->hash = hash;
	l->next = t->b[hash & (t->nb - 1)];
	t->b[hash & (t->nb - 1)] = l;
	t->n++;
	return 0;
}

static inline void ht_remove(struct htab *t, struct hlink *l)
{
	for (struct hlink **pp = &t->b[l->hash & (t->nb - 1)]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			t->n--;
			break;
		}
	}
	if (t->n == 0) {
		free(t->b);
		t->b = NULL;
		t->nb = 0;
	}
}

static inline struct hlink *ht_first(const struct htab *t, size_t hash)
{
	return t->nb ? t->b[hash & (t->nb - 1)] : NULL;
}

#endif /* PLUGINS_FILE_HTAB_H */

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * shash.c - the string-keyed hash table (see shash.h).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/shash.h"

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3u;
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* Small slots: the table of a big graph's names is a cache miss per
 * lookup, and the fewer pages it spans the better. */
static struct shash_slot *shash_find(const struct shash_slot *slots, size_t cap,
				     const char *key, size_t len, uint32_t h)
{
	size_t i = h & (cap - 1);

	for (;; i = (i + 1) & (cap - 1)) {
		const struct shash_slot *s = &slots[i];

		if (!s->key || (s->hash == h && s->len == len &&
				memcmp(s->key, key, len) == 0))
			return (struct shash_slot *)s;
	}
}

static int shash_resize(struct shash *h, size_t cap)
{
	struct shash_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < h->cap; i++) {
		const struct shash_slot *s = &h->slots[i];

		if (s->key)
			*shash_find(slots, cap, s->key, s->len, s->hash) = *s;
	}
	free(h->slots);
	h->slots = slots;
	h->cap = cap;
	return 0;
}

void **shash_slot(struct shash *h, const char *key, size_t len, bool *found)
{
	uint32_t hv = hash_bytes(key, len);
	struct shash_slot *s;

	if ((h->n + 1) * 4 > h->cap * 3 &&
	    shash_resize(h, h->cap ? h->cap * 2 : 16) < 0)
		return NULL;
	s = shash_find(h->slots, h->cap, key, len, hv);
	*found = s->key != NULL;
	if (!s->key) {
		s->key = key;
		s->len = (uint32_t)len;
		s->hash = hv;
		s->val = NULL;
		h->n++;
	}
	return &s->val;
}

int shash_reserve(struct shash *h, size_t n)
{
	size_t cap = h->cap ? h->cap : 16;

	while (n * 4 > cap * 3)
		cap *= 2;
	return cap > h->cap ? shash_resize(h, cap) : 0;
}

void *shash_get(const struct shash *h, const char *key, size_t len)
{
	const struct shash_slot *s;

	if (!h->cap)
		return NULL;
	s = shash_find(h->slots, h->cap, key, len, hash_bytes(key, len));
	return s->key ? s->val : NULL;
}

void shash_free(struct shash *h)
{
	free(h->slots);
	h->slots = NULL;
	h->cap = h->n = 0;
}

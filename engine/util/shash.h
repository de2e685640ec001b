/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * shash.h - a string-keyed hash table: open addressing, linear probing,
 * FNV-1a, at most three quarters full.  Keys are not copied: they must
 * outlive the table.  The YAML parser keys anchors and duplicate mapping
 * keys with it, the compiler resource names and uids, reload and the
 * cluster their resource keys.  A zeroed struct shash is an empty table.
 */
#ifndef ENGINE_UTIL_SHASH_H
#define ENGINE_UTIL_SHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shash_slot {
	const char *key; /* NULL: empty slot */
	uint32_t len;    /* keys are shorter than 4 GiB */
	uint32_t hash;
	void *val;
};

struct shash {
	struct shash_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t n;
};

/* The value slot of `key`: an existing one (*found = true), or a new one
 * holding NULL (*found = false).  NULL when memory ran out. */
void **shash_slot(struct shash *h, const char *key, size_t len, bool *found);
/* Make room for `n` keys at once.  0 or -ENOMEM. */
int shash_reserve(struct shash *h, size_t n);
/* The value of `key`, or NULL when absent. */
void *shash_get(const struct shash *h, const char *key, size_t len);
void shash_free(struct shash *h);

#endif /* ENGINE_UTIL_SHASH_H */

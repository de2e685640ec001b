/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * grow.h - room in a growing array, the one way the tree grows one.
 *
 * The capacity doubles (from `first` when the array is empty) until it
 * holds `need` elements, so appending n elements one at a time costs O(n)
 * copies.  Every multiplication is checked: a capacity whose size in bytes
 * would not fit a size_t fails like an allocation that failed, and leaves
 * the array and its capacity as they were.  Header-only and libc-only, so
 * that the bundled plugins use it too without linking anything of the
 * engine.
 */
#ifndef ENGINE_UTIL_GROW_H
#define ENGINE_UTIL_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Make room for `need` elements of `size` bytes in the array whose pointer
 * is at `arrayp` (a `T **`, passed as void *) and whose capacity, in
 * elements, is *cap.  Returns 0 (the array may have moved), or -ENOMEM. */
static inline int grow_array(void *arrayp, size_t *cap, size_t need,
			     size_t size, size_t first)
{
	size_t ncap = *cap ? *cap : (first ? first : 1);
	void *old, *p;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	/* Through memcpy: the pointer at arrayp is a T *, not a void *. */
	memcpy(&old, arrayp, sizeof(old));
	p = realloc(old, ncap * size);
	if (!p)
		return -ENOMEM;
	memcpy(arrayp, &p, sizeof(p));
	*cap = ncap;
	return 0;
}

/* grow_array for an array `arr` of any element type, with capacity `cap`:
 * room for `need` elements, starting at `first`. */
#define GROW(arr, cap, need, first)                                            \
	grow_array(&(arr), &(cap), (need), sizeof(*(arr)), (first))

#endif /* ENGINE_UTIL_GROW_H */

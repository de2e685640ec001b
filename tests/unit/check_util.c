/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_util.c - unit tests for engine/util: grow_array's doubling, its
 * refusal of sizes that overflow (leaving the array as it was), and the
 * string hash table's slots, growth and keys that differ only after a NUL.
 */
#include "util/grow.h"
#include "util/shash.h"
#include "runner.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_grow_doubles)
{
	int *a = NULL;
	size_t cap = 0;

	ck_assert_int_eq(GROW(a, cap, 1, 16), 0);
	ck_assert_uint_eq(cap, 16);
	a[15] = 7;
	/* Enough room: nothing moves. */
	ck_assert_int_eq(GROW(a, cap, 16, 16), 0);
	ck_assert_uint_eq(cap, 16);
	ck_assert_int_eq(GROW(a, cap, 17, 16), 0);
	ck_assert_uint_eq(cap, 32);
	ck_assert_int_eq(a[15], 7);
	/* Far beyond: doubles until it fits. */
	ck_assert_int_eq(GROW(a, cap, 1000, 16), 0);
	ck_assert_uint_eq(cap, 1024);
	ck_assert_int_eq(a[15], 7);
	free(a);
}
END_TEST

START_TEST(test_grow_first_zero)
{
	char *b = NULL;
	size_t cap = 0;

	ck_assert_int_eq(GROW(b, cap, 3, 0), 0);
	ck_assert_uint_eq(cap, 4);
	free(b);
}
END_TEST

START_TEST(test_grow_overflow)
{
	uint64_t *a = NULL;
	size_t cap = 0;

	ck_assert_int_eq(GROW(a, cap, 4, 4), 0);
	a[3] = 42;
	/* The doubling itself would overflow size_t. */
	ck_assert_int_eq(GROW(a, cap, SIZE_MAX, 4), -ENOMEM);
	ck_assert_uint_eq(cap, 4);
	ck_assert_uint_eq(a[3], 42);
	/* The capacity fits a size_t but its bytes do not. */
	ck_assert_int_eq(GROW(a, cap, SIZE_MAX / 8 + 1, 4), -ENOMEM);
	ck_assert_uint_eq(cap, 4);
	ck_assert_uint_eq(a[3], 42);
	free(a);
}
END_TEST

START_TEST(test_shash)
{
	struct shash h = { 0 };
	static char keys[2000][16];
	bool found;
	void **slot;

	ck_assert_ptr_null(shash_get(&h, "a", 1));
	for (int i = 0; i < 2000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key%d", i);
		slot = shash_slot(&h, keys[i], strlen(keys[i]), &found);
		ck_assert_ptr_nonnull(slot);
		ck_assert(!found);
		ck_assert_ptr_null(*slot);
		*slot = keys[i];
	}
	ck_assert_uint_eq(h.n, 2000);
	/* Never more than three quarters full, a power of two. */
	ck_assert_uint_ge(h.cap * 3, h.n * 4);
	ck_assert_uint_eq(h.cap & (h.cap - 1), 0);
	for (int i = 0; i < 2000; i++)
		ck_assert_ptr_eq(shash_get(&h, keys[i], strlen(keys[i])),
				 keys[i]);
	slot = shash_slot(&h, "key7", 4, &found);
	ck_assert(found);
	ck_assert_ptr_eq(*slot, keys[7]);
	/* Lengths, not NUL terminators, delimit keys. */
	ck_assert_ptr_null(shash_get(&h, "key7\0x", 6));
	ck_assert_ptr_eq(shash_get(&h, "key77", 4), keys[7]);
	shash_free(&h);
	ck_assert_uint_eq(h.cap, 0);
	ck_assert_ptr_null(shash_get(&h, "key7", 4));
}
END_TEST

START_TEST(test_shash_reserve)
{
	struct shash h = { 0 };
	size_t cap;
	bool found;

	ck_assert_int_eq(shash_reserve(&h, 1000), 0);
	cap = h.cap;
	ck_assert_uint_ge(cap * 3, 1000 * 4);
	/* Room was made: 1000 inserts do not resize. */
	for (int i = 0; i < 1000; i++) {
		char *k = malloc(8);

		snprintf(k, 8, "%d", i);
		*shash_slot(&h, k, strlen(k), &found) = k;
	}
	ck_assert_uint_eq(h.cap, cap);
	for (size_t i = 0; i < h.cap; i++)
		free((void *)h.slots[i].key);
	shash_free(&h);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, test_grow_doubles);
	tcase_add_test(tc, test_grow_first_zero);
	tcase_add_test(tc, test_grow_overflow);
	tcase_add_test(tc, test_shash);
	tcase_add_test(tc, test_shash_reserve);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(util_suite());
}

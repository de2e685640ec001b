/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_util.c - unit tests for engine/util: grow_array's doubling, its
 * refusal of sizes that overflow (leaving the array as it was), and the
 * string hash table's slots, growth and keys that differ only after a NUL.
 */
#include "util/grow.h"
#include "util/linger.h"
#include "util/shash.h"
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* A process P that opens an inotify group (when `notify`) and /dev/null,
 * calls linger_notify_fds and tells the test the pid of its child (0 for
 * none) through `out`, then waits to be killed. */
static pid_t lingering(bool notify, int out)
{
	pid_t p = fork();

	ck_assert_int_ge(p, 0);
	if (p == 0) {
		char path[64], buf[32] = "0";
		FILE *f;

		if (notify)
			ck_assert_int_ge(inotify_init1(IN_CLOEXEC), 0);
		ck_assert_int_ge(open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
		linger_notify_fds();
		snprintf(path, sizeof(path), "/proc/self/task/%d/children",
			 (int)getpid());
		f = fopen(path, "r");
		if (f && !fgets(buf, sizeof(buf), f))
			strcpy(buf, "0");
		if (f)
			fclose(f);
		ck_assert_int_gt(write(out, buf, strlen(buf) + 1), 0);
		pause();
		_exit(1);
	}
	return p;
}

/* What the descriptors of process `pid` are: "inotify pipe" and so on,
 * sorted by descriptor. */
static void fds_of(pid_t pid, char *out, size_t len)
{
	char dir[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	out[0] = '\0';
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((e = readdir(d))) {
		char path[320], target[64];
		ssize_t r;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		r = readlink(path, target, sizeof(target) - 1);
		if (r <= 0)
			continue;
		target[r] = '\0';
		n++;
		strncat(out,
			strcmp(target, "anon_inode:inotify") == 0 ? " inotify" :
			strncmp(target, "pipe:", 5) == 0          ? " pipe" :
								    " other",
			len - strlen(out) - 1);
	}
	closedir(d);
	ck_assert_int_gt(n, 0);
}

START_TEST(test_linger)
{
	int q[2], st;
	char buf[32], fds[256];
	pid_t p, child;

	/* This test process reaps what P leaves behind. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(q), 0);
	p = lingering(true, q[1]);
	ck_assert_int_gt(read(q[0], buf, sizeof(buf)), 0);
	child = (pid_t)atoi(buf);
	ck_assert_int_gt(child, 0);
	/* The child holds the inotify group and its pipe, nothing else (not
	 * /dev/null, not the standard streams). */
	fds_of(child, fds, sizeof(fds));
	/* (it closes the others just after the fork: wait for that, 10 s at
	 * most) */
	for (int i = 0; i < 1000 && strcmp(fds, " inotify pipe") != 0 &&
			strcmp(fds, " pipe inotify") != 0;
	     i++) {
		usleep(10000);
		fds_of(child, fds, sizeof(fds));
	}
	ck_assert_msg(strcmp(fds, " inotify pipe") == 0 ||
			      strcmp(fds, " pipe inotify") == 0,
		      "the child holds:%s", fds);
	/* ...for as long as P lives: it is there still. */
	ck_assert_int_eq(kill(child, 0), 0);
	/* P exits: its child follows, and exits 0. */
	kill(p, SIGKILL);
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* No notify descriptor: no child. */
	p = lingering(false, q[1]);
	ck_assert_int_gt(read(q[0], buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0");
	kill(p, SIGKILL);
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	close(q[0]);
	close(q[1]);
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
	tcase_add_test(tc, test_linger);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(util_suite());
}

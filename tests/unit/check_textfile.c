/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_textfile.c - plugins/common/textfile.c: a missing file reads as
 * empty and a long one whole; a replacement has the new text and mode and
 * leaves no temporary; its calls come in the durable order (the temporary
 * flushed, renamed over the file, then the directory flushed); and a failed
 * flush or rename leaves the old file and no temporary.  fsync and rename
 * are wrapped at link time (textfile.am): the wrappers record each call
 * (fsync by the path of its descriptor) and fail the one the case asks for.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/textfile.h"
#include "harness.h"
#include "runner.h"

int __real_fsync(int fd);
int __real_rename(const char *from, const char *to);
int __wrap_fsync(int fd);
int __wrap_rename(const char *from, const char *to);

static char calls[4096]; /* "fsync PATH\n", "rename FROM TO\n" */
static const char *fail; /* "fsync" or "rename": fail the first such */

/* Add the line "WHAT A B" (B may be ""). */
static void record(const char *what, const char *a, const char *b)
{
	size_t n = strlen(calls);

	ck_assert_int_lt(snprintf(calls + n, sizeof(calls) - n, "%s %s%s%s\n",
				  what, a, *b ? " " : "", b),
			 (int)(sizeof(calls) - n));
}

int __wrap_fsync(int fd)
{
	char proc[64], path[PATH_MAX];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, path, sizeof(path) - 1);
	path[n < 0 ? 0 : n] = '\0';
	record("fsync", path, "");
	if (fail && !strcmp(fail, "fsync")) {
		fail = NULL;
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

int __wrap_rename(const char *from, const char *to)
{
	record("rename", from, to);
	if (fail && !strcmp(fail, "rename")) {
		fail = NULL;
		errno = EIO;
		return -1;
	}
	return __real_rename(from, to);
}

static char dir[PATH_MAX], file[PATH_MAX + 8];

static void setup(void)
{
	char made[PATH_MAX];

	/* canonical, as /proc/self/fd names it */
	harness_tmpdir(made, sizeof(made), "textfile");
	ck_assert_ptr_nonnull(realpath(made, dir));
	snprintf(file, sizeof(file), "%s/conf", dir);
	calls[0] = '\0';
	fail = NULL;
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The names in dir, sorted, space-separated. */
static const char *names(void)
{
	static char buf[1024];
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);

	ck_assert_int_ge(n, 0);
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") &&
		    strcmp(list[i]->d_name, ".."))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
				 "%s%s", *buf ? " " : "", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return buf;
}

static void put(const char *text)
{
	FILE *f = fopen(file, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void assert_text(const char *want)
{
	char *got;

	ck_assert_int_eq(textfile_read(file, &got), 0);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(read_missing_and_long)
{
	char *got, *big = malloc(100001);

	ck_assert_int_eq(textfile_read(file, &got), 0);
	ck_assert_str_eq(got, "");
	free(got);
	for (int i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	big[100000] = '\0';
	put(big);
	assert_text(big);
	free(big);
	/* an error is an error, not an empty file */
	ck_assert_int_eq(textfile_read(dir, &got), -EISDIR);
	ck_assert_ptr_null(got);
}
END_TEST

START_TEST(replace_new_and_old)
{
	struct stat st;

	ck_assert_int_eq(textfile_replace(file, "one\n", 0640), 0);
	assert_text("one\n");
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_str_eq(names(), "conf");

	ck_assert_int_eq(textfile_replace(file, "two\nlines\n", 0644), 0);
	assert_text("two\nlines\n");
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert_str_eq(names(), "conf");

	ck_assert_int_eq(textfile_replace("conf", "x", 0644), -EINVAL);
}
END_TEST

/* The temporary is flushed before it is renamed over the file, and the
 * directory after: the order that leaves old or new text after a crash. */
START_TEST(replace_in_durable_order)
{
	char tmp[PATH_MAX], want[3 * PATH_MAX + 64];
	const char *t;

	ck_assert_int_eq(textfile_replace(file, "new\n", 0644), 0);
	/* the temporary's name, from the rename */
	ck_assert_ptr_nonnull(t = strstr(calls, "rename "));
	ck_assert_int_eq(sscanf(t, "rename %4095s", tmp), 1);
	ck_assert_int_eq(strncmp(tmp, dir, strlen(dir)), 0);
	ck_assert_int_eq(strncmp(tmp + strlen(dir), "/.conf.mgmt-", 12), 0);
	snprintf(want, sizeof(want), "fsync %s\nrename %s %s\nfsync %s\n", tmp,
		 tmp, file, dir);
	ck_assert_str_eq(calls, want);
}
END_TEST

START_TEST(failures_keep_the_old_file)
{
	put("old\n");
	fail = "fsync";
	ck_assert_int_eq(textfile_replace(file, "new\n", 0644), -EIO);
	ck_assert_ptr_null(strstr(calls, "rename"));
	assert_text("old\n");
	ck_assert_str_eq(names(), "conf");

	calls[0] = '\0';
	fail = "rename";
	ck_assert_int_eq(textfile_replace(file, "new\n", 0644), -EIO);
	assert_text("old\n");
	ck_assert_str_eq(names(), "conf");

	/* a directory that does not exist: nothing made */
	snprintf(file, sizeof(file), "%s/no/conf", dir);
	ck_assert_int_eq(textfile_replace(file, "new\n", 0644), -ENOENT);
	ck_assert_str_eq(names(), "conf");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("textfile");
	TCase *tc = tcase_create("textfile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, read_missing_and_long);
	tcase_add_test(tc, replace_new_and_old);
	tcase_add_test(tc, replace_in_durable_order);
	tcase_add_test(tc, failures_keep_the_old_file);
	suite_add_tcase(s, tc);
	return check_main(s);
}

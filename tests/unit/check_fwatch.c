/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_fwatch.c - the file kind's watch (plugins/file/watch.c) hosted by a
 * test host table: which resources each change on disk marks dirty, how
 * many watch descriptors it uses (and that the kernel agrees, from
 * /proc/self/fdinfo), chains through missing and replaced directories, and
 * a queue overflow.  inotify queues an event before the system call that
 * caused it returns, so each test changes the disk, then runs the fd
 * callback once: no waiting, no timing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"

#include "../../plugins/file/file.h"

const struct mgmt_host *mgmt_host;

#define NRES 1100

/* ---- the test host ---- */

static char res_mem[NRES]; /* resource i is res_mem + i: never dereferenced */
static struct {
	int fd;
	mgmt_fd_cb cb;
	int nwatch, nunwatch;
	int dirty[NRES];
	int order[NRES * 4];
	int norder;
	int nwarn;
	char last[512];
	int ninotify_info;
} h = { .fd = -1 };

static mgmt_res *R(int i)
{
	return (mgmt_res *)(void *)&res_mem[i];
}

static void t_vlog(const mgmt_res *res, int level, const char *fmt, va_list ap)
{
	vsnprintf(h.last, sizeof(h.last), fmt, ap);
	if (level == MGMT_LOG_WARN)
		h.nwarn++;
	if (level == MGMT_LOG_INFO && strstr(h.last, "with inotify"))
		h.ninotify_info++;
}

static void t_log(const mgmt_res *res, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vlog(res, level, fmt, ap);
	va_end(ap);
}

static void t_dirty(mgmt_res *res)
{
	int i = (int)((char *)res - res_mem);

	ck_assert_int_ge(i, 0);
	ck_assert_int_lt(i, NRES);
	h.dirty[i]++;
	if (h.norder < (int)(sizeof(h.order) / sizeof(h.order[0])))
		h.order[h.norder++] = i;
}

static mgmt_watch *t_watch_fd(mgmt_res *res, int fd, unsigned events,
			      mgmt_fd_cb cb, void *data)
{
	ck_assert_ptr_null(res); /* kind-wide */
	ck_assert_uint_eq(events, MGMT_WATCH_READ);
	ck_assert_ptr_null(h.cb); /* registered once */
	h.fd = fd;
	h.cb = cb;
	h.nwatch++;
	return (mgmt_watch *)(void *)&h;
}

static void t_unwatch(mgmt_watch *w)
{
	ck_assert_ptr_eq(w, (void *)&h);
	h.cb = NULL;
	h.nunwatch++;
}

static const struct mgmt_host host = {
	.abi_major = MGMT_ABI_MAJOR,
	.abi_minor = MGMT_ABI_MINOR,
	.size = sizeof(struct mgmt_host),
	.log = t_log,
	.vlog = t_vlog,
	.dirty = t_dirty,
	.watch_fd = t_watch_fd,
	.unwatch = t_unwatch,
};

/* ---- helpers ---- */

static char T[PATH_MAX]; /* this test's directory, absolute and real */
static struct file files[NRES];

static int rm_cb(const char *p, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	return remove(p);
}

static void setup(void)
{
	const char *top = getenv("MGMT_TOP_BUILDDIR");
	char tmpl[PATH_MAX];

	mgmt_host = &host;
	snprintf(tmpl, sizeof(tmpl), "%s/tests", top ? top : ".");
	mkdir(tmpl, 0755);
	snprintf(tmpl, sizeof(tmpl), "%s/tests/tmp", top ? top : ".");
	mkdir(tmpl, 0755);
	snprintf(tmpl, sizeof(tmpl), "%s/tests/tmp/fwatch.XXXXXX",
		 top ? top : ".");
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_ptr_nonnull(realpath(tmpl, T));
}

static void teardown(void)
{
	for (int i = 0; i < NRES; i++) {
		if (files[i].fw)
			fwatch_remove(R(i), &files[i]);
		free(files[i].path);
	}
	nftw(T, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* The path of `fmt` under T, in one of four rotating buffers. */
static char *tpath(const char *fmt, ...) MGMT_PRINTF(1, 2);
static char *tpath(const char *fmt, ...)
{
	static char buf[4][PATH_MAX];
	static int k;
	size_t n = strlen(T);
	va_list ap;

	k = (k + 1) % 4;
	memcpy(buf[k], T, n);
	buf[k][n++] = '/';
	va_start(ap, fmt);
	vsnprintf(buf[k] + n, sizeof(buf[k]) - n, fmt, ap);
	va_end(ap);
	return buf[k];
}

/* Manage tpath(rel) as resource i. */
static void add(int i, const char *rel)
{
	size_t n = strlen(rel);

	files[i].path = strdup(tpath("%s", rel));
	files[i].is_dir = n && rel[n - 1] == '/';
	ck_assert_int_eq(fwatch_add(R(i), &files[i]), 0);
	ck_assert_ptr_nonnull(files[i].fw);
}

static void del(int i)
{
	fwatch_remove(R(i), &files[i]);
	ck_assert_ptr_null(files[i].fw);
}

/* Run the fd callback over whatever is queued, with a fresh record. */
static void pump(void)
{
	memset(h.dirty, 0, sizeof(h.dirty));
	h.norder = 0;
	ck_assert_ptr_nonnull(h.cb);
	h.cb(NULL, h.fd, MGMT_WATCH_READ, NULL);
}

static int ndirty(void)
{
	int n = 0;

	for (int i = 0; i < NRES; i++)
		n += h.dirty[i] > 0;
	return n;
}

/* Directories on the chain of absolute `p`, "/" included. */
static size_t chain(const char *p)
{
	size_t n = 1;

	for (; *p; p++)
		n += *p == '/' && p[1] && p[1] != '/';
	return n;
}

/* Watch descriptors the kernel holds for our inotify fd. */
static size_t kernel_wds(void)
{
	char path[64], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", h.fd);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strncmp(line, "inotify wd:", 11) == 0;
	fclose(f);
	return n;
}

static void ck_wds(size_t want)
{
	ck_assert_uint_eq(fwatch_count(), want);
	ck_assert_uint_eq(kernel_wds(), want);
}

static void put(const char *p, const char *s)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	ck_assert_int_eq(close(fd), 0);
}

/* ---- counts ---- */

START_TEST(one_dir_many_files)
{
	ck_assert_int_eq(mkdir(tpath("many"), 0755), 0);
	for (int i = 0; i < 1000; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "many/f%d", i);
		add(i, rel);
	}
	ck_assert_int_eq(h.nwatch, 1);
	ck_assert_int_eq(h.ninotify_info, 1);
	/* the directory and its ancestors: not one per file */
	ck_wds(chain(tpath("many")));
}
END_TEST

START_TEST(ten_dirs)
{
	for (int d = 0; d < 10; d++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "d%d", d);
		ck_assert_int_eq(mkdir(tpath("%s", rel), 0755), 0);
		for (int i = 0; i < 100; i++) {
			snprintf(rel, sizeof(rel), "d%d/f%d", d, i);
			add(d * 100 + i, rel);
		}
	}
	ck_wds(chain(T) + 10);
}
END_TEST

START_TEST(remove_frees_wds)
{
	mkdir(tpath("a"), 0755);
	mkdir(tpath("b"), 0755);
	add(0, "a/1");
	add(1, "a/2");
	add(2, "b/1");
	ck_wds(chain(T) + 2);
	del(2);
	ck_wds(chain(T) + 1); /* b is needed by nobody */
	del(0);
	ck_wds(chain(T) + 1); /* a still is */
	del(1);
	ck_assert_uint_eq(fwatch_count(), 0);
	ck_assert_int_eq(h.nunwatch, 1);
	/* the next one opens a new instance */
	add(3, "a/3");
	ck_assert_int_eq(h.nwatch, 2);
	ck_wds(chain(T) + 1);
}
END_TEST

/* ---- events ---- */

START_TEST(file_events)
{
	char f[PATH_MAX], tmp[PATH_MAX];
	int fd;

	strcpy(f, tpath("f"));
	strcpy(tmp, tpath(".mgmt-f.XXXXXX"));

	add(0, "f");
	add(1, "g");
	put(tpath("unrelated"), "x");
	pump();
	ck_assert_int_eq(ndirty(), 0);

	put(f, "hello");
	pump();
	ck_assert_int_eq(h.dirty[0], 1); /* once for create+modify+close */
	ck_assert_int_eq(ndirty(), 1);

	ck_assert_int_eq(chmod(f, 0600), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(ndirty(), 1);

	ck_assert_int_eq(rename(f, tpath("h")), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(ndirty(), 1);

	/* append without closing: MODIFY alone is enough */
	fd = open(tpath("h"), O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(rename(tpath("h"), f), 0);
	pump();
	ck_assert_int_eq(write(fd, "x", 1), 1);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	close(fd);

	ck_assert_int_eq(unlink(f), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(ndirty(), 1);

	/* what apply.c does: nothing until the rename onto the path */
	fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "content", 7), 7);
	ck_assert_int_eq(fchmod(fd, 0644), 0);
	ck_assert_int_eq(fsync(fd), 0);
	ck_assert_int_eq(close(fd), 0);
	pump();
	ck_assert_int_eq(ndirty(), 0);
	ck_assert_int_eq(rename(tmp, f), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(ndirty(), 1);

	/* reading raises nothing (no loop on the check itself) */
	fd = open(f, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, (char[8]){ 0 }, 8), 7);
	close(fd);
	pump();
	ck_assert_int_eq(ndirty(), 0);
}
END_TEST

START_TEST(missing_parent)
{
	add(0, "x/y/f");
	ck_wds(chain(T)); /* from the nearest existing ancestor */

	ck_assert_int_eq(mkdir(tpath("x"), 0755), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_wds(chain(T) + 1);

	ck_assert_int_eq(mkdir(tpath("x/y"), 0755), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_wds(chain(T) + 2);

	put(tpath("x/y/f"), "1");
	pump();
	ck_assert_int_eq(h.dirty[0], 1);

	/* all of it gone at once, then back at once (mkdir -p) */
	ck_assert_int_eq(unlink(tpath("x/y/f")), 0);
	ck_assert_int_eq(rmdir(tpath("x/y")), 0);
	ck_assert_int_eq(rmdir(tpath("x")), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_wds(chain(T));
	ck_assert_int_eq(mkdir(tpath("x"), 0755), 0);
	ck_assert_int_eq(mkdir(tpath("x/y"), 0755), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_wds(chain(T) + 2);
	put(tpath("x/y/f"), "1");
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
}
END_TEST

START_TEST(parent_removed)
{
	mkdir(tpath("d"), 0755);
	mkdir(tpath("e"), 0755);
	add(0, "d/f1");
	add(1, "d/f2");
	add(2, "e/g");
	put(tpath("d/f1"), "1");
	put(tpath("d/unmanaged"), "1");
	ck_wds(chain(T) + 2);

	ck_assert_int_eq(unlink(tpath("d/f1")), 0);
	ck_assert_int_eq(unlink(tpath("d/unmanaged")), 0);
	ck_assert_int_eq(rmdir(tpath("d")), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(h.dirty[1], 1); /* did not exist: still checked */
	ck_assert_int_eq(h.dirty[2], 0);
	ck_wds(chain(T) + 1);

	ck_assert_int_eq(mkdir(tpath("d"), 0755), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(h.dirty[1], 1);
	ck_wds(chain(T) + 2);
	put(tpath("d/f2"), "2");
	pump();
	ck_assert_int_eq(h.dirty[1], 1);
	ck_assert_int_eq(ndirty(), 1);
}
END_TEST

START_TEST(parent_renamed)
{
	char moved[PATH_MAX + 8];

	mkdir(tpath("d"), 0755);
	add(0, "d/f");
	put(tpath("d/f"), "1");
	ck_wds(chain(T) + 1);

	ck_assert_int_eq(rename(tpath("d"), tpath("d2")), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_wds(chain(T)); /* the old inode is not ours any more */
	put(tpath("d2/f"), "changed where nobody looks");
	pump();
	ck_assert_int_eq(ndirty(), 0);

	/* a different directory renamed into place */
	ck_assert_int_eq(mkdir(tpath("other"), 0755), 0);
	ck_assert_int_eq(rename(tpath("other"), tpath("d")), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_wds(chain(T) + 1);
	put(tpath("d/f"), "1");
	pump();
	ck_assert_int_eq(h.dirty[0], 1);

	/* an ancestor renamed: everything below is rechecked */
	snprintf(moved, sizeof(moved), "%s.moved", T);
	ck_assert_int_eq(rename(T, moved), 0);
	ck_assert_int_eq(rename(moved, T), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_wds(chain(T) + 1);
}
END_TEST

START_TEST(directory_resource)
{
	add(0, "D/");
	add(1, "D/f");
	ck_wds(chain(T)); /* D is missing */
	ck_assert_int_eq(mkdir(tpath("D"), 0755), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(h.dirty[1], 1);
	/* the directory first, so the file waits for it */
	ck_assert_int_eq(h.order[0], 0);
	ck_wds(chain(T) + 1);

	/* chmod/chown of D reach the watch of T: no wd of its own needed */
	ck_assert_int_eq(chmod(tpath("D"), 0700), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(ndirty(), 1);
	ck_assert_int_eq(chown(tpath("D"), getuid(), getgid()), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(ndirty(), 1);

	/* a file in it deleted, then it: one read, the directory first */
	put(tpath("D/f"), "1");
	pump();
	ck_assert_int_eq(unlink(tpath("D/f")), 0);
	ck_assert_int_eq(rmdir(tpath("D")), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(h.dirty[1], 1);
	ck_assert_int_eq(h.order[0], 0);
	ck_assert_int_eq(h.order[1], 1);
	ck_wds(chain(T));

	/* a directory alone uses no wd below its parent */
	del(1);
	ck_wds(chain(T));
}
END_TEST

START_TEST(recurse_directory)
{
	files[0].recurse = true;
	mkdir(tpath("r"), 0755);
	add(0, "r/");
	ck_wds(chain(T) + 1);
	put(tpath("r/anything"), "1");
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	put(tpath("r/.mgmt-anything.XXXX"), "1");
	pump();
	ck_assert_int_eq(ndirty(), 0);
	ck_assert_int_eq(chmod(tpath("r"), 0700), 0);
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
}
END_TEST

START_TEST(shared_inode)
{
	mkdir(tpath("real"), 0755);
	ck_assert_int_eq(symlink("real", tpath("link")), 0);
	add(0, "real/a");
	add(1, "link/b");
	ck_wds(chain(T) + 1); /* two paths, one directory, one wd */
	put(tpath("real/b"), "1");
	pump();
	ck_assert_int_eq(h.dirty[1], 1);
	ck_assert_int_eq(ndirty(), 1);
	put(tpath("link/a"), "1");
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(ndirty(), 1);
	del(0);
	ck_wds(chain(T) + 1); /* link/ still needs it */
	put(tpath("real/b"), "2");
	pump();
	ck_assert_int_eq(h.dirty[1], 1);
	/* the link pointed elsewhere: the chain follows it */
	mkdir(tpath("real2"), 0755);
	ck_assert_int_eq(symlink("real2", tpath("link2")), 0);
	ck_assert_int_eq(rename(tpath("link2"), tpath("link")), 0);
	pump();
	ck_assert_int_eq(h.dirty[1], 1);
	put(tpath("real2/b"), "1");
	pump();
	ck_assert_int_eq(h.dirty[1], 1);
	put(tpath("real/b"), "3");
	pump();
	ck_assert_int_eq(ndirty(), 0);
	ck_wds(chain(T) + 1);
	del(1);
	ck_assert_uint_eq(fwatch_count(), 0);
}
END_TEST

START_TEST(overflow)
{
	FILE *q = fopen("/proc/sys/fs/inotify/max_queued_events", "re");
	long max = 0;

	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(fscanf(q, "%ld", &max), 1);
	fclose(q);
	if (max > 1000000)
		return; /* would take too long to fill; nothing to learn */
	mkdir(tpath("a"), 0755);
	mkdir(tpath("b"), 0755);
	add(0, "a/f");
	add(1, "b/g");
	put(tpath("a/f"), "1");
	pump();
	/* more events than the queue holds, none about g; alternate names,
	 * or the kernel merges each with the one before it */
	put(tpath("a/u"), "1");
	for (long i = 0; i <= max; i++)
		ck_assert_int_eq(chmod(tpath(i & 1 ? "a/f" : "a/u"), 0644), 0);
	h.nwarn = 0;
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(h.dirty[1], 1); /* anything may have been lost */
	ck_assert_int_eq(h.nwarn, 1);
	ck_assert_ptr_nonnull(strstr(h.last, "overflow"));
	ck_wds(chain(T) + 2);
}
END_TEST

START_TEST(bad_paths)
{
	struct file f = { .path = (char *)"relative/x" };

	mgmt_host = &host;
	ck_assert_int_eq(fwatch_add(R(0), &f), -EINVAL);
	ck_assert_ptr_null(f.fw);
	fwatch_remove(R(0), &f); /* never added: nothing happens */
	/* odd spellings name the same directory */
	mkdir(tpath("n"), 0755);
	add(0, "n//./a");
	add(1, "n/b/");
	ck_wds(chain(T) + 1);
	put(tpath("n/a"), "1");
	pump();
	ck_assert_int_eq(h.dirty[0], 1);
	ck_assert_int_eq(ndirty(), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fwatch");
	TCase *tc = tcase_create("counts");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, one_dir_many_files);
	tcase_add_test(tc, ten_dirs);
	tcase_add_test(tc, remove_frees_wds);
	suite_add_tcase(s, tc);

	tc = tcase_create("events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, file_events);
	tcase_add_test(tc, missing_parent);
	tcase_add_test(tc, parent_removed);
	tcase_add_test(tc, parent_renamed);
	tcase_add_test(tc, directory_resource);
	tcase_add_test(tc, recurse_directory);
	tcase_add_test(tc, shared_inode);
	tcase_add_test(tc, overflow);
	tcase_add_test(tc, bad_paths);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

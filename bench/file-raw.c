/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * file-raw.c - the baseline of bench/file: the system calls the file plugin
 * makes to converge N files DIR/f0 ... DIR/f(N-1) (content "file I\n",
 * mode 0644), in a plain loop with no engine, no YAML, no graph.
 *
 * `create` writes every file the way plugins/file/apply.c does when a file
 * is missing: lstat (absent), mkostemp of ".mgmt-NAME.XXXXXX" in the
 * same directory (O_CREAT|O_EXCL, mode 0600), write, fstat, fchmod to the
 * wanted mode, fsync, close, rename into place; then one fsync of the
 * directory at the end, as the plugin does for a group of files in one
 * directory.  `create-each` flushes the directory after every file
 * instead, as the plugin does for a resource that is not grouped.  `check`
 * is the converged case, again as apply.c: lstat (type, mode and size
 * compared), open, fstat, read, compare, close.  Exit 0 when every file is
 * (or was made) right, 1 otherwise, so a broken baseline cannot pass
 * unnoticed.  `restore` is the latency benchmark's baseline: file I is
 * rewritten COUNT times and each time at once put back with the plugin's
 * system calls (no watch, no engine); it prints p50, p99, max and min in ms.
 *
 * Usage: bench/file-raw create|create-each|check DIR N
 *        bench/file-raw restore DIR N I COUNT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MODE 0644

static void die(const char *what, const char *path)
{
	fprintf(stderr, "file-raw: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void fsync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || fsync(dfd) < 0)
		die("fsync", dir);
	close(dfd);
}

/* apply.c's write_file(): temporary file, content, mode, fsync, rename. */
static void replace(const char *dir, const char *path, long i)
{
	char tmp[4096], content[64];
	int len = snprintf(content, sizeof(content), "file %ld\n", i);
	struct stat st;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.mgmt-f%ld.XXXXXX", dir, i);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		die("mkostemp", tmp);
	if (write(fd, content, (size_t)len) != len)
		die("write", tmp);
	if (fstat(fd, &st) < 0)
		die("fstat", tmp);
	if (fchmod(fd, MODE) < 0)
		die("fchmod", tmp);
	if (fsync(fd) < 0)
		die("fsync", tmp);
	if (close(fd) < 0)
		die("close", tmp);
	if (rename(tmp, path) < 0)
		die("rename", path);
}

static void create_one(const char *dir, long i)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/f%ld", dir, i);
	if (lstat(path, &st) == 0 || errno != ENOENT)
		die("lstat (expected ENOENT)", path);
	replace(dir, path, i);
}

static int check_one(const char *dir, long i)
{
	char path[4096], content[64], buf[4096];
	int len = snprintf(content, sizeof(content), "file %ld\n", i);
	struct stat st;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/f%ld", dir, i);
	if (lstat(path, &st) < 0)
		die("lstat", path);
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != MODE ||
	    st.st_size != len)
		return -1;
	fd = open(path,
		  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		die("open", path);
	if (fstat(fd, &st) < 0)
		die("fstat", path);
	r = read(fd, buf, (size_t)len);
	if (r < 0)
		die("read", path);
	close(fd);
	return r == len && memcmp(buf, content, (size_t)len) == 0 ? 0 : -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The latency benchmark without engine or watch: rewrite file I with
 * "bad\n" as bench/file does, then at once what the plugin does about it
 * (lstat shows the wrong size; replace; flush the directory), and check
 * it; print p50 p99 max min in ms. */
static void restore(const char *dir, long i, int count)
{
	double *lat = calloc((size_t)count, sizeof(*lat));
	char path[4096];
	struct stat st;

	if (!lat || count < 1) {
		fprintf(stderr, "file-raw: bad count\n");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/f%ld", dir, i);
	for (int k = 0; k < count; k++) {
		double t0 = now_ms();
		int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

		if (fd < 0 || write(fd, "bad\n", 4) != 4 || close(fd) < 0)
			die("rewrite", path);
		if (lstat(path, &st) < 0)
			die("lstat", path);
		replace(dir, path, i);
		fsync_dir(dir);
		if (check_one(dir, i) < 0) {
			fprintf(stderr, "file-raw: %s not restored\n", path);
			exit(1);
		}
		lat[k] = now_ms() - t0;
	}
	qsort(lat, (size_t)count, sizeof(lat[0]), cmp_double);
	printf("%.3f %.3f %.3f %.3f\n", lat[count / 2],
	       lat[(count * 99 + 99) / 100 - 1], lat[count - 1], lat[0]);
	free(lat);
}

int main(int argc, char **argv)
{
	const char *dir;
	long n, bad = 0;
	int create, each;

	if (argc == 6 && !strcmp(argv[1], "restore")) {
		restore(argv[2], atol(argv[4]), atoi(argv[5]));
		return 0;
	}
	if (argc != 4 ||
	    (strcmp(argv[1], "create") && strcmp(argv[1], "create-each") &&
	     strcmp(argv[1], "check"))) {
		fprintf(stderr,
			"usage: %s create|create-each|check DIR N\n"
			"       %s restore DIR N I COUNT\n",
			argv[0], argv[0]);
		return 2;
	}
	each = strcmp(argv[1], "create-each") == 0;
	create = each || strcmp(argv[1], "create") == 0;
	dir = argv[2];
	n = atol(argv[3]);
	for (long i = 0; i < n; i++) {
		if (!create) {
			if (check_one(dir, i) < 0)
				bad++;
			continue;
		}
		create_one(dir, i);
		if (each)
			fsync_dir(dir);
	}
	if (create && !each)
		fsync_dir(dir);
	if (bad) {
		fprintf(stderr, "file-raw: %ld of %ld files are wrong\n", bad,
			n);
		return 1;
	}
	return 0;
}

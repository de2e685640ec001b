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
 * `batch HOW DIR N [B [T]]` creates the N files in the order of the
 * plugin's batches (plugins/file/write.c): B temporaries (default 4096)
 * written and left open, synced together by strategy HOW, then renamed and
 * closed; one directory fsync at the end; T threads (default 1) each
 * taking a contiguous share of the files, as the plugin's split groups do.
 * HOW: fsync or fdatasync (each, one after the other), sfr or sfr-fsync
 * (sync_file_range SYNC_FILE_RANGE_WRITE on all, then fdatasync or fsync
 * each), early (the writeback of each started right after its write,
 * fsync each at the end), syncfs (one for the file system: the plugin's),
 * uring or uring-data (every fsync or fdatasync submitted at once through
 * io_uring, file-uring.c), threadsK (K threads sharing the fsyncs).  Every
 * one of them leaves each file durable before it is renamed.  `check DIR N
 * T` checks with T threads.
 *
 * Usage: bench/file-raw create|create-each|check DIR N
 *        bench/file-raw batch HOW DIR N [B [T]]
 *        bench/file-raw check DIR N T
 *        bench/file-raw restore DIR N I COUNT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file-uring.h"

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

/* The first half of apply.c's write_file(): a temporary file in `tmp`
 * with the content and mode, open. */
static int write_tmp(const char *dir, char *tmp, size_t size, long i)
{
	char content[64];
	int len = snprintf(content, sizeof(content), "file %ld\n", i);
	struct stat st;
	int fd;

	snprintf(tmp, size, "%s/.mgmt-f%ld.XXXXXX", dir, i);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		die("mkostemp", tmp);
	if (write(fd, content, (size_t)len) != len)
		die("write", tmp);
	if (fstat(fd, &st) < 0)
		die("fstat", tmp);
	if (fchmod(fd, MODE) < 0)
		die("fchmod", tmp);
	return fd;
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

/* Sync strategies for a batch of open temporaries (see `batch`). */
struct sync_job {
	const int *fds;
	size_t from, to;
};

static void *fsync_range(void *arg)
{
	struct sync_job *j = arg;

	for (size_t i = j->from; i < j->to; i++)
		if (fsync(j->fds[i]) < 0)
			die("fsync", "(thread)");
	return NULL;
}

static void sync_batch(const char *how, int dfd, const int *fds, size_t n)
{
	int errs[4096];

	if (!strcmp(how, "fsync") || !strcmp(how, "fdatasync")) {
		bool data = how[1] == 'd';

		for (size_t i = 0; i < n; i++)
			if ((data ? fdatasync(fds[i]) : fsync(fds[i])) < 0)
				die(how, "(batch)");
	} else if (!strcmp(how, "sfr") || !strcmp(how, "sfr-fsync")) {
		bool full = how[3] == '-';

		for (size_t i = 0; i < n; i++)
			if (sync_file_range(fds[i], 0, 0,
					    SYNC_FILE_RANGE_WRITE) < 0)
				die("sync_file_range", "(batch)");
		for (size_t i = 0; i < n; i++)
			if ((full ? fsync(fds[i]) : fdatasync(fds[i])) < 0)
				die("fdatasync", "(batch)");
	} else if (!strcmp(how, "early")) {
		/* writeback was started as each was written (batch_range) */
		for (size_t i = 0; i < n; i++)
			if (fsync(fds[i]) < 0)
				die("fsync", "(batch)");
	} else if (!strcmp(how, "syncfs")) {
		if (syncfs(dfd) < 0)
			die("syncfs", "(batch)");
	} else if (!strcmp(how, "uring") || !strcmp(how, "uring-data")) {
		if (uring_fsync_all(fds, errs, n, how[5] == '-') < 0)
			die("io_uring", "(batch)");
		for (size_t i = 0; i < n; i++)
			if (errs[i] < 0) {
				errno = -errs[i];
				die("fsync (io_uring)", "(batch)");
			}
	} else if (!strncmp(how, "threads", 7)) {
		size_t t = (size_t)atoi(how + 7);
		pthread_t th[16];
		struct sync_job j[16];

		if (t < 1 || t > 16)
			t = 2;
		for (size_t k = 0; k < t; k++) {
			j[k] = (struct sync_job){ fds, n * k / t,
						  n * (k + 1) / t };
			if (pthread_create(&th[k], NULL, fsync_range, &j[k]))
				die("pthread_create", "(batch)");
		}
		for (size_t k = 0; k < t; k++)
			pthread_join(th[k], NULL);
	} else {
		fprintf(stderr, "file-raw: unknown strategy %s\n", how);
		exit(2);
	}
}

/* The batched order: B temporaries written and left open, synced together
 * by strategy `how`, then renamed into place and closed; the directory
 * flushed once at the end.  Files [from, to) of N. */
struct batch_job {
	const char *how, *dir;
	long from, to, b;
	int dfd;
};

static void *batch_range(void *arg)
{
	struct batch_job *j = arg;
	char(*tmp)[256] = malloc(4096 * 256);
	int *fds = malloc(4096 * sizeof(*fds));

	if (!tmp || !fds)
		die("malloc", "(batch)");
	for (long s = j->from; s < j->to; s += j->b) {
		long e = s + j->b < j->to ? s + j->b : j->to;

		for (long i = s; i < e; i++) {
			char path[4096];
			struct stat st;

			snprintf(path, sizeof(path), "%s/f%ld", j->dir, i);
			if (lstat(path, &st) == 0 || errno != ENOENT)
				die("lstat (expected ENOENT)", path);
			fds[i - s] = write_tmp(j->dir, tmp[i - s],
					       sizeof(tmp[0]), i);
			if (!strcmp(j->how, "early") &&
			    sync_file_range(fds[i - s], 0, 0,
					    SYNC_FILE_RANGE_WRITE) < 0)
				die("sync_file_range", tmp[i - s]);
		}
		sync_batch(j->how, j->dfd, fds, (size_t)(e - s));
		for (long i = s; i < e; i++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/f%ld", j->dir, i);
			if (rename(tmp[i - s], path) < 0)
				die("rename", path);
			close(fds[i - s]);
		}
	}
	free(tmp);
	free(fds);
	return NULL;
}

/* T threads, each with its share of the N files, batches of B. */
static void batch(const char *how, const char *dir, long n, long b, long t)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct batch_job j[16];
	pthread_t th[16];

	if (dfd < 0)
		die("open", dir);
	if (b < 1 || b > 4096)
		b = 4096;
	if (t < 1 || t > 16)
		t = 1;
	for (long k = 0; k < t; k++) {
		j[k] = (struct batch_job){ how, dir, n * k / t, n * (k + 1) / t,
					   b,   dfd };
		if (pthread_create(&th[k], NULL, batch_range, &j[k]))
			die("pthread_create", "(batch)");
	}
	for (long k = 0; k < t; k++)
		pthread_join(th[k], NULL);
	if (fsync(dfd) < 0)
		die("fsync", dir);
	close(dfd);
}

/* `check` with T threads, each with its share of the N files: the count
 * of wrong ones. */
struct check_job {
	const char *dir;
	long from, to, bad;
};

static void *check_range(void *arg)
{
	struct check_job *j = arg;

	for (long i = j->from; i < j->to; i++)
		if (check_one(j->dir, i) < 0)
			j->bad++;
	return NULL;
}

static long check_threads(const char *dir, long n, long t)
{
	struct check_job j[16];
	pthread_t th[16];
	long bad = 0;

	if (t < 1 || t > 16)
		t = 1;
	for (long k = 0; k < t; k++) {
		j[k] = (struct check_job){ dir, n * k / t, n * (k + 1) / t, 0 };
		if (pthread_create(&th[k], NULL, check_range, &j[k]))
			die("pthread_create", "(check)");
	}
	for (long k = 0; k < t; k++) {
		pthread_join(th[k], NULL);
		bad += j[k].bad;
	}
	return bad;
}

int main(int argc, char **argv)
{
	const char *dir;
	long n, bad = 0;
	int create, each;

	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "batch")) {
		struct rlimit rl;

		/* a batch holds its temporaries open */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		batch(argv[2], argv[3], atol(argv[4]),
		      argc >= 6 ? atol(argv[5]) : 4096,
		      argc == 7 ? atol(argv[6]) : 1);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "restore")) {
		restore(argv[2], atol(argv[4]), atoi(argv[5]));
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "check")) {
		long cn = atol(argv[3]);
		long wrong = check_threads(argv[2], cn, atol(argv[4]));

		if (wrong)
			fprintf(stderr,
				"file-raw: %ld of %ld files are wrong\n", wrong,
				cn);
		return wrong ? 1 : 0;
	}
	if (argc != 4 ||
	    (strcmp(argv[1], "create") && strcmp(argv[1], "create-each") &&
	     strcmp(argv[1], "check"))) {
		fprintf(stderr,
			"usage: %s create|create-each|check DIR N\n"
			"       %s batch HOW DIR N [B [T]]\n"
			"       %s check DIR N T\n"
			"       %s restore DIR N I COUNT\n",
			argv[0], argv[0], argv[0], argv[0]);
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

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * file.h - what the parts of bench/file share: the run's settings, child
 * processes (timed with wait4, or left running for the watch benchmarks),
 * graph writing and the scratch directory under /var/tmp.  file.c holds
 * these and the converge benchmark; file-watch.c the reaction latency and
 * watch descriptor count, which need an engine that keeps running.
 */
#ifndef BENCH_FILE_H
#define BENCH_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct bench {
	const char *engine;  /* the mgmt-engine binary */
	const char *plugins; /* its --plugins-dir */
	const char *raw;     /* bench/file-raw */
	FILE *out;           /* RESULTS.md, appended */
	char dir[64];        /* scratch directory, removed at exit */
	long max_n;
};

struct sample {
	double wall; /* seconds */
	double cpu;  /* user + system, seconds */
	long maxrss; /* KiB */
	int status;  /* exit code, or 128 + signal */
};

double now(void);
/* Print a message and the tail of `log` (if set), stop any engine we
 * started, remove the scratch directory, exit 1. */
__attribute__((noreturn, format(printf, 2, 3))) void fail(const char *log,
							  const char *fmt, ...);

/* Run argv to completion, stdout and stderr to `log` (or /dev/null). */
struct sample run_wait(char *const argv[], const char *log);
/* Start argv in the background; `nocap` drops CAP_SYS_ADMIN from its
 * bounding set first.  The pid is remembered so fail() can stop it. */
pid_t run_bg(char *const argv[], const char *log, bool nocap);
/* SIGTERM a background child and reap it (fail() after 30 s).  Returns
 * its sample; wall is meaningless. */
struct sample stop_bg(pid_t pid, const char *log);

/* A graph of `nfiles` file resources f0 ... under `root`: directly in it
 * when ndirs is 0, else spread over root/d0 ... root/d(ndirs-1).  Content
 * "file I\n", mode 0644. */
void write_graph(const char *yaml, const char *root, long nfiles, long ndirs);
/* Path of file I of such a graph. */
void file_path(char *buf, size_t size, const char *root, long i, long nfiles,
	       long ndirs);
void mkdir_or_fail(const char *path);
void rm_tree(const char *path);

void bench_converge(struct bench *b);
void bench_latency(struct bench *b);
void bench_repair(struct bench *b);
void bench_watches(struct bench *b);

#endif /* BENCH_FILE_H */

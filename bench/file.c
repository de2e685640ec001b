/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * file.c - benchmark of the file resource, and the pieces its parts
 * share.  This file runs the converge benchmark: N = 1k, 10k, 100k
 * files in one directory, first created from nothing, then checked when all
 * are right, each by `mgmt-engine run --yaml G --converged-timeout=0` (wall
 * time and peak RSS from wait4) and, as the baseline in the same run, by
 * bench/file-raw doing the plugin's system calls in plain loops, in its
 * order (batches of 128 synced with one syncfs, on as many threads as the
 * plugin splits the group over; for create also each file fsync'ed and
 * its directory flushed in turn, as an ungrouped resource does).  Runs alternate engine-first and raw-first so neither always gets
 * the warmer disk.  Every engine run is checked: after the create phase
 * every file is right (file-raw check), and the check-only phase must leave
 * every file's inode and mtime as they were.  file-watch.c measures
 * reaction latency and watch descriptors.  Everything happens in a fresh
 * directory under /var/tmp, removed only at the very end (see
 * engine_round); results are appended to RESULTS.md only when every part
 * succeeded.
 *
 * Usage: bench/file ENGINE PLUGINS_DIR FILE_RAW RESULTS.md [MAX_N [PARTS]]
 * PARTS is a comma list of converge, latency, repair, watch (default: all
 * four).
 * (tools/bench-file builds the tree and runs it.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "file.h"

static char scratch[64];
static pid_t bg_pid;

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_tail(const char *log)
{
	char buf[4096];
	int fd = open(log, O_RDONLY);
	off_t end;
	ssize_t r;

	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0,
	      SEEK_SET);
	r = read(fd, buf, sizeof(buf));
	close(fd);
	if (r > 0) {
		fprintf(stderr, "--- last lines of %s:\n", log);
		fwrite(buf, 1, (size_t)r, stderr);
	}
}

void fail(const char *log, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench/file: FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (log)
		print_tail(log);
	if (bg_pid > 0) {
		kill(bg_pid, SIGKILL);
		waitpid(bg_pid, NULL, 0);
	}
	if (scratch[0])
		rm_tree(scratch);
	exit(1);
}

static pid_t spawn(char *const argv[], const char *log, bool nocap)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log ? log : "/dev/null",
			      O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		/* As root, exec recomputes capabilities from the bounding
		 * set, so dropping it there is enough. */
		if (nocap &&
		    prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) < 0) {
			perror("prctl(PR_CAPBSET_DROP)");
			_exit(126);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		fail(NULL, "fork: %s", strerror(errno));
	return pid;
}

static struct sample reap(pid_t pid, int options)
{
	struct sample s = { 0 };
	struct rusage ru;
	int st;
	pid_t r = wait4(pid, &st, options, &ru);

	if (r < 0)
		fail(NULL, "wait4: %s", strerror(errno));
	if (r == 0) {
		s.status = -1;
		return s;
	}
	s.cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	s.maxrss = ru.ru_maxrss;
	s.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return s;
}

struct sample run_wait(char *const argv[], const char *log)
{
	double t0 = now();
	struct sample s = reap(spawn(argv, log, false), 0);

	s.wall = now() - t0;
	return s;
}

pid_t run_bg(char *const argv[], const char *log, bool nocap)
{
	bg_pid = spawn(argv, log, nocap);
	return bg_pid;
}

struct sample stop_bg(pid_t pid, const char *log)
{
	double t0 = now();
	struct sample s;

	kill(pid, SIGTERM);
	for (;;) {
		s = reap(pid, WNOHANG);
		if (s.status >= 0)
			break;
		if (now() - t0 > 30)
			fail(log, "engine did not exit within 30 s of SIGTERM");
		usleep(2000);
	}
	bg_pid = 0;
	return s;
}

void file_path(char *buf, size_t size, const char *root, long i, long nfiles,
	       long ndirs)
{
	if (ndirs == 0)
		snprintf(buf, size, "%s/f%ld", root, i);
	else
		snprintf(buf, size, "%s/d%ld/f%ld", root,
			 i / ((nfiles + ndirs - 1) / ndirs), i);
}

void write_graph(const char *yaml, const char *root, long nfiles, long ndirs)
{
	FILE *f = fopen(yaml, "w");
	char path[4096];

	if (!f)
		fail(NULL, "%s: %s", yaml, strerror(errno));
	fprintf(f, "graph: bench-file\nresources:\n  file:\n");
	for (long i = 0; i < nfiles; i++) {
		file_path(path, sizeof(path), root, i, nfiles, ndirs);
		fprintf(f,
			"  - name: f%ld\n    path: %s\n"
			"    content: \"file %ld\\n\"\n    mode: \"0644\"\n",
			i, path, i);
	}
	if (fclose(f))
		fail(NULL, "%s: %s", yaml, strerror(errno));
}

void mkdir_or_fail(const char *path)
{
	if (mkdir(path, 0755) < 0)
		fail(NULL, "mkdir %s: %s", path, strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void rm_tree(const char *path)
{
	nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

/* ---- the converge benchmark ---- */

struct stamp {
	ino_t ino;
	struct timespec mtime;
};

static void snapshot(struct stamp *st, const char *root, long n)
{
	char path[4096];
	struct stat s;

	for (long i = 0; i < n; i++) {
		file_path(path, sizeof(path), root, i, n, 0);
		if (lstat(path, &s) < 0)
			fail(NULL, "lstat %s: %s", path, strerror(errno));
		st[i].ino = s.st_ino;
		st[i].mtime = s.st_mtim;
	}
}

static long count_touched(const struct stamp *before, const char *root, long n)
{
	struct stamp *after = calloc((size_t)n, sizeof(*after));
	long touched = 0;

	if (!after)
		fail(NULL, "out of memory");
	snapshot(after, root, n);
	for (long i = 0; i < n; i++)
		if (after[i].ino != before[i].ino ||
		    after[i].mtime.tv_sec != before[i].mtime.tv_sec ||
		    after[i].mtime.tv_nsec != before[i].mtime.tv_nsec)
			touched++;
	free(after);
	return touched;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

/* Check-only runs per create: cheap, and short runs are the noisy ones. */
#define CHECK_REPS 5
#define MAX_SAMPLES 64

struct phase {
	double wall[MAX_SAMPLES], cpu[MAX_SAMPLES];
	int n;
	long maxrss;
};

static void add(struct phase *p, struct sample s)
{
	if (p->n == MAX_SAMPLES)
		fail(NULL, "too many samples");
	p->wall[p->n] = s.wall;
	p->cpu[p->n++] = s.cpu;
	if (s.maxrss > p->maxrss)
		p->maxrss = s.maxrss;
}

/* `each`: the create-each baseline, NULL where it was not run. */
static void row(struct bench *b, long n, const char *name, struct phase *e,
		struct phase *r, struct phase *each, double validate)
{
	double ew = median(e->wall, e->n), rw = median(r->wall, r->n);
	double ec = median(e->cpu, e->n), rc = median(r->cpu, r->n);
	double xw = each ? median(each->wall, each->n) : 0;
	char x[64] = "| | ";

	if (each)
		snprintf(x, sizeof(x), "| %.3f | %.2f ", xw, ew / xw);
	fprintf(b->out,
		"| %ld | %s | %.3f | %.3f | **%.2f** %s| %.3f | %.3f | "
		"%.1f | %.3f |\n",
		n, name, ew, rw, ew / rw, x, ec, rc, (double)e->maxrss / 1024.,
		validate);
	printf("converge N=%-6ld %-10s engine %.3f s  raw %.3f s  ratio %.2f  "
	       "raw-each %.3f s  cpu %.3f/%.3f s  rss %.1f MB\n",
	       n, name, ew, rw, ew / rw, xw, ec, rc, (double)e->maxrss / 1024.);
	fflush(stdout);
}

/* Fewer runs where one run is long: creating 100k files means 100k fsyncs
 * for the engine and as many for the baseline. */
static int runs_for(long n)
{
	return n >= 100000 ? 1 : n >= 10000 ? 3 : 5;
}

/* One converge case: the graph, its directories and what was measured. */
struct conv {
	struct bench *b;
	long n;
	char yaml[128], log[128], edir[160], rdir[160], ns[32];
	struct stamp *stamps;
	struct phase ec, eo, rc, ro, re; /* engine/raw create/check, each */
};

static void run_ok(struct conv *c, char *const argv[], struct phase *p,
		   const char *log, const char *what)
{
	struct sample s = run_wait(argv, log);

	if (s.status)
		fail(log, "%s (N=%ld) exited %d", what, c->n, s.status);
	if (p)
		add(p, s);
}

/* The engine creates every file, then checks them all CHECK_REPS times.
 * Each round has its own directories, all kept until the end: on ext4
 * without a journal (as here) the inode allocator skips inodes freed in
 * the last minutes, so creating files right after deleting many is much
 * slower, and whoever ran after a deletion would pay for it. */
static void engine_round(struct conv *c, int i)
{
	struct bench *b = c->b;
	char *run[] = { (char *)b->engine,
			(char *)"--plugins-dir",
			(char *)b->plugins,
			(char *)"run",
			(char *)"--yaml",
			c->yaml,
			(char *)"--converged-timeout=0",
			NULL };
	char *check[] = { (char *)b->raw, (char *)"check", c->edir, c->ns,
			  NULL };
	long touched;

	snprintf(c->edir, sizeof(c->edir), "%s/engine-%ld-%d", b->dir, c->n, i);
	write_graph(c->yaml, c->edir, c->n, 0);
	mkdir_or_fail(c->edir);
	unlink(c->log);
	run_ok(c, run, &c->ec, c->log, "engine (create)");
	run_ok(c, check, NULL, c->log, "after the engine, file-raw check");
	snapshot(c->stamps, c->edir, c->n);
	for (int r = 0; r < CHECK_REPS; r++)
		run_ok(c, run, &c->eo, c->log, "engine (check-only)");
	touched = count_touched(c->stamps, c->edir, c->n);
	if (touched)
		fail(c->log,
		     "engine (check-only, N=%ld) rewrote %ld files that "
		     "were right",
		     c->n, touched);
}

/* The threads the plugin splits a group of n files over (its group.c):
 * one per 256 files, at most one per CPU and 4. */
static long raw_threads(long n)
{
	long t = n / 256, cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus > 0 && t > cpus)
		t = cpus;
	if (t > 4)
		t = 4;
	return t > 0 ? t : 1;
}

static void raw_round(struct conv *c, int i, bool each)
{
	struct bench *b = c->b;
	char threads[16];
	char *create[] = {
		(char *)b->raw, (char *)"batch", (char *)"syncfs", c->rdir,
		c->ns,          (char *)"128",   threads,          NULL
	};
	char *create_each[] = { (char *)b->raw, (char *)"create-each", c->rdir,
				c->ns, NULL };
	char *check[] = { (char *)b->raw, (char *)"check", c->rdir, c->ns,
			  NULL };

	snprintf(threads, sizeof(threads), "%ld", raw_threads(c->n));
	if (each) {
		snprintf(c->rdir, sizeof(c->rdir), "%s/each-%ld-%d", b->dir,
			 c->n, i);
		mkdir_or_fail(c->rdir);
		run_ok(c, create_each, &c->re, NULL, "file-raw create-each");
	}
	snprintf(c->rdir, sizeof(c->rdir), "%s/raw-%ld-%d", b->dir, c->n, i);
	mkdir_or_fail(c->rdir);
	run_ok(c, create, &c->rc, NULL, "file-raw batch syncfs");
	for (int r = 0; r < CHECK_REPS; r++)
		run_ok(c, check, &c->ro, NULL, "file-raw check");
}

static void converge_one(struct bench *b, long n)
{
	struct conv *c = calloc(1, sizeof(*c));
	char *validate[6];
	int runs = runs_for(n);
	/* At 100k it would add a minute of fsyncs to explain what 10k shows */
	bool each = n < 100000;
	double v[3];

	if (!c || !(c->stamps = calloc((size_t)n, sizeof(*c->stamps))))
		fail(NULL, "out of memory");
	c->b = b;
	c->n = n;
	snprintf(c->yaml, sizeof(c->yaml), "%s/converge.yaml", b->dir);
	snprintf(c->log, sizeof(c->log), "%s/converge.log", b->dir);
	snprintf(c->ns, sizeof(c->ns), "%ld", n);

	for (int i = 0; i < runs; i++) {
		if (i % 2 == 0) {
			engine_round(c, i);
			raw_round(c, i, each);
		} else {
			raw_round(c, i, each);
			engine_round(c, i);
		}
	}
	validate[0] = (char *)b->engine;
	validate[1] = (char *)"--plugins-dir";
	validate[2] = (char *)b->plugins;
	validate[3] = (char *)"validate";
	validate[4] = c->yaml;
	validate[5] = NULL;
	for (int i = 0; i < 3; i++) {
		struct sample s = run_wait(validate, c->log);

		if (s.status)
			fail(c->log, "validate exited %d", s.status);
		v[i] = s.wall;
	}
	row(b, n, "create", &c->ec, &c->rc, each ? &c->re : NULL, median(v, 3));
	row(b, n, "check-only", &c->eo, &c->ro, NULL, median(v, 3));
	unlink(c->yaml);
	unlink(c->log);
	free(c->stamps);
	free(c);
}

void bench_converge(struct bench *b)
{
	fprintf(b->out,
		"\n### Converge N files in one directory\n\n"
		"*engine* = `mgmt-engine run --yaml G --converged-timeout=0`, "
		"start to exit (file resources with `content` and "
		"`mode: \"0644\"`); *raw* = `bench/file-raw batch syncfs DIR N "
		"128 T` and `check DIR N`, the plugin's system calls in plain "
		"loops in its order (per file: lstat, temporary file "
		"O_CREAT|O_EXCL 0600, write, fchmod; per 128: one syncfs, the "
		"renames; one directory fsync at the end, as the plugin does "
		"for a group, on as many threads T as it splits the group over; "
		"check: lstat, open, fstat, read, compare); *raw each* = "
		"`bench/file-raw create-each`, each file fsync'ed, renamed and "
		"its directory flushed in turn, as the plugin does for a "
		"resource that is not grouped (not run at N=100k, to keep the "
		"whole benchmark near 5 minutes).  The engine runs with its "
		"defaults (automatic grouping where the engine has it, 2 x "
		"nproc workers); *raw each* and the raw check are one thread.  "
		"*create* starts from an empty directory, *check-only* runs again when all are right (and "
		"must touch nothing).  Median of 5 runs (N=1k), 3 (10k), 1 "
		"(100k), check-only %d times per run; CPU = user + system; "
		"RSS = the engine's peak; *validate* = `mgmt-engine validate "
		"G` (parse and compile only) for scale.  Nothing is deleted "
		"until the whole benchmark is over: on ext4 without a journal "
		"(as on this machine) creating files within minutes of deleting "
		"many is much slower, and would penalise whichever ran "
		"second.\n\n",
		CHECK_REPS);
	fprintf(b->out,
		"| N | phase | engine (s) | raw (s) | engine / raw | "
		"raw each (s) | engine / raw each | engine CPU (s) | raw CPU (s) "
		"| engine RSS (MB) | validate (s) |\n");
	fprintf(b->out,
		"|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (long n = 1000; n <= b->max_n; n *= 10)
		converge_one(b, n);
	fflush(b->out);
}

/* The machine is shared: how busy it was goes with the figures. */
static const char *loadavg(char *buf)
{
	FILE *f = fopen("/proc/loadavg", "r");

	if (!f || fscanf(f, "%31s", buf) != 1)
		strcpy(buf, "unknown");
	if (f)
		fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	const char *parts, *results;
	char date[64], la[32], *buf = NULL;
	size_t len = 0;
	FILE *out;
	time_t t = time(NULL);

	if (argc < 5) {
		fprintf(stderr,
			"usage: %s ENGINE PLUGINS_DIR FILE_RAW RESULTS.md "
			"[MAX_N [converge,latency,repair,watch]]\n",
			argv[0]);
		return 2;
	}
	b.engine = argv[1];
	b.plugins = argv[2];
	b.raw = argv[3];
	results = argv[4];
	b.max_n = argc > 5 ? atol(argv[5]) : 100000;
	parts = argc > 6 ? argv[6] : "converge,latency,repair,watch";
	snprintf(b.dir, sizeof(b.dir), "/var/tmp/mgmt-bench-file.XXXXXX");
	if (!mkdtemp(b.dir)) {
		perror("mkdtemp");
		return 1;
	}
	strcpy(scratch, b.dir);
	/* Results go to RESULTS.md only when every part succeeded. */
	b.out = open_memstream(&buf, &len);
	if (!b.out)
		fail(NULL, "open_memstream: %s", strerror(errno));
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	fprintf(b.out, "\n## bench/file: %s, nproc %ld\n\n", date,
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(b.out,
		"Command: `tools/bench-file` (runs `bench/file ENGINE "
		"PLUGINS_DIR bench/file-raw bench/RESULTS.md %ld %s`), as %s, "
		"in a fresh directory under /var/tmp.\n",
		b.max_n, parts, geteuid() == 0 ? "root" : "an ordinary user");
	if (getenv("MGMT_BENCH_REV"))
		fprintf(b.out, "Tree: %s.\n", getenv("MGMT_BENCH_REV"));
	fprintf(b.out, "Load average (1 min) at the start: %s.\n", loadavg(la));
	if (strstr(parts, "converge"))
		bench_converge(&b);
	if (strstr(parts, "latency"))
		bench_latency(&b);
	if (strstr(parts, "repair"))
		bench_repair(&b);
	if (strstr(parts, "watch"))
		bench_watches(&b);
	fprintf(b.out, "\nLoad average (1 min) at the end: %s.\n", loadavg(la));
	fclose(b.out);
	out = fopen(results, "a");
	if (!out || fwrite(buf, 1, len, out) != len || fclose(out))
		fail(NULL, "%s: %s", results, strerror(errno));
	free(buf);
	rm_tree(b.dir);
	return 0;
}

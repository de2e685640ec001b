/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine.c - benchmark of the engine core: N noop resources as a chain, a
 * wide fan and a random DAG with 2N edges, N = 1k, 10k, 100k.
 *
 * For each graph it measures, over several runs (median), the wall time of
 * `mgmt-engine run --yaml G --converged-timeout=0` from exec to exit and the
 * child's peak RSS (wait4), and as a baseline in the same run the wall time
 * of `mgmt-engine validate G` (reading, compiling and checking the same graph
 * without running it), so the ratio shows what scheduling adds.  It also
 * times `mgmt-engine --version` against /bin/true.  Results are appended to
 * bench/RESULTS.md with the command, nproc and the date.
 *
 * Usage: bench/engine ENGINE PLUGINS_DIR RESULTS.md [MAX_N]
 * (tools/bench-engine builds the tree and runs it.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS 5

struct sample {
	double wall; /* seconds */
	long maxrss; /* KiB */
	int status;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sample run(char *const argv[])
{
	struct sample s = { 0 };
	struct rusage ru;
	double t0 = now();
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) {
		perror("bench: fork/wait");
		exit(1);
	}
	s.wall = now() - t0;
	s.maxrss = ru.ru_maxrss;
	s.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median wall time and the largest RSS over `n` runs. */
static struct sample measure(char *const argv[], int n)
{
	double w[64];
	struct sample m = { 0 };

	for (int i = 0; i < n; i++) {
		struct sample s = run(argv);

		if (s.status != 0) {
			fprintf(stderr, "bench: %s ... exited %d\n", argv[0],
				s.status);
			exit(1);
		}
		w[i] = s.wall;
		if (s.maxrss > m.maxrss)
			m.maxrss = s.maxrss;
	}
	qsort(w, (size_t)n, sizeof(w[0]), cmp_double);
	m.wall = w[n / 2];
	return m;
}

enum shape {
	CHAIN,
	FAN,
	DAG
};
static const char *const shape_names[] = { "chain", "fan",
					   "random DAG (2N edges)" };

static void write_graph(const char *path, enum shape shape, long n)
{
	FILE *f = fopen(path, "w");
	unsigned seed = 42;

	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f, "graph: bench\nresources:\n  noop:\n");
	for (long i = 0; i < n; i++)
		fprintf(f, "  - name: n%ld\n", i);
	fprintf(f, "edges:\n");
	for (long i = 1; i < n; i++) {
		long from = shape == CHAIN ? i - 1 : 0;

		if (shape == DAG)
			break;
		fprintf(f,
			"- {from: {kind: noop, name: n%ld}, to: {kind: noop, name: n%ld}}\n",
			from, i);
	}
	if (shape == DAG) {
		for (long e = 0; e < 2 * n; e++) {
			long a = (long)(rand_r(&seed) % (unsigned)n);
			long b = (long)(rand_r(&seed) % (unsigned)n);

			if (a == b)
				continue;
			if (a > b) {
				long t = a;

				a = b;
				b = t;
			}
			fprintf(f,
				"- {from: {kind: noop, name: n%ld}, to: {kind: noop, name: n%ld}}\n",
				a, b);
		}
	}
	if (fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	char dir[] = "/var/tmp/mgmt-bench.XXXXXX", graph[256], date[64];
	const char *engine, *plugins, *results;
	long max_n = argc > 4 ? atol(argv[4]) : 100000;
	FILE *out;
	time_t t = time(NULL);

	if (argc < 4) {
		fprintf(stderr,
			"usage: %s ENGINE PLUGINS_DIR RESULTS.md [MAX_N]\n",
			argv[0]);
		return 2;
	}
	engine = argv[1];
	plugins = argv[2];
	results = argv[3];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	out = fopen(results, "a");
	if (!out) {
		perror(results);
		return 1;
	}
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	fprintf(out, "\n## bench/engine: %s, nproc %ld\n\n", date,
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(out,
		"Command: `tools/bench-engine` (runs `bench/engine ENGINE "
		"PLUGINS_DIR bench/RESULTS.md %ld`).\n",
		max_n);
	fprintf(out,
		"Median of %d runs. *run* = `mgmt-engine run --yaml G "
		"--converged-timeout=0`, start to exit; *validate* = "
		"`mgmt-engine validate G`, the baseline (same parse and "
		"compile, nothing run). Automatic grouping is on, as by default: "
		"noops that no path joins are grouped (a fan's leaves become "
		"one vertex).\n\n",
		RUNS);
	fprintf(out,
		"| graph | N | run (s) | peak RSS (MB) | validate (s) | run / validate |\n");
	fprintf(out, "|---|---:|---:|---:|---:|---:|\n");

	for (long n = 1000; n <= max_n; n *= 10) {
		for (int sh = CHAIN; sh <= DAG; sh++) {
			char *rargv[] = { (char *)engine,
					  (char *)"--plugins-dir",
					  (char *)plugins,
					  (char *)"run",
					  (char *)"--yaml",
					  graph,
					  (char *)"--converged-timeout=0",
					  NULL };
			char *vargv[] = {
				(char *)engine,  (char *)"--plugins-dir",
				(char *)plugins, (char *)"validate",
				graph,           NULL
			};
			struct sample r, v;

			snprintf(graph, sizeof(graph), "%s/g.yaml", dir);
			write_graph(graph, (enum shape)sh, n);
			r = measure(rargv, RUNS);
			v = measure(vargv, RUNS);
			fprintf(out,
				"| %s | %ld | %.3f | %.1f | %.3f | %.2f |\n",
				shape_names[sh], n, r.wall,
				(double)r.maxrss / 1024., v.wall,
				r.wall / v.wall);
			printf("%-22s N=%-6ld run %.3f s  rss %.1f MB  validate %.3f s\n",
			       shape_names[sh], n, r.wall,
			       (double)r.maxrss / 1024., v.wall);
			fflush(stdout);
			unlink(graph);
		}
	}

	{
		char *vargv[] = { (char *)engine, (char *)"--version", NULL };
		char *targv[] = { (char *)"/bin/true", NULL };
		struct sample v = measure(vargv, 51), b = measure(targv, 51);

		fprintf(out,
			"\n`mgmt-engine --version`: %.2f ms (median of 51); "
			"`/bin/true` in the same run: %.2f ms; ratio %.2f.\n",
			v.wall * 1000, b.wall * 1000, v.wall / b.wall);
		printf("--version %.2f ms, /bin/true %.2f ms\n", v.wall * 1000,
		       b.wall * 1000);
	}
	fclose(out);
	rmdir(dir);
	return 0;
}

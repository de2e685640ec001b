/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exec.c - benchmark of the exec resource.
 *
 * 1. Engine overhead on the parallel example (examples/yaml/graph8-fast.yaml:
 *    exec1 -> exec2 -> exec3 and exec4, each `sleep 1s`): the wall time of
 *    `mgmt-engine run --converged-timeout=0` minus the 3 s critical path.
 *    As a baseline in the same run, the same for `sh -c 'sleep 1s; sleep
 *    1s; sleep 1s'`: what starting three sleeps costs without an engine.
 * 2. 1,000 independent `/bin/true` execs with `--workers W`, against
 *    `xargs -n 1 -P W /bin/true` running /bin/true 1,000 times with the same
 *    parallelism; W defaults to the engine's own default, 2 x CPUs.
 *
 * Medians of several runs; results are appended to RESULTS.md with the
 * command, nproc and the date.
 *
 * Usage: bench/exec ENGINE PLUGINS_DIR SRCDIR RESULTS.md [WORKERS]
 * (tools/bench-exec builds the tree and runs it.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_TRUE 1000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time of argv from fork to exit, its output to /dev/null (stdin from
 * `in` unless NULL).  Exits on failure: a benchmark of a failing run is
 * no benchmark. */
static double run(char *const argv[], const char *in)
{
	double t0 = now();
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		if (in) {
			fd = open(in, O_RDONLY);
			dup2(fd, 0);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		perror("bench: fork/wait");
		exit(1);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench: %s ... failed (status %#x)\n", argv[0],
			st);
		exit(1);
	}
	return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(char *const argv[], const char *in, int n, double *min)
{
	double w[32];

	for (int i = 0; i < n; i++)
		w[i] = run(argv, in);
	qsort(w, (size_t)n, sizeof(w[0]), cmp_double);
	if (min)
		*min = w[0];
	return w[n / 2];
}

int main(int argc, char **argv)
{
	char dir[] = "/var/tmp/mgmt-bench-exec.XXXXXX", graph[256], list[256];
	char date[64], g8[4096], wstr[32], wflag[48];
	const char *engine, *plugins, *src, *results;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	int workers;
	time_t t = time(NULL);
	double e8, e8min, b8, et, xt, vt;
	FILE *f, *out;

	if (argc < 5) {
		fprintf(stderr,
			"usage: %s ENGINE PLUGINS_DIR SRCDIR RESULTS.md "
			"[WORKERS]\n",
			argv[0]);
		return 2;
	}
	engine = argv[1];
	plugins = argv[2];
	src = argv[3];
	results = argv[4];
	workers = argc > 5 ? atoi(argv[5]) : (int)(2 * (nproc > 0 ? nproc : 1));
	snprintf(wstr, sizeof(wstr), "%d", workers);
	snprintf(wflag, sizeof(wflag), "--workers=%d", workers);
	snprintf(g8, sizeof(g8), "%s/examples/yaml/graph8-fast.yaml", src);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}

	/* 1. the parallel example */
	{
		char *e[] = { (char *)engine,
			      (char *)"--plugins-dir",
			      (char *)plugins,
			      (char *)"run",
			      (char *)"--yaml",
			      g8,
			      (char *)"--converged-timeout=0",
			      NULL };
		char *b[] = { (char *)"/bin/sh", (char *)"-c",
			      (char *)"sleep 1s; sleep 1s; sleep 1s", NULL };

		e8 = median(e, NULL, 5, &e8min);
		b8 = median(b, NULL, 5, NULL);
		printf("graph8-fast: %.4f s (overhead %.1f ms, min %.1f ms); "
		       "three sleeps in sh: %.4f s\n",
		       e8, (e8 - 3) * 1000, (e8min - 3) * 1000, b8);
	}

	/* 2. 1,000 /bin/true */
	snprintf(graph, sizeof(graph), "%s/true.yaml", dir);
	snprintf(list, sizeof(list), "%s/list", dir);
	f = fopen(graph, "w");
	if (!f) {
		perror(graph);
		return 1;
	}
	fprintf(f, "graph: bench-exec\nresources:\n  exec:\n");
	for (int i = 0; i < N_TRUE; i++)
		fprintf(f, "  - {name: t%d, cmd: /bin/true}\n", i);
	fclose(f);
	f = fopen(list, "w");
	if (!f) {
		perror(list);
		return 1;
	}
	for (int i = 0; i < N_TRUE; i++)
		fprintf(f, "%d\n", i);
	fclose(f);
	{
		char *e[] = { (char *)engine,
			      (char *)"--plugins-dir",
			      (char *)plugins,
			      (char *)"run",
			      (char *)"--yaml",
			      graph,
			      (char *)"--converged-timeout=0",
			      wflag,
			      NULL };
		char *v[] = { (char *)engine,  (char *)"--plugins-dir",
			      (char *)plugins, (char *)"validate",
			      graph,           NULL };
		char *x[] = { (char *)"/usr/bin/xargs",
			      (char *)"-n",
			      (char *)"1",
			      (char *)"-P",
			      wstr,
			      (char *)"/bin/true",
			      NULL };

		et = median(e, NULL, 5, NULL);
		xt = median(x, list, 5, NULL);
		vt = median(v, NULL, 5, NULL);
		printf("%d x /bin/true, %d workers: engine %.3f s, xargs -P %d "
		       "%.3f s, ratio %.2f (validate alone %.3f s)\n",
		       N_TRUE, workers, et, workers, xt, et / xt, vt);
	}
	unlink(graph);
	unlink(list);
	rmdir(dir);

	out = fopen(results, "a");
	if (!out) {
		perror(results);
		return 1;
	}
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	fprintf(out, "\n## bench/exec: %s, nproc %ld\n\n", date, nproc);
	fprintf(out,
		"Command: `tools/bench-exec` (runs `bench/exec ENGINE "
		"PLUGINS_DIR SRCDIR bench/RESULTS.md%s%s`).  Medians of 5 runs.\n\n",
		argc > 5 ? " " : "", argc > 5 ? argv[5] : "");
	fprintf(out, "| measure | result |\n|---|---:|\n");
	fprintf(out,
		"| graph8-fast.yaml, `run --converged-timeout=0` | %.4f s |\n",
		e8);
	fprintf(out,
		"| engine overhead: that minus the 3 s critical path "
		"(aim: under 20 ms) | %.1f ms (best run %.1f ms) |\n",
		(e8 - 3) * 1000, (e8min - 3) * 1000);
	fprintf(out,
		"| baseline: `sh -c 'sleep 1s; sleep 1s; sleep 1s'` minus "
		"3 s | %.1f ms |\n",
		(b8 - 3) * 1000);
	fprintf(out,
		"| %d independent `/bin/true` execs, `--workers %d` | "
		"%.3f s |\n",
		N_TRUE, workers, et);
	fprintf(out,
		"| `xargs -n 1 -P %d /bin/true` over %d lines | %.3f s |\n",
		workers, N_TRUE, xt);
	fprintf(out, "| engine / xargs | %.2f |\n", et / xt);
	fprintf(out,
		"| `validate` of the %d-exec graph (compile, check every "
		"program) | %.3f s |\n",
		N_TRUE, vt);
	fclose(out);
	return 0;
}

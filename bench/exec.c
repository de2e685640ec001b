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
 * 3. N commands at once (what made waiters share the engine's memory,
 *    plugins/exec/spawn.c): N exec resources `sleep 2` (shell /bin/sh,
 *    autogroup off) with `--workers N`, N = 500 unless $BENCH_EXEC_N says
 *    otherwise.  Started the default way (waiters that
 *    share the engine's memory, spawn.c) and, as the baseline in the same
 *    run, with MGMT_EXEC_SPAWN=fork (forked waiters, as every waiter was
 *    started before; the fallback now), one after the other; and N `sh -c
 *    'sleep 2'` forked at once by this program: what the machine needs for
 *    them without an engine.  Ideal: 2 s and a little.
 *
 * Medians of several runs; results are appended to RESULTS.md with the
 * command, nproc, the load average and the date.  $BENCH_EXEC_PARTS picks
 * parts (e.g. "3"; default "123").
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
#define N_PAR_RUNS 3

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

/* `argv` with MGMT_EXEC_SPAWN=`way` (NULL: unset). */
static double run_way(char *const argv[], const char *way)
{
	double t;

	if (way)
		setenv("MGMT_EXEC_SPAWN", way, 1);
	else
		unsetenv("MGMT_EXEC_SPAWN");
	t = run(argv, NULL);
	unsetenv("MGMT_EXEC_SPAWN");
	return t;
}

/* N `sh -c 'sleep 2'` forked at once; wall time until the last ended. */
static double run_sleeps(int n)
{
	double t0 = now();

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", "sleep 2", (char *)NULL);
			_exit(127);
		}
		if (pid < 0) {
			perror("bench: fork");
			exit(1);
		}
	}
	for (int i = 0; i < n; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "bench: a sleep failed\n");
			exit(1);
		}
	}
	return now() - t0;
}

static double median_of(double *w, int n)
{
	qsort(w, (size_t)n, sizeof(w[0]), cmp_double);
	return w[n / 2];
}

static double loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

int main(int argc, char **argv)
{
	char dir[] = "/var/tmp/mgmt-bench-exec.XXXXXX", graph[256], list[256];
	char date[64], g8[4096], wstr[32], wflag[48], nenv_flag[48] = "";
	const char *engine, *plugins, *src, *results, *parts, *nenv;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	int workers, npar;
	time_t t = time(NULL);
	double e8 = 0, e8min = 0, b8 = 0, et = 0, xt = 0, vt = 0;
	double pv[N_PAR_RUNS], pf[N_PAR_RUNS], ps[N_PAR_RUNS], load0;
	FILE *f = NULL, *out;

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
	parts = getenv("BENCH_EXEC_PARTS");
	if (!parts || !*parts)
		parts = "123";
	nenv = getenv("BENCH_EXEC_N");
	npar = nenv && atoi(nenv) > 0 ? atoi(nenv) : 500;
	load0 = loadavg();
	workers = argc > 5 ? atoi(argv[5]) : (int)(2 * (nproc > 0 ? nproc : 1));
	snprintf(wstr, sizeof(wstr), "%d", workers);
	snprintf(wflag, sizeof(wflag), "--workers=%d", workers);
	snprintf(g8, sizeof(g8), "%s/examples/yaml/graph8-fast.yaml", src);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}

	/* 1. the parallel example */
	if (strchr(parts, '1')) {
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
	if (strchr(parts, '2')) {
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
		et = median(e, NULL, 5, NULL);
		xt = median(x, list, 5, NULL);
		vt = median(v, NULL, 5, NULL);
		printf("%d x /bin/true, %d workers: engine %.3f s, xargs -P %d "
		       "%.3f s, ratio %.2f (validate alone %.3f s)\n",
		       N_TRUE, workers, et, workers, xt, et / xt, vt);
		unlink(graph);
		unlink(list);
	}

	/* 3. N `sleep 2` at once, --workers N */
	if (strchr(parts, '3')) {
		char nflag[48];
		char *e[] = { (char *)engine,
			      (char *)"--plugins-dir",
			      (char *)plugins,
			      (char *)"run",
			      (char *)"--yaml",
			      graph,
			      (char *)"--converged-timeout=0",
			      nflag,
			      NULL };

		snprintf(graph, sizeof(graph), "%s/sleep.yaml", dir);
		snprintf(nflag, sizeof(nflag), "--workers=%d", npar);
		f = fopen(graph, "w");
		if (!f) {
			perror(graph);
			return 1;
		}
		fprintf(f, "graph: bench-exec-parallel\nresources:\n  exec:\n");
		for (int i = 0; i < npar; i++)
			fprintf(f,
				"  - {name: e%d, cmd: \"sleep 2\", shell: "
				"/bin/sh, meta: {autogroup: false}}\n",
				i);
		fclose(f);
		/* one of each in turn, so a load that comes and goes hits
		 * all three alike */
		for (int i = 0; i < N_PAR_RUNS; i++) {
			pv[i] = run_way(e, NULL);
			pf[i] = run_way(e, "fork");
			ps[i] = run_sleeps(npar);
			printf("%d x sleep 2: default %.3f s, fork %.3f s, "
			       "sh alone %.3f s\n",
			       npar, pv[i], pf[i], ps[i]);
		}
		unlink(graph);
	}
	rmdir(dir);

	out = fopen(results, "a");
	if (!out) {
		perror(results);
		return 1;
	}
	if (nenv && strchr(parts, '3'))
		snprintf(nenv_flag, sizeof(nenv_flag), "BENCH_EXEC_N=%d ",
			 npar);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	fprintf(out, "\n## bench/exec: %s, nproc %ld\n\n", date, nproc);
	fprintf(out,
		"Command: `%s%s%s%stools/bench-exec` (runs `bench/exec ENGINE "
		"PLUGINS_DIR SRCDIR bench/RESULTS.md%s%s`).  Medians of %s.  "
		"Load average (1 min) at the start: %.2f.\n\n",
		nenv_flag, strcmp(parts, "123") ? "BENCH_EXEC_PARTS=" : "",
		strcmp(parts, "123") ? parts : "",
		strcmp(parts, "123") ? " " : "", argc > 5 ? " " : "",
		argc > 5 ? argv[5] : "",
		!strcmp(parts, "3") ? "3 runs of each, taken in turn" :
		strchr(parts, '3')  ? "5 runs (the last part: 3 of each, "
				      "taken in turn)" :
				      "5 runs",
		load0);
	fprintf(out, "| measure | result |\n|---|---:|\n");
	if (strchr(parts, '1')) {
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
	}
	if (strchr(parts, '2')) {
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
	}
	if (strchr(parts, '3')) {
		double v = median_of(pv, N_PAR_RUNS);
		double fk = median_of(pf, N_PAR_RUNS);
		double sh = median_of(ps, N_PAR_RUNS);

		fprintf(out,
			"| %d exec `sleep 2` at once, `--workers %d`, "
			"default (waiters share the engine's memory) | "
			"**%.3f s** |\n",
			npar, npar, v);
		fprintf(out,
			"| the same, `MGMT_EXEC_SPAWN=fork` (forked waiters, "
			"as before waiters shared the engine's memory) | "
			"%.3f s |\n",
			fk);
		fprintf(out,
			"| %d `sh -c 'sleep 2'` forked at once by the bench, "
			"no engine | %.3f s |\n",
			npar, sh);
		fprintf(out,
			"| fork / default | **%.2f** |\n"
			"| default / no engine | %.2f |\n",
			fk / v, v / sh);
	}
	fclose(out);
	return 0;
}

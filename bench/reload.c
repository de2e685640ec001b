/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reload.c - benchmark of graph reload: N file resources (10,000
 * by default, each `meta: {autogroup: false}` so every resource is its own
 * vertex and logs under its own name) in one fresh directory under
 * /var/tmp are converged by an engine left running with `--log-level
 * debug --converged-timeout=-1`; then, REPS times, one resource's content
 * is changed in the YAML the way an editor saves (write G.tmp, rename it
 * over G).  For each edit it reports the time from the rename to the
 * engine's `reload:` line and to the `converged` line after it (seen by
 * following the log with inotify), the reload line itself, and the
 * check_apply calls the log shows around it (every `Kind[name]:
 * converged|changed|would change` line), which should be exactly the one
 * edited resource.  It also checks the result on disk: the edited file
 * has its new content and no other file was rewritten (inode and mtime).
 * The baseline, in the same run, is a cold start of the same graph on the
 * same, already converged, files: `run --yaml G --converged-timeout=0`,
 * spawn to the `converged` line and to exit; and for scale `mgmt-engine
 * validate G`, which reads and compiles the file as a reload must.  Every
 * wait has a timeout; on any failure it prints the tail of the engine's
 * log and exits 1 without touching RESULTS.md.
 *
 * reload-log.c runs the engine and follows its log.
 *
 * Usage: bench/reload ENGINE PLUGINS_DIR RESULTS.md [N [REPS]]
 * REPS 0 runs only the first convergence and the baseline, and records
 * nothing: a test of the bench with an engine that cannot reload.
 * (tools/bench-reload builds the tree and runs it.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reload.h"

#define MAX_REPS 64
#define COLD_RUNS 5
/* Quiet time after each convergence: a check_apply logged then (a watch
 * event caught late, say) counts as a later run. */
#define SETTLE 0.5

/* ---- the graph ---- */

struct run {
	const char *engine, *plugins;
	long n;
	int reps;
	char dir[64], files[96], yaml[96], tmp[96];
	long *edit; /* per resource: 0, or the rep number + 1 that edited it */
};

static int content(char *buf, size_t size, const struct run *r, long i)
{
	if (r->edit[i])
		return snprintf(buf, size, "file %ld edit %ld\n", i,
				r->edit[i]);
	return snprintf(buf, size, "file %ld\n", i);
}

/* The whole graph into `path`, each file with its current content. */
static void write_graph(const struct run *r, const char *path)
{
	FILE *f = fopen(path, "w");
	char c[64];

	if (!f)
		fail("%s: %s", path, strerror(errno));
	fprintf(f, "graph: bench-reload\nresources:\n  file:\n");
	for (long i = 0; i < r->n; i++) {
		content(c, sizeof(c), r, i);
		c[strlen(c) - 1] = '\0'; /* the \n is written escaped */
		fprintf(f,
			"  - name: f%ld\n    path: %s/f%ld\n"
			"    content: \"%s\\n\"\n    mode: \"0644\"\n"
			"    meta: {autogroup: false}\n",
			i, r->files, i, c);
	}
	if (fclose(f))
		fail("%s: %s", path, strerror(errno));
}

struct stamp {
	ino_t ino;
	struct timespec mtime;
};

/* Every file has its wanted content; fill `st` (may be NULL). */
static void verify_files(const struct run *r, struct stamp *st)
{
	char path[160], want[64], got[64];

	for (long i = 0; i < r->n; i++) {
		int len = content(want, sizeof(want), r, i), fd;
		struct stat s;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/f%ld", r->files, i);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &s) < 0)
			fail("%s: %s", path, strerror(errno));
		n = read(fd, got, sizeof(got));
		close(fd);
		if (n != len || memcmp(got, want, (size_t)len))
			fail("%s: not the content the graph wants (\"file %ld"
			     "...\", %zd bytes)",
			     path, i, n);
		if (st) {
			st[i].ino = s.st_ino;
			st[i].mtime = s.st_mtim;
		}
	}
}

/* How many files changed inode or mtime since `old`; `old` is updated. */
static long count_touched(const struct run *r, struct stamp *old)
{
	struct stamp *cur = calloc((size_t)r->n, sizeof(*cur));
	long touched = 0;

	if (!cur)
		fail("out of memory");
	verify_files(r, cur);
	for (long i = 0; i < r->n; i++)
		if (cur[i].ino != old[i].ino ||
		    cur[i].mtime.tv_sec != old[i].mtime.tv_sec ||
		    cur[i].mtime.tv_nsec != old[i].mtime.tv_nsec)
			touched++;
	memcpy(old, cur, (size_t)r->n * sizeof(*cur));
	free(cur);
	return touched;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_REPS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(s[0]), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double max_of(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* ---- the benchmark ---- */

struct rep {
	long res;                /* the resource edited */
	double t_reload, t_conv; /* s after the rename */
	double t_last;           /* the last `converged` within SETTLE */
	struct count before;     /* check_apply lines before the reload line */
	struct count during;     /* between it and `converged` */
	struct count later;      /* in the SETTLE s after */
	long touched;            /* files rewritten on disk */
	char reload[512];        /* the reload line's message */
};

struct result {
	double t_create; /* spawn to the first `converged` */
	struct count create, create_later;
	struct rep rep[MAX_REPS];
	double cold_conv[COLD_RUNS], cold_exit[COLD_RUNS];
	double validate[COLD_RUNS]; /* `validate G`, spawn to exit */
	struct count cold;
};

static void bench_reloads(struct run *r, struct result *res)
{
	char log[96];
	char *argv[] = { (char *)r->engine,
			 (char *)"--log-level",
			 (char *)"debug",
			 (char *)"--plugins-dir",
			 (char *)r->plugins,
			 (char *)"run",
			 (char *)"--yaml",
			 r->yaml,
			 (char *)"--converged-timeout=-1",
			 NULL };
	struct stamp *st = calloc((size_t)r->n, sizeof(*st));
	struct tail *t = calloc(1, sizeof(*t));
	double t0;

	if (!st || !t)
		fail("out of memory");
	snprintf(log, sizeof(log), "%s/engine.log", r->dir);
	write_graph(r, r->yaml);
	t0 = now();
	spawn(argv, log);
	tail_open(t, log);
	res->t_create = wait_for(t, L_CONVERGED, &res->create, T_CREATE,
				 "`converged` after the start") -
			t0;
	settle(t, &res->create_later, 2 * SETTLE, 0);
	verify_files(r, st);
	printf("initial convergence (%ld files created): %.3f s, %ld "
	       "check_apply\n",
	       r->n, res->t_create, res->create.applies);
	fflush(stdout);

	for (int k = 0; k < r->reps; k++) {
		struct rep *p = &res->rep[k];
		const char *msg = "";
		double tr;

		/* Spread over the graph, never the same one twice. */
		p->res = r->n / r->reps * k + r->n / (2 * r->reps);
		r->edit[p->res] = k + 1;
		write_graph(r, r->tmp);
		tr = now();
		if (rename(r->tmp, r->yaml) < 0)
			fail("rename %s: %s", r->yaml, strerror(errno));
		p->t_reload = wait_for(t, L_RELOAD, &p->before, T_RELOAD,
				       "`reload:` line after the rename") -
			      tr;
		classify(t->line, &msg);
		snprintf(p->reload, sizeof(p->reload), "%s", msg);
		p->t_conv = wait_for(t, L_CONVERGED, &p->during, T_RELOAD,
				     "`converged` after the `reload:` line");
		p->t_last = settle(t, &p->later, SETTLE, p->t_conv) - tr;
		p->t_conv -= tr;
		p->touched = count_touched(r, st);
		printf("reload %d: f%ld  rename->reload %.1f ms  ->converged "
		       "%.1f ms  check_apply %ld (+%ld before, +%ld after)  "
		       "files rewritten %ld\n  %s\n",
		       k + 1, p->res, p->t_reload * 1e3, p->t_conv * 1e3,
		       p->during.applies, p->before.applies, p->later.applies,
		       p->touched, p->reload);
		fflush(stdout);
	}
	tail_close(t);
	reap(true, T_STOP);
	free(t);
	free(st);
}

/* The same graph (with every edit) from a cold start on files that are
 * already right: what a restart would cost instead of a reload. */
static void bench_cold(struct run *r, struct result *res)
{
	char log[96];
	char *argv[] = { (char *)r->engine,
			 (char *)"--log-level",
			 (char *)"debug",
			 (char *)"--plugins-dir",
			 (char *)r->plugins,
			 (char *)"run",
			 (char *)"--yaml",
			 r->yaml,
			 (char *)"--converged-timeout=0",
			 NULL };
	char *vargv[] = { (char *)r->engine,
			  (char *)"--plugins-dir",
			  (char *)r->plugins,
			  (char *)"validate",
			  r->yaml,
			  NULL };
	struct tail *t = calloc(1, sizeof(*t));

	if (!t)
		fail("out of memory");
	snprintf(log, sizeof(log), "%s/cold.log", r->dir);
	for (int i = 0; i < COLD_RUNS; i++) {
		double t0 = now();
		int status;

		spawn(vargv, log);
		status = reap(false, T_STOP);
		res->validate[i] = now() - t0;
		if (status)
			fail("validate exited %d", status);
	}
	for (int i = 0; i < COLD_RUNS; i++) {
		struct count c = { 0 };
		double t0 = now();
		int status;

		spawn(argv, log);
		tail_open(t, log);
		res->cold_conv[i] = wait_for(t, L_CONVERGED, &c, T_CREATE,
					     "`converged` (cold start)") -
				    t0;
		status = reap(false, T_STOP);
		res->cold_exit[i] = now() - t0;
		tail_close(t);
		if (status)
			fail("cold start exited %d", status);
		if (c.changed)
			fail("cold start changed %ld resources (%s...); "
			     "the files were converged",
			     c.changed, c.who[0]);
		res->cold = c;
	}
	printf("cold start (check-only): converged %.3f s, exit %.3f s "
	       "(median of %d), %ld check_apply; validate %.3f s\n",
	       median(res->cold_conv, COLD_RUNS),
	       median(res->cold_exit, COLD_RUNS), COLD_RUNS, res->cold.applies,
	       median(res->validate, COLD_RUNS));
	fflush(stdout);
	free(t);
}

/* The reload line with this run's scratch path shown as G. */
static void print_reload_line(FILE *out, const struct run *r, const char *l)
{
	const char *at = strstr(l, r->yaml);

	if (at)
		fprintf(out, "`%.*sG%s`", (int)(at - l), l,
			at + strlen(r->yaml));
	else
		fprintf(out, "`%s`", l);
}

/* Nothing but `want` ran. */
static bool only(const struct count *c, const char *want)
{
	return !c->nwho || (c->nwho == 1 && !strcmp(c->who[0], want));
}

/* The resources that ran, as a table cell. */
static void print_who(FILE *out, const struct count *c)
{
	for (long i = 0; i < c->nwho && i < MAX_WHO; i++)
		fprintf(out, "%s%s", i ? ", " : "", c->who[i]);
	if (c->nwho > MAX_WHO)
		fprintf(out, " and %ld more", c->nwho - MAX_WHO);
}

static void report(FILE *out, const struct run *r, const struct result *res)
{
	double conv[MAX_REPS], swap[MAX_REPS], last[MAX_REPS];
	double cc = median(res->cold_conv, COLD_RUNS);
	bool one = true, once = true, same = true;

	fprintf(out,
		"\n%ld file resources in one directory (content \"file "
		"I\\n\", mode 0644, `meta: {autogroup: false}`: one vertex "
		"each), converged by `mgmt-engine --log-level debug run --yaml "
		"G --converged-timeout=-1`, left running.  Then, %d times, one "
		"resource's content is edited as an editor saves (new YAML "
		"written to G.tmp, renamed over G).  Times run from just "
		"before the rename to when the bench, following the log with "
		"inotify, read the `reload:` line and the `converged` line "
		"after it; *last* is the last `converged` line of the %.1f s "
		"after (later than the first only if something ran again).  "
		"*check_apply*: `Kind[name]: converged` (debug) and "
		"`Kind[name]: changed` (info) lines between `reload:` and "
		"`converged`, *ran* the resources they name; *before*: such "
		"lines between the rename and `reload:`; *after*: in those "
		"%.1f s.  *rewritten*: files whose inode or "
		"mtime changed (every file's content is checked too).  "
		"Baseline *cold*: the same graph, edits included, started "
		"afresh on the converged files (`run --yaml G "
		"--converged-timeout=0`, same log level; %ld check_apply, none "
		"changed), spawn to `converged` and to exit, median of %d; "
		"for scale, `mgmt-engine validate G` (read and compile the "
		"same file, as a reload must).\n\n",
		r->n, r->reps, SETTLE, SETTLE, res->cold.applies, COLD_RUNS);
	fprintf(out,
		"| edit | resource | rename → `reload:` (ms) | rename → "
		"`converged` (ms) | last (ms) | check_apply | changed | ran | "
		"before | after | rewritten |\n");
	fprintf(out,
		"|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
	for (int k = 0; k < r->reps; k++) {
		const struct rep *p = &res->rep[k];
		char want[64];

		snprintf(want, sizeof(want), "File[f%ld]", p->res);
		swap[k] = p->t_reload * 1e3;
		conv[k] = p->t_conv * 1e3;
		last[k] = p->t_last * 1e3;
		if (!only(&p->before, want) || !only(&p->during, want) ||
		    !only(&p->later, want) || p->during.changed != 1 ||
		    p->touched != 1)
			one = false;
		if (p->during.applies != 1 || p->before.applies ||
		    p->later.applies)
			once = false;
		if (strcmp(p->reload, res->rep[0].reload))
			same = false;
		fprintf(out, "| %d | f%ld | %.1f | %.1f | %.1f | %ld | %ld | ",
			k + 1, p->res, swap[k], conv[k], last[k],
			p->during.applies, p->during.changed);
		print_who(out, &p->during);
		fprintf(out, " | %ld | %ld | %ld |\n", p->before.applies,
			p->later.applies, p->touched);
	}
	fprintf(out, "\n| measure | median | max |\n|---|---:|---:|\n");
	fprintf(out,
		"| reload: rename → `converged` (ms) | **%.1f** | "
		"**%.1f** |\n",
		median(conv, r->reps), max_of(conv, r->reps));
	fprintf(out, "| reload: rename → `reload:` (ms) | %.1f | %.1f |\n",
		median(swap, r->reps), max_of(swap, r->reps));
	fprintf(out,
		"| reload: rename → last `converged` (ms) | %.1f | %.1f "
		"|\n",
		median(last, r->reps), max_of(last, r->reps));
	fprintf(out, "| cold: spawn → `converged` (ms) | %.1f | %.1f |\n",
		cc * 1e3, max_of(res->cold_conv, COLD_RUNS) * 1e3);
	fprintf(out, "| cold: spawn → exit (ms) | %.1f | %.1f |\n",
		median(res->cold_exit, COLD_RUNS) * 1e3,
		max_of(res->cold_exit, COLD_RUNS) * 1e3);
	fprintf(out,
		"| for scale: `validate G`, spawn to exit (ms) | %.1f | "
		"%.1f |\n",
		median(res->validate, COLD_RUNS) * 1e3,
		max_of(res->validate, COLD_RUNS) * 1e3);
	fprintf(out, "| **reload / cold** (to `converged`) | **%.3f** | |\n",
		median(conv, r->reps) / 1e3 / cc);
	fprintf(out, "\nReload line%s: ",
		same ? " (the same each time)" : " of edit 1");
	print_reload_line(out, r, res->rep[0].reload);
	fprintf(out,
		".\nFirst convergence (the %ld files created): %.3f s, "
		"%ld check_apply (%ld changed), %ld more in the %.1f s after."
		"\nAim: only the edited resource re-run: %s; in one "
		"check_apply: %s; under 100 ms: %s.\n",
		r->n, res->t_create, res->create.applies, res->create.changed,
		res->create_later.applies, 2 * SETTLE,
		one ? "met (1 changed, 1 file rewritten per edit)" :
		      "**not met**",
		once ? "yes" : "**no**, see *check_apply*",
		max_of(conv, r->reps) < 100 ? "met by every reload" :
					      "**not met by every reload**");
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
	struct run r = { 0 };
	struct result *res = calloc(1, sizeof(*res));
	const char *results;
	char date[64], la[32], *buf = NULL;
	size_t len = 0;
	time_t t = time(NULL);
	FILE *out;

	if (argc < 4) {
		fprintf(stderr,
			"usage: %s ENGINE PLUGINS_DIR RESULTS.md "
			"[N [REPS]]\n",
			argv[0]);
		return 2;
	}
	r.engine = argv[1];
	r.plugins = argv[2];
	results = argv[3];
	r.n = argc > 4 ? atol(argv[4]) : 10000;
	r.reps = argc > 5 ? atoi(argv[5]) : 5;
	if (r.reps < 0 || r.reps > MAX_REPS || r.n < 2L * r.reps + 1) {
		fprintf(stderr,
			"bench/reload: need 0 <= REPS <= %d and N > "
			"2 x REPS\n",
			MAX_REPS);
		return 2;
	}
	r.edit = calloc((size_t)r.n, sizeof(*r.edit));
	if (!res || !r.edit) {
		perror("calloc");
		return 1;
	}
	snprintf(r.dir, sizeof(r.dir), "/var/tmp/mgmt-bench-reload.XXXXXX");
	if (!mkdtemp(r.dir)) {
		perror("mkdtemp");
		return 1;
	}
	set_scratch(r.dir);
	/* Output piped to head(1) must not kill the bench half-way. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(r.files, sizeof(r.files), "%s/files", r.dir);
	snprintf(r.yaml, sizeof(r.yaml), "%s/graph.yaml", r.dir);
	snprintf(r.tmp, sizeof(r.tmp), "%s/graph.yaml.tmp", r.dir);
	if (mkdir(r.files, 0755) < 0)
		fail("mkdir %s: %s", r.files, strerror(errno));

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	/* Results go to RESULTS.md only when every part succeeded. */
	out = open_memstream(&buf, &len);
	if (!out)
		fail("open_memstream: %s", strerror(errno));
	fprintf(out, "\n## bench/reload: %s, nproc %ld\n\n", date,
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(out,
		"Command: `tools/bench-reload` (runs `bench/reload "
		"ENGINE PLUGINS_DIR bench/RESULTS.md %ld %d`), as %s, in a "
		"fresh directory under /var/tmp.\n",
		r.n, r.reps, geteuid() == 0 ? "root" : "an ordinary user");
	if (getenv("MGMT_BENCH_REV"))
		fprintf(out, "Tree: %s.\n", getenv("MGMT_BENCH_REV"));
	fprintf(out, "Load average (1 min) at the start: %s.\n", loadavg(la));

	bench_reloads(&r, res);
	bench_cold(&r, res);
	if (r.reps) {
		report(out, &r, res);
		fprintf(out, "\nLoad average (1 min) at the end: %s.\n",
			loadavg(la));
	}
	fclose(out);
	if (r.reps) {
		fputs(buf, stdout);
		out = fopen(results, "a");
		if (!out || fwrite(buf, 1, len, out) != len || fclose(out))
			fail("%s: %s", results, strerror(errno));
	}
	free(buf);
	free(r.edit);
	free(res);
	rm_scratch();
	return 0;
}

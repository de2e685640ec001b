/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * file-watch.c - the parts of bench/file that need an engine left running
 * (`--converged-timeout=-1`): reaction latency and watch descriptors.
 *
 * Latency: with 1, 1k and 10k managed files in one directory, this process
 * rewrites one of them 1,000 times (open O_TRUNC, write "bad\n", close) and
 * each time waits, through its own inotify watch on the directory, until
 * the file holds its managed content again; the time runs from just before
 * the open to the moment the restored content is read back.  Every wait is
 * bounded and fails loudly, with the engine's log.
 *
 * Watch descriptors: with 10k files in one directory, then in 100
 * directories of 100, it reads the engine's /proc/PID/fd for inotify (and
 * fanotify) descriptors and counts their marks in /proc/PID/fdinfo, and
 * samples the engine's CPU time over one idle second, which would show its
 * own writes feeding back into endless re-checks.
 *
 * When the engine says in its log that it uses fanotify (root with
 * CAP_SYS_ADMIN), both benchmarks run a second time with CAP_SYS_ADMIN
 * dropped from the engine's bounding set, so the inotify path is measured
 * too.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"

#define REWRITES 1000
#define READY_TIMEOUT 300.  /* s: converging 10k files includes 10k fsyncs */
#define RESTORE_TIMEOUT 10. /* s: one restore; far above any sane latency */

struct engine {
	pid_t pid;
	char log[128];
	off_t off;      /* how far the log was scanned */
	char mode[256]; /* the engine's line naming inotify or fanotify */
};

static const char *who(bool nocap)
{
	if (geteuid() != 0)
		return "user";
	return nocap ? "root without CAP_SYS_ADMIN" : "root";
}

/* Scan the log from e->off for a line ending in `suffix`; 1 if found. */
static int scan_log(struct engine *e, const char *suffix)
{
	char buf[1 << 16];
	int fd = open(e->log, O_RDONLY);
	size_t sl = strlen(suffix);
	int found = 0;
	ssize_t r;

	if (fd < 0)
		return 0;
	lseek(fd, e->off, SEEK_SET);
	while (!found && (r = read(fd, buf, sizeof(buf) - 1)) > 0) {
		char *p = buf, *nl;

		buf[r] = '\0';
		/* Whole lines only: a partial last line is read again. */
		while ((nl = strchr(p, '\n'))) {
			*nl = '\0';
			if (!e->mode[0] &&
			    (strstr(p, "inotify") || strstr(p, "fanotify"))) {
				/* past "TIME LEVEL " */
				char *m = strchr(p, ' ');

				m = m ? strchr(m + 1, ' ') : NULL;
				snprintf(e->mode, sizeof(e->mode), "%.200s",
					 m ? m + 1 : p);
			}
			if ((size_t)(nl - p) >= sl && !strcmp(nl - sl, suffix))
				found = 1;
			e->off += nl - p + 1;
			p = nl + 1;
			if (found)
				break;
		}
		if (p == buf)
			break; /* one line longer than the buffer: stop here */
		lseek(fd, e->off, SEEK_SET);
	}
	close(fd);
	return found;
}

static void engine_start(struct bench *b, struct engine *e, const char *yaml,
			 const char *tag, bool nocap)
{
	char *argv[] = { (char *)b->engine,
			 (char *)"--plugins-dir",
			 (char *)b->plugins,
			 (char *)"run",
			 (char *)"--yaml",
			 (char *)yaml,
			 (char *)"--converged-timeout=-1",
			 NULL };
	double t0 = now();

	memset(e, 0, sizeof(*e));
	snprintf(e->log, sizeof(e->log), "%s/%s.log", b->dir, tag);
	unlink(e->log);
	e->pid = run_bg(argv, e->log, nocap);
	while (!scan_log(e, " converged")) {
		int st;

		if (waitpid(e->pid, &st, WNOHANG) == e->pid)
			fail(e->log, "engine (%s) exited before converging",
			     tag);
		if (now() - t0 > READY_TIMEOUT)
			fail(e->log, "engine (%s) did not converge in %.0f s",
			     tag, READY_TIMEOUT);
		usleep(5000);
	}
	/* The engine's own renames come back as events and one re-check
	 * each; let those finish before anything is measured. */
	usleep(500000);
}

static void engine_stop(struct engine *e)
{
	struct sample s = stop_bg(e->pid, e->log);

	if (s.status != 0)
		fail(e->log, "engine exited %d after SIGTERM", s.status);
}

/* 1 when `path` holds exactly `want`. */
static int has_content(const char *path, const char *want)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	return r == (ssize_t)strlen(want) && !memcmp(buf, want, (size_t)r);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Read what is queued on `in`; return how many renames onto `name`. */
static long drain(int in, const char *name)
{
	char ev[8192]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	long renames = 0;
	ssize_t r;

	while ((r = read(in, ev, sizeof(ev))) > 0) {
		for (char *p = ev; p < ev + r;) {
			const struct inotify_event *e = (const void *)p;

			if ((e->mask & IN_MOVED_TO) && e->len &&
			    !strcmp(e->name, name))
				renames++;
			p += sizeof(*e) + e->len;
		}
	}
	return renames;
}

/* How the bench changes a managed file before waiting for the repair. */
enum change {
	REWRITE, /* open O_TRUNC, write "bad\n", close */
	RENAME,  /* write "bad\n" to a temporary, rename it over the file */
	REMOVE,  /* unlink it */
};

static const char *const change_name[] = {
	[REWRITE] = "rewrite in place (O_TRUNC, write, close)",
	[RENAME] = "rename a file over it",
	[REMOVE] = "remove it",
};

static void change(const char *dir, const char *path, enum change how, int k)
{
	char tmp[4200];
	int fd;

	switch (how) {
	case REWRITE:
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0 || write(fd, "bad\n", 4) != 4 || close(fd) < 0)
			fail(NULL, "rewrite %d of %s: %s", k, path,
			     strerror(errno));
		return;
	case RENAME:
		snprintf(tmp, sizeof(tmp), "%s/.bench-new", dir);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, "bad\n", 4) != 4 || close(fd) < 0 ||
		    rename(tmp, path) < 0)
			fail(NULL, "rename %d over %s: %s", k, path,
			     strerror(errno));
		return;
	case REMOVE:
		if (unlink(path) < 0)
			fail(NULL, "remove %d of %s: %s", k, path,
			     strerror(errno));
		return;
	}
}

/* Change a managed file REWRITES times (file `target` of root's nfiles,
 * or a random one each time when target < 0), each time waiting for the
 * engine to put its content back; latencies in ms, sorted, into lat[].
 * Returns how many times the engine renamed a file onto the changed one
 * meanwhile (one per change when it reacts once; more when it restored
 * before the bench's change landed too, or rewrote a file that was
 * right). */
static long repair_loop(struct engine *e, const char *root, long nfiles,
			long target, enum change how, double *lat)
{
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	unsigned seed = 1;
	long renames = 0;

	if (in < 0 || inotify_add_watch(in, root,
					IN_MOVED_TO | IN_CLOSE_WRITE |
						IN_CREATE | IN_ATTRIB) < 0)
		fail(NULL, "inotify on %s: %s", root, strerror(errno));
	for (int k = 0; k < REWRITES; k++) {
		long i = target >= 0 ? target : (long)(rand_r(&seed) % nfiles);
		char path[4096], want[64];
		const char *name;
		double t0;

		file_path(path, sizeof(path), root, i, nfiles, 0);
		name = strrchr(path, '/') + 1;
		snprintf(want, sizeof(want), "file %ld\n", i);
		if (!has_content(path, want))
			fail(e->log, "%s is wrong before change %d", path, k);
		t0 = now();
		change(root, path, how, k);
		if (how == RENAME) /* the bench's own */
			renames--;
		while (!has_content(path, want)) {
			struct pollfd p = { .fd = in, .events = POLLIN };

			if (now() - t0 > RESTORE_TIMEOUT)
				fail(e->log,
				     "change %d: %s not restored within "
				     "%.0f s",
				     k, path, RESTORE_TIMEOUT);
			/* Woken by the rename back (or anything else in the
			 * directory); the short timeout is only a fallback. */
			if (poll(&p, 1, 20) < 0 && errno != EINTR)
				fail(NULL, "poll: %s", strerror(errno));
			renames += drain(in, name);
		}
		lat[k] = (now() - t0) * 1000.;
		/* The restore's own re-check, if any, before the next. */
		usleep(2000);
		renames += drain(in, name);
		if (waitpid(e->pid, NULL, WNOHANG) == e->pid)
			fail(e->log, "engine died during the changes");
	}
	close(in);
	qsort(lat, REWRITES, sizeof(lat[0]), cmp_double);
	return renames;
}

/* The same rewrites with the plugin's repair done at once by file-raw,
 * no engine: p50 p99 max min in ms into raw[]. */
static void raw_restore(struct bench *b, const char *root, long nfiles,
			long target, double *raw)
{
	char out[160], n[32], i[32], count[32], line[256];
	char *argv[] = { (char *)b->raw,
			 (char *)"restore",
			 (char *)root,
			 n,
			 i,
			 count,
			 NULL };
	FILE *f;

	snprintf(out, sizeof(out), "%s/restore.out", b->dir);
	snprintf(n, sizeof(n), "%ld", nfiles);
	snprintf(i, sizeof(i), "%ld", target);
	snprintf(count, sizeof(count), "%d", REWRITES);
	unlink(out);
	if (run_wait(argv, out).status)
		fail(out, "file-raw restore failed");
	f = fopen(out, "r");
	if (!f || !fgets(line, sizeof(line), f) ||
	    sscanf(line, "%lf %lf %lf %lf", &raw[0], &raw[1], &raw[2],
		   &raw[3]) != 4)
		fail(out, "cannot read what file-raw restore printed");
	fclose(f);
	unlink(out);
}

static void latency_one(struct bench *b, long nfiles, bool nocap, bool *fan)
{
	char yaml[128], root[128], path[4096], want[64], tag[64];
	static double lat[REWRITES];
	long target = nfiles / 2;
	struct engine e;
	double raw[4];
	long renames;

	snprintf(yaml, sizeof(yaml), "%s/latency.yaml", b->dir);
	snprintf(tag, sizeof(tag), "latency-%ld%s", nfiles,
		 nocap ? "-nocap" : "");
	/* Kept until the end, like every directory here (see file.c) */
	snprintf(root, sizeof(root), "%s/%s", b->dir, tag);
	mkdir_or_fail(root);
	write_graph(yaml, root, nfiles, 0);
	file_path(path, sizeof(path), root, target, nfiles, 0);
	snprintf(want, sizeof(want), "file %ld\n", target);

	engine_start(b, &e, yaml, tag, nocap);
	if (strstr(e.mode, "fanotify"))
		*fan = true;
	if (!has_content(path, want))
		fail(e.log, "%s is wrong before the first rewrite", path);
	renames = repair_loop(&e, root, nfiles, target, REWRITE, lat);
	engine_stop(&e);
	raw_restore(b, root, nfiles, target, raw);

	fprintf(b->out,
		"| %ld | %s | %.3f | %.3f | %.3f | %.3f | %.2f | "
		"%.3f | %.3f | %.3f | %.2f |\n",
		nfiles, who(nocap), lat[REWRITES / 2],
		lat[(REWRITES * 99 + 99) / 100 - 1], lat[REWRITES - 1], lat[0],
		(double)renames / REWRITES, raw[0], raw[1], raw[2],
		lat[REWRITES / 2] / raw[0]);
	printf("latency N=%-6ld %s p50 %.3f ms  p99 %.3f ms  max %.3f ms  "
	       "renames/rewrite %.2f (%s)\n",
	       nfiles, nocap ? "nocap" : "", lat[REWRITES / 2],
	       lat[(REWRITES * 99 + 99) / 100 - 1], lat[REWRITES - 1],
	       (double)renames / REWRITES,
	       e.mode[0] ? e.mode : "no watch line in the log");
	fflush(stdout);
	unlink(yaml);
	unlink(e.log);
}

void bench_latency(struct bench *b)
{
	bool fan = false;

	fprintf(b->out,
		"\n### Reaction latency\n\n"
		"Engine running (`--converged-timeout=-1`) with N managed files "
		"in one directory; the bench rewrites the middle one %d times "
		"(open O_TRUNC, write \"bad\\n\", close) and after each waits "
		"(its own inotify watch on the directory) until the managed "
		"content is back, then rewrites again 2 ms later.  Time from "
		"before the open to the restored content read back, in ms.  "
		"*renames / rewrite*: renames onto the file the bench saw "
		"(1.00: the engine restored it exactly once each time).  "
		"*raw*: the baseline in the same directory after the engine "
		"stopped, `bench/file-raw restore` (each rewrite followed at "
		"once by the plugin's repair: lstat, temporary file, write, "
		"fchmod, fsync, rename, directory fsync, then the read back); "
		"the two fsyncs are most of it.\n\n",
		REWRITES);
	fprintf(b->out,
		"| N | engine | p50 (ms) | p99 (ms) | max (ms) | "
		"min (ms) | renames / rewrite | raw p50 (ms) | raw p99 (ms) | "
		"raw max (ms) | p50 / raw p50 |\n");
	fprintf(b->out,
		"|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (long n = 1; n <= 10000; n = n == 1 ? 1000 : n * 10)
		latency_one(b, n, false, &fan);
	if (fan)
		for (long n = 1; n <= 10000; n = n == 1 ? 1000 : n * 10)
			latency_one(b, n, true, &fan);
	fflush(b->out);
}

/* ---- repair of a random file, by kind of change ---- */

void bench_repair(struct bench *b)
{
	const long nfiles = 10000;
	char yaml[128], root[128];
	static double lat[REWRITES];
	struct engine e;

	fprintf(b->out,
		"\n### Repair by kind of change\n\n"
		"Engine running (`--converged-timeout=-1`) with %ld managed "
		"files in one directory, all watched; the bench changes a "
		"random one %d times in each way and after each waits (its own "
		"inotify watch on the directory) until the managed content is "
		"back; the next change waits 2 ms for the restore's own "
		"re-check.  Time from before the change to the restored "
		"content read back, in ms.\n\n",
		nfiles, REWRITES);
	fprintf(b->out, "| change | p50 (ms) | p99 (ms) | max (ms) | "
			"min (ms) |\n|---|---:|---:|---:|---:|\n");
	snprintf(yaml, sizeof(yaml), "%s/repair.yaml", b->dir);
	snprintf(root, sizeof(root), "%s/repair", b->dir);
	mkdir_or_fail(root);
	write_graph(yaml, root, nfiles, 0);
	engine_start(b, &e, yaml, "repair", false);
	for (enum change how = REWRITE; how <= REMOVE; how++) {
		repair_loop(&e, root, nfiles, -1, how, lat);
		fprintf(b->out, "| %s | %.3f | %.3f | %.3f | %.3f |\n",
			change_name[how], lat[REWRITES / 2],
			lat[(REWRITES * 99 + 99) / 100 - 1], lat[REWRITES - 1],
			lat[0]);
		printf("repair N=%ld %-42s p50 %.3f ms  p99 %.3f ms  max %.3f "
		       "ms\n",
		       nfiles, change_name[how], lat[REWRITES / 2],
		       lat[(REWRITES * 99 + 99) / 100 - 1], lat[REWRITES - 1]);
		fflush(stdout);
	}
	engine_stop(&e);
	fflush(b->out);
	unlink(yaml);
	unlink(e.log);
}

/* ---- watch descriptors ---- */

static long count_lines(const char *path, const char *prefix)
{
	FILE *f = fopen(path, "r");
	char line[512];
	long n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, strlen(prefix)) &&
		    strncmp(line, "fanotify flags:", 15))
			n++;
	fclose(f);
	return n;
}

struct watches {
	int ifds, ffds;  /* inotify / fanotify descriptors */
	long wds, marks; /* inotify watches / fanotify marks */
};

static struct watches count_watches(pid_t pid)
{
	struct watches w = { 0 };
	char dpath[64], link[256], path[512];
	struct dirent *de;
	DIR *d;

	snprintf(dpath, sizeof(dpath), "/proc/%d/fd", (int)pid);
	d = opendir(dpath);
	if (!d)
		fail(NULL, "%s: %s", dpath, strerror(errno));
	while ((de = readdir(d))) {
		ssize_t r;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dpath, de->d_name);
		r = readlink(path, link, sizeof(link) - 1);
		if (r < 0)
			continue;
		link[r] = '\0';
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid,
			 de->d_name);
		if (!strcmp(link, "anon_inode:inotify")) {
			w.ifds++;
			w.wds += count_lines(path, "inotify wd:");
		} else if (!strcmp(link, "anon_inode:[fanotify]")) {
			w.ffds++;
			w.marks += count_lines(path, "fanotify ");
		}
	}
	closedir(d);
	return w;
}

/* utime + stime of `pid`, in clock ticks. */
static long cpu_ticks(pid_t pid, const char *log)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		fail(log, "%s: %s", path, strerror(errno));
	fclose(f);
	p = strrchr(buf, ')');
	/* after "pid (comm)": state is field 3, utime 14, stime 15 */
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu",
			 &ut, &st) != 2)
		fail(log, "cannot parse %s", path);
	return (long)(ut + st);
}

static void watches_one(struct bench *b, long ndirs, bool nocap, bool *fan)
{
	char yaml[128], root[128], dir[160], tag[64];
	const long nfiles = 10000;
	struct watches w;
	struct engine e;
	long t0, t1, on_paths;

	snprintf(yaml, sizeof(yaml), "%s/watch.yaml", b->dir);
	snprintf(tag, sizeof(tag), "watch-%ld%s", ndirs, nocap ? "-nocap" : "");
	snprintf(root, sizeof(root), "%s/%s", b->dir, tag);
	/* "/", "/var", ... up to root's parent: as many as root has '/' */
	on_paths = 1 + ndirs;
	for (const char *c = root; *c; c++)
		on_paths += *c == '/';
	mkdir_or_fail(root);
	for (long i = 0; i < ndirs; i++) {
		snprintf(dir, sizeof(dir), "%s/d%ld", root, i);
		mkdir_or_fail(dir);
	}
	write_graph(yaml, root, nfiles, ndirs);

	engine_start(b, &e, yaml, tag, nocap);
	if (strstr(e.mode, "fanotify"))
		*fan = true;
	w = count_watches(e.pid);
	t0 = cpu_ticks(e.pid, e.log);
	usleep(1000000);
	t1 = cpu_ticks(e.pid, e.log);
	engine_stop(&e);

	fprintf(b->out,
		"| %ld | %ld | %ld | %s | %d | %ld | %d | %ld | %.0f | "
		"%s |\n",
		nfiles, ndirs ? ndirs : 1, on_paths, who(nocap), w.ifds, w.wds,
		w.ffds, w.marks,
		(double)(t1 - t0) * 1000. / (double)sysconf(_SC_CLK_TCK),
		e.mode[0] ? e.mode : "(no watch line in the log)");
	printf("watch %ld files in %ld dirs %s: inotify fds %d wds %ld, "
	       "fanotify fds %d marks %ld, idle cpu %ld ticks/s\n",
	       nfiles, ndirs ? ndirs : 1, nocap ? "nocap" : "", w.ifds, w.wds,
	       w.ffds, w.marks, t1 - t0);
	fflush(stdout);
	unlink(yaml);
	unlink(e.log);
}

void bench_watches(struct bench *b)
{
	bool fan = false;

	fprintf(b->out,
		"\n### Watch descriptors\n\n"
		"10,000 managed files, engine running and converged; counted "
		"from /proc/PID/fd (anon_inode:inotify, anon_inode:[fanotify]) "
		"and the `inotify wd:` / `fanotify` mark lines of "
		"/proc/PID/fdinfo.  *idle CPU* = the engine's CPU time over the "
		"next idle second (its own writes must not loop).  The files "
		"are in /var/tmp/mgmt-bench-file.X/watch-N/ or in 100 "
		"subdirectories of it; *directories on the paths* counts those "
		"holding files and every ancestor up to / (which a watch must "
		"cover to see a parent removed or renamed).\n\n");
	fprintf(b->out,
		"| files | directories holding them | directories on "
		"the paths | engine | inotify fds | inotify watches | fanotify "
		"fds | fanotify marks | idle CPU (ms/s) | engine's log |\n");
	fprintf(b->out, "|---:|---:|---:|---|---:|---:|---:|---:|---:|---|\n");
	watches_one(b, 0, false, &fan);
	watches_one(b, 100, false, &fan);
	if (fan) {
		watches_one(b, 0, true, &fan);
		watches_one(b, 100, true, &fan);
	}
	fflush(b->out);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_exec.c - the exec plugin, driven through real graphs: the built
 * exec.so loaded from $MGMT_PLUGINS_DIR, YAML compiled by the engine and run
 * by the scheduler, commands that are real processes.
 *
 * Nothing here depends on timing.  Commands append to a record file in the
 * test's directory; order and overlap are read from the record.  Runs that
 * need events (watchcmd, pollint, a timer) end when a command sends SIGTERM
 * to the test process after a given number of runs, as a user would stop
 * the engine (one more run may start before the signal is handled, so those
 * counts are minimums); converged-timeout is only a guard against a hang.  Log lines
 * are captured through the engine's log sink.
 *
 * The plugin gets this suite's own copy of the engine's host table, whose
 * stop_fd and abort_fd a test may replace with FIFOs in its directory: a
 * command then fires them (`echo x > DIR/stop`) at exactly the point of its
 * script the test is about.  Built a second time as check_exec_fork, the
 * suite runs with MGMT_EXEC_SPAWN=fork, through spawn.c's fallback.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "loader/loader.h"
#include "util/log.h"
#include "run/host.h"
#include "run/sched.h"
#include "harness.h"
#include "runner.h"
#include "../../plugins/exec/exec.h"
#include "../../plugins/exec/raw.h"

static char dir[1024]; /* room for names after it in PATH_MAX */
static char recpath[PATH_MAX];
static struct registry reg;

/* The host table the plugin gets: the engine's, but for stop_fd and
 * abort_fd while a test sets its own. */
static struct mgmt_host host;
static int test_stop = -1, test_abort = -1;
/* If set, test_stop is the stop signal only once this file exists: a stop
 * that comes between two commands, whatever the first one polled. */
static char stop_when[PATH_MAX + 64];

static int t_stop_fd(void)
{
	if (test_stop < 0 || (*stop_when && access(stop_when, F_OK) < 0))
		return host_table()->stop_fd();
	return test_stop;
}

static int t_abort_fd(void)
{
	return test_abort >= 0 ? test_abort : host_table()->abort_fd();
}

/* Are waiters started through the fork fallback by request? */
static bool forced_fork(void)
{
	const char *v = getenv("MGMT_EXEC_SPAWN");

	return v && strcmp(v, "fork") == 0;
}

/* valgrind refuses clone3 (ENOSYS): the fallback is all it sees. */
static bool under_valgrind(void)
{
	const char *v = getenv("LD_PRELOAD");

	return v && strstr(v, "vgpreload") != NULL;
}

/* ---- captured log lines ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char **logs;
static size_t nlogs, logs_cap;

static void sink(int level, const char *line, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	if (nlogs == logs_cap) {
		logs_cap = logs_cap ? logs_cap * 2 : 256;
		logs = realloc(logs, logs_cap * sizeof(*logs));
	}
	if (logs)
		logs[nlogs++] = strdup(line);
	pthread_mutex_unlock(&log_lock);
}

static void logs_clear(void)
{
	for (size_t i = 0; i < nlogs; i++)
		free(logs[i]);
	nlogs = 0;
}

/* Log lines containing `s`. */
static int nlog(const char *s)
{
	int n = 0;

	for (size_t i = 0; i < nlogs; i++)
		n += logs[i] && strstr(logs[i], s) != NULL;
	return n;
}

static void dump_logs(void)
{
	for (size_t i = 0; i < nlogs; i++)
		fprintf(stderr, "# %s\n", logs[i]);
}

#define assert_log(s)                                                          \
	do {                                                                   \
		if (nlog(s) == 0)                                              \
			dump_logs();                                           \
		ck_assert_msg(nlog(s) > 0, "no log line has: %s", s);          \
	} while (0)

/* ---- fixture ---- */

static void setup(void)
{
	harness_tmpdir(dir, sizeof(dir), "exec");
	snprintf(recpath, sizeof(recpath), "%s/record", dir);

	log_level = MGMT_LOG_DEBUG;
	log_set_sink(sink, NULL);
	host = *host_table();
	host.stop_fd = t_stop_fd;
	host.abort_fd = t_abort_fd;
	harness_load(&reg, "MGMT_PLUGINS_DIR", &host, "exec");
}

static void close_test_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void teardown(void)
{
	close_test_fd(&test_stop);
	close_test_fd(&test_abort);
	stop_when[0] = '\0';
	registry_free(&reg);
	log_set_sink(NULL, NULL);
	logs_clear();
	free(logs);
	logs = NULL;
	logs_cap = 0;
	harness_rmdir(dir);
}

/* `yaml` with REC, DIR and TESTPID replaced. */
static char *expand(const char *yaml)
{
	static char buf[1 << 18];
	char pid[32], *out = buf;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (const char *p = yaml; *p; p++) {
		const char *sub = NULL;
		size_t skip = 0;

		if (strncmp(p, "REC", 3) == 0)
			sub = recpath, skip = 3;
		else if (strncmp(p, "DIR", 3) == 0)
			sub = dir, skip = 3;
		else if (strncmp(p, "TESTPID", 7) == 0)
			sub = pid, skip = 7;
		if (sub) {
			out += sprintf(out, "%s", sub);
			p += skip - 1;
		} else {
			*out++ = *p;
		}
		ck_assert_int_lt(out - buf, (long)sizeof(buf) - PATH_MAX);
	}
	*out = '\0';
	return buf;
}

static struct graph_cfg *compile(const char *yaml)
{
	return harness_compile(&reg, expand(yaml));
}

static int run_cfg(struct graph_cfg *cfg, struct sched_opts o)
{
	int status;

	logs_clear();
	status = sched_run(cfg, &o);
	config_graph_free(cfg);
	return status;
}

/* Run to convergence (exit at once). */
static int run_graph(const char *yaml)
{
	struct sched_opts o = { .workers = 4, .converged_timeout = 0 };

	return run_cfg(compile(yaml), o);
}

/* Run until a command sends SIGTERM, as a service does (a one-shot run
 * stopped before it converged would exit 3); Check's timeout guards it. */
static int run_until_term(const char *yaml)
{
	struct sched_opts o = { .workers = 4, .converged_timeout = -1 };

	return run_cfg(compile(yaml), o);
}

/* Compile a graph that must not compile; returns all messages, joined. */
static char *compile_errors(const char *yaml)
{
	static char all[16384];
	const char *buf = expand(yaml);
	struct graph_cfg *cfg = NULL;
	struct diag d = { 0 };
	size_t o = 0;

	ck_assert_int_eq(config_load_buffer("test.yaml", buf, strlen(buf), &reg,
					    &cfg, &d),
			 -1);
	ck_assert_ptr_null(cfg);
	all[0] = '\0';
	for (size_t i = 0; i < d.n && o < sizeof(all); i++)
		o += (size_t)snprintf(all + o, sizeof(all) - o, "%s\n",
				      d.msgs[i]);
	diag_free(&d);
	return all;
}

#define assert_has(hay, needle)                                                \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "missing '%s' in:\n%s", \
		      (needle), (hay))

/* ---- the record and /proc ---- */

static int nrec(const char *path, const char *prefix)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	fclose(f);
	return n;
}

/* The line number (from 0) of the first record line starting `prefix`,
 * and its number field; -1 if none. */
static int rec_at(const char *prefix, long long *ns)
{
	char line[512];
	FILE *f = fopen(recpath, "r");
	int i = 0;

	if (!f)
		return -1;
	for (; fgets(line, sizeof(line), f); i++) {
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			if (ns)
				*ns = atoll(line + strlen(prefix));
			fclose(f);
			return i;
		}
	}
	fclose(f);
	return -1;
}

static int read_pid(const char *name)
{
	char path[PATH_MAX];
	FILE *f;
	int pid = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return pid;
}

/* State letter and parent of a process, from /proc; 0 if it is gone. */
static char proc_state(int pid, int *ppid, char *comm, size_t len)
{
	char path[64], buf[1024], *rp, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')'))) {
		char *lp = strchr(buf, '(');

		if (comm && lp) {
			snprintf(comm, len, "%.*s", (int)(rp - lp - 1), lp + 1);
		}
		if (sscanf(rp + 2, "%c %d", &st, ppid) != 2)
			st = 0;
	}
	fclose(f);
	return st;
}

/* Wait (guarded: 10 s) until `pid`, a `comm` process, no longer runs. */
static bool gone(int pid, const char *comm)
{
	for (int i = 0; i < 1000; i++) {
		char c[64] = "";
		int ppid;
		char st = proc_state(pid, &ppid, c, sizeof(c));

		if (!st || st == 'Z' || strcmp(c, comm) != 0)
			return true;
		usleep(10000);
	}
	return false;
}

/* Zombie children of this process. */
static int zombies(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		int ppid = 0, pid = atoi(e->d_name);

		if (pid > 0 && proc_state(pid, &ppid, NULL, 0) == 'Z' &&
		    ppid == getpid())
			n++;
	}
	closedir(d);
	return n;
}

/* ---- stop and abort signals, threads, seccomp ---- */

/* A FIFO DIR/name, open to read and write (so a writer never blocks): the
 * fd becomes readable once a command writes it, as a stop fd would. */
static int fifo(const char *name)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Wait (guarded: 20 s) until DIR/name exists and is not empty. */
static bool wait_file(const char *name)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int i = 0; i < 2000; i++) {
		if (stat(path, &st) == 0 && st.st_size > 0)
			return true;
		usleep(10000);
	}
	return false;
}

static void touch(const char *name)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("go\n", f);
	fclose(f);
}

/* Let this thread (and the threads and processes it starts) get `err` from
 * clone3, and ENOSYS from close_range if `no_close_range`, as under a
 * seccomp profile or an old kernel.  EPERM only for the plugin's clone3
 * (its struct is clone3's first version, 64 bytes): glibc's pthread_create
 * tries clone3 too, with a larger struct, and gives up on EPERM, where a
 * real profile would refuse every clone3 with ENOSYS, which glibc takes.
 * x86-64 only; -ENOSYS elsewhere. */
static int deny_clone3(int err, bool no_close_range)
{
#if defined(__x86_64__)
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, err == ENOSYS ?
						  SECCOMP_RET_ERRNO | ENOSYS :
						  SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO |
				 ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 436 /* close_range */, 0,
			 1),
		BPF_STMT(BPF_RET | BPF_K, no_close_range ?
						  SECCOMP_RET_ERRNO | ENOSYS :
						  SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]),
				   .filter = f };

	/* Without TSYNC the filter is this thread's (and its children's). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}

/* A graph run on a thread of its own, while the test looks on. */
struct trun {
	pthread_t t;
	struct graph_cfg *cfg; /* compiled on the test's thread */
	int deny;              /* clone3's errno on that thread, or 0 */
	bool no_close_range;
	int status;
};

static void *trun_main(void *arg)
{
	struct trun *r = arg;
	struct sched_opts o = { .workers = 4, .converged_timeout = 0 };

	if (r->deny && deny_clone3(r->deny, r->no_close_range) < 0) {
		config_graph_free(r->cfg);
		r->status = -1;
		return NULL;
	}
	r->status = run_cfg(r->cfg, o);
	return NULL;
}

static void trun_start(struct trun *r, const char *yaml, int deny,
		       bool no_close_range)
{
	r->cfg = compile(yaml);
	r->deny = deny;
	r->no_close_range = no_close_range;
	r->status = -2;
	ck_assert_int_eq(pthread_create(&r->t, NULL, trun_main, r), 0);
}

static int trun_join(struct trun *r)
{
	pthread_join(r->t, NULL);
	return r->status;
}

/* Run a command that shows its waiter (its parent) and waits: does that
 * waiter share this process's memory?  kcmp: 0 the same, else not. */
static long waiter_kcmp(void)
{
	struct trun r;
	long same;
	int wpid;

	trun_start(
		&r,
		"resources:\n  exec:\n"
		"  - name: k\n"
		"    cmd: sh -c 'echo $PPID > DIR/wpid; i=0; while [ ! -e DIR/go ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done'\n",
		0, false);
	ck_assert_msg(wait_file("wpid"), "the command did not start");
	wpid = read_pid("wpid");
	same = syscall(SYS_kcmp, getpid(), wpid, KCMP_VM, 0, 0);
	touch("go");
	ck_assert_int_eq(trun_join(&r), 0);
	ck_assert_msg(same >= 0, "kcmp: %s", strerror(errno));
	return same;
}

/* ---- the command line ---- */

START_TEST(split_rules)
{
	static const struct {
		const char *in;
		const char *out[5];
	} ok[] = {
		{ "echo a  b", { "echo", "a", "b" } },
		{ "  sh -c 'a b; c'  ", { "sh", "-c", "a b; c" } },
		{ "x \"a \\\"q\\\" \\\\ \\$ \\n\"",
		  { "x", "a \"q\" \\ $ \\n" } },
		{ "a\\ b c\\'d", { "a b", "c'd" } },
		{ "e '' \"\" x''y", { "e", "", "", "xy" } },
		{ "a'b'\"c\"d", { "abcd" } },
		{ "l1 \\\nl2\tx", { "l1", "l2", "x" } },
	};
	static const struct {
		const char *in;
		const char *why;
		size_t at;
	} bad[] = {
		{ "echo 'abc", "unbalanced single quote", 5 },
		{ "echo \"abc 'x'", "unbalanced double quote", 5 },
		{ "echo \"a\\\"", "unbalanced double quote", 5 },
		{ "echo a\\", "lone backslash", 6 },
		{ "   ", "no command", 0 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char **v = NULL;
		const char *why = NULL;
		size_t at = 0, n = 0;

		ck_assert_int_eq(exec_split(ok[i].in, &v, &why, &at), 0);
		for (; ok[i].out[n]; n++) {
			ck_assert_ptr_nonnull(v[n]);
			ck_assert_str_eq(v[n], ok[i].out[n]);
		}
		ck_assert_ptr_null(v[n]);
		exec_strv_free(v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char **v = NULL;
		const char *why = NULL;
		size_t at = 99;

		ck_assert_int_eq(exec_split(bad[i].in, &v, &why, &at), -EINVAL);
		ck_assert_ptr_null(v);
		assert_has(why, bad[i].why);
		ck_assert_uint_eq(at, bad[i].at);
	}
}
END_TEST

START_TEST(resolve_rules)
{
	char path[PATH_MAX], *out = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/prog", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(exec_resolve("sh", "/nonexistent:/bin:/usr/bin", NULL,
				      &out),
			 0);
	ck_assert_str_eq(out, "/bin/sh");
	free(out);
	ck_assert_int_eq(exec_resolve("prog", dir, NULL, &out), -EACCES);
	ck_assert_int_eq(exec_resolve("./prog", "/bin", dir, &out), -EACCES);
	ck_assert_int_eq(exec_resolve("tmp", "/", NULL, &out), -EISDIR);
	ck_assert_int_eq(exec_resolve("nope-xyz", "/bin:/usr/bin", NULL, &out),
			 -ENOENT);
	chmod(path, 0755);
	ck_assert_int_eq(exec_resolve("./prog", "/bin", dir, &out), 0);
	ck_assert_str_eq(out, "./prog"); /* as written: run from cwd */
	free(out);
}
END_TEST

/* ---- parameters ---- */

START_TEST(quoting_output_and_status)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - name: q\n"
			"    cmd: sh -c 'echo \"a  b\" $0 \"x\\\"y\"; echo err >&2; printf tail' zero\n"),
		0);
	assert_log("info Exec[q]: running: sh -c");
	assert_log("info Exec[q]: a  b zero x\"y");
	assert_log("info Exec[q]: err");
	assert_log("info Exec[q]: tail");
	assert_log("info Exec[q]: changed");
}
END_TEST

START_TEST(shell_cwd_env)
{
	char want[PATH_MAX + 32];

	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - name: s\n"
			"    shell: /bin/sh\n"
			"    cmd: echo $((1+2)) | tr 3 x; echo \"$FOO\"; pwd; echo $PATH\n"
			"    cwd: DIR\n"
			"    env: {FOO: bar baz, PATH: /usr/bin:/bin}\n"),
		0);
	assert_log("Exec[s]: x");
	assert_log("Exec[s]: bar baz");
	assert_log("Exec[s]: /usr/bin:/bin");
	snprintf(want, sizeof(want), "Exec[s]: %s", dir);
	assert_log(want);
}
END_TEST

START_TEST(nonzero_exit_is_error_with_retry)
{
	ck_assert_int_eq(run_graph("resources:\n  exec:\n"
				   "  - name: f\n"
				   "    cmd: sh -c 'echo x >> REC; exit 3'\n"
				   "    meta: {retry: 2, delay: 10}\n"
				   "  - name: k\n"
				   "    cmd: sh -c 'kill -USR1 $$'\n"),
			 1);
	ck_assert_int_eq(nrec(recpath, "x"), 3);
	ck_assert_int_eq(nlog("error Exec[f]: cmd exited with status 3"), 3);
	assert_log("Exec[f]: failed (error -1), retries used up");
	assert_log("error Exec[k]: cmd was killed by SIGUSR1");
}
END_TEST

START_TEST(failure_blocks_only_descendants)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - {name: a, cmd: sh -c 'echo a >> REC; exit 1'}\n"
			"  - {name: b, cmd: sh -c 'echo b >> REC'}\n"
			"  - {name: c, cmd: sh -c 'echo c >> REC'}\n"
			"edges:\n"
			"- {from: {kind: exec, name: a}, to: {kind: exec, name: b}}\n"),
		1);
	ck_assert_int_eq(nrec(recpath, "a"), 1);
	ck_assert_int_eq(nrec(recpath, "b"), 0);
	ck_assert_int_eq(nrec(recpath, "c"), 1);
}
END_TEST

START_TEST(timeout_kills_the_group)
{
	int gpid;

	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - name: t\n"
			"    cmd: sh -c 'sleep 100 & echo $! > DIR/gpid; wait'\n"
			"    timeout: 0.2\n"),
		1);
	assert_log("error Exec[t]: cmd timed out after 0.2 s");
	gpid = read_pid("gpid");
	ck_assert_int_gt(gpid, 0);
	ck_assert_msg(gone(gpid, "sleep"), "the grandchild %d survived", gpid);
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

START_TEST(timeout_sigkill_after_grace)
{
	int gpid;

	/* Everything in the group ignores SIGTERM: SIGKILL ends it. */
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - name: t\n"
			"    cmd: sh -c 'trap \"\" TERM; sleep 100 & echo $! > DIR/gpid; while :; do sleep 1; done'\n"
			"    timeout: 0.2\n"),
		1);
	gpid = read_pid("gpid");
	ck_assert_int_gt(gpid, 0);
	ck_assert_msg(gone(gpid, "sleep"), "the grandchild %d survived", gpid);
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

START_TEST(statuses_survive_sigchld_storms)
{
	static char yaml[1 << 16];
	int len = 0;
	pid_t kids[20];

	/* Children of our own, exiting while the graph runs: each SIGCHLD
	 * makes libev reap every child it can see.  Exec's statuses must
	 * still arrive, exactly. */
	for (int i = 0; i < 20; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			struct timespec ts = { 0, (i % 10) * 20000000L };

			nanosleep(&ts, NULL);
			_exit(0);
		}
		ck_assert_int_gt(kids[i], 0);
	}
	len += sprintf(yaml, "resources:\n  exec:\n");
	for (int i = 0; i < 60; i++)
		len += sprintf(
			yaml + len,
			"  - {name: e%d, cmd: sh -c 'echo r >> REC; sleep 0.0%d; exit 0', ifcmd: sh -c 'exit %d'}\n",
			i, i % 10, i % 2);
	ck_assert_int_eq(run_graph(yaml), 0);
	ck_assert_int_eq(nrec(recpath, "r"), 30);
	for (int i = 0; i < 20; i++)
		waitpid(kids[i], NULL, 0); /* libev may have reaped them */
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

START_TEST(ifcmd_decides)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - {name: yes, cmd: sh -c 'echo yes >> REC', ifcmd: \"true\"}\n"
			"  - {name: no, cmd: sh -c 'echo no >> REC', ifcmd: sh -c 'echo checking; exit 1'}\n"),
		0);
	ck_assert_int_eq(nrec(recpath, "yes"), 1);
	ck_assert_int_eq(nrec(recpath, "no"), 0);
	assert_log("debug Exec[no]: ifcmd: checking");
	assert_log("Exec[no]: ifcmd exited with status 1: cmd does not run");
}
END_TEST

START_TEST(refresh_runs_cmd_despite_ifcmd)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - {name: up, cmd: \"true\"}\n"
			"  - {name: notified, cmd: sh -c 'echo notified >> REC', ifcmd: \"false\"}\n"
			"  - {name: plain, cmd: sh -c 'echo plain >> REC', ifcmd: \"false\"}\n"
			"edges:\n"
			"- {from: {kind: exec, name: up}, to: {kind: exec, name: notified}, notify: true}\n"
			"- {from: {kind: exec, name: up}, to: {kind: exec, name: plain}}\n"),
		0);
	ck_assert_int_eq(nrec(recpath, "notified"), 1);
	ck_assert_int_eq(nrec(recpath, "plain"), 0);
}
END_TEST

START_TEST(runs_when_reached_without_ifcmd)
{
	char rec2[PATH_MAX + 8];

	/* mgmt's timer example: the exec after a timer runs on every tick;
	 * the one with an ifcmd has a state and runs only once.  The engine
	 * is stopped after three ticks seen once `once` had run (REC3), not
	 * after three ticks: on a slow machine (valgrind) `once` may start
	 * later than the third. */
	ck_assert_int_eq(
		run_until_term(
			"resources:\n"
			"  timer:\n"
			"  - {name: t, interval: 0.05}\n"
			"  exec:\n"
			"  - name: each\n"
			"    cmd: sh -c 'echo tick >> REC; [ -s REC2 ] && echo tick >> REC3; [ $(cat REC3 2>/dev/null | wc -l) -eq 3 ] && kill -TERM TESTPID; true'\n"
			"  - name: once\n"
			"    cmd: sh -c 'echo once >> REC2'\n"
			"    ifcmd: \"true\"\n"
			"edges:\n"
			"- {from: {kind: timer, name: t}, to: {kind: exec, name: each}}\n"
			"- {from: {kind: timer, name: t}, to: {kind: exec, name: once}}\n"),
		0);
	ck_assert_int_ge(nrec(recpath, "tick"), 3);
	snprintf(rec2, sizeof(rec2), "%s2", recpath);
	ck_assert_int_eq(nrec(rec2, "once"), 1);
}
END_TEST

START_TEST(watchcmd_lines_are_events)
{
	int wpid;

	/* The watchcmd prints a line each time the record grows; each line
	 * makes cmd run again, and the third run stops the engine. */
	ck_assert_int_eq(
		run_until_term(
			"resources:\n  exec:\n"
			"  - name: w\n"
			"    cmd: sh -c 'echo run >> REC; [ $(wc -l < REC) -eq 3 ] && kill -TERM TESTPID; true'\n"
			"    watchcmd: sh -c 'echo $$ > DIR/wpid; n=0; while :; do m=$(cat REC 2>/dev/null | wc -l); if [ $m -gt $n ]; then n=$m; echo line $n; fi; sleep 0.01; done'\n"),
		0);
	ck_assert_int_ge(nrec(recpath, "run"), 3);
	assert_log("debug Exec[w]: watchcmd: line 1");
	assert_log("debug Exec[w]: watchcmd: line 2");
	/* cleanup stopped the watchcmd and reaped it */
	wpid = read_pid("wpid");
	ck_assert_int_gt(wpid, 0);
	ck_assert_msg(gone(wpid, "sh"), "the watchcmd %d survived", wpid);
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

START_TEST(watchcmd_restarts_with_backoff)
{
	char ws[PATH_MAX + 8];

	ck_assert_int_eq(
		run_until_term(
			"resources:\n  exec:\n"
			"  - name: w\n"
			"    cmd: \"true\"\n"
			"    watchcmd: sh -c 'echo s >> DIR/ws; [ $(wc -l < DIR/ws) -eq 4 ] && kill -TERM TESTPID; exit 1'\n"),
		0);
	snprintf(ws, sizeof(ws), "%s/ws", dir);
	ck_assert_int_ge(nrec(ws, "s"), 4);
	/* logged once when it went down, not once per try */
	ck_assert_int_eq(nlog("warn Exec[w]: watchcmd exited with status 1; "
			      "starting it again in 0.1 s"),
			 1);
	assert_log("debug Exec[w]: watchcmd exited with status 1; starting it "
		   "again in 0.2 s");
	assert_log("debug Exec[w]: watchcmd exited with status 1; starting it "
		   "again in 0.4 s");
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

START_TEST(watchcmd_program_installed_later)
{
	/* The watchcmd's program does not exist yet: the resource compiles,
	 * its watchcmd fails with one error line (then debug lines, while it
	 * keeps failing) and starts once another resource wrote it (it then
	 * stops the engine) */
	ck_assert_int_eq(
		run_until_term(
			"resources:\n  exec:\n"
			"  - name: w\n"
			"    cmd: \"true\"\n"
			"    watchcmd: DIR/wprog\n"
			"  - name: k\n"
			"    cmd: sh -c 'echo k >> REC; [ $(wc -l < REC) -eq 16 ] && printf \"#!/bin/sh\\nkill -TERM TESTPID\\n\" > DIR/wprog.new && chmod +x DIR/wprog.new && mv DIR/wprog.new DIR/wprog; true'\n"
			"    ifcmd: \"true\"\n"
			"    pollint: 0.05\n"),
		0);
	ck_assert_int_ge(nrec(recpath, "k"), 16);
	ck_assert_int_eq(nlog("error Exec[w]: watchcmd: program '"), 1);
	assert_log("/wprog' does not exist");
	assert_log("debug Exec[w]: watchcmd: program '");
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

START_TEST(pollint_reruns)
{
	ck_assert_int_eq(
		run_until_term(
			"resources:\n  exec:\n"
			"  - name: p\n"
			"    cmd: sh -c 'echo p >> REC; [ $(wc -l < REC) -eq 3 ] && kill -TERM TESTPID; true'\n"
			"    ifcmd: \"true\"\n"
			"    pollint: 0.05\n"),
		0);
	ck_assert_int_ge(nrec(recpath, "p"), 3);
}
END_TEST

START_TEST(user_and_group)
{
	if (geteuid() != 0) {
		fprintf(stderr, "# user_and_group: not root, only validated\n");
		return;
	}
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - {name: u, cmd: sh -c 'echo uid $(id -u) gid $(id -g) groups $(id -G)', user: nobody}\n"
			"  - {name: g, cmd: sh -c 'echo uid $(id -u) gid $(id -g) groups $(id -G)', group: nogroup}\n"
			"  - {name: n, cmd: sh -c 'echo uid $(id -u)', user: \"65534\", group: \"65534\"}\n"),
		0);
	assert_log("Exec[u]: uid 65534 gid 65534 groups 65534");
	assert_log("Exec[g]: uid 0 gid 65534 groups 65534");
	assert_log("Exec[n]: uid 65534");
}
END_TEST

START_TEST(noop_mode_does_not_run)
{
	struct sched_opts o = { .workers = 2,
				.converged_timeout = 0,
				.noop = true };
	char rec2[PATH_MAX + 8];

	ck_assert_int_eq(
		run_cfg(compile("resources:\n  exec:\n"
				"  - {name: a, cmd: sh -c 'echo a >> REC'}\n"
				"  - {name: b, cmd: sh -c 'echo b >> REC', ifcmd: sh -c 'echo if >> REC2'}\n"),
			o),
		0);
	ck_assert_int_eq(nrec(recpath, "a"), 0);
	ck_assert_int_eq(nrec(recpath, "b"), 0);
	snprintf(rec2, sizeof(rec2), "%s2", recpath);
	ck_assert_int_eq(nrec(rec2, "if"), 1); /* a check, not a change */
	ck_assert_int_eq(nlog("Exec[a]: would change (noop)"), 1);

	/* meta noop on one resource only */
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - {name: a, cmd: sh -c 'echo a >> REC', meta: {noop: true}}\n"
			"  - {name: c, cmd: sh -c 'echo c >> REC'}\n"),
		0);
	ck_assert_int_eq(nrec(recpath, "a"), 0);
	ck_assert_int_eq(nrec(recpath, "c"), 1);
}
END_TEST

START_TEST(no_fd_leaks)
{
	/* An fd someone forgot to make close-on-exec. */
	int leak = dup(2);

	ck_assert_int_gt(leak, 2);
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - {name: f, cmd: sh -c 'cd /proc/$$/fd && echo fds * end'}\n"),
		0);
	/* 3: the shell's own, listing the directory */
	assert_log("Exec[f]: fds 0 1 2 3 end");

	/* the watchcmd, started from the loop thread, directly */
	ck_assert_int_eq(
		run_until_term(
			"resources:\n  exec:\n"
			"  - name: w\n"
			"    cmd: sh -c 'echo run >> REC; [ $(wc -l < REC) -eq 2 ] && kill -TERM TESTPID; true'\n"
			"    watchcmd: sh -c 'cd /proc/$$/fd && echo fds * end; exec sleep 100'\n"),
		0);
	close(leak);
	assert_log("debug Exec[w]: watchcmd: fds 0 1 2 3 end");
}
END_TEST

START_TEST(output_is_capped)
{
	/* 2,000 lines of 64 bytes: 128 KiB, of which 64 KiB are logged */
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - name: o\n"
			"    cmd: sh -c 'i=0; while [ $i -lt 2000 ]; do echo 012345678901234567890123456789012345678901234567890123456789012; i=$((i+1)); done'\n"),
		0);
	ck_assert_int_eq(nlog("Exec[o]: 0123456789"), 1024);
	assert_log("Exec[o]: cmd: 62464 more bytes of output not logged");

	/* output without end does not keep the timeout from firing */
	ck_assert_int_eq(run_graph("resources:\n  exec:\n"
				   "  - {name: y, cmd: yes, timeout: 0.3}\n"),
			 1);
	assert_log("error Exec[y]: cmd timed out after 0.3 s");
	assert_log("more bytes of output not logged");
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

/* ---- faults ---- */

START_TEST(validate_errors)
{
	char path[PATH_MAX + 16];
	const char *e;
	int fd;

	snprintf(path, sizeof(path), "%s/notexec", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	e = compile_errors(
		"resources:\n  exec:\n"
		"  - name: nf\n"
		"    cmd: no-such-program-xyz arg\n"
		"  - {name: ne, cmd: DIR/notexec}\n"
		"  - {name: dir, cmd: DIR}\n"
		"  - {name: q1, cmd: \"echo 'abc\"}\n"
		"  - {name: q2, cmd: echo \"abc}\n"
		"  - {name: bs, cmd: echo a\\}\n"
		"  - {name: empty, cmd: ''}\n"
		"  - {name: u, cmd: \"true\", user: no-such-user-xyz}\n"
		"  - {name: g, cmd: \"true\", group: no-such-group-xyz}\n"
		"  - {name: id, cmd: \"true\", user: \"4000000\"}\n"
		"  - {name: sh, cmd: \"true\", shell: /no/such/shell}\n"
		"  - {name: if, cmd: \"true\", ifcmd: no-such-program-xyz}\n"
		"  - {name: ifs, cmd: \"true\", ifshell: /bin/sh}\n"
		"  - {name: ws, cmd: \"true\", watchshell: /bin/sh}\n"
		"  - {name: t, cmd: \"true\", timeout: -1s}\n"
		"  - {name: env, cmd: \"true\", env: {A=B: c}}\n");
	/* Programs are looked up when they are about to run, not here (a
	 * resource before the exec may install them): see runtime_faults. */
	ck_assert_msg(!strstr(e, "program"), "%s", e);
	ck_assert_msg(!strstr(e, "exec[nf]") && !strstr(e, "exec[ne]") &&
			      !strstr(e, "exec[dir]") &&
			      !strstr(e, "exec[sh]") && !strstr(e, "exec[if]"),
		      "%s", e);
	assert_has(e, "test.yaml:7:21: exec[q1]: cmd: has an unbalanced single "
		      "quote (at character 6)");
	assert_has(e, "test.yaml:8:21: exec[q2]: cmd: has an unbalanced double "
		      "quote (at character 6)");
	assert_has(
		e,
		"exec[bs]: cmd: ends with a lone backslash (at character 7)");
	assert_has(e, "exec[empty]: cmd: must not be empty");
	assert_has(e, "test.yaml:11:34: exec[u]: user: unknown user "
		      "'no-such-user-xyz'");
	assert_has(e, "exec[g]: group: unknown group 'no-such-group-xyz'");
	assert_has(e, "exec[id]: user: no user has id 4000000");
	assert_has(e, "exec[ifs]: ifshell: has no effect without ifcmd");
	assert_has(e, "exec[ws]: watchshell: has no effect without watchcmd");
	assert_has(
		e,
		"test.yaml:18:37: exec[t]: timeout \"-1s\" is not a duration");
	assert_has(e, "exec[env]: env: 'A=B' is not a variable name");
}
END_TEST

START_TEST(runtime_faults)
{
	char prog[PATH_MAX + 8];
	struct graph_cfg *cfg;
	struct sched_opts o = { .workers = 2, .converged_timeout = 0 };
	FILE *f;

	/* Programs are looked up as they are about to run: each that cannot
	 * run fails its resource with one line naming it (and the PATH
	 * searched); the graph compiled.  A cwd that does not exist is found
	 * only at run time too. */
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	f = fopen(prog, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\necho hi\n", f);
	fclose(f);
	chmod(prog, 0644);
	cfg = compile(
		"resources:\n  exec:\n"
		"  - {name: nf, cmd: no-such-program-xyz arg, env: "
		"{PATH: /nowhere:/none}}\n"
		"  - {name: gone, cmd: DIR/gone}\n"
		"  - {name: ne, cmd: DIR/prog}\n"
		"  - {name: dir, cmd: DIR}\n"
		"  - {name: sh, cmd: \"true\", shell: /no/such/shell}\n"
		"  - {name: if, cmd: \"true\", ifcmd: no-such-program-xyz}\n"
		"  - {name: cwd, cmd: \"true\", cwd: DIR/nowhere}\n"
		"  - {name: ok, cmd: \"true\"}\n");
	ck_assert_int_eq(run_cfg(cfg, o), 1);
	assert_log("error Exec[nf]: cmd: program 'no-such-program-xyz' not "
		   "found in PATH (/nowhere:/none)");
	assert_log("error Exec[gone]: cmd: program '");
	assert_log("/gone' does not exist");
	assert_log("error Exec[ne]: cmd: program '");
	assert_log("/prog' is not executable");
	assert_log("error Exec[dir]: cmd: program '");
	assert_log("' is a directory");
	assert_log("error Exec[sh]: cmd: program '/no/such/shell' does not "
		   "exist");
	assert_log("error Exec[if]: ifcmd: program 'no-such-program-xyz' not "
		   "found in PATH (");
	assert_log("error Exec[cwd]: cmd: cannot change into");
	assert_log("info Exec[ok]: changed");
	ck_assert_int_eq(nlog("Exec[ok]: cmd: program"), 0);
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

/* ---- stopping (host->stop_fd, host->abort_fd) ---- */

START_TEST(stop_before_spawn_starts_nothing)
{
	/* Asked to stop before anything started: no ifcmd, no cmd and no
	 * watchcmd is started (a started one would be stopped, and say so). */
	test_stop = fifo("stop");
	ck_assert_int_eq(write(test_stop, "x", 1), 1);
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - {name: i, cmd: sh -c 'echo cmd >> REC', ifcmd: sh -c 'echo if >> REC'}\n"
			"  - {name: c, cmd: sh -c 'echo cmd >> REC'}\n"
			"  - {name: w, cmd: \"true\", watchcmd: sh -c 'echo w >> REC; exec sleep 100'}\n"),
		1);
	assert_log("info Exec[i]: ifcmd: asked to stop: not started");
	assert_log("info Exec[c]: cmd: asked to stop: not started");
	assert_log("info Exec[w]: watchcmd: asked to stop: not started");
	assert_log("info Exec[w]: cmd: asked to stop: not started");
	ck_assert_int_eq(nlog("stopping its process group"), 0);
	ck_assert_int_eq(nlog("watchcmd started"), 0);
	ck_assert_int_eq(nlog("starting it again"), 0); /* stays down */
	ck_assert_int_eq(nrec(recpath, ""), 0);
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

START_TEST(stop_after_ifcmd_starts_no_cmd)
{
	/* The stop comes as the ifcmd ends (by itself, allowing the cmd):
	 * the cmd is not started. */
	test_stop = fifo("stop");
	ck_assert_int_eq(write(test_stop, "x", 1), 1);
	snprintf(stop_when, sizeof(stop_when), "%s/stopped", dir);
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - name: i\n"
			"    cmd: sh -c 'echo cmd >> REC'\n"
			"    ifcmd: sh -c 'echo if >> REC; touch DIR/stopped'\n"),
		1);
	ck_assert_int_eq(nrec(recpath, "if"), 1);
	ck_assert_int_eq(nrec(recpath, "cmd"), 0);
	assert_log("info Exec[i]: cmd: asked to stop: not started");
	ck_assert_int_eq(nlog("stopping its process group"), 0);
}
END_TEST

START_TEST(abort_cuts_the_grace_short)
{
	int pid;

	/* The command ignores SIGTERM; once it has seen it, it fires the
	 * abort signal, which must not wait for the grace period's end. */
	test_stop = fifo("stop");
	test_abort = fifo("abort");
	ck_assert_int_eq(
		run_graph(
			"resources:\n  exec:\n"
			"  - name: a\n"
			"    cmd: sh -c 'trap \"echo term >> REC; echo x > DIR/abort\" TERM; echo $$ > DIR/pid; echo x > DIR/stop; while :; do sleep 0.05; done'\n"),
		1);
	ck_assert_int_eq(nrec(recpath, "term"), 1);
	assert_log("warn Exec[a]: cmd: asked to stop: stopping its process "
		   "group (SIGTERM, SIGKILL after 2 s)");
	assert_log("warn Exec[a]: cmd: asked to stop at once: SIGKILL to its "
		   "process group now");
	pid = read_pid("pid");
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(gone(pid, "sh"), "the command %d survived", pid);
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

START_TEST(abort_cuts_the_watchcmd_grace_short)
{
	int wpid;

	/* At shutdown, cleanup stops the watchcmd, which ignores SIGTERM and
	 * then fires the abort signal. */
	test_abort = fifo("abort");
	ck_assert_int_eq(
		run_until_term(
			"resources:\n  exec:\n"
			"  - name: w\n"
			"    cmd: sh -c 'i=0; while [ ! -e DIR/wready ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done; kill -TERM TESTPID'\n"
			"    watchcmd: sh -c 'trap \"echo wterm >> REC; echo x > DIR/abort\" TERM; echo $$ > DIR/wready; while :; do sleep 0.05; done'\n"),
		0);
	ck_assert_int_eq(nrec(recpath, "wterm"), 1);
	assert_log("warn Exec[w]: watchcmd: asked to stop at once: SIGKILL to "
		   "its process group now");
	wpid = read_pid("wready");
	ck_assert_int_gt(wpid, 0);
	ck_assert_msg(gone(wpid, "sh"), "the watchcmd %d survived", wpid);
	ck_assert_int_eq(zombies(), 0);
}
END_TEST

/* ---- how waiters start (spawn.c) ---- */

START_TEST(waiter_shares_the_engines_memory)
{
	bool vm = RAW_HAVE_VM && !forced_fork() && !under_valgrind();
	long same = waiter_kcmp();

	/* A waiter that shares the engine's memory copies none of it: many
	 * commands start at once without stalling the engine (bench/exec). */
	if (vm) {
		ck_assert_msg(same == 0, "the waiter has a copy of our memory");
		assert_log("debug Exec[k]: commands start through "
			   "clone3(CLONE_VM) waiters");
	} else {
		ck_assert_msg(same != 0, "the waiter shares our memory");
	}
	if (forced_fork())
		assert_log("info Exec[k]: commands start through forked "
			   "waiters (MGMT_EXEC_SPAWN=fork)");
}
END_TEST

/* clone3 answers `err` (seccomp): commands still run, through forked
 * waiters; one line says so, and the choice holds for the process. */
static void falls_back(int err, bool no_close_range)
{
	static char yaml[4096];
	char want[256];
	struct trun r;
	int leak, len;

	if (!RAW_HAVE_VM || forced_fork() || under_valgrind()) {
		fprintf(stderr, "# clone3 is not used here: nothing to fall "
				"back from\n");
		return;
	}
	leak = dup(2); /* not close-on-exec */
	ck_assert_int_gt(leak, 2);
	len = sprintf(
		yaml,
		"resources:\n  exec:\n"
		"  - {name: f, cmd: sh -c 'cd /proc/$$/fd && echo fds * end'}\n");
	for (int i = 0; i < 6; i++)
		len += sprintf(yaml + len,
			       "  - {name: e%d, cmd: sh -c 'echo e >> REC'}\n",
			       i);
	trun_start(&r, yaml, err, no_close_range);
	ck_assert_int_eq(trun_join(&r), 0);
	close(leak);
	ck_assert_int_eq(nrec(recpath, "e"), 6);
	snprintf(want, sizeof(want),
		 "clone3: %s: every exec starts its commands through forked "
		 "waiters from now on",
		 strerror(err));
	ck_assert_int_eq(nlog(want), 1);
	/* The waiter closed what the command would have inherited, even
	 * where close_range is missing. */
	assert_log("Exec[f]: fds 0 1 2 3 end");
	/* Remembered: on a thread where clone3 works, still forked. */
	ck_assert_msg(waiter_kcmp() != 0, "clone3 was tried again");
	ck_assert_int_eq(nlog("clone3: "), 0);
	ck_assert_int_eq(zombies(), 0);
}

START_TEST(clone3_enosys_falls_back)
{
	falls_back(ENOSYS, true);
}
END_TEST

START_TEST(clone3_eperm_falls_back)
{
	falls_back(EPERM, false);
}
END_TEST

/* ---- the parallel example ---- */

START_TEST(graph8_parallel)
{
	static char yaml[16384];
	char path[PATH_MAX], line[512], name[64] = "";
	const char *src = getenv("MGMT_TOP_SRCDIR");
	long long s1, e1, s2, e2, s3, s4, e4;
	int len = 0, n = 0;
	FILE *f;

	/* examples/yaml/graph8-fast.yaml as it is, but each `sleep 1s`
	 * wrapped in records of its start and end. */
	ck_assert_ptr_nonnull(src);
	snprintf(path, sizeof(path), "%s/examples/yaml/graph8-fast.yaml", src);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "  - name: %63s", name);
		if (strstr(line, "cmd: sleep 1s")) {
			len += snprintf(
				yaml + len, sizeof(yaml) - (size_t)len,
				"    cmd: sh -c 'echo start-%s $(date +%%s%%N) >> REC; sleep 1s; echo end-%s $(date +%%s%%N) >> REC'\n",
				name, name);
			n++;
		} else {
			len += snprintf(yaml + len, sizeof(yaml) - (size_t)len,
					"%s", line);
		}
		ck_assert_int_lt(len, (int)sizeof(yaml) - 512);
	}
	fclose(f);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(run_graph(yaml), 0);
	ck_assert_int_ge(rec_at("start-exec1 ", &s1), 0);
	ck_assert_int_ge(rec_at("end-exec1 ", &e1), 0);
	ck_assert_int_ge(rec_at("start-exec2 ", &s2), 0);
	ck_assert_int_ge(rec_at("end-exec2 ", &e2), 0);
	ck_assert_int_ge(rec_at("start-exec3 ", &s3), 0);
	ck_assert_int_ge(rec_at("start-exec4 ", &s4), 0);
	ck_assert_int_ge(rec_at("end-exec4 ", &e4), 0);
	/* exec1 < exec2 < exec3, in the record's order and in time */
	ck_assert_int_lt(rec_at("end-exec1 ", NULL),
			 rec_at("start-exec2 ", NULL));
	ck_assert_int_lt(rec_at("end-exec2 ", NULL),
			 rec_at("start-exec3 ", NULL));
	ck_assert(e1 <= s2 && e2 <= s3);
	/* exec4 overlaps exec1: each started before the other ended */
	ck_assert_int_lt(rec_at("start-exec4 ", NULL),
			 rec_at("end-exec1 ", NULL));
	ck_assert_int_lt(rec_at("start-exec1 ", NULL),
			 rec_at("end-exec4 ", NULL));
	ck_assert(s4 < e1 && s1 < e4);
}
END_TEST

/* Under ThreadSanitizer (MGMT_TSAN=1) the cases that start a watchcmd are
 * left out, saying so: the loop thread starts it with clone(CLONE_VM |
 * CLONE_VFORK), and TSan's clone() runs its after-fork code in that child,
 * on the memory it shares with us, which leaves TSan ignoring the loop
 * thread's locks for good: it then reports races that are not there. */
static bool tsan_skip(const char *name)
{
	if (!getenv("MGMT_TSAN"))
		return false;
	printf("# %s: skipped under ThreadSanitizer: it starts a watchcmd by "
	       "clone(CLONE_VM), after which TSan stops tracking the loop "
	       "thread's locks\n",
	       name);
	/* before Check forks a child that would flush it again */
	fflush(stdout);
	return true;
}

static Suite *suite(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("exec");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, split_rules);
	tcase_add_test(tc, resolve_rules);
	tcase_add_test(tc, quoting_output_and_status);
	tcase_add_test(tc, shell_cwd_env);
	tcase_add_test(tc, nonzero_exit_is_error_with_retry);
	tcase_add_test(tc, failure_blocks_only_descendants);
	tcase_add_test(tc, timeout_kills_the_group);
	tcase_add_test(tc, timeout_sigkill_after_grace);
	tcase_add_test(tc, statuses_survive_sigchld_storms);
	tcase_add_test(tc, ifcmd_decides);
	tcase_add_test(tc, refresh_runs_cmd_despite_ifcmd);
	if (!harness_skip_without("timer", "runs_when_reached_without_ifcmd"))
		tcase_add_test(tc, runs_when_reached_without_ifcmd);
	if (!tsan_skip("watchcmd_lines_are_events"))
		tcase_add_test(tc, watchcmd_lines_are_events);
	if (!tsan_skip("watchcmd_restarts_with_backoff"))
		tcase_add_test(tc, watchcmd_restarts_with_backoff);
	if (!tsan_skip("watchcmd_program_installed_later"))
		tcase_add_test(tc, watchcmd_program_installed_later);
	tcase_add_test(tc, pollint_reruns);
	tcase_add_test(tc, user_and_group);
	tcase_add_test(tc, noop_mode_does_not_run);
	if (!tsan_skip("no_fd_leaks"))
		tcase_add_test(tc, no_fd_leaks);
	tcase_add_test(tc, output_is_capped);
	tcase_add_test(tc, validate_errors);
	tcase_add_test(tc, runtime_faults);
	tcase_add_test(tc, stop_before_spawn_starts_nothing);
	tcase_add_test(tc, stop_after_ifcmd_starts_no_cmd);
	tcase_add_test(tc, abort_cuts_the_grace_short);
	if (!tsan_skip("abort_cuts_the_watchcmd_grace_short"))
		tcase_add_test(tc, abort_cuts_the_watchcmd_grace_short);
	tcase_add_test(tc, waiter_shares_the_engines_memory);
	tcase_add_test(tc, clone3_enosys_falls_back);
	tcase_add_test(tc, clone3_eperm_falls_back);
	tcase_add_test(tc, graph8_parallel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
#ifdef EXEC_SPAWN_WAY
	/* check_exec_fork: the whole suite through the fallback */
	setenv("MGMT_EXEC_SPAWN", EXEC_SPAWN_WAY, 1);
#endif
	return check_main(suite());
}

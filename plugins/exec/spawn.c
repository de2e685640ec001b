/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * spawn.c - start commands, each in a process group of its own, and reap
 * them; run.c runs a started command to its end (output, timeout, stop).
 *
 * Who reaps.  The engine runs libev's default loop, whose SIGCHLD handler
 * reaps *any* child with waitpid(-1) on the loop thread.  A worker that
 * forked a command and waited for it would race that handler and could lose
 * the exit status.  A child started with exit_signal 0 (a "clone child") is
 * invisible to waitpid(-1) without __WCLONE, but only until it calls execve:
 * the kernel resets exit_signal to SIGCHLD on exec (de_thread), so the
 * command itself cannot be such a child.  Hence two ways to start one:
 *
 * - EXEC_WAITER (check_apply, on workers): a *waiter*, started with
 *   exit_signal 0, never execs and so stays a clone child: it makes itself a
 *   process group leader, closes every fd it does not need, starts the
 *   command as its own ordinary child, waits for it (nobody else can),
 *   writes the wait status into a pipe and exits.  The worker (exec_run,
 *   run.c) polls that pipe (readable once the waiter reported; at EOF if it
 *   was killed first) with the command's output pipe and the stop signal,
 *   which gives timeouts, capture and shutdown in one poll, and reaps the
 *   waiter with waitid(__WALL); libev never sees either process.  The
 *   waiter keeps every signal blocked, so SIGTERM to the group stops the
 *   command and its children while the waiter stays to report; SIGKILL
 *   ends it too.
 *   Unreaped until we reap it, the waiter's pid names the group: kill(-pid)
 *   never hits a recycled id.
 * - EXEC_DIRECT (watchcmd, on the loop thread): the command is a plain
 *   child (exit_signal SIGCHLD); its owner registers host->watch_child
 *   before returning to the loop, so the engine reaps it and hands over
 *   the status.  Only when stopping it in cleanup (the loop is not running
 *   then) do we reap it ourselves.
 *
 * How a waiter starts: one choice per process.
 * - "vm", the default (x86-64, raw.h): clone3(CLONE_VM) on a stack of its
 *   own.  It shares the engine's memory like a thread that is not one, so
 *   starting it copies nothing.  A forked waiter copies the engine's page
 *   tables (with 500 workers, 500 thread stacks), holds the engine's mmap
 *   lock meanwhile, and leaves the engine's memory copy-on-write, so the
 *   loop and every worker stall on page faults while many commands start:
 *   500 `sleep 2` at once took 4 to 5 times as long (bench/RESULTS.md).
 * - "fork": the old clone system call with exit_signal 0 and no CLONE_VM,
 *   a fork libev cannot see.  Taken where clone3 fails with ENOSYS or EPERM
 *   (valgrind, seccomp profiles, Linux before 5.3): noticed at the first
 *   waiter, logged once, kept for the process.  Also on architectures
 *   raw.h has no assembly for, and when MGMT_EXEC_SPAWN=fork is in the
 *   environment as the first command starts (read once; the tests run the
 *   exec suite through both; "vm" or unset: the default).
 *
 * The command itself is started as posix_spawn does, with CLONE_VM |
 * CLONE_VFORK on a stack of its own: it borrows its parent's memory until
 * execve instead of copying it, and its parent is suspended until then.
 * From clone to execve a child (the waiter throughout) is a copy of a
 * multi-threaded process in which only the calling thread exists, or
 * shares its memory.  It must not take a lock, touch malloc or errno, or
 * call a libc function that believes other threads exist (glibc's setuid
 * would signal the parent's threads).  So that code makes raw system calls
 * only (raw.h), on memory prepared by the parent, and is not instrumented
 * by sanitizers: the command resets signal handlers and mask, dup2s onto
 * 0/1/2, marks every other fd close-on-exec (close_range; our fds are
 * O_CLOEXEC anyway, this covers code that forgot), drops to the user and
 * group, changes into cwd and execs.  If a step fails it writes {step,
 * errno} into a close-on-exec pipe and exits 127; the parent reads that
 * pipe until EOF, which also means the command has exec'ed (or died) and
 * its process group exists before anyone signals it.
 *
 * Before it starts anything, exec_spawn looks at the stop signal
 * (host->stop_fd): a run that was asked to stop starts nothing more.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "raw.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* The kernel's sigset_t: 64 signals everywhere but MIPS. */
#ifdef __mips__
#define KSIGSET_BYTES 16
#else
#define KSIGSET_BYTES 8
#endif
#define KSIG_MAX (KSIGSET_BYTES * 8)

/* Stack of a command between clone and execve. */
#define CMD_STACK (32 * 1024)
/* Stack of a "vm" waiter: the command's stack is on it, and a guard page
 * below it turns an overflow into a crash of the waiter alone. */
#define WAITER_STACK (128 * 1024)

/* The kernel's struct sigaction, all zero: SIG_DFL, no flags, empty mask
 * (the field order differs between architectures; zeros do not). */
struct ksigaction_dfl {
	unsigned long words[4 + KSIGSET_BYTES / sizeof(unsigned long)];
};

/* The kernel's struct linux_dirent64. */
struct kdirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

enum step {
	STEP_GROUPS = 1,
	STEP_GID,
	STEP_UID,
	STEP_CHDIR,
	STEP_EXEC,
	STEP_FDS,
	STEP_CLONE
};
static const char *const step_names[] = {
	[STEP_GROUPS] = "setgroups", [STEP_GID] = "setgid",
	[STEP_UID] = "setuid",       [STEP_CHDIR] = "chdir",
	[STEP_EXEC] = "execve",      [STEP_FDS] = "dup2",
	[STEP_CLONE] = "clone",
};

struct plan {
	const char *prog;
	char *const *argv;
	char *const *envp;
	const char *cwd;
	const struct exec_ids *ids;
	int in, out, err; /* all >= 3 */
	int status;       /* the waiter's report pipe, or -1 (direct) */
	bool vm;          /* started from a waiter that shares our memory */
};

struct child_err {
	int step;
	int err;
};

/* `rc` is what the failed raw system call returned: -errno. */
CHILD_CODE __attribute__((noreturn)) static void child_fail(int fd, int step,
							    long rc)
{
	struct child_err ce = { step, (int)-rc };

	(void)raw3(SYS_write, fd, &ce, sizeof(ce));
	raw1(SYS_exit_group, 127);
	__builtin_unreachable();
}

/* Onto `to` (0, 1 or 2): `from` is >= 3, so never equal. */
CHILD_CODE static void child_dup(const struct plan *p, int from, int to)
{
#ifdef SYS_dup2
	long rc = raw2(SYS_dup2, from, to);
#else
	long rc = raw3(SYS_dup3, from, to, 0);
#endif

	if (rc < 0)
		child_fail(p->err, STEP_FDS, rc);
}

/* The command, from clone to execve. */
CHILD_CODE static int child_main(void *arg)
{
	const struct plan *p = arg;
	struct ksigaction_dfl dfl = { { 0 } };
	unsigned char empty[KSIGSET_BYTES] = { 0 };
	const struct exec_ids *ids = p->ids;
	long rc;

	/* Handlers of the engine (libev's among them) must not run here,
	 * and ignored signals must not stay ignored in the command. */
	for (int sig = 1; sig <= KSIG_MAX; sig++)
		(void)raw4(SYS_rt_sigaction, sig, &dfl, NULL, KSIGSET_BYTES);
	(void)raw4(SYS_rt_sigprocmask, SIG_SETMASK, empty, NULL, KSIGSET_BYTES);
	if (p->status < 0) /* direct: lead a group; else the waiter's */
		(void)raw2(SYS_setpgid, 0, 0);
	child_dup(p, p->in, 0);
	child_dup(p, p->out, 1);
	child_dup(p, p->out, 2);
	(void)raw3(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (ids->set_gid) {
		rc = raw2(SYS_setgroups, ids->ngroups, ids->groups);
		if (rc < 0)
			child_fail(p->err, STEP_GROUPS, rc);
		rc = raw3(SYS_setresgid, ids->gid, ids->gid, ids->gid);
		if (rc < 0)
			child_fail(p->err, STEP_GID, rc);
	}
	if (ids->set_uid) {
		rc = raw3(SYS_setresuid, ids->uid, ids->uid, ids->uid);
		if (rc < 0)
			child_fail(p->err, STEP_UID, rc);
	}
	if (p->cwd) {
		rc = raw1(SYS_chdir, p->cwd);
		if (rc < 0)
			child_fail(p->err, STEP_CHDIR, rc);
	}
	rc = raw3(SYS_execve, p->prog, p->argv, p->envp);
	child_fail(p->err, STEP_EXEC, rc);
}

/* Start the command with CLONE_VM | CLONE_VFORK, from the waiter or (direct)
 * from the loop thread.  Returns its pid (it has exec'ed or died by then),
 * or -errno. */
CHILD_CODE static long start_command(const struct plan *p)
{
	char stack[CMD_STACK] __attribute__((aligned(64)));
	long pid;

#if RAW_HAVE_VM
	if (p->vm) {
		/* glibc's clone would set errno, which is the worker's */
		struct clone_args_v0 ca = {
			.flags = CLONE_VM | CLONE_VFORK,
			.exit_signal = SIGCHLD,
			.stack = (uint64_t)(uintptr_t)stack,
			.stack_size = sizeof(stack),
		};

		return raw_clone3(&ca, child_main, (void *)p);
	}
#endif
	pid = clone(child_main, stack + sizeof(stack),
		    CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)p);
	return pid < 0 ? -errno : pid;
}

CHILD_CODE static bool kept(int fd, const int *keep, int n)
{
	for (int i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* close_range's stand-in before Linux 5.9: close what /proc/self/fd lists,
 * reading it again after each batch (closing changes the listing). */
CHILD_CODE static void close_listed(int lo, const int *keep, int n)
{
	char buf[2048] __attribute__((aligned(8)));
	long dfd = raw4(SYS_openat, AT_FDCWD, "/proc/self/fd",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	bool closed = true;

	if (dfd < 0)
		return; /* no /proc: nothing better to do */
	while (closed) {
		long len;

		closed = false;
		(void)raw3(SYS_lseek, dfd, 0, SEEK_SET);
		while ((len = raw3(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
			for (long off = 0; off < len;) {
				const struct kdirent64 *d =
					(const void *)(buf + off);
				const char *c = d->name;
				long fd = 0;

				off += d->reclen;
				for (; *c >= '0' && *c <= '9' && fd < INT_MAX;
				     c++)
					fd = fd * 10 + (*c - '0');
				if (*c || c == d->name || fd < lo ||
				    fd == dfd || kept((int)fd, keep, n))
					continue;
				(void)raw1(SYS_close, fd);
				closed = true;
			}
	}
	(void)raw1(SYS_close, dfd);
}

/* Close every fd from `lo` up but those in keep[] (sorted, >= lo). */
CHILD_CODE static void close_all_but(int lo, const int *keep, int n)
{
	int from = lo;

	for (int i = 0; i < n; i++) {
		if (keep[i] > from &&
		    raw3(SYS_close_range, from, keep[i] - 1, 0) == -ENOSYS)
			goto listed;
		from = keep[i] + 1;
	}
	if (raw3(SYS_close_range, from, ~0U, 0) != -ENOSYS)
		return;
listed:
	close_listed(lo, keep, n);
}

/* The waiter: every signal stays blocked (as the parent had them at
 * clone), so only SIGKILL stops it.  Raw system calls only.  A "vm" waiter
 * reads the plan, which is on the worker's stack, only until it closes
 * p->err: the worker leaves exec_spawn after that. */
CHILD_CODE __attribute__((noreturn)) static void
waiter_main(const struct plan *p)
{
	int keep[4] = { p->in, p->out, p->err, p->status };
	int in = p->in, out = p->out, err = p->err, status = p->status, st = 0;
	long pid, rc;

	(void)raw2(SYS_setpgid, 0, 0);
	/* It does not exec, so close-on-exec does not help: without this
	 * it would hold every fd of the engine open while the command
	 * runs (another command's pipe would see no EOF). */
	for (int i = 1; i < 4; i++) /* sort 4 ints */
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	close_all_but(3, keep, 4);
	pid = start_command(p);
	if (pid < 0)
		child_fail(err, STEP_CLONE, pid);
	(void)raw1(SYS_close, in);
	(void)raw1(SYS_close, out);
	(void)raw1(SYS_close, err);
	do
		rc = raw4(SYS_wait4, pid, &st, 0, NULL);
	while (rc == -EINTR);
	(void)raw3(SYS_write, status, &st, sizeof(st));
	raw1(SYS_exit_group, 0);
	__builtin_unreachable();
}

#if RAW_HAVE_VM
CHILD_CODE static int waiter_fn(void *p)
{
	waiter_main(p);
}
#endif

/* ---- which way waiters start (see the top of this file) ---- */

enum spawn_way {
	WAY_VM = 1,
	WAY_FORK
};

static atomic_int way;
static pthread_once_t way_once = PTHREAD_ONCE_INIT;
static const char *way_env; /* MGMT_EXEC_SPAWN as read, or NULL */
static atomic_bool way_told;

static void way_init(void)
{
	way_env = getenv("MGMT_EXEC_SPAWN");
	if (way_env && strcmp(way_env, "fork") == 0)
		atomic_store(&way, WAY_FORK);
	else
		atomic_store(&way, RAW_HAVE_VM ? WAY_VM : WAY_FORK);
}

/* The way for the next waiter; the first call says which it is. */
static int spawn_way(mgmt_res *res)
{
	bool told = false;
	int w;

	pthread_once(&way_once, way_init);
	w = atomic_load(&way);
	if (atomic_load(&way_told) ||
	    !atomic_compare_exchange_strong(&way_told, &told, true))
		return w;
	if (way_env && *way_env && strcmp(way_env, "fork") != 0 &&
	    strcmp(way_env, "vm") != 0)
		mgmt_warn(res,
			  "MGMT_EXEC_SPAWN=%s is neither 'vm' nor 'fork': "
			  "ignored",
			  way_env);
	if (w == WAY_FORK && way_env && strcmp(way_env, "fork") == 0)
		mgmt_info(res, "commands start through forked waiters "
			       "(MGMT_EXEC_SPAWN=fork)");
	else
		mgmt_debug(res, "commands start through %s waiters",
			   w == WAY_VM ? "clone3(CLONE_VM)" : "forked");
	return w;
}

/* clone3 refused: fork from now on, in the whole process; one line says
 * so (whichever worker noticed first). */
static void fall_back(mgmt_res *res, long rc)
{
	int vm = WAY_VM;

	if (atomic_compare_exchange_strong(&way, &vm, WAY_FORK))
		mgmt_info(res,
			  "clone3: %s: every exec starts its commands through "
			  "forked waiters from now on (slower when many "
			  "start at once)",
			  strerror((int)-rc));
}

#if RAW_HAVE_VM
/* A waiter that shares our memory, on a stack of its own that
 * exec_child_reap unmaps. */
static long start_vm_waiter(struct plan *p, struct exec_child *child)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = WAITER_STACK + page;
	char *stk = mmap(
		NULL, len, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	struct clone_args_v0 ca = { .flags = CLONE_VM, .exit_signal = 0 };
	long pid;

	if (stk == MAP_FAILED)
		return -errno;
	if (mprotect(stk, page, PROT_NONE) < 0) { /* the guard page */
		pid = -errno;
		munmap(stk, len);
		return pid;
	}
	ca.stack = (uint64_t)(uintptr_t)(stk + page);
	ca.stack_size = len - page;
	p->vm = true;
	pid = raw_clone3(&ca, waiter_fn, p);
	if (pid < 0) {
		p->vm = false; /* no waiter reads it: it may fork instead */
		munmap(stk, len);
		return pid;
	}
	child->stack = stk;
	child->stack_len = len;
	return pid;
}
#endif

/* Start the waiter; returns its pid or -errno. */
static long start_waiter(mgmt_res *res, struct plan *p,
			 struct exec_child *child)
{
	long pid;

#if RAW_HAVE_VM
	if (spawn_way(res) == WAY_VM) {
		pid = start_vm_waiter(p, child);
		if (pid != -ENOSYS && pid != -EPERM)
			return pid;
		fall_back(res, pid);
	}
#else
	(void)spawn_way(res);
#endif
	/* The old clone, all flags 0: a fork whose exit signal is none (the
	 * argument order differs between architectures; zeros do not). */
	pid = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid == 0)
		waiter_main(p);
	return pid < 0 ? -errno : pid;
}

/* Keep `fd` away from 0, 1 and 2, so the child's dup2 never lands on its
 * own source.  Returns the fd to use (closing `fd` if it moved) or -1. */
static int above_stdio(int fd)
{
	int n;

	if (fd < 0 || fd > 2)
		return fd;
	n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return n;
}

void exec_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int pipe_above_stdio(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	p[0] = above_stdio(p[0]);
	p[1] = above_stdio(p[1]);
	return p[0] < 0 || p[1] < 0 ? -1 : 0;
}

int exec_host_fd(bool abort)
{
	if (abort)
		return MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, abort_fd) &&
				       mgmt_host->abort_fd ?
			       mgmt_host->abort_fd() :
			       -1;
	return MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, stop_fd) &&
			       mgmt_host->stop_fd ?
		       mgmt_host->stop_fd() :
		       -1;
}

/* Is `fd` readable now?  False for -1. */
static bool readable(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN);
}

int exec_child_reap(struct exec_child *child, int *wstatus)
{
	siginfo_t si;
	int rc, st;

	memset(&si, 0, sizeof(si));
	do
		rc = waitid(P_PID, (id_t)child->pid, &si, WEXITED | __WALL);
	while (rc < 0 && errno == EINTR);
	rc = rc < 0 ? -errno : 0;
	if (rc == 0 && si.si_code == CLD_EXITED)
		*wstatus = (si.si_status & 0xff) << 8;
	else if (rc == 0)
		*wstatus = (si.si_status & 0x7f) |
			   (si.si_code == CLD_DUMPED ? 0x80 : 0);
	/* Gone (ECHILD: reaped by someone else) is gone: nothing runs on its
	 * stack any more. */
	if ((rc == 0 || rc == -ECHILD) && child->stack) {
		munmap(child->stack, child->stack_len);
		child->stack = NULL;
	}
	child->pid = 0;
	/* A waiter that got to report tells the command's status; one that
	 * was killed (SIGKILL after a timeout) reports its own. */
	if (child->status >= 0 &&
	    read(child->status, &st, sizeof(st)) == (ssize_t)sizeof(st))
		*wstatus = st;
	exec_close_fd(&child->status);
	return rc;
}

static void report_child_err(mgmt_res *res, const struct exec_cmd *c,
			     const char *cwd, const struct child_err *ce)
{
	if (ce->step == STEP_EXEC)
		mgmt_error(res, "%s: cannot execute %s: %s", c->what,
			   c->argv[0], strerror(ce->err));
	else if (ce->step == STEP_CHDIR)
		mgmt_error(res, "%s: cannot change into %s: %s", c->what, cwd,
			   strerror(ce->err));
	else
		mgmt_error(res, "%s: %s failed in the child: %s", c->what,
			   ce->step > 0 && ce->step <= STEP_CLONE ?
				   step_names[ce->step] :
				   "setup",
			   strerror(ce->err));
}

/* Why c's program cannot run, in one line: the program as written, and
 * the PATH searched when it was looked up there. */
static void missing(mgmt_res *res, const struct exec_cmd *c, const char *path,
		    int err, int level)
{
	const char *prog = c->argv[0];

	if (err == ENOENT && !strchr(prog, '/'))
		mgmt_host->log(res, level,
			       "%s: program '%s' not found in PATH (%s)",
			       c->what, prog, path);
	else if (err == ENOENT)
		mgmt_host->log(res, level, "%s: program '%s' does not exist",
			       c->what, prog);
	else if (err == EACCES)
		mgmt_host->log(res, level, "%s: program '%s' is not executable",
			       c->what, prog);
	else if (err == EISDIR)
		mgmt_host->log(res, level, "%s: program '%s' is a directory",
			       c->what, prog);
	else
		mgmt_host->log(res, level, "%s: program '%s': %s", c->what,
			       prog, strerror(err));
}

int exec_spawn(mgmt_res *res, const struct exec_rt *rt,
	       const struct exec_cmd *c, enum exec_mode mode, int missing_level,
	       struct exec_child *child)
{
	const char *cwd = rt->cwd;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, stp[2] = { -1, -1 };
	int in = -1, err;
	char *prog = NULL;
	struct plan p;
	sigset_t all, old;
	struct child_err ce;
	ssize_t n;
	long pid;

	memset(child, 0, sizeof(*child));
	child->out = child->status = -1;
	/* Asked to stop (shutdown, or a reload that changed or removed the
	 * resource): start nothing more. */
	if (readable(exec_host_fd(false))) {
		mgmt_info(res, "%s: asked to stop: not started", c->what);
		return -ECANCELED;
	}
	err = -exec_resolve(c->argv[0], rt->path, cwd, &prog);
	if (err) {
		missing(res, c, rt->path, err, missing_level);
		return -err;
	}
	in = above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (in < 0 || pipe_above_stdio(outp) < 0 ||
	    pipe_above_stdio(errp) < 0 ||
	    (mode == EXEC_WAITER && pipe_above_stdio(stp) < 0)) {
		err = errno;
		mgmt_error(res, "%s: cannot set up its pipes: %s", c->what,
			   strerror(err));
		pid = -1;
		goto out;
	}
	p = (struct plan){ .prog = prog,
			   .argv = c->argv,
			   .envp = rt->envp,
			   .cwd = cwd,
			   .ids = &rt->ids,
			   .in = in,
			   .out = outp[1],
			   .err = errp[1],
			   .status = stp[1] };
	/* No signal handler may run in the child before it reset them
	 * (and the waiter keeps them all blocked). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (mode == EXEC_WAITER)
		pid = start_waiter(res, &p, child);
	else
		pid = start_command(&p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		err = (int)-pid;
		mgmt_error(res, "%s: cannot start a process: %s", c->what,
			   strerror(err));
		goto out;
	}
	/* Also from here, so the group surely exists when we return. */
	setpgid((pid_t)pid, (pid_t)pid);
	child->pid = (pid_t)pid;
	child->status = stp[0];
	stp[0] = -1;
	exec_close_fd(&in);
	exec_close_fd(&outp[1]);
	exec_close_fd(&errp[1]);
	exec_close_fd(&stp[1]);
	do
		n = read(errp[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(ce)) {
		int st;

		report_child_err(res, c, cwd, &ce);
		exec_child_reap(child, &st);
		err = ce.err > 0 ? ce.err : EIO;
		pid = -1;
		goto out;
	}
	fcntl(outp[0], F_SETFL, fcntl(outp[0], F_GETFL) | O_NONBLOCK);
	child->out = outp[0];
	outp[0] = -1;
	err = 0;
out:
	free(prog);
	exec_close_fd(&in);
	exec_close_fd(&outp[0]);
	exec_close_fd(&outp[1]);
	exec_close_fd(&errp[0]);
	exec_close_fd(&errp[1]);
	exec_close_fd(&stp[0]);
	exec_close_fd(&stp[1]);
	return pid < 0 ? -err : 0;
}

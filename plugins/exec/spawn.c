/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * spawn.c - start commands, capture their output, time them out, and kill
 * their whole process group.
 *
 * Who reaps.  The engine runs libev's default loop, whose SIGCHLD handler
 * reaps *any* child with waitpid(-1) on the loop thread.  A worker that
 * forked a command and waited for it would race that handler and could lose
 * the exit status.  A child started with exit_signal 0 (a "clone child") is
 * invisible to waitpid(-1) without __WCLONE, but only until it calls execve:
 * the kernel resets exit_signal to SIGCHLD on exec (de_thread), so the
 * command itself cannot be such a child.  Hence two ways to start one:
 *
 * - EXEC_WAITER (check_apply, on workers): clone3(CLONE_PIDFD) with
 *   exit_signal 0 starts a *waiter*, which never execs and so stays a clone
 *   child: it makes itself a process group leader, closes every fd it does
 *   not need, starts the command as its own ordinary child, waits for it
 *   (nobody else can), writes the wait status into a pipe and exits.  The
 *   worker polls the waiter's pidfd (with the command's output pipe, which
 *   gives timeouts and capture in one poll) and reaps the waiter with
 *   waitid(P_PIDFD, ..., __WALL); libev never sees either process.  The
 *   waiter keeps every signal blocked, so SIGTERM to the group stops the
 *   command and its children while the waiter stays to report; SIGKILL
 *   ends it too.  Unreaped until we reap it, the waiter's pid names the
 *   group: kill(-pid) never hits a recycled id.  Cost: one more process,
 *   which holds a copy-on-write view of the engine's memory while the
 *   command runs.
 * - EXEC_DIRECT (watchcmd, on the loop thread): the command is a plain
 *   child (exit_signal SIGCHLD); its owner registers host->watch_child
 *   before returning to the loop, so the engine reaps it and hands over
 *   the status.  Only when stopping it in cleanup (the loop is not running
 *   then) do we reap it ourselves.
 *
 * The command itself is started as posix_spawn does, with clone(CLONE_VM |
 * CLONE_VFORK) on a stack of its own: it borrows its parent's memory until
 * execve instead of copying the engine's page tables (twice, with the
 * waiter), and its parent is suspended until then.  From clone to execve a
 * child (the waiter throughout) is a copy of a multi-threaded process in
 * which only the calling thread exists, or shares its memory.  It must not
 * take a lock, touch malloc or errno-dependent libc state, or call a libc
 * function that believes other threads exist (glibc's setuid would signal
 * the parent's threads).  So that code makes raw system calls only, on
 * memory prepared by the parent, and is not instrumented by sanitizers: the
 * command resets signal handlers and mask, dup2s onto 0/1/2, marks every
 * other fd close-on-exec (close_range; our fds are O_CLOEXEC anyway, this
 * covers code that forgot), drops to the user and group, changes into cwd
 * and execs.  If a step fails it writes {step, errno} into a close-on-exec
 * pipe and exits 127; the parent reads that pipe until EOF, which also
 * means the command has exec'ed (or died) and its process group exists
 * before anyone signals it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* The kernel's struct clone_args as of clone3's first version. */
struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls;
};

/* The kernel's sigset_t: 64 signals everywhere but MIPS. */
#ifdef __mips__
#define KSIGSET_BYTES 16
#else
#define KSIGSET_BYTES 8
#endif
#define KSIG_MAX (KSIGSET_BYTES * 8)

/* Code that runs between clone and execve (see above). */
#define CHILD_CODE __attribute__((no_sanitize_address, no_sanitize_undefined))
/* Stack of a command between clone and execve. */
#define CMD_STACK (32 * 1024)

/* The kernel's struct sigaction, all zero: SIG_DFL, no flags, empty mask
 * (the field order differs between architectures; zeros do not). */
struct ksigaction_dfl {
	unsigned long words[4 + KSIGSET_BYTES / sizeof(unsigned long)];
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
};

struct child_err {
	int step;
	int err;
};

CHILD_CODE __attribute__((noreturn)) static void child_fail(int fd, int step)
{
	struct child_err ce = { step, errno };

	(void)syscall(SYS_write, fd, &ce, sizeof(ce));
	syscall(SYS_exit_group, 127);
	__builtin_unreachable();
}

/* Onto `to` (0, 1 or 2): `from` is >= 3, so never equal. */
CHILD_CODE static void child_dup(const struct plan *p, int from, int to)
{
#ifdef SYS_dup2
	if (syscall(SYS_dup2, from, to) < 0)
#else
	if (syscall(SYS_dup3, from, to, 0) < 0)
#endif
		child_fail(p->err, STEP_FDS);
}

/* The command, from clone to execve. */
CHILD_CODE static int child_main(void *arg)
{
	const struct plan *p = arg;
	struct ksigaction_dfl dfl = { { 0 } };
	unsigned char empty[KSIGSET_BYTES] = { 0 };
	const struct exec_ids *ids = p->ids;

	/* Handlers of the engine (libev's among them) must not run here,
	 * and ignored signals must not stay ignored in the command. */
	for (int sig = 1; sig <= KSIG_MAX; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &dfl, NULL, KSIGSET_BYTES);
	(void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, empty, NULL,
		      KSIGSET_BYTES);
	if (p->status < 0) /* direct: lead a group; else the waiter's */
		(void)syscall(SYS_setpgid, 0, 0);
	child_dup(p, p->in, 0);
	child_dup(p, p->out, 1);
	child_dup(p, p->out, 2);
	(void)syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (ids->set_gid) {
		if (syscall(SYS_setgroups, ids->ngroups, ids->groups) < 0)
			child_fail(p->err, STEP_GROUPS);
		if (syscall(SYS_setresgid, ids->gid, ids->gid, ids->gid) < 0)
			child_fail(p->err, STEP_GID);
	}
	if (ids->set_uid &&
	    syscall(SYS_setresuid, ids->uid, ids->uid, ids->uid) < 0)
		child_fail(p->err, STEP_UID);
	if (p->cwd && syscall(SYS_chdir, p->cwd) < 0)
		child_fail(p->err, STEP_CHDIR);
	syscall(SYS_execve, p->prog, p->argv, p->envp);
	child_fail(p->err, STEP_EXEC);
}

/* Start the command; returns its pid (it has exec'ed or died by then), or
 * -1.  `flags` adds to CLONE_VM | CLONE_VFORK | SIGCHLD. */
CHILD_CODE static long start_command(const struct plan *p, int flags,
				     int *pidfd)
{
	char stack[CMD_STACK] __attribute__((aligned(64)));

	return clone(child_main, stack + sizeof(stack),
		     CLONE_VM | CLONE_VFORK | SIGCHLD | flags, (void *)p,
		     pidfd);
}

/* Close every fd from `lo` up but those in keep[] (sorted, >= lo). */
CHILD_CODE static void close_all_but(int lo, const int *keep, int n)
{
	for (int i = 0; i < n; i++) {
		if (keep[i] > lo)
			(void)syscall(SYS_close_range, lo, keep[i] - 1, 0);
		lo = keep[i] + 1;
	}
	(void)syscall(SYS_close_range, lo, ~0U, 0);
}

/* The waiter: every signal stays blocked (as the parent had them at
 * clone3), so only SIGKILL stops it.  Raw system calls only. */
CHILD_CODE __attribute__((noreturn)) static void
waiter_main(const struct plan *p)
{
	int keep[4] = { p->in, p->out, p->err, p->status }, st = 0;
	long pid;

	(void)syscall(SYS_setpgid, 0, 0);
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
	pid = start_command(p, 0, NULL);
	if (pid < 0)
		child_fail(p->err, STEP_CLONE);
	(void)syscall(SYS_close, p->in);
	(void)syscall(SYS_close, p->out);
	(void)syscall(SYS_close, p->err);
	while (syscall(SYS_wait4, pid, &st, 0, NULL) < 0 && errno == EINTR)
		;
	(void)syscall(SYS_write, p->status, &st, sizeof(st));
	syscall(SYS_exit_group, 0);
	__builtin_unreachable();
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

static void close_fd(int *fd)
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

int exec_child_reap(struct exec_child *child, int *wstatus)
{
	siginfo_t si;
	int rc, st;

	memset(&si, 0, sizeof(si));
	do
		rc = waitid((idtype_t)P_PIDFD, (id_t)child->pidfd, &si,
			    WEXITED | __WALL);
	while (rc < 0 && errno == EINTR);
	rc = rc < 0 ? -errno : 0;
	close_fd(&child->pidfd);
	if (rc == 0 && si.si_code == CLD_EXITED)
		*wstatus = (si.si_status & 0xff) << 8;
	else if (rc == 0)
		*wstatus = (si.si_status & 0x7f) |
			   (si.si_code == CLD_DUMPED ? 0x80 : 0);
	/* A waiter that got to report tells the command's status; one that
	 * was killed (SIGKILL after a timeout) reports its own. */
	if (child->status >= 0 &&
	    read(child->status, &st, sizeof(st)) == (ssize_t)sizeof(st))
		*wstatus = st;
	close_fd(&child->status);
	return rc;
}

void exec_describe_status(int wstatus, char *buf, size_t len)
{
	if (WIFEXITED(wstatus)) {
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(wstatus));
	} else if (WIFSIGNALED(wstatus)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(wstatus));

		if (abbrev)
			snprintf(buf, len, "was killed by SIG%s%s", abbrev,
				 WCOREDUMP(wstatus) ? " (core dumped)" : "");
		else
			snprintf(buf, len, "was killed by signal %d",
				 WTERMSIG(wstatus));
	} else {
		snprintf(buf, len, "ended with wait status %#x", wstatus);
	}
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

int exec_spawn(mgmt_res *res, const struct exec_rt *rt,
	       const struct exec_cmd *c, enum exec_mode mode,
	       struct exec_child *child)
{
	const char *cwd = rt->cwd;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, stp[2] = { -1, -1 };
	int in = -1, pidfd = -1, err;
	char *prog = NULL;
	struct plan p;
	sigset_t all, old;
	struct child_err ce;
	ssize_t n;
	long pid;

	child->pid = 0;
	child->pidfd = child->out = child->status = -1;
	err = -exec_resolve(c->argv[0], rt->path, cwd, &prog);
	if (err) {
		mgmt_error(res, "%s: cannot run '%s': %s", c->what, c->argv[0],
			   err == ENOENT && !strchr(c->argv[0], '/') ?
				   "not found in PATH" :
			   err == EACCES ? "not executable" :
					   strerror(err));
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
	if (mode == EXEC_WAITER) {
		/* exit_signal 0: a clone child, which libev never sees */
		struct clone_args_v0 ca = {
			.flags = CLONE_PIDFD,
			.pidfd = (uint64_t)(uintptr_t)&pidfd,
			.exit_signal = 0,
		};

		pid = syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid == 0)
			waiter_main(&p);
	} else {
		pid = start_command(&p, CLONE_PIDFD, &pidfd);
	}
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		mgmt_error(res, "%s: cannot start a process: %s: %s%s", c->what,
			   mode == EXEC_WAITER ? "clone3" : "clone",
			   strerror(err),
			   err == ENOSYS ? " (Linux 5.3 or later needed)" : "");
		goto out;
	}
	/* Also from here, so the group surely exists when we return. */
	setpgid((pid_t)pid, (pid_t)pid);
	child->pid = (pid_t)pid;
	child->pidfd = pidfd;
	child->status = stp[0];
	stp[0] = -1;
	close_fd(&in);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	close_fd(&stp[1]);
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
	close_fd(&in);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	close_fd(&stp[0]);
	close_fd(&stp[1]);
	return pid < 0 ? -err : 0;
}

/* Wait up to `ms` for the child's pidfd; true when it exited. */
static bool wait_exit(const struct exec_child *child, int ms)
{
	struct pollfd pf = { .fd = child->pidfd, .events = POLLIN };
	int r;

	do
		r = poll(&pf, 1, ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

int exec_child_stop(struct exec_child *child, int grace_ms)
{
	int st = 0;

	if (child->pidfd < 0)
		return 0;
	kill(-child->pid, SIGTERM);
	wait_exit(child, grace_ms);
	/* The leader is exited or not, but surely not reaped, so its pid
	 * still names this group: the rest of it (a grandchild that ignored
	 * SIGTERM) goes now. */
	kill(-child->pid, SIGKILL);
	close_fd(&child->out);
	exec_child_reap(child, &st);
	return st;
}

/* ---- output: one log line per line, up to a cap ---- */

struct outlog {
	mgmt_res *res;
	int level;
	const char *prefix;
	size_t len, logged, dropped;
	char line[EXEC_LINE_MAX];
};

static void out_line(struct outlog *o)
{
	/* control characters would let a command forge log lines */
	for (size_t i = 0; i < o->len; i++)
		if ((unsigned char)o->line[i] < 0x20 && o->line[i] != '\t')
			o->line[i] = '?';
	if (o->logged + o->len + 1 > EXEC_LOG_CAP) {
		o->dropped += o->len + 1;
	} else {
		mgmt_host->log(o->res, o->level, "%s%.*s", o->prefix,
			       (int)o->len, o->line);
		o->logged += o->len + 1;
	}
	o->len = 0;
}

static void out_feed(struct outlog *o, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			out_line(o);
			continue;
		}
		o->line[o->len++] = buf[i];
		if (o->len == sizeof(o->line))
			out_line(o);
	}
}

/* Read what is there, up to 128 KiB (a command that writes without end
 * must not keep us from its deadline); false at EOF or on an error. */
static bool out_read(struct outlog *o, int fd)
{
	char buf[8192];

	for (int turn = 0; turn < 16; turn++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			out_feed(o, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
	return true;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int exec_run(mgmt_res *res, const struct exec_rt *rt, const struct exec_cmd *c,
	     int64_t timeout_ms, int level, int *wstatus)
{
	struct exec_child child;
	struct outlog *o = malloc(sizeof(*o));
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	int stop_fd = MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, stop_fd) ?
			      mgmt_host->stop_fd() :
			      -1;
	bool timed_out = false, stopping = false;
	int rc;

	if (!o) {
		mgmt_error(res, "%s: out of memory", c->what);
		return -ENOMEM;
	}
	o->res = res;
	o->level = level;
	o->prefix = c->log_prefix;
	o->len = o->logged = o->dropped = 0;
	rc = exec_spawn(res, rt, c, EXEC_WAITER, &child);
	if (rc < 0) {
		free(o);
		return rc;
	}
	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = child.pidfd, .events = POLLIN },
			{ .fd = child.out, .events = POLLIN },
			{ .fd = stop_fd, .events = POLLIN },
		};
		int wait = -1, r;

		if (deadline) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				timed_out = true;
				break;
			}
			wait = left > 60000 ? 60000 : (int)left;
		}
		/* A negative fd is skipped by poll: out closed, no stop fd. */
		r = poll(pf, 3, wait);
		if (r < 0 && errno != EINTR) {
			mgmt_error(res, "%s: poll: %s", c->what,
				   strerror(errno));
			timed_out = true; /* stop it: we cannot watch it */
			break;
		}
		if (r > 0 && pf[1].revents && !out_read(o, child.out))
			close_fd(&child.out);
		if (r > 0 && pf[0].revents)
			break;
		if (r > 0 && pf[2].revents) {
			stopping = true;
			break;
		}
	}
	if (stopping) {
		mgmt_warn(res,
			  "%s: the engine is shutting down: stopping its "
			  "process group (SIGTERM, SIGKILL after %d s)",
			  c->what, EXEC_GRACE_MS / 1000);
		*wstatus = exec_child_stop(&child, EXEC_GRACE_MS);
	} else if (timed_out) {
		mgmt_error(res,
			   "%s timed out after %.3g s: stopping its "
			   "process group (SIGTERM, SIGKILL after %d s)",
			   c->what, (double)timeout_ms / 1000.,
			   EXEC_GRACE_MS / 1000);
		*wstatus = exec_child_stop(&child, EXEC_GRACE_MS);
	} else {
		/* Everything the leader wrote is in the pipe by now; what a
		 * background grandchild writes later is not waited for. */
		if (child.out >= 0)
			out_read(o, child.out);
		close_fd(&child.out);
		rc = exec_child_reap(&child, wstatus);
		if (rc < 0)
			mgmt_error(res, "%s: waitid: %s", c->what,
				   strerror(-rc));
	}
	if (o->len)
		out_line(o);
	if (o->dropped)
		mgmt_host->log(res, level,
			       "%s: %zu more bytes of output "
			       "not logged (%d KiB per run are)",
			       c->what, o->dropped, EXEC_LOG_CAP / 1024);
	free(o);
	if (stopping)
		return -ECANCELED;
	if (timed_out)
		return -ETIMEDOUT;
	return rc;
}

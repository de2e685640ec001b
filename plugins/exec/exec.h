/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exec.h - the exec plugin's internal interface: the per-resource struct,
 * how a command line becomes an argv (split.c), how commands are started
 * and reaped next to libev's reap-all SIGCHLD handler (spawn.c), run to
 * their end with their output logged, timed out and stopped (run.c), and
 * the watchcmd and pollint event sources (watch.c).  Only exec.c defines
 * hooks.
 */
#ifndef PLUGINS_EXEC_H
#define PLUGINS_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <mgmt/mgmt.h>

/* Grace period between SIGTERM and SIGKILL for a process group. */
#define EXEC_GRACE_MS 2000
/* Output of one run logged at most; the rest is counted. */
#define EXEC_LOG_CAP (64 * 1024)
/* Longest line logged as one (the engine keeps 3 KiB of a message); longer
 * ones are cut into pieces. */
#define EXEC_LINE_MAX 2048

/* A prepared command.  argv[0] is resolved through PATH at each start, so
 * a program that an earlier resource installs is found. */
struct exec_cmd {
	const char *what;       /* "cmd", "ifcmd", "watchcmd": for messages */
	const char *log_prefix; /* before each logged line of its output */
	char **argv;            /* NULL-terminated; NULL: no such command */
};

/* Credentials to switch to in the child. */
struct exec_ids {
	bool set_uid, set_gid;
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups, set with gid */
	size_t ngroups;
};

struct exec_rt;

/* The per-resource struct: parameters first (the schema), then runtime. */
struct exec {
	char *cmd;
	char *shell;
	char *cwd;
	struct mgmt_strmap env;
	int64_t timeout_ms; /* -1 unset, 0 none */
	char *watchcmd;
	char *watchshell;
	char *ifcmd;
	char *ifshell;
	int64_t pollint_ms;
	char *user;
	char *group;
	int state;
	/* runtime, from init to cleanup */
	struct exec_rt *rt;
};

struct exec_rt {
	mgmt_res *res;
	struct exec_cmd cmd, ifcmd, watchcmd;
	const char *cwd;  /* where commands run, or NULL */
	char **envp;      /* the engine's environment with `env` applied */
	const char *path; /* PATH to resolve programs with (exec_path_of) */
	struct exec_ids ids;
	struct exec_watch *watch; /* watch.c's state, or NULL */
};

/* ---- split.c ---- */

/* Split `s` into words as a POSIX shell would, without expanding anything:
 * blanks separate words; '...' is literal; "..." is literal but for \" \\
 * \$ \` and backslash-newline; a backslash outside quotes takes the next
 * character literally.  On success *argv is a NULL-terminated, malloc'ed
 * vector (free with exec_strv_free).  Returns 0, -ENOMEM, or -EINVAL with
 * *why saying what is wrong (a static string) and *at the byte offset where
 * the offending quote opened. */
int exec_split(const char *s, char ***argv, const char **why, size_t *at);
void exec_strv_free(char **v);

/* Resolve `name` as execvp would: a name with a '/' is taken as it is
 * (relative to `cwd` when relative and `cwd` is set), otherwise it is looked
 * up in `path` (colon-separated; empty entries mean the current directory).
 * On success *out is a malloc'ed path of an executable regular file.
 * Returns 0, -ENOENT (nowhere), -EACCES (found, but not executable),
 * -EISDIR (a directory) or -ENOMEM. */
int exec_resolve(const char *name, const char *path, const char *cwd,
		 char **out);

/* The PATH to resolve programs with: `env`'s if it sets one, else the
 * engine's, else a default. */
const char *exec_path_of(const struct mgmt_strmap *env);

/* ---- spawn.c ---- */

/* A started child: the leader of its own process group (EXEC_WAITER: the
 * waiter, with the command in its group). */
struct exec_child {
	pid_t pid; /* also its process group id; 0: none */
	int out;   /* read end of its stdout+stderr (O_NONBLOCK), or -1 */
	/* EXEC_WAITER: where the waiter reports (readable once it did, at
	 * EOF once it died); -1 for EXEC_DIRECT */
	int status;
	void *stack; /* a "vm" waiter's stack, unmapped once it is reaped */
	size_t stack_len;
};

/* How a command is started and reaped (see spawn.c). */
enum exec_mode {
	EXEC_WAITER, /* through a waiter process libev never sees: workers */
	EXEC_DIRECT, /* a plain child for host->watch_child: loop thread */
};

/* Start `c`'s program (resolved through rt->path) with rt's settings
 * (cwd, environment, user and group), stdin from /dev/null, stdout and
 * stderr into one pipe whose read end goes to child->out.  Returns 0, or
 * <0 after logging why for `res` (a child that could not exec is reaped
 * before returning): -ECANCELED without starting anything when the stop
 * signal (host->stop_fd) is readable; -ENOENT, -EACCES or -EISDIR when the
 * program cannot be found or run, logged at `missing_level` (a
 * MGMT_LOG_* level: a watchcmd that keeps failing says so once). */
int exec_spawn(mgmt_res *res, const struct exec_rt *rt,
	       const struct exec_cmd *c, enum exec_mode mode, int missing_level,
	       struct exec_child *child);

/* Reap an exited child (this blocks until it exited) and close its fds
 * but `out`.  *wstatus is as from waitpid: of the command (EXEC_WAITER: as
 * the waiter reported it, or the waiter's own if it was killed before it
 * could).  Loop thread only for EXEC_DIRECT children, and only when the
 * engine did not reap it.  Returns 0 or -errno. */
int exec_child_reap(struct exec_child *child, int *wstatus);

/* Close *fd if it is open (>= 0), and set it to -1. */
void exec_close_fd(int *fd);

/* The host's stop signal (host->stop_fd), or with `abort` its abort signal
 * (host->abort_fd): an fd that becomes readable when it fires, or -1 when
 * the host has none. */
int exec_host_fd(bool abort);

/* ---- run.c ---- */

/* Stop a child's whole process group: SIGTERM, up to `grace_ms` for the
 * leader to exit (cut short when host->abort_fd becomes readable: logged
 * for `res` as `what`), then SIGKILL to what is left of the group; reap the
 * leader and close child->out.  Blocks up to grace_ms.  Returns the wait
 * status. */
int exec_child_stop(mgmt_res *res, const char *what, struct exec_child *child,
		    int grace_ms);

/* Run `c` to completion on the calling (worker) thread, logging its output
 * line by line (at `level`, up to EXEC_LOG_CAP bytes), and killing its group
 * after `timeout_ms` (<= 0: no limit) or when the stop signal fires.
 * Returns 0 with *wstatus set, or <0 after logging why it could not run,
 * that it timed out (-ETIMEDOUT) or that it was stopped (-ECANCELED). */
int exec_run(mgmt_res *res, const struct exec_rt *rt, const struct exec_cmd *c,
	     int64_t timeout_ms, int level, int *wstatus);

/* "exited with status 3", "was killed by SIGKILL". */
void exec_describe_status(int wstatus, char *buf, size_t len);

/* ---- watch.c ---- */

/* Start the watchcmd and the pollint timer of a resource.  Loop thread. */
int exec_watch_start(mgmt_res *res, struct exec *e);
/* Stop the watchcmd (its group gets SIGTERM, then SIGKILL) and free the
 * watch state.  The engine has already released the resource's watches.
 * Loop thread. */
void exec_watch_stop(struct exec *e);

#endif /* PLUGINS_EXEC_H */

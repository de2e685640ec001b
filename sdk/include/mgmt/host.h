/* SPDX-License-Identifier: MIT */
/*
 * mgmt/host.h - the services the engine offers to plugins.
 *
 * A plugin links against no engine symbol.  Everything it may ask of the
 * engine arrives as this table of function pointers, handed to the plugin's
 * init hook once at load (MGMT_PLUGIN_DEFINE stores it in `mgmt_host`).  A
 * test harness can host a plugin by filling in its own table.
 *
 * Threads: the engine has one loop thread, which owns every watch and calls
 * every hook except check_apply, and a pool of worker threads, which call
 * check_apply.  Each service below says which threads may call it.
 *
 * Ownership: handles (mgmt_res, mgmt_watch) are owned by the engine.  A
 * plugin keeps a mgmt_res pointer only while that resource lives (between its
 * init and cleanup hooks).  Strings returned by the engine are owned by the
 * engine and live as long as the object they describe (transfer none).
 *
 * Engine objects carry a magic number; a service handed a pointer that is
 * not what it expects logs an engine error and does nothing.
 */
#ifndef MGMT_HOST_H
#define MGMT_HOST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <mgmt/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One resource of a graph (opaque).  Since 1.0. */
typedef struct mgmt_res mgmt_res;
/* One registered event source on the loop (opaque).  Since 1.0. */
typedef struct mgmt_watch mgmt_watch;

/* Event masks for watch_fd.  Since 1.0. */
#define MGMT_WATCH_READ 0x1u
#define MGMT_WATCH_WRITE 0x2u

/* Flags for set_flags.  Since 1.0. */
/* The resource has no state to check (an exec without ifcmd): besides its own
 * events, it runs whenever a vertex before it in the graph changed something
 * (its check_apply returned MGMT_CHANGED; a timer does on each tick). */
#define MGMT_RES_RUN_WHEN_REACHED 0x1u

/* Callbacks of watches.  All run on the loop thread and must not block.
 * `res` is the resource the watch was registered for (NULL for kind-wide
 * watches), `data` the pointer given at registration.  Since 1.0. */
typedef void (*mgmt_fd_cb)(mgmt_res *res, int fd, unsigned revents, void *data);
typedef void (*mgmt_timer_cb)(mgmt_res *res, void *data);
typedef void (*mgmt_child_cb)(mgmt_res *res, pid_t pid, int wstatus,
			      void *data);
typedef void (*mgmt_signal_cb)(mgmt_res *res, int signum, void *data);

/* Flags for watch_kv.  Since 1.3. */
/* Watch every key that begins with the one given, not only that key. */
#define MGMT_KV_PREFIX 0x1u

/* Callback of watch_kv, on the loop thread (must not block): `key` (a key of
 * the cluster's key-value space, borrowed for the call) changed or went, or
 * NULL: the engine has read the whole space from etcd, and any watched key
 * may have changed.  Since 1.3. */
typedef void (*mgmt_kv_cb)(mgmt_res *res, const char *key, void *data);

struct mgmt_host {
	/* Never move: the engine's ABI version and the size of this table.
	 * A service added after 1.0 exists only if MGMT_HAS_MEMBER says so. */
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t size;

	/* Log one line for `res` (NULL: for the plugin itself) at `level`
	 * (enum mgmt_log_level).  The engine adds time, level and Kind[name].
	 * Any thread.  Since 1.0. */
	void (*log)(const mgmt_res *res, int level, const char *fmt, ...)
		MGMT_PRINTF(3, 4);
	void (*vlog)(const mgmt_res *res, int level, const char *fmt,
		     va_list ap);

	/* The real state of `res` may have moved: check it again.  Events
	 * that arrive while the resource runs coalesce into one re-run.  The
	 * first call after a watch hook returned MGMT_WATCH_PENDING (or made
	 * from inside that hook, before it returned) also tells the engine
	 * the watch is ready.  Any thread.  Since 1.0. */
	void (*dirty)(mgmt_res *res);

	/* Register event sources on the loop.  Loop thread only (the watch
	 * hook, or a callback of another watch); called on a worker thread
	 * (from check_apply) they are refused: NULL, errno EPERM, and one
	 * error line naming the plugin and resource (since 1.3).  `res` may
	 * be NULL for a kind-wide source (e.g. one inotify fd shared by all
	 * resources of a kind); otherwise the engine stops the watch just
	 * before `res`'s cleanup hook, where its handle may still be passed
	 * to unwatch (which then does nothing), and frees it once cleanup
	 * returned.  A kind-wide watch lives until unwatch or the engine's
	 * exit (after the plugins' fini, which may unwatch it).  Return NULL
	 * on failure (errno set).  The engine owns the returned handle and
	 * only stops watching the fd: closing it is the plugin's, after
	 * unwatch or in cleanup.  `data` stays the plugin's: the engine
	 * passes it to each callback and never frees it.  Since 1.0. */
	mgmt_watch *(*watch_fd)(mgmt_res *res, int fd, unsigned events,
				mgmt_fd_cb cb, void *data);
	/* First after `after` seconds, then every `repeat` seconds (0: once;
	 * a one-shot timer stays registered until unwatch). */
	mgmt_watch *(*watch_timer)(mgmt_res *res, double after, double repeat,
				   mgmt_timer_cb cb, void *data);
	/* Called once when child `pid` exits; the engine reaps it. */
	mgmt_watch *(*watch_child)(mgmt_res *res, pid_t pid, mgmt_child_cb cb,
				   void *data);
	/* Called on each delivery of `signum` (not SIGINT, SIGTERM, SIGHUP,
	 * SIGCHLD: the engine's own). */
	mgmt_watch *(*watch_signal)(mgmt_res *res, int signum,
				    mgmt_signal_cb cb, void *data);
	/* Stop and release a watch; its callback is not called again.  Loop
	 * thread only, including from inside that watch's own callback.  A
	 * handle used after unwatch (or after its resource's cleanup
	 * returned) is a plugin's use-after-free.  Since 1.0. */
	void (*unwatch)(mgmt_watch *w);

	/* The resource's name, kind ("file") and per-resource struct (the
	 * parsed parameters, mgmt/params.h).  The engine owns all three; they
	 * live until the resource's cleanup returned.  Any thread.  Since
	 * 1.0. */
	const char *(*name)(const mgmt_res *res);
	const char *(*kind)(const mgmt_res *res);
	void *(*params)(const mgmt_res *res);

	/* Set MGMT_RES_* flags on `res`.  Loop thread, from init (refused on
	 * a worker, as the watches are).  Since 1.0. */
	void (*set_flags)(mgmt_res *res, unsigned flags);

	/* validate hook only: report that `param` (NULL: the resource as a
	 * whole) is invalid.  The engine prints it with the parameter's
	 * file:line:col.  May be called several times.  The engine copies
	 * the text.  Loop thread (refused on a worker).  Since 1.0. */
	void (*invalid)(mgmt_res *res, const char *param, const char *fmt, ...)
		MGMT_PRINTF(3, 4);

	/* The members of the group `res` leads, leader first; `*members`
	 * stays valid until check_apply returns.  A resource that leads no
	 * group is a group of one.  The engine owns the array.  Any thread.
	 * Returns the count.  Since 1.0. */
	size_t (*group_members)(const mgmt_res *res, mgmt_res *const **members);

	/* check_apply only: did a notify edge send `res` (the leader or any
	 * member of its group) a refresh since its last successful run?
	 * Worker thread.  Since 1.0. */
	bool (*refreshed)(const mgmt_res *res);

	/* A directory private to this kind where a plugin may keep state
	 * across runs (created on first use, mode 0700, under the engine's
	 * --prefix; NULL if it cannot be).  The string is the engine's and
	 * stays the same, unchanged, until the engine exits (before 1.3 it
	 * was a per-thread buffer the next call overwrote).  Any thread.
	 * Since 1.0. */
	const char *(*state_dir)(const mgmt_res *res);

	/* The engine's --hostname; the engine's string, unchanged until it
	 * exits.  Any thread.  Since 1.0. */
	const char *(*hostname)(void);

	/* The engine's monotonic clock, in seconds.  Any thread.  Tests may
	 * replace it.  Since 1.0. */
	double (*now)(void);

	/* check_apply only: has `res` (the leader or any member of its
	 * group) had an event since its last successful run (or never run)?
	 * A grouped check_apply may then check only the members that may
	 * have moved.  Worker thread.  Since 1.1. */
	bool (*member_dirty)(const mgmt_res *res);

	/* The stop signal: a file descriptor that becomes readable when the
	 * work must stop.  Called from check_apply, it is that run's own:
	 * readable once the engine shuts down, or once a reload changed or
	 * removed a resource the run covers (the leader or any member).  A
	 * reload that keeps every resource of the run never fires it: the run
	 * goes on and its result counts in the new graph.  Called from the
	 * loop thread, it is the engine's: readable once it shuts down.  A
	 * check_apply that may block for long (a command, a transaction)
	 * polls it, and when it is readable stops promptly (asking what it
	 * started to stop) and returns an error; a short one may check it
	 * between the members of a group.  Never read, write or close it.  -1
	 * when there is none.  Any thread.  Since 1.1; per run since 1.3. */
	int (*stop_fd)(void);

	/* A file descriptor that becomes readable once the engine must stop
	 * at once (a second SIGINT or SIGTERM): a check_apply that is
	 * stopping and still waits (a grace period before SIGKILL) ends what
	 * it started now and returns.  The engine exits about a second after
	 * it fires, whether runs returned or not.  Never read, write or close
	 * it.  -1 when there is none.  Any thread.  Since 1.3. */
	int (*abort_fd)(void);

	/* Log one line as log does, saying where in the plugin's source it
	 * was logged: `file`, `line` and `func` (`file` and `func` may be
	 * NULL).  Under systemd the journal keeps them as CODE_FILE,
	 * CODE_LINE and CODE_FUNC; on stderr they are not shown.  The
	 * mgmt_error..mgmt_debug macros of mgmt/resource.h call it with
	 * __FILE__, __LINE__ and __func__ when the engine has it.  Any
	 * thread.  Since 1.3. */
	void (*log_at)(const mgmt_res *res, int level, const char *file,
		       int line, const char *func, const char *fmt, ...)
		MGMT_PRINTF(6, 7);

	/* check_apply only: the result of one member of the group being run
	 * (the leader or any other member of host->group_members):
	 * MGMT_CONVERGED, MGMT_CHANGED or <0.  A grouped check_apply that
	 * reports each member lets the engine treat them apart: only a
	 * failed member holds back the resources after it in the graph
	 * (the group as a whole still retries, and the next run's
	 * host->member_dirty is true only for the failed members), and only
	 * a member that changed sends its notifications.  A member not
	 * reported takes check_apply's return value, which stays what it
	 * was (an error if any member failed), so report every member or
	 * none.  The last report of a member counts.  A run cut short by
	 * the stop signal counts as a whole.  Refused, with one engine
	 * error line, for a resource whose group is not the one this
	 * check_apply runs, and outside check_apply.  Worker thread.
	 * Since 1.3. */
	void (*member_result)(mgmt_res *member, int result);

	/* The cluster's key-value space: string values under string keys,
	 * shared by every host of the cluster, kept in etcd under the
	 * engine's prefix (/mgmt-engine/kv/KEY) through the engine's own
	 * connection (run --etcd).  A key is any non-empty string of at
	 * most 4096 bytes without NUL; a value any string without NUL.
	 * Without --etcd each of these fails with ENOTCONN.  Since 1.3.
	 *
	 * watch_kv: call `cb` whenever `key` (with MGMT_KV_PREFIX: any key
	 * beginning with it) changes or goes in etcd, whoever changed it,
	 * this engine included; and once with a NULL key when the engine has
	 * read the space (right after the hook returns, when it had already),
	 * so a watch hook may return MGMT_WATCH_PENDING and call dirty from
	 * `cb`.  A watch like the others: stopped before `res`'s cleanup,
	 * or by unwatch.  `key` is copied.  NULL on failure: errno ENOTCONN
	 * (no --etcd), EINVAL (a bad key or flag), EPERM (a worker thread).
	 * Loop thread. */
	mgmt_watch *(*watch_kv)(mgmt_res *res, const char *key, unsigned flags,
				mgmt_kv_cb cb, void *data);

	/* kv_get: the value of `key` as the engine last saw it in etcd (a
	 * cache that the engine's watch of the space keeps current: no round
	 * trip to etcd).  0 with *value a new string (the caller's: free(3)
	 * it), or NULL when the key does not exist; -ENOTCONN without
	 * --etcd; -EAGAIN when the space has not been read from etcd yet (on
	 * a worker thread it first waits up to 5 s for that read); -EINVAL
	 * for a bad key; -ENOMEM.  While etcd is unreachable it answers from
	 * the cache.  Any thread. */
	int (*kv_get)(mgmt_res *res, const char *key, char **value);

	/* kv_put: set `key` to `value` in etcd (NULL: delete the key), and
	 * wait for etcd's answer; after 0, kv_get returns what was put.  0;
	 * -ENOTCONN without --etcd; -EHOSTUNREACH when no endpoint answered;
	 * -EIO when etcd refused it (the engine logs why); -ECANCELED when
	 * the run's stop signal (stop_fd) fired first; -EINVAL for a bad key;
	 * -EPERM on the loop thread, which must not block.  Worker thread
	 * (check_apply). */
	int (*kv_put)(mgmt_res *res, const char *key, const char *value);
};

#ifdef __cplusplus
}
#endif

#endif /* MGMT_HOST_H */

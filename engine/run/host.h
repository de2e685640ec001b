/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * host.h - the engine's implementation of the SDK's host services table.
 */
#ifndef ENGINE_HOST_H
#define ENGINE_HOST_H

#include <mgmt/host.h>

#include "config/resource.h"

/* The table handed to every plugin's init. */
const struct mgmt_host *host_table(void);

/* Settings behind hostname() and state_dir(); copied. */
int host_set_hostname(const char *name);
int host_set_prefix(const char *dir);

/* Stop every watch registered for `res` (before its cleanup hook), or the
 * kind-wide ones (res NULL, at shutdown).  Their handles stay valid for
 * unwatch (which then does nothing) until host_free_released.  Loop
 * thread. */
void host_release_watches(struct mgmt_res *res);
/* Free the watches released so far: after the cleanup hook returned. */
void host_free_released(void);

/* How many watches are registered for `res` (NULL: kind-wide ones).  Loop
 * thread. */
size_t host_count_watches(const struct mgmt_res *res);
/* Every watch registered and not yet removed.  Any thread. */
size_t host_watches_in_use(void);

/* Send host->dirty to `fn` instead of the scheduler (NULL: back to the
 * scheduler); `fn` is called on whatever thread called dirty.  For
 * plugin-check, which runs one resource at a time without one. */
typedef void (*host_dirty_fn)(struct mgmt_res *res);
void host_set_dirty_hook(host_dirty_fn fn);

/* The calling thread runs check_apply, not the loop: the loop thread's
 * services refuse it.  Each worker of the pool calls it as it starts, and
 * so does the thread plugin-check runs check_apply on. */
void host_off_loop_thread(void);

/* The cluster's key-value space behind host->watch_kv, kv_get and kv_put
 * (engine/run/kvhost.c), which run/ reaches only through these hooks;
 * cli.c sets them when it runs with --etcd (engine/cluster/kv.c). */
struct host_kv_ops {
	void *ctx;
	/* Start following the space, if not yet.  Loop thread. */
	void (*follow)(void *ctx);
	/* Has the space been read (since the engine started)?  Loop thread. */
	bool (*synced)(void *ctx);
	/* As host->kv_get and kv_put, for a checked key; put gets the stop
	 * fd to wait on. */
	int (*get)(void *ctx, const char *key, char **value, bool worker);
	int (*put)(void *ctx, const char *key, const char *value, int stop_fd);
};
/* Set (NULL: unset) the hooks; `ops` must outlive their use. */
void host_set_kv(const struct host_kv_ops *ops);
/* From the cluster, loop thread: `key` of the space changed or went (NULL:
 * the space was read), for the watches of host->watch_kv. */
void host_kv_event(const char *key);

/* Release the kind-wide watches, free what host_set_* allocated: after the
 * plugins' fini. */
void host_fini(void);

#endif /* ENGINE_HOST_H */

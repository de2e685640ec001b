/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kvhost.h - between host.c and kvhost.c: the key-value services of the
 * host table (host->watch_kv, kv_get, kv_put).  Not used outside
 * engine/run/.
 */
#ifndef ENGINE_RUN_KVHOST_H
#define ENGINE_RUN_KVHOST_H

#include <stdbool.h>

#include <mgmt/host.h>

struct kvwatch;

/* The kv side of a new watch of `res` (already checked): NULL with errno
 * ENOTCONN (no --etcd), EINVAL or ENOMEM.  Loop thread. */
struct kvwatch *kvhost_add(mgmt_res *res, const char *key, unsigned flags,
			   mgmt_kv_cb cb, void *data);
/* Stop it: its callback is not called again.  Loop thread. */
void kvhost_stop(struct kvwatch *k);

/* host->kv_get and kv_put. */
int host_kv_get(mgmt_res *res, const char *key, char **value);
int host_kv_put(mgmt_res *res, const char *key, const char *value);

/* host.c: is the calling thread a worker (host_off_loop_thread)? */
bool host_is_off_loop(void);

#endif /* ENGINE_RUN_KVHOST_H */

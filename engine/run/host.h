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

/* Release the kind-wide watches, free what host_set_* allocated: after the
 * plugins' fini. */
void host_fini(void);

#endif /* ENGINE_HOST_H */

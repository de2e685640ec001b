/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * client.h - the client side of the engine's control socket: the commands
 * `status`, `reload` (without --pid) and `trigger` ask a running
 * `mgmt-engine run --control PATH` over HTTP on that unix socket.
 *
 * The protocol is the server's; every body is a JSON object, and any answer
 * but a 2xx one is {"error": "one line"} (with "result" where said):
 *
 *   GET  /v1/status[?kind=K][&name=GLOB][&failed=1]
 *        200 {"host", "version", "pid", "graph", "started", "graph_since",
 *             "converged", "converged_since", "summary": {counts},
 *             "resources": [{"kind", "name", "group", "state",
 *             "last_check", "last_change", "runs", "changes", "failures",
 *             "last_error", "retry": {"left", "at"} | null}]}
 *   POST /v1/reload?wait=S
 *        200 {"result": "taken"} | 422 "refused" | 504 "timeout"
 *   POST /v1/trigger?kind=K&name=N&wait=S
 *        200 {"result": "converged" | "changed" | "failed", "error"}
 *        | 404 (no such resource) | 504 "timeout"
 *   GET  /v1/cluster
 *        200 {"hosts": [{"host", "converged", "since", "failed",
 *             "resources", "updated"}]} | 404 (no --etcd)
 *
 * Times are unix seconds (floats).  libcurl is opened (util/curl.h) by
 * the first request, so that no other command pays for loading it.
 */
#ifndef ENGINE_CONTROL_CLIENT_H
#define ENGINE_CONTROL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "control/client-render.h"

#define CLIENT_WAIT_DEFAULT 60.0  /* s: reload and trigger */
#define CLIENT_CONNECT_TIMEOUT 3L /* s */
#define CLIENT_GRACE 10.0         /* s an answer may take beyond the wait */
#define CLIENT_ENV "MGMT_ENGINE_CONTROL" /* overrides CONTROL_SOCKET */

/* The control socket to use: `given` (--control) if not NULL, else
 * $MGMT_ENGINE_CONTROL if set and not empty, else CONTROL_SOCKET (the
 * build's $(runstatedir)/mgmt-engine/control.sock). */
const char *client_socket(const char *given);

/* One query argument; a NULL value leaves it out. */
struct client_arg {
	const char *key, *value;
};

/* "http://localhost" `path`, then "?k=v&k=v" with each value
 * percent-encoded (every byte but A-Z a-z 0-9 - . _ ~, as
 * curl_easy_escape does).  The keys are taken as they are.  *out is
 * malloc'd; returns 0 or -ENOMEM. */
int client_url(const char *path, const struct client_arg *args, size_t nargs,
	       char **out);

/* What `status` is asked. */
struct client_status_opts {
	const char *socket;
	const char *kind, *name; /* NULL: any; name is a glob (fnmatch) */
	bool failed;             /* only failed or held resources */
	bool json;               /* the body as it came, indented */
	bool cluster;            /* GET /v1/cluster instead */
};

/* The commands.  Each prints its result (or one line saying what went
 * wrong, where, and what to do) and returns the exit status: an enum
 * client_exit. */
int client_status(const struct client_status_opts *o);
int client_reload(const char *socket, double wait);
int client_trigger(const char *socket, const char *kind, const char *name,
		   double wait);

#endif /* ENGINE_CONTROL_CLIENT_H */

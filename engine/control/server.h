/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server.h - the control socket (doc/control.md): HTTP with JSON bodies on
 * a unix socket, served by libmicrohttpd on threads of its own, and
 * optionally the metrics alone on a TCP address.  Requests read what the
 * engine publishes (run/stats.h) and never wait for the event loop; reload
 * and trigger hand the loop their action (run/sched.h, sched_call_*) and
 * wait for its outcome on their own thread.
 */
#ifndef ENGINE_CONTROL_SERVER_H
#define ENGINE_CONTROL_SERVER_H

#include <jansson.h>

struct control_opts {
	const char *path;  /* the unix socket; NULL: none */
	const char *group; /* the socket's group (mode 0660), NULL: root
			    * only (0600) */
	const char *metrics_listen; /* "HOST:PORT" for /metrics over TCP,
				     * or NULL */
	/* The cluster's view (GET /v1/cluster): a new array of the hosts'
	 * states, from any thread; NULL hook: no cluster. */
	json_t *(*cluster_hosts)(void *ctx);
	void *cluster_ctx;
};

struct control;

/* Bind and start serving: 0, or -errno after logging one line that says
 * what and what to do.  The socket's file is removed by control_stop. */
int control_start(const struct control_opts *o, struct control **out);
void control_stop(struct control *c);

#endif /* ENGINE_CONTROL_SERVER_H */

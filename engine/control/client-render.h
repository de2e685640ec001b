/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * client-render.h - what the control socket's replies say, as text for a
 * person and as an exit status for a monitoring check (the client side of
 * the control socket; the protocol is in client.h).
 *
 * Everything here is a pure function of a reply document and of `now`
 * (unix seconds), given by the caller, so that the tests pin the clock.
 */
#ifndef ENGINE_CONTROL_CLIENT_RENDER_H
#define ENGINE_CONTROL_CLIENT_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* The client commands' exit statuses (those of cli.h). */
enum client_exit {
	CLIENT_EXIT_OK = 0,     /* converged, nothing failed; taken; done */
	CLIENT_EXIT_FAILED = 1, /* failed, held or unconverged; refused */
	CLIENT_EXIT_UNREACHABLE = 2, /* no engine, or no usable answer */
};

/* A span of seconds in its largest whole unit: "0s", "59s", "2m", "5h",
 * "3d" (negative spans count as 0).  `buf` gets at most `len` bytes. */
void client_span(double secs, char *buf, size_t len);

/* The body of GET /v1/status as a summary line (host, converged or not and
 * for how long, the counts), a line on the graph and the engine, and a
 * table of its resources, columns aligned, the error last.  Returns 0, or
 * -EPROTO when `doc` is not a status document, or -ENOMEM; nothing is
 * written then. */
int client_status_render(const json_t *doc, double now, FILE *out);

/* The exit status a status document gives: CLIENT_EXIT_OK when the engine
 * converged and no resource failed or is held, else CLIENT_EXIT_FAILED. */
int client_status_exit(const json_t *doc);

/* The body of GET /v1/cluster as a summary line and a table, one host a
 * row.  Returns 0, -EPROTO or -ENOMEM, as client_status_render. */
int client_cluster_render(const json_t *doc, double now, FILE *out);

/* CLIENT_EXIT_OK when at least one host reported and every host converged
 * with nothing failed, else CLIENT_EXIT_FAILED. */
int client_cluster_exit(const json_t *doc);

#endif /* ENGINE_CONTROL_CLIENT_RENDER_H */

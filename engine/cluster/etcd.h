/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etcd.h - a small etcd v3 client over its JSON gateway: POST requests made
 * with libcurl's multi interface, driven by the engine's libev loop (socket
 * and timer callbacks), so a slow or dead etcd never blocks the loop.
 *
 * A request names a gateway path ("/v3/kv/range") and a JSON body.  Unary
 * requests end with one callback: the parsed response or an error.
 * Streaming requests (watch) also get one callback per line as it
 * arrives.  When an endpoint cannot be reached (connection refused, reset,
 * timeout, a 5xx answer), the request is sent again to the next endpoint
 * of the list, and that endpoint becomes the current one for the requests
 * that follow; only when every endpoint failed does the caller see the
 * error.  A stream that delivered anything is not resent: the caller
 * re-creates it from what it saw.
 *
 * With TLS options, https:// endpoints are checked against the CA given
 * and shown the client certificate.  With a user, every request carries
 * the token etcd's authenticate call gave (asked for once, before the
 * first request; again ahead of its expiry when the token says when, and
 * whenever etcd says it is not valid any more, with the request sent
 * again).  A refusal (a certificate, a password, a permission) ends the
 * request with -EACCES and a sentence saying what to change.
 *
 * Loop thread only.  Callbacks run from the loop, never from inside libcurl,
 * so they may start and cancel requests freely.
 */
#ifndef ENGINE_CLUSTER_ETCD_H
#define ENGINE_CLUSTER_ETCD_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>
#include <jansson.h>

struct etcd;
struct etcd_req;

/* The end of a request.  `err` is 0 (then `body` is the parsed response,
 * borrowed for the call), or a negative errno with `why` saying what
 * failed ("http://127.0.0.1:2379: Couldn't connect to server"):
 * -EHOSTUNREACH no endpoint answered, -EACCES etcd refused (TLS,
 * authentication, permission), -EPROTO any other error answer.  The
 * request is freed after the call. */
typedef void (*etcd_done_cb)(struct etcd_req *r, int err, const char *why,
			     json_t *body, void *data);
/* One line of a streaming response, parsed (borrowed for the call);
 * `msg` is NULL when the line was not JSON. */
typedef void (*etcd_line_cb)(struct etcd_req *r, json_t *msg, void *data);

/* A client for the comma-separated `endpoints` on `loop`.  NULL when one is
 * not an http:// or https:// URL (with *why set) or memory ran out. */
struct etcd *etcd_new(struct ev_loop *loop, const char *endpoints,
		      const char **why);
/* TLS files (PEM) and etcd's user; NULL fields are not used. */
struct etcd_auth {
	const char *cacert; /* the CA that signed etcd's certificates */
	const char *cert;   /* this client's certificate ... */
	const char *key;    /* ... and its key */
	const char *user;   /* etcd user (with password) */
	const char *password;
};

/* Use `a` (copied) for every request from now on: call it before the
 * first.  0 or -ENOMEM. */
int etcd_set_auth(struct etcd *e, const struct etcd_auth *a);

/* Cancel every request (no callbacks) and free the client. */
void etcd_free(struct etcd *e);

/* POST `body` (taken over, freed here) to `path`.  `timeout` in seconds
 * (0: none, for streams).  `line` non-NULL makes it a streaming request.
 * NULL when out of memory (no callback then). */
struct etcd_req *etcd_post(struct etcd *e, const char *path, json_t *body,
			   double timeout, etcd_done_cb done, etcd_line_cb line,
			   void *data);

/* Cancel `r` (its done callback is not called).  Also from its own
 * callbacks. */
void etcd_cancel(struct etcd_req *r);

/* The endpoint requests go to now. */
const char *etcd_endpoint(const struct etcd *e);

/* Requests not yet finished. */
size_t etcd_pending(const struct etcd *e);

#endif /* ENGINE_CLUSTER_ETCD_H */

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etcd-int.h - the etcd client's insides, shared by etcd.c (requests over
 * libcurl multi on libev) and etcd-auth.c (TLS options, the auth token,
 * and the sentences that say why a request failed).  Not used outside
 * these two files.
 */
#ifndef ENGINE_CLUSTER_ETCD_INT_H
#define ENGINE_CLUSTER_ETCD_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "cluster/etcd.h"

#define CONNECT_TIMEOUT_MS 1000L
#define AUTH_TIMEOUT 5.0 /* s, the authenticate call */

struct sock {
	ev_io io;
	struct etcd *e;
	struct sock *next, *prev;
};

struct etcd_req {
	struct etcd *e;
	CURL *h;
	struct curl_slist *hdrs; /* this try's headers (the token) */
	char *path;
	char *body;
	double timeout;
	char *buf; /* response bytes not yet handed out */
	size_t len, cap;
	size_t tries; /* endpoints tried */
	size_t ep;    /* the endpoint of this try */
	etcd_done_cb done;
	etcd_line_cb line;
	void *data;
	struct etcd_req *next, *prev;
	char err[CURL_ERROR_SIZE];
	unsigned gen;  /* the token generation this try carries */
	int refused;   /* a stream refused at creation: 0, or -EACCES, or
			* -EAGAIN (the token was not valid) */
	bool is_auth;  /* the authenticate call itself: no token */
	bool waiting;  /* not sent: waits for a token */
	bool flush;    /* waiting when the authenticate call ended */
	bool reauthed; /* was refused its token once and sent again */
	bool streamed; /* a line was handed out */
	bool dead;     /* cancelled: freed once no callback runs */
	int busy;      /* callbacks of it running */
};

struct etcd {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;
	char **eps;
	size_t neps, cur;
	struct etcd_req *reqs;
	struct sock *socks;
	size_t npending;
	bool curl; /* holds a reference on libcurl */
	char why[CURL_ERROR_SIZE + 512];

	/* TLS and authentication (etcd-auth.c) */
	char *cacert, *cert, *key, *user, *password;
	char *token;               /* NULL: none yet (or auth is off) */
	unsigned gen;              /* bumped with each new token */
	struct etcd_req *auth_req; /* the authenticate call in flight */
	ev_timer renew;            /* a new token before this one expires */
	bool auth_off;             /* etcd said authentication is off */
};

/* etcd.c */
struct etcd_req *etcd_req_new(struct etcd *e, const char *path, json_t *body,
			      double timeout, etcd_done_cb done,
			      etcd_line_cb line, void *data);
/* Send `r` to the current endpoint (or make it wait for a token). */
int etcd_req_send(struct etcd_req *r);
/* End `r` with `err` and `why`: its done callback, then freed. */
void etcd_req_end(struct etcd_req *r, int err, const char *why);

/* etcd-auth.c */
/* Whether `r` must wait for a token (then it is marked waiting, and the
 * authenticate call is under way). */
bool etcd_auth_wait(struct etcd_req *r);
/* The header list of a try of `r` (with the token, when there is one),
 * and the TLS options on `h`. */
struct curl_slist *etcd_auth_setup(struct etcd_req *r, CURL *h);
/* etcd said the token `r` carried is not valid (`msg`): true when `r` was
 * made to wait for a new one (once per request). */
bool etcd_auth_retry(struct etcd_req *r, const char *msg);
/* A stream's first line: 0 to hand it out, else the refusal it says
 * (-EAGAIN: the token; -EACCES: permission), with e->why set. */
int etcd_stream_refused(struct etcd_req *r, const json_t *msg);
/* Set e->why for a try that failed in libcurl; true when it is TLS
 * refusing (a certificate), not the endpoint being away. */
bool etcd_why_curl(struct etcd_req *r, CURLcode rc);
/* Set e->why for an answer that is not 200; its error code (-EACCES for a
 * refusal: authentication, permission; else -EPROTO). */
int etcd_why_answer(struct etcd_req *r, long status);
void etcd_auth_free(struct etcd *e);

#endif /* ENGINE_CLUSTER_ETCD_INT_H */

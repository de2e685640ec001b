/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etcd-auth.c - TLS and etcd's authentication for the etcd client (see
 * etcd.h), and the sentences that say why a request failed.
 *
 * With a user, a request made while there is no token waits: one
 * authenticate call (POST /v3/auth/authenticate {"name", "password"} ->
 * {"token"}) is made, and when it ends every request waiting then is sent
 * with the token in its Authorization header, or ended with the refusal.
 * etcd's "simple" tokens expire after --auth-token-ttl seconds without
 * use, and are lost when a member restarts: a request answered "invalid
 * auth token" drops the token it carried (unless a newer one came
 * meanwhile) and waits for a new one, once.  A JWT token says when it
 * expires: a new one is asked for ahead of that.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/codec.h"
#include "cluster/etcd-int.h"
#include "util/curl.h"
#include "util/log.h"

static void renew_start(struct etcd *e);

/* The key a request names (the first of a transaction), decoded into
 * buf; "" when none. */
static const char *req_key(const struct etcd_req *r, char *buf, size_t size)
{
	json_t *j = json_loads(r->body, 0, NULL), *op;
	const json_t *k = json_object_get(j, "key");
	char *key = NULL;
	size_t len;

	op = json_array_get(json_object_get(j, "success"), 0);
	if (!k && op) {
		k = json_object_get(json_object_get(op, "request_put"), "key");
		if (!k)
			k = json_object_get(
				json_object_get(op, "request_delete_range"),
				"key");
	}
	buf[0] = '\0';
	if (json_is_string(k) &&
	    codec_b64_decode(json_string_value(k), &key, &len) == 0)
		snprintf(buf, size, "%.*s", (int)strcspn(key, "\n"), key);
	free(key);
	json_decref(j);
	return buf;
}

/* The "message" of an error answer, or its text. */
static const char *answer_msg(struct etcd_req *r, json_t **j)
{
	const json_t *m;

	*j = json_loadb(r->buf ? r->buf : "", r->len, 0, NULL);
	m = json_object_get(*j, "message");
	if (!json_is_string(m))
		m = json_object_get(*j, "error");
	if (json_is_string(m))
		return json_string_value(m);
	return r->len ? r->buf : "no answer";
}

int etcd_why_answer(struct etcd_req *r, long status)
{
	struct etcd *e = r->e;
	const char *ep = e->eps[r->ep];
	json_t *j;
	const char *msg = answer_msg(r, &j);
	int err = status == 401 || status == 403 ? -EACCES : -EPROTO;

	if (strstr(msg, "user name is empty")) {
		snprintf(e->why, sizeof(e->why),
			 "%s: etcd wants a user (%s): give --etcd-user and "
			 "--etcd-password-file",
			 ep, msg);
		err = -EACCES;
	} else if (strstr(msg, "authentication failed")) {
		snprintf(e->why, sizeof(e->why),
			 "%s: etcd refused user '%s' (%s): check --etcd-user "
			 "and --etcd-password-file",
			 ep, e->user ? e->user : "", msg);
		err = -EACCES;
	} else if (strstr(msg, "CommonName")) {
		snprintf(e->why, sizeof(e->why),
			 "%s: etcd's gateway refuses client certificates with "
			 "a Common Name (%.*s): make --etcd-cert without one",
			 ep, (int)strcspn(msg, "\n"), msg);
		err = -EACCES;
	} else if (status == 403) {
		char key[256];

		snprintf(e->why, sizeof(e->why),
			 "%s: %s on %s (%s): grant user '%s' a role with "
			 "readwrite on /mgmt-engine/",
			 ep, msg, req_key(r, key, sizeof(key)), r->path,
			 e->user ? e->user : "");
	} else {
		snprintf(e->why, sizeof(e->why), "%s: HTTP %ld: %.200s", ep,
			 status, msg);
	}
	json_decref(j);
	return err;
}

bool etcd_why_curl(struct etcd_req *r, CURLcode rc)
{
	struct etcd *e = r->e;
	const char *ep = e->eps[r->ep];
	const char *msg = r->err[0] ? r->err : curl_fn.easy_strerror(rc);
	bool https = strncmp(ep, "https://", 8) == 0;

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(e->why, sizeof(e->why),
			 "%s: etcd's certificate is not trusted (%s): give "
			 "--etcd-cacert the CA that signed it",
			 ep, msg);
		return true;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(e->why, sizeof(e->why),
			 "%s: cannot use --etcd-cacert %s (%s): give a PEM "
			 "file of CA certificates",
			 ep, e->cacert ? e->cacert : "", msg);
		return true;
	case CURLE_SSL_CERTPROBLEM:
		snprintf(e->why, sizeof(e->why),
			 "%s: cannot use this client's certificate (%s): "
			 "check --etcd-cert and --etcd-key (PEM, a matching "
			 "pair)",
			 ep, msg);
		return true;
	default:
		break;
	}
	if (https && (strstr(msg, "alert") || rc == CURLE_SSL_CONNECT_ERROR)) {
		snprintf(e->why, sizeof(e->why),
			 "%s: etcd refused this client's certificate (%s): "
			 "give --etcd-cert and --etcd-key signed by a CA etcd "
			 "trusts",
			 ep, msg);
		return true;
	}
	/* With TLS 1.3 a refused client certificate may also show as the
	 * connection closing before the answer. */
	if (https && r->len == 0 &&
	    (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR)) {
		snprintf(e->why, sizeof(e->why),
			 "%s: %s (etcd may have refused this client's "
			 "certificate: give --etcd-cert and --etcd-key signed "
			 "by a CA etcd trusts)",
			 ep, msg);
		return false;
	}
	snprintf(e->why, sizeof(e->why), "%s: %s", ep, msg);
	return false;
}

int etcd_stream_refused(struct etcd_req *r, const json_t *msg)
{
	struct etcd *e = r->e;
	const json_t *res = json_object_get(msg, "result");
	const json_t *reason = json_object_get(res, "cancel_reason");
	const char *why, *desc;

	if (!json_is_true(json_object_get(res, "canceled")) ||
	    !json_is_string(reason))
		return 0;
	why = json_string_value(reason);
	desc = strstr(why, "desc = ") ? strstr(why, "desc = ") + 7 : why;
	if (strstr(why, "PermissionDenied")) {
		char key[256];

		snprintf(e->why, sizeof(e->why),
			 "%s: %s on %s (%s): grant user '%s' a role with read "
			 "on /mgmt-engine/",
			 e->eps[r->ep], desc, req_key(r, key, sizeof(key)),
			 r->path, e->user ? e->user : "");
		return -EACCES;
	}
	snprintf(e->why, sizeof(e->why), "%s: %s", e->eps[r->ep], desc);
	if (strstr(why, "Unauthenticated"))
		return -EAGAIN;
	if (strstr(why, "user name is empty")) {
		snprintf(e->why, sizeof(e->why),
			 "%s: etcd wants a user (%s): give --etcd-user and "
			 "--etcd-password-file",
			 e->eps[r->ep], desc);
		return -EACCES;
	}
	return 0;
}

struct curl_slist *etcd_auth_setup(struct etcd_req *r, CURL *h)
{
	struct etcd *e = r->e;
	struct curl_slist *l, *n;
	char *hdr = NULL;

	l = curl_fn.slist_append(NULL, "Content-Type: application/json");
	/* no "Expect: 100-continue" round trip for bigger bodies */
	n = l ? curl_fn.slist_append(l, "Expect:") : NULL;
	/* A member without a leader (in an election, or cut off from the
	 * others) refuses at once, so the request goes to the next one
	 * (gRPC metadata hasleader, as etcd's own client sends). */
	n = n ? curl_fn.slist_append(n, "Grpc-Metadata-hasleader: true") : NULL;
	if (n && e->token && !r->is_auth) {
		if (asprintf(&hdr, "Authorization: %s", e->token) < 0)
			hdr = NULL;
		n = hdr ? curl_fn.slist_append(n, hdr) : NULL;
		free(hdr);
	}
	if (!n) {
		if (l)
			curl_fn.slist_free_all(l);
		return NULL;
	}
	r->gen = e->gen;
	if (e->cacert)
		curl_fn.easy_setopt(h, CURLOPT_CAINFO, e->cacert);
	if (e->cert)
		curl_fn.easy_setopt(h, CURLOPT_SSLCERT, e->cert);
	if (e->key)
		curl_fn.easy_setopt(h, CURLOPT_SSLKEY, e->key);
	return n;
}

/* Send (or end with `err`) every request that waited for the authenticate
 * call that just ended.  Callbacks may start and cancel requests: new
 * ones are not flushed, and the list is walked again after each. */
static void flush(struct etcd *e, int err, const char *why)
{
	struct etcd_req *r;

	for (r = e->reqs; r; r = r->next)
		if (r->waiting)
			r->flush = true;
	for (;;) {
		for (r = e->reqs; r && !(r->flush && !r->dead); r = r->next)
			;
		if (!r)
			return;
		r->flush = false;
		r->waiting = false;
		if (!err && etcd_req_send(r) == 0)
			continue;
		etcd_req_end(r, err ? err : -ENOMEM,
			     why ? why : "out of memory");
	}
}

/* When a JWT token expires (its payload's "exp", unix seconds), or 0. */
static double jwt_exp(const char *tok)
{
	const char *p = strchr(tok, '.'), *q = p ? strchr(p + 1, '.') : NULL;
	char *b64, *raw = NULL;
	size_t n, len;
	json_t *j;
	double exp = 0;

	if (!q)
		return 0;
	n = (size_t)(q - p - 1);
	b64 = malloc(n + 4);
	if (!b64)
		return 0;
	for (size_t i = 0; i < n; i++) /* base64url to base64 */
		b64[i] = p[1 + i] == '-' ? '+' :
			 p[1 + i] == '_' ? '/' :
					   p[1 + i];
	b64[n] = '\0';
	if (codec_b64_decode(b64, &raw, &len) == 0) {
		j = json_loadb(raw, len, 0, NULL);
		if (json_is_number(json_object_get(j, "exp")))
			exp = json_number_value(json_object_get(j, "exp"));
		json_decref(j);
	}
	free(raw);
	free(b64);
	return exp;
}

static void on_authenticate(struct etcd_req *r, int err, const char *why,
			    json_t *body, void *data)
{
	struct etcd *e = data;
	const json_t *tok = err ? NULL : json_object_get(body, "token");
	char msg[sizeof(e->why)];
	double exp;

	e->auth_req = NULL;
	if (err && why && strstr(why, "authentication is not enabled")) {
		log_info("etcd: authentication is not enabled on etcd; "
			 "--etcd-user is not used");
		e->auth_off = true;
		flush(e, 0, NULL);
		return;
	}
	if (!err && !json_is_string(tok)) {
		err = -EPROTO;
		why = "the answer to authenticate holds no token";
	}
	if (err) {
		snprintf(msg, sizeof(msg), "%s", why);
		flush(e, err == -EPROTO ? -EACCES : err, msg);
		return;
	}
	free(e->token);
	e->token = strdup(json_string_value(tok));
	e->gen++;
	log_debug("etcd: authenticated as %s", e->user);
	exp = jwt_exp(json_string_value(tok));
	if (exp > 0) {
		double left = exp - ev_time();

		/* ahead of expiry: at 4/5 of its life, at least 1 s */
		ev_timer_stop(e->loop, &e->renew);
		ev_timer_set(&e->renew, left > 5 ? left * 4 / 5 : 1, 0.);
		ev_timer_start(e->loop, &e->renew);
	}
	flush(e, e->token ? 0 : -ENOMEM, NULL);
}

static void renew_start(struct etcd *e)
{
	struct etcd_req *r;

	if (e->auth_req)
		return;
	r = etcd_req_new(e, "/v3/auth/authenticate",
			 json_pack("{s:s,s:s}", "name", e->user, "password",
				   e->password),
			 AUTH_TIMEOUT, on_authenticate, NULL, e);
	if (!r)
		return;
	r->is_auth = true;
	e->auth_req = r;
	if (etcd_req_send(r) < 0)
		etcd_cancel(r); /* the waiting requests wait for the next try */
}

static void on_renew(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct etcd *e = w->data;

	log_debug("etcd: the auth token expires soon: asking for a new one");
	renew_start(e);
}

bool etcd_auth_wait(struct etcd_req *r)
{
	struct etcd *e = r->e;

	if (!e->user || e->auth_off || r->is_auth || e->token)
		return false;
	r->waiting = true;
	renew_start(e);
	return true;
}

bool etcd_auth_retry(struct etcd_req *r, const char *msg)
{
	struct etcd *e = r->e;

	if (!e->user || e->auth_off || r->reauthed || r->is_auth)
		return false;
	r->reauthed = true;
	if (e->token && r->gen == e->gen) {
		log_info("etcd: the auth token of user %s is not valid any "
			 "more (%s); authenticating again",
			 e->user, msg);
		free(e->token);
		e->token = NULL;
	}
	r->tries = 0;
	if (etcd_req_send(r) < 0)
		return false;
	return true;
}

int etcd_set_auth(struct etcd *e, const struct etcd_auth *a)
{
	const char *const src[] = { a->cacert, a->cert, a->key, a->user,
				    a->password };
	char **dst[] = { &e->cacert, &e->cert, &e->key, &e->user,
			 &e->password };

	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		if (src[i] && !(*dst[i] = strdup(src[i])))
			return -ENOMEM;
	if (e->user && !e->password)
		return -EINVAL;
	ev_init(&e->renew, on_renew);
	e->renew.data = e;
	return 0;
}

void etcd_auth_free(struct etcd *e)
{
	ev_timer_stop(e->loop, &e->renew);
	if (e->password)
		explicit_bzero(e->password, strlen(e->password));
	free(e->cacert);
	free(e->cert);
	free(e->key);
	free(e->user);
	free(e->password);
	free(e->token);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cluster.c - the cluster's conversation with etcd (see cluster.h).
 *
 * Two lanes, each with at most one request in flight and its own backoff:
 * lane A holds the lease (granted when there is something to export, kept
 * alive every TTL/3, granted again when etcd says it expired) and makes
 * the published exports equal to the wanted ones, in transactions of up
 * to TXN_MAX operations; lane B reads the exported prefix once and then
 * follows it with a watch from the next revision, re-created from the last
 * revision seen whenever it breaks, so no change is missed.  The link
 * state (up, down) is logged when it changes, never per retry.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/internal.h"
#include "cluster/codec.h"
#include "util/log.h"
#include "run/sched.h"

#define TXN_MAX 100       /* etcd refuses more than 128 by default */
#define BACKOFF_FIRST 0.1 /* s */
#define BACKOFF_MAX 2.0   /* s */
#define REQ_TIMEOUT 5.0   /* s, unary requests */
#define STOP_TIMEOUT 2.0  /* s, the revoke at a clean stop */

void cluster_kv_free(struct kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].val);
	}
	free(v);
}

static void link_up(struct cluster *c)
{
	if (c->link == LINK_UP)
		return;
	log_info("etcd: %s %s",
		 c->link == LINK_UNKNOWN ? "connected to" :
					   "connection is back, through",
		 etcd_endpoint(c->e));
	c->link = LINK_UP;
}

static void link_down(struct cluster *c, const char *why)
{
	if (c->link == LINK_DOWN)
		return;
	log_warn("etcd: %s (%s); the local graph runs on, retrying",
		 c->link == LINK_UNKNOWN ? "cannot reach any endpoint" :
					   "connection lost",
		 why);
	c->link = LINK_DOWN;
	cluster_settle(c);
}

/* A failed request: the link is down when no endpoint answered. */
static void failed(struct cluster *c, const char *what, int err,
		   const char *why)
{
	if (err == -EHOSTUNREACH)
		link_down(c, why);
	else
		log_warn("etcd: %s: %s", what, why);
}

static void backoff(struct cluster *c, ev_timer *t, double *b)
{
	ev_timer_set(t, *b, 0.);
	ev_timer_start(c->loop, t);
	*b = *b * 2 > BACKOFF_MAX ? BACKOFF_MAX : *b * 2;
}

/* The "error" an answer may carry instead of a result. */
static const char *answer_error(const json_t *body)
{
	const json_t *err = json_object_get(body, "error");

	if (!err)
		return NULL;
	if (json_is_string(err))
		return json_string_value(err);
	err = json_object_get(err, "message");
	return json_is_string(err) ? json_string_value(err) : "error";
}

static json_t *b64_json(const char *s, size_t len)
{
	char *b = codec_b64_encode(s, len);
	json_t *v = b ? json_string(b) : NULL;

	free(b);
	return v;
}

static json_t *i64_json(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

void cluster_settle(struct cluster *c)
{
	bool exported = c->npub == c->nwant && !c->txn_req && !c->lease_req;

	if (c->settled)
		return;
	for (size_t i = 0; exported && i < c->nwant; i++)
		exported = strcmp(c->want[i].key, c->pub[i].key) == 0 &&
			   strcmp(c->want[i].val, c->pub[i].val) == 0;
	/* Collecting hosts also wait to see their own exports come back. */
	if (c->link == LINK_DOWN ||
	    (exported &&
	     (!c->collecting || (c->synced && c->rev >= c->pub_rev)))) {
		c->settled = true;
		sched_poke();
	}
}

/* ---- lane A: lease and exports ---- */

static void lease_lost(struct cluster *c)
{
	c->lease = 0;
	cluster_kv_free(c->pub, c->npub);
	c->pub = NULL;
	c->npub = 0;
	ev_timer_stop(c->loop, &c->ka_timer);
}

static void on_grant(struct etcd_req *r, int err, const char *why, json_t *body,
		     void *data)
{
	struct cluster *c = data;
	const char *e = err ? NULL : answer_error(body);
	int64_t id = 0;

	c->lease_req = NULL;
	if (!err && !e && (codec_get_i64(body, "ID", &id) < 0 || id == 0))
		e = "no lease ID in the answer";
	if (err || e) {
		failed(c, "lease grant", err ? err : -EPROTO, err ? why : e);
		backoff(c, &c->a_timer, &c->a_backoff);
		return;
	}
	link_up(c);
	c->lease = id;
	log_debug("etcd: lease %" PRIx64 " granted (TTL %ld s)", (uint64_t)id,
		  c->ttl);
	ev_timer_set(&c->ka_timer, (double)c->ttl / 3., (double)c->ttl / 3.);
	ev_timer_start(c->loop, &c->ka_timer);
	cluster_lane_a(c);
}

static void on_txn(struct etcd_req *r, int err, const char *why, json_t *body,
		   void *data)
{
	struct cluster *c = data;
	const char *e = err ? NULL : answer_error(body);

	c->txn_req = NULL;
	if (err || e) {
		cluster_kv_free(c->sent, c->nsent);
		c->sent = NULL;
		c->nsent = 0;
		failed(c, "export", err ? err : -EPROTO, err ? why : e);
		/* An answer, not a dead link: most likely the lease expired
		 * while etcd was away.  Export again under a new one. */
		if (err != -EHOSTUNREACH)
			lease_lost(c);
		backoff(c, &c->a_timer, &c->a_backoff);
		return;
	}
	link_up(c);
	c->a_backoff = BACKOFF_FIRST;
	codec_get_i64(json_object_get(body, "header"), "revision", &c->pub_rev);
	cluster_kv_free(c->pub, c->npub);
	c->pub = c->sent;
	c->npub = c->nsent;
	c->sent = NULL;
	c->nsent = 0;
	cluster_lane_a(c);
	cluster_settle(c);
}

static json_t *op_put(const struct kv *k, int64_t lease)
{
	json_t *put = json_object();

	json_object_set_new(put, "key", b64_json(k->key, strlen(k->key)));
	json_object_set_new(put, "value", b64_json(k->val, strlen(k->val)));
	json_object_set_new(put, "lease", i64_json(lease));
	return json_pack("{s:o}", "request_put", put);
}

static json_t *op_delete(const struct kv *k)
{
	return json_pack("{s:{s:o}}", "request_delete_range", "key",
			 b64_json(k->key, strlen(k->key)));
}

static int add_kv(struct kv **v, size_t *n, const struct kv *k)
{
	struct kv *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].key = strdup(k->key);
	nv[*n].val = strdup(k->val);
	(*n)++;
	return nv[*n - 1].key && nv[*n - 1].val ? 0 : -ENOMEM;
}

/* The operations that move pub towards want (at most TXN_MAX), and in
 * c->sent what pub becomes once they succeed.  Returns the number of
 * operations, or -ENOMEM. */
static int diff(struct cluster *c, json_t *ops)
{
	size_t i = 0, j = 0;
	int n = 0, rc = 0;

	while (rc == 0 && (i < c->nwant || j < c->npub)) {
		int cmp = i == c->nwant ? 1 :
			  j == c->npub  ? -1 :
					  strcmp(c->want[i].key, c->pub[j].key);

		if (cmp == 0 && strcmp(c->want[i].val, c->pub[j].val) == 0) {
			rc = add_kv(&c->sent, &c->nsent, &c->want[i]);
			i++, j++;
		} else if (cmp <= 0) { /* new or changed */
			if (n < TXN_MAX) {
				rc = json_array_append_new(
					ops, op_put(&c->want[i], c->lease));
				rc = rc ? -ENOMEM :
					  add_kv(&c->sent, &c->nsent,
						 &c->want[i]);
				n++;
			} else if (cmp == 0) {
				rc = add_kv(&c->sent, &c->nsent, &c->pub[j]);
			}
			i++;
			j += cmp == 0;
		} else { /* withdrawn */
			if (n < TXN_MAX) {
				rc = json_array_append_new(
					ops, op_delete(&c->pub[j]));
				rc = rc ? -ENOMEM : 0;
				n++;
			} else {
				rc = add_kv(&c->sent, &c->nsent, &c->pub[j]);
			}
			j++;
		}
	}
	return rc < 0 ? rc : n;
}

void cluster_lane_a(struct cluster *c)
{
	json_t *ops;
	int n;

	if (c->stopping || c->lease_req || c->txn_req ||
	    ev_is_active(&c->a_timer))
		return;
	if (!c->lease && c->nwant == 0 && c->npub == 0)
		return; /* nothing to export: no lease needed */
	if (!c->lease) {
		c->lease_req =
			etcd_post(c->e, "/v3/lease/grant",
				  json_pack("{s:o}", "TTL", i64_json(c->ttl)),
				  REQ_TIMEOUT, on_grant, NULL, c);
		if (!c->lease_req)
			log_error("etcd: out of memory");
		return;
	}
	ops = json_array();
	n = ops ? diff(c, ops) : -ENOMEM;
	if (n <= 0) {
		json_decref(ops);
		cluster_kv_free(c->sent, c->nsent);
		c->sent = NULL;
		c->nsent = 0;
		if (n < 0)
			log_error("etcd: out of memory");
		return;
	}
	log_debug("etcd: publishing %d change(s) of this host's exports", n);
	c->txn_req = etcd_post(c->e, "/v3/kv/txn",
			       json_pack("{s:o}", "success", ops), REQ_TIMEOUT,
			       on_txn, NULL, c);
	if (!c->txn_req)
		log_error("etcd: out of memory");
}

static void on_keepalive(struct etcd_req *r, int err, const char *why,
			 json_t *body, void *data)
{
	struct cluster *c = data;
	const json_t *res = err ? NULL : json_object_get(body, "result");
	int64_t ttl = 0;

	c->ka_req = NULL;
	if (err) {
		failed(c, "lease keepalive", err, why);
		return;
	}
	link_up(c);
	if (!res || codec_get_i64(res, "TTL", &ttl) < 0 || ttl <= 0) {
		log_info("etcd: the lease expired; exporting again under a "
			 "new one");
		lease_lost(c);
		cluster_lane_a(c);
	}
}

static void on_ka_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cluster *c = w->data;

	if (!c->lease || c->ka_req || c->stopping)
		return;
	c->ka_req = etcd_post(c->e, "/v3/lease/keepalive",
			      json_pack("{s:o}", "ID", i64_json(c->lease)),
			      (double)c->ttl / 3., on_keepalive, NULL, c);
}

static void on_a_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	cluster_lane_a(w->data);
}

/* ---- lane B: read the prefix, then watch it ---- */

static json_t *prefix_range(void)
{
	const char *p = CODEC_EXPORT_PREFIX;
	size_t elen;
	char *end = codec_range_end(p, strlen(p), &elen);
	json_t *o = end ? json_pack("{s:o,s:o}", "key", b64_json(p, strlen(p)),
				    "range_end", b64_json(end, elen)) :
			  NULL;

	free(end);
	return o;
}

/* A kv of a range or watch answer into the cache; true when a collected
 * kind changed. */
static bool take_kv(struct cluster *c, const json_t *kv, bool deleted)
{
	char *key = NULL, *val = NULL;
	size_t klen, vlen;
	int64_t mod = 0;
	bool changed = false;

	if (codec_get_b64(kv, "key", &key, &klen) < 0 || !key ||
	    (!deleted && codec_get_b64(kv, "value", &val, &vlen) < 0)) {
		log_warn("etcd: an answer holds a key or value that is not "
			 "base64; skipped");
		free(key);
		return false;
	}
	if (codec_get_i64(kv, "mod_revision", &mod) == 0 && mod > c->rev)
		c->rev = mod;
	if (deleted) {
		free(val);
		val = NULL;
	} else if (!val) { /* an empty value is omitted */
		val = strdup("");
		vlen = 0;
	}
	changed = cluster_entry_set(c, key, klen, val, vlen);
	free(key);
	return changed;
}

static void on_range(struct etcd_req *r, int err, const char *why, json_t *body,
		     void *data)
{
	struct cluster *c = data;
	const char *e = err ? NULL : answer_error(body);
	const json_t *kvs, *kv;
	bool changed = false;
	int64_t rev = 0;
	size_t i;

	c->range_req = NULL;
	if (err || e) {
		failed(c, "reading exported resources", err ? err : -EPROTO,
		       err ? why : e);
		backoff(c, &c->b_timer, &c->b_backoff);
		return;
	}
	link_up(c);
	codec_get_i64(json_object_get(body, "header"), "revision", &rev);
	for (i = 0; i < c->nents; i++)
		c->ents[i]->seen = false;
	kvs = json_object_get(body, "kvs");
	json_array_foreach(kvs, i, kv) changed |= take_kv(c, kv, false);
	/* What went away while we did not watch. */
	for (i = 0; i < c->nents; i++)
		if (!c->ents[i]->seen && c->ents[i]->value)
			changed |= cluster_entry_set(c, c->ents[i]->key,
						     strlen(c->ents[i]->key),
						     NULL, 0);
	c->rev = rev;
	c->synced = true;
	if (changed)
		sched_reload();
	cluster_lane_b(c);
	cluster_settle(c);
}

static void on_watch_line(struct etcd_req *r, json_t *msg, void *data)
{
	struct cluster *c = data;
	const json_t *res = json_object_get(msg, "result"), *evs, *ev;
	int64_t compact = 0;
	bool changed = false;
	size_t i;

	if (!res) {
		log_warn("etcd: watch: %s",
			 msg && answer_error(msg) ?
				 answer_error(msg) :
				 "an answer that is not JSON");
		return;
	}
	codec_get_i64(res, "compact_revision", &compact);
	if (compact > 0 || json_is_true(json_object_get(res, "canceled"))) {
		log_warn("etcd: watch cancelled (history compacted at "
			 "revision %" PRId64 "); reading everything again",
			 compact);
		etcd_cancel(r);
		c->watch_req = NULL;
		c->synced = false;
		cluster_lane_b(c);
		return;
	}
	if (json_is_true(json_object_get(res, "created"))) {
		link_up(c);
		c->b_backoff = BACKOFF_FIRST;
	}
	evs = json_object_get(res, "events");
	json_array_foreach(evs, i, ev)
	{
		const json_t *type = json_object_get(ev, "type");

		changed |= take_kv(c, json_object_get(ev, "kv"),
				   json_is_string(type) &&
					   strcmp(json_string_value(type),
						  "DELETE") == 0);
	}
	if (changed)
		sched_reload();
	cluster_settle(c);
}

static void on_watch_end(struct etcd_req *r, int err, const char *why,
			 json_t *body, void *data)
{
	struct cluster *c = data;

	c->watch_req = NULL;
	if (err)
		failed(c, "watch", err, why);
	else
		log_debug("etcd: the watch stream ended; watching again from "
			  "revision %" PRId64,
			  c->rev + 1);
	backoff(c, &c->b_timer, &c->b_backoff);
}

void cluster_lane_b(struct cluster *c)
{
	json_t *req;

	if (c->stopping || !c->collecting || c->range_req || c->watch_req ||
	    ev_is_active(&c->b_timer))
		return;
	req = prefix_range();
	if (!req) {
		log_error("etcd: out of memory");
		return;
	}
	if (!c->synced) {
		c->range_req = etcd_post(c->e, "/v3/kv/range", req, REQ_TIMEOUT,
					 on_range, NULL, c);
		return;
	}
	json_object_set_new(req, "start_revision", i64_json(c->rev + 1));
	c->watch_req = etcd_post(c->e, "/v3/watch",
				 json_pack("{s:o}", "create_request", req), 0,
				 on_watch_end, on_watch_line, c);
}

static void on_b_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	cluster_lane_b(w->data);
}

/* ---- life ---- */

int cluster_new(const struct cluster_opts *o, struct ev_loop *loop,
		struct cluster **out)
{
	struct cluster *c = calloc(1, sizeof(*c));
	const char *why;

	*out = NULL;
	if (!c || !(c->host = strdup(o->hostname))) {
		free(c);
		return -ENOMEM;
	}
	c->loop = loop;
	c->ttl = o->ttl;
	c->noop = o->noop;
	c->reg = o->registry;
	c->a_backoff = c->b_backoff = BACKOFF_FIRST;
	c->e = etcd_new(loop, o->endpoints, &why);
	if (!c->e) {
		log_error("--etcd %s: %s", o->endpoints, why);
		free(c->host);
		free(c);
		return -EINVAL;
	}
	ev_init(&c->ka_timer, on_ka_timer);
	ev_init(&c->a_timer, on_a_timer);
	ev_init(&c->b_timer, on_b_timer);
	c->ka_timer.data = c->a_timer.data = c->b_timer.data = c;
	log_info("etcd: host %s, endpoints %s, lease TTL %ld s", c->host,
		 o->endpoints, c->ttl);
	*out = c;
	return 0;
}

bool cluster_busy(void *ctx)
{
	return !((struct cluster *)ctx)->settled;
}

static void on_revoke(struct etcd_req *r, int err, const char *why,
		      json_t *body, void *data)
{
	struct cluster *c = data;

	c->lease_req = NULL;
	if (err)
		log_warn("etcd: cannot revoke the lease (%s): this host's "
			 "exports go when it expires",
			 why);
	else
		log_info("etcd: lease revoked: this host's exports are "
			 "withdrawn");
	c->lease = 0;
}

void cluster_stop(struct cluster *c)
{
	struct etcd_req **reqs[] = { &c->lease_req, &c->txn_req, &c->ka_req,
				     &c->range_req, &c->watch_req };

	c->stopping = true;
	ev_timer_stop(c->loop, &c->ka_timer);
	ev_timer_stop(c->loop, &c->a_timer);
	ev_timer_stop(c->loop, &c->b_timer);
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (*reqs[i]) {
			etcd_cancel(*reqs[i]);
			*reqs[i] = NULL;
		}
	if (!c->lease)
		return;
	c->lease_req = etcd_post(c->e, "/v3/lease/revoke",
				 json_pack("{s:o}", "ID", i64_json(c->lease)),
				 STOP_TIMEOUT, on_revoke, NULL, c);
	while (c->lease_req)
		ev_run(c->loop, EVRUN_ONCE);
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	etcd_free(c->e);
	ev_timer_stop(c->loop, &c->ka_timer);
	ev_timer_stop(c->loop, &c->a_timer);
	ev_timer_stop(c->loop, &c->b_timer);
	cluster_kv_free(c->want, c->nwant);
	cluster_kv_free(c->pub, c->npub);
	cluster_kv_free(c->sent, c->nsent);
	cluster_entries_free(c);
	for (size_t i = 0; i < c->nkinds; i++)
		free(c->kinds[i]);
	free(c->kinds);
	free(c->host);
	free(c);
}

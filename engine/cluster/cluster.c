/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cluster.c - the cluster's conversation with etcd (see cluster.h).
 *
 * Four lanes, each with at most one request in flight and its own
 * backoff: lane A holds the lease (granted once there is this host's state
 * to publish, kept alive every TTL/3, granted again when etcd says it
 * expired) and makes the published exports equal to the wanted ones, and
 * the state key equal to this host's newest state, in transactions of up
 * to TXN_MAX operations; the state is put only when it changed, at most
 * once per STATE_GAP, so a scheduler telling it often costs nothing more.
 * Lane B follows the exported prefix, lane H the hosts' states and lane K
 * the key-value space, once a plugin asks for it (follow.c, kv.c): read once, then watched from the next revision, re-created
 * from the last revision seen whenever it breaks, so no change is missed.
 * The link state (up, down) is logged when it changes, never per retry.
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
#include "run/stats.h"

#define TXN_MAX 100      /* etcd refuses more than 128 by default */
#define STOP_TIMEOUT 2.0 /* s, the revoke at a clean stop */
#define STATE_GAP 0.25   /* s, at least between two puts of the state */

void cluster_kv_free(struct kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].val);
	}
	free(v);
}

void cluster_link_up(struct cluster *c)
{
	atomic_store(&stats.etcd, 1); /* metrics */
	if (c->link == LINK_UP)
		return;
	log_info("etcd: %s %s",
		 c->link == LINK_UNKNOWN ? "connected to" :
					   "connection is back, through",
		 etcd_endpoint(c->e));
	if (c->link == LINK_DOWN) { /* a refusal is told again after this */
		free(c->refusal);
		c->refusal = NULL;
	}
	c->link = LINK_UP;
}

static void link_down(struct cluster *c, const char *why)
{
	atomic_store(&stats.etcd, 0);
	if (c->link == LINK_DOWN)
		return;
	log_warn("etcd: %s (%s); the local graph runs on, retrying",
		 c->link == LINK_UNKNOWN ? "cannot reach any endpoint" :
					   "connection lost",
		 why);
	c->link = LINK_DOWN;
	cluster_kv_link_down(c);
	cluster_settle(c);
}

/* etcd refused `what`: one line per refusal, not per retry; the local
 * graph runs on and counts as converged, as when etcd is away. */
static void refused(struct cluster *c, const char *what, const char *why)
{
	if (!c->refusal || strcmp(c->refusal, why) != 0) {
		log_warn("etcd: %s refused: %s; the local graph runs on, "
			 "retrying",
			 what, why);
		free(c->refusal);
		c->refusal = strdup(why);
	}
	c->refused = true;
	cluster_settle(c);
}

void cluster_failed(struct cluster *c, const char *what, int err,
		    const char *why)
{
	if (err == -EHOSTUNREACH)
		link_down(c, why);
	else if (err == -EACCES)
		refused(c, what, why);
	else
		log_warn("etcd: %s: %s", what, why);
}

void cluster_backoff(struct cluster *c, ev_timer *t, double *b)
{
	ev_timer_set(t, *b, 0.);
	ev_timer_start(c->loop, t);
	*b = *b * 2 > BACKOFF_MAX ? BACKOFF_MAX : *b * 2;
}

const char *cluster_answer_error(const json_t *body)
{
	const json_t *err = json_object_get(body, "error");

	if (!err)
		return NULL;
	if (json_is_string(err))
		return json_string_value(err);
	err = json_object_get(err, "message");
	return json_is_string(err) ? json_string_value(err) : "error";
}

json_t *cluster_b64_json(const char *s, size_t len)
{
	char *b = codec_b64_encode(s, len);
	json_t *v = b ? json_string(b) : NULL;

	free(b);
	return v;
}

json_t *cluster_i64_json(int64_t v)
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
	if (c->link == LINK_DOWN || c->refused ||
	    (exported &&
	     (!c->collecting || (c->exp.synced && c->exp.rev >= c->pub_rev)))) {
		c->settled = true;
		sched_poke();
	}
}

/* ---- lane A: lease, exports and this host's state ---- */

static void lease_lost(struct cluster *c)
{
	c->lease = 0;
	c->state_pub_ok = false; /* went with the lease */
	cluster_kv_free(c->pub, c->npub);
	c->pub = NULL;
	c->npub = 0;
	ev_timer_stop(c->loop, &c->ka_timer);
}

/* etcd says the lease is gone: its keepalive's TTL is 0, or an export
 * naming it was refused ("requested lease not found").  The same line
 * either way, whichever of the two learns it first. */
static void lease_expired(struct cluster *c)
{
	log_info("etcd: the lease expired; exporting again under a new one");
}

static void on_grant(struct etcd_req *r, int err, const char *why, json_t *body,
		     void *data)
{
	struct cluster *c = data;
	const char *e = err ? NULL : cluster_answer_error(body);
	int64_t id = 0;

	c->lease_req = NULL;
	if (!err && !e && (codec_get_i64(body, "ID", &id) < 0 || id == 0))
		e = "no lease ID in the answer";
	if (err || e) {
		cluster_failed(c, "lease grant", err ? err : -EPROTO,
			       err ? why : e);
		cluster_backoff(c, &c->a_timer, &c->a_backoff);
		return;
	}
	cluster_link_up(c);
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
	const char *e = err ? NULL : cluster_answer_error(body);

	c->txn_req = NULL;
	if (c->state_sending && !err && !e) {
		c->state_pub = c->state_sent;
		c->state_pub_ok = true;
	}
	c->state_sending = false;
	if (err || e) {
		cluster_kv_free(c->sent, c->nsent);
		c->sent = NULL;
		c->nsent = 0;
		if (e && strstr(e, "lease not found"))
			lease_expired(c); /* while etcd was away */
		else
			cluster_failed(c, "export", err ? err : -EPROTO,
				       err ? why : e);
		/* Any other answer, not a dead link: export again under a
		 * new lease too. */
		if (err != -EHOSTUNREACH && err != -EACCES)
			lease_lost(c);
		cluster_backoff(c, &c->a_timer, &c->a_backoff);
		return;
	}
	cluster_link_up(c);
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

	json_object_set_new(put, "key",
			    cluster_b64_json(k->key, strlen(k->key)));
	json_object_set_new(put, "value",
			    cluster_b64_json(k->val, strlen(k->val)));
	json_object_set_new(put, "lease", cluster_i64_json(lease));
	return json_pack("{s:o}", "request_put", put);
}

static json_t *op_delete(const struct kv *k)
{
	return json_pack("{s:{s:o}}", "request_delete_range", "key",
			 cluster_b64_json(k->key, strlen(k->key)));
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

/* The put of this host's state when it changed since it was published,
 * or NULL: also when the last put is younger than STATE_GAP (then a timer
 * comes back for it, and the newest state goes then). */
static json_t *state_op(struct cluster *c)
{
	double wait = c->state_last + STATE_GAP - ev_now(c->loop);
	struct kv k = { .key = c->state_key };
	json_t *op;

	if (!c->state_set ||
	    (c->state_pub_ok && codec_state_eq(&c->state, &c->state_pub)))
		return NULL;
	if (wait > 0) {
		if (!ev_is_active(&c->state_timer)) {
			ev_timer_set(&c->state_timer, wait, 0.);
			ev_timer_start(c->loop, &c->state_timer);
		}
		return NULL;
	}
	k.val = codec_state_json(c->host, &c->state, ev_time());
	op = k.val ? op_put(&k, c->lease) : NULL;
	free(k.val);
	if (!op) {
		log_error("etcd: out of memory writing this host's state");
		return NULL;
	}
	c->state_sent = c->state;
	c->state_sending = true;
	c->state_last = ev_now(c->loop);
	return op;
}

void cluster_lane_a(struct cluster *c)
{
	json_t *ops, *op;
	int n;

	if (c->stopping || c->lease_req || c->txn_req ||
	    ev_is_active(&c->a_timer))
		return;
	if (!c->lease && c->nwant == 0 && c->npub == 0 && !c->state_set)
		return; /* nothing to publish yet: no lease needed */
	if (!c->lease) {
		c->lease_req = etcd_post(c->e, "/v3/lease/grant",
					 json_pack("{s:o}", "TTL",
						   cluster_i64_json(c->ttl)),
					 REQ_TIMEOUT, on_grant, NULL, c);
		if (!c->lease_req)
			log_error("etcd: out of memory");
		return;
	}
	ops = json_array();
	n = ops ? diff(c, ops) : -ENOMEM;
	if (n >= 0 && n < TXN_MAX && (op = state_op(c))) {
		if (json_array_append_new(ops, op) < 0)
			n = -ENOMEM;
		else
			n++;
	}
	if (n <= 0) {
		json_decref(ops);
		cluster_kv_free(c->sent, c->nsent);
		c->sent = NULL;
		c->nsent = 0;
		if (n < 0)
			log_error("etcd: out of memory");
		return;
	}
	log_debug("etcd: publishing %d change(s) of this host's exports and "
		  "state",
		  n);
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
		cluster_failed(c, "lease keepalive", err, why);
		return;
	}
	cluster_link_up(c);
	if (!res || codec_get_i64(res, "TTL", &ttl) < 0 || ttl <= 0) {
		lease_expired(c);
		lease_lost(c);
		cluster_lane_a(c);
	}
}

static void on_ka_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cluster *c = w->data;

	if (!c->lease || c->ka_req || c->stopping)
		return;
	c->ka_req =
		etcd_post(c->e, "/v3/lease/keepalive",
			  json_pack("{s:o}", "ID", cluster_i64_json(c->lease)),
			  (double)c->ttl / 3., on_keepalive, NULL, c);
}

static void on_a_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	cluster_lane_a(w->data);
}

/* ---- lanes B and H ---- */

static bool exp_wanted(const struct cluster *c)
{
	return c->collecting;
}

static bool hosts_wanted(const struct cluster *c)
{
	return true;
}

void cluster_lane_b(struct cluster *c)
{
	cluster_follow(&c->exp);
	cluster_follow(&c->hosts_f);
	cluster_follow(&c->kv_f);
}

static void follow_init(struct cluster *c)
{
	static const struct follow_ops exp = {
		.prefix = CODEC_EXPORT_PREFIX,
		.what = "exported resources",
		.wanted = exp_wanted,
		.set = cluster_entry_set,
		.unsee = cluster_entries_unsee,
		.sweep = cluster_entries_sweep,
	};
	static const struct follow_ops hosts = {
		.prefix = CODEC_HOSTS_PREFIX,
		.what = "hosts' states",
		.wanted = hosts_wanted,
		.set = cluster_host_set,
		.unsee = cluster_hosts_unsee,
		.sweep = cluster_hosts_sweep,
	};

	cluster_follow_init(&c->exp, c, &exp);
	cluster_follow_init(&c->hosts_f, c, &hosts);
}

/* ---- life ---- */

static void on_state_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	cluster_lane_a(w->data);
}

int cluster_new(const struct cluster_opts *o, struct ev_loop *loop,
		struct cluster **out)
{
	struct cluster *c = calloc(1, sizeof(*c));
	const char *why;
	int err;

	*out = NULL;
	if (!c || hosts_cache_init(&c->hosts) < 0) {
		free(c);
		return -ENOMEM;
	}
	atomic_store(&stats.etcd, 0); /* metrics: down until it answers */
	if (!(c->host = strdup(o->hostname)) ||
	    asprintf(&c->state_key, "%s%s", CODEC_HOSTS_PREFIX, c->host) < 0) {
		c->state_key = NULL;
		cluster_free(c);
		return -ENOMEM;
	}
	c->loop = loop;
	c->ttl = o->ttl;
	c->noop = o->noop;
	c->reg = o->registry;
	c->a_backoff = BACKOFF_FIRST;
	if (cluster_trust_init(c, o) < 0) {
		cluster_free(c);
		return -EINVAL;
	}
	c->e = etcd_new(loop, o->endpoints, &why);
	if (!c->e) {
		log_error("--etcd %s: %s", o->endpoints, why);
		cluster_free(c);
		return -EINVAL;
	}
	if ((err = cluster_auth(o, c->e)) < 0) {
		cluster_free(c);
		return err;
	}
	ev_init(&c->ka_timer, on_ka_timer);
	ev_init(&c->a_timer, on_a_timer);
	ev_init(&c->state_timer, on_state_timer);
	c->ka_timer.data = c->a_timer.data = c->state_timer.data = c;
	follow_init(c);
	if (cluster_kv_init(c) < 0) {
		cluster_free(c);
		return -ENOMEM;
	}
	log_info("etcd: host %s, endpoints %s, lease TTL %ld s%s%s", c->host,
		 o->endpoints, c->ttl, o->user ? ", user " : "",
		 o->user ? o->user : "");
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
			 "exports and state go when it expires",
			 why);
	else
		log_info("etcd: lease revoked: this host's exports and state "
			 "are withdrawn");
	c->lease = 0;
}

static void timers_stop(struct cluster *c)
{
	ev_timer_stop(c->loop, &c->ka_timer);
	ev_timer_stop(c->loop, &c->a_timer);
	ev_timer_stop(c->loop, &c->state_timer);
}

void cluster_stop(struct cluster *c)
{
	struct etcd_req **reqs[] = { &c->lease_req, &c->txn_req, &c->ka_req };

	c->stopping = true;
	timers_stop(c);
	cluster_follow_stop(&c->exp);
	cluster_follow_stop(&c->hosts_f);
	cluster_kv_stop(c);
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (*reqs[i]) {
			etcd_cancel(*reqs[i]);
			*reqs[i] = NULL;
		}
	if (!c->lease)
		return;
	c->lease_req =
		etcd_post(c->e, "/v3/lease/revoke",
			  json_pack("{s:o}", "ID", cluster_i64_json(c->lease)),
			  STOP_TIMEOUT, on_revoke, NULL, c);
	while (c->lease_req)
		ev_run(c->loop, EVRUN_ONCE);
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	if (c->e) {
		etcd_free(c->e);
		timers_stop(c);
		ev_timer_stop(c->loop, &c->exp.timer);
		ev_timer_stop(c->loop, &c->hosts_f.timer);
	}
	cluster_kv_free(c->want, c->nwant);
	cluster_kv_free(c->pub, c->npub);
	cluster_kv_free(c->sent, c->nsent);
	cluster_entries_free(c);
	cluster_kv_fini(c);
	for (size_t i = 0; i < c->nkinds; i++)
		free(c->kinds[i]);
	free(c->kinds);
	hosts_cache_fini(&c->hosts);
	free(c->state_key);
	free(c->refusal);
	free(c->host);
	free(c);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * follow.c - a prefix read once, then followed by a watch (struct follow
 * in internal.h): lane B follows the exported resources, lane H the hosts'
 * states.  Two prefixes, two streams rather than one watch over
 * /mgmt-engine/: every host needs the hosts (a key each), only a
 * collecting host needs the exports, which may be many; and a broken or
 * compacted stream of one is resynced without reading the other again.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/internal.h"
#include "run/sched.h"
#include "util/log.h"

static json_t *prefix_range(const char *p)
{
	size_t elen;
	char *end = codec_range_end(p, strlen(p), &elen);
	json_t *o = end ? json_pack("{s:o,s:o}", "key",
				    cluster_b64_json(p, strlen(p)), "range_end",
				    cluster_b64_json(end, elen)) :
			  NULL;

	free(end);
	return o;
}

/* A kv of a range or watch answer taken; true when the graph must be
 * reloaded. */
static bool take_kv(struct follow *f, const json_t *kv, bool deleted)
{
	char *key = NULL, *val = NULL;
	size_t klen, vlen;
	int64_t mod = 0;
	bool changed = false;

	if (codec_get_b64(kv, "key", &key, &klen) < 0 || !key ||
	    (!deleted && codec_get_b64(kv, "value", &val, &vlen) < 0)) {
		log_warn("etcd: an answer about %s holds a key or value that "
			 "is not base64; skipped",
			 f->ops->what);
		free(key);
		return false;
	}
	if (codec_get_i64(kv, "mod_revision", &mod) == 0 && mod > f->rev)
		f->rev = mod;
	f->mod = mod;
	if (deleted) {
		free(val);
		val = NULL;
	} else if (!val) { /* an empty value is omitted */
		val = strdup("");
		vlen = 0;
	}
	changed = f->ops->set(f->c, key, klen, val, vlen);
	free(key);
	return changed;
}

static void on_range(struct etcd_req *r, int err, const char *why, json_t *body,
		     void *data)
{
	struct follow *f = data;
	struct cluster *c = f->c;
	const char *e = err ? NULL : cluster_answer_error(body);
	const json_t *kvs, *kv;
	bool changed = false;
	int64_t rev = 0;
	size_t i;
	char what[64];

	f->range_req = NULL;
	if (err || e) {
		snprintf(what, sizeof(what), "reading %s", f->ops->what);
		cluster_failed(c, what, err ? err : -EPROTO, err ? why : e);
		cluster_backoff(c, &f->timer, &f->backoff);
		return;
	}
	cluster_link_up(c);
	codec_get_i64(json_object_get(body, "header"), "revision", &rev);
	f->ops->unsee(c);
	kvs = json_object_get(body, "kvs");
	json_array_foreach(kvs, i, kv) changed |= take_kv(f, kv, false);
	/* What went away while we did not watch. */
	f->mod = rev;
	changed |= f->ops->sweep(c);
	f->rev = rev;
	f->synced = true;
	if (changed)
		sched_reload();
	cluster_follow(f);
	cluster_settle(c);
}

static void on_watch_line(struct etcd_req *r, json_t *msg, void *data)
{
	struct follow *f = data;
	const json_t *res = json_object_get(msg, "result"), *evs, *ev;
	int64_t compact = 0;
	bool changed = false;
	size_t i;

	if (!res) {
		log_warn("etcd: watch of %s: %s", f->ops->what,
			 msg && cluster_answer_error(msg) ?
				 cluster_answer_error(msg) :
				 "an answer that is not JSON");
		return;
	}
	codec_get_i64(res, "compact_revision", &compact);
	if (compact > 0 || json_is_true(json_object_get(res, "canceled"))) {
		log_warn("etcd: watch of %s cancelled (history compacted at "
			 "revision %" PRId64 "); reading them all again",
			 f->ops->what, compact);
		etcd_cancel(r);
		f->watch_req = NULL;
		f->synced = false;
		cluster_follow(f);
		return;
	}
	if (json_is_true(json_object_get(res, "created"))) {
		cluster_link_up(f->c);
		f->backoff = BACKOFF_FIRST;
	}
	evs = json_object_get(res, "events");
	json_array_foreach(evs, i, ev)
	{
		const json_t *type = json_object_get(ev, "type");

		changed |= take_kv(f, json_object_get(ev, "kv"),
				   json_is_string(type) &&
					   strcmp(json_string_value(type),
						  "DELETE") == 0);
	}
	if (changed)
		sched_reload();
	cluster_settle(f->c);
}

static void on_watch_end(struct etcd_req *r, int err, const char *why,
			 json_t *body, void *data)
{
	struct follow *f = data;
	char what[64];

	f->watch_req = NULL;
	if (err) {
		snprintf(what, sizeof(what), "watch of %s", f->ops->what);
		cluster_failed(f->c, what, err, why);
	} else {
		log_debug("etcd: the watch of %s ended; watching again from "
			  "revision %" PRId64,
			  f->ops->what, f->rev + 1);
	}
	cluster_backoff(f->c, &f->timer, &f->backoff);
}

void cluster_follow(struct follow *f)
{
	struct cluster *c = f->c;
	json_t *req;

	if (c->stopping || !f->ops->wanted(c) || f->range_req || f->watch_req ||
	    ev_is_active(&f->timer))
		return;
	req = prefix_range(f->ops->prefix);
	if (!req) {
		log_error("etcd: out of memory");
		return;
	}
	if (!f->synced) {
		f->range_req = etcd_post(c->e, "/v3/kv/range", req, REQ_TIMEOUT,
					 on_range, NULL, f);
		return;
	}
	json_object_set_new(req, "start_revision",
			    cluster_i64_json(f->rev + 1));
	f->watch_req = etcd_post(c->e, "/v3/watch",
				 json_pack("{s:o}", "create_request", req), 0,
				 on_watch_end, on_watch_line, f);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	cluster_follow(w->data);
}

void cluster_follow_init(struct follow *f, struct cluster *c,
			 const struct follow_ops *ops)
{
	f->c = c;
	f->ops = ops;
	f->backoff = BACKOFF_FIRST;
	ev_init(&f->timer, on_timer);
	f->timer.data = f;
}

void cluster_follow_stop(struct follow *f)
{
	ev_timer_stop(f->c->loop, &f->timer);
	if (f->range_req)
		etcd_cancel(f->range_req);
	if (f->watch_req)
		etcd_cancel(f->watch_req);
	f->range_req = f->watch_req = NULL;
}

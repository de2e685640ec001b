/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hosts.c - each host's state (doc/etcd.md, "Each host's state"): the
 * state this host publishes (cluster_set_state; lane A puts it), and the
 * cache of every host's, followed by lane H and read from any thread
 * (cluster_hosts).  The cache is a sorted array under one mutex: a handful
 * of hosts, read a few times a second at most, so nothing finer pays.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/hosts.h"
#include "cluster/codec.h"
#include "cluster/internal.h"
#include "util/grow.h"
#include "util/log.h"

int hosts_cache_init(struct hosts_cache *h)
{
	*h = (struct hosts_cache){ 0 };
	return -pthread_mutex_init(&h->lock, NULL);
}

static void ent_free(struct hosts_ent *e)
{
	free(e->name);
	json_decref(e->obj);
}

void hosts_cache_fini(struct hosts_cache *h)
{
	for (size_t i = 0; i < h->n; i++)
		ent_free(&h->v[i]);
	free(h->v);
	pthread_mutex_destroy(&h->lock);
	h->v = NULL;
	h->n = h->cap = 0;
}

/* Where `name` is, or would go (*found says which).  Lock held. */
static size_t find(const struct hosts_cache *h, const char *name, size_t len,
		   bool *found)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strncmp(h->v[mid].name, name, len);

		if (cmp == 0 && h->v[mid].name[len])
			cmp = 1; /* longer: after */
		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void drop(struct hosts_cache *h, size_t i)
{
	ent_free(&h->v[i]);
	memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof(*h->v));
	h->n--;
}

/* Store `obj` (taken over) for `name`.  Lock held. */
static int put(struct hosts_cache *h, const char *name, size_t len, json_t *obj)
{
	bool found;
	size_t i = find(h, name, len, &found);
	char *copy;

	if (found) {
		json_decref(h->v[i].obj);
		h->v[i].obj = obj;
		h->v[i].seen = true;
		return HOSTS_SAME;
	}
	copy = strndup(name, len);
	if (!copy || GROW(h->v, h->cap, h->n + 1, 8) < 0) {
		free(copy);
		json_decref(obj);
		return -ENOMEM;
	}
	memmove(&h->v[i + 1], &h->v[i], (h->n - i) * sizeof(*h->v));
	h->v[i] = (struct hosts_ent){ .name = copy, .obj = obj, .seen = true };
	h->n++;
	return HOSTS_JOINED;
}

int hosts_cache_set(struct hosts_cache *h, const char *key, size_t klen,
		    const char *value, size_t vlen)
{
	const char *name;
	size_t len, i;
	json_t *obj = NULL;
	bool found;
	int rc = HOSTS_SAME;

	if (codec_hosts_split(key, klen, &name, &len) < 0)
		return -EINVAL;
	if (value) {
		obj = json_loadb(value, vlen, 0, NULL);
		if (!json_is_object(obj)) {
			json_decref(obj);
			obj = NULL;
			rc = -EINVAL;
		}
	}
	pthread_mutex_lock(&h->lock);
	if (obj) {
		rc = put(h, name, len, obj);
	} else {
		i = find(h, name, len, &found);
		if (found)
			drop(h, i);
		if (found && rc == HOSTS_SAME)
			rc = HOSTS_LEFT;
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

void hosts_cache_unsee(struct hosts_cache *h)
{
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->n; i++)
		h->v[i].seen = false;
	pthread_mutex_unlock(&h->lock);
}

size_t hosts_cache_sweep(struct hosts_cache *h)
{
	size_t gone = 0;

	pthread_mutex_lock(&h->lock);
	for (size_t i = h->n; i-- > 0;)
		if (!h->v[i].seen) {
			drop(h, i);
			gone++;
		}
	pthread_mutex_unlock(&h->lock);
	return gone;
}

json_t *hosts_cache_json(struct hosts_cache *h)
{
	json_t *a = json_array();

	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; a && i < h->n; i++)
		if (json_array_append_new(a, json_deep_copy(h->v[i].obj)) < 0) {
			json_decref(a);
			a = NULL;
		}
	pthread_mutex_unlock(&h->lock);
	return a;
}

/* ---- the cluster's side ---- */

void cluster_set_state(struct cluster *c, bool converged, double since,
		       uint32_t failed, uint32_t resources)
{
	struct codec_state s = codec_state_norm((struct codec_state){
		.converged = converged,
		.since = since,
		.failed = failed,
		.resources = resources,
	});

	if (c->state_set && codec_state_eq(&s, &c->state))
		return;
	c->state = s;
	c->state_set = true;
	cluster_lane_a(c);
}

json_t *cluster_hosts(struct cluster *c)
{
	return hosts_cache_json(&c->hosts);
}

/* Lane H's hooks (struct follow): the graph never depends on them. */
bool cluster_host_set(struct cluster *c, const char *key, size_t klen,
		      char *value, size_t vlen)
{
	int rc = hosts_cache_set(&c->hosts, key, klen, value, vlen);
	size_t plen = strlen(CODEC_HOSTS_PREFIX);

	if (rc == HOSTS_JOINED)
		log_debug("etcd: host %.*s joined the hosts' view",
			  (int)(klen - plen), key + plen);
	else if (rc == HOSTS_LEFT)
		log_info("etcd: host %.*s left the hosts' view: its key %.*s "
			 "was deleted (a clean stop, or its lease expired)",
			 (int)(klen - plen), key + plen, (int)klen, key);
	else if (rc == -EINVAL)
		log_warn("etcd: %.*s: not %sHOST with a JSON object; left out "
			 "of the hosts' view (whoever wrote it should write "
			 "what doc/etcd.md, \"Each host's state\", says)",
			 (int)klen, key, CODEC_HOSTS_PREFIX);
	else if (rc < 0)
		log_error("etcd: out of memory keeping the hosts' view");
	free(value);
	return false;
}

void cluster_hosts_unsee(struct cluster *c)
{
	hosts_cache_unsee(&c->hosts);
}

bool cluster_hosts_sweep(struct cluster *c)
{
	size_t gone = hosts_cache_sweep(&c->hosts);

	if (gone)
		log_info("etcd: %zu host(s) left the hosts' view while it was "
			 "not followed",
			 gone);
	return false;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hosts.h - the cache of every host's state, as read under
 * CODEC_HOSTS_PREFIX (doc/etcd.md, "Each host's state"): one JSON object
 * per host, sorted by the host its key names.  The loop thread writes it
 * from the hosts' range and watch answers; any thread reads it
 * (cluster_hosts, for the control socket's HTTP thread), so every function
 * here takes the cache's mutex.  The objects in it are never changed once
 * stored, only replaced, and readers get deep copies.
 */
#ifndef ENGINE_CLUSTER_HOSTS_H
#define ENGINE_CLUSTER_HOSTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct hosts_ent {
	char *name;
	json_t *obj; /* a JSON object, never changed once stored */
	bool seen;   /* in the full read under way */
};

struct hosts_cache {
	pthread_mutex_t lock;
	struct hosts_ent *v; /* sorted by name */
	size_t n, cap;
};

/* 0, or a negative errno when the mutex cannot be made. */
int hosts_cache_init(struct hosts_cache *h);
void hosts_cache_fini(struct hosts_cache *h);

/* What a change did to the set of hosts. */
enum {
	HOSTS_SAME,   /* a host's value changed, or nothing did */
	HOSTS_JOINED, /* a host that was not in the cache is */
	HOSTS_LEFT,   /* a host that was in the cache is not */
};

/* The value of `key` (a key under CODEC_HOSTS_PREFIX) is now `value`
 * (`vlen` bytes, JSON text), or deleted when `value` is NULL.  HOSTS_*;
 * -EINVAL when the key names no host or the value is not a JSON object
 * (the host's entry is then dropped: it no longer says anything);
 * -ENOMEM. */
int hosts_cache_set(struct hosts_cache *h, const char *key, size_t klen,
		    const char *value, size_t vlen);

/* A full read of the prefix: unsee before it, then set what it holds,
 * then sweep drops every host it did not hold (deleted while nobody
 * watched) and returns how many. */
void hosts_cache_unsee(struct hosts_cache *h);
size_t hosts_cache_sweep(struct hosts_cache *h);

/* A new array of copies of the hosts' objects, sorted by host name (the
 * caller decrefs it); NULL when out of memory. */
json_t *hosts_cache_json(struct hosts_cache *h);

#endif /* ENGINE_CLUSTER_HOSTS_H */

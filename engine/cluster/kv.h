/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kv.h - the cluster's key-value space (doc/etcd.md, "The key-value
 * space"): string values under KV_PREFIX, which plugins read, write and
 * watch through host->watch_kv, kv_get and kv_put (engine/run/kvhost.c).
 *
 * The space is followed like the exports and the hosts' states (follow.c,
 * lane K) into a cache, once a plugin first asks for it: the loop thread
 * writes the cache from the range and watch answers, workers read it under
 * its mutex (kv_get costs no round trip).  A put comes from a worker: it
 * queues a job and wakes the loop (ev_async), which posts it to etcd with
 * the engine's client; the worker waits on the job's eventfd and the run's
 * stop signal.  Each cached key keeps the revision that last changed it,
 * so that the answer to a put and the watch event of that same put may
 * arrive in either order, and an older event never overwrites a newer
 * value.  Not used outside engine/cluster/ but through cluster.h.
 */
#ifndef ENGINE_CLUSTER_KV_H
#define ENGINE_CLUSTER_KV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "run/host.h"
#include "util/shash.h"

/* Where the space lives in etcd: KV_PREFIX KEY. */
#define KV_PREFIX "/mgmt-engine/kv/"

/* One key of the space as last seen. */
struct kvent {
	char *key;   /* without KV_PREFIX */
	char *val;   /* NULL: deleted (kept for its revision) */
	int64_t mod; /* the revision that last changed it */
	bool seen;   /* in the full read under way */
};

struct kvjob;

struct kvspace {
	pthread_mutex_t lock; /* the cache, synced, queue */
	pthread_cond_t cond;  /* broadcast when synced */
	struct shash idx;     /* key -> struct kvent * */
	struct kvent **ents;
	size_t n, cap;
	bool synced;        /* the space was read once */
	bool down;          /* no endpoint answered since (not synced) */
	bool wanted;        /* follow it (loop thread) */
	atomic_bool ask;    /* a worker asks to follow it */
	struct kvjob *jobs; /* queued by workers, for the loop */
	struct kvjob *sent; /* posted to etcd (loop thread) */
	ev_async wake;
	struct host_kv_ops ops;
	bool inited;
};

struct cluster;

/* Set up the space and its lane (struct follow kv_f).  0 or -ENOMEM. */
int cluster_kv_init(struct cluster *c);
/* No endpoint answers: until the space is read, its readers stop waiting
 * for it (kv_get says -EAGAIN at once) and its watches are told, so that
 * their resources run and fail rather than wait unconverged. */
void cluster_kv_link_down(struct cluster *c);
/* A clean stop: every job not answered yet ends with -ECANCELED. */
void cluster_kv_stop(struct cluster *c);
void cluster_kv_fini(struct cluster *c);

#endif /* ENGINE_CLUSTER_KV_H */

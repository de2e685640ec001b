/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cluster.h - exported and collected resources over etcd (doc/etcd.md).
 *
 * Exported resources ("@@NAME", or meta export: true) are taken out of the
 * local graph, as in mgmt, and put under
 * /mgmt-engine/exported/HOST/KIND/NAME as JSON of their parameters,
 * attached to this host's lease (kept alive; revoked at a clean stop, so a
 * host that dies loses its exports when the lease expires).  When the
 * graph has `collect:` entries, every exported resource of those kinds,
 * from all hosts, this one included, is merged into it through the kind's
 * collect hook; the prefix is read once and then followed by an etcd watch,
 * and each change reloads the graph with the scheduler's changeover.
 *
 * Each host also publishes its own state under /mgmt-engine/hosts/HOST
 * (cluster_set_state), attached to the same lease, and follows every
 * host's with a second watch into a cache that any thread may read
 * (cluster_hosts).
 *
 * etcd down at the start or later: the local graph runs on, exports, the
 * state and the watches are retried with backoff, one log line per change
 * of state.  Loop thread only, but for cluster_hosts.
 */
#ifndef ENGINE_CLUSTER_H
#define ENGINE_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>
#include <jansson.h>

#include "config/config.h"

/* Seconds; --etcd-ttl. */
#define CLUSTER_DEFAULT_TTL 10

struct cluster_opts {
	const char *endpoints; /* "http://h:p[,http://h:p...]" */
	/* TLS (PEM files) and etcd's user; NULL: not used */
	const char *cacert, *cert, *key;
	const char *user, *password_file;
	const char *hostname;
	long ttl;  /* lease TTL in seconds (>= 2) */
	bool noop; /* export nothing (as mgmt) */
	const struct registry *registry;
	const char *state_dir; /* --prefix: this host's key is there; NULL:
				* /var/lib/mgmt-engine */
	const char *trust_dir; /* --etcd-trust: `*.pub` keys; may be NULL */
};

struct cluster;

/* Start talking to etcd on `loop` (nothing blocks: the first requests go
 * out when the loop runs).  This host's key is read, or made on the first
 * start, and the trusted keys read (doc/etcd.md, "Trust").  0, -EINVAL
 * after logging a bad endpoint list, key or trust directory, or an
 * unusable TLS or password file (one line each), -ENOMEM. */
int cluster_new(const struct cluster_opts *o, struct ev_loop *loop,
		struct cluster **out);

/* The scheduler's hooks (struct sched_opts, ctx = the cluster). */
int cluster_prepare(void *ctx, struct graph_cfg *cfg);
bool cluster_busy(void *ctx);

/* This host's state, published as the JSON value of
 * /mgmt-engine/hosts/HOST: {"host", "converged", "since" (`since`, unix
 * seconds; null unless converged), "failed", "resources", "updated" (when
 * it was written)}.  Call it whenever any of it changes, as often as that
 * is: a value equal to the last one is ignored, and etcd gets the newest
 * value at most a few times per second (and again when the link or the
 * lease comes back).  cluster_prepare publishes {converged: false,
 * resources: the first graph's count} until this is first called.  Loop
 * thread. */
void cluster_set_state(struct cluster *c, bool converged, double since,
		       uint32_t failed, uint32_t resources);

/* Every host's state as last seen in etcd: a new array (the caller owns
 * it: json_decref) of the objects under /mgmt-engine/hosts/, sorted by
 * host name; a host whose key went (its lease revoked or expired) is not
 * in it.  While etcd is away it is the view from before; empty until the
 * first read.  NULL when out of memory.  Any thread, until cluster_free:
 * the cache is kept by the loop thread, from a watch, under a mutex. */
json_t *cluster_hosts(struct cluster *c);

/* A clean stop: cancel everything and revoke the lease (which deletes
 * this host's exports and state), waiting at most a short while for
 * etcd. */
void cluster_stop(struct cluster *c);

void cluster_free(struct cluster *c);

/* The hooks of the key-value space behind host->watch_kv, kv_get and
 * kv_put (engine/cluster/kv.c), for host_set_kv; they live as long as
 * `c`. */
struct host_kv_ops;
const struct host_kv_ops *cluster_kv_ops(struct cluster *c);

#endif /* ENGINE_CLUSTER_H */

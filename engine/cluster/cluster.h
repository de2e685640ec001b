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
 * etcd down at the start or later: the local graph runs on, exports and
 * the watch are retried with backoff, one log line per change of state.
 * Loop thread only.
 */
#ifndef ENGINE_CLUSTER_H
#define ENGINE_CLUSTER_H

#include <stdbool.h>

#include <ev.h>

#include "config/config.h"

/* Seconds; --etcd-ttl. */
#define CLUSTER_DEFAULT_TTL 10

struct cluster_opts {
	const char *endpoints; /* "http://h:p[,http://h:p...]" */
	const char *hostname;
	long ttl;  /* lease TTL in seconds (>= 2) */
	bool noop; /* export nothing (as mgmt) */
	const struct registry *registry;
};

struct cluster;

/* Start talking to etcd on `loop` (nothing blocks: the first requests go
 * out when the loop runs).  0, -EINVAL after logging a bad endpoint list,
 * -ENOMEM. */
int cluster_new(const struct cluster_opts *o, struct ev_loop *loop,
		struct cluster **out);

/* The scheduler's hooks (struct sched_opts, ctx = the cluster). */
int cluster_prepare(void *ctx, struct graph_cfg *cfg);
bool cluster_busy(void *ctx);

/* A clean stop: cancel everything and revoke the lease (which deletes
 * this host's exports), waiting at most a short while for etcd. */
void cluster_stop(struct cluster *c);

void cluster_free(struct cluster *c);

#endif /* ENGINE_CLUSTER_H */

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * internal.h - the cluster's state, shared by cluster.c (the lease,
 * exports, the watch, states and retries) and collect.c (the cache of
 * exported resources and the graph's prepare hook).  Not used outside
 * engine/cluster/.
 */
#ifndef ENGINE_CLUSTER_INTERNAL_H
#define ENGINE_CLUSTER_INTERNAL_H

#include <stdint.h>

#include "cluster/cluster.h"
#include "cluster/etcd.h"
#include "util/shash.h"

/* A key and its value (both owned), in arrays sorted by key. */
struct kv {
	char *key;
	char *val;
};

/* One key seen under the exported prefix. */
struct entry {
	char *key;
	char *origin; /* "etcd:KEY": positions of what is built from it
			    * point here, so it lives as long as the cluster */
	char *split;  /* host, kind and name point into it */
	const char *host, *kind, *name; /* NULL kind: not HOST/KIND/NAME */
	char *value;                    /* JSON text; NULL once deleted */
	size_t vlen;
	bool bad;   /* this value was reported; skipped until it
			    * changes */
	bool clash; /* a name clash was reported */
	bool seen;  /* in the last full read */
};

enum link_state {
	LINK_UNKNOWN,
	LINK_UP,
	LINK_DOWN
};

struct cluster {
	struct ev_loop *loop;
	struct etcd *e;
	char *host;
	long ttl;
	bool noop;
	const struct registry *reg;

	/* lease and exports (lane A) */
	int64_t lease;
	struct etcd_req *lease_req, *txn_req, *ka_req;
	ev_timer ka_timer, a_timer;
	double a_backoff;
	struct kv *want, *pub, *sent; /* wanted, published, in flight */
	size_t nwant, npub, nsent;
	int64_t pub_rev; /* the revision of the last publication */

	/* collect (lane B) */
	struct etcd_req *range_req, *watch_req;
	ev_timer b_timer;
	double b_backoff;
	bool collecting; /* the graph has collect entries */
	char **kinds;    /* their kinds */
	size_t nkinds;
	bool synced;      /* the prefix was read; the watch follows it */
	int64_t rev;      /* every change up to here is in the cache */
	struct shash idx; /* key -> struct entry * */
	struct entry **ents;
	size_t nents, cap_ents;

	enum link_state link;
	bool settled; /* the first sync is over (or etcd is down) */
	bool stopping;
	bool noop_told;
};

/* collect.c */
/* Put (value non-NULL, taken over) or delete the value of `key`.
 * Returns true when a collected kind changed. */
bool cluster_entry_set(struct cluster *c, const char *key, size_t klen,
		       char *value, size_t vlen);
void cluster_entries_free(struct cluster *c);

/* cluster.c */
/* Start what lane A (lease, exports) or B (read, watch) needs next. */
void cluster_lane_a(struct cluster *c);
void cluster_lane_b(struct cluster *c);
/* The first sync may be over: tell the scheduler. */
void cluster_settle(struct cluster *c);

void cluster_kv_free(struct kv *v, size_t n);

#endif /* ENGINE_CLUSTER_INTERNAL_H */

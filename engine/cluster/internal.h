/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * internal.h - the cluster's state, shared by cluster.c (the lease,
 * exports and this host's state: lane A; link state and retries),
 * follow.c (a prefix read, then watched: lanes B and H), collect.c (the
 * cache of exported resources and the graph's prepare hook) and hosts.c
 * (each host's state), kv.c (the key-value space: lane K).  Not used outside engine/cluster/.
 */
#ifndef ENGINE_CLUSTER_INTERNAL_H
#define ENGINE_CLUSTER_INTERNAL_H

#include <stdint.h>

#include "cluster/cluster.h"
#include "cluster/codec.h"
#include "cluster/etcd.h"
#include "cluster/hosts.h"
#include "cluster/kv.h"
#include "cluster/trust.h"
#include "util/shash.h"

#define BACKOFF_FIRST 0.1 /* s */
#define BACKOFF_MAX 2.0   /* s */
/* s, unary requests: a write sent to a member just as its leader died is
 * lost, and etcd 3.4 answers it only after its own 5 s and more; sooner
 * sent again to the next endpoint (the requests are idempotent), the
 * hosts converge again about a second after the new leader. */
#define REQ_TIMEOUT 2.0

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
	char *params; /* the signed parameters (JSON); NULL unless the
		       * signature verified */
	unsigned char pk[TRUST_PK_BYTES]; /* the signer's key */
	bool bad;       /* this value was reported; skipped until it
			    * changes */
	bool clash;     /* a name clash was reported */
	bool untrusted; /* its key's not being trusted was reported */
	bool seen;      /* in the last full read */
};

enum link_state {
	LINK_UNKNOWN,
	LINK_UP,
	LINK_DOWN
};

struct cluster;

/* A prefix read once with a range request, then followed by a watch from
 * the next revision, re-created from the last revision seen whenever it
 * breaks; read whole again after a compaction.  At most one request in
 * flight, its own backoff.  Lane B follows the exported prefix (only while
 * the graph collects), lane H the hosts' states (always). */
/* What one followed prefix is, and what to do with its keys: a constant
 * table per prefix. */
struct follow_ops {
	const char *prefix;
	const char *what; /* for log lines: "exported resources" */
	/* Whether to follow now. */
	bool (*wanted)(const struct cluster *c);
	/* Put (value non-NULL, taken over) or delete `key`: true when the
	 * graph must be reloaded. */
	bool (*set)(struct cluster *c, const char *key, size_t klen,
		    char *value, size_t vlen);
	/* A full read: unsee before it, sweep after it drops what it did
	 * not hold (true: reload, as for set). */
	void (*unsee)(struct cluster *c);
	bool (*sweep)(struct cluster *c);
};

struct follow {
	struct cluster *c;
	const struct follow_ops *ops;
	struct etcd_req *range_req, *watch_req;
	ev_timer timer;
	double backoff;
	bool synced; /* the prefix was read; the watch follows it */
	int64_t rev; /* every change up to here was taken */
	/* For set: the mod_revision of the key being set; for sweep: the
	 * revision of the full read. */
	int64_t mod;
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

	/* this host's state (lane A too; hosts.c) */
	char *state_key;          /* CODEC_HOSTS_PREFIX HOST */
	struct codec_state state; /* wanted (normalised) */
	struct codec_state state_pub, state_sent;
	bool state_set;     /* cluster_set_state was called */
	bool state_pub_ok;  /* state_pub is in etcd, under this lease */
	bool state_sending; /* the txn in flight puts state_sent */
	double state_last;  /* ev_now of the last put sent */
	ev_timer state_timer;

	/* collect (lane B) */
	struct follow exp;
	bool collecting; /* the graph has collect entries */
	char **kinds;    /* their kinds */
	size_t nkinds;
	struct shash idx; /* key -> struct entry * */
	struct entry **ents;
	size_t nents, cap_ents;

	/* signing and trust (collect.c) */
	unsigned char pk[TRUST_PK_BYTES], sk[TRUST_SK_BYTES];
	struct trust_set dir_trust; /* --etcd-trust, read at the start */
	struct trust_set trust;     /* ours, the directory's, the graph's */
	bool trust_dir;             /* --etcd-trust was given */
	bool trust_told;            /* "only this host's own" was said */

	/* every host's state (lane H) */
	struct follow hosts_f;
	struct hosts_cache hosts;

	/* the key-value space (lane K; kv.c) */
	struct follow kv_f;
	struct kvspace kv;

	enum link_state link;
	char *refusal; /* the last refusal logged (cluster_failed) */
	bool refused;  /* etcd refused something: converged all the same */
	bool settled;  /* the first sync is over (or etcd is down) */
	bool stopping;
	bool noop_told;
};

/* collect.c */
/* This host's key (made on the first start) and --etcd-trust's keys.  0;
 * -1 after logging. */
int cluster_trust_init(struct cluster *c, const struct cluster_opts *o);
/* Put (value non-NULL, taken over) or delete the value of `key`.
 * Returns true when a collected kind changed. */
bool cluster_entry_set(struct cluster *c, const char *key, size_t klen,
		       char *value, size_t vlen);
/* Lane B's unsee and sweep (struct follow). */
void cluster_entries_unsee(struct cluster *c);
bool cluster_entries_sweep(struct cluster *c);
/* The entries, and the keys (cluster_trust_init). */
void cluster_entries_free(struct cluster *c);

/* hosts.c: lane H's hooks (struct follow). */
bool cluster_host_set(struct cluster *c, const char *key, size_t klen,
		      char *value, size_t vlen);
void cluster_hosts_unsee(struct cluster *c);
bool cluster_hosts_sweep(struct cluster *c);

/* follow.c */
void cluster_follow_init(struct follow *f, struct cluster *c,
			 const struct follow_ops *ops);
/* Start what `f` needs next (the read, or the watch). */
void cluster_follow(struct follow *f);
/* Cancel its request and its timer. */
void cluster_follow_stop(struct follow *f);

/* secret.c: check --etcd-cacert, --etcd-cert, --etcd-key, --etcd-user and
 * --etcd-password-file (one line each when unusable: -EINVAL) and give
 * them to `e`. */
int cluster_auth(const struct cluster_opts *o, struct etcd *e);

/* cluster.c */
/* Start what lane A (lease, exports, state) needs next. */
void cluster_lane_a(struct cluster *c);
/* Start what lanes B (exports) and H (hosts) need next. */
void cluster_lane_b(struct cluster *c);
/* The first sync may be over: tell the scheduler. */
void cluster_settle(struct cluster *c);

/* For every lane: the link is up (logged when it was not). */
void cluster_link_up(struct cluster *c);
/* A failed request: the link is down when no endpoint answered (logged
 * once); etcd refused it (-EACCES: a certificate, the user, a
 * permission: logged once until another refusal); else `what` failed,
 * logged with `why`. */
void cluster_failed(struct cluster *c, const char *what, int err,
		    const char *why);
/* Start `t` after *b seconds, and double *b up to BACKOFF_MAX. */
void cluster_backoff(struct cluster *c, ev_timer *t, double *b);
/* The "error" an answer may carry instead of a result, or NULL. */
const char *cluster_answer_error(const json_t *body);
/* A JSON string of base64 of `s`; of `v` in decimal. */
json_t *cluster_b64_json(const char *s, size_t len);
json_t *cluster_i64_json(int64_t v);

void cluster_kv_free(struct kv *v, size_t n);

#endif /* ENGINE_CLUSTER_INTERNAL_H */

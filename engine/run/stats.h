/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stats.h - what the running engine publishes for other threads: each
 * resource's state and counters, each kind's metrics, and the engine's own
 * (doc/control.md).  The loop thread writes it as things happen (a few
 * relaxed atomic stores per state change or run); the control socket's
 * threads read it whenever they like, without asking the loop anything, so
 * serving `status` or `/metrics` costs the loop nothing, however large the
 * graph.
 *
 * The resources' table belongs to one graph: a reload builds the next one
 * (counters carried over for the resources it keeps) and swaps it in; a
 * reader holds a reference (stats_acquire) while it reads, and the last one
 * frees a table swapped out.
 */
#ifndef ENGINE_RUN_STATS_H
#define ENGINE_RUN_STATS_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct mgmt_res;
struct registry;
struct kind_entry;

/* A resource's state as published. */
enum rstate {
	RS_PENDING,   /* its watch is not ready yet */
	RS_DIRTY,     /* must run (queued, or waiting for what comes before) */
	RS_HELD,      /* must run, but a failure before it holds it back */
	RS_RUNNING,   /* check_apply runs, or a run from before a reload */
	RS_RETRYING,  /* failed; the next try is due at retry_at */
	RS_CONVERGED, /* its last run succeeded */
	RS_FAILED,    /* failed, retries used up */
};

/* One resource.  The strings are the table's. */
struct rstat {
	const char *kind, *name;
	const char *group; /* "kind[leader]" when grouped, else NULL */
	_Atomic unsigned char state; /* enum rstate */
	/* Unix time in milliseconds; 0: never or none. */
	_Atomic int64_t last_check_ms, last_change_ms, retry_at_ms;
	_Atomic int64_t retries_left; /* meta.retry left; -1: for ever */
	_Atomic uint64_t runs, changes, failures;
	char *last_error; /* the last error line logged for it; stats_lock */
};

struct stats_table {
	atomic_int refs;
	uint32_t n;
	struct rstat *r; /* in graph order */
	double since;    /* unix seconds: when this graph was swapped in */
};

/* Histogram bounds of check_apply's duration, in seconds. */
#define STATS_NBUCKETS 12
extern const double stats_buckets[STATS_NBUCKETS];

/* One kind's metrics.  check[apply][changed][error]: runs of its
 * resources (a group's run counts once per member, with the member's own
 * result); dur: one observation per check_apply call. */
struct kstat {
	const char *kind;
	_Atomic uint64_t check[2][2][2];
	_Atomic uint64_t failures_soft, failures_hard; /* retrying, used up */
	_Atomic uint64_t events;
	_Atomic uint64_t dur_bucket[STATS_NBUCKETS]; /* cumulative at read */
	_Atomic uint64_t dur_count;
	_Atomic uint64_t dur_sum_us;
};

/* The engine's own. */
struct stats_engine {
	double started; /* unix seconds */
	int pid;
	const char *host, *graph;
	_Atomic bool converged;
	_Atomic int64_t converged_since_ms;
	_Atomic uint64_t reloads_taken, reloads_refused;
	_Atomic int etcd; /* -1: no --etcd; 0: down; 1: up */
	_Atomic uint64_t collected;
	struct kstat *kinds;
	uint32_t nkinds;
};

extern struct stats_engine stats;

/* Set up the engine's part (before the loop runs): one kstat per kind of
 * `reg`.  0 or -ENOMEM.  stats_fini frees everything. */
int stats_init(const struct registry *reg, const char *host, const char *graph);
void stats_fini(void);

/* Readers (any thread): the table now, held until stats_release. */
struct stats_table *stats_acquire(void);
void stats_release(struct stats_table *t);
/* A resource's state name. */
const char *stats_state_name(const struct rstat *r);
/* Copy r->last_error into buf (empty when none). */
void stats_last_error(const struct rstat *r, char *buf, size_t len);

/* The kind's metrics (NULL for a kind stats_init did not see). */
struct kstat *stats_kind(const struct kind_entry *k);

/* Any thread: the error line `fmt` for `res` (a plugin's mgmt_error). */
void stats_error_v(const struct mgmt_res *res, const char *fmt, va_list ap);

/* Unix time now, in milliseconds. */
int64_t stats_now_ms(void);

#endif /* ENGINE_RUN_STATS_H */

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kv.c - the kv resource: a string value under a key of the cluster's
 * key-value space in etcd, with mgmt's parameters.  `key` (default: the
 * name) is set to `value`; no value deletes the key.  `mapped` makes the
 * key this host's own entry of a per-host map.  With `skiplessthan`, a
 * stored value greater than `value` (as integers with skipcmpstyle 0, as
 * strings with 1) is left alone, so resources of several hosts, or in
 * sequence, only ever move a stage forward; a refresh writes `value`
 * whatever is stored, as mgmt does.
 *
 * The key lives in etcd through the engine's own connection (run --etcd):
 * reads come from the engine's cache of the space, writes are one put or
 * delete from the worker, and the engine's watch of the space tells this
 * resource when its key changed (doc/kv.md).  Layout under the space:
 * "str/KEY" for a key, "map/KEY/HOST" for a mapped one.  Without --etcd
 * each run fails with one line saying so.
 *
 * No uid: mgmt's graphs put several kv resources on one key (a sequence of
 * stages); no grouping: each is one put.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mgmt/mgmt.h>

struct kv {
	/* parameters */
	char *key;
	char *value; /* NULL: delete the key */
	bool mapped;
	bool skiplessthan;
	int64_t skipcmpstyle; /* 0: integers, 1: strings (mgmt's numbers) */
	/* runtime: the key in the space */
	char *path;
};

static const struct mgmt_param kv_params[] = {
	MGMT_PARAM(struct kv, key, MGMT_PARAM_STRING, NULL, 0,
		   "the key (default: the resource's name)"),
	MGMT_PARAM(struct kv, value, MGMT_PARAM_STRING, NULL, 0,
		   "the value to store; unset: delete the key"),
	MGMT_PARAM(struct kv, mapped, MGMT_PARAM_BOOL, "false", 0,
		   "this host's entry of a per-host map under the key"),
	MGMT_PARAM(struct kv, skiplessthan, MGMT_PARAM_BOOL, "false", 0,
		   "leave a stored value that is greater than value"),
	MGMT_PARAM(struct kv, skipcmpstyle, MGMT_PARAM_INT, "0", 0,
		   "how skiplessthan compares: 0 as integers, 1 as strings"),
	MGMT_PARAM_END,
};

enum {
	CMP_INT = 0,
	CMP_STRING = 1
};

static const char *kv_key(mgmt_res *res, const struct kv *k)
{
	return k->key ? k->key : mgmt_res_name(res);
}

/* strconv.Atoi's rule (mgmt): an optional sign and decimal digits, in
 * range. */
static bool parse_int(const char *s, int64_t *out)
{
	char *end;

	if (!*s || (s[0] != '-' && s[0] != '+' && (s[0] < '0' || s[0] > '9')))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && end[-1] >= '0' && end[-1] <= '9';
}

static int kv_validate(mgmt_res *res, void *p)
{
	struct kv *k = p;
	int64_t v;
	int r = 0;

	if (k->key && !*k->key) {
		mgmt_invalid(res, "key",
			     "the key is empty: give one, or "
			     "leave it out to use the name");
		r = -1;
	}
	if (k->skipcmpstyle != CMP_INT && k->skipcmpstyle != CMP_STRING) {
		mgmt_invalid(res, "skipcmpstyle",
			     "%" PRId64
			     " is not a comparison style: 0 compares "
			     "as integers, 1 as strings",
			     k->skipcmpstyle);
		r = -1;
	} else if (k->skiplessthan && k->skipcmpstyle == CMP_INT && k->value &&
		   !parse_int(k->value, &v)) {
		mgmt_invalid(res, "value",
			     "\"%s\" is not an integer, which skiplessthan "
			     "with skipcmpstyle 0 compares; use skipcmpstyle "
			     "1 to compare strings",
			     k->value);
		r = -1;
	}
	return r;
}

static int kv_init(mgmt_res *res, void *p)
{
	struct kv *k = p;
	int n;

	if (k->mapped)
		n = asprintf(&k->path, "map/%s/%s", kv_key(res, k),
			     mgmt_host->hostname());
	else
		n = asprintf(&k->path, "str/%s", kv_key(res, k));
	if (n < 0) {
		k->path = NULL;
		mgmt_error(res, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void kv_cleanup(mgmt_res *res, void *p)
{
	struct kv *k = p;

	free(k->path);
	k->path = NULL;
}

/* The engine has ABI 1.3's key-value services. */
static bool have_kv(void)
{
	return MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, kv_put) &&
	       mgmt_host->watch_kv && mgmt_host->kv_get && mgmt_host->kv_put;
}

static void on_kv(mgmt_res *res, const char *key, void *data)
{
	mgmt_dirty(res);
}

static int kv_watch(mgmt_res *res, void *p)
{
	struct kv *k = p;

	if (have_kv() && mgmt_host->watch_kv(res, k->path, 0, on_kv, NULL))
		return MGMT_WATCH_PENDING; /* on_kv, once the space is read */
	if (have_kv() && errno != ENOTCONN) {
		mgmt_error(res, "cannot watch %s: %s", k->path,
			   strerror(errno));
		return -1;
	}
	/* No cluster: check_apply says so, once per run. */
	mgmt_dirty(res);
	return 0;
}

/* Is the stored value to be left alone (mgmt's lessThanCheck)? */
static bool keep_stored(mgmt_res *res, const struct kv *k, const char *stored)
{
	int64_t want, have;

	if (!k->skiplessthan || mgmt_host->refreshed(res))
		return false;
	if (k->skipcmpstyle == CMP_STRING)
		return strcmp(k->value, stored) < 0;
	/* A stored value that is no integer (old, corrupt) is written over. */
	return parse_int(stored, &have) && parse_int(k->value, &want) &&
	       want < have;
}

static int kv_check_apply(mgmt_res *res, void *p, bool apply)
{
	struct kv *k = p;
	char *stored = NULL;
	int r;

	r = have_kv() ? mgmt_host->kv_get(res, k->path, &stored) : -ENOTCONN;
	if (r == -ENOTCONN) {
		mgmt_error(res, "kv needs the engine to run with --etcd (the "
				"key lives in the cluster's etcd)");
		return MGMT_ERROR;
	}
	if (r < 0) {
		mgmt_error(res, "cannot read %s: %s", k->path,
			   r == -EAGAIN ? "etcd has not been read yet" :
					  strerror(-r));
		return MGMT_ERROR;
	}
	if (!k->value && !stored)
		return MGMT_CONVERGED;
	if (k->value && stored &&
	    (strcmp(k->value, stored) == 0 || keep_stored(res, k, stored))) {
		free(stored);
		return MGMT_CONVERGED;
	}
	free(stored);
	if (!apply) {
		mgmt_info(res, k->value ? "would set %s" : "would delete %s",
			  kv_key(res, k));
		return MGMT_CHANGED;
	}
	r = mgmt_host->kv_put(res, k->path, k->value);
	if (r < 0) {
		mgmt_error(res, "cannot %s %s in etcd: %s",
			   k->value ? "set" : "delete", k->path,
			   r == -EHOSTUNREACH ? "no etcd endpoint answered" :
			   r == -EIO          ? "etcd refused it" :
						strerror(-r));
		return MGMT_ERROR;
	}
	mgmt_info(res, k->value ? "set %s" : "deleted %s", kv_key(res, k));
	return MGMT_CHANGED;
}

static const struct mgmt_kind kv_kind = {
	MGMT_KIND_HEADER,
	.name = "kv",
	.doc = "a value under a key in the cluster's etcd (run --etcd)",
	.params = kv_params,
	.params_size = sizeof(struct kv),
	.validate = kv_validate,
	.init = kv_init,
	.cleanup = kv_cleanup,
	.watch = kv_watch,
	.check_apply = kv_check_apply,
};

static const struct mgmt_kind *const kv_kinds[] = { &kv_kind, NULL };

MGMT_PLUGIN_DEFINE("kv", PACKAGE_VERSION, "the kv resource (etcd)", kv_kinds,
		   NULL, NULL);

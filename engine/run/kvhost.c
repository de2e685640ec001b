/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kvhost.c - host->watch_kv, kv_get and kv_put (mgmt/host.h): the cluster's
 * key-value space as plugins see it.  run/ never includes cluster/: the
 * space itself is behind the hooks cli.c sets (host_set_kv), and the
 * cluster tells of changes through host_kv_event.
 *
 * A kv watch is an ordinary mgmt_watch of host.c (so it is released with
 * its resource), which points to a struct kvwatch here, on one list that
 * host_kv_event walks.  A callback may unwatch any kv watch, its own
 * included: while the list is walked a stopped entry is only marked, and
 * freed once the walk is over.  One list, walked whole for every change:
 * graphs have few kv resources; an index by key would come with many.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "util/log.h"
#include "run/host.h"
#include "run/kvhost.h"
#include "run/sched.h"

#define KEY_MAX 4096

struct kvwatch {
	struct kvwatch *next;
	mgmt_res *res;
	char *key;
	size_t len;
	unsigned flags;
	mgmt_kv_cb cb;
	void *data;
	ev_timer ready; /* the first call when the space was read already */
	bool dead;
};

static _Atomic(const struct host_kv_ops *) kv_ops;
static struct kvwatch *watches; /* loop thread */
static unsigned walking;        /* host_kv_event is walking the list */

void host_set_kv(const struct host_kv_ops *ops)
{
	atomic_store(&kv_ops, ops);
}

static bool key_ok(const char *key)
{
	return key && *key && strlen(key) <= KEY_MAX;
}

static void free_dead(void)
{
	struct kvwatch **p = &watches;

	while (*p) {
		struct kvwatch *k = *p;

		if (!k->dead) {
			p = &k->next;
			continue;
		}
		*p = k->next;
		free(k->key);
		free(k);
	}
}

static void on_ready(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct kvwatch *k = t->data;

	walking++;
	k->cb(k->res, NULL, k->data);
	if (--walking == 0)
		free_dead();
}

struct kvwatch *kvhost_add(mgmt_res *res, const char *key, unsigned flags,
			   mgmt_kv_cb cb, void *data)
{
	const struct host_kv_ops *ops = atomic_load(&kv_ops);
	struct kvwatch *k;

	if (!ops) {
		errno = ENOTCONN;
		return NULL;
	}
	if (!key_ok(key) || (flags & ~MGMT_KV_PREFIX)) {
		errno = EINVAL;
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k || !(k->key = strdup(key))) {
		free(k);
		errno = ENOMEM;
		return NULL;
	}
	k->res = res;
	k->len = strlen(key);
	k->flags = flags;
	k->cb = cb;
	k->data = data;
	k->next = watches;
	watches = k;
	ev_timer_init(&k->ready, on_ready, 0., 0.);
	k->ready.data = k;
	ops->follow(ops->ctx);
	if (ops->synced(ops->ctx))
		ev_timer_start(EV_DEFAULT, &k->ready);
	return k;
}

void kvhost_stop(struct kvwatch *k)
{
	if (!k)
		return;
	ev_timer_stop(EV_DEFAULT, &k->ready);
	k->dead = true;
	if (!walking)
		free_dead();
}

static bool matches(const struct kvwatch *k, const char *key)
{
	if (!key)
		return true;
	if (k->flags & MGMT_KV_PREFIX)
		return strncmp(key, k->key, k->len) == 0;
	return strcmp(key, k->key) == 0;
}

void host_kv_event(const char *key)
{
	walking++;
	for (struct kvwatch *k = watches; k; k = k->next) {
		if (k->dead || !matches(k, key))
			continue;
		ev_timer_stop(EV_DEFAULT, &k->ready); /* this call is it */
		k->cb(k->res, key, k->data);
	}
	if (--walking == 0)
		free_dead();
}

int host_kv_get(mgmt_res *res, const char *key, char **value)
{
	const struct host_kv_ops *ops = atomic_load(&kv_ops);

	if (!value)
		return -EINVAL;
	*value = NULL;
	if (!ops)
		return -ENOTCONN;
	if (!key_ok(key))
		return -EINVAL;
	return ops->get(ops->ctx, key, value, host_is_off_loop());
}

int host_kv_put(mgmt_res *res, const char *key, const char *value)
{
	const struct host_kv_ops *ops = atomic_load(&kv_ops);

	if (!ops)
		return -ENOTCONN;
	if (!key_ok(key))
		return -EINVAL;
	if (!host_is_off_loop()) {
		log_error(
			"a plugin called kv_put on the loop thread; it blocks, "
			"so it is for check_apply only: refused");
		return -EPERM;
	}
	return ops->put(ops->ctx, key, value, sched_stop_fd());
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kv.c - the cluster's key-value space (see kv.h): the cache of KV_PREFIX
 * that lane K keeps current, read by host->kv_get on any thread, and the
 * puts of host->kv_put, queued by workers and posted by the loop.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cluster/internal.h"
#include "cluster/kv.h"
#include "run/host.h"
#include "util/grow.h"
#include "util/log.h"

#define GET_WAIT 5 /* s, a worker's wait for the first read */

/* One put or delete, shared by the worker that waits for it and the loop
 * that posts it: freed by whichever lets go of it last (refs, under the
 * space's lock). */
struct kvjob {
	struct kvjob *next;
	struct cluster *c;
	char *key, *val; /* val NULL: delete */
	int efd;         /* written once the job ended */
	int refs;
	int result;
	struct etcd_req *req;
};

static struct kvspace *space(struct cluster *c)
{
	return &c->kv;
}

/* ---- the cache (loop thread writes, under the lock) ---- */

static struct kvent *ent_get(struct kvspace *s, const char *key, size_t len,
			     bool create)
{
	struct kvent *e = shash_get(&s->idx, key, len);
	void **slot;
	bool found;

	if (e || !create)
		return e;
	if (!(e = calloc(1, sizeof(*e))) || !(e->key = strndup(key, len)) ||
	    GROW(s->ents, s->cap, s->n + 1, 64) < 0 ||
	    !(slot = shash_slot(&s->idx, e->key, len, &found))) {
		if (e)
			free(e->key);
		free(e);
		return NULL;
	}
	*slot = e;
	s->ents[s->n++] = e;
	return e;
}

/* `key` is `val` (taken over; NULL: deleted) as of revision `mod`, unless
 * the cache knows a newer revision.  Lock held.  True when the value
 * changed. */
static bool ent_set(struct kvent *e, char *val, int64_t mod)
{
	bool changed;

	e->seen = true;
	if (mod && mod <= e->mod) {
		free(val);
		return false;
	}
	changed = (val == NULL) != (e->val == NULL) ||
		  (val && strcmp(val, e->val) != 0);
	free(e->val);
	e->val = val;
	if (mod)
		e->mod = mod;
	return changed;
}

/* Lane K's set: a key under KV_PREFIX from a range or watch answer, at
 * revision c->kv_f.mod. */
static bool kv_set(struct cluster *c, const char *key, size_t klen, char *value,
		   size_t vlen)
{
	struct kvspace *s = space(c);
	size_t plen = strlen(KV_PREFIX);
	struct kvent *e;
	char *val = NULL;
	bool changed = false;

	if (klen <= plen || memcmp(key, KV_PREFIX, plen) != 0) {
		free(value);
		return false;
	}
	if (value) { /* a C string: up to its first NUL */
		val = strndup(value, vlen);
		free(value);
		if (!val) {
			log_error("etcd: out of memory");
			return false;
		}
	}
	pthread_mutex_lock(&s->lock);
	e = ent_get(s, key + plen, klen - plen, val != NULL);
	if (e)
		changed = ent_set(e, val, c->kv_f.mod);
	else
		free(val);
	pthread_mutex_unlock(&s->lock);
	if (changed && s->synced)
		host_kv_event(e->key);
	return false; /* never a reload */
}

static void kv_unsee(struct cluster *c)
{
	struct kvspace *s = space(c);

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++)
		s->ents[i]->seen = false;
	pthread_mutex_unlock(&s->lock);
}

/* After a full read at revision c->kv_f.mod: what it did not hold went
 * (unless a put of ours made it newer); then the space is read. */
static bool kv_sweep(struct cluster *c)
{
	struct kvspace *s = space(c);
	bool first = !s->synced;

	for (size_t i = 0; i < s->n; i++) {
		struct kvent *e = s->ents[i];
		bool changed = false;

		pthread_mutex_lock(&s->lock);
		if (!e->seen && e->val && e->mod <= c->kv_f.mod)
			changed = ent_set(e, NULL, c->kv_f.mod);
		pthread_mutex_unlock(&s->lock);
		if (changed && !first)
			host_kv_event(e->key);
	}
	pthread_mutex_lock(&s->lock);
	s->synced = true;
	s->down = false;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	host_kv_event(NULL);
	return false;
}

static bool kv_wanted(const struct cluster *c)
{
	return c->kv.wanted;
}

/* ---- puts (loop thread) ---- */

static void job_release(struct kvspace *s, struct kvjob *j)
{
	bool last;

	pthread_mutex_lock(&s->lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (!last)
		return;
	close(j->efd);
	free(j->key);
	free(j->val);
	free(j);
}

/* The loop is done with `j`: tell its worker. */
static void job_end(struct kvspace *s, struct kvjob *j, int result)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->lock);
	j->result = result;
	pthread_mutex_unlock(&s->lock);
	if (write(j->efd, &one, sizeof(one)) < 0)
		log_error("etcd: cannot wake a kv put's worker: %s",
			  strerror(errno));
	job_release(s, j);
}

static void unlink_sent(struct kvspace *s, struct kvjob *j)
{
	for (struct kvjob **p = &s->sent; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			return;
		}
}

static void on_put(struct etcd_req *r, int err, const char *why, json_t *body,
		   void *data)
{
	struct kvjob *j = data;
	struct cluster *c = j->c;
	struct kvspace *s = space(c);
	const char *e = err ? NULL : cluster_answer_error(body);
	int64_t rev = 0;
	struct kvent *ent;
	bool changed = false;
	char *val = NULL;

	unlink_sent(s, j);
	if (err || e) {
		cluster_failed(c, "kv put", err ? err : -EPROTO, err ? why : e);
		job_end(s, j, err == -EHOSTUNREACH ? -EHOSTUNREACH : -EIO);
		return;
	}
	cluster_link_up(c);
	codec_get_i64(json_object_get(body, "header"), "revision", &rev);
	pthread_mutex_lock(&s->lock);
	ent = ent_get(s, j->key, strlen(j->key), j->val != NULL);
	if (ent && (!j->val || (val = strdup(j->val))))
		changed = ent_set(ent, val, rev);
	pthread_mutex_unlock(&s->lock);
	if (changed && s->synced)
		host_kv_event(ent->key);
	job_end(s, j, 0);
}

static void post(struct cluster *c, struct kvjob *j)
{
	struct kvspace *s = space(c);
	size_t plen = strlen(KV_PREFIX), klen = strlen(j->key);
	char *full = malloc(plen + klen + 1);
	json_t *body = NULL;

	if (full) {
		memcpy(full, KV_PREFIX, plen);
		memcpy(full + plen, j->key, klen + 1);
		body = json_pack("{s:o}", "key",
				 cluster_b64_json(full, plen + klen));
		if (body && j->val)
			json_object_set_new(body, "value",
					    cluster_b64_json(j->val,
							     strlen(j->val)));
	}
	free(full);
	j->req = body ? etcd_post(c->e,
				  j->val ? "/v3/kv/put" : "/v3/kv/deleterange",
				  body, REQ_TIMEOUT, on_put, NULL, j) :
			NULL;
	if (!j->req) {
		log_error("etcd: out of memory");
		job_end(s, j, -ENOMEM);
		return;
	}
	j->next = s->sent;
	s->sent = j;
}

/* Workers queued puts, or asked for the space. */
static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct cluster *c = w->data;
	struct kvspace *s = space(c);
	struct kvjob *jobs, *next;

	if (atomic_exchange(&s->ask, false))
		s->ops.follow(c);
	pthread_mutex_lock(&s->lock);
	jobs = s->jobs;
	s->jobs = NULL;
	pthread_mutex_unlock(&s->lock);
	for (; jobs; jobs = next) {
		next = jobs->next;
		if (c->stopping)
			job_end(s, jobs, -ECANCELED);
		else
			post(c, jobs);
	}
}

/* ---- the host services' side (struct host_kv_ops) ---- */

static void ops_follow(void *ctx)
{
	struct cluster *c = ctx;

	if (c->kv.wanted)
		return;
	c->kv.wanted = true;
	cluster_follow(&c->kv_f);
	if (c->link == LINK_DOWN) /* no line will say so again */
		cluster_kv_link_down(c);
}

static bool ops_synced(void *ctx)
{
	return ((struct cluster *)ctx)->kv.synced;
}

static int ops_get(void *ctx, const char *key, char **value, bool worker)
{
	struct cluster *c = ctx;
	struct kvspace *s = space(c);
	struct kvent *e;
	int r = 0;

	*value = NULL;
	pthread_mutex_lock(&s->lock);
	if (!s->synced && worker && !s->down) {
		struct timespec until;

		if (!atomic_exchange(&s->ask, true))
			ev_async_send(c->loop, &s->wake);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += GET_WAIT;
		while (!s->synced && !s->down &&
		       pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
			;
	} else if (!s->synced) {
		pthread_mutex_unlock(&s->lock);
		ops_follow(c);
		return -EAGAIN;
	}
	if (!s->synced) {
		r = -EAGAIN;
	} else if ((e = shash_get(&s->idx, key, strlen(key))) && e->val &&
		   !(*value = strdup(e->val))) {
		r = -ENOMEM;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int ops_put(void *ctx, const char *key, const char *value, int stop_fd)
{
	struct cluster *c = ctx;
	struct kvspace *s = space(c);
	struct kvjob *j = calloc(1, sizeof(*j));
	struct pollfd pf[2];
	int r;

	if (!j)
		return -ENOMEM;
	j->c = c;
	j->refs = 2;
	j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	j->key = strdup(key);
	j->val = value ? strdup(value) : NULL;
	if (j->efd < 0 || !j->key || (value && !j->val)) {
		r = j->efd < 0 ? -errno : -ENOMEM;
		if (j->efd >= 0)
			close(j->efd);
		free(j->key);
		free(j->val);
		free(j);
		return r;
	}
	pthread_mutex_lock(&s->lock);
	j->next = s->jobs;
	s->jobs = j;
	pthread_mutex_unlock(&s->lock);
	ev_async_send(c->loop, &s->wake);
	pf[0] = (struct pollfd){ .fd = j->efd, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
	do
		r = poll(pf, stop_fd >= 0 ? 2 : 1, -1);
	while (r < 0 && errno == EINTR);
	pthread_mutex_lock(&s->lock);
	r = (pf[0].revents & POLLIN) ? j->result : -ECANCELED;
	pthread_mutex_unlock(&s->lock);
	job_release(s, j);
	return r;
}

/* ---- life ---- */

int cluster_kv_init(struct cluster *c)
{
	static const struct follow_ops ops = {
		.prefix = KV_PREFIX,
		.what = "the key-value space",
		.wanted = kv_wanted,
		.set = kv_set,
		.unsee = kv_unsee,
		.sweep = kv_sweep,
	};
	struct kvspace *s = space(c);
	int r;

	cluster_follow_init(&c->kv_f, c, &ops);
	if ((r = pthread_mutex_init(&s->lock, NULL)) != 0)
		return -r;
	if ((r = pthread_cond_init(&s->cond, NULL)) != 0) {
		pthread_mutex_destroy(&s->lock);
		return -r;
	}
	ev_async_init(&s->wake, on_wake);
	s->wake.data = c;
	ev_async_start(c->loop, &s->wake);
	s->ops = (struct host_kv_ops){
		.ctx = c,
		.follow = ops_follow,
		.synced = ops_synced,
		.get = ops_get,
		.put = ops_put,
	};
	s->inited = true;
	return 0;
}

void cluster_kv_link_down(struct cluster *c)
{
	struct kvspace *s = space(c);

	if (!s->inited || !s->wanted || s->synced)
		return;
	pthread_mutex_lock(&s->lock);
	s->down = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	host_kv_event(NULL);
}

const struct host_kv_ops *cluster_kv_ops(struct cluster *c)
{
	return &c->kv.ops;
}

void cluster_kv_stop(struct cluster *c)
{
	struct kvspace *s = space(c);

	if (!s->inited)
		return;
	cluster_follow_stop(&c->kv_f);
	while (s->sent) {
		struct kvjob *j = s->sent;

		s->sent = j->next;
		etcd_cancel(j->req);
		job_end(s, j, -ECANCELED);
	}
	on_wake(c->loop, &s->wake, 0); /* c->stopping: ends what is queued */
}

void cluster_kv_fini(struct cluster *c)
{
	struct kvspace *s = space(c);

	if (!s->inited)
		return;
	ev_async_stop(c->loop, &s->wake);
	ev_timer_stop(c->loop, &c->kv_f.timer);
	for (size_t i = 0; i < s->n; i++) {
		free(s->ents[i]->key);
		free(s->ents[i]->val);
		free(s->ents[i]);
	}
	free(s->ents);
	shash_free(&s->idx);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

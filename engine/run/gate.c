/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gate.c - what a runnable vertex must pass before a worker takes it:
 * meta.limit/burst (a token bucket, so a flapping resource cannot spin) and
 * meta.sema (named counting semaphores shared across the graph).  Loop
 * thread only, like all vertex state.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run/internal.h"

/* meta.limit (runs per second) with meta.burst (runs at once, at least 1):
 * a token bucket, so a flapping resource cannot spin.  Without a token the
 * vertex waits on a timer for the next one and stays dirty. */
bool gate_limit_take(struct sched *s, struct vertex *v)
{
	const struct meta *m = &v->res->meta;
	double burst = m->burst > 0 ? (double)m->burst : 1., now;

	if (m->limit <= 0)
		return true; /* +Inf: no limit */
	if (stimer_active(&v->limit_timer))
		return false;
	now = sched_clock();
	v->tokens += (now - v->tokens_at) * m->limit;
	if (v->tokens > burst)
		v->tokens = burst;
	v->tokens_at = now;
	/* (1 - tokens) / limit can be too small to move the clock: a token
	 * short by a rounding error is a token. */
	if (v->tokens >= 1. - 1e-9) {
		v->tokens = v->tokens > 1. ? v->tokens - 1. : 0.;
		return true;
	}
	stimer_start(s->loop, &v->limit_timer, (1. - v->tokens) / m->limit, 0.);
	s->nlimited++;
	return false;
}

void gate_on_limit(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct vertex *v = SCHED_CONTAINER(w, struct vertex, limit_timer);
	struct sched *s = v->s;

	s->nlimited--;
	if (v->state == V_DIRTY && v->nblock == 0)
		sched_enqueue(s, v);
	sched_kick(s);
}

/* Take every semaphore of `v`, or none and wait in the first full one. */
bool gate_sema_take(struct sched *s, struct vertex *v)
{
	for (uint32_t i = 0; i < v->nsemas; i++) {
		struct sema *m = &s->semas[v->semas[i]];

		if (m->used < m->size)
			continue;
		if (v->sema_wait)
			return false; /* already in a wait list */
		v->sema_wait = true;
		v->sema_next = NULL;
		if (m->wait_tail)
			m->wait_tail->sema_next = v;
		else
			m->wait_head = v;
		m->wait_tail = v;
		return false;
	}
	for (uint32_t i = 0; i < v->nsemas; i++)
		s->semas[v->semas[i]].used++;
	return true;
}

static struct sema *sema_find(struct sched *s, const char *id)
{
	for (uint32_t x = 0; x < s->nsemas; x++)
		if (strcmp(s->semas[x].id, id) == 0)
			return &s->semas[x];
	return NULL;
}

/* Give back the semaphores `ids` (by id: the job may be of the graph
 * before); whoever waited tries again from the run queue (in the order
 * they came). */
void gate_sema_give(struct sched *s, const char *const *ids, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct sema *m = sema_find(s, ids[i]);

		if (!m || m->used == 0)
			continue; /* not named by this graph */
		m->used--;
		while (m->wait_head) {
			struct vertex *w = m->wait_head;

			m->wait_head = w->sema_next;
			w->sema_next = NULL;
			w->sema_wait = false;
			if (w->state == V_DIRTY && w->nblock == 0)
				sched_enqueue(s, w);
		}
		m->wait_tail = NULL;
	}
}

void gate_sema_hold(struct sched *s, const char *const *ids, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct sema *m = sema_find(s, ids[i]);

		if (m)
			m->used++;
	}
}

/* The semaphores every vertex names: the union of its members' meta.sema
 * (a group holds what any member needs), each id once. */
int gate_setup_semas(struct sched *s, const struct graph_cfg *cfg)
{
	const struct autogroup_result *ag = &s->plan.ag;
	size_t total = 0, used = 0;

	for (size_t i = 0; i < cfg->nres; i++)
		total += cfg->res[i]->meta.sema.n;
	if (total == 0)
		return 0;
	s->semas = calloc(total, sizeof(*s->semas));
	s->sema_idx = calloc(total, sizeof(*s->sema_idx));
	if (!s->semas || !s->sema_idx)
		return -ENOMEM;
	/* Few semaphores in practice: a linear search keeps this simple. */
	for (uint32_t g = 0; g < s->n; g++) {
		struct vertex *v = &s->v[g];

		v->semas = s->sema_idx + used;
		for (uint32_t j = ag->member_start[g];
		     j < ag->member_start[g + 1]; j++) {
			const struct mgmt_strv *sv =
				&cfg->res[ag->members[j]]->meta.sema;

			for (size_t k = 0; k < sv->n; k++) {
				const char *id = sv->v[k], *colon;
				struct sema *found = sema_find(s, id);
				uint32_t x, y;

				x = found ? (uint32_t)(found - s->semas) :
					    s->nsemas;
				if (x == s->nsemas) {
					colon = strrchr(id, ':');
					s->semas[x].id = id;
					s->semas[x].size =
						colon ? (uint32_t)strtoul(
								colon + 1, NULL,
								10) :
							1;
					if (s->semas[x].size == 0)
						s->semas[x].size = 1;
					s->nsemas++;
				}
				for (y = 0; y < v->nsemas; y++)
					if (v->semas[y] == x)
						break;
				if (y == v->nsemas)
					v->semas[v->nsemas++] = x;
			}
		}
		used += v->nsemas;
	}
	return 0;
}

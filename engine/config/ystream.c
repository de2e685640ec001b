/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ystream.c - libyaml's events parsed ahead on a thread (see ystream.h).
 *
 * A ring of NBATCH batches of BATCH events: the parser thread fills the
 * batch after the last full one while fewer than NBATCH are full, the
 * caller empties them in order.  The two meet only once per batch, under
 * one mutex, so the cost of the hand-over is spread over BATCH events.  A
 * batch that ends the stream (its end event, or a parse error) is the
 * parser thread's last.
 */
#include <config.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/ystream.h"
#include "util/grow.h"

#define BATCH 1024
#define NBATCH 8
#define NONE SIZE_MAX

struct batch {
	struct yev ev[BATCH];
	size_t n;
	bool last; /* the stream's end, or its parse error, is in here */
	/* The events' strings; while the batch fills, where each starts. */
	char *text;
	size_t tlen, tcap;
	size_t anchor_at[BATCH], value_at[BATCH];
};

struct ystream {
	yaml_parser_t yp;
	/* Inline: the event given last, freed at the next call. */
	yaml_event_t ev;
	bool have_ev;
	struct yev one;
	/* Ahead: the thread, the ring, and the caller's place in it. */
	bool ahead, joined;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long filled, emptied; /* batches; under lock */
	bool stop;                     /* the caller stopped; under lock */
	struct batch *cur;             /* the caller's batch, or NULL */
	size_t next;                   /* its next event */
	struct batch *b;               /* NBATCH of them */
};

/* `y` from libyaml's `e`, its strings left where libyaml has them. */
static void flatten(const yaml_event_t *e, struct yev *y)
{
	const char *tag;

	*y = (struct yev){ .type = e->type, .mark = e->start_mark };
	switch (e->type) {
	case YAML_ALIAS_EVENT:
		y->anchor = (const char *)e->data.alias.anchor;
		break;
	case YAML_SCALAR_EVENT:
		tag = (const char *)e->data.scalar.tag;
		y->anchor = (const char *)e->data.scalar.anchor;
		y->value = (const char *)e->data.scalar.value;
		y->length = e->data.scalar.length;
		/* `!!str true` and `! true` are strings however written. */
		y->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			   !(tag && (strcmp(tag, "!") == 0 ||
				     strcmp(tag, YAML_STR_TAG) == 0));
		break;
	case YAML_SEQUENCE_START_EVENT:
		y->anchor = (const char *)e->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		y->anchor = (const char *)e->data.mapping_start.anchor;
		break;
	default:
		break;
	}
}

/* Copy `len` bytes of `str` and a NUL into b's text; where, or NONE. */
static size_t keep(struct batch *b, const char *str, size_t len, bool *nomem)
{
	size_t at = b->tlen;

	if (!str)
		return NONE;
	if (GROW(b->text, b->tcap, b->tlen + len + 1, 4096) < 0) {
		*nomem = true;
		return NONE;
	}
	memcpy(b->text + at, str, len);
	b->text[at + len] = '\0';
	b->tlen += len + 1;
	return at;
}

/* Parse the next event into b (false: the stream ends with it). */
static bool fill_one(struct ystream *s, struct batch *b)
{
	yaml_event_t e;
	struct yev *y = &b->ev[b->n];
	bool nomem = false;

	if (!yaml_parser_parse(&s->yp, &e))
		return false;
	flatten(&e, y);
	b->anchor_at[b->n] =
		keep(b, y->anchor, y->anchor ? strlen(y->anchor) : 0, &nomem);
	b->value_at[b->n] = keep(b, y->value, y->length, &nomem);
	yaml_event_delete(&e);
	if (nomem) { /* told as the parser's own problem */
		s->yp.error = YAML_MEMORY_ERROR;
		s->yp.problem = "out of memory";
		s->yp.problem_mark = y->mark;
		s->yp.context = NULL;
		return false;
	}
	b->n++;
	return y->type != YAML_STREAM_END_EVENT;
}

static void *parse_ahead(void *arg)
{
	struct ystream *s = arg;
	bool last = false;

	while (!last) {
		struct batch *b;

		pthread_mutex_lock(&s->lock);
		while (s->filled - s->emptied == NBATCH && !s->stop)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		b = &s->b[s->filled % NBATCH];
		pthread_mutex_unlock(&s->lock);
		b->n = b->tlen = 0;
		while (b->n < BATCH && !last)
			last = !fill_one(s, b);
		for (size_t i = 0; i < b->n; i++) { /* the text moves no more */
			size_t a = b->anchor_at[i], v = b->value_at[i];

			b->ev[i].anchor = a == NONE ? NULL : b->text + a;
			b->ev[i].value = v == NONE ? NULL : b->text + v;
		}
		b->last = last;
		pthread_mutex_lock(&s->lock);
		s->filled++;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

struct ystream *ystream_open(const char *buf, size_t len, bool ahead)
{
	struct ystream *s = calloc(1, sizeof(*s));
	sigset_t all, old;

	if (!s)
		return NULL;
	if (!yaml_parser_initialize(&s->yp)) {
		free(s);
		return NULL;
	}
	yaml_parser_set_input_string(&s->yp, (const unsigned char *)buf, len);
	if (!ahead || !(s->b = calloc(NBATCH, sizeof(*s->b))))
		return s;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	/* Signals are the loop's: the thread is born with all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	s->ahead = pthread_create(&s->thread, NULL, parse_ahead, s) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->ahead) { /* parsed inline, as a short input is */
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s->b);
		s->b = NULL;
	}
	return s;
}

/* Hand the caller's batch back; take the next full one (waiting for it). */
static void next_batch(struct ystream *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->cur) {
		s->emptied++;
		pthread_cond_signal(&s->cond);
	}
	while (s->filled == s->emptied)
		pthread_cond_wait(&s->cond, &s->lock);
	s->cur = &s->b[s->emptied % NBATCH];
	s->next = 0;
	pthread_mutex_unlock(&s->lock);
}

const struct yev *ystream_next(struct ystream *s)
{
	if (!s->ahead) {
		if (s->have_ev)
			yaml_event_delete(&s->ev);
		s->have_ev = yaml_parser_parse(&s->yp, &s->ev);
		if (!s->have_ev)
			return NULL;
		flatten(&s->ev, &s->one);
		return &s->one;
	}
	while (!s->cur || s->next == s->cur->n) {
		/* The stream's last batch ends with its end event, which the
		 * caller does not read past; or with a parse error. */
		if (s->cur && s->cur->last)
			return NULL;
		next_batch(s);
	}
	return &s->cur->ev[s->next++];
}

static void join(struct ystream *s)
{
	if (!s->ahead || s->joined)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->joined = true;
}

const yaml_parser_t *ystream_parser(struct ystream *s)
{
	join(s);
	return &s->yp;
}

void ystream_close(struct ystream *s)
{
	if (!s)
		return;
	if (s->have_ev)
		yaml_event_delete(&s->ev);
	if (s->ahead) {
		join(s);
		for (size_t i = 0; i < NBATCH; i++)
			free(s->b[i].text);
		free(s->b);
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
	}
	yaml_parser_delete(&s->yp);
	free(s);
}

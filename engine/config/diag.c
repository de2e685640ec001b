/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * diag.c - the list of errors a compile found (see diag.h).
 *
 * Messages are formatted when added, so they never point into the document
 * or the graph they describe: both can be freed before the errors are
 * printed.  A flood of errors (a generated file gone wrong) is cut at
 * `max`, with one line saying so; they are still counted, so the summary
 * tells how many there were, not how many were kept.
 */

/* The build's config.h (with _GNU_SOURCE), not config/config.h beside this
 * file: hence the angle brackets. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/diag.h"
#include "util/grow.h"

#define DIAG_DEFAULT_MAX 1000

static void diag_push(struct diag *d, char *msg, struct pos pos)
{
	/* Two arrays of one capacity: each may end up larger than d->cap,
	 * never smaller. */
	size_t cap_msgs = d->cap, cap_where = d->cap;

	if (GROW(d->msgs, cap_msgs, d->n + 1, 16) < 0 ||
	    GROW(d->where, cap_where, d->n + 1, 16) < 0) {
		free(msg);
		return;
	}
	d->cap = cap_msgs < cap_where ? cap_msgs : cap_where;
	pos.file = NULL;
	d->where[d->n] = pos;
	d->msgs[d->n++] = msg;
}

struct diag_entry {
	char *msg;
	struct pos pos;
	size_t seq;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct diag_entry *x = a, *y = b;
	long lx = x->pos.line > 0 ? x->pos.line : 0x7fffffffL;
	long ly = y->pos.line > 0 ? y->pos.line : 0x7fffffffL;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

void diag_sort(struct diag *d, size_t from)
{
	size_t n = d->n > from ? d->n - from : 0;
	struct diag_entry *e;

	if (n < 2 || !(e = malloc(n * sizeof(*e))))
		return; /* out of memory: keep the order found */
	for (size_t i = 0; i < n; i++)
		e[i] = (struct diag_entry){ d->msgs[from + i],
					    d->where[from + i], i };
	qsort(e, n, sizeof(*e), entry_cmp);
	for (size_t i = 0; i < n; i++) {
		d->msgs[from + i] = e[i].msg;
		d->where[from + i] = e[i].pos;
	}
	free(e);
}

void diag_vadd(struct diag *d, struct pos pos, const char *fmt, va_list ap)
{
	size_t max;
	char *text = NULL, *msg = NULL;
	int rc;

	if (!d)
		return;
	d->found++;
	max = d->max ? d->max : DIAG_DEFAULT_MAX;
	if (d->n > max)
		return;
	if (d->n == max) {
		/* One more slot for the note that the rest were dropped. */
		msg = strdup("too many errors; the rest are not shown");
		if (msg)
			diag_push(d, msg, (struct pos){ NULL, 0, 0 });
		return;
	}
	if (vasprintf(&text, fmt, ap) < 0)
		return;
	if (pos.line > 0)
		rc = asprintf(&msg, "%s:%d:%d: %s", pos.file ? pos.file : "-",
			      pos.line, pos.col, text);
	else if (pos.file)
		rc = asprintf(&msg, "%s: %s", pos.file, text);
	else
		rc = asprintf(&msg, "%s", text);
	free(text);
	if (rc < 0)
		return;
	diag_push(d, msg, pos);
}

void diag_add(struct diag *d, struct pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, pos, fmt, ap);
	va_end(ap);
}

const char *diag_summary(const struct diag *d, char *buf, size_t len)
{
	size_t found = d ? d->found : 0;
	size_t max = d && d->max ? d->max : DIAG_DEFAULT_MAX;

	if (found > max)
		snprintf(buf, len, "%zu errors (the first %zu shown)", found,
			 max);
	else
		snprintf(buf, len, "%zu error%s", found, found == 1 ? "" : "s");
	return buf;
}

void diag_print(const struct diag *d, FILE *f)
{
	for (size_t i = 0; d && i < d->n; i++)
		fprintf(f, "%s\n", d->msgs[i]);
}

void diag_free(struct diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	free(d->where);
	d->msgs = NULL;
	d->where = NULL;
	d->n = d->cap = d->found = 0;
}

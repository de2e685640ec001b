/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * diag.c - the list of errors a compile found (see diag.h).
 *
 * Messages are formatted when added, so they never point into the document
 * or the graph they describe: both can be freed before the errors are
 * printed.  A flood of errors (a generated file gone wrong) is cut at
 * `max`, with one line saying so.
 */

/* The build's config.h (with _GNU_SOURCE), not config/config.h beside this
 * file: hence the angle brackets. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/diag.h"

#define DIAG_DEFAULT_MAX 1000

static void diag_push(struct diag *d, char *msg)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		char **msgs = realloc(d->msgs, cap * sizeof(*msgs));

		if (!msgs) {
			free(msg);
			return;
		}
		d->msgs = msgs;
		d->cap = cap;
	}
	d->msgs[d->n++] = msg;
}

void diag_vadd(struct diag *d, struct pos pos, const char *fmt, va_list ap)
{
	size_t max;
	char *text = NULL, *msg = NULL;
	int rc;

	if (!d)
		return;
	max = d->max ? d->max : DIAG_DEFAULT_MAX;
	if (d->n > max)
		return;
	if (d->n == max) {
		/* One more slot for the note that the rest were dropped. */
		msg = strdup("too many errors; the rest are not shown");
		if (msg)
			diag_push(d, msg);
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
	diag_push(d, msg);
}

void diag_add(struct diag *d, struct pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, pos, fmt, ap);
	va_end(ap);
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
	d->msgs = NULL;
	d->n = d->cap = 0;
}

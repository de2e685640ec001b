/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * diag.h - positions in input files and the list of errors a compile found.
 *
 * Compiling is all-or-nothing: every error is collected here, printed in
 * order, and the graph is not run if there is any.  Each message has the
 * form `FILE:LINE:COL: message`.
 */
#ifndef ENGINE_DIAG_H
#define ENGINE_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include <mgmt/log.h>

struct pos {
	const char *file; /* owned by whoever owns the document; may be NULL */
	int line;         /* 1-based; 0 = unknown */
	int col;          /* 1-based */
};

struct diag {
	char **msgs;
	struct pos *where; /* of each message (file not kept) */
	size_t n, cap;
	size_t max;   /* stop collecting after this many (0 = 1000) */
	size_t found; /* messages added, kept or not: the count to tell */
};

/* Add `pos: message`.  Never fails visibly (out of memory drops it). */
void diag_add(struct diag *d, struct pos pos, const char *fmt, ...)
	MGMT_PRINTF(3, 4);
void diag_vadd(struct diag *d, struct pos pos, const char *fmt, va_list ap);
/* Put messages [from, n) in document order (line, then column; messages
 * without a line last), keeping the order of equal positions. */
void diag_sort(struct diag *d, size_t from);
/* "1 error", "12 errors", or when more were found than kept "100000
 * errors (the first 1000 shown)", into buf; returns buf. */
const char *diag_summary(const struct diag *d, char *buf, size_t len);
/* Print each message as one line to `f`. */
void diag_print(const struct diag *d, FILE *f);
void diag_free(struct diag *d);

#endif /* ENGINE_DIAG_H */

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * render.h - the control socket's bodies, from what the engine publishes
 * (run/stats.h): the status document (doc/control.md) and the metrics in
 * Prometheus' text format.  Pure functions of a table and the engine's
 * counters, so tests render them from tables they build.
 */
#ifndef ENGINE_CONTROL_RENDER_H
#define ENGINE_CONTROL_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "run/stats.h"

/* How the bodies' JSON is written: times are unix seconds to the
 * millisecond, which 13 significant digits hold; jansson's default of 17
 * shows the binary fraction's noise (1796269808.7409999). */
#define RENDER_JSON_REAL JSON_REAL_PRECISION(13)

/* Which resources the status lists (the summary counts them all). */
struct status_filter {
	const char *kind; /* NULL: any */
	const char *name; /* fnmatch pattern, NULL: any */
	bool failed;      /* only failed, retrying or held ones */
};

/* The status document of table `t` (NULL: no graph runs yet).  A new
 * reference, or NULL when memory ran out. */
json_t *render_status(const struct stats_table *t, const struct stats_engine *e,
		      const struct status_filter *f);

/* The metrics, as a malloc'ed text; NULL when memory ran out.  `watches`:
 * watch descriptors in use. */
char *render_metrics(const struct stats_table *t, const struct stats_engine *e,
		     size_t watches);

#endif /* ENGINE_CONTROL_RENDER_H */

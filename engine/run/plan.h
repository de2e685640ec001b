/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plan.h - what will run: the resource graph of a compiled config, grouped
 * (engine/graph/autogroup.h) into the vertices the scheduler runs.  Shared
 * by `run` and by `graph`, which prints it as dot or JSON.
 */
#ifndef ENGINE_PLAN_H
#define ENGINE_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "graph/autogroup.h"
#include "graph/graph.h"

struct plan {
	const struct graph_cfg *cfg;
	struct graph rg;            /* resources and their edges */
	struct autogroup_result ag; /* groups, and the graph over them */
};

/* Build the resource graph and group it (autogroup false: every resource
 * alone), then plan_join every group.  0 or -ENOMEM. */
int plan_build(const struct graph_cfg *cfg, bool autogroup, struct plan *p);
/* The same without telling the kinds (plan_join does, group by group). */
int plan_group(const struct graph_cfg *cfg, bool autogroup, struct plan *p);
/* Tell the kind of group `k`'s leader of each member (its group hook), and
 * log it: one line per group at info, one per member at debug. */
void plan_join(const struct plan *p, uint32_t k);
void plan_free(struct plan *p);

/* "Kind[name]" for a group of one, "Kind[autogroup:(a,b,c)]" otherwise
 * (members sorted); `upper` false gives the lowercase kind of the JSON. */
const char *plan_label(const struct plan *p, uint32_t group, bool upper,
		       char *buf, size_t len);

int plan_write_dot(const struct plan *p, FILE *f);
int plan_write_json(const struct plan *p, FILE *f);

#endif /* ENGINE_PLAN_H */

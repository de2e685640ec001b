/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * noop.c - the noop resource: manages nothing and is always converged.
 *
 * mgmt's noop kind, used to shape graphs in examples, tests and benchmarks.
 * Its check_apply does no I/O, so a graph of noops measures the engine alone.
 */
#include "config.h"

#include <mgmt/mgmt.h>

struct noop {
	char *comment;
};

static const struct mgmt_param noop_params[] = {
	MGMT_PARAM(struct noop, comment, MGMT_PARAM_STRING, NULL, 0,
		   "free text, ignored"),
	MGMT_PARAM_END,
};

static int noop_check_apply(mgmt_res *res, void *p, bool apply)
{
	return MGMT_CONVERGED;
}

/* As in mgmt, any two noops may be grouped: there is nothing to apply. */
static bool noop_group_cmp(mgmt_res *leader, void *lp, mgmt_res *other,
			   void *op)
{
	return true;
}

static const struct mgmt_kind noop_kind = {
	MGMT_KIND_HEADER,
	.name = "noop",
	.doc = "does nothing; always converged",
	.params = noop_params,
	.params_size = sizeof(struct noop),
	.check_apply = noop_check_apply,
	.group_cmp = noop_group_cmp,
};

static const struct mgmt_kind *const noop_kinds[] = { &noop_kind, NULL };

MGMT_PLUGIN_DEFINE("noop", PACKAGE_VERSION, "the noop resource", noop_kinds,
		   NULL, NULL);

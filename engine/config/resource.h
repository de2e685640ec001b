/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * resource.h - the engine's side of a resource (struct mgmt_res, opaque to
 * plugins) and its meta parameters.
 *
 * A resource is built by the compiler (config.c) from YAML: kind, name,
 * parameters in the plugin's struct, meta parameters, and where each came
 * from.  The runtime (engine/run) attaches its vertex through `vertex`.
 */
#ifndef ENGINE_RESOURCE_H
#define ENGINE_RESOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <mgmt/plugin.h>

#include "config/diag.h"
#include "loader/loader.h"

#define RES_MAGIC 0x6d67726du /* "mgrm" */

/* Meta parameters, valid on every resource (DESIGN.md section 7). */
struct meta {
	bool autoedge;       /* true */
	bool autogroup;      /* true */
	bool noop;           /* false */
	bool export_;        /* false; also true for names starting "@@" */
	int64_t retry;       /* 0; -1 = forever */
	int64_t delay_ms;    /* 0 */
	int64_t poll_s;      /* 0 = event driven */
	double limit;        /* runs per second; 0 = unlimited ("+Inf") */
	int64_t burst;       /* 0 */
	struct mgmt_strv sema; /* "name:count" or "name" (count 1) */
	bool rewatch;        /* accepted for mgmt compatibility */
	bool realize;        /* accepted for mgmt compatibility */
	bool reverse;        /* accepted for mgmt compatibility */
};

struct mgmt_res {
	uint32_t magic;      /* RES_MAGIC; checked by host services */
	const struct kind_entry *kind;
	char *name;
	void *params;        /* kind->k.params_size bytes */
	struct meta meta;
	unsigned flags;      /* MGMT_RES_* set by the plugin */
	struct pos pos;      /* the resource's mapping in the YAML */
	struct pos *param_pos; /* per schema entry; line 0 = not given */
	struct diag *diag;   /* set while validate runs (host->invalid) */
	void *vertex;        /* the runtime's, see engine/run */
};

/* Free the parameter values (per schema), params, name and positions. */
void res_free(struct mgmt_res *r);

/* Equal kind, name, meta and parameters (kind's cmp, else per schema). */
bool res_equal(const struct mgmt_res *a, const struct mgmt_res *b);

/* Position of parameter `param` (NULL, unknown or not given: the resource). */
struct pos res_param_pos(const struct mgmt_res *r, const char *param);

#endif /* ENGINE_RESOURCE_H */

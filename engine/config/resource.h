/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * resource.h - the engine's side of a resource (struct mgmt_res, opaque to
 * plugins) and its meta parameters.
 *
 * A resource is built by the compiler (config.c) from YAML: kind, name,
 * parameters in the plugin's struct, meta parameters, and where each came
 * from: what the graph file says, and nothing else.  The scheduler
 * (engine/run) hangs its own state of the resource on `run`.
 */
#ifndef ENGINE_RESOURCE_H
#define ENGINE_RESOURCE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <mgmt/plugin.h>

#include "config/diag.h"
#include "loader/loader.h"

#define RES_MAGIC 0x6d67726du /* "mgrm" */

/* Meta parameters, valid on every resource (doc/graph-format.md, "Meta
 * parameters"). */
struct meta {
	bool autoedge;         /* true */
	bool autogroup;        /* true */
	bool noop;             /* false */
	bool export_;          /* false; also true for names starting "@@" */
	int64_t retry;         /* 0; -1 = forever */
	int64_t delay_ms;      /* 0 */
	int64_t poll_s;        /* 0 = event driven */
	double limit;          /* runs per second; 0 = unlimited ("+Inf") */
	int64_t burst;         /* 0 */
	struct mgmt_strv sema; /* "name:count" or "name" (count 1) */
	bool rewatch;          /* accepted for mgmt compatibility */
	bool realize;          /* accepted for mgmt compatibility */
	bool reverse;          /* accepted for mgmt compatibility */
};

struct res_run;

struct mgmt_res {
	uint32_t magic; /* RES_MAGIC; checked by host services */
	const struct kind_entry *kind;
	char *name;
	void *params; /* kind->k.params_size bytes */
	struct meta meta;
	unsigned flags;        /* MGMT_RES_* set by the plugin */
	struct pos pos;        /* the resource's mapping in the YAML */
	struct pos *param_pos; /* per schema entry; line 0 = not given */
	struct diag *diag;     /* set while validate runs (host->invalid) */
	/* What the scheduler keeps of it while it is in a running graph
	 * (engine/run/internal.h); NULL until then.  Not config's: the
	 * scheduler sets it up and frees it before it lets the resource go. */
	struct res_run *run;
};

/* Free the parameter values (per schema), params, name, positions, meta
 * and `r` itself.  NULL is ignored. */
void res_free(struct mgmt_res *r);

/* Equal kind, name, meta and parameters (kind's cmp, else per schema). */
bool res_equal(const struct mgmt_res *a, const struct mgmt_res *b);

/* Position of parameter `param` (NULL, unknown or not given: the resource). */
struct pos res_param_pos(const struct mgmt_res *r, const char *param);

/* The validate hook's host->invalid: append "kind[name]: PARAM: message"
 * ("kind[name]: message" when `param` is NULL) to r->diag, at the position
 * of `param`.  Does nothing when r->diag is NULL (outside validate). */
void res_invalid_v(struct mgmt_res *r, const char *param, const char *fmt,
		   va_list ap) MGMT_PRINTF(3, 0);

struct ynode;

/* Build a resource of kind `k` from its YAML mapping `n`: the name
 * (required, not empty; "@@NAME" sets meta.export), meta parameters, and
 * every parameter of the schema (unknown keys, bad values and missing
 * required ones are reported; defaults applied).  Errors go to `d` with
 * their positions.  Returns 0; -EINVAL after reporting, with the resource
 * still in *out (so its name can be checked); -ENOMEM with *out NULL. */
int res_from_yaml(const struct kind_entry *k, const struct ynode *n,
		  struct diag *d, struct mgmt_res **out);

/* Run the kind's validate hook (if any) with r->diag set to `d`.  Returns
 * 0, or -EINVAL when it reported anything or failed (a failure without a
 * message is reported for it). */
int res_validate(struct mgmt_res *r, struct diag *d);

/* Meta parameters: defaults (autoedge and autogroup true, the rest 0). */
void meta_init(struct meta *m);
/* Parse a `meta:` mapping into `m` (which holds defaults); errors go to `d`
 * as "PREFIX meta: ...".  Returns 0, -EINVAL after reporting, -ENOMEM. */
int meta_parse(struct meta *m, const struct ynode *n, const char *prefix,
	       struct diag *d);
void meta_free(struct meta *m);
bool meta_equal(const struct meta *a, const struct meta *b);

#endif /* ENGINE_RESOURCE_H */

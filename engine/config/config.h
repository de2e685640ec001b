/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config.h - compile a YAML graph file into typed resources and edges.
 *
 * The front end (yaml.c) turns the file into a document tree whose every node
 * keeps FILE:LINE:COL; the compiler (config.c) walks it: kinds are looked up
 * in the registry, parameters parsed and type-checked by each kind's schema
 * straight into the plugin's struct, meta parameters parsed, each kind's
 * validate hook run, resources of one kind with one uid reported as
 * conflicts, edges resolved and the graph checked for cycles.  Every error
 * is collected in a struct diag; a graph with any error is not returned.
 */
#ifndef ENGINE_CONFIG_H
#define ENGINE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config/diag.h"
#include "config/resource.h"
#include "loader/loader.h"

struct edge_cfg {
	size_t from, to; /* indexes into graph_cfg.res */
	bool notify;
	bool automatic; /* added by a kind's autoedges hook */
	char *name;     /* may be NULL */
	struct pos pos;
};

struct collect_cfg {
	char *kind;
	char *pattern;
	bool system; /* `system: true`: needed for a MGMT_KIND_SYSTEM kind */
	struct pos pos;
};

/* A key of the graph's `trust:` list (doc/etcd.md, "Trust"). */
struct trust_cfg {
	unsigned char pk[32]; /* Ed25519 public key */
	char *host;           /* the host it signs for */
	struct pos pos;
};

struct graph_cfg {
	char *file;   /* the path it was read from: a file or a directory */
	char **files; /* the files read, in name order (positions use them) */
	size_t nfiles;
	char *name; /* `graph:`; may be NULL */
	struct mgmt_res *
		*res; /* in YAML order: kinds in file order, then list order */
	size_t nres;
	struct edge_cfg *edges;
	size_t nedges;
	struct collect_cfg *collect;
	size_t ncollect;
	struct trust_cfg *trust; /* `trust:`, in file order */
	size_t ntrust;
};

/* Compile `path`: a graph file, or a directory whose every `*.yaml` file
 * (not hidden, in name order) is a part of one graph: names are unique
 * across the files, edges may cross them, and the graph's name is the
 * first `graph:` given.  An empty directory is an empty graph.  On success
 * returns 0 and *out; on any error returns -1, leaves *out NULL and every
 * error in `d`, with the position in its own file.  Runs each kind's
 * validate, and its uid hook on every resource that passed it: two
 * resources of one kind with one uid are an error at the second, naming
 * the first. */
int config_load_file(const char *path, const struct registry *reg,
		     struct graph_cfg **out, struct diag *d);

/* Is `name` (a directory entry) a part of a graph directory? */
bool config_is_part(const char *name);

/* The same from a buffer; `name` is used in positions. */
int config_load_buffer(const char *name, const char *buf, size_t len,
		       const struct registry *reg, struct graph_cfg **out,
		       struct diag *d);

void config_graph_free(struct graph_cfg *g);

/* Does this host manage the resources a graph exports (meta.export, "@@"
 * names)?  Yes (the default), unless it runs with etcd: then they are only
 * published (doc/etcd.md, "Exporting"), so the graphs compiled afterwards
 * leave them out of the conflict check and the automatic edges.  Loop
 * thread. */
void config_set_exports_managed(bool managed);

/* "file[f1]" (lowercase kind, as in errors) into buf; returns buf. */
const char *res_label(const struct mgmt_res *r, char *buf, size_t len);

/* merge.c: the graph meets the cluster (doc/etcd.md). */

/* Take the exported resources (meta.export_) out of `g`: they are
 * published, not managed here.  They go to *out (the caller frees each
 * with res_free, and the array with free); edges naming them are dropped
 * (an explicit one with a warning).  0 or -ENOMEM. */
int config_take_exported(struct graph_cfg *g, struct mgmt_res ***out,
			 size_t *nout);

/* A resource of kind `k` from `text`, a JSON (or YAML) mapping of its
 * parameters and its name, parsed by the schema like the graph file;
 * positions name `origin`, which must outlive the resource.  Not
 * validated.  0; -EINVAL with the errors in `d`; -ENOMEM. */
int config_res_from_text(const struct kind_entry *k, const char *origin,
			 const char *text, size_t len, struct diag *d,
			 struct mgmt_res **out);

/* Append the `n` resources of `add` (taken over) to `g`, make the
 * automatic edges again and check for cycles.  An added resource whose
 * kind and uid a resource before it has (a local one, or one added
 * earlier) is skipped and freed, with a warning naming both: what another
 * host exports must never make this host's graph fail.  On a cycle the
 * added resources are freed, `g` is as it was and -ELOOP returns with the
 * cycle in `d`.  0, -ELOOP, -ENOMEM. */
int config_merge(struct graph_cfg *g, struct mgmt_res **add, size_t n,
		 struct diag *d);

#endif /* ENGINE_CONFIG_H */

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * internal.h - what the compiler's parts share: config.c (resources, the
 * root, streaming, the entry points), edges.c (edges, collect and the
 * cycle check), autoedge.c (the uid index: conflicts and automatic edges)
 * and merge.c.  Not used outside engine/config/.
 */
#ifndef ENGINE_CONFIG_INTERNAL_H
#define ENGINE_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"
#include "config/yaml.h"

#define SHOW_MAX 64
#define CYCLE_SHOW 16

struct compile {
	struct graph_cfg *g;
	const struct registry *reg;
	struct diag *d;
	struct shash *names; /* per kind (index in reg->kinds): name -> res+1 */
	bool *no_uid;        /* per resource: keep out of the uid index (it
			      * did not compile, or is not managed here) */
	size_t cap_res, cap_no_uid, cap_edges, cap_collect, cap_files,
		cap_trust;
	unsigned nerr;
	unsigned edge_nerr;  /* errors in edges taken while streaming */
	bool resources_done; /* the root's `resources` value is complete */
	bool stream_edges;   /* one file: its edges may be taken as parsed */
	bool nomem;
};

/* One error at `pos`, counted. */
void cfg_err(struct compile *c, struct pos pos, const char *fmt, ...)
	MGMT_PRINTF(3, 4);
/* Count a negative return as an error (-ENOMEM as out of memory). */
void cfg_count(struct compile *c, int rc);
/* Concatenate the NULL-terminated strings after `len` into buf. */
const char *cfg_cat(char *buf, size_t len, ...);
const char *cfg_utoa(size_t v, char buf[24]);
/* `s` for a message: control characters escaped, cut with "..." to fit
 * `len`.  Returns buf. */
const char *cfg_show(const char *s, char *buf, size_t len);
void cfg_unknown_key(struct compile *c, const struct ynode *key,
		     const char *prefix, const char *what,
		     const char *const *names);
int cfg_get_string(struct compile *c, const struct ynode *n, const char *prefix,
		   const char *what, char **out);
bool cfg_is_null(const struct ynode *n);
ssize_t cfg_find_kind(struct compile *c, const struct ynode *n,
		      const char *prefix, bool any_case, bool list);
ssize_t cfg_get_kind(struct compile *c, const struct ynode *n,
		     const char *prefix);

/* edges.c */
void cfg_edge(struct compile *c, size_t idx, const struct ynode *n);
void cfg_collect(struct compile *c, size_t idx, const struct ynode *n);
void cfg_trust(struct compile *c, size_t idx, const struct ynode *n);
void cfg_list(struct compile *c, const struct ynode *n, const char *what,
	      void (*one)(struct compile *, size_t, const struct ynode *));
void cfg_check_cycles(struct compile *c);

/* autoedge.c: the (kind, uid) index (doc/graph-format.md, "Uids and
 * conflicts"). */
struct uid_index;

/* Resource `later` has the kind and uid of resource `first` (indexes into
 * graph_cfg.res, first < later); `uid` is the kind's, valid during the
 * call. */
typedef void (*uid_clash_cb)(void *ctx, size_t first, size_t later,
			     const char *uid);

/* Index every resource of `g` whose kind has a uid hook, in order, except
 * those `skip` marks (NULL: none).  One whose (kind, uid) is taken already
 * goes to `clash` and is left out: it is never matched and asks for no
 * edge.  *out is set even on failure; free it with uid_index_free.  0 or
 * -ENOMEM. */
int uid_index_build(struct graph_cfg *g, const bool *skip, uid_clash_cb clash,
		    void *ctx, struct uid_index **out);
/* Add the edges each kind's autoedges hook names, for every resource with
 * meta.autoedge that was not left out.  0 or -ENOMEM. */
int uid_index_edges(struct uid_index *ix);
void uid_index_free(struct uid_index *ix);

#endif /* ENGINE_CONFIG_INTERNAL_H */

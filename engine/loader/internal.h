/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * internal.h - what the loader's parts share: loader.c (finding, loading,
 * the registry), perms.c (is a file safe to load as root?) and check.c (is
 * what a plugin hands us sane?).  Not used outside engine/loader/.
 */
#ifndef ENGINE_LOADER_INTERNAL_H
#define ENGINE_LOADER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "loader/loader.h"

#define SIZE_ABSURD (64u * 1024u)     /* no SDK struct will ever be this big */
#define MAX_KINDS 1024                /* per plugin: a missing NULL ends here */
#define MAX_PARAMS 256                /* per kind: a missing END ends here */
#define PARAMS_SIZE_ABSURD (1u << 20) /* per-resource struct */
#define KIND_NAME_MAX 32

/* The smallest structs a plugin can hand us: every member of the 1.0
 * layout.  No SDK ever made a smaller one, so a smaller size is a struct
 * written by hand or corrupted, not an old plugin: a 48-byte descriptor ends
 * before `init`, its plugin would never get the host table and crash at its
 * first log call.  Members added after 1.0 are optional and read as NULL
 * when absent (kind->group_key, since 1.1). */
#define DESC_MIN_SIZE                                                          \
	(offsetof(struct mgmt_plugin, fini) +                                  \
	 sizeof(((struct mgmt_plugin *)0)->fini))
#define KIND_MIN_SIZE                                                          \
	(offsetof(struct mgmt_kind, collect) +                                 \
	 sizeof(((struct mgmt_kind *)0)->collect))

/* Kinds without parameters get this table, so later code never meets a NULL
 * params pointer. */
static const struct mgmt_param no_params[] = { MGMT_PARAM_END };

/* One log line "plugin FILE: ...", counted in r->nerrors and r->nrefused
 * and kept in r->problems for `mgmt-engine plugins`. */
void loader_err(struct registry *r, const char *file, const char *fmt, ...)
	MGMT_PRINTF(3, 4);

/* perms.c: 0, or -1 with the reason in `why`. */
int loader_dir_chain_safe(const char *dir, char *why, size_t len);
int loader_file_safe(const char *real, char *why, size_t len);

/* check.c: the descriptor `d` of `lp`, then one kind; each problem is
 * logged with loader_err.  loader_check_kind returns a new entry or NULL (then
 * *oom tells whether memory ran out). */
int loader_check_desc(struct registry *r, const struct loader_opts *o,
		      struct loader_plugin *lp, const struct mgmt_plugin *d);
struct kind_entry *loader_check_kind(struct registry *r,
				     const struct loader_opts *o,
				     const struct loader_plugin *lp,
				     const struct mgmt_kind *src, size_t idx,
				     bool *oom);

#endif /* ENGINE_LOADER_INTERNAL_H */

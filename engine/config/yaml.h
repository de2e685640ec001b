/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yaml.h - the YAML front end: libyaml events turned into a document tree.
 *
 * Every node keeps the FILE:LINE:COL it started at, so the compiler can name
 * the exact place of every error.  Nodes live in one arena, freed at once
 * with the document.  An alias is the anchored node itself (the tree is then
 * a DAG); the parser bounds what aliases can expand to, and nesting depth, so
 * hostile input ("billion laughs", deep nesting) fails fast with one message.
 * Only the first document of a stream is accepted.
 */
#ifndef ENGINE_YAML_H
#define ENGINE_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/diag.h"
#include "util/shash.h"

#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_ALIAS_NODES 1000000u

enum ynode_kind {
	YNODE_SCALAR = 1,
	YNODE_SEQ = 2,
	YNODE_MAP = 3,
};

struct ynode;

struct ypair {
	struct ynode *key; /* always a scalar */
	struct ynode *value;
};

/* Kept small: a 100,000-resource graph has over a million nodes. */
struct ynode {
	struct pos pos;
	union {
		struct {
			char *text; /* NUL-terminated; may contain NULs too */
			uint32_t len;
			bool plain; /* unquoted, untagged: `true` is a bool,
				     * `"true"` a string */
		} scalar;
		struct {
			struct ynode **items;
			uint32_t n;
		} seq;
		struct {
			struct ypair *pairs; /* in document order */
			uint32_t n;
		} map;
	};
	enum ynode_kind kind;
};

struct arena;

struct ydoc {
	struct arena *arena;
	struct ynode *root;
};

/*
 * Streaming.  A graph's big sequences (resources of a kind, edges) need not
 * exist as a whole tree: the compiler takes each item as soon as it is
 * parsed, and the parser then reuses the item's memory.  Items are offered
 * only when every collection above them is a mapping and none is anchored
 * (an alias to an ancestor must see the whole tree).
 */
struct ydoc_hook {
	/* A finished item of a sequence: `keys` are the mapping keys on the
	 * path from the root to the sequence (`nkeys` of them), `index` the
	 * item's place in its sequence.  Return true to take it: it is then
	 * left out of the tree, and its nodes must not be used after the
	 * call (copy what is kept). */
	bool (*item)(void *ctx, const struct ynode *const *keys, int nkeys,
		     size_t index, const struct ynode *item);
	/* A value of the root mapping is complete (it stays in the tree). */
	void (*root_value)(void *ctx, const struct ynode *key,
			   const struct ynode *value);
	void *ctx;
};

/* Parse `len` bytes of `buf`; `file` (kept by pointer, must outlive the
 * document) names positions.  Returns 0 and *out, or -1 with every problem
 * in `d` (the parser stops at the first syntax error).  -ENOMEM when memory
 * ran out. */
int ydoc_parse(const char *file, const char *buf, size_t len, struct ydoc **out,
	       struct diag *d);
/* The same, offering items to `hook` (may be NULL) as they are parsed. */
int ydoc_parse_hooked(const char *file, const char *buf, size_t len,
		      const struct ydoc_hook *hook, struct ydoc **out,
		      struct diag *d);
void ydoc_free(struct ydoc *doc);

/* "a scalar", "a sequence", "a mapping" */
const char *ynode_kind_name(const struct ynode *n);

/* The value of `key` in mapping `map`, or NULL.  Linear: for small maps. */
const struct ynode *ymap_get(const struct ynode *map, const char *key);

/* Is scalar `n` exactly the text `s`? */
bool yscalar_is(const struct ynode *n, const char *s);

/* Scalar `n`'s text for a message: control characters escaped, cut with
 * "..." to fit `len`.  Returns buf. */
const char *yscalar_show(const struct ynode *n, char *buf, size_t len);

#endif /* ENGINE_YAML_H */

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yaml.c - libyaml's event stream folded into a document tree (see yaml.h).
 *
 * libyaml's own loader (yaml_parser_load) would do most of this, but it keeps
 * no way to bound alias expansion or depth before the whole document is in
 * memory, and its node ids make positions awkward to carry; folding events
 * ourselves costs little.  Collections under construction sit on a stack of
 * frames; a finished node is handed to the frame below.  Each node's
 * "expanded size" (nodes in its subtree, with every alias counted as the
 * subtree it stands for) is tracked, so each alias charges exactly what a
 * walker of the tree would visit through it, and the parse stops as soon as
 * the total passes YDOC_MAX_ALIAS_NODES.
 */

/* The build's config.h (with _GNU_SOURCE), not config/config.h beside this
 * file: hence the angle brackets. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/yaml.h"
#include "config/ystream.h"
#include "util/grow.h"

/* ---- arena ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct arena_chunk *head;
};

#define ARENA_CHUNK (64u * 1024u)

/* `al` is a power of two; text asks for 1, nodes for a pointer's. */
static void *arena_alloc_aligned(struct arena *a, size_t n, size_t al)
{
	struct arena_chunk *c = a->head;

	if (c)
		c->used = (c->used + al - 1) & ~(al - 1);
	if (n == 0)
		n = 1;
	if (!c || c->used > c->cap || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		/* A dedicated big chunk goes behind the current one, so the
		 * current one keeps filling. */
		if (cap > ARENA_CHUNK && a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	c->used += n;
	return c->data + c->used - n;
}

static void *arena_alloc(struct arena *a, size_t n)
{
	return arena_alloc_aligned(a, n, alignof(void *));
}

struct arena_mark {
	struct arena_chunk *chunk;
	size_t used;
};

static struct arena_mark arena_mark(const struct arena *a)
{
	return (struct arena_mark){ a->head, a->head ? a->head->used : 0 };
}

/* Free everything allocated since `m`.  Chunks are pushed at the head (big
 * ones just behind it), so all that is newer sits in front of m.chunk. */
static void arena_reset(struct arena *a, struct arena_mark m)
{
	while (a->head && a->head != m.chunk) {
		struct arena_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
	if (a->head)
		a->head->used = m.used;
}

static void arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/* ---- tree helpers ---- */

const char *ynode_kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQ:
		return "a sequence";
	case YNODE_MAP:
		return "a mapping";
	}
	return "a node";
}

bool yscalar_is(const struct ynode *n, const char *s)
{
	size_t len = strlen(s);

	return n->kind == YNODE_SCALAR && n->scalar.len == len &&
	       memcmp(n->scalar.text, s, len) == 0;
}

const char *yscalar_show(const struct ynode *n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	for (size_t i = 0; n->kind == YNODE_SCALAR && i < n->scalar.len; i++) {
		unsigned char c = (unsigned char)n->scalar.text[i];

		/* Room for the longest escape and "...". */
		if (o + 4 + 3 + 1 > len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->map.n; i++)
		if (yscalar_is(map->map.pairs[i].key, key))
			return map->map.pairs[i].value;
	return NULL;
}

/* ---- the parser ---- */

struct anchor {
	struct ynode *node;
	uint64_t size; /* expanded size, once complete */
	bool open;     /* still being built: an alias to it would recurse */
};

struct frame {
	struct ynode *node;
	struct anchor *anchor; /* NULL when not anchored */
	struct ynode **items;  /* mappings: key, value, key, value... */
	size_t n, cap;
	size_t seen; /* sequences: items so far, taken ones too */
	uint64_t size;
	struct arena_mark mark; /* arena before this collection began */
	size_t nanchors;        /* anchor definitions before it began */
};

struct yparse {
	const char *file;
	const char *buf;
	size_t len;
	struct diag *d;
	struct arena *arena;
	struct frame stack[YDOC_MAX_DEPTH];
	size_t depth;
	struct shash anchors;
	size_t anchor_defs; /* anchors defined so far, redefinitions too */
	uint64_t alias_nodes;
	struct ynode *root;
	const struct ydoc_hook *hook;
	int nerr;
	bool nomem;
};

static struct pos mark_pos(const struct yparse *p, yaml_mark_t m)
{
	return (struct pos){ p->file, (int)m.line + 1, (int)m.column + 1 };
}

static struct pos offset_pos(const struct yparse *p, size_t off)
{
	struct pos pos = { p->file, 1, 1 };

	for (size_t i = 0; i < off && i < p->len; i++) {
		if (p->buf[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else {
			pos.col++;
		}
	}
	return pos;
}

static void perr(struct yparse *p, struct pos pos, const char *fmt, ...)
	MGMT_PRINTF(3, 4);
static void perr(struct yparse *p, struct pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p->d, pos, fmt, ap);
	va_end(ap);
	p->nerr++;
}

static void *palloc(struct yparse *p, size_t n)
{
	void *m = arena_alloc(p->arena, n);

	if (!m)
		p->nomem = true;
	return m;
}

static char *pstrndup(struct yparse *p, const char *s, size_t len)
{
	char *m = arena_alloc_aligned(p->arena, len + 1, 1);

	if (!m)
		p->nomem = true;

	if (m) {
		memcpy(m, s, len);
		m[len] = '\0';
	}
	return m;
}

static void syntax_error(struct yparse *p, const yaml_parser_t *yp)
{
	struct pos pos;

	if (yp->error == YAML_MEMORY_ERROR) {
		p->nomem = true;
		return;
	}
	if (yp->error == YAML_READER_ERROR) {
		pos = offset_pos(p, yp->problem_offset);
		if (yp->problem_value != -1)
			perr(p, pos, "%s: #%X",
			     yp->problem ? yp->problem : "bad input",
			     (unsigned)yp->problem_value);
		else
			perr(p, pos, "%s",
			     yp->problem ? yp->problem : "bad input");
		return;
	}
	pos = mark_pos(p, yp->problem_mark);
	if (yp->context)
		perr(p, pos, "%s (%s at %d:%d)",
		     yp->problem ? yp->problem : "syntax error", yp->context,
		     (int)yp->context_mark.line + 1,
		     (int)yp->context_mark.column + 1);
	else
		perr(p, pos, "%s", yp->problem ? yp->problem : "syntax error");
}

/* Register `name` for `node`.  A later anchor of the same name replaces an
 * earlier one, as YAML says. */
static struct anchor *add_anchor(struct yparse *p, const char *name,
				 struct ynode *node)
{
	size_t len = strlen(name);
	char *key = pstrndup(p, name, len);
	struct anchor *a = palloc(p, sizeof(*a));
	void **slot;
	bool found;

	if (!key || !a)
		return NULL;
	slot = shash_slot(&p->anchors, key, len, &found);
	if (!slot) {
		p->nomem = true;
		return NULL;
	}
	*a = (struct anchor){ node, 1, true };
	*slot = a;
	/* Counted per definition, not per name: a redefined anchor points
	 * into the new item as much as a new one. */
	p->anchor_defs++;
	return a;
}

/* Hand a finished node (expanded size `size`) to its parent. */
/* Offer a finished item of the innermost (sequence) frame to the hook. */
static bool offer(struct yparse *p, const struct ynode *n)
{
	const struct ynode *keys[YDOC_MAX_DEPTH];
	struct frame *seq = &p->stack[p->depth - 1];

	/* After a parse error (a duplicate key, say) the compile's result is
	 * thrown away: offer nothing more, as the compiler assumes a sound
	 * item. */
	if (!p->hook || !p->hook->item || seq->node->kind != YNODE_SEQ ||
	    seq->anchor || p->nerr)
		return false;
	for (size_t i = 0; i + 1 < p->depth; i++) {
		const struct frame *f = &p->stack[i];

		if (f->node->kind != YNODE_MAP || f->anchor || f->n % 2 == 0)
			return false;
		keys[i] = f->items[f->n - 1];
	}
	return p->hook->item(p->hook->ctx, keys, (int)p->depth - 1, seq->seen,
			     n);
}

/* Hang `n` into the collection being built.  Returns 0, 1 when the hook
 * took it instead, or -ENOMEM. */
static int attach(struct yparse *p, struct ynode *n, uint64_t size)
{
	struct frame *f;

	if (p->depth == 0) {
		p->root = n;
		return 0;
	}
	f = &p->stack[p->depth - 1];
	if (f->node->kind == YNODE_SEQ) {
		bool taken = offer(p, n);

		f->seen++;
		if (taken)
			return 1;
	}
	if (GROW(f->items, f->cap, f->n + 1, 8) < 0) {
		p->nomem = true;
		return -ENOMEM;
	}
	f->items[f->n++] = n;
	f->size += size;
	if (p->depth == 1 && f->node->kind == YNODE_MAP && f->n % 2 == 0 &&
	    p->hook && p->hook->root_value)
		p->hook->root_value(p->hook->ctx, f->items[f->n - 2], n);
	return 0;
}

static void check_keys(struct yparse *p, struct ynode *m)
{
	struct shash seen = { 0 };
	bool hashed = m->map.n > 16;

	for (size_t i = 0; i < m->map.n; i++) {
		const struct ynode *k = m->map.pairs[i].key;
		const struct ynode *first = NULL;

		if (k->kind != YNODE_SCALAR) {
			perr(p, k->pos, "mapping keys must be scalars, not %s",
			     ynode_kind_name(k));
			continue;
		}
		if (hashed) {
			bool found;
			void **slot = shash_slot(&seen, k->scalar.text,
						 k->scalar.len, &found);

			if (!slot) {
				p->nomem = true;
				break;
			}
			if (found)
				first = *slot;
			else
				*slot = (void *)k;
		} else {
			for (size_t j = 0; j < i && !first; j++) {
				const struct ynode *o = m->map.pairs[j].key;

				if (o->kind == YNODE_SCALAR &&
				    o->scalar.len == k->scalar.len &&
				    memcmp(o->scalar.text, k->scalar.text,
					   k->scalar.len) == 0)
					first = o;
			}
		}
		if (first) {
			char show[64];

			perr(p, k->pos, "duplicate key '%s' (first at %d:%d)",
			     yscalar_show(k, show, sizeof(show)),
			     first->pos.line, first->pos.col);
		}
	}
	shash_free(&seen);
}

static int start_collection(struct yparse *p, const struct yev *ev,
			    enum ynode_kind kind)
{
	struct ynode *n;
	struct frame *f;

	if (p->depth >= YDOC_MAX_DEPTH) {
		perr(p, mark_pos(p, ev->mark), "nesting deeper than %d levels",
		     YDOC_MAX_DEPTH);
		return -1;
	}
	struct arena_mark mark = arena_mark(p->arena);

	n = palloc(p, sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->pos = mark_pos(p, ev->mark);
	f = &p->stack[p->depth++];
	*f = (struct frame){
		.node = n, .size = 1, .mark = mark, .nanchors = p->anchor_defs
	};
	if (ev->anchor && !(f->anchor = add_anchor(p, ev->anchor, n)))
		return -ENOMEM;
	return 0;
}

static int end_collection(struct yparse *p)
{
	struct frame *f = &p->stack[--p->depth];
	struct ynode *n = f->node;
	uint64_t size = f->size;
	int rc = 0;

	if (n->kind == YNODE_SEQ) {
		n->seq.n = f->n;
		n->seq.items =
			palloc(p, (f->n ? f->n : 1) * sizeof(*n->seq.items));
		if (n->seq.items && f->n)
			memcpy(n->seq.items, f->items,
			       f->n * sizeof(*f->items));
	} else {
		n->map.n = f->n / 2;
		n->map.pairs = palloc(p, (n->map.n ? n->map.n : 1) *
						 sizeof(*n->map.pairs));
		for (size_t i = 0; n->map.pairs && i < n->map.n; i++) {
			n->map.pairs[i].key = f->items[2 * i];
			n->map.pairs[i].value = f->items[2 * i + 1];
		}
		if (n->map.pairs)
			check_keys(p, n);
	}
	free(f->items);
	f->items = NULL;
	if (p->nomem)
		return -ENOMEM;
	if (f->anchor) {
		f->anchor->open = false;
		f->anchor->size = size;
	}
	rc = attach(p, n, size);
	/* Taken by the hook: its memory is free again, unless an anchor
	 * inside it still points there. */
	if (rc == 1) {
		if (p->anchor_defs == f->nanchors)
			arena_reset(p->arena, f->mark);
		rc = 0;
	}
	return rc;
}

static int on_alias(struct yparse *p, const struct yev *ev)
{
	const char *name = ev->anchor;
	struct pos pos = mark_pos(p, ev->mark);
	struct anchor *a = shash_get(&p->anchors, name, strlen(name));

	if (!a) {
		perr(p, pos, "unknown anchor '%s'", name);
		return -1;
	}
	if (a->open) {
		perr(p, pos, "alias '*%s' refers to a node that contains it",
		     name);
		return -1;
	}
	p->alias_nodes += a->size;
	if (p->alias_nodes > YDOC_MAX_ALIAS_NODES) {
		perr(p, pos,
		     "aliases expand to more than %u nodes (alias bomb?)",
		     YDOC_MAX_ALIAS_NODES);
		return -1;
	}
	return attach(p, a->node, a->size) < 0 ? -ENOMEM : 0;
}

static int on_scalar(struct yparse *p, const struct yev *ev)
{
	struct ynode *n = palloc(p, sizeof(*n));

	if (!n)
		return -ENOMEM;
	memset(n, 0, sizeof(*n));
	n->kind = YNODE_SCALAR;
	n->pos = mark_pos(p, ev->mark);
	n->scalar.len = ev->length;
	n->scalar.text = pstrndup(p, ev->value, ev->length);
	if (!n->scalar.text)
		return -ENOMEM;
	n->scalar.plain = ev->plain;
	if (ev->anchor) {
		struct anchor *a = add_anchor(p, ev->anchor, n);

		if (!a)
			return -ENOMEM;
		a->open = false;
	}
	return attach(p, n, 1) < 0 ? -ENOMEM : 0;
}

/* One event.  Returns 1 when the stream is done, 0 to go on, <0 to stop. */
static int on_event(struct yparse *p, const struct yev *ev, bool *seen_doc)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (*seen_doc) {
			perr(p, mark_pos(p, ev->mark),
			     "only one document is allowed in a graph file");
			return -1;
		}
		*seen_doc = true;
		return 0;
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_ALIAS_EVENT:
		return on_alias(p, ev);
	case YAML_SCALAR_EVENT:
		return on_scalar(p, ev);
	case YAML_SEQUENCE_START_EVENT:
		return start_collection(p, ev, YNODE_SEQ);
	case YAML_MAPPING_START_EVENT:
		return start_collection(p, ev, YNODE_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return end_collection(p);
	default:
		return 0;
	}
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	arena_free(doc->arena);
	free(doc);
}

int ydoc_parse(const char *file, const char *buf, size_t len, struct ydoc **out,
	       struct diag *d)
{
	return ydoc_parse_hooked(file, buf, len, NULL, out, d);
}

int ydoc_parse_hooked(const char *file, const char *buf, size_t len,
		      const struct ydoc_hook *hook, struct ydoc **out,
		      struct diag *d)
{
	struct yparse p = {
		.file = file, .buf = buf, .len = len, .d = d, .hook = hook
	};
	struct ystream *ys;
	bool seen_doc = false;
	int rc = 0;

	*out = NULL;
	p.arena = calloc(1, sizeof(*p.arena));
	if (!p.arena ||
	    !(ys = ystream_open(buf, len, len >= YSTREAM_AHEAD_MIN))) {
		free(p.arena);
		diag_add(d, (struct pos){ file, 0, 0 }, "out of memory");
		return -ENOMEM;
	}
	while (rc == 0) {
		const struct yev *ev = ystream_next(ys);

		if (!ev) {
			syntax_error(&p, ystream_parser(ys));
			rc = -1;
			break;
		}
		rc = on_event(&p, ev, &seen_doc);
	}
	ystream_close(ys);
	while (p.depth > 0)
		free(p.stack[--p.depth].items);
	shash_free(&p.anchors);

	if (p.nomem) {
		diag_add(d, (struct pos){ file, 0, 0 }, "out of memory");
		arena_free(p.arena);
		return -ENOMEM;
	}
	/* No document, or one holding only `---` (a null). */
	if (p.nerr == 0 && rc >= 0 &&
	    (!p.root || (p.root->kind == YNODE_SCALAR && p.root->scalar.plain &&
			 p.root->scalar.len == 0)))
		perr(&p, (struct pos){ file, 0, 0 }, "empty document");
	if (p.nerr > 0 || rc < 0) {
		arena_free(p.arena);
		return -1;
	}
	*out = malloc(sizeof(**out));
	if (!*out) {
		diag_add(d, (struct pos){ file, 0, 0 }, "out of memory");
		arena_free(p.arena);
		return -ENOMEM;
	}
	(*out)->arena = p.arena;
	(*out)->root = p.root;
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ystream.h - libyaml's events, parsed ahead on a thread of their own.
 *
 * libyaml's parser is about half of what loading a large graph costs; the
 * other half is folding its events into the tree and compiling resources
 * (yaml.c, config.c).  For an input of YSTREAM_AHEAD_MIN bytes or more, a
 * parser thread fills batches of events while the caller's thread folds
 * the ones before them, so the two halves run on two cores.  Shorter inputs
 * (and a machine that refuses the thread) are parsed inline, event by
 * event: the caller sees the same events either way, in the same order.
 *
 * An event is what the folding needs of libyaml's, flattened: its strings
 * are copied into the batch by the thread that parsed them, which also
 * frees libyaml's own (memory from one thread's malloc arena freed by
 * another contends for that arena's lock at every event).
 */
#ifndef ENGINE_YSTREAM_H
#define ENGINE_YSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#define YSTREAM_AHEAD_MIN (64u * 1024u)

struct yev {
	yaml_event_type_t type;
	yaml_mark_t mark;   /* where it starts */
	const char *anchor; /* an alias's name; a node's anchor, or NULL */
	const char *value;  /* a scalar's text (NUL-terminated), and length */
	size_t length;
	bool plain; /* a plain scalar without a `!` or `!!str` tag */
};

struct ystream;

/* A stream over `buf` (not copied: it must outlive the stream), parsed
 * ahead when `ahead` (the loader asks so for YSTREAM_AHEAD_MIN bytes and
 * more).  NULL when memory ran out. */
struct ystream *ystream_open(const char *buf, size_t len, bool ahead);

/* The next event, valid until the next call; NULL on a parse error (or
 * when memory ran out: then ystream_parser's problem says so). */
const struct yev *ystream_next(struct ystream *s);

/* After ystream_next returned NULL: the parser, with its problem. */
const yaml_parser_t *ystream_parser(struct ystream *s);

/* Stop (at any point) and free what was parsed ahead and not taken. */
void ystream_close(struct ystream *s);

#endif /* ENGINE_YSTREAM_H */

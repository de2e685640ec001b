/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log.h - the engine's one logging path.
 *
 * Lines go to stderr as `TIME LEVEL Kind[name]: message` (one write(2) per
 * line, so lines from different threads never interleave), and to the
 * journal with structured fields when stderr is the journal (JOURNAL_STREAM).
 * Every engine folder may use this; it depends on nothing but libc, sd-journal
 * and the SDK's level numbers.
 */
#ifndef ENGINE_LOG_H
#define ENGINE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include <mgmt/log.h>

/* Lines above this level are dropped.  Default MGMT_LOG_INFO. */
extern int log_level;

/* Parse "error", "warn", "info", "debug".  Returns the level or -1. */
int log_level_parse(const char *s);
const char *log_level_name(int level);

/* Detect the journal (JOURNAL_STREAM matching stderr).  Call once. */
void log_init(void);

/* `kind` and `name` may be NULL (an engine message).  `kind` is printed with
 * its first letter upper-cased, as mgmt does: Noop[a]. */
void log_vmsg(int level, const char *kind, const char *name, const char *fmt,
	      va_list ap);
void log_msg(int level, const char *kind, const char *name, const char *fmt,
	     ...) MGMT_PRINTF(4, 5);

/* Tests: send formatted lines (without the trailing newline) to `sink`
 * instead of stderr; NULL restores stderr.  Not thread-safe to change while
 * other threads log. */
typedef void (*log_sink_fn)(int level, const char *line, void *ctx);
void log_set_sink(log_sink_fn sink, void *ctx);

#define log_error(...) log_msg(MGMT_LOG_ERROR, NULL, NULL, __VA_ARGS__)
#define log_warn(...) log_msg(MGMT_LOG_WARN, NULL, NULL, __VA_ARGS__)
#define log_info(...) log_msg(MGMT_LOG_INFO, NULL, NULL, __VA_ARGS__)
#define log_debug(...) log_msg(MGMT_LOG_DEBUG, NULL, NULL, __VA_ARGS__)

#endif /* ENGINE_LOG_H */

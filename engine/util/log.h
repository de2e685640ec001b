/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log.h - the engine's one logging path.
 *
 * Lines go to stderr as `TIME LEVEL Kind[name]: message` (one write(2) per
 * line, so lines from different threads never interleave), and to the
 * journal with structured fields when stderr is the journal (JOURNAL_STREAM).
 * One call is always exactly one line: control characters in the kind, the
 * name and the message are escaped (log_escape), so that neither a resource
 * name from a graph file nor a plugin's text can forge a line or drive the
 * reader's terminal.  Every engine folder may use this; it depends on nothing
 * but libc, sd-journal and the SDK's level numbers.
 */
#ifndef ENGINE_UTIL_LOG_H
#define ENGINE_UTIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <mgmt/log.h>

/* Lines above this level are dropped.  Default MGMT_LOG_INFO. */
extern int log_level;

/* Parse "error", "warn", "info", "debug".  Returns the level or -1. */
int log_level_parse(const char *s);
const char *log_level_name(int level);

/* Detect the journal (JOURNAL_STREAM matching stderr).  Call once. */
void log_init(void);

/* `s` with every control character written as an escape: \n, \r, \t, \\xHH
 * for the other bytes below 0x20 and DEL, \u00HH for the C1 controls
 * (U+0080 to U+009F, which some terminals obey as escape sequences).
 * Returns `s` itself when it has none, the common case, in which nothing is
 * copied; else `buf` (`len` > 0 bytes; cut between escapes if too small).
 * Tabs stay as they are when `keep_tab`.  A backslash is not escaped, so
 * the result is for reading, not for parsing back.  Any thread. */
const char *log_escape(const char *s, char *buf, size_t len, bool keep_tab);

/* Where a line was logged from: the engine's own lines carry their call
 * site (log_msg and the macros below fill it in); a plugin's lines, logged
 * through the host table, have none (`file` NULL). */
struct log_at {
	const char *file;
	int line;
	const char *func;
};

/* `kind` and `name` may be NULL (an engine message).  `kind` is printed with
 * its first letter upper-cased, as mgmt does: Noop[a].  In the journal the
 * line has the fields PRIORITY, MGMT_KIND and MGMT_RESOURCE (exact, not
 * escaped, for journalctl queries), MGMT_GRAPH (log_set_graph) and, when
 * `at` has a file, CODE_FILE, CODE_LINE and CODE_FUNC.  `at` may be NULL. */
void log_vmsg(const struct log_at *at, int level, const char *kind,
	      const char *name, const char *fmt, va_list ap);
void log_msg_at(const struct log_at *at, int level, const char *kind,
		const char *name, const char *fmt, ...) MGMT_PRINTF(5, 6);
#define LOG_HERE (&(const struct log_at){ __FILE__, __LINE__, __func__ })
#define log_msg(level, kind, name, ...)                                        \
	log_msg_at(LOG_HERE, level, kind, name, __VA_ARGS__)

/* The graph being run (a file or a directory), for the journal's
 * MGMT_GRAPH field; NULL: none.  Set before other threads log. */
void log_set_graph(const char *path);

/* Tests: send formatted lines (without the trailing newline) to `sink`
 * instead of stderr; NULL restores stderr.  Not thread-safe to change while
 * other threads log. */
typedef void (*log_sink_fn)(int level, const char *line, void *ctx);
void log_set_sink(log_sink_fn sink, void *ctx);

#define log_error(...) log_msg(MGMT_LOG_ERROR, NULL, NULL, __VA_ARGS__)
#define log_warn(...) log_msg(MGMT_LOG_WARN, NULL, NULL, __VA_ARGS__)
#define log_info(...) log_msg(MGMT_LOG_INFO, NULL, NULL, __VA_ARGS__)
#define log_debug(...) log_msg(MGMT_LOG_DEBUG, NULL, NULL, __VA_ARGS__)

#endif /* ENGINE_UTIL_LOG_H */

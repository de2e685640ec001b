/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log.c - format log lines and write each with one write(2).
 *
 * Lines from the loop thread and from workers may be written at the same
 * time; one write(2) of a whole line to stderr keeps them from interleaving
 * without a lock.  Under systemd (JOURNAL_STREAM names our stderr) lines go to
 * the journal instead, with the resource's kind and name as fields.
 *
 * Names come from graph files, collected exports and plugins, and messages
 * from plugins: none of them may start a line of their own or send escape
 * sequences to whoever reads the log, so control characters are escaped.
 * Nearly every line has none, so each string is scanned first and copied
 * only when it has one: the common case costs one pass over the bytes, as
 * the copy into the line did before.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "util/log.h"

int log_level = MGMT_LOG_INFO;

static bool to_journal;
static const char *graph_path;
static log_sink_fn sink;
static void *sink_ctx;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (strcasecmp(s, "warning") == 0)
		return MGMT_LOG_WARN;
	return -1;
}

const char *log_level_name(int level)
{
	if (level < 0 || level > 3)
		return "?";
	return level_names[level];
}

void log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%lu:%lu", &dev, &ino) != 2)
		return;
	if (fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev &&
	    st.st_ino == ino)
		to_journal = true;
}

void log_set_graph(const char *path)
{
	graph_path = path;
}

void log_set_sink(log_sink_fn fn, void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
}

/* Length of the control character at `p` (C0, DEL, or a C1 control in
 * UTF-8), or 0. */
static size_t ctl_len(const unsigned char *p, bool keep_tab)
{
	if (*p < 0x20)
		return *p == '\t' && keep_tab ? 0 : 1;
	if (*p == 0x7f)
		return 1;
	if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

/* Does one 16-byte block hold a byte below 0x20 (but `tab`), DEL or 0xc2?
 * No branch per byte: compilers turn this into a few vector instructions. */
static bool block_may_have_ctl(const unsigned char *b, unsigned char tab)
{
	unsigned char hit = 0;

	for (int j = 0; j < 16; j++)
		hit |= (b[j] < 0x20 && b[j] != tab) | (b[j] == 0x7f) |
		       (b[j] == 0xc2);
	return hit;
}

/* Might the `n` bytes at `s` hold a control character?  Nearly every string
 * has none, and then this (and strlen) is all that escaping costs.  A 0xc2
 * that starts no C1 control ("°") only sends the caller to the exact scan. */
static bool may_have_ctl(const unsigned char *s, size_t n, bool keep_tab)
{
	const unsigned char tab = keep_tab ? '\t' : 0xff; /* 0xff: no byte */
	unsigned char last[16];
	size_t i = 0;

	for (; i + sizeof(last) <= n; i += sizeof(last))
		if (block_may_have_ctl(s + i, tab))
			return true;
	memset(last, ' ', sizeof(last));
	memcpy(last, s + i, n - i);
	return block_may_have_ctl(last, tab);
}

const char *log_escape(const char *s, char *buf, size_t len, bool keep_tab)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	if (!may_have_ctl(p, strlen(s), keep_tab))
		return s;
	while (*p && !ctl_len(p, keep_tab))
		p++;
	if (!*p)
		return s;
	n = (size_t)(p - (const unsigned char *)s);
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	while (*p) {
		size_t k = ctl_len(p, keep_tab), m;
		char esc[8];

		if (k == 0) {
			esc[0] = (char)*p;
			m = 1;
		} else if (k == 2) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[p[1] >> 4];
			esc[5] = hex[p[1] & 15];
			m = 6;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
			m = 2;
		} else {
			memcpy(esc, "\\x", 2);
			esc[2] = hex[*p >> 4];
			esc[3] = hex[*p & 15];
			m = 4;
		}
		if (n + m >= len)
			break;
		memcpy(buf + n, esc, m);
		n += m;
		p += k ? k : 1;
	}
	buf[n] = '\0';
	return buf;
}

/* "Kind[name]: " with the kind's first letter upper-cased, as mgmt logs. */
static int format_who(char *buf, size_t len, const char *kind, const char *name)
{
	if (!kind)
		return 0;
	if (!kind[0]) /* %c would write its NUL into the line */
		return snprintf(buf, len, "[%s]: ", name ? name : "");
	return snprintf(buf, len, "%c%s[%s]: ", toupper((unsigned char)kind[0]),
			kind + 1, name ? name : "");
}

/* The source file as the repository names it: a build directory's
 * compiler sees "../../engine/run/sched.c". */
static const char *repo_path(const char *file)
{
	while (file[0] == '.' &&
	       (file[1] == '/' || (file[1] == '.' && file[2] == '/')))
		file += file[1] == '/' ? 2 : 3;
	return file;
}

/* The journal's PRIORITY of each level: syslog's err, warning, info, debug
 * (not notice: info stays info). */
static const int syslog_priority[] = { 3, 4, 6, 7 };

/* The fields of a line in the journal, after MESSAGE: the MGMT_ ones keep
 * the exact names, for journalctl queries. */
#define JOURNAL_FIELDS(level, kind, name)                                      \
	"PRIORITY=%d", syslog_priority[level], "MGMT_KIND=%s",                 \
		(kind) ? (kind) : "", "MGMT_RESOURCE=%s",                      \
		(name) ? (name) : "", "MGMT_GRAPH=%s",                         \
		graph_path ? graph_path : "", NULL

static void to_journal_send(const struct log_at *at, int level,
			    const char *kind, const char *name, const char *who,
			    const char *m)
{
	char file[512], line[32];

	if (!at || !at->file) {
		/* A plugin's line: its code location is not known here, and
		 * this one (log.c) would mislead.  The parentheses call the
		 * function, not the macro that adds the location. */
		(sd_journal_send)("MESSAGE=%s%s", who, m,
				  JOURNAL_FIELDS(level, kind, name));
		return;
	}
	snprintf(file, sizeof(file), "CODE_FILE=%s", repo_path(at->file));
	snprintf(line, sizeof(line), "CODE_LINE=%d", at->line);
	sd_journal_send_with_location(file, line, at->func ? at->func : "",
				      "MESSAGE=%s%s", who, m,
				      JOURNAL_FIELDS(level, kind, name));
}

void log_vmsg(const struct log_at *at, int level, const char *kind,
	      const char *name, const char *fmt, va_list ap)
{
	char line[4096];
	char msg[3072], emsg[sizeof(line)], ekind[64], ename[512];
	const char *m, *ek = NULL, *en = NULL;
	struct timespec ts;
	struct tm tm;
	int n;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Tabs cannot end a line, and exec output is full of them. */
	m = log_escape(msg, emsg, sizeof(emsg), true);
	if (kind)
		ek = log_escape(kind, ekind, sizeof(ekind), false);
	if (name)
		en = log_escape(name, ename, sizeof(ename), false);

	if (to_journal && !sink) {
		char who[512] = "";

		format_who(who, sizeof(who), ek, en);
		to_journal_send(at, level, kind, name, who, m);
		return;
	}

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ldZ %s ",
		      ts.tv_nsec / 1000000, log_level_name(level));
	n += format_who(line + n, sizeof(line) - (size_t)n, ek, en);
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", m);
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;

	if (sink) {
		line[n] = '\0';
		sink(level, line, sink_ctx);
		return;
	}
	line[n++] = '\n';
	/* stderr is ours; a short or failed write of a log line has nowhere
	 * better to be reported. */
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, line, (size_t)n);

		if (w < 0 && errno == EINTR)
			continue;
		break;
	}
}

void log_msg_at(const struct log_at *at, int level, const char *kind,
		const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(at, level, kind, name, fmt, ap);
	va_end(ap);
}

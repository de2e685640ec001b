/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log.c - format log lines and write each with one write(2).
 *
 * Lines from the loop thread and from workers may be written at the same
 * time; one write(2) of a whole line to stderr keeps them from interleaving
 * without a lock.  Under systemd (JOURNAL_STREAM names our stderr) lines go to
 * the journal instead, with the resource's kind and name as fields.
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

#include "log.h"

int log_level = MGMT_LOG_INFO;

static bool to_journal;
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

void log_set_sink(log_sink_fn fn, void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
}

/* "Kind[name]: " with the kind's first letter upper-cased, as mgmt logs. */
static int format_who(char *buf, size_t len, const char *kind,
		      const char *name)
{
	if (!kind)
		return 0;
	return snprintf(buf, len, "%c%s[%s]: ", toupper((unsigned char)kind[0]),
			kind + 1, name ? name : "");
}

void log_vmsg(int level, const char *kind, const char *name, const char *fmt,
	      va_list ap)
{
	char line[4096];
	char msg[3072];
	struct timespec ts;
	struct tm tm;
	int n;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);

	if (to_journal && !sink) {
		char who[512];

		format_who(who, sizeof(who), kind, name);
		sd_journal_send("MESSAGE=%s%s", who, msg, "PRIORITY=%d",
				level + 3, /* error=3 ... debug=7 */
				"MGMT_KIND=%s", kind ? kind : "",
				"MGMT_NAME=%s", name ? name : "", NULL);
		return;
	}

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ldZ %s ",
		      ts.tv_nsec / 1000000, log_level_name(level));
	n += format_who(line + n, sizeof(line) - (size_t)n, kind, name);
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", msg);
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

void log_msg(int level, const char *kind, const char *name, const char *fmt,
	     ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, kind, name, fmt, ap);
	va_end(ap);
}

/* SPDX-License-Identifier: MIT */
/*
 * line.c - an out-of-tree mgmt-engine plugin: a line in a file.
 *
 * The kind `line` makes sure a file holds a given line (or does not).  It
 * shows what plugin-hello does not: a resource that changes the machine
 * and reacts to events (inotify on the file's directory, so a hand edit is
 * repaired at once), and grouping (every line resource of one file is one
 * group, and one check_apply rewrites the file once for all of them).
 *
 *     resources:
 *       line:
 *       - {name: motd-a, path: /etc/motd, line: "managed by mgmt-engine"}
 *       - {name: motd-b, path: /etc/motd, line: "no shell for guests"}
 *       - {name: old, path: /etc/motd, line: "welcome", state: absent}
 *
 * The file is rewritten atomically (a temporary file in the same directory,
 * flushed, renamed over it), keeping its mode; a missing file is created
 * (0644) when a line must be present.  Built only against the installed SDK
 * (pkg-config mgmt-engine-sdk): see README.md beside this file, and
 * mgmt-engine-plugin(7) for the contract every hook below relies on.
 */
/* mkstemp, fchmod and fsync with a strict -std=c99 too. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mgmt/mgmt.h>

struct line {
	/* parameters, filled by the engine from the schema */
	char *path;
	char *line;
	int state; /* index into states: 0 present, 1 absent */
	/* runtime state, the plugin's own */
	int ifd;          /* inotify on the file's directory, or -1 */
	mgmt_watch *w;    /* the engine's watch of ifd */
	const char *base; /* the file's name in its directory */
};

static const char *const states[] = { "present", "absent", NULL };

static const struct mgmt_param line_params[] = {
	MGMT_PARAM(struct line, path, MGMT_PARAM_STRING, NULL,
		   MGMT_PARAM_REQUIRED, "absolute path of the file"),
	MGMT_PARAM(struct line, line, MGMT_PARAM_STRING, NULL,
		   MGMT_PARAM_REQUIRED, "the whole line, without its newline"),
	MGMT_PARAM_CHOICE(struct line, state, states, "present", 0,
			  "present: the file holds the line; absent: it "
			  "does not"),
	MGMT_PARAM_END,
};

/* Loop thread, at compile time: refuse what can never work, touching
 * nothing on the machine (validate runs for `mgmt-engine validate` too). */
static int line_validate(mgmt_res *res, void *p)
{
	struct line *l = (struct line *)p;
	int rc = 0;

	if (l->path[0] != '/' || l->path[strlen(l->path) - 1] == '/') {
		mgmt_invalid(res, "path", "'%s' is not an absolute file path",
			     l->path);
		rc = -1;
	}
	if (strchr(l->line, '\n')) {
		mgmt_invalid(res, "line", "a line has no newline in it");
		rc = -1;
	}
	return rc;
}

/* Loop thread: nothing to open until the watch. */
static int line_init(mgmt_res *res, void *p)
{
	struct line *l = (struct line *)p;

	(void)res;
	l->ifd = -1;
	l->base = strrchr(l->path, '/') + 1;
	return 0;
}

/* Loop thread: an inotify event in the directory; ours if it names the
 * file.  Marking the resource dirty is all a watch callback does: the
 * engine then runs check_apply on a worker. */
static void on_inotify(mgmt_res *res, int fd, unsigned revents, void *data)
{
	struct line *l = (struct line *)data;
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int ours = 0;

	(void)revents;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *q = buf; q < buf + n;) {
			const struct inotify_event *ev =
				(const struct inotify_event *)q;

			if ((ev->mask & IN_Q_OVERFLOW) ||
			    (ev->len && strcmp(ev->name, l->base) == 0))
				ours = 1;
			q += sizeof(*ev) + ev->len;
		}
	if (ours)
		mgmt_dirty(res);
}

/* Loop thread: watch the file's directory (the file itself may not exist
 * yet, and an editor replaces it by rename).  Our own writes come back as
 * events too; the check that follows finds the line in place and changes
 * nothing, so the echo costs one read of the file. */
static int line_watch(mgmt_res *res, void *p)
{
	struct line *l = (struct line *)p;
	char dir[4096];
	size_t n = (size_t)(l->base - l->path);

	if (n >= sizeof(dir))
		return MGMT_ERROR;
	memcpy(dir, l->path, n - (n > 1)); /* "/etc/" -> "/etc", "/" stays */
	dir[n - (n > 1)] = '\0';
	l->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (l->ifd < 0 ||
	    inotify_add_watch(l->ifd, dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
				      IN_DELETE | IN_CREATE) < 0) {
		mgmt_error(res, "cannot watch %s: %s", dir, strerror(errno));
		return MGMT_ERROR;
	}
	l->w = mgmt_host->watch_fd(res, l->ifd, MGMT_WATCH_READ, on_inotify, l);
	return l->w ? 0 : MGMT_ERROR;
}

/* Loop thread: the engine has already stopped our watch; the fd is ours to
 * close. */
static void line_cleanup(mgmt_res *res, void *p)
{
	struct line *l = (struct line *)p;

	(void)res;
	if (l->ifd >= 0)
		close(l->ifd);
	l->ifd = -1;
}

/* Read the whole file into a NUL-terminated buffer (NULL and *missing when
 * it does not exist). */
static char *slurp(const char *path, size_t *len, int *missing)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	*missing = !f && errno == ENOENT;
	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = (char *)realloc(buf, cap = n + 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	fclose(f);
	if (!buf && !(buf = (char *)malloc(1)))
		return NULL;
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Does `text` hold `line` as a whole line? */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || !p[n]))
			return 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/* Is `line` (of len n, starting at `p`) one the group wants absent? */
static int unwanted(mgmt_res *const *m, size_t nm, const char *p, size_t n)
{
	for (size_t i = 0; i < nm; i++) {
		const struct line *l =
			(const struct line *)mgmt_res_params(m[i]);

		if (l->state == 1 && strlen(l->line) == n &&
		    strncmp(p, l->line, n) == 0)
			return 1;
	}
	return 0;
}

/* Write `out` (len n) over `path` atomically, with `mode`. */
static int replace(mgmt_res *res, const char *path, const char *out, size_t n,
		   mode_t mode)
{
	char tmp[4096 + 16];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.mgmt-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		mgmt_error(res, "cannot write beside %s: %s", path,
			   strerror(errno));
		return MGMT_ERROR;
	}
	if (write(fd, out, n) != (ssize_t)n || fchmod(fd, mode) < 0 ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		mgmt_error(res, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return MGMT_ERROR;
	}
	return 0;
}

/*
 * Each member's own result (SDK 1.3; an older engine takes the return value
 * for all): a line that was already right converged, even when the write
 * failed, so only the members that needed the write, and what comes after
 * them, are held back by its failure.
 */
static void report_members(mgmt_res *const *m, size_t nm, const char *text,
			   int rc)
{
	for (size_t i = 0; i < nm; i++) {
		const struct line *l =
			(const struct line *)mgmt_res_params(m[i]);
		int has = text && has_line(text, l->line);

		mgmt_member_result(
			m[i], has == (l->state == 0) ? MGMT_CONVERGED : rc);
	}
}

/*
 * Worker thread, for the leader of a group: every member is a line of the
 * same file (group_cmp saw to it).  Read the file once, see which members
 * are not as wanted, and with apply write it once: the unwanted lines
 * dropped, the missing ones appended in the members' order.
 */
static int line_check_apply(mgmt_res *res, void *p, bool apply)
{
	const struct line *lead = (const struct line *)p;
	mgmt_res *const *m;
	size_t nm = mgmt_host->group_members(res, &m), len = 0, cap, n = 0;
	int missing, wrong = 0, rc;
	struct stat st;
	char *text = slurp(lead->path, &len, &missing), *out;

	if (!text && !missing) {
		mgmt_error(res, "cannot read %s: %s", lead->path,
			   strerror(errno));
		return MGMT_ERROR;
	}
	for (size_t i = 0; i < nm; i++) {
		const struct line *l =
			(const struct line *)mgmt_res_params(m[i]);
		int has = text && has_line(text, l->line);

		if (has != (l->state == 0)) {
			wrong = 1;
			mgmt_info(m[i], "%s %s: '%s'",
				  apply ? "fixed" : "would fix", lead->path,
				  l->line);
		}
	}
	if (!wrong || !apply) {
		report_members(m, nm, text, MGMT_CHANGED);
		free(text);
		return wrong ? MGMT_CHANGED : MGMT_CONVERGED;
	}
	cap = len + 2;
	for (size_t i = 0; i < nm; i++)
		cap += strlen(((const struct line *)mgmt_res_params(m[i]))
				      ->line) +
		       1;
	out = (char *)malloc(cap);
	if (!out) {
		report_members(m, nm, text, MGMT_ERROR);
		free(text);
		return MGMT_ERROR;
	}
	for (const char *q = text; q && *q;) { /* keep what is wanted */
		const char *e = strchr(q, '\n');
		size_t ln = e ? (size_t)(e - q) : strlen(q);

		if (!unwanted(m, nm, q, ln)) {
			memcpy(out + n, q, ln);
			n += ln;
			out[n++] = '\n';
		}
		q = e ? e + 1 : q + ln;
	}
	out[n] = '\0';
	for (size_t i = 0; i < nm; i++) { /* append what is missing */
		const struct line *l =
			(const struct line *)mgmt_res_params(m[i]);
		size_t ln = strlen(l->line);

		if (l->state != 0 || has_line(out, l->line))
			continue;
		memcpy(out + n, l->line, ln);
		n += ln;
		out[n++] = '\n';
		out[n] = '\0';
	}
	rc = replace(res, lead->path, out, n,
		     stat(lead->path, &st) == 0 ? st.st_mode & 07777 : 0644);
	free(out);
	report_members(m, nm, text, rc < 0 ? rc : MGMT_CHANGED);
	free(text);
	return rc < 0 ? rc : MGMT_CHANGED;
}

/* Loop thread: lines of one file group, so the file is written once. */
static bool line_group_cmp(mgmt_res *leader, void *lp, mgmt_res *other,
			   void *op)
{
	(void)leader;
	(void)other;
	return strcmp(((struct line *)lp)->path, ((struct line *)op)->path) ==
	       0;
}

/* The same, as a key: the engine then compares only equal keys. */
static size_t line_group_key(mgmt_res *res, void *p, const char **key)
{
	(void)res;
	*key = ((struct line *)p)->path;
	return strlen(*key);
}

static const struct mgmt_kind line_kind = {
	MGMT_KIND_HEADER,
	.name = "line",
	.doc = "a line in a file, present or absent; lines of one file group",
	.params = line_params,
	.params_size = sizeof(struct line),
	/* in the struct's order, which C++20 requires */
	.validate = line_validate,
	.init = line_init,
	.cleanup = line_cleanup,
	.watch = line_watch,
	.check_apply = line_check_apply,
	.group_cmp = line_group_cmp,
	.group_key = line_group_key,
};

static const struct mgmt_kind *const line_kinds[] = { &line_kind, NULL };

MGMT_PLUGIN_DEFINE("line", "1.0", "an example plugin: lines in files",
		   line_kinds, NULL, NULL);

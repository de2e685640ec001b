/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * client-render.c - status and cluster replies as text and exit statuses
 * (see client-render.h).
 *
 * A table is built whole, as rows of cells, before anything is printed, so
 * a document that turns out malformed halfway prints nothing.  Each cell is
 * escaped as the log escapes (a resource name or an error line may hold
 * anything, and must not drive the terminal); each column is as wide as its
 * widest cell, counted in UTF-8 characters rather than bytes, and the last
 * column, the error, is never cut or padded.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/client-render.h"
#include "util/grow.h"
#include "util/log.h"

#define MAX_COLS 10
#define SHORT 64 /* a number, an age, a host's name when escaped */

struct table {
	size_t ncols;
	unsigned right; /* bit i: column i is right-aligned (numbers) */
	char **cells;   /* row after row, ncols each; the header first */
	size_t n, cap;
	int err; /* the first error: later cells are not added */
};

/* Add the cell `s` (NULL: "-"), escaped. */
static void cell(struct table *t, const char *s)
{
	size_t len;
	char *c;

	if (t->err)
		return;
	s = s ? s : "-";
	len = strlen(s) * 6 + 1; /* the longest escape, \u00HH, of 2 bytes */
	if (GROW(t->cells, t->cap, t->n + 1, 64) < 0 || !(c = malloc(len))) {
		t->err = -ENOMEM;
		return;
	}
	if (log_escape(s, c, len, false) == s)
		memcpy(c, s, strlen(s) + 1);
	t->cells[t->n++] = c;
}

static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void table_print(const struct table *t, FILE *out)
{
	size_t w[MAX_COLS] = { 0 };
	size_t i, c;

	for (i = 0; i < t->n; i++) {
		c = i % t->ncols;
		if (width(t->cells[i]) > w[c])
			w[c] = width(t->cells[i]);
	}
	for (i = 0; i < t->n; i++) {
		const char *s = t->cells[i];
		int pad = (int)(w[i % t->ncols] - width(s));
		bool last = i % t->ncols == t->ncols - 1;

		if (t->right & (1u << (i % t->ncols)))
			fprintf(out, "%*s%s", pad, "", s);
		else
			fprintf(out, "%s%*s", s, last ? 0 : pad, "");
		fputs(last ? "\n" : "  ", out);
	}
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A number member, or NAN when it is null or missing. */
static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A count, 0 when missing. */
static double count(const json_t *o, const char *key)
{
	double v = num(o, key);

	return isnan(v) ? 0 : v;
}

static const char *esc(const char *s, char *buf, size_t len)
{
	return log_escape(s ? s : "-", buf, len, false);
}

void client_span(double secs, char *buf, size_t len)
{
	static const struct {
		double size;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i = 0;

	if (!(secs > 0)) /* NAN too */
		secs = 0;
	while (i < 3 && secs < units[i].size)
		i++;
	snprintf(buf, len, "%.0f%c", floor(secs / units[i].size),
		 units[i].unit);
}

/* "3s ago", or "-" for a time that is NAN (null). */
static void ago(double t, double now, char *buf, size_t len)
{
	char span[SHORT / 2];

	if (isnan(t)) {
		snprintf(buf, len, "-");
		return;
	}
	client_span(now - t, span, sizeof(span));
	snprintf(buf, len, "%s ago", span);
}

static void number_cell(struct table *t, double v)
{
	char buf[SHORT];

	snprintf(buf, sizeof(buf), "%.0f", v);
	cell(t, isnan(v) ? NULL : buf);
}

static void ago_cell(struct table *t, double when, double now)
{
	char buf[SHORT];

	ago(when, now, buf, sizeof(buf));
	cell(t, buf);
}

/* The last column: a retry in progress, then the last error. */
static void problem_cell(struct table *t, const json_t *r, double now)
{
	const json_t *retry = json_object_get(r, "retry");
	const char *e = str(r, "last_error");
	char when[SHORT], left[SHORT], head[3 * SHORT] = "";
	size_t len = (e ? strlen(e) : 0) + sizeof(head) + 2;
	char *s = malloc(len);

	if (!s) {
		t->err = -ENOMEM;
		return;
	}
	if (json_is_object(retry)) {
		double l = num(retry, "left"), at = num(retry, "at");

		snprintf(left, sizeof(left),
			 l < 0    ? "retries forever" :
			 isnan(l) ? "?" :
				    "%.0f left",
			 l);
		client_span(at - now, when, sizeof(when));
		snprintf(head, sizeof(head), "retry %s%s (%s)",
			 at > now ? "in " : "due", at > now ? when : "", left);
	}
	snprintf(s, len, "%s%s%s", head, *head && e ? ": " : "", e ? e : "");
	cell(t, *s ? s : NULL);
	free(s);
}

static void resource_row(struct table *t, const json_t *r, double now)
{
	cell(t, str(r, "kind"));
	cell(t, str(r, "name"));
	cell(t, str(r, "state"));
	cell(t, str(r, "group"));
	number_cell(t, num(r, "runs"));
	number_cell(t, num(r, "changes"));
	number_cell(t, num(r, "failures"));
	ago_cell(t, num(r, "last_check"), now);
	ago_cell(t, num(r, "last_change"), now);
	problem_cell(t, r, now);
}

static int status_table(const json_t *res, double now, struct table *t)
{
	static const char *const head[] = {
		"KIND",    "NAME",     "STATE",      "GROUP",       "RUNS",
		"CHANGES", "FAILURES", "LAST CHECK", "LAST CHANGE", "ERROR",
	};
	size_t i;
	json_t *r;

	*t = (struct table){ .ncols = 10, .right = 0x70 }; /* the counts */
	for (i = 0; i < t->ncols; i++)
		cell(t, head[i]);
	json_array_foreach(res, i, r)
	{
		if (!json_is_object(r)) {
			t->err = -EPROTO;
			break;
		}
		resource_row(t, r, now);
	}
	if (t->err)
		table_free(t);
	return t->err;
}

/* "h: converged for 2m; 10 resources: 7 converged, 1 failed, 1 held" */
static void status_summary(const json_t *doc, double now, FILE *out)
{
	static const char *const states[] = { "converged", "failed",  "held",
					      "retrying",  "running", "dirty",
					      "pending" };
	const json_t *sum = json_object_get(doc, "summary");
	double since = num(doc, "converged_since");
	char buf[SHORT * 4], span[SHORT];
	const char *sep = ": ";

	fprintf(out, "%s: ", esc(str(doc, "host"), buf, sizeof(buf)));
	if (json_is_true(json_object_get(doc, "converged"))) {
		fputs("converged", out);
		client_span(now - since, span, sizeof(span));
		if (!isnan(since))
			fprintf(out, " for %s", span);
	} else {
		fputs("not converged", out);
	}
	fprintf(out, "; %.0f resources", count(sum, "resources"));
	for (size_t i = 0; i < sizeof(states) / sizeof(*states); i++) {
		double v = count(sum, states[i]);

		if (i == 0 || v > 0)
			fprintf(out, "%s%.0f %s", sep, v, states[i]);
		sep = ", ";
	}
	fputc('\n', out);
}

/* "graph g.yaml, taken 5m ago; mgmt-engine 0.1.0, pid 1234, up 2h" */
static void status_engine(const json_t *doc, double now, FILE *out)
{
	char buf[SHORT * 4], when[SHORT], up[SHORT];

	ago(num(doc, "graph_since"), now, when, sizeof(when));
	client_span(now - num(doc, "started"), up, sizeof(up));
	fprintf(out, "graph %s, taken %s; ",
		esc(str(doc, "graph"), buf, sizeof(buf)), when);
	fprintf(out, "mgmt-engine %s, pid %.0f, up %s\n",
		esc(str(doc, "version"), buf, sizeof(buf)), count(doc, "pid"),
		up);
}

int client_status_render(const json_t *doc, double now, FILE *out)
{
	const json_t *res = json_object_get(doc, "resources");
	struct table t;
	int r;

	if (!json_is_object(json_object_get(doc, "summary")) ||
	    !json_is_array(res))
		return -EPROTO;
	r = status_table(res, now, &t);
	if (r < 0)
		return r;
	status_summary(doc, now, out);
	status_engine(doc, now, out);
	fputc('\n', out);
	if (json_array_size(res))
		table_print(&t, out);
	else
		fputs("no resource to show\n", out);
	table_free(&t);
	return 0;
}

int client_status_exit(const json_t *doc)
{
	const json_t *sum = json_object_get(doc, "summary");

	if (json_is_true(json_object_get(doc, "converged")) &&
	    count(sum, "failed") == 0 && count(sum, "held") == 0)
		return CLIENT_EXIT_OK;
	return CLIENT_EXIT_FAILED;
}

static bool host_ok(const json_t *h)
{
	return json_is_true(json_object_get(h, "converged")) &&
	       count(h, "failed") == 0;
}

static int cluster_table(const json_t *hosts, double now, struct table *t)
{
	static const char *const head[] = { "HOST", "STATE", "SINCE", "FAILED",
					    "RESOURCES" };
	size_t i;
	json_t *h;

	*t = (struct table){ .ncols = 5, .right = 0x18 };
	for (i = 0; i < t->ncols; i++)
		cell(t, head[i]);
	json_array_foreach(hosts, i, h)
	{
		if (!json_is_object(h)) {
			t->err = -EPROTO;
			break;
		}
		cell(t, str(h, "host"));
		cell(t, json_is_true(json_object_get(h, "converged")) ?
				"converged" :
				"unconverged");
		ago_cell(t, num(h, "since"), now);
		number_cell(t, num(h, "failed"));
		number_cell(t, num(h, "resources"));
	}
	if (t->err)
		table_free(t);
	return t->err;
}

int client_cluster_render(const json_t *doc, double now, FILE *out)
{
	const json_t *hosts = json_object_get(doc, "hosts");
	size_t i, good = 0;
	struct table t;
	json_t *h;
	int r;

	if (!json_is_array(hosts))
		return -EPROTO;
	r = cluster_table(hosts, now, &t);
	if (r < 0)
		return r;
	json_array_foreach(hosts, i, h) good += host_ok(h);
	fprintf(out, "%zu hosts: %zu converged with nothing failed, %zu not\n",
		json_array_size(hosts), good, json_array_size(hosts) - good);
	fputc('\n', out);
	if (json_array_size(hosts))
		table_print(&t, out);
	else
		fputs("no host reported\n", out);
	table_free(&t);
	return 0;
}

int client_cluster_exit(const json_t *doc)
{
	const json_t *hosts = json_object_get(doc, "hosts");
	size_t i;
	json_t *h;

	if (!json_array_size(hosts))
		return CLIENT_EXIT_FAILED;
	json_array_foreach(hosts, i, h)
	{
		if (!host_ok(h))
			return CLIENT_EXIT_FAILED;
	}
	return CLIENT_EXIT_OK;
}

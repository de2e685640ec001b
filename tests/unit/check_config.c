/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_config.c - unit tests for the YAML front end and the graph compiler
 * (engine/config): every error message with its exact FILE:LINE:COL, the
 * values of every parameter type as stored in a plugin's struct, defaults,
 * positions, meta parameters, edges and cycles, aliases and their limits,
 * files, conflicts (one kind, one uid) in a graph file and among collected
 * resources, error counts, and a generated graph of 100,000 resources.  The
 * registry is built by hand from three test kinds, so no plugin is loaded.
 */
#include "config.h"

#include "config/config.h"
#include "config/params.h"
#include "config/yaml.h"
#include "config/ystream.h"
#include "util/log.h"
#include "runner.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the test kinds ---- */

struct tfile {
	char *path;
	char *content;
	int state;
	int32_t mode;
	int32_t umask;
	bool force;
	bool backup;
	int64_t size;
	int64_t timeout;
	int64_t wait;
	struct mgmt_strv args;
	struct mgmt_strmap env;
};

static const char *const states[] = { "exists", "absent", NULL };

static const struct mgmt_param file_params[] = {
	MGMT_PARAM(struct tfile, path, MGMT_PARAM_STRING, NULL,
		   MGMT_PARAM_REQUIRED, "path"),
	MGMT_PARAM(struct tfile, content, MGMT_PARAM_STRING, NULL, 0, "text"),
	MGMT_PARAM_CHOICE(struct tfile, state, states, "exists", 0, "state"),
	MGMT_PARAM(struct tfile, mode, MGMT_PARAM_MODE, NULL, 0, "mode"),
	MGMT_PARAM(struct tfile, umask, MGMT_PARAM_MODE, "022", 0, "umask"),
	MGMT_PARAM(struct tfile, force, MGMT_PARAM_BOOL, "yes", 0, "force"),
	MGMT_PARAM(struct tfile, backup, MGMT_PARAM_BOOL, NULL, 0, "backup"),
	MGMT_PARAM(struct tfile, size, MGMT_PARAM_INT, "42", 0, "size"),
	MGMT_PARAM(struct tfile, timeout, MGMT_PARAM_DURATION, "1.5", 0, "t"),
	MGMT_PARAM(struct tfile, wait, MGMT_PARAM_DURATION, NULL, 0, "wait"),
	MGMT_PARAM(struct tfile, args, MGMT_PARAM_LIST, NULL, 0, "args"),
	MGMT_PARAM(struct tfile, env, MGMT_PARAM_MAP, NULL, 0, "env"),
	MGMT_PARAM_END,
};

static int t_invalid_calls;

static void t_invalid(mgmt_res *res, const char *param, const char *fmt, ...)
{
	va_list ap;

	t_invalid_calls++;
	va_start(ap, fmt);
	res_invalid_v(res, param, fmt, ap);
	va_end(ap);
}

/* The engine's host table is not linked here: validate calls this one. */
static const struct mgmt_host test_host = { .invalid = t_invalid };
static int validate_calls;

static int file_validate(mgmt_res *res, void *p)
{
	struct tfile *f = p;

	validate_calls++;
	if (strcmp(f->path, "/silent") == 0)
		return -1;
	if (strcmp(f->path, "/") == 0) {
		test_host.invalid(res, NULL, "refusing to manage %s", f->path);
		return -1;
	}
	if (f->state == 1 && f->content) {
		test_host.invalid(res, "content",
				  "must not be set when state is absent");
		return -1;
	}
	return 0;
}

static int uid_calls;

/* Normalised as the file kind does: "/d/" and "/d" are one thing. */
static const char *file_uid(mgmt_res *res, void *p)
{
	static char buf[256];
	const char *path = ((struct tfile *)p)->path;
	size_t len = strlen(path);

	uid_calls++;
	/* asked only of resources that passed validate */
	ck_assert_str_ne(path, "/silent");
	if (len < 2 || path[len - 1] != '/')
		return path;
	snprintf(buf, sizeof(buf), "%.*s", (int)(len - 1), path);
	return buf;
}

/* After the resource managing its directory, named by its uid. */
static void file_autoedges(mgmt_res *res, void *p, mgmt_autoedge_cb add,
			   void *ctx)
{
	const char *path = ((struct tfile *)p)->path;
	size_t len = strlen(path);
	char dir[256];

	while (len > 1 && path[len - 1] == '/')
		len--;
	while (len > 0 && path[len - 1] != '/')
		len--;
	if (len < 2 || len > sizeof(dir))
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(len - 1), path);
	add(ctx, MGMT_EDGE_AFTER, "file", dir);
}

static const char *noop_uid(mgmt_res *res, void *p)
{
	return res->name;
}

struct texec {
	char *cmd;
	int64_t timeout;
};

static const struct mgmt_param exec_params[] = {
	MGMT_PARAM(struct texec, cmd, MGMT_PARAM_STRING, NULL,
		   MGMT_PARAM_REQUIRED, "command"),
	MGMT_PARAM(struct texec, timeout, MGMT_PARAM_DURATION, NULL, 0, "t"),
	MGMT_PARAM_END,
};

static int exec_cmp_calls;

/* Compares only cmd, so res_equal must have used this. */
static bool exec_cmp(const void *a, const void *b)
{
	exec_cmp_calls++;
	return strcmp(((const struct texec *)a)->cmd,
		      ((const struct texec *)b)->cmd) == 0;
}

static struct kind_entry k_exec = {
	.k = { MGMT_KIND_HEADER, .name = "exec", .params = exec_params,
	       .params_size = sizeof(struct texec), .cmp = exec_cmp,
	       .flags = MGMT_KIND_SYSTEM },
	.nparams = 2,
};
static struct kind_entry k_file = {
	.k = { MGMT_KIND_HEADER, .name = "file", .params = file_params,
	       .params_size = sizeof(struct tfile), .validate = file_validate,
	       .uid = file_uid, .autoedges = file_autoedges },
	.nparams = 12,
};
static struct kind_entry k_noop = {
	.k = { MGMT_KIND_HEADER, .name = "noop", .uid = noop_uid },
};
static struct kind_entry *kinds[] = { &k_exec, &k_file, &k_noop };
static const struct registry reg = { .kinds = kinds, .nkinds = 3 };

/* ---- helpers ---- */

static struct diag D;
static struct graph_cfg *G;

static void setup(void)
{
	memset(&D, 0, sizeof(D));
	G = NULL;
	validate_calls = t_invalid_calls = exec_cmp_calls = uid_calls = 0;
}

static void teardown(void)
{
	config_set_exports_managed(true);
	log_set_sink(NULL, NULL);
	config_graph_free(G);
	G = NULL;
	diag_free(&D);
}

static int compile(const char *yaml)
{
	config_graph_free(G);
	G = NULL;
	diag_free(&D);
	return config_load_buffer("t.yaml", yaml, strlen(yaml), &reg, &G, &D);
}

static void dump(void)
{
	for (size_t i = 0; i < D.n; i++)
		fprintf(stderr, "  diag[%zu]: %s\n", i, D.msgs[i]);
}

static bool has_msg(const char *msg)
{
	for (size_t i = 0; i < D.n; i++)
		if (strcmp(D.msgs[i], msg) == 0)
			return true;
	return false;
}

/* The compile fails, with `msg` among its errors. */
static void expect_err(const char *yaml, const char *msg)
{
	int rc = compile(yaml);

	if (rc != -1 || G || !has_msg(msg)) {
		fprintf(stderr, "expected: %s\n", msg);
		dump();
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(G);
	ck_assert(has_msg(msg));
}

/* The compile fails with exactly this one error. */
static void expect_only(const char *yaml, const char *msg)
{
	expect_err(yaml, msg);
	if (D.n != 1)
		dump();
	ck_assert_uint_eq(D.n, 1);
}

static void expect_ok(const char *yaml)
{
	int rc = compile(yaml);

	if (rc != 0)
		dump();
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(G);
	ck_assert_uint_eq(D.n, 0);
}

#define TF(r) ((struct tfile *)(r)->params)

/* Line 1-4; what a case adds starts on line 5 at column 5. */
#define F1 "resources:\n  file:\n  - name: f1\n    path: /p\n"

/* ---- a full graph ---- */

static const char full[] = "graph: g1\ncomment: all types\n"
			   "resources:\n  file:\n"
			   "  - name: f1\n    path: /tmp/f1\n"
			   "    content: |\n      hello\n"
			   "    state: exists\n    mode: \"0640\"\n"
			   "    umask: 077\n    force: Off\n"
			   "    backup: YES\n    size: -17\n"
			   "    timeout: 250ms\n    wait: 2\n"
			   "    args: [a, 1, \"b c\"]\n    env: {K: v, N: 2}\n"
			   "  - name: f2\n    path: 0012\n"
			   "  exec:\n  - name: e1\n    cmd: true\nedges:\n"
			   "- name: x\n  from: {kind: File, name: f2}\n"
			   "  to: {kind: exec, name: e1}\n  notify: true\n"
			   "- from: {kind: file, name: f2}\n"
			   "  to: {kind: file, name: f1}\ncollect:\n"
			   "- kind: FILE\n  pattern: /tmp/a/\n- kind: exec\n"
			   "  system: true\n";

START_TEST(test_full_graph)
{
	struct mgmt_res *f1, *f2, *e1;
	struct tfile *t;

	expect_ok(full);
	ck_assert_int_eq(validate_calls, 2);
	ck_assert_str_eq(G->file, "t.yaml");
	ck_assert_str_eq(G->name, "g1");
	ck_assert_uint_eq(G->nres, 3);
	/* kinds in file order, then list order */
	f1 = G->res[0];
	f2 = G->res[1];
	e1 = G->res[2];
	ck_assert_str_eq(f1->name, "f1");
	ck_assert_str_eq(f2->name, "f2");
	ck_assert_str_eq(e1->name, "e1");
	ck_assert_ptr_eq(f1->kind, &k_file);
	ck_assert_uint_eq(f1->magic, RES_MAGIC);
	t = TF(f1);
	ck_assert_str_eq(t->path, "/tmp/f1");
	ck_assert_str_eq(t->content, "hello\n");
	ck_assert_int_eq(t->state, 0);
	ck_assert_int_eq(t->mode, 0640);
	ck_assert_int_eq(t->umask, 077);
	ck_assert(!t->force);
	ck_assert(t->backup);
	ck_assert_int_eq(t->size, -17);
	ck_assert_int_eq(t->timeout, 250);
	ck_assert_int_eq(t->wait, 2000);
	ck_assert_uint_eq(t->args.n, 3);
	ck_assert_str_eq(t->args.v[0], "a");
	ck_assert_str_eq(t->args.v[1], "1");
	ck_assert_str_eq(t->args.v[2], "b c");
	ck_assert_ptr_null(t->args.v[3]);
	ck_assert_uint_eq(t->env.n, 2);
	ck_assert_str_eq(t->env.keys[0], "K");
	ck_assert_str_eq(t->env.values[0], "v");
	ck_assert_str_eq(t->env.keys[1], "N");
	ck_assert_str_eq(t->env.values[1], "2");
	/* defaults and unset values */
	t = TF(f2);
	ck_assert_str_eq(t->path, "0012"); /* a number keeps its text */
	ck_assert_ptr_null(t->content);
	ck_assert_int_eq(t->state, 0);
	ck_assert_int_eq(t->mode, -1);
	ck_assert_int_eq(t->umask, 022);
	ck_assert(t->force);
	ck_assert(!t->backup);
	ck_assert_int_eq(t->size, 42);
	ck_assert_int_eq(t->timeout, 1500);
	ck_assert_int_eq(t->wait, -1);
	ck_assert_uint_eq(t->args.n, 0);
	ck_assert_ptr_null(t->args.v);
	ck_assert_uint_eq(t->env.n, 0);
	ck_assert_str_eq(((struct texec *)e1->params)->cmd, "true");
	ck_assert_int_eq(((struct texec *)e1->params)->timeout, -1);
	/* positions: the mapping, and each given value */
	ck_assert_int_eq(f1->pos.line, 5);
	ck_assert_int_eq(f1->pos.col, 5);
	ck_assert_str_eq(f1->pos.file, "t.yaml");
	ck_assert_int_eq(f1->param_pos[0].line, 6); /* path */
	ck_assert_int_eq(f1->param_pos[0].col, 11);
	ck_assert_int_eq(f1->param_pos[3].line, 10); /* mode */
	ck_assert_int_eq(f1->param_pos[3].col, 11);
	ck_assert_int_eq(f2->param_pos[3].line, 0); /* not given */
	ck_assert_int_eq(res_param_pos(f1, "env").line, 18);
	ck_assert_int_eq(res_param_pos(f1, "env").col, 10);
	ck_assert_int_eq(res_param_pos(f2, "mode").line, 19);
	ck_assert_int_eq(res_param_pos(f1, NULL).line, 5);
	ck_assert_int_eq(res_param_pos(f1, "nosuch").line, 5);
	/* meta defaults */
	ck_assert(f1->meta.autoedge && f1->meta.autogroup);
	ck_assert(!f1->meta.noop && !f1->meta.export_);
	ck_assert_int_eq(f1->meta.retry, 0);
	ck_assert_ptr_null(f1->diag);
	/* edges */
	ck_assert_uint_eq(G->nedges, 2);
	ck_assert_uint_eq(G->edges[0].from, 1);
	ck_assert_uint_eq(G->edges[0].to, 2);
	ck_assert(G->edges[0].notify);
	ck_assert_str_eq(G->edges[0].name, "x");
	ck_assert_int_eq(G->edges[0].pos.line, 25);
	ck_assert_uint_eq(G->edges[1].from, 1);
	ck_assert_uint_eq(G->edges[1].to, 0);
	ck_assert(!G->edges[1].notify);
	ck_assert_ptr_null(G->edges[1].name);
	/* collect: kinds by their registered name; pattern defaults to "" */
	ck_assert_uint_eq(G->ncollect, 2);
	ck_assert_str_eq(G->collect[0].kind, "file");
	ck_assert_str_eq(G->collect[0].pattern, "/tmp/a/");
	ck_assert_str_eq(G->collect[1].kind, "exec");
	ck_assert_str_eq(G->collect[1].pattern, "");
	ck_assert(!G->collect[0].system && G->collect[1].system);
}
END_TEST

START_TEST(test_label_equal)
{
	struct graph_cfg *g1;
	char buf[64];

	expect_ok(full);
	g1 = G;
	G = NULL;
	expect_ok(full);
	ck_assert_str_eq(res_label(g1->res[0], buf, sizeof(buf)), "file[f1]");
	for (size_t i = 0; i < 3; i++)
		ck_assert(res_equal(g1->res[i], G->res[i]));
	ck_assert_int_eq(exec_cmp_calls, 1);
	ck_assert(!res_equal(g1->res[0], G->res[1]));
	TF(G->res[0])->args.v[2][0] = 'X';
	ck_assert(!res_equal(g1->res[0], G->res[0]));
	/* exec's own cmp decides: a timeout change goes unseen by it. */
	((struct texec *)G->res[2]->params)->timeout = 5;
	ck_assert(res_equal(g1->res[2], G->res[2]));
	G->res[2]->meta.retry = 3;
	ck_assert(!res_equal(g1->res[2], G->res[2]));
	config_graph_free(g1);
}
END_TEST

/* ---- parameter values ---- */

struct val_case {
	const char *line; /* added to F1 */
	size_t off;       /* offsetof(struct tfile, field) */
	int size;         /* 1 bool, 4 int32/int, 8 int64 */
	int64_t want;
};

#define VC(l, f, w)                                                            \
	{                                                                      \
		l, offsetof(struct tfile, f),                                  \
			(int)sizeof(((struct tfile *)0)->f), w                 \
	}
static const struct val_case val_cases[] = {
	VC("    force: true\n", force, 1),
	VC("    force: FALSE\n", force, 0),
	VC("    force: on\n", force, 1),
	VC("    force: No\n", force, 0),
	VC("    size: 12\n", size, 12),
	VC("    size: +7\n", size, 7),
	VC("    size: 9223372036854775807\n", size, INT64_MAX),
	VC("    size: -9223372036854775808\n", size, INT64_MIN),
	VC("    mode: 644\n", mode, 0644),
	VC("    mode: 0755\n", mode, 0755),
	VC("    mode: '7777'\n", mode, 07777),
	VC("    mode: \"0\"\n", mode, 0),
	VC("    wait: 5\n", wait, 5000),
	VC("    wait: 0.25\n", wait, 250),
	VC("    wait: \"500ms\"\n", wait, 500),
	VC("    wait: 10s\n", wait, 10000),
	VC("    wait: 2m\n", wait, 120000),
	VC("    wait: 1h\n", wait, 3600000),
	VC("    wait: 1h30m\n", wait, 5400000),
	VC("    wait: 0\n", wait, 0),
	VC("    state: exists\n", state, 0),
	VC("    state: 'absent'\n", state, 1),
};

START_TEST(test_values)
{
	const struct val_case *c = &val_cases[_i];
	char yaml[256];
	const char *f;
	int64_t got;

	snprintf(yaml, sizeof(yaml), F1 "%s", c->line);
	expect_ok(yaml);
	f = (const char *)G->res[0]->params + c->off;
	if (c->size == 1)
		got = *(const bool *)f;
	else if (c->size == 4)
		got = *(const int32_t *)f;
	else
		got = *(const int64_t *)f;
	ck_assert_int_eq(got, c->want);
}
END_TEST

/* ---- errors ---- */

struct err_case {
	const char *yaml;
	const char *msg;
};

static const struct err_case err_cases[] = {
	/* bool */
	{ F1 "    force: \"true\"\n",
	  "t.yaml:5:12: file[f1]: force \"true\" is a quoted string, not a boolean (write it without quotes)" },
	{ F1 "    force: maybe\n",
	  "t.yaml:5:12: file[f1]: force \"maybe\" is not a boolean (true or false)" },
	{ F1 "    force: [true]\n",
	  "t.yaml:5:12: file[f1]: force: wrong type: expected a boolean, got a sequence" },
	{ F1 "    force: !!str on\n",
	  "t.yaml:5:12: file[f1]: force \"on\" is a quoted string, not a boolean (write it without quotes)" },
	/* int */
	{ F1 "    size: 1x\n",
	  "t.yaml:5:11: file[f1]: size \"1x\" is not an integer" },
	{ F1 "    size: 0x10\n",
	  "t.yaml:5:11: file[f1]: size \"0x10\" is not an integer" },
	{ F1 "    size:\n",
	  "t.yaml:5:10: file[f1]: size \"\" is not an integer" },
	{ F1 "    size: 9223372036854775808\n",
	  "t.yaml:5:11: file[f1]: size \"9223372036854775808\" is out of range for an integer" },
	{ F1 "    size: -9223372036854775809\n",
	  "t.yaml:5:11: file[f1]: size \"-9223372036854775809\" is out of range for an integer" },
	{ F1 "    size: '5'\n",
	  "t.yaml:5:11: file[f1]: size \"5\" is a quoted string, not an integer (write it without quotes)" },
	{ F1 "    size: {a: 1}\n",
	  "t.yaml:5:11: file[f1]: size: wrong type: expected an integer, got a mapping" },
	/* mode */
	{ F1 "    mode: 9xx\n",
	  "t.yaml:5:11: file[f1]: mode \"9xx\" is not an octal mode" },
	{ F1 "    mode: \"0648\"\n",
	  "t.yaml:5:11: file[f1]: mode \"0648\" is not an octal mode" },
	{ F1 "    mode: 17777\n",
	  "t.yaml:5:11: file[f1]: mode \"17777\" is not an octal mode" },
	{ F1 "    mode: ''\n",
	  "t.yaml:5:11: file[f1]: mode \"\" is not an octal mode" },
	{ F1 "    mode: -644\n",
	  "t.yaml:5:11: file[f1]: mode \"-644\" is not an octal mode" },
	/* duration */
	{ F1 "    wait: 5x\n",
	  "t.yaml:5:11: file[f1]: wait \"5x\" is not a duration (seconds, or a number with unit ms, s, m or h)" },
	{ F1 "    wait: -1\n",
	  "t.yaml:5:11: file[f1]: wait \"-1\" is not a duration (seconds, or a number with unit ms, s, m or h)" },
	{ F1 "    wait: ms\n",
	  "t.yaml:5:11: file[f1]: wait \"ms\" is not a duration (seconds, or a number with unit ms, s, m or h)" },
	{ F1 "    wait: 1h30\n",
	  "t.yaml:5:11: file[f1]: wait \"1h30\" is not a duration (seconds, or a number with unit ms, s, m or h)" },
	{ F1 "    wait: 9999999999999999h\n",
	  "t.yaml:5:11: file[f1]: wait \"9999999999999999h\" is out of range for a duration" },
	{ F1 "    wait: [1]\n",
	  "t.yaml:5:11: file[f1]: wait: wrong type: expected a duration, got a sequence" },
	/* list and map */
	{ F1 "    args: a\n",
	  "t.yaml:5:11: file[f1]: args: wrong type: expected a sequence, got a scalar" },
	{ F1 "    args: [a, {b: c}]\n",
	  "t.yaml:5:15: file[f1]: args[1]: wrong type: expected a string, got a mapping" },
	{ F1 "    env: [a]\n",
	  "t.yaml:5:10: file[f1]: env: wrong type: expected a mapping, got a sequence" },
	{ F1 "    env: {K: [1]}\n",
	  "t.yaml:5:14: file[f1]: env.K: wrong type: expected a string, got a sequence" },
	/* enum and string */
	{ F1 "    state: exist\n",
	  "t.yaml:5:12: file[f1]: state \"exist\" is not one of: exists, absent (did you mean 'exists'?)" },
	{ F1 "    state: zzz\n",
	  "t.yaml:5:12: file[f1]: state \"zzz\" is not one of: exists, absent" },
	{ F1 "    content: {a: b}\n",
	  "t.yaml:5:14: file[f1]: content: wrong type: expected a string, got a mapping" },
	/* NUL characters cannot reach a plugin's C strings */
	{ F1 "    content: \"a\\0b\"\n",
	  "t.yaml:5:14: file[f1]: content: a NUL character is not allowed" },
	{ F1 "    args: [\"a\\0\"]\n",
	  "t.yaml:5:12: file[f1]: args[0]: a NUL character is not allowed" },
	{ F1 "    env: {K: \"\\0\"}\n",
	  "t.yaml:5:14: file[f1]: env.K: a NUL character is not allowed" },
	{ "resources:\n  file:\n  - name: \"a\\0\"\n    path: /p\n",
	  "t.yaml:3:11: file: name: a NUL character is not allowed" },
	{ "resources:\n  \"file\\0x\": []\n",
	  "t.yaml:2:3: unknown kind 'file\\x00x' (did you mean 'file'?); known kinds: exec, file, noop" },
	/* resources */
	{ F1 "    contnet: x\n",
	  "t.yaml:5:5: file[f1]: unknown parameter 'contnet' (did you mean 'content'?)" },
	{ F1 "    zzzzzzzz: x\n",
	  "t.yaml:5:5: file[f1]: unknown parameter 'zzzzzzzz'" },
	{ "resources:\n  file:\n  - name: f1\n",
	  "t.yaml:3:5: file[f1]: missing required parameter 'path'" },
	{ "resources:\n  file:\n  - path: /p\n",
	  "t.yaml:3:5: file: resource without a 'name'" },
	{ "resources:\n  file:\n  - name: ''\n    path: /p\n",
	  "t.yaml:3:11: file: 'name' must not be empty" },
	{ "resources:\n  file:\n  - name: [a]\n    path: /p\n",
	  "t.yaml:3:11: file: name: wrong type: expected a string, got a sequence" },
	{ F1 "  - name: f2\n    path: /q\n  - name: f1\n    path: /r\n",
	  "t.yaml:7:5: file[f1]: duplicate name (first defined at 3:5)" },
	{ "resources:\n  fiel:\n  - name: f1\n",
	  "t.yaml:2:3: unknown kind 'fiel' (did you mean 'file'?); known kinds: exec, file, noop" },
	{ "resources:\n  zzzz: []\n",
	  "t.yaml:2:3: unknown kind 'zzzz'; known kinds: exec, file, noop" },
	{ "resources:\n  file: {name: f1}\n",
	  "t.yaml:2:9: resources: file: wrong type: expected a sequence, got a mapping" },
	{ "resources:\n  file:\n  - f1\n",
	  "t.yaml:3:5: file: resource 1: wrong type: expected a mapping, got a scalar" },
	{ "resources: [file]\n",
	  "t.yaml:1:12: resources: wrong type: expected a mapping, got a sequence" },
	/* validate */
	{ F1 "    state: absent\n    content: x\n",
	  "t.yaml:6:14: file[f1]: content: must not be set when state is absent" },
	{ "resources:\n  file:\n  - name: f1\n    path: /\n",
	  "t.yaml:3:5: file[f1]: refusing to manage /" },
	{ "resources:\n  file:\n  - name: f1\n    path: /silent\n",
	  "t.yaml:3:5: file[f1]: invalid (the plugin gave no reason)" },
	/* meta */
	{ F1 "    meta: {retyr: 1}\n",
	  "t.yaml:5:12: file[f1]: meta: unknown parameter 'retyr' (did you mean 'retry'?)" },
	{ F1 "    meta: [retry]\n",
	  "t.yaml:5:11: file[f1]: meta: wrong type: expected a mapping, got a sequence" },
	{ F1 "    meta: {autoedge: maybe}\n",
	  "t.yaml:5:22: file[f1]: meta: autoedge \"maybe\" is not a boolean (true or false)" },
	{ F1 "    meta: {autogroup: 1}\n",
	  "t.yaml:5:23: file[f1]: meta: autogroup \"1\" is not a boolean (true or false)" },
	{ F1 "    meta: {noop: 'yes'}\n",
	  "t.yaml:5:18: file[f1]: meta: noop \"yes\" is a quoted string, not a boolean (write it without quotes)" },
	{ F1 "    meta: {export: x}\n",
	  "t.yaml:5:20: file[f1]: meta: export \"x\" is not a boolean (true or false)" },
	{ F1 "    meta: {rewatch: x}\n",
	  "t.yaml:5:21: file[f1]: meta: rewatch \"x\" is not a boolean (true or false)" },
	{ F1 "    meta: {realize: x}\n",
	  "t.yaml:5:21: file[f1]: meta: realize \"x\" is not a boolean (true or false)" },
	{ F1 "    meta: {reverse: x}\n",
	  "t.yaml:5:21: file[f1]: meta: reverse \"x\" is not a boolean (true or false)" },
	{ F1 "    meta: {retry: -2}\n",
	  "t.yaml:5:19: file[f1]: meta: retry -2 is out of range (-1 = forever, or more)" },
	{ F1 "    meta: {retry: x}\n",
	  "t.yaml:5:19: file[f1]: meta: retry \"x\" is not an integer" },
	{ F1 "    meta: {delay: -1}\n",
	  "t.yaml:5:19: file[f1]: meta: delay -1 is out of range (0 or more)" },
	{ F1 "    meta: {poll: -1}\n",
	  "t.yaml:5:18: file[f1]: meta: poll -1 is out of range (0 or more)" },
	{ F1 "    meta: {burst: -1}\n",
	  "t.yaml:5:19: file[f1]: meta: burst -1 is out of range (0 or more)" },
	{ F1 "    meta: {limit: -1}\n",
	  "t.yaml:5:19: file[f1]: meta: limit \"-1\" is not a rate (a number of runs per second >= 0, or +Inf)" },
	{ F1 "    meta: {limit: nan}\n",
	  "t.yaml:5:19: file[f1]: meta: limit \"nan\" is not a rate (a number of runs per second >= 0, or +Inf)" },
	{ F1 "    meta: {limit: 1e999}\n",
	  "t.yaml:5:19: file[f1]: meta: limit \"1e999\" is not a rate (a number of runs per second >= 0, or +Inf)" },
	{ F1 "    meta: {limit: [1]}\n",
	  "t.yaml:5:19: file[f1]: meta: limit: wrong type: expected a number, got a sequence" },
	{ F1 "    meta: {sema: [ok, 'pkg:0']}\n",
	  "t.yaml:5:23: file[f1]: meta: sema \"pkg:0\" is not NAME or NAME:COUNT with COUNT >= 1" },
	{ F1 "    meta: {sema: [':3']}\n",
	  "t.yaml:5:19: file[f1]: meta: sema \":3\" is not NAME or NAME:COUNT with COUNT >= 1" },
	{ F1 "    meta: {sema: ['pkg:']}\n",
	  "t.yaml:5:19: file[f1]: meta: sema \"pkg:\" is not NAME or NAME:COUNT with COUNT >= 1" },
	{ F1 "    meta: {sema: ['pkg:x']}\n",
	  "t.yaml:5:19: file[f1]: meta: sema \"pkg:x\" is not NAME or NAME:COUNT with COUNT >= 1" },
	{ F1 "    meta: {sema: ['']}\n",
	  "t.yaml:5:19: file[f1]: meta: sema \"\" is not NAME or NAME:COUNT with COUNT >= 1" },
	{ F1 "    meta: {sema: pkg}\n",
	  "t.yaml:5:18: file[f1]: meta: sema: wrong type: expected a sequence, got a scalar" },
	/* root */
	{ "- a\n",
	  "t.yaml:1:1: graph file must be a mapping at the top level, not a sequence" },
	{ "just text\n",
	  "t.yaml:1:1: graph file must be a mapping at the top level, not a scalar" },
	{ "resouces: {}\n",
	  "t.yaml:1:1: unknown top-level key 'resouces' (did you mean 'resources'?)" },
	{ "graph: {a: b}\n",
	  "t.yaml:1:8: graph: wrong type: expected a string, got a mapping" },
	{ "comment: [a]\n",
	  "t.yaml:1:10: comment: wrong type: expected a string, got a sequence" },
	{ "edges: {a: b}\n",
	  "t.yaml:1:8: edges: wrong type: expected a sequence, got a mapping" },
	/* yaml */
	{ "", "t.yaml: empty document" },
	{ "# nothing\n", "t.yaml: empty document" },
	{ "---\n", "t.yaml: empty document" },
	{ "a: 1\n---\nb: 2\n",
	  "t.yaml:2:1: only one document is allowed in a graph file" },
	{ "graph: a\ngraph: b\n",
	  "t.yaml:2:1: duplicate key 'graph' (first at 1:1)" },
	{ "? [a]\n: b\n",
	  "t.yaml:1:3: mapping keys must be scalars, not a sequence" },
	{ "graph: *nope\n", "t.yaml:1:8: unknown anchor 'nope'" },
	{ "graph: &x [1, *x]\n",
	  "t.yaml:1:15: alias '*x' refers to a node that contains it" },
	{ "graph: a\n resources: b\n",
	  "t.yaml:2:11: mapping values are not allowed in this context" },
	{ "graph: [a, b\n",
	  "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at 1:8)" },
	{ "graph: \"a\xff\"\n",
	  "t.yaml:1:10: invalid leading UTF-8 octet: #FF" },
	{ "graph: a\n\tb: c\n",
	  "t.yaml:2:1: found a tab character that violates indentation (while scanning a plain scalar at 1:8)" },
};

START_TEST(test_errors)
{
	expect_only(err_cases[_i].yaml, err_cases[_i].msg);
}
END_TEST

/* ---- edges, collect ---- */

#define EX                                                                     \
	"resources:\n  exec:\n  - {name: a, cmd: x}\n  - {name: b, cmd: x}\n"  \
	"  - {name: c, cmd: x}\nedges:\n"

/* A public key of 32 bytes, as `mgmt-engine key` prints it. */
#define KEY_A "ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static const struct err_case edge_cases[] = {
	{ EX "- name: e1\n  to: {kind: exec, name: a}\n",
	  "t.yaml:7:3: edge e1: missing 'from'" },
	{ EX "- name: e1\n  from: {kind: exec, name: a}\n",
	  "t.yaml:7:3: edge e1: missing 'to'" },
	{ EX
	  "- name: e1\n  from: {kind: exec, name: a}\n  to: {kind: exec, name: exec9}\n",
	  "t.yaml:9:7: edge e1: to: no resource exec[exec9]" },
	{ EX "- from: {kind: exec, name: a}\n  to: {kind: fiel, name: b}\n",
	  "t.yaml:8:14: edge #1: to: unknown kind 'fiel' (did you mean 'file'?)" },
	{ EX "- from: {kind: exec, name: a}\n  to: {kind: exec, name: a}\n",
	  "t.yaml:7:3: edge #1: from and to are the same resource exec[a]" },
	{ EX "- from: {kind: exec}\n  to: {kind: exec, name: a}\n",
	  "t.yaml:7:9: edge #1: from: missing 'name'" },
	{ EX
	  "- from: {kind: exec, name: a, nmae: b}\n  to: {kind: exec, name: b}\n",
	  "t.yaml:7:31: edge #1: from: unknown key 'nmae' (did you mean 'name'?)" },
	{ EX
	  "- from: {kind: exec, name: a}\n  to: {kind: exec, name: b}\n  notfy: true\n",
	  "t.yaml:9:3: edge #1: unknown key 'notfy' (did you mean 'notify'?)" },
	{ EX
	  "- from: {kind: exec, name: a}\n  to: {kind: exec, name: b}\n  notify: sure\n",
	  "t.yaml:9:11: edge #1: notify \"sure\" is not a boolean (true or false)" },
	{ EX "- from: {kind: exec, name: a}\n  to: [exec, b]\n",
	  "t.yaml:8:7: edge #1: to: wrong type: expected a mapping, got a sequence" },
	{ EX "- [a]\n",
	  "t.yaml:7:3: edge #1: wrong type: expected a mapping, got a sequence" },
	{ EX
	  "- name: [x]\n  from: {kind: exec, name: a}\n  to: {kind: exec, name: b}\n",
	  "t.yaml:7:9: edge #1: name: wrong type: expected a string, got a sequence" },
	{ EX "- from: {kind: exec, name: [a]}\n  to: {kind: exec, name: b}\n",
	  "t.yaml:7:28: edge #1: from: name: wrong type: expected a string, got a sequence" },
	{ EX "- from: {kind: [exec], name: a}\n  to: {kind: exec, name: b}\n",
	  "t.yaml:7:16: edge #1: from: kind: wrong type: expected a string, got a sequence" },
	{ EX "- from: {name: a}\n  to: {kind: exec, name: b}\n",
	  "t.yaml:7:9: edge #1: from: missing 'kind'" },
	{ EX "- {from: {kind: exec, name: a}, to: {kind: exec, name: b}}\n"
	     "- {from: {kind: exec, name: b}, to: {kind: exec, name: c}}\n"
	     "- {from: {kind: exec, name: c}, to: {kind: exec, name: a}}\n",
	  "t.yaml:7:3: graph has a cycle: exec[a] -> exec[b] -> exec[c] -> exec[a]" },
	{ EX "- {from: {kind: exec, name: b}, to: {kind: exec, name: c}}\n"
	     "- {from: {kind: exec, name: c}, to: {kind: exec, name: b}}\n",
	  "t.yaml:7:3: graph has a cycle: exec[b] -> exec[c] -> exec[b]" },
	{ "collect:\n- kind: fiel\n",
	  "t.yaml:2:9: collect #1: unknown kind 'fiel' (did you mean 'file'?)" },
	{ "collect:\n- pattern: x\n",
	  "t.yaml:2:3: collect #1: missing 'kind'" },
	{ "collect:\n- file\n",
	  "t.yaml:2:3: collect #1: wrong type: expected a mapping, got a scalar" },
	{ "collect:\n- kind: {a: b}\n",
	  "t.yaml:2:9: collect #1: kind: wrong type: expected a string, got a mapping" },
	{ "collect: file\n",
	  "t.yaml:1:10: collect: wrong type: expected a sequence, got a scalar" },
	{ "collect:\n- kind: file\n  pattern: [x]\n",
	  "t.yaml:3:12: collect #1: pattern: wrong type: expected a string, got a sequence" },
	{ "collect:\n- kind: file\n  patern: x\n",
	  "t.yaml:3:3: collect #1: unknown key 'patern' (did you mean 'pattern'?)" },
	{ "collect:\n- kind: file\n- kind: Exec\n  pattern: x\n",
	  "t.yaml:3:9: collect #2: kind exec runs commands or changes the "
	  "system's state as root: to apply what other hosts export of it, add "
	  "'system: true' to this entry (and trust only the hosts that may)" },
	{ "collect:\n- kind: exec\n  system: false\n",
	  "t.yaml:2:9: collect #1: kind exec runs commands or changes the "
	  "system's state as root: to apply what other hosts export of it, add "
	  "'system: true' to this entry (and trust only the hosts that may)" },
	{ "collect:\n- kind: exec\n  system: maybe\n",
	  "t.yaml:3:11: collect #1: system \"maybe\" is not a boolean (true "
	  "or false)" },
	{ "trust: x\n",
	  "t.yaml:1:8: trust: wrong type: expected a sequence, got a scalar" },
	{ "trust:\n- [x]\n",
	  "t.yaml:2:3: trust #1: wrong type: expected a string, got a sequence" },
	{ "trust:\n- nope\n",
	  "t.yaml:2:3: trust #1: expected \"ed25519:BASE64 HOST\" (what "
	  "`mgmt-engine key` prints)" },
	{ "trust:\n- ed25519:AAAA h\n",
	  "t.yaml:2:3: trust #1: the key is not the base64 of 32 bytes" },
	{ "trust:\n- \"" KEY_A " h\"\n- \"" KEY_A " h1 h2\"\n",
	  "t.yaml:3:3: trust #2: one host name after the key, without '/' or "
	  "spaces" },
	{ "trust:\n- " KEY_A "\n",
	  "t.yaml:2:3: trust #1: no host name after the key (\"ed25519:BASE64 "
	  "HOST\")" },
};

START_TEST(test_edge_errors)
{
	expect_only(edge_cases[_i].yaml, edge_cases[_i].msg);
}
END_TEST

/* ---- more behaviour ---- */

START_TEST(test_meta)
{
	struct meta *m;

	expect_ok(
		F1
		"    meta:\n      autoedge: false\n      autogroup: no\n"
		"      noop: true\n      export: true\n      retry: -1\n"
		"      delay: 500\n      poll: 30\n      limit: 2.5\n"
		"      burst: 3\n      sema: [pkg, 'net:4']\n"
		"      rewatch: true\n      realize: true\n      reverse: true\n"
		"  - name: f2\n    path: /q\n    meta: {limit: +Inf}\n"
		"  - name: '@@f3'\n    path: /r\n"
		"    meta: {limit: .inf, export: false}\n");
	m = &G->res[0]->meta;
	ck_assert(!m->autoedge && !m->autogroup && m->noop && m->export_);
	ck_assert_int_eq(m->retry, -1);
	ck_assert_int_eq(m->delay_ms, 500);
	ck_assert_int_eq(m->poll_s, 30);
	ck_assert_double_eq(m->limit, 2.5);
	ck_assert_int_eq(m->burst, 3);
	ck_assert_uint_eq(m->sema.n, 2);
	ck_assert_str_eq(m->sema.v[0], "pkg");
	ck_assert_str_eq(m->sema.v[1], "net:4");
	ck_assert(m->rewatch && m->realize && m->reverse);
	ck_assert_double_eq(G->res[1]->meta.limit, 0);
	ck_assert(!G->res[1]->meta.export_);
	ck_assert(G->res[2]->meta.export_); /* "@@" exports */
	ck_assert_str_eq(G->res[2]->name, "@@f3");
	ck_assert_double_eq(G->res[2]->meta.limit, 0);
	expect_ok(F1 "    meta: {limit: inf}\n");
	expect_ok(F1 "    meta: {limit: 10}\n");
	ck_assert_double_eq(G->res[0]->meta.limit, 10);
}
END_TEST

START_TEST(test_validate)
{
	/* Runs once per resource without errors, with r->diag reset after. */
	expect_ok(F1 "  - name: f2\n    path: /q\n");
	ck_assert_int_eq(validate_calls, 2);
	ck_assert_ptr_null(G->res[0]->diag);
	expect_err(F1 "    mode: 9\n  - name: f2\n    path: /\n",
		   "t.yaml:5:11: file[f1]: mode \"9\" is not an octal mode");
	ck_assert(has_msg("t.yaml:6:5: file[f2]: refusing to manage /"));
	ck_assert_int_eq(validate_calls, 3);
	ck_assert_int_eq(t_invalid_calls, 1);
	/* Outside validate, host->invalid adds nothing. */
	expect_ok(F1);
	test_host.invalid(G->res[0], "path", "late");
	ck_assert_uint_eq(D.n, 0);
}
END_TEST

START_TEST(test_all_errors)
{
	/* Every error is collected; nothing is returned. */
	expect_err(
		"graph: g\nbogus: 1\nresources:\n  file:\n  - name: f1\n"
		"    mode: x\n    size: y\n  fiel: []\nedges:\n"
		"- {from: {kind: file, name: f1}, to: {kind: exec, name: e}}\n",
		"t.yaml:2:1: unknown top-level key 'bogus'");
	ck_assert_uint_eq(D.n, 6);
	/* in document order */
	ck_assert_str_eq(
		D.msgs[1],
		"t.yaml:5:5: file[f1]: missing required parameter 'path'");
	ck_assert_str_eq(
		D.msgs[2],
		"t.yaml:6:11: file[f1]: mode \"x\" is not an octal mode");
	ck_assert_str_eq(D.msgs[3],
			 "t.yaml:7:11: file[f1]: size \"y\" is not an integer");
	ck_assert_str_eq(
		D.msgs[4],
		"t.yaml:8:3: unknown kind 'fiel' (did you mean 'file'?); known kinds: exec, file, noop");
	ck_assert_str_eq(D.msgs[5],
			 "t.yaml:10:38: edge #1: to: no resource exec[e]");
	ck_assert_int_eq(validate_calls, 0);
}
END_TEST

/* Resources and edges are compiled while parsing (struct ydoc_hook); a
 * file that lists its edges first takes the tree path.  Both must give the
 * same graph and the same messages. */
START_TEST(test_edges_before_resources)
{
	static const char *const yaml[] = {
		"resources:\n  exec:\n  - {name: a, cmd: x}\n"
		"  - {name: b, cmd: y}\n"
		"edges:\n- {from: {kind: exec, name: a}, to: {kind: exec, name: b}, notify: true}\n",
		"edges:\n- {from: {kind: exec, name: a}, to: {kind: exec, name: b}, notify: true}\n"
		"resources:\n  exec:\n  - {name: a, cmd: x}\n"
		"  - {name: b, cmd: y}\n",
	};

	for (int i = 0; i < 2; i++) {
		expect_ok(yaml[i]);
		ck_assert_uint_eq(G->nres, 2);
		ck_assert_str_eq(G->res[0]->name, "a");
		ck_assert_uint_eq(G->nedges, 1);
		ck_assert_uint_eq(G->edges[0].from, 0);
		ck_assert_uint_eq(G->edges[0].to, 1);
		ck_assert(G->edges[0].notify);
		config_graph_free(G);
		G = NULL;
	}
	/* the edge's number counts every item, streamed or not */
	expect_err(
		"resources:\n  exec:\n  - {name: a, cmd: x}\n"
		"edges:\n- {from: {kind: exec, name: a}, to: {kind: exec, name: a}}\n"
		"- {from: {kind: exec, name: a}, to: {kind: exec, name: zz}}\n",
		"t.yaml:5:3: edge #1: from and to are the same resource exec[a]");
	ck_assert_uint_eq(D.n, 2);
	ck_assert_str_eq(D.msgs[1],
			 "t.yaml:6:37: edge #2: to: no resource exec[zz]");
}
END_TEST

START_TEST(test_aliases)
{
	expect_ok("resources:\n  file:\n  - name: f1\n    path: &p /same\n"
		  "    args: &a [x, y]\n    env: &e {K: v}\n"
		  "    meta: &m {retry: 4}\n"
		  "  - name: f2\n    path: /other\n    content: *p\n"
		  "    args: *a\n    env: *e\n    meta: *m\n");
	/* (not path: one path twice is a conflict) */
	ck_assert_str_eq(TF(G->res[1])->content, "/same");
	ck_assert_uint_eq(TF(G->res[1])->args.n, 2);
	ck_assert_str_eq(TF(G->res[1])->args.v[1], "y");
	ck_assert_str_eq(TF(G->res[1])->env.values[0], "v");
	ck_assert_int_eq(G->res[1]->meta.retry, 4);
	/* the value's position is the anchored node's */
	ck_assert_int_eq(G->res[1]->param_pos[10].line, 5);
	/* separate copies: freeing both is fine (ASan/valgrind) */
	ck_assert_ptr_ne(TF(G->res[0])->args.v, TF(G->res[1])->args.v);
}
END_TEST

START_TEST(test_alias_bomb)
{
	/* Billion laughs: 10^9 nodes if expanded; stops after about 10^6. */
	static const char bomb[] =
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";

	expect_only(bomb, "t.yaml:6:36: aliases expand to more than 1000000 "
			  "nodes (alias bomb?)");
}
END_TEST

START_TEST(test_nesting)
{
	char buf[512];
	struct ydoc *doc;
	struct diag d = { 0 };

	memset(buf, '[', 200);
	memset(buf + 200, ']', 200);
	buf[400] = '\0';
	expect_only(buf, "t.yaml:1:65: nesting deeper than 64 levels");
	/* 64 levels are fine */
	memset(buf, '[', 64);
	memset(buf + 64, ']', 64);
	ck_assert_int_eq(ydoc_parse("n", buf, 128, &doc, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_int_eq(doc->root->kind, YNODE_SEQ);
	ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_tree)
{
	static const char text[] = "a: 'true'\nb: true\nc: !!str 5\n"
				   "\"d\": [1, {e: f}]\n";
	struct ydoc *doc;
	struct diag d = { 0 };
	const struct ynode *r, *n;

	ck_assert_int_eq(ydoc_parse("y", text, sizeof(text) - 1, &doc, &d), 0);
	r = doc->root;
	ck_assert_int_eq(r->kind, YNODE_MAP);
	ck_assert_uint_eq(r->map.n, 4);
	ck_assert(!ymap_get(r, "a")->scalar.plain);
	ck_assert(ymap_get(r, "b")->scalar.plain);
	ck_assert(!ymap_get(r, "c")->scalar.plain);
	n = ymap_get(r, "d");
	ck_assert_int_eq(n->kind, YNODE_SEQ);
	ck_assert_int_eq(n->pos.line, 4);
	ck_assert_int_eq(n->pos.col, 6);
	ck_assert_int_eq(n->seq.items[1]->map.pairs[0].value->pos.col, 14);
	ck_assert_ptr_null(ymap_get(r, "zz"));
	ydoc_free(doc);
}
END_TEST

START_TEST(test_dup_keys_big)
{
	/* More than 16 keys: the hashed duplicate check. */
	char buf[1024];
	size_t o = 0;

	for (int i = 0; i < 30; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "k%d: v\n", i);
	snprintf(buf + o, sizeof(buf) - o, "k7: again\n");
	expect_only(buf, "t.yaml:31:1: duplicate key 'k7' (first at 8:1)");
}
END_TEST

START_TEST(test_suggest)
{
	struct suggest s;

	ck_assert_uint_eq(suggest_distance("fiel", "file"), 2);
	ck_assert_uint_eq(suggest_distance("Exec", "exec"), 0);
	ck_assert_uint_eq(suggest_distance("", "abc"), 3);
	suggest_init(&s, "contnet");
	suggest_add(&s, "path");
	suggest_add(&s, "content");
	ck_assert_str_eq(suggest_result(&s), "content");
	/* too far: "ab" -> "cd" would replace everything */
	suggest_init(&s, "ab");
	suggest_add(&s, "cd");
	ck_assert_ptr_null(suggest_result(&s));
	/* max(2, len/3): 12 letters allow 4 edits, not 5 */
	suggest_init(&s, "abcdefghijkl");
	suggest_add(&s, "abcdefghWXYZ");
	ck_assert_str_eq(suggest_result(&s), "abcdefghWXYZ");
	suggest_init(&s, "abcdefghijkl");
	suggest_add(&s, "abcdefgVWXYZ");
	ck_assert_ptr_null(suggest_result(&s));
}
END_TEST

START_TEST(test_bad_default)
{
	/* A plugin whose default does not parse: named as the plugin's bug. */
	static const struct mgmt_param bad_params[] = {
		MGMT_PARAM(struct texec, timeout, MGMT_PARAM_DURATION, "soon",
			   0, "t"),
		MGMT_PARAM_END,
	};
	struct kind_entry k = {
		.k = { MGMT_KIND_HEADER, .name = "bad", .params = bad_params,
		       .params_size = sizeof(struct texec) },
		.nparams = 1,
	};
	struct kind_entry *ks[] = { &k };
	struct registry r = { .kinds = ks, .nkinds = 1 };
	static const char y[] = "resources:\n  bad:\n  - name: b\n";

	ck_assert_int_eq(
		config_load_buffer("t.yaml", y, sizeof(y) - 1, &r, &G, &D), -1);
	ck_assert_uint_eq(D.n, 1);
	ck_assert_str_eq(D.msgs[0],
			 "t.yaml:3:5: bad[b]: timeout (the plugin's "
			 "default) \"soon\" is not a duration (seconds, or a "
			 "number with unit ms, s, m or h)");
}
END_TEST

START_TEST(test_diag)
{
	struct diag d = { .max = 2 };
	char buf[64];

	diag_add(&d, (struct pos){ "f", 0, 0 }, "a %d", 1);
	diag_add(&d, (struct pos){ "f", 3, 4 }, "b");
	diag_add(&d, (struct pos){ "f", 5, 6 }, "c");
	diag_add(&d, (struct pos){ "f", 7, 8 }, "d");
	ck_assert_uint_eq(d.n, 3);
	ck_assert_str_eq(d.msgs[0], "f: a 1");
	ck_assert_str_eq(d.msgs[1], "f:3:4: b");
	ck_assert_str_eq(d.msgs[2], "too many errors; the rest are not shown");
	/* every one is counted, shown or not */
	ck_assert_uint_eq(d.found, 4);
	ck_assert_str_eq(diag_summary(&d, buf, sizeof(buf)),
			 "4 errors (the first 2 shown)");
	diag_free(&d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(diag_summary(&d, buf, sizeof(buf)), "0 errors");
	diag_add(&d, (struct pos){ "f", 1, 1 }, "a");
	ck_assert_str_eq(diag_summary(&d, buf, sizeof(buf)), "1 error");
	diag_add(&d, (struct pos){ "f", 1, 1 }, "b");
	ck_assert_str_eq(diag_summary(&d, buf, sizeof(buf)), "2 errors");
	diag_add(&d, (struct pos){ "f", 1, 1 }, "c");
	ck_assert_str_eq(diag_summary(&d, buf, sizeof(buf)),
			 "3 errors (the first 2 shown)");
	diag_free(&d);
	ck_assert_str_eq(diag_summary(NULL, buf, sizeof(buf)), "0 errors");
}
END_TEST

/* A graph with 100,000 errors: 1,000 are kept, all are counted. */
START_TEST(test_error_count)
{
	size_t cap = (size_t)100000 * 48, o = 0;
	char *b = malloc(cap), buf[64];

	ck_assert_ptr_nonnull(b);
	o += (size_t)snprintf(b, cap, "resources:\n  file:\n");
	for (int i = 0; i < 100000; i++)
		o += (size_t)snprintf(b + o, cap - o,
				      "  - {name: f%d, path: /%d, mode: x}\n",
				      i, i);
	ck_assert_uint_lt(o, cap - 1);
	ck_assert_int_eq(compile(b), -1);
	free(b);
	ck_assert_uint_eq(D.found, 100000);
	ck_assert_uint_eq(D.n, 1001); /* and the line saying so */
	ck_assert_str_eq(D.msgs[1000],
			 "too many errors; the rest are not shown");
	ck_assert_str_eq(diag_summary(&D, buf, sizeof(buf)),
			 "100000 errors (the first 1000 shown)");
	/* exactly at the cap nothing is left out */
	D.found = 1000;
	ck_assert_str_eq(diag_summary(&D, buf, sizeof(buf)), "1000 errors");
}
END_TEST

START_TEST(test_files)
{
	const char *tmp = getenv("TMPDIR");
	char dir[200], path[256], want[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/check_config.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nope.yaml", dir);
	ck_assert_int_eq(config_load_file(path, &reg, &G, &D), -1);
	snprintf(want, sizeof(want),
		 "%s: cannot read: No such file or directory", path);
	ck_assert_uint_eq(D.n, 1);
	ck_assert_str_eq(D.msgs[0], want);
	diag_free(&D);

	/* A directory is a graph of its *.yaml parts: none, an empty one. */
	ck_assert_int_eq(config_load_file(dir, &reg, &G, &D), 0);
	ck_assert_uint_eq(G->nres, 0);
	ck_assert_uint_eq(D.n, 0);
	config_graph_free(G);
	G = NULL;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(config_load_file(path, &reg, &G, &D), -1);
	snprintf(want, sizeof(want), "%s: cannot read: not a regular file",
		 path);
	ck_assert_str_eq(D.msgs[0], want);
	diag_free(&D);
	unlink(path);

	snprintf(path, sizeof(path), "%s/g.yaml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(F1 "    mode: 9xx\n", f);
	fclose(f);
	ck_assert_int_eq(config_load_file(path, &reg, &G, &D), -1);
	snprintf(want, sizeof(want),
		 "%s:5:11: file[f1]: mode \"9xx\" is not an octal mode", path);
	ck_assert_str_eq(D.msgs[0], want);
	diag_free(&D);
	f = fopen(path, "w");
	fputs(F1, f);
	fclose(f);
	ck_assert_int_eq(config_load_file(path, &reg, &G, &D), 0);
	ck_assert_str_eq(G->res[0]->pos.file, path);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- conflicts: one kind, one uid ---- */

START_TEST(test_conflicts)
{
	/* One line per conflict, at the later resource, naming the first. */
	expect_only(F1
		    "  - name: f2\n    path: /q\n  - name: f3\n    path: /p\n",
		    "t.yaml:7:5: file[f3]: /p is also managed by file[f1] "
		    "(t.yaml:3:5)");
	expect_err(F1 "  - {name: f2, path: /p}\n  - {name: f3, path: /q}\n"
		      "  - {name: f4, path: /p}\n  - {name: f5, path: /q}\n",
		   "t.yaml:5:5: file[f2]: /p is also managed by file[f1] "
		   "(t.yaml:3:5)");
	ck_assert(has_msg("t.yaml:7:5: file[f4]: /p is also managed by "
			  "file[f1] (t.yaml:3:5)"));
	ck_assert(has_msg("t.yaml:8:5: file[f5]: /q is also managed by "
			  "file[f3] (t.yaml:6:5)"));
	ck_assert_uint_eq(D.n, 3);
	/* the kind's normalised uid decides: a directory and a file */
	expect_only(F1 "  - name: d\n    path: /p/\n",
		    "t.yaml:5:5: file[d]: /p is also managed by file[f1] "
		    "(t.yaml:3:5)");
	/* whatever meta.autoedge says */
	expect_only("resources:\n  file:\n"
		    "  - {name: a, path: /x, meta: {autoedge: false}}\n"
		    "  - {name: b, path: /x, meta: {autoedge: false}}\n",
		    "t.yaml:4:5: file[b]: /x is also managed by file[a] "
		    "(t.yaml:3:5)");
	/* a uid is per kind */
	expect_ok("resources:\n  file:\n  - {name: a, path: /x}\n"
		  "  noop:\n  - name: /x\n");
	/* control characters in a uid do not break the line */
	expect_only("resources:\n  file:\n  - {name: a, path: \"/x\\ny\"}\n"
		    "  - {name: b, path: \"/x\\ny\"}\n",
		    "t.yaml:4:5: file[b]: /x\\ny is also managed by file[a] "
		    "(t.yaml:3:5)");
}
END_TEST

START_TEST(test_conflicts_with_errors)
{
	/* Found among the resources that compiled, along with every other
	 * error; one that did not is never asked for its uid. */
	expect_err(F1
		   "    mode: 9\n  - {name: f2, path: /p}\n"
		   "  - {name: f3, path: /p}\n  - {name: f4, path: /silent}\n"
		   "  - {name: f5, path: /silent}\n",
		   "t.yaml:5:11: file[f1]: mode \"9\" is not an octal mode");
	ck_assert(has_msg("t.yaml:7:5: file[f3]: /p is also managed by "
			  "file[f2] (t.yaml:6:5)"));
	ck_assert_uint_eq(D.n, 4); /* mode, conflict, two failed validates */
	ck_assert_int_eq(uid_calls, 2);
	/* and a duplicate name is not a conflict too */
	expect_only(F1 "  - {name: f1, path: /p}\n",
		    "t.yaml:5:5: file[f1]: duplicate name (first defined at "
		    "3:5)");
}
END_TEST

START_TEST(test_conflicts_exported)
{
	static const char y[] = F1 "  - {name: '@@e', path: /p}\n"
				   "  - {name: '@@f', path: /p}\n";

	/* Without etcd this host manages what it exports too. */
	expect_err(y, "t.yaml:5:5: file[@@e]: /p is also managed by file[f1] "
		      "(t.yaml:3:5)");
	ck_assert(has_msg("t.yaml:6:5: file[@@f]: /p is also managed by "
			  "file[f1] (t.yaml:3:5)"));
	ck_assert_uint_eq(D.n, 2);
	/* With etcd it only publishes them: no conflict among them or with
	 * its own resources, which still conflict among themselves. */
	config_set_exports_managed(false);
	expect_ok(y);
	ck_assert_uint_eq(G->nres, 3);
	expect_only(F1
		    "  - {name: '@@e', path: /p}\n  - {name: f2, path: /p}\n",
		    "t.yaml:6:5: file[f2]: /p is also managed by file[f1] "
		    "(t.yaml:3:5)");
}
END_TEST

/* Automatic edges name resources by uid, and skip what is not indexed. */
START_TEST(test_autoedges_by_uid)
{
	expect_ok("resources:\n  file:\n  - {name: a, path: /d/a}\n"
		  "  - {name: d, path: /d/}\n  - {name: e, path: /e/b}\n"
		  "  - {name: f, path: /e/, meta: {autoedge: false}}\n");
	ck_assert_uint_eq(G->nedges, 2);
	ck_assert_uint_eq(G->edges[0].from, 1);
	ck_assert_uint_eq(G->edges[0].to, 0);
	ck_assert(G->edges[0].automatic);
	ck_assert_int_eq(G->edges[0].pos.line, 3);
	ck_assert_uint_eq(G->edges[1].from, 3);
	ck_assert_uint_eq(G->edges[1].to, 2);
	/* with etcd, an exported directory is not this host's to order */
	config_set_exports_managed(false);
	expect_ok("resources:\n  file:\n  - {name: a, path: /d/a}\n"
		  "  - {name: '@@d', path: /d/}\n");
	ck_assert_uint_eq(G->nedges, 0);
}
END_TEST

static char logbuf[4096];

static void sink(int level, const char *line, void *ctx)
{
	size_t o = strlen(logbuf);

	snprintf(logbuf + o, sizeof(logbuf) - o, "%s\n", line);
}

static struct mgmt_res *collected(const char *origin, const char *text)
{
	struct mgmt_res *r = NULL;

	ck_assert_int_eq(config_res_from_text(&k_file, origin, text,
					      strlen(text), &D, &r),
			 0);
	ck_assert_int_eq(res_validate(r, &D), 0);
	return r;
}

/* A collected resource with the uid of one in the graph is skipped with a
 * warning naming both; the rest are merged, their edges renumbered. */
START_TEST(test_merge_conflicts)
{
	struct mgmt_res *add[5];
	bool seen[4] = { false };

	logbuf[0] = '\0';
	log_set_sink(sink, NULL);
	expect_ok("resources:\n  file:\n  - {name: d, path: /d/}\n"
		  "  - {name: a, path: /d/a}\n");
	add[0] = collected("etcd:/x/c1", "{name: c1, path: /d/a}");
	add[1] = collected("etcd:/x/c2", "{name: c2, path: /d/b}");
	add[2] = collected("etcd:/x/c3", "{name: c3, path: /d/b/}");
	add[3] = collected("etcd:/x/c4", "{name: c4, path: /d/c}");
	add[4] = collected("etcd:/x/c5", "{name: c5, path: /d/}");
	ck_assert_int_eq(config_merge(G, add, 5, &D), 0);
	ck_assert_uint_eq(D.n, 0);
	ck_assert_uint_eq(G->nres, 4);
	ck_assert_str_eq(G->res[0]->name, "d");
	ck_assert_str_eq(G->res[1]->name, "a");
	ck_assert_str_eq(G->res[2]->name, "c2");
	ck_assert_str_eq(G->res[3]->name, "c4");
	/* d comes before each of the others, no edge names a dropped one */
	ck_assert_uint_eq(G->nedges, 3);
	for (size_t i = 0; i < G->nedges; i++) {
		ck_assert_uint_eq(G->edges[i].from, 0);
		ck_assert_uint_lt(G->edges[i].to, G->nres);
		ck_assert(!seen[G->edges[i].to]);
		seen[G->edges[i].to] = true;
	}
	ck_assert(seen[1] && seen[2] && seen[3]);
	ck_assert_msg(strstr(logbuf, "etcd:/x/c1: file[c1]: /d/a is also "
				     "managed by file[a] (t.yaml:4:5); not "
				     "collected"),
		      "log:\n%s", logbuf);
	ck_assert_msg(strstr(logbuf, "etcd:/x/c3: file[c3]: /d/b is also "
				     "managed by file[c2] (etcd:/x/c2); not "
				     "collected"),
		      "log:\n%s", logbuf);
	ck_assert_msg(strstr(logbuf, "etcd:/x/c5: file[c5]: /d is also "
				     "managed by file[d] (t.yaml:3:5); not "
				     "collected"),
		      "log:\n%s", logbuf);
}
END_TEST

/* mgmt's `remote:` (ignored by mgmt since 2018) loads with one warning at
 * its position; any other unknown top-level key is still an error. */
START_TEST(test_remote_ignored)
{
	const char *at;

	logbuf[0] = '\0';
	log_set_sink(sink, NULL);
	expect_ok("graph: g\nremote: \"*\"\n" F1);
	ck_assert_uint_eq(G->nres, 1);
	at = strstr(logbuf, "t.yaml:2:1: top-level key 'remote' is ignored "
			    "(as by mgmt); remove it\n");
	ck_assert_msg(at, "log:\n%s", logbuf);
	at = strstr(at, "'remote'");
	ck_assert_msg(!strstr(at + 1, "'remote'"), "once; log:\n%s", logbuf);
	/* any value: mgmt never reads it */
	expect_ok("remote: [a, {b: c}]\n" F1);
	expect_only("remote: x\nremotes: y\n" F1,
		    "t.yaml:2:1: unknown top-level key 'remotes'");
}
END_TEST

START_TEST(test_trust_list)
{
	expect_ok("trust:\n- \"" KEY_A " hostA\"\n- '" KEY_A "\tb'\n" F1);
	ck_assert_uint_eq(G->ntrust, 2);
	ck_assert_str_eq(G->trust[0].host, "hostA");
	ck_assert_str_eq(G->trust[1].host, "b");
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(G->trust[0].pk[i], i);
	ck_assert_uint_eq(G->trust[1].pos.line, 3);
	config_graph_free(G);
	G = NULL;
	expect_ok("trust:\n" F1); /* empty: none */
	ck_assert_uint_eq(G->ntrust, 0);
}
END_TEST

#define BIG 100000

/* A generated graph: BIG resources in a chain of BIG - 1 edges. */
static char *big_graph(bool dup, bool cycle)
{
	size_t cap = (size_t)BIG * 160, o = 0;
	char *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	o += (size_t)snprintf(b + o, cap - o, "resources:\n  file:\n");
	for (int i = 0; i < BIG; i++)
		o += (size_t)snprintf(b + o, cap - o,
				      "  - name: f%d\n    path: "
				      "/tmp/x/%d\n    mode: 644\n",
				      dup && i == BIG - 1 ? 0 : i, i);
	o += (size_t)snprintf(b + o, cap - o, "edges:\n");
	for (int i = 1; i < BIG; i++)
		o += (size_t)snprintf(b + o, cap - o,
				      "- {from: {kind: file, name: "
				      "f%d}, to: {kind: file, name: f%d}}\n",
				      i - 1, i);
	if (cycle)
		o += (size_t)snprintf(
			b + o, cap - o,
			"- {from: {kind: file, "
			"name: f%d}, to: {kind: file, name: f0}}\n",
			BIG - 1);
	ck_assert_uint_lt(o, cap - 1);
	return b;
}

START_TEST(test_big)
{
	char *b = big_graph(false, false);

	expect_ok(b);
	ck_assert_uint_eq(G->nres, BIG);
	ck_assert_uint_eq(G->nedges, BIG - 1);
	ck_assert_str_eq(G->res[BIG - 1]->name, "f99999");
	ck_assert_int_eq(TF(G->res[BIG - 1])->mode, 0644);
	ck_assert_uint_eq(G->edges[BIG - 2].to, BIG - 1);
	free(b);
	b = big_graph(true, false);
	expect_err(b, "t.yaml:300000:5: file[f0]: duplicate name (first "
		      "defined at 3:5)");
	free(b);
	b = big_graph(false, true);
	expect_only(b, "t.yaml:300004:3: graph has a cycle: file[f0] -> "
		       "file[f1] -> file[f2] -> file[f3] -> file[f4] -> "
		       "file[f5] -> file[f6] -> file[f7] -> file[f8] -> "
		       "file[f9] -> file[f10] -> file[f11] -> file[f12] -> "
		       "file[f13] -> file[f14] -> file[f15] -> ... (99984 "
		       "more) -> file[f0]");
	free(b);
}
END_TEST

/* The events of `buf` as text, one line each, and how the stream ended:
 * the same whether parsed ahead or inline. */
static char *event_text(const char *buf, size_t len, bool ahead)
{
	struct ystream *ys = ystream_open(buf, len, ahead);
	const struct yev *e;
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	ck_assert_ptr_nonnull(ys);
	ck_assert_ptr_nonnull(f);
	while ((e = ystream_next(ys))) {
		fprintf(f, "%d %zu:%zu %s %d %zu:%s\n", (int)e->type,
			e->mark.line, e->mark.column,
			e->anchor ? e->anchor : "-", e->plain, e->length,
			e->value ? e->value : "-");
		if (e->type == YAML_STREAM_END_EVENT)
			break;
	}
	if (!e) {
		const yaml_parser_t *p = ystream_parser(ys);

		fprintf(f, "error %s at %zu:%zu\n", p->problem,
			p->problem_mark.line, p->problem_mark.column);
	}
	ystream_close(ys);
	fclose(f);
	return out;
}

static void same_events(const char *buf)
{
	char *inl = event_text(buf, strlen(buf), false);
	char *ahead = event_text(buf, strlen(buf), true);

	ck_assert_uint_gt(strlen(inl), 0);
	ck_assert_str_eq(ahead, inl);
	free(inl);
	free(ahead);
}

/* Anchors, aliases, tags, quoted and block scalars, an empty value, over
 * many of the parser thread's batches; `tail` appended. */
static char *varied(const char *tail)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	fputs("items:\n", f);
	for (int i = 0; i < 4000; i++)
		fprintf(f,
			"- &a%d {k: !!str v%d, l: 'q%d', m: \"\\u00e9%d\", "
			"e: , n: ! %d}\n- *a%d\n- |\n  block %d\n  line\n",
			i, i, i, i, i, i / 2, i);
	fputs(tail, f);
	fclose(f);
	return out;
}

START_TEST(test_parse_ahead)
{
	char *b = big_graph(false, false);

	same_events(b);
	free(b);
	b = varied("");
	ck_assert_uint_gt(strlen(b), YSTREAM_AHEAD_MIN);
	same_events(b);
	free(b);
	/* A syntax error after many batches: the same problem, the same
	 * place. */
	b = varied("bad: [unclosed\n");
	same_events(b);
	free(b);
}
END_TEST

START_TEST(test_parse_ahead_stop)
{
	/* The caller stops early: what was parsed ahead is freed (ASan
	 * and valgrind say so), the thread joined. */
	char *b = big_graph(false, false);
	struct ystream *ys = ystream_open(b, strlen(b), true);

	for (int i = 0; i < 5000; i++)
		ck_assert_ptr_nonnull(ystream_next(ys));
	ystream_close(ys);
	ys = ystream_open(b, strlen(b), true); /* before the first event */
	ystream_close(ys);
	free(b);
	/* The loader stops at an error in the middle of a large graph, as
	 * in a small one: the error and its place. */
	b = varied("");
	char *mid = strchr(b + strlen(b) / 2, '\n') + 1, *bad, msg[64];
	int line = 1;

	for (const char *c = b; c < mid; c++)
		line += *c == '\n';
	ck_assert_int_gt(
		asprintf(&bad, "%.*s- *nope\n%s", (int)(mid - b), b, mid), 0);
	snprintf(msg, sizeof(msg), "t.yaml:%d:3: unknown anchor 'nope'", line);
	expect_only(bad, msg);
	free(bad);
	free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_full_graph);
	tcase_add_test(tc, test_label_equal);
	tcase_add_loop_test(tc, test_values, 0,
			    sizeof(val_cases) / sizeof(*val_cases));
	tcase_add_loop_test(tc, test_errors, 0,
			    sizeof(err_cases) / sizeof(*err_cases));
	tcase_add_loop_test(tc, test_edge_errors, 0,
			    sizeof(edge_cases) / sizeof(*edge_cases));
	tcase_add_test(tc, test_meta);
	tcase_add_test(tc, test_parse_ahead);
	tcase_add_test(tc, test_parse_ahead_stop);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_all_errors);
	tcase_add_test(tc, test_aliases);
	tcase_add_test(tc, test_edges_before_resources);
	tcase_add_test(tc, test_alias_bomb);
	tcase_add_test(tc, test_nesting);
	tcase_add_test(tc, test_yaml_tree);
	tcase_add_test(tc, test_dup_keys_big);
	tcase_add_test(tc, test_suggest);
	tcase_add_test(tc, test_bad_default);
	tcase_add_test(tc, test_diag);
	tcase_add_test(tc, test_error_count);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_conflicts);
	tcase_add_test(tc, test_conflicts_with_errors);
	tcase_add_test(tc, test_conflicts_exported);
	tcase_add_test(tc, test_autoedges_by_uid);
	tcase_add_test(tc, test_merge_conflicts);
	tcase_add_test(tc, test_remote_ignored);
	tcase_add_test(tc, test_trust_list);
	tcase_add_test(tc, test_big);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

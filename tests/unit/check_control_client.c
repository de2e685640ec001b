/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_control_client.c - unit tests for the pure parts of the control
 * socket's client (engine/control): status and cluster documents rendered
 * as text against a fixed `now`, the exit status each gives, spans of
 * time, the URLs with their escaped query values, and which socket is
 * used.  The requests themselves are tests/cli/control-client.sh's.
 */
#include "config.h"

#include "control/client.h"
#include "runner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1764720000.0

/* Render `text` (a JSON document) with `fn` at NOW; returns what was
 * written (malloc'd) and the return value in *ret. */
static char *render(int (*fn)(const json_t *, double, FILE *), const char *text,
		    int *ret)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_msg(doc, "bad test JSON: %s (line %d)", je.text, je.line);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	*ret = fn(doc, NOW, f);
	fclose(f);
	json_decref(doc);
	return out;
}

static json_t *load(const char *text)
{
	json_t *doc = json_loads(text, 0, NULL);

	ck_assert_ptr_nonnull(doc);
	return doc;
}

/* A status document: converged 150 s ago unless `converged` is false;
 * `counts` and `resources` are JSON text spliced in. */
static char *status_doc(const char *converged, const char *counts,
			const char *resources)
{
	char *s;

	ck_assert_int_ge(asprintf(&s,
				  "{\"host\": \"h1\", \"version\": \"0.1.0\", "
				  "\"pid\": 1234, \"graph\": \"g.yaml\", "
				  "\"started\": 1764712700.5, "
				  "\"graph_since\": 1764719700.0, "
				  "\"converged\": %s, \"converged_since\": %s, "
				  "\"summary\": {%s}, \"resources\": [%s]}",
				  converged,
				  strcmp(converged, "true") == 0 ?
					  "1764719849.8" :
					  "null",
				  counts, resources),
			 0);
	return s;
}

START_TEST(test_span)
{
	static const struct {
		double secs;
		const char *want;
	} cases[] = {
		{ 0, "0s" },      { 0.9, "0s" },       { 59.9, "59s" },
		{ 60, "1m" },     { 3599, "59m" },     { 3600, "1h" },
		{ 86399, "23h" }, { 86400 * 3, "3d" }, { -5, "0s" },
		{ NAN, "0s" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		client_span(cases[i].secs, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].want);
	}
}
END_TEST

static const char converged_res[] =
	"{\"kind\": \"file\", \"name\": \"f0\", \"group\": null, "
	"\"state\": \"converged\", \"last_check\": 1764719997.0, "
	"\"last_change\": null, \"runs\": 3, \"changes\": 1, \"failures\": 0, "
	"\"last_error\": null, \"retry\": null}, "
	"{\"kind\": \"file\", \"name\": \"f\xc3\xa9te\", "
	"\"group\": \"file[f0]\", \"state\": \"converged\", "
	"\"last_check\": 1764719997.0, \"last_change\": 1764719880.0, "
	"\"runs\": 12, \"changes\": 1, \"failures\": 0, "
	"\"last_error\": null, \"retry\": null}";

START_TEST(test_status_converged)
{
	char *doc = status_doc("true",
			       "\"resources\": 2, \"converged\": 2, "
			       "\"failed\": 0, \"held\": 0",
			       converged_res);
	int ret;
	char *out = render(client_status_render, doc, &ret);

	ck_assert_int_eq(ret, 0);
	/* Columns as wide as their widest cell, in characters ("fête" is
	 * four); counts to the right; the error column not padded. */
	ck_assert_str_eq(
		out,
		"h1: converged for 2m; 2 resources: 2 converged\n"
		"graph g.yaml, taken 5m ago; mgmt-engine 0.1.0, pid 1234, "
		"up 2h\n"
		"\n"
		"KIND  NAME  STATE      GROUP     RUNS  CHANGES  FAILURES  "
		"LAST CHECK  LAST CHANGE  ERROR\n"
		"file  f0    converged  -            3        1         0  "
		"3s ago      -            -\n"
		"file  f\xc3\xa9te  converged  file[f0]    12        1         0  "
		"3s ago      2m ago       -\n");
	free(out);
	json_t *j = load(doc);
	ck_assert_int_eq(client_status_exit(j), CLIENT_EXIT_OK);
	json_decref(j);
	free(doc);
}
END_TEST

START_TEST(test_status_failed)
{
	char *doc = status_doc(
		"false",
		"\"resources\": 3, \"converged\": 1, \"failed\": 1, "
		"\"held\": 1, \"retrying\": 1, \"running\": 0",
		"{\"kind\": \"exec\", \"name\": \"bad\", \"group\": null, "
		"\"state\": \"retrying\", \"last_check\": 1764720000.0, "
		"\"last_change\": null, \"runs\": 2, \"changes\": 0, "
		"\"failures\": 2, "
		"\"last_error\": \"exit status 1:\\nboom\\u001b[2J\", "
		"\"retry\": {\"left\": 2, \"at\": 1764720004.5}}, "
		"{\"kind\": \"exec\", \"name\": \"loop\", \"group\": null, "
		"\"state\": \"retrying\", \"last_check\": 1764719000.0, "
		"\"last_change\": null, \"runs\": 9, \"changes\": 0, "
		"\"failures\": 9, \"last_error\": null, "
		"\"retry\": {\"left\": -1, \"at\": 1764719999.0}}, "
		"{\"kind\": \"exec\", \"name\": \"after\", \"group\": null, "
		"\"state\": \"held\", \"last_check\": null, "
		"\"last_change\": null, \"runs\": 0, \"changes\": 0, "
		"\"failures\": 0, \"last_error\": null, \"retry\": null}");
	int ret;
	char *out = render(client_status_render, doc, &ret);

	ck_assert_int_eq(ret, 0);
	/* The error escaped to one line; a retry due now says so; -1 left
	 * retries forever. */
	ck_assert_str_eq(
		out,
		"h1: not converged; 3 resources: 1 converged, 1 failed, "
		"1 held, 1 retrying\n"
		"graph g.yaml, taken 5m ago; mgmt-engine 0.1.0, pid 1234, "
		"up 2h\n"
		"\n"
		"KIND  NAME   STATE     GROUP  RUNS  CHANGES  FAILURES  "
		"LAST CHECK  LAST CHANGE  ERROR\n"
		"exec  bad    retrying  -         2        0         2  "
		"0s ago      -            retry in 4s (2 left): exit status "
		"1:\\nboom\\x1b[2J\n"
		"exec  loop   retrying  -         9        0         9  "
		"16m ago     -            retry due (retries forever)\n"
		"exec  after  held      -         0        0         0  "
		"-           -            -\n");
	free(out);
	json_t *j = load(doc);
	ck_assert_int_eq(client_status_exit(j), CLIENT_EXIT_FAILED);
	json_decref(j);
	free(doc);
}
END_TEST

/* Converged with a failure, or with one held, is not a clean bill. */
START_TEST(test_status_exit)
{
	static const char *const counts[] = {
		"\"failed\": 0, \"held\": 0",
		"\"failed\": 1, \"held\": 0",
		"\"failed\": 0, \"held\": 2",
	};

	for (size_t i = 0; i < 3; i++) {
		char *doc = status_doc("true", counts[i], "");
		json_t *j = load(doc);

		ck_assert_int_eq(client_status_exit(j),
				 i == 0 ? CLIENT_EXIT_OK : CLIENT_EXIT_FAILED);
		json_decref(j);
		free(doc);
	}
}
END_TEST

START_TEST(test_status_empty)
{
	char *doc = status_doc("true", "\"resources\": 0", "");
	int ret;
	char *out = render(client_status_render, doc, &ret);

	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(strstr(out, "\nno resource to show\n"));
	ck_assert_ptr_null(strstr(out, "KIND"));
	free(out);
	free(doc);
}
END_TEST

/* Not a status document: -EPROTO, and nothing written. */
START_TEST(test_status_malformed)
{
	static const char *const docs[] = {
		"[]",
		"{\"resources\": []}",
		"{\"summary\": {}, \"resources\": {}}",
		"{\"summary\": {}, \"resources\": [1]}",
	};
	int ret;

	for (size_t i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		char *out = render(client_status_render, docs[i], &ret);

		ck_assert_int_eq(ret, -EPROTO);
		ck_assert_str_eq(out, "");
		free(out);
	}
	char *out = render(client_cluster_render, "{\"hosts\": 1}", &ret);
	ck_assert_int_eq(ret, -EPROTO);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

static const char cluster_doc[] =
	"{\"hosts\": ["
	"{\"host\": \"web-1\", \"converged\": true, \"since\": 1764719940.0, "
	"\"failed\": 0, \"resources\": 10, \"updated\": 1764720000.0}, "
	"{\"host\": \"db\", \"converged\": false, \"since\": null, "
	"\"failed\": 1, \"resources\": 120, \"updated\": 1764720000.0}]}";

START_TEST(test_cluster)
{
	int ret;
	char *out = render(client_cluster_render, cluster_doc, &ret);

	ck_assert_int_eq(ret, 0);
	ck_assert_str_eq(out,
			 "2 hosts: 1 converged with nothing failed, 1 not\n"
			 "\n"
			 "HOST   STATE        SINCE   FAILED  RESOURCES\n"
			 "web-1  converged    1m ago       0         10\n"
			 "db     unconverged  -            1        120\n");
	free(out);
	json_t *j = load(cluster_doc);
	ck_assert_int_eq(client_cluster_exit(j), CLIENT_EXIT_FAILED);
	json_decref(j);
}
END_TEST

START_TEST(test_cluster_exit)
{
	json_t *ok = load("{\"hosts\": [{\"host\": \"a\", \"converged\": "
			  "true, \"failed\": 0}]}");
	json_t *failed = load("{\"hosts\": [{\"host\": \"a\", \"converged\": "
			      "true, \"failed\": 2}]}");
	json_t *none = load("{\"hosts\": []}");

	ck_assert_int_eq(client_cluster_exit(ok), CLIENT_EXIT_OK);
	ck_assert_int_eq(client_cluster_exit(failed), CLIENT_EXIT_FAILED);
	/* No host reported: nothing is known to be well. */
	ck_assert_int_eq(client_cluster_exit(none), CLIENT_EXIT_FAILED);
	json_decref(ok);
	json_decref(failed);
	json_decref(none);
}
END_TEST

START_TEST(test_url)
{
	const struct client_arg args[] = {
		{ "kind", "file" },
		{ "name", NULL },
		{ "glob", "a b/c&d=e*?\xc3\xa9%" },
		{ "keep", "AZaz09-._~" },
	};
	char *url;

	ck_assert_int_eq(client_url("/v1/status", NULL, 0, &url), 0);
	ck_assert_str_eq(url, "http://localhost/v1/status");
	free(url);
	/* A NULL value is left out; the first given gets the '?'. */
	ck_assert_int_eq(client_url("/v1/status", args + 1, 1, &url), 0);
	ck_assert_str_eq(url, "http://localhost/v1/status");
	free(url);
	ck_assert_int_eq(client_url("/v1/trigger", args, 4, &url), 0);
	ck_assert_str_eq(url, "http://localhost/v1/trigger?kind=file"
			      "&glob=a%20b%2Fc%26d%3De%2A%3F%C3%A9%25"
			      "&keep=AZaz09-._~");
	free(url);
	ck_assert_int_eq(client_url("/v1/trigger", args + 1, 2, &url), 0);
	ck_assert_str_eq(url, "http://localhost/v1/trigger"
			      "?glob=a%20b%2Fc%26d%3De%2A%3F%C3%A9%25");
	free(url);
}
END_TEST

START_TEST(test_socket)
{
	unsetenv(CLIENT_ENV);
	ck_assert_str_eq(client_socket(NULL), CONTROL_SOCKET);
	ck_assert_ptr_nonnull(
		strstr(CONTROL_SOCKET, "/mgmt-engine/control.sock"));
	setenv(CLIENT_ENV, "", 1);
	ck_assert_str_eq(client_socket(NULL), CONTROL_SOCKET);
	setenv(CLIENT_ENV, "/tmp/e.sock", 1);
	ck_assert_str_eq(client_socket(NULL), "/tmp/e.sock");
	ck_assert_str_eq(client_socket("/x.sock"), "/x.sock");
	unsetenv(CLIENT_ENV);
}
END_TEST

static Suite *control_client_suite(void)
{
	Suite *s = suite_create("control_client");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_span);
	tcase_add_test(tc, test_status_converged);
	tcase_add_test(tc, test_status_failed);
	tcase_add_test(tc, test_status_exit);
	tcase_add_test(tc, test_status_empty);
	tcase_add_test(tc, test_status_malformed);
	tcase_add_test(tc, test_cluster);
	tcase_add_test(tc, test_cluster_exit);
	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_socket);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(control_client_suite());
}

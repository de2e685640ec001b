/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_kv.c - the kv plugin's parameters, through the built plugin
 * (plugins/kv) and the engine's compiler: an empty key, a comparison style
 * other than mgmt's two, a value skiplessthan cannot compare as an integer,
 * each at its parameter's line:col; mgmt's own kv examples compile
 * unchanged (three resources on one key among them).  And the host's
 * key-value services (engine/run/kvhost.c): without a cluster each fails
 * with ENOTCONN; with one (hooks of the test's own, standing in for
 * engine/cluster/kv.c) a watch hears of its key, of keys under a prefix,
 * of the space being read, and a callback may unwatch.  Etcd itself is
 * tested in tests/system/kv.sh.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "config/config.h"
#include "loader/loader.h"
#include "run/host.h"
#include "harness.h"
#include "runner.h"

static struct registry reg;

static void setup(void)
{
	harness_load(&reg, "MGMT_PLUGINS_DIR", host_table(), "kv");
}

static void teardown(void)
{
	registry_free(&reg);
}

/* A graph of one kv resource with `more` (YAML flow mapping entries). */
static const char *one(const char *more)
{
	static char buf[2048];

	ck_assert_int_lt(snprintf(buf, sizeof(buf),
				  "resources:\n  kv:\n"
				  "  - {name: k%s}\n",
				  more),
			 (int)sizeof(buf));
	return buf;
}

static const char *errors(const char *yaml)
{
	return harness_errors(&reg, yaml);
}

START_TEST(params_accepted)
{
	static const char *const good[] = {
		"",
		", key: hello, value: world",
		", value: \"\"",
		", mapped: true, value: x",
		", value: \"3\", skiplessthan: true",
		", value: \"-12\", skiplessthan: true, skipcmpstyle: 0",
		", value: \"+7\", skiplessthan: true",
		", value: b, skiplessthan: true, skipcmpstyle: 1",
		", skiplessthan: true",          /* no value: deletes */
		", value: abc, skipcmpstyle: 0", /* not compared */
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(errors(one(good[i]))[0] == '\0', "%s: %s",
			      good[i], errors(one(good[i])));
}
END_TEST

START_TEST(params_refused)
{
	ck_assert_str_eq(errors(one(", key: \"\"")),
			 "test.yaml:3:20: kv[k]: key: the key is empty: give "
			 "one, or leave it out to use the name\n");
	ck_assert_str_eq(errors(one(", skipcmpstyle: 2")),
			 "test.yaml:3:29: kv[k]: skipcmpstyle: 2 is not a "
			 "comparison style: 0 compares as integers, 1 as "
			 "strings\n");
	ck_assert_str_eq(errors(one(", skipcmpstyle: -1")),
			 "test.yaml:3:29: kv[k]: skipcmpstyle: -1 is not a "
			 "comparison style: 0 compares as integers, 1 as "
			 "strings\n");
	ck_assert_str_eq(
		errors(one(", value: abc, skiplessthan: true")),
		"test.yaml:3:22: kv[k]: value: \"abc\" is not an integer, "
		"which skiplessthan with skipcmpstyle 0 compares; use "
		"skipcmpstyle 1 to compare strings\n");
	/* strconv.Atoi's rule: no spaces, no trailing garbage, in range */
	ck_assert_ptr_nonnull(strstr(
		errors(one(", value: \"3 \", skiplessthan: true")), "value: "));
	ck_assert_ptr_nonnull(strstr(
		errors(one(", value: \"-\", skiplessthan: true")), "value: "));
	ck_assert_ptr_nonnull(
		strstr(errors(one(", value: \"99999999999999999999\", "
				  "skiplessthan: true")),
		       "value: "));
	/* a type the schema refuses */
	ck_assert_ptr_nonnull(strstr(errors(one(", mapped: maybe")),
				     "test.yaml:3:23: kv[k]: mapped "));
}
END_TEST

/* mgmt's examples/yaml/kv1..kv4.yaml compile unchanged: kv4 puts three
 * resources on one key, so the kind has no uid to collide. */
START_TEST(mgmt_examples)
{
	ck_assert_str_eq(errors("---\ngraph: mygraph\nresources:\n  kv:\n"
				"  - name: kv1\n    key: \"hello\"\n"
				"    value: \"world\"\nedges: []\n"),
			 "");
	ck_assert_str_eq(errors("---\ngraph: mygraph\nresources:\n  kv:\n"
				"  - name: kv1\n    key: \"iamdeleted\"\n"
				"edges: []\n"),
			 "");
	ck_assert_str_eq(errors("---\ngraph: mygraph\nresources:\n  kv:\n"
				"  - name: kv1\n    key: \"stage\"\n"
				"    value: \"3\"\n    skiplessthan: true\n"
				"edges: []\n"),
			 "");
	ck_assert_str_eq(
		errors("---\ngraph: mygraph\nresources:\n  kv:\n"
		       "  - name: kv1\n    key: \"stage\"\n    value: \"1\"\n"
		       "    skiplessthan: true\n"
		       "  - name: kv2\n    key: \"stage\"\n    value: \"2\"\n"
		       "    skiplessthan: true\n"
		       "  - name: kv3\n    key: \"stage\"\n    value: \"3\"\n"
		       "    skiplessthan: true\n"
		       "edges:\n- name: e1\n  from:\n    kind: kv\n"
		       "    name: kv1\n  to:\n    kind: kv\n    name: kv2\n"
		       "- name: e2\n  from:\n    kind: kv\n    name: kv2\n"
		       "  to:\n    kind: kv\n    name: kv3\n"),
		"");
}
END_TEST

/* ---- the host's services ---- */

static void count_cb(mgmt_res *res, const char *key, void *data)
{
	char *log = data;

	strcat(log, key ? key : "(read)");
	strcat(log, ";");
}

START_TEST(services_need_a_cluster)
{
	const struct mgmt_host *h = host_table();
	char log[64] = "", *v = (char *)"x";

	host_set_kv(NULL);
	errno = 0;
	ck_assert_ptr_null(h->watch_kv(NULL, "str/a", 0, count_cb, log));
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(h->kv_get(NULL, "str/a", &v), -ENOTCONN);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(h->kv_put(NULL, "str/a", "1"), -ENOTCONN);
	ck_assert_int_eq(host_watches_in_use(), 0);
}
END_TEST

static bool fake_synced_;
static int fake_follows;

static void fake_follow(void *ctx)
{
	fake_follows++;
}

static bool fake_synced(void *ctx)
{
	return fake_synced_;
}

static int fake_get(void *ctx, const char *key, char **value, bool worker)
{
	*value = strdup(key);
	return 0;
}

static int fake_put(void *ctx, const char *key, const char *value, int fd)
{
	return 0;
}

static const struct host_kv_ops fake = {
	.follow = fake_follow,
	.synced = fake_synced,
	.get = fake_get,
	.put = fake_put,
};

static mgmt_watch *self;

static void unwatch_cb(mgmt_res *res, const char *key, void *data)
{
	count_cb(res, key, data);
	host_table()->unwatch(self);
}

START_TEST(watches_hear_their_keys)
{
	const struct mgmt_host *h = host_table();
	char exact[128] = "", prefix[128] = "", gone[128] = "";
	mgmt_watch *a, *b;
	char *v = NULL;

	host_set_kv(&fake);
	fake_synced_ = false;
	a = h->watch_kv(NULL, "str/a", 0, count_cb, exact);
	b = h->watch_kv(NULL, "map/a/", MGMT_KV_PREFIX, count_cb, prefix);
	self = h->watch_kv(NULL, "str/a", 0, unwatch_cb, gone);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(self);
	ck_assert_int_eq(fake_follows, 3);
	/* bad keys and flags */
	errno = 0;
	ck_assert_ptr_null(h->watch_kv(NULL, "", 0, count_cb, exact));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(h->watch_kv(NULL, "k", 0x8, count_cb, exact));
	ck_assert_int_eq(errno, EINVAL);

	host_kv_event(NULL); /* the space was read */
	host_kv_event("str/a");
	host_kv_event("str/ab");
	host_kv_event("map/a/h1");
	host_kv_event("map/b/h1");
	host_kv_event("str/a");
	ck_assert_str_eq(exact, "(read);str/a;str/a;");
	ck_assert_str_eq(prefix, "(read);map/a/h1;");
	ck_assert_str_eq(gone, "(read);"); /* it unwatched itself */

	/* a watch made once the space was read hears so from the loop */
	fake_synced_ = true;
	h->unwatch(a);
	exact[0] = '\0';
	a = h->watch_kv(NULL, "str/z", 0, count_cb, exact);
	ck_assert_str_eq(exact, "");
	ev_run(EV_DEFAULT, EVRUN_NOWAIT);
	ck_assert_str_eq(exact, "(read);");
	ev_run(EV_DEFAULT, EVRUN_NOWAIT);
	ck_assert_str_eq(exact, "(read);");

	ck_assert_int_eq(h->kv_get(NULL, "str/z", &v), 0);
	ck_assert_str_eq(v, "str/z");
	free(v);
	ck_assert_int_eq(h->kv_get(NULL, "", &v), -EINVAL);
	/* the loop thread must not block in a put */
	ck_assert_int_eq(h->kv_put(NULL, "str/z", "1"), -EPERM);
	h->unwatch(a);
	h->unwatch(b);
	ck_assert_int_eq(host_watches_in_use(), 0);
	host_set_kv(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kv");
	TCase *tc = tcase_create("params");
	TCase *tc2 = tcase_create("services");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, params_accepted);
	tcase_add_test(tc, params_refused);
	tcase_add_test(tc, mgmt_examples);
	suite_add_tcase(s, tc);
	tcase_add_test(tc2, services_need_a_cluster);
	tcase_add_test(tc2, watches_hear_their_keys);
	suite_add_tcase(s, tc2);
	return s;
}

int main(void)
{
	return check_main(suite());
}

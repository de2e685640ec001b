/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_hostname.c - the hostname plugin's parameters, through the built
 * plugin (plugins/hostname) and the engine's compiler, without
 * systemd-hostnamed: which hostname each of the three becomes (mgmt's
 * rules: `hostname`, else the resource's name, for each one not given; ""
 * for one not managed), the hostnames validate refuses as hostnamed would,
 * with the exact error at the parameter's line:col, and the transient
 * hostname that could never differ from the static one.  Compiling a graph
 * runs validate only: nothing here connects to a bus.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "loader/loader.h"
#include "run/host.h"
#include "harness.h"
#include "runner.h"
#include "../../plugins/hostname/hostname.h"

static struct registry reg;

static void setup(void)
{
	harness_load(&reg, "MGMT_PLUGINS_DIR", host_table(), "hostname");
}

static void teardown(void)
{
	registry_free(&reg);
}

/* A graph of one hostname resource named `name` with `more` (YAML flow
 * mapping entries, may be ""). */
static const char *one(const char *name, const char *more)
{
	static char buf[2048];

	ck_assert_int_lt(snprintf(buf, sizeof(buf),
				  "resources:\n  hostname:\n"
				  "  - {name: \"%s\"%s}\n",
				  name, more),
			 (int)sizeof(buf));
	return buf;
}

static const char *errors(const char *yaml)
{
	return harness_errors(&reg, yaml);
}

/* The three hostnames `yaml`'s resource wants ("-": not managed), as
 * "pretty|static|transient". */
static const char *wants(const char *yaml)
{
	static char out[1024];
	struct graph_cfg *cfg = harness_compile(&reg, yaml);
	const struct hostname *h = cfg->res[0]->params;
	snprintf(out, sizeof(out), "%s|%s|%s",
		 h->want[HN_PRETTY] ? h->want[HN_PRETTY] : "-",
		 h->want[HN_STATIC] ? h->want[HN_STATIC] : "-",
		 h->want[HN_TRANSIENT] ? h->want[HN_TRANSIENT] : "-");
	config_graph_free(cfg);
	return out;
}

/* mgmt's rules: the name, or `hostname`, for each one not given; "" is not
 * managed; an empty `hostname` is unset. */
START_TEST(defaults_as_mgmt)
{
	ck_assert_str_eq(wants(one("web1", "")), "web1|web1|web1");
	ck_assert_str_eq(wants(one("x", ", hostname: db.example.org")),
			 "db.example.org|db.example.org|db.example.org");
	ck_assert_str_eq(wants(one("web1", ", hostname: \"\"")),
			 "web1|web1|web1");
	ck_assert_str_eq(wants(one("web1", ", pretty_hostname: Web One")),
			 "Web One|web1|web1");
	ck_assert_str_eq(wants(one("x", ", hostname: h, pretty_hostname: "
					"\"\", static_hostname: s, "
					"transient_hostname: \"\"")),
			 "-|s|-");
	ck_assert_str_eq(wants(one("x", ", pretty_hostname: \"\", "
					"static_hostname: \"\", "
					"transient_hostname: \"\"")),
			 "-|-|-");
	/* a name that is no hostname is fine when it is not used as one */
	ck_assert_str_eq(wants(one("My Laptop", ", static_hostname: lap, "
						"transient_hostname: lap")),
			 "My Laptop|lap|lap");
}
END_TEST

/* mgmt's own example graph (examples/yaml/hostname.yaml there) compiles
 * unchanged: a name that is no hostname, and `hostname` for all three. */
START_TEST(mgmt_example)
{
	ck_assert_str_eq(wants("---\ngraph: mygraph\nresources:\n"
			       "  hostname:\n"
			       "    - name: Hostname Watcher @ TestHost\n"
			       "      hostname: test.hostname.example.com\n"
			       "edges: []\n"),
			 "test.hostname.example.com|test.hostname.example.com|"
			 "test.hostname.example.com");
}
END_TEST

/* hostnamed's own rule (systemd's hostname_is_valid). */
START_TEST(hostnames_accepted)
{
	static const char *const good[] = { "a",       "web1",
					    "A-b.c",   "db-2.example.org",
					    "1host",   "x.y.z.w.v",
					    "UPPER9-0" };
	char name[80];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *e = errors(one(good[i], ""));

		ck_assert_msg(e[0] == '\0', "%s refused: %s", good[i], e);
	}
	memset(name, 'x', 64);
	name[64] = '\0';
	ck_assert_str_eq(errors(one(name, "")), "");
}
END_TEST

START_TEST(hostnames_refused)
{
	static const char *const bad[] = { "a b",  "a_b", ".a", "a.",
					   "a..b", "-a",  "a-", "a.-b",
					   "a-.b", "é",   "a/b" };
	char name[80], want[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "test.yaml:3:34: hostname[x]: static_hostname: \"%s\" "
			 "is not a valid "
			 "static hostname: labels of letters, digits and '-' "
			 "separated by '.', at most 64 characters\n",
			 bad[i]);
		snprintf(name, sizeof(name),
			 ", static_hostname: \"%s\", "
			 "transient_hostname: \"\"",
			 bad[i]);
		ck_assert_str_eq(errors(one("x", name)), want);
	}
	memset(name, 'x', 65);
	name[65] = '\0';
	ck_assert_str_eq(
		errors(one("x", ", transient_hostname: xxxxxxxxxxxxxxxxxxxxxxxx"
				"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, "
				"static_hostname: \"\"")),
		"test.yaml:3:37: hostname[x]: transient_hostname: "
		"\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxx\" is not a valid transient hostname: labels of letters, "
		"digits and '-' separated by '.', at most 64 characters\n");
}
END_TEST

/* Each error points where the value came from: the parameter given, the
 * `hostname` fallback, or the resource (its name); a bad value used twice
 * is reported twice. */
START_TEST(errors_point_at_the_source)
{
	ck_assert_str_eq(
		errors(one("x", ", hostname: \"a b\", pretty_hostname: ok")),
		"test.yaml:3:27: hostname[x]: hostname: \"a b\" is not a "
		"valid static "
		"hostname: labels of letters, digits and '-' separated by "
		"'.', at most 64 characters\n"
		"test.yaml:3:27: hostname[x]: hostname: \"a b\" is not a "
		"valid transient "
		"hostname: labels of letters, digits and '-' separated by "
		"'.', at most 64 characters\n");
	ck_assert_str_eq(
		errors(one("My Laptop", ", transient_hostname: \"\"")),
		"test.yaml:3:5: hostname[My Laptop]: \"My Laptop\" is not a "
		"valid static hostname: labels of letters, digits and '-' "
		"separated by '.', at most 64 characters\n");
	ck_assert_str_eq(errors(one("x", ", pretty_hostname: \"a\\tb\"")),
			 "test.yaml:3:34: hostname[x]: pretty_hostname: "
			 "\"a\tb\" is not a valid "
			 "pretty hostname: it has control characters\n");
}
END_TEST

/* hostnamed keeps the kernel's hostname at the static one: a different
 * transient one could never be reached. */
START_TEST(transient_must_match_static)
{
	ck_assert_str_eq(
		errors(one("web1", ", transient_hostname: other")),
		"test.yaml:3:40: hostname[web1]: transient_hostname: "
		"transient hostname \"other\" "
		"differs from the static hostname \"web1\", which "
		"systemd-hostnamed keeps the kernel's at: make them equal, or "
		"set static_hostname: \"\"\n");
	ck_assert_str_eq(errors(one("web1", ", transient_hostname: other, "
					    "static_hostname: \"\"")),
			 "");
	ck_assert_str_eq(errors(one("web1", ", transient_hostname: web1, "
					    "static_hostname: web1")),
			 "");
}
END_TEST

/* mgmt's hostname resource has no other parameter: the engine refuses
 * one, at its key. */
START_TEST(unknown_parameter)
{
	const char *e = errors(one("web1", ", domain: x"));

	ck_assert_msg(strstr(e, "test.yaml:3:20: ") == e, "%s", e);
	ck_assert_ptr_nonnull(strstr(e, "domain"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hostname");
	TCase *tc = tcase_create("params");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_as_mgmt);
	tcase_add_test(tc, mgmt_example);
	tcase_add_test(tc, hostnames_accepted);
	tcase_add_test(tc, hostnames_refused);
	tcase_add_test(tc, errors_point_at_the_source);
	tcase_add_test(tc, transient_must_match_static);
	tcase_add_test(tc, unknown_parameter);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

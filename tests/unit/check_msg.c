/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_msg.c - the msg plugin's parameters, through the built plugin
 * (plugins/msg) and the engine's compiler: mgmt's priority names (and only
 * those, as mgmt spells them), the journal field names journald accepts
 * from a client, and the exact error at the parameter's line:col for each
 * refused one.  Sending is tested against a real journal (tests/system).
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

static struct registry reg;

static void setup(void)
{
	harness_load(&reg, "MGMT_PLUGINS_DIR", host_table(), "msg");
}

static void teardown(void)
{
	registry_free(&reg);
}

/* A graph of one msg resource with `more` (YAML flow mapping entries). */
static const char *one(const char *more)
{
	static char buf[2048];

	ck_assert_int_lt(snprintf(buf, sizeof(buf),
				  "resources:\n  msg:\n"
				  "  - {name: m, body: hi%s}\n",
				  more),
			 (int)sizeof(buf));
	return buf;
}

static const char *errors(const char *yaml)
{
	return harness_errors(&reg, yaml);
}

START_TEST(priorities_as_mgmt)
{
	static const char *const good[] = {
		"Emerg",   "Alert",  "Crit", "Err",
		"Warning", "Notice", "Info", "Debug"
	};
	char more[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(more, sizeof(more), ", priority: %s", good[i]);
		ck_assert_msg(errors(one(more))[0] == '\0', "%s refused: %s",
			      good[i], errors(one(more)));
	}
	/* unset: Info (mgmt requires one) */
	ck_assert_str_eq(errors(one("")), "");
	/* mgmt's spelling only */
	ck_assert_ptr_nonnull(
		strstr(errors(one(", priority: info")), "test.yaml:3:35: "));
	ck_assert_ptr_nonnull(strstr(errors(one(", priority: Error")),
				     "Emerg, Alert, Crit, Err, Warning, "
				     "Notice, Info, Debug"));
}
END_TEST

START_TEST(fields_accepted)
{
	ck_assert_str_eq(errors(one(", journal: true, fields: {A: x, "
				    "MY_APP_ID: \"42\", X9_: y, "
				    "SYSLOG_IDENTIFIER: app}")),
			 "");
	/* 64 characters */
	ck_assert_str_eq(errors(one(", fields: {ABCDEFGHIJABCDEFGHIJABCDEFGH"
				    "IJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCD: "
				    "x}")),
			 "");
}
END_TEST

START_TEST(fields_refused)
{
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "lower", "has a character other than uppercase letters, "
			   "digits and '_'" },
		{ "MY-ID", "has a character other than uppercase letters, "
			   "digits and '_'" },
		{ "A B", "has a character other than uppercase letters, "
			 "digits and '_'" },
		{ "_PID", "begins with '_' (the journal's own fields do)" },
		{ "9LIVES", "begins with a digit" },
		{ "MESSAGE", "is set by body or priority" },
		{ "PRIORITY", "is set by body or priority" },
		{ "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ"
		  "ABCDE",
		  "is longer than 64 characters" },
	};
	char more[256], want[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(more, sizeof(more), ", fields: {\"%s\": x}",
			 bad[i].name);
		snprintf(
			want, sizeof(want),
			"test.yaml:3:33: msg[m]: fields: journal field name \"%s\" "
			"%s\n",
			bad[i].name, bad[i].why);
		ck_assert_str_eq(errors(one(more)), want);
	}
	/* each bad name, one line each; good ones are not reported */
	ck_assert_str_eq(
		errors(one(", fields: {OK: 1, bad: 2, _X: 3}")),
		"test.yaml:3:33: msg[m]: fields: journal field name \"bad\" "
		"has a character other than uppercase letters, digits "
		"and '_'\n"
		"test.yaml:3:33: msg[m]: fields: journal field name \"_X\" "
		"begins with '_' (the journal's own fields do)\n");
}
END_TEST

/* mgmt's own example graph (examples/yaml/msg1.yaml there) compiles
 * unchanged. */
START_TEST(mgmt_example)
{
	ck_assert_str_eq(errors("---\ngraph: mygraph\ncomment: timer example\n"
				"resources:\n  timer:\n  - name: timer1\n"
				"    interval: 30\n  msg:\n  - name: msg1\n"
				"    body: mgmt logged this message\n"
				"    journal: true\nedges:\n- name: e1\n"
				"  from:\n    kind: timer\n    name: timer1\n"
				"  to:\n    kind: msg\n    name: msg1\n"),
			 "");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("params");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, priorities_as_mgmt);
	tcase_add_test(tc, fields_accepted);
	tcase_add_test(tc, fields_refused);
	/* its graph has a timer resource */
	if (!harness_skip_without("timer", "mgmt_example"))
		tcase_add_test(tc, mgmt_example);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_cron.c - the cron plugin's parts that need no systemd: its
 * parameter checks through the built plugin (plugins/cron) and the
 * engine's compiler, each refusal with its line:col; the uid and the unit
 * file's path; the automatic edges after the service's unit file; and the
 * timer unit's text (apply.c, linked in), byte for byte what mgmt writes.
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
#include "../../plugins/cron/cron.h"

/* apply.c, common/bus.c and common/unit.c, linked in, would call the host through this;
 * nothing here makes them. */
MGMT_HIDDEN const struct mgmt_host *mgmt_host;

static struct registry reg;
static const struct kind_entry *kind;

static void setup(void)
{
	harness_load(&reg, "MGMT_PLUGINS_DIR", host_table(), "cron");
	kind = registry_find(&reg, "cron");
}

static void teardown(void)
{
	registry_free(&reg);
}

static const char *errors(const char *yaml)
{
	return harness_errors(&reg, yaml);
}

/* One cron resource named "job" with `more` (flow mapping entries). */
static const char *one(const char *more)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf), "resources:\n  cron:\n  - {name: job%s}\n",
		 more);
	return buf;
}

static struct graph_cfg *compile(const char *yaml)
{
	return harness_compile(&reg, yaml);
}

START_TEST(params_accepted)
{
	static const char *const trig[] = {
		"OnCalendar",   "OnActiveSec",     "OnBootSec",
		"OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec"
	};
	char more[128];

	for (size_t i = 0; i < 6; i++) {
		snprintf(more, sizeof(more), ", trigger: %s, time: 1h",
			 trig[i]);
		ck_assert_str_eq(errors(one(more)), "");
	}
	ck_assert_str_eq(errors(one(", trigger: OnCalendar, time: daily, "
				    "startup: \"\", unit: backup.service")),
			 "");
	/* absent without a trigger: nothing to write, only removed */
	ck_assert_str_eq(errors(one(", state: absent")), "");
}
END_TEST

START_TEST(params_refused)
{
	ck_assert_str_eq(errors(one("")),
			 "test.yaml:3:5: cron[job]: trigger and time must be "
			 "set together (state exists)\n");
	ck_assert_str_eq(errors(one(", trigger: OnCalendar")),
			 "test.yaml:3:5: cron[job]: trigger and time must be "
			 "set together (state exists)\n");
	ck_assert_str_eq(errors(one(", trigger: OnHourly, time: x")),
			 "test.yaml:3:26: cron[job]: trigger: \"OnHourly\" is "
			 "not OnCalendar, OnActiveSec, OnBootSec, "
			 "OnStartupSec, OnUnitActiveSec or "
			 "OnUnitInactiveSec\n");
	ck_assert_str_eq(errors(one(", state: absent, startup: yes")),
			 "test.yaml:3:41: cron[job]: startup: \"yes\" is not "
			 "enabled, disabled or empty (not managed)\n");
	ck_assert_str_eq(errors(one(", state: gone")),
			 "test.yaml:3:24: cron[job]: state \"gone\" is not one "
			 "of: exists, absent\n");
	ck_assert_str_eq(errors(one(", state: absent, unit: backup")),
			 "test.yaml:3:38: cron[job]: unit: \"backup\" is not a "
			 "unit name (with its suffix: \"backup.service\")\n");
	ck_assert_str_eq(errors(one(", trigger: OnCalendar, "
				    "time: \"daily\\nExecStart=/bin/x\"")),
			 "test.yaml:3:44: cron[job]: time: has a control "
			 "character (a line break would end the unit file's "
			 "line)\n");
	ck_assert_str_eq(
		errors("resources:\n  cron:\n"
		       "  - {name: \"a b\", state: absent}\n"),
		"test.yaml:3:5: cron[a b]: \"a b\" cannot name a timer "
		"unit (systemd's unit name characters, at most 249 "
		"of them)\n");
}
END_TEST

START_TEST(uid_and_path)
{
	struct graph_cfg *cfg =
		compile("resources:\n  cron:\n  - {name: a, state: absent}\n"
			"  - {name: b, state: absent, session: true}\n");
	struct cron *a = cfg->res[0]->params, *b = cfg->res[1]->params;

	ck_assert_str_eq(kind->k.uid(cfg->res[0], a), "a.timer");
	ck_assert_str_eq(kind->k.uid(cfg->res[1], b), "user/b.timer");
	ck_assert_str_eq(a->path, "/etc/systemd/system/a.timer");
	ck_assert_ptr_nonnull(strstr(b->path, "/.config/systemd/user/b.timer"));
	config_graph_free(cfg);
}
END_TEST

static char got[8][512];
static int ngot;

static int add_edge(void *ctx, int direction, const char *kind_,
		    const char *uid)
{
	ck_assert_int_eq(direction, MGMT_EDGE_AFTER);
	ck_assert_str_eq(kind_, "file");
	snprintf(got[ngot++], sizeof(got[0]), "%s", uid);
	return 0;
}

START_TEST(autoedges_service_file)
{
	struct graph_cfg *cfg = compile(
		"resources:\n  cron:\n  - {name: a, state: absent}\n"
		"  - {name: b, state: absent, unit: x.service, session: "
		"true}\n");

	ngot = 0;
	kind->k.autoedges(cfg->res[0], cfg->res[0]->params, add_edge, NULL);
	ck_assert_int_eq(ngot, 4);
	ck_assert_str_eq(got[0], "/etc/systemd/system/a.service");
	ck_assert_str_eq(got[3], "/usr/lib/systemd/system/a.service");
	ngot = 0;
	kind->k.autoedges(cfg->res[1], cfg->res[1]->params, add_edge, NULL);
	ck_assert_str_eq(got[0], "/etc/systemd/user/x.service");
	config_graph_free(cfg);
}
END_TEST

/* A parameter as the engine stores it (the tests' literals are const). */
#define S(x) ((char *)(x))

/* go-systemd's serialisation, as mgmt writes the file. */
START_TEST(unit_text)
{
	struct cron c = { .trigger = S("OnCalendar"),
			  .time = S("*-*-* 02:00"),
			  .remainafterelapse = true };
	char *t = cron_unit_text(&c);

	ck_assert_str_eq(t, "[Unit]\nDescription=timer generated by mgmt\n\n"
			    "[Timer]\nOnCalendar=*-*-* 02:00\n\n"
			    "[Install]\nWantedBy=timers.target\n");
	free(t);
	c = (struct cron){ .trigger = S("OnBootSec"),
			   .time = S("5m"),
			   .description = S(""),
			   .accuracysec = S("1s"),
			   .randomizeddelaysec = S("30s"),
			   .unit = S("backup.service"),
			   .persistent = true,
			   .wakesystem = true,
			   .remainafterelapse = false };
	t = cron_unit_text(&c);
	ck_assert_str_eq(t, "[Timer]\nOnBootSec=5m\nAccuracySec=1s\n"
			    "RandomizedDelaySec=30s\nUnit=backup.service\n"
			    "Persistent=true\nWakeSystem=true\n"
			    "RemainAfterElapse=false\n\n"
			    "[Install]\nWantedBy=timers.target\n");
	free(t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cron");
	TCase *tc = tcase_create("params");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, params_accepted);
	tcase_add_test(tc, params_refused);
	tcase_add_test(tc, uid_and_path);
	tcase_add_test(tc, autoedges_service_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("text");
	tcase_add_test(tc, unit_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

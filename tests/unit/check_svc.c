/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_svc.c - the svc plugin's parts that need no systemd, through the
 * built plugin (plugins/svc) and the engine's compiler: which unit names
 * validate accepts and the exact error (with line:col) for those it refuses,
 * the ".service" added to a name without a suffix, the parameters' values
 * ("unset: not managed"), the uid ("user/" for the user's manager), the
 * automatic edges after the file resources of the unit file, and which
 * units group together.  Nothing here connects to a bus: compiling a graph
 * runs validate, uid and autoedges only.
 *
 * And the two functions the watch uses (common/unit.c and apply.c, linked in):
 * unit_active_state_of, which finds the ActiveState in a PropertiesChanged
 * of the Unit interface, on messages built here (sd-bus builds them on a
 * socketpair; no bus daemon); and svc_is_news, which tells systemd's news
 * from the echoes of the run's own job that reach the watch after the run
 * ended, up to that job's JobRemoved.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "loader/loader.h"
#include "util/log.h"
#include "run/host.h"
#include "harness.h"
#include "runner.h"
#include "../../plugins/svc/svc.h"

/* apply.c and common/bus.c, linked in for svc_is_news, call the
 * host through this; nothing here makes them. */
MGMT_HIDDEN const struct mgmt_host *mgmt_host;

static struct registry reg;
static const struct kind_entry *svc;

static void setup(void)
{
	harness_load(&reg, "MGMT_PLUGINS_DIR", host_table(), "svc");
	svc = registry_find(&reg, "svc");
}

static void teardown(void)
{
	registry_free(&reg);
}

static struct graph_cfg *compile(const char *yaml)
{
	return harness_compile(&reg, yaml);
}

/* Every compile error of `yaml`, one per line ("" when it compiled). */
static const char *errors(const char *yaml)
{
	return harness_errors(&reg, yaml);
}

/* A graph of one svc resource named `name` with `more` (YAML flow mapping
 * entries, may be ""). */
static const char *one(const char *name, const char *more)
{
	static char buf[2048];

	ck_assert_int_lt(snprintf(buf, sizeof(buf),
				  "resources:\n  svc:\n  - {name: \"%s\"%s}\n",
				  name, more),
			 (int)sizeof(buf));
	return buf;
}

/* `n` times the letter a (static buffer). */
static const char *long_name(size_t n)
{
	static char buf[300];

	ck_assert_uint_lt(n, sizeof(buf));
	memset(buf, 'a', n);
	buf[n] = '\0';
	return buf;
}

static const char *uid_of(struct graph_cfg *cfg, size_t i)
{
	return svc->k.uid(cfg->res[i], cfg->res[i]->params);
}

static const struct svc *params_of(struct graph_cfg *cfg, size_t i)
{
	return cfg->res[i]->params;
}

/* systemd's unit name characters, templates and escapes: all accepted. */
START_TEST(names_accepted)
{
	static const char *const good[] = {
		"nginx",          "nginx.service",
		"ssh.socket",     "getty@tty1.service",
		"getty@.service", "dev-disk-by\\x2duuid-1234.device",
		"a:b_c-d.target", "Z9.timer",
	};
	char name[320];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *e = errors(one(good[i], ""));

		ck_assert_msg(e[0] == '\0', "%s refused: %s", good[i], e);
	}
	/* the longest names systemd allows: 255 characters as the unit,
	 * ".service" included */
	ck_assert_str_eq(errors(one(long_name(247), "")), "");
	snprintf(name, sizeof(name), "%s.socket", long_name(248));
	ck_assert_uint_eq(strlen(name), 255);
	ck_assert_str_eq(errors(one(name, "")), "");
}
END_TEST

/* `name` refused for its length: one line, at the resource, with the whole
 * name quoted (the engine shortens the "svc[...]" label itself) and `why`. */
static void ck_too_long(const char *name, const char *why)
{
	char want[1024];
	const char *e = errors(one(name, ""));

	ck_assert_msg(e[0] != '\0', "%zu characters accepted: %s", strlen(name),
		      name);
	snprintf(want, sizeof(want), ": \"%s\" is not a unit name (%s)\n", name,
		 why);
	ck_assert_msg(strncmp(e, "test.yaml:3:5: svc[aaaa", 23) == 0, "%s", e);
	ck_assert_uint_gt(strlen(e), strlen(want));
	ck_assert_str_eq(e + strlen(e) - strlen(want), want);
	ck_assert_ptr_eq(strchr(e, '\n'), e + strlen(e) - 1);
}

/* Each refused name, with the resource's line:col and the character. */
START_TEST(names_refused)
{
	static const struct {
		const char *name, *error;
	} bad[] = {
		{ "bad name",
		  "test.yaml:3:5: svc[bad name]: \"bad name\" is not "
		  "a unit name (character ' ')\n" },
		{ "../etc/x",
		  "test.yaml:3:5: svc[../etc/x]: \"../etc/x\" is not "
		  "a unit name\n" },
		{ "a/b", "test.yaml:3:5: svc[a/b]: \"a/b\" is not a unit name "
			 "(character '/')\n" },
		{ ".hidden",
		  "test.yaml:3:5: svc[.hidden]: \".hidden\" is not a "
		  "unit name\n" },
		{ "x;reboot",
		  "test.yaml:3:5: svc[x;reboot]: \"x;reboot\" is not "
		  "a unit name (character ';')\n" },
		{ "$(id)", "test.yaml:3:5: svc[$(id)]: \"$(id)\" is not a unit "
			   "name (character '$')\n" },
		{ "a*", "test.yaml:3:5: svc[a*]: \"a*\" is not a unit name "
			"(character '*')\n" },
	};
	char name[320];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_str_eq(errors(one(bad[i].name, "")), bad[i].error);
	/* one character too many, as the unit systemd would be asked for: with
	 * ".service" added (248 + 8), or its own suffix (249 + 7) */
	ck_too_long(long_name(248),
		    "longer than 255 characters with \".service\"");
	ck_too_long(long_name(250),
		    "longer than 255 characters with \".service\"");
	ck_too_long(long_name(256),
		    "longer than 255 characters with \".service\"");
	snprintf(name, sizeof(name), "%s.socket", long_name(249));
	ck_too_long(name, "longer than 255 characters");
	/* every bad name is reported, at its own line; good ones are not */
	ck_assert_str_eq(
		errors("resources:\n  svc:\n  - name: ok\n  - name: a b\n"
		       "  - name: fine.socket\n  - name: .x\n"),
		"test.yaml:4:5: svc[a b]: \"a b\" is not a unit name "
		"(character ' ')\n"
		"test.yaml:6:5: svc[.x]: \".x\" is not a unit name\n");
}
END_TEST

/* The uid is the unit: ".service" added to a name without a suffix, and
 * "user/" before it for the user's manager. */
START_TEST(unit_and_uid)
{
	static const struct {
		const char *name;
		bool session;
		const char *uid;
	} t[] = {
		{ "nginx", false, "nginx.service" },
		{ "nginx.service", false, "nginx.service" },
		{ "ssh.socket", false, "ssh.socket" },
		{ "getty@tty1", false, "getty@tty1.service" },
		{ "getty@.service", false, "getty@.service" },
		{ "backup.timer", false, "backup.timer" },
		{ "nginx", true, "user/nginx.service" },
		{ "pipewire.socket", true, "user/pipewire.socket" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct graph_cfg *cfg = compile(
			one(t[i].name, t[i].session ? ", session: true" : ""));

		ck_assert_str_eq(uid_of(cfg, 0), t[i].uid);
		config_graph_free(cfg);
	}
}
END_TEST

/* The longest name gets its whole suffix and prefix: nothing cut. */
START_TEST(longest_uid)
{
	char want[1024];
	struct graph_cfg *cfg;

	snprintf(want, sizeof(want), "%s.service", long_name(247));
	cfg = compile(one(long_name(247), ""));
	ck_assert_str_eq(uid_of(cfg, 0), want);
	ck_assert_uint_eq(strlen(uid_of(cfg, 0)), 255);
	config_graph_free(cfg);

	snprintf(want, sizeof(want), "user/%s.service", long_name(247));
	cfg = compile(one(long_name(247), ", session: true"));
	ck_assert_str_eq(uid_of(cfg, 0), want);
	ck_assert_uint_eq(strlen(uid_of(cfg, 0)), 5 + 255);
	config_graph_free(cfg);
}
END_TEST

/* state and startup: unset is "not managed"; session defaults to false. */
START_TEST(params_values)
{
	struct graph_cfg *cfg =
		compile("resources:\n  svc:\n"
			"  - name: a\n"
			"  - {name: b, state: running, startup: enabled}\n"
			"  - {name: c, state: stopped, startup: disabled, "
			"session: true}\n"
			"  - {name: d, session: false}\n");

	ck_assert_int_eq(params_of(cfg, 0)->state, -1);
	ck_assert_int_eq(params_of(cfg, 0)->startup, -1);
	ck_assert(!params_of(cfg, 0)->session);
	ck_assert_int_eq(params_of(cfg, 1)->state, SVC_RUNNING);
	ck_assert_int_eq(params_of(cfg, 1)->startup, SVC_ENABLED);
	ck_assert(!params_of(cfg, 1)->session);
	ck_assert_int_eq(params_of(cfg, 2)->state, SVC_STOPPED);
	ck_assert_int_eq(params_of(cfg, 2)->startup, SVC_DISABLED);
	ck_assert(params_of(cfg, 2)->session);
	ck_assert(!params_of(cfg, 3)->session);
	config_graph_free(cfg);
}
END_TEST

START_TEST(params_refused)
{
	ck_assert_str_eq(errors("resources:\n  svc:\n"
				"  - name: a\n    state: started\n"),
			 "test.yaml:4:12: svc[a]: state \"started\" is not one "
			 "of: running, stopped\n");
	ck_assert_str_eq(
		errors("resources:\n  svc:\n"
		       "  - {name: a, startup: \"yes\"}\n"),
		"test.yaml:3:24: svc[a]: startup \"yes\" is not one of: "
		"enabled, disabled\n");
	ck_assert_str_eq(errors("resources:\n  svc:\n"
				"  - {name: a, session: maybe}\n"),
			 "test.yaml:3:24: svc[a]: session \"maybe\" is not a "
			 "boolean (true or false)\n");
	ck_assert_str_eq(
		errors("resources:\n  svc:\n"
		       "  - {name: a, stat: running}\n"),
		"test.yaml:3:15: svc[a]: unknown parameter 'stat' (did "
		"you mean 'state'?)\n");
}
END_TEST

static struct {
	int direction;
	char kind[16];
	char uid[512];
} got[8];
static int ngot;

static int add_edge(void *ctx, int direction, const char *kind, const char *uid)
{
	ck_assert_int_lt(ngot, 8);
	ck_assert_ptr_nonnull(uid);
	got[ngot].direction = direction;
	snprintf(got[ngot].kind, sizeof(got[0].kind), "%s", kind);
	snprintf(got[ngot].uid, sizeof(got[0].uid), "%s", uid);
	ngot++;
	return 0;
}

/* The autoedges of resource 0 of `yaml`: after the file resources of its
 * unit file, in each directory its service manager reads units from (the
 * system's, or the user's for session: true). */
static void ck_autoedges(const char *yaml, const char *unit)
{
	static const char *const system_dirs[] = { "/etc/systemd/system",
						   "/run/systemd/system",
						   "/lib/systemd/system",
						   "/usr/lib/systemd/system" };
	static const char *const user_dirs[] = { "/etc/systemd/user",
						 "/run/systemd/user",
						 "/lib/systemd/user",
						 "/usr/lib/systemd/user" };
	struct graph_cfg *cfg = compile(yaml);
	const char *const *dirs = params_of(cfg, 0)->session ? user_dirs :
							       system_dirs;
	char want[1024];

	ngot = 0;
	svc->k.autoedges(cfg->res[0], cfg->res[0]->params, add_edge, NULL);
	ck_assert_int_eq(ngot, 4);
	for (int i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "%s/%s", dirs[i], unit);
		ck_assert_int_eq(got[i].direction, MGMT_EDGE_AFTER);
		ck_assert_str_eq(got[i].kind, "file");
		ck_assert_str_eq(got[i].uid, want);
	}
	config_graph_free(cfg);
}

START_TEST(autoedges_unit_files)
{
	char unit[320];

	ck_autoedges(one("nginx", ""), "nginx.service");
	ck_autoedges(one("nginx.service", ""), "nginx.service");
	ck_autoedges(one("ssh.socket", ""), "ssh.socket");
	ck_autoedges(one("getty@tty1", ""), "getty@tty1.service");
	snprintf(unit, sizeof(unit), "%s.service", long_name(247));
	ck_autoedges(one(long_name(247), ""), unit);
	/* the user's manager: its own directories, never the system's */
	ck_autoedges(one("nginx", ", session: true"), "nginx.service");
	ck_autoedges(one("pipewire.socket", ", session: true"),
		     "pipewire.socket");
	ck_autoedges(one("app", ", session: false"), "app.service");
}
END_TEST

/* Through the compiler: an automatic edge from each file resource writing
 * the unit file, none from other paths, none with meta autoedge: false. */
START_TEST(autoedges_in_graph)
{
	struct graph_cfg *cfg = compile(
		"resources:\n  file:\n"
		"  - {name: etc, path: /etc/systemd/system/web.service}\n"
		"  - {name: run, path: /run/systemd/system/web.service}\n"
		"  - {name: lib, path: /lib/systemd/system/web.service}\n"
		"  - {name: usr, path: /usr/lib/systemd/system/web.service}\n"
		"  - {name: nosuffix, path: /etc/systemd/system/web}\n"
		"  - {name: dropin, path: /etc/systemd/system/web.service.d/}\n"
		"  - {name: user, path: /etc/systemd/user/web.service}\n"
		"  - {name: sock, path: /etc/systemd/system/web.socket}\n"
		"  - {name: q, path: /etc/systemd/system/quiet.service}\n"
		"  - {name: qs, path: /etc/systemd/system/quiet.socket}\n"
		"  svc:\n"
		"  - name: web\n"
		"  - {name: quiet, meta: {autoedge: false}}\n"
		"  - {name: quiet.socket, meta: {autoedge: false}}\n"
		"  - {name: other.socket}\n");
	size_t web = 10;
	int seen[8] = { 0 };
	int n = 0;

	ck_assert_str_eq(cfg->res[web]->name, "web");
	for (size_t i = 0; i < cfg->nedges; i++) {
		const struct edge_cfg *e = &cfg->edges[i];

		ck_assert(e->automatic);
		ck_assert(!e->notify);
		ck_assert_uint_eq(e->to, web);
		ck_assert_uint_lt(e->from, 4);
		seen[e->from]++;
		n++;
	}
	ck_assert_int_eq(n, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(seen[i], 1);
	config_graph_free(cfg);
}
END_TEST

/* Through the compiler, a unit of each manager: the system's after the
 * files in the system's unit directories, the user's (session: true) after
 * those in the user's, and neither after the other's or a home directory's
 * (the engine knows no user's home). */
START_TEST(autoedges_user_in_graph)
{
	struct graph_cfg *cfg = compile(
		"resources:\n  file:\n"
		"  - {name: uetc, path: /etc/systemd/user/web.service}\n"
		"  - {name: urun, path: /run/systemd/user/web.service}\n"
		"  - {name: ulib, path: /lib/systemd/user/web.service}\n"
		"  - {name: uusr, path: /usr/lib/systemd/user/web.service}\n"
		"  - {name: setc, path: /etc/systemd/system/web.service}\n"
		"  - {name: srun, path: /run/systemd/system/web.service}\n"
		"  - {name: slib, path: /lib/systemd/system/web.service}\n"
		"  - {name: susr, path: /usr/lib/systemd/system/web.service}\n"
		"  - {name: home, path: /home/u/.config/systemd/user/"
		"web.service}\n"
		"  - {name: udropin, path: /etc/systemd/user/web.service.d/}\n"
		"  svc:\n"
		"  - {name: web.service, session: true}\n"
		"  - {name: web}\n");
	size_t user = 10, sys = 11;
	int seen[10] = { 0 };

	ck_assert_str_eq(cfg->res[user]->name, "web.service");
	ck_assert_str_eq(cfg->res[sys]->name, "web");
	ck_assert_uint_eq(cfg->nedges, 8);
	for (size_t i = 0; i < cfg->nedges; i++) {
		const struct edge_cfg *e = &cfg->edges[i];

		ck_assert(e->automatic);
		ck_assert_uint_lt(e->from, 8);
		/* files 0-3 are the user's, 4-7 the system's */
		ck_assert_uint_eq(e->to, e->from < 4 ? user : sys);
		seen[e->from]++;
	}
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(seen[i], 1);
	config_graph_free(cfg);
}
END_TEST

/* One group per service manager: the system's and the user's. */
START_TEST(groups_by_manager)
{
	struct graph_cfg *cfg = compile("resources:\n  svc:\n"
					"  - name: a\n"
					"  - name: b.socket\n"
					"  - {name: c, session: true}\n"
					"  - {name: d, session: true}\n");
	const char *key;
	mgmt_res **r = cfg->res;

	ck_assert(svc->k.group_cmp(r[0], r[0]->params, r[1], r[1]->params));
	ck_assert(svc->k.group_cmp(r[2], r[2]->params, r[3], r[3]->params));
	ck_assert(!svc->k.group_cmp(r[0], r[0]->params, r[2], r[2]->params));
	ck_assert(!svc->k.group_cmp(r[3], r[3]->params, r[1], r[1]->params));
	ck_assert_uint_eq(svc->k.group_key(r[0], r[0]->params, &key), 6);
	ck_assert_str_eq(key, "system");
	ck_assert_uint_eq(svc->k.group_key(r[1], r[1]->params, &key), 6);
	ck_assert_str_eq(key, "system");
	ck_assert_uint_eq(svc->k.group_key(r[2], r[2]->params, &key), 4);
	ck_assert_str_eq(key, "user");
	config_graph_free(cfg);
}
END_TEST

/* ---- unit_active_state_of ---- */

static sd_bus *sig_bus;
static int sig_fds[2];

static void sig_setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sig_fds), 0);
	ck_assert_int_ge(sd_bus_new(&sig_bus), 0);
	ck_assert_int_ge(sd_bus_set_fd(sig_bus, sig_fds[0], sig_fds[0]), 0);
	/* started (not connected): sd-bus builds messages from here on */
	ck_assert_int_ge(sd_bus_start(sig_bus), 0);
}

static void sig_teardown(void)
{
	sd_bus_close(sig_bus); /* no flush: the peer never answers */
	sig_bus = sd_bus_unref(sig_bus);
	close(sig_fds[1]);
}

/* A PropertiesChanged of `iface` begun, for the caller to append the
 * changed properties' entries to. */
static sd_bus_message *changed(const char *iface)
{
	sd_bus_message *m = NULL;

	ck_assert_int_ge(sd_bus_message_new_signal(
				 sig_bus, &m, SD_UNIT_PREFIX "/nginx_2eservice",
				 "org.freedesktop.DBus.Properties",
				 "PropertiesChanged"),
			 0);
	ck_assert_int_ge(sd_bus_message_append(m, "s", iface), 0);
	ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
	return m;
}

/* End the properties, add the invalidated ones, seal: ready to read. */
static sd_bus_message *sealed(sd_bus_message *m)
{
	ck_assert_int_ge(sd_bus_message_close_container(m), 0);
	ck_assert_int_ge(sd_bus_message_append(m, "as", 1, "Conditions"), 0);
	ck_assert_int_ge(sd_bus_message_seal(m, 1, 0), 0);
	return m;
}

static void prop_s(sd_bus_message *m, const char *key, const char *val)
{
	ck_assert_int_ge(sd_bus_message_append(m, "{sv}", key, "s", val), 0);
}

START_TEST(active_state_found)
{
	sd_bus_message *m = changed(SD_UNIT);
	char buf[32] = "untouched";

	/* other properties of every shape before it are skipped */
	prop_s(m, "SubState", "running");
	ck_assert_int_ge(sd_bus_message_append(m, "{sv}",
					       "StateChangeTimestamp", "t",
					       (uint64_t)1234567),
			 0);
	ck_assert_int_ge(sd_bus_message_append(m, "{sv}", "Names", "as", 2,
					       "nginx.service", "www.service"),
			 0);
	prop_s(m, "ActiveState", "active");
	prop_s(m, "LoadState", "loaded");
	sealed(m);
	ck_assert(unit_active_state_of(m, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "active");
	sd_bus_message_unref(m);

	/* alone, and cut to the caller's buffer */
	m = changed(SD_UNIT);
	prop_s(m, "ActiveState", "deactivating");
	sealed(m);
	ck_assert(unit_active_state_of(m, buf, 6));
	ck_assert_str_eq(buf, "deact");
	sd_bus_message_unref(m);
}
END_TEST

START_TEST(active_state_absent)
{
	sd_bus_message *m;
	char buf[32] = "untouched";

	/* the Unit interface without it: the state did not move */
	m = changed(SD_UNIT);
	prop_s(m, "SubState", "dead");
	sealed(m);
	ck_assert(!unit_active_state_of(m, buf, sizeof(buf)));
	sd_bus_message_unref(m);
	/* nothing changed (only invalidated) */
	m = sealed(changed(SD_UNIT));
	ck_assert(!unit_active_state_of(m, buf, sizeof(buf)));
	sd_bus_message_unref(m);
	/* another interface's "ActiveState" is not the unit's */
	m = changed("org.freedesktop.systemd1.Service");
	prop_s(m, "ActiveState", "failed");
	sealed(m);
	ck_assert(!unit_active_state_of(m, buf, sizeof(buf)));
	sd_bus_message_unref(m);
	/* not a string: refused, not misread */
	m = changed(SD_UNIT);
	ck_assert_int_ge(
		sd_bus_message_append(m, "{sv}", "ActiveState", "u", 3), 0);
	sealed(m);
	ck_assert(!unit_active_state_of(m, buf, sizeof(buf)));
	sd_bus_message_unref(m);
	ck_assert_str_eq(buf, "untouched");
}
END_TEST

/* ---- svc_is_news: systemd's news, or the echo of the run's own job ---- */

/* The watch's view after a run whose job `job` left the unit `active`:
 * what settle (apply.c) sets as it clears busy. */
static void after_run(struct svc *s, uint32_t job, const char *active)
{
	s->busy = false;
	snprintf(s->end_active, sizeof(s->end_active), "%s", active);
	s->echo_job = job;
}

START_TEST(echo_before_job_removed)
{
	struct svc s = { .removed_job = 6 };

	/* A failed start of job 7: its state changes reach the watch after
	 * the run ended, then its JobRemoved.  None of it is news. */
	after_run(&s, 7, "failed");
	ck_assert(!svc_is_news(&s, true, "activating", 0));
	ck_assert(!svc_is_news(&s, true, "failed", 0));
	ck_assert(!svc_is_news(&s, true, "inactive", 0));
	ck_assert(!svc_is_news(&s, false, NULL, 7));
	ck_assert_uint_eq(s.removed_job, 7);
	/* From then on, a change made by someone else is. */
	ck_assert(svc_is_news(&s, true, "active", 0));
	ck_assert(svc_is_news(&s, false, NULL, 8)); /* another's job */
	ck_assert(svc_is_news(&s, false, NULL, 0)); /* UnitNew, UnitRemoved */
}
END_TEST

START_TEST(echo_seen_while_busy)
{
	struct svc s = { .busy = true };

	/* The job's signals and its JobRemoved came while the run went on. */
	ck_assert(!svc_is_news(&s, true, "activating", 0));
	ck_assert(!svc_is_news(&s, false, NULL, 41));
	after_run(&s, 41, "active");
	/* Nothing is pending: the same state is no news, another one is. */
	ck_assert(!svc_is_news(&s, true, "active", 0));
	ck_assert(svc_is_news(&s, true, "deactivating", 0));
	/* A run with no job leaves the last one's barrier passed. */
	s.busy = true;
	after_run(&s, s.echo_job, "inactive");
	ck_assert(svc_is_news(&s, true, "active", 0));
}
END_TEST

START_TEST(echo_job_ids_wrap)
{
	struct svc s = { .removed_job = UINT32_MAX - 1 };

	after_run(&s, 2, "active"); /* ids went past 2^32 */
	ck_assert(!svc_is_news(&s, true, "activating", 0));
	ck_assert(!svc_is_news(&s, false, NULL, UINT32_MAX));
	ck_assert(!svc_is_news(&s, true, "activating", 0));
	ck_assert(!svc_is_news(&s, false, NULL, 2));
	ck_assert(svc_is_news(&s, true, "failed", 0));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("svc");
	TCase *tc = tcase_create("no-systemd");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, names_accepted);
	tcase_add_test(tc, names_refused);
	tcase_add_test(tc, unit_and_uid);
	tcase_add_test(tc, longest_uid);
	tcase_add_test(tc, params_values);
	tcase_add_test(tc, params_refused);
	tcase_add_test(tc, autoedges_unit_files);
	/* their graphs have file resources */
	if (!harness_skip_without("file", "autoedges_in_graph"))
		tcase_add_test(tc, autoedges_in_graph);
	if (!harness_skip_without("file", "autoedges_user_in_graph"))
		tcase_add_test(tc, autoedges_user_in_graph);
	tcase_add_test(tc, groups_by_manager);
	suite_add_tcase(s, tc);

	tc = tcase_create("signals");
	tcase_add_checked_fixture(tc, sig_setup, sig_teardown);
	tcase_add_test(tc, active_state_found);
	tcase_add_test(tc, echo_before_job_removed);
	tcase_add_test(tc, echo_seen_while_busy);
	tcase_add_test(tc, echo_job_ids_wrap);
	tcase_add_test(tc, active_state_absent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_user.c - the user plugin's parts that change nothing on the
 * machine, through the built plugin (plugins/user) and the engine's
 * compiler: the parameter checks of the user and group kinds (mgmt's, with
 * each error's line:col), the parameters' values when unset, the uids, the
 * automatic edges (a user after its groups when it exists, before them when
 * it is absent), and which resources group together (by state).
 *
 * And the reader of /etc/passwd and /etc/group (etcdb.c, linked in) on
 * files written here: fields, members, NIS and malformed lines skipped.
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
#include "../../plugins/user/user.h"

/* etcdb.c, linked in, logs through this. */
MGMT_HIDDEN const struct mgmt_host *mgmt_host;

static struct registry reg;
static const struct kind_entry *user, *group;

static void setup(void)
{
	harness_load(&reg, "MGMT_PLUGINS_DIR", host_table(), "user");
	user = registry_find(&reg, "user");
	group = registry_find(&reg, "group");
	ck_assert_ptr_nonnull(group);
}

static void teardown(void)
{
	registry_free(&reg);
}

static struct graph_cfg *compile(const char *yaml)
{
	return harness_compile(&reg, yaml);
}

static const char *errors(const char *yaml)
{
	return harness_errors(&reg, yaml);
}

/* A graph of one resource of `kind` named `name` with `more` (flow mapping
 * entries after the name). */
static const char *one(const char *kind, const char *name, const char *more)
{
	static char buf[2048];

	ck_assert_int_lt(snprintf(buf, sizeof(buf),
				  "resources:\n  %s:\n  - {name: \"%s\"%s}\n",
				  kind, name, more),
			 (int)sizeof(buf));
	return buf;
}

/* mgmt's names: [a-zA-Z_][a-zA-Z0-9_-]{0,30}, for users and groups. */
START_TEST(names)
{
	static const char *const good[] = { "bob",
					    "_apt",
					    "Debian-exim",
					    "a1_b",
					    "x",
					    "abcdefghij"
					    "abcdefghij"
					    "abcdefghij"
					    "a" };
	static const char *const bad[] = {
		"1bob",
		"-bob",
		"bo b",
		"bob$",
		"b.ob",
		"b:ob",
		"abcdefghij"
		"abcdefghij"
		"abcdefghij"
		"ab",
	};
	char want[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_str_eq(
			errors(one("user", good[i], ", state: exists")), "");
		ck_assert_str_eq(
			errors(one("group", good[i], ", state: exists")), "");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "\"%s\" is not a user name (a letter or '_', then "
			 "letters, digits, '_' or '-', at most 31)\n",
			 bad[i]);
		const char *e = errors(one("user", bad[i], ", state: exists"));

		ck_assert_msg(strstr(e, want) && strncmp(e,
							 "test.yaml:3:5: "
							 "user[",
							 20) == 0,
			      "%s: %s", bad[i], e);
		e = errors(one("group", bad[i], ", state: absent"));
		ck_assert_msg(strstr(e, "is not a group name"), "%s: %s",
			      bad[i], e);
	}
	/* empty: the engine refuses it before the kind sees it */
	ck_assert_str_ne(errors(one("user", "", ", state: exists")), "");
}
END_TEST

/* state is required and is exists or absent, as in mgmt. */
START_TEST(state)
{
	ck_assert_str_ne(errors(one("user", "bob", "")), "");
	ck_assert_str_ne(errors(one("group", "staff", "")), "");
	ck_assert_str_ne(errors(one("user", "bob", ", state: present")), "");
	ck_assert_str_ne(errors(one("group", "g", ", state: running")), "");
	ck_assert_str_eq(errors(one("user", "bob", ", state: absent")), "");
	ck_assert_str_eq(errors(one("group", "g", ", state: absent")), "");
}
END_TEST

/* Unset parameters: ids -1, strings NULL, no groups. */
START_TEST(unset_values)
{
	struct graph_cfg *cfg = compile(
		"resources:\n  user:\n  - {name: bob, state: exists}\n"
		"  - {name: amy, state: absent, uid: 0, gid: 4294967294, "
		"groups: [a, b], homedir: /home/amy/, shell: /bin/sh, "
		"allowduplicateuid: true}\n"
		"  group:\n  - {name: g, state: exists}\n"
		"  - {name: h, state: absent, gid: 0}\n");
	const struct user *b = cfg->res[0]->params, *a = cfg->res[1]->params;
	const struct group *g = cfg->res[2]->params, *h = cfg->res[3]->params;

	ck_assert_int_eq(b->state, USER_EXISTS);
	ck_assert_int_eq(b->uid, USER_ID_UNSET);
	ck_assert_int_eq(b->gid, USER_ID_UNSET);
	ck_assert_ptr_null(b->group);
	ck_assert_uint_eq(b->groups.n, 0);
	ck_assert_ptr_null(b->homedir);
	ck_assert_ptr_null(b->shell);
	ck_assert(!b->allowduplicateuid);
	ck_assert_int_eq(a->state, USER_ABSENT);
	ck_assert_int_eq(a->uid, 0);
	ck_assert_int_eq(a->gid, USER_ID_MAX);
	ck_assert_uint_eq(a->groups.n, 2);
	ck_assert_str_eq(a->homedir, "/home/amy/");
	ck_assert(a->allowduplicateuid);
	ck_assert_int_eq(g->gid, USER_ID_UNSET);
	ck_assert_int_eq(h->gid, 0);
	ck_assert_int_eq(h->state, USER_ABSENT);
	config_graph_free(cfg);
}
END_TEST

/* Each refused combination, with its parameter's line:col. */
START_TEST(user_refused)
{
	static const struct {
		const char *more, *error;
	} bad[] = {
		{ ", gid: 100, group: staff",
		  "3:51: user[bob]: group: cannot use both gid and group" },
		{ ", group: \"\"", "3:41: user[bob]: group: cannot be empty" },
		{ ", group: a.b",
		  "3:41: user[bob]: group: \"a.b\" is not a group name" },
		{ ", groups: [a, \"\"]",
		  "3:42: user[bob]: groups: a group cannot be empty" },
		{ ", groups: [a, b c]",
		  "3:42: user[bob]: groups: \"b c\" is not a group name" },
		{ ", group: a, groups: [a]",
		  "3:52: user[bob]: groups: primary group \"a\" must not "
		  "appear in groups" },
		{ ", groups: [bob]",
		  "3:42: user[bob]: groups: user name \"bob\" must not appear "
		  "in groups" },
		{ ", homedir: /home/bob",
		  "3:43: user[bob]: homedir: \"/home/bob\" must end with '/'" },
		{ ", homedir: home/bob/",
		  "3:43: user[bob]: homedir: \"home/bob/\" is not an absolute "
		  "path" },
		{ ", homedir: \"/a:b/\"",
		  "3:43: user[bob]: homedir: \"/a:b/\" has a ':' or a "
		  "newline" },
		{ ", shell: \"/bin/sh:x\"",
		  "3:41: user[bob]: shell: \"/bin/sh:x\" has a ':' or a "
		  "newline" },
		{ ", uid: -2",
		  "3:39: user[bob]: uid: -2 is not between 0 and 4294967294" },
		{ ", uid: 4294967295",
		  "3:39: user[bob]: uid: 4294967295 is not between 0 and "
		  "4294967294" },
		{ ", gid: 5000000000",
		  "3:39: user[bob]: gid: 5000000000 is not between 0 and "
		  "4294967294" },
	};
	char more[256], want[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(more, sizeof(more), ", state: exists%s", bad[i].more);
		snprintf(want, sizeof(want), "test.yaml:%s\n", bad[i].error);
		ck_assert_str_eq(errors(one("user", "bob", more)), want);
	}
	/* every problem of a resource is reported */
	ck_assert_str_eq(errors(one("user", "bob",
				    ", state: exists, uid: -5, groups: [bob], "
				    "homedir: /x")),
			 "test.yaml:3:39: user[bob]: uid: -5 is not between 0 "
			 "and 4294967294\n"
			 "test.yaml:3:51: user[bob]: groups: user name \"bob\" "
			 "must not appear in groups\n"
			 "test.yaml:3:67: user[bob]: homedir: \"/x\" must end "
			 "with '/'\n");
}
END_TEST

START_TEST(group_refused)
{
	ck_assert_str_eq(errors(one("group", "g", ", state: exists, gid: -3")),
			 "test.yaml:3:37: group[g]: gid: -3 is not between 0 "
			 "and 4294967294\n");
	ck_assert_str_eq(
		errors(one("group", "g", ", state: exists, gid: 4294967295")),
		"test.yaml:3:37: group[g]: gid: 4294967295 is not "
		"between 0 and 4294967294\n");
	ck_assert_str_ne(errors(one("group", "g", ", state: exists, uid: 1")),
			 "");
}
END_TEST

/* Names are the uids; two users of one name collide, a user and a group
 * of one name do not. */
START_TEST(uids)
{
	struct graph_cfg *cfg =
		compile("resources:\n  user:\n  - {name: bob, state: exists}\n"
			"  group:\n  - {name: bob, state: exists}\n");

	ck_assert_str_eq(user->k.uid(cfg->res[0], cfg->res[0]->params), "bob");
	ck_assert_str_eq(group->k.uid(cfg->res[1], cfg->res[1]->params), "bob");
	config_graph_free(cfg);
	ck_assert_str_ne(errors("resources:\n  user:\n"
				"  - {name: bob, state: exists}\n"
				"  - {name: bob, state: absent}\n"),
			 "");
}
END_TEST

/* Through the compiler: an existing user after its primary and
 * supplementary groups, an absent one before them; none to groups not in
 * the graph, none with meta autoedge: false. */
START_TEST(autoedges)
{
	struct graph_cfg *cfg = compile(
		"resources:\n  group:\n"
		"  - {name: g0, state: exists}\n"
		"  - {name: g1, state: exists}\n"
		"  - {name: g2, state: absent}\n"
		"  user:\n"
		"  - {name: u3, state: exists, group: g0, groups: [g1, nog]}\n"
		"  - {name: u4, state: absent, group: g2}\n"
		"  - {name: u5, state: exists, groups: [g0], "
		"meta: {autoedge: false}}\n");
	int seen = 0;

	for (size_t i = 0; i < cfg->nedges; i++) {
		const struct edge_cfg *e = &cfg->edges[i];

		ck_assert(e->automatic);
		if (e->to == 3 && e->from == 0)
			seen |= 1;
		else if (e->to == 3 && e->from == 1)
			seen |= 2;
		else if (e->from == 4 && e->to == 2)
			seen |= 4;
		else
			ck_abort_msg("edge %zu -> %zu", e->from, e->to);
	}
	ck_assert_int_eq(seen, 7);
	ck_assert_uint_eq(cfg->nedges, 3);
	config_graph_free(cfg);
}
END_TEST

/* Resources of one kind and one state group; the key is the state. */
START_TEST(grouping)
{
	struct graph_cfg *cfg = compile("resources:\n  user:\n"
					"  - {name: a, state: exists}\n"
					"  - {name: b, state: exists, uid: 5}\n"
					"  - {name: c, state: absent}\n"
					"  group:\n"
					"  - {name: d, state: exists}\n"
					"  - {name: e, state: exists, gid: 7}\n"
					"  - {name: f, state: absent}\n");
	mgmt_res **r = cfg->res;
	const char *key;

	ck_assert(user->k.group_cmp(r[0], r[0]->params, r[1], r[1]->params));
	ck_assert(!user->k.group_cmp(r[0], r[0]->params, r[2], r[2]->params));
	ck_assert(group->k.group_cmp(r[3], r[3]->params, r[4], r[4]->params));
	ck_assert(!group->k.group_cmp(r[3], r[3]->params, r[5], r[5]->params));
	ck_assert_uint_eq(user->k.group_key(r[0], r[0]->params, &key), 6);
	ck_assert(strncmp(key, "exists", 6) == 0);
	ck_assert_uint_eq(user->k.group_key(r[2], r[2]->params, &key), 6);
	ck_assert(strncmp(key, "absent", 6) == 0);
	ck_assert_uint_eq(group->k.group_key(r[5], r[5]->params, &key), 6);
	ck_assert(strncmp(key, "absent", 6) == 0);
	config_graph_free(cfg);
}
END_TEST

/* ---- etcdb.c ---- */

static char dir[4096];

static void db_setup(void)
{
	mgmt_host = host_table();
	harness_tmpdir(dir, sizeof(dir), "check_user");
}

static void db_teardown(void)
{
	harness_rmdir(dir);
}

static void write_file(const char *name, const char *text)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(etcdb_reads)
{
	struct etcdb db;
	const struct pw_ent *p;
	const struct gr_ent *g;

	write_file("passwd", "root:x:0:0:root:/root:/bin/bash\n"
			     "+nisuser::::::\n"
			     "broken:x:notanumber:0::/:/bin/sh\n"
			     "short:x:1:1\n"
			     "bob:x:1000:100:Bob,,,:/home/bob:/bin/sh\n"
			     "twin:x:1000:100::/home/twin:\n"
			     "last:x:4294967294:4294967294::/nonexistent:/x");
	write_file("group", "root:x:0:\n"
			    "users:x:100:bob,amy\n"
			    "-nisgroup:::\n"
			    "wheel:x:10:amy,bobby\n"
			    "solo:x:11:bob\n");
	ck_assert_int_eq(etcdb_read(NULL, &db, dir), 0);
	ck_assert_uint_eq(db.npw, 4);
	ck_assert_uint_eq(db.ngr, 4);
	p = etcdb_user(&db, "bob");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->uid, 1000);
	ck_assert_uint_eq(p->gid, 100);
	ck_assert_str_eq(p->home, "/home/bob");
	ck_assert_str_eq(p->shell, "/bin/sh");
	ck_assert_str_eq(etcdb_user(&db, "twin")->shell, "");
	ck_assert_uint_eq(etcdb_user(&db, "last")->uid, 4294967294u);
	ck_assert_ptr_null(etcdb_user(&db, "broken"));
	ck_assert_ptr_null(etcdb_user(&db, "+nisuser"));
	ck_assert_str_eq(etcdb_uid_other(&db, 1000, "bob")->name, "twin");
	ck_assert_ptr_null(etcdb_uid_other(&db, 0, "root"));
	g = etcdb_group(&db, "wheel");
	ck_assert_uint_eq(g->gid, 10);
	ck_assert(etcdb_is_member(g, "amy"));
	ck_assert(!etcdb_is_member(g, "bob")); /* not "bobby" */
	ck_assert(etcdb_is_member(etcdb_group(&db, "users"), "bob"));
	ck_assert(etcdb_is_member(etcdb_group(&db, "solo"), "bob"));
	ck_assert(!etcdb_is_member(etcdb_group(&db, "root"), "bob"));
	ck_assert_str_eq(etcdb_gid(&db, 100)->name, "users");
	ck_assert_ptr_null(etcdb_gid_other(&db, 100, "users"));
	ck_assert_str_eq(etcdb_gid_other(&db, 100, "x")->name, "users");
	etcdb_free(&db);
}
END_TEST

START_TEST(etcdb_missing)
{
	struct etcdb db;

	ck_assert_int_lt(etcdb_read(NULL, &db, dir), 0);
	write_file("passwd", "");
	ck_assert_int_lt(etcdb_read(NULL, &db, dir), 0); /* no group file */
	write_file("group", "");
	ck_assert_int_eq(etcdb_read(NULL, &db, dir), 0);
	ck_assert_uint_eq(db.npw + db.ngr, 0);
	etcdb_free(&db);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("user");
	TCase *tc = tcase_create("params");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, names);
	tcase_add_test(tc, state);
	tcase_add_test(tc, unset_values);
	tcase_add_test(tc, user_refused);
	tcase_add_test(tc, group_refused);
	tcase_add_test(tc, uids);
	tcase_add_test(tc, autoedges);
	tcase_add_test(tc, grouping);
	suite_add_tcase(s, tc);

	tc = tcase_create("etcdb");
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_add_test(tc, etcdb_reads);
	tcase_add_test(tc, etcdb_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

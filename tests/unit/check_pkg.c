/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_pkg.c - the pkg plugin's pure parts (plugins/pkg/pkgid.c): package
 * ids as PackageKit writes them, the order of Debian versions (dpkg's own
 * cases), the state parameter, what a resource needs given what Resolve
 * found (from lists like those PackageKit sent in the sandbox), PackageKit's
 * enum names and the label a group logs under.  Nothing here needs PackageKit or a bus.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "../../plugins/pkg/pkg.h"

static bool span_is(struct pkg_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.s, want, s.len) == 0;
}

START_TEST(id_split_fields)
{
	struct pkg_id id;

	ck_assert_int_eq(
		pkg_id_split("hello;2.10-3;amd64;debian-oldstable-main", &id),
		0);
	ck_assert(span_is(id.name, "hello"));
	ck_assert(span_is(id.version, "2.10-3"));
	ck_assert(span_is(id.arch, "amd64"));
	ck_assert(span_is(id.data, "debian-oldstable-main"));

	ck_assert_int_eq(pkg_id_split("cowsay;3.03+dfsg2-8;all;"
				      "+manual:debian-oldstable-main",
				      &id),
			 0);
	ck_assert(span_is(id.version, "3.03+dfsg2-8"));
	ck_assert(span_is(id.data, "+manual:debian-oldstable-main"));

	/* an epoch's ':' is not a separator; empty fields are fields */
	ck_assert_int_eq(pkg_id_split("vim;2:9.0.1378-2;amd64;", &id), 0);
	ck_assert(span_is(id.version, "2:9.0.1378-2"));
	ck_assert(span_is(id.data, ""));
	ck_assert_int_eq(pkg_id_split("x;;;", &id), 0);
	ck_assert(span_is(id.version, ""));
}
END_TEST

START_TEST(id_split_bad)
{
	struct pkg_id id;

	ck_assert_int_eq(pkg_id_split("hello", &id), -EINVAL);
	ck_assert_int_eq(pkg_id_split("hello;1;amd64", &id), -EINVAL);
	ck_assert_int_eq(pkg_id_split("hello;1;amd64;data;more", &id), -EINVAL);
	ck_assert_int_eq(pkg_id_split(";1;amd64;data", &id), -EINVAL);
	ck_assert_int_eq(pkg_id_split("", &id), -EINVAL);
}
END_TEST

START_TEST(id_is_name)
{
	ck_assert(pkg_id_is("sl;5.02-1+b1;amd64;x", "sl"));
	ck_assert(!pkg_id_is("slang;1;amd64;x", "sl"));
	ck_assert(!pkg_id_is("s;1;amd64;x", "sl"));
	ck_assert(!pkg_id_is("sl", "sl"));
}
END_TEST

/* Sign of a comparison, for readable tables. */
static int sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

START_TEST(vercmp_dpkg_cases)
{
	static const struct {
		const char *a, *b;
		int want;
	} t[] = {
		/* dpkg's own test suite (lib/dpkg/t/t-version.c) */
		{ "0:0", "0:0", 0 },
		{ "0:0-0", "0:0-0", 0 },
		{ "0:0.0-0.0", "0:0.0-0.0", 0 },
		{ "1:2-3", "1:2-3", 0 },
		{ "0:1", "0:2", -1 },
		{ "0:1", "1:1", -1 },
		{ "2:1", "1:2", 1 },
		{ "0:1-1", "0:1-2", -1 },
		{ "0:1~", "0:1", -1 },
		{ "0:1~a", "0:1~b", -1 },
		{ "0:1~~", "0:1~", -1 },
		{ "0:1a", "0:1", 1 },
		{ "0:1.", "0:1a", 1 },
		{ "0:1+", "0:1.", -1 },
		{ "0:1+b1", "0:1", 1 },
		/* leading zeros, missing epoch and revision */
		{ "1.002", "1.2", 0 },
		{ "1.10", "1.9", 1 },
		{ "1.0", "0:1.0", 0 },
		{ "1.0", "1.0-0", 0 },
		/* the versions this project's tests meet */
		{ "5.2.15-2+b13", "5.2.15-2+b8", 1 },
		{ "2.10-3", "2.10-3", 0 },
		{ "2.36-9+deb12u14", "2.36-9+deb12u9", 1 },
		{ "3.03+dfsg2-8", "3.03+dfsg1-8", 1 },
		{ "7.4.3-1~bpo12+1", "7.4.3-1", -1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_msg(sign(pkg_vercmp(t[i].a, t[i].b)) == t[i].want,
			      "%s vs %s: got %d, want %d", t[i].a, t[i].b,
			      pkg_vercmp(t[i].a, t[i].b), t[i].want);
		ck_assert_msg(sign(pkg_vercmp(t[i].b, t[i].a)) == -t[i].want,
			      "%s vs %s (reversed)", t[i].b, t[i].a);
	}
}
END_TEST

START_TEST(want_parse)
{
	enum pkg_want w;
	const char *why;

	ck_assert_int_eq(pkg_want_parse("installed", &w, &why), 0);
	ck_assert_int_eq(w, PKG_INSTALLED);
	ck_assert_int_eq(pkg_want_parse("uninstalled", &w, &why), 0);
	ck_assert_int_eq(w, PKG_UNINSTALLED);
	ck_assert_int_eq(pkg_want_parse("newest", &w, &why), 0);
	ck_assert_int_eq(w, PKG_NEWEST);
	ck_assert_int_eq(pkg_want_parse("1:2.10-3", &w, &why), 0);
	ck_assert_int_eq(w, PKG_VERSION);

	ck_assert_int_eq(pkg_want_parse("latest", &w, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "newest"));
	ck_assert_int_eq(pkg_want_parse("", &w, &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(pkg_want_parse(NULL, &w, &why), -EINVAL);
	ck_assert_int_eq(pkg_want_parse("1.0;x", &w, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "';'"));
}
END_TEST

START_TEST(group_label)
{
	const char *three[] = { "sl", "powertop", "cowsay" };
	const char *one[] = { "hello" };
	char *l;

	/* mgmt's form, names sorted whatever the members' order */
	l = pkg_group_label(three, 3);
	ck_assert_str_eq(l, "Pkg[autogroup:(cowsay,powertop,sl)]");
	free(l);
	l = pkg_group_label(one, 1);
	ck_assert_str_eq(l, "Pkg[hello]");
	free(l);
	/* the caller's array keeps its order */
	ck_assert_str_eq(three[0], "sl");
}
END_TEST

START_TEST(enum_names)
{
	ck_assert_str_eq(pk_status_name(8), "download");
	ck_assert_str_eq(pk_status_name(27), "loading-cache");
	ck_assert_str_eq(pk_status_name(36), "run-hook");
	ck_assert_str_eq(pk_status_name(37), "?");
	ck_assert_str_eq(pk_error_name(8), "package-not-found");
	ck_assert_str_eq(pk_error_name(41), "all-packages-already-installed");
	ck_assert_str_eq(pk_error_name(68), "repo-already-set");
	ck_assert_str_eq(pk_error_name(69), "?");
	ck_assert_str_eq(pk_exit_name(1), "success");
	ck_assert_str_eq(pk_exit_name(3), "cancelled");
	ck_assert_str_eq(pk_exit_name(UINT32_MAX), "?");
}
END_TEST

/* What Resolve sent for bash on a machine whose bash is older than the
 * archive's: the available id twice (two sources), the installed one, and
 * other names around it. */
static const struct pk_package resolved[] = {
	{ PK_INFO_AVAILABLE,
	  (char *)"bash;5.2.15-2+b13;amd64;debian-oldstable-main" },
	{ PK_INFO_AVAILABLE,
	  (char *)"bash;5.2.15-2+b13;amd64;debian-oldstable-main" },
	{ PK_INFO_INSTALLED, (char *)"bash;5.2.15-2+b8;amd64;auto:local" },
	{ PK_INFO_AVAILABLE,
	  (char *)"bash-completion;1:2.11-6;all;debian-oldstable-main" },
	{ PK_INFO_AVAILABLE,
	  (char *)"sl;5.02-1+b1;amd64;debian-oldstable-main" },
	{ PK_INFO_INSTALLED,
	  (char *)"coreutils;9.1-1;amd64;manual:debian-oldstable-main" },
	{ PK_INFO_AVAILABLE, (char *)"hello;2.9-1;amd64;old-origin" },
	{ PK_INFO_AVAILABLE,
	  (char *)"hello;2.10-3;amd64;debian-oldstable-main" },
	{ PK_INFO_AVAILABLE, (char *)"hello;2.8-1;amd64;older-origin" },
};
#define NRES (sizeof(resolved) / sizeof(resolved[0]))

/* decide NAME WANT VERSION -> action, with *installed and *chosen. */
static enum pkg_action dec(const char *name, enum pkg_want want,
			   const char *version, const char **inst,
			   const char **chosen)
{
	return pkg_decide(name, want, version, resolved, NRES, inst, chosen);
}

START_TEST(decide_installed)
{
	const char *inst, *chosen;

	/* installed, even if older than the archive: nothing to do */
	ck_assert_int_eq(dec("bash", PKG_INSTALLED, NULL, &inst, &chosen),
			 PKG_ACT_NONE);
	ck_assert_str_eq(inst, "bash;5.2.15-2+b8;amd64;auto:local");
	/* not installed: the highest version offered, whatever the order */
	ck_assert_int_eq(dec("hello", PKG_INSTALLED, NULL, &inst, &chosen),
			 PKG_ACT_INSTALL);
	ck_assert_ptr_null(inst);
	ck_assert_str_eq(chosen, "hello;2.10-3;amd64;debian-oldstable-main");
	ck_assert_int_eq(dec("sl", PKG_INSTALLED, NULL, &inst, &chosen),
			 PKG_ACT_INSTALL);
	/* no Package signal for it: missing (a prefix of another is not it) */
	ck_assert_int_eq(dec("bas", PKG_INSTALLED, NULL, &inst, &chosen),
			 PKG_ACT_MISSING);
	ck_assert_int_eq(dec("nosuch", PKG_INSTALLED, NULL, &inst, &chosen),
			 PKG_ACT_MISSING);
	ck_assert_ptr_null(chosen);
}
END_TEST

START_TEST(decide_uninstalled)
{
	const char *inst, *chosen;

	ck_assert_int_eq(dec("coreutils", PKG_UNINSTALLED, NULL, &inst,
			     &chosen),
			 PKG_ACT_REMOVE);
	/* the installed id is the one to remove */
	ck_assert_str_eq(chosen,
			 "coreutils;9.1-1;amd64;manual:debian-oldstable-main");
	ck_assert_int_eq(dec("sl", PKG_UNINSTALLED, NULL, &inst, &chosen),
			 PKG_ACT_NONE);
	/* a package that does not exist is not installed: fine */
	ck_assert_int_eq(dec("nosuch", PKG_UNINSTALLED, NULL, &inst, &chosen),
			 PKG_ACT_NONE);
}
END_TEST

START_TEST(decide_newest)
{
	const char *inst, *chosen;

	/* installed older than offered: update to the offered id */
	ck_assert_int_eq(dec("bash", PKG_NEWEST, NULL, &inst, &chosen),
			 PKG_ACT_UPDATE);
	ck_assert_str_eq(chosen,
			 "bash;5.2.15-2+b13;amd64;debian-oldstable-main");
	/* installed and nothing newer offered */
	ck_assert_int_eq(dec("coreutils", PKG_NEWEST, NULL, &inst, &chosen),
			 PKG_ACT_NONE);
	ck_assert_int_eq(dec("hello", PKG_NEWEST, NULL, &inst, &chosen),
			 PKG_ACT_INSTALL);
	ck_assert_str_eq(chosen, "hello;2.10-3;amd64;debian-oldstable-main");
	ck_assert_int_eq(dec("nosuch", PKG_NEWEST, NULL, &inst, &chosen),
			 PKG_ACT_MISSING);
}
END_TEST

START_TEST(decide_version)
{
	const char *inst, *chosen;

	/* the installed version, compared as versions (epoch 0 implied) */
	ck_assert_int_eq(dec("bash", PKG_VERSION, "0:5.2.15-2+b8", &inst,
			     &chosen),
			 PKG_ACT_NONE);
	/* another version offered: that exact id, not the highest */
	ck_assert_int_eq(dec("hello", PKG_VERSION, "2.9-1", &inst, &chosen),
			 PKG_ACT_INSTALL);
	ck_assert_str_eq(chosen, "hello;2.9-1;amd64;old-origin");
	ck_assert_int_eq(dec("bash", PKG_VERSION, "5.2.15-2+b13", &inst,
			     &chosen),
			 PKG_ACT_INSTALL);
	/* a version nobody offers */
	ck_assert_int_eq(dec("hello", PKG_VERSION, "3.0-1", &inst, &chosen),
			 PKG_ACT_MISSING);
	ck_assert_ptr_null(chosen);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pkg");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, id_split_fields);
	tcase_add_test(tc, id_split_bad);
	tcase_add_test(tc, id_is_name);
	tcase_add_test(tc, vercmp_dpkg_cases);
	tcase_add_test(tc, want_parse);
	tcase_add_test(tc, decide_installed);
	tcase_add_test(tc, decide_uninstalled);
	tcase_add_test(tc, decide_newest);
	tcase_add_test(tc, decide_version);
	tcase_add_test(tc, group_label);
	tcase_add_test(tc, enum_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

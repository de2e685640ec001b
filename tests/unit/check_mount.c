/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_mount.c - the mount plugin's parts that need no systemd: its
 * parameter checks through the built plugin (plugins/mount) and the
 * engine's compiler, each refusal with its line:col, and the uid; and the
 * text functions of fstab.c and common/unit.c (linked in): the fstab line,
 * when two lines are the same mount, fstab edited for one point with every
 * other line kept, the mount at a point in mountinfo text, and systemd's
 * escaping of a path into a .mount unit name.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "loader/loader.h"
#include "run/host.h"
#include "harness.h"
#include "runner.h"
#include "../../plugins/common/unit.h"
#include "../../plugins/mount/mount.h"

/* fstab.c and common/unit.c, linked in, would call the host through this;
 * nothing here makes them. */
MGMT_HIDDEN const struct mgmt_host *mgmt_host;

static struct registry reg;
static const struct kind_entry *kind;

static void setup(void)
{
	harness_load(&reg, "MGMT_PLUGINS_DIR", host_table(), "mount");
	kind = registry_find(&reg, "mount");
}

static void teardown(void)
{
	registry_free(&reg);
}

static const char *errors(const char *yaml)
{
	return harness_errors(&reg, yaml);
}

/* One mount resource at /mnt/x with `more` (flow mapping entries). */
static const char *one(const char *more)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
		 "resources:\n  mount:\n  - {name: /mnt/x%s}\n", more);
	return buf;
}

START_TEST(params_accepted)
{
	ck_assert_str_eq(errors(one(", state: exists, device: tmpfs, "
				    "type: tmpfs")),
			 "");
	ck_assert_str_eq(errors(one(", state: exists, device: UUID=1234-abcd, "
				    "type: ext4, options: {noatime: \"\", "
				    "errors: remount-ro}, freq: 1, "
				    "passno: 2")),
			 "");
	/* absent needs nothing but the point */
	ck_assert_str_eq(errors(one(", state: absent")), "");
	ck_assert_str_eq(errors("resources:\n  mount:\n"
				"  - {name: /, state: absent}\n"),
			 "");
	ck_assert_str_eq(errors("resources:\n  mount:\n"
				"  - {name: \"/srv/a b\", state: absent}\n"),
			 "");
}
END_TEST

START_TEST(params_refused)
{
	ck_assert_str_eq(errors(one("")),
			 "test.yaml:3:5: mount[/mnt/x]: missing required "
			 "parameter 'state'\n");
	ck_assert_str_eq(errors(one(", state: mounted")),
			 "test.yaml:3:27: mount[/mnt/x]: state \"mounted\" is "
			 "not one of: exists, absent\n");
	ck_assert_str_eq(errors(one(", state: exists, type: tmpfs")),
			 "test.yaml:3:5: mount[/mnt/x]: device is required "
			 "with state exists\n");
	ck_assert_str_eq(errors(one(", state: exists, device: tmpfs")),
			 "test.yaml:3:5: mount[/mnt/x]: type is required "
			 "with state exists\n");
	ck_assert_str_eq(errors(one(", state: exists, device: tmpfs, "
				    "type: \"a,b\"")),
			 "test.yaml:3:56: mount[/mnt/x]: type: \"a,b\" is not "
			 "a file system type (see /proc/filesystems)\n");
	ck_assert_str_eq(
		errors(one(", state: absent, options: {\"a,b\": \"\"}")),
		"test.yaml:3:44: mount[/mnt/x]: options: \"a,b\" (value \"\") "
		"cannot be written in fstab: no empty name, and no space, "
		"comma or control character (nor \"=\" in the name)\n");
	ck_assert_str_eq(errors(one(", state: absent, passno: -1")),
			 "test.yaml:3:43: mount[/mnt/x]: passno: -1 is out of "
			 "range (0: no check, 1: the root, 2: others)\n");
	ck_assert_str_eq(errors(one(", state: absent, freq: -1")),
			 "test.yaml:3:41: mount[/mnt/x]: freq: -1 is out of "
			 "range (0 or more)\n");
}
END_TEST

/* The name must be a normalised absolute path. */
START_TEST(points_refused)
{
	static const char *const bad[] = { "mnt",      "/mnt/",     "/mnt//x",
					   "/mnt/./x", "/mnt/../x", "/a/.." };
	char yaml[256], want[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 "resources:\n  mount:\n  - {name: \"%s\", state: "
			 "absent}\n",
			 bad[i]);
		snprintf(want, sizeof(want),
			 "test.yaml:3:5: mount[%s]: \"%s\" is not a mount "
			 "point: the name must be an absolute path without "
			 "\"//\", \".\" or \"..\" parts, a trailing \"/\" or "
			 "control characters\n",
			 bad[i], bad[i]);
		ck_assert_str_eq(errors(yaml), want);
	}
}
END_TEST

START_TEST(uid_is_point)
{
	struct graph_cfg *cfg = NULL;
	struct diag d = { 0 };
	const char *y = "resources:\n  mount:\n  - {name: /mnt/x, state: "
			"absent}\n";

	ck_assert_int_eq(config_load_buffer("test.yaml", y, strlen(y), &reg,
					    &cfg, &d),
			 0);
	ck_assert_str_eq(kind->k.uid(cfg->res[0], cfg->res[0]->params),
			 "/mnt/x");
	ck_assert_str_eq(((struct mount *)cfg->res[0]->params)->unit,
			 "mnt-x.mount");
	config_graph_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(escape_path)
{
	char buf[300];

	ck_assert_int_eq(unit_escape_path("/", ".mount", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "-.mount");
	ck_assert_int_eq(
		unit_escape_path("/srv/a b", ".mount", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "srv-a\\x20b.mount");
	unit_escape_path("/home/my-data/.x", ".mount", buf, sizeof(buf));
	ck_assert_str_eq(buf, "home-my\\x2ddata-.x.mount");
	unit_escape_path("/.hidden/é", ".mount", buf, sizeof(buf));
	ck_assert_str_eq(buf, "\\x2ehidden-\\xc3\\xa9.mount");
	ck_assert_int_eq(unit_escape_path("/a", ".mount", buf, 7),
			 -ENAMETOOLONG);
}
END_TEST

static char s_tmpfs[] = "tmpfs";
static const struct mount tmpfs = { .state = MOUNT_EXISTS,
				    .device = s_tmpfs,
				    .type = s_tmpfs };

START_TEST(fstab_line)
{
	char k1[] = "size", k2[] = "noatime", v1[] = "8m", v2[] = "";
	char *keys[] = { k1, k2 }, *vals[] = { v1, v2 };
	struct mount m = tmpfs;
	char *l = mount_fstab_line(&m, "/srv/a b");

	ck_assert_str_eq(l, "tmpfs /srv/a\\040b tmpfs defaults 0 0");
	free(l);
	m.options = (struct mgmt_strmap){ 2, keys, vals };
	m.freq = 1;
	m.passno = 2;
	l = mount_fstab_line(&m, "/srv");
	ck_assert_str_eq(l, "tmpfs /srv tmpfs size=8m,noatime 1 2");
	free(l);
}
END_TEST

START_TEST(fstab_same)
{
	ck_assert(mount_fstab_same("a /x t o1,o2=v 0 0", "a\t/x  t o2=v,o1"));
	ck_assert(mount_fstab_same("a /x\\040y t d", "a /x\\040y t d 0 0"));
	ck_assert(!mount_fstab_same("a /x t o1 0 0", "a /x t o1,o2 0 0"));
	ck_assert(!mount_fstab_same("a /x t o1 0 0", "a /x t o1 0 2"));
	ck_assert(!mount_fstab_same("a /x t o1", "b /x t o1"));
	ck_assert(!mount_fstab_same("# a /x t o1", "# a /x t o1"));
}
END_TEST

START_TEST(fstab_edit)
{
	const char *old = "# keep\nUUID=1 / ext4 defaults 0 1\n"
			  "old /x tmpfs ro 0 0\nsecond /x tmpfs rw 0 0\n";
	char *out, *none;

	/* replaced in place, the duplicate dropped, the rest kept */
	ck_assert_int_eq(mount_fstab_edit(old, "/x",
					  "new /x tmpfs defaults 0 0", &out),
			 1);
	ck_assert_str_eq(out, "# keep\nUUID=1 / ext4 defaults 0 1\n"
			      "new /x tmpfs defaults 0 0\n");
	/* already so: nothing to do */
	ck_assert_int_eq(
		mount_fstab_edit(out, "/x", "new /x tmpfs defaults", &none), 0);
	ck_assert_ptr_null(none);
	free(out);
	/* appended, after a last line without its newline */
	ck_assert_int_eq(mount_fstab_edit("# only", "/y", "d /y t o 0 0", &out),
			 1);
	ck_assert_str_eq(out, "# only\nd /y t o 0 0\n");
	free(out);
	ck_assert_int_eq(mount_fstab_edit("", "/y", "d /y t o 0 0", &out), 1);
	ck_assert_str_eq(out, "d /y t o 0 0\n");
	free(out);
	/* removed; a commented-out line for the point stays */
	ck_assert_int_eq(mount_fstab_edit("#d /y t o\nd /y t o 0 0\nz /z t o\n",
					  "/y", NULL, &out),
			 1);
	ck_assert_str_eq(out, "#d /y t o\nz /z t o\n");
	free(out);
	ck_assert_int_eq(mount_fstab_edit("z /z t o\n", "/y", NULL, &out), 0);
	/* the escaped point is the point */
	ck_assert_int_eq(
		mount_fstab_edit("d /a\\040b t o\n", "/a b", NULL, &out), 1);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

START_TEST(mountinfo)
{
	const char *info =
		"22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"30 22 0:40 / /srv/a\\040b rw - tmpfs tmpfs rw,size=8192k\n"
		"31 22 0:41 / /x rw shared:5 master:2 - tmpfs first rw\n"
		"32 31 0:42 / /x rw - xfs /dev/sdb rw\n";
	char src[64], type[64];

	ck_assert_int_eq(mount_info_find(info, "/srv/a b", src, sizeof(src),
					 type, sizeof(type)),
			 1);
	ck_assert_str_eq(src, "tmpfs");
	ck_assert_str_eq(type, "tmpfs");
	/* stacked: the one on top */
	ck_assert_int_eq(mount_info_find(info, "/x", src, sizeof(src), type,
					 sizeof(type)),
			 1);
	ck_assert_str_eq(src, "/dev/sdb");
	ck_assert_str_eq(type, "xfs");
	ck_assert_int_eq(mount_info_find(info, "/srv", src, sizeof(src), type,
					 sizeof(type)),
			 0);
}
END_TEST

START_TEST(same_device)
{
	ck_assert(mount_same_device("tmpfs", "tmpfs"));
	ck_assert(!mount_same_device("tmpfs", "none"));
	ck_assert(mount_same_device("/dev/null", "/dev/null"));
	/* paths compare after symbolic links are resolved */
	ck_assert(mount_same_device("/dev/../dev/null", "/dev/null"));
	ck_assert(!mount_same_device("UUID=no-such-uuid-here", "/dev/sda1"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mount");
	TCase *tc = tcase_create("params");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, params_accepted);
	tcase_add_test(tc, params_refused);
	tcase_add_test(tc, points_refused);
	tcase_add_test(tc, uid_is_point);
	suite_add_tcase(s, tc);
	tc = tcase_create("text");
	tcase_add_test(tc, escape_path);
	tcase_add_test(tc, fstab_line);
	tcase_add_test(tc, fstab_same);
	tcase_add_test(tc, fstab_edit);
	tcase_add_test(tc, mountinfo);
	tcase_add_test(tc, same_device);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

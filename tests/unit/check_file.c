/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_file.c - the file plugin (plugins/file) through the engine: real
 * graphs compiled from YAML and run to convergence (converged-timeout 0),
 * in a temporary directory of each test under the build tree.
 *
 * Covered: every parameter, every validate error with its line:col, noop
 * mode, the symlink rule, grouping and autoedges through the SDK hooks,
 * atomicity (a reader never sees a partly written file), the sweep of stale
 * temporary files (exactly those, once per directory and run), and a group
 * stopping between its members when the run's stop signal fired.  Owner and
 * group tests need root and say so when skipped.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "loader/loader.h"
#include "util/log.h"
#include "run/host.h"
#include "run/sched.h"
#include "harness.h"
#include "runner.h"

static char dir[PATH_MAX];
static struct registry reg;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char logbuf[1 << 16];
static size_t loglen;

static void sink(int level, const char *line, void *ctx)
{
	size_t n = strlen(line);

	pthread_mutex_lock(&log_lock);
	if (loglen + n + 2 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, line, n);
		loglen += n;
		logbuf[loglen++] = '\n';
		logbuf[loglen] = '\0';
	}
	pthread_mutex_unlock(&log_lock);
}

static bool logged(const char *s)
{
	bool r;

	pthread_mutex_lock(&log_lock);
	r = strstr(logbuf, s) != NULL;
	pthread_mutex_unlock(&log_lock);
	return r;
}

#define ck_logged(s)                                                           \
	ck_assert_msg(logged(s), "not logged: %s\nlog:\n%s", s, logbuf)

static void load(const struct mgmt_host *host)
{
	harness_load(&reg, "MGMT_PLUGINS_DIR", host, "file");
}

static void setup(void)
{
	harness_tmpdir(dir, sizeof(dir), "file");
	loglen = 0;
	logbuf[0] = '\0';
	log_level = MGMT_LOG_INFO;
	log_set_sink(sink, NULL);
	umask(022);
	load(host_table());
}

static void teardown(void)
{
	registry_free(&reg);
	log_set_sink(NULL, NULL);
	harness_rmdir(dir);
}

/* "DIR" in `yaml` becomes the test directory. */
static const char *expand(const char *yaml)
{
	static char buf[1 << 16];
	char *out = buf;

	for (const char *p = yaml; *p; p++) {
		if (strncmp(p, "DIR", 3) == 0) {
			out += sprintf(out, "%s", dir);
			p += 2;
		} else {
			*out++ = *p;
		}
		ck_assert_int_lt(out - buf, (long)sizeof(buf) - PATH_MAX);
	}
	*out = '\0';
	return buf;
}

static struct graph_cfg *compile(const char *yaml)
{
	return harness_compile(&reg, expand(yaml));
}

static int run_opts(const char *yaml, bool noop)
{
	struct sched_opts o = { .workers = 2,
				.converged_timeout = 0,
				.noop = noop };
	struct graph_cfg *cfg = compile(yaml);
	int status = sched_run(cfg, &o);

	config_graph_free(cfg);
	return status;
}

static int run(const char *yaml)
{
	return run_opts(yaml, false);
}

/* Compile errors of `yaml`, one per line ("" when it compiled). */
static const char *errors(const char *yaml)
{
	return harness_errors(&reg, expand(yaml));
}

#define ck_error(yaml, msg)                                                    \
	do {                                                                   \
		const char *e_ = errors(yaml);                                 \
		ck_assert_msg(strstr(e_, msg), "expected \"%s\", got \"%s\"",  \
			      msg, e_);                                        \
	} while (0)

static const char *path(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	ck_assert_int_lt(snprintf(buf[i], PATH_MAX, "%s/%s", dir, name),
			 PATH_MAX);
	return buf[i];
}

static void put(const char *name, const char *content)
{
	FILE *f = fopen(path(name), "w");

	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* The whole content of `name` (static buffer), or NULL when unreadable. */
static const char *get(const char *name)
{
	static char buf[1 << 20];
	FILE *f = fopen(path(name), "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct stat lst(const char *name)
{
	struct stat st;

	ck_assert_msg(lstat(path(name), &st) == 0, "%s: %s", name,
		      strerror(errno));
	return st;
}

static bool exists(const char *name)
{
	struct stat st;

	return lstat(path(name), &st) == 0;
}

/* An old mtime, so "unchanged" needs no clock resolution. */
static void age(const char *name)
{
	struct timespec t[2] = { { 1000000, 0 }, { 1000000, 0 } };

	ck_assert_int_eq(
		utimensat(AT_FDCWD, path(name), t, AT_SYMLINK_NOFOLLOW), 0);
}

START_TEST(content_create_update_unchanged)
{
	struct stat a, b;

	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: f1, path: DIR/f1, content: \"i am f1\\n\"}\n"),
		0);
	ck_assert_str_eq(get("f1"), "i am f1\n");
	ck_assert_int_eq(lst("f1").st_mode & 07777, 0644);
	ck_logged("File[f1]: created ");

	/* right content: nothing touched */
	age("f1");
	a = lst("f1");
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: f1, path: DIR/f1, content: \"i am f1\\n\"}\n"),
		0);
	b = lst("f1");
	ck_assert_int_eq(a.st_ino, b.st_ino);
	ck_assert_int_eq(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	ck_assert_int_eq(a.st_ctim.tv_sec, b.st_ctim.tv_sec);
	ck_assert_int_eq(a.st_ctim.tv_nsec, b.st_ctim.tv_nsec);

	/* same size, other bytes; an unmanaged mode is kept */
	ck_assert_int_eq(chmod(path("f1"), 0640), 0);
	put("f1", "i am F1\n");
	a = lst("f1");
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: f1, path: DIR/f1, content: \"i am f1\\n\"}\n"),
		0);
	ck_assert_str_eq(get("f1"), "i am f1\n");
	b = lst("f1");
	ck_assert_int_ne(a.st_ino, b.st_ino); /* replaced, not written */
	ck_assert_int_eq(b.st_mode & 07777, 0640);
	ck_logged("updated the content of ");
	/* no temporary file is left behind */
	ck_assert_int_eq(system(expand("test \"$(ls -A DIR)\" = f1")), 0);
}
END_TEST

START_TEST(no_content_creates_empty_keeps_existing)
{
	put("keep", "anything");
	age("keep");
	ck_assert_int_eq(run("resources:\n  file:\n"
			     "  - {name: e, path: DIR/empty}\n"
			     "  - {name: k, path: DIR/keep}\n"),
			 0);
	ck_assert_str_eq(get("empty"), "");
	ck_assert(S_ISREG(lst("empty").st_mode));
	ck_assert_str_eq(get("keep"), "anything");
	ck_assert_int_eq(lst("keep").st_mtim.tv_sec, 1000000);
}
END_TEST

/* The longest name a directory can hold: the temporary name is cut. */
START_TEST(longest_name)
{
	char name[NAME_MAX + 1], yaml[1024];

	memset(name, 'n', NAME_MAX);
	name[NAME_MAX] = '\0';
	snprintf(yaml, sizeof(yaml),
		 "resources:\n  file:\n"
		 "  - {name: n, path: DIR/%s, content: long}\n",
		 name);
	ck_assert_int_eq(run(yaml), 0);
	ck_assert_str_eq(get(name), "long");
	ck_assert_int_eq(run(yaml), 0);
	ck_assert_int_eq(system(expand("test $(ls -A DIR | wc -l) = 1")), 0);
}
END_TEST

START_TEST(source_copy)
{
	static char big[300000];
	struct stat a;
	FILE *f;

	/* bigger than one chunk, differing only in the last byte */
	memset(big, 'x', sizeof(big) - 1);
	put("src", big);
	big[sizeof(big) - 2] = 'y';
	put("dst", big);
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: d, path: DIR/dst, source: DIR/src}\n"
		    "  - {name: n, path: DIR/new, source: DIR/src, mode: \"0600\"}\n"),
		0);
	big[sizeof(big) - 2] = 'x';
	ck_assert_str_eq(get("dst"), big);
	ck_assert_str_eq(get("new"), big);
	ck_assert_int_eq(lst("new").st_mode & 07777, 0600);

	age("dst");
	a = lst("dst");
	ck_assert_int_eq(run("resources:\n  file:\n"
			     "  - {name: d, path: DIR/dst, source: DIR/src}\n"),
			 0);
	ck_assert_int_eq(lst("dst").st_ino, a.st_ino);
	ck_assert_int_eq(lst("dst").st_mtim.tv_sec, 1000000);

	/* a missing source: one clear line, the file untouched */
	f = fopen(path("dst"), "a");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(run("resources:\n  file:\n"
			     "  - {name: d, path: DIR/dst, source: DIR/nope}\n"
			     "  - {name: ok, path: DIR/ok, content: fine}\n"),
			 1);
	ck_logged("File[d]: cannot read the source ");
	ck_logged("/nope: No such file or directory; ");
	ck_assert_int_eq(lst("dst").st_ino, a.st_ino);
	ck_assert_str_eq(get("ok"), "fine");
}
END_TEST

START_TEST(absent)
{
	put("f", "x");
	put("target", "keep me");
	ck_assert_int_eq(symlink(path("target"), path("link")), 0);
	ck_assert_int_eq(mkdir(path("d"), 0755), 0);
	ck_assert_int_eq(mkdir(path("d/sub"), 0755), 0);
	put("d/sub/x", "x");
	ck_assert_int_eq(mkdir(path("outside"), 0755), 0);
	put("outside/y", "y");
	ck_assert_int_eq(symlink(path("outside"), path("d/sub/l")), 0);

	ck_assert_int_eq(run("resources:\n  file:\n"
			     "  - {name: f, path: DIR/f, state: absent}\n"
			     "  - {name: l, path: DIR/link, state: absent}\n"
			     "  - {name: m, path: DIR/missing, state: absent}\n"
			     "  - {name: d, path: DIR/d/, state: absent}\n"),
			 1);
	ck_assert(!exists("f"));
	ck_assert(!exists("link"));
	ck_assert_str_eq(get("target"), "keep me");
	ck_assert(exists("d/sub/x"));
	ck_logged("File[d]: ");
	ck_logged("/d is a directory; set force: true to remove it");

	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: d, path: DIR/d/, state: absent, force: true}\n"),
		0);
	ck_assert(!exists("d"));
	ck_assert_str_eq(get("outside/y"), "y"); /* the link was not followed */
}
END_TEST

START_TEST(mode)
{
	struct stat a;

	put("f", "c");
	ck_assert_int_eq(chmod(path("f"), 0600), 0);
	age("f");
	a = lst("f");
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: f, path: DIR/f, content: c, mode: \"0640\"}\n"
		    "  - {name: s, path: DIR/s, mode: \"4755\"}\n"
		    "  - {name: d, path: DIR/d/, mode: \"0750\"}\n"),
		0);
	ck_assert_int_eq(lst("f").st_mode & 07777, 0640);
	ck_assert_int_eq(lst("f").st_ino, a.st_ino); /* fixed in place */
	ck_assert_int_eq(lst("f").st_mtim.tv_sec, 1000000);
	ck_assert_int_eq(lst("s").st_mode & 07777, 04755);
	ck_assert(S_ISDIR(lst("d").st_mode));
	ck_assert_int_eq(lst("d").st_mode & 07777, 0750);
	ck_logged("set mode 0600 -> 0640 on ");

	ck_assert_int_eq(chmod(path("d"), 0700), 0);
	ck_assert_int_eq(run("resources:\n  file:\n"
			     "  - {name: d, path: DIR/d/, mode: \"750\"}\n"),
			 0);
	ck_assert_int_eq(lst("d").st_mode & 07777, 0750);
}
END_TEST

START_TEST(owner_group)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");
	uid_t nobody;
	gid_t nogroup;

	if (geteuid() != 0) {
		fprintf(stderr, "# owner_group: skipped, needs root\n");
		return;
	}
	ck_assert_ptr_nonnull(pw);
	nobody = pw->pw_uid;
	ck_assert_ptr_nonnull(gr);
	nogroup = gr->gr_gid;

	put("byname", "old");
	ck_assert_int_eq(chmod(path("byname"), 04755), 0);
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: n, path: DIR/numeric, content: x, owner: \"1234\", group: \"2345\"}\n"
		    "  - {name: b, path: DIR/byname, owner: nobody, group: nogroup}\n"
		    "  - {name: r, path: DIR/root, content: r, owner: root, group: root, mode: \"0600\"}\n"
		    "  - {name: d, path: DIR/d/, owner: nobody}\n"),
		0);
	ck_assert_int_eq(lst("numeric").st_uid, 1234);
	ck_assert_int_eq(lst("numeric").st_gid, 2345);
	ck_assert_int_eq(lst("byname").st_uid, nobody);
	ck_assert_int_eq(lst("byname").st_gid, nogroup);
	/* chown cleared setuid; the unmanaged mode was put back */
	ck_assert_int_eq(lst("byname").st_mode & 07777, 04755);
	ck_assert_str_eq(get("byname"), "old");
	ck_assert_int_eq(lst("root").st_uid, 0);
	ck_assert_int_eq(lst("root").st_mode & 07777, 0600);
	ck_assert_int_eq(lst("d").st_uid, nobody);

	/* new content keeps an unmanaged owner */
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: n, path: DIR/numeric, content: new}\n"),
		0);
	ck_assert_str_eq(get("numeric"), "new");
	ck_assert_int_eq(lst("numeric").st_uid, 1234);
	ck_assert_int_eq(lst("numeric").st_gid, 2345);
}
END_TEST

START_TEST(symlink_replaced_not_followed)
{
	put("target", "target");
	ck_assert_int_eq(symlink(path("target"), path("f")), 0);
	/* the link's target already has the content: still not followed */
	put("target2", "same");
	ck_assert_int_eq(symlink(path("target2"), path("f2")), 0);
	ck_assert_int_eq(mkdir(path("tdir"), 0700), 0);
	ck_assert_int_eq(symlink(path("tdir"), path("d")), 0);
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: f, path: DIR/f, content: new, mode: \"0600\"}\n"
		    "  - {name: f2, path: DIR/f2, content: same, mode: \"0600\"}\n"
		    "  - {name: d, path: DIR/d/, mode: \"0755\"}\n"),
		0);
	ck_assert(S_ISREG(lst("f").st_mode));
	ck_assert_str_eq(get("f"), "new");
	ck_assert_str_eq(get("target"), "target");
	ck_assert_int_eq(lst("target").st_mode & 07777, 0644);
	ck_assert(S_ISREG(lst("f2").st_mode));
	ck_assert_int_eq(lst("f2").st_mode & 07777, 0600);
	ck_assert_int_eq(lst("target2").st_mode & 07777, 0644);
	ck_assert(S_ISDIR(lst("d").st_mode));
	ck_assert_int_eq(lst("tdir").st_mode & 07777, 0700);
	ck_logged("replaced the symlink ");
}
END_TEST

START_TEST(force_replaces)
{
	ck_assert_int_eq(mkdir(path("d"), 0755), 0);
	put("d/x", "x");
	put("f", "file");
	ck_assert_int_eq(mkfifo(path("p"), 0644), 0);
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: d, path: DIR/d, content: now a file}\n"
		    "  - {name: f, path: DIR/f/}\n"
		    "  - {name: p, path: DIR/p, content: was a fifo}\n"),
		1);
	ck_logged("/d is a directory; set force: true to replace it");
	ck_logged("/p is a special file; set force: true to replace it");
	ck_assert(S_ISFIFO(lst("p").st_mode));
	ck_logged("/f is a file; set force: true to replace it by a directory");
	ck_assert_str_eq(get("d/x"), "x");
	ck_assert_str_eq(get("f"), "file");

	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: d, path: DIR/d, content: now a file, force: true}\n"
		    "  - {name: f, path: DIR/f/, force: true}\n"
		    "  - {name: p, path: DIR/p, content: was a fifo, force: true}\n"),
		0);
	ck_assert_str_eq(get("d"), "now a file");
	ck_assert_str_eq(get("p"), "was a fifo");
	ck_assert(S_ISDIR(lst("f").st_mode));
}
END_TEST

START_TEST(recurse_copy)
{
	struct stat a;

	ck_assert_int_eq(mkdir(path("src"), 0755), 0);
	ck_assert_int_eq(mkdir(path("src/sub"), 0750), 0);
	put("src/a", "a");
	put("src/sub/b", "b");
	ck_assert_int_eq(chmod(path("src/sub/b"), 0600), 0);
	ck_assert_int_eq(mkdir(path("dst"), 0755), 0);
	put("dst/a", "old a");
	put("dst/extra", "extra");
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: t, path: DIR/dst/, source: DIR/src/, recurse: true}\n"),
		0);
	ck_assert_str_eq(get("dst/a"), "a");
	ck_assert_str_eq(get("dst/sub/b"), "b");
	ck_assert_int_eq(lst("dst/sub").st_mode & 07777, 0750);
	ck_assert_int_eq(lst("dst/sub/b").st_mode & 07777, 0600);
	ck_assert_str_eq(get("dst/extra"), "extra");

	age("dst/sub/b");
	a = lst("dst/sub/b");
	loglen = 0;
	ck_assert_int_eq(
		run("resources:\n  file:\n"
		    "  - {name: t, path: DIR/dst/, source: DIR/src, recurse: true}\n"),
		0);
	ck_assert_int_eq(lst("dst/sub/b").st_ino, a.st_ino);
	ck_assert_int_eq(lst("dst/sub/b").st_mtim.tv_sec, 1000000);
}
END_TEST

START_TEST(noop_changes_nothing)
{
	const struct kind_entry *k = registry_find(&reg, "file");
	struct graph_cfg *cfg;
	const char *yaml =
		"resources:\n  file:\n"
		"  - {name: c, path: DIR/new, content: x}\n"
		"  - {name: u, path: DIR/old, content: x, mode: \"0600\"}\n"
		"  - {name: a, path: DIR/gone, state: absent}\n"
		"  - {name: d, path: DIR/d/}\n";

	put("old", "y");
	put("gone", "z");
	age("old");
	ck_assert_int_eq(run_opts(yaml, true), 0);
	ck_assert(!exists("new"));
	ck_assert_str_eq(get("old"), "y");
	ck_assert_int_eq(lst("old").st_mode & 07777, 0644);
	ck_assert_int_eq(lst("old").st_mtim.tv_sec, 1000000);
	ck_assert(exists("gone"));
	ck_assert(!exists("d"));
	ck_logged("would create ");
	ck_logged("would update the content of ");
	ck_logged("would remove ");

	/* each reports "would change"; a converged one does not */
	cfg = compile(yaml);
	for (size_t i = 0; i < cfg->nres; i++) {
		ck_assert_int_eq(k->k.init(cfg->res[i], cfg->res[i]->params),
				 0);
		ck_assert_int_eq(k->k.check_apply(cfg->res[i],
						  cfg->res[i]->params, false),
				 MGMT_CHANGED);
		k->k.cleanup(cfg->res[i], cfg->res[i]->params);
	}
	config_graph_free(cfg);
	cfg = compile(
		"resources:\n  file:\n  - {name: y, path: DIR/old, content: y}\n");
	ck_assert_int_eq(k->k.check_apply(cfg->res[0], cfg->res[0]->params,
					  false),
			 MGMT_CONVERGED);
	config_graph_free(cfg);
}
END_TEST

START_TEST(validate_errors)
{
	ck_error("resources:\n  file:\n  - name: f\n    path: rel/x\n",
		 "test.yaml:4:11: file[f]: path: must be an absolute path");
	ck_error("resources:\n  file:\n  - {name: f, path: /a//b}\n",
		 "test.yaml:3:21: file[f]: path: must not contain '//'");
	ck_error("resources:\n  file:\n  - {name: f, path: /a/../b}\n",
		 "path: must not contain '.' or '..' components");
	ck_error("resources:\n  file:\n  - {name: f, path: /}\n",
		 "path: cannot be '/' itself");
	ck_error("resources:\n  file:\n"
		 "  - {name: f, path: /x, content: a, source: /y}\n",
		 "test.yaml:3:45: file[f]: source: cannot be set together "
		 "with content");
	ck_error("resources:\n  file:\n"
		 "  - {name: f, path: /x, source: y}\n",
		 "test.yaml:3:33: file[f]: source: must be an absolute path");
	ck_error("resources:\n  file:\n"
		 "  - {name: f, path: /x, owner: no-such-user-mgmt}\n",
		 "test.yaml:3:32: file[f]: owner: unknown user "
		 "'no-such-user-mgmt'");
	ck_error("resources:\n  file:\n"
		 "  - {name: f, path: /x, group: no-such-group-mgmt}\n",
		 "test.yaml:3:32: file[f]: group: unknown group "
		 "'no-such-group-mgmt'");
	ck_error(
		"resources:\n  file:\n"
		"  - {name: f, path: /x, mode: \"17777\"}\n",
		"test.yaml:3:31: file[f]: mode \"17777\" is not an octal mode");
	ck_error("resources:\n  file:\n"
		 "  - {name: f, path: /x/, recurse: true}\n",
		 "test.yaml:3:35: file[f]: recurse: needs source");
	ck_error("resources:\n  file:\n"
		 "  - {name: f, path: /x, source: /y, recurse: true}\n",
		 "recurse: only applies to a directory");
	/* Refused as mgmt refuses them, each saying what to remove. */
	ck_assert_str_eq(
		errors("resources:\n  file:\n"
		       "  - {name: f, path: /x/, source: /y}\n"),
		"test.yaml:3:34: file[f]: source: copying into a directory "
		"(path ending in '/') needs recurse: true; set it, or remove "
		"source, or the '/' at the end of path to copy a file\n");
	ck_assert_str_eq(
		errors("resources:\n  file:\n"
		       "  - {name: f, path: /x/, content: hello}\n"),
		"test.yaml:3:35: file[f]: content: a directory (path ending "
		"in '/') has no content; remove content, or the '/' at the "
		"end of path for a file\n");
	ck_assert_str_eq(
		errors("resources:\n  file:\n"
		       "  - {name: f, path: /x, content: hi, state: absent}\n"),
		"test.yaml:3:34: file[f]: content: contradicts state: absent; "
		"remove content, or state: absent\n");
	ck_assert_str_eq(
		errors("resources:\n  file:\n"
		       "  - {name: f, path: /x, source: /y, state: absent}\n"),
		"test.yaml:3:33: file[f]: source: contradicts state: absent; "
		"remove source, or state: absent\n");
	ck_error("resources:\n  file:\n  - {name: f, path: /x, state: gone}\n",
		 "test.yaml:3:32:");
	ck_error("resources:\n  file:\n  - {name: f}\n", "path");
	/* every error is reported, not just the first */
	ck_error("resources:\n  file:\n"
		 "  - {name: f, path: /x/, content: c, owner: nobody-mgmt-x}\n",
		 "owner: unknown user");
	ck_error("resources:\n  file:\n"
		 "  - {name: f, path: /x/, content: c, owner: nobody-mgmt-x}\n",
		 "content: a directory");
	/* and good ones pass */
	ck_assert_str_eq(
		errors("resources:\n  file:\n"
		       "  - {name: f, path: /x/y, owner: \"0\", group: root, mode: \"0644\"}\n"
		       "  - {name: g, path: /x/d/, source: /s/, recurse: true, force: true}\n"),
		"");
}
END_TEST

static char edges[8][64];
static int ngot, match_at;

static int add_edge(void *ctx, int direction, const char *kind, const char *uid)
{
	ck_assert_int_eq(direction, MGMT_EDGE_AFTER);
	ck_assert_str_eq(kind, "file");
	ck_assert_int_lt(ngot, 8);
	snprintf(edges[ngot], sizeof(edges[0]), "%s", uid);
	return ++ngot == match_at;
}

START_TEST(autoedges_and_uid)
{
	const struct kind_entry *k = registry_find(&reg, "file");
	struct graph_cfg *cfg = compile("resources:\n  file:\n"
					"  - {name: f, path: /a/b/c}\n"
					"  - {name: d, path: /a/b/d/}\n");

	/* a directory's uid has no trailing '/': a file and a directory at
	 * one path collide */
	ck_assert_str_eq(k->k.uid(cfg->res[0], cfg->res[0]->params), "/a/b/c");
	ck_assert_str_eq(k->k.uid(cfg->res[1], cfg->res[1]->params), "/a/b/d");
	for (int r = 0; r < 2; r++) {
		ngot = 0;
		match_at = 0;
		k->k.autoedges(cfg->res[r], cfg->res[r]->params, add_edge,
			       NULL);
		/* parents by their uids; "/" is never a resource */
		ck_assert_int_eq(ngot, 2);
		ck_assert_str_eq(edges[0], "/a/b");
		ck_assert_str_eq(edges[1], "/a");
	}
	ngot = 0;
	match_at = 1; /* "/a/b" is managed: stop there */
	k->k.autoedges(cfg->res[0], cfg->res[0]->params, add_edge, NULL);
	ck_assert_int_eq(ngot, 1);
	config_graph_free(cfg);
}
END_TEST

static mgmt_res *members_of[3];
static bool member_moved[3];

static size_t three_members(const mgmt_res *res, mgmt_res *const **members)
{
	*members = members_of;
	return 3;
}

static bool moved(const mgmt_res *res)
{
	for (int i = 0; i < 3; i++)
		if (members_of[i] == res)
			return member_moved[i];
	return true;
}

START_TEST(group_one_pass)
{
	static struct mgmt_host th;
	const struct kind_entry *k;
	struct graph_cfg *cfg;
	mgmt_res **r;

	registry_free(&reg);
	th = *host_table();
	th.group_members = three_members;
	th.member_dirty = moved;
	load(&th);
	k = registry_find(&reg, "file");
	ck_assert_ptr_nonnull(k->k.group_cmp);
	ck_assert_int_eq(mkdir(path("g"), 0755), 0);
	ck_assert_int_eq(mkdir(path("h"), 0755), 0);
	cfg = compile(
		"resources:\n  file:\n"
		"  - {name: a, path: DIR/g/a, content: A}\n"
		"  - {name: b, path: DIR/g/b, content: B}\n"
		"  - {name: c, path: DIR/g/c, content: C}\n"
		"  - {name: o, path: DIR/h/o, content: O}\n"
		"  - {name: t, path: DIR/g/t/, source: DIR/h, recurse: true}\n");
	r = cfg->res;
	for (size_t i = 0; i < cfg->nres; i++)
		ck_assert_int_eq(k->k.init(r[i], r[i]->params), 0);
	ck_assert(k->k.group_cmp(r[0], r[0]->params, r[1], r[1]->params));
	ck_assert(k->k.group_cmp(r[0], r[0]->params, r[2], r[2]->params));
	ck_assert(!k->k.group_cmp(r[0], r[0]->params, r[3], r[3]->params));
	/* a recursive directory in the same place is never grouped */
	ck_assert(!k->k.group_cmp(r[0], r[0]->params, r[4], r[4]->params));
	/* the group key is the directory: equal within g, not for h */
	{
		const char *ka, *kb, *ko;
		size_t la = k->k.group_key(r[0], r[0]->params, &ka);
		size_t lb = k->k.group_key(r[1], r[1]->params, &kb);
		size_t lo = k->k.group_key(r[3], r[3]->params, &ko);

		ck_assert(la == lb && memcmp(ka, kb, la) == 0);
		ck_assert(la != lo || memcmp(ka, ko, la) != 0);
		ck_assert(la > 0 && ka[la - 1] == '/');
	}
	ck_assert_int_eq(k->k.group(r[0], r[0]->params, r[1], r[1]->params), 0);
	ck_assert_int_eq(k->k.group(r[0], r[0]->params, r[2], r[2]->params), 0);
	members_of[0] = r[0];
	members_of[1] = r[1];
	members_of[2] = r[2];
	member_moved[0] = member_moved[1] = member_moved[2] = true;

	ck_assert_int_eq(k->k.check_apply(r[0], r[0]->params, true),
			 MGMT_CHANGED);
	ck_assert_str_eq(get("g/a"), "A");
	ck_assert_str_eq(get("g/b"), "B");
	ck_assert_str_eq(get("g/c"), "C");
	ck_assert(!exists("h/o"));
	ck_assert_int_eq(k->k.check_apply(r[0], r[0]->params, true),
			 MGMT_CONVERGED);

	/* members without an event are not even looked at */
	ck_assert_int_eq(unlink(path("g/b")), 0);
	member_moved[1] = false;
	ck_assert_int_eq(k->k.check_apply(r[0], r[0]->params, true),
			 MGMT_CONVERGED);
	ck_assert(!exists("g/b"));
	member_moved[1] = true;
	ck_assert_int_eq(k->k.check_apply(r[0], r[0]->params, true),
			 MGMT_CHANGED);
	ck_assert_str_eq(get("g/b"), "B");

	/* one member failing fails the group; the others are still done */
	ck_assert_int_eq(unlink(path("g/a")), 0);
	ck_assert_int_eq(unlink(path("g/b")), 0);
	ck_assert_int_eq(mkdir(path("g/b"), 0755), 0);
	ck_assert_int_eq(unlink(path("g/c")), 0);
	ck_assert_int_eq(k->k.check_apply(r[0], r[0]->params, true),
			 MGMT_ERROR);
	ck_assert_str_eq(get("g/a"), "A");
	ck_assert_str_eq(get("g/c"), "C");
	ck_logged("File[b]: ");
	for (size_t i = 0; i < cfg->nres; i++)
		k->k.cleanup(r[i], r[i]->params);
	config_graph_free(cfg);
}
END_TEST

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* `names` (n of them) sorted, one space between (static buffer). */
static const char *sorted(const char **names, size_t n)
{
	static char out[8192];
	size_t len = 0;

	qsort(names, n, sizeof(*names), cmp_names);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
					i ? " " : "", names[i]);
		ck_assert_int_lt(len, sizeof(out));
	}
	return out;
}

/* The entries of DIR/sub as sorted() gives them; *n: how many. */
static const char *listing_n(const char *sub, size_t *n)
{
	static char names[512][NAME_MAX + 1];
	const char *p[512];
	DIR *d = opendir(path(sub));
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	*n = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		ck_assert_uint_lt(*n, 512);
		snprintf(names[*n], sizeof(names[0]), "%s", e->d_name);
		p[*n] = names[*n];
		++*n;
	}
	closedir(d);
	return sorted(p, *n);
}

static const char *listing(const char *sub)
{
	size_t n;

	return listing_n(sub, &n);
}

/* Debris of a killed engine, and things named like it that are not. */
START_TEST(stale_temporaries_swept)
{
	char lname[NAME_MAX + 1], ltmp[NAME_MAX + 1], yaml[2048];
	char line[NAME_MAX + 8];
	const char *debris[] = { ".mgmt-a.Ab12Cd", ".mgmt-a.x9Y8z7",
				 ".mgmt-bb.zzzzzz", ltmp };
	/* look-alikes: each must survive for the reason given */
	const char *kept[] = {
		".mgmt-a.Locked",  /* its writer holds it (the test does) */
		".mgmt-a.nobody",  /* someone else's (as root) */
		".mgmt-a.dirdir",  /* a directory */
		".mgmt-a.symlnk",  /* a symlink (to a file of ours) */
		".mgmt-a.fifo00",  /* a fifo */
		".mgmt-bb.hardln", /* two links: also `keep` */
		".mgmt-c.Ab12Cd",  /* c is not managed here */
		".mgmt-bb.Ab12C",  /* too short a random part */
		".mgmt-bb.Ab-2Cd", /* not letters and digits */
		"mgmt-a.Ab12Cd",   /* no leading dot */
		".mgmt-a",         /* no random part */
		"keep",
		"target",
	};
	const char *want[32];
	struct passwd *pw = getpwnam("nobody");
	size_t nwant = 0;
	int held;

	/* a managed name longer than a temporary's NAME: cut, as written */
	memset(lname, 'l', 250);
	lname[250] = '\0';
	snprintf(ltmp, sizeof(ltmp), ".mgmt-%.*s.L0ng99",
		 (int)(NAME_MAX - 6 - 7), lname);
	ck_assert_int_eq(strlen(ltmp), NAME_MAX);
	ck_assert_int_eq(mkdir(path("t"), 0755), 0);
	ck_assert_int_eq(mkdir(path("u"), 0755), 0);
	for (size_t i = 0; i < sizeof(debris) / sizeof(*debris); i++) {
		snprintf(line, sizeof(line), "t/%s", debris[i]);
		put(line, "part of a file");
	}
	/* a final mode of 0200 was set before the kill */
	ck_assert_int_eq(chmod(path("t/.mgmt-a.x9Y8z7"), 0200), 0);
	put("t/.mgmt-a.Locked", "being written");
	held = open(path("t/.mgmt-a.Locked"), O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(held, 0);
	ck_assert_int_eq(flock(held, LOCK_EX), 0);
	put("t/.mgmt-a.nobody", "not ours");
	if (geteuid() == 0 && pw)
		ck_assert_int_eq(chown(path("t/.mgmt-a.nobody"), pw->pw_uid,
				       (gid_t)-1),
				 0);
	else
		fprintf(stderr, "# stale_temporaries_swept: the file of "
				"another owner is not tried: needs root\n");
	ck_assert_int_eq(mkdir(path("t/.mgmt-a.dirdir"), 0700), 0);
	put("t/target", "target");
	ck_assert_int_eq(symlink("target", path("t/.mgmt-a.symlnk")), 0);
	ck_assert_int_eq(mkfifo(path("t/.mgmt-a.fifo00"), 0600), 0);
	put("t/keep", "keep");
	ck_assert_int_eq(link(path("t/keep"), path("t/.mgmt-bb.hardln")), 0);
	put("t/.mgmt-c.Ab12Cd", "x");
	put("t/.mgmt-bb.Ab12C", "x");
	put("t/.mgmt-bb.Ab-2Cd", "x");
	put("t/mgmt-a.Ab12Cd", "x");
	put("t/.mgmt-a", "x");
	/* u: two vertices in one directory; the first to run sweeps for
	 * both */
	put("u/.mgmt-u2.Ab12Cd", "part");

	snprintf(yaml, sizeof(yaml),
		 "resources:\n  file:\n"
		 "  - {name: a, path: DIR/t/a, content: A}\n"
		 "  - {name: bb, path: DIR/t/bb, content: B}\n"
		 "  - {name: l, path: DIR/t/%s, content: L}\n"
		 "  - {name: u1, path: DIR/u/u1, meta: {autogroup: false}}\n"
		 "  - {name: u2, path: DIR/u/u2, meta: {autogroup: false}}\n",
		 lname);
	ck_assert_int_eq(run(yaml), 0);

	for (size_t i = 0; i < sizeof(kept) / sizeof(*kept); i++)
		want[nwant++] = kept[i];
	want[nwant++] = "a";
	want[nwant++] = "bb";
	want[nwant++] = lname;
	ck_assert_str_eq(listing("t"), sorted(want, nwant));
	ck_assert_str_eq(listing("u"), "u1 u2");
	snprintf(line, sizeof(line), "removed %zu stale temporary files",
		 sizeof(debris) / sizeof(*debris));
	ck_logged(line);
	ck_logged("removed 1 stale temporary file (.mgmt-*) left in ");
	ck_assert_str_eq(get("t/target"), "target");
	ck_assert_str_eq(get("t/keep"), "keep");
	close(held);
}
END_TEST

/* Once per directory and run (converged checks read no directory), again
 * after a failed write there, never in noop mode. */
START_TEST(stale_temporaries_once)
{
	static char big[128 * 1024];
	const struct kind_entry *k = registry_find(&reg, "file");
	struct rlimit old, small;
	struct graph_cfg *cfg;
	mgmt_res *a, *b;

	memset(big, 'b', sizeof(big) - 1);
	put("src", big);
	ck_assert_int_eq(mkdir(path("v"), 0755), 0);
	cfg = compile("resources:\n  file:\n"
		      "  - {name: a, path: DIR/v/a, content: A}\n"
		      "  - {name: b, path: DIR/v/b, source: DIR/src}\n");
	a = cfg->res[0];
	b = cfg->res[1];
	ck_assert_int_eq(k->k.init(a, a->params), 0);
	ck_assert_int_eq(k->k.init(b, b->params), 0);

	put("v/.mgmt-a.first0", "part");
	ck_assert_int_eq(k->k.check_apply(a, a->params, false), MGMT_CHANGED);
	ck_assert_str_eq(listing("v"), ".mgmt-a.first0");
	ck_assert_int_eq(k->k.check_apply(a, a->params, true), MGMT_CHANGED);
	ck_assert_str_eq(listing("v"), "a");

	/* swept: what appears now stays for this run */
	put("v/.mgmt-b.second", "part");
	ck_assert_int_eq(k->k.check_apply(a, a->params, true), MGMT_CONVERGED);
	ck_assert_int_eq(k->k.check_apply(b, b->params, true), MGMT_CHANGED);
	ck_assert_str_eq(listing("v"), ".mgmt-b.second a b");

	/* a write that fails once its temporary exists (too big for the
	 * file size limit): the next check sweeps again */
	ck_assert_int_eq(unlink(path("v/b")), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = sizeof(big) / 2;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	ck_assert_int_eq(k->k.check_apply(b, b->params, true), MGMT_ERROR);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	ck_logged("File[b]: cannot write ");
	ck_assert_str_eq(listing("v"), ".mgmt-b.second a");
	ck_assert_int_eq(k->k.check_apply(a, a->params, true), MGMT_CONVERGED);
	ck_assert_str_eq(listing("v"), "a");

	k->k.cleanup(a, a->params);
	k->k.cleanup(b, b->params);
	config_graph_free(cfg);
}
END_TEST

#define NSTOP 300

static int stop_efd = -1;
static bool stop_armed;
static mgmt_res *stop_res[NSTOP];

static int stop_fd_test(void)
{
	return stop_efd;
}

static size_t stop_members(const mgmt_res *res, mgmt_res *const **members)
{
	*members = stop_res;
	return NSTOP;
}

/* Asked just before each member is checked: the first one fires the
 * stop signal, once. */
static bool stop_at_first(const mgmt_res *res)
{
	if (res == stop_res[0] && stop_armed) {
		stop_armed = false;
		ck_assert_int_eq(eventfd_write(stop_efd, 1), 0);
	}
	return true;
}

START_TEST(group_stops_between_members)
{
	static struct mgmt_host th;
	static char yaml[NSTOP * 96];
	const struct kind_entry *k;
	struct graph_cfg *cfg;
	eventfd_t v;
	char want[64], name[32];
	size_t len, done, n;
	int r;

	registry_free(&reg);
	th = *host_table();
	th.group_members = stop_members;
	th.member_dirty = stop_at_first;
	th.stop_fd = stop_fd_test;
	load(&th);
	k = registry_find(&reg, "file");
	ck_assert_int_eq(mkdir(path("s"), 0755), 0);
	len = (size_t)snprintf(yaml, sizeof(yaml), "resources:\n  file:\n");
	for (int i = 0; i < NSTOP; i++)
		len += (size_t)snprintf(yaml + len, sizeof(yaml) - len,
					"  - {name: m%d, path: DIR/s/m%d, "
					"content: \"i am m%d\\n\"}\n",
					i, i, i);
	ck_assert_int_lt(len, sizeof(yaml));
	cfg = compile(yaml);
	ck_assert_int_eq(cfg->nres, NSTOP);
	for (int i = 0; i < NSTOP; i++) {
		stop_res[i] = cfg->res[i];
		ck_assert_int_eq(k->k.init(cfg->res[i], cfg->res[i]->params),
				 0);
	}
	stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(stop_efd, 0);
	stop_armed = true;

	r = k->k.check_apply(stop_res[0], stop_res[0]->params, true);
	ck_assert_int_eq(r, -ECANCELED);
	/* a prefix of the members, each complete; nothing else, not even
	 * a temporary file */
	for (done = 0; done < NSTOP; done++) {
		snprintf(name, sizeof(name), "s/m%zu", done);
		if (!exists(name))
			break;
	}
	ck_assert_uint_ge(done, 1);
	ck_assert_uint_lt(done, NSTOP);
	for (size_t i = 0; i < done; i++) {
		snprintf(name, sizeof(name), "s/m%zu", i);
		snprintf(want, sizeof(want), "i am m%zu\n", i);
		ck_assert_str_eq(get(name), want);
	}
	listing_n("s", &n);
	ck_assert_uint_eq(n, done);
	snprintf(want, sizeof(want), "stop signal: %zu of %d files left",
		 NSTOP - done, NSTOP);
	ck_logged(want);

	/* the next run does the rest */
	ck_assert_int_eq(eventfd_read(stop_efd, &v), 0);
	ck_assert_int_eq(k->k.check_apply(stop_res[0], stop_res[0]->params,
					  true),
			 MGMT_CHANGED);
	listing_n("s", &n);
	ck_assert_uint_eq(n, NSTOP);

	for (int i = 0; i < NSTOP; i++)
		k->k.cleanup(cfg->res[i], cfg->res[i]->params);
	config_graph_free(cfg);
	close(stop_efd);
	stop_efd = -1;
}
END_TEST

#define BIG (4 << 20)

static atomic_int reads, stop, bad;

static void *reader(void *arg)
{
	char *buf = malloc(BIG + 1);

	if (!buf) {
		atomic_fetch_add(&bad, 1);
		return NULL;
	}
	while (!atomic_load(&stop)) {
		int fd = open(arg, O_RDONLY);
		size_t got = 0;
		ssize_t n;

		if (fd < 0) {
			atomic_fetch_add(&bad, 1); /* it must always exist */
			break;
		}
		while ((n = read(fd, buf + got, BIG + 1 - got)) > 0)
			got += (size_t)n;
		close(fd);
		if (got != BIG || (buf[0] != 'a' && buf[0] != 'b') ||
		    memchr(buf, buf[0] == 'a' ? 'b' : 'a', got) ||
		    buf[got - 1] != buf[0])
			atomic_fetch_add(&bad, 1);
		atomic_fetch_add(&reads, 1);
	}
	free(buf);
	return NULL;
}

START_TEST(atomic_rewrite)
{
	const struct kind_entry *k = registry_find(&reg, "file");
	char *content = malloc(BIG + 1);
	struct graph_cfg *cfg;
	mgmt_res *r;
	pthread_t t;
	char target[PATH_MAX];

	ck_assert_ptr_nonnull(content);
	content[BIG] = '\0';
	memset(content, 'a', BIG);
	put("src", content);
	cfg = compile("resources:\n  file:\n"
		      "  - {name: big, path: DIR/big, source: DIR/src}\n");
	r = cfg->res[0];
	ck_assert_int_eq(k->k.init(r, r->params), 0);
	ck_assert_int_eq(k->k.check_apply(r, r->params, true), MGMT_CHANGED);
	snprintf(target, sizeof(target), "%s", path("big"));
	atomic_store(&reads, 0);
	atomic_store(&stop, 0);
	atomic_store(&bad, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, reader, target), 0);
	for (int i = 0; i < 20; i++) {
		int before = atomic_load(&reads);

		memset(content, i % 2 ? 'a' : 'b', BIG);
		put("src", content);
		ck_assert_int_eq(k->k.check_apply(r, r->params, true),
				 MGMT_CHANGED);
		/* let the reader finish a read of this version */
		while (atomic_load(&reads) < before + 2 && !atomic_load(&bad))
			sched_yield();
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	ck_assert_int_eq(atomic_load(&bad), 0);
	ck_assert_int_ge(atomic_load(&reads), 40);
	k->k.cleanup(r, r->params);
	config_graph_free(cfg);
	free(content);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("file");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, content_create_update_unchanged);
	tcase_add_test(tc, no_content_creates_empty_keeps_existing);
	tcase_add_test(tc, longest_name);
	tcase_add_test(tc, source_copy);
	tcase_add_test(tc, absent);
	tcase_add_test(tc, mode);
	tcase_add_test(tc, owner_group);
	tcase_add_test(tc, symlink_replaced_not_followed);
	tcase_add_test(tc, force_replaces);
	tcase_add_test(tc, recurse_copy);
	tcase_add_test(tc, noop_changes_nothing);
	tcase_add_test(tc, validate_errors);
	tcase_add_test(tc, autoedges_and_uid);
	tcase_add_test(tc, group_one_pass);
	tcase_add_test(tc, stale_temporaries_swept);
	tcase_add_test(tc, stale_temporaries_once);
	tcase_add_test(tc, group_stops_between_members);
	tcase_add_test(tc, atomic_rewrite);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

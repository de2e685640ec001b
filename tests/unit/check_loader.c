/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_loader.c - the plugin loader against real shared objects: the
 * fixture plugins of tests/unit/fixtures (one per way a plugin can be wrong),
 * each test copying those it needs into its own fresh directory under the
 * build tree's tests/tmp.  Asserts which kinds register, the error count and
 * the text of each log line (file, expected and found version, reason).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "loader/loader.h"
#include "runner.h"

#define MAX_LINES 64

static char lines[MAX_LINES][1024];
static int levels[MAX_LINES];
static int nlines;
static char tmp[PATH_MAX];  /* this test's directory (real path) */
static bool perms_testable; /* tmp's ancestors are safe, see setup */
static int fini_calls;
static struct registry reg;

/* What the loader said it was busy with when good.so's init and fini ran,
 * and how many lines had been logged by then. */
struct busy_seen {
	char path[PATH_MAX];
	const char *phase;
	int after_lines;
};
static struct busy_seen at_init, at_fini;

/* What plugins logged through the test host, in order. */
static char said[16][256];
static int nsaid;

static void sink(int level, const char *line, void *ctx)
{
	if (nlines < MAX_LINES) {
		levels[nlines] = level;
		snprintf(lines[nlines++], sizeof(lines[0]), "%s", line);
	}
}

static void note_busy(struct busy_seen *at)
{
	const char *path = loader_busy_with(&at->phase);

	snprintf(at->path, sizeof(at->path), "%s", path ? path : "(none)");
	if (!path)
		at->phase = "(none)";
	at->after_lines = nlines;
}

/* The test host: good.so's init and fini report "good: init" and "good:
 * fini" through it. */
static void host_vlog(const mgmt_res *res, int level, const char *fmt,
		      va_list ap)
{
	char buf[256];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (nsaid < 16)
		snprintf(said[nsaid++], sizeof(said[0]), "%s", buf);
	if (strcmp(buf, "good: init") == 0)
		note_busy(&at_init);
	if (strcmp(buf, "good: fini") == 0) {
		fini_calls++;
		note_busy(&at_fini);
	}
}

static void host_log(const mgmt_res *res, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_vlog(res, level, fmt, ap);
	va_end(ap);
}

static const struct mgmt_host test_host = {
	.abi_major = MGMT_ABI_MAJOR,
	.abi_minor = MGMT_ABI_MINOR,
	.size = sizeof(struct mgmt_host),
	.log = host_log,
	.vlog = host_vlog,
};

/* The first logged line containing every one of the strings given, or -1. */
static int line_with(const char *a, const char *b, const char *c)
{
	for (int i = 0; i < nlines; i++)
		if (strstr(lines[i], a) && (!b || strstr(lines[i], b)) &&
		    (!c || strstr(lines[i], c)))
			return i;
	return -1;
}

static bool saw(const char *a, const char *b, const char *c)
{
	return line_with(a, b, c) >= 0;
}

static void dump_lines(void)
{
	for (int i = 0; i < nlines; i++)
		fprintf(stderr, "# log: %s\n", lines[i]);
}

#define ck_saw(a, b, c)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b), *c_ = (c);                    \
		bool ok_ = saw(a_, b_, c_);                                    \
		if (!ok_)                                                      \
			dump_lines();                                          \
		ck_assert_msg(ok_, "no log line with '%s' '%s' '%s'", a_,      \
			      b_ ? b_ : "", c_ ? c_ : "");                     \
	} while (0)

/* dir/name, in one of a ring of buffers: good for a few uses at once. */
static char *path_of(const char *dir, const char *name)
{
	static char bufs[16][PATH_MAX];
	static unsigned next;
	char *p = bufs[next++ % 16];
	int n = snprintf(p, PATH_MAX, "%s/%s", dir, name);

	ck_assert_int_lt(n, PATH_MAX);
	return p;
}

/* Make directory parent/name; its path stays valid for the whole test. */
static char *mkdir_in(const char *parent, const char *name, mode_t mode)
{
	static char dirs[16][PATH_MAX];
	static unsigned ndirs;
	char *p = dirs[ndirs++ % 16];

	snprintf(p, PATH_MAX, "%s", path_of(parent, name));
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(chmod(p, mode), 0); /* umask-proof */
	return p;
}

/* Copy fixture NAME.so into dir as `as` (mode 0644). */
static void fixture(const char *dir, const char *name, const char *as)
{
	const char *fx = getenv("MGMT_FIXTURES_DIR");
	char src[PATH_MAX], buf[65536];
	int in, out;
	ssize_t n;

	ck_assert_msg(fx != NULL,
		      "MGMT_FIXTURES_DIR unset: run via make check");
	snprintf(src, sizeof(src), "%s/%s.so", fx, name);
	in = open(src, O_RDONLY);
	ck_assert_msg(in >= 0, "%s: %s", src, strerror(errno));
	out = open(path_of(dir, as ? as : name), O_WRONLY | O_CREAT | O_EXCL,
		   0600);
	ck_assert_int_ge(out, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(fchmod(out, 0644), 0);
	close(in);
	close(out);
}

static void fixtures(const char *dir, const char *const *names)
{
	for (; *names; names++) {
		char as[256];

		snprintf(as, sizeof(as), "%s.so", *names);
		fixture(dir, *names, as);
	}
}

/* Load with `dirs` only (no env, no builtin). */
static int load(const char *const *dirs, bool check_perms, uint32_t minor)
{
	struct loader_opts o;

	loader_opts_default(&o);
	o.dirs = dirs;
	o.use_env = false;
	o.use_builtin = false;
	o.abi_minor = minor;
	o.check_perms = check_perms;
	o.host = &test_host;
	nlines = 0;
	return registry_load(&reg, &o);
}

static int load1(const char *dir, bool check_perms)
{
	const char *dirs[] = { dir, NULL };

	return load(dirs, check_perms, MGMT_ABI_MINOR);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

/* Kind `name` registered, from a plugin file ending in `file`. */
static void ck_kind(const char *name, const char *file)
{
	const struct kind_entry *e = registry_find(&reg, name);

	ck_assert_msg(e != NULL, "kind '%s' not registered", name);
	ck_assert_str_eq(e->k.name, name);
	ck_assert_msg(ends_with(e->plugin->path, file), "kind %s from %s", name,
		      e->plugin->path);
}

/* The message a version mismatch must give. */
static const char *abi_msg(unsigned maj, unsigned min, unsigned emin,
			   const char *why)
{
	static char buf[256];

	snprintf(
		buf, sizeof(buf),
		"built for SDK ABI %u.%u, this engine has ABI %u.%u (%s); skipped",
		maj, min, MGMT_ABI_MAJOR, emin, why);
	return buf;
}

/* Would a directory under `dir` pass the loader's ancestor rules?  Checked
 * here independently, so a build tree below a group-writable directory
 * (umask 002) does not fail the permission tests spuriously. */
static bool ancestors_safe(const char *dir)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (;;) {
		struct stat st;
		char *slash;

		if (lstat(buf, &st) < 0 ||
		    (st.st_uid != 0 && st.st_uid != geteuid()) ||
		    ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)))
			return false;
		slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			break;
		*slash = '\0';
	}
	return true;
}

static void setup(void)
{
	const char *top = getenv("MGMT_TOP_BUILDDIR");
	char base[PATH_MAX], tmpl[PATH_MAX];

	ck_assert_msg(top != NULL,
		      "MGMT_TOP_BUILDDIR unset: run via make check");
	snprintf(base, sizeof(base), "%s/tests", top);
	mkdir(base, 0755);
	snprintf(base, sizeof(base), "%s/tests/tmp", top);
	mkdir(base, 0755);
	ck_assert_int_eq(chmod(base, 0755), 0);
	ck_assert_int_lt(snprintf(tmpl, sizeof(tmpl), "%s/loader.XXXXXX", base),
			 (int)sizeof(tmpl));
	ck_assert(mkdtemp(tmpl) != NULL);
	ck_assert_int_eq(chmod(tmpl, 0755), 0);
	ck_assert(realpath(tmpl, tmp) != NULL);
	perms_testable = ancestors_safe(tmp);
	if (!perms_testable)
		fprintf(stderr,
			"# %s has an unsafe ancestor: permission "
			"checks are not tested here\n",
			tmp);
	log_set_sink(sink, NULL);
	nlines = 0;
	fini_calls = 0;
	nsaid = 0;
	memset(&at_init, 0, sizeof(at_init));
	memset(&at_fini, 0, sizeof(at_fini));
	memset(&reg, 0, sizeof(reg));
}

static int rm_entry(const char *p, const struct stat *st, int flag,
		    struct FTW *f)
{
	return remove(p);
}

static void teardown(void)
{
	registry_free(&reg);
	log_set_sink(NULL, NULL);
	log_level = MGMT_LOG_INFO;
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

START_TEST(test_good_loads)
{
	const struct kind_entry *e;

	fixture(tmp, "good", "good.so");
	ck_assert_int_eq(load1(tmp, perms_testable), 0);
	if (nlines)
		dump_lines();
	ck_assert_int_eq(nlines, 0);
	ck_assert_uint_eq(reg.nerrors, 0);
	ck_assert_uint_eq(reg.nplugins, 1);
	ck_assert_uint_eq(reg.nkinds, 1);
	ck_kind("good", "/good.so");
	e = registry_find(&reg, "good");
	ck_assert_uint_eq(e->nparams, 5);
	ck_assert_str_eq(e->k.params[0].name, "path");
	ck_assert_ptr_null(e->k.params[5].name);
	ck_assert_str_eq(e->plugin->desc.name, "good");
	ck_assert_ptr_nonnull(e->plugin->desc.fini);
	ck_assert_uint_eq(e->plugin->nkinds, 1);
	ck_assert_ptr_null(registry_find(&reg, "nope"));
	ck_assert_ptr_null(registry_find(&reg, ""));
	/* fini runs at free, through the host table init was given. */
	registry_free(&reg);
	ck_assert_int_eq(fini_calls, 1);
	ck_assert_uint_eq(reg.nkinds, 0);
	ck_assert_ptr_null(reg.kinds);
}
END_TEST

START_TEST(test_wrong_major)
{
	fixtures(tmp, (const char *[]){ "wrong_major", "good", NULL });
	ck_assert_int_eq(load1(tmp, false), 0);
	ck_saw(path_of(tmp, "wrong_major.so: "),
	       abi_msg(MGMT_ABI_MAJOR + 1, 0, MGMT_ABI_MINOR,
		       "major must match"),
	       NULL);
	ck_assert_ptr_null(registry_find(&reg, "wrong_major"));
	ck_kind("good", "/good.so");
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_assert_uint_eq(reg.nplugins, 1);
}
END_TEST

START_TEST(test_newer_minor)
{
	const char *dirs[] = { tmp, NULL };

	fixture(tmp, "newer_minor", "newer_minor.so");
	ck_assert_int_eq(load1(tmp, false), 0);
	ck_saw(path_of(tmp, "newer_minor.so: "),
	       abi_msg(MGMT_ABI_MAJOR, MGMT_ABI_MINOR + 3, MGMT_ABI_MINOR,
		       "plugin is newer"),
	       NULL);
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_assert_uint_eq(reg.nkinds, 0);
	ck_assert_uint_eq(reg.nplugins, 0);
	registry_free(&reg);

	/* An engine of that minor takes it. */
	ck_assert_int_eq(load(dirs, false, MGMT_ABI_MINOR + 3), 0);
	ck_assert_uint_eq(reg.nerrors, 0);
	ck_kind("newer_minor", "/newer_minor.so");
}
END_TEST

START_TEST(test_older_minor_loads)
{
	const char *dirs[] = { tmp, NULL };

	fixture(tmp, "older", "older.so");
	ck_assert_int_eq(load(dirs, false, MGMT_ABI_MINOR + 1), 0);
	ck_assert_int_eq(nlines, 0);
	ck_assert_uint_eq(reg.nerrors, 0);
	ck_kind("older", "/older.so");
	ck_assert_uint_eq(registry_find(&reg, "older")->nparams, 0);
	ck_assert_ptr_nonnull(registry_find(&reg, "older")->k.params);
}
END_TEST

/* A plugin built by this SDK with MGMT_TARGET_ABI_MINOR 0 says 1.0 in its
 * descriptor and kinds: an engine of minor 0 loads it, and refuses one built
 * for this SDK's own minor (good.so); this engine loads both. */
START_TEST(test_target_minor)
{
	const char *dirs[] = { tmp, NULL };
	const struct kind_entry *e;

	fixtures(tmp, (const char *[]){ "target_1_0", "good", NULL });
	ck_assert_int_eq(load(dirs, false, 0), 0);
	ck_kind("target_1_0", "/target_1_0.so");
	e = registry_find(&reg, "target_1_0");
	ck_assert_uint_eq(e->plugin->desc.abi_major, MGMT_ABI_MAJOR);
	ck_assert_uint_eq(e->plugin->desc.abi_minor, 0);
	ck_assert_uint_eq(e->k.abi_minor, 0);
	ck_assert_uint_eq(e->nparams, 1);
	ck_saw(path_of(tmp, "good.so: "),
	       abi_msg(MGMT_ABI_MAJOR, MGMT_ABI_MINOR, 0, "plugin is newer"),
	       NULL);
	ck_assert_ptr_null(registry_find(&reg, "good"));
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_assert_uint_eq(reg.nplugins, 1);
	registry_free(&reg);

	ck_assert_int_eq(load1(tmp, false), 0);
	ck_assert_uint_eq(reg.nerrors, 0);
	ck_kind("target_1_0", "/target_1_0.so");
	ck_kind("good", "/good.so");
}
END_TEST

START_TEST(test_small_size_defaults)
{
	const struct kind_entry *e;

	fixture(tmp, "small_size", "small_size.so");
	ck_assert_int_eq(load1(tmp, false), 0);
	ck_assert_int_eq(nlines, 0);
	ck_assert_uint_eq(reg.nerrors, 0);
	ck_kind("small_size", "/small_size.so");
	e = registry_find(&reg, "small_size");
	ck_assert_uint_eq(e->k.size, offsetof(struct mgmt_kind, group_key));
	ck_assert_ptr_nonnull(e->k.check_apply);
	ck_assert_ptr_nonnull(e->k.collect);
	ck_assert_ptr_null(e->k.group_key);
}
END_TEST

/* Did a plugin log exactly `want` through the test host? */
static bool host_said(const char *want)
{
	for (int i = 0; i < nsaid; i++)
		if (strcmp(said[i], want) == 0)
			return true;
	for (int i = 0; i < nsaid; i++)
		fprintf(stderr, "# host heard: %s\n", said[i]);
	return false;
}

/* A plugin built by the 1.0 SDK (its frozen headers, see abi_1_0.c) loads
 * into this engine and its hooks run: descriptor and kind as 1.0 wrote
 * them, its schema read right, its init given the host table. */
START_TEST(test_abi_1_0_runs)
{
	const struct kind_entry *e;
	char text[] = "hello", want[128];
	char *p;

	fixture(tmp, "abi_1_0", "abi_1_0.so");
	ck_assert_int_eq(load1(tmp, false), 0);
	if (nlines)
		dump_lines();
	ck_assert_int_eq(nlines, 0);
	ck_assert_uint_eq(reg.nerrors, 0);
	ck_kind("abi_1_0", "/abi_1_0.so");
	e = registry_find(&reg, "abi_1_0");
	ck_assert_uint_eq(e->plugin->desc.abi_major, 1);
	ck_assert_uint_eq(e->plugin->desc.abi_minor, 0);
	ck_assert_uint_eq(e->plugin->desc.size,
			  offsetof(struct mgmt_plugin, fini) +
				  sizeof(e->plugin->desc.fini));
	ck_assert_uint_eq(e->k.abi_minor, 0);
	ck_assert_uint_eq(e->k.size, offsetof(struct mgmt_kind, group_key));
	ck_assert_ptr_null(e->k.group_key);
	snprintf(want, sizeof(want), "abi_1_0: init, host table of ABI %u.%u",
		 MGMT_ABI_MAJOR, MGMT_ABI_MINOR);
	ck_assert(host_said(want));

	/* Its per-resource struct, filled through its own schema. */
	ck_assert_uint_eq(e->nparams, 3);
	ck_assert_str_eq(e->k.params[0].name, "greeting");
	ck_assert_int_eq(e->k.params[1].type, MGMT_PARAM_INT);
	ck_assert_str_eq(e->k.params[2].name, "loud");
	p = calloc(1, e->k.params_size);
	ck_assert_ptr_nonnull(p);
	*(char **)(p + e->k.params[0].offset) = text;
	*(int64_t *)(p + e->k.params[1].offset) = 2;
	*(bool *)(p + e->k.params[2].offset) = true;
	ck_assert_int_eq(e->k.validate(NULL, p), 0);
	ck_assert_int_eq(e->k.check_apply(NULL, p, true), MGMT_CHANGED);
	ck_assert(host_said("abi_1_0: hello x2!"));
	ck_assert_int_eq(e->k.check_apply(NULL, p, false), MGMT_CONVERGED);
	ck_assert(host_said("abi_1_0: hello x2! (noop)"));
	free(p);
	registry_free(&reg);
	ck_assert(host_said("abi_1_0: fini"));
}
END_TEST

START_TEST(test_bad_descriptor)
{
	char want[128];

	fixtures(tmp, (const char *[]){ "bad_size", "no_name", "no_kinds",
					"good", NULL });
	ck_assert_int_eq(load1(tmp, false), 0);
	snprintf(
		want, sizeof(want),
		"descriptor size 12 is too small: SDK ABI %u.0 needs at least %zu bytes; rebuild it with MGMT_PLUGIN_DEFINE from the SDK; skipped",
		MGMT_ABI_MAJOR, sizeof(struct mgmt_plugin));
	ck_saw(path_of(tmp, "bad_size.so: "), want, NULL);
	ck_saw(path_of(tmp, "no_name.so: descriptor has no name; skipped"),
	       NULL, NULL);
	ck_saw(path_of(tmp, "no_kinds.so: defines no kinds; skipped"), NULL,
	       NULL);
	ck_assert_uint_eq(reg.nerrors, 3);
	ck_assert_uint_eq(reg.nkinds, 1);
	ck_kind("good", "/good.so");
}
END_TEST

/* A descriptor that ends before init, as no SDK ever wrote one: its plugin
 * would never get the host table, so it is refused, saying what size was
 * found and which is needed. */
START_TEST(test_short_descriptor)
{
	char want[256];

	/* The 1.0 layout is every member there is: the descriptor has not
	 * grown since (if it does, MGMT_HAS_MEMBER rules apply to the new
	 * members, and this test must say so). */
	ck_assert_uint_eq(sizeof(struct mgmt_plugin),
			  offsetof(struct mgmt_plugin, fini) + sizeof(void *));
	fixtures(tmp, (const char *[]){ "short_desc", "good", NULL });
	ck_assert_int_eq(load1(tmp, false), 0);
	snprintf(
		want, sizeof(want),
		"descriptor size %zu is too small: SDK ABI %u.0 needs at least %zu bytes; rebuild it with MGMT_PLUGIN_DEFINE from the SDK; skipped",
		offsetof(struct mgmt_plugin, init), MGMT_ABI_MAJOR,
		sizeof(struct mgmt_plugin));
	ck_saw(path_of(tmp, "short_desc.so: "), want, NULL);
	ck_assert_ptr_null(registry_find(&reg, "short_desc"));
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_assert_uint_eq(reg.nrefused, 1);
	ck_assert_uint_eq(reg.nplugins, 1);
	ck_kind("good", "/good.so");
}
END_TEST

START_TEST(test_no_descriptor)
{
	fixtures(tmp, (const char *[]){ "nodesc", "good", NULL });
	ck_assert_int_eq(load1(tmp, false), 0);
	ck_saw(path_of(tmp, "nodesc.so: no mgmt_plugin_descriptor symbol "
			    "(not an mgmt-engine plugin?)"),
	       NULL, NULL);
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_kind("good", "/good.so");
}
END_TEST

START_TEST(test_duplicate_kind)
{
	const char *msg;

	fixtures(tmp, (const char *[]){ "dup_b", "dup_a", NULL });
	ck_assert_int_eq(load1(tmp, false), 0);
	/* Name order within a directory: dup_a.so comes first. */
	ck_kind("dup", "/dup_a.so");
	ck_assert_str_eq(registry_find(&reg, "dup")->k.doc, "from dup_a");
	ck_kind("dup_b", "/dup_b.so");
	msg = path_of(tmp, "dup_b.so: kind 'dup' already defined by ");
	ck_saw(msg, path_of(tmp, "dup_a.so; skipped"), NULL);
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_assert_uint_eq(reg.nplugins, 2);
	ck_assert_uint_eq(reg.nkinds, 2);
}
END_TEST

/* The installed directories: the site one first, so a plugin put there by
 * hand overrides the packaged kind (doc/abi.md, "Where plugins are found"),
 * and both after the directories given. */
static int load_installed(const char *given, const char *site,
			  const char *builtin)
{
	const char *dirs[] = { given, NULL };
	struct loader_opts o;

	loader_opts_default(&o);
	o.dirs = given ? dirs : NULL;
	o.use_env = false;
	o.site_dir = site;
	o.builtin_dir = builtin;
	o.check_perms = false;
	o.host = &test_host;
	nlines = 0;
	return registry_load(&reg, &o);
}

START_TEST(test_site_dir_first)
{
	char *site = mkdir_in(tmp, "site", 0755);
	char *pkg = mkdir_in(tmp, "pkg", 0755);

	fixture(site, "dup_b", "site.so");
	fixture(pkg, "dup_a", "a-packaged.so");
	ck_assert_int_eq(load_installed(NULL, site, pkg), 0);
	ck_kind("dup", "/site/site.so");
	ck_kind("dup_b", "/site/site.so");
	ck_saw(path_of(pkg, "a-packaged.so: kind 'dup' already defined by "),
	       path_of(site, "site.so; skipped"), NULL);
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_assert_uint_eq(reg.nrefused, 0);
}
END_TEST

START_TEST(test_given_dir_before_site)
{
	char *given = mkdir_in(tmp, "given", 0755);
	char *site = mkdir_in(tmp, "site", 0755);

	fixture(given, "dup_a", "z-given.so");
	fixture(site, "dup_b", "a-site.so");
	ck_assert_int_eq(load_installed(given, site, NULL), 0);
	ck_kind("dup", "/given/z-given.so");
	ck_kind("dup_b", "/site/a-site.so");
}
END_TEST

START_TEST(test_site_dir_is_builtin)
{
	char *both = mkdir_in(tmp, "both", 0755);

	fixture(both, "good", "good.so");
	ck_assert_int_eq(load_installed(NULL, both, both), 0);
	ck_kind("good", "/both/good.so");
	ck_assert_uint_eq(reg.nplugins, 1);
	ck_assert_uint_eq(reg.nerrors, 0);
}
END_TEST

START_TEST(test_not_shared_object)
{
	FILE *f = fopen(path_of(tmp, "notso.so"), "w");

	ck_assert_ptr_nonnull(f);
	fputs("this is not an ELF file\n", f);
	fclose(f);
	fixture(tmp, "good", "good.so");
	ck_assert_int_eq(load1(tmp, perms_testable), 0);
	ck_saw(path_of(tmp, "notso.so: cannot load: "), NULL, NULL);
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_kind("good", "/good.so");
}
END_TEST

START_TEST(test_empty_and_missing_dir)
{
	char *empty = mkdir_in(tmp, "empty", 0755);
	char *missing = path_of(tmp, "missing");
	const char *dirs[] = { empty, missing, NULL };
	char want[PATH_MAX + 64];
	FILE *f = fopen(path_of(empty, "README"), "w");

	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(load(dirs, true, MGMT_ABI_MINOR), 0);
	snprintf(want, sizeof(want), "plugins dir %s: no plugins (*.so) found",
		 empty);
	ck_saw(want, NULL, NULL);
	snprintf(want, sizeof(want), "plugins dir %s: cannot open: %s", missing,
		 strerror(ENOENT));
	ck_saw(want, NULL, NULL);
	ck_assert_int_eq(nlines, 2);
	ck_assert_uint_eq(reg.nkinds, 0);
	ck_assert_uint_eq(reg.nerrors, 0);
}
END_TEST

START_TEST(test_init_fails)
{
	fixtures(tmp, (const char *[]){ "init_fails", "good", NULL });
	ck_assert_int_eq(load1(tmp, false), 0);
	ck_saw(path_of(tmp,
		       "init_fails.so: init failed (returned -5); skipped"),
	       NULL, NULL);
	ck_assert_ptr_null(registry_find(&reg, "init_fails"));
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_assert_uint_eq(reg.nplugins, 1);
	ck_kind("good", "/good.so");
}
END_TEST

START_TEST(test_bad_schema)
{
	static const char *const bad[][2] = {
		{ "kind 'bad_offset': ",
		  "param 'n': offset 8 + size 8 is beyond params_size 12; skipped" },
		{ "kind 'bad_type': ", "param 'what': unknown type 9" },
		{ "kind 'bad_enum': ", "param 'choice': enum without choices" },
		{ "kind 'bad_align': ", "param 'n': offset 4 is not aligned" },
		{ "kind 'bad_twice': ", "param 'x' is declared twice" },
		{ "kind 'no_check': ", "check_apply is NULL; skipped" },
		{ "kind #7 ", "(major must match); skipped" },
		{ "kind #8 ", "(plugin is newer); skipped" },
	};
	/* A kind of 1.0 ends at collect; kind #10 ends just before it. */
	size_t min = offsetof(struct mgmt_kind, collect) +
		     sizeof(((struct mgmt_kind *)0)->collect);
	char want[256];
	const char *file;

	fixture(tmp, "bad_schema", "bad_schema.so");
	ck_assert_int_eq(load1(tmp, false), 0);
	file = path_of(tmp, "bad_schema.so: ");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_saw(file, bad[i][0], bad[i][1]);
	snprintf(
		want, sizeof(want),
		"size 12 is too small: SDK ABI %u.0 needs at least %zu bytes; rebuild it with MGMT_KIND_HEADER from the SDK; skipped",
		MGMT_ABI_MAJOR, min);
	ck_saw(file, "kind #9 ", want);
	snprintf(want, sizeof(want),
		 "kind #10 size %zu is too small: SDK ABI %u.0 needs at least "
		 "%zu bytes",
		 offsetof(struct mgmt_kind, collect), MGMT_ABI_MAJOR, min);
	ck_saw(file, want, NULL);
	ck_assert_uint_eq(reg.nerrors, 10);
	ck_assert_int_eq(nlines, 10);
	/* The sound kind of the same plugin registers. */
	ck_assert_uint_eq(reg.nkinds, 1);
	ck_kind("schema_ok", "/bad_schema.so");
	ck_assert_uint_eq(registry_find(&reg, "schema_ok")->nparams, 2);
}
END_TEST

START_TEST(test_bad_kind_name)
{
	const char *file;

	fixtures(tmp, (const char *[]){ "bad_kind_name", "good", NULL });
	ck_assert_int_eq(load1(tmp, false), 0);
	file = path_of(tmp, "bad_kind_name.so: ");
	ck_saw(file, "kind #1: name 'Bad-Name' is invalid", "[a-z][a-z0-9_]*");
	ck_saw(file, "kind #2: name '9lives' is invalid", NULL);
	ck_saw(file, "kind #3: name '' is invalid", NULL);
	ck_saw(file, "kind #4: name 'a23456789012345678901234567890123'", NULL);
	ck_saw(file, "kind #5 has no name; skipped", NULL);
	ck_assert_uint_eq(reg.nerrors, 5);
	ck_assert_int_eq(nlines, 5); /* no init ran: it would have failed */
	ck_assert_uint_eq(reg.nplugins, 1); /* unloaded: no kind was usable */
	ck_kind("good", "/good.so");
}
END_TEST

START_TEST(test_order_of_dirs)
{
	char *d1 = mkdir_in(tmp, "d1", 0755), *d2 = mkdir_in(tmp, "d2", 0755);
	const char *dirs[] = { d1, d2, NULL };

	/* Directory order beats name order: dup_b.so in d1 wins. */
	fixture(d1, "dup_b", "dup_b.so");
	fixture(d2, "dup_a", "dup_a.so");
	ck_assert_int_eq(load(dirs, perms_testable, MGMT_ABI_MINOR), 0);
	ck_kind("dup", "/d1/dup_b.so");
	ck_saw(path_of(d2, "dup_a.so: kind 'dup' already defined by "),
	       path_of(d1, "dup_b.so"), NULL);
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_assert_uint_eq(reg.nplugins, 1); /* dup_a had nothing left */
}
END_TEST

START_TEST(test_order_with_env)
{
	char *d0 = mkdir_in(tmp, "d0", 0755), *d1 = mkdir_in(tmp, "d1", 0755);
	char *d2 = mkdir_in(tmp, "d2", 0755);
	const char *dirs[] = { d0, NULL };
	struct loader_opts o;
	char env[3 * PATH_MAX];

	fixture(d0, "good", "good.so");
	fixture(d1, "good", "good.so"); /* --plugins-dir beats the env */
	fixture(d1, "dup_b", "dup_b.so");
	fixture(d2, "dup_a", "dup_a.so"); /* the env's order beats names */
	snprintf(env, sizeof(env), ":%s::%s:", d1, d2);
	ck_assert_int_eq(setenv("MGMT_ENGINE_PLUGINS_PATH", env, 1), 0);
	loader_opts_default(&o);
	o.dirs = dirs;
	o.use_builtin = false;
	o.check_perms = perms_testable;
	o.host = &test_host;
	ck_assert(o.use_env);
	ck_assert_int_eq(registry_load(&reg, &o), 0);
	ck_kind("good", "/d0/good.so");
	ck_kind("dup", "/d1/dup_b.so");
	ck_saw(path_of(d1, "good.so: kind 'good' already defined by "),
	       path_of(d0, "good.so"), NULL);
	ck_saw(path_of(d2, "dup_a.so: kind 'dup' already defined by "), NULL,
	       NULL);
	ck_assert_uint_eq(reg.nerrors, 2);
	registry_free(&reg);

	o.use_env = false;
	nlines = 0;
	ck_assert_int_eq(registry_load(&reg, &o), 0);
	ck_assert_ptr_null(registry_find(&reg, "dup"));
	ck_assert_uint_eq(reg.nerrors, 0);
}
END_TEST

START_TEST(test_same_file_once)
{
	const char *dirs[] = { tmp, tmp, NULL };

	fixture(tmp, "good", "good.so");
	ck_assert_int_eq(symlink("good.so", path_of(tmp, "alias.so")), 0);
	ck_assert_int_eq(link(path_of(tmp, "good.so"), path_of(tmp, "hard.so")),
			 0);
	ck_assert_int_eq(load(dirs, perms_testable, MGMT_ABI_MINOR), 0);
	ck_assert_int_eq(nlines, 0);
	ck_assert_uint_eq(reg.nerrors, 0);
	ck_assert_uint_eq(reg.nplugins, 1);
	/* alias.so sorts first and is the name it was reached by. */
	ck_kind("good", "/alias.so");
	registry_free(&reg);
	ck_assert_int_eq(fini_calls, 1); /* one instance, one init, one fini */
}
END_TEST

/* ---- permissions ------------------------------------------------------ */

START_TEST(test_group_writable_dir)
{
	char *d = mkdir_in(tmp, "gw", 0775);
	char want[PATH_MAX + 64];

	if (!perms_testable)
		return;
	fixture(d, "good", "good.so");
	ck_assert_int_eq(load1(d, true), 0);
	snprintf(
		want, sizeof(want),
		"not safe to load as root: directory %s is group-writable (mode 0775)",
		d);
	ck_saw(path_of(d, "good.so: "), want, NULL);
	ck_assert_uint_eq(reg.nkinds, 0);
	ck_assert_uint_eq(reg.nerrors, 1);
	registry_free(&reg);
	/* The test's own switch turns the check off. */
	ck_assert_int_eq(load1(d, false), 0);
	ck_kind("good", "/gw/good.so");
}
END_TEST

START_TEST(test_writable_file)
{
	char want[PATH_MAX + 64];

	if (!perms_testable)
		return;
	fixtures(tmp, (const char *[]){ "good", "older", NULL });
	ck_assert_int_eq(chmod(path_of(tmp, "good.so"), 0664), 0);
	ck_assert_int_eq(chmod(path_of(tmp, "older.so"), 0646), 0);
	ck_assert_int_eq(load1(tmp, true), 0);
	snprintf(want, sizeof(want),
		 "not safe to load as root: %s is group-writable (mode 0664)",
		 path_of(tmp, "good.so"));
	ck_saw(path_of(tmp, "good.so: "), want, NULL);
	snprintf(want, sizeof(want),
		 "not safe to load as root: %s is world-writable (mode 0646)",
		 path_of(tmp, "older.so"));
	ck_saw(path_of(tmp, "older.so: "), want, NULL);
	ck_assert_uint_eq(reg.nkinds, 0);
	ck_assert_uint_eq(reg.nerrors, 2);
}
END_TEST

/* registry_load_file (plugin-check): that file only, with the checks of a
 * plugins dir: its neighbours are not loaded, and an unsafe directory
 * refuses it. */
START_TEST(test_load_one_file)
{
	char *unsafe;
	struct loader_opts o;
	char want[PATH_MAX + 64];

	fixtures(tmp, (const char *[]){ "dup_a", "good", "crash_ctor", NULL });
	loader_opts_default(&o);
	o.host = &test_host;
	o.check_perms = perms_testable;
	nlines = 0;
	ck_assert_int_eq(registry_load_file(&reg, &o, path_of(tmp, "good.so")),
			 0);
	ck_assert_uint_eq(reg.nplugins, 1);
	ck_assert_uint_eq(reg.nfiles, 1);
	ck_assert_uint_eq(reg.nerrors, 0);
	ck_kind("good", "/good.so");
	ck_assert_ptr_null(registry_find(&reg, "dup"));
	registry_free(&reg);

	ck_assert_int_eq(registry_load_file(&reg, &o, path_of(tmp, "none.so")),
			 0);
	ck_assert_uint_eq(reg.nkinds, 0);
	ck_assert_uint_eq(reg.nerrors, 1);
	registry_free(&reg);

	if (!perms_testable)
		return;
	unsafe = mkdir_in(tmp, "unsafe", 0777);
	fixture(unsafe, "good", "good.so");
	nlines = 0;
	ck_assert_int_eq(
		registry_load_file(&reg, &o, path_of(unsafe, "good.so")), 0);
	snprintf(
		want, sizeof(want),
		"not safe to load as root: directory %s is world-writable (mode 0777)",
		unsafe);
	ck_saw(path_of(unsafe, "good.so: "), want, NULL);
	ck_assert_uint_eq(reg.nkinds, 0);
	registry_free(&reg);
}
END_TEST

START_TEST(test_symlink_into_unsafe_dir)
{
	char *safe = mkdir_in(tmp, "safe", 0755);
	char *unsafe = mkdir_in(tmp, "unsafe", 0777);
	const char *dirs[3] = { NULL };
	char want[PATH_MAX + 64];

	if (!perms_testable)
		return;
	fixture(unsafe, "good", "good.so");
	ck_assert_int_eq(symlink("../unsafe/good.so", path_of(safe, "link.so")),
			 0);
	ck_assert_int_eq(load1(safe, true), 0);
	snprintf(
		want, sizeof(want),
		"not safe to load as root: directory %s is world-writable (mode 0777)",
		unsafe);
	ck_saw(path_of(safe, "link.so: "), want, NULL);
	ck_assert_uint_eq(reg.nkinds, 0);
	ck_assert_uint_eq(reg.nerrors, 1);
	registry_free(&reg);

	/* And the other way round: whoever can write `unsafe` can swap the
	 * link, however safe its target. */
	ck_assert_int_eq(rename(path_of(unsafe, "good.so"),
				path_of(safe, "good.so")),
			 0);
	ck_assert_int_eq(unlink(path_of(safe, "link.so")), 0);
	ck_assert_int_eq(symlink("../safe/good.so", path_of(unsafe, "link.so")),
			 0);
	/* ...though the same file still loads when reached safely. */
	dirs[0] = unsafe;
	dirs[1] = safe;
	ck_assert_int_eq(load(dirs, true, MGMT_ABI_MINOR), 0);
	ck_saw(path_of(unsafe, "link.so: "), want, NULL);
	ck_assert_uint_eq(reg.nerrors, 1);
	ck_kind("good", "/safe/good.so");
}
END_TEST

START_TEST(test_ancestors)
{
	char *sticky = mkdir_in(tmp, "sticky", 01777);
	char *wopen = mkdir_in(tmp, "open", 0777);
	char *in_sticky = mkdir_in(sticky, "in", 0755);
	char *in_open = mkdir_in(wopen, "in", 0755);
	char want[PATH_MAX + 64];

	if (!perms_testable)
		return;
	/* Under a sticky world-writable directory (like /tmp): fine. */
	fixture(in_sticky, "good", "good.so");
	ck_assert_int_eq(load1(in_sticky, true), 0);
	ck_assert_uint_eq(reg.nerrors, 0);
	ck_kind("good", "/sticky/in/good.so");
	registry_free(&reg);
	/* Under one without the sticky bit, anyone can swap `in`. */
	fixture(in_open, "good", "good.so");
	ck_assert_int_eq(load1(in_open, true), 0);
	snprintf(want, sizeof(want),
		 "directory %s is world-writable (mode 0777, not sticky)",
		 wopen);
	ck_saw(path_of(in_open, "good.so: not safe to load as root: "), want,
	       NULL);
	ck_assert_uint_eq(reg.nkinds, 0);
}
END_TEST

START_TEST(test_foreign_owner)
{
	char *d = mkdir_in(tmp, "d", 0755);

	if (!perms_testable || geteuid() != 0)
		return; /* only root can give files away */
	fixture(d, "good", "good.so");
	ck_assert_int_eq(chown(path_of(d, "good.so"), 65534, 65534), 0);
	ck_assert_int_eq(load1(d, true), 0);
	ck_saw(path_of(d, "good.so: not safe to load as root: "),
	       "is owned by uid 65534", NULL);
	ck_assert_uint_eq(reg.nkinds, 0);
	registry_free(&reg);
	ck_assert_int_eq(chown(path_of(d, "good.so"), 0, 0), 0);
	ck_assert_int_eq(chown(d, 65534, 65534), 0);
	ck_assert_int_eq(load1(d, true), 0);
	ck_saw("not safe to load as root: directory ", d,
	       "is owned by uid 65534");
	ck_assert_uint_eq(reg.nkinds, 0);
}
END_TEST

/* Every bad fixture in one directory: the good ones still load. */
START_TEST(test_all_bad_then_good)
{
	static const char *const all[] = {
		"bad_kind_name", "bad_schema", "bad_size",    "dup_a",
		"dup_b",         "good",       "init_fails",  "newer_minor",
		"no_kinds",      "no_name",    "nodesc",      "older",
		"short_desc",    "small_size", "wrong_major", NULL,
	};
	static const char *const loaded[] = {
		"dup", "dup_b", "good", "older", "schema_ok", "small_size"
	};
	FILE *f;

	fixtures(tmp, all);
	f = fopen(path_of(tmp, "notso.so"), "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(load1(tmp, perms_testable), 0);
	/* 5 names + 10 schemas + 4 descriptors + dup + init + minor + nodesc
	 * + notso + major; all but dup refusals */
	ck_assert_uint_eq(reg.nerrors, 25);
	ck_assert_uint_eq(reg.nrefused, 24);
	ck_assert_uint_eq(reg.nproblems, 25);
	ck_assert_uint_eq(reg.nfiles, 16);
	ck_assert_uint_eq(reg.nkinds, sizeof(loaded) / sizeof(loaded[0]));
	for (size_t i = 0; i < reg.nkinds; i++)
		ck_assert_str_eq(reg.kinds[i]->k.name, loaded[i]);
	for (size_t i = 0; i < reg.nkinds; i++)
		ck_assert_ptr_eq(registry_find(&reg, loaded[i]), reg.kinds[i]);
	ck_kind("good", "/good.so");
	ck_assert_uint_eq(reg.nplugins, 6);
}
END_TEST

/* What was skipped is kept for `mgmt-engine plugins`: each file with the
 * line logged for it; a kind shadowed by an earlier plugin is a warning and
 * not a refusal (it is how --plugins-dir overrides installed plugins). */
START_TEST(test_problems_kept)
{
	const struct loader_problem *p;
	int i;

	fixtures(tmp, (const char *[]){ "dup_a", "dup_b", "wrong_major", "good",
					NULL });
	ck_assert_int_eq(load1(tmp, false), 0);
	ck_assert_uint_eq(reg.nfiles, 4);
	ck_assert_uint_eq(reg.nerrors, 2);
	ck_assert_uint_eq(reg.nrefused, 1);
	ck_assert_uint_eq(reg.nproblems, 2);
	/* Name order: dup_b.so before wrong_major.so. */
	p = &reg.problems[0];
	ck_assert_str_eq(p->path, path_of(tmp, "dup_b.so"));
	ck_assert(p->shadowed);
	ck_assert_ptr_nonnull(strstr(p->msg, "kind 'dup' already defined by "));
	i = line_with(path_of(tmp, "dup_b.so: kind 'dup' already"), NULL, NULL);
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(levels[i], MGMT_LOG_WARN);
	p = &reg.problems[1];
	ck_assert_str_eq(p->path, path_of(tmp, "wrong_major.so"));
	ck_assert(!p->shadowed);
	ck_assert_str_eq(p->msg, abi_msg(MGMT_ABI_MAJOR + 1, 0, MGMT_ABI_MINOR,
					 "major must match"));
	i = line_with(path_of(tmp, "wrong_major.so: "), p->msg, NULL);
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(levels[i], MGMT_LOG_ERROR);
	registry_free(&reg);
	ck_assert_ptr_null(reg.problems);
	ck_assert_uint_eq(reg.nproblems, 0);
}
END_TEST

/* While a plugin's code runs in dlopen, init or fini, the loader says which
 * file it is (for the engine's fatal-signal handler); otherwise nothing. */
START_TEST(test_busy_with)
{
	const char *phase = "untouched";

	fixture(tmp, "good", "good.so");
	ck_assert_ptr_null(loader_busy_with(&phase));
	ck_assert_int_eq(load1(tmp, false), 0);
	ck_assert_str_eq(at_init.path, path_of(tmp, "good.so"));
	ck_assert_str_eq(at_init.phase, "loading");
	ck_assert_ptr_null(loader_busy_with(&phase));
	ck_assert_str_eq(phase, "untouched");
	registry_free(&reg);
	ck_assert_int_eq(fini_calls, 1);
	ck_assert_str_eq(at_fini.path, path_of(tmp, "good.so"));
	ck_assert_str_eq(at_fini.phase, "unloading");
	ck_assert_ptr_null(loader_busy_with(&phase));
}
END_TEST

/* At debug, the file is named before its code runs: before dlopen (its
 * constructors) and before its init, so that a crash there leaves its name
 * as the last line of the log. */
START_TEST(test_debug_names_file_first)
{
	char want[PATH_MAX + 64];
	int load_good, init_good, load_bad, fail_bad;
	FILE *f = fopen(path_of(tmp, "notso.so"), "w");

	ck_assert_ptr_nonnull(f);
	fclose(f);
	fixture(tmp, "good", "good.so");
	log_level = MGMT_LOG_DEBUG;
	ck_assert_int_eq(load1(tmp, false), 0);
	snprintf(want, sizeof(want), "debug loading plugin %s",
		 path_of(tmp, "good.so"));
	load_good = line_with(want, NULL, NULL);
	snprintf(want, sizeof(want), "debug initializing plugin %s",
		 path_of(tmp, "good.so"));
	init_good = line_with(want, NULL, NULL);
	snprintf(want, sizeof(want), "debug loading plugin %s",
		 path_of(tmp, "notso.so"));
	load_bad = line_with(want, NULL, NULL);
	fail_bad =
		line_with(path_of(tmp, "notso.so: cannot load: "), NULL, NULL);
	if (load_good < 0 || init_good < 0 || load_bad < 0 || fail_bad < 0)
		dump_lines();
	ck_assert_int_ge(load_good, 0);
	ck_assert_int_gt(init_good, load_good);
	ck_assert_int_le(init_good, at_init.after_lines - 1); /* before init */
	ck_assert_int_ge(load_bad, 0);
	ck_assert_int_gt(fail_bad, load_bad);
}
END_TEST

START_TEST(test_defaults)
{
	struct loader_opts o;

	memset(&o, 0xff, sizeof(o));
	loader_opts_default(&o);
	ck_assert(o.use_env && o.use_builtin && o.check_perms);
	ck_assert_uint_eq(o.abi_minor, MGMT_ABI_MINOR);
	ck_assert_ptr_null(o.dirs);
	ck_assert_ptr_null(o.host);
	ck_assert_str_eq(o.builtin_dir, PLUGINDIR);
	ck_assert_str_eq(o.site_dir, SITEPLUGINDIR);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_good_loads);
	tcase_add_test(tc, test_wrong_major);
	tcase_add_test(tc, test_newer_minor);
	tcase_add_test(tc, test_older_minor_loads);
	tcase_add_test(tc, test_target_minor);
	tcase_add_test(tc, test_small_size_defaults);
	tcase_add_test(tc, test_abi_1_0_runs);
	tcase_add_test(tc, test_bad_descriptor);
	tcase_add_test(tc, test_short_descriptor);
	tcase_add_test(tc, test_no_descriptor);
	tcase_add_test(tc, test_duplicate_kind);
	tcase_add_test(tc, test_site_dir_first);
	tcase_add_test(tc, test_given_dir_before_site);
	tcase_add_test(tc, test_site_dir_is_builtin);
	tcase_add_test(tc, test_not_shared_object);
	tcase_add_test(tc, test_empty_and_missing_dir);
	tcase_add_test(tc, test_init_fails);
	tcase_add_test(tc, test_bad_schema);
	tcase_add_test(tc, test_bad_kind_name);
	tcase_add_test(tc, test_order_of_dirs);
	tcase_add_test(tc, test_order_with_env);
	tcase_add_test(tc, test_same_file_once);
	tcase_add_test(tc, test_group_writable_dir);
	tcase_add_test(tc, test_writable_file);
	tcase_add_test(tc, test_symlink_into_unsafe_dir);
	tcase_add_test(tc, test_load_one_file);
	tcase_add_test(tc, test_ancestors);
	tcase_add_test(tc, test_foreign_owner);
	tcase_add_test(tc, test_all_bad_then_good);
	tcase_add_test(tc, test_problems_kept);
	tcase_add_test(tc, test_busy_with);
	tcase_add_test(tc, test_debug_names_file_first);
	tcase_add_test(tc, test_defaults);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

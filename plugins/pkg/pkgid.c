/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pkgid.c - the pkg plugin's pure helpers: PackageKit package ids, the order
 * of Debian versions, what a resource needs given what Resolve found, the
 * names of PackageKit's enums and the label a group logs under.  Nothing here talks to the engine or the bus, so the unit
 * tests link this file alone.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkg.h"

int pkg_id_split(const char *id, struct pkg_id *out)
{
	struct pkg_span *f[4] = { &out->name, &out->version, &out->arch,
				  &out->data };
	const char *s = id;

	for (int i = 0; i < 4; i++) {
		size_t n = strcspn(s, ";");

		f[i]->s = s;
		f[i]->len = n;
		s += n;
		if (i < 3) {
			if (*s != ';')
				return -EINVAL;
			s++;
		}
	}
	if (*s != '\0' || out->name.len == 0)
		return -EINVAL;
	return 0;
}

bool pkg_id_is(const char *id, const char *name)
{
	size_t n = strlen(name);

	return strncmp(id, name, n) == 0 && id[n] == ';';
}

/* Versions are compared on ASCII whatever the locale. */
static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Where a character sorts among the non-digits: '~' before the end of the
 * string, the end before letters, letters before everything else. */
static int rank(const char *p, const char *end)
{
	int c = p < end ? (unsigned char)*p : 0;

	if (c == 0 || is_digit(c))
		return 0;
	if (c == '~')
		return -1;
	if (is_alpha(c))
		return c;
	return c + 256;
}

/* dpkg's comparison of one part (upstream or revision): alternate runs of
 * non-digits, compared by rank, and runs of digits, compared as numbers. */
static int part_cmp(const char *a, const char *ae, const char *b,
		    const char *be)
{
	while (a < ae || b < be) {
		int diff = 0;

		while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
			int ra = rank(a, ae), rb = rank(b, be);

			if (ra != rb)
				return ra - rb;
			a++;
			b++;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		while (a < ae && b < be && is_digit(*a) && is_digit(*b)) {
			if (!diff)
				diff = *a - *b;
			a++;
			b++;
		}
		if (a < ae && is_digit(*a))
			return 1;
		if (b < be && is_digit(*b))
			return -1;
		if (diff)
			return diff;
	}
	return 0;
}

struct debver {
	unsigned long epoch;
	const char *up, *up_end, *rev, *rev_end;
};

static void debver_split(const char *v, struct debver *d)
{
	const char *colon = strchr(v, ':'), *end = v + strlen(v), *dash;

	d->epoch = 0;
	if (colon) {
		for (const char *p = v; p < colon && is_digit(*p); p++)
			d->epoch = d->epoch * 10 + (unsigned long)(*p - '0');
		v = colon + 1;
	}
	dash = strrchr(v, '-');
	d->up = v;
	d->up_end = dash ? dash : end;
	d->rev = dash ? dash + 1 : end;
	d->rev_end = end;
}

int pkg_vercmp(const char *a, const char *b)
{
	struct debver x, y;
	int r;

	debver_split(a, &x);
	debver_split(b, &y);
	if (x.epoch != y.epoch)
		return x.epoch < y.epoch ? -1 : 1;
	r = part_cmp(x.up, x.up_end, y.up, y.up_end);
	if (r)
		return r < 0 ? -1 : 1;
	r = part_cmp(x.rev, x.rev_end, y.rev, y.rev_end);
	return r < 0 ? -1 : r > 0;
}

/* The version field of an id, as a string in buf. */
static const char *version_of(const char *id, char *buf, size_t len)
{
	struct pkg_id f;

	if (pkg_id_split(id, &f) < 0)
		f.version = (struct pkg_span){ "", 0 };
	snprintf(buf, len, "%.*s", (int)f.version.len, f.version.s);
	return buf;
}

static int id_vercmp(const char *a, const char *b)
{
	char x[256], y[256];

	return pkg_vercmp(version_of(a, x, sizeof(x)),
			  version_of(b, y, sizeof(y)));
}

static bool id_has_version(const char *id, const char *version)
{
	char x[256];

	return pkg_vercmp(version_of(id, x, sizeof(x)), version) == 0;
}

enum pkg_action pkg_decide(const char *name, enum pkg_want want,
			   const char *version, const struct pk_package *pkgs,
			   size_t n, const char **installed,
			   const char **chosen)
{
	const char *avail = NULL, *exact = NULL;

	*installed = *chosen = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *id = pkgs[i].id;

		if (!pkg_id_is(id, name))
			continue;
		if (pkgs[i].info == PK_INFO_INSTALLED) {
			*installed = id;
			continue;
		}
		/* the candidate: the highest version offered */
		if (!avail || id_vercmp(id, avail) > 0)
			avail = id;
		if (want == PKG_VERSION && id_has_version(id, version))
			exact = id;
	}
	switch (want) {
	case PKG_INSTALLED:
		*chosen = avail;
		if (*installed)
			return PKG_ACT_NONE;
		return avail ? PKG_ACT_INSTALL : PKG_ACT_MISSING;
	case PKG_UNINSTALLED:
		*chosen = *installed;
		return *installed ? PKG_ACT_REMOVE : PKG_ACT_NONE;
	case PKG_NEWEST:
		*chosen = avail;
		if (!*installed)
			return avail ? PKG_ACT_INSTALL : PKG_ACT_MISSING;
		if (avail && id_vercmp(avail, *installed) > 0)
			return PKG_ACT_UPDATE;
		return PKG_ACT_NONE;
	case PKG_VERSION:
		*chosen = exact;
		if (*installed && id_has_version(*installed, version))
			return PKG_ACT_NONE;
		return exact ? PKG_ACT_INSTALL : PKG_ACT_MISSING;
	}
	return PKG_ACT_MISSING;
}

int pkg_want_parse(const char *state, enum pkg_want *want, const char **why)
{
	static const struct {
		const char *name;
		enum pkg_want want;
	} words[] = {
		{ "installed", PKG_INSTALLED },
		{ "uninstalled", PKG_UNINSTALLED },
		{ "newest", PKG_NEWEST },
	};

	*why = NULL;
	if (!state || !*state) {
		*why = "must not be empty: installed, uninstalled, newest or "
		       "a version";
		return -EINVAL;
	}
	if (strcmp(state, "latest") == 0) {
		*why = "'latest' is not a state: did you mean 'newest'?";
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(state, words[i].name) == 0) {
			*want = words[i].want;
			return 0;
		}
	}
	if (strpbrk(state, "; \t\n")) {
		*why = "a version cannot contain ';' or blanks";
		return -EINVAL;
	}
	*want = PKG_VERSION;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *pkg_group_label(const char *const *names, size_t n)
{
	const char **sorted;
	size_t len = sizeof("Pkg[autogroup:()]");
	char *out, *o;

	if (n == 1) {
		len = strlen(names[0]) + sizeof("Pkg[]");
		out = malloc(len);
		if (out)
			strcpy(stpcpy(stpcpy(out, "Pkg["), names[0]), "]");
		return out;
	}
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (!sorted)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		sorted[i] = names[i];
		len += strlen(names[i]) + 1;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	out = malloc(len);
	if (out) {
		o = stpcpy(out, "Pkg[autogroup:(");
		for (size_t i = 0; i < n; i++) {
			if (i)
				*o++ = ',';
			o = stpcpy(o, sorted[i]);
		}
		strcpy(o, ")]");
	}
	free(sorted);
	return out;
}

/* The strings of libpackagekit-glib2 1.2.6, by enum value. */
/* clang-format off */
static const char *const status_names[] = {
	"unknown", "wait", "setup", "running", "query", "info", "remove",
	"refresh-cache", "download", "install", "update", "cleanup",
	"obsolete", "dep-resolve", "sig-check", "test-commit", "commit",
	"request", "finished", "cancel", "download-repository",
	"download-packagelist", "download-filelist", "download-changelog",
	"download-group", "download-updateinfo", "repackaging",
	"loading-cache", "scan-applications", "generate-package-list",
	"waiting-for-lock", "waiting-for-auth", "scan-process-list",
	"check-executable-files", "check-libraries", "copy-files", "run-hook",
};

static const char *const error_names[] = {
	"unknown", "out-of-memory", "no-network", "not-supported",
	"internal-error", "gpg-failure", "package-id-invalid",
	"package-not-installed", "package-not-found",
	"package-already-installed", "package-download-failed",
	"group-not-found", "group-list-invalid", "dep-resolution-failed",
	"filter-invalid", "create-thread-failed", "transaction-error",
	"transaction-cancelled", "no-cache", "repo-not-found",
	"cannot-remove-system-package", "process-kill",
	"failed-initialization", "failed-finalise", "failed-config-parsing",
	"cannot-cancel", "cannot-get-lock", "no-packages-to-update",
	"cannot-write-repo-config", "local-install-failed",
	"bad-gpg-signature", "missing-gpg-signature",
	"cannot-install-source-package", "repo-configuration-error",
	"no-license-agreement", "file-conflicts", "package-conflicts",
	"repo-not-available", "invalid-package-file",
	"package-install-blocked", "package-corrupt",
	"all-packages-already-installed", "file-not-found",
	"no-more-mirrors-to-try", "no-distro-upgrade-data",
	"incompatible-architecture", "no-space-on-device",
	"media-change-required", "not-authorized", "update-not-found",
	"cannot-install-repo-unsigned", "cannot-update-repo-unsigned",
	"cannot-get-filelist", "cannot-get-requires",
	"cannot-disable-repository", "restricted-download",
	"package-failed-to-configure", "package-failed-to-build",
	"package-failed-to-install", "package-failed-to-remove",
	"failed-due-to-running-process", "package-database-changed",
	"provide-type-not-supported", "install-root-invalid",
	"cannot-fetch-sources", "cancelled-priority", "unfinished-transaction",
	"lock-required", "repo-already-set",
};

static const char *const exit_names[] = {
	"unknown", "success", "failed", "cancelled", "key-required",
	"eula-required", "killed", "media-change-required", "need-untrusted",
	"cancelled-priority", "skip-transaction", "repair-required",
};

/* clang-format on */

#define NAME_OF(table, v)                                                      \
	((v) < sizeof(table) / sizeof(table[0]) ? table[v] : "?")

const char *pk_status_name(uint32_t status)
{
	return NAME_OF(status_names, status);
}

const char *pk_error_name(uint32_t code)
{
	return NAME_OF(error_names, code);
}

const char *pk_exit_name(uint32_t exit)
{
	return NAME_OF(exit_names, exit);
}

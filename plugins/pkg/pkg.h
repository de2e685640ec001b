/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pkg.h - the pkg plugin's internal interface: the per-resource struct, the
 * pure helpers (pkgid.c: package ids, Debian version order, PackageKit enum
 * names, the group's log label), the PackageKit transaction client over
 * sd-bus (pk.c), the kind-wide watch (watch.c) and the file lists behind
 * autoedges (files.c).  Only pkg.c defines hooks.
 */
#ifndef PLUGINS_PKG_H
#define PLUGINS_PKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mgmt/mgmt.h>

/* What `state` asks for. */
enum pkg_want {
	PKG_INSTALLED,
	PKG_UNINSTALLED,
	PKG_NEWEST,
	PKG_VERSION, /* `state` is an exact version */
};

/* The per-resource struct: parameters first (the schema), then runtime. */
struct pkg {
	char *state;
	bool allowuntrusted;
	bool allownonfree;
	bool allowunsupported;
	bool allowdowngrade;
	/* from validate (or init, under a harness that skips validate) */
	bool parsed;
	enum pkg_want want;
	/* runtime, worker (the check_apply of its group): the failure last
	 * logged, so that a retry that fails alike logs at debug level */
	int failed_as;
	/* runtime, loop thread: the watch's list of resources */
	mgmt_res *res;
	struct pkg *next;
	bool watched;
};

/* PackageKit's wire values (doc/dbus.md, "Values"): bitfields are
 * 1 << enum. */
#define PK_FILTER_INSTALLED (UINT64_C(1) << 2)
#define PK_FILTER_FREE (UINT64_C(1) << 8)
#define PK_FILTER_SUPPORTED (UINT64_C(1) << 12)
#define PK_FILTER_ARCH (UINT64_C(1) << 18)
#define PK_FLAG_ONLY_TRUSTED (UINT64_C(1) << 1)
#define PK_FLAG_SIMULATE (UINT64_C(1) << 2)
#define PK_FLAG_ALLOW_DOWNGRADE (UINT64_C(1) << 6)

enum {
	PK_INFO_INSTALLED = 1,
	PK_INFO_AVAILABLE = 2,
	PK_INFO_INSTALLING = 12,
	PK_INFO_REMOVING = 13,
	PK_INFO_FINISHED = 18,
};

enum {
	PK_EXIT_SUCCESS = 1,
	PK_EXIT_FAILED = 2,
	PK_EXIT_CANCELLED = 3,
};

/* What a resource needs. */
enum pkg_action {
	PKG_ACT_NONE,
	PKG_ACT_INSTALL,
	PKG_ACT_UPDATE,
	PKG_ACT_REMOVE,
	PKG_ACT_MISSING, /* not offered: the resource fails */
};

/* One Package signal (deduplicated on id and info). */
struct pk_package {
	uint32_t info; /* PK_INFO_*, high bits masked */
	char *id;
};

/* ---- pkgid.c (pure: no engine, no bus) ---- */

/* One field of a package id, pointing into the id. */
struct pkg_span {
	const char *s;
	size_t len;
};

/* A package id "name;version;arch;data" cut into its fields. */
struct pkg_id {
	struct pkg_span name, version, arch, data;
};

/* Split `id`; returns 0, or -EINVAL when it has not exactly four fields or
 * an empty name. */
int pkg_id_split(const char *id, struct pkg_id *out);

/* Is `id` a package named `name`? */
bool pkg_id_is(const char *id, const char *name);

/* Compare two Debian versions ([epoch:]upstream[-revision]) as dpkg does:
 * <0, 0 or >0. */
int pkg_vercmp(const char *a, const char *b);

/* "state" parsed: the enum value; a version for anything else but "" and
 * "latest" (-EINVAL, with *why saying what to write instead). */
int pkg_want_parse(const char *state, enum pkg_want *want, const char **why);

/* "Pkg[name]" for one name, "Pkg[autogroup:(a,b,c)]" for several, names
 * sorted; malloc'ed, NULL when out of memory. */
char *pkg_group_label(const char *const *names, size_t n);

/* What package `name` needs for `want` (`version` for PKG_VERSION), given
 * the packages a Resolve found (other names among them are skipped):
 * *installed is its installed id or NULL, *chosen the id to act on (the
 * highest version offered; for PKG_VERSION the one of that version; for a
 * removal the installed one).  The ids point into `pkgs`. */
enum pkg_action pkg_decide(const char *name, enum pkg_want want,
			   const char *version, const struct pk_package *pkgs,
			   size_t n, const char **installed,
			   const char **chosen);

/* PackageKit enum names; "?" for values this PackageKit did not have. */
const char *pk_status_name(uint32_t status);
const char *pk_error_name(uint32_t code);
const char *pk_exit_name(uint32_t exit);

/* ---- pk.c (worker threads, and autoedges on the loop thread) ---- */

/* What a transaction asks PackageKit to do. */
enum pk_op {
	PK_RESOLVE,  /* filter, names */
	PK_INSTALL,  /* flags, ids */
	PK_UPDATE,   /* flags, ids */
	PK_REMOVE,   /* flags, ids (no dependencies, no autoremove) */
	PK_GETFILES, /* ids */
};

/* The Files signal for one id. */
struct pk_files {
	char *id;
	char **paths; /* NULL-terminated */
	size_t n;
};

/* What a transaction gave back. */
struct pk_result {
	struct pk_package *pkgs;
	size_t npkgs, cap_pkgs;
	struct pk_files *files;
	size_t nfiles, cap_files;
	uint32_t exit; /* PK_EXIT_*, 0 when it never finished */
	uint32_t runtime_ms;
	bool error;          /* ErrorCode was seen */
	uint32_t error_code; /* the first ErrorCode */
	char *error_text;
	char *path; /* the transaction's object path */
};

/* Where a transaction logs: `res` (one resource), or `label` with res NULL
 * (a group: "Pkg[autogroup:(a,b)]").  Progress lines are kept to one per
 * `interval` seconds. */
struct pk_log {
	mgmt_res *res;
	const char *label;
	bool progress;   /* log percentages and status while it runs */
	int error_level; /* failures are logged at this level (0: error) */
	char *why;       /* if set, failures go here instead (why_len bytes) */
	size_t why_len;
};

struct pk_conn;

/* Connect to the system bus and follow PackageKit's signals.  Returns 0 or
 * <0 after logging why through `log`. */
int pk_open(struct pk_conn **out, const struct pk_log *log);
void pk_close(struct pk_conn *c);

/* Run one transaction: CreateTransaction, the method, its signals until
 * Finished.  Returns 0 when it finished with exit success; otherwise logs
 * one line (PackageKit's error code and text, or why it could not run) and
 * returns <0: -ECANCELED when the engine's stop_fd fired (the transaction
 * was cancelled), -ETIMEDOUT, -EIO for a failed transaction.  `res` is
 * filled either way; free it with pk_result_free. */
int pk_run(struct pk_conn *c, enum pk_op op, uint64_t arg, char *const *strv,
	   double timeout, struct pk_result *res);
void pk_result_free(struct pk_result *r);

/* Log through a pk_log: a group's label in front when there is one. */
void pk_logf(const struct pk_log *l, int level, const char *fmt, ...)
	MGMT_PRINTF(3, 4);

/* ---- watch.c (loop thread) ---- */

/* Follow PackageKit's UpdatesChanged and the dpkg status file for `p`;
 * every pkg resource shares one bus match and one inotify watch. */
int pkg_watch_add(mgmt_res *res, struct pkg *p);
void pkg_watch_remove(struct pkg *p);

/* ---- files.c (loop thread: autoedges) ---- */

/* Remember `name` for the next file-list fetch (validate calls it, so the
 * first autoedges call can fetch every package's list in one go). */
void pkg_files_want(const char *name);
/* The paths the installed package `name` owns, NULL-terminated, owned by
 * files.c until pkg_files_free; NULL when it is not installed or
 * PackageKit could not say (logged once). */
char *const *pkg_files_of(mgmt_res *res, const char *name);
/* The installed packages changed: fetch lists again when next asked. */
void pkg_files_stale(void);
void pkg_files_free(void);

#endif /* PLUGINS_PKG_H */

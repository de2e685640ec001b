/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * user.h - the user plugin's internal interface.  One plugin serves two
 * kinds, `user` (user.c) and `group` (group.c), which share what makes them
 * work: the reader of /etc/passwd and /etc/group (etcdb.c), the runner of
 * the shadow tools (tool.c) and one inotify watch of /etc (watch.c).
 * doc/users.md says why the tools and not edits of the files.
 */
#ifndef PLUGINS_USER_H
#define PLUGINS_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mgmt/mgmt.h>

enum user_state {
	USER_EXISTS = 0,
	USER_ABSENT = 1
};

/* uid and gid parameters: -1 when not given (the schema's default). */
#define USER_ID_UNSET (-1)
/* The largest id the tools accept: (uid_t)-1 means "no id" to the kernel. */
#define USER_ID_MAX 4294967294LL

/* The per-resource struct of the user kind. */
struct user {
	int state;   /* enum user_state */
	int64_t uid; /* USER_ID_UNSET: not managed */
	int64_t gid;
	char *group;             /* primary group by name; NULL: not managed */
	struct mgmt_strv groups; /* supplementary; empty: not managed */
	char *homedir;           /* ends in '/' (validate) */
	char *shell;
	bool allowduplicateuid;
};

/* The per-resource struct of the group kind. */
struct group {
	int state;
	int64_t gid;
};

/* ---- validate helpers (user.c) ---- */

/* mgmt's rule for user and group names (systemd's "strict" names):
 * [a-zA-Z_][a-zA-Z0-9_-]{0,30}. */
bool user_name_valid(const char *s);

/* ---- etcdb.c: /etc/passwd and /etc/group as they are on disk ---- */

struct pw_ent {
	const char *name;
	uint32_t uid, gid;
	const char *home, *shell;
};

struct gr_ent {
	const char *name;
	uint32_t gid;
	const char *mem; /* comma-separated member names ("" for none) */
};

struct etcdb {
	char *pwbuf, *grbuf; /* the files' text, cut into fields */
	struct pw_ent *pw;
	size_t npw, pwcap;
	struct gr_ent *gr;
	size_t ngr, grcap;
};

/* Read DIR/passwd and DIR/group ("/etc").  Returns 0 or -errno after
 * logging why for `res`. */
int etcdb_read(mgmt_res *res, struct etcdb *db, const char *dir);
void etcdb_free(struct etcdb *db);

const struct pw_ent *etcdb_user(const struct etcdb *db, const char *name);
/* A user other than `name` with uid `uid`, or NULL. */
const struct pw_ent *etcdb_uid_other(const struct etcdb *db, uint32_t uid,
				     const char *name);
const struct gr_ent *etcdb_group(const struct etcdb *db, const char *name);
const struct gr_ent *etcdb_gid(const struct etcdb *db, uint32_t gid);
/* A group other than `name` with gid `gid`, or NULL. */
const struct gr_ent *etcdb_gid_other(const struct etcdb *db, uint32_t gid,
				     const char *name);
/* Is `user` in the member list of `g`? */
bool etcdb_is_member(const struct gr_ent *g, const char *user);

/* ---- tool.c: the shadow tools ---- */

/* Run argv[0] (useradd, usermod, userdel, groupadd, groupmod, groupdel,
 * found in /usr/sbin or /sbin) with argv, no shell, stdin from /dev/null.
 * Returns 0 when it exited 0; else <0 after logging for `res` the command,
 * how it ended and what it printed.  Worker thread. */
int tool_run(mgmt_res *res, const char *const argv[]);

/* "useradd --shell /bin/sh bob" into buf (for logs). */
void tool_describe(const char *const argv[], char *buf, size_t len);

/* ---- watch.c: one inotify watch of /etc for both kinds ---- */

/* Mark `res` dirty whenever /etc/passwd, group, shadow or gshadow is
 * written or replaced.  Loop thread.  Returns 0 or <0 after logging. */
int users_watch_add(mgmt_res *res);
/* Forget `res` (its cleanup); the last one closes the watch. */
void users_watch_del(mgmt_res *res);

/* ---- the kinds ---- */

/* check_apply of a group of either kind (user.c): `one` checks one member
 * (its params `p`) against db, with `apply` fixes it, and sets *ran when it
 * ran a tool; the files are read once, and again after each tool run.
 * Each member's result is reported on its own.  Worker thread. */
int users_check_group(mgmt_res *res, bool apply,
		      int (*one)(mgmt_res *res, const void *p,
				 const struct etcdb *db, bool apply,
				 bool *ran));

extern const struct mgmt_kind user_kind;
extern const struct mgmt_kind group_kind;

/* The directory of the files the kinds read ("/etc"). */
#define USERS_ETC "/etc"

#endif /* PLUGINS_USER_H */

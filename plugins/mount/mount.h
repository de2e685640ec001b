/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mount.h - the mount plugin's internal interface: the per-resource struct,
 * the pure text functions of fstab.c (fstab lines, /proc/self/mountinfo),
 * which the unit tests call directly, and check_apply (apply.c).
 */
#ifndef PLUGINS_MOUNT_H
#define PLUGINS_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mgmt/mgmt.h>

#define MOUNT_FSTAB "/etc/fstab"
#define MOUNT_MOUNTINFO "/proc/self/mountinfo"

enum mount_state {
	MOUNT_EXISTS,
	MOUNT_ABSENT
};

struct mount {
	/* parameters; the mount point is the resource's name */
	int state; /* enum mount_state */
	char *device;
	char *type;
	struct mgmt_strmap options; /* empty: {defaults: ""} as in mgmt */
	int64_t freq;
	int64_t passno;
	/* runtime */
	char unit[256]; /* the point's .mount unit; set by validate */
	mgmt_res *res;
	struct mount *next; /* the resources the kind-wide watch wakes */
};

int mount_check_apply(mgmt_res *res, void *p, bool apply);

/* The watch's echo of this plugin's own writes (mount.c): apply.c notes
 * the text resource `m` is about to write to /etc/fstab (any thread, before
 * the rename, whose event may be read at once), and an event after which
 * the file holds that text wakes every resource but `m` (which has just
 * checked its line in it).  Returns 0 or -ENOMEM. */
int mount_fstab_writing(const struct mount *m, const char *text);

/* The fstab line the resource wants at mount point `point`, without a
 * newline: its fields escaped as fstab(5) says (a space is \040), the
 * options "defaults" when the map is empty, else KEY or KEY=VALUE joined by
 * commas in YAML order.  Returns a malloc'd string or NULL (ENOMEM). */
char *mount_fstab_line(const struct mount *m, const char *point);

/* Do two fstab lines describe the same mount: equal device, point, type,
 * the same options in any order, and equal freq and passno (0 when left
 * out)?  Comments and blank lines match nothing. */
bool mount_fstab_same(const char *a, const char *b);

/* The text of fstab `old` edited so that the lines for `point` are just
 * `want` (NULL: none): the first line for the point is replaced by `want`
 * unless it already is the same mount (mount_fstab_same), every other line
 * for the point is dropped, and `want` is appended when no line had the
 * point.  Other lines, comments included, are kept as they are.  Returns 0
 * with *out NULL when nothing changes, 1 with *out the new text (malloc'd),
 * or -ENOMEM. */
int mount_fstab_edit(const char *old, const char *point, const char *want,
		     char **out);

/* What /proc/self/mountinfo text `info` has mounted at `point` (the last
 * entry for it, the one on top): its source and file system type,
 * unescaped.  Returns 1 when found, 0 when nothing is mounted there. */
int mount_info_find(const char *info, const char *point, char *source,
		    size_t slen, char *fstype, size_t flen);

/* Is `dev` (device as fstab writes it: UUID=, LABEL=, PARTUUID=,
 * PARTLABEL=, a path, or a name such as tmpfs) the `source` of a mount?
 * Tags are looked up in /dev/disk/by-*, paths compared after resolving
 * symbolic links; names compare as text. */
bool mount_same_device(const char *dev, const char *source);

#endif /* PLUGINS_MOUNT_H */

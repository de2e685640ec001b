/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * textfile.h - a small configuration file (/etc/fstab, a unit file) read
 * whole, and replaced so that neither a reader nor a crash ever sees half of
 * it: the new text goes to a temporary beside the file, which is flushed
 * (fsync), renamed over the file, and then the directory flushed, so that
 * the rename itself is on disk when the call returns.  A crash before the
 * rename leaves the old file (and maybe a temporary, ".NAME.mgmt-XXXXXX");
 * after it, the new one.  Worker threads; each call logs nothing.
 */
#ifndef MGMT_PLUGINS_COMMON_TEXTFILE_H
#define MGMT_PLUGINS_COMMON_TEXTFILE_H

#include <sys/types.h>

/* The whole file, NUL-terminated, into *out (free it); a missing file is
 * empty.  Returns 0 or -errno. */
int textfile_read(const char *path, char **out);

/* Replace the file at `path` (absolute, or -EINVAL) with `text`, with permissions
 * `mode`.  Returns 0 or -errno: the file as it was and no temporary left
 * when the error came before the rename; the new file, perhaps not yet
 * durable, when flushing the directory failed. */
int textfile_replace(const char *path, const char *text, mode_t mode);

#endif /* MGMT_PLUGINS_COMMON_TEXTFILE_H */

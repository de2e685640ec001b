/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * journal.h - send one journal entry over journald's native protocol
 * (journal.c), leaving no descriptor open.
 */
#ifndef PLUGINS_MSG_JOURNAL_H
#define PLUGINS_MSG_JOURNAL_H

#include <stddef.h>

/* journald's socket for native entries. */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Send the entry of `n` fields names[i]=values[i] (names as journald
 * accepts them; values any text) to the datagram socket at `socket_path`.
 * Returns 0 or -errno.  Any thread. */
int journal_send(const char *socket_path, const char *const *names,
		 const char *const *values, size_t n);

#endif /* PLUGINS_MSG_JOURNAL_H */

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hostname.h - the hostname plugin's internal interface: the per-resource
 * struct, systemd-hostnamed's D-Bus names, and check_apply (apply.c), which
 * talks to hostnamed from a worker thread.  hostname.c holds the other hooks
 * and the watch.
 */
#ifndef PLUGINS_HOSTNAME_H
#define PLUGINS_HOSTNAME_H

#include <stdbool.h>

#include <mgmt/mgmt.h>

#include "common/bus.h"

#define HN_DEST "org.freedesktop.hostname1"
#define HN_PATH "/org/freedesktop/hostname1"
#define HN_IFACE "org.freedesktop.hostname1"

/* Where hostnamed keeps the static hostname (hostname) and the pretty one
 * (machine-info): edits made there by hand are events too. */
#define HN_ETC "/etc"

/* The three hostnames, in the order check_apply sets them: the static one
 * before the transient one, since setting the static hostname also sets the
 * kernel's. */
enum hn_which {
	HN_PRETTY,
	HN_STATIC,
	HN_TRANSIENT,
	HN_N
};

struct hostname {
	/* parameters (NULL: unset) */
	char *hostname; /* the fallback of the three; unset or "": the name */
	char *pretty_hostname;
	char *static_hostname;
	char *transient_hostname;
	/* runtime */
	/* What each hostname must be, NULL when it is not managed ("" given):
	 * set by validate from the parameters (pointers into them or to the
	 * resource's name, which live as long as the resource). */
	const char *want[HN_N];
	struct busloop_user bus;
	mgmt_res *res;
	sd_bus_slot *slot;
	mgmt_watch *etc_watch;
	int etc_fd;    /* inotify on HN_ETC; -1: none */
	bool ready;    /* the match is in place */
	bool in_watch; /* inside the watch hook: no dirty yet */
};

/* Property, setter and words of each hostname (indexed by enum hn_which). */
extern const char *const hn_property[HN_N];
extern const char *const hn_setter[HN_N];
extern const char *const hn_words[HN_N];

int hn_check_apply(mgmt_res *res, void *p, bool apply);

#endif /* PLUGINS_HOSTNAME_H */

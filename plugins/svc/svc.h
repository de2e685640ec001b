/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * svc.h - the svc plugin's internal interface: the per-resource struct, the
 * systemd names it uses, and check_apply (apply.c), which talks to systemd
 * from a worker thread.  svc.c holds the other hooks and the watch.
 */
#ifndef PLUGINS_SVC_H
#define PLUGINS_SVC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <mgmt/mgmt.h>

#include "common/bus.h"
#include "common/unit.h" /* systemd's names, UNIT_JOB_TIMEOUT */

enum svc_state {
	SVC_RUNNING,
	SVC_STOPPED
};
enum svc_startup {
	SVC_ENABLED,
	SVC_DISABLED
};

struct svc {
	/* parameters */
	int state;    /* enum svc_state, -1: not managed */
	int startup;  /* enum svc_startup, -1: not managed */
	bool session; /* the user's manager instead of the system one */
	/* runtime */
	/* The unit: the resource's name, with ".service" added when it has no
	 * suffix.  Set by validate, which runs first (also for `graph`), so
	 * uid and autoedges have it without any allocation to free. */
	char unit[256 + sizeof(".service")];
	/* The uid: the unit, prefixed "user/" for the user's manager, whose
	 * units are not the system's of the same name. */
	char uid[sizeof("user/") + 256 + sizeof(".service")];
	char *unit_path; /* its D-Bus object path */
	struct busloop_user bus;
	mgmt_res *res;
	sd_bus_slot *slots[8];
	bool ready;    /* the watch sent its first event */
	bool in_watch; /* inside the watch hook: no dirty yet */
	/* Telling systemd's echoes of our own jobs from changes made by
	 * others: while check_apply runs (busy) signals are ignored, and
	 * after it, a new ActiveState is an event only when it differs from
	 * the one check_apply left (end_active).  check_apply reads the state
	 * once more after clearing busy, so a change made by someone else
	 * while it ran is not lost.  The watch's connection is not the one
	 * check_apply waits on, so the echoes of its job may reach the watch
	 * after busy is cleared: systemd sends a job's JobRemoved after its
	 * state changes, in order, so until the watch has seen the JobRemoved
	 * of the run's job (echo_job; removed_job is the latest id it saw)
	 * what comes is still that job's echo. */
	pthread_mutex_t lock;
	bool busy;
	char end_active[32];
	uint32_t echo_job;    /* the last run's job id, 0: none */
	uint32_t removed_job; /* the latest JobRemoved id for the unit */
};

int svc_check_apply(mgmt_res *res, void *p, bool apply);

/* The watch: is a signal news from systemd, or an echo of the last run's
 * job (see struct svc)?  `active` is a PropertiesChanged's ActiveState
 * (`props`), `removed` a JobRemoved's job id (else 0).  Call with s->lock
 * held. */
bool svc_is_news(struct svc *s, bool props, const char *active,
		 uint32_t removed);

#endif /* PLUGINS_SVC_H */

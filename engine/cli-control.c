/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli-control.c - the commands that ask a running engine: reload (over the
 * control socket, or by signal with --pid), status and trigger.  The
 * talking is control/client.c's; here are their options.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "cli.h"
#include "opts.h"
#include "control/client.h"

/* What `reload` is given: --pid signals, the others ask over the control
 * socket. */
struct reload_args {
	long pid;
	const char *control;
	double timeout; /* NAN: not given */
};

/* --timeout of the commands that ask over the control socket. */
#define CONTROL_TIMEOUT(args)                                                  \
	{                                                                      \
		.name = "timeout", .type = OPT_TIMEOUT,                        \
		.offset = offsetof(struct args, timeout), .min = 0,            \
		.max = 86400, .what = "a number of seconds from 0 to 86400"    \
	}
#define CONTROL_PATH(args)                                                     \
	{                                                                      \
		.name = "control", .type = OPT_TEXT,                           \
		.offset = offsetof(struct args, control)                       \
	}

static const struct opt reload_opts[] = {
	{ .name = "pid",
	  .type = OPT_WHOLE,
	  .offset = offsetof(struct reload_args, pid),
	  .min = 2,
	  .max = INT_MAX,
	  .what = "a process id" },
	CONTROL_PATH(reload_args),
	CONTROL_TIMEOUT(reload_args),
	{ .name = NULL },
};

/* OPT_TIMEOUT takes -1 for never; an engine is never waited for forever.
 * Returns the wait, or -1 after saying what is wrong. */
static double control_wait(const char *cmd, double timeout)
{
	if (isnan(timeout))
		return CLIENT_WAIT_DEFAULT;
	if (timeout < 0) {
		usage_error("%s: --timeout: '-1' is not a number of seconds "
			    "from 0 to 86400",
			    cmd);
		return -1;
	}
	return timeout;
}

/* Signal a running engine to reload.  Run by the service's ExecReload, it
 * first tells systemd RELOADING=1 (NotifyAccess=exec lets it speak for the
 * service): systemd then waits for the engine's READY=1, sent once the new
 * graph was taken or refused, before `systemctl reload` returns; the
 * engine's own RELOADING=1 could arrive after this process ended, and the
 * reload would be over at once (doc/service.md). */
static int reload_pid(long pid)
{
	bool notified;

	notified = sd_notify(0, "RELOADING=1") > 0;
	if (kill((pid_t)pid, SIGHUP) < 0) {
		fprintf(stderr,
			"mgmt-engine: reload: cannot signal process %ld: %s; "
			"is the engine running?\n",
			pid, strerror(errno));
		if (notified)
			sd_notify(0, "READY=1");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* With --pid, signal; else ask over the control socket and wait for the
 * answer. */
int cmd_reload(int argc, char **argv)
{
	struct reload_args a = { .timeout = NAN };
	double wait;
	int i;

	i = parse_opts("reload", reload_opts, argc, argv, &a);
	if (i < 0)
		return -i;
	if (i < argc)
		return usage_error("reload: unexpected argument '%s'", argv[i]);
	if (a.pid && (a.control || !isnan(a.timeout)))
		return usage_error("reload: give --pid, or --control and "
				   "--timeout, not both");
	if (a.pid)
		return reload_pid(a.pid);
	wait = control_wait("reload", a.timeout);
	if (wait < 0)
		return EXIT_USAGE;
	return client_reload(client_socket(a.control), wait);
}

/* What `status` is given. */
struct status_args {
	const char *control, *kind, *name;
	bool json, failed, cluster;
};

#define STATUS_OPT(name_, type_, field)                                        \
	{                                                                      \
		.name = name_, .type = type_,                                  \
		.offset = offsetof(struct status_args, field)                  \
	}

static const struct opt status_opts[] = {
	CONTROL_PATH(status_args),
	STATUS_OPT("json", OPT_FLAG, json),
	STATUS_OPT("kind", OPT_TEXT, kind),
	STATUS_OPT("name", OPT_TEXT, name),
	STATUS_OPT("failed", OPT_FLAG, failed),
	STATUS_OPT("cluster", OPT_FLAG, cluster),
	{ .name = NULL },
};

int cmd_status(int argc, char **argv)
{
	struct status_args a = { 0 };
	int i;

	i = parse_opts("status", status_opts, argc, argv, &a);
	if (i < 0)
		return -i;
	if (i < argc)
		return usage_error("status: unexpected argument '%s'", argv[i]);
	if (a.cluster && (a.kind || a.name || a.failed))
		return usage_error("status: --cluster lists hosts; --kind, "
				   "--name and --failed choose resources");
	return client_status(&(struct client_status_opts){
		.socket = client_socket(a.control),
		.kind = a.kind,
		.name = a.name,
		.failed = a.failed,
		.json = a.json,
		.cluster = a.cluster,
	});
}

/* What `trigger` is given. */
struct trigger_args {
	const char *control;
	double timeout; /* NAN: not given */
};

static const struct opt trigger_opts[] = {
	CONTROL_PATH(trigger_args),
	CONTROL_TIMEOUT(trigger_args),
	{ .name = NULL },
};

int cmd_trigger(int argc, char **argv)
{
	struct trigger_args a = { .timeout = NAN };
	double wait;
	int i;

	i = parse_opts("trigger", trigger_opts, argc, argv, &a);
	if (i < 0)
		return -i;
	if (i != argc - 2)
		return usage_error("trigger: give exactly one KIND and one "
				   "NAME");
	wait = control_wait("trigger", a.timeout);
	if (wait < 0)
		return EXIT_USAGE;
	return client_trigger(client_socket(a.control), argv[i], argv[i + 1],
			      wait);
}

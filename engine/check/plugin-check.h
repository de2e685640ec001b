/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugin-check.h - `mgmt-engine plugin-check`: a conformance check a plugin
 * author runs in CI.  One plugin file is loaded alone, a sample graph of its
 * kinds is compiled, and each resource is taken through init, watch, noop,
 * apply, apply again, noop and cleanup, one at a time and without the
 * scheduler; group_cmp is checked for symmetry.  Verdicts, one line each, go
 * to stdout (doc/abi.md, "Checking a plugin").
 */
#ifndef ENGINE_PLUGIN_CHECK_H
#define ENGINE_PLUGIN_CHECK_H

/* Exit statuses, the CLI's numbers (engine/cli.h). */
#define PCHECK_PASS 0  /* every verdict ok */
#define PCHECK_FAIL 1  /* a verdict failed */
#define PCHECK_USAGE 2 /* no plugin file, or a sample that does not compile */

struct pcheck_opts {
	const char *plugin; /* the NAME.so to check */
	const char *yaml;   /* the sample graph */
	double timeout;     /* seconds for each hook */
};

/* Run the check.  Returns the exit status (PCHECK_*).  A hook that does
 * not return in time ends the process with PCHECK_FAIL (a check_apply's
 * thread is left behind). */
int pcheck_run(const struct pcheck_opts *o);

#endif /* ENGINE_PLUGIN_CHECK_H */

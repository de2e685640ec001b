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

struct pcheck_opts {
	const char *plugin; /* the NAME.so to check */
	const char *yaml;   /* the sample graph */
	double timeout;     /* seconds for each hook */
};

/* Run the check.  Returns the exit status: 0 every verdict ok, 1 any
 * failed, 2 the plugin file is missing or the sample does not compile.
 * A check_apply that does not return in time ends the process (exit 1,
 * the thread running it left behind). */
int pcheck_run(const struct pcheck_opts *o);

#endif /* ENGINE_PLUGIN_CHECK_H */

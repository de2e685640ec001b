/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opts.h - the commands' options (cli.c, cli-control.c): one parser for
 * every command, so that every bad value gets the same kind of message.
 */
#ifndef ENGINE_OPTS_H
#define ENGINE_OPTS_H

#include <stddef.h>

#include <mgmt/mgmt.h> /* MGMT_PRINTF */

/* "mgmt-engine: MESSAGE; see mgmt-engine --help" on stderr.  Returns
 * EXIT_USAGE. */
int usage_error(const char *fmt, ...) MGMT_PRINTF(1, 2);

/*
 * A command's options as a table: each names the field of the command's
 * argument struct it sets and how its value is checked, so one parser
 * (parse_opts) serves every command and every bad value gets the same
 * kind of message.
 */
enum opt_type {
	OPT_FLAG,    /* bool: set to true */
	OPT_TEXT,    /* const char *: the argument itself */
	OPT_TIMEOUT, /* double: seconds in [min, max], or -1 (never) */
	OPT_WHOLE,   /* long: a whole number in [min, max] */
	OPT_CHOICE,  /* int: the index of the argument in choices */
	OPT_REFUSED, /* never accepted: `what` says why (an exact name, so
		      * getopt does not take it for a longer option's
		      * abbreviation) */
};

struct opt {
	const char *name;
	enum opt_type type;
	size_t offset;
	double min, max;
	const char *what; /* the message's "is not ...": what is accepted */
	const char *const *choices;
};

/* Parse the options of `cmd` (argv[0]) into `args` by the table `tab`
 * (at most 32, ended by a NULL name).  Returns the index of the first
 * operand, or -EXIT_USAGE after saying what is wrong. */
int parse_opts(const char *cmd, const struct opt *tab, int argc, char **argv,
	       void *args);

#endif /* ENGINE_OPTS_H */

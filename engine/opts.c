/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opts.c - the commands' options: a table per command, one parser (opts.h).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

#define MAX_OPTS 32

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mgmt-engine: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; see mgmt-engine --help\n", stderr);
	return EXIT_USAGE;
}

static bool parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && isfinite(*out);
}

/* Store the value of option `o`, given as `arg`, in `args`.  Returns 0 or
 * EXIT_USAGE after saying what is wrong. */
static int set_opt(const char *cmd, const struct opt *o, const char *arg,
		   void *args)
{
	char *field = (char *)args + o->offset;
	double d = 0;
	int i;

	switch (o->type) {
	case OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case OPT_REFUSED:
		return usage_error("%s: --%s: %s", cmd, o->name, o->what);
	case OPT_TEXT:
		*(const char **)field = arg;
		return 0;
	case OPT_TIMEOUT:
	case OPT_WHOLE:
		if (parse_double(arg, &d) &&
		    ((d >= o->min && d <= o->max) ||
		     (d == -1 && o->type == OPT_TIMEOUT)) &&
		    (o->type == OPT_TIMEOUT || d == floor(d))) {
			if (o->type == OPT_TIMEOUT)
				*(double *)field = d;
			else
				*(long *)field = (long)d;
			return 0;
		}
		break;
	case OPT_CHOICE:
		for (i = 0; o->choices[i]; i++) {
			if (strcmp(arg, o->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		break;
	}
	return usage_error("%s: --%s: '%s' is not %s", cmd, o->name, arg,
			   o->what);
}

int parse_opts(const char *cmd, const struct opt *tab, int argc, char **argv,
	       void *args)
{
	struct option lo[MAX_OPTS + 1] = { 0 };
	int n, c;

	for (n = 0; tab[n].name && n < MAX_OPTS; n++)
		lo[n] = (struct option){
			.name = tab[n].name,
			.has_arg = tab[n].type == OPT_FLAG ? no_argument :
							     required_argument,
			.val = n + 1,
		};
	optind = 0; /* glibc: restart scanning at argv[1] */
	while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		if (c == ':')
			return -usage_error("%s: %s needs a value", cmd,
					    argv[optind - 1]);
		if (c < 1 || c > n)
			return -usage_error("%s: unknown option '%s'", cmd,
					    argv[optind - 1]);
		if (set_opt(cmd, &tab[c - 1], optarg, args))
			return -EXIT_USAGE;
	}
	return optind;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli.h - the command line (doc/architecture.md, "Commands and exit
 * statuses").
 */
#ifndef ENGINE_CLI_H
#define ENGINE_CLI_H

/* Exit statuses. */
#define EXIT_OK 0
#define EXIT_FAILED 1 /* a resource failed; `plugins`: a plugin was refused */
#define EXIT_USAGE 2  /* bad usage or invalid graph */

int cli_main(int argc, char **argv);

/* cli-control.c: the commands that ask a running engine (argv[0] is the
 * command).  Return the exit status. */
int cmd_reload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_trigger(int argc, char **argv);

#endif /* ENGINE_CLI_H */

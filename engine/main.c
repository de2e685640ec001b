/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c - entry point of mgmt-engine; everything else is in cli.c.
 */
#include "config.h"

#include "cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}

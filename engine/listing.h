/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * listing.h - the output of `mgmt-engine plugins`: a text listing, or the
 * kinds' reference as scdoc for mgmt-engine.yaml(5).
 */
#ifndef ENGINE_LISTING_H
#define ENGINE_LISTING_H

#include <stdio.h>

#include "loader/loader.h"

/* Each plugin with its kinds and their parameters, then each plugin or kind
 * that was refused or shadowed.  Any thread, with the registry unchanged. */
void listing_text(const struct registry *reg, FILE *out);

/* One `## KIND` section per kind, in name order: its doc, the plugin and
 * file defining it, and each parameter with its type, whether required, its
 * choices, its default and its doc.  Refused plugins are not listed (the
 * loader logged them).  Any thread, with the registry unchanged. */
void listing_scdoc(const struct registry *reg, FILE *out);

#endif /* ENGINE_LISTING_H */

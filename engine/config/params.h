/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * params.h - one schema parameter (struct mgmt_param) between a YAML node and
 * the plugin's per-resource struct: parse, default, free, compare; and the
 * "did you mean" suggestion every unknown-name error uses.
 *
 * Storage follows mgmt/params.h exactly.  Errors go to a struct diag as
 * `PREFIX NAME ...` at the offending node (PREFIX is e.g. "file[f1]: "), so
 * the compiler and the meta parser share one set of messages.
 */
#ifndef ENGINE_PARAMS_H
#define ENGINE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include <mgmt/params.h>

#include "config/diag.h"
#include "config/yaml.h"

/* Parse `n` as `p` into `obj` (the per-resource struct).  Returns 0;
 * -EINVAL after reporting why (the field is then left unset); -ENOMEM. */
int param_parse(const struct mgmt_param *p, const struct ynode *n, void *obj,
		const char *prefix, struct diag *d);

/* A parameter the YAML did not give: parse `def` as a plain scalar (a bad
 * default is reported at `pos`, naming the plugin), or store the unset
 * value.  Returns like param_parse. */
int param_default(const struct mgmt_param *p, void *obj, struct pos pos,
		  const char *prefix, struct diag *d);

/* Store the unset value of `p` (NULL, false, 0, -1...). */
void param_unset(const struct mgmt_param *p, void *obj);

/* Free the value of `p` in `obj` and leave it unset. */
void param_free(const struct mgmt_param *p, void *obj);
/* The same for every entry of an MGMT_PARAM_END-terminated schema. */
void params_free(const struct mgmt_param *schema, void *obj);

bool param_equal(const struct mgmt_param *p, const void *a, const void *b);
bool params_equal(const struct mgmt_param *schema, const void *a,
		  const void *b);

/* "a string", "a boolean"... as used in "wrong type" messages. */
const char *param_type_name(enum mgmt_param_type t);

/* Plain true/false/yes/no/on/off, any case.  Returns 0 or -EINVAL. */
int param_bool_text(const struct ynode *n, bool *out);

/* Free a list as stored for MGMT_PARAM_LIST. */
void strv_free(struct mgmt_strv *v);
bool strv_equal(const struct mgmt_strv *a, const struct mgmt_strv *b);

/* Levenshtein distance, ignoring case; SIZE_MAX for words over 64 bytes. */
size_t suggest_distance(const char *a, const char *b);

/* The nearest of a set of names to a misspelt `word`. */
struct suggest {
	const char *word;
	const char *best;
	size_t dist;
};

void suggest_init(struct suggest *s, const char *word);
void suggest_add(struct suggest *s, const char *candidate);
/* The best candidate when it is close enough (distance at most
 * max(2, strlen(word) / 3)), else NULL. */
const char *suggest_result(const struct suggest *s);
/* " (did you mean 'BEST'?)" into buf, or "" when nothing is close.
 * Returns buf. */
const char *suggest_hint(const struct suggest *s, char *buf, size_t len);

#endif /* ENGINE_PARAMS_H */

/* SPDX-License-Identifier: MIT */
/*
 * mgmt/params.h - the parameter schema a kind declares.
 *
 * A kind describes its YAML parameters as a table of struct mgmt_param.  The
 * engine parses and type-checks the YAML for the plugin (with file:line:col in
 * every error) and writes each value straight into the plugin's per-resource
 * struct at the declared offset.  The plugin therefore never sees YAML.
 *
 * The per-resource struct is allocated (zero-filled, `params_size` bytes, see
 * struct mgmt_kind) and freed by the engine.  It may hold runtime state of the
 * plugin after the parameter fields: the engine only touches the fields the
 * schema names.  Memory of parameter values (strings, lists, maps) is owned by
 * the engine (transfer none): read it, never free or modify it.  The one
 * exception is the kind's collect hook (mgmt/plugin.h), which may replace a
 * string, list or map value of the resource it adapts: free(3) the old
 * value and store one from malloc(3), which the engine frees with free(3).
 *
 * C types of each parameter type, as stored at `offset`:
 *
 *   MGMT_PARAM_STRING    char *                 NULL when unset
 *   MGMT_PARAM_BOOL      bool                   false when unset
 *   MGMT_PARAM_INT       int64_t                0 when unset
 *   MGMT_PARAM_MODE      int32_t                permission bits; -1 when unset.
 *                                               YAML: octal string "0644" or
 *                                               "644" (an int is read as octal
 *                                               digits too, as mgmt does)
 *   MGMT_PARAM_DURATION  int64_t milliseconds   -1 when unset.  YAML: a number
 *                                               of seconds (may be fractional)
 *                                               or a string with a unit:
 *                                               "500ms", "10s", "2m", "1h"
 *   MGMT_PARAM_LIST      struct mgmt_strv       list of scalars, as strings
 *   MGMT_PARAM_MAP       struct mgmt_strmap     mapping of scalars, as strings
 *   MGMT_PARAM_ENUM      int                    index into `choices`; -1 unset
 *
 * "Unset" means neither the YAML nor `def` gave a value.  A parameter that is
 * required (MGMT_PARAM_REQUIRED) is never unset when the plugin sees it.
 */
#ifndef MGMT_PARAMS_H
#define MGMT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parameter types.  Values are ABI: never renumber. Since 1.0. */
enum mgmt_param_type {
	MGMT_PARAM_STRING = 1,
	MGMT_PARAM_BOOL = 2,
	MGMT_PARAM_INT = 3,
	MGMT_PARAM_MODE = 4,
	MGMT_PARAM_DURATION = 5,
	MGMT_PARAM_LIST = 6,
	MGMT_PARAM_MAP = 7,
	MGMT_PARAM_ENUM = 8,
};

/* Flags of a parameter.  Since 1.0. */
#define MGMT_PARAM_REQUIRED 0x1u /* YAML must give it */

/* A list of strings, NULL-terminated as well as counted.  Since 1.0. */
struct mgmt_strv {
	size_t n;
	char **v; /* v[n] == NULL; NULL when n == 0 */
};

/* A string-to-string map in YAML order.  Since 1.0. */
struct mgmt_strmap {
	size_t n;
	char **keys;
	char **values;
};

/*
 * One parameter of a kind.  Tables of these end with an entry whose `name` is
 * NULL.  This struct is not growable by itself: new fields would come with a
 * new table pointer in struct mgmt_kind.  Since 1.0.
 */
struct mgmt_param {
	const char *name;           /* YAML key, e.g. "path" */
	enum mgmt_param_type type;  /* how to parse and store it */
	size_t offset;              /* where in the per-resource struct */
	const char *def;            /* default, as YAML scalar text, or NULL */
	unsigned flags;             /* MGMT_PARAM_* */
	const char *const *choices; /* MGMT_PARAM_ENUM: NULL-terminated names */
	const char *doc;            /* one line for `mgmt-engine plugins` */
};

/* Helpers for writing schema tables.  `type` is the per-resource struct.
 * Positional, so that they are C++ too (the end's type is cast: C++ does not
 * turn 0 into an enum).  (clang-format would split these one-line
 * initialisers across lines.) */
/* clang-format off */
#define MGMT_PARAM(type_, field, ptype, def_, flags_, doc_)                    \
	{ #field, ptype, offsetof(type_, field), def_, flags_, NULL, doc_ }
#define MGMT_PARAM_NAMED(key, type_, field, ptype, def_, flags_, doc_)         \
	{ key, ptype, offsetof(type_, field), def_, flags_, NULL, doc_ }
#define MGMT_PARAM_CHOICE(type_, field, choices_, def_, flags_, doc_)          \
	{ #field, MGMT_PARAM_ENUM, offsetof(type_, field), def_, flags_,       \
	  choices_, doc_ }
#define MGMT_PARAM_END { NULL, (enum mgmt_param_type)0, 0, NULL, 0, NULL, NULL }
/* clang-format on */

#ifdef __cplusplus
}
#endif

#endif /* MGMT_PARAMS_H */

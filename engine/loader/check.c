/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check.c - distrust what a plugin hands us: ABI versions first, then sizes,
 * then names and parameter schemas, each problem one line naming the file.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "loader/internal.h"

/* ---- checking what a plugin hands us ---------------------------------- */

/* The version header of a descriptor or kind (`what` names the kind): the
 * major must match, the minor must not be newer than the engine's. */
static int check_abi(struct registry *r, const struct loader_opts *o,
		     const char *file, const char *what, uint32_t major,
		     uint32_t minor)
{
	const char *why;

	if (major != MGMT_ABI_MAJOR)
		why = "major must match";
	else if (minor > o->abi_minor)
		why = "plugin is newer";
	else
		return 0;
	loader_err(
		r, file,
		"%sbuilt for SDK ABI %u.%u, this engine has ABI %u.%u (%s); skipped",
		what, major, minor, MGMT_ABI_MAJOR, o->abi_minor, why);
	return -EINVAL;
}

/* The `size` of the descriptor or of a kind (`what`): at least the 1.0
 * layout (`min`), since the engine reads every 1.0 member, and not absurd.
 * `how` says what writes a sound one. */
static int check_size(struct registry *r, const char *file, const char *what,
		      uint32_t size, size_t min, const char *how)
{
	if (size < min)
		loader_err(
			r, file,
			"%s size %u is too small: SDK ABI %u.0 needs at least %zu bytes; rebuild it with %s from the SDK; skipped",
			what, size, MGMT_ABI_MAJOR, min, how);
	else if (size > SIZE_ABSURD)
		loader_err(r, file,
			   "%s size %u is absurd (more than %u); skipped", what,
			   size, SIZE_ABSURD);
	else
		return 0;
	return -EINVAL;
}

static size_t param_storage(enum mgmt_param_type t, size_t *align)
{
	switch (t) {
	case MGMT_PARAM_STRING:
		*align = alignof(char *);
		return sizeof(char *);
	case MGMT_PARAM_BOOL:
		*align = alignof(bool);
		return sizeof(bool);
	case MGMT_PARAM_INT:
	case MGMT_PARAM_DURATION:
		*align = alignof(int64_t);
		return sizeof(int64_t);
	case MGMT_PARAM_MODE:
		*align = alignof(int32_t);
		return sizeof(int32_t);
	case MGMT_PARAM_LIST:
		*align = alignof(struct mgmt_strv);
		return sizeof(struct mgmt_strv);
	case MGMT_PARAM_MAP:
		*align = alignof(struct mgmt_strmap);
		return sizeof(struct mgmt_strmap);
	case MGMT_PARAM_ENUM:
		*align = alignof(int);
		return sizeof(int);
	}
	return 0;
}

/* Check the schema of kind `k`; count its entries into *np.  Returns 0, or
 * -EINVAL with `why` filled. */
static int check_params(const struct mgmt_kind *k, size_t *np, char *why,
			size_t len)
{
	const struct mgmt_param *p = k->params;
	size_t i;

	*np = 0;
	if (k->params_size > PARAMS_SIZE_ABSURD) {
		snprintf(why, len, "params_size %zu is absurd (more than %u)",
			 k->params_size, PARAMS_SIZE_ABSURD);
		return -EINVAL;
	}
	if (!p)
		return 0;
	for (i = 0; p[i].name; i++) {
		size_t size, align;

		if (i == MAX_PARAMS) {
			snprintf(
				why, len,
				"more than %d params (missing MGMT_PARAM_END?)",
				MAX_PARAMS);
			return -EINVAL;
		}
		size = param_storage(p[i].type, &align);
		if (!size) {
			snprintf(why, len, "param '%s': unknown type %d",
				 p[i].name, (int)p[i].type);
			return -EINVAL;
		}
		if (p[i].offset > k->params_size ||
		    size > k->params_size - p[i].offset) {
			snprintf(
				why, len,
				"param '%s': offset %zu + size %zu is beyond params_size %zu",
				p[i].name, p[i].offset, size, k->params_size);
			return -EINVAL;
		}
		if (p[i].offset % align) {
			snprintf(why, len,
				 "param '%s': offset %zu is not aligned to %zu",
				 p[i].name, p[i].offset, align);
			return -EINVAL;
		}
		if (p[i].type == MGMT_PARAM_ENUM &&
		    (!p[i].choices || !p[i].choices[0])) {
			snprintf(why, len, "param '%s': enum without choices",
				 p[i].name);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(p[j].name, p[i].name) == 0) {
				snprintf(why, len,
					 "param '%s' is declared twice",
					 p[i].name);
				return -EINVAL;
			}
		}
	}
	*np = i;
	return 0;
}

static bool kind_name_ok(const char *s)
{
	size_t n = strnlen(s, KIND_NAME_MAX + 1);

	if (n == 0 || n > KIND_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Check one kind of plugin `lp` (the idx-th, from 1) and copy it.  NULL when
 * it was skipped (logged, counted) and *oom set when memory ran out. */
struct kind_entry *loader_check_kind(struct registry *r,
				     const struct loader_opts *o,
				     const struct loader_plugin *lp,
				     const struct mgmt_kind *src, size_t idx,
				     bool *oom)
{
	struct kind_entry *e;
	char why[512];

	snprintf(why, sizeof(why), "kind #%zu ", idx);
	if (check_abi(r, o, lp->path, why, src->abi_major, src->abi_minor) < 0)
		return NULL;
	snprintf(why, sizeof(why), "kind #%zu", idx);
	if (check_size(r, lp->path, why, src->size, KIND_MIN_SIZE,
		       "MGMT_KIND_HEADER") < 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e) {
		*oom = true;
		return NULL;
	}
	memcpy(&e->k, src, src->size < sizeof(e->k) ? src->size : sizeof(e->k));
	e->plugin = lp;

	if (!e->k.name) {
		loader_err(r, lp->path, "kind #%zu has no name; skipped", idx);
		goto skip;
	}
	if (!kind_name_ok(e->k.name)) {
		loader_err(
			r, lp->path,
			"kind #%zu: name '%.*s' is invalid (must match [a-z][a-z0-9_]*, at most %d characters); skipped",
			idx, KIND_NAME_MAX + 8, e->k.name, KIND_NAME_MAX);
		goto skip;
	}
	if (!e->k.check_apply) {
		loader_err(r, lp->path,
			   "kind '%s': check_apply is NULL; skipped",
			   e->k.name);
		goto skip;
	}
	if (check_params(&e->k, &e->nparams, why, sizeof(why)) < 0) {
		loader_err(r, lp->path, "kind '%s': %s; skipped", e->k.name,
			   why);
		goto skip;
	}
	if (!e->k.params)
		e->k.params = no_params;
	return e;
skip:
	free(e);
	return NULL;
}

/* Check the descriptor `d` and copy it into lp->desc.  0 or -EINVAL. */
int loader_check_desc(struct registry *r, const struct loader_opts *o,
		      struct loader_plugin *lp, const struct mgmt_plugin *d)
{
	if (check_abi(r, o, lp->path, "", d->abi_major, d->abi_minor) < 0)
		return -EINVAL;
	if (check_size(r, lp->path, "descriptor", d->size, DESC_MIN_SIZE,
		       "MGMT_PLUGIN_DEFINE") < 0)
		return -EINVAL;
	memcpy(&lp->desc, d,
	       d->size < sizeof(lp->desc) ? d->size : sizeof(lp->desc));
	if (!lp->desc.name) {
		loader_err(r, lp->path, "descriptor has no name; skipped");
		return -EINVAL;
	}
	if (!lp->desc.kinds || !lp->desc.kinds[0]) {
		loader_err(r, lp->path, "defines no kinds; skipped");
		return -EINVAL;
	}
	return 0;
}

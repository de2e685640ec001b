/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * resource.c - the engine's side of a resource: building one from its YAML
 * mapping, freeing, comparing (for reload), where each parameter came from,
 * running validate and reporting what it finds, and the meta parameters
 * every resource accepts.
 *
 * Meta parameters are parsed by the same code as plugin parameters, through
 * a schema over struct meta, so their messages read the same; only `limit`
 * (a float that mgmt writes as +Inf for "unlimited") and the format of
 * `sema` entries need code of their own.
 */

/* The build's config.h (with _GNU_SOURCE), not config/config.h beside this
 * file: hence the angle brackets. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/params.h"
#include "config/resource.h"
#include "config/yaml.h"

#define SHOW_MAX 64

static const struct mgmt_param meta_schema[] = {
	MGMT_PARAM(struct meta, autoedge, MGMT_PARAM_BOOL, "true", 0,
		   "add automatic edges"),
	MGMT_PARAM(struct meta, autogroup, MGMT_PARAM_BOOL, "true", 0,
		   "may be grouped with compatible resources"),
	MGMT_PARAM(struct meta, noop, MGMT_PARAM_BOOL, NULL, 0,
		   "only report what would change"),
	MGMT_PARAM_NAMED("export", struct meta, export_, MGMT_PARAM_BOOL, NULL,
			 0, "export to etcd"),
	MGMT_PARAM(struct meta, retry, MGMT_PARAM_INT, NULL, 0,
		   "retries after an error; -1 forever"),
	MGMT_PARAM_NAMED("delay", struct meta, delay_ms, MGMT_PARAM_INT, NULL,
			 0, "milliseconds between retries"),
	MGMT_PARAM_NAMED("poll", struct meta, poll_s, MGMT_PARAM_INT, NULL, 0,
			 "seconds between checks; 0 event driven"),
	MGMT_PARAM(struct meta, burst, MGMT_PARAM_INT, NULL, 0,
		   "runs allowed at once over the limit"),
	MGMT_PARAM(struct meta, sema, MGMT_PARAM_LIST, NULL, 0,
		   "named concurrency limits, NAME or NAME:COUNT"),
	MGMT_PARAM(struct meta, rewatch, MGMT_PARAM_BOOL, NULL, 0,
		   "accepted for mgmt compatibility"),
	MGMT_PARAM(struct meta, realize, MGMT_PARAM_BOOL, NULL, 0,
		   "accepted for mgmt compatibility"),
	MGMT_PARAM(struct meta, reverse, MGMT_PARAM_BOOL, NULL, 0,
		   "accepted for mgmt compatibility"),
	MGMT_PARAM_END,
};

/* The lowest value each integer meta parameter takes. */
static int64_t meta_min(const struct mgmt_param *p)
{
	return strcmp(p->name, "retry") == 0 ? -1 : 0;
}

void meta_init(struct meta *m)
{
	memset(m, 0, sizeof(*m));
	m->autoedge = true;
	m->autogroup = true;
}

void meta_free(struct meta *m)
{
	strv_free(&m->sema);
}

bool meta_equal(const struct meta *a, const struct meta *b)
{
	return params_equal(meta_schema, a, b) && a->limit == b->limit;
}

static bool is_inf(const struct ynode *n)
{
	static const char *const inf[] = { "inf", "+inf", ".inf", "+.inf" };

	for (size_t i = 0; i < sizeof(inf) / sizeof(*inf); i++)
		if (n->scalar.len == strlen(inf[i]) &&
		    strcasecmp(n->scalar.text, inf[i]) == 0)
			return true;
	return false;
}

/* A float >= 0, or infinity meaning "no limit" (stored as 0). */
static int parse_limit(struct meta *m, const struct ynode *n,
		       const char *prefix, struct diag *d)
{
	char show[SHOW_MAX], *end;
	double v;

	if (n->kind != YNODE_SCALAR) {
		diag_add(d, n->pos,
			 "%slimit: wrong type: expected a number, got %s",
			 prefix, ynode_kind_name(n));
		return -EINVAL;
	}
	if (is_inf(n)) {
		m->limit = 0;
		return 0;
	}
	/* strtod also takes "nan", hex and leading blanks: allow only a plain
	 * decimal number. */
	if (n->scalar.len == 0 ||
	    strspn(n->scalar.text, "0123456789.eE+-") != n->scalar.len)
		goto bad;
	errno = 0;
	v = strtod(n->scalar.text, &end);
	if (*end || errno || !isfinite(v) || v < 0)
		goto bad;
	m->limit = v;
	return 0;
bad:
	diag_add(d, n->pos,
		 "%slimit \"%s\" is not a rate (a number of runs per "
		 "second >= 0, or +Inf)",
		 prefix, yscalar_show(n, show, sizeof(show)));
	return -EINVAL;
}

/* "NAME" or "NAME:COUNT", COUNT >= 1. */
static bool sema_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	long long count = 0;

	if (!colon)
		return *s != '\0';
	if (colon == s || colon[1] == '\0')
		return false;
	for (const char *c = colon + 1; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		count = count * 10 + (*c - '0');
		if (count > INT_MAX)
			return false;
	}
	return count >= 1;
}

static int meta_one(struct meta *m, const struct ynode *key,
		    const struct ynode *val, const char *prefix, struct diag *d)
{
	const struct mgmt_param *p;
	char show[SHOW_MAX], hint[128];
	struct suggest sg;
	int rc;

	if (yscalar_is(key, "limit"))
		return parse_limit(m, val, prefix, d);
	for (p = meta_schema; p->name; p++)
		if (yscalar_is(key, p->name))
			break;
	if (!p->name) {
		suggest_init(&sg, key->scalar.text);
		for (p = meta_schema; p->name; p++)
			suggest_add(&sg, p->name);
		suggest_add(&sg, "limit");
		diag_add(d, key->pos, "%sunknown parameter '%s'%s", prefix,
			 yscalar_show(key, show, sizeof(show)),
			 suggest_hint(&sg, hint, sizeof(hint)));
		return -EINVAL;
	}
	param_free(p, m);
	rc = param_parse(p, val, m, prefix, d);
	if (rc < 0) {
		/* Keep the documented default after a bad value. */
		param_default(p, m, val->pos, prefix, d);
		return rc;
	}
	if (p->type == MGMT_PARAM_INT) {
		int64_t *v = (int64_t *)((char *)m + p->offset);

		if (*v < meta_min(p)) {
			diag_add(d, val->pos, "%s%s %lld is out of range (%s)",
				 prefix, p->name, (long long)*v,
				 meta_min(p) < 0 ? "-1 = forever, or more" :
						   "0 or more");
			*v = 0;
			return -EINVAL;
		}
	}
	if (p->type == MGMT_PARAM_LIST) {
		for (size_t i = 0; i < m->sema.n; i++) {
			if (sema_ok(m->sema.v[i]))
				continue;
			diag_add(d, val->seq.items[i]->pos,
				 "%ssema \"%s\" is "
				 "not NAME or NAME:COUNT with COUNT >= 1",
				 prefix,
				 yscalar_show(val->seq.items[i], show,
					      sizeof(show)));
			rc = -EINVAL;
		}
		if (rc < 0)
			strv_free(&m->sema);
	}
	return rc;
}

int meta_parse(struct meta *m, const struct ynode *n, const char *prefix,
	       struct diag *d)
{
	char pre[512];
	int rc = 0;

	snprintf(pre, sizeof(pre), "%smeta: ", prefix);
	if (n->kind != YNODE_MAP) {
		diag_add(d, n->pos, "%swrong type: expected a mapping, got %s",
			 pre, ynode_kind_name(n));
		return -EINVAL;
	}
	for (size_t i = 0; i < n->map.n; i++) {
		int r = meta_one(m, n->map.pairs[i].key, n->map.pairs[i].value,
				 pre, d);

		if (r == -ENOMEM)
			return r;
		if (r < 0)
			rc = r;
	}
	return rc;
}

void res_free(struct mgmt_res *r)
{
	if (!r)
		return;
	if (r->params && r->kind)
		params_free(r->kind->k.params, r->params);
	free(r->params);
	free(r->name);
	free(r->param_pos);
	meta_free(&r->meta);
	r->magic = 0;
	free(r);
}

bool res_equal(const struct mgmt_res *a, const struct mgmt_res *b)
{
	if (a->kind != b->kind || strcmp(a->name, b->name) != 0 ||
	    !meta_equal(&a->meta, &b->meta))
		return false;
	if (a->kind->k.cmp)
		return a->kind->k.cmp(a->params, b->params);
	return params_equal(a->kind->k.params, a->params, b->params);
}

struct pos res_param_pos(const struct mgmt_res *r, const char *param)
{
	const struct mgmt_param *schema = r->kind ? r->kind->k.params : NULL;

	if (!param || !schema || !r->param_pos)
		return r->pos;
	for (size_t i = 0; schema[i].name; i++) {
		if (strcmp(schema[i].name, param) == 0)
			return r->param_pos[i].line > 0 ? r->param_pos[i] :
							  r->pos;
	}
	return r->pos;
}

void res_invalid_v(struct mgmt_res *r, const char *param, const char *fmt,
		   va_list ap)
{
	char label[256], *msg = NULL;

	if (!r || !r->diag)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	res_label(r, label, sizeof(label));
	if (param)
		diag_add(r->diag, res_param_pos(r, param), "%s: %s: %s", label,
			 param, msg);
	else
		diag_add(r->diag, r->pos, "%s: %s", label, msg);
	free(msg);
}

int res_validate(struct mgmt_res *r, struct diag *d)
{
	size_t before = d ? d->n : 0;
	char label[256];
	int rc;

	if (!r->kind->k.validate)
		return 0;
	r->diag = d;
	rc = r->kind->k.validate(r, r->params);
	r->diag = NULL;
	if (d && d->n > before)
		return -EINVAL;
	if (rc == 0)
		return 0;
	diag_add(d, r->pos, "%s: invalid (the plugin gave no reason)",
		 res_label(r, label, sizeof(label)));
	return -EINVAL;
}

/* Keep the first error of a resource (ENOMEM wins). */
static void keep(int *rc, int r)
{
	if (r == -ENOMEM || (r < 0 && *rc == 0))
		*rc = r;
}

static void unknown_param(const struct mgmt_param *schema,
			  const struct ynode *key, const char *prefix,
			  struct diag *d)
{
	char show[SHOW_MAX], hint[128];
	struct suggest sg;

	suggest_init(&sg, key->scalar.text);
	for (size_t j = 0; schema && schema[j].name; j++)
		suggest_add(&sg, schema[j].name);
	suggest_add(&sg, "name");
	suggest_add(&sg, "meta");
	diag_add(d, key->pos, "%sunknown parameter '%s'%s", prefix,
		 yscalar_show(key, show, sizeof(show)),
		 suggest_hint(&sg, hint, sizeof(hint)));
}

/* Every key but the name, then what the YAML did not give. */
static int res_keys(struct mgmt_res *r, const struct ynode *n,
		    const char *prefix, struct diag *d)
{
	const struct mgmt_param *schema = r->kind->k.params;
	int rc = 0;

	for (size_t i = 0; i < n->map.n; i++) {
		const struct ynode *key = n->map.pairs[i].key;
		const struct ynode *val = n->map.pairs[i].value;
		size_t j;

		if (yscalar_is(key, "name"))
			continue;
		if (yscalar_is(key, "meta")) {
			keep(&rc, meta_parse(&r->meta, val, prefix, d));
			continue;
		}
		for (j = 0; schema && schema[j].name; j++)
			if (yscalar_is(key, schema[j].name))
				break;
		if (!schema || !schema[j].name) {
			unknown_param(schema, key, prefix, d);
			keep(&rc, -EINVAL);
			continue;
		}
		r->param_pos[j] = val->pos;
		keep(&rc, param_parse(&schema[j], val, r->params, prefix, d));
	}
	for (size_t j = 0; schema && schema[j].name; j++) {
		if (r->param_pos[j].line > 0)
			continue;
		if (schema[j].flags & MGMT_PARAM_REQUIRED) {
			diag_add(d, r->pos, "%smissing required parameter '%s'",
				 prefix, schema[j].name);
			param_unset(&schema[j], r->params);
			keep(&rc, -EINVAL);
		} else {
			keep(&rc, param_default(&schema[j], r->params, r->pos,
						prefix, d));
		}
	}
	return rc;
}

static int res_name(struct mgmt_res *r, const struct ynode *n, struct diag *d)
{
	const char *kind = r->kind->k.name;
	const struct ynode *name = ymap_get(n, "name");

	if (!name) {
		diag_add(d, n->pos, "%s: resource without a 'name'", kind);
		return -EINVAL;
	}
	if (name->kind != YNODE_SCALAR) {
		diag_add(d, name->pos,
			 "%s: name: wrong type: expected a string, got %s",
			 kind, ynode_kind_name(name));
		return -EINVAL;
	}
	if (name->scalar.len == 0) {
		diag_add(d, name->pos, "%s: 'name' must not be empty", kind);
		return -EINVAL;
	}
	if (memchr(name->scalar.text, '\0', name->scalar.len)) {
		diag_add(d, name->pos,
			 "%s: name: a NUL character is not allowed", kind);
		return -EINVAL;
	}
	r->name = strndup(name->scalar.text, name->scalar.len);
	return r->name ? 0 : -ENOMEM;
}

int res_from_yaml(const struct kind_entry *k, const struct ynode *n,
		  struct diag *d, struct mgmt_res **out)
{
	struct mgmt_res *r = calloc(1, sizeof(*r));
	char prefix[320];
	size_t np = 0, len;
	int rc = 0;

	*out = NULL;
	while (k->k.params && k->k.params[np].name)
		np++;
	if (!r)
		return -ENOMEM;
	r->magic = RES_MAGIC;
	r->kind = k;
	r->pos = n->pos;
	meta_init(&r->meta);
	r->params = calloc(1, k->k.params_size ? k->k.params_size : 1);
	r->param_pos = calloc(np ? np : 1, sizeof(*r->param_pos));
	if (!r->params || !r->param_pos) {
		res_free(r);
		return -ENOMEM;
	}
	keep(&rc, res_name(r, n, d));
	/* "kind[name]: " before every message; no snprintf: this runs for
	 * each of 100,000 resources. */
	res_label(r, prefix, sizeof(prefix) - 2);
	len = strlen(prefix);
	memcpy(prefix + len, ": ", 3);
	if (rc != -ENOMEM)
		keep(&rc, res_keys(r, n, prefix, d));
	/* mgmt's mark of an exported resource, whatever meta says */
	if (r->name && strncmp(r->name, "@@", 2) == 0)
		r->meta.export_ = true;
	if (rc == -ENOMEM) {
		res_free(r);
		return rc;
	}
	*out = r;
	return rc;
}

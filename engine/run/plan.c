/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plan.c - from a compiled config to the grouped graph that runs, and its
 * dot and JSON forms.
 *
 * The autogrouper sees resources only through the callbacks below: which
 * may be grouped (meta.autogroup and a kind with group_cmp), their order
 * (kind, then name: the same graph groups the same way every time), and the
 * kind's own group_cmp.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "run/plan.h"

static const struct mgmt_res *res_of(const struct plan *p, uint32_t v)
{
	return p->cfg->res[v];
}

static bool cb_groupable(void *ctx, uint32_t v)
{
	const struct mgmt_res *r = res_of(ctx, v);

	return r->meta.autogroup && r->kind->k.group_cmp;
}

static int cb_order(void *ctx, uint32_t a, uint32_t b)
{
	const struct mgmt_res *x = res_of(ctx, a), *y = res_of(ctx, b);
	int c = strcmp(x->kind->k.name, y->kind->k.name);

	if (c == 0)
		c = strcmp(x->name, y->name);
	return c ? c : (a > b) - (a < b);
}

static bool cb_same_class(void *ctx, uint32_t a, uint32_t b)
{
	return res_of(ctx, a)->kind == res_of(ctx, b)->kind;
}

/* FNV-1a of the kind's group key: equal keys hash equal, which is all the
 * hint needs (a collision only costs a group_cmp call). */
static uint64_t cb_group_key(void *ctx, uint32_t v)
{
	struct mgmt_res *r = (struct mgmt_res *)res_of(ctx, v);
	uint64_t h = 0xcbf29ce484222325u;
	const char *key = NULL;
	size_t len;

	if (!r->kind->k.group_key)
		return 0;
	len = r->kind->k.group_key(r, r->params, &key);
	for (size_t i = 0; key && i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3u;
	}
	return h;
}

static bool cb_cmp(void *ctx, uint32_t leader, uint32_t cand)
{
	struct mgmt_res *l = (struct mgmt_res *)res_of(ctx, leader);
	struct mgmt_res *c = (struct mgmt_res *)res_of(ctx, cand);

	return l->kind->k.group_cmp(l, l->params, c, c->params);
}

static const char *kind_label(const struct mgmt_res *r, bool upper, char *buf)
{
	snprintf(buf, 64, "%s", r->kind->k.name);
	if (upper && buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
	return buf;
}

int plan_group(const struct graph_cfg *cfg, bool autogroup, struct plan *p)
{
	struct autogroup_input in = {
		.g = &p->rg,
		.groupable = cb_groupable,
		.order = cb_order,
		.same_class = cb_same_class,
		.cmp = cb_cmp,
		.group_key = cb_group_key,
		.ctx = p,
	};
	int rc;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	rc = graph_init(&p->rg, (uint32_t)cfg->nres);
	for (size_t i = 0; rc == 0 && i < cfg->nedges; i++)
		rc = graph_add_edge(&p->rg, (uint32_t)cfg->edges[i].from,
				    (uint32_t)cfg->edges[i].to,
				    cfg->edges[i].notify ? GRAPH_EDGE_NOTIFY :
							   0);
	if (rc == 0)
		rc = graph_finalize(&p->rg);
	if (rc == 0)
		rc = autogroup ? autogroup_default.run(&in, &p->ag) :
				 autogroup_none(&in, &p->ag);
	if (rc < 0)
		plan_free(p);
	return rc;
}

/* mgmt logs every member it groups; a thousand files are a thousand lines,
 * so that detail is debug, and the group gets one line. */
void plan_join(const struct plan *p, uint32_t k)
{
	const struct graph_cfg *cfg = p->cfg;
	uint32_t s = p->ag.member_start[k], e = p->ag.member_start[k + 1];
	struct mgmt_res *l = cfg->res[p->ag.members[s]];
	char kl[64], km[64];

	/* Each member forgets the group it led, then the leader hears of
	 * every member again (mgmt/plugin.h, group_reset). */
	for (uint32_t i = s; i < e; i++) {
		struct mgmt_res *m = cfg->res[p->ag.members[i]];

		if (m->kind->k.group_reset)
			m->kind->k.group_reset(m, m->params);
	}
	if (e - s < 2)
		return;
	for (uint32_t i = s + 1; i < e; i++) {
		struct mgmt_res *m = cfg->res[p->ag.members[i]];
		int r = l->kind->k.group ?
				l->kind->k.group(l, l->params, m, m->params) :
				0;

		if (r < 0)
			log_error("Grouping: %s[%s] refused %s[%s] after "
				  "group_cmp accepted it (error %d); it runs "
				  "in the group anyway",
				  kind_label(l, true, kl), l->name,
				  kind_label(m, true, km), m->name, r);
		else
			log_debug("Grouping: Success for: %s[%s] into %s[%s]",
				  kind_label(m, true, km), m->name,
				  kind_label(l, true, kl), l->name);
	}
	log_info("Grouping: %u resources into %s[%s]", e - s,
		 kind_label(l, true, kl), l->name);
}

int plan_build(const struct graph_cfg *cfg, bool autogroup, struct plan *p)
{
	int rc = plan_group(cfg, autogroup, p);

	for (uint32_t k = 0; rc == 0 && k < p->ag.ngroups; k++)
		plan_join(p, k);
	return rc;
}

void plan_free(struct plan *p)
{
	graph_free(&p->rg);
	autogroup_result_free(&p->ag);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *plan_label(const struct plan *p, uint32_t group, bool upper,
		       char *buf, size_t len)
{
	uint32_t s = p->ag.member_start[group],
		 e = p->ag.member_start[group + 1];
	const struct mgmt_res *l = res_of(p, p->ag.members[s]);
	char kl[64];
	const char **names;
	size_t o;

	kind_label(l, upper, kl);
	if (e - s == 1) {
		snprintf(buf, len, "%s[%s]", kl, l->name);
		return buf;
	}
	names = malloc(sizeof(*names) * (e - s));
	if (!names) {
		snprintf(buf, len, "%s[autogroup:(%s,...)]", kl, l->name);
		return buf;
	}
	for (uint32_t i = s; i < e; i++)
		names[i - s] = res_of(p, p->ag.members[i])->name;
	qsort(names, e - s, sizeof(*names), name_cmp);
	o = (size_t)snprintf(buf, len, "%s[autogroup:(", kl);
	for (uint32_t i = 0; i < e - s && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
				      names[i]);
	if (o < len)
		snprintf(buf + o, len - o, ")]");
	free(names);
	return buf;
}

/* Labels can be long (a group of thousands): one buffer of a size that
 * fits every name of the graph. */
static size_t label_cap(const struct plan *p)
{
	size_t cap = 128;

	for (size_t i = 0; i < p->cfg->nres; i++)
		cap += strlen(p->cfg->res[i]->name) + 1;
	return cap;
}

struct dot_ctx {
	const struct plan *p;
	char *buf;
	size_t cap;
};

static const char *dot_label(void *ctx, uint32_t v, char *buf, size_t len)
{
	struct dot_ctx *d = ctx;

	return plan_label(d->p, v, true, d->buf, d->cap);
}

int plan_write_dot(const struct plan *p, FILE *f)
{
	struct dot_ctx d = { p, NULL, label_cap(p) };
	int rc;

	d.buf = malloc(d.cap);
	if (!d.buf)
		return -ENOMEM;
	rc = graph_write_dot(&p->ag.grouped, f,
			     p->cfg->name ? p->cfg->name : "mgmt", dot_label,
			     &d);
	free(d.buf);
	return rc;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

struct json_vertex {
	char *id;
	uint32_t group;
};

static int jv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct json_vertex *)a)->id,
		      ((const struct json_vertex *)b)->id);
}

struct json_edge {
	const char *from, *to;
	bool notify;
};

static int je_cmp(const void *a, const void *b)
{
	const struct json_edge *x = a, *y = b;
	int c = strcmp(x->from, y->from);

	return c ? c : strcmp(x->to, y->to);
}

int plan_write_json(const struct plan *p, FILE *f)
{
	const struct graph *g = &p->ag.grouped;
	uint32_t n = p->ag.ngroups;
	struct json_vertex *v = calloc(n ? n : 1, sizeof(*v));
	struct json_edge *e = calloc(g->nedges ? g->nedges : 1, sizeof(*e));
	const char **id_of = calloc(n ? n : 1, sizeof(*id_of));
	size_t cap = label_cap(p);
	int rc = 0;

	for (uint32_t i = 0; v && i < n && rc == 0; i++) {
		v[i].group = i;
		v[i].id = malloc(cap);
		if (!v[i].id)
			rc = -ENOMEM;
		else
			plan_label(p, i, false, v[i].id, cap);
	}
	if (!v || !e || !id_of || rc) {
		rc = -ENOMEM;
		goto out;
	}
	qsort(v, n, sizeof(*v), jv_cmp);
	for (uint32_t i = 0; i < n; i++)
		id_of[v[i].group] = v[i].id;
	for (size_t i = 0; i < g->nedges; i++)
		e[i] = (struct json_edge){ id_of[g->edges[i].from],
					   id_of[g->edges[i].to],
					   g->edges[i].flags &
						   GRAPH_EDGE_NOTIFY };
	qsort(e, g->nedges, sizeof(*e), je_cmp);

	fputs("{\"vertices\": [", f);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = v[i].group, s = p->ag.member_start[k];
		uint32_t end = p->ag.member_start[k + 1];
		const char **names = malloc(sizeof(*names) * (end - s));

		if (!names) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t m = s; m < end; m++)
			names[m - s] = res_of(p, p->ag.members[m])->name;
		qsort(names, end - s, sizeof(*names), name_cmp);
		fputs(i ? ", {\"id\": " : "{\"id\": ", f);
		json_str(f, v[i].id);
		fputs(", \"kind\": ", f);
		json_str(f, res_of(p, p->ag.members[s])->kind->k.name);
		fputs(", \"members\": [", f);
		for (uint32_t m = 0; m < end - s; m++) {
			if (m)
				fputs(", ", f);
			json_str(f, names[m]);
		}
		fputs("]}", f);
		free(names);
	}
	fputs("], \"edges\": [", f);
	for (size_t i = 0; i < g->nedges; i++) {
		fputs(i ? ", {\"from\": " : "{\"from\": ", f);
		json_str(f, e[i].from);
		fputs(", \"to\": ", f);
		json_str(f, e[i].to);
		fprintf(f, ", \"notify\": %s}", e[i].notify ? "true" : "false");
	}
	fputs("]}\n", f);
	if (ferror(f))
		rc = -EIO;
out:
	for (uint32_t i = 0; v && i < n; i++)
		free(v[i].id);
	free(v);
	free(e);
	free(id_of);
	return rc;
}

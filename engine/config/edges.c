/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * edges.c - the compiler's edges (from/to resolved by kind and name, notify),
 * collect entries, and the cycle check, printed as a path.
 */
/* The build's config.h, not config/config.h: hence the angle brackets. */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "config/params.h"
#include "cluster/trust.h"
#include "graph/graph.h"
#include "util/grow.h"

/* ---- edges and collect ---- */

static const char *const edge_keys[] = { "name", "from", "to", "notify", NULL };
static const char *const vertex_keys[] = { "kind", "name", NULL };
static const char *const collect_keys[] = { "kind", "pattern", "system", NULL };

/* Check that mapping `n` has only `keys`. */
static bool only_keys(struct compile *c, const struct ynode *n,
		      const char *prefix, const char *const *keys)
{
	bool ok = true;

	for (size_t i = 0; i < n->map.n; i++) {
		const struct ynode *key = n->map.pairs[i].key;
		size_t j;

		for (j = 0; keys[j] && !yscalar_is(key, keys[j]); j++)
			;
		if (!keys[j]) {
			cfg_unknown_key(c, key, prefix, "key", keys);
			ok = false;
		}
	}
	return ok;
}

/* from/to of an edge: the index of the resource, or -1 after reporting. */
static ssize_t resolve(struct compile *c, const struct ynode *edge,
		       const char *prefix, const char *which)
{
	const struct ynode *n = ymap_get(edge, which), *name;
	char pre[320], show[SHOW_MAX];
	ssize_t kidx;
	void *v;

	cfg_cat(pre, sizeof(pre), prefix, which, ": ", (char *)NULL);
	if (!n) {
		cfg_err(c, edge->pos, "%smissing '%s'", prefix, which);
		return -1;
	}
	if (n->kind != YNODE_MAP) {
		cfg_err(c, n->pos, "%swrong type: expected a mapping, got %s",
			pre, ynode_kind_name(n));
		return -1;
	}
	if (!only_keys(c, n, pre, vertex_keys) ||
	    (kidx = cfg_get_kind(c, n, pre)) < 0)
		return -1;
	name = ymap_get(n, "name");
	if (!name || name->kind != YNODE_SCALAR) {
		if (name)
			cfg_err(c, name->pos,
				"%sname: wrong type: expected a string, got %s",
				pre, ynode_kind_name(name));
		else
			cfg_err(c, n->pos, "%smissing 'name'", pre);
		return -1;
	}
	v = shash_get(&c->names[kidx], name->scalar.text, name->scalar.len);
	if (!v) {
		cfg_err(c, n->pos, "%sno resource %s[%s]", pre,
			c->reg->kinds[kidx]->k.name,
			yscalar_show(name, show, sizeof(show)));
		return -1;
	}
	return (ssize_t)((uintptr_t)v - 1);
}

void cfg_edge(struct compile *c, size_t idx, const struct ynode *n)
{
	static const struct mgmt_param notify_p = {
		"notify", MGMT_PARAM_BOOL, 0, NULL, 0, NULL, NULL
	};
	const struct ynode *name, *notify;
	char prefix[320], show[SHOW_MAX], label[256], num[24];
	struct edge_cfg e = { .pos = n->pos };
	ssize_t from, to;

	if (n->kind != YNODE_MAP) {
		cfg_err(c, n->pos,
			"edge #%zu: wrong type: expected a mapping, got %s",
			idx + 1, ynode_kind_name(n));
		return;
	}
	name = ymap_get(n, "name");
	if (name && name->kind == YNODE_SCALAR)
		cfg_cat(prefix, sizeof(prefix), "edge ",
			yscalar_show(name, show, sizeof(show)), ": ",
			(char *)NULL);
	else
		cfg_cat(prefix, sizeof(prefix), "edge #",
			cfg_utoa(idx + 1, num), ": ", (char *)NULL);
	only_keys(c, n, prefix, edge_keys);
	if (name && cfg_get_string(c, name, prefix, "name", &e.name) < 0)
		return;
	from = resolve(c, n, prefix, "from");
	to = resolve(c, n, prefix, "to");
	notify = ymap_get(n, "notify");
	if (notify)
		cfg_count(c, param_parse(&notify_p, notify, &e.notify, prefix,
					 c->d));
	if (from < 0 || to < 0) {
		free(e.name);
		return;
	}
	if (from == to) {
		cfg_err(c, n->pos, "%sfrom and to are the same resource %s",
			prefix,
			res_label(c->g->res[from], label, sizeof(label)));
		free(e.name);
		return;
	}
	if (GROW(c->g->edges, c->cap_edges, c->g->nedges + 1, 16) < 0) {
		c->nomem = true;
		free(e.name);
		return;
	}
	e.from = (size_t)from;
	e.to = (size_t)to;
	c->g->edges[c->g->nedges++] = e;
}

void cfg_collect(struct compile *c, size_t idx, const struct ynode *n)
{
	static const struct mgmt_param system_p = {
		"system", MGMT_PARAM_BOOL, 0, NULL, 0, NULL, NULL
	};
	const struct ynode *pattern, *sys;
	const struct kind_entry *k;
	int rc;
	struct collect_cfg col = { .pos = n->pos };
	char prefix[64], num[24];
	ssize_t kidx;

	cfg_cat(prefix, sizeof(prefix), "collect #", cfg_utoa(idx + 1, num),
		": ", (char *)NULL);
	if (n->kind != YNODE_MAP) {
		cfg_err(c, n->pos, "%swrong type: expected a mapping, got %s",
			prefix, ynode_kind_name(n));
		return;
	}
	only_keys(c, n, prefix, collect_keys);
	pattern = ymap_get(n, "pattern");
	sys = ymap_get(n, "system");
	if (sys &&
	    (rc = param_parse(&system_p, sys, &col.system, prefix, c->d)) < 0) {
		cfg_count(c, rc);
		return;
	}
	if ((kidx = cfg_get_kind(c, n, prefix)) < 0)
		return;
	k = c->reg->kinds[kidx];
	if ((k->k.flags & MGMT_KIND_SYSTEM) && !col.system) {
		cfg_err(c, ymap_get(n, "kind")->pos,
			"%skind %s runs commands or changes the system's state "
			"as root: to apply what other hosts export of it, add "
			"'system: true' to this entry (and trust only the "
			"hosts that may)",
			prefix, k->k.name);
		return;
	}
	if (pattern &&
	    cfg_get_string(c, pattern, prefix, "pattern", &col.pattern) < 0)
		return;
	if (!col.pattern)
		col.pattern = strdup("");
	col.kind = strdup(c->reg->kinds[kidx]->k.name);
	if (!col.kind || !col.pattern ||
	    GROW(c->g->collect, c->cap_collect, c->g->ncollect + 1, 16) < 0) {
		free(col.kind);
		free(col.pattern);
		c->nomem = true;
		return;
	}
	c->g->collect[c->g->ncollect++] = col;
}

/* One key of the graph's `trust:` list: "ed25519:BASE64 HOST". */
void cfg_trust(struct compile *c, size_t idx, const struct ynode *n)
{
	struct trust_cfg t = { .pos = n->pos };
	char prefix[64], num[24], *text = NULL;
	const char *why = NULL;
	int rc;

	cfg_cat(prefix, sizeof(prefix), "trust #", cfg_utoa(idx + 1, num),
		(char *)NULL);
	if (cfg_get_string(c, n, "", prefix, &text) < 0)
		return;
	rc = trust_parse_line(text, strlen(text), t.pk, &t.host, &why);
	free(text);
	if (rc == -EINVAL) {
		cfg_err(c, n->pos, "%s: %s", prefix, why);
		return;
	}
	if (rc < 0 ||
	    GROW(c->g->trust, c->cap_trust, c->g->ntrust + 1, 8) < 0) {
		free(t.host);
		c->nomem = true;
		return;
	}
	c->g->trust[c->g->ntrust++] = t;
}

void cfg_list(struct compile *c, const struct ynode *n, const char *what,
	      void (*one)(struct compile *, size_t, const struct ynode *))
{
	if (cfg_is_null(n))
		return;
	if (n->kind != YNODE_SEQ) {
		cfg_err(c, n->pos,
			"%s: wrong type: expected a sequence, got %s", what,
			ynode_kind_name(n));
		return;
	}
	for (size_t i = 0; i < n->seq.n && !c->nomem; i++)
		one(c, i, n->seq.items[i]);
}

/* Report one cycle, at its first edge.  A long cycle is shown by its start
 * and the resource that closes it. */
void cfg_check_cycles(struct compile *c)
{
	char msg[CYCLE_SHOW * 260 + 64], label[256], num[24];
	struct graph gr;
	uint32_t *path = NULL;
	size_t len = 0, o = 0;
	struct pos at = { 0 };
	int rc;

	if (c->g->nedges == 0)
		return;
	rc = graph_init(&gr, (uint32_t)c->g->nres);
	for (size_t i = 0; rc == 0 && i < c->g->nedges; i++)
		rc = graph_add_edge(&gr, (uint32_t)c->g->edges[i].from,
				    (uint32_t)c->g->edges[i].to, 0);
	if (rc == 0)
		rc = graph_finalize(&gr);
	if (rc == 0)
		rc = graph_find_cycle(&gr, &path, &len);
	graph_free(&gr);
	if (rc == -ENOMEM)
		c->nomem = true;
	if (rc < 0 || len < 2) {
		free(path);
		return;
	}
	for (size_t i = 0; i < c->g->nedges && at.line == 0; i++)
		if (c->g->edges[i].from == path[0] &&
		    c->g->edges[i].to == path[1])
			at = c->g->edges[i].pos;
	for (size_t i = 0; i < len; i++) {
		if (len > CYCLE_SHOW + 1 && i == CYCLE_SHOW) {
			o += strlen(cfg_cat(msg + o, sizeof(msg) - o,
					    " -> ... (",
					    cfg_utoa(len - 1 - CYCLE_SHOW, num),
					    " more)", (char *)NULL));
			i = len - 1;
		}
		o += strlen(cfg_cat(msg + o, sizeof(msg) - o, i ? " -> " : "",
				    res_label(c->g->res[path[i]], label,
					      sizeof(label)),
				    (char *)NULL));
	}
	cfg_err(c, at, "graph has a cycle: %s", msg);
	free(path);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config.c - compile a graph file's document tree into resources and edges
 * (see config.h).
 *
 * One pass over the tree, collecting every error rather than stopping at the
 * first, so `mgmt-engine validate` shows a user all that is wrong at once;
 * a graph with any error is freed, never returned.  Resource names are kept
 * in one hash table per kind, so duplicate checks and edge lookups stay
 * linear in the size of the file (graphs of 100,000 resources are normal).
 * Resource and edge items are compiled as the parser finishes them (see
 * struct ydoc_hook); edges, collect and the cycle check are in edges.c.
 * Conflicts (two resources of one kind with one uid) are found in the index
 * the automatic edges use (autoedge.c), among the resources that compiled,
 * even when others did not, so all errors still show at once.
 */

/* The build's config.h (with _GNU_SOURCE), not config/config.h beside this
 * file: hence the angle brackets. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/internal.h"
#include "config/config.h"
#include "config/params.h"
#include "config/yaml.h"
#include "util/grow.h"
#include "util/log.h"

#define CONFIG_MAX_FILE (256u * 1024u * 1024u)
#define CONFIG_TOO_BIG "larger than the limit of 256 MiB"

/* False when this host runs with etcd (see config.h). */
static bool exports_managed = true;

void config_set_exports_managed(bool managed)
{
	exports_managed = managed;
}

void cfg_err(struct compile *c, struct pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(c->d, pos, fmt, ap);
	va_end(ap);
	c->nerr++;
}

/* Count a failed parse: it reported already, unless memory ran out. */
void cfg_count(struct compile *c, int rc)
{
	if (rc == -ENOMEM)
		c->nomem = true;
	else if (rc < 0)
		c->nerr++;
}

/* Concatenate the NULL-terminated strings after `len` into buf, cut to
 * fit.  snprintf costs too much on the per-resource path of a graph of
 * 100,000 resources. */
const char *cfg_cat(char *buf, size_t len, ...)
{
	const char *part;
	size_t o = 0;
	va_list ap;

	va_start(ap, len);
	while ((part = va_arg(ap, const char *))) {
		size_t n = strlen(part);

		if (n > len - 1 - o)
			n = len - 1 - o;
		memcpy(buf + o, part, n);
		o += n;
	}
	va_end(ap);
	buf[o] = '\0';
	return buf;
}

const char *cfg_utoa(size_t v, char buf[24])
{
	char *p = buf + 23;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

const char *cfg_show(const char *s, char *buf, size_t len)
{
	struct ynode n = { .kind = YNODE_SCALAR };

	n.scalar.text = (char *)s;
	n.scalar.len = (uint32_t)strnlen(s, UINT32_MAX);
	return yscalar_show(&n, buf, len);
}

const char *res_label(const struct mgmt_res *r, char *buf, size_t len)
{
	return cfg_cat(buf, len, r->kind ? r->kind->k.name : "?", "[",
		       r->name ? r->name : "?", "]", (char *)NULL);
}

/* "unknown KEY 'x' (did you mean 'y'?)" over a NULL-terminated list. */
void cfg_unknown_key(struct compile *c, const struct ynode *key,
		     const char *prefix, const char *what,
		     const char *const *names)
{
	char show[SHOW_MAX], hint[128];
	struct suggest sg;

	suggest_init(&sg, key->scalar.text);
	for (size_t i = 0; names[i]; i++)
		suggest_add(&sg, names[i]);
	cfg_err(c, key->pos, "%sunknown %s '%s'%s", prefix, what,
		yscalar_show(key, show, sizeof(show)),
		suggest_hint(&sg, hint, sizeof(hint)));
}

/* A scalar as a new string; `what` names it in the error. */
int cfg_get_string(struct compile *c, const struct ynode *n, const char *prefix,
		   const char *what, char **out)
{
	if (n->kind != YNODE_SCALAR) {
		cfg_err(c, n->pos,
			"%s%s: wrong type: expected a string, got %s", prefix,
			what, ynode_kind_name(n));
		return -EINVAL;
	}
	if (memchr(n->scalar.text, '\0', n->scalar.len)) {
		cfg_err(c, n->pos, "%s%s: a NUL character is not allowed",
			prefix, what);
		return -EINVAL;
	}
	*out = strndup(n->scalar.text, n->scalar.len);
	if (!*out) {
		c->nomem = true;
		return -ENOMEM;
	}
	return 0;
}

/* A `key:` with nothing after it is a plain empty scalar: YAML's null. */
bool cfg_is_null(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->scalar.plain && n->scalar.len == 0;
}

/* The kind named by scalar `n`: exactly under `resources:`, in any case
 * in edges and collect (mgmt's examples write "Exec").  -1 after reporting
 * an unknown one; `list` adds the known kinds to the message. */
ssize_t cfg_find_kind(struct compile *c, const struct ynode *n,
		      const char *prefix, bool any_case, bool list)
{
	char show[SHOW_MAX], known[1024], hint[128];
	struct suggest sg;
	size_t o = 0;

	for (size_t i = 0; i < c->reg->nkinds; i++) {
		const char *k = c->reg->kinds[i]->k.name;

		if (strlen(k) == n->scalar.len &&
		    (any_case ? strcasecmp(k, n->scalar.text) == 0 :
				strcmp(k, n->scalar.text) == 0))
			return (ssize_t)i;
	}
	suggest_init(&sg, n->scalar.text);
	cfg_cat(known, sizeof(known), c->reg->nkinds ? "" : "none",
		(char *)NULL);
	for (size_t i = 0; i < c->reg->nkinds; i++) {
		suggest_add(&sg, c->reg->kinds[i]->k.name);
		o = strlen(cfg_cat(known + o, sizeof(known) - o, i ? ", " : "",
				   c->reg->kinds[i]->k.name, (char *)NULL)) +
		    o;
	}
	cfg_err(c, n->pos, "%sunknown kind '%s'%s%s%s", prefix,
		yscalar_show(n, show, sizeof(show)),
		suggest_hint(&sg, hint, sizeof(hint)),
		list ? "; known kinds: " : "", list ? known : "");
	return -1;
}

/* The kind of an edge end or collect entry (mapping `n`), or -1 after
 * reporting. */
ssize_t cfg_get_kind(struct compile *c, const struct ynode *n,
		     const char *prefix)
{
	const struct ynode *kind = ymap_get(n, "kind");

	if (!kind) {
		cfg_err(c, n->pos, "%smissing 'kind'", prefix);
		return -1;
	}
	if (kind->kind != YNODE_SCALAR) {
		cfg_err(c, kind->pos,
			"%skind: wrong type: expected a string, got %s", prefix,
			ynode_kind_name(kind));
		return -1;
	}
	return cfg_find_kind(c, kind, prefix, true, false);
}

/* ---- resources ---- */

static void compile_res(struct compile *c, size_t kidx, size_t idx,
			const struct ynode *n)
{
	const struct kind_entry *k = c->reg->kinds[kidx];
	size_t at = c->g->nres;
	char label[256];
	struct mgmt_res *r;
	int rc;

	if (n->kind != YNODE_MAP) {
		cfg_err(c, n->pos,
			"%s: resource %zu: wrong type: expected a mapping, got %s",
			k->k.name, idx + 1, ynode_kind_name(n));
		return;
	}
	if (GROW(c->g->res, c->cap_res, at + 1, 16) < 0 ||
	    GROW(c->no_uid, c->cap_no_uid, at + 1, 16) < 0) {
		c->nomem = true;
		return;
	}
	rc = res_from_yaml(k, n, c->d, &r);
	if (!r) {
		c->nomem = true;
		return;
	}
	/* Listed even when invalid: freeing the graph frees it, and edges
	 * naming it find it rather than adding errors of their own. */
	c->g->res[c->g->nres++] = r;
	c->no_uid[at] = true; /* until it passed validate */
	cfg_count(c, rc);
	if (r->name && r->name[0]) {
		bool found;
		void **slot = shash_slot(&c->names[kidx], r->name,
					 strlen(r->name), &found);

		if (!slot) {
			c->nomem = true;
			return;
		}
		if (found) {
			const struct mgmt_res *first =
				c->g->res[(uintptr_t)*slot - 1];

			/* The file too when it is another part of a graph
			 * directory. */
			bool same = first->pos.file == r->pos.file;

			cfg_err(c, r->pos,
				"%s: duplicate name (first defined at %s%s%d:%d)",
				res_label(r, label, sizeof(label)),
				same ? "" : first->pos.file, same ? "" : ":",
				first->pos.line, first->pos.col);
			return;
		}
		*slot = (void *)(uintptr_t)c->g->nres;
	}
	if (rc == 0) {
		rc = res_validate(r, c->d);
		cfg_count(c, rc);
		c->no_uid[at] = rc < 0 || (r->meta.export_ && !exports_managed);
	}
}

static void compile_resources(struct compile *c, const struct ynode *n)
{
	if (n->kind != YNODE_MAP) {
		cfg_err(c, n->pos,
			"resources: wrong type: expected a mapping, got %s",
			ynode_kind_name(n));
		return;
	}
	for (size_t i = 0; i < n->map.n && !c->nomem; i++) {
		const struct ynode *key = n->map.pairs[i].key;
		const struct ynode *list = n->map.pairs[i].value;
		ssize_t kidx = cfg_find_kind(c, key, "", false, true);

		if (kidx < 0 || cfg_is_null(list))
			continue;
		if (list->kind != YNODE_SEQ) {
			cfg_err(c, list->pos,
				"resources: %s: wrong type: expected "
				"a sequence, got %s",
				c->reg->kinds[kidx]->k.name,
				ynode_kind_name(list));
			continue;
		}
		if (shash_reserve(&c->names[kidx],
				  c->names[kidx].n + list->seq.n) < 0) {
			c->nomem = true;
			return;
		}
		for (size_t j = 0; j < list->seq.n && !c->nomem; j++)
			compile_res(c, (size_t)kidx, j, list->seq.items[j]);
	}
}

/* ---- conflicts and automatic edges ---- */

static void on_clash(void *ctx, size_t first, size_t later, const char *uid)
{
	struct compile *c = ctx;
	const struct mgmt_res *a = c->g->res[first], *b = c->g->res[later];
	char la[256], lb[256], show[512];

	cfg_err(c, b->pos, "%s: %s is also managed by %s (%s:%d:%d)",
		res_label(b, lb, sizeof(lb)), cfg_show(uid, show, sizeof(show)),
		res_label(a, la, sizeof(la)), a->pos.file ? a->pos.file : "-",
		a->pos.line, a->pos.col);
}

/* Report conflicts; with no error at all, add the automatic edges (before
 * the cycle check, so a cycle they close is reported with its path). */
static void uids(struct compile *c)
{
	struct uid_index *ix;
	int rc = uid_index_build(c->g, c->no_uid, on_clash, c, &ix);

	if (rc == 0 && c->nerr == 0)
		rc = uid_index_edges(ix);
	uid_index_free(ix);
	if (rc < 0)
		c->nomem = true;
}

/* ---- the root ---- */

/* ---- streaming (see struct ydoc_hook) ---- */

/* The kind named exactly by `n`, or -1 (nothing reported: the tree walk
 * reports unknown kinds once). */
static ssize_t kind_index(const struct compile *c, const struct ynode *n)
{
	for (size_t i = 0; i < c->reg->nkinds; i++) {
		const char *k = c->reg->kinds[i]->k.name;

		if (strlen(k) == n->scalar.len &&
		    strcmp(k, n->scalar.text) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* Compile resources and edges as the parser finishes them, so a big graph
 * never exists as a whole document tree.  Edges are taken only once the
 * resources are complete (names must resolve); a file that lists edges
 * first is compiled from the tree instead. */
static bool on_item(void *ctx, const struct ynode *const *keys, int nkeys,
		    size_t index, const struct ynode *item)
{
	struct compile *c = ctx;

	if (c->nomem)
		return false;
	if (nkeys == 1 && yscalar_is(keys[0], "edges") && c->resources_done &&
	    c->stream_edges) {
		unsigned before = c->nerr;

		cfg_edge(c, index, item);
		c->edge_nerr += c->nerr - before;
		return true;
	}
	if (nkeys == 2 && yscalar_is(keys[0], "resources")) {
		ssize_t kidx = kind_index(c, keys[1]);

		if (kidx < 0)
			return false;
		compile_res(c, (size_t)kidx, index, item);
		return true;
	}
	return false;
}

static void on_root_value(void *ctx, const struct ynode *key,
			  const struct ynode *value)
{
	struct compile *c = ctx;

	if (yscalar_is(key, "resources"))
		c->resources_done = true;
}

static const char *const root_keys[] = { "graph", "comment", "resources",
					 "edges", "collect", "trust",
					 NULL };

/* One file of the graph: its tree, and what it leaves for compile_rest,
 * which runs once every file's resources are in (edges may cross files). */
struct part {
	struct ydoc *doc;
	const struct ynode *edges, *collect;
};

/* The root of one file: `graph` (the first one given names the graph),
 * `comment` and its resources. */
static void compile_root(struct compile *c, const struct ynode *root,
			 struct part *p)
{
	const struct ynode *res = NULL;
	char *text = NULL;

	if (root->kind != YNODE_MAP) {
		cfg_err(c, root->pos,
			"graph file must be a mapping at the top level, not %s",
			ynode_kind_name(root));
		return;
	}
	for (size_t i = 0; i < root->map.n; i++) {
		const struct ynode *key = root->map.pairs[i].key;
		const struct ynode *val = root->map.pairs[i].value;

		if (yscalar_is(key, "graph") || yscalar_is(key, "comment")) {
			if (cfg_get_string(c, val, "", key->scalar.text,
					   &text) == 0 &&
			    yscalar_is(key, "graph") && !c->g->name)
				c->g->name = text;
			else
				free(text);
			text = NULL;
		} else if (yscalar_is(key, "resources")) {
			res = val;
		} else if (yscalar_is(key, "edges")) {
			p->edges = val;
		} else if (yscalar_is(key, "collect")) {
			p->collect = val;
		} else if (yscalar_is(key, "trust")) {
			cfg_list(c, val, "trust", cfg_trust);
		} else if (yscalar_is(key, "remote")) {
			/* mgmt declared it in 2016 and has ignored it since
			 * 2018; its examples still carry it. */
			log_warn("%s:%d:%d: top-level key 'remote' is ignored "
				 "(as by mgmt); remove it",
				 key->pos.file ? key->pos.file : "?",
				 key->pos.line, key->pos.col);
		} else {
			cfg_unknown_key(c, key, "", "top-level key", root_keys);
		}
	}
	if (res && !cfg_is_null(res))
		compile_resources(c, res);
}

/* Once every file's resources are compiled: the edges, the conflicts and
 * automatic edges, the cycle check (only when nothing after the resources
 * failed: a cycle through a bad edge says nothing), and collect. */
static void compile_rest(struct compile *c, const struct part *parts, size_t n)
{
	unsigned before = c->nerr;

	for (size_t i = 0; i < n && !c->nomem; i++)
		if (parts[i].edges)
			cfg_list(c, parts[i].edges, "edges", cfg_edge);
	if (!c->nomem)
		uids(c);
	if (c->nerr == before && c->edge_nerr == 0 && !c->nomem)
		cfg_check_cycles(c);
	for (size_t i = 0; i < n && !c->nomem; i++)
		if (parts[i].collect)
			cfg_list(c, parts[i].collect, "collect", cfg_collect);
}

void config_graph_free(struct graph_cfg *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nres; i++)
		res_free(g->res[i]);
	free(g->res);
	for (size_t i = 0; i < g->nedges; i++)
		free(g->edges[i].name);
	free(g->edges);
	for (size_t i = 0; i < g->ncollect; i++) {
		free(g->collect[i].kind);
		free(g->collect[i].pattern);
	}
	free(g->collect);
	for (size_t i = 0; i < g->ntrust; i++)
		free(g->trust[i].host);
	free(g->trust);
	free(g->name);
	free(g->file);
	for (size_t i = 0; i < g->nfiles; i++)
		free(g->files[i]);
	free(g->files);
	free(g);
}

/* Begin compiling the graph read from `path`. */
static void compile_begin(struct compile *c, const char *path)
{
	c->g = calloc(1, sizeof(*c->g));
	if (c->g)
		c->g->file = strdup(path);
	c->names =
		calloc(c->reg->nkinds ? c->reg->nkinds : 1, sizeof(*c->names));
	if (!c->g || !c->g->file || !c->names)
		c->nomem = true;
}

/* Parse file `name` (`len` bytes of `buf`) and compile its resources, as
 * the graph's next part.  False when it does not parse (reported). */
static bool compile_part(struct compile *c, const char *name, const char *buf,
			 size_t len, struct part *p)
{
	struct ydoc_hook hook = { .item = on_item,
				  .root_value = on_root_value,
				  .ctx = c };
	char *file;

	if (c->nomem)
		return true;
	file = strdup(name);
	if (!file || GROW(c->g->files, c->cap_files, c->g->nfiles + 1, 4) < 0) {
		free(file);
		c->nomem = true;
		return true;
	}
	c->g->files[c->g->nfiles++] = file; /* positions point to it */
	c->resources_done = false;
	if (ydoc_parse_hooked(file, buf, len, &hook, &p->doc, c->d) < 0) {
		c->nerr++;
		return false;
	}
	compile_root(c, p->doc->root, p);
	return true;
}

/* The rest, once every part is in (not when one did not parse: its
 * resources would be missing), then the graph or every error. */
static int compile_end(struct compile *c, const char *path, struct part *parts,
		       size_t n, bool parsed, size_t first_err,
		       struct graph_cfg **out)
{
	if (parsed && !c->nomem)
		compile_rest(c, parts, n);
	if (c->nomem)
		diag_add(c->d, (struct pos){ path, 0, 0 }, "out of memory");
	for (size_t i = 0; i < n; i++)
		ydoc_free(parts[i].doc);
	for (size_t i = 0; c->names && i < c->reg->nkinds; i++)
		shash_free(&c->names[i]);
	free(c->names);
	free(c->no_uid);
	if (c->nerr || c->nomem) {
		/* One file: streaming finds errors in parse order, the tree
		 * walk after: show them all in document order.  (A directory's
		 * files are each sorted as they are read.) */
		if (c->stream_edges)
			diag_sort(c->d, first_err);
		config_graph_free(c->g);
		return -1;
	}
	*out = c->g;
	return 0;
}

int config_load_buffer(const char *name, const char *buf, size_t len,
		       const struct registry *reg, struct graph_cfg **out,
		       struct diag *d)
{
	struct compile c = { .reg = reg, .d = d, .stream_edges = true };
	struct part part = { 0 };
	size_t first_err = d->n;
	bool parsed;

	*out = NULL;
	compile_begin(&c, name);
	parsed = compile_part(&c, name, buf, len, &part);
	return compile_end(&c, name, &part, 1, parsed, first_err, out);
}

/* The text of the regular file `path` into *buf (`*len` bytes; NULL for an
 * empty file), or -1 after reporting why not. */
static int read_text(const char *path, char **buf, size_t *len, struct diag *d)
{
	size_t cap = 0;
	char *nbuf;
	const char *why = NULL;
	struct stat st;
	ssize_t n = 1;
	int fd;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO must not hang us before the type check. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_size > CONFIG_MAX_FILE)
		why = CONFIG_TOO_BIG;
	/* Read to the end, not st_size: a file may grow, or (in /proc) say
	 * 0. */
	while (!why && n > 0) {
		if (*len == cap) {
			cap = cap ? cap * 2 : (size_t)st.st_size + 1;
			if (cap > CONFIG_MAX_FILE + 1)
				cap = CONFIG_MAX_FILE + 1;
			if (*len == cap) {
				why = CONFIG_TOO_BIG;
				break;
			}
			nbuf = realloc(*buf, cap);
			if (!nbuf) {
				why = "out of memory";
				break;
			}
			*buf = nbuf;
		}
		n = read(fd, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n < 0)
			why = strerror(errno);
		else
			*len += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (why) {
		diag_add(d, (struct pos){ path, 0, 0 }, "cannot read: %s", why);
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

bool config_is_part(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

static int part_filter(const struct dirent *e)
{
	return config_is_part(e->d_name);
}

/* Byte order, whatever the locale: the same directory compiles the same
 * way everywhere. */
static int part_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every part of the directory `dir`, in name order, as one graph. */
static int load_dir(const char *dir, const struct registry *reg,
		    struct graph_cfg **out, struct diag *d)
{
	struct compile c = { .reg = reg, .d = d };
	struct dirent **ents = NULL;
	struct part *parts = NULL;
	size_t first_err = d->n;
	bool parsed = true;
	int n, rc;

	n = scandir(dir, &ents, part_filter, part_cmp);
	if (n < 0) {
		diag_add(d, (struct pos){ dir, 0, 0 }, "cannot read: %s",
			 strerror(errno));
		return -1;
	}
	compile_begin(&c, dir);
	parts = calloc(n ? (size_t)n : 1, sizeof(*parts));
	if (!parts)
		c.nomem = true;
	for (int i = 0; i < n && !c.nomem; i++) {
		size_t len, before = d->n;
		char *path = NULL, *buf;

		if (asprintf(&path, "%s/%s", dir, ents[i]->d_name) < 0) {
			c.nomem = true;
			break;
		}
		if (read_text(path, &buf, &len, d) < 0) {
			c.nerr++;
			parsed = false;
		} else {
			parsed &= compile_part(&c, path, buf ? buf : "", len,
					       &parts[i]);
			diag_sort(d, before);
		}
		free(buf);
		free(path);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	rc = compile_end(&c, dir, parts, parts ? (size_t)n : 0, parsed,
			 first_err, out);
	free(parts);
	return rc;
}

int config_load_file(const char *path, const struct registry *reg,
		     struct graph_cfg **out, struct diag *d)
{
	struct stat st;
	size_t len;
	char *buf;
	int rc;

	*out = NULL;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return load_dir(path, reg, out, d);
	if (read_text(path, &buf, &len, d) < 0)
		return -1;
	rc = config_load_buffer(path, buf ? buf : "", len, reg, out, d);
	free(buf);
	return rc;
}

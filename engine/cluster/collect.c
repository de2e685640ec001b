/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * collect.c - the cache of everything exported, and the scheduler's
 * prepare hook: take this host's exports out of each compiled graph and
 * publish them, and merge in the collected resources.
 *
 * Collected resources are named as their exporter named them (without the
 * "@@"), as in mgmt; they are built in key order (host, kind, name), so a
 * graph is the same whatever order etcd's events came in.  A resource
 * whose name a local one (or one collected before it) already has is left
 * out, as is one whose JSON or parameters are bad: reported once, with its
 * key, until its value changes.  Nothing collected is ever fatal.
 *
 * Exports are signed by their host's key (trust.h): one whose signature
 * does not verify, or whose key this host does not trust for the host of
 * its key path, is skipped with one line naming the key and the host.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cluster/internal.h"
#include "cluster/codec.h"
#include "config/params.h"
#include "util/log.h"
#include "util/grow.h"
#include "run/stats.h"

static struct entry *entry_new(struct cluster *c, const char *key, size_t klen)
{
	struct entry *e = calloc(1, sizeof(*e));
	bool found;
	void **slot;

	if (!e)
		return NULL;
	e->key = strndup(key, klen);
	if (!e->key || asprintf(&e->origin, "etcd:%s", e->key) < 0) {
		free(e->key);
		free(e);
		return NULL;
	}
	if (codec_export_split(e->key, klen, &e->split, &e->host, &e->kind,
			       &e->name) < 0)
		e->kind = NULL;
	if (GROW(c->ents, c->cap_ents, c->nents + 1, 64) < 0)
		goto fail;
	slot = shash_slot(&c->idx, e->key, klen, &found);
	if (!slot)
		goto fail;
	*slot = e;
	c->ents[c->nents++] = e;
	return e;
fail:
	free(e->split);
	free(e->origin);
	free(e->key);
	free(e);
	return NULL;
}

static bool kind_collected(const struct cluster *c, const char *kind)
{
	for (size_t i = 0; kind && i < c->nkinds; i++)
		if (strcmp(c->kinds[i], kind) == 0)
			return true;
	return false;
}

/* ---- signing and trust ---- */

int cluster_trust_init(struct cluster *c, const struct cluster_opts *o)
{
	const char *dir = o->state_dir ? o->state_dir : "/var/lib/mgmt-engine";
	char *text;

	if (trust_init() < 0 || trust_host_key(dir, c->pk, c->sk) < 0)
		return -1;
	text = trust_key_text(c->pk);
	log_info("etcd: this host's key: %s %s", text ? text : "?", c->host);
	free(text);
	if (o->trust_dir) {
		c->trust_dir = true;
		if (trust_load_dir(&c->dir_trust, o->trust_dir) < 0)
			return -1;
		log_info("etcd: %zu key(s) trusted from %s", c->dir_trust.n,
			 o->trust_dir);
	}
	return 0;
}

/* This host's key, --etcd-trust's and the graph's `trust:`. */
static int set_trust(struct cluster *c, const struct graph_cfg *cfg)
{
	struct trust_set t = { 0 };
	int rc = trust_add(&t, c->pk, c->host);

	for (size_t i = 0; rc == 0 && i < c->dir_trust.n; i++)
		rc = trust_add(&t, c->dir_trust.keys[i].pk,
			       c->dir_trust.keys[i].host);
	for (size_t i = 0; rc == 0 && i < cfg->ntrust; i++)
		rc = trust_add(&t, cfg->trust[i].pk, cfg->trust[i].host);
	if (rc < 0) {
		trust_free(&t);
		return rc;
	}
	trust_free(&c->trust);
	c->trust = t;
	if (cfg->ncollect && !c->trust_dir && !cfg->ntrust && !c->trust_told) {
		log_warn("etcd: no --etcd-trust and no trust: in the graph: "
			 "only this host's own exports are collected (trust "
			 "another host with the line `mgmt-engine key` prints "
			 "there)");
		c->trust_told = true;
	}
	return 0;
}

/* The signer's key, shortened for log lines: "ed25519:ABCDEFGHIJKL..." */
static void key_show(const unsigned char pk[TRUST_PK_BYTES], char *buf,
		     size_t len)
{
	char *t = trust_key_text(pk);

	snprintf(buf, len, "%s", t ? t : "?");
	free(t);
}

/* Verify the value of `e`: its params when the signature verifies, else
 * reported (once: the entry is bad until its value changes). */
static void entry_open(struct entry *e)
{
	char show[64];
	const char *why;
	int rc = trust_open(e->key, e->value, e->vlen, e->pk, &e->params, &why);

	switch (rc) {
	case TRUST_OK:
		return;
	case TRUST_UNSIGNED:
		log_warn("etcd: %s: not signed (no key), exported as host %s; "
			 "skipped",
			 e->key, e->host);
		break;
	case TRUST_BAD_SIG:
		key_show(e->pk, show, sizeof(show));
		log_warn("etcd: %s: the signature by %s, as host %s, does not "
			 "verify; skipped",
			 e->key, show, e->host);
		break;
	case TRUST_MALFORMED:
		log_warn("etcd: %s: %s; skipped", e->key,
			 why ? why : "not a signed export");
		break;
	default:
		log_error("etcd: out of memory");
		break;
	}
	e->bad = true;
}

/* Is the signer of `e` trusted for its host?  Else reported once. */
static bool entry_trusted(struct cluster *c, struct entry *e)
{
	char show[64];

	if (trust_has(&c->trust, e->pk, e->host))
		return true;
	if (!e->untrusted) {
		key_show(e->pk, show, sizeof(show));
		log_warn("etcd: %s: signed by %s, which is not trusted for "
			 "host %s; skipped (trust it: that host's `mgmt-engine "
			 "key` line in a --etcd-trust file or the graph's "
			 "trust:)",
			 e->key, show, e->host);
		e->untrusted = true;
	}
	return false;
}

bool cluster_entry_set(struct cluster *c, const char *key, size_t klen,
		       char *value, size_t vlen)
{
	struct entry *e = shash_get(&c->idx, key, klen);

	if (!e && !value)
		return false;
	if (!e && !(e = entry_new(c, key, klen))) {
		log_error("etcd: out of memory");
		free(value);
		return false;
	}
	e->seen = value != NULL;
	if ((!value && !e->value) || (value && e->value && vlen == e->vlen &&
				      memcmp(value, e->value, vlen) == 0)) {
		free(value);
		return false;
	}
	free(e->value);
	free(e->params);
	e->params = NULL;
	e->value = value;
	e->vlen = vlen;
	e->bad = e->clash = e->untrusted = false;
	if (!value)
		return kind_collected(c, e->kind);
	if (!e->kind) {
		log_warn("etcd: %s: not %sHOST/KIND/NAME; skipped", e->key,
			 CODEC_EXPORT_PREFIX);
		e->bad = true;
		return false;
	}
	if (!kind_collected(c, e->kind))
		return false;
	entry_open(e);
	if (!e->bad)
		entry_trusted(c, e);
	/* Reload even for a value now skipped: the one before may be in
	 * the graph. */
	return true;
}

void cluster_entries_unsee(struct cluster *c)
{
	for (size_t i = 0; i < c->nents; i++)
		c->ents[i]->seen = false;
}

bool cluster_entries_sweep(struct cluster *c)
{
	bool changed = false;

	for (size_t i = 0; i < c->nents; i++)
		if (!c->ents[i]->seen && c->ents[i]->value)
			changed |= cluster_entry_set(c, c->ents[i]->key,
						     strlen(c->ents[i]->key),
						     NULL, 0);
	return changed;
}

void cluster_entries_free(struct cluster *c)
{
	for (size_t i = 0; i < c->nents; i++) {
		struct entry *e = c->ents[i];

		free(e->key);
		free(e->origin);
		free(e->split);
		free(e->value);
		free(e->params);
		free(e);
	}
	free(c->ents);
	shash_free(&c->idx);
	trust_free(&c->dir_trust);
	trust_free(&c->trust);
	sodium_memzero(c->sk, sizeof(c->sk));
}

/* ---- exports ---- */

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

/* This host's exports, as they should be published, from `ex`. */
static int want_from(struct cluster *c, struct mgmt_res **ex, size_t n)
{
	struct kv *want = calloc(n ? n : 1, sizeof(*want));
	size_t o = 0;

	if (!want)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct mgmt_res *r = ex[i];
		const char *name = r->name;
		json_t *j;

		if (strncmp(name, "@@", 2) == 0)
			name += 2;
		if (!*name) {
			log_warn("%s:%d:%d: %s[@@]: no name to export under",
				 r->pos.file, r->pos.line, r->pos.col,
				 r->kind->k.name);
			continue;
		}
		j = codec_params_json(r->kind->k.params, r->params);
		want[o].key = codec_export_key(c->host, r->kind->k.name, name);
		want[o].val = j && want[o].key ?
				      trust_sign(want[o].key, j, c->pk, c->sk) :
				      NULL;
		json_decref(j);
		if (!want[o].key || !want[o].val) {
			/* jansson takes only UTF-8 strings */
			log_warn("%s:%d:%d: %s[%s]: cannot be exported (out of "
				 "memory, or a parameter is not UTF-8)",
				 r->pos.file, r->pos.line, r->pos.col,
				 r->kind->k.name, r->name);
			free(want[o].key);
			free(want[o].val);
			continue;
		}
		o++;
	}
	qsort(want, o, sizeof(*want), kv_cmp);
	for (size_t i = 1; i < o; i++) {
		if (strcmp(want[i].key, want[i - 1].key))
			continue;
		log_warn("etcd: %s is exported twice; the first one is kept",
			 want[i].key);
		free(want[i].key);
		free(want[i].val);
		memmove(&want[i], &want[i + 1], (o - i - 1) * sizeof(*want));
		o--;
		i--;
	}
	cluster_kv_free(c->want, c->nwant);
	c->want = want;
	c->nwant = o;
	return 0;
}

static int take_exports(struct cluster *c, struct graph_cfg *cfg)
{
	struct mgmt_res **ex;
	size_t n;
	int rc = config_take_exported(cfg, &ex, &n);

	if (rc < 0)
		return rc;
	if (c->noop && n && !c->noop_told) {
		log_info("etcd: noop: %zu exported resource(s) not exported",
			 n);
		c->noop_told = true;
	}
	rc = want_from(c, ex, c->noop ? 0 : n);
	for (size_t i = 0; i < n; i++)
		res_free(ex[i]);
	free(ex);
	return rc;
}

/* ---- collect ---- */

static int set_kinds(struct cluster *c, const struct graph_cfg *cfg)
{
	char **kinds =
		calloc(cfg->ncollect ? cfg->ncollect : 1, sizeof(*kinds));

	if (!kinds)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->ncollect; i++)
		if (!(kinds[i] = strdup(cfg->collect[i].kind))) {
			for (size_t j = 0; j < i; j++)
				free(kinds[j]);
			free(kinds);
			return -ENOMEM;
		}
	for (size_t i = 0; i < c->nkinds; i++)
		free(c->kinds[i]);
	free(c->kinds);
	c->kinds = kinds;
	c->nkinds = cfg->ncollect;
	c->collecting = cfg->ncollect > 0;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp((*(struct entry *const *)a)->key,
		      (*(struct entry *const *)b)->key);
}

static void log_diag(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		log_warn("%s", d->msgs[i]);
	diag_free(d);
	*d = (struct diag){ 0 };
}

/* The resource `e` holds, adapted by its kind to `pattern`, or NULL. */
static struct mgmt_res *build(struct cluster *c, struct entry *e,
			      const char *pattern)
{
	const struct kind_entry *k = registry_find(c->reg, e->kind);
	struct diag d = { 0 };
	struct mgmt_res *r = NULL;
	json_t *j;
	char *text;

	if (!k) {
		log_warn("etcd: %s: no kind %s here; skipped", e->key, e->kind);
		e->bad = true;
		return NULL;
	}
	j = json_loads(e->params, 0, NULL);
	if (!j || json_object_set_new(j, "name", json_string(e->name)) < 0) {
		json_decref(j);
		return NULL;
	}
	text = json_dumps(j, 0);
	json_decref(j);
	if (!text)
		return NULL;
	if (config_res_from_text(k, e->origin, text, strlen(text), &d, &r) <
		    0 ||
	    (k->k.collect && k->k.collect(r, r->params, pattern) < 0) ||
	    res_validate(r, &d) < 0) {
		if (d.n == 0 && r)
			log_info("etcd: %s: skipped by kind %s for pattern "
				 "\"%s\"",
				 e->key, e->kind, pattern);
		else
			log_warn("etcd: %s: skipped:", e->key);
		log_diag(&d);
		res_free(r);
		r = NULL;
		e->bad = true;
	}
	free(text);
	return r;
}

/* "kind\037name", the identity of a resource in a graph. */
static char *ident(const char *kind, const char *name)
{
	char *s;

	return asprintf(&s, "%s\037%s", kind, name) < 0 ? NULL : s;
}

/* A name is taken: true after reporting it once. */
static bool clashes(struct shash *names, char ***keys, size_t *nkeys,
		    const char *kind, const char *name, bool *nomem)
{
	char *id = ident(kind, name), **nk;
	bool found = false;
	void **slot;

	nk = id ? realloc(*keys, (*nkeys + 1) * sizeof(*nk)) : NULL;
	if (!nk) {
		free(id);
		*nomem = true;
		return true;
	}
	*keys = nk;
	slot = shash_slot(names, id, strlen(id), &found);
	if (!slot || found) {
		*nomem |= !slot;
		free(id);
		return true;
	}
	*slot = id;
	nk[(*nkeys)++] = id;
	return false;
}

static int collect(struct cluster *c, struct graph_cfg *cfg)
{
	struct entry **ents = NULL;
	struct mgmt_res **add = NULL;
	struct shash names = { 0 };
	char **keys = NULL;
	size_t nadd = 0, nkeys = 0, n = 0;
	struct diag d = { 0 };
	bool nomem = false;
	int rc = 0;

	ents = malloc((c->nents ? c->nents : 1) * sizeof(*ents));
	add = malloc((c->nents ? c->nents : 1) * sizeof(*add));
	if (!ents || !add)
		nomem = true;
	for (size_t i = 0; !nomem && i < c->nents; i++) {
		struct entry *e = c->ents[i];

		if (!e->value || e->bad || !kind_collected(c, e->kind))
			continue;
		if (!e->params) /* a kind collected since it came */
			entry_open(e);
		if (!e->bad && entry_trusted(c, e))
			ents[n++] = e;
	}
	qsort(ents, n, sizeof(*ents), entry_cmp);
	for (size_t i = 0; !nomem && i < cfg->nres; i++)
		clashes(&names, &keys, &nkeys, cfg->res[i]->kind->k.name,
			cfg->res[i]->name, &nomem);
	for (size_t i = 0; !nomem && i < n; i++) {
		struct entry *e = ents[i];
		const char *pattern = "";
		struct mgmt_res *r;

		for (size_t k = 0; k < cfg->ncollect; k++)
			if (strcmp(cfg->collect[k].kind, e->kind) == 0) {
				pattern = cfg->collect[k].pattern;
				break;
			}
		r = build(c, e, pattern);
		if (!r)
			continue;
		if (clashes(&names, &keys, &nkeys, e->kind, r->name, &nomem)) {
			if (!e->clash && !nomem)
				log_warn("etcd: %s: %s[%s] is already in the "
					 "graph; skipped",
					 e->key, e->kind, r->name);
			e->clash = true;
			res_free(r);
			continue;
		}
		add[nadd++] = r;
	}
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	shash_free(&names);
	free(ents);
	if (nomem) {
		for (size_t i = 0; i < nadd; i++)
			res_free(add[i]);
		free(add);
		return -ENOMEM;
	}
	rc = config_merge(cfg, add, nadd, &d);
	free(add);
	atomic_store(&stats.collected, rc == 0 ? nadd : 0); /* metrics */
	if (rc == 0 && nadd)
		log_info("etcd: %zu collected resource(s) in the graph", nadd);
	if (rc == -ELOOP) {
		log_diag(&d);
		log_error("etcd: the collected resources close a cycle; the "
			  "graph runs without them");
		rc = 0;
	}
	diag_free(&d);
	return rc;
}

int cluster_prepare(void *ctx, struct graph_cfg *cfg)
{
	struct cluster *c = ctx;
	int rc = take_exports(c, cfg);

	if (rc == 0)
		rc = set_kinds(c, cfg);
	if (rc == 0)
		rc = set_trust(c, cfg);
	if (rc == 0 && c->collecting)
		rc = collect(c, cfg);
	if (rc < 0) {
		log_error("etcd: out of memory preparing the graph");
		return rc;
	}
	/* Until the scheduler tells the state (cluster_set_state), the
	 * first graph's size says this host is here. */
	if (!c->state_set)
		cluster_set_state(c, false, 0., 0, (uint32_t)cfg->nres);
	cluster_lane_a(c);
	cluster_lane_b(c);
	cluster_settle(c);
	return 0;
}

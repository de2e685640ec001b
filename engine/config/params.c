/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * params.c - parse, default, free and compare schema parameters (params.h).
 *
 * The YAML types follow YAML 1.1 as mgmt's Go decoder reads them: a boolean
 * or integer must be written plain (a quoted "true" is a string, and is
 * rejected with a hint), while strings take any scalar as its text.  A mode
 * is read as octal digits however it is written, since `mode: 0644` and
 * `mode: 644` both mean rw-r--r-- to the people who write them.
 */

/* The build's config.h (with _GNU_SOURCE), not config/config.h beside this
 * file: hence the angle brackets. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/params.h"

#define SHOW_MAX 64

static void *field(void *obj, const struct mgmt_param *p)
{
	return (char *)obj + p->offset;
}

static const void *cfield(const void *obj, const struct mgmt_param *p)
{
	return (const char *)obj + p->offset;
}

const char *param_type_name(enum mgmt_param_type t)
{
	switch (t) {
	case MGMT_PARAM_STRING:
		return "a string";
	case MGMT_PARAM_BOOL:
		return "a boolean";
	case MGMT_PARAM_INT:
		return "an integer";
	case MGMT_PARAM_MODE:
		return "an octal mode";
	case MGMT_PARAM_DURATION:
		return "a duration";
	case MGMT_PARAM_LIST:
		return "a sequence";
	case MGMT_PARAM_MAP:
		return "a mapping";
	case MGMT_PARAM_ENUM:
		return "one of its choices";
	}
	return "a value";
}

static int wrong_type(const struct mgmt_param *p, const char *what,
		      const struct ynode *n, const char *prefix, struct diag *d)
{
	diag_add(d, n->pos, "%s%s: wrong type: expected %s, got %s", prefix,
		 what, param_type_name(p->type), ynode_kind_name(n));
	return -EINVAL;
}

static bool word_is(const struct ynode *n, const char *w)
{
	return n->scalar.len == strlen(w) && strcasecmp(n->scalar.text, w) == 0;
}

int param_bool_text(const struct ynode *n, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	if (n->kind != YNODE_SCALAR)
		return -EINVAL;
	for (size_t i = 0; i < 3; i++) {
		if (word_is(n, yes[i]) || word_is(n, no[i])) {
			if (!n->scalar.plain)
				return -EINVAL;
			*out = word_is(n, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

static bool all_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Decimal int64 with an optional sign.  -EINVAL junk, -ERANGE overflow. */
static int parse_int(const char *s, size_t len, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, lim;

	if (len && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		s++;
		len--;
	}
	if (!all_digits(s, len))
		return -EINVAL;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (size_t i = 0; i < len; i++) {
		unsigned dgt = (unsigned)(s[i] - '0');

		if (v > (lim - dgt) / 10)
			return -ERANGE;
		v = v * 10 + dgt;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int parse_mode(const char *s, size_t len, int32_t *out)
{
	uint32_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -EINVAL;
		v = v * 8 + (uint32_t)(s[i] - '0');
		if (v > 07777)
			return -EINVAL;
	}
	*out = (int32_t)v;
	return 0;
}

/* Digits with an optional fraction, as a double; the end in *end. */
static int parse_decimal(const char *s, size_t len, size_t *end, double *out)
{
	double v = 0, scale = 1;
	size_t i = 0, ndig = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, ndig++)
		v = v * 10 + (s[i] - '0');
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, ndig++) {
			scale /= 10;
			v += (s[i] - '0') * scale;
		}
	}
	if (ndig == 0)
		return -EINVAL;
	*end = i;
	*out = v;
	return 0;
}

/* Seconds ("1.5"), or one or more number+unit parts ("500ms", "1h30m"). */
static int parse_duration(const char *s, size_t len, int64_t *out)
{
	double total = 0, v;
	size_t i = 0, end;

	if (parse_decimal(s, len, &end, &v) < 0)
		return -EINVAL;
	if (end == len) {
		total = v * 1000;
	} else {
		while (i < len) {
			double unit;

			if (parse_decimal(s + i, len - i, &end, &v) < 0)
				return -EINVAL;
			i += end;
			if (len - i >= 2 && s[i] == 'm' && s[i + 1] == 's') {
				unit = 1;
				i += 2;
			} else if (i < len && s[i] == 's') {
				unit = 1000;
				i++;
			} else if (i < len && s[i] == 'm') {
				unit = 60000;
				i++;
			} else if (i < len && s[i] == 'h') {
				unit = 3600000;
				i++;
			} else {
				return -EINVAL;
			}
			total += v * unit;
		}
	}
	if (!(total < 9.2e18))
		return -ERANGE;
	*out = (int64_t)llround(total);
	return 0;
}

static int parse_enum(const struct mgmt_param *p, const struct ynode *n,
		      int *out, const char *prefix, struct diag *d)
{
	char show[SHOW_MAX], list[512], hint[128];
	struct suggest sg;
	size_t o = 0;

	for (int i = 0; p->choices && p->choices[i]; i++) {
		if (yscalar_is(n, p->choices[i])) {
			*out = i;
			return 0;
		}
	}
	suggest_init(&sg, n->scalar.text);
	list[0] = '\0';
	for (int i = 0; p->choices && p->choices[i]; i++) {
		suggest_add(&sg, p->choices[i]);
		if (o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o,
					      "%s%s", i ? ", " : "",
					      p->choices[i]);
	}
	diag_add(d, n->pos, "%s%s \"%s\" is not one of: %s%s", prefix, p->name,
		 yscalar_show(n, show, sizeof(show)), list,
		 suggest_hint(&sg, hint, sizeof(hint)));
	return -EINVAL;
}

static int parse_list(const struct mgmt_param *p, const struct ynode *n,
		      struct mgmt_strv *v, const char *prefix, struct diag *d)
{
	int rc = 0;

	if (n->kind != YNODE_SEQ)
		return wrong_type(p, p->name, n, prefix, d);
	*v = (struct mgmt_strv){ 0 };
	if (n->seq.n == 0)
		return 0;
	for (size_t i = 0; i < n->seq.n; i++) {
		const struct ynode *it = n->seq.items[i];

		if (it->kind != YNODE_SCALAR) {
			diag_add(d, it->pos,
				 "%s%s[%zu]: wrong type: expected "
				 "a string, got %s",
				 prefix, p->name, i, ynode_kind_name(it));
			rc = -EINVAL;
		} else if (memchr(it->scalar.text, '\0', it->scalar.len)) {
			diag_add(d, it->pos,
				 "%s%s[%zu]: a NUL character is not allowed",
				 prefix, p->name, i);
			rc = -EINVAL;
		}
	}
	if (rc < 0)
		return rc;
	v->v = calloc(n->seq.n + 1, sizeof(*v->v));
	if (!v->v)
		return -ENOMEM;
	for (size_t i = 0; i < n->seq.n; i++) {
		const struct ynode *it = n->seq.items[i];

		v->v[i] = strndup(it->scalar.text, it->scalar.len);
		if (!v->v[i]) {
			strv_free(v);
			return -ENOMEM;
		}
		v->n++;
	}
	return 0;
}

static void map_free(struct mgmt_strmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->values[i]);
	}
	free(m->keys);
	free(m->values);
	*m = (struct mgmt_strmap){ 0 };
}

static int parse_map(const struct mgmt_param *p, const struct ynode *n,
		     struct mgmt_strmap *m, const char *prefix, struct diag *d)
{
	char show[SHOW_MAX];
	int rc = 0;

	if (n->kind != YNODE_MAP)
		return wrong_type(p, p->name, n, prefix, d);
	*m = (struct mgmt_strmap){ 0 };
	if (n->map.n == 0)
		return 0;
	for (size_t i = 0; i < n->map.n; i++) {
		const struct ypair *pr = &n->map.pairs[i];

		if (pr->value->kind != YNODE_SCALAR) {
			diag_add(d, pr->value->pos,
				 "%s%s.%s: wrong type: "
				 "expected a string, got %s",
				 prefix, p->name,
				 yscalar_show(pr->key, show, sizeof(show)),
				 ynode_kind_name(pr->value));
			rc = -EINVAL;
		} else if (memchr(pr->key->scalar.text, '\0',
				  pr->key->scalar.len) ||
			   memchr(pr->value->scalar.text, '\0',
				  pr->value->scalar.len)) {
			diag_add(d, pr->value->pos,
				 "%s%s.%s: a NUL character is not allowed",
				 prefix, p->name,
				 yscalar_show(pr->key, show, sizeof(show)));
			rc = -EINVAL;
		}
	}
	if (rc < 0)
		return rc;
	m->keys = calloc(n->map.n, sizeof(*m->keys));
	m->values = calloc(n->map.n, sizeof(*m->values));
	if (!m->keys || !m->values) {
		map_free(m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n->map.n; i++) {
		const struct ypair *pr = &n->map.pairs[i];

		m->keys[i] = strndup(pr->key->scalar.text, pr->key->scalar.len);
		m->values[i] =
			strndup(pr->value->scalar.text, pr->value->scalar.len);
		m->n++;
		if (!m->keys[i] || !m->values[i]) {
			map_free(m);
			return -ENOMEM;
		}
	}
	return 0;
}

/* The scalar types.  `n` is a scalar. */
static int parse_scalar(const struct mgmt_param *p, const struct ynode *n,
			void *f, const char *prefix, struct diag *d)
{
	const char *t = n->scalar.text;
	size_t len = n->scalar.len;
	char buf[SHOW_MAX];
	bool b;
	int rc;

#define show yscalar_show(n, buf, sizeof(buf))
	switch (p->type) {
	case MGMT_PARAM_STRING:
		if (memchr(t, '\0', len)) {
			diag_add(d, n->pos,
				 "%s%s: a NUL character is not allowed", prefix,
				 p->name);
			return -EINVAL;
		}
		*(char **)f = strndup(t, len);
		return *(char **)f ? 0 : -ENOMEM;
	case MGMT_PARAM_BOOL:
		if (param_bool_text(n, &b) == 0) {
			*(bool *)f = b;
			return 0;
		}
		if (!n->scalar.plain &&
		    (word_is(n, "true") || word_is(n, "false") ||
		     word_is(n, "yes") || word_is(n, "no") ||
		     word_is(n, "on") || word_is(n, "off")))
			diag_add(d, n->pos,
				 "%s%s \"%s\" is a quoted string, "
				 "not a boolean (write it without quotes)",
				 prefix, p->name, show);
		else
			diag_add(d, n->pos,
				 "%s%s \"%s\" is not a boolean (true or false)",
				 prefix, p->name, show);
		return -EINVAL;
	case MGMT_PARAM_INT:
		rc = parse_int(t, len, (int64_t *)f);
		if (rc == 0 && !n->scalar.plain) {
			diag_add(d, n->pos,
				 "%s%s \"%s\" is a quoted string, "
				 "not an integer (write it without quotes)",
				 prefix, p->name, show);
			*(int64_t *)f = 0;
			return -EINVAL;
		}
		if (rc == -ERANGE)
			diag_add(d, n->pos,
				 "%s%s \"%s\" is out of range for an integer",
				 prefix, p->name, show);
		else if (rc < 0)
			diag_add(d, n->pos, "%s%s \"%s\" is not an integer",
				 prefix, p->name, show);
		return rc < 0 ? -EINVAL : 0;
	case MGMT_PARAM_MODE:
		if (parse_mode(t, len, (int32_t *)f) == 0)
			return 0;
		diag_add(d, n->pos, "%s%s \"%s\" is not an octal mode", prefix,
			 p->name, show);
		return -EINVAL;
	case MGMT_PARAM_DURATION:
		rc = parse_duration(t, len, (int64_t *)f);
		if (rc == 0)
			return 0;
		if (rc == -ERANGE)
			diag_add(d, n->pos,
				 "%s%s \"%s\" is out of range for a duration",
				 prefix, p->name, show);
		else
			diag_add(d, n->pos,
				 "%s%s \"%s\" is not a duration "
				 "(seconds, or a number with unit ms, s, m or "
				 "h)",
				 prefix, p->name, show);
		return -EINVAL;
	case MGMT_PARAM_ENUM:
		return parse_enum(p, n, (int *)f, prefix, d);
	default:
		diag_add(d, n->pos,
			 "%s%s: the plugin declares an unknown "
			 "parameter type %d",
			 prefix, p->name, (int)p->type);
		return -EINVAL;
	}
#undef show
}

int param_parse(const struct mgmt_param *p, const struct ynode *n, void *obj,
		const char *prefix, struct diag *d)
{
	void *f = field(obj, p);
	int rc;

	param_unset(p, obj);
	if (p->type == MGMT_PARAM_LIST)
		rc = parse_list(p, n, f, prefix, d);
	else if (p->type == MGMT_PARAM_MAP)
		rc = parse_map(p, n, f, prefix, d);
	else if (n->kind != YNODE_SCALAR)
		rc = wrong_type(p, p->name, n, prefix, d);
	else
		rc = parse_scalar(p, n, f, prefix, d);
	if (rc < 0)
		param_unset(p, obj);
	return rc;
}

int param_default(const struct mgmt_param *p, void *obj, struct pos pos,
		  const char *prefix, struct diag *d)
{
	struct mgmt_param dp = *p;
	struct ynode n = { .kind = YNODE_SCALAR, .pos = pos };
	char name[256];

	if (!p->def) {
		param_unset(p, obj);
		return 0;
	}
	/* A bad default is the plugin's bug: say so, not the user's. */
	snprintf(name, sizeof(name), "%s (the plugin's default)", p->name);
	dp.name = name;
	n.scalar.text = (char *)p->def;
	n.scalar.len = strlen(p->def);
	n.scalar.plain = true;
	return param_parse(&dp, &n, obj, prefix, d);
}

void param_unset(const struct mgmt_param *p, void *obj)
{
	void *f = field(obj, p);

	switch (p->type) {
	case MGMT_PARAM_STRING:
		*(char **)f = NULL;
		break;
	case MGMT_PARAM_BOOL:
		*(bool *)f = false;
		break;
	case MGMT_PARAM_INT:
		*(int64_t *)f = 0;
		break;
	case MGMT_PARAM_MODE:
		*(int32_t *)f = -1;
		break;
	case MGMT_PARAM_DURATION:
		*(int64_t *)f = -1;
		break;
	case MGMT_PARAM_LIST:
		*(struct mgmt_strv *)f = (struct mgmt_strv){ 0 };
		break;
	case MGMT_PARAM_MAP:
		*(struct mgmt_strmap *)f = (struct mgmt_strmap){ 0 };
		break;
	case MGMT_PARAM_ENUM:
		*(int *)f = -1;
		break;
	}
}

void strv_free(struct mgmt_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct mgmt_strv){ 0 };
}

bool strv_equal(const struct mgmt_strv *a, const struct mgmt_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

void param_free(const struct mgmt_param *p, void *obj)
{
	void *f = field(obj, p);

	if (p->type == MGMT_PARAM_STRING)
		free(*(char **)f);
	else if (p->type == MGMT_PARAM_LIST)
		strv_free(f);
	else if (p->type == MGMT_PARAM_MAP)
		map_free(f);
	param_unset(p, obj);
}

void params_free(const struct mgmt_param *schema, void *obj)
{
	for (const struct mgmt_param *p = schema; p && p->name; p++)
		param_free(p, obj);
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool param_equal(const struct mgmt_param *p, const void *a, const void *b)
{
	const void *fa = cfield(a, p), *fb = cfield(b, p);

	switch (p->type) {
	case MGMT_PARAM_STRING:
		return str_equal(*(char *const *)fa, *(char *const *)fb);
	case MGMT_PARAM_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	case MGMT_PARAM_INT:
	case MGMT_PARAM_DURATION:
		return *(const int64_t *)fa == *(const int64_t *)fb;
	case MGMT_PARAM_MODE:
		return *(const int32_t *)fa == *(const int32_t *)fb;
	case MGMT_PARAM_ENUM:
		return *(const int *)fa == *(const int *)fb;
	case MGMT_PARAM_LIST:
		return strv_equal(fa, fb);
	case MGMT_PARAM_MAP: {
		const struct mgmt_strmap *ma = fa, *mb = fb;

		if (ma->n != mb->n)
			return false;
		for (size_t i = 0; i < ma->n; i++)
			if (strcmp(ma->keys[i], mb->keys[i]) != 0 ||
			    strcmp(ma->values[i], mb->values[i]) != 0)
				return false;
		return true;
	}
	}
	return false;
}

bool params_equal(const struct mgmt_param *schema, const void *a, const void *b)
{
	for (const struct mgmt_param *p = schema; p && p->name; p++)
		if (!param_equal(p, a, b))
			return false;
	return true;
}

#define NAME_MAX_DIST 64

size_t suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t prev[NAME_MAX_DIST + 1], cur[NAME_MAX_DIST + 1];

	if (la > NAME_MAX_DIST || lb > NAME_MAX_DIST)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] +
				     (tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? sub : del;
			if (ins < cur[j])
				cur[j] = ins;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(*prev));
	}
	return prev[lb];
}

void suggest_init(struct suggest *s, const char *word)
{
	*s = (struct suggest){ .word = word, .dist = SIZE_MAX };
}

void suggest_add(struct suggest *s, const char *candidate)
{
	size_t dist = suggest_distance(s->word, candidate);

	if (dist < s->dist) {
		s->dist = dist;
		s->best = candidate;
	}
}

const char *suggest_result(const struct suggest *s)
{
	size_t len = strlen(s->word);
	size_t lim = len / 3 > 2 ? len / 3 : 2;

	/* Replacing every letter is no suggestion ("ab" -> "cd"). */
	if (!s->best || s->dist > lim || s->dist >= len)
		return NULL;
	return s->best;
}

const char *suggest_hint(const struct suggest *s, char *buf, size_t len)
{
	const char *best = suggest_result(s);

	if (best)
		snprintf(buf, len, " (did you mean '%s'?)", best);
	else if (len)
		buf[0] = '\0';
	return buf;
}

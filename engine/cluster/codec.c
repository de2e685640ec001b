/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * codec.c - base64, range_end, int64-as-string, the exported key layout and
 * parameters as JSON (see codec.h).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/codec.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *codec_b64_encode(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int codec_b64_decode(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s), o = 0;
	uint32_t acc = 0;
	int bits = 0;
	char *buf;

	*out = NULL;
	*len = 0;
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (strlen(s) - n > 2 || n % 4 == 1)
		return -EINVAL;
	buf = malloc(n / 4 * 3 + 3);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(s[i]);

		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)(acc >> bits & 0xff);
		}
	}
	buf[o] = '\0';
	*out = buf;
	*len = o;
	return 0;
}

char *codec_range_end(const char *prefix, size_t len, size_t *out_len)
{
	char *end;

	while (len > 0 && (unsigned char)prefix[len - 1] == 0xff)
		len--;
	end = malloc(len ? len + 1 : 2);
	if (!end)
		return NULL;
	if (len == 0) {
		end[0] = end[1] = '\0';
		*out_len = 1;
		return end;
	}
	memcpy(end, prefix, len);
	end[len - 1] = (char)((unsigned char)end[len - 1] + 1);
	end[len] = '\0';
	*out_len = len;
	return end;
}

int codec_get_i64(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	const char *s;
	char *end;

	*out = 0;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	return 0;
}

int codec_get_b64(const json_t *obj, const char *key, char **out, size_t *len)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	*len = 0;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	return codec_b64_decode(json_string_value(v), out, len);
}

char *codec_export_key(const char *host, const char *kind, const char *name)
{
	char *key;

	if (asprintf(&key, "%s%s/%s/%s", CODEC_EXPORT_PREFIX, host, kind,
		     name) < 0)
		return NULL;
	return key;
}

int codec_export_split(const char *key, size_t len, char **buf,
		       const char **host, const char **kind, const char **name)
{
	size_t plen = strlen(CODEC_EXPORT_PREFIX);
	char *b, *slash;

	*buf = NULL;
	if (len <= plen || memcmp(key, CODEC_EXPORT_PREFIX, plen) != 0 ||
	    memchr(key, '\0', len))
		return -EINVAL;
	b = strndup(key + plen, len - plen);
	if (!b)
		return -ENOMEM;
	*host = b;
	slash = strchr(b, '/');
	if (!slash || slash == b)
		goto bad;
	*slash = '\0';
	*kind = slash + 1;
	slash = strchr(slash + 1, '/');
	if (!slash || slash == *kind || !slash[1])
		goto bad;
	*slash = '\0';
	*name = slash + 1;
	*buf = b;
	return 0;
bad:
	free(b);
	return -EINVAL;
}

/* Unix seconds to the millisecond (they are positive; no libm). */
static double to_ms(double t)
{
	return t > 0 ? (double)(int64_t)(t * 1000. + .5) / 1000. : 0.;
}

struct codec_state codec_state_norm(struct codec_state s)
{
	s.since = s.converged ? to_ms(s.since) : 0.;
	return s;
}

bool codec_state_eq(const struct codec_state *a, const struct codec_state *b)
{
	return a->converged == b->converged && a->since == b->since &&
	       a->failed == b->failed && a->resources == b->resources;
}

char *codec_state_json(const char *host, const struct codec_state *s,
		       double updated)
{
	json_t *o = json_pack(
		"{s:s, s:b, s:o, s:I, s:I, s:f}", "host", host, "converged",
		s->converged, "since",
		s->converged ? json_real(to_ms(s->since)) : json_null(),
		"failed", (json_int_t)s->failed, "resources",
		(json_int_t)s->resources, "updated", to_ms(updated));
	/* 15 digits: a date to the millisecond, without binary noise. */
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
					       JSON_REAL_PRECISION(15)) :
			 NULL;

	json_decref(o);
	return text;
}

int codec_hosts_split(const char *key, size_t len, const char **host,
		      size_t *hlen)
{
	size_t plen = strlen(CODEC_HOSTS_PREFIX);

	if (len <= plen || memcmp(key, CODEC_HOSTS_PREFIX, plen) != 0 ||
	    memchr(key + plen, '/', len - plen) ||
	    memchr(key + plen, '\0', len - plen))
		return -EINVAL;
	*host = key + plen;
	*hlen = len - plen;
	return 0;
}

static json_t *strv_json(const struct mgmt_strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < v->n; i++)
		if (json_array_append_new(a, json_string(v->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *strmap_json(const struct mgmt_strmap *m)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < m->n; i++)
		if (json_object_set_new(o, m->keys[i],
					json_string(m->values[i])) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* One parameter's value as JSON; NULL when unset (or out of memory, which
 * the caller tells apart by `*nomem`). */
static json_t *param_json(const struct mgmt_param *p, const void *obj,
			  bool *nomem)
{
	const char *f = (const char *)obj + p->offset;
	char buf[32];
	json_t *v = NULL;

	switch (p->type) {
	case MGMT_PARAM_STRING:
		if (!*(char *const *)f)
			return NULL;
		v = json_string(*(char *const *)f);
		break;
	case MGMT_PARAM_BOOL:
		v = json_boolean(*(const bool *)f);
		break;
	case MGMT_PARAM_INT:
		v = json_integer(*(const int64_t *)f);
		break;
	case MGMT_PARAM_MODE:
		if (*(const int32_t *)f < 0)
			return NULL;
		snprintf(buf, sizeof(buf), "%04" PRIo32,
			 (uint32_t) * (const int32_t *)f);
		v = json_string(buf);
		break;
	case MGMT_PARAM_DURATION:
		if (*(const int64_t *)f < 0)
			return NULL;
		snprintf(buf, sizeof(buf), "%" PRId64 "ms",
			 *(const int64_t *)f);
		v = json_string(buf);
		break;
	case MGMT_PARAM_LIST:
		if (((const struct mgmt_strv *)f)->n == 0)
			return NULL;
		v = strv_json((const struct mgmt_strv *)f);
		break;
	case MGMT_PARAM_MAP:
		if (((const struct mgmt_strmap *)f)->n == 0)
			return NULL;
		v = strmap_json((const struct mgmt_strmap *)f);
		break;
	case MGMT_PARAM_ENUM: {
		int i = *(const int *)f;

		if (i < 0 || !p->choices)
			return NULL;
		v = json_string(p->choices[i]);
		break;
	}
	default:
		return NULL;
	}
	if (!v)
		*nomem = true;
	return v;
}

json_t *codec_params_json(const struct mgmt_param *schema, const void *obj)
{
	json_t *o = json_object();
	bool nomem = false;

	for (size_t i = 0; o && schema && schema[i].name && !nomem; i++) {
		json_t *v = param_json(&schema[i], obj, &nomem);

		if (v && json_object_set_new(o, schema[i].name, v) < 0)
			nomem = true;
	}
	if (nomem) {
		json_decref(o);
		return NULL;
	}
	return o;
}

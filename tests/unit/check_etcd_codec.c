/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_etcd_codec.c - unit tests for the pure parts of the etcd cluster
 * code (engine/cluster/codec.c): base64 against RFC 4648's vectors and on
 * random bytes, range_end, int64 written as strings, the exported key
 * layout, parameters as JSON, read back by the engine's own parser
 * (engine/config/merge.c) into equal parameters, and a host's state as
 * JSON and its key.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/codec.h"
#include "config/config.h"
#include "config/params.h"
#include "runner.h"

START_TEST(b64_vectors)
{
	static const char *const plain[] = { "",     "f",     "fo",    "foo",
					     "foob", "fooba", "foobar" };
	static const char *const enc[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"
	};

	for (size_t i = 0; i < 7; i++) {
		char *e = codec_b64_encode(plain[i], strlen(plain[i])), *d;
		size_t len;

		ck_assert_str_eq(e, enc[i]);
		ck_assert_int_eq(codec_b64_decode(e, &d, &len), 0);
		ck_assert_uint_eq(len, strlen(plain[i]));
		ck_assert_mem_eq(d, plain[i], len);
		free(e);
		free(d);
	}
}
END_TEST

START_TEST(b64_random_and_bad)
{
	unsigned char buf[257];
	uint32_t x = 12345;
	char *d;
	size_t len;

	for (size_t n = 0; n < sizeof(buf); n++) {
		char *e;

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		e = codec_b64_encode(buf, n);
		ck_assert_int_eq(codec_b64_decode(e, &d, &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert(n == 0 || memcmp(d, buf, n) == 0);
		free(e);
		free(d);
	}
	ck_assert_int_eq(codec_b64_decode("Zm9v!", &d, &len), -EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(codec_b64_decode("Z", &d, &len), -EINVAL);
	ck_assert_int_eq(codec_b64_decode("Zg===", &d, &len), -EINVAL);
	/* unpadded is accepted */
	ck_assert_int_eq(codec_b64_decode("Zg", &d, &len), 0);
	ck_assert_str_eq(d, "f");
	free(d);
}
END_TEST

START_TEST(range_end)
{
	size_t len;
	char *e = codec_range_end("/a/", 3, &len);

	ck_assert_str_eq(e, "/a0");
	ck_assert_uint_eq(len, 3);
	free(e);
	e = codec_range_end("a\xff\xff", 3, &len);
	ck_assert_str_eq(e, "b");
	ck_assert_uint_eq(len, 1);
	free(e);
	e = codec_range_end("", 0, &len);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(e[0], 0);
	free(e);
}
END_TEST

START_TEST(i64_as_string)
{
	json_t *o = json_pack("{s:s,s:I,s:s,s:b}", "a", "-9000000000", "b",
			      (json_int_t)7, "c", "12x", "d", 1);
	int64_t v;

	ck_assert_int_eq(codec_get_i64(o, "a", &v), 0);
	ck_assert(v == -9000000000LL);
	ck_assert_int_eq(codec_get_i64(o, "b", &v), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(codec_get_i64(o, "missing", &v), 0); /* omitted: 0 */
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(codec_get_i64(o, "c", &v), -EINVAL);
	ck_assert_int_eq(codec_get_i64(o, "d", &v), -EINVAL);
	json_decref(o);
}
END_TEST

START_TEST(export_keys)
{
	char *k = codec_export_key("hostA", "file", "a/b"), *buf;
	const char *host, *kind, *name;

	ck_assert_str_eq(k, "/mgmt-engine/exported/hostA/file/a/b");
	ck_assert_int_eq(
		codec_export_split(k, strlen(k), &buf, &host, &kind, &name), 0);
	ck_assert_str_eq(host, "hostA");
	ck_assert_str_eq(kind, "file");
	ck_assert_str_eq(name, "a/b"); /* a name may hold '/' */
	free(buf);
	free(k);
	static const char *const bad[] = {
		"/mgmt-engine/exported/",
		"/mgmt-engine/exported/h",
		"/mgmt-engine/exported/h/k",
		"/mgmt-engine/exported/h/k/",
		"/mgmt-engine/exported//k/n",
		"/mgmt-engine/exported/h//n",
		"/other/h/k/n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(codec_export_split(bad[i], strlen(bad[i]),
						    &buf, &host, &kind, &name),
				 -EINVAL);
		ck_assert_ptr_null(buf);
	}
}
END_TEST

START_TEST(state_json)
{
	struct codec_state s = { .converged = true,
				 .since = 1764720001.2004,
				 .failed = 1,
				 .resources = 10 };
	struct codec_state n = codec_state_norm(s), m;
	char *t = codec_state_json("h1", &n, 1764720002.0);
	json_t *o;

	/* Compact, in the documented order, times to the millisecond. */
	ck_assert_str_eq(t, "{\"host\":\"h1\",\"converged\":true,"
			    "\"since\":1764720001.2,\"failed\":1,"
			    "\"resources\":10,\"updated\":1764720002.0}");
	o = json_loads(t, 0, NULL);
	ck_assert(json_is_object(o));
	ck_assert(json_real_value(json_object_get(o, "since")) == 1764720001.2);
	json_decref(o);
	free(t);

	/* Not converged: since is null, whatever was given, and equal. */
	s.converged = false;
	n = codec_state_norm(s);
	t = codec_state_json("h1", &n, 1764720002.0006);
	ck_assert_str_eq(t, "{\"host\":\"h1\",\"converged\":false,"
			    "\"since\":null,\"failed\":1,"
			    "\"resources\":10,\"updated\":1764720002.001}");
	free(t);
	s.since = 5;
	m = codec_state_norm(s);
	ck_assert(codec_state_eq(&n, &m));
	/* A change under the millisecond is no change. */
	s.converged = true;
	s.since = 1764720001.2001;
	n = codec_state_norm(s);
	s.since = 1764720001.2003;
	m = codec_state_norm(s);
	ck_assert(codec_state_eq(&n, &m));
	m.failed = 2;
	ck_assert(!codec_state_eq(&n, &m));
	/* jansson takes only UTF-8. */
	ck_assert_ptr_null(codec_state_json("\xff", &n, 1.));
}
END_TEST

START_TEST(hosts_keys)
{
	static const char *const bad[] = {
		"/mgmt-engine/hosts/",
		"/mgmt-engine/hosts/a/b",
		"/mgmt-engine/hosts",
		"/mgmt-engine/exported/a/file/x",
	};
	const char *k = "/mgmt-engine/hosts/web1", *h;
	size_t len;

	ck_assert_int_eq(codec_hosts_split(k, strlen(k), &h, &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(h, "web1", 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(codec_hosts_split(bad[i], strlen(bad[i]), &h,
						   &len),
				 -EINVAL);
}
END_TEST

/* A struct with a parameter of every type. */
struct all {
	char *s, *unset;
	bool b;
	int64_t i;
	int32_t mode, mode_unset;
	int64_t dur, dur_unset;
	struct mgmt_strv list;
	struct mgmt_strmap map;
	int choice, choice_unset;
};

static const char *const choices[] = { "one", "two", NULL };

static const struct mgmt_param all_params[] = {
	MGMT_PARAM(struct all, s, MGMT_PARAM_STRING, NULL, 0, NULL),
	MGMT_PARAM(struct all, unset, MGMT_PARAM_STRING, NULL, 0, NULL),
	MGMT_PARAM(struct all, b, MGMT_PARAM_BOOL, "true", 0, NULL),
	MGMT_PARAM(struct all, i, MGMT_PARAM_INT, NULL, 0, NULL),
	MGMT_PARAM(struct all, mode, MGMT_PARAM_MODE, NULL, 0, NULL),
	MGMT_PARAM(struct all, mode_unset, MGMT_PARAM_MODE, NULL, 0, NULL),
	MGMT_PARAM(struct all, dur, MGMT_PARAM_DURATION, NULL, 0, NULL),
	MGMT_PARAM(struct all, dur_unset, MGMT_PARAM_DURATION, NULL, 0, NULL),
	MGMT_PARAM(struct all, list, MGMT_PARAM_LIST, NULL, 0, NULL),
	MGMT_PARAM(struct all, map, MGMT_PARAM_MAP, NULL, 0, NULL),
	MGMT_PARAM_CHOICE(struct all, choice, choices, NULL, 0, NULL),
	MGMT_PARAM_CHOICE(struct all, choice_unset, choices, NULL, 0, NULL),
	MGMT_PARAM_END,
};

static char list_x[] = "x", list_y[] = "y \"q\"";
static char map_k1[] = "k1", map_k2[] = "k2";
static char map_v1[] = "v1", map_v2[] = "line\nbreak";
static char str_s[] = "multi\nline \"quoted\" \\ t\u00e9xt";
static char *list_v[] = { list_x, list_y, NULL };
static char *map_k[] = { map_k1, map_k2 };
static char *map_v[] = { map_v1, map_v2 };

START_TEST(params_roundtrip)
{
	struct kind_entry k = {
		.k = { .name = "all",
		       .params = all_params,
		       .params_size = sizeof(struct all) },
		.nparams = 12,
	};
	struct all a = {
		.s = str_s,
		.unset = NULL,
		.b = false,
		.i = -42,
		.mode = 0640,
		.mode_unset = -1,
		.dur = 1500,
		.dur_unset = -1,
		.list = { 2, list_v },
		.map = { 2, map_k, map_v },
		.choice = 1,
		.choice_unset = -1,
	};
	json_t *j = codec_params_json(all_params, &a);
	struct diag d = { 0 };
	static const char bad[] = "{\"i\": \"x\", \"name\": \"r\"}";
	struct mgmt_res *r;
	char *text;

	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_null(json_object_get(j, "unset"));
	ck_assert_ptr_null(json_object_get(j, "mode_unset"));
	ck_assert_ptr_null(json_object_get(j, "dur_unset"));
	ck_assert_ptr_null(json_object_get(j, "choice_unset"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "mode")), "0640");
	ck_assert_str_eq(json_string_value(json_object_get(j, "dur")),
			 "1500ms");
	ck_assert_str_eq(json_string_value(json_object_get(j, "choice")),
			 "two");
	json_object_set_new(j, "name", json_string("r1"));
	text = json_dumps(j, 0);
	json_decref(j);
	ck_assert_int_eq(config_res_from_text(&k, "etcd:/k", text, strlen(text),
					      &d, &r),
			 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(r->name, "r1");
	ck_assert(params_equal(all_params, &a, r->params));
	res_free(r);
	free(text);

	/* Bad input is reported at the key, and no resource comes back. */
	ck_assert_int_eq(config_res_from_text(&k, "etcd:/k", bad, strlen(bad),
					      &d, &r),
			 -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_uint_ge(d.n, 1);
	ck_assert_ptr_nonnull(strstr(d.msgs[0], "etcd:/k:1:"));
	diag_free(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("etcd_codec");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, b64_vectors);
	tcase_add_test(tc, b64_random_and_bad);
	tcase_add_test(tc, range_end);
	tcase_add_test(tc, i64_as_string);
	tcase_add_test(tc, export_keys);
	tcase_add_test(tc, params_roundtrip);
	tcase_add_test(tc, state_json);
	tcase_add_test(tc, hosts_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_etcd_trust.c - unit tests of whose exports a host applies
 * (engine/cluster/trust.c): a signed export verifies under its own key
 * path only (a changed parameter, name, kind or host, a changed signature
 * or another signer's key fails), unsigned and malformed values are told
 * apart, trusted-key lines and directories parse (bad lines reported and
 * left out), a key is trusted for its own host only, and this host's key
 * is made once, mode 0600, and never replaced.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster/codec.h"
#include "cluster/trust.h"
#include "harness.h"
#include "runner.h"
#include "util/log.h"

#define KEY CODEC_EXPORT_PREFIX "hostA/file/f1"
#define PARAMS "{\"path\":\"/srv/f1\",\"content\":\"hi\\n\",\"mode\":\"0644\"}"

static unsigned char pk[TRUST_PK_BYTES], sk[TRUST_SK_BYTES];
static unsigned char pk2[TRUST_PK_BYTES], sk2[TRUST_SK_BYTES];
static char dir[PATH_MAX];

static void setup(void)
{
	char sub[PATH_MAX + 8];

	ck_assert_int_eq(trust_init(), 0);
	harness_tmpdir(dir, sizeof(dir), "check_etcd_trust");
	ck_assert_int_eq(trust_host_key(dir, pk, sk), 0);
	snprintf(sub, sizeof(sub), "%s/two", dir);
	ck_assert_int_eq(trust_host_key(sub, pk2, sk2), 0);
}

static void teardown(void)
{
	harness_rmdir(dir);
}

static char *sign(const char *key, const char *params)
{
	json_t *p = json_loads(params, 0, NULL);
	char *v;

	ck_assert_ptr_nonnull(p);
	v = trust_sign(key, p, pk, sk);
	json_decref(p);
	ck_assert_ptr_nonnull(v);
	return v;
}

/* trust_open of `value` under `key`: the verdict; *params freed. */
static int open_as(const char *key, const char *value, unsigned char *who)
{
	unsigned char got[TRUST_PK_BYTES];
	const char *why;
	char *params = NULL;
	int rc = trust_open(key, value, strlen(value), who ? who : got, &params,
			    &why);

	if (rc == TRUST_OK)
		ck_assert_ptr_nonnull(params);
	else
		ck_assert_ptr_null(params);
	free(params);
	return rc;
}

/* `v` with the first `from` replaced by `to`. */
static char *swap(const char *v, const char *from, const char *to)
{
	const char *at = strstr(v, from);
	char *out;

	ck_assert_ptr_nonnull(at);
	ck_assert_int_ge(asprintf(&out, "%.*s%s%s", (int)(at - v), v, to,
				  at + strlen(from)),
			 0);
	return out;
}

START_TEST(sign_and_verify)
{
	unsigned char who[TRUST_PK_BYTES];
	char *v = sign(KEY, PARAMS), *params, *ktext = trust_key_text(pk);
	const char *why;

	/* The value: version, key, signature, parameters with sorted keys. */
	ck_assert_ptr_nonnull(strstr(v, "{\"v\":1,\"key\":\""));
	ck_assert_ptr_nonnull(strstr(v, ktext));
	ck_assert_ptr_nonnull(strstr(
		v, ",\"params\":{\"content\":\"hi\\n\",\"mode\":\"0644\","
		   "\"path\":\"/srv/f1\"}}"));
	ck_assert_int_eq(trust_open(KEY, v, strlen(v), who, &params, &why),
			 TRUST_OK);
	ck_assert_mem_eq(who, pk, TRUST_PK_BYTES);
	ck_assert_str_eq(params, "{\"content\":\"hi\\n\",\"mode\":\"0644\","
				 "\"path\":\"/srv/f1\"}");
	free(params);
	free(ktext);
	free(v);
}
END_TEST

START_TEST(tampered_fields_fail)
{
	char *v = sign(KEY, PARAMS), *t, *k2 = trust_key_text(pk2),
	     *k1 = trust_key_text(pk);
	unsigned char who[TRUST_PK_BYTES];

	/* a parameter changed */
	t = swap(v, "/srv/f1", "/etc/f1");
	ck_assert_int_eq(open_as(KEY, t, who), TRUST_BAD_SIG);
	ck_assert_mem_eq(who, pk, TRUST_PK_BYTES);
	free(t);
	/* a parameter added */
	t = swap(v, "\"params\":{", "\"params\":{\"force\":true,");
	ck_assert_int_eq(open_as(KEY, t, NULL), TRUST_BAD_SIG);
	free(t);
	/* another signer's key named */
	t = swap(v, k1, k2);
	ck_assert_int_eq(open_as(KEY, t, who), TRUST_BAD_SIG);
	ck_assert_mem_eq(who, pk2, TRUST_PK_BYTES);
	free(t);
	/* the signature's first character changed */
	t = swap(v, "\"sig\":\"", "\"sig\":\"A");
	ck_assert_int_eq(open_as(KEY, t, NULL), TRUST_BAD_SIG);
	free(t);
	/* the order of the parameters is not what is signed: their
	 * values are (the parameters are read with sorted keys) */
	t = swap(v, "{\"content\":\"hi\\n\",\"mode\":\"0644\",",
		 "{\"mode\":\"0644\",\"content\":\"hi\\n\",");
	ck_assert_int_eq(open_as(KEY, t, NULL), TRUST_OK);
	free(t);
	free(k1);
	free(k2);
	free(v);
}
END_TEST

START_TEST(replay_under_another_key_fails)
{
	char *v = sign(KEY, PARAMS);

	ck_assert_int_eq(open_as(KEY, v, NULL), TRUST_OK);
	ck_assert_int_eq(open_as(CODEC_EXPORT_PREFIX "hostA/file/f2", v, NULL),
			 TRUST_BAD_SIG);
	ck_assert_int_eq(open_as(CODEC_EXPORT_PREFIX "hostB/file/f1", v, NULL),
			 TRUST_BAD_SIG);
	ck_assert_int_eq(open_as(CODEC_EXPORT_PREFIX "hostA/exec/f1", v, NULL),
			 TRUST_BAD_SIG);
	ck_assert_int_eq(open_as(KEY "/x", v, NULL), TRUST_BAD_SIG);
	free(v);
}
END_TEST

START_TEST(unsigned_and_malformed)
{
	char *v = sign(KEY, PARAMS), *t;

	ck_assert_int_eq(open_as(KEY, PARAMS, NULL), TRUST_UNSIGNED);
	ck_assert_int_eq(open_as(KEY, "{}", NULL), TRUST_UNSIGNED);
	ck_assert_int_eq(open_as(KEY, "{\"path\": ", NULL), TRUST_MALFORMED);
	ck_assert_int_eq(open_as(KEY, "[1]", NULL), TRUST_MALFORMED);
	ck_assert_int_eq(open_as(KEY, "{\"v\":1,\"sig\":\"x\"}", NULL),
			 TRUST_MALFORMED);
	t = swap(v, "{\"v\":1,", "{\"v\":2,");
	ck_assert_int_eq(open_as(KEY, t, NULL), TRUST_MALFORMED);
	free(t);
	t = swap(v, "\"key\":\"ed25519:", "\"key\":\"rsa:");
	ck_assert_int_eq(open_as(KEY, t, NULL), TRUST_MALFORMED);
	free(t);
	/* a key given twice is refused, not read one way or the other */
	t = swap(v, "\"params\":{", "\"params\":{\"path\":\"/x\",");
	ck_assert_int_eq(open_as(KEY, t, NULL), TRUST_MALFORMED);
	free(t);
	free(v);
}
END_TEST

START_TEST(key_lines)
{
	static const char *const bad[] = {
		"",
		"ssh-ed25519 AAAA h",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= ",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg== h",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= a b",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= a/b",
		"ed25519:!!ECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= h",
	};
	unsigned char k[TRUST_PK_BYTES];
	const char *why, *good = "ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
				 "GBkaGxwdHh8=  \thost-1\r\n";
	char *host, *text;

	ck_assert_int_eq(trust_parse_line(good, strlen(good), k, &host, &why),
			 0);
	ck_assert_str_eq(host, "host-1");
	for (unsigned i = 0; i < TRUST_PK_BYTES; i++)
		ck_assert_uint_eq(k[i], i);
	text = trust_key_text(k);
	ck_assert_str_eq(text, "ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
			       "GBkaGxwdHh8=");
	free(text);
	free(host);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		ck_assert_int_eq(trust_parse_line(bad[i], strlen(bad[i]), k,
						  &host, &why),
				 -EINVAL);
		ck_assert_ptr_null(host);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

static char logbuf[4096];

static void sink(int level, const char *line, void *ctx)
{
	strncat(logbuf, line, sizeof(logbuf) - strlen(logbuf) - 2);
	strcat(logbuf, "\n");
}

static void put(const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/trust/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(trust_dir)
{
	struct trust_set t = { 0 };
	char path[PATH_MAX + 8], *k1 = trust_key_text(pk),
				 *k2 = trust_key_text(pk2), line[256];

	snprintf(path, sizeof(path), "%s/trust", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(line, sizeof(line), "# host a\n\n%s a\n", k1);
	put("a.pub", line);
	snprintf(line, sizeof(line), "%s b\n", k2);
	put("b.pub", line);
	put("c.txt", line);     /* not *.pub: not read */
	put(".d.pub", line);    /* hidden: not read */
	put("e.pub", "nope\n"); /* reported, left out */
	logbuf[0] = '\0';
	log_set_sink(sink, NULL);
	ck_assert_int_eq(trust_load_dir(&t, path), 0);
	log_set_sink(NULL, NULL);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_str_eq(t.keys[0].host, "a");
	ck_assert_str_eq(t.keys[1].host, "b");
	ck_assert_msg(strstr(logbuf, "/trust/e.pub:1: expected "), "%s",
		      logbuf);
	/* a key is trusted for its own host only */
	ck_assert(trust_has(&t, pk, "a"));
	ck_assert(trust_has(&t, pk2, "b"));
	ck_assert(!trust_has(&t, pk, "b"));
	ck_assert(!trust_has(&t, pk2, "a"));
	trust_free(&t);
	/* a directory that is not there is an error */
	snprintf(path, sizeof(path), "%s/none", dir);
	log_set_sink(sink, NULL);
	ck_assert_int_eq(trust_load_dir(&t, path), -1);
	log_set_sink(NULL, NULL);
	free(k1);
	free(k2);
}
END_TEST

START_TEST(host_key_made_once)
{
	unsigned char again[TRUST_PK_BYTES], s2[TRUST_SK_BYTES];
	char path[PATH_MAX + 32];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/etcd/ed25519.key", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/etcd", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	/* the second start reads the same key */
	ck_assert_int_eq(trust_host_key(dir, again, s2), 0);
	ck_assert_mem_eq(again, pk, TRUST_PK_BYTES);
	ck_assert_mem_eq(s2, sk, TRUST_SK_BYTES);
	/* a file that is not a key is refused, and never replaced */
	snprintf(path, sizeof(path), "%s/etcd/ed25519.key", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("garbage\n", f);
	fclose(f);
	log_set_sink(sink, NULL);
	ck_assert_int_eq(trust_host_key(dir, again, s2), -1);
	log_set_sink(NULL, NULL);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(fgets(path, sizeof(path), f));
	fclose(f);
	ck_assert_str_eq(path, "garbage\n");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("etcd_trust");
	TCase *tc = tcase_create("trust");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sign_and_verify);
	tcase_add_test(tc, tampered_fields_fail);
	tcase_add_test(tc, replay_under_another_key_fails);
	tcase_add_test(tc, unsigned_and_malformed);
	tcase_add_test(tc, key_lines);
	tcase_add_test(tc, trust_dir);
	tcase_add_test(tc, host_key_made_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

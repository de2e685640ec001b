/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_etcd_hosts.c - unit tests for the cache of the hosts' states
 * (engine/cluster/hosts.c), fed as the hosts' watch feeds it: puts and
 * deletes of keys under /mgmt-engine/hosts/, bad keys and values, a full
 * read that drops what it no longer holds, and a reader on another thread
 * while the loop's side writes (which ThreadSanitizer checks).
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cluster/hosts.h"
#include "runner.h"

#define P "/mgmt-engine/hosts/"

static int put(struct hosts_cache *h, const char *host, const char *value)
{
	char key[128];

	snprintf(key, sizeof(key), P "%s", host);
	return hosts_cache_set(h, key, strlen(key), value,
			       value ? strlen(value) : 0);
}

/* The hosts of the cache's view, "a,b,c". */
static void names(struct hosts_cache *h, char *out, size_t len)
{
	json_t *a = hosts_cache_json(h), *o;
	size_t i, n = 0;

	out[0] = '\0';
	json_array_foreach(a, i, o)
	{
		n += (size_t)snprintf(
			out + n, len - n, "%s%s", i ? "," : "",
			json_string_value(json_object_get(o, "host")));
	}
	json_decref(a);
}

START_TEST(puts_and_deletes)
{
	struct hosts_cache h;
	char got[128];
	json_t *a;

	ck_assert_int_eq(hosts_cache_init(&h), 0);
	ck_assert_int_eq(put(&h, "web2", "{\"host\":\"web2\"}"), HOSTS_JOINED);
	ck_assert_int_eq(put(&h, "db", "{\"host\":\"db\"}"), HOSTS_JOINED);
	ck_assert_int_eq(put(&h, "web10", "{\"host\":\"web10\"}"),
			 HOSTS_JOINED);
	ck_assert_int_eq(put(&h, "web", "{\"host\":\"web\"}"), HOSTS_JOINED);
	names(&h, got, sizeof(got));
	ck_assert_str_eq(got, "db,web,web10,web2"); /* by name, bytewise */

	/* A new value replaces the old; the copy handed out stays. */
	a = hosts_cache_json(&h);
	ck_assert_int_eq(put(&h, "db", "{\"host\":\"db\",\"converged\":true}"),
			 HOSTS_SAME);
	ck_assert(json_object_get(json_array_get(a, 0), "converged") == NULL);
	json_decref(a);
	a = hosts_cache_json(&h);
	ck_assert(json_is_true(
		json_object_get(json_array_get(a, 0), "converged")));
	json_decref(a);

	/* Deleted keys leave; deleting an unknown one changes nothing. */
	ck_assert_int_eq(put(&h, "web", NULL), HOSTS_LEFT);
	ck_assert_int_eq(put(&h, "web", NULL), HOSTS_SAME);
	ck_assert_int_eq(put(&h, "nobody", NULL), HOSTS_SAME);
	names(&h, got, sizeof(got));
	ck_assert_str_eq(got, "db,web10,web2");
	hosts_cache_fini(&h);
}
END_TEST

START_TEST(bad_keys_and_values)
{
	struct hosts_cache h;
	char got[128];

	ck_assert_int_eq(hosts_cache_init(&h), 0);
	ck_assert_int_eq(put(&h, "a", "{\"host\":\"a\"}"), HOSTS_JOINED);
	ck_assert_int_eq(put(&h, "b", "{\"host\":\"b\"}"), HOSTS_JOINED);
	ck_assert_int_eq(put(&h, "x/y", "{}"), -EINVAL);
	ck_assert_int_eq(put(&h, "", "{}"), -EINVAL);
	ck_assert_int_eq(hosts_cache_set(&h, "/other/a", 8, "{}", 2), -EINVAL);
	ck_assert_int_eq(put(&h, "c", "[1]"), -EINVAL);
	ck_assert_int_eq(put(&h, "c", "{\"host\":"), -EINVAL);
	ck_assert_int_eq(put(&h, "c", ""), -EINVAL);
	/* A host whose value turns bad says nothing any more: it leaves. */
	ck_assert_int_eq(put(&h, "b", "nonsense"), -EINVAL);
	names(&h, got, sizeof(got));
	ck_assert_str_eq(got, "a");
	hosts_cache_fini(&h);
}
END_TEST

START_TEST(full_read_sweeps)
{
	struct hosts_cache h;
	char got[128];

	ck_assert_int_eq(hosts_cache_init(&h), 0);
	put(&h, "a", "{\"host\":\"a\"}");
	put(&h, "b", "{\"host\":\"b\"}");
	put(&h, "c", "{\"host\":\"c\"}");
	/* The watch broke; a read after a compaction holds a, c and d. */
	hosts_cache_unsee(&h);
	put(&h, "a", "{\"host\":\"a\"}");
	put(&h, "c", "{\"host\":\"c\"}");
	put(&h, "d", "{\"host\":\"d\"}");
	ck_assert_uint_eq(hosts_cache_sweep(&h), 1);
	names(&h, got, sizeof(got));
	ck_assert_str_eq(got, "a,c,d");
	ck_assert_uint_eq(hosts_cache_sweep(&h), 0);
	hosts_cache_unsee(&h);
	ck_assert_uint_eq(hosts_cache_sweep(&h), 3); /* an empty read */
	names(&h, got, sizeof(got));
	ck_assert_str_eq(got, "");
	hosts_cache_fini(&h);
}
END_TEST

struct reader {
	struct hosts_cache *h;
	atomic_bool stop;
	atomic_size_t reads;
	size_t bad;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&r->stop)) {
		json_t *a = hosts_cache_json(r->h), *o;
		size_t i;

		json_array_foreach(a, i, o)
		{
			/* Each object whole, as one put made it. */
			if (!json_is_integer(json_object_get(o, "n")))
				r->bad++;
		}
		json_decref(a);
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

START_TEST(reader_on_another_thread)
{
	struct hosts_cache h;
	struct reader r = { .h = &h };
	pthread_t t;
	char host[8], val[64];

	ck_assert_int_eq(hosts_cache_init(&h), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, read_loop, &r), 0);
	/* Until both sides did their share, however the threads are
	 * scheduled. */
	for (int i = 0; i < 3000 || atomic_load(&r.reads) < 100; i++) {
		snprintf(host, sizeof(host), "h%d", i % 7);
		snprintf(val, sizeof(val), "{\"host\":\"%s\",\"n\":%d}", host,
			 i);
		put(&h, host, i % 5 == 4 ? NULL : val);
		if (i % 100 == 99) {
			hosts_cache_unsee(&h);
			hosts_cache_sweep(&h);
		}
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	ck_assert_uint_ge(atomic_load(&r.reads), 100);
	ck_assert_uint_eq(r.bad, 0);
	hosts_cache_fini(&h);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("etcd_hosts");
	TCase *tc = tcase_create("hosts");

	tcase_add_test(tc, puts_and_deletes);
	tcase_add_test(tc, bad_keys_and_values);
	tcase_add_test(tc, full_read_sweeps);
	tcase_add_test(tc, reader_on_another_thread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

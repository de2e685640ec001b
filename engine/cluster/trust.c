/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * trust.c - this host's Ed25519 key, the keys it trusts, and signed
 * exports (see trust.h).  Ed25519 is libsodium's.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cluster/codec.h"
#include "cluster/trust.h"
#include "util/log.h"

#define SECRET_TAG "ed25519-secret:"

int trust_init(void)
{
	if (sodium_init() < 0) {
		log_error("libsodium cannot start (sodium_init failed)");
		return -1;
	}
	return 0;
}

/* Decode base64 `s` (`len` bytes) into exactly `n` bytes of `out`. */
static int b64_exact(const char *s, size_t len, unsigned char *out, size_t n)
{
	char *text = strndup(s, len), *bytes;
	size_t got;
	int rc;

	if (!text)
		return -ENOMEM;
	rc = codec_b64_decode(text, &bytes, &got);
	free(text);
	if (rc < 0)
		return rc;
	if (got != n)
		rc = -EINVAL;
	else
		memcpy(out, bytes, n);
	sodium_memzero(bytes, got);
	free(bytes);
	return rc;
}

int trust_parse_line(const char *s, size_t len,
		     unsigned char pk[TRUST_PK_BYTES], char **host,
		     const char **why)
{
	size_t tag = strlen(TRUST_KEY_TAG), k, h, e;
	int rc;

	*host = NULL;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
		       s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	if (len < tag || memcmp(s, TRUST_KEY_TAG, tag) != 0) {
		*why = "expected \"" TRUST_KEY_TAG "BASE64 HOST\" (what "
		       "`mgmt-engine key` prints)";
		return -EINVAL;
	}
	for (k = tag; k < len && s[k] != ' ' && s[k] != '\t'; k++)
		;
	for (h = k; h < len && (s[h] == ' ' || s[h] == '\t'); h++)
		;
	for (e = h; e < len && s[e] != ' ' && s[e] != '\t'; e++)
		;
	if (h == len || h == k) {
		*why = "no host name after the key (\"" TRUST_KEY_TAG
		       "BASE64 HOST\")";
		return -EINVAL;
	}
	if (e != len || memchr(s + h, '/', e - h) || memchr(s, '\0', len)) {
		*why = "one host name after the key, without '/' or spaces";
		return -EINVAL;
	}
	rc = b64_exact(s + tag, k - tag, pk, TRUST_PK_BYTES);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		*why = "the key is not the base64 of 32 bytes";
		return -EINVAL;
	}
	*host = strndup(s + h, e - h);
	return *host ? 0 : -ENOMEM;
}

char *trust_key_text(const unsigned char pk[TRUST_PK_BYTES])
{
	char *b = codec_b64_encode(pk, TRUST_PK_BYTES), *s = NULL;

	if (b && asprintf(&s, "%s%s", TRUST_KEY_TAG, b) < 0)
		s = NULL;
	free(b);
	return s;
}

/* ---- this host's key ---- */

static int mkdir_0700(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		log_error("cannot create %s: %s; give a writable --prefix",
			  path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Read the key file at `path`: 0, 1 when there is none, -1 (logged). */
static int read_key(const char *path, unsigned char pk[TRUST_PK_BYTES],
		    unsigned char sk[TRUST_SK_BYTES])
{
	char buf[256];
	size_t tag = strlen(SECRET_TAG), n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t got;

	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0) {
		log_error("cannot read this host's key %s: %s", path,
			  strerror(errno));
		return -1;
	}
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	n = got > 0 ? (size_t)got : 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n < tag || memcmp(buf, SECRET_TAG, tag) != 0 ||
	    b64_exact(buf + tag, n - tag, sk, TRUST_SK_BYTES) < 0) {
		sodium_memzero(buf, sizeof(buf));
		log_error("%s: not a key of mgmt-engine (\"" SECRET_TAG
			  "BASE64\"); move it away and a new key is made",
			  path);
		return -1;
	}
	sodium_memzero(buf, sizeof(buf));
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	return 0;
}

/* A new key pair written to a temporary file, then linked to `path`: a
 * key already there (another engine's, made meanwhile) is never
 * replaced.  0, 1 when `path` appeared meanwhile, -1 (logged). */
static int make_key(const char *dir, const char *path,
		    unsigned char pk[TRUST_PK_BYTES],
		    unsigned char sk[TRUST_SK_BYTES])
{
	char tmp[PATH_MAX], *b64 = NULL, *text = NULL;
	int fd, rc = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.ed25519.key.XXXXXX", dir) >=
	    sizeof(tmp)) {
		log_error("%s: path too long", dir);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		log_error("cannot create a key in %s: %s", dir,
			  strerror(errno));
		return -1;
	}
	crypto_sign_keypair(pk, sk);
	b64 = codec_b64_encode(sk, TRUST_SK_BYTES);
	if (b64 && asprintf(&text, "%s%s\n", SECRET_TAG, b64) < 0)
		text = NULL;
	if (!text || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fsync(fd) < 0)
		log_error("cannot write a key to %s: %s", tmp,
			  text ? strerror(errno) : "out of memory");
	else if (link(tmp, path) == 0)
		rc = 0;
	else if (errno == EEXIST)
		rc = 1;
	else
		log_error("cannot create %s: %s", path, strerror(errno));
	close(fd);
	unlink(tmp);
	if (b64)
		sodium_memzero(b64, strlen(b64));
	if (text)
		sodium_memzero(text, strlen(text));
	free(b64);
	free(text);
	return rc;
}

int trust_host_key(const char *dir, unsigned char pk[TRUST_PK_BYTES],
		   unsigned char sk[TRUST_SK_BYTES])
{
	char sub[PATH_MAX], path[PATH_MAX];
	int rc;

	if ((size_t)snprintf(sub, sizeof(sub), "%s/etcd", dir) >= sizeof(sub) ||
	    (size_t)snprintf(path, sizeof(path), "%s/ed25519.key", sub) >=
		    sizeof(path)) {
		log_error("%s: path too long", dir);
		return -1;
	}
	rc = read_key(path, pk, sk);
	if (rc <= 0)
		return rc;
	if (mkdir_0700(dir) < 0 || mkdir_0700(sub) < 0)
		return -1;
	rc = make_key(sub, path, pk, sk);
	if (rc == 0)
		log_info("etcd: made this host's key %s", path);
	return rc == 1 ? read_key(path, pk, sk) : rc;
}

/* ---- the keys trusted ---- */

int trust_add(struct trust_set *t, const unsigned char pk[TRUST_PK_BYTES],
	      const char *host)
{
	struct trust_key *k = realloc(t->keys, (t->n + 1) * sizeof(*k));
	char *h = strdup(host);

	if (k)
		t->keys = k;
	if (!k || !h) {
		free(h);
		return -ENOMEM;
	}
	memcpy(k[t->n].pk, pk, TRUST_PK_BYTES);
	k[t->n++].host = h;
	return 0;
}

static bool is_pub(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".pub") == 0;
}

/* One file of a trust directory: its first line that is not empty or a
 * comment. */
static int load_file(struct trust_set *t, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	unsigned char pk[TRUST_PK_BYTES];
	const char *why;
	char *host;
	int rc = 0, no = 0;

	if (!f) {
		log_warn("%s: %s; skipped", path, strerror(errno));
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		no++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		rc = trust_parse_line(line, strlen(line), pk, &host, &why);
		if (rc == 0)
			rc = trust_add(t, pk, host);
		else if (rc == -EINVAL)
			log_warn("%s:%d: %s; key skipped", path, no, why);
		free(host);
		break;
	}
	fclose(f);
	return rc == -ENOMEM ? rc : 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int trust_load_dir(struct trust_set *t, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, path[PATH_MAX];
	size_t n = 0;
	int rc = 0;

	if (!d) {
		log_error("--etcd-trust %s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		char **nn;

		if (!is_pub(de->d_name))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || !(nn[n] = strdup(de->d_name)))
			rc = -ENOMEM;
		if (nn)
			names = nn;
		if (rc == 0)
			n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && (size_t)snprintf(path, sizeof(path), "%s/%s",
						dir, names[i]) < sizeof(path))
			rc = load_file(t, path);
		free(names[i]);
	}
	free(names);
	return rc;
}

bool trust_has(const struct trust_set *t,
	       const unsigned char pk[TRUST_PK_BYTES], const char *host)
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->keys[i].pk, pk, TRUST_PK_BYTES) == 0 &&
		    strcmp(t->keys[i].host, host) == 0)
			return true;
	return false;
}

void trust_free(struct trust_set *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->keys[i].host);
	free(t->keys);
	*t = (struct trust_set){ 0 };
}

/* ---- signed exports ---- */

/* TRUST_SIG_DOMAIN KEY NUL PARAMS: what is signed. */
static unsigned char *message(const char *key, const char *params, size_t *len)
{
	size_t d = strlen(TRUST_SIG_DOMAIN), k = strlen(key),
	       p = strlen(params);
	unsigned char *m = malloc(d + k + 1 + p);

	if (!m)
		return NULL;
	memcpy(m, TRUST_SIG_DOMAIN, d);
	memcpy(m + d, key, k);
	m[d + k] = '\0';
	memcpy(m + d + k + 1, params, p);
	*len = d + k + 1 + p;
	return m;
}

static char *params_text(const json_t *params)
{
	return json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
}

char *trust_sign(const char *key, const json_t *params,
		 const unsigned char pk[TRUST_PK_BYTES],
		 const unsigned char sk[TRUST_SK_BYTES])
{
	unsigned char sig[TRUST_SIG_BYTES], *m = NULL;
	char *text = params_text(params), *ktext = trust_key_text(pk);
	char *stext = NULL, *out = NULL;
	json_t *v = NULL;
	size_t mlen;

	if (text && ktext && (m = message(key, text, &mlen))) {
		crypto_sign_detached(sig, NULL, m, mlen, sk);
		stext = codec_b64_encode(sig, sizeof(sig));
	}
	/* The parameters as signed, keys sorted (the outer object keeps
	 * its own order), so that the value shows the bytes signed. */
	if (stext)
		v = json_pack("{s:i, s:s, s:s, s:o}", "v", 1, "key", ktext,
			      "sig", stext, "params",
			      json_loads(text, 0, NULL));
	if (v)
		out = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	free(m);
	free(text);
	free(ktext);
	free(stext);
	return out;
}

int trust_open(const char *key, const char *value, size_t vlen,
	       unsigned char pk[TRUST_PK_BYTES], char **params,
	       const char **why)
{
	unsigned char sig[TRUST_SIG_BYTES], *m = NULL;
	const char *ktext, *stext;
	json_t *j = json_loadb(value, vlen, JSON_REJECT_DUPLICATES, NULL);
	json_t *p;
	size_t mlen, tag = strlen(TRUST_KEY_TAG);
	int rc = TRUST_MALFORMED;

	*params = NULL;
	*why = NULL;
	if (!json_is_object(j)) {
		*why = j ? "not a JSON object" : "bad JSON";
		goto out;
	}
	if (!json_object_get(j, "sig") || !json_object_get(j, "v")) {
		rc = TRUST_UNSIGNED;
		goto out;
	}
	if (json_unpack(j, "{s:s, s:s, s:o}", "key", &ktext, "sig", &stext,
			"params", &p) < 0 ||
	    !json_is_object(p)) {
		*why = "a signed export needs \"key\" and \"sig\" strings and a "
		       "\"params\" object";
		goto out;
	}
	if (!json_is_integer(json_object_get(j, "v")) ||
	    json_integer_value(json_object_get(j, "v")) != 1) {
		*why = "a signed export of another version than 1";
		goto out;
	}
	if (strncmp(ktext, TRUST_KEY_TAG, tag) != 0 ||
	    b64_exact(ktext + tag, strlen(ktext + tag), pk, TRUST_PK_BYTES) <
		    0) {
		*why = "its \"key\" is not \"" TRUST_KEY_TAG "BASE64\" of 32 "
		       "bytes";
		goto out;
	}
	if (b64_exact(stext, strlen(stext), sig, sizeof(sig)) < 0) {
		rc = TRUST_BAD_SIG;
		goto out;
	}
	*params = params_text(p);
	if (!*params || !(m = message(key, *params, &mlen))) {
		rc = -ENOMEM;
		goto out;
	}
	rc = crypto_sign_verify_detached(sig, m, mlen, pk) == 0 ? TRUST_OK :
								  TRUST_BAD_SIG;
out:
	if (rc != TRUST_OK) {
		free(*params);
		*params = NULL;
	}
	free(m);
	json_decref(j);
	return rc;
}

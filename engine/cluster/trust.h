/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * trust.h - whose exports a host applies (doc/etcd.md, "Trust").
 *
 * Every host signs its exports with an Ed25519 key of its own (libsodium),
 * made on first start under the state directory; a collector applies an
 * export only when its signature verifies and its key is trusted for the
 * host whose key path it is under.  A trusted key is written as one line,
 * "ed25519:BASE64 HOST" (what `mgmt-engine key` prints): in a file of a
 * --etcd-trust directory, or in the graph's `trust:` list.  This host's
 * own key is always trusted for its own name.
 *
 * A signed export's value (version 1) is
 *   {"v": 1, "key": "ed25519:BASE64", "sig": "BASE64", "params": {...}}
 * and the signature covers TRUST_SIG_DOMAIN, the export's key path
 * (which names the host, the kind and the resource), a NUL byte, and the
 * parameters as compact JSON with sorted keys: a value copied under
 * another key path does not verify.
 */
#ifndef ENGINE_CLUSTER_TRUST_H
#define ENGINE_CLUSTER_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define TRUST_PK_BYTES 32
#define TRUST_SK_BYTES 64
#define TRUST_SIG_BYTES 64
/* The first bytes of every signed message: a signature made for anything
 * else never verifies as an export's. */
#define TRUST_SIG_DOMAIN "mgmt-engine export v1\n"
/* The text before a public key's base64. */
#define TRUST_KEY_TAG "ed25519:"

/* A key trusted for one host. */
struct trust_key {
	unsigned char pk[TRUST_PK_BYTES];
	char *host;
};

/* The keys a collector trusts. */
struct trust_set {
	struct trust_key *keys;
	size_t n;
};

/* Initialise libsodium once; 0 or -1 (logged). */
int trust_init(void);

/* Parse "ed25519:BASE64 HOST" (`len` bytes; spaces or tabs between, none
 * elsewhere but trailing).  0 with pk and *host (malloc'd), or -EINVAL
 * with *why saying what is wrong, or -ENOMEM. */
int trust_parse_line(const char *s, size_t len,
		     unsigned char pk[TRUST_PK_BYTES], char **host,
		     const char **why);

/* "ed25519:BASE64" of `pk`; NULL when out of memory. */
char *trust_key_text(const unsigned char pk[TRUST_PK_BYTES]);

/* This host's key pair, in DIR/etcd/ed25519.key (DIR: the state
 * directory, --prefix), made on the first call with mode 0600 (the
 * directory 0700) by an atomic create that never replaces a key there.
 * 0, or -1 after logging what and where. */
int trust_host_key(const char *dir, unsigned char pk[TRUST_PK_BYTES],
		   unsigned char sk[TRUST_SK_BYTES]);

/* Add `pk` for `host` (copied) to `t`: 0 or -ENOMEM. */
int trust_add(struct trust_set *t, const unsigned char pk[TRUST_PK_BYTES],
	      const char *host);

/* Add every key of DIR's `*.pub` files (one line each; empty lines and
 * lines starting with '#' aside), in name order.  A bad line is logged
 * (FILE:LINE: what) and left out.  0; -1 after logging when DIR cannot be
 * read; -ENOMEM. */
int trust_load_dir(struct trust_set *t, const char *dir);

/* Is `pk` trusted for `host`? */
bool trust_has(const struct trust_set *t,
	       const unsigned char pk[TRUST_PK_BYTES], const char *host);

void trust_free(struct trust_set *t);

/* The signed value of the export under key path `key`, whose parameters
 * are `params`: NULL when out of memory (or a string is not UTF-8). */
char *trust_sign(const char *key, const json_t *params,
		 const unsigned char pk[TRUST_PK_BYTES],
		 const unsigned char sk[TRUST_SK_BYTES]);

/* What trust_open found in a value. */
enum trust_verdict {
	TRUST_OK,       /* signed by pk, and the signature verifies */
	TRUST_UNSIGNED, /* a JSON object, but not a signed export */
	TRUST_BAD_SIG,  /* signed by pk, but the signature does not verify */
	TRUST_MALFORMED /* not JSON, or a signed export with bad fields */
};

/* Open the value of key path `key`.  TRUST_OK: *params gets the
 * parameters' text (compact, sorted keys: what was signed; malloc'd) and
 * pk the signer's key.  TRUST_BAD_SIG: pk is set.  Otherwise *why may say
 * what was wrong (static text).  -ENOMEM when out of memory. */
int trust_open(const char *key, const char *value, size_t vlen,
	       unsigned char pk[TRUST_PK_BYTES], char **params,
	       const char **why);

#endif /* ENGINE_CLUSTER_TRUST_H */

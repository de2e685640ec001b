/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * codec.h - the pure parts of talking to etcd through its JSON gateway
 * (doc/etcd.md, "The JSON gateway"): base64 keys and values, the range_end
 * of a prefix, 64-bit integers written as strings, the layout of exported
 * keys, and a resource's parameters as JSON by its kind's schema.  No I/O,
 * so the unit tests take them one by one.
 */
#ifndef ENGINE_CLUSTER_CODEC_H
#define ENGINE_CLUSTER_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <mgmt/params.h>

/* Where every host's exports live: PREFIX HOST/KIND/NAME. */
#define CODEC_EXPORT_PREFIX "/mgmt-engine/exported/"
/* Where each host's state lives: PREFIX HOST (doc/etcd.md, "Each host's
 * state"). */
#define CODEC_HOSTS_PREFIX "/mgmt-engine/hosts/"

/* A host's state, as the scheduler tells it (cluster_set_state). */
struct codec_state {
	bool converged;
	double since; /* unix seconds, to the millisecond; 0 unless converged */
	uint32_t failed, resources;
};

/* Standard base64 (with padding) of `len` bytes, NUL-terminated; NULL when
 * out of memory. */
char *codec_b64_encode(const void *buf, size_t len);

/* Decode standard base64 (padding optional, no whitespace).  *out gets a
 * NUL-terminated buffer of *len bytes.  0, -EINVAL on bad input, -ENOMEM. */
int codec_b64_decode(const char *s, char **out, size_t *len);

/* The range_end that makes a range request cover every key starting with
 * `prefix` (`len` bytes): the prefix with its last byte incremented,
 * dropping trailing 0xff bytes first; "\0" (every key) for an empty or
 * all-0xff prefix.  *out_len gets its length.  NULL when out of memory. */
char *codec_range_end(const char *prefix, size_t len, size_t *out_len);

/* etcd writes int64 as a JSON string ("12"), and omits it when 0.  Reads
 * `key` of `obj` either way: 0 when absent, -EINVAL when not a number. */
int codec_get_i64(const json_t *obj, const char *key, int64_t *out);

/* A base64 string field of `obj` decoded (NULL/0 when absent).  0,
 * -EINVAL, -ENOMEM. */
int codec_get_b64(const json_t *obj, const char *key, char **out, size_t *len);

/* PREFIX HOST/KIND/NAME, or NULL when out of memory. */
char *codec_export_key(const char *host, const char *kind, const char *name);

/* Split a key under CODEC_EXPORT_PREFIX into its parts (pointers into a
 * copy in *buf, which the caller frees).  The name may contain '/'; host
 * and kind may not, and none may be empty.  0, -EINVAL (not such a key),
 * -ENOMEM. */
int codec_export_split(const char *key, size_t len, char **buf,
		       const char **host, const char **kind, const char **name);

/* `s` made comparable: `since` rounded to the millisecond, 0 unless
 * converged (so equal states publish equal values). */
struct codec_state codec_state_norm(struct codec_state s);

/* Equal states (both normalised) publish the same value. */
bool codec_state_eq(const struct codec_state *a, const struct codec_state *b);

/* The value of PREFIX HOST: {"host", "converged", "since" (null unless
 * converged), "failed", "resources", "updated"} in that order, compact;
 * times as unix seconds to the millisecond.  NULL when out of memory or
 * `host` is not UTF-8. */
char *codec_state_json(const char *host, const struct codec_state *s,
		       double updated);

/* The host a key under CODEC_HOSTS_PREFIX names (a pointer into `key`,
 * `*hlen` bytes): 0, or -EINVAL when the rest is empty or holds '/'. */
int codec_hosts_split(const char *key, size_t len, const char **host,
		      size_t *hlen);

/* The parameters of `obj` (a plugin's per-resource struct) as a JSON
 * object, by `schema`: only what is set (an unset string, mode, duration
 * or enum is left out, so the collector applies the default); a mode as
 * an octal string ("0644"), a duration as milliseconds ("1500ms"), an enum
 * by its choice's name.  The engine's YAML reader takes all of these back.
 * NULL when out of memory. */
json_t *codec_params_json(const struct mgmt_param *schema, const void *obj);

#endif /* ENGINE_CLUSTER_CODEC_H */

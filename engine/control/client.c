/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * client.c - the commands that talk to a running engine over its control
 * socket (see client.h): one blocking HTTP request each, through libcurl's
 * easy interface on the unix socket, its JSON body read by jansson.
 *
 * Every way the request can go wrong ends in one line on stderr and exit
 * status 2: not reaching the engine (no socket, nobody listening) names the
 * path and asks whether the engine runs with --control; an answer that
 * comes too late, is not JSON, or has a status the protocol does not give
 * says so.  What the engine answers (refused, failed, timeout) is the
 * command's result, exit status 0 or 1.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "control/client.h"
#include "control/render.h"
#include "util/curl.h"
#include "util/grow.h"
#include "util/log.h"

#define MAX_REPLY (256u << 20) /* bytes: a status of ~1M resources */
#define STATUS_WAIT 0.0        /* status and cluster answer at once */

const char *client_socket(const char *given)
{
	const char *env = getenv(CLIENT_ENV);

	if (given)
		return given;
	return env && *env ? env : CONTROL_SOCKET;
}

/* Append `s` percent-encoded at `p`; returns the end. */
static char *escape(char *p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c)) {
			*p++ = (char)c;
			continue;
		}
		*p++ = '%';
		*p++ = hex[c >> 4];
		*p++ = hex[c & 15];
	}
	return p;
}

int client_url(const char *path, const struct client_arg *args, size_t nargs,
	       char **out)
{
	static const char base[] = "http://localhost";
	size_t len = sizeof(base) + strlen(path);
	char sep = '?', *p;

	for (size_t i = 0; i < nargs; i++)
		if (args[i].value)
			len += strlen(args[i].key) + 2 +
			       3 * strlen(args[i].value);
	*out = p = malloc(len);
	if (!p)
		return -ENOMEM;
	p = stpcpy(stpcpy(p, base), path);
	for (size_t i = 0; i < nargs; i++) {
		if (!args[i].value)
			continue;
		*p++ = sep;
		p = stpcpy(p, args[i].key);
		*p++ = '=';
		p = escape(p, args[i].value);
		sep = '&';
	}
	*p = '\0';
	return 0;
}

/* What came back. */
struct reply {
	long code;
	json_t *body; /* a JSON object */
};

struct buf {
	char *p;
	size_t n, cap;
};

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	n *= size;
	if (n > MAX_REPLY - b->n || GROW(b->p, b->cap, b->n + n, 4096) < 0)
		return 0; /* libcurl stops: CURLE_WRITE_ERROR */
	memcpy(b->p + b->n, data, n);
	b->n += n;
	return n;
}

/* Whether `path` can be a socket to connect to; if not, *why says why. */
static bool socket_there(const char *path, char *why, size_t len)
{
	struct stat st;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		snprintf(why, len,
			 "the path is longer than a unix socket's %zu bytes",
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	else if (stat(path, &st) < 0)
		snprintf(why, len, "%s", strerror(errno));
	else if (!S_ISSOCK(st.st_mode))
		snprintf(why, len, "not a socket");
	else
		return true;
	return false;
}

static void setup(CURL *h, const char *sock, const char *method,
		  const char *url, double wait, struct buf *b, char *err)
{
	curl_fn.easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_fn.easy_setopt(h, CURLOPT_URL, url);
	curl_fn.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_fn.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CLIENT_CONNECT_TIMEOUT);
	curl_fn.easy_setopt(h, CURLOPT_TIMEOUT_MS,
			    (long)((wait + CLIENT_GRACE) * 1000));
	curl_fn.easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_fn.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_fn.easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (strcmp(method, "POST") == 0) {
		curl_fn.easy_setopt(h, CURLOPT_POST, 1L);
		curl_fn.easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_fn.easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
}

/* The JSON object of the body in `b`, or -EPROTO with why. */
static int parse(const struct buf *b, struct reply *r, char *why, size_t len)
{
	json_error_t je;

	r->body = json_loadb(b->p ? b->p : "", b->n, 0, &je);
	if (r->body && json_is_object(r->body))
		return 0;
	snprintf(why, len, "its answer (HTTP %ld) is not a JSON object: %s",
		 r->code, r->body ? "another JSON value" : je.text);
	json_decref(r->body);
	r->body = NULL;
	return -EPROTO;
}

/*
 * One request.  Returns 0 with *r filled (the caller json_decref's the
 * body), -ENOTCONN when the engine cannot be reached, -ETIMEDOUT when no
 * answer came in time, or -EPROTO, -EIO or -ENOMEM; *why then says why.
 */
static int request(const char *sock, const char *method, const char *url,
		   double wait, struct reply *r, char *why, size_t len)
{
	char err[CURL_ERROR_SIZE] = "";
	struct buf b = { 0 };
	const char *lwhy;
	long oserr = 0;
	CURLcode rc;
	CURL *h;
	int ret;

	*r = (struct reply){ 0 };
	if (!socket_there(sock, why, len))
		return -ENOTCONN;
	if (curl_fn_open(&lwhy) < 0) {
		snprintf(why, len, "%s; install libcurl4", lwhy);
		return -EIO;
	}
	h = curl_fn.easy_init();
	if (!h) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	setup(h, sock, method, url, wait, &b, err);
	rc = curl_fn.easy_perform(h);
	curl_fn.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
	curl_fn.easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	if (rc == CURLE_OK) {
		ret = parse(&b, r, why, len);
	} else if (rc == CURLE_COULDNT_CONNECT) {
		snprintf(why, len, "%s",
			 oserr ? strerror((int)oserr) :
			 *err  ? err :
				 curl_fn.easy_strerror(rc));
		ret = -ENOTCONN;
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, len, "no answer within %g s",
			 wait + CLIENT_GRACE);
		ret = -ETIMEDOUT;
	} else {
		snprintf(why, len, "%s",
			 *err ? err : curl_fn.easy_strerror(rc));
		ret = -EIO;
	}
	curl_fn.easy_cleanup(h);
	free(b.p);
	return ret;
}

/*
 * Ask the engine: build the URL, send, and get a JSON object back.  Returns
 * CLIENT_EXIT_OK with *r filled, or CLIENT_EXIT_UNREACHABLE after one line
 * on stderr.
 */
static int ask(const char *cmd, const char *sock, const char *method,
	       const char *path, const struct client_arg *args, size_t nargs,
	       double wait, struct reply *r)
{
	char why[CURL_ERROR_SIZE + 256], ebuf[4096];
	char *url;
	int ret;

	if (client_url(path, args, nargs, &url) < 0) {
		fprintf(stderr, "mgmt-engine: %s: out of memory\n", cmd);
		return CLIENT_EXIT_UNREACHABLE;
	}
	ret = request(sock, method, url, wait, r, why, sizeof(why));
	free(url);
	if (ret == 0)
		return CLIENT_EXIT_OK;
	sock = log_escape(sock, ebuf, sizeof(ebuf), false);
	if (ret == -ENOTCONN)
		fprintf(stderr,
			"mgmt-engine: %s: cannot reach the engine at %s: %s; "
			"is it running with --control %s?\n",
			cmd, sock, why, sock);
	else
		fprintf(stderr,
			"mgmt-engine: %s: no usable answer from the engine at "
			"%s: %s; see the engine's log\n",
			cmd, sock, why);
	return CLIENT_EXIT_UNREACHABLE;
}

/* The body's "error", escaped to one line. */
static const char *error_of(const struct reply *r, char *buf, size_t len)
{
	const char *e = json_string_value(json_object_get(r->body, "error"));

	return log_escape(e ? e : "(the engine gave no reason)", buf, len,
			  false);
}

/* An answer the protocol does not give for this request. */
static int unexpected(const char *cmd, const struct reply *r)
{
	char buf[4096];

	fprintf(stderr,
		"mgmt-engine: %s: the engine answered HTTP %ld: %s; is the "
		"engine of another version than this client?\n",
		cmd, r->code, error_of(r, buf, sizeof(buf)));
	return CLIENT_EXIT_UNREACHABLE;
}

static double now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int print_status(const struct client_status_opts *o,
			const struct reply *r)
{
	int ret;

	if (o->json) {
		ret = json_dumpf(r->body, stdout,
				 JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					 RENDER_JSON_REAL);
		putchar('\n');
	} else if (o->cluster) {
		ret = client_cluster_render(r->body, now_unix(), stdout);
	} else {
		ret = client_status_render(r->body, now_unix(), stdout);
	}
	if (ret == -EPROTO) {
		fprintf(stderr,
			"mgmt-engine: status: the engine's answer is not a %s "
			"document; is the engine of another version than this "
			"client?\n",
			o->cluster ? "cluster" : "status");
		return CLIENT_EXIT_UNREACHABLE;
	}
	if (ret < 0 || fflush(stdout)) {
		fprintf(stderr, "mgmt-engine: status: cannot write it: %s\n",
			strerror(ret < -1 ? -ret : errno));
		return CLIENT_EXIT_UNREACHABLE;
	}
	if (o->cluster)
		return client_cluster_exit(r->body);
	return client_status_exit(r->body);
}

/* 404 to /v1/cluster: the engine runs without --etcd. */
static int cluster_missing(const struct reply *r)
{
	char buf[4096];

	fprintf(stderr, "mgmt-engine: status: --cluster: %s\n",
		error_of(r, buf, sizeof(buf)));
	return CLIENT_EXIT_UNREACHABLE;
}

int client_status(const struct client_status_opts *o)
{
	const struct client_arg args[] = {
		{ "kind", o->kind },
		{ "name", o->name },
		{ "failed", o->failed ? "1" : NULL },
	};
	struct reply r;
	int ret;

	ret = ask("status", o->socket, "GET",
		  o->cluster ? "/v1/cluster" : "/v1/status", args,
		  o->cluster ? 0 : 3, STATUS_WAIT, &r);
	if (ret)
		return ret;
	if (r.code == 200)
		ret = print_status(o, &r);
	else if (r.code == 404 && o->cluster)
		ret = cluster_missing(&r);
	else
		ret = unexpected("status", &r);
	json_decref(r.body);
	return ret;
}

static const char *result_of(const struct reply *r)
{
	const char *s = json_string_value(json_object_get(r->body, "result"));

	return s ? s : "";
}

int client_reload(const char *socket, double wait)
{
	char w[32], buf[4096];
	const struct client_arg args[] = { { "wait", w } };
	struct reply r;
	int ret;

	snprintf(w, sizeof(w), "%g", wait);
	ret = ask("reload", socket, "POST", "/v1/reload", args, 1, wait, &r);
	if (ret)
		return ret;
	ret = CLIENT_EXIT_FAILED;
	if (r.code == 200 && strcmp(result_of(&r), "taken") == 0) {
		puts("reload: taken");
		ret = CLIENT_EXIT_OK;
	} else if (r.code == 422) {
		fprintf(stderr,
			"mgmt-engine: reload: refused: %s; the running graph "
			"stays\n",
			error_of(&r, buf, sizeof(buf)));
	} else if (r.code == 504) {
		fprintf(stderr,
			"mgmt-engine: reload: timeout after %g s: %s; it may "
			"still be taken (see the engine's log)\n",
			wait, error_of(&r, buf, sizeof(buf)));
	} else {
		ret = unexpected("reload", &r);
	}
	json_decref(r.body);
	return ret;
}

/* What a 200 answer to a trigger says. */
static int triggered(const char *res, const struct reply *r)
{
	const char *result = result_of(r);
	char buf[4096];

	if (strcmp(result, "converged") == 0 ||
	    strcmp(result, "changed") == 0) {
		printf("trigger: %s: %s\n", res, result);
		return CLIENT_EXIT_OK;
	}
	if (strcmp(result, "failed") == 0) {
		fprintf(stderr, "mgmt-engine: trigger: %s: failed: %s\n", res,
			error_of(r, buf, sizeof(buf)));
		return CLIENT_EXIT_FAILED;
	}
	return unexpected("trigger", r);
}

int client_trigger(const char *socket, const char *kind, const char *name,
		   double wait)
{
	char w[32], raw[4096], ebuf[4096], buf[4096];
	const struct client_arg args[] = { { "kind", kind },
					   { "name", name },
					   { "wait", w } };
	const char *res;
	struct reply r;
	int ret;

	snprintf(w, sizeof(w), "%g", wait);
	ret = ask("trigger", socket, "POST", "/v1/trigger", args, 3, wait, &r);
	if (ret)
		return ret;
	/* kind[name], as the log writes a resource */
	snprintf(raw, sizeof(raw), "%s[%s]", kind, name);
	res = log_escape(raw, ebuf, sizeof(ebuf), false);
	ret = CLIENT_EXIT_FAILED;
	if (r.code == 200)
		ret = triggered(res, &r);
	else if (r.code == 404)
		fprintf(stderr,
			"mgmt-engine: trigger: %s; see mgmt-engine status\n",
			error_of(&r, buf, sizeof(buf)));
	else if (r.code == 504)
		fprintf(stderr,
			"mgmt-engine: trigger: %s: timeout after %g s: %s\n",
			res, wait, error_of(&r, buf, sizeof(buf)));
	else
		ret = unexpected("trigger", &r);
	json_decref(r.body);
	return ret;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server.c - the control socket (see server.h and doc/control.md).
 *
 * libmicrohttpd runs its own polling thread and a thread per connection, so
 * a request that waits (a reload, a trigger) holds only its own thread, and
 * the event loop never runs a line of it.  The sockets are ours: the unix
 * socket is made with the mode and group asked for before anyone can
 * connect, a stale socket file (no engine answers on it) is replaced, a
 * live one is refused; the TCP one is bound to the address given.
 *
 * Routes:
 *   GET  /v1/status[?kind=K&name=GLOB&failed=1]   the status document
 *   GET  /metrics                                  Prometheus text format
 *   POST /v1/reload[?wait=S]                       reload and wait
 *   POST /v1/trigger?kind=K&name=N[&wait=S]       run one resource now
 *   GET  /v1/cluster                               every host's state
 * The TCP address serves /metrics only.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "control/render.h"
#include "control/server.h"
#include "run/host.h"
#include "run/sched.h"
#include "util/log.h"

#define WAIT_DEFAULT 60. /* s, reload and trigger */
#define WAIT_MAX 3600.   /* s */
#define CONTROL_BACKLOG 64

struct control {
	struct MHD_Daemon *unix_d, *tcp_d;
	char *path; /* the socket file we made */
	json_t *(*cluster_hosts)(void *ctx);
	void *cluster_ctx;
};

/* ---- responses ---- */

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status,
				 char *body, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!body)
		return MHD_NO; /* out of memory: drop the connection */
	r = MHD_create_response_from_buffer(strlen(body), body,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* `doc` (stolen) as the JSON body. */
static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status,
				 json_t *doc)
{
	char *body = doc ? json_dumps(doc, JSON_COMPACT | RENDER_JSON_REAL) :
			   NULL;
	size_t len;

	json_decref(doc);
	if (body) { /* one line, ended */
		len = strlen(body);
		body = realloc(body, len + 2);
		if (body) {
			body[len] = '\n';
			body[len + 1] = '\0';
		}
	}
	return send_text(conn, status, body, "application/json");
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status,
				  const char *result, const char *msg)
{
	json_t *doc = json_pack("{s:s}", "error", msg);

	if (doc && result)
		json_object_set_new(doc, "result", json_string(result));
	return send_json(conn, status, doc);
}

static const char *arg(struct MHD_Connection *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

/* ?wait=S, or the default; false when it is not a number of seconds. */
static bool wait_arg(struct MHD_Connection *conn, double *wait)
{
	const char *w = arg(conn, "wait");
	char *end;

	*wait = WAIT_DEFAULT;
	if (!w)
		return true;
	*wait = strtod(w, &end);
	return *end == '\0' && end != w && isfinite(*wait) && *wait >= 0 &&
	       *wait <= WAIT_MAX;
}

/* ---- routes ---- */

static enum MHD_Result get_status(struct MHD_Connection *conn)
{
	const char *failed = arg(conn, "failed");
	struct status_filter f = {
		.kind = arg(conn, "kind"),
		.name = arg(conn, "name"),
		.failed = failed && strcmp(failed, "0") != 0,
	};
	struct stats_table *t = stats_acquire();
	json_t *doc = render_status(t, &stats, &f);

	stats_release(t);
	return send_json(conn, MHD_HTTP_OK, doc);
}

static enum MHD_Result get_metrics(struct MHD_Connection *conn)
{
	struct stats_table *t = stats_acquire();
	char *text = render_metrics(t, &stats, host_watches_in_use());

	stats_release(t);
	return send_text(conn, MHD_HTTP_OK, text,
			 "text/plain; version=0.0.4; charset=utf-8");
}

static enum MHD_Result post_reload(struct MHD_Connection *conn)
{
	char err[512];
	double wait;
	int rc;

	if (!wait_arg(conn, &wait))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, NULL,
				  "wait must be a number of seconds from 0 to "
				  "3600");
	rc = sched_call_reload(wait, err, sizeof(err));
	if (rc == 0)
		return send_json(conn, MHD_HTTP_OK,
				 json_pack("{s:s}", "result", "taken"));
	if (rc == 1)
		return send_error(conn, MHD_HTTP_UNPROCESSABLE_CONTENT,
				  "refused", err);
	if (rc == -ETIMEDOUT)
		return send_error(conn, MHD_HTTP_GATEWAY_TIMEOUT, "timeout",
				  "the reload did not end within the wait; "
				  "see the engine's log");
	return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, err);
}

static enum MHD_Result post_trigger(struct MHD_Connection *conn)
{
	const char *kind = arg(conn, "kind"), *name = arg(conn, "name");
	char err[512], msg[700];
	double wait;
	int rc;

	if (!kind || !name || !wait_arg(conn, &wait))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, NULL,
				  "trigger needs kind=KIND and name=NAME (and "
				  "wait=S, 0 to 3600, if any)");
	rc = sched_call_trigger(kind, name, wait, err, sizeof(err));
	if (rc == MGMT_CONVERGED || rc == MGMT_CHANGED)
		return send_json(conn, MHD_HTTP_OK,
				 json_pack("{s:s, s:n}", "result",
					   rc == MGMT_CHANGED ? "changed" :
								"converged",
					   "error"));
	if (rc == -EIO)
		return send_json(conn, MHD_HTTP_OK,
				 json_pack("{s:s, s:s}", "result", "failed",
					   "error", err));
	if (rc == -ENOENT)
		return send_error(conn, MHD_HTTP_NOT_FOUND, NULL, err);
	if (rc == -ETIMEDOUT) {
		snprintf(msg, sizeof(msg),
			 "%s[%s] did not run within %g s: it waits for what "
			 "comes before it (status shows it held or dirty)",
			 kind, name, wait);
		return send_error(conn, MHD_HTTP_GATEWAY_TIMEOUT, "timeout",
				  msg);
	}
	return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, err);
}

static enum MHD_Result get_cluster(struct control *c,
				   struct MHD_Connection *conn)
{
	json_t *hosts;

	if (!c->cluster_hosts)
		return send_error(conn, MHD_HTTP_NOT_FOUND, NULL,
				  "the engine runs without --etcd");
	hosts = c->cluster_hosts(c->cluster_ctx);
	return send_json(conn, MHD_HTTP_OK,
			 hosts ? json_pack("{s:o}", "hosts", hosts) : NULL);
}

/* One request.  The first call for it only says "go on" (libmicrohttpd
 * then reads what body there is, which no route uses); the last answers. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	static int started;
	struct control *c = cls;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;

	if (!*state) {
		*state = &started;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0 && get)
		return get_metrics(conn);
	if (c && strcmp(url, "/v1/status") == 0 && get)
		return get_status(conn);
	if (c && strcmp(url, "/v1/reload") == 0 && post)
		return post_reload(conn);
	if (c && strcmp(url, "/v1/trigger") == 0 && post)
		return post_trigger(conn);
	if (c && strcmp(url, "/v1/cluster") == 0 && get)
		return get_cluster(c, conn);
	return send_error(conn, MHD_HTTP_NOT_FOUND, NULL,
			  c ? "no such route: GET /v1/status, /v1/cluster, "
			      "/metrics; POST /v1/reload, /v1/trigger" :
			      "only GET /metrics is served here");
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	log_warn("control socket: %s", line);
}

static struct MHD_Daemon *serve(int fd, struct control *c)
{
	return MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD |
			MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, c,
		/* first, or libmicrohttpd warns through its own logger */
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)WAIT_MAX + 60, MHD_OPTION_END);
}

/* ---- sockets ---- */

/* Does an engine answer on the unix socket `path`? */
static bool answered(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

/* The socket's directory, when it is missing (one level, mode 0755: the
 * socket's own mode guards it). */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	log_error("--control %s: cannot make its directory %s: %s", path, dir,
		  strerror(errno));
	return -1;
}

static int unix_socket(const char *path, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	gid_t gid = (gid_t)-1;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("--control %s: the path is too long for a unix "
			  "socket (at most %zu bytes)",
			  path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if (group) {
		struct group *g = getgrnam(group);

		if (!g) {
			log_error("--control-group %s: no such group", group);
			return -EINVAL;
		}
		gid = g->gr_gid;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("--control %s: a file that is not a socket "
				  "is there; remove it or choose another path",
				  path);
			return -EEXIST;
		}
		if (answered(&sa)) {
			log_error("--control %s: another engine answers there; "
				  "stop it or choose another path",
				  path);
			return -EADDRINUSE;
		}
		unlink(path); /* left by an engine that did not stop cleanly */
	}
	if (make_parent(path) < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Born with its final mode: nobody else may connect in between. */
	old = umask(group ? 0117 : 0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || (group && chown(path, (uid_t)-1, gid) < 0) ||
	    listen(fd, CONTROL_BACKLOG) < 0) {
		r = -errno;
		log_error("--control %s: %s", path, strerror(-r));
		close(fd);
		unlink(path);
		return r;
	}
	return fd;
}

/* The address really bound (port 0 asks the kernel for one). */
static void say_where(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
			sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		log_info("metrics: http://%s%s%s:%s/metrics",
			 ss.ss_family == AF_INET6 ? "[" : "", host,
			 ss.ss_family == AF_INET6 ? "]" : "", port);
}

static int tcp_socket(const char *listen_at)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[256];
	const char *colon = strrchr(listen_at, ':');
	size_t hl;
	int fd = -1, r, one = 1;

	if (!colon || colon == listen_at ||
	    (hl = (size_t)(colon - listen_at)) >= sizeof(host)) {
		log_error("--metrics-listen %s: give HOST:PORT, e.g. "
			  "127.0.0.1:9233",
			  listen_at);
		return -EINVAL;
	}
	memcpy(host, listen_at, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') { /* [::1] */
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	r = getaddrinfo(host, colon + 1, &hints, &ai);
	if (r != 0) {
		log_error("--metrics-listen %s: %s", listen_at,
			  gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, CONTROL_BACKLOG) < 0) {
		r = -errno;
		log_error("--metrics-listen %s: %s", listen_at, strerror(-r));
		if (fd >= 0)
			close(fd);
		fd = r;
	}
	freeaddrinfo(ai);
	if (fd >= 0)
		say_where(fd);
	return fd;
}

int control_start(const struct control_opts *o, struct control **out)
{
	struct control *c = calloc(1, sizeof(*c));
	int ufd = -1, tfd = -1;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->cluster_hosts = o->cluster_hosts;
	c->cluster_ctx = o->cluster_ctx;
	if (o->path) {
		ufd = unix_socket(o->path, o->group);
		if (ufd < 0)
			goto fail;
		c->path = strdup(o->path);
		c->unix_d = serve(ufd, c);
		if (!c->path || !c->unix_d) {
			log_error("--control %s: cannot start serving",
				  o->path);
			goto fail;
		}
		ufd = -1; /* the daemon's */
		log_info("control socket: %s", o->path);
	}
	if (o->metrics_listen) {
		tfd = tcp_socket(o->metrics_listen);
		if (tfd < 0)
			goto fail;
		c->tcp_d = serve(tfd, NULL);
		if (!c->tcp_d) {
			log_error("--metrics-listen %s: cannot start serving",
				  o->metrics_listen);
			goto fail;
		}
		tfd = -1;
	}
	*out = c;
	return 0;
fail:
	if (ufd >= 0)
		close(ufd);
	if (tfd >= 0)
		close(tfd);
	control_stop(c);
	return -EINVAL;
}

void control_stop(struct control *c)
{
	if (!c)
		return;
	if (c->unix_d) {
		MHD_stop_daemon(c->unix_d);
	}
	if (c->tcp_d)
		MHD_stop_daemon(c->tcp_d);
	if (c->path)
		unlink(c->path);
	free(c->path);
	free(c);
}

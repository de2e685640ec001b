/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etcd.c - the etcd gateway client on libev and curl multi (see etcd.h).
 *
 * libcurl tells us which sockets to watch and when its timeout is due; the
 * loop tells libcurl when a socket is ready or the timer fired.  Response
 * bytes are only buffered inside libcurl's callbacks; complete lines and
 * finished requests are handed to the caller afterwards, from the loop, so
 * callbacks may add and remove requests (which libcurl forbids from inside
 * its own callbacks).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cluster/etcd-int.h"
#include "util/curl.h"
#include "util/log.h"
#include "util/grow.h"

static void link_req(struct etcd *e, struct etcd_req *r)
{
	r->next = e->reqs;
	r->prev = NULL;
	if (e->reqs)
		e->reqs->prev = r;
	e->reqs = r;
	e->npending++;
}

static void req_free(struct etcd_req *r)
{
	struct etcd *e = r->e;

	if (r->h) {
		curl_fn.multi_remove_handle(e->multi, r->h);
		curl_fn.easy_cleanup(r->h);
	}
	if (r->hdrs)
		curl_fn.slist_free_all(r->hdrs);
	if (e->auth_req == r)
		e->auth_req = NULL;
	if (r->prev)
		r->prev->next = r->next;
	else
		e->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	e->npending--;
	free(r->path);
	free(r->body);
	free(r->buf);
	free(r);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct etcd_req *r = ud;
	size_t n = size * nmemb;

	if (r->dead)
		return 0;
	if (n > SIZE_MAX - 1 - r->len ||
	    GROW(r->buf, r->cap, r->len + n + 1, 4096) < 0)
		return 0;
	memcpy(r->buf + r->len, ptr, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

int etcd_req_send(struct etcd_req *r)
{
	struct etcd *e = r->e;
	char *url;
	CURL *h;

	if (etcd_auth_wait(r))
		return 0;
	r->ep = e->cur;
	r->len = 0;
	r->err[0] = '\0';
	if (asprintf(&url, "%s%s", e->eps[r->ep], r->path) < 0)
		return -ENOMEM;
	h = curl_fn.easy_init();
	if (!h) {
		free(url);
		return -ENOMEM;
	}
	curl_fn.easy_setopt(h, CURLOPT_URL, url);
	curl_fn.easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
	curl_fn.easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	if (r->hdrs)
		curl_fn.slist_free_all(r->hdrs);
	r->hdrs = etcd_auth_setup(r, h);
	if (!r->hdrs) {
		curl_fn.easy_cleanup(h);
		free(url);
		return -ENOMEM;
	}
	curl_fn.easy_setopt(h, CURLOPT_HTTPHEADER, r->hdrs);
	curl_fn.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_fn.easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_fn.easy_setopt(h, CURLOPT_PRIVATE, r);
	curl_fn.easy_setopt(h, CURLOPT_ERRORBUFFER, r->err);
	curl_fn.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_fn.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	/* A member that vanished without a reset must not hold a watch
	 * forever. */
	curl_fn.easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_fn.easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_fn.easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 1L);
	if (r->timeout > 0)
		curl_fn.easy_setopt(h, CURLOPT_TIMEOUT_MS,
				    (long)(r->timeout * 1000));
	free(url); /* libcurl copies string options */
	if (curl_fn.multi_add_handle(e->multi, h) != CURLM_OK) {
		curl_fn.easy_cleanup(h);
		return -ENOMEM;
	}
	r->h = h;
	r->tries++;
	return 0;
}

/* Hand out the complete lines of a stream (all of them when `all`). */
static void deliver_lines(struct etcd_req *r, bool all)
{
	size_t off = 0;

	r->busy++;
	while (!r->dead && off < r->len) {
		char *nl = memchr(r->buf + off, '\n', r->len - off);
		size_t end = nl ? (size_t)(nl - r->buf) : r->len;
		json_t *msg;

		if (!nl && !all)
			break;
		r->buf[end] = '\0';
		if (end > off) {
			msg = json_loads(r->buf + off, JSON_DISABLE_EOF_CHECK,
					 NULL);
			if (!r->streamed &&
			    (r->refused = etcd_stream_refused(r, msg))) {
				json_decref(msg);
				break;
			}
			r->streamed = true;
			r->line(r, msg, r->data);
			json_decref(msg);
		}
		off = end + 1;
	}
	r->busy--;
	if (off > r->len)
		off = r->len;
	if (!r->dead) {
		memmove(r->buf, r->buf + off, r->len - off);
		r->len -= off;
	}
}

/* After libcurl ran: lines, then finished requests. */
static void finish(struct etcd_req *r, CURLcode rc, long status);

/* A stream etcd refused at its creation (the answer stays open: end it
 * here): sent again with a new token, or ended with the refusal (then
 * marked dead, for the caller to free). */
static void refused(struct etcd_req *r)
{
	int err = r->refused;

	if (r->h) {
		curl_fn.multi_remove_handle(r->e->multi, r->h);
		curl_fn.easy_cleanup(r->h);
		r->h = NULL;
	}
	r->refused = 0;
	r->len = 0;
	if (err == -EAGAIN && etcd_auth_retry(r, r->e->why))
		return;
	r->busy++;
	r->done(r, -EACCES, r->e->why, NULL, r->data);
	r->busy--;
	r->dead = true;
}

static void after(struct etcd *e)
{
	struct etcd_req *r, *next;
	CURLMsg *m;
	int left;

	for (r = e->reqs; r; r = next) {
		/* a callback may free any request but the one it runs for */
		r->busy++;
		if (r->line && !r->dead && r->len &&
		    memchr(r->buf, '\n', r->len))
			deliver_lines(r, false);
		if (r->refused && !r->dead)
			refused(r);
		r->busy--;
		next = r->next;
		if (r->dead && !r->busy)
			req_free(r);
	}
	while ((m = curl_fn.multi_info_read(e->multi, &left))) {
		long status = 0;
		void *p = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_fn.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
		curl_fn.easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE,
				     &status);
		r = p;
		finish(r, m->data.result, status);
	}
}

/* e->why for a failed try; true when the endpoint is away (rather than
 * an answer). */
static bool fail_why(struct etcd_req *r, CURLcode rc, long status, int *err)
{
	if (rc != CURLE_OK) {
		*err = etcd_why_curl(r, rc) ? -EACCES : -EHOSTUNREACH;
		return true;
	}
	if (status >= 500 || status == 0) {
		snprintf(r->e->why, sizeof(r->e->why), "%s: HTTP %ld%s%.200s",
			 r->e->eps[r->ep], status, r->len ? ": " : "",
			 r->len ? r->buf : "");
		*err = -EHOSTUNREACH;
		return true;
	}
	*err = etcd_why_answer(r, status);
	return false;
}

void etcd_req_end(struct etcd_req *r, int err, const char *why)
{
	r->busy++;
	r->done(r, err, err ? why : NULL, NULL, r->data);
	r->busy--;
	req_free(r);
}

/* A request to endpoint `ep` failed as away (no answer in time, or a
 * server error) and the client moved on: end the streams still open on it,
 * as if it had closed them, for their owners to open again on the current
 * endpoint from the revision they saw.  A member that stops answering but
 * keeps its connections (a stopped process, a wedged disk) would otherwise
 * hold a watch that never hears another change: TCP keepalives cannot tell,
 * since its kernel still answers them. */
static void leave_streams(struct etcd *e, size_t ep)
{
	struct etcd_req *r, *next;

	for (r = e->reqs; r; r = next) {
		if (!r->line || r->ep != ep || !r->h || r->dead || r->busy) {
			next = r->next;
			continue;
		}
		log_debug("etcd: %s is away: its %s stream ends", e->eps[ep],
			  r->path);
		curl_fn.multi_remove_handle(e->multi, r->h);
		curl_fn.easy_cleanup(r->h);
		r->h = NULL;
		/* a callback may free any request but the one it runs for */
		r->busy++;
		r->done(r, 0, NULL, NULL, r->data);
		r->busy--;
		r->dead = true;
		next = r->next;
		req_free(r);
	}
}

static void finish(struct etcd_req *r, CURLcode rc, long status)
{
	struct etcd *e = r->e;
	bool ep_failed = rc != CURLE_OK || status >= 500 || status == 0;
	json_t *body = NULL;
	int err = 0;

	curl_fn.multi_remove_handle(e->multi, r->h);
	curl_fn.easy_cleanup(r->h);
	r->h = NULL;
	if (r->dead) {
		req_free(r);
		return;
	}
	if (r->line && rc == CURLE_OK && status == 200) {
		deliver_lines(r, true);
		if (r->dead) {
			req_free(r);
			return;
		}
		if (r->refused) {
			refused(r);
			if (r->dead)
				req_free(r);
			return;
		}
	}
	if (ep_failed && !r->streamed && r->tries < e->neps) {
		fail_why(r, rc, status, &err);
		log_debug("etcd: %s; trying the next endpoint", e->why);
		if (r->ep == e->cur) {
			e->cur = (e->cur + 1) % e->neps;
			r->busy++;
			leave_streams(e, r->ep);
			r->busy--;
			if (r->dead) { /* cancelled by a stream's owner */
				req_free(r);
				return;
			}
		}
		if (etcd_req_send(r) == 0)
			return;
	}
	if (ep_failed || status != 200) {
		fail_why(r, rc, status, &err);
		if (status == 401 && etcd_auth_retry(r, e->why))
			return;
	} else if (!r->line) {
		body = json_loadb(r->buf ? r->buf : "", r->len, 0, NULL);
		if (!json_is_object(body)) {
			snprintf(e->why, sizeof(e->why),
				 "%s: the answer is not a JSON object",
				 e->eps[r->ep]);
			err = -EPROTO;
		}
	}
	r->busy++;
	r->done(r, err, err ? e->why : NULL, err ? NULL : body, r->data);
	r->busy--;
	json_decref(body);
	req_free(r);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sock *s = (struct sock *)w;
	struct etcd *e = s->e;
	int flags = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
		    (revents & EV_WRITE ? CURL_CSELECT_OUT : 0),
	    running;

	curl_fn.multi_socket_action(e->multi, w->fd, flags, &running);
	after(e);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct etcd *e = w->data;
	int running;

	curl_fn.multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	after(e);
}

static int sock_fn(CURL *h, curl_socket_t fd, int what, void *ud, void *sp)
{
	struct etcd *e = ud;
	struct sock *s = sp;
	int ev = (what & CURL_POLL_IN ? EV_READ : 0) |
		 (what & CURL_POLL_OUT ? EV_WRITE : 0);

	if (what == CURL_POLL_REMOVE) {
		if (!s)
			return 0;
		ev_io_stop(e->loop, &s->io);
		if (s->prev)
			s->prev->next = s->next;
		else
			e->socks = s->next;
		if (s->next)
			s->next->prev = s->prev;
		free(s);
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->e = e;
		s->next = e->socks;
		if (e->socks)
			e->socks->prev = s;
		e->socks = s;
		ev_io_init(&s->io, on_io, fd, ev);
		curl_fn.multi_assign(e->multi, fd, s);
	} else {
		ev_io_stop(e->loop, &s->io);
		ev_io_set(&s->io, fd, ev);
	}
	ev_io_start(e->loop, &s->io);
	return 0;
}

static int timer_fn(CURLM *m, long ms, void *ud)
{
	struct etcd *e = ud;

	ev_timer_stop(e->loop, &e->timer);
	if (ms >= 0) {
		ev_timer_set(&e->timer, (double)ms / 1000., 0.);
		ev_timer_start(e->loop, &e->timer);
	}
	return 0;
}

static int parse_endpoints(struct etcd *e, const char *list, const char **why)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");
		char **eps, *ep;

		if (n == 0 || (strncmp(p, "http://", 7) != 0 &&
			       strncmp(p, "https://", 8) != 0)) {
			*why = "each endpoint must be an http:// or https:// "
			       "URL";
			return -EINVAL;
		}
		eps = realloc(e->eps, (e->neps + 1) * sizeof(*eps));
		if (!eps)
			return -ENOMEM;
		e->eps = eps;
		/* "http://host:port/" and "http://host:port" alike */
		while (n > 0 && p[n - 1] == '/')
			n--;
		ep = strndup(p, n);
		if (!ep)
			return -ENOMEM;
		e->eps[e->neps++] = ep;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	if (e->neps == 0) {
		*why = "no endpoint given";
		return -EINVAL;
	}
	return 0;
}

struct etcd *etcd_new(struct ev_loop *loop, const char *endpoints,
		      const char **why)
{
	struct etcd *e = calloc(1, sizeof(*e));

	*why = "out of memory";
	if (!e)
		return NULL;
	e->loop = loop;
	if (parse_endpoints(e, endpoints, why) < 0)
		goto fail;
	if (curl_fn_open(why) < 0)
		goto fail;
	e->curl = true;
	e->multi = curl_fn.multi_init();
	ev_init(&e->renew, NULL);
	if (!e->multi) {
		etcd_free(e);
		return NULL;
	}
	curl_fn.multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, sock_fn);
	curl_fn.multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_fn.multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	curl_fn.multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	ev_init(&e->timer, on_timer);
	e->timer.data = e;
	return e;
fail:
	for (size_t i = 0; i < e->neps; i++)
		free(e->eps[i]);
	free(e->eps);
	free(e);
	return NULL;
}

void etcd_free(struct etcd *e)
{
	if (!e)
		return;
	while (e->reqs)
		req_free(e->reqs);
	ev_timer_stop(e->loop, &e->timer);
	if (e->multi)
		curl_fn.multi_cleanup(e->multi);
	while (e->socks) {
		struct sock *s = e->socks;

		ev_io_stop(e->loop, &s->io);
		e->socks = s->next;
		free(s);
	}
	etcd_auth_free(e);
	if (e->curl)
		curl_fn_close();
	for (size_t i = 0; i < e->neps; i++)
		free(e->eps[i]);
	free(e->eps);
	free(e);
}

struct etcd_req *etcd_req_new(struct etcd *e, const char *path, json_t *body,
			      double timeout, etcd_done_cb done,
			      etcd_line_cb line, void *data)
{
	struct etcd_req *r = calloc(1, sizeof(*r));

	if (r) {
		r->e = e;
		r->path = strdup(path);
		r->body = json_dumps(body, JSON_COMPACT);
		r->timeout = timeout;
		r->done = done;
		r->line = line;
		r->data = data;
	}
	json_decref(body);
	if (!r)
		return NULL;
	link_req(e, r);
	if (!r->path || !r->body) {
		req_free(r);
		return NULL;
	}
	return r;
}

struct etcd_req *etcd_post(struct etcd *e, const char *path, json_t *body,
			   double timeout, etcd_done_cb done, etcd_line_cb line,
			   void *data)
{
	struct etcd_req *r =
		etcd_req_new(e, path, body, timeout, done, line, data);

	if (r && etcd_req_send(r) < 0) {
		req_free(r);
		return NULL;
	}
	return r;
}

void etcd_cancel(struct etcd_req *r)
{
	if (r->h) {
		curl_fn.multi_remove_handle(r->e->multi, r->h);
		curl_fn.easy_cleanup(r->h);
		r->h = NULL;
	}
	r->dead = true;
	if (!r->busy)
		req_free(r);
}

const char *etcd_endpoint(const struct etcd *e)
{
	return e->eps[e->cur];
}

size_t etcd_pending(const struct etcd *e)
{
	return e->npending;
}

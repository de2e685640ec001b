/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pk.c - a PackageKit client over sd-bus for one thread: one transaction at
 * a time on a private connection (PackageKit accepts calls on a transaction
 * only from the connection that created it, and each transaction runs one
 * method).  It follows the transaction's signals until Finished: Package,
 * Files, ErrorCode, ItemProgress and the Status/Percentage properties, the
 * latter logged as progress at most twice a second.  The engine's stop_fd
 * (through bus_run_until) cancels a running transaction.
 *
 * Facts this relies on are in doc/dbus.md, "PackageKit": a missing
 * package is only the absence of a Package signal; an id shows up in many
 * Package signals during an install; Cancel may send a misleading
 * ErrorCode, so the exit code decides.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/bus.h"
#include "pkg.h"

#define PK_NAME "org.freedesktop.PackageKit"
#define PK_PATH "/org/freedesktop/PackageKit"
#define PK_IFACE "org.freedesktop.PackageKit"
#define PK_TXN_IFACE "org.freedesktop.PackageKit.Transaction"

/* Seconds between two progress lines of one transaction. */
#define PROGRESS_INTERVAL 0.5

struct pk_conn {
	sd_bus *bus;
	sd_bus_slot *signals, *owner;
	const struct pk_log *log;
	/* the running transaction */
	struct pk_result *cur;
	const char *what; /* the method, for messages */
	bool done;
	bool daemon_gone;
	uint32_t status, percent;
	char item[128];  /* name of the package ItemProgress last named */
	char shown[192]; /* the progress line last logged */
	bool progress_new;
	double last_progress;
	sd_bus_error method_err;
};

static const char *const op_methods[] = {
	[PK_RESOLVE] = "Resolve",       [PK_INSTALL] = "InstallPackages",
	[PK_UPDATE] = "UpdatePackages", [PK_REMOVE] = "RemovePackages",
	[PK_GETFILES] = "GetFiles",
};

void pk_logf(const struct pk_log *l, int level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->why && level == l->error_level) {
		if (!l->why[0])
			snprintf(l->why, l->why_len, "%s", msg);
		return;
	}
	if (l->label)
		mgmt_host->log(NULL, level, "%s: %s", l->label, msg);
	else
		mgmt_host->log(l->res, level, "%s", msg);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_log(struct pk_conn *c, bool force)
{
	char line[sizeof(c->shown)];
	double now;

	if (!c->log->progress || !c->progress_new)
		return;
	now = mono_now();
	if (!force && now - c->last_progress < PROGRESS_INTERVAL)
		return;
	c->progress_new = false;
	if (c->percent <= 100)
		snprintf(line, sizeof(line), "%u%% (%s%s%s)", c->percent,
			 pk_status_name(c->status), c->item[0] ? " " : "",
			 c->item);
	else
		snprintf(line, sizeof(line), "%s%s%s",
			 pk_status_name(c->status), c->item[0] ? " " : "",
			 c->item);
	/* the percentage of some steps flickers: say only what is new */
	if (strcmp(line, c->shown) == 0)
		return;
	memcpy(c->shown, line, sizeof(line));
	c->last_progress = now;
	pk_logf(c->log, MGMT_LOG_INFO, "%s: %s", c->what, line);
}

static int add_package(struct pk_result *r, uint32_t info, const char *id)
{
	for (size_t i = 0; i < r->npkgs; i++)
		if (r->pkgs[i].info == info && strcmp(r->pkgs[i].id, id) == 0)
			return 0;
	if (r->npkgs == r->cap_pkgs) {
		size_t cap = r->cap_pkgs ? 2 * r->cap_pkgs : 8;
		struct pk_package *v = realloc(r->pkgs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->pkgs = v;
		r->cap_pkgs = cap;
	}
	r->pkgs[r->npkgs].id = strdup(id);
	if (!r->pkgs[r->npkgs].id)
		return -ENOMEM;
	r->pkgs[r->npkgs++].info = info;
	return 0;
}

static int on_files(struct pk_result *r, sd_bus_message *m)
{
	const char *id;
	char **paths = NULL;
	size_t n = 0;
	int k;

	k = sd_bus_message_read(m, "s", &id);
	if (k < 0)
		return k;
	k = sd_bus_message_read_strv(m, &paths);
	if (k < 0)
		return k;
	if (r->nfiles == r->cap_files) {
		size_t cap = r->cap_files ? 2 * r->cap_files : 4;
		struct pk_files *v = realloc(r->files, cap * sizeof(*v));

		if (!v)
			goto nomem;
		r->files = v;
		r->cap_files = cap;
	}
	r->files[r->nfiles].id = strdup(id);
	if (!r->files[r->nfiles].id)
		goto nomem;
	while (paths && paths[n])
		n++;
	r->files[r->nfiles].paths = paths;
	r->files[r->nfiles++].n = n;
	return 0;
nomem:
	for (size_t i = 0; paths && paths[i]; i++)
		free(paths[i]);
	free(paths);
	return -ENOMEM;
}

/* PropertiesChanged of the transaction: Status and Percentage. */
static void on_props(struct pk_conn *c, sd_bus_message *m)
{
	const char *iface, *key;

	if (sd_bus_message_read(m, "s", &iface) < 0 ||
	    strcmp(iface, PK_TXN_IFACE) != 0 ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		uint32_t v;

		if (sd_bus_message_read(m, "s", &key) < 0)
			return;
		if ((strcmp(key, "Status") == 0 ||
		     strcmp(key, "Percentage") == 0) &&
		    sd_bus_message_read(m, "v", "u", &v) >= 0) {
			uint32_t *to = key[0] == 'S' ? &c->status : &c->percent;

			if (*to != v) {
				*to = v;
				c->progress_new = true;
			}
		} else if (sd_bus_message_skip(m, "v") < 0) {
			return;
		}
		if (sd_bus_message_exit_container(m) < 0)
			return;
	}
	progress_log(c, false);
}

static int on_signal(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	struct pk_conn *c = ud;
	struct pk_result *r = c->cur;
	const char *member = sd_bus_message_get_member(m);
	const char *path = sd_bus_message_get_path(m);
	int k = 0;

	(void)e;
	if (!r || !r->path || !path || !member || strcmp(path, r->path) != 0)
		return 0;
	if (strcmp(member, "Package") == 0) {
		uint32_t info;
		const char *id, *summary;

		if (sd_bus_message_read(m, "uss", &info, &id, &summary) >= 0)
			k = add_package(r, info & 0xFFFF, id);
	} else if (strcmp(member, "ItemProgress") == 0) {
		const char *id;
		uint32_t status, pct;

		if (sd_bus_message_read(m, "suu", &id, &status, &pct) >= 0) {
			size_t n = strcspn(id, ";");

			if (n >= sizeof(c->item))
				n = sizeof(c->item) - 1;
			if (strncmp(c->item, id, n) != 0 || c->item[n]) {
				memcpy(c->item, id, n);
				c->item[n] = '\0';
				c->progress_new = true;
				progress_log(c, false);
			}
		}
	} else if (strcmp(member, "Files") == 0) {
		k = on_files(r, m);
	} else if (strcmp(member, "ErrorCode") == 0) {
		uint32_t code;
		const char *text;

		if (!r->error &&
		    sd_bus_message_read(m, "us", &code, &text) >= 0) {
			r->error = true;
			r->error_code = code;
			r->error_text = strdup(text);
		}
	} else if (strcmp(member, "Finished") == 0) {
		if (sd_bus_message_read(m, "uu", &r->exit, &r->runtime_ms) < 0)
			r->exit = 0;
		c->done = true;
	} else if (strcmp(member, "PropertiesChanged") == 0) {
		on_props(c, m);
	}
	if (k == -ENOMEM) {
		/* what it would have recorded is lost: fail the run */
		r->exit = 0;
		c->done = true;
	}
	return 0;
}

/* PackageKit left the bus (crashed, or quit): no Finished will come. */
static int on_owner(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	struct pk_conn *c = ud;
	const char *name, *old, *new;

	(void)e;
	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 ||
	    strcmp(name, PK_NAME) != 0 || *new)
		return 0;
	if (c->cur) {
		c->daemon_gone = true;
		c->done = true;
	}
	return 0;
}

int pk_open(struct pk_conn **out, const struct pk_log *log)
{
	struct pk_conn *c = calloc(1, sizeof(*c));
	int r;

	*out = NULL;
	if (!c) {
		pk_logf(log, log->error_level, "out of memory");
		return -ENOMEM;
	}
	c->log = log;
	r = bus_open(false, &c->bus);
	if (r < 0) {
		pk_logf(log, log->error_level,
			"cannot connect to the system bus (PackageKit is "
			"reached through it): %s",
			strerror(-r));
		free(c);
		return r;
	}
	/* Signals are broadcast; add the match before any method runs. */
	r = sd_bus_add_match(c->bus, &c->signals,
			     "type='signal',sender='" PK_NAME "'", on_signal,
			     c);
	if (r >= 0)
		r = sd_bus_match_signal(c->bus, &c->owner,
					"org.freedesktop.DBus",
					"/org/freedesktop/DBus",
					"org.freedesktop.DBus",
					"NameOwnerChanged", on_owner, c);
	if (r < 0) {
		pk_logf(log, log->error_level,
			"cannot follow PackageKit's signals on the system "
			"bus: %s",
			strerror(-r));
		pk_close(c);
		return r;
	}
	*out = c;
	return 0;
}

void pk_close(struct pk_conn *c)
{
	if (!c)
		return;
	sd_bus_slot_unref(c->signals);
	sd_bus_slot_unref(c->owner);
	sd_bus_flush_close_unref(c->bus);
	free(c);
}

void pk_result_free(struct pk_result *r)
{
	for (size_t i = 0; i < r->npkgs; i++)
		free(r->pkgs[i].id);
	free(r->pkgs);
	for (size_t i = 0; i < r->nfiles; i++) {
		for (size_t j = 0; j < r->files[i].n; j++)
			free(r->files[i].paths[j]);
		free(r->files[i].paths);
		free(r->files[i].id);
	}
	free(r->files);
	free(r->error_text);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

/* A method call whose reply is awaited with bus_run_until. */
struct call {
	bool done;
	sd_bus_error err;
	sd_bus_message *reply;
};

static int on_reply(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	struct call *w = ud;

	(void)e;
	w->done = true;
	if (sd_bus_message_is_method_error(m, NULL))
		sd_bus_error_copy(&w->err, sd_bus_message_get_error(m));
	else
		w->reply = sd_bus_message_ref(m);
	return 0;
}

/* Send `m` and wait for its reply: 0, or <0 with w->err set when the
 * daemon answered with an error. */
static int call_wait(struct pk_conn *c, sd_bus_message *m, double timeout,
		     struct call *w)
{
	sd_bus_slot *slot = NULL;
	int r;

	r = sd_bus_call_async(c->bus, &slot, m, on_reply, w,
			      (uint64_t)(timeout * 1e6));
	if (r < 0)
		return r;
	r = bus_run_until(c->bus, &w->done, timeout + 1);
	/* unref before returning: the callback points into our caller */
	sd_bus_slot_unref(slot);
	if (r < 0)
		return r;
	if (sd_bus_error_is_set(&w->err))
		return -sd_bus_error_get_errno(&w->err) ?: -EIO;
	return 0;
}

static void call_free(struct call *w)
{
	sd_bus_error_free(&w->err);
	sd_bus_message_unref(w->reply);
}

/* The transaction must go: PackageKit stops it and its Finished says
 * cancelled.  Bounded, and without stop_fd, which has already fired. */
static void cancel(struct pk_conn *c, const char *path)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;

	if (sd_bus_message_new_method_call(c->bus, &m, PK_NAME, path,
					   PK_TXN_IFACE, "Cancel") >= 0)
		sd_bus_call(c->bus, m, 2 * 1000 * 1000, &err, NULL);
	sd_bus_message_unref(m);
	sd_bus_error_free(&err);
}

static int create(struct pk_conn *c, struct pk_result *res)
{
	sd_bus_message *m = NULL;
	struct call w = { .err = SD_BUS_ERROR_NULL };
	const char *path;
	int r;

	r = sd_bus_message_new_method_call(c->bus, &m, PK_NAME, PK_PATH,
					   PK_IFACE, "CreateTransaction");
	if (r >= 0)
		r = call_wait(c, m, 30, &w);
	sd_bus_message_unref(m);
	if (r == -ECANCELED) {
		call_free(&w);
		return r;
	}
	if (r >= 0 && (r = sd_bus_message_read(w.reply, "o", &path)) >= 0) {
		res->path = strdup(path);
		r = res->path ? 0 : -ENOMEM;
	}
	if (r < 0)
		pk_logf(c->log, c->log->error_level,
			"PackageKit is not reachable: CreateTransaction "
			"failed: %s%s%s",
			sd_bus_error_is_set(&w.err) ? w.err.name : "",
			sd_bus_error_is_set(&w.err) ? ": " : "",
			bus_errstr(&w.err, r));
	call_free(&w);
	return r;
}

static int method(struct pk_conn *c, enum pk_op op, uint64_t arg,
		  char *const *strv, sd_bus_message **out)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(c->bus, &m, PK_NAME, c->cur->path,
					   PK_TXN_IFACE, op_methods[op]);
	if (r >= 0 && op != PK_GETFILES)
		r = sd_bus_message_append(m, "t", arg);
	if (r >= 0)
		r = sd_bus_message_append_strv(m, (char **)strv);
	if (r >= 0 && op == PK_REMOVE)
		r = sd_bus_message_append(m, "bb", 0, 0);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	*out = m;
	return 0;
}

/* After the transaction ended or failed: one line saying why, or none. */
static int verdict(struct pk_conn *c, int r, const struct call *w)
{
	struct pk_result *res = c->cur;
	const char *what = c->what;

	if (r == -ECANCELED) {
		pk_logf(c->log, c->log->error_level,
			"%s cancelled: the engine is stopping", what);
		return r;
	}
	if (r == -ETIMEDOUT) {
		pk_logf(c->log, c->log->error_level,
			"%s: PackageKit did not finish in time", what);
		return r;
	}
	if (w && sd_bus_error_is_set(&w->err)) {
		pk_logf(c->log, c->log->error_level,
			"%s refused by PackageKit: %s: %s", what, w->err.name,
			w->err.message ? w->err.message : "");
		return r < 0 ? r : -EIO;
	}
	if (r < 0) {
		pk_logf(c->log, c->log->error_level,
			"%s: lost the system bus: %s", what, strerror(-r));
		return r;
	}
	if (c->daemon_gone) {
		pk_logf(c->log, c->log->error_level,
			"%s: PackageKit left the bus during the transaction",
			what);
		return -EIO;
	}
	if (res->exit == PK_EXIT_SUCCESS)
		return 0;
	if (res->error)
		pk_logf(c->log, c->log->error_level,
			"%s failed: PackageKit error %s (%u): %s", what,
			pk_error_name(res->error_code), res->error_code,
			res->error_text ? res->error_text : "");
	else if (res->exit == 0)
		pk_logf(c->log, c->log->error_level, "%s: out of memory", what);
	else
		pk_logf(c->log, c->log->error_level,
			"%s failed: PackageKit exit %s (%u)", what,
			pk_exit_name(res->exit), res->exit);
	return res->exit == PK_EXIT_CANCELLED ? -ECANCELED : -EIO;
}

/* The reply to the transaction's method only acknowledges it; an error
 * reply (a bad id, a refused call) means no Finished will come. */
static int on_method_reply(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	struct pk_conn *c = ud;

	(void)e;
	if (sd_bus_message_is_method_error(m, NULL)) {
		sd_bus_error_copy(&c->method_err, sd_bus_message_get_error(m));
		c->done = true;
	}
	return 0;
}

int pk_run(struct pk_conn *c, enum pk_op op, uint64_t arg, char *const *strv,
	   double timeout, struct pk_result *res)
{
	sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL;
	struct call w = { .err = SD_BUS_ERROR_NULL };
	int r;

	memset(res, 0, sizeof(*res));
	c->cur = res;
	c->what = op_methods[op];
	c->done = c->daemon_gone = false;
	c->status = 0;
	c->percent = 101;
	c->item[0] = '\0';
	c->shown[0] = '\0';
	c->progress_new = false;
	c->last_progress = 0;
	c->method_err = SD_BUS_ERROR_NULL;
	r = create(c, res);
	if (r < 0) {
		if (r == -ECANCELED)
			pk_logf(c->log, c->log->error_level,
				"%s cancelled: the engine is stopping",
				c->what);
		c->cur = NULL;
		return r;
	}
	mgmt_debug(c->log->res, "%s %s", c->what, res->path);
	r = method(c, op, arg, strv, &m);
	if (r >= 0)
		r = sd_bus_call_async(c->bus, &slot, m, on_method_reply, c, 0);
	sd_bus_message_unref(m);
	if (r >= 0)
		r = bus_run_until(c->bus, &c->done, timeout);
	if (r == -ECANCELED)
		cancel(c, res->path);
	sd_bus_slot_unref(slot);
	if (c->done)
		progress_log(c, true);
	if (sd_bus_error_is_set(&c->method_err))
		sd_bus_error_move(&w.err, &c->method_err);
	r = verdict(c, r, sd_bus_error_is_set(&w.err) ? &w : NULL);
	call_free(&w);
	c->cur = NULL;
	return r;
}

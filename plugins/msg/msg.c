/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * msg.c - the msg resource: a message, sent once, and again on each refresh,
 * with mgmt's parameters: `body` at `priority` (syslog's names as mgmt
 * spells them, Emerg..Debug), to the journal as an entry of its own with
 * extra `fields` when `journal` is true, else to the engine's log at the
 * matching level, and also to syslog(3) when `syslog` is true.
 *
 * The state is whether this resource has sent its message, kept in memory
 * for the engine's life, as mgmt does: a run sends it once; a refresh (a
 * notify edge from a resource that changed) sends it again; a reload that
 * keeps the resource (same parameters) does not, while one that changes it
 * makes a new resource, which sends once.  A new engine process sends
 * again.  In noop mode nothing is sent and the message stays due.
 *
 * The entry goes over journald's native protocol on a socket of its own
 * (journal.c).
 *
 * There is nothing to watch: the resource runs when the graph starts and
 * after each refresh.  No grouping: each message is one call.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <mgmt/mgmt.h>

#include "journal.h"

/* Index = syslog priority (LOG_EMERG 0 .. LOG_DEBUG 7), as mgmt names them. */
static const char *const priorities[] = { "Emerg", "Alert",   "Crit",
					  "Err",   "Warning", "Notice",
					  "Info",  "Debug",   NULL };

struct msg {
	/* parameters */
	char *body;
	int priority; /* syslog priority, index of priorities[] */
	struct mgmt_strmap fields;
	bool journal;
	bool syslog;
	/* runtime: check_apply never runs twice at once for one resource */
	bool sent;
};

static const struct mgmt_param msg_params[] = {
	MGMT_PARAM(struct msg, body, MGMT_PARAM_STRING, "", 0, "the message"),
	MGMT_PARAM_CHOICE(struct msg, priority, priorities, "Info", 0,
			  "the message's syslog priority"),
	MGMT_PARAM(struct msg, fields, MGMT_PARAM_MAP, NULL, 0,
		   "journal fields (NAME: value) of the entry"),
	MGMT_PARAM(struct msg, journal, MGMT_PARAM_BOOL, "false", 0,
		   "an entry of its own in the journal instead of the log"),
	MGMT_PARAM(struct msg, syslog, MGMT_PARAM_BOOL, "false", 0,
		   "to syslog(3) as well"),
	MGMT_PARAM_END,
};

/* journald's rule for field names that a client may set: uppercase
 * letters, digits and '_', not a digit or '_' first (those are trusted
 * fields), at most 64 characters.  MESSAGE and PRIORITY come from body and
 * priority. */
static const char *field_error(const char *f)
{
	if (!*f)
		return "is empty";
	if (strlen(f) > 64)
		return "is longer than 64 characters";
	if (f[0] == '_')
		return "begins with '_' (the journal's own fields do)";
	if (f[0] >= '0' && f[0] <= '9')
		return "begins with a digit";
	for (const char *c = f; *c; c++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", *c))
			return "has a character other than uppercase letters, "
			       "digits and '_'";
	if (!strcmp(f, "MESSAGE") || !strcmp(f, "PRIORITY"))
		return "is set by body or priority";
	return NULL;
}

static int msg_validate(mgmt_res *res, void *p)
{
	struct msg *m = p;
	int r = 0;

	for (size_t i = 0; i < m->fields.n; i++) {
		const char *why = field_error(m->fields.keys[i]);

		if (why) {
			mgmt_invalid(res, "fields",
				     "journal field name \"%s\" %s",
				     m->fields.keys[i], why);
			r = -1;
		}
	}
	return r;
}

/* The entry: MESSAGE, PRIORITY, MGMT_KIND, MGMT_RESOURCE (as the engine's
 * own entries have), then the fields. */
static int send_journal(mgmt_res *res, struct msg *m)
{
	size_t n = 4 + m->fields.n;
	const char **names = calloc(n, sizeof(*names));
	const char **values = calloc(n, sizeof(*values));
	char prio[2] = { (char)('0' + m->priority), '\0' };
	int r = -ENOMEM;

	if (names && values) {
		names[0] = "MESSAGE";
		values[0] = m->body;
		names[1] = "PRIORITY";
		values[1] = prio;
		names[2] = "MGMT_KIND";
		values[2] = mgmt_res_kind(res);
		names[3] = "MGMT_RESOURCE";
		values[3] = mgmt_res_name(res);
		for (size_t i = 0; i < m->fields.n; i++) {
			names[4 + i] = m->fields.keys[i];
			values[4 + i] = m->fields.values[i];
		}
		r = journal_send(JOURNAL_SOCKET, names, values, n);
	}
	if (r < 0)
		mgmt_error(res,
			   "cannot send the message to the journal (%s): %s",
			   JOURNAL_SOCKET, strerror(-r));
	free(names);
	free(values);
	return r;
}

static int msg_check_apply(mgmt_res *res, void *p, bool apply)
{
	static const int level[] = { MGMT_LOG_ERROR, MGMT_LOG_ERROR,
				     MGMT_LOG_ERROR, MGMT_LOG_ERROR,
				     MGMT_LOG_WARN,  MGMT_LOG_INFO,
				     MGMT_LOG_INFO,  MGMT_LOG_DEBUG };
	struct msg *m = p;

	if (mgmt_host->refreshed(res))
		m->sent = false;
	if (m->sent)
		return MGMT_CONVERGED;
	if (!apply) {
		mgmt_info(res, "would send: %s", m->body);
		return MGMT_CHANGED;
	}
	if (m->journal) {
		if (send_journal(res, m) < 0)
			return MGMT_ERROR;
		mgmt_debug(res, "sent to the journal: %s", m->body);
	} else {
		mgmt_host->log(res, level[m->priority], "%s", m->body);
	}
	if (m->syslog)
		syslog(LOG_USER | m->priority, "%s", m->body);
	m->sent = true;
	return MGMT_CHANGED;
}

static const struct mgmt_kind msg_kind = {
	MGMT_KIND_HEADER,
	.name = "msg",
	.doc = "a message to the journal or the log, again on refresh",
	.params = msg_params,
	.params_size = sizeof(struct msg),
	.validate = msg_validate,
	.check_apply = msg_check_apply,
};

static const struct mgmt_kind *const msg_kinds[] = { &msg_kind, NULL };

MGMT_PLUGIN_DEFINE("msg", PACKAGE_VERSION, "the msg resource (journal)",
		   msg_kinds, NULL, NULL);

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etcdb.c - /etc/passwd and /etc/group as they are on disk, read once per
 * check of a whole group of resources.
 *
 * Not getpwnam(3)/getgrnam(3): those go through NSS, which may answer from
 * nscd's or sssd's cache (stale for a moment after a tool changed the
 * files, so a check right after an apply could see the old state) or from
 * LDAP (users the shadow tools cannot change).  The files are what the
 * tools manage, so they are what a check compares.  Lines of NIS compat
 * entries ("+", "-") and malformed lines are skipped, as the tools skip
 * them when they look a name up.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user.h"

/* The whole of `path` into a NUL-terminated buffer. */
static int slurp(mgmt_res *res, const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int err = 0;

	if (fd < 0) {
		err = errno;
		mgmt_error(res, "cannot read %s: %s", path, strerror(err));
		return -err;
	}
	for (;;) {
		ssize_t n;

		if (!buf || len + 1 >= cap) {
			char *nb = realloc(buf, buf ? cap *= 2 : cap);

			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			mgmt_error(res, "cannot read %s: %s", path,
				   strerror(err));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (err) {
		free(buf);
		return -err;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Cut `line` at ':' into at most `max` fields; returns how many. */
static size_t fields(char *line, char **f, size_t max)
{
	size_t n = 0;

	f[n++] = line;
	for (char *c = line; *c && n < max; c++)
		if (*c == ':') {
			*c = '\0';
			f[n++] = c + 1;
		}
	return n;
}

/* A decimal id of at most USER_ID_MAX. */
static bool parse_id(const char *s, uint32_t *id)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > USER_ID_MAX)
		return false;
	*id = (uint32_t)v;
	return true;
}

/* Each line of buf, NUL-terminated in place, to `each`. */
static int lines(char *buf, void *db,
		 int (*each)(void *db, char **f, size_t nf))
{
	char *line = buf;

	while (*line) {
		char *nl = strchr(line, '\n');
		char *f[8];
		size_t nf;

		if (nl)
			*nl = '\0';
		if (*line && *line != '+' && *line != '-' && *line != '#') {
			nf = fields(line, f, 8);
			if (each(db, f, nf) < 0)
				return -ENOMEM;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

static int add_pw(void *p, char **f, size_t nf)
{
	struct etcdb *db = p;
	struct pw_ent e;

	/* name:passwd:uid:gid:gecos:home:shell */
	if (nf != 7 || !*f[0] || !parse_id(f[2], &e.uid) ||
	    !parse_id(f[3], &e.gid))
		return 0;
	e.name = f[0];
	e.home = f[5];
	e.shell = f[6];
	if (db->npw == db->pwcap) {
		size_t cap = db->pwcap ? db->pwcap * 2 : 64;
		struct pw_ent *n = realloc(db->pw, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		db->pw = n;
		db->pwcap = cap;
	}
	db->pw[db->npw++] = e;
	return 0;
}

static int add_gr(void *p, char **f, size_t nf)
{
	struct etcdb *db = p;
	struct gr_ent e;

	/* name:passwd:gid:member,member */
	if (nf != 4 || !*f[0] || !parse_id(f[2], &e.gid))
		return 0;
	e.name = f[0];
	e.mem = f[3];
	if (db->ngr == db->grcap) {
		size_t cap = db->grcap ? db->grcap * 2 : 64;
		struct gr_ent *n = realloc(db->gr, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		db->gr = n;
		db->grcap = cap;
	}
	db->gr[db->ngr++] = e;
	return 0;
}

int etcdb_read(mgmt_res *res, struct etcdb *db, const char *dir)
{
	char path[4096];
	int r;

	memset(db, 0, sizeof(*db));
	snprintf(path, sizeof(path), "%s/passwd", dir);
	r = slurp(res, path, &db->pwbuf);
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/group", dir);
		r = slurp(res, path, &db->grbuf);
	}
	if (r == 0)
		r = lines(db->pwbuf, db, add_pw);
	if (r == 0)
		r = lines(db->grbuf, db, add_gr);
	if (r == -ENOMEM)
		mgmt_error(res, "out of memory reading %s", dir);
	if (r < 0)
		etcdb_free(db);
	return r;
}

void etcdb_free(struct etcdb *db)
{
	free(db->pwbuf);
	free(db->grbuf);
	free(db->pw);
	free(db->gr);
	memset(db, 0, sizeof(*db));
}

const struct pw_ent *etcdb_user(const struct etcdb *db, const char *name)
{
	for (size_t i = 0; i < db->npw; i++)
		if (strcmp(db->pw[i].name, name) == 0)
			return &db->pw[i];
	return NULL;
}

const struct pw_ent *etcdb_uid_other(const struct etcdb *db, uint32_t uid,
				     const char *name)
{
	for (size_t i = 0; i < db->npw; i++)
		if (db->pw[i].uid == uid && strcmp(db->pw[i].name, name) != 0)
			return &db->pw[i];
	return NULL;
}

const struct gr_ent *etcdb_group(const struct etcdb *db, const char *name)
{
	for (size_t i = 0; i < db->ngr; i++)
		if (strcmp(db->gr[i].name, name) == 0)
			return &db->gr[i];
	return NULL;
}

const struct gr_ent *etcdb_gid(const struct etcdb *db, uint32_t gid)
{
	for (size_t i = 0; i < db->ngr; i++)
		if (db->gr[i].gid == gid)
			return &db->gr[i];
	return NULL;
}

const struct gr_ent *etcdb_gid_other(const struct etcdb *db, uint32_t gid,
				     const char *name)
{
	for (size_t i = 0; i < db->ngr; i++)
		if (db->gr[i].gid == gid && strcmp(db->gr[i].name, name) != 0)
			return &db->gr[i];
	return NULL;
}

bool etcdb_is_member(const struct gr_ent *g, const char *user)
{
	size_t len = strlen(user);

	for (const char *m = g->mem; *m;) {
		size_t n = strcspn(m, ",");

		if (n == len && strncmp(m, user, len) == 0)
			return true;
		m += n;
		if (*m == ',')
			m++;
	}
	return false;
}

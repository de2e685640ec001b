/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fstab.c - the text side of the mount resource: the fstab line it wants,
 * whether a line already says the same, the file edited to say it (every
 * other line kept, comments included), and what /proc/self/mountinfo has
 * mounted at a point.  Pure functions of their arguments but for
 * mount_same_device, which resolves device names; the unit tests call them
 * directly.
 *
 * fstab(5) and mountinfo (proc(5)) both escape a space in a field as \040,
 * a tab as \011, a newline as \012 and a backslash as \134.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mount.h"

#define FIELD_MAX 4096

/* Append `s` to buf (of `len`, at *n) with fstab's octal escapes. */
static void put_escaped(char *buf, size_t len, size_t *n, const char *s)
{
	for (; *s; s++) {
		if (strchr(" \t\n\\", *s))
			*n += (size_t)snprintf(buf + *n,
					       *n < len ? len - *n : 0,
					       "\\%03o", (unsigned char)*s);
		else if (*n + 1 < len)
			buf[(*n)++] = *s;
		else
			(*n)++;
		if (*n < len)
			buf[*n] = '\0';
	}
}

char *mount_fstab_line(const struct mount *m, const char *point)
{
	size_t len = 64, n;
	char *buf;

	len += 4 * (strlen(m->device ? m->device : "") + strlen(point) +
		    strlen(m->type ? m->type : "") + sizeof("defaults"));
	for (size_t i = 0; i < m->options.n; i++)
		len += 4 * (strlen(m->options.keys[i]) +
			    strlen(m->options.values[i])) +
		       2;
	if (!(buf = malloc(len)))
		return NULL;
	n = 0;
	buf[0] = '\0';
	put_escaped(buf, len, &n, m->device ? m->device : "");
	buf[n++] = ' ';
	put_escaped(buf, len, &n, point);
	buf[n++] = ' ';
	put_escaped(buf, len, &n, m->type ? m->type : "");
	buf[n++] = ' ';
	buf[n] = '\0';
	if (!m->options.n)
		put_escaped(buf, len, &n, "defaults");
	for (size_t i = 0; i < m->options.n; i++) {
		if (i)
			buf[n++] = ',';
		buf[n] = '\0';
		put_escaped(buf, len, &n, m->options.keys[i]);
		if (m->options.values[i][0]) {
			buf[n++] = '=';
			buf[n] = '\0';
			put_escaped(buf, len, &n, m->options.values[i]);
		}
	}
	snprintf(buf + n, len - n, " %lld %lld", (long long)m->freq,
		 (long long)m->passno);
	return buf;
}

/* Unescape \NNN in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The whitespace-separated fields of `line` (up to its newline), at most
 * `max`, each copied into buf and unescaped.  Returns how many; 0 for a
 * blank line or a comment. */
static size_t fields(const char *line, char **f, size_t max, char *buf,
		     size_t len)
{
	size_t n = 0, used = 0;
	const char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '#')
		return 0;
	while (n < max && *p && *p != '\n') {
		size_t l = strcspn(p, " \t\n");

		if (used + l + 1 > len)
			break;
		f[n] = buf + used;
		memcpy(f[n], p, l);
		f[n][l] = '\0';
		unescape(f[n]);
		used += l + 1;
		n++;
		p += l;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	return n;
}

/* Is option `o` (KEY or KEY=VALUE) one of the comma-separated `list`? */
static bool has_option(const char *list, const char *o, size_t olen)
{
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");

		if (l == olen && !strncmp(p, o, l))
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}

/* Are the comma-separated options the same set? */
static bool same_options(const char *a, const char *b)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *x = pass ? b : a, *y = pass ? a : b;

		for (const char *p = x; *p;) {
			size_t l = strcspn(p, ",");

			if (l && !has_option(y, p, l))
				return false;
			p += l + (p[l] == ',');
		}
	}
	return true;
}

static bool same_number(const char *a, const char *b)
{
	return strtol(a, NULL, 10) == strtol(b, NULL, 10);
}

bool mount_fstab_same(const char *a, const char *b)
{
	static char zero[] = "0";
	char *fa[6], *fb[6], ba[FIELD_MAX * 2], bb[FIELD_MAX * 2];
	size_t na = fields(a, fa, 6, ba, sizeof(ba));
	size_t nb = fields(b, fb, 6, bb, sizeof(bb));

	if (na < 4 || nb < 4)
		return false;
	for (size_t i = na; i < 6; i++)
		fa[i] = zero;
	for (size_t i = nb; i < 6; i++)
		fb[i] = zero;
	return !strcmp(fa[0], fb[0]) && !strcmp(fa[1], fb[1]) &&
	       !strcmp(fa[2], fb[2]) && same_options(fa[3], fb[3]) &&
	       same_number(fa[4], fb[4]) && same_number(fa[5], fb[5]);
}

/* Is the line at `line` one for `point`? */
static bool for_point(const char *line, const char *point)
{
	char *f[2], buf[FIELD_MAX * 2];

	return fields(line, f, 2, buf, sizeof(buf)) == 2 &&
	       !strcmp(f[1], point);
}

int mount_fstab_edit(const char *old, const char *point, const char *want,
		     char **out)
{
	size_t len = strlen(old), wlen = want ? strlen(want) : 0, n = 0;
	bool placed = false, changed = false;
	/* a newline added to the last line, `want`, its newline, the NUL */
	char *buf = malloc(len + wlen + 3);

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	for (const char *p = old; *p;) {
		size_t l = strcspn(p, "\n");
		bool nl = p[l] == '\n';

		if (!for_point(p, point)) {
			memcpy(buf + n, p, l + nl);
			n += l + nl;
		} else if (want && !placed) {
			char line[FIELD_MAX * 2];

			snprintf(line, sizeof(line), "%.*s", (int)l, p);
			placed = true;
			if (mount_fstab_same(line, want)) {
				memcpy(buf + n, p, l + nl);
				n += l + nl;
			} else {
				memcpy(buf + n, want, wlen);
				n += wlen;
				buf[n++] = '\n';
				changed = true;
			}
		} else {
			changed = true; /* dropped */
		}
		p += l + nl;
	}
	if (want && !placed) {
		if (n && buf[n - 1] != '\n')
			buf[n++] = '\n';
		memcpy(buf + n, want, wlen);
		n += wlen;
		buf[n++] = '\n';
		changed = true;
	}
	buf[n] = '\0';
	if (!changed) {
		free(buf);
		return 0;
	}
	*out = buf;
	return 1;
}

int mount_info_find(const char *info, const char *point, char *source,
		    size_t slen, char *fstype, size_t flen)
{
	int found = 0;

	for (const char *p = info; *p;) {
		size_t l = strcspn(p, "\n");
		char *f[16], buf[FIELD_MAX * 4];
		size_t n = fields(p, f, 16, buf, sizeof(buf)), sep;

		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE
		 * SOURCE SUPER-OPTIONS */
		for (sep = 6; sep < n && strcmp(f[sep], "-") != 0; sep++)
			;
		if (n >= 5 && sep + 2 < n && !strcmp(f[4], point)) {
			snprintf(fstype, flen, "%s", f[sep + 1]);
			snprintf(source, slen, "%s", f[sep + 2]);
			found = 1;
		}
		p += l + (p[l] == '\n');
	}
	return found;
}

bool mount_same_device(const char *dev, const char *source)
{
	static const struct {
		const char *tag, *dir;
	} tags[] = {
		{ "UUID=", "/dev/disk/by-uuid/" },
		{ "LABEL=", "/dev/disk/by-label/" },
		{ "PARTUUID=", "/dev/disk/by-partuuid/" },
		{ "PARTLABEL=", "/dev/disk/by-partlabel/" },
	};
	char path[PATH_MAX], a[PATH_MAX], b[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dev);
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strncmp(dev, tags[i].tag, strlen(tags[i].tag)))
			snprintf(path, sizeof(path), "%s%s", tags[i].dir,
				 dev + strlen(tags[i].tag));
	if (!strcmp(path, source))
		return true;
	if (path[0] != '/' || source[0] != '/')
		return false;
	return realpath(path, a) && realpath(source, b) && !strcmp(a, b);
}

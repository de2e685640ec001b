/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * split.c - from a command line to an argv, and from a program name to the
 * file to execute.
 *
 * Without `shell`, mgmt split commands at whitespace, so `sh -c 'a b'` fell
 * apart.  We split as a POSIX shell splits words, with its quoting rules and
 * nothing else: no variables, globs, redirections or pipes (those need
 * `shell`).  Programs are resolved through PATH the way execvp does, but
 * in the parent just before each start, so that "not found" and "not
 * executable" are reported as one clear line and never happen between
 * clone and exec.  Not at validate: as in mgmt, a program may be installed
 * by a resource that runs before the exec (a pkg, a file).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"

#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void exec_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static int push(char ***v, size_t *n, const char *w, size_t len)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strndup(w, len);
	if (!nv[*n])
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

int exec_split(const char *s, char ***argv, const char **why, size_t *at)
{
	size_t len = strlen(s), n = 0, wl = 0;
	char *word = malloc(len + 1), **v = NULL;
	bool inword = false;
	int rc = 0;

	*argv = NULL;
	if (!word)
		return -ENOMEM;
	for (size_t i = 0; i < len && rc == 0; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\n') {
			if (inword)
				rc = push(&v, &n, word, wl);
			inword = false;
			wl = 0;
			continue;
		}
		if (c == '\\') {
			if (i + 1 == len) {
				*why = "ends with a lone backslash";
				*at = i;
				rc = -EINVAL;
			} else if (s[++i] != '\n') { /* \newline: nothing */
				word[wl++] = s[i];
				inword = true;
			}
			continue;
		}
		inword = true;
		if (c == '\'') {
			size_t open = i;
			const char *end = strchr(s + i + 1, '\'');

			if (!end) {
				*why = "has an unbalanced single quote";
				*at = open;
				rc = -EINVAL;
				break;
			}
			memcpy(word + wl, s + i + 1, (size_t)(end - s) - i - 1);
			wl += (size_t)(end - s) - i - 1;
			i = (size_t)(end - s);
		} else if (c == '"') {
			size_t open = i;

			for (i++; i < len && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < len &&
				    strchr("\"\\$`\n", s[i + 1])) {
					if (s[++i] != '\n')
						word[wl++] = s[i];
					continue;
				}
				word[wl++] = s[i];
			}
			if (i >= len) {
				*why = "has an unbalanced double quote";
				*at = open;
				rc = -EINVAL;
			}
		} else {
			word[wl++] = c;
		}
	}
	if (rc == 0 && inword)
		rc = push(&v, &n, word, wl);
	if (rc == 0 && n == 0) {
		*why = "has no command in it";
		*at = 0;
		rc = -EINVAL;
	}
	free(word);
	if (rc) {
		exec_strv_free(v);
		return rc;
	}
	*argv = v;
	return 0;
}

const char *exec_path_of(const struct mgmt_strmap *env)
{
	const char *p = NULL;

	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->keys[i], "PATH") == 0)
			p = env->values[i];
	if (!p)
		p = getenv("PATH");
	return p ? p : DEFAULT_PATH;
}

/* 0 if `p` is an executable regular file, else -errno. */
static int check_exe(const char *p)
{
	struct stat st;

	if (stat(p, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) || access(p, X_OK) < 0)
		return -EACCES;
	return 0;
}

static char *join(const char *dir, size_t dlen, const char *name)
{
	size_t nlen = strlen(name);
	char *p = malloc(dlen + nlen + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, dlen);
	p[dlen] = '/';
	memcpy(p + dlen + 1, name, nlen + 1);
	return p;
}

int exec_resolve(const char *name, const char *path, const char *cwd,
		 char **out)
{
	int best = -ENOENT;

	*out = NULL;
	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		char *p = name[0] != '/' && cwd && *cwd ?
				  join(cwd, strlen(cwd), name) :
				  strdup(name);
		int rc;

		if (!p)
			return -ENOMEM;
		rc = check_exe(p);
		if (rc == 0) {
			/* execve gets the name as written: the child has
			 * already changed into cwd. */
			free(p);
			p = strdup(name);
			if (!p)
				return -ENOMEM;
			*out = p;
			return 0;
		}
		free(p);
		return rc == -EISDIR || rc == -EACCES ? rc : -ENOENT;
	}
	/* As execvp: the first executable match wins; a match that is not
	 * executable is reported only when nothing better turns up. */
	for (const char *d = path;; d++) {
		size_t dlen = strcspn(d, ":");
		char *p = dlen ? join(d, dlen, name) : join(".", 1, name);
		int rc;

		if (!p)
			return -ENOMEM;
		rc = check_exe(p);
		if (rc == 0) {
			*out = p;
			return 0;
		}
		free(p);
		if (rc == -EACCES || (rc == -EISDIR && best == -ENOENT))
			best = rc;
		d += dlen;
		if (!*d)
			break;
	}
	return best;
}

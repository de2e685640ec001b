/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * secret.c - the TLS files and etcd's user and password of --etcd-cacert,
 * --etcd-cert, --etcd-key, --etcd-user and --etcd-password-file, checked
 * at the start (so a typo is one line and exit 2, not a cluster that never
 * answers) and handed to the etcd client.  The password is read from its
 * file, never from the command line, where every user could see it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/internal.h"
#include "util/log.h"

#define PASSWORD_MAX 4096

static int readable(const char *opt, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_error("--%s %s: %s; give a readable PEM file", opt, path,
			  strerror(errno));
		return -EINVAL;
	}
	close(fd);
	return 0;
}

/* The first line of `path` (without its newline) into buf. */
static int read_password(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		log_error("--etcd-password-file %s: %s; give a file whose "
			  "first line is the password",
			  path, strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IROTH))
		log_warn("--etcd-password-file %s: every user can read it; "
			 "make it mode 0600",
			 path);
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0) {
		log_error("--etcd-password-file %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0]) {
		log_error("--etcd-password-file %s: the first line is empty; "
			  "write the password there",
			  path);
		return -EINVAL;
	}
	return 0;
}

int cluster_auth(const struct cluster_opts *o, struct etcd *e)
{
	struct etcd_auth a = { .cacert = o->cacert,
			       .cert = o->cert,
			       .key = o->key,
			       .user = o->user };
	char *pw = NULL;
	int rc;

	if (!o->cert != !o->key) {
		log_error("--etcd-cert and --etcd-key go together: give both "
			  "(the client's certificate and its key)");
		return -EINVAL;
	}
	if (!o->user != !o->password_file) {
		log_error("%s: give --etcd-user and --etcd-password-file "
			  "together (the password is never taken from the "
			  "command line)",
			  o->user ? "--etcd-user" : "--etcd-password-file");
		return -EINVAL;
	}
	if ((o->cacert && readable("etcd-cacert", o->cacert) < 0) ||
	    (o->cert && readable("etcd-cert", o->cert) < 0) ||
	    (o->key && readable("etcd-key", o->key) < 0))
		return -EINVAL;
	if ((o->cacert || o->cert) && !strstr(o->endpoints, "https://"))
		log_warn("--etcd %s: no https:// endpoint, so --etcd-cacert, "
			 "--etcd-cert and --etcd-key are not used",
			 o->endpoints);
	if (o->password_file) {
		pw = malloc(PASSWORD_MAX);
		if (!pw)
			return -ENOMEM;
		if (read_password(o->password_file, pw, PASSWORD_MAX) < 0) {
			free(pw);
			return -EINVAL;
		}
		a.password = pw;
	}
	rc = etcd_set_auth(e, &a);
	if (pw) {
		explicit_bzero(pw, PASSWORD_MAX);
		free(pw);
	}
	return rc;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * journal.c - one entry to systemd-journald over its native protocol
 * (systemd.io/JOURNAL_NATIVE_PROTOCOL), on a socket of its own that is
 * closed again before the call returns.
 *
 * Not sd_journal_sendv(3): libsystemd keeps its socket open for the rest of
 * the process, which a plugin must not (a resource leaves no descriptor
 * behind after its cleanup; `mgmt-engine plugin-check` checks it).
 *
 * Every field is written in the protocol's binary-safe form, "NAME\n", the
 * value's length as 64-bit little-endian, the value and "\n", so values may
 * hold newlines.  An entry too big for one datagram goes the way
 * libsystemd sends it: in a sealed memfd whose descriptor is passed.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal.h"

static int encode(const char *const *names, const char *const *values, size_t n,
		  char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	int r = 0;

	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		uint64_t size = htole64(strlen(values[i]));

		if (fprintf(f, "%s\n", names[i]) < 0 ||
		    fwrite(&size, sizeof(size), 1, f) != 1 ||
		    fprintf(f, "%s\n", values[i]) < 0)
			r = -ENOMEM;
	}
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(*buf);
		*buf = NULL;
	}
	return r;
}

/* The entry in a sealed memfd, its descriptor passed over `fd`. */
static int send_memfd(int fd, const struct sockaddr_un *sa, socklen_t salen,
		      const char *buf, size_t len)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl = { 0 };
	struct msghdr mh = { .msg_name = (void *)sa,
			     .msg_namelen = salen,
			     .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	int mfd = memfd_create("mgmt-msg", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int r = 0;

	if (mfd < 0)
		return -errno;
	for (size_t off = 0; off < len && r == 0;) {
		ssize_t w = write(mfd, buf + off, len - off);

		if (w < 0 && errno != EINTR)
			r = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (r == 0 &&
	    fcntl(mfd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		r = -errno;
	c = CMSG_FIRSTHDR(&mh);
	if (r == 0 && c) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &mfd, sizeof(int));
		if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
			r = -errno;
	}
	close(mfd);
	return r;
}

int journal_send(const char *socket_path, const char *const *names,
		 const char *const *values, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, socket_path);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			    strlen(socket_path) + 1);
	r = encode(names, values, n, &buf, &len);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
	} else {
		if (sendto(fd, buf, len, MSG_NOSIGNAL,
			   (const struct sockaddr *)&sa, salen) < 0)
			r = -errno;
		if (r == -EMSGSIZE || r == -ENOBUFS)
			r = send_memfd(fd, &sa, salen, buf, len);
		close(fd);
	}
	free(buf);
	return r;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * notify-listen - stand in for systemd's notification socket in a test.
 *
 * Usage: notify-listen SOCKET OUT.  Binds a datagram socket at SOCKET (an
 * absolute path, or "@name" in the abstract namespace, as NOTIFY_SOCKET
 * has it), creates OUT once bound, then appends one line per datagram:
 * the sender's pid, a space, and the message with its newlines as '|'.
 * Runs until killed.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	size_t n;
	int fd, one = 1;
	FILE *out;

	if (argc != 3 || (n = strlen(argv[1])) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notify-listen SOCKET OUT\n");
		return 2;
	}
	memcpy(sa.sun_path, argv[1], n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, salen) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		perror("notify-listen: socket");
		return 1;
	}
	out = fopen(argv[2], "a");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	for (;;) {
		char buf[4096], cbuf[CMSG_SPACE(sizeof(struct ucred))];
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct ucred cred = { 0 };
		ssize_t got = recvmsg(fd, &mh, 0);

		if (got < 0)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_CREDENTIALS)
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
		buf[got] = '\0';
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = '|';
		fprintf(out, "%ld %s\n", (long)cred.pid, buf);
		fflush(out);
	}
}

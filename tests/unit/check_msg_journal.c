/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_msg_journal.c - the msg plugin's journal sender (plugins/msg/
 * journal.c, linked in) against a datagram socket of the test's own in
 * place of journald's: the exact bytes of the native protocol's binary-safe
 * form, an entry too big for one datagram passed as a sealed memfd, and no
 * descriptor left open after either.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "runner.h"
#include "../../plugins/msg/journal.h"

static char dir[PATH_MAX], path[PATH_MAX + 16];
static int sock = -1;

static void setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int big = 4 * 1024 * 1024;

	harness_tmpdir(dir, sizeof(dir), "msg-journal");
	snprintf(path, sizeof(path), "%s/socket", dir);
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
}

static void teardown(void)
{
	close(sock);
	harness_rmdir(dir);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* One datagram (or the memfd it carries) into buf; returns its length. */
static size_t receive(char *buf, size_t len, bool *memfd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int fd;

	ck_assert_int_ge(n, 0);
	c = CMSG_FIRSTHDR(&mh);
	*memfd = c && c->cmsg_type == SCM_RIGHTS;
	if (!*memfd)
		return (size_t)n;
	ck_assert_int_eq(n, 0);
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	/* journald refuses an unsealed memfd */
	ck_assert_int_eq(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW |
							 F_SEAL_WRITE |
							 F_SEAL_SEAL);
	n = pread(fd, buf, len, 0);
	close(fd);
	ck_assert_int_ge(n, 0);
	return (size_t)n;
}

/* "NAME\n", 64-bit little-endian length, value, "\n" for every field. */
START_TEST(binary_safe_fields)
{
	static const char *const names[] = { "MESSAGE", "NOTE", "EMPTY" };
	static const char *const values[] = { "hi", "a\nb", "" };
	static const char want[] = "MESSAGE\n\2\0\0\0\0\0\0\0hi\n"
				   "NOTE\n\3\0\0\0\0\0\0\0a\nb\n"
				   "EMPTY\n\0\0\0\0\0\0\0\0\n";
	char buf[256];
	bool memfd;
	int before = open_fds();

	ck_assert_int_eq(journal_send(path, names, values, 3), 0);
	ck_assert_int_eq(open_fds(), before);
	ck_assert_uint_eq(receive(buf, sizeof(buf), &memfd), sizeof(want) - 1);
	ck_assert(!memfd);
	ck_assert_mem_eq(buf, want, sizeof(want) - 1);
}
END_TEST

/* An entry bigger than the sender's socket buffer goes in a sealed memfd. */
START_TEST(big_entry_in_memfd)
{
	static const char *const names[] = { "MESSAGE" };
	size_t n = 1024 * 1024;
	char *big = malloc(n + 1), *buf = malloc(n + 64);
	const char *values[] = { big };
	bool memfd;
	int before = open_fds();

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(buf);
	memset(big, 'x', n);
	big[n] = '\0';
	ck_assert_int_eq(journal_send(path, names, values, 1), 0);
	ck_assert_int_eq(open_fds(), before);
	ck_assert_uint_eq(receive(buf, n + 64, &memfd), 8 + 8 + n + 1);
	ck_assert(memfd);
	ck_assert_mem_eq(buf, "MESSAGE\n", 8);
	ck_assert_mem_eq(buf + 16, big, n);
	free(big);
	free(buf);
}
END_TEST

START_TEST(no_journal)
{
	static const char *const names[] = { "MESSAGE" };
	static const char *const values[] = { "lost" };
	char missing[PATH_MAX + 16];
	int before = open_fds();

	snprintf(missing, sizeof(missing), "%s/none", dir);
	ck_assert_int_eq(journal_send(missing, names, values, 1), -ENOENT);
	ck_assert_int_eq(open_fds(), before);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("msg-journal");
	TCase *tc = tcase_create("native-protocol");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, binary_safe_fields);
	tcase_add_test(tc, big_entry_in_memfd);
	tcase_add_test(tc, no_journal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

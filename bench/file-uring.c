/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * file-uring.c - fsync many files at once through io_uring, without
 * liburing: one ring per call, every fsync submitted together, so that the
 * kernel runs them concurrently (on a journaling file system one commit
 * may serve all that wait on it) instead of one after the other.  One of
 * the sync
 * strategies bench/file-raw measures (`batch uring`); the plugin does not
 * use it (bench/RESULTS.md says why).  Any thread; no state outside the
 * call.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/io_uring.h>

#include "file-uring.h"

struct ring {
	int fd;
	void *sq, *cq;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	struct io_uring_params p;
};

static void ring_close(struct ring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->cq && r->cq != MAP_FAILED && r->cq != r->sq)
		munmap(r->cq, r->cq_len);
	if (r->sq && r->sq != MAP_FAILED)
		munmap(r->sq, r->sq_len);
	close(r->fd);
}

static int ring_open(struct ring *r, unsigned entries)
{
	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, entries, &r->p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = r->p.sq_off.array + r->p.sq_entries * sizeof(unsigned);
	r->cq_len = r->p.cq_off.cqes +
		    r->p.cq_entries * sizeof(struct io_uring_cqe);
	if (r->p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = r->sq_len;
	}
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (r->sq == MAP_FAILED)
		goto fail;
	r->cq = r->sq;
	if (!(r->p.features & IORING_FEAT_SINGLE_MMAP)) {
		r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_POPULATE, r->fd,
			     IORING_OFF_CQ_RING);
		if (r->cq == MAP_FAILED)
			goto fail;
	}
	r->sqes_len = r->p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		goto fail;
	return 0;
fail : {
	int err = errno;

	ring_close(r);
	return -err;
}
}

#define AT(base, off) ((void *)((char *)(base) + (off)))

/* Submit fsyncs of fds[from..to) and wait for them; errs[i] gets each. */
static int ring_round(struct ring *r, const int *fds, int *errs, size_t from,
		      size_t to, bool data_only)
{
	_Atomic unsigned *sq_tail = AT(r->sq, r->p.sq_off.tail);
	unsigned mask = *(unsigned *)AT(r->sq, r->p.sq_off.ring_mask);
	unsigned *array = AT(r->sq, r->p.sq_off.array);
	_Atomic unsigned *cq_head = AT(r->cq, r->p.cq_off.head);
	_Atomic unsigned *cq_tail = AT(r->cq, r->p.cq_off.tail);
	unsigned cmask = *(unsigned *)AT(r->cq, r->p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = AT(r->cq, r->p.cq_off.cqes);
	unsigned tail = atomic_load_explicit(sq_tail, memory_order_relaxed);
	size_t n = to - from, done = 0;

	for (size_t i = from; i < to; i++, tail++) {
		struct io_uring_sqe *e = &r->sqes[tail & mask];

		memset(e, 0, sizeof(*e));
		e->opcode = IORING_OP_FSYNC;
		e->fd = fds[i];
		e->fsync_flags = data_only ? IORING_FSYNC_DATASYNC : 0;
		e->user_data = i;
		array[tail & mask] = tail & mask;
	}
	atomic_store_explicit(sq_tail, tail, memory_order_release);
	for (size_t sent = 0; done < n;) {
		unsigned head, ctail;
		long rc = syscall(__NR_io_uring_enter, r->fd,
				  (unsigned)(n - sent), 1u,
				  IORING_ENTER_GETEVENTS, NULL, 0);

		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc > 0)
			sent += (size_t)rc;
		head = atomic_load_explicit(cq_head, memory_order_relaxed);
		ctail = atomic_load_explicit(cq_tail, memory_order_acquire);
		for (; head != ctail; head++, done++) {
			struct io_uring_cqe *c = &cqes[head & cmask];

			if (c->user_data >= from && c->user_data < to)
				errs[c->user_data] = c->res < 0 ? c->res : 0;
		}
		atomic_store_explicit(cq_head, head, memory_order_release);
	}
	return 0;
}

int uring_fsync_all(const int *fds, int *errs, size_t n, bool data_only)
{
	struct ring r;
	unsigned entries = n < URING_MAX ? (unsigned)n : URING_MAX;
	int rc;

	if (n == 0)
		return 0;
	rc = ring_open(&r, entries);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i += r.p.sq_entries) {
		size_t to = i + r.p.sq_entries < n ? i + r.p.sq_entries : n;

		rc = ring_round(&r, fds, errs, i, to, data_only);
	}
	ring_close(&r);
	return rc;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * group.c - the file kind's check_apply: a group of files in one directory
 * (or a file alone) in one pass.
 *
 * The worker thread picks the members that may have moved
 * (host->member_dirty), then runs them, each with file_check_apply_one and
 * a batch (write.c) that puts their new files in place together.  A group
 * with at least SPLIT_MIN such members per thread is split in contiguous
 * slices over up to SPLIT_MAX threads (the worker and helpers it starts
 * for this call), one per CPU: creating files in one directory waits on
 * the disk for each new inode, and two threads overlap those waits
 * (bench/RESULTS.md has the measurement).  Each slice has its own batch
 * and stop check and writes only its own members' results; the worker
 * joins them, flushes the directory once, and reports every member
 * (host->member_result and member_dirty are the worker's alone).
 *
 * Between members each slice looks at the run's stop signal, every
 * STOP_EVERY members or sooner after slow ones (never a system call per
 * member), and once it fired stops before its next member; its batch is
 * committed and the directory flushed all the same: every file handled is
 * complete, the rest is checked by the next run.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"

/* Members checked between two looks at the stop signal; after a member
 * that wrote (an fsync each), also once STOP_SLOW_NS have passed. */
#define STOP_EVERY 64
#define STOP_SLOW_NS 5000000

/* Members to check per thread, at least, for a group to be split; and
 * threads at most. */
#define SPLIT_MIN 256
#define SPLIT_MAX 4

static int flush_dir(mgmt_res *res, const char *path, size_t len)
{
	char buf[PATH_MAX];
	int fd;

	if (len >= sizeof(buf))
		return MGMT_ERROR;
	memcpy(buf, path, len);
	buf[len] = '\0';
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		mgmt_error(res,
			   "cannot flush the directory %s to disk: %s; "
			   "its changes may not survive a crash",
			   buf, strerror(errno));
		if (fd >= 0)
			close(fd);
		return MGMT_ERROR;
	}
	close(fd);
	return 0;
}

/* When a slice looks at the run's stop signal (see STOP_EVERY). */
struct stopper {
	int fd;               /* -1: none, never look */
	unsigned since;       /* members checked since the last look */
	struct timespec last; /* of the last look */
};

static void stopper_init(struct stopper *s, int fd)
{
	s->fd = fd;
	s->since = 0;
	if (s->fd >= 0)
		clock_gettime(CLOCK_MONOTONIC, &s->last);
}

/* After a member (`wrote`: it wrote something): must the slice stop? */
static bool stopper_fired(struct stopper *s, bool wrote)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct timespec t;
	long long ns;

	if (s->fd < 0 || (++s->since < STOP_EVERY && !wrote))
		return false;
	clock_gettime(CLOCK_MONOTONIC, &t); /* no system call: the vDSO */
	ns = (t.tv_sec - s->last.tv_sec) * 1000000000LL +
	     (t.tv_nsec - s->last.tv_nsec);
	if (s->since < STOP_EVERY && ns < STOP_SLOW_NS)
		return false;
	s->since = 0;
	s->last = t;
	return poll(&pfd, 1, 0) > 0;
}

/* One call: the group and each member's outcome. */
struct run {
	mgmt_res *leader;
	void *leader_params;
	mgmt_res *const *members;
	bool apply;
	int stop_fd;
	int *rc;   /* each member's result (MGMT_CONVERGED: not checked) */
	bool *dch; /* each member changed its directory's entries */
};

/* One slice of the members to check: todo[from..to). */
struct slice {
	struct run *run;
	const size_t *todo;
	size_t from, to;
	size_t left;  /* members left unchecked after the stop signal */
	bool changed; /* some member changed */
	bool failed;  /* some member failed */
	pthread_t thread;
	bool started;
};

/* A batch's commit could not put member i's file in place. */
static void member_failed(void *ctx, size_t i)
{
	struct slice *s = ctx;

	s->failed = true;
	s->run->rc[i] = MGMT_ERROR;
}

static void *slice_run(void *arg)
{
	struct slice *s = arg;
	struct run *run = s->run;
	struct stopper stop;
	struct file_batch batch;

	stopper_init(&stop, run->stop_fd);
	file_batch_init(&batch, member_failed, s);
	for (size_t k = s->from; k < s->to; k++) {
		size_t i = s->todo[k];
		mgmt_res *m = run->members[i];
		struct file *f = m == run->leader ? run->leader_params :
						    mgmt_res_params(m);
		bool dchg = false;
		int r = MGMT_ERROR;

		if (f)
			r = file_check_apply_one(m, f, run->apply, &batch, i,
						 &dchg);
		if (r < 0)
			s->failed = true;
		else if (r == MGMT_CHANGED)
			s->changed = true;
		if (run->rc[i] >= 0) /* a commit may have failed it */
			run->rc[i] = r;
		run->dch[i] = dchg;
		if (k + 1 < s->to && stopper_fired(&stop, r == MGMT_CHANGED)) {
			s->left = s->to - k - 1;
			break;
		}
	}
	/* also when stopping: what was written must be in place */
	file_batch_commit(&batch);
	file_batch_free(&batch);
	return NULL;
}

/* How many threads for `n` members to check. */
static size_t threads_for(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t t = n / SPLIT_MIN;

	if (cpus > 0 && t > (size_t)cpus)
		t = (size_t)cpus;
	if (t > SPLIT_MAX)
		t = SPLIT_MAX;
	return t ? t : 1;
}

/* Run todo[0..n) in slices; the worker takes the first. */
static void run_slices(struct run *run, struct slice *sl, size_t t,
		       const size_t *todo, size_t n)
{
	for (size_t k = 0; k < t; k++)
		sl[k] = (struct slice){ .run = run,
					.todo = todo,
					.from = n * k / t,
					.to = n * (k + 1) / t };
	for (size_t k = 1; k < t; k++)
		sl[k].started = pthread_create(&sl[k].thread, NULL, slice_run,
					       &sl[k]) == 0;
	slice_run(&sl[0]);
	for (size_t k = 1; k < t; k++) {
		if (sl[k].started)
			pthread_join(sl[k].thread, NULL);
		else
			slice_run(&sl[k]); /* no thread: here, after ours */
	}
}

int file_group_check_apply(mgmt_res *res, void *p, bool apply)
{
	mgmt_res *const *members = NULL;
	mgmt_res *self[1] = { res };
	size_t n = mgmt_host->group_members(res, &members), ntodo = 0, t;
	size_t left = 0;
	struct slice sl[SPLIT_MAX];
	bool failed = false, changed = false, swept = !apply, flushed = true;
	struct run run = {
		.leader = res, .leader_params = p, .apply = apply, .stop_fd = -1
	};
	size_t *todo;
	/* In a group, a member without an event since its last good run
	 * cannot have moved: 10,000 files in one directory, one rewritten,
	 * is one check, not 10,000. */
	bool (*moved)(const mgmt_res *) =
		MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, member_dirty) ?
			mgmt_host->member_dirty :
			NULL;

	if (n == 0 || !members) {
		members = self;
		n = 1;
	}
	run.members = members;
	todo = calloc(n, sizeof(*todo) + sizeof(*run.rc) + sizeof(*run.dch));
	if (!todo) {
		mgmt_error(res, "out of memory");
		return MGMT_ERROR;
	}
	run.rc = (int *)(void *)(todo + n);
	run.dch = (bool *)(run.rc + n);
	if (n > 1 && MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, stop_fd) &&
	    mgmt_host->stop_fd)
		run.stop_fd = mgmt_host->stop_fd();
	for (size_t i = 0; i < n; i++) {
		struct file *f =
			members[i] == res ? p : mgmt_res_params(members[i]);

		/* members share one directory: the first file sweeps it */
		if (!swept && f && f->tdir) {
			swept = true;
			file_tmp_sweep(members[i], f);
		}
		if (n == 1 || !moved || moved(members[i]))
			todo[ntodo++] = i;
	}
	t = threads_for(ntodo);
	run_slices(&run, sl, t, todo, ntodo);
	for (size_t k = 0; k < t; k++) {
		failed |= sl[k].failed;
		changed |= sl[k].changed;
		left += sl[k].left;
	}
	/* also when stopping: what was put in place must be on disk.  A
	 * group is one directory (file_group_cmp); a file alone flushes its
	 * own. */
	for (size_t i = 0; i < n; i++) {
		struct file *f =
			members[i] == res ? p : mgmt_res_params(members[i]);

		if (run.dch[i] && f) {
			flushed = flush_dir(members[i], f->path, f->dir_len) ==
				  0;
			break;
		}
	}
	failed |= !flushed;
	/* said before the members' reports, which may be many lines */
	if (left)
		mgmt_info(res,
			  "stop signal: %zu of %zu files left unchecked (each "
			  "file handled is complete); the next run checks them",
			  left, n);
	/* Report each member; a failed flush fails every member whose
	 * directory entry changed. */
	for (size_t i = 0; n > 1 && i < n; i++)
		mgmt_member_result(members[i], !flushed && run.dch[i] ?
						       MGMT_ERROR :
						       run.rc[i]);
	free(todo);
	if (left)
		return -ECANCELED;
	if (failed)
		return MGMT_ERROR;
	return changed ? MGMT_CHANGED : MGMT_CONVERGED;
}

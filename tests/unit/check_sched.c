/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_sched.c - the scheduler, driven through real graphs of the test-only
 * plugin (tests/plugins/testres.c).
 *
 * Nothing here depends on timing: each test runs a graph to convergence
 * (converged-timeout 0), then reads the record the test resources wrote
 * (start/end of every run, in the order they happened) and asserts order
 * and structure.  Parallelism is proved with a barrier that only passes when
 * all its runs are inside check_apply at once.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "loader/loader.h"
#include "util/log.h"
#include "run/host.h"
#include "run/sched.h"
#include "harness.h"
#include "runner.h"

struct rec {
	char what[16];
	char name[64];
	int run;
	long long ns;
	int result; /* end: check_apply's result; start: apply flag */
};

static char dir[PATH_MAX];
static char recpath[PATH_MAX];
static struct registry reg;
static struct rec recs[20000];
static int nrecs;

static void setup(void)
{
	harness_tmpdir(dir, sizeof(dir), "sched");
	ck_assert_int_lt(snprintf(recpath, sizeof(recpath), "%s/record", dir),
			 (int)sizeof(recpath));
	log_level = MGMT_LOG_WARN;
	harness_load(&reg, "MGMT_TEST_PLUGINS_DIR", host_table(), "test");
}

static void teardown(void)
{
	registry_free(&reg);
	harness_rmdir(dir);
}

/* Replace every "REC" in `yaml` with the record path, "DIR" with the test
 * directory, compile, run with `o`, and load the record. */
static int run_graph_opts(const char *yaml, struct sched_opts o)
{
	static char buf[1 << 19];
	char *out = buf;
	struct graph_cfg *cfg;
	FILE *f;
	int status;

	for (const char *p = yaml; *p; p++) {
		const char *sub = NULL;

		if (strncmp(p, "REC", 3) == 0)
			sub = recpath;
		else if (strncmp(p, "DIR", 3) == 0)
			sub = dir;
		if (sub) {
			out += sprintf(out, "%s", sub);
			p += 2;
		} else {
			*out++ = *p;
		}
		ck_assert_int_lt(out - buf, (long)sizeof(buf) - PATH_MAX);
	}
	*out = '\0';
	cfg = harness_compile(&reg, buf);
	status = sched_run(cfg, &o);
	config_graph_free(cfg);

	nrecs = 0;
	f = fopen(recpath, "r");
	if (f) {
		char line[256];

		while (fgets(line, sizeof(line), f) && nrecs < 20000) {
			struct rec *r = &recs[nrecs];

			memset(r, 0, sizeof(*r));
			if (sscanf(line, "%15s %63s %d %lld %d", r->what,
				   r->name, &r->run, &r->ns, &r->result) >= 2)
				nrecs++;
		}
		fclose(f);
	}
	return status;
}

static int run_graph(const char *yaml)
{
	struct sched_opts o = { .workers = 4, .converged_timeout = 0 };

	return run_graph_opts(yaml, o);
}

/* Index of the record (what, name, run), or -1. */
static int find(const char *what, const char *name, int run)
{
	for (int i = 0; i < nrecs; i++)
		if (strcmp(recs[i].what, what) == 0 &&
		    strcmp(recs[i].name, name) == 0 &&
		    (run == 0 || recs[i].run == run))
			return i;
	return -1;
}

static int count(const char *what, const char *name)
{
	int n = 0;

	for (int i = 0; i < nrecs; i++)
		n += strcmp(recs[i].what, what) == 0 &&
		     strcmp(recs[i].name, name) == 0;
	return n;
}

/* Every run of `a` ended before any run of `b` started. */
static void assert_before(const char *a, const char *b)
{
	int last_end = -1, first_start = find("start", b, 0);

	for (int i = 0; i < nrecs; i++)
		if (strcmp(recs[i].what, "end") == 0 &&
		    strcmp(recs[i].name, a) == 0)
			last_end = i;
	ck_assert_msg(last_end >= 0, "%s never ended", a);
	ck_assert_msg(first_start >= 0, "%s never started", b);
	ck_assert_msg(last_end < first_start, "%s started before %s ended", b,
		      a);
	ck_assert(recs[last_end].ns <= recs[first_start].ns);
}

START_TEST(chain_runs_in_order)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: c, record: REC}\n"
			"  - {name: a, record: REC}\n"
			"  - {name: b, record: REC}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: b}}\n"
			"- {from: {kind: test, name: b}, to: {kind: test, name: c}}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 1);
	ck_assert_int_eq(count("start", "b"), 1);
	ck_assert_int_eq(count("start", "c"), 1);
	assert_before("a", "b");
	assert_before("b", "c");
	/* cleanup hooks ran for every resource */
	ck_assert_int_eq(count("cleanup", "a"), 1);
	ck_assert_int_eq(count("cleanup", "c"), 1);
}
END_TEST

START_TEST(independent_run_in_parallel)
{
	/* The barrier passes only when all three are inside check_apply at
	 * the same time; run one at a time, each would fail after 60 s. */
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, barrier: DIR/b1, barrier_count: 3}\n"
			"  - {name: b, record: REC, barrier: DIR/b1, barrier_count: 3}\n"
			"  - {name: c, record: REC, barrier: DIR/b1, barrier_count: 3}\n"),
		0);
	static const char *const names[] = { "a", "b", "c" };

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(count("start", names[i]), 1);
		ck_assert_int_eq(recs[find("end", names[i], 1)].result, 0);
	}
	/* every start precedes every end */
	ck_assert_int_lt(find("start", "a", 1), find("end", "b", 1));
	ck_assert_int_lt(find("start", "b", 1), find("end", "c", 1));
	ck_assert_int_lt(find("start", "c", 1), find("end", "a", 1));
}
END_TEST

START_TEST(diamond_joins_after_both)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC}\n"
			"  - {name: b, record: REC, barrier: DIR/b2, barrier_count: 2}\n"
			"  - {name: c, record: REC, barrier: DIR/b2, barrier_count: 2}\n"
			"  - {name: d, record: REC}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: b}}\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: c}}\n"
			"- {from: {kind: test, name: b}, to: {kind: test, name: d}}\n"
			"- {from: {kind: test, name: c}, to: {kind: test, name: d}}\n"),
		0);
	assert_before("a", "b");
	assert_before("a", "c");
	assert_before("b", "d");
	assert_before("c", "d");
}
END_TEST

START_TEST(failure_blocks_only_descendants)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, fail: 100}\n"
			"  - {name: b, record: REC}\n"
			"  - {name: g, record: REC}\n"
			"  - {name: c, record: REC}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: b}}\n"
			"- {from: {kind: test, name: b}, to: {kind: test, name: g}}\n"),
		1);
	ck_assert_int_eq(count("start", "a"), 1);
	ck_assert_int_eq(count("start", "b"), 0);
	ck_assert_int_eq(count("start", "g"), 0);
	ck_assert_int_eq(count("start", "c"), 1);
	ck_assert_int_eq(recs[find("end", "a", 1)].result, -1);
}
END_TEST

START_TEST(retry_then_succeed)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, fail: 2, meta: {retry: 3, delay: 5}}\n"
			"  - {name: b, record: REC}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: b}}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 3);
	ck_assert_int_eq(recs[find("end", "a", 1)].result, -1);
	ck_assert_int_eq(recs[find("end", "a", 2)].result, -1);
	ck_assert_int_eq(recs[find("end", "a", 3)].result, 0);
	ck_assert_int_eq(count("start", "b"), 1);
	assert_before("a", "b");
}
END_TEST

/* Virtual time (run/clock.h): the scheduler's timers fire in order, at
 * their exact due times, and a test of seconds takes none. */
static int run_virtual(const char *yaml, double converged_timeout)
{
	struct sched_opts o = { .workers = 2,
				.converged_timeout = converged_timeout,
				.virtual_time = true };

	return run_graph_opts(yaml, o);
}

/* Virtual nanoseconds from the end (or start) of one run to the start of
 * the next: exactly the timer's interval. */
static long long gap(const char *from, const char *name, int run)
{
	return recs[find("start", name, run + 1)].ns -
	       recs[find(from, name, run)].ns;
}

START_TEST(delay_spaces_retries)
{
	ck_assert_int_eq(
		run_virtual(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, fail: 2, meta: {retry: 2, delay: 10000}}\n",
			0),
		0);
	ck_assert_int_eq(count("start", "a"), 3);
	/* each retry waits meta.delay (10 s) after the failure, no more */
	for (int run = 1; run <= 2; run++)
		ck_assert_int_eq(gap("end", "a", run), 10000000000LL);
}
END_TEST

START_TEST(retries_used_up)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, fail: 5, meta: {retry: 2, delay: 1}}\n"),
		1);
	ck_assert_int_eq(count("start", "a"), 3);
}
END_TEST

START_TEST(retry_forever)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, fail: 4, meta: {retry: -1}}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 5);
}
END_TEST

START_TEST(events_during_run_coalesce)
{
	ck_assert_int_eq(
		run_graph("resources:\n"
			  "  test:\n"
			  "  - {name: a, record: REC, dirty_during_run: 5}\n"),
		0);
	/* five events while running: exactly one re-run */
	ck_assert_int_eq(count("start", "a"), 2);
	ck_assert_int_lt(find("end", "a", 1), find("start", "a", 2));
}
END_TEST

START_TEST(rerun_does_not_rerun_clean_children)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, reruns: 2}\n"
			"  - {name: b, record: REC}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: b}}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 3);
	/* b waited for a to settle, and ran once */
	ck_assert_int_eq(count("start", "b"), 1);
	assert_before("a", "b");
}
END_TEST

START_TEST(run_when_reached_follows_parent)
{
	/* s pokes a in its first two runs; a runs again each time and
	 * changes something, and the stateless s after it runs each time,
	 * while the plain p after a runs once. */
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, changes: 100}\n"
			"  - {name: s, record: REC, stateless: true, poke: a, poke_runs: 2}\n"
			"  - {name: p, record: REC}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: s}}\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: p}}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 3);
	ck_assert_int_eq(count("start", "s"), 3);
	ck_assert_int_eq(count("start", "p"), 1);
	/* each run of s follows a run of a */
	for (int run = 1; run <= 3; run++)
		ck_assert_int_lt(find("end", "a", run),
				 find("start", "s", run));
}
END_TEST

START_TEST(refresh_survives_a_retry)
{
	/* b gets a refresh, fails its first run, and its retry still sees
	 * the refresh: a refresh is delivered to a run that succeeds */
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, changes: 1}\n"
			"  - {name: b, record: REC, fail: 1, meta: {retry: 1, delay: 10}}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: b}, notify: true}\n"),
		0);
	ck_assert_int_eq(count("start", "b"), 2);
	ck_assert_int_ge(find("refreshed", "b", 1), 0);
	ck_assert_int_ge(find("refreshed", "b", 2), 0);
}
END_TEST

START_TEST(converged_parent_wakes_nobody)
{
	/* a is poked twice but finds nothing to change: s, which runs when
	 * something before it changed, runs only at the start */
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, reruns: 2}\n"
			"  - {name: s, record: REC, stateless: true}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: s}}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 3);
	ck_assert_int_eq(count("start", "s"), 1);
}
END_TEST

START_TEST(group_change_wakes_only_after_dirty_members)
{
	/* a and b group (leader a); s runs whenever b changed something, t
	 * whenever a did.  d, after a, pokes a: the group runs again for a alone and
	 * changes something.  b had no event in that run, so its check was
	 * a formality (host->member_dirty): s must not run again, t must. */
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, group: g, changes: 100}\n"
			"  - {name: b, record: REC, group: g}\n"
			"  - {name: s, record: REC, stateless: true}\n"
			"  - {name: t, record: REC, stateless: true}\n"
			"  - {name: d, record: REC, poke: a, poke_runs: 1}\n"
			"edges:\n"
			"- {from: {kind: test, name: b}, to: {kind: test, name: s}}\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: t}}\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: d}}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 2);
	ck_assert_int_eq(count("start", "t"), 2);
	ck_assert_int_eq(count("start", "s"), 1);
}
END_TEST

/* The graph of the member_result tests: a leads a group with b (leader a:
 * first by name); x comes after a, and z after x; y comes after b.  b fails
 * always.  EXTRA is the leader's extra parameters. */
#define GROUP_FAIL_YAML(EXTRA)                                                 \
	"resources:\n"                                                         \
	"  test:\n"                                                            \
	"  - {name: a, record: REC, group: g" EXTRA "}\n"                      \
	"  - {name: b, record: REC, group: g, fail: 100}\n"                    \
	"  - {name: x, record: REC}\n"                                         \
	"  - {name: y, record: REC}\n"                                         \
	"  - {name: z, record: REC}\n"                                         \
	"edges:\n"                                                             \
	"- {from: {kind: test, name: a}, to: {kind: test, name: x}}\n"         \
	"- {from: {kind: test, name: x}, to: {kind: test, name: z}}\n"         \
	"- {from: {kind: test, name: b}, to: {kind: test, name: y}}\n"

START_TEST(member_failure_holds_only_its_descendants)
{
	/* The group reports each member (host->member_result): b failed, a
	 * did not, so x and z run and only y waits. */
	ck_assert_int_eq(run_graph(GROUP_FAIL_YAML(", report: true")), 1);
	ck_assert_int_eq(count("start", "a"), 1);
	ck_assert_int_eq(recs[find("mresult", "b", 1)].result, -1);
	ck_assert_int_eq(recs[find("end", "a", 1)].result, -1);
	ck_assert_int_eq(count("start", "x"), 1);
	ck_assert_int_eq(count("start", "z"), 1);
	ck_assert_int_eq(count("start", "y"), 0);
	assert_before("a", "x");
	assert_before("x", "z");
}
END_TEST

START_TEST(unreported_group_failure_holds_every_member)
{
	/* The same group without reports: the failure is the whole
	 * group's, as before 1.3. */
	ck_assert_int_eq(run_graph(GROUP_FAIL_YAML(", fail: 100")), 1);
	ck_assert_int_eq(count("start", "a"), 1);
	ck_assert_int_eq(count("start", "x"), 0);
	ck_assert_int_eq(count("start", "z"), 0);
	ck_assert_int_eq(count("start", "y"), 0);
}
END_TEST

START_TEST(member_retry_lets_the_others_go_on)
{
	/* b fails its first run and retries 10 s later (virtual time, which
	 * moves only when nothing runs): x runs in between, and the retry
	 * checks b alone (a had no event since its good run). */
	ck_assert_int_eq(
		run_virtual(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, group: g, report: true, meta: {retry: 1, delay: 10000}}\n"
			"  - {name: b, record: REC, group: g, fail: 1}\n"
			"  - {name: x, record: REC}\n"
			"  - {name: y, record: REC}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: x}}\n"
			"- {from: {kind: test, name: b}, to: {kind: test, name: y}}\n",
			0),
		0);
	ck_assert_int_eq(count("start", "a"), 2);
	ck_assert_int_eq(count("start", "x"), 1);
	ck_assert_int_eq(count("start", "y"), 1);
	ck_assert_int_lt(find("end", "a", 1), find("start", "x", 1));
	ck_assert_int_lt(find("end", "x", 1), find("start", "a", 2));
	ck_assert_int_lt(find("end", "a", 2), find("start", "y", 1));
	/* b's second run, in the group's second; b alone was dirty */
	ck_assert_int_eq(recs[find("mresult", "b", 2)].ns, 2);
	ck_assert_int_eq(recs[find("mresult", "b", 2)].result, 0);
	ck_assert_int_eq(count("mresult", "b"), 2);
}
END_TEST

START_TEST(only_a_changed_member_notifies)
{
	/* a and b group; only b changes.  Reported, only b's notify edge
	 * sends a refresh; unreported, the group's change is every
	 * member's. */
	static const char *const yaml[2] = {
		"resources:\n"
		"  test:\n"
		"  - {name: a, record: REC, group: g, report: true}\n"
		"  - {name: b, record: REC, group: g, changes: 1}\n"
		"  - {name: n, record: REC}\n"
		"  - {name: m, record: REC}\n"
		"edges:\n"
		"- {from: {kind: test, name: a}, to: {kind: test, name: n}, notify: true}\n"
		"- {from: {kind: test, name: b}, to: {kind: test, name: m}, notify: true}\n",
		"resources:\n"
		"  test:\n"
		"  - {name: a, record: REC, group: g, changes: 1}\n"
		"  - {name: b, record: REC, group: g}\n"
		"  - {name: n, record: REC}\n"
		"  - {name: m, record: REC}\n"
		"edges:\n"
		"- {from: {kind: test, name: a}, to: {kind: test, name: n}, notify: true}\n"
		"- {from: {kind: test, name: b}, to: {kind: test, name: m}, notify: true}\n",
	};

	ck_assert_int_eq(run_graph(yaml[0]), 0);
	ck_assert_int_eq(recs[find("mresult", "b", 1)].result, MGMT_CHANGED);
	ck_assert_int_eq(count("refreshed", "m"), 1);
	ck_assert_int_eq(count("refreshed", "n"), 0);
	ck_assert_int_eq(unlink(recpath), 0);
	ck_assert_int_eq(run_graph(yaml[1]), 0);
	ck_assert_int_eq(count("refreshed", "m"), 1);
	ck_assert_int_eq(count("refreshed", "n"), 1);
}
END_TEST

START_TEST(notify_sends_refresh)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, changes: 1}\n"
			"  - {name: n, record: REC}\n"
			"  - {name: p, record: REC}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: n}, notify: true}\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: p}}\n"),
		0);
	ck_assert_int_eq(count("refreshed", "n"), 1);
	ck_assert_int_eq(count("refreshed", "p"), 0);
	ck_assert_int_eq(count("start", "n"), 1);
}
END_TEST

START_TEST(pending_watch_runs_after_ready)
{
	ck_assert_int_eq(run_graph(
				 "resources:\n"
				 "  test:\n"
				 "  - {name: a, record: REC, pending: true}\n"),
			 0);
	ck_assert_int_ge(find("ready", "a", 0), 0);
	ck_assert_int_lt(find("ready", "a", 0), find("start", "a", 1));
	ck_assert_int_eq(count("start", "a"), 1);
}
END_TEST

/* A watch that says "ready" (dirty) from inside its own hook, before it
 * returns PENDING, is ready: the resource runs and the graph converges. */
START_TEST(ready_inside_pending_watch)
{
	ck_assert_int_eq(
		run_graph("resources:\n"
			  "  test:\n"
			  "  - {name: a, record: REC, ready_in_watch: true}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 1);
}
END_TEST

START_TEST(init_failure_blocks_descendants)
{
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, init_fail: true}\n"
			"  - {name: b, record: REC}\n"
			"  - {name: c, record: REC}\n"
			"edges:\n"
			"- {from: {kind: test, name: a}, to: {kind: test, name: b}}\n"),
		1);
	ck_assert_int_eq(count("start", "a"), 0);
	ck_assert_int_eq(count("start", "b"), 0);
	ck_assert_int_eq(count("start", "c"), 1);
	/* no cleanup is owed for a failed init */
	ck_assert_int_eq(count("cleanup", "a"), 0);
	ck_assert_int_eq(count("cleanup", "b"), 1);
}
END_TEST

START_TEST(noop_mode_never_applies)
{
	struct sched_opts o = { .workers = 2,
				.converged_timeout = 0,
				.noop = true };

	ck_assert_int_eq(
		run_graph_opts("resources:\n"
			       "  test:\n"
			       "  - {name: a, record: REC, changes: 1}\n",
			       o),
		0);
	ck_assert_int_eq(recs[find("start", "a", 1)].result, 0);

	/* per resource: meta noop */
	unlink(recpath);
	ck_assert_int_eq(
		run_graph("resources:\n"
			  "  test:\n"
			  "  - {name: a, record: REC, meta: {noop: true}}\n"
			  "  - {name: b, record: REC}\n"),
		0);
	ck_assert_int_eq(recs[find("start", "a", 1)].result, 0);
	ck_assert_int_eq(recs[find("start", "b", 1)].result, 1);
}
END_TEST

START_TEST(autoedges_order_resources)
{
	/* b names a by uid: a runs first */
	ck_assert_int_eq(run_graph("resources:\n"
				   "  test:\n"
				   "  - {name: b, record: REC, after: X}\n"
				   "  - {name: a, record: REC, uid: X}\n"),
			 0);
	assert_before("a", "b");

	/* meta autoedge false: no edge, so both meet at the barrier */
	unlink(recpath);
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: b, record: REC, after: X, barrier: DIR/b3, barrier_count: 2, meta: {autoedge: false}}\n"
			"  - {name: a, record: REC, uid: X, barrier: DIR/b3, barrier_count: 2}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 1);
	ck_assert_int_eq(count("start", "b"), 1);
}
END_TEST

START_TEST(autoedge_cycle_is_reported)
{
	struct graph_cfg *cfg = NULL;
	struct diag d = { 0 };

	static const char yaml[] = "resources:\n  test:\n"
				   "  - {name: a, uid: A, after: B}\n"
				   "  - {name: b, uid: B, after: A}\n";

	ck_assert_int_eq(config_load_buffer("c.yaml", yaml, strlen(yaml), &reg,
					    &cfg, &d),
			 -1);
	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_msg(strstr(d.msgs[0], "graph has a cycle: test[") != NULL,
		      "%s", d.msgs[0]);
	diag_free(&d);
}
END_TEST

START_TEST(group_runs_once_for_its_members)
{
	/* a, b, c group (leader a: first by name); d does not.  c pokes b
	 * from the group's first run: the group runs again, and then only b
	 * is dirty. */
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: c, record: REC, group: g}\n"
			"  - {name: a, record: REC, group: g, poke: b, poke_runs: 1}\n"
			"  - {name: b, record: REC, group: g}\n"
			"  - {name: d, record: REC}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 2);
	ck_assert_int_eq(count("start", "b"), 0);
	ck_assert_int_eq(count("start", "c"), 0);
	ck_assert_int_eq(count("start", "d"), 1);
	/* run 1 covered b and c, both dirty (never ran) */
	for (int i = 0; i < nrecs; i++) {
		if (strcmp(recs[i].what, "member") != 0)
			continue;
		ck_assert_str_eq(recs[i].name, "a");
	}
	ck_assert_int_eq(count("member", "a"), 4);
	{
		FILE *f = fopen(recpath, "r");
		char line[256];
		int b2 = 0, c2 = 0;

		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f)) {
			b2 += strcmp(line, "member a 2 b 1\n") == 0;
			c2 += strcmp(line, "member a 2 c 0\n") == 0;
		}
		fclose(f);
		ck_assert_int_eq(b2, 1);
		ck_assert_int_eq(c2, 1);
	}
}
END_TEST

START_TEST(no_autogroup_keeps_them_apart)
{
	struct sched_opts o = { .workers = 4,
				.converged_timeout = 0,
				.no_autogroup = true };

	ck_assert_int_eq(
		run_graph_opts("resources:\n"
			       "  test:\n"
			       "  - {name: a, record: REC, group: g}\n"
			       "  - {name: b, record: REC, group: g}\n",
			       o),
		0);
	ck_assert_int_eq(count("start", "a"), 1);
	ck_assert_int_eq(count("start", "b"), 1);
	ck_assert_int_eq(count("member", "a"), 0);
}
END_TEST

/* Runs of the named resources never overlap in the record. */
static void assert_serial(const char *const *names, int n)
{
	int open = 0;

	for (int i = 0; i < nrecs; i++) {
		for (int k = 0; k < n; k++) {
			if (strcmp(recs[i].name, names[k]) != 0)
				continue;
			if (strcmp(recs[i].what, "start") == 0)
				open++;
			else if (strcmp(recs[i].what, "end") == 0)
				open--;
			ck_assert_msg(open <= 1, "%s overlapped", names[k]);
		}
	}
}

START_TEST(sema_limits_concurrency)
{
	static const char *const abc[] = { "a", "b", "c" };

	/* three independent resources that would run at once: x:1 makes
	 * them take turns */
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, sleep: 0.05, meta: {sema: [\"x:1\"]}}\n"
			"  - {name: b, record: REC, sleep: 0.05, meta: {sema: [\"x:1\"]}}\n"
			"  - {name: c, record: REC, sleep: 0.05, meta: {sema: [x]}}\n"),
		0);
	ck_assert_int_eq(count("start", "a"), 1);
	ck_assert_int_eq(count("start", "b"), 1);
	assert_serial(abc, 2); /* "x:1": a and b */

	/* x:2 lets two run together: both reach the barrier */
	unlink(recpath);
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, barrier: DIR/b4, barrier_count: 2, meta: {sema: [\"x:2\"]}}\n"
			"  - {name: b, record: REC, barrier: DIR/b4, barrier_count: 2, meta: {sema: [\"x:2\"]}}\n"),
		0);
}
END_TEST

START_TEST(sema_holds_across_a_group)
{
	static const char *const ac[] = { "a", "c" };

	/* a leads a group with b; only b names s:1, and so does c: the
	 * group holds the union, so the group and c never overlap */
	ck_assert_int_eq(
		run_graph(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, group: g, sleep: 0.05}\n"
			"  - {name: b, record: REC, group: g, meta: {sema: [\"s:1\"]}}\n"
			"  - {name: c, record: REC, sleep: 0.05, meta: {sema: [\"s:1\"]}}\n"),
		0);
	ck_assert_int_eq(count("member", "a"), 1);
	ck_assert_int_eq(count("start", "c"), 1);
	assert_serial(ac, 2);
}
END_TEST

START_TEST(poll_reruns_without_events)
{
	/* no watch events at all: only meta.poll makes it run again; the
	 * third run stops the engine */
	ck_assert_int_eq(
		run_virtual(
			"resources:\n"
			"  test:\n"
			"  - {name: p, record: REC, stop_after: 3, meta: {poll: 60}}\n",
			-1),
		0);
	ck_assert_int_eq(count("start", "p"), 3);
	/* every 60 s from the first check, exactly */
	for (int run = 1; run <= 2; run++)
		ck_assert_int_eq(gap("start", "p", run), 60000000000LL);
}
END_TEST

START_TEST(poll_replaces_the_watch)
{
	/* As in mgmt, meta.poll replaces the watch: the watch hook is never
	 * called (a called one would record "ready"), yet it runs on every
	 * tick */
	ck_assert_int_eq(
		run_virtual(
			"resources:\n"
			"  test:\n"
			"  - {name: p, record: REC, pending: true, stop_after: 3, meta: {poll: 60}}\n",
			-1),
		0);
	ck_assert_int_eq(count("ready", "p"), 0);
	ck_assert_int_eq(count("start", "p"), 3);
	ck_assert_int_eq(recs[find("start", "p", 1)].ns, 0);
	for (int run = 1; run <= 2; run++)
		ck_assert_int_eq(gap("start", "p", run), 60000000000LL);
}
END_TEST

/* Lines of the record that are exactly `want` (with its newline). */
static int rec_lines(const char *want)
{
	FILE *f = fopen(recpath, "r");
	char line[256];
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strcmp(line, want) == 0;
	fclose(f);
	return n;
}

START_TEST(poll_per_member_of_a_group)
{
	static const long long at_s[] = { 0, 2, 4, 5, 6 };
	static const int b_dirty[] = { 1, 1, 1, 0, 1 };

	/* One group: a leads with poll 5, b polls every 2 s, c is watched.
	 * Each member keeps its own interval: the group runs at b's ticks
	 * (2, 4, 6) and at a's (5), and only the member whose tick came is
	 * dirty (c only at the start).  Neither polled member is watched;
	 * c is. */
	ck_assert_int_eq(
		run_virtual(
			"resources:\n"
			"  test:\n"
			"  - {name: a, record: REC, group: g, pending: true, stop_after: 5, meta: {poll: 5}}\n"
			"  - {name: b, record: REC, group: g, pending: true, meta: {poll: 2}}\n"
			"  - {name: c, record: REC, group: g}\n",
			-1),
		0);
	ck_assert_int_eq(count("ready", "a"), 0);
	ck_assert_int_eq(count("ready", "b"), 0);
	ck_assert_int_eq(count("start", "a"), 5);
	for (int run = 1; run <= 5; run++) {
		char want[64];

		ck_assert_int_eq(recs[find("start", "a", run)].ns,
				 at_s[run - 1] * 1000000000LL);
		snprintf(want, sizeof(want), "member a %d b %d\n", run,
			 b_dirty[run - 1]);
		ck_assert_msg(rec_lines(want) == 1, "no line %s", want);
		snprintf(want, sizeof(want), "member a %d c %d\n", run,
			 run == 1);
		ck_assert_msg(rec_lines(want) == 1, "no line %s", want);
	}
}
END_TEST

START_TEST(limit_spaces_runs)
{
	/* six runs of a flapping resource at 20 per second, burst 1: the
	 * engine starts each 50 ms after the one before */
	ck_assert_int_eq(
		run_virtual(
			"resources:\n"
			"  test:\n"
			"  - {name: f, record: REC, reruns: 5, meta: {limit: 20, burst: 1}}\n",
			0),
		0);
	ck_assert_int_eq(count("start", "f"), 6);
	for (int run = 1; run <= 5; run++)
		ck_assert_int_eq(gap("start", "f", run), 50000000LL);
}
END_TEST

START_TEST(retry_delay_in_order)
{
	/* two resources retrying with different delays: the shorter retries
	 * first, whatever order they failed in */
	ck_assert_int_eq(
		run_virtual(
			"resources:\n"
			"  test:\n"
			"  - {name: slow, record: REC, fail: 1, meta: {retry: 1, delay: 3000, autogroup: false}}\n"
			"  - {name: fast, record: REC, fail: 1, meta: {retry: 1, delay: 1000, autogroup: false}}\n",
			0),
		0);
	ck_assert_int_eq(gap("end", "slow", 1), 3000000000LL);
	ck_assert_int_eq(gap("end", "fast", 1), 1000000000LL);
	ck_assert_int_lt(find("start", "fast", 2), find("start", "slow", 2));
}
END_TEST

/* A random DAG of 1,000 vertices and 2,000 edges (edges go from lower to
 * higher numbers): every edge's order holds in the record. */
START_TEST(random_dag_order)
{
	static char yaml[1 << 19];
	int n = 1000, m = 2000, len = 0;
	unsigned seed = 12345;
	int ef[2000], et[2000];

	len += sprintf(yaml + len, "resources:\n  test:\n");
	for (int i = 0; i < n; i++)
		len += sprintf(yaml + len, "  - {name: v%d, record: REC}\n", i);
	len += sprintf(yaml + len, "edges:\n");
	for (int e = 0; e < m; e++) {
		int a = (int)(rand_r(&seed) % (unsigned)n);
		int b = (int)(rand_r(&seed) % (unsigned)n);

		if (a == b)
			b = (a + 1) % n;
		if (a > b) {
			int t = a;

			a = b;
			b = t;
		}
		ef[e] = a;
		et[e] = b;
		len += sprintf(
			yaml + len,
			"- {from: {kind: test, name: v%d}, to: {kind: test, name: v%d}}\n",
			a, b);
		ck_assert_int_lt(len, (int)sizeof(yaml) - 200);
	}
	ck_assert_int_eq(run_graph(yaml), 0);
	for (int e = 0; e < m; e++) {
		char a[16], b[16];

		snprintf(a, sizeof(a), "v%d", ef[e]);
		snprintf(b, sizeof(b), "v%d", et[e]);
		ck_assert_int_lt(find("end", a, 1), find("start", b, 1));
	}
	for (int i = 0; i < n; i++) {
		char a[16];

		snprintf(a, sizeof(a), "v%d", i);
		ck_assert_int_eq(count("start", a), 1);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("sched");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, chain_runs_in_order);
	tcase_add_test(tc, independent_run_in_parallel);
	tcase_add_test(tc, diamond_joins_after_both);
	tcase_add_test(tc, failure_blocks_only_descendants);
	tcase_add_test(tc, retry_then_succeed);
	tcase_add_test(tc, retries_used_up);
	tcase_add_test(tc, delay_spaces_retries);
	tcase_add_test(tc, retry_forever);
	tcase_add_test(tc, events_during_run_coalesce);
	tcase_add_test(tc, rerun_does_not_rerun_clean_children);
	tcase_add_test(tc, run_when_reached_follows_parent);
	tcase_add_test(tc, group_change_wakes_only_after_dirty_members);
	tcase_add_test(tc, notify_sends_refresh);
	tcase_add_test(tc, converged_parent_wakes_nobody);
	tcase_add_test(tc, refresh_survives_a_retry);
	tcase_add_test(tc, pending_watch_runs_after_ready);
	tcase_add_test(tc, ready_inside_pending_watch);
	tcase_add_test(tc, init_failure_blocks_descendants);
	tcase_add_test(tc, noop_mode_never_applies);
	tcase_add_test(tc, random_dag_order);
	tcase_add_test(tc, autoedges_order_resources);
	tcase_add_test(tc, autoedge_cycle_is_reported);
	tcase_add_test(tc, group_runs_once_for_its_members);
	tcase_add_test(tc, member_failure_holds_only_its_descendants);
	tcase_add_test(tc, unreported_group_failure_holds_every_member);
	tcase_add_test(tc, member_retry_lets_the_others_go_on);
	tcase_add_test(tc, only_a_changed_member_notifies);
	tcase_add_test(tc, no_autogroup_keeps_them_apart);
	tcase_add_test(tc, sema_limits_concurrency);
	tcase_add_test(tc, sema_holds_across_a_group);
	tcase_add_test(tc, poll_reruns_without_events);
	tcase_add_test(tc, poll_replaces_the_watch);
	tcase_add_test(tc, poll_per_member_of_a_group);
	tcase_add_test(tc, limit_spaces_runs);
	tcase_add_test(tc, retry_delay_in_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(suite());
}

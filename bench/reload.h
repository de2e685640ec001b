/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reload.h - what the parts of bench/reload share: reload.c builds the
 * graphs, drives the edits and writes the report; reload-log.c runs the
 * engine and follows its log, classifying each line (check_apply,
 * `reload:`, `converged`, error) as the engine writes it.
 */
#ifndef BENCH_RELOAD_H
#define BENCH_RELOAD_H

#include <stdbool.h>
#include <sys/types.h>

/* Timeouts, in seconds.  Creating 10k files one fsync'd directory at a
 * time takes several seconds on this kind of machine; a reload should
 * take milliseconds, so 30 s means it did not happen. */
#define T_CREATE 600.0
#define T_RELOAD 30.0
#define T_STOP 30.0

double now(void);
/* The scratch directory fail() removes (and rm_scratch() at the end). */
void set_scratch(const char *dir);
void rm_scratch(void);
/* Print why and the tail of the engine's current log, stop the engine,
 * remove the scratch directory, exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...);

/* Start the engine, stdout and stderr to `log` (truncated first). */
void spawn(char *const argv[], const char *log);
/* Reap it within `timeout` s (SIGTERM first if `term`); its exit status,
 * or 128 + signal. */
int reap(bool term, double timeout);

/* Follows the engine's log as it is written: inotify wakes us on each
 * write, so a line is seen well under a millisecond after it is logged. */
struct tail {
	int fd, ifd;
	char buf[1 << 16];
	size_t len;
	char line[4200];
	double seen; /* when `line` was read, monotonic */
};

void tail_open(struct tail *t, const char *log);
void tail_close(struct tail *t);

/* What a log line is: "TIME LEVEL Kind[name]: msg" or "TIME LEVEL msg".
 * L_APPLY and L_CHANGED are finished check_applys (debug `converged`,
 * info `changed` or `would change (noop)`). */
enum kind {
	L_OTHER,
	L_APPLY,
	L_CHANGED,
	L_CONVERGED,
	L_RELOAD,
	L_ERROR
};

/* `msg`: the line after its time and level. */
enum kind classify(const char *line, const char **msg);

#define MAX_WHO 4
struct count {
	long applies, changed;
	/* The distinct resources that ran, "Kind[name]", as far as MAX_WHO;
	 * `nwho` goes on counting (an upper bound past MAX_WHO). */
	char who[MAX_WHO][64];
	long nwho;
};

/* Read lines until one of kind `want`, counting check_apply lines into
 * `c`; when it was seen (t->line holds it).  fail()s after `timeout` s,
 * if the engine exits, or on a line logged at error level. */
double wait_for(struct tail *t, enum kind want, struct count *c, double timeout,
		const char *what);
/* Count what is logged in the next `secs` s; when the last `converged`
 * line among it was seen (`last` if none). */
double settle(struct tail *t, struct count *c, double secs, double last);

#endif /* BENCH_RELOAD_H */

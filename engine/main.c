/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c - entry point of mgmt-engine: the last line of a crash, then
 * cli.c for everything else.
 *
 * Plugins run inside the engine, and one that faults in a constructor or
 * its init used to kill it without a word.  A handler for the fatal
 * signals writes one line naming the plugin file being loaded (the loader
 * publishes it), or a plain one, and lets the signal kill the process as
 * before: the exit status, the core dump and a supervisor's view of the
 * crash stay the same.  It only calls write(2), sigaction and raise, which
 * are async-signal-safe, and runs on its own stack so that a stack
 * overflow can still be reported.  A handler installed before main (a
 * sanitizer's, which prints a whole report) is left in place.
 */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "loader/loader.h"

static const struct {
	int sig;
	const char *name;
} fatal_signals[] = {
	{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" },   { SIGILL, "SIGILL" },
	{ SIGFPE, "SIGFPE" },   { SIGABRT, "SIGABRT" },
};

/* Big enough for the handler and whatever a C library needs around it,
 * whatever MINSIGSTKSZ this CPU's register state asks for. */
static char alt_stack[64 * 1024];

struct out {
	char buf[PATH_MAX + 128];
	size_t n;
};

/* Append `s`, with control characters as '?' (a path can hold any byte). */
static void put(struct out *o, const char *s)
{
	for (; *s && o->n < sizeof(o->buf) - 1; s++) {
		unsigned char c = (unsigned char)*s;

		o->buf[o->n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
}

static void put_uint(struct out *o, unsigned v)
{
	char d[12];
	size_t i = sizeof(d);

	d[--i] = '\0';
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	put(o, d + i);
}

static void on_fatal(int sig)
{
	const char *phase = NULL, *path = loader_busy_with(&phase);
	struct out o = { .n = 0 };

	put(&o, "mgmt-engine: fatal signal ");
	put_uint(&o, (unsigned)sig);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]);
	     i++) {
		if (fatal_signals[i].sig == sig) {
			put(&o, " (");
			put(&o, fatal_signals[i].name);
			put(&o, ")");
		}
	}
	if (path) {
		put(&o, " while ");
		put(&o, phase);
		put(&o, " plugin ");
		put(&o, path);
		put(&o, "; move that file out of the plugins directory to "
			"start without it");
	}
	o.buf[o.n++] = '\n';
	/* Nothing can be done about a failed write here. */
	if (write(STDERR_FILENO, o.buf, o.n) < 0)
		o.n = 0;
	/* SA_RESETHAND restored the default action; the signal is blocked
	 * until we return, and then kills us (for a fault, before the
	 * faulting instruction runs again). */
	raise(sig);
}

static void install_fatal_handler(void)
{
	struct sigaction sa;
	stack_t ss;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]);
	     i++) {
		struct sigaction old;

		if (sigaction(fatal_signals[i].sig, NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL)
			sigaction(fatal_signals[i].sig, &sa, NULL);
	}
	/* Keep a sanitizer's alternate stack, if it set one up. */
	if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE)) {
		ss.ss_sp = alt_stack;
		ss.ss_size = sizeof(alt_stack);
		ss.ss_flags = 0;
		sigaltstack(&ss, NULL);
	}
}

int main(int argc, char **argv)
{
	install_fatal_handler();
	return cli_main(argc, argv);
}

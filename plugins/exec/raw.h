/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * raw.h - system calls for the code spawn.c runs between clone and execve,
 * and for the waiter, which shares the engine's memory without being one of
 * its threads.
 *
 * Why not libc.  syscall(2) stores a failure in errno, and errno lives in
 * the thread-local storage of the thread that called clone: a child started
 * with CLONE_VM keeps that thread's thread pointer, so its errno *is* the
 * worker's, while the worker runs on.  A waiter whose close_range failed
 * would change the errno a worker had just read.  raw_syscall returns
 * -errno and writes no memory but what the call itself writes.
 *
 * Why clone3 by hand.  glibc wraps only the old clone system call, and a
 * child that shares memory cannot return from the system call into C (it
 * would return into its parent's frames on a stack it does not have).
 * raw_clone3 therefore calls fn(arg) on the child's new stack itself, and
 * exits with its result.  clone3, not the old clone: where clone3 is
 * refused it says so with ENOSYS or EPERM (valgrind, seccomp profiles,
 * Linux before 5.3), and spawn.c falls back to a forked waiter; valgrind
 * aborts the whole program on the old clone with CLONE_VM but without a
 * thread's flags.
 *
 * Only x86-64 has the assembly so far (RAW_HAVE_VM); elsewhere the waiter is
 * always forked, and raw_syscall is syscall(2) made to return -errno (safe
 * there: a forked waiter has its own errno, and a command between a
 * vfork-style clone and execve runs while its parent is suspended).
 */
#ifndef PLUGINS_EXEC_RAW_H
#define PLUGINS_EXEC_RAW_H

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Code that runs in a child between clone and execve, or in the waiter:
 * sanitizers' run-time state belongs to the engine's threads. */
#define CHILD_CODE                                                             \
	__attribute__((no_sanitize_address, no_sanitize_undefined,             \
		       no_sanitize_thread))

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* The kernel's struct clone_args as of clone3's first version. */
struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls;
};

#if defined(__x86_64__)
#define RAW_HAVE_VM 1

CHILD_CODE static inline long raw_syscall(long n, long a, long b, long c,
					  long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Start a child as clone3 with `ca` does (give it a stack when CLONE_VM),
 * and run fn(arg) there; the child exits with what fn returns.  Returns the
 * child's pid or -errno, in the parent only. */
CHILD_CODE static inline long raw_clone3(struct clone_args_v0 *ca,
					 int (*fn)(void *), void *arg)
{
	long ret;

	/* The kernel keeps every register but rax, rcx and r11 in the child,
	 * so fn and arg are still where the compiler put them; the new stack
	 * is 16-byte aligned, as a call site must be. */
	__asm__ volatile("syscall\n\t"
			 "testq %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "movq %[arg], %%rdi\n\t"
			 "callq *%[fn]\n\t"
			 "movl %%eax, %%edi\n\t"
			 "movl %[nr_exit], %%eax\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone3), "D"(ca), "S"(sizeof(*ca)),
			   [fn] "r"(fn), [arg] "r"(arg), [nr_exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}
#else
#define RAW_HAVE_VM 0

CHILD_CODE static inline long raw_syscall(long n, long a, long b, long c,
					  long d)
{
	long r = syscall(n, a, b, c, d);

	return r < 0 ? -errno : r;
}
#endif

#define raw0(n) raw_syscall((n), 0, 0, 0, 0)
#define raw1(n, a) raw_syscall((n), (long)(a), 0, 0, 0)
#define raw2(n, a, b) raw_syscall((n), (long)(a), (long)(b), 0, 0)
#define raw3(n, a, b, c) raw_syscall((n), (long)(a), (long)(b), (long)(c), 0)
#define raw4(n, a, b, c, d)                                                    \
	raw_syscall((n), (long)(a), (long)(b), (long)(c), (long)(d))

#endif /* PLUGINS_EXEC_RAW_H */

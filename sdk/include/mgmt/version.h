/* SPDX-License-Identifier: MIT */
/*
 * mgmt/version.h - the ABI version of the mgmt-engine plugin SDK.
 *
 * ABI policy
 * ----------
 * - Every growable struct of the SDK starts with three fields that never move:
 *   abi_major, abi_minor and size (the size of the struct as the side that
 *   filled it in was compiled).  The engine reads only what fits in `size`.
 * - Structs grow at the end only.  A new optional hook or service is NULL /
 *   absent for code built against an older minor; check `size` (see
 *   MGMT_HAS_MEMBER) before using a member added after 1.0.
 * - Adding something is a minor bump (MGMT_ABI_MINOR + 1).  Changing or
 *   removing anything is a major bump, and the engine refuses plugins built
 *   for another major.  A plugin built for a newer minor than the engine is
 *   refused too (it may rely on what the engine lacks); an older minor loads.
 * - A change under sdk/include/ updates this header in the same commit: the
 *   version numbers and the changelog below.
 *
 * Changelog
 * ---------
 * Dated when the version was defined.  No mgmt-engine release has shipped
 * yet, so every version is still marked unreleased.
 *
 * 1.0 (2026-11-25, unreleased)  first public ABI: descriptor, kind,
 *                   parameter schema, host services table.
 * 1.1 (2026-11-25, unreleased)  host->member_dirty, for grouped
 *                   check_apply; kind->group_key, to spare group_cmp calls;
 *                   host->stop_fd, to cut long check_apply short at
 *                   shutdown and at every reload (a run it cut short for a
 *                   reload runs again in the new graph).
 * 1.2 (2026-11-25, unreleased)  the autoedge callback with a NULL uid
 *                   counts the resources of a kind; kind->collect may
 *                   replace its resource's string, list and map
 *                   parameters; host->dirty called from inside the watch
 *                   hook, before it returns MGMT_WATCH_PENDING, tells the
 *                   engine the watch is ready (before, that call was lost
 *                   and the resource waited for another event).
 * 1.3 (unreleased)  host->stop_fd called from check_apply is that run's own
 *                   stop signal: a reload fires it only for runs covering a
 *                   changed or removed resource (1.1 and 1.2 fired one
 *                   engine-wide fd on every reload and at shutdown);
 *                   host->abort_fd, for a second SIGINT/SIGTERM; two
 *                   resources of one kind with equal uids are a compile
 *                   error; kind->group never runs beside a check_apply of
 *                   the group's members (after a reload it waits for
 *                   their runs to end).  The headers are laid out
 *                   by clang-format (whitespace only).  host->log_at:
 *                   a line with its source location (the journal's
 *                   CODE_FILE/LINE/FUNC), which mgmt_error..mgmt_debug
 *                   use when the engine has it.  The loop-only
 *                   services (watch_*, unwatch, set_flags, invalid)
 *                   refuse a call from a worker thread (EPERM and a
 *                   line); a resource's watches are stopped before its
 *                   cleanup and may be unwatched there; state_dir's
 *                   string is stable.  kind->group_reset, so that
 *                   per-group state has a defined life across reloads.
 *                   The headers are C++ too (extern "C";
 *                   MGMT_PLUGIN_DEFINE gives the descriptor C linkage;
 *                   MGMT_PARAM_END casts its type) and each
 *                   compiles on its own (version.h includes <stddef.h>).
 *                   MGMT_TARGET_ABI_MINOR: stamp an older minor, for a
 *                   plugin that older engines load (compile time only;
 *                   no layout changes).  host->member_result: a
 *                   grouped check_apply reports each member's result, so
 *                   that only a failed member holds back what comes
 *                   after it and only a changed one notifies.  A
 *                   resource with meta.poll > 0 is polled instead of
 *                   watched, as in mgmt: its kind's watch hook is not
 *                   called for it.  The cluster's key-value space
 *                   (run --etcd): host->watch_kv (with MGMT_KV_PREFIX
 *                   and mgmt_kv_cb), host->kv_get from the engine's
 *                   cache, host->kv_put from a worker.
 *                   kind->flags, MGMT_KIND_SYSTEM: a kind whose
 *                   resources run commands or change the system's state,
 *                   which a graph collects from etcd only with an
 *                   explicit `system: true`.
 */
#ifndef MGMT_VERSION_H
#define MGMT_VERSION_H

#include <stddef.h> /* offsetof, for MGMT_HAS_MEMBER */

#ifdef __cplusplus
extern "C" {
#endif

#define MGMT_ABI_MAJOR 1
#define MGMT_ABI_MINOR 3

/*
 * The ABI minor this plugin is built for, which MGMT_PLUGIN_DEFINE and
 * MGMT_KIND_HEADER stamp into the descriptor and each kind: by default
 * MGMT_ABI_MINOR, these headers' own.  Define it to an older minor N, before
 * the first SDK header is included (or with -DMGMT_TARGET_ABI_MINOR=N), and
 * the plugin loads on every engine of ABI 1.N and later instead of only on
 * those of 1.MGMT_ABI_MINOR and later.  The headers still declare everything
 * up to MGMT_ABI_MINOR, so the plugin must then itself stay within 1.N:
 * check MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, x) && mgmt_host->x
 * before calling a host service newer than 1.N, read mgmt_host->abi_minor
 * before relying on a behaviour newer than 1.N, and fill kind members newer
 * than 1.N only with optional hooks that an older engine may ignore (it
 * reads only the part of the struct it knows).  mgmt_error..mgmt_debug
 * already fall back to host->log where host->log_at (1.3) is absent.  SDKs
 * before 1.3 ignore this macro.  Since 1.3.
 */
#ifndef MGMT_TARGET_ABI_MINOR
#define MGMT_TARGET_ABI_MINOR MGMT_ABI_MINOR
#elif MGMT_TARGET_ABI_MINOR > MGMT_ABI_MINOR
#error "MGMT_TARGET_ABI_MINOR is newer than this SDK: at most MGMT_ABI_MINOR"
#elif MGMT_TARGET_ABI_MINOR < 0
#error "MGMT_TARGET_ABI_MINOR is negative: the oldest minor is 0"
#endif

/* Is `member` of the struct at `ptr` (which carries a `size` field) inside
 * the part that its filler knew about?  Use before reading a member added in
 * a later minor.  Since 1.0. */
#define MGMT_HAS_MEMBER(ptr, type, member)                                     \
	((ptr)->size >= offsetof(type, member) + sizeof(((type *)0)->member))

#ifdef __cplusplus
}
#endif

#endif /* MGMT_VERSION_H */

/* SPDX-License-Identifier: MIT */
/*
 * mgmt/plugin.h - the plugin descriptor and the kind a plugin defines.
 *
 * A plugin is a shared object NAME.so in a plugins directory.  It exports
 * exactly one symbol, `mgmt_plugin_descriptor`, written by MGMT_PLUGIN_DEFINE
 * (build with -fvisibility=hidden so nothing else leaks).  The descriptor
 * lists the kinds (resource types) the plugin defines.
 *
 * Smallest complete plugin:
 *
 *     #include <mgmt/mgmt.h>
 *
 *     struct hello { char *greeting; };          // per-resource struct
 *
 *     static const struct mgmt_param hello_params[] = {
 *         MGMT_PARAM(struct hello, greeting, MGMT_PARAM_STRING, "hi", 0,
 *                    "what to say"),
 *         MGMT_PARAM_END,
 *     };
 *
 *     static int hello_check_apply(mgmt_res *res, void *p, bool apply)
 *     {
 *         struct hello *h = p;
 *         if (apply)
 *             mgmt_info(res, "%s", h->greeting);
 *         return MGMT_CONVERGED;
 *     }
 *
 *     static const struct mgmt_kind hello_kind = {
 *         MGMT_KIND_HEADER,
 *         .name = "hello",
 *         .params = hello_params,
 *         .params_size = sizeof(struct hello),
 *         .check_apply = hello_check_apply,
 *     };
 *     static const struct mgmt_kind *const kinds[] = { &hello_kind, NULL };
 *     MGMT_PLUGIN_DEFINE("hello", "1.0", "says hello", kinds, NULL, NULL);
 *
 * Life of a resource.  Every hook but check_apply runs on the loop thread;
 * check_apply runs on a worker, never twice at once for one resource:
 *   compile, for every command that reads a graph (validate, graph, run,
 *   and each reload):
 *     parse (engine) -> validate -> uid -> autoedges
 *   plan, for graph and run: group_key -> group_cmp (which resources may
 *     share a vertex), then group_reset -> group (the leader hears of each
 *     other member): for graph at once, for run when the vertex may start
 *   run only: init -> watch -> check_apply (again after each event) ...
 *     cleanup
 * `validate` calls nothing after autoedges; `graph` never calls init,
 * watch, check_apply or cleanup.  cleanup runs only after an init that
 * succeeded
 * (a failed init gets no cleanup: free what it took before it returns).
 * A resource a reload keeps is the same resource: no init or cleanup, but
 * group_reset and group again.  Collected resources (etcd) also go
 * through collect, between parse and validate.
 */
#ifndef MGMT_PLUGIN_H
#define MGMT_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mgmt/host.h>
#include <mgmt/params.h>
#include <mgmt/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MGMT_EXPORT __attribute__((visibility("default")))
#define MGMT_HIDDEN __attribute__((visibility("hidden")))
#else
#define MGMT_EXPORT
#define MGMT_HIDDEN
#endif

/* Results of check_apply.  Any negative value is an error.  Since 1.0. */
#define MGMT_CONVERGED 0 /* the real state already was the desired one */
#define MGMT_CHANGED 1   /* it was not; with apply it has been fixed */
#define MGMT_ERROR (-1)  /* it could not be checked or fixed (logged) */

/* Return of the watch hook: the watch becomes ready later; the plugin calls
 * host->dirty once it is.  Since 1.0. */
#define MGMT_WATCH_PENDING 1

/* Directions for the autoedge callback.  Since 1.0. */
#define MGMT_EDGE_AFTER 0  /* this resource comes after the one named */
#define MGMT_EDGE_BEFORE 1 /* this resource comes before the one named */

/*
 * Called by a kind's autoedges hook, once per resource it wants an edge with.
 * The other resource is named by kind and uid (see the uid hook).  Returns
 * how many resources matched (0: none manages that uid).  Loop thread.
 *
 * With a NULL uid it adds no edge and returns how many resources of `kind`
 * (other than this one) the graph has with a uid, so a hook can skip costly
 * work (asking a package manager for file lists) when nothing could match.
 * Since 1.2; an older engine returns 0 (check host->abi_minor).
 */
typedef int (*mgmt_autoedge_cb)(void *ctx, int direction, const char *kind,
				const char *uid);

/*
 * A kind of resource.  Every hook runs with `p`, the per-resource struct
 * (see mgmt/params.h).  Hooks that may be NULL say so.  Since 1.0.
 */
struct mgmt_kind {
	/* Never move.  Fill with MGMT_KIND_HEADER. */
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t size;

	const char *name; /* YAML key and log name, lowercase: "file" */
	const char *doc;  /* one line for `mgmt-engine plugins` */
	const struct mgmt_param *params; /* schema, MGMT_PARAM_END-terminated */
	size_t params_size;              /* bytes of the per-resource struct */

	/* Reject impossible combinations of parameters, reporting each with
	 * host->invalid.  Return 0, or -1 when anything is invalid.  May read
	 * the machine (look up a user name) but must not change it: validate
	 * runs for `mgmt-engine validate` too.  Loop thread.  May be NULL. */
	int (*validate)(mgmt_res *res, void *p);

	/* Allocate per-resource runtime state (in `p` after the parameters,
	 * or elsewhere).  Return 0, or <0 after logging why (the resource then
	 * fails).  Loop thread.  May be NULL. */
	int (*init)(mgmt_res *res, void *p);

	/* Free what init and watch allocated.  Watches registered for `res`
	 * are removed by the engine.  Loop thread.  May be NULL. */
	void (*cleanup)(mgmt_res *res, void *p);

	/* Register event sources (host->watch_*), and call host->dirty when
	 * the real state may have moved.  Must not block.  Return 0 when the
	 * watch is in place, MGMT_WATCH_PENDING when it becomes ready later
	 * (the resource will not run before the first host->dirty), or <0
	 * after logging why.  Loop thread.  May be NULL (no events: only
	 * refreshes and meta.poll make the resource run again).  Not called
	 * for a resource with meta.poll > 0: as in mgmt, its poll ticks
	 * replace the watch (since 1.3; before, it was watched and polled),
	 * so check_apply must not need anything the watch hook sets up. */
	int (*watch)(mgmt_res *res, void *p);

	/* Compare the real state with the desired one; when `apply`, fix it.
	 * Return MGMT_CONVERGED, MGMT_CHANGED or <0 (log why first).  With
	 * apply false (noop mode) it only reports, returning MGMT_CHANGED for
	 * "would change".  Must be idempotent.  May block.  Worker thread;
	 * never runs twice at once for one resource.  Required.
	 *
	 * Grouped: when the engine grouped resources (group_cmp/group), only
	 * the leader's check_apply runs, once for the whole group.  It must
	 * handle every member of host->group_members (leader first), each
	 * with its own parameters; host->member_dirty and host->refreshed
	 * say which members had events or refreshes, so it may skip members
	 * that cannot have moved.  It returns MGMT_CHANGED if it changed any
	 * member, an error if any member failed (logging one line for each,
	 * by that member's handle, after still trying the others), else
	 * MGMT_CONVERGED.  Since 1.3 it may also report each member's own
	 * result (host->member_result, mgmt_member_result): then a failed
	 * member holds back only the resources after it, not those after
	 * the members that succeeded. */
	int (*check_apply)(mgmt_res *res, void *p, bool apply);

	/* Same desired state?  Used by reload to keep unchanged resources.
	 * Loop thread.  May be NULL: the engine compares the schema fields. */
	bool (*cmp)(const void *a, const void *b);

	/* May resource `other` join the group led by `leader`?  Both are of
	 * this kind and have meta.autogroup; the engine has already checked
	 * that no path joins them.  A pure comparison of parameters, called
	 * for many pairs.  Loop thread.  May be NULL (the kind never groups). */
	bool (*group_cmp)(mgmt_res *leader, void *lp, mgmt_res *other,
			  void *op);

	/* `member` joined the group of `leader` (group_cmp accepted it);
	 * from then on check_apply of the leader handles every member
	 * (host->group_members).  For per-group state.  Return 0; a negative
	 * return is logged as an engine error and the member stays in the
	 * group, so do not refuse here what group_cmp accepted.  Called when
	 * the group is about to start: before init of its new members, at
	 * start-up and for each group of a graph a reload swaps in (again
	 * for a group the reload kept) -- but never while a check_apply of
	 * the leader or of a member runs: a group whose members still run in
	 * the graph before waits for those runs to end.  Loop thread.  May
	 * be NULL. */
	int (*group)(mgmt_res *leader, void *lp, mgmt_res *member, void *mp);

	/* The key other resources' autoedges use to name this one (a file's
	 * path, a unit's name), and what it manages on the machine: two
	 * resources of one kind with equal uids are a compile error naming
	 * both (since 1.3), and a collected resource with the uid of one
	 * already in the graph is skipped.  So normalise: things that are
	 * one thing on the machine must have one uid (the file kind's never
	 * ends in '/', so a file and a directory at one path collide), and
	 * autoedges hooks must name uids the same way.  Called only for
	 * resources that passed validate.  The string is the plugin's; the
	 * engine copies it before it calls this hook again.  Loop thread.
	 * May be NULL (never matched, never in conflict). */
	const char *(*uid)(mgmt_res *res, void *p);

	/* Name the resources this one comes after or before, by calling
	 * `add(ctx, MGMT_EDGE_AFTER or MGMT_EDGE_BEFORE, kind, uid)`.  Only
	 * called when meta.autoedge is true.  Loop thread.  May be NULL. */
	void (*autoedges)(mgmt_res *res, void *p, mgmt_autoedge_cb add,
			  void *ctx);

	/* Adapt a resource collected from another host to this one (a file's
	 * path rebased into `pattern`).  Return 0 or <0 to skip it.  Loop
	 * thread.  May be NULL (collected resources are taken as they are).
	 * It may replace string, list and map values of its parameters:
	 * free(3) the old value and store one from malloc(3); the engine
	 * frees them with free(3). */
	int (*collect)(mgmt_res *res, void *p, const char *pattern);

	/* A key such that group_cmp can only accept two resources whose keys
	 * are equal (a file's directory): point *key at it (owned by the
	 * plugin, valid while the resource lives) and return its length.
	 * Only a hint, to spare group_cmp calls in big graphs: the engine
	 * then compares only resources of equal keys.  Loop thread.  May be
	 * NULL.  Since 1.1. */
	size_t (*group_key)(mgmt_res *res, void *p, const char **key);

	/* Forget any group `res` led.  Called on every resource of the kind,
	 * grouped or not, each time it starts in a graph: at start-up, and
	 * for every resource of a graph a reload swaps in, the kept ones
	 * too; then, if `res` leads a group, group follows for each other
	 * member.  So a plugin that keeps per-group state in the leader
	 * (what group told it) clears it here and rebuilds it from the group
	 * calls that follow: a reload may add or take away members, or make
	 * another member the leader (the leader is the member whose name
	 * comes first in byte order), and without this hook group is called
	 * again for the members that stayed.  Never while a check_apply of
	 * `res` or of its group runs.  Loop thread.  May be NULL.  Since
	 * 1.3. */
	void (*group_reset)(mgmt_res *res, void *p);

	/* What the kind's resources do, as MGMT_KIND_* bits; 0 for none.
	 * Since 1.3 (a kind built for an older minor reads as 0). */
	uint32_t flags;
};

/* Flags of a kind (struct mgmt_kind.flags).  Since 1.3. */
/* Its resources run commands or change the system's state (services,
 * packages, users, mounts...): a graph collects such a kind from etcd
 * only when its collect entry says `system: true` (doc/etcd.md,
 * "Trust"). */
#define MGMT_KIND_SYSTEM 0x1u

/* The version fields of a kind, first in its initialiser: the ABI is
 * MGMT_TARGET_ABI_MINOR's (mgmt/version.h).  C++: the members that follow
 * must be designated in declaration order (C++20). */
#define MGMT_KIND_HEADER                                                       \
	.abi_major = MGMT_ABI_MAJOR, .abi_minor = MGMT_TARGET_ABI_MINOR,       \
	.size = sizeof(struct mgmt_kind)

/*
 * The one symbol a plugin exports.  Write it with MGMT_PLUGIN_DEFINE.
 * Since 1.0.
 */
struct mgmt_plugin {
	/* Never move: the ABI the plugin was built for, and this struct's
	 * size as the plugin was compiled. */
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t size;

	const char *name;                     /* short name, e.g. "file" */
	const char *version;                  /* the plugin's own version */
	const char *doc;                      /* one line */
	const struct mgmt_kind *const *kinds; /* NULL-terminated */

	/* Called once after loading, before any kind is used, with the
	 * engine's services.  Return 0, or <0 after logging why: the plugin
	 * is then unloaded and its kinds are not registered.  Loop thread. */
	int (*init)(const struct mgmt_host *host);
	/* Called once before unloading.  Loop thread.  May be NULL. */
	void (*fini)(void);
};

#define MGMT_PLUGIN_SYMBOL "mgmt_plugin_descriptor"

/* The host table of this plugin, set by MGMT_PLUGIN_DEFINE before the
 * plugin's own init runs.  Hidden: each plugin has its own. */
extern MGMT_HIDDEN const struct mgmt_host *mgmt_host;

/* C++: the descriptor needs C linkage, for its name to stay unmangled and
 * for a namespace-scope const to be exported at all (C++ gives it internal
 * linkage otherwise).  mgmt_host has C linkage from its declaration above. */
#ifdef __cplusplus
#define MGMT_C_LINKAGE_ extern "C"
#else
#define MGMT_C_LINKAGE_
#endif

/*
 * Define the plugin's descriptor, stamped with MGMT_TARGET_ABI_MINOR.  Use it
 * once, at file scope (in C++ outside any namespace).  `init_` is
 * `int f(void)` or NULL, run after `mgmt_host` is set; `fini_` is
 * `void f(void)` or NULL.
 */
#define MGMT_PLUGIN_DEFINE(name_, version_, doc_, kinds_, init_, fini_)        \
	MGMT_HIDDEN const struct mgmt_host *mgmt_host;                         \
	static int mgmt_plugin_init_(const struct mgmt_host *h)                \
	{                                                                      \
		int (*f)(void) = init_;                                        \
		mgmt_host = h;                                                 \
		return f ? f() : 0;                                            \
	}                                                                      \
	MGMT_C_LINKAGE_ MGMT_EXPORT const struct mgmt_plugin                   \
		mgmt_plugin_descriptor = {                                     \
			.abi_major = MGMT_ABI_MAJOR,                           \
			.abi_minor = MGMT_TARGET_ABI_MINOR,                    \
			.size = sizeof(struct mgmt_plugin),                    \
			.name = name_,                                         \
			.version = version_,                                   \
			.doc = doc_,                                           \
			.kinds = kinds_,                                       \
			.init = mgmt_plugin_init_,                             \
			.fini = fini_,                                         \
		}

#ifdef __cplusplus
}
#endif

#endif /* MGMT_PLUGIN_H */

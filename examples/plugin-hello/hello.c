/* SPDX-License-Identifier: MIT */
/*
 * hello.c - an out-of-tree mgmt-engine plugin, meant to be copied.
 *
 * It defines one resource kind, `hello`, that logs a greeting each time the
 * engine checks it.  It changes nothing on the machine, so it is always
 * converged; what it shows is the whole shape of a plugin: a per-resource
 * struct, the parameter schema that fills it, a validate hook, check_apply,
 * and the descriptor, the one symbol the shared object exports.
 *
 * Used from a graph like this:
 *
 *     resources:
 *       hello:
 *       - name: world
 *         greeting: hello, world
 *         times: 2
 *
 * Build it against the installed SDK with the Makefile beside this file
 * (pkg-config mgmt-engine-sdk); see README.md there.  It is C++20 as well
 * (README.md, "C++").
 */
#include <inttypes.h>
#include <stddef.h>

/* The one header a plugin includes.  It brings the ABI version, the
 * descriptor and kind structs, the parameter schema and the host services
 * (mgmt_info, mgmt_invalid, ...).  A plugin never includes engine headers and
 * links against no engine symbol: the engine hands it a table of services
 * at load. */
#include <mgmt/mgmt.h>

/*
 * The per-resource struct.  The engine allocates it zero-filled
 * (.params_size bytes), parses the YAML against the schema below and stores
 * each value at its field's offset, then frees it when the resource goes.
 * Parameter values (the greeting string) belong to the engine: read them,
 * never free or modify them.  Runtime state of your own may follow the
 * parameter fields; the engine touches only what the schema names.
 */
struct hello {
	char *greeting; /* MGMT_PARAM_STRING is a char * */
	int64_t times;  /* MGMT_PARAM_INT is always an int64_t */
};

/*
 * The parameter schema: one entry per YAML key, ending with MGMT_PARAM_END.
 * Defaults are written as YAML scalar text.  The engine type-checks every
 * value and reports errors with file:line:col, and rejects keys that are not
 * listed here, so the plugin never sees YAML.  `mgmt-engine plugins` prints
 * the last column as the parameter's documentation.
 */
static const struct mgmt_param hello_params[] = {
	MGMT_PARAM(struct hello, greeting, MGMT_PARAM_STRING, "hello", 0,
		   "what to say"),
	MGMT_PARAM(struct hello, times, MGMT_PARAM_INT, "1", 0,
		   "how many times to say it per check (0: stay quiet)"),
	MGMT_PARAM_END,
};

/*
 * validate: reject what the schema's types cannot express.  It runs on the
 * loop thread for `mgmt-engine validate` too, so it must only look at the
 * parameters, never at the machine.  Report each problem with mgmt_invalid,
 * naming the parameter, so the engine can point at its line in the YAML;
 * then return -1.  The engine refuses the whole graph (exit status 2) before
 * anything runs.
 */
static int hello_validate(mgmt_res *res, void *p)
{
	/* The cast is for C++, which does not convert void * by itself: this
	 * file compiles as C++ too (g++ -x c++ -std=c++20). */
	const struct hello *h = (const struct hello *)p;
	int ret = 0;

	if (h->times < 0) {
		mgmt_invalid(res, "times", "must be 0 or more, not %" PRId64,
			     h->times);
		ret = -1;
	}
	return ret;
}

/*
 * check_apply: compare the real state with the desired one and, when `apply`
 * is true, fix it.  It runs on a worker thread and may block; the engine
 * never runs it twice at once for one resource.  It must be idempotent: it
 * runs again after every event, refresh and poll tick.
 *
 * A real kind looks like this:
 *
 *     if (real state == desired state)
 *         return MGMT_CONVERGED;
 *     if (!apply)                    // noop mode: only report
 *         return MGMT_CHANGED;       // "would change"
 *     if (fixing it failed) {
 *         mgmt_error(res, "...: %s", strerror(errno));
 *         return MGMT_ERROR;         // the engine retries per meta.retry
 *     }
 *     mgmt_info(res, "fixed ...");
 *     return MGMT_CHANGED;
 *
 * Greeting changes nothing on the machine, so this kind is always converged
 * and greets in noop mode too.  The engine prefixes each log line with the
 * time, the level and `Hello[NAME]:`, so the message is just the greeting.
 */
static int hello_check_apply(mgmt_res *res, void *p, bool apply)
{
	const struct hello *h = (const struct hello *)p;

	(void)apply;
	for (int64_t i = 0; i < h->times; i++)
		mgmt_info(res, "%s", h->greeting);
	return MGMT_CONVERGED;
}

/*
 * The kind: its name (the YAML key under `resources:`), its schema and its
 * hooks.  MGMT_KIND_HEADER fills in the ABI version and struct size the
 * engine checks.  Hooks left out are NULL and optional; only check_apply is
 * required.  See <mgmt/plugin.h> for all of them (init/cleanup, watch, cmp,
 * grouping, autoedges, collect).
 */
static const struct mgmt_kind hello_kind = {
	MGMT_KIND_HEADER,
	.name = "hello",
	.doc = "logs a greeting each time it is checked",
	.params = hello_params,
	.params_size = sizeof(struct hello),
	.validate = hello_validate,
	.check_apply = hello_check_apply,
};

/* All the kinds this plugin defines, NULL-terminated. */
static const struct mgmt_kind *const hello_kinds[] = { &hello_kind, NULL };

/*
 * The descriptor: the only symbol this shared object exports
 * (mgmt_plugin_descriptor).  Everything above is static, and the build uses
 * -fvisibility=hidden, so nothing else leaks.  The two NULLs are the
 * optional plugin-wide init (int f(void), run once after load, when
 * `mgmt_host` is set) and fini (void f(void)).
 */
MGMT_PLUGIN_DEFINE("hello", "1.0", "an example plugin: says hello", hello_kinds,
		   NULL, NULL);

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_config.c - fuzz target for the YAML front end and graph compiler.
 *
 * Any bytes are compiled as a graph file against two kinds that between
 * them take every parameter type.  The compiler must never crash, leak or
 * hang, and it must either return a graph with no error or errors with no
 * graph.  Built as a libFuzzer target by tools/fuzz (clang), and as a
 * corpus replay (corpus_main.c) that `make check` runs with the normal
 * compiler, so every input the fuzzer ever found interesting stays a test.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_file {
	char *path;
	char *content;
	int state;
	int32_t mode;
	bool force;
	int64_t size;
	int64_t timeout;
	struct mgmt_strv args;
	struct mgmt_strmap env;
};

static const char *const states[] = { "exists", "absent", NULL };

static const struct mgmt_param file_params[] = {
	MGMT_PARAM(struct fz_file, path, MGMT_PARAM_STRING, NULL,
		   MGMT_PARAM_REQUIRED, ""),
	MGMT_PARAM(struct fz_file, content, MGMT_PARAM_STRING, NULL, 0, ""),
	MGMT_PARAM_CHOICE(struct fz_file, state, states, "exists", 0, ""),
	MGMT_PARAM(struct fz_file, mode, MGMT_PARAM_MODE, NULL, 0, ""),
	MGMT_PARAM(struct fz_file, force, MGMT_PARAM_BOOL, "no", 0, ""),
	MGMT_PARAM(struct fz_file, size, MGMT_PARAM_INT, "1", 0, ""),
	MGMT_PARAM(struct fz_file, timeout, MGMT_PARAM_DURATION, NULL, 0, ""),
	MGMT_PARAM(struct fz_file, args, MGMT_PARAM_LIST, NULL, 0, ""),
	MGMT_PARAM(struct fz_file, env, MGMT_PARAM_MAP, NULL, 0, ""),
	MGMT_PARAM_END,
};

static struct kind_entry k_file = {
	.k = { MGMT_KIND_HEADER, .name = "file", .params = file_params,
	       .params_size = sizeof(struct fz_file) },
	.nparams = 9,
};
static struct kind_entry k_noop = {
	.k = { MGMT_KIND_HEADER, .name = "noop" },
};
static struct kind_entry *kinds[] = { &k_file, &k_noop };
static const struct registry reg = { .kinds = kinds, .nkinds = 2 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct graph_cfg *g = NULL;
	struct diag d = { 0 };
	int rc = config_load_buffer("fuzz.yaml", (const char *)data, size, &reg,
				    &g, &d);

	/* the all-or-nothing contract */
	if ((rc == 0) != (g != NULL) || (rc == 0) != (d.n == 0))
		abort();
	config_graph_free(g);
	diag_free(&d);
	return 0;
}

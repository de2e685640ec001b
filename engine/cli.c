/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli.c - parse the command line and run a subcommand.
 *
 * Global options come before the command; each command has its own.  Plugins
 * are loaded only by the commands that need them, so `--version` and `--help`
 * start in a few milliseconds.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cluster/cluster.h"
#include "config/config.h"
#include "loader/loader.h"
#include "util/log.h"
#include "run/host.h"
#include "run/plan.h"
#include "run/sched.h"

#define MAX_PLUGIN_DIRS 64

struct global {
	const char *dirs[MAX_PLUGIN_DIRS + 1];
	int ndirs;
};

static const char usage_text[] =
	"Usage: mgmt-engine [--plugins-dir DIR]... [--log-level L] COMMAND\n"
	"\n"
	"Commands:\n"
	"  run --yaml FILE [--converged-timeout N] [--hostname H] [--noop]\n"
	"      [--graphviz FILE.dot] [--prefix DIR] [--workers N]\n"
	"      [--no-autogroup] [--etcd URL[,URL...]] [--etcd-ttl S]\n"
	"                      apply the graph in FILE and keep it applied\n"
	"  validate FILE       compile FILE only; exit 0 or print every error\n"
	"  graph FILE [--format dot|json] [--no-autogroup]\n"
	"                      print the compiled, grouped graph; runs nothing\n"
	"  plugins             list plugins, kinds, ABI versions, parameters,\n"
	"                      and the plugins refused, with why; exit 1 if\n"
	"                      any plugin (or kind) was refused\n"
	"  --version           print the version\n"
	"  --help              print this help\n"
	"\n"
	"Global options:\n"
	"  --plugins-dir DIR   load plugins from DIR first (repeatable)\n"
	"  --log-level L       error, warn, info (default) or debug\n"
	"\n"
	"run options:\n"
	"  --converged-timeout N  exit N seconds after the graph converged\n"
	"                         (0: at once; -1, the default: run on)\n"
	"  --hostname H        this host's name (default: the system's)\n"
	"  --noop              check only: report what would change\n"
	"  --graphviz FILE     write the graph as Graphviz dot to FILE\n"
	"  --prefix DIR        state directory (default /var/lib/mgmt-engine)\n"
	"  --workers N         worker threads (default: 2 x CPUs)\n"
	"  --no-autogroup      never group resources\n"
	"  --etcd URL[,URL...] export and collect resources through this etcd\n"
	"                      cluster (its client URLs, tried in turn)\n"
	"  --etcd-ttl S        lease TTL: a host that dies loses its exports\n"
	"                      S seconds later (default 10, at least 2)\n"
	"\n"
	"Plugins are searched in each --plugins-dir, then $MGMT_ENGINE_PLUGINS_PATH\n"
	"(colon-separated), then " PLUGINDIR ".\n"
	"Exit status: 0 success, 1 a resource failed (plugins: a plugin was\n"
	"refused), 2 bad usage or invalid graph, 3 a run with\n"
	"--converged-timeout stopped by a signal before it converged.\n"
	"SIGHUP reloads the graph; SIGINT or SIGTERM stop (a second one at\n"
	"once).\n";

static int usage_error(const char *fmt, ...) MGMT_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mgmt-engine: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; see mgmt-engine --help\n", stderr);
	return EXIT_USAGE;
}

static int load_plugins(const struct global *g, struct registry *reg)
{
	struct loader_opts o;

	loader_opts_default(&o);
	o.dirs = g->dirs;
	o.host = host_table();
	if (registry_load(reg, &o) < 0) {
		log_error("out of memory loading plugins");
		return -1;
	}
	/* Where plugins were found but refused, their lines said why, and
	 * pointing to --plugins-dir would send the user the wrong way. */
	if (reg->nkinds == 0 && reg->nfiles == 0 && reg->nerrors == 0)
		log_warn("no resource kinds loaded: no plugins found; give a "
			 "plugins directory with --plugins-dir or "
			 "$MGMT_ENGINE_PLUGINS_PATH");
	else if (reg->nkinds == 0)
		log_warn("no resource kinds loaded: every plugin found was "
			 "refused (see above)");
	return 0;
}

/* Compile `file`; print every error.  Returns 0 or EXIT_USAGE. */
static int compile(const char *file, const struct registry *reg,
		   struct graph_cfg **out)
{
	struct diag d = { 0 };
	char sum[64];

	if (config_load_file(file, reg, out, &d) < 0) {
		diag_print(&d, stderr);
		fprintf(stderr, "%s: %s; nothing was changed\n", file,
			diag_summary(&d, sum, sizeof(sum)));
		diag_free(&d);
		return EXIT_USAGE;
	}
	diag_free(&d);
	return 0;
}

static bool parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && isfinite(*out);
}

static int cmd_run(struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yaml", required_argument, NULL, 'y' },
		{ "converged-timeout", required_argument, NULL, 'c' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "noop", no_argument, NULL, 'n' },
		{ "graphviz", required_argument, NULL, 'g' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "no-autogroup", no_argument, NULL, 'A' },
		{ "etcd", required_argument, NULL, 'e' },
		{ "etcd-ttl", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct sched_opts so = { .converged_timeout = -1 };
	struct cluster_opts co = { .ttl = CLUSTER_DEFAULT_TTL };
	struct cluster *cl = NULL;
	const char *yaml = NULL, *hostname = NULL, *prefix = NULL;
	struct registry reg = { 0 };
	struct graph_cfg *cfg = NULL;
	char hostbuf[HOST_NAME_MAX + 1];
	double d;
	int c, status;

	optind = 0; /* glibc: restart scanning at argv[1] */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'y':
			yaml = optarg;
			break;
		case 'c':
			if (!parse_double(optarg, &d) || (d < 0 && d != -1))
				return usage_error("--converged-timeout: '%s' "
						   "is not a number of seconds "
						   "(or -1)",
						   optarg);
			so.converged_timeout = d;
			break;
		case 'H':
			hostname = optarg;
			break;
		case 'n':
			so.noop = true;
			break;
		case 'g':
			so.graphviz = optarg;
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'w':
			if (!parse_double(optarg, &d) || d < 1 || d > 1024 ||
			    d != floor(d))
				return usage_error("--workers: '%s' is not a "
						   "count from 1 to 1024",
						   optarg);
			so.workers = (int)d;
			break;
		case 'A':
			so.no_autogroup = true;
			break;
		case 'e':
			co.endpoints = optarg;
			break;
		case 'T':
			if (!parse_double(optarg, &d) || d < 2 || d > 86400 ||
			    d != floor(d))
				return usage_error("--etcd-ttl: '%s' is not a "
						   "whole number of seconds "
						   "from 2 to 86400",
						   optarg);
			co.ttl = (long)d;
			break;
		default:
			return usage_error("run: bad option");
		}
	}
	if (optind < argc)
		return usage_error("run: unexpected argument '%s'",
				   argv[optind]);
	if (!yaml)
		return usage_error("run: --yaml FILE is required");
	if (!hostname) {
		if (gethostname(hostbuf, sizeof(hostbuf)) < 0)
			strcpy(hostbuf, "localhost");
		hostbuf[sizeof(hostbuf) - 1] = '\0';
		hostname = hostbuf;
	}
	if (host_set_hostname(hostname) < 0 ||
	    (prefix && host_set_prefix(prefix) < 0))
		return EXIT_USAGE;

	if (load_plugins(g, &reg) < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	/* With etcd this host only publishes what it exports (DESIGN.md
	 * section 9): those resources conflict with nothing here. */
	config_set_exports_managed(!co.endpoints);
	status = compile(yaml, &reg, &cfg);
	so.yaml = yaml;
	so.registry = &reg;
	if (status == 0 && co.endpoints) {
		co.hostname = hostname;
		co.noop = so.noop;
		co.registry = &reg;
		if (cluster_new(&co, EV_DEFAULT, &cl) < 0)
			status = EXIT_USAGE;
		so.prepare = cluster_prepare;
		so.busy = cluster_busy;
		so.hook_ctx = cl;
	}
	if (status == 0)
		status = sched_run(cfg, &so);
	if (cl)
		cluster_stop(cl);
out:
	config_graph_free(cfg);
	cluster_free(cl);
	host_fini();
	registry_free(&reg);
	return status;
}

static int cmd_validate(struct global *g, int argc, char **argv)
{
	struct registry reg = { 0 };
	struct graph_cfg *cfg = NULL;
	int status;

	if (argc != 2)
		return usage_error("validate: give exactly one FILE");
	if (load_plugins(g, &reg) < 0) {
		registry_free(&reg);
		return EXIT_USAGE;
	}
	status = compile(argv[1], &reg, &cfg);
	if (status == 0)
		printf("%s: ok (%zu resources, %zu edges)\n", argv[1],
		       cfg->nres, cfg->nedges);
	config_graph_free(cfg);
	registry_free(&reg);
	return status;
}

static int cmd_graph(struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "no-autogroup", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct registry reg = { 0 };
	struct graph_cfg *cfg = NULL;
	bool json = false, autogroup = true;
	struct plan plan;
	int c, status;

	optind = 0; /* glibc: restart scanning at argv[1] */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'A') {
			autogroup = false;
		} else if (c == 'f' && (strcmp(optarg, "dot") == 0 ||
					strcmp(optarg, "json") == 0)) {
			json = strcmp(optarg, "json") == 0;
		} else if (c == 'f') {
			return usage_error("graph: --format %s: use dot or "
					   "json",
					   optarg);
		} else {
			return usage_error("graph: bad option");
		}
	}
	if (optind != argc - 1)
		return usage_error("graph: give exactly one FILE");
	if (load_plugins(g, &reg) < 0) {
		registry_free(&reg);
		return EXIT_USAGE;
	}
	status = compile(argv[optind], &reg, &cfg);
	if (status == 0 && plan_build(cfg, autogroup, &plan) < 0) {
		log_error("out of memory grouping the graph");
		status = EXIT_FAILED;
	} else if (status == 0) {
		int r = json ? plan_write_json(&plan, stdout) :
			       plan_write_dot(&plan, stdout);

		if (r < 0 || fflush(stdout)) {
			log_error("cannot write the graph: %s",
				  strerror(r < 0 ? -r : errno));
			status = EXIT_FAILED;
		}
		plan_free(&plan);
	}
	config_graph_free(cfg);
	registry_free(&reg);
	return status;
}

static const char *const type_names[] = {
	"?", "string", "bool", "int", "mode", "duration", "list", "map", "enum",
};

static void print_kind(const struct kind_entry *ke)
{
	const struct mgmt_kind *k = &ke->k;

	printf("  kind %s: %s\n", k->name, k->doc ? k->doc : "");
	for (size_t i = 0; i < ke->nparams; i++) {
		const struct mgmt_param *p = &k->params[i];

		printf("    %-16s %-8s", p->name, type_names[p->type]);
		if (p->flags & MGMT_PARAM_REQUIRED)
			printf(" required");
		if (p->def)
			printf(" default \"%s\"", p->def);
		if (p->type == MGMT_PARAM_ENUM && p->choices) {
			printf(" one of");
			for (const char *const *ch = p->choices; *ch; ch++)
				printf("%s%s", ch == p->choices ? " " : "|",
				       *ch);
		}
		if (p->doc)
			printf("  %s", p->doc);
		putchar('\n');
	}
}

/* What was not registered, after what was, so that packagers and plugin
 * authors can see (and gate on) it without reading the log. */
static void print_problems(const struct registry *reg)
{
	for (size_t i = 0; i < reg->nproblems; i++) {
		const struct loader_problem *p = &reg->problems[i];
		char ep[PATH_MAX], em[4096];

		printf("%s %s: %s\n", p->shadowed ? "shadowed" : "refused",
		       log_escape(p->path, ep, sizeof(ep), false),
		       log_escape(p->msg, em, sizeof(em), false));
	}
}

static int cmd_plugins(struct global *g, int argc, char **argv)
{
	struct registry reg = { 0 };
	int status;

	if (argc != 1)
		return usage_error("plugins: takes no arguments");
	if (load_plugins(g, &reg) < 0) {
		registry_free(&reg);
		return EXIT_USAGE;
	}
	printf("engine SDK ABI %d.%d\n", MGMT_ABI_MAJOR, MGMT_ABI_MINOR);
	for (size_t i = 0; i < reg.nplugins; i++) {
		const struct loader_plugin *p = reg.plugins[i];

		printf("plugin %s %s (ABI %u.%u) %s\n", p->desc.name,
		       p->desc.version ? p->desc.version : "?",
		       p->desc.abi_major, p->desc.abi_minor, p->path);
		if (p->desc.doc)
			printf("  %s\n", p->desc.doc);
		for (size_t k = 0; k < reg.nkinds; k++)
			if (reg.kinds[k]->plugin == p)
				print_kind(reg.kinds[k]);
	}
	print_problems(&reg);
	/* A kind shadowed by an earlier plugin is how --plugins-dir
	 * overrides installed plugins: not a failure. */
	status = reg.nrefused ? EXIT_FAILED : EXIT_OK;
	registry_free(&reg);
	return status;
}

int cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plugins-dir", required_argument, NULL, 'P' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct global g = { .ndirs = 0 };
	const char *cmd;
	int c;

	log_init();
	/* "+": stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (g.ndirs == MAX_PLUGIN_DIRS)
				return usage_error("too many --plugins-dir");
			g.dirs[g.ndirs++] = optarg;
			break;
		case 'l':
			log_level = log_level_parse(optarg);
			if (log_level < 0)
				return usage_error("--log-level: '%s' is not "
						   "error, warn, info or debug",
						   optarg);
			break;
		case 'V':
			printf("mgmt-engine %s (plugin SDK ABI %d.%d)\n",
			       PACKAGE_VERSION, MGMT_ABI_MAJOR, MGMT_ABI_MINOR);
			return EXIT_OK;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return usage_error("bad option");
		}
	}
	g.dirs[g.ndirs] = NULL;
	if (optind >= argc)
		return usage_error("no command given");
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "run") == 0)
		return cmd_run(&g, argc, argv);
	if (strcmp(cmd, "validate") == 0)
		return cmd_validate(&g, argc, argv);
	if (strcmp(cmd, "graph") == 0)
		return cmd_graph(&g, argc, argv);
	if (strcmp(cmd, "plugins") == 0)
		return cmd_plugins(&g, argc, argv);
	if (strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	return usage_error("unknown command '%s'", cmd);
}

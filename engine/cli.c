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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"
#include "listing.h"
#include "check/plugin-check.h"
#include "cluster/cluster.h"
#include "cluster/trust.h"
#include "control/server.h"
#include "config/config.h"
#include "loader/loader.h"
#include "util/log.h"
#include "run/host.h"
#include "run/plan.h"
#include "run/sched.h"
#include "run/stats.h"

#define MAX_PLUGIN_DIRS 64

struct global {
	const char *dirs[MAX_PLUGIN_DIRS + 1];
	int ndirs;
	bool no_default_plugins; /* only --plugins-dir and the environment */
};

static const char usage_text[] =
	"Usage: mgmt-engine [--plugins-dir DIR]... [--no-default-plugins]\n"
	"                   [--log-level L] COMMAND\n"
	"\n"
	"Commands:\n"
	"  run --yaml GRAPH [--converged-timeout N] [--hostname H] [--noop]\n"
	"      [--graphviz FILE.dot] [--prefix DIR] [--workers N]\n"
	"      [--no-autogroup] [--etcd URL[,URL...]] [--etcd-ttl S]\n"
	"      [--etcd-trust DIR] [--etcd-cacert F] [--etcd-cert F --etcd-key F]\n"
	"      [--etcd-user U --etcd-password-file F]\n"
	"      [--control PATH [--control-group G]] [--metrics-listen H:P]\n"
	"                      apply the graph and keep it applied\n"
	"  validate GRAPH      compile only; exit 0 or print every error\n"
	"  graph GRAPH [--format dot|json] [--no-autogroup]\n"
	"                      print the compiled, grouped graph; runs nothing\n"
	"  plugins [--format text|scdoc]\n"
	"                      list plugins, kinds, ABI versions, parameters,\n"
	"                      and the plugins refused, with why; exit 1 if\n"
	"                      any plugin (or kind) was refused.  scdoc: the\n"
	"                      kinds' reference, for mgmt-engine.yaml(5)\n"
	"  plugin-check PLUGIN.so --yaml SAMPLE [--timeout S]\n"
	"                      check that a plugin keeps its contract on a\n"
	"                      sample of its kinds: loads alone, compiles,\n"
	"                      idempotent, honest noop, symmetric group_cmp,\n"
	"                      nothing left open; each hook bounded by S s\n"
	"                      (default 10); exit 1 if any check failed\n"
	"  status [--control PATH] [--json] [--kind K] [--name GLOB]\n"
	"         [--failed] [--cluster]\n"
	"                      how the running engine's resources are; exit 1\n"
	"                      unless it converged with nothing failed or held\n"
	"  reload [--control PATH] [--timeout S]\n"
	"                      ask the running engine to reload its graph and\n"
	"                      wait until it was taken or refused\n"
	"  reload --pid PID    ask the engine running as PID to reload its\n"
	"                      graph (the service's ExecReload)\n"
	"  trigger [--control PATH] [--timeout S] KIND NAME\n"
	"                      check one resource now and wait for that run;\n"
	"                      exit 1 if it failed\n"
	"  key [--prefix DIR] [--hostname H]\n"
	"                      print this host's public key, as a line for\n"
	"                      other hosts' --etcd-trust DIR or trust:\n"
	"                      (the key is made when there is none)\n"
	"  --version           print the version\n"
	"  --help              print this help\n"
	"\n"
	"GRAPH is a graph file, or a directory whose *.yaml files (in name order)\n"
	"are the parts of one graph.\n"
	"\n"
	"Global options:\n"
	"  --plugins-dir DIR   load plugins from DIR first (repeatable)\n"
	"  --no-default-plugins  search only --plugins-dir and\n"
	"                      $MGMT_ENGINE_PLUGINS_PATH, not the installed\n"
	"                      plugin directory\n"
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
	"  --etcd-trust DIR    collect the exports of the hosts whose keys\n"
	"                      DIR's *.pub files hold (besides this host's)\n"
	"  --etcd-cacert F     check https:// endpoints against this CA (PEM)\n"
	"  --etcd-cert F, --etcd-key F  this client's certificate and key\n"
	"  --etcd-user U       authenticate to etcd as user U, with the\n"
	"  --etcd-password-file F  password on the first line of F\n"
	"  --control PATH      serve status, reload, trigger and /metrics on\n"
	"                      the unix socket PATH (mode 0600)\n"
	"  --control-group G   make the socket 0660, of group G\n"
	"  --metrics-listen H:P  also serve /metrics over TCP on H:P\n"
	"                      (e.g. 127.0.0.1:9233; port 0: any free one)\n"
	"\n"
	"status, reload and trigger options (they ask a running engine over\n"
	"its control socket):\n"
	"  --control PATH      the socket (default $MGMT_ENGINE_CONTROL, else\n"
	"                      " CONTROL_SOCKET ")\n"
	"  --timeout S         seconds the engine may take (default 60)\n"
	"  --json              status: the engine's answer as JSON\n"
	"  --kind K            status: only resources of kind K\n"
	"  --name GLOB         status: only resources whose name matches GLOB\n"
	"  --failed            status: only failed or held resources\n"
	"  --cluster           status: every host of the etcd cluster\n"
	"\n"
	"Plugins are searched in each --plugins-dir, then $MGMT_ENGINE_PLUGINS_PATH\n"
	"(colon-separated), then " SITEPLUGINDIR ",\n"
	"then " PLUGINDIR "; the first to define a kind wins.\n"
	"Exit status: 0 success, 1 a resource failed (plugins: a plugin was\n"
	"refused), 2 bad usage or invalid graph, 3 a run with\n"
	"--converged-timeout stopped by a signal before it converged.\n"
	"status, reload, trigger: 0 converged (taken, done), 1 not converged,\n"
	"failed, held or refused, 2 the engine cannot be reached.\n"
	"SIGHUP reloads the graph; SIGINT or SIGTERM stop (a second one at\n"
	"once).\n"
	"See mgmt-engine(1), mgmt-engine.yaml(5) and mgmt-engine-plugin(7).\n";

static int load_plugins(const struct global *g, struct registry *reg)
{
	struct loader_opts o;

	loader_opts_default(&o);
	o.dirs = g->dirs;
	o.use_builtin = !g->no_default_plugins;
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

/* What `run` is given. */
struct run_args {
	const char *yaml, *hostname, *prefix, *graphviz, *etcd, *etcd_trust;
	const char *etcd_cacert, *etcd_cert, *etcd_key, *etcd_user,
		*etcd_password_file;
	const char *control, *control_group, *metrics_listen;
	double converged_timeout;
	long workers, etcd_ttl;
	bool noop, no_autogroup;
};

#define RUN_OPT(name_, type_, field, ...)                                      \
	{                                                                      \
		.name = name_, .type = type_,                                  \
		.offset = offsetof(struct run_args, field), __VA_ARGS__        \
	}

static const struct opt run_opts[] = {
	RUN_OPT("yaml", OPT_TEXT, yaml),
	RUN_OPT("converged-timeout", OPT_TIMEOUT, converged_timeout, .min = 0,
		.max = INFINITY, .what = "a number of seconds (or -1)"),
	RUN_OPT("hostname", OPT_TEXT, hostname),
	RUN_OPT("noop", OPT_FLAG, noop),
	RUN_OPT("graphviz", OPT_TEXT, graphviz),
	RUN_OPT("prefix", OPT_TEXT, prefix),
	RUN_OPT("workers", OPT_WHOLE, workers, .min = 1, .max = 1024,
		.what = "a count from 1 to 1024"),
	RUN_OPT("no-autogroup", OPT_FLAG, no_autogroup),
	RUN_OPT("etcd", OPT_TEXT, etcd),
	RUN_OPT("etcd-ttl", OPT_WHOLE, etcd_ttl, .min = 2, .max = 86400,
		.what = "a whole number of seconds from 2 to 86400"),
	RUN_OPT("etcd-trust", OPT_TEXT, etcd_trust),
	RUN_OPT("etcd-cacert", OPT_TEXT, etcd_cacert),
	RUN_OPT("etcd-cert", OPT_TEXT, etcd_cert),
	RUN_OPT("etcd-key", OPT_TEXT, etcd_key),
	RUN_OPT("etcd-user", OPT_TEXT, etcd_user),
	RUN_OPT("etcd-password-file", OPT_TEXT, etcd_password_file),
	RUN_OPT("etcd-password", OPT_REFUSED, etcd_password_file,
		.what = "a password is never taken from the command line, "
			"which every user can read: write it to a file of "
			"mode 0600 and give --etcd-password-file FILE"),
	RUN_OPT("control", OPT_TEXT, control),
	RUN_OPT("control-group", OPT_TEXT, control_group),
	RUN_OPT("metrics-listen", OPT_TEXT, metrics_listen),
	{ .name = NULL },
};

/* The cluster's side of the scheduler's and the control socket's hooks. */
static void cluster_state(void *ctx, bool converged, double since,
			  uint32_t failed, uint32_t resources)
{
	cluster_set_state(ctx, converged, since, failed, resources);
}

static json_t *cluster_view(void *ctx)
{
	return cluster_hosts(ctx);
}

static int cmd_run(struct global *g, int argc, char **argv)
{
	struct run_args a = { .converged_timeout = -1,
			      .etcd_ttl = CLUSTER_DEFAULT_TTL };
	struct sched_opts so = { 0 };
	struct cluster_opts co = { 0 };
	struct cluster *cl = NULL;
	struct control *ctl = NULL;
	struct registry reg = { 0 };
	struct graph_cfg *cfg = NULL;
	char hostbuf[HOST_NAME_MAX + 1];
	sigset_t hup;
	int i, status;

	/* SIGHUP asks for a reload.  Until the loop takes it (run/reload.c:
	 * libev unblocks it with its handler), one that comes while the graph
	 * compiles waits, blocked, instead of ending the process. */
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigprocmask(SIG_BLOCK, &hup, NULL);
	i = parse_opts("run", run_opts, argc, argv, &a);
	if (i < 0)
		return -i;
	if (i < argc)
		return usage_error("run: unexpected argument '%s'", argv[i]);
	if (!a.yaml)
		return usage_error("run: --yaml GRAPH is required");
	if (a.control_group && !a.control)
		return usage_error("run: --control-group needs --control PATH");
	if (!a.etcd && (a.etcd_trust || a.etcd_cacert || a.etcd_cert ||
			a.etcd_key || a.etcd_user || a.etcd_password_file))
		return usage_error("run: the --etcd-* options need --etcd "
				   "URL[,URL...]");
	if (!a.hostname) {
		if (gethostname(hostbuf, sizeof(hostbuf)) < 0)
			strcpy(hostbuf, "localhost");
		hostbuf[sizeof(hostbuf) - 1] = '\0';
		a.hostname = hostbuf;
	}
	if (host_set_hostname(a.hostname) < 0 ||
	    (a.prefix && host_set_prefix(a.prefix) < 0))
		return EXIT_USAGE;

	if (load_plugins(g, &reg) < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	/* With etcd this host only publishes what it exports (doc/etcd.md,
	 * "Exporting"): those resources conflict with nothing here. */
	config_set_exports_managed(!a.etcd);
	log_set_graph(a.yaml);
	status = compile(a.yaml, &reg, &cfg);
	so = (struct sched_opts){
		.yaml = a.yaml,
		.registry = &reg,
		.converged_timeout = a.converged_timeout,
		.noop = a.noop,
		.graphviz = a.graphviz,
		.workers = (int)a.workers,
		.no_autogroup = a.no_autogroup,
		.linger = true,
	};
	if (status == 0 && a.etcd) {
		co = (struct cluster_opts){
			.endpoints = a.etcd,
			.cacert = a.etcd_cacert,
			.cert = a.etcd_cert,
			.key = a.etcd_key,
			.user = a.etcd_user,
			.password_file = a.etcd_password_file,
			.ttl = a.etcd_ttl,
			.hostname = a.hostname,
			.noop = a.noop,
			.registry = &reg,
			.state_dir = a.prefix,
			.trust_dir = a.etcd_trust,
		};
		if (cluster_new(&co, EV_DEFAULT, &cl) < 0)
			status = EXIT_USAGE;
		so.prepare = cluster_prepare;
		so.busy = cluster_busy;
		so.state = cluster_state;
		so.hook_ctx = cl;
		/* host->watch_kv, kv_get and kv_put use its connection. */
		if (cl)
			host_set_kv(cluster_kv_ops(cl));
	}
	if (status == 0 && stats_init(&reg, a.hostname, a.yaml) < 0)
		status = EXIT_USAGE;
	if (status == 0 && (a.control || a.metrics_listen)) {
		struct control_opts ko = {
			.path = a.control,
			.group = a.control_group,
			.metrics_listen = a.metrics_listen,
			.cluster_hosts = cl ? cluster_view : NULL,
			.cluster_ctx = cl,
		};

		if (control_start(&ko, &ctl) < 0)
			status = EXIT_USAGE;
	}
	if (status == 0)
		status = sched_run(cfg, &so);
	control_stop(ctl);
	host_set_kv(NULL);
	if (cl)
		cluster_stop(cl);
out:
	config_graph_free(cfg);
	cluster_free(cl);
	/* After the plugins' fini, which may unwatch their kind-wide
	 * watches. */
	stats_fini();
	registry_free(&reg);
	host_fini();
	return status;
}

/* What `key` is given. */
struct key_args {
	const char *prefix, *hostname;
};

static const struct opt key_opts[] = {
	{ .name = "prefix",
	  .type = OPT_TEXT,
	  .offset = offsetof(struct key_args, prefix) },
	{ .name = "hostname",
	  .type = OPT_TEXT,
	  .offset = offsetof(struct key_args, hostname) },
	{ .name = NULL },
};

/* This host's public key, as a trusted-keys line (doc/etcd.md, "Trust"). */
static int cmd_key(struct global *g, int argc, char **argv)
{
	unsigned char pk[TRUST_PK_BYTES], sk[TRUST_SK_BYTES];
	struct key_args a = { .prefix = "/var/lib/mgmt-engine" };
	char hostbuf[HOST_NAME_MAX + 1], *text;
	int i = parse_opts("key", key_opts, argc, argv, &a);

	if (i < 0)
		return -i;
	if (i < argc)
		return usage_error("key: unexpected argument '%s'", argv[i]);
	if (!a.hostname) {
		if (gethostname(hostbuf, sizeof(hostbuf)) < 0)
			strcpy(hostbuf, "localhost");
		hostbuf[sizeof(hostbuf) - 1] = '\0';
		a.hostname = hostbuf;
	}
	if (trust_init() < 0 || trust_host_key(a.prefix, pk, sk) < 0)
		return EXIT_FAILED;
	memset(sk, 0, sizeof(sk));
	text = trust_key_text(pk);
	if (!text) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	printf("%s %s\n", text, a.hostname);
	free(text);
	return EXIT_OK;
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

/* What `graph` is given. */
struct graph_args {
	int format; /* enum graph_format: the index in formats */
	bool no_autogroup;
};

enum graph_format {
	FORMAT_DOT,
	FORMAT_JSON
};
static const char *const formats[] = { "dot", "json", NULL };

static const struct opt graph_opts[] = {
	{ .name = "format",
	  .type = OPT_CHOICE,
	  .offset = offsetof(struct graph_args, format),
	  .what = "dot or json",
	  .choices = formats },
	{ .name = "no-autogroup",
	  .type = OPT_FLAG,
	  .offset = offsetof(struct graph_args, no_autogroup) },
	{ .name = NULL },
};

static int cmd_graph(struct global *g, int argc, char **argv)
{
	struct graph_args a = { 0 };
	struct registry reg = { 0 };
	struct graph_cfg *cfg = NULL;
	struct plan plan;
	int i, status;

	i = parse_opts("graph", graph_opts, argc, argv, &a);
	if (i < 0)
		return -i;
	if (i != argc - 1)
		return usage_error("graph: give exactly one FILE");
	if (load_plugins(g, &reg) < 0) {
		registry_free(&reg);
		return EXIT_USAGE;
	}
	status = compile(argv[i], &reg, &cfg);
	if (status == 0 && plan_build(cfg, !a.no_autogroup, &plan) < 0) {
		log_error("out of memory grouping the graph");
		status = EXIT_FAILED;
	} else if (status == 0) {
		int r = a.format == FORMAT_JSON ?
				plan_write_json(&plan, stdout) :
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

/* What `plugins` is given. */
struct plugins_args {
	int format; /* enum plugins_format: the index in plugins_formats */
};

enum plugins_format {
	PLUGINS_TEXT,
	PLUGINS_SCDOC
};
static const char *const plugins_formats[] = { "text", "scdoc", NULL };

static const struct opt plugins_opts[] = {
	{ .name = "format",
	  .type = OPT_CHOICE,
	  .offset = offsetof(struct plugins_args, format),
	  .what = "text or scdoc",
	  .choices = plugins_formats },
	{ .name = NULL },
};

/* What `plugin-check` is given. */
struct pcheck_args {
	const char *yaml;
	double timeout;
};

static const struct opt pcheck_opts[] = {
	{ .name = "yaml",
	  .type = OPT_TEXT,
	  .offset = offsetof(struct pcheck_args, yaml) },
	{ .name = "timeout",
	  .type = OPT_TIMEOUT,
	  .offset = offsetof(struct pcheck_args, timeout),
	  .min = 0.001,
	  .max = 86400,
	  .what = "a number of seconds from 0.001 to 86400" },
	{ .name = NULL },
};

/* The global options do not apply: the plugin is loaded alone. */
static int cmd_plugin_check(struct global *g, int argc, char **argv)
{
	struct pcheck_args a = { .timeout = 10 };
	int i;

	i = parse_opts("plugin-check", pcheck_opts, argc, argv, &a);
	if (i < 0)
		return -i;
	if (i != argc - 1)
		return usage_error("plugin-check: give exactly one PLUGIN.so");
	if (!a.yaml)
		return usage_error("plugin-check: --yaml SAMPLE is required");
	if (a.timeout < 0)
		return usage_error("plugin-check: --timeout: '-1' is not a "
				   "number of seconds from 0.001 to 86400");
	return pcheck_run(&(struct pcheck_opts){
		.plugin = argv[i], .yaml = a.yaml, .timeout = a.timeout });
}

static int cmd_plugins(struct global *g, int argc, char **argv)
{
	struct plugins_args a = { .format = PLUGINS_TEXT };
	struct registry reg = { 0 };
	int i, status;

	i = parse_opts("plugins", plugins_opts, argc, argv, &a);
	if (i < 0)
		return -i;
	if (i < argc)
		return usage_error("plugins: unexpected argument '%s'",
				   argv[i]);
	if (load_plugins(g, &reg) < 0) {
		registry_free(&reg);
		return EXIT_USAGE;
	}
	/* scdoc is a page's source: refusals were logged, and the exit
	 * status fails a build that would make a page without them. */
	if (a.format == PLUGINS_SCDOC)
		listing_scdoc(&reg, stdout);
	else
		listing_text(&reg, stdout);
	/* A kind shadowed by an earlier plugin is how --plugins-dir
	 * overrides installed plugins: not a failure. */
	status = reg.nrefused ? EXIT_FAILED : EXIT_OK;
	if (fflush(stdout)) {
		log_error("cannot write the listing: %s", strerror(errno));
		status = EXIT_FAILED;
	}
	registry_free(&reg);
	return status;
}

int cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plugins-dir", required_argument, NULL, 'P' },
		{ "no-default-plugins", no_argument, NULL, 'N' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct global g = { .ndirs = 0 };
	const char *cmd;
	int c;

	log_init();
	opterr = 0; /* every message is ours: one line, with the hint */
	/* "+": stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (g.ndirs == MAX_PLUGIN_DIRS)
				return usage_error("too many --plugins-dir");
			g.dirs[g.ndirs++] = optarg;
			break;
		case 'N':
			g.no_default_plugins = true;
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
		case ':':
			return usage_error("%s needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
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
	if (strcmp(cmd, "key") == 0)
		return cmd_key(&g, argc, argv);
	if (strcmp(cmd, "validate") == 0)
		return cmd_validate(&g, argc, argv);
	if (strcmp(cmd, "graph") == 0)
		return cmd_graph(&g, argc, argv);
	if (strcmp(cmd, "plugins") == 0)
		return cmd_plugins(&g, argc, argv);
	if (strcmp(cmd, "reload") == 0)
		return cmd_reload(argc, argv);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argc, argv);
	if (strcmp(cmd, "trigger") == 0)
		return cmd_trigger(argc, argv);
	if (strcmp(cmd, "plugin-check") == 0)
		return cmd_plugin_check(&g, argc, argv);
	if (strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	return usage_error("unknown command '%s'", cmd);
}

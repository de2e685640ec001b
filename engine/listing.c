/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * listing.c - what `mgmt-engine plugins` prints: the registry as a text
 * listing (plugins, their kinds and parameters, then what was refused), or as
 * scdoc, the reference of every kind that mgmt-engine.yaml(5) is built from.
 *
 * The build runs the engine it just built with only its own plugins to make
 * that page (doc/man/local.am), so the page is the plugins' schemas: a
 * parameter cannot be added, renamed or given a new default without the page
 * saying so.  Plugin strings reach a man page here, so every character that
 * scdoc or roff would take as markup is escaped.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "listing.h"
#include "util/log.h"

static const char *const type_names[] = {
	"?", "string", "bool", "int", "mode", "duration", "list", "map", "enum",
};

static const char *type_name(enum mgmt_param_type t)
{
	unsigned i = (unsigned)t;

	return i < sizeof(type_names) / sizeof(type_names[0]) ? type_names[i] :
								"?";
}

static void text_kind(const struct kind_entry *ke, FILE *out)
{
	const struct mgmt_kind *k = &ke->k;

	fprintf(out, "  kind %s: %s\n", k->name, k->doc ? k->doc : "");
	for (size_t i = 0; i < ke->nparams; i++) {
		const struct mgmt_param *p = &k->params[i];

		fprintf(out, "    %-16s %-8s", p->name, type_name(p->type));
		if (p->flags & MGMT_PARAM_REQUIRED)
			fputs(" required", out);
		if (p->def)
			fprintf(out, " default \"%s\"", p->def);
		if (p->type == MGMT_PARAM_ENUM && p->choices) {
			fputs(" one of", out);
			for (const char *const *ch = p->choices; *ch; ch++)
				fprintf(out, "%s%s",
					ch == p->choices ? " " : "|", *ch);
		}
		if (p->doc)
			fprintf(out, "  %s", p->doc);
		fputc('\n', out);
	}
}

void listing_text(const struct registry *reg, FILE *out)
{
	fprintf(out, "engine SDK ABI %d.%d\n", MGMT_ABI_MAJOR, MGMT_ABI_MINOR);
	for (size_t i = 0; i < reg->nplugins; i++) {
		const struct loader_plugin *p = reg->plugins[i];

		fprintf(out, "plugin %s %s (ABI %u.%u) %s\n", p->desc.name,
			p->desc.version ? p->desc.version : "?",
			p->desc.abi_major, p->desc.abi_minor, p->path);
		if (p->desc.doc)
			fprintf(out, "  %s\n", p->desc.doc);
		for (size_t k = 0; k < reg->nkinds; k++)
			if (reg->kinds[k]->plugin == p)
				text_kind(reg->kinds[k], out);
	}
	/* What was not registered, after what was, so that packagers and
	 * plugin authors can see (and gate on) it without reading the log. */
	for (size_t i = 0; i < reg->nproblems; i++) {
		const struct loader_problem *p = &reg->problems[i];
		char ep[PATH_MAX], em[4096];

		fprintf(out, "%s %s: %s\n",
			p->shadowed ? "shadowed" : "refused",
			log_escape(p->path, ep, sizeof(ep), false),
			log_escape(p->msg, em, sizeof(em), false));
	}
}

/*
 * Write `s` as scdoc text that reads as `s`: `\`, `*` and `_` (bold,
 * underline), and `+` (a trailing "++" breaks the line) are escaped, and
 * control characters become spaces so a plugin's string stays on its line.
 * When `line_start`, a first character that scdoc would read as a block (a
 * list, a heading, a table) or drop (a leading `.`) follows an empty bold
 * run, `**`, which shows nothing and keeps it off the start of the line.
 */
static void scd_text(const char *s, bool line_start, FILE *out)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (line_start && !isalnum(c) && c < 0x80)
			fputs("**", out);
		if (c == '\\' || c == '*' || c == '_' || c == '+')
			fputc('\\', out);
		fputc(c, out);
		line_start = false;
	}
}

/* `s` as a sentence: its first letter upper-case, ending in a full stop. */
static void scd_sentence(const char *s, FILE *out)
{
	size_t n = strlen(s);

	if (n && islower((unsigned char)s[0])) {
		fputc(toupper((unsigned char)s[0]), out);
		s++;
		n--;
		scd_text(s, false, out);
	} else {
		scd_text(s, true, out);
	}
	if (n == 0 || s[n - 1] != '.')
		fputc('.', out);
}

/* `*text*` */
static void scd_bold(const char *s, FILE *out)
{
	fputc('*', out);
	scd_text(s, false, out);
	fputc('*', out);
}

/* The term line of a parameter, *name* (type; required; default *x*), or
 * (enum: *a*, *b* or *c*; ...); then its doc, indented. */
static void scd_param(const struct mgmt_param *p, FILE *out)
{
	scd_bold(p->name, out);
	fprintf(out, " (%s", type_name(p->type));
	if (p->type == MGMT_PARAM_ENUM && p->choices) {
		fputs(": ", out);
		for (const char *const *ch = p->choices; *ch; ch++) {
			if (ch != p->choices)
				fputs(ch[1] ? ", " : " or ", out);
			scd_bold(*ch, out);
		}
	}
	if (p->flags & MGMT_PARAM_REQUIRED)
		fputs("; required", out);
	if (p->def && *p->def) {
		fputs("; default ", out);
		scd_bold(p->def, out);
	} else if (p->def) {
		fputs("; default empty", out);
	}
	fputs(")\n\t", out);
	scd_sentence(p->doc && *p->doc ? p->doc :
					 "not documented by its plugin",
		     out);
	fputs("\n\n", out);
}

/* The plugin's file name only: a build tree's or an installer's path means
 * nothing to the page's reader. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

void listing_scdoc(const struct registry *reg, FILE *out)
{
	if (reg->nkinds == 0)
		fputs("No plugin defining a kind was found.\n\n", out);
	for (size_t i = 0; i < reg->nkinds; i++) {
		const struct kind_entry *ke = reg->kinds[i];
		const struct mgmt_plugin *d = &ke->plugin->desc;

		fputs("## ", out);
		scd_text(ke->k.name, false, out);
		fputs("\n\n", out);
		if (ke->k.doc && *ke->k.doc) {
			scd_sentence(ke->k.doc, out);
			fputs("\n\n", out);
		}
		fputs("Defined by the plugin ", out);
		scd_bold(d->name, out);
		if (d->version) {
			fputc(' ', out);
			scd_text(d->version, false, out);
		}
		fputs(", file _", out);
		scd_text(base_name(ke->plugin->path), false, out);
		fprintf(out, "_ (ABI %u.%u)", d->abi_major, d->abi_minor);
		if (d->doc && *d->doc) {
			fputs(": ", out);
			scd_text(d->doc, false, out);
		}
		fputs(".\n\n", out);
		if (ke->nparams == 0)
			fputs("No parameters but *name* and *meta*.\n\n", out);
		for (size_t j = 0; j < ke->nparams; j++)
			scd_param(&ke->k.params[j], out);
	}
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * curl.c - libcurl opened by name (see curl.h).
 */
#include "config.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#include "util/curl.h"

struct curl_fn curl_fn;

static void *dl;
static unsigned users;

int curl_fn_open(const char **why)
{
	static const char *const sonames[] = { "libcurl.so.4",
					       "libcurl-gnutls.so.4",
					       "libcurl.so" };
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define SYM(n) { "curl_" #n, offsetof(struct curl_fn, n) }
		SYM(global_init),         SYM(global_cleanup),
		SYM(easy_init),           SYM(easy_cleanup),
		SYM(easy_setopt),         SYM(easy_perform),
		SYM(easy_getinfo),        SYM(easy_strerror),
		SYM(multi_init),          SYM(multi_cleanup),
		SYM(multi_setopt),        SYM(multi_assign),
		SYM(multi_add_handle),    SYM(multi_remove_handle),
		SYM(multi_socket_action), SYM(multi_info_read),
		SYM(slist_append),        SYM(slist_free_all),
#undef SYM
	};

	if (users++ > 0)
		return 0;
	for (size_t i = 0; !dl && i < sizeof(sonames) / sizeof(*sonames); i++)
		dl = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!dl) { /* (after a failed init, the handle is there already) */
		*why = "cannot load libcurl (libcurl.so.4)";
		goto fail;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(*syms); i++) {
		void *f = dlsym(dl, syms[i].name);

		if (!f) {
			*why = "libcurl lacks a function the engine needs";
			goto fail;
		}
		memcpy((char *)&curl_fn + syms[i].off, &f, sizeof(f));
	}
	if (curl_fn.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		return 0;
	*why = "cannot initialise libcurl";
fail:
	users--;
	return -1;
}

void curl_fn_close(void)
{
	if (users > 0 && --users == 0)
		curl_fn.global_cleanup();
}

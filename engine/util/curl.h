/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * curl.h - libcurl, opened when first needed rather than linked.
 *
 * libcurl pulls in some forty libraries (TLS, Kerberos, LDAP...) whose
 * loading would cost every start of the engine milliseconds, whether it
 * talks to etcd or to another engine or not.  Its ABI has been
 * libcurl.so.4 since 2006, so the functions the engine uses are looked up
 * there (or in the GnuTLS flavour) by name, into `curl_fn`.
 *
 * curl_fn_open() takes a reference (the first one loads the library and
 * runs curl_global_init), curl_fn_close() gives it back (the last one runs
 * curl_global_cleanup; the library itself stays loaded, as TLS libraries
 * it pulled in may have left exit handlers behind).  Neither is
 * thread-safe: call them from one thread (the engine's loop, or a client
 * command's only thread).
 */
#ifndef MGMT_UTIL_CURL_H
#define MGMT_UTIL_CURL_H

#include <curl/curl.h>

struct curl_fn {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *h);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode rc);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
	CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev,
					 int *running);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* The functions; valid between a successful curl_fn_open() and its
 * curl_fn_close(). */
extern struct curl_fn curl_fn;

/* 0, or -1 with `*why` set to a static sentence (library missing, a
 * function missing, initialisation failed; "install libcurl4" is the
 * caller's to add). */
int curl_fn_open(const char **why);
void curl_fn_close(void);

#endif

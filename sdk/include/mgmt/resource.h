/* SPDX-License-Identifier: MIT */
/*
 * mgmt/resource.h - short forms of the host services for plugin code.
 *
 * These macros call through `mgmt_host`, the table MGMT_PLUGIN_DEFINE stores
 * at load.  They add nothing the table does not offer; see mgmt/host.h for
 * the threads each may be called from and who owns what.
 */
#ifndef MGMT_RESOURCE_H
#define MGMT_RESOURCE_H

#include <mgmt/host.h>
#include <mgmt/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Logging for a resource (or NULL for the plugin), with the call's source
 * location when the host table has host->log_at (since 1.3; a table a test
 * fills by hand may leave it NULL).  Any thread.  Since 1.0. */
#define mgmt_log_(res, level, ...)                                             \
	(MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, log_at) &&               \
			 mgmt_host->log_at ?                                   \
		 mgmt_host->log_at((res), (level), __FILE__, __LINE__,         \
				   __func__, __VA_ARGS__) :                    \
		 mgmt_host->log((res), (level), __VA_ARGS__))
#define mgmt_error(res, ...) mgmt_log_((res), MGMT_LOG_ERROR, __VA_ARGS__)
#define mgmt_warn(res, ...) mgmt_log_((res), MGMT_LOG_WARN, __VA_ARGS__)
#define mgmt_info(res, ...) mgmt_log_((res), MGMT_LOG_INFO, __VA_ARGS__)
#define mgmt_debug(res, ...) mgmt_log_((res), MGMT_LOG_DEBUG, __VA_ARGS__)

/* The real state may have moved.  Any thread.  Since 1.0. */
#define mgmt_dirty(res) mgmt_host->dirty(res)

/* Name, kind and per-resource struct of a resource.  Any thread.  Since 1.0. */
#define mgmt_res_name(res) mgmt_host->name(res)
#define mgmt_res_kind(res) mgmt_host->kind(res)
#define mgmt_res_params(res) mgmt_host->params(res)

/* check_apply only: the result of one member of the running group
 * (host->member_result); does nothing on an engine older than 1.3, where
 * check_apply's return value covers every member.  Worker thread.
 * Since 1.3. */
#define mgmt_member_result(res, result)                                        \
	((void)(MGMT_HAS_MEMBER(mgmt_host, struct mgmt_host, member_result) && \
				mgmt_host->member_result ?                     \
			(mgmt_host->member_result((res), (result)), 0) :       \
			0))

/* validate only: report an invalid parameter.  Since 1.0. */
#define mgmt_invalid(res, param, ...)                                          \
	mgmt_host->invalid((res), (param), __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif /* MGMT_RESOURCE_H */

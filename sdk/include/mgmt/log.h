/* SPDX-License-Identifier: MIT */
/*
 * mgmt/log.h - log levels shared by the engine and plugins.
 *
 * Plugins log through the host table (host->log, or the mgmt_log* macros in
 * mgmt/resource.h); the engine prefixes each line with the time, the level
 * and `Kind[name]:` of the resource, so a message should be one line without
 * that prefix and without a trailing newline.
 */
#ifndef MGMT_LOG_H
#define MGMT_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels, most severe first.  Values are ABI.  Since 1.0. */
enum mgmt_log_level {
	MGMT_LOG_ERROR = 0, /* a resource or plugin failed */
	MGMT_LOG_WARN = 1,  /* something is wrong, work goes on */
	MGMT_LOG_INFO = 2,  /* a change was made, a state changed */
	MGMT_LOG_DEBUG = 3, /* detail for developers */
};

#if defined(__GNUC__)
#define MGMT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MGMT_PRINTF(fmt, args)
#endif

#ifdef __cplusplus
}
#endif

#endif /* MGMT_LOG_H */

/* SPDX-License-Identifier: MIT */
/*
 * mgmt/mgmt.h - everything a plugin needs: include this one header.
 */
#ifndef MGMT_MGMT_H
#define MGMT_MGMT_H

#include <mgmt/version.h>
#include <mgmt/log.h>
#include <mgmt/params.h>
#include <mgmt/host.h>
#include <mgmt/plugin.h>
#include <mgmt/resource.h>

#endif /* MGMT_MGMT_H */

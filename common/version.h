// SPDX-License-Identifier: GPL-2.0-or-later
/* The version both programs print (swdflash --version, swdflashd --version,
 * the status page and the build_info metric). A package build may pass its
 * own with -DSF_VERSION='"..."'. */
#ifndef COMMON_VERSION_H
#define COMMON_VERSION_H

#ifndef SF_VERSION
#define SF_VERSION "0.1"
#endif

#endif

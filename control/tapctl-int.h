/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtapctl internals shared between its source files (not installed).
 */
#ifndef XENTAP_TAPCTL_INT_H
#define XENTAP_TAPCTL_INT_H

#include <sys/types.h>

#include "tapctl.h"

/* Set what tapctl_last_message() returns for a failure found locally. */
void tapctl_set_message(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* mkdir -p path; mode for the directories it creates. 0 or -errno. */
int tapctl_mkdir_p(const char *path, mode_t mode);

/* Sleep ms milliseconds (restarted after signals). */
void tapctl_sleep_ms(int ms);

#endif

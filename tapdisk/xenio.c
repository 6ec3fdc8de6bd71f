/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xenio: the registry of hypervisor implementations (see xenio.h).
 * One table; adding an implementation means adding one line here.
 */
#include <stddef.h>
#include <string.h>

#include "xenio.h"

static const struct xenio_ops *const xenio_impls[] = {
	&xenio_xen_ops,
	&xenio_sim_ops,
};

const struct xenio_ops *xenio_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < sizeof(xenio_impls) / sizeof(xenio_impls[0]); i++)
		if (strcmp(xenio_impls[i]->name, name) == 0)
			return xenio_impls[i];
	return NULL;
}

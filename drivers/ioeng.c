/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioeng: the I/O engine registry and start-up probe.
 *
 * io_uring is the default; libaio is the fallback for kernels (or
 * sandboxes, or kernel.io_uring_disabled) that refuse io_uring, and can
 * be forced by name. The choice is made once per process and reported.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "td-io.h"
#include "td-log.h"

const struct ioeng_ops *const ioeng_registry[] = {
	&ioeng_uring_ops,
	&ioeng_aio_ops,
	NULL,
};

const struct ioeng_ops *ioeng_find(const char *name)
{
	const struct ioeng_ops *const *o;

	if (!name)
		return NULL;
	for (o = ioeng_registry; *o; o++)
		if (!strcmp((*o)->name, name))
			return *o;
	return NULL;
}

static int start_one(const struct ioeng_ops *o, unsigned depth,
		     const struct ioeng_ops **ops, struct ioeng **out)
{
	int err = o->init(out, depth);

	if (err)
		return err;
	*ops = o;
	return 0;
}

int ioeng_start(const char *name, unsigned depth, const struct ioeng_ops **ops,
		struct ioeng **out)
{
	const struct ioeng_ops *o;
	int err;

	*ops = NULL;
	*out = NULL;
	if (!depth)
		return -EINVAL;
	if (name && strcmp(name, "auto")) {
		o = ioeng_find(name);
		if (!o) {
			TD_ERR(NULL, "unknown I/O engine '%s' (known: io_uring, "
			       "libaio, auto)", name);
			return -EINVAL;
		}
		err = start_one(o, depth, ops, out);
		if (err)
			TD_ERR(NULL, "I/O engine %s: cannot start: %s", o->name,
			       strerror(-err));
		return err;
	}

	err = start_one(ioeng_registry[0], depth, ops, out);
	if (!err) {
		TD_INFO(NULL, "I/O engine: %s (depth %u)", (*ops)->name, depth);
		return 0;
	}
	TD_INFO(NULL, "I/O engine %s unavailable (%s): falling back to %s",
		ioeng_registry[0]->name, strerror(-err), ioeng_registry[1]->name);
	err = start_one(ioeng_registry[1], depth, ops, out);
	if (err) {
		TD_ERR(NULL, "I/O engine %s: cannot start either: %s",
		       ioeng_registry[1]->name, strerror(-err));
		return err;
	}
	TD_INFO(NULL, "I/O engine: %s (depth %u)", (*ops)->name, depth);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tapback-xs: the xenstore seam (struct tapback_xs_ops) on libxenstore.
 *
 * A thin adapter: libxenstore reports failures through errno and hands
 * out malloc'ed values; this turns them into negative errnos and copies
 * values into the caller's bounded buffers, refusing anything that does
 * not fit or is not text (xenstore values are byte strings that may hold
 * NULs, and the parsers only take C strings).
 *
 * Watches: xs_fileno() polls readable while events are queued;
 * xs_check_watch() never blocks and fails with EAGAIN when none is left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "tapback.h"

/* errno after a failed libxenstore call, never 0. */
static int xs_err(void)
{
	return errno ? -errno : -EIO;
}

static int txs_read(void *priv, tapback_tx_t t, const char *path, char *buf,
		    size_t cap)
{
	unsigned int len;
	char *v;

	errno = 0;
	v = xs_read(priv, t, path, &len);
	if (!v)
		return xs_err();
	if ((size_t)len >= cap) {
		free(v);
		return -E2BIG;
	}
	if (memchr(v, '\0', len)) {
		free(v);
		return -EILSEQ;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	free(v);
	return (int)len;
}

static int txs_write(void *priv, tapback_tx_t t, const char *path,
		     const char *val)
{
	errno = 0;
	return xs_write(priv, t, path, val, (unsigned int)strlen(val)) ?
	       0 : xs_err();
}

static int txs_directory(void *priv, tapback_tx_t t, const char *path,
			 char ***names, unsigned *num)
{
	unsigned int n = 0;
	char **v;

	errno = 0;
	v = xs_directory(priv, t, path, &n);
	if (!v) {
		/* An empty directory may come back as NULL with no error. */
		if (errno == 0) {
			*names = calloc(1, sizeof(char *));
			*num = 0;
			return *names ? 0 : -ENOMEM;
		}
		return xs_err();
	}
	*names = v;	/* one block: a single free() releases it */
	*num = n;
	return 0;
}

static int txs_watch(void *priv, const char *path, const char *token)
{
	errno = 0;
	return xs_watch(priv, path, token) ? 0 : xs_err();
}

static int txs_unwatch(void *priv, const char *path, const char *token)
{
	errno = 0;
	return xs_unwatch(priv, path, token) ? 0 : xs_err();
}

static int txs_read_watch(void *priv, char *path, size_t plen, char *token,
			  size_t tlen)
{
	size_t lp, lt;
	char **ev;

	errno = 0;
	ev = xs_check_watch(priv);
	if (!ev)
		return errno == EAGAIN ? -EAGAIN : xs_err();
	lp = strlen(ev[XS_WATCH_PATH]);
	lt = strlen(ev[XS_WATCH_TOKEN]);
	if (lp >= plen || lt >= tlen) {
		free(ev);
		return -E2BIG;
	}
	memcpy(path, ev[XS_WATCH_PATH], lp + 1);
	memcpy(token, ev[XS_WATCH_TOKEN], lt + 1);
	free(ev);
	return 0;
}

static int txs_fileno(void *priv)
{
	int fd = xs_fileno(priv);

	return fd >= 0 ? fd : xs_err();
}

static int txs_tx_start(void *priv, tapback_tx_t *t)
{
	xs_transaction_t x;

	errno = 0;
	x = xs_transaction_start(priv);
	if (x == XBT_NULL)
		return xs_err();
	*t = x;
	return 0;
}

static int txs_tx_end(void *priv, tapback_tx_t t, int abort)
{
	errno = 0;
	return xs_transaction_end(priv, t, abort != 0) ? 0 : xs_err();
}

static void txs_close(void *priv)
{
	xs_close(priv);
}

static const struct tapback_xs_ops tapback_xs_libxenstore = {
	.name = "libxenstore",
	.read = txs_read,
	.write = txs_write,
	.directory = txs_directory,
	.watch = txs_watch,
	.unwatch = txs_unwatch,
	.read_watch = txs_read_watch,
	.fileno = txs_fileno,
	.tx_start = txs_tx_start,
	.tx_end = txs_tx_end,
	.close = txs_close,
};

int tapback_xs_open(struct tapback_xs *xs)
{
	struct xs_handle *h;
	int fd;

	errno = 0;
	h = xs_open(0);
	if (!h)
		return xs_err();
	/* Set up the watch pipe now, before any watch exists. */
	fd = xs_fileno(h);
	if (fd < 0) {
		int rc = xs_err();

		xs_close(h);
		return rc;
	}
	xs->ops = &tapback_xs_libxenstore;
	xs->priv = h;
	return 0;
}

void tapback_xs_close(struct tapback_xs *xs)
{
	if (xs->ops && xs->ops->close)
		xs->ops->close(xs->priv);
	xs->ops = NULL;
	xs->priv = NULL;
}

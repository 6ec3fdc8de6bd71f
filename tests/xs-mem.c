/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xs-mem: in-memory xenstore for unit tests (see xs-mem.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs-mem.h"

#define XSM_HOME "/local/domain/0"
#define XSM_MAX_TX 8

struct node {
	char *name;
	char *val;		/* val[len] is a NUL added for convenience */
	size_t len;
	unsigned long writes;
	struct node *child, *sibling;
};

struct event {
	struct event *next;
	char *path, *token;
};

struct watch {
	struct watch *next;
	char *path, *token;
};

struct txop {
	struct txop *next;
	char *path, *val;
};

struct tx {
	int used;
	struct txop *ops;	/* newest first */
};

struct xsm {
	struct node root;
	struct event *ev_head, **ev_tail;
	unsigned nev;
	struct watch *watches;
	struct tx tx[XSM_MAX_TX];
	unsigned fail_commits, fail_writes;
	int fail_err;
	char *rm_on_tx;
	char buf[TAPBACK_PATH_MAX + 64];
};

/* ---- tree ---- */

static void abs_path(const char *in, char *out, size_t cap)
{
	if (in[0] == '/')
		snprintf(out, cap, "%s", in);
	else
		snprintf(out, cap, XSM_HOME "/%s", in);
}

/* The node at path; created (with empty values) when create is set. */
static struct node *lookup(struct xsm *m, const char *path, int create)
{
	char abs[TAPBACK_PATH_MAX + 64], *save = NULL, *comp;
	struct node *n = &m->root;

	abs_path(path, abs, sizeof(abs));
	for (comp = strtok_r(abs, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		struct node *c;

		for (c = n->child; c; c = c->sibling)
			if (!strcmp(c->name, comp))
				break;
		if (!c) {
			if (!create)
				return NULL;
			c = calloc(1, sizeof(*c));
			c->name = strdup(comp);
			c->val = strdup("");
			c->sibling = n->child;
			n->child = c;
		}
		n = c;
	}
	return n;
}

static void free_tree(struct node *n)
{
	while (n) {
		struct node *s = n->sibling;

		free_tree(n->child);
		free(n->name);
		free(n->val);
		free(n);
		n = s;
	}
}

/* ---- watches ---- */

/* Is path equal to base or below it? */
static int under(const char *path, const char *base)
{
	size_t n = strlen(base);

	return !strncmp(path, base, n) && (path[n] == '\0' || path[n] == '/');
}

static void queue_event(struct xsm *m, const char *path, const char *token)
{
	struct event *e = calloc(1, sizeof(*e));

	e->path = strdup(path);
	e->token = strdup(token);
	*m->ev_tail = e;
	m->ev_tail = &e->next;
	m->nev++;
}

static void fire(struct xsm *m, const char *path, int removed)
{
	char abs[TAPBACK_PATH_MAX + 64];
	struct watch *w;

	abs_path(path, abs, sizeof(abs));
	for (w = m->watches; w; w = w->next) {
		char wabs[TAPBACK_PATH_MAX + 64];

		abs_path(w->path, wabs, sizeof(wabs));
		if (under(abs, wabs))
			queue_event(m, w->path[0] == '/' ? abs : path, w->token);
		else if (removed && under(wabs, abs))
			queue_event(m, w->path, w->token);
	}
}

static int do_write(struct xsm *m, const char *path, const void *val,
		    size_t len)
{
	struct node *n = lookup(m, path, 1);

	free(n->val);
	n->val = malloc(len + 1);
	memcpy(n->val, val, len);
	n->val[len] = '\0';
	n->len = len;
	n->writes++;
	fire(m, path, 0);
	return 0;
}

int xsm_write(struct xsm *m, const char *path, const char *val)
{
	return do_write(m, path, val, strlen(val));
}

int xsm_write_bin(struct xsm *m, const char *path, const void *val,
		  size_t len)
{
	return do_write(m, path, val, len);
}

int xsm_rm(struct xsm *m, const char *path)
{
	char abs[TAPBACK_PATH_MAX + 64], *slash;
	struct node *parent, **pp;

	abs_path(path, abs, sizeof(abs));
	slash = strrchr(abs, '/');
	if (!slash || slash == abs)
		return -EINVAL;
	*slash = '\0';
	parent = lookup(m, abs, 0);
	if (!parent)
		return -ENOENT;
	for (pp = &parent->child; *pp; pp = &(*pp)->sibling)
		if (!strcmp((*pp)->name, slash + 1)) {
			struct node *n = *pp;

			*pp = n->sibling;
			n->sibling = NULL;
			free_tree(n);
			*slash = '/';
			fire(m, abs, 1);
			return 0;
		}
	return -ENOENT;
}

const char *xsm_read(struct xsm *m, const char *path)
{
	struct node *n = lookup(m, path, 0);

	return n ? n->val : NULL;
}

const char *xsm_readf(struct xsm *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->buf, sizeof(m->buf), fmt, ap);
	va_end(ap);
	return xsm_read(m, m->buf);
}

int xsm_writef(struct xsm *m, const char *val, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->buf, sizeof(m->buf), fmt, ap);
	va_end(ap);
	return xsm_write(m, m->buf, val);
}

unsigned long xsm_write_count(struct xsm *m, const char *path)
{
	struct node *n = lookup(m, path, 0);

	return n ? n->writes : 0;
}

unsigned xsm_pending(struct xsm *m)
{
	return m->nev;
}

unsigned xsm_nwatches(struct xsm *m)
{
	struct watch *w;
	unsigned n = 0;

	for (w = m->watches; w; w = w->next)
		n++;
	return n;
}

int xsm_watched(struct xsm *m, const char *path)
{
	struct watch *w;

	for (w = m->watches; w; w = w->next)
		if (!strcmp(w->path, path))
			return 1;
	return 0;
}

void xsm_drop_events(struct xsm *m)
{
	while (m->ev_head) {
		struct event *e = m->ev_head;

		m->ev_head = e->next;
		free(e->path);
		free(e->token);
		free(e);
	}
	m->ev_tail = &m->ev_head;
	m->nev = 0;
}

void xsm_fail_commits(struct xsm *m, unsigned n)
{
	m->fail_commits = n;
}

void xsm_fail_writes(struct xsm *m, unsigned n, int err)
{
	m->fail_writes = n;
	m->fail_err = err;
}

void xsm_rm_on_tx_start(struct xsm *m, const char *path)
{
	free(m->rm_on_tx);
	m->rm_on_tx = strdup(path);
}

/* ---- the seam ---- */

static struct tx *get_tx(struct xsm *m, tapback_tx_t t)
{
	return t >= 1 && t <= XSM_MAX_TX && m->tx[t - 1].used ?
	       &m->tx[t - 1] : NULL;
}

static int m_read(void *priv, tapback_tx_t t, const char *path, char *buf,
		  size_t cap)
{
	struct xsm *m = priv;
	struct tx *x = get_tx(m, t);
	const char *v = NULL;
	size_t len = 0;
	struct txop *op;

	if (t && !x)
		return -EINVAL;
	for (op = x ? x->ops : NULL; op && !v; op = op->next)
		if (!strcmp(op->path, path)) {
			v = op->val;
			len = strlen(v);
		}
	if (!v) {
		struct node *n = lookup(m, path, 0);

		if (!n)
			return -ENOENT;
		v = n->val;
		len = n->len;
	}
	if (len >= cap)
		return -E2BIG;
	if (memchr(v, '\0', len))
		return -EILSEQ;
	memcpy(buf, v, len + 1);
	return (int)len;
}

static int m_write(void *priv, tapback_tx_t t, const char *path,
		   const char *val)
{
	struct xsm *m = priv;
	struct tx *x = get_tx(m, t);
	struct txop *op;

	if (t && !x)
		return -EINVAL;
	if (m->fail_writes) {
		m->fail_writes--;
		return m->fail_err;
	}
	if (!x)
		return xsm_write(m, path, val);
	op = calloc(1, sizeof(*op));
	op->path = strdup(path);
	op->val = strdup(val);
	op->next = x->ops;
	x->ops = op;
	return 0;
}

static int m_directory(void *priv, tapback_tx_t t, const char *path,
		       char ***names, unsigned *num)
{
	struct xsm *m = priv;
	struct node *n = lookup(m, path, 0), *c;
	size_t size = 0;
	unsigned k = 0;
	char **v, *s;

	(void)t;
	if (!n)
		return -ENOENT;
	for (c = n->child; c; c = c->sibling) {
		size += sizeof(char *) + strlen(c->name) + 1;
		k++;
	}
	v = malloc(size + sizeof(char *));
	s = (char *)(v + k);
	k = 0;
	for (c = n->child; c; c = c->sibling) {
		v[k++] = s;
		strcpy(s, c->name);
		s += strlen(c->name) + 1;
	}
	*names = v;
	*num = k;
	return 0;
}

static int m_watch(void *priv, const char *path, const char *token)
{
	struct xsm *m = priv;
	struct watch *w;

	for (w = m->watches; w; w = w->next)
		if (!strcmp(w->path, path) && !strcmp(w->token, token))
			return -EEXIST;
	w = calloc(1, sizeof(*w));
	w->path = strdup(path);
	w->token = strdup(token);
	w->next = m->watches;
	m->watches = w;
	queue_event(m, path, token);	/* fires once when registered */
	return 0;
}

static int m_unwatch(void *priv, const char *path, const char *token)
{
	struct xsm *m = priv;
	struct watch **pp;

	for (pp = &m->watches; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->path, path) && !strcmp((*pp)->token, token)) {
			struct watch *w = *pp;

			*pp = w->next;
			free(w->path);
			free(w->token);
			free(w);
			return 0;
		}
	return -ENOENT;
}

static int m_read_watch(void *priv, char *path, size_t plen, char *token,
			size_t tlen)
{
	struct xsm *m = priv;
	struct event *e = m->ev_head;
	int rc = 0;

	if (!e)
		return -EAGAIN;
	m->ev_head = e->next;
	if (!m->ev_head)
		m->ev_tail = &m->ev_head;
	m->nev--;
	if (strlen(e->path) >= plen || strlen(e->token) >= tlen)
		rc = -E2BIG;
	else {
		strcpy(path, e->path);
		strcpy(token, e->token);
	}
	free(e->path);
	free(e->token);
	free(e);
	return rc;
}

static int m_fileno(void *priv)
{
	(void)priv;
	return -EOPNOTSUPP;
}

static int m_tx_start(void *priv, tapback_tx_t *t)
{
	struct xsm *m = priv;
	unsigned i;

	if (m->rm_on_tx) {
		xsm_rm(m, m->rm_on_tx);
		free(m->rm_on_tx);
		m->rm_on_tx = NULL;
	}
	for (i = 0; i < XSM_MAX_TX; i++)
		if (!m->tx[i].used) {
			m->tx[i].used = 1;
			m->tx[i].ops = NULL;
			*t = i + 1;
			return 0;
		}
	return -EBUSY;
}

static void apply(struct xsm *m, struct txop *op)
{
	if (!op)
		return;
	apply(m, op->next);	/* oldest first */
	xsm_write(m, op->path, op->val);
}

static int m_tx_end(void *priv, tapback_tx_t t, int abort)
{
	struct xsm *m = priv;
	struct tx *x = get_tx(m, t);
	int rc = 0;

	if (!x)
		return -EINVAL;
	if (!abort && m->fail_commits) {
		m->fail_commits--;
		rc = -EAGAIN;
	} else if (!abort) {
		apply(m, x->ops);
	}
	while (x->ops) {
		struct txop *op = x->ops;

		x->ops = op->next;
		free(op->path);
		free(op->val);
		free(op);
	}
	x->used = 0;
	return rc;
}

static const struct tapback_xs_ops xsm_ops = {
	.name = "xs-mem",
	.read = m_read,
	.write = m_write,
	.directory = m_directory,
	.watch = m_watch,
	.unwatch = m_unwatch,
	.read_watch = m_read_watch,
	.fileno = m_fileno,
	.tx_start = m_tx_start,
	.tx_end = m_tx_end,
};

struct xsm *xsm_new(void)
{
	struct xsm *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->root.name = strdup("");
	m->root.val = strdup("");
	m->ev_tail = &m->ev_head;
	return m;
}

void xsm_bind(struct xsm *m, struct tapback_xs *xs)
{
	xs->ops = &xsm_ops;
	xs->priv = m;
}

void xsm_free(struct xsm *m)
{
	unsigned i;

	if (!m)
		return;
	xsm_drop_events(m);
	while (m->watches) {
		struct watch *w = m->watches;

		m->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	for (i = 0; i < XSM_MAX_TX; i++)
		if (m->tx[i].used)
			m_tx_end(m, i + 1, 1);
	free(m->rm_on_tx);
	free_tree(m->root.child);
	free(m->root.name);
	free(m->root.val);
	free(m);
}

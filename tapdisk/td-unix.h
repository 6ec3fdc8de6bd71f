/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-unix: the Unix sockets tapdisk listens on (the control socket,
 * td-ctl.c, and the NBD exports, td-nbd.c). Both are for root or the user
 * tapdisk runs as only: the socket file is mode 0600 and every accepted
 * peer is checked again with SO_PEERCRED.
 */
#ifndef XENTAP_TD_UNIX_H
#define XENTAP_TD_UNIX_H

/*
 * A non-blocking, close-on-exec stream socket listening on path (which
 * must fit in sun_path) with mode 0600. A file left at path (a stale
 * socket of a dead process that had our pid) is removed first. Returns the
 * fd, or a negative errno with nothing left behind at path.
 */
int td_unix_listen(const char *path, int backlog);

/* 1 if the peer of the accepted socket fd is root or our effective user. */
int td_unix_peer_allowed(int fd);

#endif

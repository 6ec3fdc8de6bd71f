/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-ctl: tapdisk's control socket (server side of control/td-proto.h).
 *
 * Listens on <dir>/ctl<pid> (mode 0600). Connections are non-blocking and
 * served by the event loop; a client that sends nothing or sends slowly
 * cannot block I/O (idle connections are dropped after a timeout); a
 * malformed frame gets an error reply and the connection is closed. Only
 * root or the user tapdisk runs as may send commands (SO_PEERCRED).
 */
#ifndef XENTAP_TD_CTL_H
#define XENTAP_TD_CTL_H

/* Create the directory if needed, bind and listen. 0 or -errno. */
int td_ctl_start(const char *dir);
/* Close every connection and remove the socket. Idempotent. */
void td_ctl_stop(void);
const char *td_ctl_path(void);

#endif

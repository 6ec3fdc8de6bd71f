/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-nbd: an NBD export per VBD, on the unix socket
 * <ctl-dir>/nbd<pid>.<minor> (what Xen's block-tap script publishes as
 * physical-device-path, and what QEMU opens for HVM guests).
 *
 * The socket exists while the VBD has an image open or is paused. Clients
 * speak the fixed newstyle handshake (NBD_OPT_GO / INFO / EXPORT_NAME /
 * LIST / ABORT) and then READ, WRITE, FLUSH, TRIM, WRITE_ZEROES and DISC
 * with simple replies. Their I/O goes through the VBD's image (the same
 * td_image_queue path as the rings), so ring and NBD clients see one
 * disk. Everything runs in tapdisk's event loop and never blocks on a
 * client: each connection has bounded buffers, a limit on requests held,
 * and a handshake timeout.
 *
 * While the VBD is paused requests are received and held, and start on
 * unpause: none is lost or failed because of a pause.
 */
#ifndef XENTAP_TD_NBD_H
#define XENTAP_TD_NBD_H

struct td_vbd;

/* Start listening for v (its image is open). 0 or -errno; the VBD works
 * without its export when this fails (the failure is logged). */
int td_nbd_open(struct td_vbd *v);
/* Stop listening, finish the I/O in flight, hang up every client and
 * remove the socket. Idempotent. Call before the image is closed. */
void td_nbd_close(struct td_vbd *v);
/* Pause: start no more I/O and finish what is in flight (blocks until
 * then, like td_ring_quiesce). Call before the image is closed. */
void td_nbd_quiesce(struct td_vbd *v);
/* Unpause: the image is open again; start what waited. */
void td_nbd_resume(struct td_vbd *v);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-packet: BLKIF_OP_PACKET requests of CD VBDs (the SUSE packet ABI,
 * PROTOCOLS.md section 5). The ring code grant-copies the guest's page into
 * a private page, calls td_pkt_start, does the image read when asked, and
 * copies the answered page back; this module decodes the page once
 * (blkif-packet.c) and runs the command on the VBD's drive (mmc.c).
 */
#ifndef XENTAP_TD_PACKET_H
#define XENTAP_TD_PACKET_H

#include <stdint.h>

#include "mmc.h"

struct td_vbd;

/* Per-request state, embedded in the ring's request. */
struct td_pkt {
	struct mmc_cmd cmd;
	uint32_t buflen;	/* clamped data length of the request */
};

#define TD_PKT_DONE 0		/* the page holds the answer */
#define TD_PKT_NEED_READ 1	/* read cmd.plan, then td_pkt_read_done */

/*
 * page: the private copy of the guest's page (4096 bytes, answered in
 * place). Returns TD_PKT_DONE, TD_PKT_NEED_READ, or -EBADMSG for a
 * malformed page (answer BLKIF_RSP_ERROR and leave the guest's page alone).
 */
int td_pkt_start(struct td_vbd *v, struct td_pkt *p, uint8_t *page);

/* buf: plan.length bytes read from the image (res 0), or res < 0. */
void td_pkt_read_done(struct td_vbd *v, struct td_pkt *p, uint8_t *page,
		      const uint8_t *buf, int res);

#endif

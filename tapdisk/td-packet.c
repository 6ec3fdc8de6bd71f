/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "blkif-packet.h"
#include "td-log.h"
#include "td-packet.h"
#include "td-vbd.h"

/* Write the outcome of the drive's command into the page. */
static void pkt_answer(struct td_pkt *p, uint8_t *page)
{
	uint8_t sense[MMC_SENSE_LEN];
	struct blkif_pkt_answer a = {
		.err = p->cmd.status == MMC_GOOD ? 0 : -EIO,
		.stat = p->cmd.status,
		.data = p->cmd.data,
		.data_len = p->cmd.data_len,
		.buflen = p->buflen,
	};

	if (p->cmd.status != MMC_GOOD) {
		a.sense_len = mmc_sense_fixed(&p->cmd.sense, sense, sizeof(sense));
		a.sense = sense;
	}
	blkif_pkt_encode_packet(page, &a);
}

int td_pkt_start(struct td_vbd *v, struct td_pkt *p, uint8_t *page)
{
	struct blkif_pkt pk;
	int rc;

	if (!v->mmc || blkif_pkt_decode(page, BLKIF_PKT_PAGE_SIZE, &pk) < 0) {
		TD_RL(TD_LOG_WARN, v->prefix, "malformed packet page refused");
		return -EBADMSG;
	}
	switch (pk.type) {
	case BLKIF_PKT_SUPPORT:
		blkif_pkt_encode_support(page, 1);
		return TD_PKT_DONE;
	case BLKIF_PKT_OPEN:
		/* the path the guest sends is its own business: ignored */
		blkif_pkt_encode_open(page, mmc_medium_ready(v->mmc),
				      mmc_sectors512(v->mmc), MMC_BLOCK);
		return TD_PKT_DONE;
	case BLKIF_PKT_MEDIA_CHANGED:
		blkif_pkt_encode_media_changed(page,
					       mmc_media_changed_take(v->mmc));
		return TD_PKT_DONE;
	default:	/* BLKIF_PKT_PACKET: decode refuses anything else */
		break;
	}
	memset(&p->cmd, 0, sizeof(p->cmd));
	memcpy(p->cmd.cdb, pk.cdb, MMC_CDB_LEN);
	p->buflen = pk.buflen;
	p->cmd.data = page + BLKIF_PKT_DATA_OFF;
	p->cmd.data_max = pk.buflen;
	rc = mmc_exec(v->mmc, &p->cmd);
	td_media_after_packet(v);
	if (rc == MMC_NEED_READ) {
		if (!v->img) {	/* cannot happen: the drive has a medium */
			mmc_read_done(v->mmc, &p->cmd, -ENOMEDIUM);
			pkt_answer(p, page);
			return TD_PKT_DONE;
		}
		return TD_PKT_NEED_READ;
	}
	if (rc < 0) {
		TD_RL(TD_LOG_WARN, v->prefix, "packet command refused: %s",
		      strerror(-rc));
		return -EBADMSG;
	}
	pkt_answer(p, page);
	return TD_PKT_DONE;
}

void td_pkt_read_done(struct td_vbd *v, struct td_pkt *p, uint8_t *page,
		      const uint8_t *buf, int res)
{
	if (res == 0)
		memcpy(p->cmd.data, buf, p->cmd.plan.length);
	mmc_read_done(v->mmc, &p->cmd, res);
	pkt_answer(p, page);
}

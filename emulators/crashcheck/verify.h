/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CRASHCHECK_VERIFY_H
#define CRASHCHECK_VERIFY_H

#include "ledger.h"

struct verdict {
	uint64_t blocks;	/* blocks the ledger covers */
	uint64_t durable;	/* hold their last durable generation (or zeros, none durable) */
	uint64_t newer;		/* hold a later generation that was written */
	uint64_t stale;		/* hold something older than their last durable generation */
	uint64_t corrupt;	/* torn, garbage, or a generation never written */
	uint64_t foreign;	/* another device's or another block's data */
};

/* Read every block of dev and judge it against the ledger; -1 on I/O setup error. */
int verify_run(const char *dev, const struct ledger *l, struct verdict *v, int verbose);

#endif

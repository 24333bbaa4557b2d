/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CRASHCHECK_WRITER_H
#define CRASHCHECK_WRITER_H

#include "ledger.h"

struct writer_opts {
	const char *dev;
	uint64_t ops;		/* block writes to issue */
	uint64_t seed;
	uint64_t sync_every;	/* fsync (a cache flush) after every N writes; 0: never */
	uint64_t fua_every;	/* every Nth write is FUA (O_DSYNC async direct); 0: never */
};

/*
 * Write random blocks with flushes and FUA at the chosen points, keeping the
 * ledger current. An I/O error (the power was cut) stops the run: the write
 * that failed may or may not have landed, so it counts as attempted.
 * Returns the number of writes that completed, or -1 on a setup error.
 */
long long writer_run(const struct writer_opts *o, struct ledger *l, int *io_error);

#endif

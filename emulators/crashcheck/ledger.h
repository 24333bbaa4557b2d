/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ledger: per block, the newest generation known durable and the newest
 * generation written (or attempted). After a cut a block may hold any
 * generation in [durable, latest], or zeros if nothing was ever durable.
 */
#ifndef CRASHCHECK_LEDGER_H
#define CRASHCHECK_LEDGER_H

#include <stddef.h>
#include <stdint.h>

struct ledger {
	uint64_t dev_id;
	uint64_t bs;
	uint64_t nblocks;
	uint64_t *durable;
	uint64_t *latest;
};

int ledger_init(struct ledger *l, uint64_t dev_id, uint64_t bs, uint64_t nblocks);
void ledger_free(struct ledger *l);
/* Everything written so far is durable (a flush completed). */
void ledger_flushed(struct ledger *l);
int ledger_save(const struct ledger *l, const char *path);
int ledger_load(struct ledger *l, const char *path);

#endif

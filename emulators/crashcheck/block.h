/* SPDX-License-Identifier: GPL-2.0 */
/* Self-identifying blocks: what the crash checker writes and recognises. */
#ifndef CRASHCHECK_BLOCK_H
#define CRASHCHECK_BLOCK_H

#include <stddef.h>
#include <stdint.h>

enum block_kind {
	BLOCK_ZERO,	/* never written: all zeros */
	BLOCK_OURS,	/* intact, ours: dev_id and block number match */
	BLOCK_FOREIGN,	/* intact, but another device's or another block's */
	BLOCK_CORRUPT,	/* anything else: torn, garbage, bad checksum */
};

/* Fill buf (bs bytes, bs a multiple of 512) with generation gen of a block. */
void block_fill(void *buf, size_t bs, uint64_t dev_id, uint64_t block, uint64_t gen);

/* Classify what a block holds; *gen is set for BLOCK_OURS. */
enum block_kind block_classify(const void *buf, size_t bs, uint64_t dev_id,
			       uint64_t block, uint64_t *gen);

#endif

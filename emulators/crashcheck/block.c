// SPDX-License-Identifier: GPL-2.0
/*
 * Block layout: a header (magic, device id, block number, generation, size,
 * checksum), then payload derived from those fields. The checksum covers the
 * whole block, so a block torn between two generations is never taken for
 * either of them.
 */
#include "block.h"

#include <string.h>

#define BLOCK_MAGIC 0x31434355454d4d44ULL /* "DMMEUCC1" */

struct block_header {
	uint64_t magic;
	uint64_t dev_id;
	uint64_t block;
	uint64_t gen;
	uint64_t bs;
	uint64_t sum;
};

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* FNV-1a over the block with the checksum field taken as zero. */
static uint64_t block_sum(const unsigned char *p, size_t bs)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t sum_off = offsetof(struct block_header, sum);

	for (size_t i = 0; i < bs; i++) {
		unsigned char c = (i >= sum_off && i < sum_off + 8) ? 0 : p[i];

		h = (h ^ c) * 0x100000001b3ULL;
	}
	return h;
}

void block_fill(void *buf, size_t bs, uint64_t dev_id, uint64_t block, uint64_t gen)
{
	struct block_header h = {
		.magic = BLOCK_MAGIC, .dev_id = dev_id, .block = block,
		.gen = gen, .bs = bs, .sum = 0,
	};
	unsigned char *p = buf;
	uint64_t seed = mix(dev_id ^ mix(block ^ mix(gen)));

	for (size_t i = sizeof(h); i < bs; i += 8) {
		uint64_t v = mix(seed + i);

		memcpy(p + i, &v, bs - i < 8 ? bs - i : 8);
	}
	memcpy(p, &h, sizeof(h));
	h.sum = block_sum(p, bs);
	memcpy(p, &h, sizeof(h));
}

enum block_kind block_classify(const void *buf, size_t bs, uint64_t dev_id,
			       uint64_t block, uint64_t *gen)
{
	const unsigned char *p = buf;
	struct block_header h;
	size_t i;

	for (i = 0; i < bs && !p[i]; i++)
		;
	if (i == bs)
		return BLOCK_ZERO;
	memcpy(&h, p, sizeof(h));
	if (h.magic != BLOCK_MAGIC || h.bs != bs || h.sum != block_sum(p, bs))
		return BLOCK_CORRUPT;
	if (h.dev_id != dev_id || h.block != block)
		return BLOCK_FOREIGN;
	*gen = h.gen;
	return BLOCK_OURS;
}

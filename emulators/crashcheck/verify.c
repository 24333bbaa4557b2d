// SPDX-License-Identifier: GPL-2.0
/* The check after cut + restore: every block within its allowed window. */
#include "verify.h"
#include "block.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *judge(const struct ledger *l, uint64_t b, enum block_kind k,
			 uint64_t gen, struct verdict *v)
{
	uint64_t d = l->durable[b], t = l->latest[b];

	switch (k) {
	case BLOCK_ZERO:
		if (d) {
			v->stale++;
			return "stale (zeros)";
		}
		v->durable++;
		return NULL;
	case BLOCK_FOREIGN:
		v->foreign++;
		return "foreign";
	case BLOCK_CORRUPT:
		v->corrupt++;
		return "corrupt";
	case BLOCK_OURS:
		break;
	}
	if (gen > t || gen == 0) {
		v->corrupt++;
		return "generation never written";
	}
	if (gen < d) {
		v->stale++;
		return "stale";
	}
	if (gen == d)
		v->durable++;
	else
		v->newer++;
	return NULL;
}

int verify_run(const char *dev, const struct ledger *l, struct verdict *v, int verbose)
{
	int fd = open(dev, O_RDONLY | O_DIRECT);
	void *buf;

	memset(v, 0, sizeof(*v));
	if (fd < 0 || posix_memalign(&buf, 4096, l->bs)) {
		fprintf(stderr, "crashcheck: cannot read %s: %s\n", dev, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (uint64_t b = 0; b < l->nblocks; b++) {
		uint64_t gen = 0;
		enum block_kind k;
		const char *bad;

		if (pread(fd, buf, l->bs, (off_t)(b * l->bs)) != (ssize_t)l->bs) {
			fprintf(stderr, "crashcheck: read of block %" PRIu64 " failed: %s\n",
				b, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		k = block_classify(buf, l->bs, l->dev_id, b, &gen);
		v->blocks++;
		bad = judge(l, b, k, gen, v);
		if (bad && verbose)
			fprintf(stderr, "block %" PRIu64 ": %s (holds gen %" PRIu64
				", durable %" PRIu64 ", latest %" PRIu64 ")\n",
				b, bad, gen, l->durable[b], l->latest[b]);
	}
	free(buf);
	close(fd);
	return 0;
}

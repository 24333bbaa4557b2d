// SPDX-License-Identifier: GPL-2.0
/* The ledger file: a text header, then "block durable latest" per written block. */
#include "ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ledger_init(struct ledger *l, uint64_t dev_id, uint64_t bs, uint64_t nblocks)
{
	l->dev_id = dev_id;
	l->bs = bs;
	l->nblocks = nblocks;
	l->durable = calloc(nblocks ? nblocks : 1, sizeof(uint64_t));
	l->latest = calloc(nblocks ? nblocks : 1, sizeof(uint64_t));
	if (!l->durable || !l->latest) {
		ledger_free(l);
		return -1;
	}
	return 0;
}

void ledger_free(struct ledger *l)
{
	free(l->durable);
	free(l->latest);
	l->durable = l->latest = NULL;
}

void ledger_flushed(struct ledger *l)
{
	memcpy(l->durable, l->latest, l->nblocks * sizeof(uint64_t));
}

int ledger_save(const struct ledger *l, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "crashcheck-ledger 1 dev_id=%" PRIu64 " bs=%" PRIu64 " blocks=%" PRIu64 "\n",
		l->dev_id, l->bs, l->nblocks);
	for (uint64_t b = 0; b < l->nblocks; b++)
		if (l->latest[b])
			fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
				b, l->durable[b], l->latest[b]);
	return fclose(f) ? -1 : 0;
}

int ledger_load(struct ledger *l, const char *path)
{
	uint64_t dev_id, bs, nblocks, b, d, t;
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "crashcheck-ledger 1 dev_id=%" SCNu64 " bs=%" SCNu64 " blocks=%" SCNu64,
		    &dev_id, &bs, &nblocks) == 3 && ledger_init(l, dev_id, bs, nblocks) == 0;
	while (ok && fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64, &b, &d, &t) == 3) {
		if (b >= nblocks || d > t) {
			ok = 0;
			break;
		}
		l->durable[b] = d;
		l->latest[b] = t;
	}
	if (ok && !feof(f))
		ok = 0;
	fclose(f);
	if (!ok)
		ledger_free(l);
	return ok ? 0 : -1;
}

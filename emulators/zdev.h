/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zdev: one zoned block device as a party of the differential test:
 * O_DIRECT reads and writes, zone management ioctls, BLKREPORTZONE, sysfs
 * queue limits, and per-zone fault injection through null_blk configfs or a
 * dm-smr message. Every operation returns 0 or a negative errno.
 */
#ifndef ZDEV_H
#define ZDEV_H

#include <stdint.h>

#include "zone_model.h"

enum zdev_fault_kind {
	ZDEV_FAULT_NONE,
	ZDEV_FAULT_NULLB,	/* null_blk configfs directory */
	ZDEV_FAULT_DM,		/* dm device name: "fault <zone> <cond>" */
};

struct zdev {
	const char *spec;	/* as given on the command line */
	char path[256];
	int fd;
	enum zdev_fault_kind fault_kind;
	char fault_arg[256];
	int fill;		/* byte read above the write pointer */
	uint64_t capacity;	/* sectors */
	uint64_t zone_sectors;
	uint32_t nr_zones;
	uint32_t max_open, max_active;	/* sysfs queue limits */
	uint32_t max_sectors;		/* sysfs max_sectors_kb * 2 */
	uint32_t lbs;			/* logical block size, bytes */
};

/*
 * spec: PATH[,nullb=CONFIGFS_DIR][,dm=NAME][,fill=BYTE]. Opens the device and
 * reads its geometry and limits; on failure prints why and returns -1.
 * fill: what the device returns above the write pointer [0]; null_blk 6.1
 * returns 0xff there (nullb_fill_pattern()).
 */
int zdev_open(struct zdev *d, const char *spec);
void zdev_close(struct zdev *d);

int zdev_write(struct zdev *d, uint64_t sector, uint64_t nr, const void *buf);
int zdev_read(struct zdev *d, uint64_t sector, uint64_t nr, void *buf);

/* BLKOPENZONE etc. over [sector, sector + nr). */
int zdev_mgmt(struct zdev *d, unsigned long ioc, uint64_t sector, uint64_t nr);

/* Report nr zones from zone 0 into out (struct zm_zone layout). */
int zdev_report(struct zdev *d, struct zm_zone *out, uint32_t nr);

/* Fault injection; cond is ZM_COND_READONLY/OFFLINE, or 0 to clear. */
int zdev_fault(struct zdev *d, uint32_t zno, uint64_t zone_start,
	       unsigned int cur_cond, unsigned int cond);

#endif

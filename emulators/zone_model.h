/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zone_model: a userspace reference model of a zoned block device's zone
 * state machine (no I/O). It follows the dm-smr / zone_model contract: the
 * accounting, implicit open/close and error codes of null_blk 6.1
 * (drivers/block/null_blk/zoned.c), with a ZBC/ZNS switch for the no-op
 * transitions. Every operation returns 0 or a negative errno.
 */
#ifndef ZONE_MODEL_H
#define ZONE_MODEL_H

#include <stdint.h>

/* Values of include/uapi/linux/blkzoned.h. */
enum zm_type {
	ZM_TYPE_CONV = 0x1,
	ZM_TYPE_SEQ_REQ = 0x2,
};

enum zm_cond {
	ZM_COND_NOT_WP = 0x0,
	ZM_COND_EMPTY = 0x1,
	ZM_COND_IMP_OPEN = 0x2,
	ZM_COND_EXP_OPEN = 0x3,
	ZM_COND_CLOSED = 0x4,
	ZM_COND_READONLY = 0xd,
	ZM_COND_FULL = 0xe,
	ZM_COND_OFFLINE = 0xf,
};

enum zm_semantics {
	ZM_ZBC = 0,	/* close of EMPTY/FULL, open of FULL: succeed, no change */
	ZM_ZNS = 1,	/* null_blk: those fail with -EIO */
};

/* The write pointer null_blk reports for READONLY and OFFLINE zones. */
#define ZM_WP_INVALID UINT64_MAX

struct zm_config {
	uint64_t capacity;	/* device size in 512-byte sectors */
	uint64_t zone_sectors;	/* zone size, a power of two */
	uint64_t zone_cap;	/* zone capacity, 0 = zone size */
	uint32_t nr_conv;	/* conventional zones at the start */
	uint32_t max_open;	/* 0 = unlimited */
	uint32_t max_active;	/* 0 = unlimited */
	enum zm_semantics semantics;
};

struct zm_zone {
	uint64_t start;
	uint64_t len;
	uint64_t cap;
	uint64_t wp;
	uint8_t type;
	uint8_t cond;
};

struct zm_dev {
	struct zm_config cfg;	/* as given, limits sanitized like null_blk */
	uint32_t nr_zones;
	uint32_t nr_imp_open;
	uint32_t nr_exp_open;
	uint32_t nr_closed;
	uint32_t imp_close_zone_no;	/* round-robin cursor, as null_blk */
	struct zm_zone *zones;
};

/* Geometry and limits (null_blk 6.1 rules); -EINVAL or -ENOMEM on failure. */
int zm_init(struct zm_dev *dev, const struct zm_config *cfg);
void zm_free(struct zm_dev *dev);

/* Zone number of a sector (no range check: sector < capacity). */
uint32_t zm_zone_no(const struct zm_dev *dev, uint64_t sector);

/* Regular write of nr sectors at sector. */
int zm_write(struct zm_dev *dev, uint64_t sector, uint64_t nr);
/* Zone append of nr sectors to zone zno; *sector gets the written sector. */
int zm_append(struct zm_dev *dev, uint32_t zno, uint64_t nr, uint64_t *sector);
/*
 * Read of nr sectors at sector: *valid gets how many leading sectors lie
 * below the write pointer (the rest read as zeros). -EIO for OFFLINE zones.
 */
int zm_read(const struct zm_dev *dev, uint64_t sector, uint64_t nr,
	    uint64_t *valid);

/* Zone management on zone zno. */
int zm_open(struct zm_dev *dev, uint32_t zno);
int zm_close(struct zm_dev *dev, uint32_t zno);
int zm_finish(struct zm_dev *dev, uint32_t zno);
int zm_reset(struct zm_dev *dev, uint32_t zno);
/* Reset every sequential zone that is not EMPTY, READONLY or OFFLINE. */
int zm_reset_all(struct zm_dev *dev);

/*
 * Fault injection, null_blk configfs semantics: set READONLY or OFFLINE
 * (the zone is finished first to release its resources, wp becomes
 * ZM_WP_INVALID); asking again for the condition the zone already has
 * restores an EMPTY zone. zm_fault_clear() does that for either condition
 * and is a no-op on a zone without a fault. -EINVAL on conventional zones
 * or a bad condition.
 */
int zm_fault_set(struct zm_dev *dev, uint32_t zno, enum zm_cond cond);
int zm_fault_clear(struct zm_dev *dev, uint32_t zno);

/* Report: a copy of zone zno as a driver would report it. */
int zm_report(const struct zm_dev *dev, uint32_t zno, struct zm_zone *out);

/* Name of a condition, for messages. */
const char *zm_cond_name(unsigned int cond);

#endif

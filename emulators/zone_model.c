// SPDX-License-Identifier: GPL-2.0
/*
 * zone_model: reference zone state machine. Each function mirrors the
 * matching null_blk 6.1 code path (drivers/block/null_blk/zoned.c) so that
 * a null_blk device with the same geometry is an oracle for it; the only
 * intended difference is the ZBC semantics switch (close of EMPTY/FULL and
 * open of FULL succeed and change nothing).
 */
#include "zone_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static unsigned int ilog2_u64(uint64_t v)
{
	unsigned int n = 0;

	while (v >>= 1)
		n++;
	return n;
}

uint32_t zm_zone_no(const struct zm_dev *dev, uint64_t sector)
{
	return (uint32_t)(sector >> ilog2_u64(dev->cfg.zone_sectors));
}

int zm_init(struct zm_dev *dev, const struct zm_config *cfg)
{
	uint64_t zs = cfg->zone_sectors, cap = cfg->zone_cap, sector = 0;
	uint32_t i, nr_seq;

	memset(dev, 0, sizeof(*dev));
	if (!is_pow2(zs) || zs > cfg->capacity)
		return -EINVAL;
	if (!cap)
		cap = zs;
	if (cap > zs)
		return -EINVAL;
	/* null_blk: no smaller last zone together with zone capacity < size */
	if (cap != zs && (cfg->capacity & (zs - 1)))
		return -EINVAL;

	dev->cfg = *cfg;
	dev->cfg.zone_cap = cap;
	dev->nr_zones = (uint32_t)((cfg->capacity + zs - 1) >> ilog2_u64(zs));
	dev->zones = calloc(dev->nr_zones, sizeof(*dev->zones));
	if (!dev->zones)
		return -ENOMEM;

	if (dev->cfg.nr_conv >= dev->nr_zones)
		dev->cfg.nr_conv = dev->nr_zones - 1;
	nr_seq = dev->nr_zones - dev->cfg.nr_conv;
	/* Limit sanity rules of null_init_zoned_dev(). */
	if (dev->cfg.max_active >= nr_seq)
		dev->cfg.max_active = 0;
	if (dev->cfg.max_active && dev->cfg.max_open > dev->cfg.max_active)
		dev->cfg.max_open = dev->cfg.max_active;
	else if (dev->cfg.max_open >= nr_seq)
		dev->cfg.max_open = 0;
	dev->imp_close_zone_no = dev->cfg.nr_conv;

	for (i = 0; i < dev->nr_zones; i++, sector += zs) {
		struct zm_zone *z = &dev->zones[i];

		z->start = sector;
		if (i < dev->cfg.nr_conv) {
			z->len = zs;
			z->cap = zs;
			z->wp = sector + zs;
			z->type = ZM_TYPE_CONV;
			z->cond = ZM_COND_NOT_WP;
			continue;
		}
		z->len = sector + zs > cfg->capacity ? cfg->capacity - sector : zs;
		z->cap = z->len < cap ? z->len : cap;
		z->wp = sector;
		z->type = ZM_TYPE_SEQ_REQ;
		z->cond = ZM_COND_EMPTY;
	}
	return 0;
}

void zm_free(struct zm_dev *dev)
{
	free(dev->zones);
	dev->zones = NULL;
}

/* __null_close_zone(): the part shared by explicit and implicit close. */
static int close_zone(struct zm_dev *dev, struct zm_zone *z)
{
	switch (z->cond) {
	case ZM_COND_CLOSED:
		return 0;
	case ZM_COND_IMP_OPEN:
		dev->nr_imp_open--;
		break;
	case ZM_COND_EXP_OPEN:
		dev->nr_exp_open--;
		break;
	case ZM_COND_EMPTY:
	case ZM_COND_FULL:
		if (dev->cfg.semantics == ZM_ZBC)
			return 0;
		return -EIO;
	default:
		return -EIO;
	}
	if (z->wp == z->start) {
		z->cond = ZM_COND_EMPTY;
	} else {
		z->cond = ZM_COND_CLOSED;
		dev->nr_closed++;
	}
	return 0;
}

/* null_close_imp_open_zone(): round-robin from the cursor. */
static void close_imp_open_zone(struct zm_dev *dev)
{
	uint32_t conv = dev->cfg.nr_conv, zno = dev->imp_close_zone_no, i;

	if (zno >= dev->nr_zones)
		zno = conv;
	for (i = conv; i < dev->nr_zones; i++) {
		struct zm_zone *z = &dev->zones[zno];

		zno++;
		if (zno >= dev->nr_zones)
			zno = conv;
		if (z->cond == ZM_COND_IMP_OPEN) {
			close_zone(dev, z);
			dev->imp_close_zone_no = zno;
			return;
		}
	}
}

static int check_active(const struct zm_dev *dev)
{
	if (!dev->cfg.max_active)
		return 0;
	if (dev->nr_exp_open + dev->nr_imp_open + dev->nr_closed <
	    dev->cfg.max_active)
		return 0;
	return -EOVERFLOW;
}

static int check_open(struct zm_dev *dev)
{
	if (!dev->cfg.max_open)
		return 0;
	if (dev->nr_exp_open + dev->nr_imp_open < dev->cfg.max_open)
		return 0;
	if (dev->nr_imp_open && !check_active(dev)) {
		close_imp_open_zone(dev);
		return 0;
	}
	return -ETOOMANYREFS;
}

/* null_check_zone_resources(): only for EMPTY and CLOSED zones. */
static int check_resources(struct zm_dev *dev, const struct zm_zone *z)
{
	int ret;

	switch (z->cond) {
	case ZM_COND_EMPTY:
		ret = check_active(dev);
		if (ret)
			return ret;
		/* fall through */
	case ZM_COND_CLOSED:
		return check_open(dev);
	default:
		return -EIO;
	}
}

/* null_zone_write() for a sequential zone, sector already chosen. */
static int zone_write(struct zm_dev *dev, struct zm_zone *z, uint64_t sector,
		      uint64_t nr, int append)
{
	int ret;

	if (z->cond == ZM_COND_FULL || z->cond == ZM_COND_READONLY ||
	    z->cond == ZM_COND_OFFLINE)
		return -EIO;
	if (!append && sector != z->wp)
		return -EIO;
	if (z->wp + nr > z->start + z->cap)
		return -EIO;
	if (z->cond == ZM_COND_CLOSED || z->cond == ZM_COND_EMPTY) {
		ret = check_resources(dev, z);
		if (ret)
			return ret;
		if (z->cond == ZM_COND_CLOSED)
			dev->nr_closed--;
		dev->nr_imp_open++;
		z->cond = ZM_COND_IMP_OPEN;
	}
	z->wp += nr;
	if (z->wp == z->start + z->cap) {
		if (z->cond == ZM_COND_EXP_OPEN)
			dev->nr_exp_open--;
		else if (z->cond == ZM_COND_IMP_OPEN)
			dev->nr_imp_open--;
		z->cond = ZM_COND_FULL;
	}
	return 0;
}

int zm_write(struct zm_dev *dev, uint64_t sector, uint64_t nr)
{
	uint32_t first, last, i;

	if (!nr || sector >= dev->cfg.capacity ||
	    nr > dev->cfg.capacity - sector)
		return -EINVAL;
	first = zm_zone_no(dev, sector);
	last = zm_zone_no(dev, sector + nr - 1);
	if (first != last) {
		/* Only a write over conventional zones may cross a boundary. */
		for (i = first; i <= last; i++)
			if (dev->zones[i].type != ZM_TYPE_CONV)
				return -EIO;
		return 0;
	}
	if (dev->zones[first].type == ZM_TYPE_CONV)
		return 0;
	return zone_write(dev, &dev->zones[first], sector, nr, 0);
}

int zm_append(struct zm_dev *dev, uint32_t zno, uint64_t nr, uint64_t *sector)
{
	struct zm_zone *z;
	uint64_t wp;
	int ret;

	if (zno >= dev->nr_zones || !nr)
		return -EINVAL;
	z = &dev->zones[zno];
	/* blk_check_zone_append(): sequential zone, at most a zone long */
	if (z->type == ZM_TYPE_CONV || nr > dev->cfg.zone_sectors)
		return -EIO;
	wp = z->wp;
	ret = zone_write(dev, z, wp, nr, 1);
	if (!ret && sector)
		*sector = wp;
	return ret;
}

int zm_read(const struct zm_dev *dev, uint64_t sector, uint64_t nr,
	    uint64_t *valid)
{
	const struct zm_zone *z;

	if (!nr || sector >= dev->cfg.capacity ||
	    nr > dev->cfg.capacity - sector ||
	    zm_zone_no(dev, sector) != zm_zone_no(dev, sector + nr - 1))
		return -EINVAL;
	z = &dev->zones[zm_zone_no(dev, sector)];
	if (z->cond == ZM_COND_OFFLINE)
		return -EIO;
	if (z->type == ZM_TYPE_CONV || sector + nr <= z->wp)
		*valid = nr;
	else if (sector > z->wp)
		*valid = 0;
	else
		*valid = z->wp - sector;
	return 0;
}

/*
 * Common entry of the zone management operations (null_zone_mgmt()):
 * range, READONLY/OFFLINE and conventional zones.
 */
static struct zm_zone *mgmt_zone(struct zm_dev *dev, uint32_t zno, int *ret)
{
	struct zm_zone *z;

	if (zno >= dev->nr_zones) {
		*ret = -EINVAL;
		return NULL;
	}
	z = &dev->zones[zno];
	if (z->cond == ZM_COND_READONLY || z->cond == ZM_COND_OFFLINE ||
	    z->type == ZM_TYPE_CONV) {
		*ret = -EIO;
		return NULL;
	}
	*ret = 0;
	return z;
}

int zm_open(struct zm_dev *dev, uint32_t zno)
{
	int ret;
	struct zm_zone *z = mgmt_zone(dev, zno, &ret);

	if (!z)
		return ret;
	switch (z->cond) {
	case ZM_COND_EXP_OPEN:
		return 0;
	case ZM_COND_EMPTY:
		ret = check_resources(dev, z);
		if (ret)
			return ret;
		break;
	case ZM_COND_IMP_OPEN:
		dev->nr_imp_open--;
		break;
	case ZM_COND_CLOSED:
		ret = check_resources(dev, z);
		if (ret)
			return ret;
		dev->nr_closed--;
		break;
	case ZM_COND_FULL:
		return dev->cfg.semantics == ZM_ZBC ? 0 : -EIO;
	default:
		return -EIO;
	}
	z->cond = ZM_COND_EXP_OPEN;
	dev->nr_exp_open++;
	return 0;
}

int zm_close(struct zm_dev *dev, uint32_t zno)
{
	int ret;
	struct zm_zone *z = mgmt_zone(dev, zno, &ret);

	if (!z)
		return ret;
	return close_zone(dev, z);
}

/* null_finish_zone(), without the READONLY/OFFLINE/conventional checks. */
static int finish_zone(struct zm_dev *dev, struct zm_zone *z)
{
	int ret;

	switch (z->cond) {
	case ZM_COND_FULL:
		return 0;
	case ZM_COND_EMPTY:
		ret = check_resources(dev, z);
		if (ret)
			return ret;
		break;
	case ZM_COND_IMP_OPEN:
		dev->nr_imp_open--;
		break;
	case ZM_COND_EXP_OPEN:
		dev->nr_exp_open--;
		break;
	case ZM_COND_CLOSED:
		ret = check_resources(dev, z);
		if (ret)
			return ret;
		dev->nr_closed--;
		break;
	default:
		return -EIO;
	}
	z->cond = ZM_COND_FULL;
	z->wp = z->start + z->len;
	return 0;
}

int zm_finish(struct zm_dev *dev, uint32_t zno)
{
	int ret;
	struct zm_zone *z = mgmt_zone(dev, zno, &ret);

	if (!z)
		return ret;
	return finish_zone(dev, z);
}

/* null_reset_zone(), without the READONLY/OFFLINE/conventional checks. */
static int reset_zone(struct zm_dev *dev, struct zm_zone *z)
{
	switch (z->cond) {
	case ZM_COND_EMPTY:
		return 0;
	case ZM_COND_IMP_OPEN:
		dev->nr_imp_open--;
		break;
	case ZM_COND_EXP_OPEN:
		dev->nr_exp_open--;
		break;
	case ZM_COND_CLOSED:
		dev->nr_closed--;
		break;
	case ZM_COND_FULL:
		break;
	default:
		return -EIO;
	}
	z->cond = ZM_COND_EMPTY;
	z->wp = z->start;
	return 0;
}

int zm_reset(struct zm_dev *dev, uint32_t zno)
{
	int ret;
	struct zm_zone *z = mgmt_zone(dev, zno, &ret);

	if (!z)
		return ret;
	return reset_zone(dev, z);
}

int zm_reset_all(struct zm_dev *dev)
{
	uint32_t i;

	for (i = dev->cfg.nr_conv; i < dev->nr_zones; i++) {
		struct zm_zone *z = &dev->zones[i];

		if (z->cond != ZM_COND_EMPTY && z->cond != ZM_COND_READONLY &&
		    z->cond != ZM_COND_OFFLINE)
			reset_zone(dev, z);
	}
	return 0;
}

/*
 * null_set_zone_cond(). Like null_blk, a failed finish (resource limits)
 * is ignored: the zone still takes the fault condition and the counters
 * keep whatever the finish left.
 */
int zm_fault_set(struct zm_dev *dev, uint32_t zno, enum zm_cond cond)
{
	struct zm_zone *z;

	if (zno >= dev->nr_zones ||
	    (cond != ZM_COND_READONLY && cond != ZM_COND_OFFLINE))
		return -EINVAL;
	z = &dev->zones[zno];
	if (z->type == ZM_TYPE_CONV)
		return -EINVAL;
	if (z->cond == cond) {
		z->cond = ZM_COND_EMPTY;
		z->wp = z->start;
		return 0;
	}
	if (z->cond != ZM_COND_READONLY && z->cond != ZM_COND_OFFLINE)
		finish_zone(dev, z);
	z->cond = cond;
	z->wp = ZM_WP_INVALID;
	return 0;
}

int zm_fault_clear(struct zm_dev *dev, uint32_t zno)
{
	struct zm_zone *z;

	if (zno >= dev->nr_zones)
		return -EINVAL;
	z = &dev->zones[zno];
	if (z->type == ZM_TYPE_CONV)
		return -EINVAL;
	if (z->cond == ZM_COND_READONLY || z->cond == ZM_COND_OFFLINE)
		return zm_fault_set(dev, zno, z->cond);
	return 0;
}

int zm_report(const struct zm_dev *dev, uint32_t zno, struct zm_zone *out)
{
	if (zno >= dev->nr_zones)
		return -EINVAL;
	*out = dev->zones[zno];
	return 0;
}

const char *zm_cond_name(unsigned int cond)
{
	switch (cond) {
	case ZM_COND_NOT_WP: return "NOT_WP";
	case ZM_COND_EMPTY: return "EMPTY";
	case ZM_COND_IMP_OPEN: return "IMP_OPEN";
	case ZM_COND_EXP_OPEN: return "EXP_OPEN";
	case ZM_COND_CLOSED: return "CLOSED";
	case ZM_COND_READONLY: return "READONLY";
	case ZM_COND_FULL: return "FULL";
	case ZM_COND_OFFLINE: return "OFFLINE";
	default: return "?";
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * dm-smr: a zoned block device (SMR host-managed or host-aware) emulated on
 * top of any conventional block device.
 *
 * Table line:
 *   <start> <len> smr <dev> <zone_sectors> [key=value ...]
 * keys: conv=N zone_cap=SECTORS max_open=N max_active=N model=hm|ha
 *       semantics=zbc|zns state=volatile|persistent
 *
 * Data of dm sector S (relative to the target start) lives at sector S of
 * <dev>. With state=persistent, zone metadata lives right after the data
 * area, at <dev> sector <len>: one header block, then one 8-byte record per
 * zone (little-endian write pointer offset, condition).
 *
 * On 6.1, dm core emulates zone append and keeps its own write pointer cache
 * for sequential zones. It write-locks a zone for every write, reset and
 * finish, and unlocks it from clone_endio() only when the clone still
 * points at the zoned dm device. Such bios are therefore never remapped:
 * data goes through a private clone, and every other completion of a
 * tracked bio is deferred until ->map() has returned (a bio submitted from
 * ->map() only runs after the dm submit_bio method returns).
 *
 * A table reload keeps the zone state: the new instance takes it over from
 * the one it replaces when it first resumes (the old one is suspended by
 * then). dm core keeps its write pointer cache across a reload with the same
 * zone count, so the two stay consistent.
 */

#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

#define DM_MSG_PREFIX "smr"

#define SMR_META_MAGIC		0x31524d53444d4d44ULL	/* "DMMDSMR1" */
#define SMR_META_VERSION	1
#define SMR_REC_PER_BLOCK	(PAGE_SIZE / sizeof(struct smr_meta_rec))
#define SMR_WP_INVALID		((sector_t)-1)

/* In-memory zone state: 12 bytes per zone. */
struct smr_zone {
	u32 wp;		/* write pointer offset, advanced when a write is mapped */
	u32 cwp;	/* offset up to which writes have completed */
	u8 cond;	/* enum blk_zone_cond */
	u8 pad[3];
};

/* On-disk zone record. */
struct smr_meta_rec {
	__le32 wp;
	u8 cond;
	u8 pad[3];
};

struct smr_meta_hdr {
	__le64 magic;
	__le32 version;
	__le32 nr_zones;
	__le64 zone_sectors;
	__le64 len;
	__le32 nr_conv;
	__le32 zone_cap;
	__le32 model;
};

enum smr_io_kind {
	SMR_IO_NONE,
	SMR_IO_WRITE,	/* data write submitted through a private clone */
	SMR_IO_DEFER,	/* complete with pb->status once ->map() returned */
	SMR_IO_RESET,	/* deferred, then drop the zone data */
	SMR_IO_PERSIST,	/* deferred, make zone state durable first */
};

struct smr_io {
	struct smr_target *sc;
	u32 zno;
	u32 off;
	u32 nr;
	u8 kind;
	blk_status_t status;
	/* the private clone of a data write: no allocation per write */
	struct bio clone;
};

struct smr_stats {
	u64 writes;
	u64 reads;
	u64 resets;
	u64 opens;
	u64 closes;
	u64 finishes;
	u64 flushes;
	u64 rejected_writes;
	u64 implicit_closes;
};

struct smr_target {
	struct dm_target *ti;
	struct dm_dev *dev;
	struct mapped_device *md;
	struct list_head node;	/* in smr_instances */
	bool resumed;		/* has served I/O: the live table, or was */

	sector_t zone_sectors;
	unsigned int zone_shift;
	u32 nr_zones;
	u32 nr_conv;
	u32 zone_cap;
	u32 cfg_max_open;
	u32 cfg_max_active;
	u32 max_open;
	u32 max_active;
	bool ha;
	bool zns;
	bool persistent;

	spinlock_t lock;	/* zone array, open/active counters */
	struct smr_zone *zones;
	u32 nr_imp_open;
	u32 nr_exp_open;
	u32 nr_closed;
	u32 imp_close_zno;
	struct smr_stats __percpu *stats;

	struct bio_set bs;
	struct page *scratch;	/* target of the ordering reads */
	struct workqueue_struct *wq;
	struct work_struct work;
	struct bio_list deferred;	/* under lock */

	/* state=persistent */
	struct mutex meta_lock;
	void *image;		/* header block + record blocks */
	unsigned long *dirty;	/* record blocks to write */
	u32 nr_rec_blocks;
	sector_t meta_start;
};

static inline sector_t smr_zone_len(struct smr_target *sc)
{
	return sc->zone_sectors;
}

static inline bool smr_is_conv(struct smr_target *sc, u32 zno)
{
	return zno < sc->nr_conv;
}

static inline u32 smr_zno(struct smr_target *sc, sector_t sector)
{
	return (u32)(dm_target_offset(sc->ti, sector) >> sc->zone_shift);
}

/* Every instance, to find the one a reload replaces. */
static LIST_HEAD(smr_instances);
static DEFINE_MUTEX(smr_instances_lock);

static bool smr_same_geometry(struct smr_target *a, struct smr_target *b)
{
	return a->nr_zones == b->nr_zones && a->zone_sectors == b->zone_sectors &&
	       a->nr_conv == b->nr_conv && a->zone_cap == b->zone_cap &&
	       a->ha == b->ha;
}

/*
 * The resumed instance at the same place of the same dm device, if any: the
 * live table a reload replaces (a loaded but never resumed table is not).
 */
static struct smr_target *smr_find_live_peer(struct smr_target *sc)
{
	struct smr_target *o;

	lockdep_assert_held(&smr_instances_lock);
	list_for_each_entry(o, &smr_instances, node)
		if (o != sc && o->resumed && o->md == sc->md &&
		    o->ti->begin == sc->ti->begin)
			return o;
	return NULL;
}

/* May sc carry on with old's zones (and dm core with its write pointers)? */
static bool smr_can_take_over(struct smr_target *sc, struct smr_target *old)
{
	return smr_same_geometry(sc, old) && sc->dev->bdev == old->dev->bdev;
}

static inline void smr_mark_dirty(struct smr_target *sc, u32 zno)
{
	if (sc->persistent)
		set_bit(zno / SMR_REC_PER_BLOCK, sc->dirty);
}

/*
 * Zone state machine, following null_blk 6.1 (drivers/block/null_blk/zoned.c)
 * for accounting, implicit close and error codes. Called under sc->lock.
 */
static blk_status_t smr_check_active(struct smr_target *sc)
{
	if (!sc->max_active)
		return BLK_STS_OK;
	if (sc->nr_exp_open + sc->nr_imp_open + sc->nr_closed < sc->max_active)
		return BLK_STS_OK;
	return BLK_STS_ZONE_ACTIVE_RESOURCE;
}

static blk_status_t smr_do_close(struct smr_target *sc, struct smr_zone *z)
{
	switch (z->cond) {
	case BLK_ZONE_COND_CLOSED:
		return BLK_STS_OK;
	case BLK_ZONE_COND_IMP_OPEN:
		sc->nr_imp_open--;
		break;
	case BLK_ZONE_COND_EXP_OPEN:
		sc->nr_exp_open--;
		break;
	case BLK_ZONE_COND_EMPTY:
	case BLK_ZONE_COND_FULL:
		/* ZBC: a no-op transition; ZNS (and null_blk): an error */
		return sc->zns ? BLK_STS_IOERR : BLK_STS_OK;
	default:
		return BLK_STS_IOERR;
	}

	if (z->wp == 0) {
		z->cond = BLK_ZONE_COND_EMPTY;
	} else {
		z->cond = BLK_ZONE_COND_CLOSED;
		sc->nr_closed++;
	}
	return BLK_STS_OK;
}

static void smr_close_imp_open_zone(struct smr_target *sc)
{
	u32 zno = sc->imp_close_zno;
	u32 i;

	if (zno >= sc->nr_zones)
		zno = sc->nr_conv;

	for (i = sc->nr_conv; i < sc->nr_zones; i++) {
		struct smr_zone *z = &sc->zones[zno];

		zno++;
		if (zno >= sc->nr_zones)
			zno = sc->nr_conv;
		if (z->cond == BLK_ZONE_COND_IMP_OPEN) {
			smr_do_close(sc, z);
			sc->imp_close_zno = zno;
			this_cpu_inc(sc->stats->implicit_closes);
			return;
		}
	}
}

static blk_status_t smr_check_open(struct smr_target *sc)
{
	if (!sc->max_open)
		return BLK_STS_OK;
	if (sc->nr_exp_open + sc->nr_imp_open < sc->max_open)
		return BLK_STS_OK;
	if (sc->nr_imp_open && smr_check_active(sc) == BLK_STS_OK) {
		smr_close_imp_open_zone(sc);
		return BLK_STS_OK;
	}
	return BLK_STS_ZONE_OPEN_RESOURCE;
}

static blk_status_t smr_check_resources(struct smr_target *sc,
					struct smr_zone *z)
{
	blk_status_t ret;

	switch (z->cond) {
	case BLK_ZONE_COND_EMPTY:
		ret = smr_check_active(sc);
		if (ret != BLK_STS_OK)
			return ret;
		fallthrough;
	case BLK_ZONE_COND_CLOSED:
		return smr_check_open(sc);
	default:
		return BLK_STS_IOERR;
	}
}

static blk_status_t smr_do_open(struct smr_target *sc, struct smr_zone *z)
{
	blk_status_t ret;

	switch (z->cond) {
	case BLK_ZONE_COND_EXP_OPEN:
		return BLK_STS_OK;
	case BLK_ZONE_COND_EMPTY:
		ret = smr_check_resources(sc, z);
		if (ret != BLK_STS_OK)
			return ret;
		break;
	case BLK_ZONE_COND_IMP_OPEN:
		sc->nr_imp_open--;
		break;
	case BLK_ZONE_COND_CLOSED:
		ret = smr_check_resources(sc, z);
		if (ret != BLK_STS_OK)
			return ret;
		sc->nr_closed--;
		break;
	case BLK_ZONE_COND_FULL:
		return sc->zns ? BLK_STS_IOERR : BLK_STS_OK;
	default:
		return BLK_STS_IOERR;
	}
	z->cond = BLK_ZONE_COND_EXP_OPEN;
	sc->nr_exp_open++;
	return BLK_STS_OK;
}

static blk_status_t smr_do_finish(struct smr_target *sc, struct smr_zone *z)
{
	blk_status_t ret;

	switch (z->cond) {
	case BLK_ZONE_COND_FULL:
		return BLK_STS_OK;
	case BLK_ZONE_COND_EMPTY:
		ret = smr_check_resources(sc, z);
		if (ret != BLK_STS_OK)
			return ret;
		break;
	case BLK_ZONE_COND_IMP_OPEN:
		sc->nr_imp_open--;
		break;
	case BLK_ZONE_COND_EXP_OPEN:
		sc->nr_exp_open--;
		break;
	case BLK_ZONE_COND_CLOSED:
		ret = smr_check_resources(sc, z);
		if (ret != BLK_STS_OK)
			return ret;
		sc->nr_closed--;
		break;
	default:
		return BLK_STS_IOERR;
	}
	z->cond = BLK_ZONE_COND_FULL;
	z->wp = (u32)smr_zone_len(sc);
	z->cwp = z->wp;
	return BLK_STS_OK;
}

static blk_status_t smr_do_reset(struct smr_target *sc, struct smr_zone *z)
{
	switch (z->cond) {
	case BLK_ZONE_COND_EMPTY:
		return BLK_STS_OK;
	case BLK_ZONE_COND_IMP_OPEN:
		sc->nr_imp_open--;
		break;
	case BLK_ZONE_COND_EXP_OPEN:
		sc->nr_exp_open--;
		break;
	case BLK_ZONE_COND_CLOSED:
		sc->nr_closed--;
		break;
	case BLK_ZONE_COND_FULL:
		break;
	default:
		return BLK_STS_IOERR;
	}
	z->cond = BLK_ZONE_COND_EMPTY;
	z->wp = 0;
	z->cwp = 0;
	return BLK_STS_OK;
}

/* Account a write of nr sectors at offset off; the checks are done. */
static void smr_advance_wp(struct smr_target *sc, struct smr_zone *z,
			   u32 off, u32 nr)
{
	if (off + nr > z->wp)
		z->wp = off + nr;
	if (z->wp >= sc->zone_cap && z->cond != BLK_ZONE_COND_FULL) {
		if (z->cond == BLK_ZONE_COND_EXP_OPEN)
			sc->nr_exp_open--;
		else if (z->cond == BLK_ZONE_COND_IMP_OPEN)
			sc->nr_imp_open--;
		z->cond = BLK_ZONE_COND_FULL;
	}
}

/*
 * Metadata (state=persistent).
 */
static int smr_meta_io(struct smr_target *sc, enum req_op op, u32 block,
		       blk_opf_t flags)
{
	void *addr = sc->image + (size_t)block * PAGE_SIZE;
	struct bio *bio;
	int ret;

	bio = bio_alloc(sc->dev->bdev, 1, op | flags, GFP_NOIO);
	bio->bi_iter.bi_sector = sc->meta_start + ((sector_t)block << (PAGE_SHIFT - SECTOR_SHIFT));
	if (bio_add_page(bio, vmalloc_to_page(addr), PAGE_SIZE, 0) != PAGE_SIZE) {
		bio_put(bio);
		return -EIO;
	}
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

static u8 smr_persisted_cond(struct smr_target *sc, struct smr_zone *z)
{
	if (z->cond == BLK_ZONE_COND_READONLY ||
	    z->cond == BLK_ZONE_COND_OFFLINE)
		return z->cond;
	if (z->cwp == 0)
		return BLK_ZONE_COND_EMPTY;
	if (z->cwp >= sc->zone_cap)
		return BLK_ZONE_COND_FULL;
	return BLK_ZONE_COND_CLOSED;
}

/*
 * Make the zone state durable: snapshot the completed write pointers, flush
 * the data they cover, then write the changed record blocks and flush again.
 * A record never claims data that the first flush did not cover.
 */
static int smr_persist(struct smr_target *sc)
{
	unsigned long *todo;
	struct smr_meta_rec *recs = sc->image + PAGE_SIZE;
	unsigned long flags;
	u32 b, i;
	int ret;

	todo = bitmap_zalloc(sc->nr_rec_blocks, GFP_NOIO);
	if (!todo)
		return -ENOMEM;

	mutex_lock(&sc->meta_lock);
	for (b = 0; b < sc->nr_rec_blocks; b++) {
		if (!test_and_clear_bit(b, sc->dirty))
			continue;
		set_bit(b, todo);
		spin_lock_irqsave(&sc->lock, flags);
		for (i = b * SMR_REC_PER_BLOCK;
		     i < min_t(u32, sc->nr_zones, (b + 1) * SMR_REC_PER_BLOCK); i++) {
			struct smr_zone *z = &sc->zones[i];

			recs[i].wp = cpu_to_le32(z->cwp);
			recs[i].cond = smr_persisted_cond(sc, z);
		}
		spin_unlock_irqrestore(&sc->lock, flags);
	}

	ret = blkdev_issue_flush(sc->dev->bdev);
	for (b = 0; !ret && b < sc->nr_rec_blocks; b++) {
		if (test_bit(b, todo))
			ret = smr_meta_io(sc, REQ_OP_WRITE, b + 1, REQ_SYNC);
	}
	if (!ret)
		ret = blkdev_issue_flush(sc->dev->bdev);
	if (ret) {
		/* retry these blocks next time */
		for (b = 0; b < sc->nr_rec_blocks; b++)
			if (test_bit(b, todo))
				set_bit(b, sc->dirty);
		DMERR_LIMIT("metadata write failed: %d", ret);
	}
	mutex_unlock(&sc->meta_lock);
	bitmap_free(todo);
	return ret;
}

static void smr_meta_fill_hdr(struct smr_target *sc)
{
	struct smr_meta_hdr *h = sc->image;

	memset(h, 0, PAGE_SIZE);
	h->magic = cpu_to_le64(SMR_META_MAGIC);
	h->version = cpu_to_le32(SMR_META_VERSION);
	h->nr_zones = cpu_to_le32(sc->nr_zones);
	h->zone_sectors = cpu_to_le64(sc->zone_sectors);
	h->len = cpu_to_le64(sc->ti->len);
	h->nr_conv = cpu_to_le32(sc->nr_conv);
	h->zone_cap = cpu_to_le32(sc->zone_cap);
	h->model = cpu_to_le32(sc->ha);
}

/* Load the metadata, or format it when the area has no header. */
static int smr_meta_load(struct smr_target *sc)
{
	struct smr_meta_hdr *h = sc->image;
	struct smr_meta_rec *recs = sc->image + PAGE_SIZE;
	u32 b, i;
	int ret;

	ret = smr_meta_io(sc, REQ_OP_READ, 0, 0);
	if (ret) {
		DMERR("state=persistent: cannot read the metadata header: %d", ret);
		return ret;
	}

	if (le64_to_cpu(h->magic) != SMR_META_MAGIC) {
		DMINFO("state=persistent: formatting metadata at sector %llu",
		       (unsigned long long)sc->meta_start);
		smr_meta_fill_hdr(sc);
		memset(recs, 0, (size_t)sc->nr_rec_blocks * PAGE_SIZE);
		for (i = sc->nr_conv; i < sc->nr_zones; i++)
			recs[i].cond = BLK_ZONE_COND_EMPTY;
		for (b = 1; b <= sc->nr_rec_blocks; b++) {
			ret = smr_meta_io(sc, REQ_OP_WRITE, b, REQ_SYNC);
			if (ret)
				return ret;
		}
		ret = blkdev_issue_flush(sc->dev->bdev);
		if (!ret)
			ret = smr_meta_io(sc, REQ_OP_WRITE, 0, REQ_SYNC | REQ_FUA);
		return ret;
	}

	if (le32_to_cpu(h->version) != SMR_META_VERSION ||
	    le32_to_cpu(h->nr_zones) != sc->nr_zones ||
	    le64_to_cpu(h->zone_sectors) != sc->zone_sectors ||
	    le64_to_cpu(h->len) != sc->ti->len ||
	    le32_to_cpu(h->nr_conv) != sc->nr_conv ||
	    le32_to_cpu(h->zone_cap) != sc->zone_cap ||
	    le32_to_cpu(h->model) != sc->ha) {
		DMERR("state=persistent: metadata geometry (zones %u of %llu sectors, conv %u, zone_cap %u, model %s) does not match the table",
		      le32_to_cpu(h->nr_zones),
		      (unsigned long long)le64_to_cpu(h->zone_sectors),
		      le32_to_cpu(h->nr_conv), le32_to_cpu(h->zone_cap),
		      le32_to_cpu(h->model) ? "ha" : "hm");
		return -EINVAL;
	}

	for (b = 1; b <= sc->nr_rec_blocks; b++) {
		ret = smr_meta_io(sc, REQ_OP_READ, b, 0);
		if (ret)
			return ret;
	}

	for (i = sc->nr_conv; i < sc->nr_zones; i++) {
		struct smr_zone *z = &sc->zones[i];
		u32 wp = le32_to_cpu(recs[i].wp);
		u8 cond = recs[i].cond;

		switch (cond) {
		case BLK_ZONE_COND_NOT_WP:
			/* an all-zero record: formatted by dm-smr 1.0, never written */
			if (wp) {
				DMERR("state=persistent: zone %u: bad record", i);
				return -EINVAL;
			}
			cond = BLK_ZONE_COND_EMPTY;
			break;
		case BLK_ZONE_COND_EMPTY:
			wp = 0;
			break;
		case BLK_ZONE_COND_CLOSED:
			if (wp == 0 || wp >= sc->zone_cap) {
				DMERR("state=persistent: zone %u: bad record", i);
				return -EINVAL;
			}
			sc->nr_closed++;
			break;
		case BLK_ZONE_COND_FULL:
			if (wp != sc->zone_cap && wp != smr_zone_len(sc)) {
				DMERR("state=persistent: zone %u: bad record", i);
				return -EINVAL;
			}
			break;
		case BLK_ZONE_COND_READONLY:
		case BLK_ZONE_COND_OFFLINE:
			wp = 0;
			break;
		default:
			DMERR("state=persistent: zone %u: bad condition %u", i, cond);
			return -EINVAL;
		}
		z->cond = cond;
		z->wp = wp;
		z->cwp = wp;
	}
	return 0;
}

/*
 * Deferred completion. The ordering read is submitted from ->map(); it is
 * queued on current->bio_list and only issued once the dm submit_bio method
 * has returned, so its completion (and the work it queues) always runs after
 * dm core has finished with the mapped clone.
 */
static void smr_order_endio(struct bio *rbio)
{
	struct bio *bio = rbio->bi_private;
	struct smr_io *pb = dm_per_bio_data(bio, sizeof(struct smr_io));
	struct smr_target *sc = pb->sc;
	unsigned long flags;

	bio_put(rbio);
	if (pb->kind == SMR_IO_DEFER) {
		bio->bi_status = pb->status;
		bio_endio(bio);
		return;
	}
	spin_lock_irqsave(&sc->lock, flags);
	bio_list_add(&sc->deferred, bio);
	spin_unlock_irqrestore(&sc->lock, flags);
	queue_work(sc->wq, &sc->work);
}

static int smr_defer(struct smr_target *sc, struct bio *bio, u8 kind,
		     blk_status_t status)
{
	struct smr_io *pb = dm_per_bio_data(bio, sizeof(struct smr_io));
	struct block_device *bdev = sc->dev->bdev;
	struct bio *rbio;

	pb->kind = kind;
	pb->status = status;
	rbio = bio_alloc_bioset(bdev, 1, REQ_OP_READ, GFP_NOIO, &sc->bs);
	rbio->bi_iter.bi_sector = 0;
	__bio_add_page(rbio, sc->scratch, bdev_logical_block_size(bdev), 0);
	rbio->bi_private = bio;
	rbio->bi_end_io = smr_order_endio;
	dm_submit_bio_remap(bio, rbio);
	return DM_MAPIO_SUBMITTED;
}

/* Does dm core write-lock and track this zone for this operation? */
static bool smr_tracked(struct smr_target *sc, u32 zno)
{
	return !sc->ha && !smr_is_conv(sc, zno);
}

/* Fail a bio with a specific status (e.g. a zone resource error). */
static int smr_fail(struct smr_target *sc, struct bio *bio, u32 zno,
		    blk_status_t status)
{
	if (smr_tracked(sc, zno))
		return smr_defer(sc, bio, SMR_IO_DEFER, status);
	bio->bi_status = status;
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;
}

static void smr_work(struct work_struct *work)
{
	struct smr_target *sc = container_of(work, struct smr_target, work);
	struct bio_list list;
	struct smr_io *pb;
	struct bio *bio;
	bool persist = false;
	blk_status_t psts = BLK_STS_OK;
	unsigned long flags;

	spin_lock_irqsave(&sc->lock, flags);
	list = sc->deferred;
	bio_list_init(&sc->deferred);
	spin_unlock_irqrestore(&sc->lock, flags);

	bio_list_for_each(bio, &list) {
		pb = dm_per_bio_data(bio, sizeof(struct smr_io));
		if (pb->kind == SMR_IO_PERSIST || pb->kind == SMR_IO_RESET)
			persist = true;
	}
	if (persist && sc->persistent && smr_persist(sc))
		psts = BLK_STS_IOERR;

	while ((bio = bio_list_pop(&list))) {
		pb = dm_per_bio_data(bio, sizeof(struct smr_io));
		if (pb->kind == SMR_IO_RESET && bdev_max_discard_sectors(sc->dev->bdev))
			blkdev_issue_discard(sc->dev->bdev,
					     dm_target_offset(sc->ti, bio->bi_iter.bi_sector),
					     smr_zone_len(sc), GFP_NOIO);
		if (pb->status == BLK_STS_OK && pb->kind != SMR_IO_DEFER)
			pb->status = psts;
		bio->bi_status = pb->status;
		bio_endio(bio);
	}
}

static void smr_clone_endio(struct bio *clone)
{
	struct bio *bio = clone->bi_private;
	struct smr_io *pb = dm_per_bio_data(bio, sizeof(struct smr_io));
	struct smr_target *sc = pb->sc;
	blk_status_t status = clone->bi_status;
	struct smr_zone *z = &sc->zones[pb->zno];
	unsigned long flags;

	bio_uninit(clone);

	/* volatile host-managed: only an error changes the zone state */
	if (status == BLK_STS_OK && !sc->persistent && !sc->ha) {
		bio_endio(bio);
		return;
	}

	spin_lock_irqsave(&sc->lock, flags);
	if (status == BLK_STS_OK) {
		if (pb->off + pb->nr > z->cwp)
			z->cwp = pb->off + pb->nr;
		smr_mark_dirty(sc, pb->zno);
	} else if (!sc->ha && z->wp == pb->off + pb->nr &&
		   z->cond != BLK_ZONE_COND_READONLY &&
		   z->cond != BLK_ZONE_COND_OFFLINE) {
		/* The data is not there: move the write pointer back. */
		z->wp = pb->off;
		if (z->cond == BLK_ZONE_COND_FULL) {
			if (z->wp) {
				z->cond = BLK_ZONE_COND_CLOSED;
				sc->nr_closed++;
			} else {
				z->cond = BLK_ZONE_COND_EMPTY;
			}
		}
	}
	if (status == BLK_STS_OK && sc->persistent && (bio->bi_opf & REQ_FUA)) {
		pb->kind = SMR_IO_PERSIST;
		bio_list_add(&sc->deferred, bio);
		spin_unlock_irqrestore(&sc->lock, flags);
		queue_work(sc->wq, &sc->work);
		return;
	}
	spin_unlock_irqrestore(&sc->lock, flags);

	bio->bi_status = status;
	bio_endio(bio);
}

static int smr_remap(struct smr_target *sc, struct bio *bio)
{
	bio_set_dev(bio, sc->dev->bdev);
	bio->bi_iter.bi_sector = dm_target_offset(sc->ti, bio->bi_iter.bi_sector);
	return DM_MAPIO_REMAPPED;
}

static inline u32 smr_zone_off(struct smr_target *sc, sector_t sector)
{
	return (u32)(dm_target_offset(sc->ti, sector) & (sc->zone_sectors - 1));
}

static int smr_map_read(struct smr_target *sc, struct bio *bio, u32 zno)
{
	struct smr_zone *z = &sc->zones[zno];
	u32 off = smr_zone_off(sc, bio->bi_iter.bi_sector);
	u32 nr = bio_sectors(bio);
	u32 wp;
	u8 cond;

	this_cpu_inc(sc->stats->reads);
	/* a racing write makes this read undefined anyway: no lock needed */
	cond = READ_ONCE(z->cond);
	wp = READ_ONCE(z->wp);

	if (smr_is_conv(sc, zno) || cond == BLK_ZONE_COND_READONLY)
		return smr_remap(sc, bio);
	if (cond == BLK_ZONE_COND_OFFLINE)
		return DM_MAPIO_KILL;

	/* Above the write pointer, a read returns zeros. */
	if (off >= wp) {
		zero_fill_bio(bio);
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	if (off + nr > wp)
		dm_accept_partial_bio(bio, wp - off);
	return smr_remap(sc, bio);
}

/*
 * A write ending at the end of a zone may be the first part of a bio that dm
 * core split at the zone boundary. On 6.1, dm core then trims the original
 * bio to the remainder before this part completes, and dm_zone_endio() looks
 * up the zone to unlock from the trimmed original bio: it would unlock the
 * next zone and leave this one locked forever. Complete such writes before
 * ->map() returns, while the original bio still starts in this zone. The
 * backing bio bypasses current->bio_list so that it is issued now. Zone
 * appends must not take this path: dm_zone_endio() computes their written
 * sector from its write pointer cache, which is only advanced after ->map().
 */
static int smr_write_zone_end(struct smr_target *sc, struct bio *bio,
			      struct bio *clone)
{
	struct smr_io *pb = dm_per_bio_data(bio, sizeof(struct smr_io));
	struct bio_list *saved = current->bio_list;
	struct smr_zone *z = &sc->zones[pb->zno];
	unsigned long flags;
	int ret;

	current->bio_list = NULL;
	ret = submit_bio_wait(clone);
	bio_uninit(clone);

	spin_lock_irqsave(&sc->lock, flags);
	if (ret) {
		/* as smr_clone_endio(): the data is not there */
		if (z->wp == pb->off + pb->nr && z->cond == BLK_ZONE_COND_FULL) {
			z->wp = pb->off;
			if (z->wp) {
				z->cond = BLK_ZONE_COND_CLOSED;
				sc->nr_closed++;
			} else {
				z->cond = BLK_ZONE_COND_EMPTY;
			}
		}
	} else {
		z->cwp = pb->off + pb->nr;
		smr_mark_dirty(sc, pb->zno);
	}
	spin_unlock_irqrestore(&sc->lock, flags);

	if (!ret && sc->persistent && (bio->bi_opf & REQ_FUA))
		ret = smr_persist(sc);
	current->bio_list = saved;

	/* An error completion here would make dm core complete the bio twice. */
	if (ret)
		return DM_MAPIO_KILL;
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;
}

static int smr_map_write(struct smr_target *sc, struct bio *bio, u32 zno)
{
	struct smr_io *pb = dm_per_bio_data(bio, sizeof(struct smr_io));
	struct smr_zone *z = &sc->zones[zno];
	u32 off = smr_zone_off(sc, bio->bi_iter.bi_sector);
	u32 nr = bio_sectors(bio);
	unsigned long flags;
	blk_status_t sts;
	struct bio *clone;

	this_cpu_inc(sc->stats->writes);
	if (smr_is_conv(sc, zno))
		return smr_remap(sc, bio);

	/* before any state change: cloning an integrity payload can fail */
	clone = &pb->clone;
	if (bio_init_clone(sc->dev->bdev, clone, bio, GFP_NOIO))
		return DM_MAPIO_KILL;

	spin_lock_irqsave(&sc->lock, flags);
	if (z->cond == BLK_ZONE_COND_READONLY ||
	    z->cond == BLK_ZONE_COND_OFFLINE)
		goto reject;
	if (!sc->ha && (z->cond == BLK_ZONE_COND_FULL || off != z->wp))
		goto reject;
	if (off + nr > sc->zone_cap)
		goto reject;

	if (z->cond == BLK_ZONE_COND_EMPTY || z->cond == BLK_ZONE_COND_CLOSED) {
		sts = smr_check_resources(sc, z);
		if (sts != BLK_STS_OK) {
			this_cpu_inc(sc->stats->rejected_writes);
			spin_unlock_irqrestore(&sc->lock, flags);
			bio_uninit(clone);
			return smr_fail(sc, bio, zno, sts);
		}
		if (z->cond == BLK_ZONE_COND_CLOSED)
			sc->nr_closed--;
		sc->nr_imp_open++;
		z->cond = BLK_ZONE_COND_IMP_OPEN;
	}
	smr_advance_wp(sc, z, off, nr);
	spin_unlock_irqrestore(&sc->lock, flags);

	pb->kind = SMR_IO_WRITE;
	pb->off = off;
	pb->nr = nr;
	clone->bi_iter.bi_sector = dm_target_offset(sc->ti, bio->bi_iter.bi_sector);
	/* dm core turns a zone append into a REQ_NOMERGE write (never split) */
	if (!sc->ha && off + nr == sc->zone_sectors &&
	    !(bio->bi_opf & REQ_NOMERGE))
		return smr_write_zone_end(sc, bio, clone);
	clone->bi_private = bio;
	clone->bi_end_io = smr_clone_endio;
	dm_submit_bio_remap(bio, clone);
	return DM_MAPIO_SUBMITTED;

reject:
	this_cpu_inc(sc->stats->rejected_writes);
	spin_unlock_irqrestore(&sc->lock, flags);
	bio_uninit(clone);
	return DM_MAPIO_KILL;
}

static int smr_map_zone_mgmt(struct smr_target *sc, struct bio *bio, u32 zno)
{
	enum req_op op = bio_op(bio);
	struct smr_zone *z = &sc->zones[zno];
	bool tracked = smr_tracked(sc, zno) &&
		(op == REQ_OP_ZONE_RESET || op == REQ_OP_ZONE_FINISH);
	unsigned long flags;
	blk_status_t sts;
	u8 kind = SMR_IO_NONE;
	u8 before;

	if (smr_is_conv(sc, zno))
		return DM_MAPIO_KILL;

	spin_lock_irqsave(&sc->lock, flags);
	before = z->cond;
	switch (op) {
	case REQ_OP_ZONE_RESET:
		this_cpu_inc(sc->stats->resets);
		break;
	case REQ_OP_ZONE_OPEN:
		this_cpu_inc(sc->stats->opens);
		break;
	case REQ_OP_ZONE_CLOSE:
		this_cpu_inc(sc->stats->closes);
		break;
	default:
		this_cpu_inc(sc->stats->finishes);
		break;
	}
	if (before == BLK_ZONE_COND_READONLY || before == BLK_ZONE_COND_OFFLINE)
		sts = BLK_STS_IOERR;
	else if (op == REQ_OP_ZONE_RESET)
		sts = smr_do_reset(sc, z);
	else if (op == REQ_OP_ZONE_OPEN)
		sts = smr_do_open(sc, z);
	else if (op == REQ_OP_ZONE_CLOSE)
		sts = smr_do_close(sc, z);
	else
		sts = smr_do_finish(sc, z);
	if (sts == BLK_STS_OK && z->cond != before &&
	    (op == REQ_OP_ZONE_RESET || op == REQ_OP_ZONE_FINISH)) {
		smr_mark_dirty(sc, zno);
		kind = op == REQ_OP_ZONE_RESET ? SMR_IO_RESET : SMR_IO_PERSIST;
	}
	spin_unlock_irqrestore(&sc->lock, flags);

	if (sts == BLK_STS_IOERR && tracked)
		return DM_MAPIO_KILL;
	if (sts != BLK_STS_OK)
		return smr_fail(sc, bio, zno, sts);
	if (kind == SMR_IO_PERSIST && !sc->persistent)
		kind = SMR_IO_NONE;
	if (kind != SMR_IO_NONE)
		return smr_defer(sc, bio, kind, BLK_STS_OK);
	if (tracked)
		return smr_defer(sc, bio, SMR_IO_DEFER, BLK_STS_OK);
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;
}

static int smr_map(struct dm_target *ti, struct bio *bio)
{
	struct smr_target *sc = ti->private;
	struct smr_io *pb = dm_per_bio_data(bio, sizeof(struct smr_io));
	u32 zno;

	pb->sc = sc;
	pb->kind = SMR_IO_NONE;
	pb->status = BLK_STS_OK;

	if (op_is_flush(bio->bi_opf) && !bio_sectors(bio)) {
		this_cpu_inc(sc->stats->flushes);
		if (sc->persistent)
			return smr_defer(sc, bio, SMR_IO_PERSIST, BLK_STS_OK);
		bio_set_dev(bio, sc->dev->bdev);
		return DM_MAPIO_REMAPPED;
	}

	zno = smr_zno(sc, bio->bi_iter.bi_sector);
	if (zno >= sc->nr_zones)
		return DM_MAPIO_KILL;
	pb->zno = zno;

	/*
	 * Split reads and writes at zone ends here, not with ti->max_io_len:
	 * that would also make dm core cap every bio at the device's
	 * max_sectors (a 128 KiB write on brd became 127 + 1 KiB, two bios
	 * through the whole stack), which dm-linear never does. A zone append
	 * that dm core turned into a REQ_NOMERGE write is not split: if it
	 * does not fit in its zone, smr_map_write() rejects it.
	 */
	if (bio_op(bio) == REQ_OP_READ ||
	    (bio_op(bio) == REQ_OP_WRITE &&
	     !(smr_tracked(sc, zno) && (bio->bi_opf & REQ_NOMERGE)))) {
		u32 left = sc->zone_sectors -
			   smr_zone_off(sc, bio->bi_iter.bi_sector);

		if (bio_sectors(bio) > left)
			dm_accept_partial_bio(bio, left);
	}

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return smr_map_read(sc, bio, zno);
	case REQ_OP_WRITE:
		return smr_map_write(sc, bio, zno);
	case REQ_OP_ZONE_RESET:
	case REQ_OP_ZONE_OPEN:
	case REQ_OP_ZONE_CLOSE:
	case REQ_OP_ZONE_FINISH:
		return smr_map_zone_mgmt(sc, bio, zno);
	default:
		return DM_MAPIO_KILL;
	}
}

static int smr_report_zones(struct dm_target *ti,
			    struct dm_report_zones_args *args,
			    unsigned int nr_zones)
{
	struct smr_target *sc = ti->private;
	/*
	 * dm core scans the zones once to build its write pointer cache. A
	 * host-aware zone must be writable anywhere, so dm core is told it is
	 * conventional and neither locks nor checks it.
	 */
	bool dm_scan = sc->ha && args->orig_data == dm_table_get_md(ti->table);
	u32 zno = smr_zno(sc, args->next_sector);
	unsigned int n = 0;
	unsigned long flags;
	int ret;

	for (; zno < sc->nr_zones && n < nr_zones; zno++, n++) {
		struct blk_zone bz = { };
		struct smr_zone z;

		spin_lock_irqsave(&sc->lock, flags);
		z = sc->zones[zno];
		spin_unlock_irqrestore(&sc->lock, flags);

		bz.start = ti->begin + ((sector_t)zno << sc->zone_shift);
		bz.len = sc->zone_sectors;
		if (smr_is_conv(sc, zno) || dm_scan) {
			bz.type = BLK_ZONE_TYPE_CONVENTIONAL;
			bz.cond = BLK_ZONE_COND_NOT_WP;
			bz.capacity = bz.len;
			bz.wp = bz.start + bz.len;
		} else {
			bz.type = sc->ha ? BLK_ZONE_TYPE_SEQWRITE_PREF :
				BLK_ZONE_TYPE_SEQWRITE_REQ;
			bz.cond = z.cond;
			bz.capacity = sc->zone_cap;
			if (z.cond == BLK_ZONE_COND_READONLY ||
			    z.cond == BLK_ZONE_COND_OFFLINE)
				bz.wp = SMR_WP_INVALID;
			else
				bz.wp = bz.start + z.wp;
		}
		args->next_sector = bz.start + bz.len;
		ret = args->orig_cb(&bz, args->zone_idx++, args->orig_data);
		if (ret)
			return ret;
	}
	return n;
}

static void smr_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct smr_target *sc = ti->private;

	limits->zoned = sc->ha ? BLK_ZONED_HA : BLK_ZONED_HM;
	limits->chunk_sectors = sc->zone_sectors;
	if (sc->ha)
		limits->max_zone_append_sectors = 0;
	else
		limits->max_zone_append_sectors =
			min3((unsigned int)sc->zone_sectors, limits->max_sectors,
			     limits->max_hw_sectors);
	limits->zone_write_granularity = limits->logical_block_size;
}

static int smr_iterate_devices(struct dm_target *ti,
			       iterate_devices_callout_fn fn, void *data)
{
	struct smr_target *sc = ti->private;

	return fn(ti, sc->dev, 0, ti->len, data);
}

/*
 * Take over the zone state of the instance this one replaces in a reload
 * (suspended by now: no I/O in flight). A persistent instance writes it out
 * at its next flush, as its own record of it may be older or absent.
 */
static void smr_take_over(struct smr_target *sc, struct smr_target *old)
{
	unsigned long flags;
	u32 b, i;

	spin_lock_irqsave(&old->lock, flags);
	spin_lock_nested(&sc->lock, SINGLE_DEPTH_NESTING);
	memcpy(sc->zones, old->zones, sc->nr_zones * sizeof(*sc->zones));
	/* every write has completed; a volatile HM instance never tracks cwp */
	for (i = 0; i < sc->nr_zones; i++)
		sc->zones[i].cwp = sc->zones[i].wp;
	sc->nr_imp_open = old->nr_imp_open;
	sc->nr_exp_open = old->nr_exp_open;
	sc->nr_closed = old->nr_closed;
	sc->imp_close_zno = old->imp_close_zno;
	spin_unlock(&sc->lock);
	spin_unlock_irqrestore(&old->lock, flags);
	if (sc->persistent)
		for (b = 0; b < sc->nr_rec_blocks; b++)
			set_bit(b, sc->dirty);
	DMINFO("%s: zone state taken over from the replaced table",
	       dm_device_name(sc->md));
}

static int smr_preresume(struct dm_target *ti)
{
	struct smr_target *sc = ti->private;
	struct smr_target *old;

	mutex_lock(&smr_instances_lock);
	if (!sc->resumed) {
		/*
		 * dm core kept its write pointer cache if the device size did
		 * not change (it rescanned the new table otherwise).
		 */
		old = smr_find_live_peer(sc);
		if (old && smr_can_take_over(sc, old) &&
		    dm_table_get_size(ti->table) == dm_table_get_size(old->ti->table))
			smr_take_over(sc, old);
		sc->resumed = true;
	}
	mutex_unlock(&smr_instances_lock);
	return 0;
}

static void smr_resume(struct dm_target *ti)
{
	struct smr_target *sc = ti->private;
	struct gendisk *disk = dm_disk(dm_table_get_md(ti->table));

	/* dm on 6.1 never sets these: advertise the limits ourselves. */
	disk_set_max_open_zones(disk, sc->max_open);
	disk_set_max_active_zones(disk, sc->max_active);
}

static void smr_postsuspend(struct dm_target *ti)
{
	struct smr_target *sc = ti->private;

	flush_workqueue(sc->wq);
	if (sc->persistent)
		smr_persist(sc);
}

static void smr_stats_sum(struct smr_target *sc, struct smr_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		struct smr_stats *c = per_cpu_ptr(sc->stats, cpu);

		st->writes += c->writes;
		st->reads += c->reads;
		st->resets += c->resets;
		st->opens += c->opens;
		st->closes += c->closes;
		st->finishes += c->finishes;
		st->flushes += c->flushes;
		st->rejected_writes += c->rejected_writes;
		st->implicit_closes += c->implicit_closes;
	}
}

static size_t smr_zone_mem(struct smr_target *sc)
{
	size_t mem = (size_t)sc->nr_zones * sizeof(struct smr_zone);

	if (sc->persistent)
		mem += (size_t)(sc->nr_rec_blocks + 1) * PAGE_SIZE +
			BITS_TO_LONGS(sc->nr_rec_blocks) * sizeof(long);
	return mem;
}

static void smr_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result,
		       unsigned int maxlen)
{
	struct smr_target *sc = ti->private;
	unsigned int sz = 0;
	u32 cnt[16] = { };
	struct smr_stats st;
	unsigned long flags;
	u32 i;

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock_irqsave(&sc->lock, flags);
		for (i = 0; i < sc->nr_zones; i++)
			cnt[sc->zones[i].cond & 0xf]++;
		spin_unlock_irqrestore(&sc->lock, flags);
		smr_stats_sum(sc, &st);
		DMEMIT("zones=%u conv=%u empty=%u imp_open=%u exp_open=%u closed=%u full=%u readonly=%u offline=%u",
		       sc->nr_zones, cnt[BLK_ZONE_COND_NOT_WP],
		       cnt[BLK_ZONE_COND_EMPTY], cnt[BLK_ZONE_COND_IMP_OPEN],
		       cnt[BLK_ZONE_COND_EXP_OPEN], cnt[BLK_ZONE_COND_CLOSED],
		       cnt[BLK_ZONE_COND_FULL], cnt[BLK_ZONE_COND_READONLY],
		       cnt[BLK_ZONE_COND_OFFLINE]);
		DMEMIT(" writes=%llu reads=%llu resets=%llu opens=%llu closes=%llu finishes=%llu flushes=%llu rejected_writes=%llu implicit_closes=%llu zone_mem=%zu",
		       st.writes, st.reads, st.resets, st.opens, st.closes,
		       st.finishes, st.flushes, st.rejected_writes,
		       st.implicit_closes, smr_zone_mem(sc));
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %llu", sc->dev->name,
		       (unsigned long long)sc->zone_sectors);
		if (sc->nr_conv)
			DMEMIT(" conv=%u", sc->nr_conv);
		if (sc->zone_cap != sc->zone_sectors)
			DMEMIT(" zone_cap=%u", sc->zone_cap);
		if (sc->cfg_max_open)
			DMEMIT(" max_open=%u", sc->cfg_max_open);
		if (sc->cfg_max_active)
			DMEMIT(" max_active=%u", sc->cfg_max_active);
		if (sc->ha)
			DMEMIT(" model=ha");
		if (sc->zns)
			DMEMIT(" semantics=zns");
		if (sc->persistent)
			DMEMIT(" state=persistent");
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

/* Fault injection, following null_blk's zone_readonly/zone_offline. */
static int smr_fault(struct smr_target *sc, const char *zarg, const char *what)
{
	struct dm_target *ti = sc->ti;
	unsigned long flags;
	struct smr_zone *z;
	bool to_empty = false;
	u8 cond;
	u32 zno;
	int ret = 0;

	if (kstrtou32(zarg, 10, &zno) || zno >= sc->nr_zones) {
		DMERR("fault: invalid zone '%s' (%u zones)", zarg, sc->nr_zones);
		return -EINVAL;
	}
	if (smr_is_conv(sc, zno)) {
		DMERR("fault: zone %u is conventional", zno);
		return -EINVAL;
	}
	if (!strcmp(what, "readonly")) {
		cond = BLK_ZONE_COND_READONLY;
	} else if (!strcmp(what, "offline")) {
		cond = BLK_ZONE_COND_OFFLINE;
	} else if (!strcmp(what, "clear")) {
		cond = BLK_ZONE_COND_EMPTY;
	} else {
		DMERR("fault: invalid condition '%s' (readonly|offline|clear)", what);
		return -EINVAL;
	}
	if (dm_suspended(ti)) {
		DMERR("fault: the device is suspended");
		return -EBUSY;
	}

	z = &sc->zones[zno];
	spin_lock_irqsave(&sc->lock, flags);
	if (cond == BLK_ZONE_COND_EMPTY) {
		to_empty = z->cond == BLK_ZONE_COND_READONLY ||
			z->cond == BLK_ZONE_COND_OFFLINE;
	} else if (z->cond == cond) {
		/* as null_blk: setting the same condition again restores EMPTY */
		to_empty = true;
	} else {
		if (z->cond != BLK_ZONE_COND_READONLY &&
		    z->cond != BLK_ZONE_COND_OFFLINE)
			smr_do_finish(sc, z);
		z->cond = cond;
	}
	if (to_empty) {
		z->cond = BLK_ZONE_COND_EMPTY;
		z->wp = 0;
		z->cwp = 0;
	}
	smr_mark_dirty(sc, zno);
	spin_unlock_irqrestore(&sc->lock, flags);

	if (to_empty && bdev_max_discard_sectors(sc->dev->bdev))
		blkdev_issue_discard(sc->dev->bdev,
				     (sector_t)zno << sc->zone_shift,
				     sc->zone_sectors, GFP_KERNEL);
	if (sc->persistent)
		ret = smr_persist(sc);
	if (to_empty && !sc->ha) {
		/* dm core caches write pointers: resync it with a reset */
		struct gendisk *disk = dm_disk(dm_table_get_md(ti->table));

		ret = blkdev_zone_mgmt(disk->part0, REQ_OP_ZONE_RESET,
				       ti->begin + ((sector_t)zno << sc->zone_shift),
				       sc->zone_sectors, GFP_KERNEL);
		if (ret)
			DMERR("fault: zone %u: reset to resync dm core failed: %d",
			      zno, ret);
	}
	return ret;
}

static int smr_message(struct dm_target *ti, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct smr_target *sc = ti->private;
	int cpu;

	if (argc == 3 && !strcmp(argv[0], "fault"))
		return smr_fault(sc, argv[1], argv[2]);
	if (argc == 2 && !strcmp(argv[0], "stats") && !strcmp(argv[1], "reset")) {
		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(sc->stats, cpu), 0, sizeof(struct smr_stats));
		return 0;
	}
	DMERR("invalid message '%s' with %u arguments (fault <zone> readonly|offline|clear, stats reset)",
	      argc ? argv[0] : "", argc);
	return -EINVAL;
}

static void smr_free(struct smr_target *sc)
{
	if (sc->wq)
		destroy_workqueue(sc->wq);
	bioset_exit(&sc->bs);
	if (sc->scratch)
		__free_page(sc->scratch);
	kvfree(sc->zones);
	vfree(sc->image);
	bitmap_free(sc->dirty);
	free_percpu(sc->stats);
	if (sc->dev)
		dm_put_device(sc->ti, sc->dev);
	kfree(sc);
}

static void smr_dtr(struct dm_target *ti)
{
	struct smr_target *sc = ti->private;

	mutex_lock(&smr_instances_lock);
	list_del(&sc->node);
	mutex_unlock(&smr_instances_lock);
	smr_free(sc);
}

static int smr_parse_u32(const char *key, const char *val, u32 *out)
{
	if (kstrtou32(val, 10, out)) {
		DMERR("%s=%s: not a number", key, val);
		return -EINVAL;
	}
	return 0;
}

static int smr_parse_args(struct smr_target *sc, unsigned int argc, char **argv)
{
	unsigned int seen = 0;
	unsigned int i, k;
	static const char * const keys[] = {
		"conv", "zone_cap", "max_open", "max_active", "model",
		"semantics", "state",
	};

	for (i = 0; i < argc; i++) {
		char *arg = argv[i];
		char *val = strchr(arg, '=');
		int ret = 0;

		if (!val || val == arg || !val[1]) {
			DMERR("invalid argument '%s' (expected key=value)", arg);
			return -EINVAL;
		}
		*val++ = '\0';
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (!strcmp(arg, keys[k]))
				break;
		if (k == ARRAY_SIZE(keys)) {
			DMERR("unknown argument '%s'", arg);
			return -EINVAL;
		}
		if (seen & (1u << k)) {
			DMERR("argument %s given twice", arg);
			return -EINVAL;
		}
		seen |= 1u << k;

		switch (k) {
		case 0:
			ret = smr_parse_u32(arg, val, &sc->nr_conv);
			break;
		case 1:
			ret = smr_parse_u32(arg, val, &sc->zone_cap);
			if (!ret && !sc->zone_cap) {
				DMERR("zone_cap=0: must be at least one block");
				ret = -EINVAL;
			}
			break;
		case 2:
			ret = smr_parse_u32(arg, val, &sc->cfg_max_open);
			break;
		case 3:
			ret = smr_parse_u32(arg, val, &sc->cfg_max_active);
			break;
		case 4:
			if (!strcmp(val, "ha")) {
				sc->ha = true;
			} else if (strcmp(val, "hm")) {
				DMERR("model=%s: must be hm or ha", val);
				ret = -EINVAL;
			}
			break;
		case 5:
			if (!strcmp(val, "zns")) {
				sc->zns = true;
			} else if (strcmp(val, "zbc")) {
				DMERR("semantics=%s: must be zbc or zns", val);
				ret = -EINVAL;
			}
			break;
		case 6:
			if (!strcmp(val, "persistent")) {
				sc->persistent = true;
			} else if (strcmp(val, "volatile")) {
				DMERR("state=%s: must be volatile or persistent", val);
				ret = -EINVAL;
			}
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * <dev> <zone_sectors> [conv=N] [zone_cap=SECTORS] [max_open=N]
 * [max_active=N] [model=hm|ha] [semantics=zbc|zns] [state=volatile|persistent]
 */
static int smr_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct smr_target *sc, *peer;
	unsigned long long zs;
	sector_t need, have;
	u32 nr_seq, i, lbs;
	int ret;

	if (argc < 2) {
		DMERR("not enough arguments: <dev> <zone_sectors> [key=value ...]");
		ti->error = "Not enough arguments";
		return -EINVAL;
	}

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	sc->ti = ti;
	sc->md = dm_table_get_md(ti->table);
	INIT_LIST_HEAD(&sc->node);
	spin_lock_init(&sc->lock);
	mutex_init(&sc->meta_lock);
	bio_list_init(&sc->deferred);
	INIT_WORK(&sc->work, smr_work);
	ti->private = sc;
	ret = -EINVAL;

	if (kstrtoull(argv[1], 10, &zs) || zs < 8 || zs > (1ULL << 31) ||
	    !is_power_of_2(zs)) {
		DMERR("zone_sectors '%s': must be a power of two from 8 to 2^31",
		      argv[1]);
		ti->error = "Invalid zone_sectors";
		goto bad;
	}
	sc->zone_sectors = zs;
	sc->zone_shift = ilog2(zs);
	sc->zone_cap = zs;
	if (ti->begin & (zs - 1)) {
		DMERR("target start %llu is not a multiple of zone_sectors %llu",
		      (unsigned long long)ti->begin, zs);
		ti->error = "Unaligned target start";
		goto bad;
	}
	if (!ti->len || (ti->len & (zs - 1))) {
		DMERR("length %llu is not a multiple of zone_sectors %llu",
		      (unsigned long long)ti->len, zs);
		ti->error = "Invalid length";
		goto bad;
	}
	if ((ti->len >> sc->zone_shift) > U32_MAX) {
		DMERR("length %llu: too many zones",
		      (unsigned long long)ti->len);
		ti->error = "Invalid length";
		goto bad;
	}
	sc->nr_zones = ti->len >> sc->zone_shift;

	if (smr_parse_args(sc, argc - 2, argv + 2)) {
		ti->error = "Invalid argument";
		goto bad;
	}
	if (sc->nr_conv >= sc->nr_zones) {
		DMERR("conv=%u: must leave at least one sequential zone (%u zones)",
		      sc->nr_conv, sc->nr_zones);
		ti->error = "Invalid conv";
		goto bad;
	}
	if (sc->zone_cap > zs) {
		DMERR("zone_cap=%u: larger than zone_sectors %llu",
		      sc->zone_cap, zs);
		ti->error = "Invalid zone_cap";
		goto bad;
	}

	ret = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &sc->dev);
	if (ret) {
		DMERR("cannot open device '%s': %d", argv[0], ret);
		ti->error = "Device lookup failed";
		goto bad;
	}
	ret = -EINVAL;
	lbs = bdev_logical_block_size(sc->dev->bdev) >> SECTOR_SHIFT;
	if (zs % lbs || sc->zone_cap % lbs) {
		DMERR("zone_sectors %llu and zone_cap %u must be multiples of the device block size (%u sectors)",
		      zs, sc->zone_cap, lbs);
		ti->error = "Invalid block size";
		goto bad;
	}

	if (sc->persistent) {
		sc->nr_rec_blocks = DIV_ROUND_UP(sc->nr_zones, SMR_REC_PER_BLOCK);
		sc->meta_start = ti->len;
	}
	need = ti->len + (sc->persistent ?
		((sector_t)(sc->nr_rec_blocks + 1) << (PAGE_SHIFT - SECTOR_SHIFT)) : 0);
	have = bdev_nr_sectors(sc->dev->bdev);
	if (have < need) {
		DMERR("device %s has %llu sectors, the table needs %llu%s",
		      argv[0], (unsigned long long)have, (unsigned long long)need,
		      sc->persistent ? " (data + metadata)" : "");
		ti->error = "Device too small";
		goto bad;
	}

	/* Limits are sanitised as null_blk does. */
	nr_seq = sc->nr_zones - sc->nr_conv;
	sc->max_open = sc->cfg_max_open;
	sc->max_active = sc->cfg_max_active;
	if (sc->max_active >= nr_seq)
		sc->max_active = 0;
	if (sc->max_active && sc->max_open > sc->max_active)
		sc->max_open = sc->max_active;
	else if (sc->max_open >= nr_seq)
		sc->max_open = 0;
	sc->imp_close_zno = sc->nr_conv;

	ret = -ENOMEM;
	sc->zones = kvcalloc(sc->nr_zones, sizeof(struct smr_zone), GFP_KERNEL);
	if (!sc->zones) {
		ti->error = "Cannot allocate zones";
		goto bad;
	}
	for (i = 0; i < sc->nr_zones; i++)
		sc->zones[i].cond = smr_is_conv(sc, i) ?
			BLK_ZONE_COND_NOT_WP : BLK_ZONE_COND_EMPTY;

	if (bioset_init(&sc->bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS)) {
		ti->error = "Cannot allocate bioset";
		goto bad;
	}
	sc->scratch = alloc_page(GFP_KERNEL);
	sc->wq = alloc_ordered_workqueue("dm-smr", WQ_MEM_RECLAIM);
	sc->stats = alloc_percpu(struct smr_stats);
	if (!sc->scratch || !sc->wq || !sc->stats) {
		ti->error = "Cannot allocate work resources";
		goto bad;
	}

	if (sc->persistent) {
		sc->image = vzalloc((size_t)(sc->nr_rec_blocks + 1) * PAGE_SIZE);
		sc->dirty = bitmap_zalloc(sc->nr_rec_blocks, GFP_KERNEL);
		if (!sc->image || !sc->dirty) {
			ti->error = "Cannot allocate metadata";
			goto bad;
		}
		ret = smr_meta_load(sc);
		if (ret) {
			ti->error = "Cannot load metadata";
			goto bad;
		}
	}

	ti->num_flush_bios = 1;
	ti->flush_supported = sc->persistent;
	ti->num_discard_bios = 0;
	ti->num_write_zeroes_bios = 0;
	ti->per_io_data_size = sizeof(struct smr_io);
	ti->emulate_zone_append = true;
	ti->accounts_remapped_io = true;

	mutex_lock(&smr_instances_lock);
	peer = smr_find_live_peer(sc);
	if (peer && peer->nr_zones == sc->nr_zones && !smr_can_take_over(sc, peer)) {
		mutex_unlock(&smr_instances_lock);
		DMERR("reload with another zone geometry or device but the same zone count: dm core would keep its write pointers; remove and create the device instead");
		ti->error = "Geometry change in a reload";
		ret = -EINVAL;
		goto bad;
	}
	list_add(&sc->node, &smr_instances);
	mutex_unlock(&smr_instances_lock);
	return 0;

bad:
	smr_free(sc);
	ti->private = NULL;
	return ret;
}

static struct target_type smr_target = {
	.name = "smr",
	.version = {1, 1, 0},
	.features = DM_TARGET_MIXED_ZONED_MODEL,
	.module = THIS_MODULE,
	.ctr = smr_ctr,
	.dtr = smr_dtr,
	.map = smr_map,
	.status = smr_status,
	.message = smr_message,
	.postsuspend = smr_postsuspend,
	.preresume = smr_preresume,
	.resume = smr_resume,
	.io_hints = smr_io_hints,
	.iterate_devices = smr_iterate_devices,
	.report_zones = smr_report_zones,
};

static int __init dm_smr_init(void)
{
	return dm_register_target(&smr_target);
}

static void __exit dm_smr_exit(void)
{
	dm_unregister_target(&smr_target);
}

module_init(dm_smr_init);
module_exit(dm_smr_exit);

MODULE_DESCRIPTION(DM_NAME " zoned (SMR) device emulation target");
MODULE_LICENSE("GPL");

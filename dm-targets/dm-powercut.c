// SPDX-License-Identifier: GPL-2.0
/*
 * dm-powercut: a volatile write cache that loses power on command.
 *
 * Writes complete once they are copied into an in-memory cache; a flush makes
 * durable every write that completed before the flush reached the target; a
 * FUA write is durable when it completes and orders nothing else. The "cut"
 * message applies a loss policy to what was never made durable (drop all, drop
 * a seeded random subset of writes, or tear writes at a granularity), then
 * fails every I/O until "restore". Tests use it to prove that what a driver
 * or filesystem acknowledged as durable survives a power cut.
 *
 * Table: <dev> [cache_mb=N] [policy=drop_all|drop_random|torn] [seed=N]
 *              [tear=512|4096] [mode=honest|ignore_flush|ignore_fua]
 * Messages: cut, restore, flush
 */
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/xarray.h>
#include <linux/highmem.h>
#include <linux/workqueue.h>
#include <linux/wait.h>
#include <linux/sort.h>

#define DM_MSG_PREFIX "powercut"

/* The cache keeps 4 KiB blocks with a valid bit and a write id per sector. */
#define PC_BLOCK_SHIFT		3
#define PC_BLOCK_SECTORS	(1U << PC_BLOCK_SHIFT)
#define PC_MAX_CACHE_MB		(1U << 20)

enum pc_policy { PC_DROP_ALL, PC_DROP_RANDOM, PC_TORN };
enum pc_mode { PC_HONEST, PC_IGNORE_FLUSH, PC_IGNORE_FUA };

static const char * const pc_policy_names[] = { "drop_all", "drop_random", "torn" };
static const char * const pc_mode_names[] = { "honest", "ignore_flush", "ignore_fua" };

struct pc_block {
	struct list_head lru;		/* oldest written first */
	sector_t blkno;
	u64 gen;			/* bumped by every write into the block */
	u64 wid[PC_BLOCK_SECTORS];	/* id of the write that last wrote the sector */
	u8 valid;			/* one bit per sector held in the cache */
	struct page *page;
};

struct pc_stats {
	u64 writes, reads, flushes, fua_writes, discards;
	u64 evicted_bytes, cuts, lost_bytes, kept_bytes, state;
};

struct powercut_c {
	struct dm_target *ti;
	struct dm_dev *dev;

	unsigned int cache_mb;
	enum pc_policy policy;
	u64 seed;
	unsigned int tear_sectors;
	enum pc_mode mode;

	/* The cache: lock guards the blocks, lru, counts and power state. */
	struct mutex lock;
	struct xarray blocks;
	struct list_head lru;
	unsigned long nr_blocks;
	unsigned long max_blocks;
	u64 next_wid;
	bool power_off;
	bool evict_wanted;
	bool suspend_writeback;
	wait_queue_head_t space_wait;
	struct pc_stats st;

	/* Every write to the backing device is issued under io_lock, in order. */
	struct mutex io_lock;
	struct mutex msg_lock;

	spinlock_t qlock;
	struct bio_list queued;
	struct work_struct work;
	struct workqueue_struct *wq;
	struct bio_set bs;
};

/* Per-bio data: the write id a flush covers, or the id of a FUA/discard. */
struct pc_bio {
	u64 wid;
};

/* One block to write back: a private copy, so later writes cannot tear it. */
struct pc_wb {
	struct pc_block *blk;
	sector_t blkno;
	u64 gen;
	u8 valid;
	struct page *copy;
};

struct pc_batch {
	atomic_t pending;
	struct completion done;
	blk_status_t status;
};

static u64 pc_mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void pc_free_block(struct powercut_c *pc, struct pc_block *b)
{
	xa_erase(&pc->blocks, b->blkno);
	list_del(&b->lru);
	__free_page(b->page);
	kfree(b);
	pc->nr_blocks--;
}

static struct pc_block *pc_get_block(struct powercut_c *pc, sector_t blkno)
{
	struct pc_block *b = xa_load(&pc->blocks, blkno);

	if (b)
		return b;
	b = kzalloc(sizeof(*b), GFP_NOIO);
	if (!b)
		return NULL;
	b->page = alloc_page(GFP_NOIO);
	if (!b->page)
		goto out_free;
	b->blkno = blkno;
	if (xa_err(xa_store(&pc->blocks, blkno, b, GFP_NOIO)))
		goto out_page;
	list_add_tail(&b->lru, &pc->lru);
	pc->nr_blocks++;
	return b;
out_page:
	__free_page(b->page);
out_free:
	kfree(b);
	return NULL;
}

/* ---- batched writes to the backing device ---- */

static void pc_batch_endio(struct bio *bio)
{
	struct pc_batch *batch = bio->bi_private;

	if (bio->bi_status)
		batch->status = bio->bi_status;
	bio_put(bio);
	if (atomic_dec_and_test(&batch->pending))
		complete(&batch->done);
}

static void pc_batch_init(struct pc_batch *batch)
{
	atomic_set(&batch->pending, 1);
	init_completion(&batch->done);
	batch->status = BLK_STS_OK;
}

static int pc_batch_wait(struct pc_batch *batch)
{
	if (!atomic_dec_and_test(&batch->pending))
		wait_for_completion_io(&batch->done);
	return blk_status_to_errno(batch->status);
}

static struct bio *pc_batch_bio(struct powercut_c *pc, struct pc_batch *batch,
				sector_t sector, unsigned short nr_vecs)
{
	struct bio *bio = bio_alloc_bioset(pc->dev->bdev, nr_vecs, REQ_OP_WRITE,
					   GFP_NOIO, &pc->bs);

	bio->bi_iter.bi_sector = sector;
	bio->bi_private = batch;
	bio->bi_end_io = pc_batch_endio;
	atomic_inc(&batch->pending);
	return bio;
}

/*
 * Write the valid sectors of each copy to the backing device: whole blocks
 * that follow each other share a bio, partial blocks go out run by run.
 */
static int pc_write_copies(struct powercut_c *pc, struct pc_wb *wb, unsigned long n)
{
	struct pc_batch batch;
	struct bio *bio = NULL;
	unsigned long i;
	unsigned int s, e;

	pc_batch_init(&batch);
	for (i = 0; i < n; i++) {
		sector_t start = wb[i].blkno << PC_BLOCK_SHIFT;

		if (wb[i].valid == 0xff) {
			if (bio && (bio_end_sector(bio) != start ||
				    bio_add_page(bio, wb[i].copy, PAGE_SIZE, 0) != PAGE_SIZE)) {
				submit_bio(bio);
				bio = NULL;
			}
			if (!bio) {
				bio = pc_batch_bio(pc, &batch, start, BIO_MAX_VECS);
				bio_add_page(bio, wb[i].copy, PAGE_SIZE, 0);
			}
			continue;
		}
		if (bio) {
			submit_bio(bio);
			bio = NULL;
		}
		for (s = 0; s < PC_BLOCK_SECTORS; s = e) {
			if (!(wb[i].valid & (1U << s))) {
				e = s + 1;
				continue;
			}
			for (e = s; e < PC_BLOCK_SECTORS && (wb[i].valid & (1U << e)); e++)
				;
			bio = pc_batch_bio(pc, &batch, start + s, 1);
			bio_add_page(bio, wb[i].copy, (e - s) << SECTOR_SHIFT,
				     s << SECTOR_SHIFT);
			submit_bio(bio);
			bio = NULL;
		}
	}
	if (bio)
		submit_bio(bio);
	return pc_batch_wait(&batch);
}

static int pc_wb_cmp(const void *a, const void *b)
{
	const struct pc_wb *x = a, *y = b;

	return x->blkno < y->blkno ? -1 : x->blkno > y->blkno;
}

static void pc_free_copies(struct pc_wb *wb, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (wb[i].copy)
			__free_page(wb[i].copy);
	kvfree(wb);
}

/*
 * Write back cached blocks: with @evict, the @count oldest; otherwise every
 * block holding a sector written by a write id <= @max_wid. A block leaves
 * the cache only if nothing wrote into it while its copy was on the way.
 * Caller holds io_lock.
 */
static int pc_writeback(struct powercut_c *pc, bool evict, unsigned long count,
			u64 max_wid)
{
	struct pc_block *b;
	struct pc_wb *wb;
	unsigned long n = 0, cap, i;
	bool short_copy = false;
	unsigned int s;
	int r;

	mutex_lock(&pc->lock);
	cap = evict ? min(count, pc->nr_blocks) : pc->nr_blocks;
	if (!cap) {
		mutex_unlock(&pc->lock);
		return 0;
	}
	wb = kvcalloc(cap, sizeof(*wb), GFP_NOIO);
	if (!wb) {
		mutex_unlock(&pc->lock);
		return -ENOMEM;
	}
	list_for_each_entry(b, &pc->lru, lru) {
		bool take = evict;

		if (n == cap)
			break;
		for (s = 0; !take && s < PC_BLOCK_SECTORS; s++)
			take = (b->valid & (1U << s)) && b->wid[s] <= max_wid;
		if (!take)
			continue;
		wb[n].copy = alloc_page(GFP_NOIO);
		if (!wb[n].copy) {
			short_copy = true;
			break;
		}
		memcpy_to_page(wb[n].copy, 0, page_address(b->page), PAGE_SIZE);
		wb[n].blk = b;
		wb[n].blkno = b->blkno;
		wb[n].gen = b->gen;
		wb[n].valid = b->valid;
		n++;
	}
	mutex_unlock(&pc->lock);

	/* Block order lets runs of whole blocks share a bio. */
	sort(wb, n, sizeof(*wb), pc_wb_cmp, NULL);
	r = pc_write_copies(pc, wb, n);

	mutex_lock(&pc->lock);
	for (i = 0; !r && i < n; i++) {
		if (wb[i].blk->gen != wb[i].gen)
			continue;
		if (evict)
			pc->st.evicted_bytes += hweight8(wb[i].valid) << SECTOR_SHIFT;
		pc_free_block(pc, wb[i].blk);
	}
	mutex_unlock(&pc->lock);
	wake_up_all(&pc->space_wait);
	pc_free_copies(wb, n);
	return r ? r : short_copy ? -ENOMEM : 0;
}

/* ---- the I/O paths ---- */

/* Does any sector of [sector, sector + nr) sit in the cache? Caller holds lock. */
static bool pc_range_cached(struct powercut_c *pc, sector_t sector, sector_t nr)
{
	unsigned long idx = sector >> PC_BLOCK_SHIFT;

	if (!pc->nr_blocks || !nr)
		return false;
	return xa_find(&pc->blocks, &idx, (sector + nr - 1) >> PC_BLOCK_SHIFT,
		       XA_PRESENT);
}

/*
 * Copy a write into the cache; it completes at once. When the cache is full,
 * wait for the worker to write the oldest blocks back, as a drive would.
 */
static int pc_cache_write(struct powercut_c *pc, struct bio *bio, sector_t sector,
			  struct pc_bio *pb)
{
	struct pc_block *b = NULL;
	struct bio_vec bv;
	struct bvec_iter iter;
	unsigned int off;
	u64 wid;

	mutex_lock(&pc->lock);
	while (pc->nr_blocks >= pc->max_blocks && !pc->power_off) {
		pc->evict_wanted = true;
		mutex_unlock(&pc->lock);
		queue_work(pc->wq, &pc->work);
		wait_event(pc->space_wait, READ_ONCE(pc->nr_blocks) < pc->max_blocks ||
			   READ_ONCE(pc->power_off));
		mutex_lock(&pc->lock);
	}
	if (pc->power_off) {
		mutex_unlock(&pc->lock);
		return DM_MAPIO_KILL;
	}
	wid = ++pc->next_wid;
	pb->wid = wid;
	bio_for_each_segment(bv, bio, iter) {
		for (off = 0; off < bv.bv_len; off += SECTOR_SIZE, sector++) {
			unsigned int s = sector & (PC_BLOCK_SECTORS - 1);
			char *dst;

			if (!b || b->blkno != sector >> PC_BLOCK_SHIFT) {
				b = pc_get_block(pc, sector >> PC_BLOCK_SHIFT);
				if (!b)
					goto nomem;
				b->gen++;
				list_move_tail(&b->lru, &pc->lru);
			}
			dst = page_address(b->page) + (s << SECTOR_SHIFT);
			memcpy_from_page(dst, bv.bv_page, bv.bv_offset + off, SECTOR_SIZE);
			b->valid |= 1U << s;
			b->wid[s] = wid;
		}
	}
	pc->st.writes++;
	mutex_unlock(&pc->lock);
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;

nomem:
	/*
	 * No memory for the cache: write through instead (more durable than
	 * required, never less). The sectors already cached carry this id and
	 * are dropped when the write-through completes.
	 */
	mutex_unlock(&pc->lock);
	return -ENOMEM;
}

/* Overlay the cached sectors of [sector, ...) onto a read bio's pages. */
static void pc_overlay(struct powercut_c *pc, struct bio *bio, sector_t sector)
{
	struct pc_block *b = NULL;
	struct bio_vec bv;
	struct bvec_iter iter;
	unsigned int off;

	mutex_lock(&pc->lock);
	bio_for_each_segment(bv, bio, iter) {
		for (off = 0; off < bv.bv_len; off += SECTOR_SIZE, sector++) {
			unsigned int s = sector & (PC_BLOCK_SECTORS - 1);

			if (!b || b->blkno != sector >> PC_BLOCK_SHIFT)
				b = xa_load(&pc->blocks, sector >> PC_BLOCK_SHIFT);
			if (!b || !(b->valid & (1U << s)))
				continue;
			memcpy_to_page(bv.bv_page, bv.bv_offset + off,
				       page_address(b->page) + (s << SECTOR_SHIFT),
				       SECTOR_SIZE);
		}
	}
	mutex_unlock(&pc->lock);
}

/*
 * Forget cached sectors of [sector, sector + nr) written before write @wid:
 * a FUA write, a write-through or a discard with that id made them stale.
 */
static void pc_drop_older(struct powercut_c *pc, sector_t sector, sector_t nr, u64 wid)
{
	sector_t end = sector + nr;
	unsigned long idx;
	struct pc_block *b;
	unsigned int s;

	if (!nr)
		return;
	mutex_lock(&pc->lock);
	xa_for_each_range(&pc->blocks, idx, b, sector >> PC_BLOCK_SHIFT,
			  (end - 1) >> PC_BLOCK_SHIFT) {
		for (s = 0; s < PC_BLOCK_SECTORS; s++) {
			sector_t this = ((sector_t)idx << PC_BLOCK_SHIFT) + s;

			if (this < sector || this >= end)
				continue;
			if ((b->valid & (1U << s)) && b->wid[s] <= wid) {
				b->valid &= ~(1U << s);
				b->gen++;
			}
		}
		if (!b->valid)
			pc_free_block(pc, b);
	}
	mutex_unlock(&pc->lock);
	wake_up_all(&pc->space_wait);
}

/* Send a clone of @bio to the backing device and wait for it. */
static int pc_clone_wait(struct powercut_c *pc, struct bio *bio, sector_t sector)
{
	struct bio *clone = bio_alloc_clone(pc->dev->bdev, bio, GFP_NOIO, &pc->bs);
	int r;

	clone->bi_iter.bi_sector = sector;
	r = submit_bio_wait(clone);
	bio_put(clone);
	return r;
}

static int pc_flush_backing(struct powercut_c *pc)
{
	return blkdev_issue_flush(pc->dev->bdev);
}

/* Worker: one job at a time, in order, so backing writes never race. */
static void pc_do_bio(struct powercut_c *pc, struct dm_target *ti, struct bio *bio)
{
	struct pc_bio *pb = dm_per_bio_data(bio, sizeof(struct pc_bio));
	sector_t sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	int r = 0;

	if (READ_ONCE(pc->power_off)) {
		bio_io_error(bio);
		return;
	}
	if (bio->bi_opf & REQ_PREFLUSH) {
		r = pc_writeback(pc, false, 0, pb->wid);
		if (!r)
			r = pc_flush_backing(pc);
	} else if (bio_op(bio) == REQ_OP_READ) {
		r = pc_clone_wait(pc, bio, sector);
		if (!r)
			pc_overlay(pc, bio, sector);
	} else {
		/* FUA write, write-through, discard: durable at completion. */
		r = pc_clone_wait(pc, bio, sector);
		if (!r)
			pc_drop_older(pc, sector, bio_sectors(bio), pb->wid);
	}
	bio->bi_status = errno_to_blk_status(r);
	bio_endio(bio);
}

static void pc_work(struct work_struct *work)
{
	struct powercut_c *pc = container_of(work, struct powercut_c, work);
	struct dm_target *ti = pc->ti;
	struct bio *bio;
	bool evict;

	for (;;) {
		spin_lock_irq(&pc->qlock);
		bio = bio_list_pop(&pc->queued);
		spin_unlock_irq(&pc->qlock);
		if (!bio)
			break;
		mutex_lock(&pc->io_lock);
		pc_do_bio(pc, ti, bio);
		mutex_unlock(&pc->io_lock);
	}

	mutex_lock(&pc->lock);
	evict = pc->evict_wanted && !pc->power_off;
	pc->evict_wanted = false;
	mutex_unlock(&pc->lock);
	if (evict) {
		/* Make room for a quarter of the cache at once. */
		mutex_lock(&pc->io_lock);
		if (pc_writeback(pc, true, pc->max_blocks / 4 + 1, 0))
			DMERR_LIMIT("write-back of evicted blocks failed");
		mutex_unlock(&pc->io_lock);
	}
}

static void pc_queue(struct powercut_c *pc, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&pc->qlock, flags);
	bio_list_add(&pc->queued, bio);
	spin_unlock_irqrestore(&pc->qlock, flags);
	queue_work(pc->wq, &pc->work);
}

static int pc_map(struct dm_target *ti, struct bio *bio)
{
	struct powercut_c *pc = ti->private;
	struct pc_bio *pb = dm_per_bio_data(bio, sizeof(struct pc_bio));
	sector_t sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	bool cached;
	int r;

	if (READ_ONCE(pc->power_off))
		return DM_MAPIO_KILL;

	if (bio->bi_opf & REQ_PREFLUSH) {
		/* dm core sends flushes to targets as empty bios. */
		mutex_lock(&pc->lock);
		pc->st.flushes++;
		pb->wid = pc->next_wid;
		mutex_unlock(&pc->lock);
		if (pc->mode == PC_IGNORE_FLUSH) {
			bio_endio(bio);
			return DM_MAPIO_SUBMITTED;
		}
		pc_queue(pc, bio);
		return DM_MAPIO_SUBMITTED;
	}

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		mutex_lock(&pc->lock);
		pc->st.reads++;
		cached = pc_range_cached(pc, sector, bio_sectors(bio));
		mutex_unlock(&pc->lock);
		if (cached) {
			pc_queue(pc, bio);
			return DM_MAPIO_SUBMITTED;
		}
		bio_set_dev(bio, pc->dev->bdev);
		bio->bi_iter.bi_sector = sector;
		return DM_MAPIO_REMAPPED;
	case REQ_OP_WRITE:
		if ((bio->bi_opf & REQ_FUA) && pc->mode != PC_IGNORE_FUA) {
			mutex_lock(&pc->lock);
			pc->st.writes++;
			pc->st.fua_writes++;
			pb->wid = ++pc->next_wid;
			mutex_unlock(&pc->lock);
			pc_queue(pc, bio);
			return DM_MAPIO_SUBMITTED;
		}
		/* A lying drive acknowledges FUA but only caches the write. */
		if (bio->bi_opf & REQ_FUA) {
			mutex_lock(&pc->lock);
			pc->st.fua_writes++;
			mutex_unlock(&pc->lock);
		}
		r = pc_cache_write(pc, bio, sector, pb);
		if (r == -ENOMEM) {
			pc_queue(pc, bio);
			return DM_MAPIO_SUBMITTED;
		}
		return r;
	case REQ_OP_DISCARD:
		/* Durable at completion, like null_blk: passed down in order. */
		mutex_lock(&pc->lock);
		pc->st.discards++;
		pb->wid = ++pc->next_wid;
		mutex_unlock(&pc->lock);
		pc_queue(pc, bio);
		return DM_MAPIO_SUBMITTED;
	default:
		return DM_MAPIO_KILL;
	}
}

/* ---- power cut ---- */

/* Is this unflushed sector lost at the cut? Seeded, so a cut can be replayed. */
static bool pc_sector_lost(struct powercut_c *pc, u64 wid, sector_t sector)
{
	switch (pc->policy) {
	case PC_DROP_RANDOM:
		return pc_mix(pc->seed ^ pc_mix(wid)) & 1;
	case PC_TORN:
		return pc_mix(pc->seed ^ pc_mix(wid) ^
			      pc_mix(~(u64)(sector / pc->tear_sectors))) & 1;
	default:
		return true;
	}
}

/*
 * Apply the policy to the cache: sectors that survive are written back (the
 * drive had destaged them before the power went), the rest are lost. The
 * state id digests every decision, so equal ids mean equal crash states.
 */
static int pc_cut(struct powercut_c *pc)
{
	struct pc_block *b, *tmp;
	struct pc_wb *wb;
	unsigned long n = 0, cap;
	u64 lost = 0, kept = 0, state = pc_mix(pc->seed);
	unsigned int s;
	int r;

	mutex_lock(&pc->lock);
	pc->power_off = true;
	mutex_unlock(&pc->lock);
	wake_up_all(&pc->space_wait);
	/* Jobs queued before the cut fail: they never completed. */
	flush_workqueue(pc->wq);

	mutex_lock(&pc->io_lock);
	mutex_lock(&pc->lock);
	cap = pc->nr_blocks;
	wb = kvcalloc(max(cap, 1UL), sizeof(*wb), GFP_NOIO);
	if (!wb) {
		mutex_unlock(&pc->lock);
		mutex_unlock(&pc->io_lock);
		return -ENOMEM;
	}
	list_for_each_entry(b, &pc->lru, lru) {
		u8 keep = 0;

		for (s = 0; s < PC_BLOCK_SECTORS; s++) {
			sector_t sector = (b->blkno << PC_BLOCK_SHIFT) + s;

			if (!(b->valid & (1U << s)))
				continue;
			if (pc_sector_lost(pc, b->wid[s], sector)) {
				lost += SECTOR_SIZE;
			} else {
				keep |= 1U << s;
				kept += SECTOR_SIZE;
				state = pc_mix(state ^ sector);
			}
		}
		if (!keep)
			continue;
		wb[n].copy = alloc_page(GFP_NOIO);
		if (!wb[n].copy) {
			lost += hweight8(keep) << SECTOR_SHIFT;
			kept -= hweight8(keep) << SECTOR_SHIFT;
			continue;
		}
		memcpy_to_page(wb[n].copy, 0, page_address(b->page), PAGE_SIZE);
		wb[n].blkno = b->blkno;
		wb[n].valid = keep;
		n++;
	}
	list_for_each_entry_safe(b, tmp, &pc->lru, lru)
		pc_free_block(pc, b);
	pc->st.cuts++;
	pc->st.lost_bytes = lost;
	pc->st.kept_bytes = kept;
	pc->st.state = state;
	mutex_unlock(&pc->lock);

	sort(wb, n, sizeof(*wb), pc_wb_cmp, NULL);
	r = pc_write_copies(pc, wb, n);
	if (!r)
		r = pc_flush_backing(pc);
	mutex_unlock(&pc->io_lock);
	pc_free_copies(wb, n);
	return r;
}

/* Write back the whole cache (message "flush", normal suspend, removal). */
static int pc_flush_all(struct powercut_c *pc)
{
	int r;

	flush_workqueue(pc->wq);
	mutex_lock(&pc->io_lock);
	r = pc_writeback(pc, false, 0, U64_MAX);
	if (!r)
		r = pc_flush_backing(pc);
	mutex_unlock(&pc->io_lock);
	return r;
}

static int pc_message(struct dm_target *ti, unsigned int argc, char **argv,
		      char *result, unsigned int maxlen)
{
	struct powercut_c *pc = ti->private;
	int r = -EINVAL;

	if (argc != 1) {
		DMERR("message takes one word: cut, restore or flush");
		return -EINVAL;
	}
	mutex_lock(&pc->msg_lock);
	if (!strcasecmp(argv[0], "cut")) {
		if (READ_ONCE(pc->power_off)) {
			DMERR("cut: the power is already off");
		} else {
			r = pc_cut(pc);
			if (r)
				DMERR("cut: writing back the surviving sectors failed: %d", r);
		}
	} else if (!strcasecmp(argv[0], "restore")) {
		mutex_lock(&pc->lock);
		pc->power_off = false;
		mutex_unlock(&pc->lock);
		r = 0;
	} else if (!strcasecmp(argv[0], "flush")) {
		if (READ_ONCE(pc->power_off))
			DMERR("flush: the power is off");
		else
			r = pc_flush_all(pc);
	} else {
		DMERR("unknown message '%s' (cut, restore, flush)", argv[0]);
	}
	mutex_unlock(&pc->msg_lock);
	return r;
}

static void pc_status(struct dm_target *ti, status_type_t type,
		      unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct powercut_c *pc = ti->private;
	unsigned int sz = 0;
	struct pc_stats st;
	u64 cached = 0;
	struct pc_block *b;
	bool off;

	switch (type) {
	case STATUSTYPE_INFO:
		mutex_lock(&pc->lock);
		st = pc->st;
		off = pc->power_off;
		list_for_each_entry(b, &pc->lru, lru)
			cached += hweight8(b->valid) << SECTOR_SHIFT;
		mutex_unlock(&pc->lock);
		DMEMIT("power=%s cached_bytes=%llu writes=%llu reads=%llu flushes=%llu",
		       off ? "off" : "on", cached, st.writes, st.reads, st.flushes);
		DMEMIT(" fua_writes=%llu discards=%llu evicted_bytes=%llu cuts=%llu",
		       st.fua_writes, st.discards, st.evicted_bytes, st.cuts);
		DMEMIT(" lost_bytes=%llu kept_bytes=%llu state=%016llx",
		       st.lost_bytes, st.kept_bytes, st.state);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s cache_mb=%u policy=%s seed=%llu tear=%u mode=%s",
		       pc->dev->name, pc->cache_mb, pc_policy_names[pc->policy],
		       pc->seed, pc->tear_sectors << SECTOR_SHIFT,
		       pc_mode_names[pc->mode]);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

/* ---- construction ---- */

static int pc_lookup(const char *val, const char * const *names, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(val, names[i]))
			return i;
	return -EINVAL;
}

static int pc_parse_arg(struct dm_target *ti, struct powercut_c *pc, char *arg)
{
	char *val = strchr(arg, '=');
	unsigned int u;
	int i;

	if (!val || val == arg || !val[1]) {
		ti->error = "Arguments are key=value";
		DMERR("argument '%s' is not key=value", arg);
		return -EINVAL;
	}
	*val++ = '\0';
	if (!strcmp(arg, "cache_mb")) {
		if (kstrtouint(val, 10, &u) || !u || u > PC_MAX_CACHE_MB)
			goto bad;
		pc->cache_mb = u;
	} else if (!strcmp(arg, "seed")) {
		if (kstrtou64(val, 0, &pc->seed))
			goto bad;
	} else if (!strcmp(arg, "tear")) {
		if (kstrtouint(val, 10, &u) || (u != 512 && u != 4096))
			goto bad;
		pc->tear_sectors = u >> SECTOR_SHIFT;
	} else if (!strcmp(arg, "policy")) {
		i = pc_lookup(val, pc_policy_names, ARRAY_SIZE(pc_policy_names));
		if (i < 0)
			goto bad;
		pc->policy = i;
	} else if (!strcmp(arg, "mode")) {
		i = pc_lookup(val, pc_mode_names, ARRAY_SIZE(pc_mode_names));
		if (i < 0)
			goto bad;
		pc->mode = i;
	} else {
		ti->error = "Unknown argument";
		DMERR("unknown argument '%s'", arg);
		return -EINVAL;
	}
	return 0;
bad:
	ti->error = "Invalid argument value";
	DMERR("invalid value '%s' for %s", val, arg);
	return -EINVAL;
}

static int pc_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct powercut_c *pc;
	unsigned int i;
	int r;

	if (argc < 1) {
		ti->error = "Need a device: <dev> [key=value ...]";
		DMERR("missing backing device");
		return -EINVAL;
	}
	pc = kzalloc(sizeof(*pc), GFP_KERNEL);
	if (!pc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	pc->cache_mb = 64;
	pc->policy = PC_DROP_ALL;
	pc->tear_sectors = 4096 >> SECTOR_SHIFT;
	pc->mode = PC_HONEST;
	for (i = 1; i < argc; i++) {
		r = pc_parse_arg(ti, pc, argv[i]);
		if (r)
			goto bad;
	}
	pc->max_blocks = (unsigned long)pc->cache_mb << (20 - PAGE_SHIFT);

	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &pc->dev);
	if (r) {
		ti->error = "Device lookup failed";
		DMERR("cannot open device '%s'", argv[0]);
		goto bad;
	}
	r = bioset_init(&pc->bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS);
	if (r) {
		ti->error = "Cannot allocate bioset";
		goto bad_dev;
	}
	pc->wq = alloc_ordered_workqueue("dm-powercut", WQ_MEM_RECLAIM);
	if (!pc->wq) {
		r = -ENOMEM;
		ti->error = "Cannot allocate workqueue";
		goto bad_bs;
	}
	mutex_init(&pc->lock);
	mutex_init(&pc->io_lock);
	mutex_init(&pc->msg_lock);
	xa_init(&pc->blocks);
	INIT_LIST_HEAD(&pc->lru);
	init_waitqueue_head(&pc->space_wait);
	spin_lock_init(&pc->qlock);
	bio_list_init(&pc->queued);
	INIT_WORK(&pc->work, pc_work);
	pc->ti = ti;

	ti->num_flush_bios = 1;
	ti->flush_supported = true;	/* write back + FUA even over brd */
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 0;	/* dm then zeroes with plain writes */
	ti->per_io_data_size = sizeof(struct pc_bio);
	ti->private = pc;
	return 0;

bad_bs:
	bioset_exit(&pc->bs);
bad_dev:
	dm_put_device(ti, pc->dev);
bad:
	kfree(pc);
	return r;
}

static void pc_dtr(struct dm_target *ti)
{
	struct powercut_c *pc = ti->private;
	struct pc_block *b, *tmp;

	/* Removal is an orderly shutdown: the drive writes its cache back. */
	if (!READ_ONCE(pc->power_off) && pc_flush_all(pc))
		DMERR("write-back at removal failed: unflushed data lost");
	flush_workqueue(pc->wq);
	destroy_workqueue(pc->wq);
	list_for_each_entry_safe(b, tmp, &pc->lru, lru)
		pc_free_block(pc, b);
	xa_destroy(&pc->blocks);
	bioset_exit(&pc->bs);
	dm_put_device(ti, pc->dev);
	kfree(pc);
}

/*
 * A normal suspend writes the cache back; a noflush one (dmemu cut) keeps it.
 * dm core clears the noflush flag before postsuspend, so note it here.
 */
static void pc_presuspend(struct dm_target *ti)
{
	struct powercut_c *pc = ti->private;

	pc->suspend_writeback = !dm_noflush_suspending(ti);
}

static void pc_postsuspend(struct dm_target *ti)
{
	struct powercut_c *pc = ti->private;

	if (pc->suspend_writeback && !READ_ONCE(pc->power_off) && pc_flush_all(pc))
		DMERR("write-back at suspend failed");
}

static int pc_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn,
			      void *data)
{
	struct powercut_c *pc = ti->private;

	return fn(ti, pc->dev, 0, ti->len, data);
}

static struct target_type powercut_target = {
	.name = "powercut",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = pc_ctr,
	.dtr = pc_dtr,
	.map = pc_map,
	.presuspend = pc_presuspend,
	.postsuspend = pc_postsuspend,
	.status = pc_status,
	.message = pc_message,
	.iterate_devices = pc_iterate_devices,
};

static int __init dm_powercut_init(void)
{
	return dm_register_target(&powercut_target);
}

static void __exit dm_powercut_exit(void)
{
	dm_unregister_target(&powercut_target);
}

module_init(dm_powercut_init);
module_exit(dm_powercut_exit);

MODULE_DESCRIPTION(DM_NAME " volatile write cache with power-cut emulation");
MODULE_LICENSE("GPL");

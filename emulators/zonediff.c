// SPDX-License-Identifier: GPL-2.0
/*
 * zonediff: differential test of zoned block devices against zone_model.
 *
 * Usage: zonediff [-n OPS] [-s SEED] [-S zbc|zns] [-r EVERY] [-b SECTORS]
 *                 [-F] [-v] DEV...
 *   DEV is PATH[,nullb=CONFIGFS_DIR][,dm=DM_NAME][,fill=BYTE]: the fault
 *   injector, and the byte the device returns above the write pointer
 *   (0 by default; null_blk 6.1 returns 0xff).
 *
 * Drives OPS seeded random zone operations (writes at and away from the
 * write pointer, open/close/finish/reset/reset-all, reads, and with -F
 * readonly/offline faults) against every DEV and the model, with geometry and
 * limits taken from the first DEV. Every result (errno) is compared; every
 * EVERY ops and at the end the full zone report is compared, and at the end
 * every readable zone's data. Devices must be freshly created (the
 * implicit-close cursor of null_blk cannot be reset); zonediff resets all
 * zones and zeroes the conventional ones first.
 *
 * Prints one verdict line: "zonediff: PASS ..." (exit 0) or
 * "zonediff: DIVERGENCE at op I: ..." (exit 1); setup errors exit 2.
 * Zone append is not reachable from userspace on a 6.1 block device: it is
 * not driven here.
 */
#include <errno.h>
#include <linux/blkzoned.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zdev.h"
#include "zone_model.h"

#define MAX_DEVS 4

enum op_kind {
	OP_WRITE_WP, OP_WRITE_AWAY, OP_READ, OP_OPEN, OP_CLOSE, OP_FINISH,
	OP_RESET, OP_RESET_ALL, OP_FAULT, OP_NR
};

static const char *const op_names[OP_NR] = {
	"write", "write-away", "read", "open", "close", "finish", "reset",
	"reset-all", "fault",
};

/* Weights out of 100; OP_FAULT only with -F. */
static const int op_weight[OP_NR] = { 38, 10, 8, 12, 10, 8, 8, 1, 5 };

struct op {
	enum op_kind kind;
	uint32_t zno;
	uint64_t sector, nr;
	unsigned int fault;	/* READONLY, OFFLINE or 0 = clear */
	unsigned int cond;	/* model condition before the op */
	uint64_t wp;		/* model wp before the op */
};

static struct zm_dev model;
static struct zdev devs[MAX_DEVS];
static int nr_devs, verbose;
static enum zm_semantics sem = ZM_ZNS;
static uint64_t rng_state, bs = 8, maxnr;
static unsigned char *expect, *wbuf, *rbuf, *rbufs[MAX_DEVS];
static long long nr_ops = 1000, report_every = 64, cur_op = -1;
static unsigned long long count[OP_NR], nr_eio, nr_etoomany, nr_eoverflow;
static unsigned long long nr_reports, nr_ok;
static uint64_t last_valid;	/* of the last model read */

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static const char *err_name(int ret)
{
	static char buf[8][32];
	static int slot;
	const char *n;

	if (!ret)
		return "0";
	n = strerrorname_np(-ret);
	slot = (slot + 1) % 8;
	snprintf(buf[slot], sizeof(buf[slot]), "-%s", n ? n : "?");
	return buf[slot];
}

static void describe(const struct op *o, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s zone %u", op_names[o->kind], o->zno);

	if (o->kind == OP_WRITE_WP || o->kind == OP_WRITE_AWAY ||
	    o->kind == OP_READ)
		n += snprintf(buf + n, len - n, " sector %llu+%llu",
			      (unsigned long long)o->sector,
			      (unsigned long long)o->nr);
	if (o->kind == OP_FAULT)
		n += snprintf(buf + n, len - n, " %s",
			      o->fault ? zm_cond_name(o->fault) : "clear");
	snprintf(buf + n, len - n, " (model before: %s wp %llu)",
		 zm_cond_name(o->cond), (unsigned long long)o->wp);
}

static void divergence(const char *fmt, ...)
{
	va_list ap;

	printf("zonediff: DIVERGENCE at op %lld: ", cur_op);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void setup_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zonediff: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void fill(unsigned char *buf, uint64_t bytes)
{
	uint64_t i, v;

	for (i = 0; i < bytes; i += 8) {
		v = rnd();
		memcpy(buf + i, &v, 8);
	}
}

/* ---- operation generation (from the model's state) ---- */

static uint32_t pick_zone(void)
{
	/* Mostly sequential zones; conventional ones now and then. */
	if (model.cfg.nr_conv && rnd_below(10) == 0)
		return (uint32_t)rnd_below(model.cfg.nr_conv);
	return model.cfg.nr_conv +
	       (uint32_t)rnd_below(model.nr_zones - model.cfg.nr_conv);
}

static uint64_t pick_nr(uint64_t room)
{
	uint64_t max = room < maxnr ? room : maxnr;

	if (max < bs)
		return bs;
	return bs * (1 + rnd_below(max / bs));
}

static void gen(struct op *o)
{
	const struct zm_zone *z;
	uint64_t total = 0, r, room, k;
	int i;

	for (i = 0; i < OP_NR; i++)
		total += i == OP_FAULT && !devs[0].fault_kind ? 0 : op_weight[i];
	r = rnd_below(total);
	for (i = 0; i < OP_NR; i++) {
		uint64_t w = i == OP_FAULT && !devs[0].fault_kind ? 0 : op_weight[i];

		if (r < w)
			break;
		r -= w;
	}
	memset(o, 0, sizeof(*o));
	o->kind = (enum op_kind)i;
	if (o->kind == OP_FAULT)
		o->zno = model.cfg.nr_conv +
			 (uint32_t)rnd_below(model.nr_zones - model.cfg.nr_conv);
	else
		o->zno = pick_zone();
	z = &model.zones[o->zno];
	o->cond = z->cond;
	o->wp = z->wp;

	switch (o->kind) {
	case OP_WRITE_WP:
		if (z->type == ZM_TYPE_CONV || z->wp >= z->start + z->len) {
			/* conventional, FULL, READONLY or OFFLINE: anywhere */
			o->sector = z->start + bs * rnd_below(z->len / bs);
			room = z->start + z->len - o->sector;
			o->nr = pick_nr(room);
			break;
		}
		o->sector = z->wp;
		room = z->start + z->cap - z->wp;
		switch (rnd_below(8)) {
		case 0:	/* exactly the rest of the capacity, when it fits */
			o->nr = room && room <= maxnr ? room : pick_nr(room);
			break;
		case 1:	/* past the capacity but inside the zone */
			o->nr = pick_nr(z->start + z->len - z->wp);
			if (o->nr <= room && room + bs <= maxnr &&
			    z->wp + room + bs <= z->start + z->len)
				o->nr = room + bs;
			break;
		default:
			o->nr = pick_nr(room);
		}
		break;
	case OP_WRITE_AWAY:
		k = bs * (1 + rnd_below(4));
		o->nr = pick_nr(z->len / 2);
		if (z->type != ZM_TYPE_CONV && z->wp < z->start + z->len &&
		    rnd_below(2) && z->wp >= z->start + k)
			o->sector = z->wp - k;
		else if (z->type != ZM_TYPE_CONV && z->wp < z->start + z->len)
			o->sector = z->wp + k;
		else
			o->sector = z->start + bs * rnd_below(z->len / bs);
		if (o->sector + o->nr > z->start + z->len)
			o->nr = bs;
		if (o->sector + o->nr > z->start + z->len)
			o->sector = z->start + z->len - bs;
		break;
	case OP_READ:
		o->sector = z->start + bs * rnd_below(z->len / bs);
		o->nr = pick_nr(z->start + z->len - o->sector);
		break;
	case OP_FAULT:
		if (z->cond == ZM_COND_READONLY || z->cond == ZM_COND_OFFLINE)
			o->fault = rnd_below(4) ? 0 :
				   (z->cond == ZM_COND_READONLY ?
				    ZM_COND_OFFLINE : ZM_COND_READONLY);
		else
			o->fault = rnd_below(2) ? ZM_COND_READONLY :
						  ZM_COND_OFFLINE;
		break;
	default:
		break;
	}
}

/* ---- applying an op ---- */

static void zero_zone(uint32_t zno)
{
	const struct zm_zone *z = &model.zones[zno];

	memset(expect + (z->start << 9), 0, z->len << 9);
}

static int apply_model(const struct op *o)
{
	unsigned char before[model.nr_zones];
	uint64_t valid = 0;
	uint32_t i;
	int ret;

	switch (o->kind) {
	case OP_WRITE_WP:
	case OP_WRITE_AWAY:
		ret = zm_write(&model, o->sector, o->nr);
		if (!ret)
			memcpy(expect + (o->sector << 9), wbuf, o->nr << 9);
		return ret;
	case OP_READ:
		ret = zm_read(&model, o->sector, o->nr, &valid);
		last_valid = valid;
		/* Self-check: nothing but zeros above the write pointer. */
		for (i = 0; !ret && valid + i < o->nr; i++) {
			const unsigned char *p = expect + ((o->sector + valid + i) << 9);

			if (p[0] || memcmp(p, p + 1, 511))
				divergence("tester: expected data above the wp at sector %llu",
					   (unsigned long long)(o->sector + valid + i));
		}
		return ret;
	case OP_OPEN:
		return zm_open(&model, o->zno);
	case OP_CLOSE:
		return zm_close(&model, o->zno);
	case OP_FINISH:
		return zm_finish(&model, o->zno);
	case OP_RESET:
		ret = zm_reset(&model, o->zno);
		if (!ret)
			zero_zone(o->zno);
		return ret;
	case OP_RESET_ALL:
		for (i = 0; i < model.nr_zones; i++)
			before[i] = model.zones[i].cond;
		ret = zm_reset_all(&model);
		for (i = 0; i < model.nr_zones; i++)
			if (before[i] != ZM_COND_EMPTY &&
			    model.zones[i].cond == ZM_COND_EMPTY)
				zero_zone(i);
		return ret;
	case OP_FAULT:
		ret = o->fault ? zm_fault_set(&model, o->zno, o->fault) :
				 zm_fault_clear(&model, o->zno);
		if (!ret && model.zones[o->zno].cond == ZM_COND_EMPTY &&
		    (o->cond == ZM_COND_READONLY || o->cond == ZM_COND_OFFLINE))
			zero_zone(o->zno);
		return ret;
	default:
		return -EINVAL;
	}
}

static int apply_dev(struct zdev *d, const struct op *o)
{
	uint64_t zs = model.cfg.zone_sectors;
	const struct zm_zone *z = &model.zones[o->zno];

	switch (o->kind) {
	case OP_WRITE_WP:
	case OP_WRITE_AWAY:
		return zdev_write(d, o->sector, o->nr, wbuf);
	case OP_READ:
		return zdev_read(d, o->sector, o->nr, rbufs[d - devs]);
	case OP_OPEN:
		return zdev_mgmt(d, BLKOPENZONE, z->start, zs);
	case OP_CLOSE:
		return zdev_mgmt(d, BLKCLOSEZONE, z->start, zs);
	case OP_FINISH:
		return zdev_mgmt(d, BLKFINISHZONE, z->start, zs);
	case OP_RESET:
		return zdev_mgmt(d, BLKRESETZONE, z->start, zs);
	case OP_RESET_ALL:
		return zdev_mgmt(d, BLKRESETZONE, 0, model.cfg.capacity);
	case OP_FAULT:
		return zdev_fault(d, o->zno, z->start, o->cond, o->fault);
	default:
		return -EINVAL;
	}
}

/* ---- comparisons ---- */

static void zone_str(const struct zm_zone *z, char *buf, size_t len)
{
	snprintf(buf, len, "start %llu len %llu cap %llu wp %llu type %u %s",
		 (unsigned long long)z->start, (unsigned long long)z->len,
		 (unsigned long long)z->cap, (unsigned long long)z->wp,
		 z->type, zm_cond_name(z->cond));
}

static void compare_reports(const char *when)
{
	struct zm_zone *got = calloc(model.nr_zones, sizeof(*got));
	char a[160], b[160];
	uint32_t i;
	int k, ret;

	if (!got)
		setup_fail("out of memory");
	for (k = 0; k < nr_devs; k++) {
		ret = zdev_report(&devs[k], got, model.nr_zones);
		if (ret)
			divergence("%s: report zones of %s failed: %s", when,
				   devs[k].path, err_name(ret));
		for (i = 0; i < model.nr_zones; i++) {
			const struct zm_zone *m = &model.zones[i];
			const struct zm_zone *g = &got[i];

			if (m->start == g->start && m->len == g->len &&
			    m->cap == g->cap && m->wp == g->wp &&
			    m->type == g->type && m->cond == g->cond)
				continue;
			zone_str(m, a, sizeof(a));
			zone_str(g, b, sizeof(b));
			divergence("%s: report of zone %u: model %s; %s %s",
				   when, i, a, devs[k].path, b);
		}
	}
	nr_reports++;
	free(got);
}

/* buf holds nr sectors read at sector; the first valid lie below the wp. */
static void compare_data(int k, const unsigned char *buf, uint64_t sector,
			 uint64_t nr, uint64_t valid, const char *when)
{
	unsigned char fill[512];
	uint64_t i;

	memset(fill, devs[k].fill, sizeof(fill));
	for (i = 0; i < nr; i++) {
		if (!memcmp(buf + (i << 9), i < valid ?
			    expect + ((sector + i) << 9) : fill, 512))
			continue;
		divergence("%s: data of %s at sector %llu differs from what was written",
			   when, devs[k].path, (unsigned long long)(sector + i));
	}
}

/* Read every readable zone back on every device. */
static void verify_all_data(void)
{
	uint64_t s, n, valid;
	uint32_t i;
	int k, mret, ret;

	for (i = 0; i < model.nr_zones; i++) {
		const struct zm_zone *z = &model.zones[i];

		for (s = z->start; s < z->start + z->len; s += n) {
			n = z->start + z->len - s;
			if (n > maxnr)
				n = maxnr;
			mret = zm_read(&model, s, n, &valid);
			for (k = 0; k < nr_devs; k++) {
				ret = zdev_read(&devs[k], s, n, rbuf);
				if (ret != mret)
					divergence("final read of zone %u sector %llu+%llu: model=%s %s=%s",
						   i, (unsigned long long)s,
						   (unsigned long long)n,
						   err_name(mret), devs[k].path,
						   err_name(ret));
				if (!ret)
					compare_data(k, rbuf, s, n, valid, "final read");
			}
		}
	}
}

/* ---- setup ---- */

static void setup(void)
{
	struct zm_zone *rep;
	struct zm_config cfg = { 0 };
	struct zdev *d0 = &devs[0];
	uint32_t i;
	int k, ret;

	for (k = 1; k < nr_devs; k++) {
		struct zdev *d = &devs[k];

		if (d->capacity != d0->capacity ||
		    d->zone_sectors != d0->zone_sectors ||
		    d->nr_zones != d0->nr_zones || d->max_open != d0->max_open ||
		    d->max_active != d0->max_active)
			divergence("geometry/limits of %s (capacity %llu zone %llu nr_zones %u max_open %u max_active %u) differ from %s (%llu %llu %u %u %u)",
				   d->path, (unsigned long long)d->capacity,
				   (unsigned long long)d->zone_sectors,
				   d->nr_zones, d->max_open, d->max_active,
				   d0->path, (unsigned long long)d0->capacity,
				   (unsigned long long)d0->zone_sectors,
				   d0->nr_zones, d0->max_open, d0->max_active);
	}
	for (k = 0; k < nr_devs; k++) {
		if (devs[k].lbs > bs << 9)
			bs = devs[k].lbs >> 9;
		if (!maxnr || devs[k].max_sectors < maxnr)
			maxnr = devs[k].max_sectors;
	}
	if (maxnr > 1024)
		maxnr = 1024;
	maxnr -= maxnr % bs;
	if (d0->zone_sectors % bs || !maxnr)
		setup_fail("block size %llu sectors does not fit the zones",
			   (unsigned long long)bs);

	/* Geometry from the first device's report (fresh device). */
	rep = calloc(d0->nr_zones, sizeof(*rep));
	if (!rep)
		setup_fail("out of memory");
	ret = zdev_report(d0, rep, d0->nr_zones);
	if (ret)
		setup_fail("%s: report zones: %s", d0->path, err_name(ret));
	cfg.capacity = d0->capacity;
	cfg.zone_sectors = d0->zone_sectors;
	for (i = 0; i < d0->nr_zones && rep[i].type == ZM_TYPE_CONV; i++)
		cfg.nr_conv++;
	cfg.zone_cap = i < d0->nr_zones ? rep[i].cap : 0;
	cfg.max_open = d0->max_open;
	cfg.max_active = d0->max_active;
	cfg.semantics = sem;
	free(rep);
	ret = zm_init(&model, &cfg);
	if (ret)
		setup_fail("model rejects the geometry of %s: %s", d0->path,
			   err_name(ret));
	if (model.cfg.max_open != cfg.max_open ||
	    model.cfg.max_active != cfg.max_active)
		divergence("%s advertises max_open %u max_active %u, null_blk rules give %u %u",
			   d0->path, cfg.max_open, cfg.max_active,
			   model.cfg.max_open, model.cfg.max_active);

	expect = calloc(cfg.capacity, 512);
	if (!expect || posix_memalign((void **)&wbuf, 4096, maxnr << 9) ||
	    posix_memalign((void **)&rbuf, 4096, maxnr << 9))
		setup_fail("out of memory");
	for (k = 0; k < nr_devs; k++)
		if (posix_memalign((void **)&rbufs[k], 4096, maxnr << 9))
			setup_fail("out of memory");

	/* A known start: all zones reset, conventional zones zeroed. */
	memset(wbuf, 0, maxnr << 9);
	for (k = 0; k < nr_devs; k++) {
		uint64_t end = (uint64_t)model.cfg.nr_conv * cfg.zone_sectors, s, n;

		ret = zdev_mgmt(&devs[k], BLKRESETZONE, 0, cfg.capacity);
		if (ret)
			setup_fail("%s: reset all zones: %s", devs[k].path,
				   err_name(ret));
		for (s = 0; s < end; s += n) {
			n = end - s < maxnr ? end - s : maxnr;
			ret = zdev_write(&devs[k], s, n, wbuf);
			if (ret)
				setup_fail("%s: zeroing conventional zones: %s",
					   devs[k].path, err_name(ret));
		}
	}
	compare_reports("initial report");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: zonediff [-n OPS] [-s SEED] [-S zbc|zns] [-r EVERY] [-b SECTORS] [-F] [-v]\n"
		"                PATH[,nullb=CONFIGFS_DIR][,dm=DM_NAME][,fill=BYTE]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1;
	char desc[256], hist[8][300];
	int opt, k, mret, ret[MAX_DEVS], faults = 0;
	struct op o;

	while ((opt = getopt(argc, argv, "n:s:S:r:b:Fv")) != -1) {
		switch (opt) {
		case 'n': nr_ops = atoll(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'S':
			if (!strcmp(optarg, "zbc"))
				sem = ZM_ZBC;
			else if (!strcmp(optarg, "zns"))
				sem = ZM_ZNS;
			else
				usage();
			break;
		case 'r': report_every = atoll(optarg); break;
		case 'b': bs = strtoull(optarg, NULL, 0); break;
		case 'F': faults = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind >= argc || argc - optind > MAX_DEVS || nr_ops < 0 || !bs)
		usage();
	for (k = optind; k < argc; k++) {
		if (zdev_open(&devs[nr_devs], argv[k]))
			exit(2);
		if (faults && !devs[nr_devs].fault_kind)
			setup_fail("-F needs ,nullb=DIR or ,dm=NAME on %s",
				   argv[k]);
		if (!faults)
			devs[nr_devs].fault_kind = ZDEV_FAULT_NONE;
		nr_devs++;
	}
	setup();
	rng_state = seed;

	for (cur_op = 0; cur_op < nr_ops; cur_op++) {
		gen(&o);
		describe(&o, desc, sizeof(desc));
		snprintf(hist[cur_op % 8], sizeof(hist[0]), "%lld: %s", cur_op, desc);
		if (o.kind == OP_WRITE_WP || o.kind == OP_WRITE_AWAY)
			fill(wbuf, o.nr << 9);
		count[o.kind]++;
		mret = apply_model(&o);
		for (k = 0; k < nr_devs; k++)
			ret[k] = apply_dev(&devs[k], &o);
		if (verbose) {
			fprintf(stderr, "%s: model=%s", hist[cur_op % 8],
				err_name(mret));
			for (k = 0; k < nr_devs; k++)
				fprintf(stderr, " %s=%s", devs[k].path,
					err_name(ret[k]));
			fprintf(stderr, "\n");
		}
		for (k = 0; k < nr_devs; k++) {
			char parts[512];
			int n = 0, j;

			if (ret[k] == mret)
				continue;
			for (j = 0; j < nr_devs; j++)
				n += snprintf(parts + n, sizeof(parts) - n,
					      " %s=%s", devs[j].path,
					      err_name(ret[j]));
			for (j = (int)(cur_op > 7 ? cur_op - 7 : 0); j < cur_op; j++)
				fprintf(stderr, "zonediff: before: %s\n", hist[j % 8]);
			divergence("%s: model=%s%s", desc, err_name(mret), parts);
		}
		if (mret == -EIO)
			nr_eio++;
		else if (mret == -ETOOMANYREFS)
			nr_etoomany++;
		else if (mret == -EOVERFLOW)
			nr_eoverflow++;
		else if (!mret)
			nr_ok++;
		if (o.kind == OP_READ && !mret)
			for (k = 0; k < nr_devs; k++)
				compare_data(k, rbufs[k], o.sector, o.nr,
					     last_valid, desc);
		if (report_every && (cur_op + 1) % report_every == 0)
			compare_reports(desc);
	}
	compare_reports("final report");
	verify_all_data();

	printf("zonediff: PASS %lld ops seed %llu %s, %d device(s) + model, %u zones (%u conv) max_open %u max_active %u:",
	       nr_ops, seed, sem == ZM_ZBC ? "zbc" : "zns", nr_devs,
	       model.nr_zones, model.cfg.nr_conv, model.cfg.max_open,
	       model.cfg.max_active);
	for (k = 0; k < OP_NR; k++)
		printf(" %s %llu", op_names[k], count[k]);
	printf("; results: ok %llu EIO %llu ETOOMANYREFS %llu EOVERFLOW %llu; %llu reports\n",
	       nr_ok, nr_eio, nr_etoomany, nr_eoverflow, nr_reports);
	for (k = 0; k < nr_devs; k++)
		zdev_close(&devs[k]);
	zm_free(&model);
	return 0;
}

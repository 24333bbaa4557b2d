// SPDX-License-Identifier: GPL-2.0
/* zdev: a zoned block device as a party of the differential test. */
#include "zdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/blkzoned.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

_Static_assert((int)BLK_ZONE_COND_READONLY == (int)ZM_COND_READONLY, "cond values");
_Static_assert((int)BLK_ZONE_COND_OFFLINE == (int)ZM_COND_OFFLINE, "cond values");
_Static_assert((int)BLK_ZONE_COND_FULL == (int)ZM_COND_FULL, "cond values");
_Static_assert((int)BLK_ZONE_TYPE_SEQWRITE_REQ == (int)ZM_TYPE_SEQ_REQ, "type values");

/* A decimal value from /sys/dev/block/MAJ:MIN/queue/NAME, or -1. */
static long long queue_attr(dev_t rdev, const char *name)
{
	char p[128];
	long long v = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/queue/%s", major(rdev),
		 minor(rdev), name);
	f = fopen(p, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int parse_spec(struct zdev *d, const char *spec)
{
	char buf[600], *tok, *save = NULL;
	int first = 1;

	if (strlen(spec) >= sizeof(buf))
		return -1;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), first = 0) {
		if (first) {
			snprintf(d->path, sizeof(d->path), "%s", tok);
		} else if (!strncmp(tok, "nullb=", 6)) {
			d->fault_kind = ZDEV_FAULT_NULLB;
			snprintf(d->fault_arg, sizeof(d->fault_arg), "%s", tok + 6);
		} else if (!strncmp(tok, "dm=", 3)) {
			d->fault_kind = ZDEV_FAULT_DM;
			snprintf(d->fault_arg, sizeof(d->fault_arg), "%s", tok + 3);
		} else if (!strncmp(tok, "fill=", 5)) {
			d->fill = (int)strtol(tok + 5, NULL, 0) & 0xff;
		} else {
			fprintf(stderr, "zonediff: %s: unknown option %s\n",
				spec, tok);
			return -1;
		}
	}
	return 0;
}

int zdev_open(struct zdev *d, const char *spec)
{
	unsigned int zs = 0, nz = 0;
	unsigned long long bytes = 0;
	struct stat st;
	long long v;
	int lbs = 0;

	memset(d, 0, sizeof(*d));
	d->spec = spec;
	d->fd = -1;
	if (parse_spec(d, spec))
		return -1;
	d->fd = open(d->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (d->fd < 0 || fstat(d->fd, &st) || !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "zonediff: %s: cannot open block device: %s\n",
			d->path, strerror(errno));
		return -1;
	}
	if (ioctl(d->fd, BLKGETZONESZ, &zs) || !zs ||
	    ioctl(d->fd, BLKGETNRZONES, &nz) ||
	    ioctl(d->fd, BLKGETSIZE64, &bytes) ||
	    ioctl(d->fd, BLKSSZGET, &lbs)) {
		fprintf(stderr, "zonediff: %s: not a zoned block device\n",
			d->path);
		return -1;
	}
	d->zone_sectors = zs;
	d->nr_zones = nz;
	d->capacity = bytes >> 9;
	d->lbs = (uint32_t)lbs;
	v = queue_attr(st.st_rdev, "max_open_zones");
	d->max_open = v > 0 ? (uint32_t)v : 0;
	v = queue_attr(st.st_rdev, "max_active_zones");
	d->max_active = v > 0 ? (uint32_t)v : 0;
	v = queue_attr(st.st_rdev, "max_sectors_kb");
	d->max_sectors = v > 0 ? (uint32_t)(v * 2) : 256;
	return 0;
}

void zdev_close(struct zdev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int zdev_write(struct zdev *d, uint64_t sector, uint64_t nr, const void *buf)
{
	ssize_t n = pwrite(d->fd, buf, nr << 9, (off_t)(sector << 9));

	if (n < 0)
		return -errno;
	return (uint64_t)n == nr << 9 ? 0 : -ENOSPC;
}

int zdev_read(struct zdev *d, uint64_t sector, uint64_t nr, void *buf)
{
	ssize_t n = pread(d->fd, buf, nr << 9, (off_t)(sector << 9));

	if (n < 0)
		return -errno;
	return (uint64_t)n == nr << 9 ? 0 : -ENODATA;
}

int zdev_mgmt(struct zdev *d, unsigned long ioc, uint64_t sector, uint64_t nr)
{
	struct blk_zone_range r = { .sector = sector, .nr_sectors = nr };

	return ioctl(d->fd, ioc, &r) ? -errno : 0;
}

int zdev_report(struct zdev *d, struct zm_zone *out, uint32_t nr)
{
	struct blk_zone_report *rep;
	uint32_t done = 0, i;
	int ret = 0;

	rep = calloc(1, sizeof(*rep) + 128 * sizeof(struct blk_zone));
	if (!rep)
		return -ENOMEM;
	while (done < nr) {
		rep->sector = done * d->zone_sectors;
		rep->nr_zones = nr - done < 128 ? nr - done : 128;
		if (ioctl(d->fd, BLKREPORTZONE, rep)) {
			ret = -errno;
			break;
		}
		if (!rep->nr_zones) {
			ret = -ENODATA;
			break;
		}
		for (i = 0; i < rep->nr_zones && done < nr; i++, done++) {
			struct blk_zone *z = &rep->zones[i];

			out[done] = (struct zm_zone){
				.start = z->start, .len = z->len, .wp = z->wp,
				.type = z->type, .cond = z->cond,
				.cap = (rep->flags & BLK_ZONE_REP_CAPACITY) ?
					z->capacity : z->len,
			};
		}
	}
	free(rep);
	return ret;
}

static int write_file(const char *dir, const char *name, uint64_t val)
{
	char p[512];
	FILE *f;
	int ret = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%llu\n", (unsigned long long)val) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static int dm_message(const char *name, uint32_t zno, const char *what)
{
	char zone[16];
	int st;
	pid_t pid;

	snprintf(zone, sizeof(zone), "%u", zno);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("dmsetup", "dmsetup", "message", name, "0", "fault",
		       zone, what, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

int zdev_fault(struct zdev *d, uint32_t zno, uint64_t zone_start,
	       unsigned int cur_cond, unsigned int cond)
{
	switch (d->fault_kind) {
	case ZDEV_FAULT_NULLB:
		/* null_blk clears a fault by asking for it again. */
		if (!cond)
			cond = cur_cond;
		if (cond == ZM_COND_READONLY)
			return write_file(d->fault_arg, "zone_readonly", zone_start);
		if (cond == ZM_COND_OFFLINE)
			return write_file(d->fault_arg, "zone_offline", zone_start);
		return 0;
	case ZDEV_FAULT_DM:
		return dm_message(d->fault_arg, zno,
				  cond == ZM_COND_READONLY ? "readonly" :
				  cond == ZM_COND_OFFLINE ? "offline" : "clear");
	default:
		return -EOPNOTSUPP;
	}
}

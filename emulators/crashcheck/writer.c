// SPDX-License-Identifier: GPL-2.0
/*
 * The write phase. Plain writes are O_DIRECT pwrite()s: the device may cache
 * them. FUA writes go through Linux AIO on an O_DIRECT|O_DSYNC descriptor:
 * for an asynchronous direct write the block layer sets REQ_FUA and issues no
 * flush, so the checker sees exactly what FUA alone guarantees (a synchronous
 * O_DSYNC write would add a full cache flush). fsync() is the flush.
 */
#include "writer.h"
#include "block.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t next_rand(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* One FUA write through AIO; returns 0 or -errno. */
static int fua_write(aio_context_t ctx, int fd, void *buf, size_t bs, off_t off)
{
	struct iocb cb = {
		.aio_lio_opcode = IOCB_CMD_PWRITE,
		.aio_fildes = (uint32_t)fd,
		.aio_buf = (uint64_t)(uintptr_t)buf,
		.aio_nbytes = bs,
		.aio_offset = off,
	};
	struct iocb *cbs[1] = { &cb };
	struct io_event ev;

	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
		return -errno;
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1)
		return -errno;
	if (ev.res < 0)
		return (int)ev.res;
	return ev.res == (long long)bs ? 0 : -EIO;
}

long long writer_run(const struct writer_opts *o, struct ledger *l, int *io_error)
{
	aio_context_t ctx = 0;
	uint64_t rnd = o->seed, done = 0;
	int fd, dfd, r = 0;
	void *buf;

	*io_error = 0;
	fd = open(o->dev, O_WRONLY | O_DIRECT);
	dfd = open(o->dev, O_WRONLY | O_DIRECT | O_DSYNC);
	if (fd < 0 || dfd < 0 || syscall(SYS_io_setup, 1, &ctx) ||
	    posix_memalign(&buf, 4096, l->bs)) {
		fprintf(stderr, "crashcheck: cannot set up writes to %s: %s\n",
			o->dev, strerror(errno));
		return -1;
	}
	while (done < o->ops) {
		uint64_t b = next_rand(&rnd) % l->nblocks;
		uint64_t gen = l->latest[b] + 1;
		int fua = o->fua_every && (done + 1) % o->fua_every == 0;
		off_t off = (off_t)(b * l->bs);

		block_fill(buf, l->bs, l->dev_id, b, gen);
		/* From here the block may hold this generation. */
		l->latest[b] = gen;
		if (fua) {
			r = fua_write(ctx, dfd, buf, l->bs, off);
		} else {
			ssize_t n = pwrite(fd, buf, l->bs, off);

			r = n == (ssize_t)l->bs ? 0 : -(n < 0 ? errno : EIO);
		}
		if (r)
			break;
		if (fua)
			l->durable[b] = gen;
		done++;
		if (o->sync_every && done % o->sync_every == 0) {
			if (fsync(fd)) {
				r = -errno;
				break;
			}
			ledger_flushed(l);
		}
	}
	if (r)
		*io_error = -r;
	syscall(SYS_io_destroy, ctx);
	free(buf);
	close(dfd);
	close(fd);
	return (long long)done;
}
